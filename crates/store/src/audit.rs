//! The audit trail (PRODUCT.md §6): an append-only record of every change, written by the
//! caller in the transaction of the change it describes, so a rolled-back change leaves no
//! record. Database triggers refuse any UPDATE or DELETE of a record; this module offers
//! neither. Records are read in `seq` order, which is also the cursor of a listing.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;

use std::collections::{BTreeSet, HashMap};

use crate::audit_chain::{ChainReport, Stored, Verifier, link};
use crate::erasure;
use crate::org::new_id;
use crate::schema::{audit_events, audit_heads, audit_prune_permits};
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
    /// The kind of credential behind `actor` (`scim_token`, `jwt`, `oauth_client`,
    /// `admin_token`, …); `None` for `cli` and `system`, and on older records.
    pub actor_kind: Option<String>,
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
    /// Where it sits in its organization's hash chain, and what the chain covers of it as
    /// stored (`None` on records older than the chain).
    pub chain: Option<ChainLink>,
}

/// A record's place in its organization's hash chain (`audit_chain.rs`), with the stored
/// forms of the fields that differ from how [`AuditRecord`] shows them: what a third party
/// needs to recompute `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    /// The hash of the organization's previous record (`""` before the first).
    pub prev_hash: String,
    /// This record's hash.
    pub hash: String,
    /// `occurred_at` as stored.
    pub stored_time: String,
    /// `detail` as stored (JSON text).
    pub stored_detail: String,
}

/// A record to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditRecord<'a> {
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Who (see [`AuditRecord::actor`]).
    pub actor: &'a str,
    /// The kind of credential behind it (see [`AuditRecord::actor_kind`]).
    pub actor_kind: Option<&'a str>,
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
    /// The user whose personal values `detail` holds (a user record's `before`/`after`, a
    /// failed user write's error), sealed under their data key (`erasure.rs`).
    pub subject: Option<&'a str>,
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
    prev_hash: Option<String>,
    hash: Option<String>,
    actor_kind: Option<String>,
}

/// A record kept aside until the commit (see [`Tx::flush_audit`]).
#[derive(Debug)]
pub(crate) struct PendingAudit {
    id: String,
    org_id: String,
    occurred_at: String,
    actor: String,
    actor_kind: Option<String>,
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
    /// change or not at all. The row is written just before the commit, linked into the
    /// organization's hash chain with every other record of the transaction (a
    /// group-commit batch: of all its jobs); reading the trail in the same transaction does
    /// not see it yet.
    pub fn record(&mut self, org_id: &str, record: &NewAuditRecord<'_>) -> Result<(), StoreError> {
        let key = match record.subject {
            Some(user_id) if erasure::has_personal_values(record.detail) => self
                .tx
                .data_key(org_id, user_id, true)?
                .map(|key| (user_id, key)),
            // No user, nothing personal, or an id that names nobody: kept as it is.
            _ => None,
        };
        let detail = match key {
            Some((user_id, key)) => {
                let mut sealed = record.detail.clone();
                erasure::seal(&mut sealed, org_id, user_id, Some(&key));
                serde_json::to_string(&sealed)?
            }
            None => serde_json::to_string(record.detail)?,
        };
        self.tx.pending_audit.push(PendingAudit {
            id: new_id(),
            org_id: org_id.to_owned(),
            occurred_at: timestamp::to_db(record.occurred_at),
            actor: record.actor.to_owned(),
            actor_kind: record.actor_kind.map(str::to_owned),
            operation: record.operation.to_owned(),
            target: record.target.to_owned(),
            status: i32::from(record.status),
            detail,
            request_id: record.request_id.map(str::to_owned),
        });
        Ok(())
    }

    /// Check the organization's hash chain from its first record (or its latest
    /// checkpoint, when retention pruned what came before) to its head, reading the trail
    /// page by page (`audit_chain.rs`).
    pub fn verify(&mut self, org_id: &str) -> Result<ChainReport, StoreError> {
        let (through, hash) = self.anchor(org_id)?;
        let mut verifier = Verifier::starting_at(hash);
        self.walk(org_id, through, None, &mut verifier)?;
        let head: Option<String> = audit_heads::table
            .filter(audit_heads::org_id.eq(org_id))
            .select(audit_heads::last_hash)
            .first(self.tx.conn)
            .optional()?;
        Ok(verifier.finish(head.as_deref()))
    }

