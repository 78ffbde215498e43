//! Appending the audit trail (PRODUCT.md §6): who changed what, when, with which request,
//! and what it did to anyone's effective role.
//!
//! - Every applied change records itself in the change's own transaction, through
//!   [`commit`]: the record (actor, operation such as `user.create` or `grant.delete`,
//!   target such as `user:<id>`, status, the before/after of what changed, and `"access"`,
//!   the effective-role delta, for access changes) and, when that delta is not empty, the
//!   `access.changed` event. A rolled-back change leaves nothing.
//! - A failed write request of a known actor is recorded with its error ([`failure`]):
//!   after the fact in a transaction of its own, or, for a failed operation of a bulk
//!   request, in the request's transaction outside the operation's rolled-back savepoint.
//! - A change made outside any request (the command line, a background job) is recorded
//!   with [`record_change`], actor `cli` or `system`.
//!
//! Reads are not recorded, and a request whose credential fails leaves no record (there is
//! no organization to put it in).

use std::borrow::Cow;
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rollcall_store::{NewAuditRecord, ResourceKind, StoreError, Tx};
use scim_core::patch::MemberChange;
use scim_core::schema::ResourceType;
use scim_core::{SchemaRegistry, redact_never_returned};
use serde_json::{Map, Value, json};

use crate::actor::Actor;
use crate::api::Api;
use crate::error::Error;

/// Who a record names: a request's actor (with the request's id), or a name such as `cli`
/// or `system` in an organization.
#[derive(Debug, Clone)]
pub(crate) struct Author<'a> {
    org_id: &'a str,
    name: Cow<'a, str>,
    kind: Option<&'static str>,
    request_id: Option<&'a str>,
}

impl<'a> Author<'a> {
    /// A request's actor.
    pub(crate) fn actor(actor: &'a Actor) -> Author<'a> {
        Author {
            org_id: &actor.org_id,
            name: Cow::Owned(actor.trail_name()),
            kind: Some(actor.credential_kind.name()),
            request_id: actor.request_id.as_deref(),
        }
    }

    /// A client that failed to authenticate as a credential of `org_id` of `kind`
    /// (`unauthenticated`, e.g. an OAuth client with a wrong secret).
    pub(crate) fn unauthenticated(
        org_id: &'a str,
        kind: &'static str,
        request_id: Option<&'a str>,
    ) -> Author<'a> {
        Author {
            org_id,
            name: Cow::Borrowed("unauthenticated"),
            kind: Some(kind),
            request_id,
        }
    }

    /// A named actor of `org_id` outside any request.
    pub(crate) fn named(org_id: &'a str, name: &'a str) -> Author<'a> {
        Author {
            org_id,
            name: Cow::Borrowed(name),
            kind: None,
            request_id: None,
        }
    }
}

/// What a record says happened.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry<'a> {
    /// `user.create`, `grant.delete`, …
    pub(crate) operation: &'a str,
    /// `user:<id>`, `workspace:<id>`, …
    pub(crate) target: &'a str,
    /// The status answered (200 for changes outside a request).
    pub(crate) status: u16,
    /// `{"before", "after"}`, `"access"`, `"error"`, …
    pub(crate) detail: &'a Value,
}

/// `user` or `group`.
pub(crate) fn noun(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::User => "user",
        ResourceKind::Group => "group",
    }
}

/// Append one record, and nothing else. A record about a user (`user:<id>`) holds that
/// user's personal values sealed under their data key, so the purge can erase them
/// (PRODUCT.md §6; the store's `erasure.rs`).
pub(crate) fn append(
    tx: &mut Tx<'_>,
    author: &Author<'_>,
    entry: Entry<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.audit().record(
        author.org_id,
        &NewAuditRecord {
            occurred_at: now,
            actor: &author.name,
            actor_kind: author.kind,
            operation: entry.operation,
            target: entry.target,
            status: entry.status,
            detail: entry.detail,
            request_id: author.request_id,
            subject: entry.target.strip_prefix("user:"),
        },
    )
}

/// The tail of every change: its record, and `access.changed` when its detail carries an
/// effective-role delta (`"access"`) that is not empty.
pub(crate) fn commit(
    tx: &mut Tx<'_>,
    author: &Author<'_>,
    entry: Entry<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    append(tx, author, entry, now)?;
    crate::events::access_changed(
        tx,
        author.org_id,
        entry.operation,
        entry.target,
        entry.detail.get("access"),
        now,
    )
}

