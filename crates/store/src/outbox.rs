//! The transactional outbox (PRODUCT.md §6): events appended by the writer in the transaction
//! of the change they describe (a rolled-back change emits nothing), read in `seq` order.
//!
//! Order: `seq` increases with every append. On SQLite one writer at a time commits, so
//! commit order is `seq` order, and events are inserted as they are emitted (a savepoint
//! that is undone takes its events with it). On PostgreSQL sequence values are handed out
//! before commit, so two transactions may commit out of `seq` order; the events of a
//! transaction are therefore kept aside ([`Tx::savepoint`] keeps or drops a savepoint's with
//! it) and appended just before the commit, after locking their organization's row in
//! `outbox_heads` (held to the commit), which makes one organization's events commit in
//! `seq` order. Taking that lock last means a transaction holding it takes no other row
//! lock afterwards, so it cannot close a deadlock with a concurrent write; the one lock
//! taken just before it, the organization's audit head (`audit.rs`), is taken before it
//! by every transaction that takes both, webhook creation included. Readers that must not miss an event keep one cursor per
//! organization ([`Outbox::events_after`]); [`Outbox::events_after_any_org`] is exact on
//! SQLite and may, on PostgreSQL, return an event of another organization after a larger
//! `seq`.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use serde_json::Value;

use crate::org::new_id;
use crate::sql::{Bind, Sql};
use crate::{Backend, StoreError, Tx, timestamp};

/// An event to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent<'a> {
    /// Its type, e.g. `user.created`.
    pub event_type: &'a str,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// What the consumer needs to know (small; documented per type by the HTTP crate).
    pub data: &'a Value,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    /// Its position in the outbox (increasing; per organization in commit order).
    pub seq: i64,
    /// Its id (stable across redeliveries: consumers deduplicate on it).
    pub id: String,
    /// The organization.
    pub org_id: String,
    /// Its type.
    pub event_type: String,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// Its data.
    pub data: Value,
}

#[derive(QueryableByName)]
struct EventRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    org_id: String,
    #[diesel(sql_type = Text)]
    event_type: String,
    #[diesel(sql_type = Text)]
    occurred_at: String,
    #[diesel(sql_type = Text)]
    data: String,
}

impl EventRow {
    fn into_event(self) -> Result<OutboxEvent, StoreError> {
        Ok(OutboxEvent {
            seq: self.seq,
            occurred_at: timestamp::from_db(&self.occurred_at)?,
            data: serde_json::from_str(&self.data)?,
            id: self.id,
            org_id: self.org_id,
            event_type: self.event_type,
        })
    }
}

#[derive(QueryableByName)]
pub(crate) struct SeqRow {
    #[diesel(sql_type = BigInt)]
    pub(crate) seq: i64,
}

#[derive(QueryableByName)]
struct OrgRow {
    #[diesel(sql_type = Text)]
    org_id: String,
}

const EVENT_COLUMNS: &str = "seq, id, org_id, type AS event_type, occurred_at, data";

/// An event emitted in a PostgreSQL transaction, not yet appended.
#[derive(Debug)]
pub(crate) struct PendingEvent {
    id: String,
    org_id: String,
    event_type: String,
    occurred_at: DateTime<Utc>,
    data: String,
}

impl<'c> Tx<'c> {
    /// The outbox: emit events, read them in `seq` order, prune them.
    pub fn outbox(&mut self) -> Outbox<'_, 'c> {
        Outbox { tx: self }
    }
}

/// The outbox, in a transaction ([`Tx::outbox`]).
#[derive(Debug)]
pub struct Outbox<'t, 'c> {
    pub(crate) tx: &'t mut Tx<'c>,
}

impl Outbox<'_, '_> {
    /// Append an event for the organization in this transaction (committed with it, or
    /// not at all); its id.
    pub fn emit(&mut self, org_id: &str, event: &NewEvent<'_>) -> Result<String, StoreError> {
        let pending = PendingEvent {
            id: new_id(),
            org_id: org_id.to_owned(),
            event_type: event.event_type.to_owned(),
            occurred_at: event.occurred_at,
            data: serde_json::to_string(event.data)?,
        };
        let id = pending.id.clone();
        self.tx.pending_events.push(pending);
        Ok(id)
    }

