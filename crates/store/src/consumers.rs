//! Delivery state of the outbox's consumers, one row per consumer and organization: the
//! last `seq` acknowledged, the retry schedule after failures, and a lease (owner, until) so
//! that of several processes sharing one database only one delivers to a consumer at a time.
//!
//! A consumer is named `webhook:<id>` ([`webhook_consumer`]) or `subscriber:<name>`
//! ([`subscriber_consumer`]). The protocol: [`Consumers::claim`] (its own short
//! transaction), deliver outside any transaction, then [`Consumers::advance`] after an
//! acknowledgement or [`Consumers::record_failure`]; each of these checks the lease, so a
//! process whose lease ran out changes nothing (the next owner redelivers: at least once).

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};

use crate::sql::{Bind, Sql};
use crate::{StoreError, Tx, timestamp};

/// What every webhook's consumer name starts with.
pub const WEBHOOK_CONSUMER_PREFIX: &str = "webhook:";

/// The consumer name of a webhook.
pub fn webhook_consumer(webhook_id: &str) -> String {
    format!("{WEBHOOK_CONSUMER_PREFIX}{webhook_id}")
}

/// The consumer name of an in-process subscriber.
pub fn subscriber_consumer(name: &str) -> String {
    format!("subscriber:{name}")
}

/// A consumer's state for one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerState {
    /// The consumer.
    pub consumer: String,
    /// The organization.
    pub org_id: String,
    /// Every event up to this `seq` has been acknowledged (or skipped as not wanted).
    pub delivered_seq: i64,
    /// Failed attempts at the next event since the last success.
    pub attempts: u32,
    /// Not before this time after a failure.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Who holds the lease.
    pub lease_owner: Option<String>,
    /// Until when.
    pub lease_until: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct ConsumerRow {
    #[diesel(sql_type = Text)]
    consumer: String,
    #[diesel(sql_type = Text)]
    org_id: String,
    #[diesel(sql_type = BigInt)]
    delivered_seq: i64,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Nullable<Text>)]
    next_attempt_at: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    last_error: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    lease_owner: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    lease_until: Option<String>,
}

impl ConsumerRow {
    fn into_state(self) -> Result<ConsumerState, StoreError> {
        let time = |text: Option<String>| text.as_deref().map(timestamp::from_db).transpose();
        Ok(ConsumerState {
            next_attempt_at: time(self.next_attempt_at)?,
            lease_until: time(self.lease_until)?,
            consumer: self.consumer,
            org_id: self.org_id,
            delivered_seq: self.delivered_seq,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            last_error: self.last_error,
            lease_owner: self.lease_owner,
        })
    }
}

const CONSUMER_COLUMNS: &str = "consumer, org_id, delivered_seq, attempts, next_attempt_at, \
                                last_error, lease_owner, lease_until";

impl<'c> Tx<'c> {
    /// The outbox consumers' delivery state.
    pub fn consumers(&mut self) -> Consumers<'_, 'c> {
        Consumers { tx: self }
    }
}

/// The outbox consumers' delivery state, in a transaction ([`Tx::consumers`]).
#[derive(Debug)]
pub struct Consumers<'t, 'c> {
    tx: &'t mut Tx<'c>,
}

impl Consumers<'_, '_> {
    /// Create the consumer's row for the organization at `delivered_seq` unless it exists.
    pub fn ensure(
        &mut self,
        consumer: &str,
        org_id: &str,
        delivered_seq: i64,
    ) -> Result<(), StoreError> {
        let mut insert = Sql::new(self.tx.backend);
        insert
            .cacheable()
            .push("INSERT INTO outbox_consumers (consumer, org_id, delivered_seq) VALUES (");
        insert.push_bind(Bind::Text(consumer.to_owned())).push(", ");
        insert.push_bind(Bind::Text(org_id.to_owned())).push(", ");
        insert
            .push_bind(Bind::BigInt(delivered_seq))
            .push(") ON CONFLICT (consumer, org_id) DO NOTHING");
        insert.execute(self.tx.conn)?;
        Ok(())
    }

