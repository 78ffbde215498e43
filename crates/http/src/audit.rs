//! Writing the audit trail (PRODUCT.md §6) for SCIM requests.
//!
//! - Every applied write records itself in its own transaction (`operations.rs` calls
//!   [`record`]): actor `scim:<token id>`, operation (`user.create`, `group.patch`, …),
//!   target (`user:<id>`), status, and the before/after of the top-level attributes that
//!   changed (group member changes as the delta asked for). A rolled-back write leaves
//!   nothing.
//! - A failed write request of an authenticated caller is recorded after the fact, in a
//!   transaction of its own, with its error (the request-log middleware calls
//!   [`record_failure`] with the error `scim_transaction` left in the request). One refused
//!   before its transaction ran is recorded by `early_failure.rs` once its token is
//!   verified.
//!
//! Reads are not recorded, and a request whose token fails leaves no record (no org).

use chrono::{DateTime, Utc};
use rollcall_store::{Authenticated, NewAuditRecord, ResourceKind, StoreError, Tx};

use crate::auth::Caller;
use scim_core::patch::MemberChange;
use scim_core::schema::ResourceType;
use scim_core::{SchemaRegistry, ScimError, redact_never_returned};
use serde_json::{Map, Value, json};

use crate::blocking::{self, Access};
use crate::state::AppState;

/// The error of a failed SCIM request, left in the request's extensions for the log.
#[derive(Debug, Clone)]
pub(crate) struct FailedRequest(pub(crate) ScimError);

/// `user` or `group`.
pub(crate) fn noun(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::User => "user",
        ResourceKind::Group => "group",
    }
}

/// Append the record of an applied write.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record(
    tx: &mut Tx<'_>,
    caller: &Caller,
    kind: ResourceKind,
    verb: &str,
    id: &str,
    status: u16,
    detail: &Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let operation = format!("{}.{verb}", noun(kind));
    let target = format!("{}:{id}", noun(kind));
    let request_id = caller.request_id.as_deref();
    append(
        tx, "scim", caller, request_id, &operation, &target, status, detail, now,
    )?;
    crate::events::access_changed(
        tx,
        &caller.org_id,
        &operation,
        &target,
        detail.get("access"),
        now,
    )
}

/// Append the record of a change made outside any request (the command line, a
/// background job) by `actor`, in the change's transaction, and emit `access.changed` when
/// `detail` carries an effective-role delta (`"access"`).
pub fn record_change(
    tx: &mut Tx<'_>,
    org_id: &str,
    actor: &str,
    operation: &str,
    target: &str,
    detail: &Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.record_audit(
        org_id,
        &NewAuditRecord {
            occurred_at: now,
            actor,
            operation,
            target,
            status: 200,
            detail,
            request_id: None,
        },
    )?;
    crate::events::access_changed(tx, org_id, operation, target, detail.get("access"), now)
}

/// Append the record of a failed operation of a request that goes on (a bulk operation,
/// whose savepoint was rolled back): its own operation, target, status and error, and
/// `bulk`, where it was in the request. In the request's transaction.
pub(crate) fn record_failed_operation(
    tx: &mut Tx<'_>,
    caller: &Caller,
    operation: &str,
    target: &str,
    error: &ScimError,
    bulk: Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let detail = json!({"error": error.to_body(), "bulk": bulk});
    let request_id = caller.request_id.as_deref();
    append(
        tx,
        "scim",
        caller,
        request_id,
        operation,
        target,
        error.status,
        &detail,
        now,
    )
}

/// Append a record by `caller`'s token; `prefix` names the kind of token in the actor
/// (`scim:<id>`, `admin:<id>`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn append(
    tx: &mut Tx<'_>,
    prefix: &str,
    caller: &Authenticated,
    request_id: Option<&str>,
    operation: &str,
    target: &str,
    status: u16,
    detail: &Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let actor = format!("{prefix}:{}", caller.token_id);
    tx.record_audit(
        &caller.org_id,
        &NewAuditRecord {
            occurred_at: now,
            actor: &actor,
            operation,
            target,
            status,
            detail,
            request_id,
        },
    )
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

