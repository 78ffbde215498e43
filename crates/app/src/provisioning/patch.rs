//! PATCH (RFC 7644 §3.5.2): `PATCH /Users/{id}`, `PATCH /Groups/{id}`, a bulk `PATCH`.
//!
//! - A user is patched in memory (`apply_patch`) and written back only when the PATCH
//!   changed something (no version bump, no record otherwise).
//! - A group is read WITHOUT its members; `plan_group_patch` applies the non-member
//!   operations and turns the member operations into deltas, which the store applies row
//!   by row (cost proportional to the change, not to the group).

use rollcall_store::{ResourceKind, StoredResource, Tx};
use scim_core::DialectContext;
use scim_core::patch::{PatchRequest, apply_patch, plan_group_patch};
use serde_json::Value;

use super::change::{self, Recorded};
use super::password;
use super::{Applied, Context};
use crate::error::Failure;
use crate::{access_delta, events, lifecycle, trail};

/// PATCH `existing` with the PatchOp `body`. A group's members are loaded in the result
/// only when `reload_members`.
pub(crate) fn patch(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    kind: ResourceKind,
    existing: (StoredResource, Option<i64>),
    body: &Value,
    reload_members: bool,
) -> Result<Applied<StoredResource>, Failure> {
    match kind {
        ResourceKind::User => patch_user(tx, context, existing, body),
        ResourceKind::Group => patch_group(tx, context, existing, body, reload_members),
    }
}

fn patch_user(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    (existing, expected_version): (StoredResource, Option<i64>),
    body: &Value,
) -> Result<Applied<StoredResource>, Failure> {
    let kind = ResourceKind::User;
    let id = existing.id.clone();
    let rt = context.resource_type(kind)?;
    let (org, now) = (context.org(), context.now);
    // The version read is the one written over (no lost update under concurrency).
    let expected_version = expected_version.or(Some(existing.version));
    let mut dialect = DialectContext::new(context.actor.dialect);
    let patch = PatchRequest::parse(body, &mut dialect)?;
    let mut outcome = apply_patch(
        context.schemas,
        rt,
        &existing.resource,
        &patch,
        &mut dialect,
    )?;
    if !outcome.changed {
        // A PATCH that changes nothing changes no version and records no change.
        return Ok(Applied {
            value: existing,
            tolerated: dialect.tolerated,
            access: Vec::new(),
        });
    }
    super::manager::check(tx, context, Some(&existing.resource), &outcome.resource)?;
    let settled = password::settle(tx, context, Some(&existing.resource), &mut outcome.resource)?;
    let scope =
        access_delta::write_scope(kind, &id, Some(&existing.resource), Some(&outcome.resource));
    // The delta spans what the lifecycle does about it (grants dropped, succession).
    let ((stored, _), access) = change::write(
        tx,
        context,
        kind,
        scope,
        |tx| {
            let stored =
                tx.resources(kind)
                    .replace(org, &id, &outcome.resource, expected_version, now)?;
            let transition = lifecycle::after_write(tx, context.actor, kind, &id, now)?;
            Ok((stored, transition))
        },
        |(stored, transition)| {
            let mut detail =
                trail::resource_changes(context.schemas, rt, &existing.resource, &stored.resource);
            settled.record(&mut detail);
            Some(Recorded {
                verb: "patch",
                id: id.clone(),
                status: 200,
                detail,
                transition: *transition,
            })
        },
        |tx, (stored, _)| {
            events::emit_updated(tx, org, kind, &existing.resource, stored, None, now)
        },
    )?;
    Ok(Applied {
        value: stored,
        tolerated: dialect.tolerated,
        access,
    })
}

fn patch_group(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    (existing, mut expected_version): (StoredResource, Option<i64>),
    body: &Value,
    reload_members: bool,
) -> Result<Applied<StoredResource>, Failure> {
    let kind = ResourceKind::Group;
    let id = existing.id.clone();
    let rt = context.resource_type(kind)?;
    let (org, now) = (context.org(), context.now);
    let mut dialect = DialectContext::new(context.actor.dialect);
    let patch = PatchRequest::parse(body, &mut dialect)?;
    let plan = plan_group_patch(
        context.schemas,
        rt,
        &existing.resource,
        &patch,
        &mut dialect,
    )?;
    let attributes = plan.outcome.changed.then_some(&plan.outcome.resource);
    if attributes.is_some() {
        // The attributes written derive from the version read; member deltas commute, so
        // member-only PATCHes never conflict with each other.
        expected_version = expected_version.or(Some(existing.version));
    }
    let renamed =
        attributes.is_some_and(|a| a.get("displayName") != existing.resource.get("displayName"));
    let scope = access_delta::group_scope(&id, &plan.members, renamed);
    let (stored, access) = change::write_members(
        tx,
        context,
        scope,
        |tx| {
            Ok(tx.members().patch_group_with_delta(
                org,
                &id,
                attributes,
                &plan.members,
                expected_version,
                now,
            )?)
        },
        |stored, members| {
            // Adding a member already there, or removing one who is not, changes nothing:
            // no record, as for any write that changes nothing.
            let changed = attributes.is_some() || !members.is_empty();
            changed.then(|| {
                let mut detail = trail::resource_changes(
                    context.schemas,
                    rt,
                    &existing.resource,
                    &stored.resource,
                );
                detail["members"] = trail::member_changes(&plan.members);
                Recorded {
                    verb: "patch",
                    id: id.clone(),
                    status: 200,
                    detail,
                    transition: None,
                }
            })
        },
        |tx, stored, members| {
            events::emit_updated(tx, org, kind, &existing.resource, stored, None, now)?;
            events::emit_member_delta(tx, org, &id, members, now)
        },
    )?;
    Ok(Applied {
        value: super::reloaded(tx, context, kind, stored, reload_members)?,
        tolerated: dialect.tolerated,
        access,
    })
}
