//! The SCIM writes, one file each: create, replace (PUT), patch, delete, and a bulk
//! request's operations. They run inside a transaction the caller holds, for an actor the
//! session authenticated, so the single-resource handlers and `/Bulk` behave the same
//! everywhere: validation in the organization's dialect, preconditions, member deltas.
//!
//! Each write ends in [`change`]'s tail (access delta, lifecycle, audit record, events, in
//! that order) and answers [`Applied`]: what was stored and which IdP deviations it
//! tolerated, which the session counts once the transaction committed.

mod bulk;
mod change;
mod create;
mod delete;
mod manager;
mod password;
mod patch;
pub(crate) mod preconditions;
mod replace;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rollcall_store::{ResourceKind, StoredResource, Tx};
use scim_core::schema::ResourceType;
use scim_core::{Deviation, SchemaRegistry};

use crate::actor::Actor;
use crate::error::{Error, Failure};
use crate::password::Prehashed;
pub(crate) use change::AccessChanges;
use preconditions::Preconditions;

pub(crate) use bulk::run_bulk;
pub(crate) use create::create;
pub(crate) use delete::delete;
pub(crate) use patch::patch;
pub(crate) use replace::replace;

/// How often a read-modify-write that lost a race is tried in all.
pub(crate) const ATTEMPTS: usize = 5;

/// What a SCIM use case runs with: the actor, its organization's schemas (standard plus
/// custom extensions) and the time of the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    /// Who the request runs for.
    pub(crate) actor: &'a Actor,
    /// The organization's schemas.
    pub(crate) schemas: &'a Arc<SchemaRegistry>,
    /// The time every timestamp of the write takes.
    pub(crate) now: DateTime<Utc>,
    /// The passwords of the request, hashed before its transaction (argon2id orgs).
    pub(crate) prehashed: &'a Prehashed,
}

impl Context<'_> {
    /// The organization.
    pub(crate) fn org(&self) -> &str {
        &self.actor.org_id
    }

    /// The organization's schemas, to keep beyond the transaction.
    pub(crate) fn schemas_handle(&self) -> Arc<SchemaRegistry> {
        Arc::clone(self.schemas)
    }

    /// The resource type of `kind` in the organization's schemas.
    pub(crate) fn resource_type(&self, kind: ResourceKind) -> Result<&ResourceType, Error> {
        resource_type(self.schemas, kind)
    }
}

/// What a write did: what it stored (its value), the IdP deviations it tolerated (counted
/// by the session once the transaction committed) and the effective-role changes it
/// recorded (in its audit record and `access.changed`).
#[derive(Debug)]
pub(crate) struct Applied<T> {
    /// What the write answers.
    pub(crate) value: T,
    /// The deviations it relied on.
    pub(crate) tolerated: Vec<Deviation>,
    /// The access it changed: `{"user", "resource", "before", "after"}` each.
    pub(crate) access: AccessChanges,
}

impl<T> Applied<T> {
    /// The same deviations and access changes with another value.
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Applied<U> {
        Applied {
            value: f(self.value),
            tolerated: self.tolerated,
            access: self.access,
        }
    }
}

/// The resource type definition of `kind`.
pub(crate) fn resource_type(
    registry: &SchemaRegistry,
    kind: ResourceKind,
) -> Result<&ResourceType, Error> {
    let id = match kind {
        ResourceKind::User => "User",
        ResourceKind::Group => "Group",
    };
    registry
        .resource_type(id)
        .ok_or_else(|| Error::internal(format!("the registry has no {id} resource type")))
}

/// `stored` as a write answers it: read again with its members when `reload_members` (the
/// write itself never reads a group's members).
pub(crate) fn reloaded(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    kind: ResourceKind,
    stored: StoredResource,
    reload_members: bool,
) -> Result<StoredResource, Failure> {
    if reload_members {
        Ok(tx.resources(kind).get(context.org(), &stored.id, true)?)
    } else {
        Ok(stored)
    }
}

/// Read resource `id` (without members) for a write, locked until the transaction ends
/// (`get_for_write`), and check the client's preconditions against it: the resource and
/// the version the client expects (`None` when it set no precondition).
pub(crate) fn load_for_write(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    kind: ResourceKind,
    id: &str,
    preconditions: &Preconditions,
) -> Result<(StoredResource, Option<i64>), Failure> {
    let existing = tx.resources(kind).get_for_write(context.org(), id)?;
    let expected_version = preconditions.expected_version(&existing)?;
    Ok((existing, expected_version))
}
