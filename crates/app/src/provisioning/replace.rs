//! Replace (`PUT /Users/{id}`, `PUT /Groups/{id}`, a bulk `PUT`).

use rollcall_store::{ResourceKind, StoredResource, Tx};
use scim_core::{DialectContext, Operation, validate_resource};
use serde_json::Value;

use super::change::{self, Recorded};
use super::password::{self, Settled};
use super::{Applied, Context};
use crate::error::Failure;
use crate::{access_delta, events, lifecycle, trail};

/// Replace `existing` with `body`. The write is made over the version read, so a
/// concurrent change makes it fail with a 412 instead of being overwritten. Members are
/// loaded in the result only when `reload_members`.
pub(crate) fn replace(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    kind: ResourceKind,
    (existing, expected_version): (StoredResource, Option<i64>),
    body: &Value,
    reload_members: bool,
) -> Result<Applied<StoredResource>, Failure> {
    let id = existing.id.clone();
    let rt = context.resource_type(kind)?;
    let (org, now) = (context.org(), context.now);
    // Members are never needed to validate a replace: they come from the body alone.
    // Kept values (immutable, writeOnly) come from the version read: write over it only.
    let expected_version = expected_version.or(Some(existing.version));
    let mut dialect = DialectContext::new(context.actor.dialect);
    let mut resource = validate_resource(
        context.schemas,
        rt,
        body,
        Some(&existing.resource),
        Operation::Replace,
        &mut dialect,
    )?;
    let mut settled = Settled::Untouched;
    if kind == ResourceKind::User {
        super::manager::check(tx, context, Some(&existing.resource), &resource)?;
        settled = password::settle(tx, context, Some(&existing.resource), &mut resource)?;
    }
    let members_before = events::members_before(tx, org, kind, &id, None)?;
    let member_changes = members_before
        .as_ref()
        .map(|before| trail::replaced_members(before.members(), &resource));
    let scope = access_delta::write_scope(kind, &id, Some(&existing.resource), Some(&resource));
    // The delta spans what the lifecycle does about it (grants dropped, succession).
    let ((stored, _), access) = change::write(
        tx,
        context,
        kind,
        scope,
        |tx| {
            let stored = tx
                .resources(kind)
                .replace(org, &id, &resource, expected_version, now)?;
            let transition = lifecycle::after_write(tx, context.actor, kind, &id, now)?;
            Ok((stored, transition))
        },
        |(stored, transition)| {
            let mut detail =
                trail::resource_changes(context.schemas, rt, &existing.resource, &stored.resource);
            settled.record(&mut detail);
            if let Some(changes) = &member_changes {
                detail["members"] = changes.clone();
            }
            Some(Recorded {
                verb: "replace",
                id: id.clone(),
                status: 200,
                detail,
                transition: *transition,
            })
        },
        |tx, (stored, _)| {
            events::emit_updated(
                tx,
                org,
                kind,
                &existing.resource,
                stored,
                members_before,
                now,
            )
        },
    )?;
    Ok(Applied {
        value: super::reloaded(tx, context, kind, stored, reload_members)?,
        tolerated: dialect.tolerated,
        access,
    })
}