/// `{"after": …}` of a new SCIM resource, what is never returned (`password`) redacted.
pub(crate) fn created(registry: &SchemaRegistry, rt: &ResourceType, resource: &Value) -> Value {
    let mut after = Value::Object(recorded(resource));
    redact_never_returned(registry, rt, &mut after);
    json!({"after": after})
}

/// [`changes`] of a SCIM resource: an attribute that is never returned (`password`) is
/// named when it changed, its values redacted.
pub(crate) fn resource_changes(
    registry: &SchemaRegistry,
    rt: &ResourceType,
    before: &Value,
    after: &Value,
) -> Value {
    let mut detail = changes(before, after);
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

/// The operation and target of a SCIM write request, from its method and path; `None` for
/// reads (including `POST …/.search`).
pub(crate) fn write_of(method: &str, path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix(crate::response::SCIM_PREFIX)?;
    let segments: Vec<&str> = rest.trim_matches('/').split('/').collect();
    let verb = match method {
        "POST" => "create",
        "PUT" => "replace",
        "PATCH" => "patch",
        "DELETE" => "delete",
        _ => return None,
    };
    match segments.as_slice() {
        ["Bulk"] if verb == "create" => Some(("bulk".to_owned(), "bulk".to_owned())),
        ["Users"] if verb == "create" => Some(("user.create".to_owned(), "user".to_owned())),
        ["Groups"] if verb == "create" => Some(("group.create".to_owned(), "group".to_owned())),
        ["Users", id] if *id != ".search" && verb != "create" => {
            Some((format!("user.{verb}"), format!("user:{id}")))
        }
        ["Groups", id] if *id != ".search" && verb != "create" => {
            Some((format!("group.{verb}"), format!("group:{id}")))
        }
        ["Me"] if verb != "create" => Some((format!("user.{verb}"), "user:me".to_owned())),
        _ => None,
    }
}

/// Record a failed write request of `caller` (a transaction of its own).
pub(crate) async fn record_failure(
    state: &AppState,
    caller: Authenticated,
    request_id: Option<String>,
    operation: String,
    target: String,
    error: ScimError,
) {
    let now = state.now();
    let outcome = blocking::run(state, Access::Write, move |tx| {
        append_failure(
            tx,
            &caller,
            request_id.as_deref(),
            &operation,
            &target,
            &error,
            now,
        )?;
        Ok(())
    })
    .await;
    if let Err(error) = outcome {
        tracing::error!(detail = %error.error.detail, "cannot record a failed request in the audit trail");
    }
}

/// Append the record of `caller`'s failed write request `operation` on `target`, with its
/// error.
pub(crate) fn append_failure(
    tx: &mut Tx<'_>,
    caller: &Authenticated,
    request_id: Option<&str>,
    operation: &str,
    target: &str,
    error: &ScimError,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let detail = json!({"error": error.to_body()});
    append(
        tx,
        "scim",
        caller,
        request_id,
        operation,
        target,
        error.status,
        &detail,
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_named_from_method_and_path() {
        let cases = [
            ("POST", "/scim/v2/Users", Some(("user.create", "user"))),
            (
                "PUT",
                "/scim/v2/Users/u1",
                Some(("user.replace", "user:u1")),
            ),
            (
                "PATCH",
                "/scim/v2/Groups/g1",
                Some(("group.patch", "group:g1")),
            ),
            (
                "DELETE",
                "/scim/v2/Groups/g1",
                Some(("group.delete", "group:g1")),
            ),
            ("POST", "/scim/v2/Bulk", Some(("bulk", "bulk"))),
            ("POST", "/scim/v2/Users/.search", None),
            ("POST", "/scim/v2/.search", None),
            ("GET", "/scim/v2/Users/u1", None),
            ("PATCH", "/admin/v1/org", None),
        ];
        for (method, path, expected) in cases {
            let got = write_of(method, path);
            let expected = expected.map(|(o, t)| (o.to_owned(), t.to_owned()));
            assert_eq!(got, expected, "{method} {path}");
        }
    }

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