    /// The `seq` of the organization's latest event (0: none), without locking anything:
    /// on PostgreSQL an organization's events commit in `seq` order, so nothing committed
    /// later can come before it.
    pub fn last_seq(&mut self, org_id: &str) -> Result<i64, StoreError> {
        let mut last = Sql::new(self.tx.backend);
        last.cacheable()
            .push("SELECT COALESCE(MAX(seq), 0) AS seq FROM outbox_events WHERE org_id = ");
        last.push_bind(Bind::Text(org_id.to_owned()));
        Ok(last
            .optional::<SeqRow>(self.tx.conn)?
            .map_or(0, |row| row.seq))
    }

    /// The organization's events after `after` (a `seq`), oldest first, at most `limit`.
    pub fn events_after(
        &mut self,
        org_id: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select.cacheable().push(&format!(
            "SELECT {EVENT_COLUMNS} FROM outbox_events WHERE org_id = "
        ));
        select.push_bind(Bind::Text(org_id.to_owned()));
        select.push(" AND seq > ").push_bind(Bind::BigInt(after));
        select
            .push(" ORDER BY seq LIMIT ")
            .push_bind(Bind::BigInt(i64::from(limit)));
        rows_to_events(select.load(self.tx.conn)?)
    }

    /// Every organization's events after `after`, oldest first, at most `limit` (see the
    /// module documentation for what "after" means on PostgreSQL).
    pub fn events_after_any_org(
        &mut self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select.cacheable().push(&format!(
            "SELECT {EVENT_COLUMNS} FROM outbox_events WHERE seq > "
        ));
        select.push_bind(Bind::BigInt(after));
        select
            .push(" ORDER BY seq LIMIT ")
            .push_bind(Bind::BigInt(i64::from(limit)));
        rows_to_events(select.load(self.tx.conn)?)
    }

    /// The organizations with events that `consumer` has not acknowledged (an organization
    /// without a cursor row counts from the start).
    pub fn orgs_with_pending_events(&mut self, consumer: &str) -> Result<Vec<String>, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        match self.tx.backend {
            // No heads on SQLite (see `append_event`): one probe of the (org_id, seq) index
            // per organization.
            Backend::Sqlite => {
                select.cacheable().push(
                    "SELECT o.id AS org_id FROM orgs o LEFT JOIN outbox_consumers c \
                     ON c.org_id = o.id AND c.consumer = ",
                );
                select.push_bind(Bind::Text(consumer.to_owned()));
                select.push(
                    " WHERE EXISTS (SELECT 1 FROM outbox_events e WHERE e.org_id = o.id \
                     AND e.seq > COALESCE(c.delivered_seq, 0)) ORDER BY o.id",
                );
            }
            Backend::Postgres => {
                select.cacheable().push(
                    "SELECT h.org_id AS org_id FROM outbox_heads h LEFT JOIN outbox_consumers c \
                     ON c.org_id = h.org_id AND c.consumer = ",
                );
                select.push_bind(Bind::Text(consumer.to_owned()));
                select.push(" WHERE h.last_seq > COALESCE(c.delivered_seq, 0) ORDER BY h.org_id");
            }
        }
        let rows: Vec<OrgRow> = select.load(self.tx.conn)?;
        Ok(rows.into_iter().map(|row| row.org_id).collect())
    }

    /// How many events some consumer has yet to acknowledge, over every organization: the
    /// events after each organization's slowest consumer (`rollcall_outbox_pending`). One
    /// statement, each organization's backlog counted on the `(org_id, seq)` index.
    pub fn pending(&mut self) -> Result<i64, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select.cacheable().push(
            "SELECT CAST(COALESCE(SUM((SELECT COUNT(*) FROM outbox_events e \
             WHERE e.org_id = m.org_id AND e.seq > m.low)), 0) AS BIGINT) AS seq \
             FROM (SELECT org_id, MIN(delivered_seq) AS low FROM outbox_consumers \
             GROUP BY org_id) m",
        );
        Ok(select
            .optional::<SeqRow>(self.tx.conn)?
            .map_or(0, |row| row.seq))
    }
}

