//! Appending the events of a SCIM write to the outbox, in the write's transaction.
//! `provisioning/` calls these; the event types and their data are documented in `mod.rs`.
//!
//! Member changes are reported exactly: the group's member ids are read before the write
//! and again after it ([`members_before`], then [`emit_updated`]), either only the ids the
//! PATCH names (adds and removes by id: cost proportional to the change) or, for a PUT or a
//! filtered remove, all of them (cost proportional to the group, like the write itself).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rollcall_store::{MemberDelta, NewEvent, ResourceKind, StoreError, StoredResource, Tx};
use scim_core::patch::MemberChange;
use serde_json::{Map, Value, json};

/// A group's members as read before a write: which ids were looked at, and which of them
/// were members.
#[derive(Debug)]
pub(crate) struct MembersBefore {
    /// `None`: every member was read.
    among: Option<Vec<String>>,
    members: BTreeSet<String>,
}

impl MembersBefore {
    /// The members read.
    pub(crate) fn members(&self) -> &BTreeSet<String> {
        &self.members
    }
}

/// Read what a write of group `id` may change among its members: for a PUT (`changes:
/// None`) every member, for a PATCH the ids it names (every member when it removes by
/// filter or all). `None` for users and for PATCHes without member changes.
pub(crate) fn members_before(
    tx: &mut Tx<'_>,
    org_id: &str,
    kind: ResourceKind,
    id: &str,
    changes: Option<&[MemberChange]>,
) -> Result<Option<MembersBefore>, StoreError> {
    if kind != ResourceKind::Group {
        return Ok(None);
    }
    let among = match changes {
        None => None,
        Some([]) => return Ok(None),
        Some(changes) => touched_ids(changes),
    };
    let members = tx
        .members()
        .group_member_ids(org_id, id, among.as_deref())?;
    Ok(Some(MembersBefore { among, members }))
}

/// The ids a list of member changes names, or `None` when one of them reaches members
/// by filter (or all of them).
fn touched_ids(changes: &[MemberChange]) -> Option<Vec<String>> {
    let mut ids = BTreeSet::new();
    for change in changes {
        match change {
            MemberChange::Add(members) => {
                ids.extend(members.iter().map(|member| member.value.clone()));
            }
            MemberChange::Remove(removed) => ids.extend(removed.iter().cloned()),
            _ => return None,
        }
    }
    Some(ids.into_iter().collect())
}

/// The events of a created resource.
pub(crate) fn emit_created(
    tx: &mut Tx<'_>,
    org_id: &str,
    kind: ResourceKind,
    stored: &StoredResource,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let resource = &stored.resource;
    match kind {
        ResourceKind::User => {
            let mut data = summary(kind, &stored.id, resource);
            data.insert("active".to_owned(), json!(is_active(resource)));
            if let Some(external_id) = resource.get("externalId") {
                data.insert("externalId".to_owned(), external_id.clone());
            }
            emit(tx, org_id, "user.created", Value::Object(data), now)
        }
        ResourceKind::Group => {
            let mut data = summary(kind, &stored.id, resource);
            if let Some(external_id) = resource.get("externalId") {
                data.insert("externalId".to_owned(), external_id.clone());
            }
            emit(tx, org_id, "group.created", Value::Object(data), now)?;
            let members = tx.members().group_member_ids(org_id, &stored.id, None)?;
            emit_members(tx, org_id, &stored.id, "group.member_added", members, now)
        }
    }
}

/// The events of a replaced or patched resource: `*.updated` with the names of the
/// top-level attributes that changed, a user's `user.deactivated` / `user.reactivated`
/// when `active` flipped, and a group's member changes against `members_before`.
pub(crate) fn emit_updated(
    tx: &mut Tx<'_>,
    org_id: &str,
    kind: ResourceKind,
    before: &Value,
    after: &StoredResource,
    members_before: Option<MembersBefore>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let id = after.id.as_str();
    let changed = changed_attributes(before, &after.resource);
    if !changed.is_empty() {
        let mut data = summary(kind, id, &after.resource);
        if kind == ResourceKind::User {
            data.insert("active".to_owned(), json!(is_active(&after.resource)));
        }
        data.insert("changed".to_owned(), json!(changed));
        let event_type = match kind {
            ResourceKind::User => "user.updated",
            ResourceKind::Group => "group.updated",
        };
        emit(tx, org_id, event_type, Value::Object(data), now)?;
    }
    if kind == ResourceKind::User {
        let lifecycle = match (is_active(before), is_active(&after.resource)) {
            (true, false) => Some("user.deactivated"),
            (false, true) => Some("user.reactivated"),
            _ => None,
        };
        if let Some(event_type) = lifecycle {
            let data = summary(kind, id, &after.resource);
            emit(tx, org_id, event_type, Value::Object(data), now)?;
        }
    }
    if let Some(members_before) = members_before {
        let after_members =
            tx.members()
                .group_member_ids(org_id, id, members_before.among.as_deref())?;
        let added = after_members
            .difference(&members_before.members)
            .cloned()
            .collect();
        let removed = members_before
            .members
            .difference(&after_members)
            .cloned()
            .collect();
        emit_members(tx, org_id, id, "group.member_added", added, now)?;
        emit_members(tx, org_id, id, "group.member_removed", removed, now)?;
    }
    Ok(())
}

