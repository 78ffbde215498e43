//! The writes of one resource — create, replace, patch, delete — inside a transaction the
//! caller holds, for a caller already authenticated. The single-resource handlers
//! (`resources.rs`, `patch.rs`) and `/Bulk` (`bulk.rs`) all run these, so validation with
//! the org's dialect, preconditions and group member deltas behave the same everywhere.
//! Each write appends the IdP deviations it tolerated to `tolerated`; the caller counts
//! them (`AppState::deviations`) once the write has committed.

use chrono::{DateTime, Utc};
use rollcall_store::{ResourceKind, StoredResource, Tx};
use scim_core::patch::{PatchRequest, apply_patch, plan_group_patch};
use scim_core::{Deviation, DialectContext, Operation, SchemaRegistry, validate_resource};
use serde_json::Value;

use crate::access_delta;
use crate::audit;
use crate::auth::Caller;
use crate::error::Failure;
use crate::etag::Preconditions;
use crate::events;
use crate::lifecycle;
use crate::state::resource_type;

/// Read resource `id` (without members) for a write and check the client's
/// preconditions against it: the resource and the version the client expects (`None`
/// when it set no precondition).
pub(crate) fn load_for_write(
    tx: &mut Tx<'_>,
    caller: &Caller,
    kind: ResourceKind,
    id: &str,
    preconditions: &Preconditions,
) -> Result<(StoredResource, Option<i64>), Failure> {
    let existing = tx.get_resource(&caller.org_id, kind, id, false)?;
    let expected_version = preconditions.expected_version(&existing)?;
    Ok((existing, expected_version))
}

/// Validate `body` as a new resource of `kind` and store it.
pub(crate) fn create(
    tx: &mut Tx<'_>,
    registry: &SchemaRegistry,
    caller: &Caller,
    kind: ResourceKind,
    body: &Value,
    now: DateTime<Utc>,
    tolerated: &mut Vec<Deviation>,
) -> Result<StoredResource, Failure> {
    let rt = resource_type(registry, kind)?;
    let mut ctx = DialectContext::new(caller.dialect);
    let resource = validate_resource(registry, rt, body, None, Operation::Create, &mut ctx)?;
    tolerated.extend(ctx.tolerated);
    let org = caller.org_id.as_str();
    let scope = access_delta::create_scope(kind, &resource);
    let (stored, access) = access_delta::around_if(tx, org, scope, now, |tx| {
        tx.create_resource(org, kind, &resource, now)
    })?;
    let mut detail = audit::created(registry, rt, &stored.resource);
    if let Some(access) = access {
        detail["access"] = access;
    }
    audit::record(tx, caller, kind, "create", &stored.id, 201, &detail, now)?;
    lifecycle::after_create(tx, caller, kind, &stored, now)?;
    events::emit_created(tx, caller, kind, &stored, now)?;
    Ok(stored)
}

/// Replace `existing` with `body` (PUT). The write is made over the version read, so a
/// concurrent change makes it fail with a 412 instead of being overwritten. Members are
/// loaded in the result only when `reload_members`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn replace(
    tx: &mut Tx<'_>,
    registry: &SchemaRegistry,
    caller: &Caller,
    kind: ResourceKind,
    existing: StoredResource,
    expected_version: Option<i64>,
    body: &Value,
    now: DateTime<Utc>,
    reload_members: bool,
    tolerated: &mut Vec<Deviation>,
) -> Result<StoredResource, Failure> {
    let id = existing.id.clone();
    let rt = resource_type(registry, kind)?;
    let org = caller.org_id.as_str();
    // Members are never needed to validate a replace: they come from the body alone.
    // Kept values (immutable, writeOnly) come from the version read: write over it only.
    let expected_version = expected_version.or(Some(existing.version));
    let mut ctx = DialectContext::new(caller.dialect);
    let resource = validate_resource(
        registry,
        rt,
        body,
        Some(&existing.resource),
        Operation::Replace,
        &mut ctx,
    )?;
    tolerated.extend(ctx.tolerated);
    let members_before = events::members_before(tx, caller, kind, &id, None)?;
    let scope = access_delta::write_scope(kind, &id, Some(&existing.resource), Some(&resource));
    // The delta spans what the lifecycle does about it (grants dropped, succession).
    let (stored, access) = access_delta::around_if(tx, org, scope, now, |tx| {
        let stored = tx.replace_resource(org, kind, &id, &resource, expected_version, now)?;
        lifecycle::after_write(tx, caller, kind, &id, now)?;
        Ok::<_, Failure>(stored)
    })?;
    let mut detail = audit::resource_changes(registry, rt, &existing.resource, &stored.resource);
    if let Some(access) = access {
        detail["access"] = access;
    }
    audit::record(tx, caller, kind, "replace", &id, 200, &detail, now)?;
    events::emit_updated(
        tx,
        caller,
        kind,
        &existing.resource,
        &stored,
        members_before,
        now,
    )?;
    if reload_members {
        return Ok(tx.get_resource(org, kind, &id, true)?);
    }
    Ok(stored)
}