    /// Remove the organization's records older than `before` (optional retention,
    /// PRODUCT.md §6), leaving a checkpoint record (`audit.checkpoint`, actor `system`)
    /// that names the last record removed and its hash, from which the chain still
    /// verifies. A chain that does not verify up to there is not pruned (that would destroy
    /// the evidence): [`StoreError::Database`] names the break. `None` when nothing is old
    /// enough.
    pub fn prune(
        &mut self,
        org_id: &str,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Pruned>, StoreError> {
        let last: Option<i64> = audit_events::table
            .filter(audit_events::org_id.eq(org_id))
            .filter(audit_events::occurred_at.lt(timestamp::to_db(before)))
            .select(diesel::dsl::max(audit_events::seq))
            .first(self.tx.conn)?;
        let Some(last) = last else {
            return Ok(None);
        };
        let (through, hash) = self.anchor(org_id)?;
        let mut verifier = Verifier::starting_at(hash);
        self.walk(org_id, through, Some(last), &mut verifier)?;
        let report = verifier.report();
        if let Some(broken) = report.first_break {
            return Err(StoreError::Database(format!(
                "the audit chain of organization {org_id} breaks at seq {}: {}; nothing pruned",
                broken.seq.unwrap_or_default(),
                broken.reason
            )));
        }
        diesel::insert_into(audit_prune_permits::table)
            .values(audit_prune_permits::org_id.eq(org_id))
            .execute(self.tx.conn)?;
        let removed = diesel::delete(
            audit_events::table
                .filter(audit_events::org_id.eq(org_id))
                .filter(audit_events::seq.le(last)),
        )
        .execute(self.tx.conn)?;
        diesel::delete(audit_prune_permits::table.filter(audit_prune_permits::org_id.eq(org_id)))
            .execute(self.tx.conn)?;
        let detail = serde_json::json!({
            "through_seq": last,
            "hash": report.last_hash,
            "pruned": removed,
            "older_than": timestamp::to_db(before),
        });
        self.record(
            org_id,
            &NewAuditRecord {
                occurred_at: now,
                actor: "system",
                actor_kind: None,
                operation: CHECKPOINT,
                target: &format!("org:{org_id}"),
                status: 200,
                detail: &detail,
                request_id: None,
                subject: None,
            },
        )?;
        Ok(Some(Pruned {
            records: u64::try_from(removed).unwrap_or_default(),
            through_seq: last,
        }))
    }

    /// Where the organization's chain starts: after the latest checkpoint's last pruned
    /// record, with its hash; `(0, "")` without one.
    fn anchor(&mut self, org_id: &str) -> Result<(i64, String), StoreError> {
        let detail: Option<String> = audit_events::table
            .filter(audit_events::org_id.eq(org_id))
            .filter(audit_events::operation.eq(CHECKPOINT))
            .order(audit_events::seq.desc())
            .select(audit_events::detail)
            .first(self.tx.conn)
            .optional()?;
        let Some(detail) = detail else {
            return Ok((0, String::new()));
        };
        // A checkpoint that does not read as one anchors nothing: the walk from the start
        // then breaks at the first record, which names the problem.
        let detail: Value = serde_json::from_str(&detail).unwrap_or_default();
        Ok((
            detail["through_seq"].as_i64().unwrap_or_default(),
            detail["hash"].as_str().unwrap_or_default().to_owned(),
        ))
    }

    /// Feed the organization's records after `after` (up to `until`, inclusive) to
    /// `verifier`, page by page in `seq` order.
    fn walk(
        &mut self,
        org_id: &str,
        mut after: i64,
        until: Option<i64>,
        verifier: &mut Verifier,
    ) -> Result<(), StoreError> {
        loop {
            let mut select = audit_events::table
                .filter(audit_events::org_id.eq(org_id))
                .filter(audit_events::seq.gt(after))
                .order(audit_events::seq)
                .limit(VERIFY_PAGE)
                .select(AuditRow::as_select())
                .into_boxed();
            if let Some(until) = until {
                select = select.filter(audit_events::seq.le(until));
            }
            let rows: Vec<AuditRow> = select.load(self.tx.conn)?;
            for row in &rows {
                verifier.feed(
                    row.seq,
                    &row.stored(),
                    (row.prev_hash.as_deref(), row.hash.as_deref()),
                );
            }
            match rows.last() {
                Some(last) if rows.len() == VERIFY_PAGE as usize => after = last.seq,
                _ => return Ok(()),
            }
        }
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
        let rows: Vec<AuditRow> = select.load(self.tx.conn)?;
        let mut keys = HashMap::new();
        rows.into_iter()
            .map(|row| {
                let chain = match (&row.prev_hash, &row.hash) {
                    (Some(prev_hash), Some(hash)) => Some(ChainLink {
                        prev_hash: prev_hash.clone(),
                        hash: hash.clone(),
                        stored_time: row.occurred_at.clone(),
                        stored_detail: row.detail.clone(),
                    }),
                    _ => None,
                };
                let mut detail: Value = serde_json::from_str(&row.detail)?;
                if erasure::is_sealed(&row.detail) {
                    erasure::open(self.tx, &row.org_id, &mut detail, &mut keys)?;
                }
                Ok(AuditRecord {
                    seq: row.seq,
                    id: row.id,
                    org_id: row.org_id,
                    occurred_at: timestamp::from_db(&row.occurred_at)?,
                    actor: row.actor,
                    actor_kind: row.actor_kind,
                    operation: row.operation,
                    target: row.target,
                    status: u16::try_from(row.status).unwrap_or(500),
                    detail,
                    request_id: row.request_id,
                    chain,
                })
            })
            .collect()
    }
}

impl AuditRow {
    fn stored(&self) -> Stored<'_> {
        Stored {
            id: &self.id,
            org_id: &self.org_id,
            occurred_at: &self.occurred_at,
            actor: &self.actor,
            actor_kind: self.actor_kind.as_deref(),
            operation: &self.operation,
            target: &self.target,
            status: i64::from(self.status),
            detail: &self.detail,
            request_id: self.request_id.as_deref(),
        }
    }
}

