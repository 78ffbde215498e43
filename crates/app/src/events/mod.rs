//! Events (PRODUCT.md §6): what changed, told to whoever embeds or watches Rollcall.
//!
//! Every SCIM write appends its events to the store's transactional outbox in its own
//! transaction (`emit.rs`, called from `provisioning/`), so a write that fails or rolls back
//! emits nothing, and one that commits cannot lose its events. A [`Dispatcher`] polls the
//! outbox and hands each event, at least once and in order per organization, to the
//! in-process [`EventSubscriber`]s it was given and to the organization's webhooks
//! (`POST` of the event's JSON, signed with `X-Rollcall-Signature`; see [`signature`]).
//!
//! An event is `{"id", "type", "org_id", "occurred_at", "data"}` ([`Event::to_json`]);
//! `id` is stable across redeliveries, so consumers deduplicate on it. The types and their
//! `data`:
//!
//! | type | data |
//! |---|---|
//! | `user.created` | `{"id", "userName", "externalId"?, "active"}` |
//! | `user.updated` | `{"id", "userName", "active", "changed": [top-level attribute names]}` |
//! | `user.deactivated` | `{"id", "userName"}`: `active` went to `false` (PUT or PATCH, any dialect form); follows the `user.updated` of the same write |
//! | `user.reactivated` | `{"id", "userName"}`: `active` went back to `true` (a user without `active` counts as active) |
//! | `user.deleted` | `{"id"}` |
//! | `group.created` | `{"id", "displayName", "externalId"?}` (members given at creation follow as `group.member_added`) |
//! | `group.updated` | `{"id", "displayName", "changed": [...]}`: the group's own attributes changed (not only its members) |
//! | `group.deleted` | `{"id"}` |
//! | `group.member_added` | `{"group_id", "members": [ids]}`: the ids that were not members before the write and are after it |
//! | `group.member_removed` | `{"group_id", "members": [ids]}`: the ids that were members before the write and are not after it; a deleted user or group leaves each group it was in with one of these, before its `*.deleted` |
//! | `access.changed` | `{"cause", "target", "changes": [{"user", "resource", "before", "after"}]}`: a change (SCIM, admin API or CLI; `cause` is its audit operation, e.g. `group.patch`, `grant.create`, `user.patch`, or `grant.expire` when a grant's end date passed) changed someone's effective role; `changes` is the effective-role delta its audit record holds |
//!
//! A `PATCH` that changes nothing emits nothing. Deleting a group does not list its own
//! members (its `group.deleted` says they are gone). Bulk operations emit what the same
//! single request would; a failed operation emits nothing.

mod dispatcher;
mod emit;
mod subscriber;
pub(crate) mod webhook;

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use rollcall_store::OutboxEvent;
use serde_json::{Value, json};
use sha2::Sha256;

pub use dispatcher::{Dispatcher, DispatcherConfig, DispatcherHandle};
pub use emit::access_changed;
pub(crate) use emit::{
    emit_created, emit_deleted, emit_left_groups, emit_member_delta, emit_updated, members_before,
};
pub use subscriber::{EventSubscriber, StartAt, SubscriberError};
pub(crate) use webhook::{WebhookHost, private_host, resolve};

/// Every event type Rollcall emits (webhooks may name these, or `*`).
pub const EVENT_TYPES: &[&str] = &[
    "user.created",
    "user.updated",
    "user.deactivated",
    "user.reactivated",
    "user.deleted",
    "group.created",
    "group.updated",
    "group.deleted",
    "group.member_added",
    "group.member_removed",
    "access.changed",
];

/// The header that carries a webhook delivery's signature.
pub const SIGNATURE_HEADER: &str = "X-Rollcall-Signature";

/// One event, as subscribers get it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Event {
    /// Its position in the outbox: increasing, and in commit order within an organization.
    pub seq: i64,
    /// Its id (the same on every redelivery).
    pub id: String,
    /// Its type (one of [`EVENT_TYPES`]).
    pub event_type: String,
    /// The organization.
    pub org_id: String,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// What changed (see the table in the module documentation).
    pub data: Value,
}

impl Event {
    /// The wire form: `{"id", "type", "org_id", "occurred_at", "data"}` (PRODUCT.md §10).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "type": self.event_type,
            "org_id": self.org_id,
            "occurred_at": self.occurred_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            "data": self.data,
        })
    }
}

impl From<OutboxEvent> for Event {
    fn from(event: OutboxEvent) -> Self {
        Event {
            seq: event.seq,
            id: event.id,
            event_type: event.event_type,
            org_id: event.org_id,
            occurred_at: event.occurred_at,
            data: event.data,
        }
    }
}

/// The `X-Rollcall-Signature` value of a delivery: `sha256=<hex HMAC-SHA256 of body with
/// secret>`. A receiver recomputes it over the exact body it got and compares in constant
/// time.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(body);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        }
        Err(_) => String::new(),
    }
}

/// Whether `event_type` is one Rollcall emits.
pub fn is_event_type(event_type: &str) -> bool {
    EVENT_TYPES.contains(&event_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_rfc_4231_hmacs() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_wire_form_has_exactly_the_five_keys() {
        let event = Event {
            seq: 7,
            id: "e1".into(),
            event_type: "user.created".into(),
            org_id: "o1".into(),
            occurred_at: DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
            data: json!({"id": "u1"}),
        };
        assert_eq!(
            event.to_json(),
            json!({"id": "e1", "type": "user.created", "org_id": "o1",
                   "occurred_at": "2026-11-24T10:00:00Z", "data": {"id": "u1"}})
        );
    }
}