/// PATCH `existing` with the PatchOp `body`: a user is patched in memory and written back
/// when something changed; a group's member operations become deltas (see `patch.rs`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn patch(
    tx: &mut Tx<'_>,
    registry: &SchemaRegistry,
    caller: &Caller,
    kind: ResourceKind,
    existing: StoredResource,
    expected_version: Option<i64>,
    body: &Value,
    now: DateTime<Utc>,
    reload_members: bool,
    tolerated: &mut Vec<Deviation>,
) -> Result<StoredResource, Failure> {
    match kind {
        ResourceKind::User => patch_user(
            tx,
            registry,
            caller,
            existing,
            expected_version,
            body,
            now,
            tolerated,
        ),
        ResourceKind::Group => patch_group(
            tx,
            registry,
            caller,
            existing,
            expected_version,
            body,
            now,
            reload_members,
            tolerated,
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn patch_user(
    tx: &mut Tx<'_>,
    registry: &SchemaRegistry,
    caller: &Caller,
    existing: StoredResource,
    expected_version: Option<i64>,
    body: &Value,
    now: DateTime<Utc>,
    tolerated: &mut Vec<Deviation>,
) -> Result<StoredResource, Failure> {
    let kind = ResourceKind::User;
    let id = existing.id.clone();
    let rt = resource_type(registry, kind)?;
    // The version read is the one written over (no lost update under concurrency).
    let expected_version = expected_version.or(Some(existing.version));
    let mut ctx = DialectContext::new(caller.dialect);
    let patch = PatchRequest::parse(body, &mut ctx)?;
    let outcome = apply_patch(registry, rt, &existing.resource, &patch, &mut ctx)?;
    tolerated.extend(ctx.tolerated);
    if !outcome.changed {
        // A PATCH that changes nothing changes no version and records no change.
        return Ok(existing);
    }
    let org = caller.org_id.as_str();
    let scope =
        access_delta::write_scope(kind, &id, Some(&existing.resource), Some(&outcome.resource));
    // The delta spans what the lifecycle does about it (grants dropped, succession).
    let (stored, access) = access_delta::around_if(tx, org, scope, now, |tx| {
        let stored =
            tx.replace_resource(org, kind, &id, &outcome.resource, expected_version, now)?;
        lifecycle::after_write(tx, caller, kind, &id, now)?;
        Ok::<_, Failure>(stored)
    })?;
    let mut detail = audit::resource_changes(registry, rt, &existing.resource, &stored.resource);
    if let Some(access) = access {
        detail["access"] = access;
    }
    audit::record(tx, caller, kind, "patch", &id, 200, &detail, now)?;
    events::emit_updated(tx, caller, kind, &existing.resource, &stored, None, now)?;
    Ok(stored)
}

#[allow(clippy::too_many_arguments)]
fn patch_group(
    tx: &mut Tx<'_>,
    registry: &SchemaRegistry,
    caller: &Caller,
    existing: StoredResource,
    mut expected_version: Option<i64>,
    body: &Value,
    now: DateTime<Utc>,
    reload_members: bool,
    tolerated: &mut Vec<Deviation>,
) -> Result<StoredResource, Failure> {
    let kind = ResourceKind::Group;
    let id = existing.id.clone();
    let rt = resource_type(registry, kind)?;
    let org = caller.org_id.as_str();
    let mut ctx = DialectContext::new(caller.dialect);
    let patch = PatchRequest::parse(body, &mut ctx)?;
    let plan = plan_group_patch(registry, rt, &existing.resource, &patch, &mut ctx)?;
    tolerated.extend(ctx.tolerated);
    let attributes = plan.outcome.changed.then_some(&plan.outcome.resource);
    if attributes.is_some() {
        // The attributes written derive from the version read; member deltas commute, so
        // member-only PATCHes never conflict with each other.
        expected_version = expected_version.or(Some(existing.version));
    }
    let renamed =
        attributes.is_some_and(|a| a.get("displayName") != existing.resource.get("displayName"));
    let scope = access_delta::group_scope(&id, &plan.members, renamed);
    let ((stored, members), access) =
        access_delta::around_group_patch(tx, org, scope, now, |tx| {
            tx.patch_group_with_delta(org, &id, attributes, &plan.members, expected_version, now)
        })?;
    if attributes.is_some() || !plan.members.is_empty() {
        let mut detail =
            audit::resource_changes(registry, rt, &existing.resource, &stored.resource);
        detail["members"] = audit::member_changes(&plan.members);
        if let Some(access) = access {
            detail["access"] = access;
        }
        audit::record(tx, caller, kind, "patch", &id, 200, &detail, now)?;
        events::emit_updated(tx, caller, kind, &existing.resource, &stored, None, now)?;
        events::emit_member_delta(tx, caller, &id, &members, now)?;
    }
    if reload_members {
        return Ok(tx.get_resource(org, kind, &id, true)?);
    }
    Ok(stored)
}

/// Delete resource `id`; with preconditions, the version they name must still be the
/// stored one when the row is deleted.
pub(crate) fn delete(
    tx: &mut Tx<'_>,
    caller: &Caller,
    kind: ResourceKind,
    id: &str,
    preconditions: &Preconditions,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    let org = caller.org_id.as_str();
    let expected_version = if preconditions.is_empty() {
        None
    } else {
        let existing = tx.get_resource(org, kind, id, false)?;
        preconditions.expected_version(&existing)?
    };
    // The memberships that go with it, told as `group.member_removed`.
    let left = tx.groups_of_member(org, id)?;
    let scope = access_delta::write_scope(kind, id, None, None);
    let ((), access) = access_delta::around_if(tx, org, scope, now, |tx| {
        match kind {
            // A deleted user leaves a tombstone (PRODUCT.md §5).
            ResourceKind::User => lifecycle::delete_user(tx, caller, id, expected_version, now)?,
            ResourceKind::Group => tx.delete_resource(org, kind, id, expected_version, now)?,
        }
        Ok::<_, Failure>(())
    })?;
    let mut detail = match access {
        Some(access) => serde_json::json!({"access": access}),
        None => serde_json::json!({}),
    };
    if !left.is_empty() {
        detail["left_groups"] = serde_json::json!(left);
    }
    audit::record(tx, caller, kind, "delete", id, 204, &detail, now)?;
    events::emit_left_groups(tx, caller, id, &left, now)?;
    events::emit_deleted(tx, caller, kind, id, now)?;
    Ok(())
}
