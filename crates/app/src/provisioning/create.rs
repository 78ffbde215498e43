//! Create (`POST /Users`, `POST /Groups`, a bulk `POST`).

use rollcall_store::{ResourceKind, StoredResource, Tx};
use scim_core::{DialectContext, Operation, validate_resource};
use serde_json::Value;

use super::change::{self, Recorded};
use super::password::{self, Settled};
use super::{Applied, Context};
use crate::error::Failure;
use crate::{access_delta, events, lifecycle, trail};

/// Validate `body` as a new resource of `kind` and store it. A group created with members
/// carries the access they gain; a user created inactive is followed through by the
/// lifecycle.
pub(crate) fn create(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    kind: ResourceKind,
    body: &Value,
) -> Result<Applied<StoredResource>, Failure> {
    let rt = context.resource_type(kind)?;
    let mut dialect = DialectContext::new(context.actor.dialect);
    let mut resource = validate_resource(
        context.schemas,
        rt,
        body,
        None,
        Operation::Create,
        &mut dialect,
    )?;
    let (org, now) = (context.org(), context.now);
    let mut settled = Settled::Untouched;
    if kind == ResourceKind::User {
        super::manager::check(tx, context, None, &resource)?;
        settled = password::settle(tx, context, None, &mut resource)?;
    }
    let create = |tx: &mut Tx<'_>| Ok(tx.resources(kind).create(org, &resource, now)?);
    let record = |stored: &StoredResource| {
        let mut detail = trail::created(context.schemas, rt, &stored.resource);
        settled.record(&mut detail);
        if kind == ResourceKind::Group {
            detail["members"] = trail::replaced_members(&Default::default(), &resource);
        }
        Some(Recorded {
            verb: "create",
            id: stored.id.clone(),
            status: 201,
            detail,
            transition: None,
        })
    };
    let then = |tx: &mut Tx<'_>, stored: &StoredResource| {
        lifecycle::after_create(tx, context.actor, kind, stored, now)?;
        events::emit_created(tx, org, kind, stored, now)
    };
    // A user's access scope needs their id: read once they are written. A group's (its
    // members, under the rules its name matches) is read around the write.
    let (stored, access) = match kind {
        ResourceKind::User => change::write_new(
            tx,
            context,
            kind,
            create,
            |stored| access_delta::new_user_scope(&stored.id, &stored.resource),
            record,
            then,
        )?,
        ResourceKind::Group => {
            let scope = access_delta::create_scope(kind, &resource);
            change::write(tx, context, kind, scope, create, record, then)?
        }
    };
    Ok(Applied {
        value: stored,
        tolerated: dialect.tolerated,
        access,
    })
}
