//! The audit trail (PRODUCT.md §6): an append-only record of every change, written by the
//! caller in the transaction of the change it describes, so a rolled-back change leaves no
//! record. Database triggers refuse any UPDATE or DELETE of a record; this module offers
//! neither. Records are read in `seq` order, which is also the cursor of a listing.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;

use crate::org::new_id;
use crate::schema::audit_events;
use crate::sql::{Bind, Sql};
use crate::{StoreError, Tx, timestamp};

/// One record.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// Its position in the trail (increasing).
    pub seq: i64,
    /// Its id.
    pub id: String,
    /// The organization.
    pub org_id: String,
    /// When the change was made.
    pub occurred_at: DateTime<Utc>,
    /// Who made it: `scim:<token id>`, `admin:<token id>`, `cli`.
    pub actor: String,
    /// What was done, e.g. `user.create`, `group.patch`, `grant.delete`.
    pub operation: String,
    /// What it was done to, e.g. `user:<id>`.
    pub target: String,
    /// The HTTP status of the outcome (2xx applied; otherwise the request failed).
    pub status: u16,
    /// The change (`{"before": …, "after": …}` of what changed) or the error.
    pub detail: Value,
    /// The request that made it (its `X-Request-Id`), when it came through the API.
    pub request_id: Option<String>,
}

/// A record to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditRecord<'a> {
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Who (see [`AuditRecord::actor`]).
    pub actor: &'a str,
    /// What.
    pub operation: &'a str,
    /// To what.
    pub target: &'a str,
    /// The outcome's status.
    pub status: u16,
    /// The change or the error.
    pub detail: &'a Value,
    /// The request that made it, if any.
    pub request_id: Option<&'a str>,
}

/// Which records to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only from this time on (inclusive).
    pub since: Option<DateTime<Utc>>,
    /// Only before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only by this actor.
    pub actor: Option<String>,
    /// Only on one of these targets (`user:<id>`, …); all when empty.
    pub targets: Vec<String>,
    /// Only this operation.
    pub operation: Option<String>,
    /// Only after this `seq` (the cursor of the previous page).
    pub after: Option<i64>,
    /// At most this many.
    pub limit: u32,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_events)]
struct AuditRow {
    seq: i64,
    id: String,
    org_id: String,
    occurred_at: String,
    actor: String,
    operation: String,
    target: String,
    status: i32,
    detail: String,
    request_id: Option<String>,
}

/// A record kept aside until the commit (SQLite; see [`Tx::flush_audit`]).
#[derive(Debug)]
pub(crate) struct PendingAudit {
    id: String,
    org_id: String,
    occurred_at: String,
    actor: String,
    operation: String,
    target: String,
    status: i32,
    detail: String,
    request_id: Option<String>,
}

impl<'c> Tx<'c> {
    /// The audit trail: append, read, and the figures of the health report.
    pub fn audit(&mut self) -> Audit<'_, 'c> {
        Audit { tx: self }
    }
}

/// The audit trail, in a transaction ([`Tx::audit`]).
#[derive(Debug)]
pub struct Audit<'t, 'c> {
    pub(crate) tx: &'t mut Tx<'c>,
}

impl Audit<'_, '_> {
    /// Append a record for the organization, in this transaction: it commits with the
    /// change or not at all. On SQLite the row is written just before the commit, with
    /// every other record of the transaction (a group-commit batch: of all its jobs) in one
    /// statement; reading the trail in the same transaction does not see it yet.
    pub fn record(&mut self, org_id: &str, record: &NewAuditRecord<'_>) -> Result<(), StoreError> {
        if self.tx.backend == crate::Backend::Sqlite {
            self.tx.pending_audit.push(PendingAudit {
                id: new_id(),
                org_id: org_id.to_owned(),
                occurred_at: timestamp::to_db(record.occurred_at),
                actor: record.actor.to_owned(),
                operation: record.operation.to_owned(),
                target: record.target.to_owned(),
                status: i32::from(record.status),
                detail: serde_json::to_string(record.detail)?,
                request_id: record.request_id.map(str::to_owned),
            });
            return Ok(());
        }
        diesel::insert_into(audit_events::table)
            .values((
                audit_events::id.eq(new_id()),
                audit_events::org_id.eq(org_id),
                audit_events::occurred_at.eq(timestamp::to_db(record.occurred_at)),
                audit_events::actor.eq(record.actor),
                audit_events::operation.eq(record.operation),
                audit_events::target.eq(record.target),
                audit_events::status.eq(i32::from(record.status)),
                audit_events::detail.eq(serde_json::to_string(record.detail)?),
                audit_events::request_id.eq(record.request_id),
            ))
            .execute(self.tx.conn)?;
        Ok(())
    }

    /// The organization's records matching `query`, in trail order.
    pub fn query(
        &mut self,
        org_id: &str,
        query: &AuditQuery,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut select = audit_events::table
            .filter(audit_events::org_id.eq(org_id))
            .order(audit_events::seq)
            .limit(i64::from(query.limit))
            .select(AuditRow::as_select())
            .into_boxed();
        if let Some(after) = query.after {
            select = select.filter(audit_events::seq.gt(after));
        }
        if let Some(since) = query.since {
            select = select.filter(audit_events::occurred_at.ge(timestamp::to_db(since)));
        }
        if let Some(until) = query.until {
            select = select.filter(audit_events::occurred_at.lt(timestamp::to_db(until)));
        }
        if let Some(actor) = &query.actor {
            select = select.filter(audit_events::actor.eq(actor.clone()));
        }
        if !query.targets.is_empty() {
            select = select.filter(audit_events::target.eq_any(query.targets.clone()));
        }
        if let Some(operation) = &query.operation {
            select = select.filter(audit_events::operation.eq(operation.clone()));
        }
        select
            .load(self.tx.conn)?
            .into_iter()
            .map(|row| {
                Ok(AuditRecord {
                    seq: row.seq,
                    id: row.id,
                    org_id: row.org_id,
                    occurred_at: timestamp::from_db(&row.occurred_at)?,
                    actor: row.actor,
                    operation: row.operation,
                    target: row.target,
                    status: u16::try_from(row.status).unwrap_or(500),
                    detail: serde_json::from_str(&row.detail)?,
                    request_id: row.request_id,
                })
            })
            .collect()
    }
}

impl Tx<'_> {
    /// Append the records kept aside (SQLite), just before the commit: multi-row inserts of
    /// up to 32 rows (`batch_sizes`), each shape prepared once per connection.
    pub(crate) fn flush_audit(&mut self) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut self.pending_audit);
        let mut records = pending.into_iter();
        for size in crate::sql::batch_sizes(records.len()) {
            let mut insert = Sql::new(self.backend);
            insert.cacheable().push(
                "INSERT INTO audit_events (id, org_id, occurred_at, actor, operation, target, \
                 status, detail, request_id) VALUES ",
            );
            for (k, record) in records.by_ref().take(size).enumerate() {
                insert.push(if k == 0 { "(" } else { ", (" });
                for text in [
                    record.id,
                    record.org_id,
                    record.occurred_at,
                    record.actor,
                    record.operation,
                    record.target,
                ] {
                    insert.push_bind(Bind::Text(text)).push(", ");
                }
                insert
                    .push_bind(Bind::BigInt(i64::from(record.status)))
                    .push(", ");
                insert.push_bind(Bind::Text(record.detail)).push(", ");
                insert
                    .push_bind(Bind::OptionalText(record.request_id))
                    .push(")");
            }
            insert.execute(self.conn)?;
        }
        Ok(())
    }
}