    /// The consumer's state for the organization, if it has a row.
    pub fn state(
        &mut self,
        consumer: &str,
        org_id: &str,
    ) -> Result<Option<ConsumerState>, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select.cacheable().push(&format!(
            "SELECT {CONSUMER_COLUMNS} FROM outbox_consumers WHERE consumer = "
        ));
        select.push_bind(Bind::Text(consumer.to_owned()));
        select
            .push(" AND org_id = ")
            .push_bind(Bind::Text(org_id.to_owned()));
        select
            .optional::<ConsumerRow>(self.tx.conn)?
            .map(ConsumerRow::into_state)
            .transpose()
    }

    /// Take (or renew) the lease of the consumer for the organization until `until`, when it
    /// is free, has run out at `now`, or is `owner`'s already; the state under the lease, or
    /// `None` when another owner holds it (or the consumer has no row).
    pub fn claim(
        &mut self,
        consumer: &str,
        org_id: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<ConsumerState>, StoreError> {
        let mut update = Sql::new(self.tx.backend);
        update
            .cacheable()
            .push("UPDATE outbox_consumers SET lease_owner = ");
        let owner_bind = update.bind(Bind::Text(owner.to_owned()));
        update.push(&owner_bind).push(", lease_until = ");
        update.push_bind(Bind::Text(timestamp::to_db(until)));
        update
            .push(" WHERE consumer = ")
            .push_bind(Bind::Text(consumer.to_owned()));
        update
            .push(" AND org_id = ")
            .push_bind(Bind::Text(org_id.to_owned()));
        update.push(&format!(
            " AND (lease_owner IS NULL OR lease_owner = {owner_bind} OR lease_until <= "
        ));
        update
            .push_bind(Bind::Text(timestamp::to_db(now)))
            .push(")");
        if update.execute(self.tx.conn)? == 0 {
            return Ok(None);
        }
        self.state(consumer, org_id)
    }

    /// Give the lease up (when `owner` holds it).
    pub fn release(&mut self, consumer: &str, org_id: &str, owner: &str) -> Result<(), StoreError> {
        let mut update = Sql::new(self.tx.backend);
        update
            .cacheable()
            .push("UPDATE outbox_consumers SET lease_owner = NULL, lease_until = NULL");
        push_owned_row(&mut update, consumer, org_id, owner);
        update.execute(self.tx.conn)?;
        Ok(())
    }

    /// Record that every event up to `seq` is acknowledged (clears the failure state), when
    /// `owner` still holds the lease; whether it did.
    pub fn advance(
        &mut self,
        consumer: &str,
        org_id: &str,
        owner: &str,
        seq: i64,
    ) -> Result<bool, StoreError> {
        let mut update = Sql::new(self.tx.backend);
        update.cacheable().push(
            "UPDATE outbox_consumers SET attempts = 0, next_attempt_at = NULL, \
             last_error = NULL, delivered_seq = ",
        );
        update.push_bind(Bind::BigInt(seq));
        push_owned_row(&mut update, consumer, org_id, owner);
        update
            .push(" AND delivered_seq <= ")
            .push_bind(Bind::BigInt(seq));
        Ok(update.execute(self.tx.conn)? > 0)
    }

    /// Record a failed attempt: `attempts` so far, not again before `next_attempt_at`, and
    /// the error; when `owner` still holds the lease. Whether it did.
    pub fn record_failure(
        &mut self,
        consumer: &str,
        org_id: &str,
        owner: &str,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<bool, StoreError> {
        let mut update = Sql::new(self.tx.backend);
        update
            .cacheable()
            .push("UPDATE outbox_consumers SET attempts = ");
        update.push_bind(Bind::BigInt(i64::from(attempts)));
        update.push(", next_attempt_at = ");
        update.push_bind(Bind::Text(timestamp::to_db(next_attempt_at)));
        update.push(", last_error = ");
        let error: String = error.chars().take(1000).collect();
        update.push_bind(Bind::Text(error));
        push_owned_row(&mut update, consumer, org_id, owner);
        Ok(update.execute(self.tx.conn)? > 0)
    }
}

impl Consumers<'_, '_> {
    /// Make the consumer's next attempt for the organization due now (an operator's "retry"
    /// of a failing webhook): its backoff is forgotten, its attempt count and last error
    /// kept until a delivery succeeds. `false` when it has no row (nothing to deliver yet).
    pub fn retry_now(&mut self, consumer: &str, org_id: &str) -> Result<bool, StoreError> {
        let mut update = Sql::new(self.tx.backend);
        update
            .cacheable()
            .push("UPDATE outbox_consumers SET next_attempt_at = NULL WHERE consumer = ");
        update.push_bind(Bind::Text(consumer.to_owned()));
        update
            .push(" AND org_id = ")
            .push_bind(Bind::Text(org_id.to_owned()));
        Ok(update.execute(self.tx.conn)? > 0)
    }
}

impl Tx<'_> {
    /// Remove every row of the consumer (a deleted webhook).
    pub(crate) fn delete_consumer(&mut self, consumer: &str) -> Result<(), StoreError> {
        let mut delete = Sql::new(self.backend);
        delete
            .cacheable()
            .push("DELETE FROM outbox_consumers WHERE consumer = ")
            .push_bind(Bind::Text(consumer.to_owned()));
        delete.execute(self.conn)?;
        Ok(())
    }
}

/// ` WHERE` the consumer's row of the organization, while `owner` holds its lease.
fn push_owned_row(sql: &mut Sql, consumer: &str, org_id: &str, owner: &str) {
    sql.push(" WHERE consumer = ")
        .push_bind(Bind::Text(consumer.to_owned()));
    sql.push(" AND org_id = ")
        .push_bind(Bind::Text(org_id.to_owned()));
    sql.push(" AND lease_owner = ")
        .push_bind(Bind::Text(owner.to_owned()));
}