/// The event of a deleted resource.
pub(crate) fn emit_deleted(
    tx: &mut Tx<'_>,
    org_id: &str,
    kind: ResourceKind,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let event_type = match kind {
        ResourceKind::User => "user.deleted",
        ResourceKind::Group => "group.deleted",
    };
    emit(tx, org_id, event_type, json!({"id": id}), now)
}

/// The member events of a group PATCH from what its statements did (`MemberDelta`).
pub(crate) fn emit_member_delta(
    tx: &mut Tx<'_>,
    org_id: &str,
    group_id: &str,
    delta: &MemberDelta,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    emit_members(
        tx,
        org_id,
        group_id,
        "group.member_added",
        delta.added.clone(),
        now,
    )?;
    emit_members(
        tx,
        org_id,
        group_id,
        "group.member_removed",
        delta.removed.clone(),
        now,
    )
}

/// A deleted user or group left `groups`: one `group.member_removed` for each.
pub(crate) fn emit_left_groups(
    tx: &mut Tx<'_>,
    org_id: &str,
    member: &str,
    groups: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for group in groups {
        let members = BTreeSet::from([member.to_owned()]);
        emit_members(tx, org_id, group, "group.member_removed", members, now)?;
    }
    Ok(())
}

fn emit_members(
    tx: &mut Tx<'_>,
    org_id: &str,
    group_id: &str,
    event_type: &str,
    members: BTreeSet<String>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if members.is_empty() {
        return Ok(());
    }
    let data = json!({"group_id": group_id, "members": members});
    emit(tx, org_id, event_type, data, now)
}

/// Emit `access.changed` for a change recorded in the audit trail as `cause` on `target`
/// whose record holds the effective-role delta `access` (an array of
/// `{"user", "resource", "before", "after"}`); nothing when the delta is empty or absent.
/// For embedders and the command line, which record their own changes.
pub fn access_changed(
    tx: &mut Tx<'_>,
    org_id: &str,
    cause: &str,
    target: &str,
    access: Option<&Value>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(changes) = access.filter(|changes| changes.as_array().is_some_and(|a| !a.is_empty()))
    else {
        return Ok(());
    };
    let data = json!({"cause": cause, "target": target, "changes": changes});
    tx.outbox()
        .emit(
            org_id,
            &NewEvent {
                event_type: "access.changed",
                occurred_at: now,
                data: &data,
            },
        )
        .map(drop)
}

fn emit(
    tx: &mut Tx<'_>,
    org_id: &str,
    event_type: &str,
    data: Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.outbox()
        .emit(
            org_id,
            &NewEvent {
                event_type,
                occurred_at: now,
                data: &data,
            },
        )
        .map(drop)
}

/// `{"id", "userName"}` or `{"id", "displayName"}`.
fn summary(kind: ResourceKind, id: &str, resource: &Value) -> Map<String, Value> {
    let name = match kind {
        ResourceKind::User => "userName",
        ResourceKind::Group => "displayName",
    };
    let mut data = Map::new();
    data.insert("id".to_owned(), json!(id));
    data.insert(
        name.to_owned(),
        resource.get(name).cloned().unwrap_or(Value::Null),
    );
    data
}

/// A user without `active` counts as active.
fn is_active(resource: &Value) -> bool {
    resource.get("active").and_then(Value::as_bool) != Some(false)
}

/// The top-level attributes (extension URNs included) whose values differ, in order;
/// server-kept ones (`id`, `meta`, `schemas`, a user's `groups`, a group's `members`)
/// aside.
fn changed_attributes(before: &Value, after: &Value) -> Vec<String> {
    const IGNORED: &[&str] = &["id", "meta", "schemas", "groups", "members"];
    let empty = Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let mut names: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|name| !IGNORED.contains(&name.as_str()))
        .filter(|name| before.get(name.as_str()) != after.get(name.as_str()))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_attributes_name_what_differs() {
        let cases = [
            (json!({"userName": "a"}), json!({"userName": "a"}), vec![]),
            (
                json!({"userName": "a", "active": true, "meta": {"version": "W/\"1\""}}),
                json!({"userName": "a", "active": false, "meta": {"version": "W/\"2\""}}),
                vec!["active"],
            ),
            (
                json!({"userName": "a", "title": "x"}),
                json!({"userName": "b", "nickName": "n"}),
                vec!["nickName", "title", "userName"],
            ),
            (
                json!({"displayName": "g", "members": [{"value": "1"}]}),
                json!({"displayName": "g", "members": []}),
                vec![],
            ),
        ];
        for (before, after, expected) in cases {
            assert_eq!(
                changed_attributes(&before, &after),
                expected,
                "{before} → {after}"
            );
        }
    }

    #[test]
    fn absent_active_is_active() {
        for (resource, active) in [
            (json!({}), true),
            (json!({"active": true}), true),
            (json!({"active": false}), false),
        ] {
            assert_eq!(is_active(&resource), active, "{resource}");
        }
    }
}