impl Tx<'_> {
    /// Append the events kept aside, just before the commit: on PostgreSQL one by one under
    /// the org's head lock; on SQLite, whose single writer already commits in `seq` order,
    /// in multi-row statements (a group-commit batch appends all its jobs' events at once).
    pub(crate) fn flush_events(&mut self) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut self.pending_events);
        match self.backend {
            Backend::Postgres => {
                for event in &pending {
                    self.append_event(event)?;
                }
            }
            Backend::Sqlite => {
                // Multi-row inserts (`batch_sizes`), each shape prepared once per connection.
                let mut events = pending.into_iter();
                for size in crate::sql::batch_sizes(events.len()) {
                    let mut insert = Sql::new(self.backend);
                    insert.cacheable().push(
                        "INSERT INTO outbox_events (id, org_id, type, occurred_at, data) VALUES ",
                    );
                    for (k, event) in events.by_ref().take(size).enumerate() {
                        insert.push(if k == 0 { "(" } else { ", (" });
                        insert.push_bind(Bind::Text(event.id)).push(", ");
                        insert.push_bind(Bind::Text(event.org_id)).push(", ");
                        insert.push_bind(Bind::Text(event.event_type)).push(", ");
                        insert
                            .push_bind(Bind::Text(timestamp::to_db(event.occurred_at)))
                            .push(", ");
                        insert.push_bind(Bind::Text(event.data)).push(")");
                    }
                    insert.execute(self.conn)?;
                }
            }
        }
        Ok(())
    }

    /// PostgreSQL: append one event under its organization's head lock.
    fn append_event(&mut self, event: &PendingEvent) -> Result<(), StoreError> {
        let org_id = event.org_id.as_str();
        self.lock_outbox_head(org_id)?;
        let mut insert = Sql::new(self.backend);
        insert
            .cacheable()
            .push("INSERT INTO outbox_events (id, org_id, type, occurred_at, data) VALUES (");
        insert.push_bind(Bind::Text(event.id.clone())).push(", ");
        insert.push_bind(Bind::Text(org_id.to_owned())).push(", ");
        insert
            .push_bind(Bind::Text(event.event_type.clone()))
            .push(", ");
        insert
            .push_bind(Bind::Text(timestamp::to_db(event.occurred_at)))
            .push(", ");
        insert
            .push_bind(Bind::Text(event.data.clone()))
            .push(") RETURNING seq");
        let seq = insert
            .optional::<SeqRow>(self.conn)?
            .ok_or_else(|| StoreError::Database("the outbox insert returned no seq".to_owned()))?
            .seq;
        let mut head = Sql::new(self.backend);
        head.cacheable()
            .push("INSERT INTO outbox_heads (org_id, last_seq) VALUES (");
        head.push_bind(Bind::Text(org_id.to_owned())).push(", ");
        head.push_bind(Bind::BigInt(seq))
            .push(") ON CONFLICT (org_id) DO UPDATE SET last_seq = excluded.last_seq");
        head.execute(self.conn)?;
        Ok(())
    }

    /// Lock the organization's outbox head until the end of the transaction (PostgreSQL:
    /// appends of one organization then commit in `seq` order); its last `seq` (0: none yet).
    pub(crate) fn lock_outbox_head(&mut self, org_id: &str) -> Result<i64, StoreError> {
        if self.backend == Backend::Sqlite {
            // The write transaction holds SQLite's only write lock already.
            let mut last = Sql::new(self.backend);
            last.cacheable()
                .push("SELECT COALESCE(MAX(seq), 0) AS seq FROM outbox_events WHERE org_id = ");
            last.push_bind(Bind::Text(org_id.to_owned()));
            return Ok(last.optional::<SeqRow>(self.conn)?.map_or(0, |row| row.seq));
        }
        let mut lock = Sql::new(self.backend);
        lock.cacheable()
            .push("INSERT INTO outbox_heads (org_id, last_seq) VALUES (");
        lock.push_bind(Bind::Text(org_id.to_owned())).push(
            ", 0) ON CONFLICT (org_id) DO UPDATE SET last_seq = outbox_heads.last_seq \
             RETURNING last_seq AS seq",
        );
        Ok(lock.optional::<SeqRow>(self.conn)?.map_or(0, |row| row.seq))
    }
}

fn rows_to_events(rows: Vec<EventRow>) -> Result<Vec<OutboxEvent>, StoreError> {
    rows.into_iter().map(EventRow::into_event).collect()
}