/// Record a change made outside any request (the command line, a background job) by
/// `actor`, in the change's transaction, and emit `access.changed` when `detail` carries
/// an effective-role delta (`"access"`).
pub fn record_change(
    tx: &mut Tx<'_>,
    org_id: &str,
    actor: &str,
    operation: &str,
    target: &str,
    detail: &Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let entry = Entry {
        operation,
        target,
        status: 200,
        detail,
    };
    commit(tx, &Author::named(org_id, actor), entry, now)
}

/// A failed write as recorded: its operation and target, its error (as the API renders
/// it), and `extra` (a bulk operation's `bulk`: where it was in the request).
#[derive(Debug, Clone)]
pub(crate) struct Failed<'a> {
    /// `user.create`, `workspace.delete`, …
    pub(crate) operation: &'a str,
    /// `user:<id>`, or the kind alone for a failed creation.
    pub(crate) target: &'a str,
    /// Why it failed.
    pub(crate) error: &'a Error,
    /// One more field of the detail.
    pub(crate) extra: Option<(&'a str, Value)>,
}

/// Record a failed write of `api` by `actor`.
pub(crate) fn failure(
    tx: &mut Tx<'_>,
    actor: &Actor,
    api: Api,
    failed: Failed<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut detail = failed.error.trail_detail(api);
    if let Some((key, value)) = failed.extra {
        detail[key] = value;
    }
    // A failed request's path may hold what no database stores alike (a NUL: PostgreSQL
    // refuses it in text): the record names it with U+FFFD instead, on both.
    let target = failed.target.replace('\0', "\u{FFFD}");
    scrub_nul(&mut detail);
    let entry = Entry {
        operation: failed.operation,
        target: &target,
        status: failed.error.status(),
        detail: &detail,
    };
    append(tx, &Author::actor(actor), entry, now)
}

/// Replace every NUL of the strings in `value` (keys included) with U+FFFD.
fn scrub_nul(value: &mut Value) {
    match value {
        Value::String(text) if text.contains('\0') => *text = text.replace('\0', "\u{FFFD}"),
        Value::Array(items) => items.iter_mut().for_each(scrub_nul),
        Value::Object(members) if members.keys().any(|key| key.contains('\0')) => {
            let scrubbed: Map<String, Value> = std::mem::take(members)
                .into_iter()
                .map(|(key, mut member)| {
                    scrub_nul(&mut member);
                    (key.replace('\0', "\u{FFFD}"), member)
                })
                .collect();
            *members = scrubbed;
        }
        Value::Object(members) => members.values_mut().for_each(scrub_nul),
        _ => {}
    }
}