impl PendingAudit {
    fn stored(&self) -> Stored<'_> {
        Stored {
            id: &self.id,
            org_id: &self.org_id,
            occurred_at: &self.occurred_at,
            actor: &self.actor,
            actor_kind: self.actor_kind.as_deref(),
            operation: &self.operation,
            target: &self.target,
            status: i64::from(self.status),
            detail: &self.detail,
            request_id: self.request_id.as_deref(),
        }
    }
}

/// The operation of a retention checkpoint.
pub const CHECKPOINT: &str = "audit.checkpoint";

/// What a prune removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    /// How many records.
    pub records: u64,
    /// The `seq` of the last one.
    pub through_seq: i64,
}

/// Records read per page when a chain is verified.
const VERIFY_PAGE: i64 = 1000;

#[derive(QueryableByName)]
struct HeadRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    last_hash: String,
}

impl Tx<'_> {
    /// Append the records kept aside, just before the commit, each linked into its
    /// organization's hash chain: the organizations' heads taken (on PostgreSQL locked to
    /// the commit, in id order so that two transactions cannot wait on each other), the
    /// links computed in the order the records were made, then multi-row inserts of up to
    /// 32 rows (`batch_sizes`, each shape prepared once per connection) and the new heads.
    pub(crate) fn flush_audit(&mut self) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut self.pending_audit);
        if pending.is_empty() {
            return Ok(());
        }
        let orgs: BTreeSet<&str> = pending
            .iter()
            .map(|record| record.org_id.as_str())
            .collect();
        let mut heads: HashMap<String, String> = HashMap::with_capacity(orgs.len());
        for org_id in orgs {
            let head = self.take_audit_head(org_id)?;
            heads.insert(org_id.to_owned(), head);
        }
        let mut linked: Vec<(PendingAudit, String, String)> = Vec::with_capacity(pending.len());
        for record in pending {
            let head = heads.entry(record.org_id.clone()).or_default();
            let hash = link(head, &record.stored());
            let prev_hash = std::mem::replace(head, hash.clone());
            linked.push((record, prev_hash, hash));
        }
        let mut records = linked.into_iter();
        for size in crate::sql::batch_sizes(records.len()) {
            let mut insert = Sql::new(self.backend);
            insert.cacheable().push(
                "INSERT INTO audit_events (id, org_id, occurred_at, actor, operation, target, \
                 status, detail, request_id, prev_hash, hash, actor_kind) VALUES ",
            );
            for (k, (record, prev_hash, hash)) in records.by_ref().take(size).enumerate() {
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
                    .push(", ");
                insert.push_bind(Bind::Text(prev_hash)).push(", ");
                insert.push_bind(Bind::Text(hash)).push(", ");
                insert
                    .push_bind(Bind::OptionalText(record.actor_kind))
                    .push(")");
            }
            insert.execute(self.conn)?;
        }
        for (org_id, last_hash) in heads {
            let mut update = Sql::new(self.backend);
            update
                .cacheable()
                .push("UPDATE audit_heads SET last_hash = ");
            update
                .push_bind(Bind::Text(last_hash))
                .push(" WHERE org_id = ");
            update.push_bind(Bind::Text(org_id));
            update.execute(self.conn)?;
        }
        Ok(())
    }

    /// The hash of the organization's latest record (`""`: none yet), its head row made if
    /// missing and, on PostgreSQL, locked until the end of the transaction. Heads are
    /// always locked in this order: an organization's audit head before its outbox head
    /// (`outbox.rs`), so two transactions cannot wait on each other for them.
    pub(crate) fn take_audit_head(&mut self, org_id: &str) -> Result<String, StoreError> {
        let mut head = Sql::new(self.backend);
        head.cacheable()
            .push("INSERT INTO audit_heads (org_id, last_hash) VALUES (");
        head.push_bind(Bind::Text(org_id.to_owned())).push(
            ", '') ON CONFLICT (org_id) DO UPDATE SET last_hash = audit_heads.last_hash \
             RETURNING last_hash",
        );
        Ok(head
            .optional::<HeadRow>(self.conn)?
            .map(|row| row.last_hash)
            .unwrap_or_default())
    }
}
