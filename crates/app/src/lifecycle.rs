//! The user lifecycle of SCIM writes (PRODUCT.md §5), called from `provisioning/` in the
//! transaction of the write:
//!
//! - [`after_write`], after every user replace and patch (and create, [`after_create`]): the store keeps
//!   `deactivated_at` in step with `active`. A suspension (`active` off) keeps grants and
//!   memberships (an inactive user has no access anyway) and hands the workspaces the user
//!   solely owned to the org's heir. A reactivation keeps the user's manual grants inside
//!   `reactivation_window_days` of the deactivation and drops them after it, each drop
//!   recorded (`grant.delete`). Access through groups and rules needs nothing: it is
//!   computed from the current groups whenever it is asked for.
//! - [`delete_user`], for `DELETE /Users/{id}`: a tombstone; grants, memberships, joins and
//!   the place in `owners` go, each dropped grant recorded, and owned workspaces pass on.
//!
//! Succession is recorded per workspace (`workspace.owner_succession`, with the heir and its
//! effective-role delta, also told as `access.changed`, or
//! `"no_active_owner": true` when nobody could inherit); it never refuses the SCIM call.

use chrono::{DateTime, Utc};
use org_model::{Grant, GrantSource, ResourceRef};
use rollcall_store::{ActivityChange, ResourceKind, StoreError, StoredResource, Tx};
use serde_json::{Value, json};

use crate::access_delta::{self, AccessScope};
use crate::actor::Actor;
use crate::trail::{self, Author, Entry};

/// Why a user stopped counting as an owner.
#[derive(Debug, Clone, Copy)]
enum Departure {
    Suspended,
    Deleted,
}

impl Departure {
    fn as_str(self) -> &'static str {
        match self {
            Departure::Suspended => "suspended",
            Departure::Deleted => "deleted",
        }
    }
}

/// After a user create: only a user created inactive has anything to follow through (the
/// common create reads nothing more).
pub(crate) fn after_create(
    tx: &mut Tx<'_>,
    actor: &Actor,
    kind: ResourceKind,
    stored: &StoredResource,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if stored.resource.get("active") == Some(&Value::Bool(false)) {
        // Created suspended: nothing was lost, so no transition is recorded.
        after_write(tx, actor, kind, &stored.id, now)?;
    }
    Ok(())
}

/// A transition of a user's lifecycle that a write made, recorded by its own type besides
/// the write's record (PRODUCT.md §6), so "when did Ann lose access" is one query whatever
/// the wire form was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    /// `active` turned off: suspended.
    Deactivated,
    /// `active` turned on again.
    Reactivated,
    /// Deleted (a tombstone).
    Deleted,
}

impl Transition {
    /// The record's operation: `user.deactivated`, `user.reactivated`, `user.deleted`.
    pub(crate) fn operation(self) -> &'static str {
        match self {
            Transition::Deactivated => "user.deactivated",
            Transition::Reactivated => "user.reactivated",
            Transition::Deleted => "user.deleted",
        }
    }
}

/// After a user write (replace, patch; a create through [`after_create`]) of resource
/// `id`: follow a suspension or a reactivation through, and say which it was. Groups need
/// nothing.
pub(crate) fn after_write(
    tx: &mut Tx<'_>,
    actor: &Actor,
    kind: ResourceKind,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Transition>, StoreError> {
    if kind != ResourceKind::User {
        return Ok(None);
    }
    let org = actor.org_id.as_str();
    match tx.lifecycle().sync_deactivation(org, id, now)? {
        ActivityChange::Unchanged => Ok(None),
        ActivityChange::Suspended => {
            let owned = tx.lifecycle().owned_workspaces(org, id, now)?;
            hand_over(
                tx,
                actor,
                id,
                &owned,
                Departure::Suspended,
                Orphans::Record,
                now,
            )?;
            Ok(Some(Transition::Deactivated))
        }
        change @ ActivityChange::Reactivated { deactivated_at } => {
            let window = tx.orgs().settings(org)?.reactivation_window_days;
            if !change.outside_window(window, now) {
                return Ok(Some(Transition::Reactivated));
            }
            let reason = json!({
                "reason": "reactivated_outside_window",
                "deactivated_at": deactivated_at.to_rfc3339(),
                "reactivation_window_days": window,
            });
            for grant in tx.lifecycle().drop_manual_grants(org, id)? {
                record_dropped_grant(tx, actor, &grant, &reason, now)?;
            }
            Ok(Some(Transition::Reactivated))
        }
    }
}

/// `DELETE /Users/{id}`: leave a tombstone (with `expected_version`, only over that
/// version), record the grants that went with it and pass on what the user owned.
pub(crate) fn delete_user(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: &str,
    expected_version: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let org = actor.org_id.as_str();
    // Also when the user is inactive: succession ran when it was suspended, but a workspace
    // nobody could inherit then may have an heir now (the org's successor set since).
    let owned = tx.lifecycle().owned_workspaces(org, id, now)?;
    let deleted = tx.lifecycle().delete_user(org, id, expected_version, now)?;
    let reason = json!({"reason": "user_deleted"});
    for grant in &deleted.grants {
        record_dropped_grant(tx, actor, grant, &reason, now)?;
    }
    // A workspace an inactive user leaves without an heir was recorded as having no active
    // owner when it lost its last one; only a hand-over is news.
    let orphans = if deleted.was_active {
        Orphans::Record
    } else {
        Orphans::Skip
    };
    hand_over(tx, actor, id, &owned, Departure::Deleted, orphans, now)
}

/// Whether a workspace nobody can inherit is recorded (`"no_active_owner": true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Orphans {
    Record,
    Skip,
}

