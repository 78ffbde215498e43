//! How long the outbox keeps events. The audit trail is the permanent record; the outbox
//! only has to hold an event until every consumer has it. An event is pruned once it
//! occurred before the retention cutoff **and** every consumer with a cursor for its
//! organization (each webhook, each in-process subscriber that has run for it) has
//! acknowledged it. So a webhook that keeps failing keeps its events, however old, until
//! it succeeds or is deleted; a subscriber that first runs for an organization gets the
//! events still kept.
//!
//! On SQLite `seq` is the rowid, which only keeps growing while the newest row stays
//! (`migrations/sqlite/…_events`): the newest event of the whole outbox is never pruned.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};

use crate::outbox::{Outbox, SeqRow};
use crate::sql::{Bind, Sql};
use crate::{Backend, Store, StoreError, jobs, timestamp};

/// Events considered per statement (and per transaction of [`Store::prune_outbox`]).
const BATCH: u32 = 1000;

#[derive(QueryableByName)]
struct AgeRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    occurred_at: String,
}

impl Outbox<'_, '_> {
    /// Remove up to `limit` of the organization's oldest events that occurred before
    /// `before` and that every consumer with a cursor for the organization has
    /// acknowledged (see the module documentation); how many. Oldest first: it stops at the
    /// first event that must stay.
    pub fn prune(
        &mut self,
        org_id: &str,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<usize, StoreError> {
        let mut acknowledged = Sql::new(self.tx.backend);
        acknowledged
            .cacheable()
            .push(&format!(
                "SELECT COALESCE(MIN(delivered_seq), {}) AS seq FROM outbox_consumers \
                 WHERE org_id = ",
                i64::MAX
            ))
            .push_bind(Bind::Text(org_id.to_owned()));
        let mut bound = acknowledged
            .optional::<SeqRow>(self.tx.conn)?
            .map_or(i64::MAX, |row| row.seq);
        if self.tx.backend == Backend::Sqlite {
            let mut newest = Sql::new(self.tx.backend);
            newest
                .cacheable()
                .push("SELECT COALESCE(MAX(seq), 0) AS seq FROM outbox_events");
            let newest = newest
                .optional::<SeqRow>(self.tx.conn)?
                .map_or(0, |row| row.seq);
            bound = bound.min(newest - 1);
        }
        let mut oldest = Sql::new(self.tx.backend);
        oldest
            .cacheable()
            .push("SELECT seq, occurred_at FROM outbox_events WHERE org_id = ")
            .push_bind(Bind::Text(org_id.to_owned()));
        oldest.push(" AND seq <= ").push_bind(Bind::BigInt(bound));
        oldest
            .push(" ORDER BY seq LIMIT ")
            .push_bind(Bind::BigInt(i64::from(limit)));
        let rows: Vec<AgeRow> = oldest.load(self.tx.conn)?;
        let cutoff = timestamp::to_db(before);
        let due: Vec<&AgeRow> = rows
            .iter()
            .take_while(|row| row.occurred_at < cutoff)
            .collect();
        let Some(last) = due.last() else {
            return Ok(0);
        };
        let mut delete = Sql::new(self.tx.backend);
        delete
            .cacheable()
            .push("DELETE FROM outbox_events WHERE org_id = ")
            .push_bind(Bind::Text(org_id.to_owned()));
        delete
            .push(" AND seq <= ")
            .push_bind(Bind::BigInt(last.seq));
        let removed = delete.execute(self.tx.conn)?;
        // The pull feed's watermark: a reader behind it has missed events.
        let mut mark = Sql::new(self.tx.backend);
        mark.cacheable()
            .push("INSERT INTO outbox_prune_marks (org_id, through_seq) VALUES (")
            .push_bind(Bind::Text(org_id.to_owned()))
            .push(", ")
            .push_bind(Bind::BigInt(last.seq))
            .push(
                ") ON CONFLICT (org_id) DO UPDATE SET through_seq = excluded.through_seq \
                 WHERE excluded.through_seq > outbox_prune_marks.through_seq",
            );
        mark.execute(self.tx.conn)?;
        Ok(removed)
    }

    /// The `seq` through which the organization's events have been pruned (0: none): a
    /// reader of the feed positioned before it has missed events.
    pub fn pruned_through(&mut self, org_id: &str) -> Result<i64, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select
            .cacheable()
            .push("SELECT through_seq AS seq FROM outbox_prune_marks WHERE org_id = ")
            .push_bind(Bind::Text(org_id.to_owned()));
        Ok(select
            .optional::<SeqRow>(self.tx.conn)?
            .map_or(0, |row| row.seq))
    }
}

impl Store {
    /// [`Outbox::prune`] for every organization, in transactions of up to a thousand
    /// events; how many events were removed in all. Blocking.
    pub fn prune_outbox(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let orgs = self.read(|tx| tx.orgs().list())?;
        let mut pruned = 0;
        for org in orgs {
            loop {
                let removed = self.write(|tx| {
                    if !tx.job_leases().take(jobs::OUTBOX_RETENTION, &org.id)? {
                        return Ok(0);
                    }
                    tx.outbox().prune(&org.id, before, BATCH)
                })?;
                pruned += removed;
                if removed < BATCH as usize {
                    break;
                }
            }
        }
        Ok(pruned)
    }
}