/// The attributes kept in a record: everything but `id`, `meta` and the membership lists.
fn recorded(resource: &Value) -> Map<String, Value> {
    resource
        .as_object()
        .map(|object| {
            object
                .iter()
                .filter(|(key, _)| is_recorded(key))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a top-level attribute is kept in a record.
fn is_recorded(key: &str) -> bool {
    !matches!(key, "id" | "meta" | "members" | "groups")
}

/// `{"after": …}` of a new SCIM resource, what is never returned (`password`) redacted. A
/// user created without `active` is recorded active, as it is (PRODUCT.md §5).
pub(crate) fn created(registry: &SchemaRegistry, rt: &ResourceType, resource: &Value) -> Value {
    let mut after = Value::Object(recorded(resource));
    redact_never_returned(registry, rt, &mut after);
    if let Some(after) = after.as_object_mut() {
        as_lived(rt, after);
    }
    json!({"after": after})
}

/// `{"before": …, "after": null}` of a deleted SCIM resource, as [`created`] records a new
/// one.
pub(crate) fn deleted(registry: &SchemaRegistry, rt: &ResourceType, resource: &Value) -> Value {
    let before = created(registry, rt, resource)
        .get_mut("after")
        .map(Value::take)
        .unwrap_or_default();
    json!({"before": before, "after": null})
}

/// What a resource's attributes mean rather than what was sent: a user without `active`
/// is active (RFC 7643 §4.1.1 leaves the default to the provider; Rollcall's is active).
fn as_lived(rt: &ResourceType, attributes: &mut Map<String, Value>) {
    if rt.id == "User" && !attributes.contains_key("active") {
        attributes.insert("active".to_owned(), Value::Bool(true));
    }
}

/// [`changes`] of a SCIM resource: an attribute that is never returned (`password`) is
/// named when it changed, its values redacted; a user's missing `active` reads `true`.
pub(crate) fn resource_changes(
    registry: &SchemaRegistry,
    rt: &ResourceType,
    before: &Value,
    after: &Value,
) -> Value {
    let lived = |resource: &Value| -> Option<Value> {
        let attributes = resource.as_object()?;
        if rt.id != "User" || attributes.contains_key("active") {
            return None;
        }
        let mut attributes = attributes.clone();
        as_lived(rt, &mut attributes);
        Some(Value::Object(attributes))
    };
    let (lived_before, lived_after) = (lived(before), lived(after));
    let mut detail = changes(
        lived_before.as_ref().unwrap_or(before),
        lived_after.as_ref().unwrap_or(after),
    );
    for side in ["before", "after"] {
        if let Some(attributes) = detail.get_mut(side) {
            redact_never_returned(registry, rt, attributes);
        }
    }
    detail
}

/// `{"before": …, "after": …}` of the top-level attributes that differ.
pub(crate) fn changes(before: &Value, after: &Value) -> Value {
    let empty = Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let mut old = Map::new();
    let mut new = Map::new();
    for (key, value) in before.iter().filter(|(key, _)| is_recorded(key)) {
        if after.get(key) != Some(value) {
            old.insert(key.clone(), value.clone());
            new.insert(key.clone(), after.get(key).cloned().unwrap_or(Value::Null));
        }
    }
    for (key, value) in after.iter().filter(|(key, _)| is_recorded(key)) {
        if !before.contains_key(key) {
            old.insert(key.clone(), Value::Null);
            new.insert(key.clone(), value.clone());
        }
    }
    json!({"before": old, "after": new})
}

/// The members a group gains and loses when its member list is replaced (`POST`, `PUT`),
/// recorded as a PATCH's are: `[{"op": "add", "members"}, {"op": "remove", "members"}]`,
/// each only when not empty, ids sorted.
pub(crate) fn replaced_members(before: &BTreeSet<String>, after: &Value) -> Value {
    let after: BTreeSet<&str> = after
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|member| member.get("value").and_then(Value::as_str))
        .collect();
    let added: Vec<&str> = after
        .iter()
        .copied()
        .filter(|id| !before.contains(*id))
        .collect();
    let removed: Vec<&str> = before
        .iter()
        .map(String::as_str)
        .filter(|id| !after.contains(id))
        .collect();
    let mut changes = Vec::new();
    if !added.is_empty() {
        changes.push(json!({"op": "add", "members": added}));
    }
    if !removed.is_empty() {
        changes.push(json!({"op": "remove", "members": removed}));
    }
    Value::Array(changes)
}

/// The member delta of a group PATCH as recorded.
pub(crate) fn member_changes(changes: &[MemberChange]) -> Value {
    let values = |refs: &[scim_core::patch::MemberRef]| -> Vec<String> {
        refs.iter().map(|member| member.value.clone()).collect()
    };
    Value::Array(
        changes
            .iter()
            .map(|change| match change {
                MemberChange::Add(refs) => json!({"op": "add", "members": values(refs)}),
                MemberChange::Remove(ids) => json!({"op": "remove", "members": ids}),
                MemberChange::RemoveAll => json!({"op": "remove_all"}),
                MemberChange::RemoveWhere(filter) => {
                    json!({"op": "remove_where", "filter": format!("{filter:?}")})
                }
                MemberChange::ReplaceWhere { filter, members } => json!({
                    "op": "replace_where", "filter": format!("{filter:?}"), "members": values(members)
                }),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_name_only_what_differs() {
        let before =
            json!({"id": "1", "userName": "ann", "active": true, "title": "x", "meta": {}});
        let after = json!({"id": "1", "userName": "ann", "active": false, "nickName": "a", "meta": {"v": 2}});
        assert_eq!(
            changes(&before, &after),
            json!({
                "before": {"active": true, "title": "x", "nickName": null},
                "after": {"active": false, "title": null, "nickName": "a"}
            })
        );
    }
}
