//! Delete (`DELETE /Users/{id}`, `DELETE /Groups/{id}`, a bulk `DELETE`).

use rollcall_store::{ResourceKind, Tx};
use serde_json::json;

use super::change::{self, Recorded};
use super::preconditions::Preconditions;
use super::{Applied, Context};
use crate::error::Failure;
use crate::lifecycle::{self, Transition};
use crate::{access_delta, events, trail};

/// Delete resource `id`; with preconditions, the version they name must still be the
/// stored one when the row is deleted. A user leaves a tombstone (PRODUCT.md §5); each
/// group it was in is told (`group.member_removed`, and `left_groups` in the record).
pub(crate) fn delete(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    kind: ResourceKind,
    id: &str,
    preconditions: &Preconditions,
) -> Result<Applied<()>, Failure> {
    let (org, now) = (context.org(), context.now);
    let rt = context.resource_type(kind)?;
    // What is deleted is recorded as the "before" (a group without its members, which
    // `left_groups` of each member's delete and the group's own member records tell).
    let existing = tx.resources(kind).get(org, id, false)?;
    let expected_version = if preconditions.is_empty() {
        None
    } else {
        preconditions.expected_version(&existing)?
    };
    // The memberships that go with it, told as `group.member_removed`.
    let left = tx.members().groups_of_member(org, id)?;
    let scope = access_delta::write_scope(kind, id, None, None);
    let ((), access) = change::write(
        tx,
        context,
        kind,
        scope,
        |tx| {
            match kind {
                ResourceKind::User => {
                    lifecycle::delete_user(tx, context.actor, id, expected_version, now)?
                }
                ResourceKind::Group => tx.resources(kind).delete(org, id, expected_version, now)?,
            }
            Ok(())
        },
        |()| {
            let mut detail = trail::deleted(context.schemas, rt, &existing.resource);
            if !left.is_empty() {
                detail["left_groups"] = json!(left);
            }
            Some(Recorded {
                verb: "delete",
                id: id.to_owned(),
                status: 204,
                detail,
                transition: (kind == ResourceKind::User).then_some(Transition::Deleted),
            })
        },
        |tx, ()| {
            events::emit_left_groups(tx, org, id, &left, now)?;
            events::emit_deleted(tx, org, kind, id, now)
        },
    )?;
    Ok(Applied {
        value: (),
        tolerated: Vec::new(),
        access,
    })
}
