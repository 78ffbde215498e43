//! Users and groups: create, read, replace, patch, delete.

use chrono::{DateTime, Utc};
use scim_core::patch::MemberChange;
use serde_json::Value;

use crate::{ListQuery, Page, ResourceKind, StoreError, StoredResource, Tx};

fn pending() -> StoreError {
    StoreError::Database("not implemented yet".to_owned())
}

impl Tx<'_> {
    /// Store a new resource (the output of `scim_core::validate_resource`): assigns `id` and
    /// `meta`. For a group, `members` become member rows (each must be a user or group of the org).
    pub fn create_resource(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        resource: &Value,
        now: DateTime<Utc>,
    ) -> Result<StoredResource, StoreError> {
        let _ = (org_id, kind, resource, now);
        Err(pending())
    }

    /// A resource by id; group members are loaded only when asked.
    pub fn get_resource(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        id: &str,
        load_members: bool,
    ) -> Result<StoredResource, StoreError> {
        let _ = (org_id, kind, id, load_members);
        Err(pending())
    }

    /// Replace a resource with `resource` (normalized; PUT, or a user PATCH's outcome).
    /// A group's members become exactly `resource["members"]`. With `expected_version`,
    /// the version check and the write are one statement. The version is bumped only
    /// when something changed.
    pub fn replace_resource(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        id: &str,
        resource: &Value,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<StoredResource, StoreError> {
        let _ = (org_id, kind, id, resource, expected_version, now);
        Err(pending())
    }

    /// Apply a group PATCH plan: `attributes` (the member-less group after the PATCH, when
    /// its own attributes changed) and the member deltas, in time proportional to the
    /// change. The version is bumped when anything changed. Members are not loaded in the result.
    pub fn patch_group(
        &mut self,
        org_id: &str,
        id: &str,
        attributes: Option<&Value>,
        member_changes: &[MemberChange],
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<StoredResource, StoreError> {
        let _ = (
            org_id,
            id,
            attributes,
            member_changes,
            expected_version,
            now,
        );
        Err(pending())
    }

    /// Delete a resource and its membership rows.
    pub fn delete_resource(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        let _ = (org_id, kind, id, expected_version);
        Err(pending())
    }

    /// One page of resources matching a filter, run as SQL (never by loading the org).
    pub fn list_resources(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        query: &ListQuery<'_>,
    ) -> Result<Page, StoreError> {
        let _ = (org_id, kind, query);
        Err(pending())
    }
}
