//! Figures over an organization's SCIM writes, read from the audit trail (PRODUCT.md §8,
//! the per-org health report): the trail holds every applied and every failed SCIM write
//! of every instance sharing the database, so these figures hold across instances.
//! SCIM records are those whose actor is `scim:<token id>` and whose operation is a SCIM
//! write request's own (`SCIM_WRITES`); a status of 400 or more is a
//! failure.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::audit::Audit;
use crate::schema::audit_events;
use crate::sql::{Bind, Sql};
use crate::{StoreError, timestamp};

/// The actors of SCIM writes.
const SCIM_ACTORS: &str = "scim:%";

/// The operations of SCIM write requests (a request's own record, applied or failed), not
/// the records a write brings with it (`user.deactivated`, `grant.delete`, succession).
const SCIM_WRITES: [&str; 9] = [
    "user.create",
    "user.replace",
    "user.patch",
    "user.delete",
    "group.create",
    "group.replace",
    "group.patch",
    "group.delete",
    "bulk",
];

/// An organization's SCIM writes over a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimWriteStats {
    /// Writes recorded in the window (applied and failed; each operation of a bulk request
    /// counts on its own).
    pub total: u64,
    /// Those that failed.
    pub failed: u64,
    /// When the last applied SCIM write was made (at any time, not only in the window).
    pub last_applied: Option<DateTime<Utc>>,
}

/// An hour of an organization's SCIM writes ([`Audit::scim_writes_by_hour`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourOfWrites {
    /// The hour's start (UTC).
    pub hour: DateTime<Utc>,
    /// Writes recorded in it, applied and failed.
    pub total: u64,
    /// Those that failed.
    pub failed: u64,
}

#[derive(QueryableByName)]
struct HourRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    hour: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    total: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    failed: i64,
}

/// A failed SCIM write as the health report lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedWrite {
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// The operation (`user.create`, …).
    pub operation: String,
    /// Its target.
    pub target: String,
    /// The status it failed with.
    pub status: u16,
    /// The record's detail: `{"error": …}` (and, for a bulk operation, where it was).
    pub detail: serde_json::Value,
    /// The request that made it.
    pub request_id: Option<String>,
}

impl Audit<'_, '_> {
    /// The organization's SCIM write figures from `since` on.
    pub fn scim_write_stats(
        &mut self,
        org_id: &str,
        since: DateTime<Utc>,
    ) -> Result<ScimWriteStats, StoreError> {
        let since = timestamp::to_db(since);
        let in_window = || {
            audit_events::table
                .filter(audit_events::org_id.eq(org_id))
                .filter(audit_events::occurred_at.ge(since.clone()))
                .filter(audit_events::actor.like(SCIM_ACTORS))
                .filter(audit_events::operation.eq_any(SCIM_WRITES))
        };
        let total: i64 = in_window().count().get_result(self.tx.conn)?;
        let failed: i64 = in_window()
            .filter(audit_events::status.ge(400))
            .count()
            .get_result(self.tx.conn)?;
        // Walked back from the newest record (the trail is in time order), which is
        // usually the answer; never a scan of the whole trail for a MAX.
        let last_applied: Option<String> = audit_events::table
            .filter(audit_events::org_id.eq(org_id))
            .filter(audit_events::actor.like(SCIM_ACTORS))
            .filter(audit_events::operation.eq_any(SCIM_WRITES))
            .filter(audit_events::status.lt(400))
            .order(audit_events::seq.desc())
            .select(audit_events::occurred_at)
            .first(self.tx.conn)
            .optional()?;
        Ok(ScimWriteStats {
            total: u64::try_from(total).unwrap_or(0),
            failed: u64::try_from(failed).unwrap_or(0),
            last_applied: last_applied
                .as_deref()
                .map(timestamp::from_db)
                .transpose()?,
        })
    }

    /// The organization's SCIM writes from `since` on, by hour (UTC), oldest first; hours
    /// without any are left out. One grouped statement over the `(org_id, occurred_at)`
    /// range: stored times are RFC 3339 text, so an hour is their first 13 characters.
    pub fn scim_writes_by_hour(
        &mut self,
        org_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<HourOfWrites>, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select.cacheable().push(
            "SELECT substr(occurred_at, 1, 13) AS hour, CAST(COUNT(*) AS BIGINT) AS total, \
             CAST(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS BIGINT) AS failed \
             FROM audit_events WHERE org_id = ",
        );
        select.push_bind(Bind::Text(org_id.to_owned()));
        select.push(" AND occurred_at >= ");
        select.push_bind(Bind::Text(timestamp::to_db(since)));
        select.push(" AND actor LIKE ");
        select.push_bind(Bind::Text(SCIM_ACTORS.to_owned()));
        select.push(" AND operation IN (");
        for (index, operation) in SCIM_WRITES.iter().enumerate() {
            if index > 0 {
                select.push(", ");
            }
            select.push_bind(Bind::Text((*operation).to_owned()));
        }
        select.push(") GROUP BY substr(occurred_at, 1, 13) ORDER BY hour");
        let rows: Vec<HourRow> = select.load(self.tx.conn)?;
        rows.into_iter()
            .map(|row| {
                Ok(HourOfWrites {
                    hour: timestamp::from_db(&format!("{}:00:00Z", row.hour))?,
                    total: u64::try_from(row.total).unwrap_or(0),
                    failed: u64::try_from(row.failed).unwrap_or(0),
                })
            })
            .collect()
    }

    /// The organization's latest failed SCIM writes from `since` on, newest first, at most
    /// `limit`.
    pub fn failed_scim_writes(
        &mut self,
        org_id: &str,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<FailedWrite>, StoreError> {
        let rows: Vec<(String, String, String, i32, String, Option<String>)> = audit_events::table
            .filter(audit_events::org_id.eq(org_id))
            .filter(audit_events::occurred_at.ge(timestamp::to_db(since)))
            .filter(audit_events::actor.like(SCIM_ACTORS))
            .filter(audit_events::status.ge(400))
            .order((audit_events::occurred_at.desc(), audit_events::seq.desc()))
            .limit(i64::from(limit))
            .select((
                audit_events::occurred_at,
                audit_events::operation,
                audit_events::target,
                audit_events::status,
                audit_events::detail,
                audit_events::request_id,
            ))
            .load(self.tx.conn)?;
        rows.into_iter()
            .map(
                |(occurred_at, operation, target, status, detail, request_id)| {
                    Ok(FailedWrite {
                        occurred_at: timestamp::from_db(&occurred_at)?,
                        operation,
                        target,
                        status: u16::try_from(status).unwrap_or(500),
                        detail: serde_json::from_str(&detail)?,
                        request_id,
                    })
                },
            )
            .collect()
    }
}
