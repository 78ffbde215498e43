//! `GET /admin/v1/audit?since=&until=&actor=&target=&type=&cursor=&limit=` →
//! `{"events": [...], "next_cursor"}` (PRODUCT.md §10): the organization's audit trail in
//! order. `next_cursor` is absent on the last page. Nothing edits or deletes a record.

use chrono::{DateTime, SecondsFormat, Utc};
use rollcall_store::{AuditQuery, AuditRecord};
use serde_json::{Value, json};

use crate::error::Error;
use crate::response::Response;
use crate::surface::call::Call;
use crate::transaction::Access;

/// The default and largest page.
const PAGE: u32 = 100;
const MAX_PAGE: u32 = 1000;

/// A record as the API and `rollcall audit export` show it.
pub(crate) fn record_document(record: &AuditRecord) -> Value {
    json!({
        "id": record.id,
        "seq": record.seq,
        "org": record.org_id,
        "time": record.occurred_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        "actor": record.actor,
        "actor_kind": record.actor_kind,
        "credential": credential(&record.actor, record.actor_kind.as_deref()),
        "type": record.operation,
        "target": record.target,
        "status": record.status,
        "detail": record.detail,
        "request_id": record.request_id,
        // What a third party needs to recompute the record's hash (docs/audit.md).
        "chain": record.chain.as_ref().map(|chain| json!({
            "prev_hash": chain.prev_hash,
            "hash": chain.hash,
            "stored_time": chain.stored_time,
            "stored_detail": chain.stored_detail,
        })),
    })
}

/// Which credential acted, from the actor the trail names: `{"kind", "id"}`, the kind
/// `scim_token` or `admin_token` (or an embedder's prefix) with the credential's id, or
/// `cli` / `system` without one.
fn credential(actor: &str, actor_kind: Option<&str>) -> Value {
    match actor.split_once(':') {
        Some((prefix, id)) => {
            // Records older than `actor_kind` are named by their prefix alone.
            let kind = actor_kind.unwrap_or(match prefix {
                "scim" => "scim_token",
                "admin" => "admin_token",
                other => other,
            });
            json!({"kind": kind, "id": id})
        }
        None => json!({"kind": actor, "id": null}),
    }
}

/// The kinds of target a record names (`<kind>:<id>`).
const TARGET_KINDS: [&str; 14] = [
    "user",
    "group",
    "workspace",
    "folder",
    "grant",
    "rule",
    "schema",
    "scim_token",
    "admin_token",
    "webhook",
    "org",
    "oauth_client",
    "oauth_signing_key",
    "jwt_issuer",
];

/// What `target=` matches: a record's `kind:id` as written, or, for a bare id, that id
/// under any kind (PRODUCT.md §6: "when did Ann lose access" needs no kind).
fn targets(value: &str) -> Vec<String> {
    if value.contains(':') {
        return vec![value.to_owned()];
    }
    let mut targets: Vec<String> = TARGET_KINDS
        .iter()
        .map(|kind| format!("{kind}:{value}"))
        .collect();
    targets.push(value.to_owned());
    targets
}

fn time(text: &str, key: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| Error::invalid_request(format!("{key} must be an RFC 3339 date-time")))
}

/// The query the parameters ask for.
fn query(query: &str) -> Result<AuditQuery, Error> {
    let params = crate::surface::path::query_map(query)?;
    let mut query = AuditQuery {
        limit: PAGE,
        ..AuditQuery::default()
    };
    for (key, value) in params.iter() {
        match key.as_str() {
            "since" => query.since = Some(time(value, key)?),
            "until" => query.until = Some(time(value, key)?),
            "actor" => query.actor = Some(value.clone()),
            "target" => query.targets = targets(value),
            "type" => query.operation = Some(value.clone()),
            "cursor" => {
                query.after = Some(value.parse().map_err(|_| {
                    Error::admin(400, "invalid_cursor", "the cursor is not one of ours")
                })?);
            }
            "limit" => {
                query.limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|limit| (1..=MAX_PAGE).contains(limit))
                    .ok_or_else(|| Error::invalid_request("limit must be 1 to 1000"))?;
            }
            other => {
                return Err(Error::invalid_request(format!(
                    "unknown parameter {other:?}; expected since, until, actor, target, type, cursor, limit"
                )));
            }
        }
    }
    Ok(query)
}

/// `GET /admin/v1/audit`.
pub(crate) async fn list(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let mut query = query(&call.request.query)?;
    let limit = query.limit;
    // One more than the page, to know whether another follows.
    query.limit = limit + 1;
    let mut records = call
        .admin(Access::Read, &credential, move |tx, caller| {
            Ok(tx.audit().query(&caller.org_id, &query)?)
        })
        .await?;
    let more = records.len() > limit as usize;
    records.truncate(limit as usize);
    let events: Vec<Value> = records.iter().map(record_document).collect();
    let mut body = json!({"events": events});
    if more && let Some(last) = records.last() {
        body["next_cursor"] = json!(last.seq.to_string());
    }
    Ok(Response::json(200, &body))
}