/// Pass each of `owned` left without an active owner to the heir, and record it with the
/// heir's effective-role delta (`access`, also told as `access.changed`).
fn hand_over(
    tx: &mut Tx<'_>,
    actor: &Actor,
    leaving: &str,
    owned: &[String],
    departure: Departure,
    orphans: Orphans,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let org = actor.org_id.as_str();
    let actor_name = actor.trail_name();
    // Found once, when the first workspace needs one.
    let mut heir: Option<Option<String>> = None;
    for workspace_id in owned {
        if tx
            .lifecycle()
            .has_active_direct_owner(org, workspace_id, now)?
        {
            continue;
        }
        let heir = match &heir {
            Some(heir) => heir.clone(),
            None => heir.insert(tx.lifecycle().heir(org, leaving)?).clone(),
        };
        if heir.is_none() && orphans == Orphans::Skip {
            continue;
        }
        let scope = heir.clone().map(|heir| AccessScope::UsersOnWorkspace {
            users: vec![heir],
            workspace: workspace_id.clone(),
        });
        let (succession, access) = access_delta::around_if(tx, org, scope, now, |tx| {
            tx.lifecycle()
                .hand_over_workspace(org, workspace_id, heir.as_deref(), &actor_name, now)
        })?;
        let mut detail = match &succession.grant {
            Some(grant) => json!({
                "from": leaving,
                "reason": departure.as_str(),
                "to": grant.principal.id(),
                "grant": grant.id,
                "no_active_owner": false,
            }),
            None => json!({
                "from": leaving,
                "reason": departure.as_str(),
                "to": null,
                "no_active_owner": true,
            }),
        };
        if let Some(access) = access {
            detail["access"] = access;
        }
        let target = format!("workspace:{}", succession.workspace_id);
        let entry = Entry {
            operation: "workspace.owner_succession",
            target: &target,
            status: 200,
            detail: &detail,
        };
        trail::commit(tx, &Author::actor(actor), entry, now)?;
    }
    Ok(())
}

fn record_dropped_grant(
    tx: &mut Tx<'_>,
    actor: &Actor,
    grant: &Grant,
    reason: &Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (resource_type, resource_id) = match &grant.resource {
        ResourceRef::Workspace(id) => ("workspace", id),
        ResourceRef::Folder(id) => ("folder", id),
    };
    let source = match &grant.source {
        GrantSource::Manual { .. } => "manual",
        GrantSource::Rule { .. } => "rule",
    };
    let mut detail = json!({
        "before": {
            "principal": {"type": "user", "id": grant.principal.id()},
            "resource": {"type": resource_type, "id": resource_id},
            "role": grant.role.as_str(),
            "source": source,
        },
        "after": null,
    });
    if let (Some(detail), Some(reason)) = (detail.as_object_mut(), reason.as_object()) {
        detail.extend(reason.clone());
    }
    let target = format!("grant:{}", grant.id);
    let entry = Entry {
        operation: "grant.delete",
        target: &target,
        status: 200,
        detail: &detail,
    };
    trail::append(tx, &Author::actor(actor), entry, now)
}
