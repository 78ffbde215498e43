//! The audit trail of changes made from the command line (PRODUCT.md §6): actor `cli`, no
//! request id, in the transaction of the change; access changes carry their
//! effective-role delta (`"access"`), as the admin API's records do.

use chrono::{DateTime, Utc};
use rollcall_store::{StoreError, Tx};
use serde_json::Value;

/// The actor of every command-line change.
pub const ACTOR: &str = "cli";

/// Append the record of an applied change (and `access.changed` for an access change).
pub fn record(
    tx: &mut Tx<'_>,
    org_id: &str,
    operation: &str,
    target: &str,
    detail: &Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    rollcall_app::record_change(tx, org_id, ACTOR, operation, target, detail, now)
}
