//! Webhooks of an organization: where its events are POSTed and with which secret they are
//! signed. Each webhook is an outbox consumer (`webhook:<id>`, see `consumers.rs`) whose
//! cursor starts at the organization's last event when it is created: a new webhook gets
//! the events from then on, not the history.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::Text;

use crate::KeyEncryptionKey;
use crate::consumers::webhook_consumer;
use crate::org::new_id;
use crate::sealed::{self, Purpose};
use crate::sql::{Bind, Sql};
use crate::{StoreError, Tx, timestamp};

/// A webhook. Its secret is here for signing; the admin API never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: String,
    /// The organization.
    pub org_id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The HMAC-SHA256 key of the `X-Rollcall-Signature` header.
    pub secret: String,
    /// The event types delivered (`*`: all).
    pub event_types: Vec<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("url", &self.url)
            .field("event_types", &self.event_types)
            .finish_non_exhaustive()
    }
}

impl Webhook {
    /// Whether events of `event_type` go to this webhook.
    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types
            .iter()
            .any(|wanted| wanted == "*" || wanted == event_type)
    }

    /// Its consumer name in `outbox_consumers`.
    pub fn consumer(&self) -> String {
        webhook_consumer(&self.id)
    }
}

/// A webhook to create (validated by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook<'a> {
    /// Where deliveries go.
    pub url: &'a str,
    /// The signing secret.
    pub secret: &'a str,
    /// The event types (`*`: all).
    pub event_types: &'a [String],
}

#[derive(QueryableByName)]
struct WebhookRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    org_id: String,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Text)]
    secret: String,
    #[diesel(sql_type = Text)]
    event_types: String,
    #[diesel(sql_type = Text)]
    created_at: String,
}

impl WebhookRow {
    fn into_webhook(self, kek: Option<&KeyEncryptionKey>) -> Result<Webhook, StoreError> {
        let secret = sealed::open(&self.secret, kek, Purpose::Webhook, &self.id)?;
        Ok(Webhook {
            event_types: serde_json::from_str(&self.event_types)?,
            created_at: timestamp::from_db(&self.created_at)?,
            id: self.id,
            org_id: self.org_id,
            url: self.url,
            secret: String::from_utf8(secret)
                .map_err(|_| StoreError::Database("a webhook secret is not text".to_owned()))?,
        })
    }
}

const WEBHOOK_COLUMNS: &str = "id, org_id, url, secret, event_types, created_at";

impl<'c> Tx<'c> {
    /// The organizations' webhooks.
    pub fn webhooks(&mut self) -> Webhooks<'_, 'c> {
        Webhooks { tx: self }
    }
}

/// The organizations' webhooks, in a transaction ([`Tx::webhooks`]).
#[derive(Debug)]
pub struct Webhooks<'t, 'c> {
    tx: &'t mut Tx<'c>,
}

impl Webhooks<'_, '_> {
    /// Create a webhook; it receives the organization's events appended after this one
    /// commits.
    pub fn create(
        &mut self,
        org_id: &str,
        webhook: &NewWebhook<'_>,
        now: DateTime<Utc>,
    ) -> Result<Webhook, StoreError> {
        let created = Webhook {
            id: new_id(),
            org_id: org_id.to_owned(),
            url: webhook.url.to_owned(),
            secret: webhook.secret.to_owned(),
            event_types: webhook.event_types.to_vec(),
            created_at: now,
        };
        let mut insert = Sql::new(self.tx.backend);
        insert.cacheable().push(&format!(
            "INSERT INTO webhooks ({WEBHOOK_COLUMNS}) VALUES ("
        ));
        insert.push_bind(Bind::Text(created.id.clone())).push(", ");
        insert
            .push_bind(Bind::Text(created.org_id.clone()))
            .push(", ");
        insert.push_bind(Bind::Text(created.url.clone())).push(", ");
        let secret = sealed::seal(
            self.tx.kek.as_deref(),
            Purpose::Webhook,
            &created.id,
            created.secret.as_bytes(),
        )?;
        insert.push_bind(Bind::Text(secret)).push(", ");
        insert
            .push_bind(Bind::Text(serde_json::to_string(&created.event_types)?))
            .push(", ");
        insert
            .push_bind(Bind::Text(timestamp::to_db(now)))
            .push(")");
        insert.execute(self.tx.conn)?;
        // Under the head's lock no append of the organization is in flight: the last seq is
        // exactly what this webhook will not get. The audit head first, as every commit
        // takes them (this transaction's own record is appended at its commit).
        self.tx.take_audit_head(org_id)?;
        let last_seq = self.tx.lock_outbox_head(org_id)?;
        self.tx
            .consumers()
            .ensure(&created.consumer(), org_id, last_seq)?;
        Ok(created)
    }

    /// The organization's webhooks, oldest first.
    pub fn list(&mut self, org_id: &str) -> Result<Vec<Webhook>, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select.cacheable().push(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE org_id = "
        ));
        select
            .push_bind(Bind::Text(org_id.to_owned()))
            .push(" ORDER BY created_at, id");
        rows_to_webhooks(select.load(self.tx.conn)?, self.tx.kek.as_deref())
    }

    /// Every organization's webhooks (for the dispatcher).
    pub fn list_all_orgs(&mut self) -> Result<Vec<Webhook>, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select.cacheable().push(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY org_id, created_at, id"
        ));
        rows_to_webhooks(select.load(self.tx.conn)?, self.tx.kek.as_deref())
    }

    /// Delete a webhook of the organization and its delivery state; another org's id is
    /// [`StoreError::NotFound`].
    pub fn delete(&mut self, org_id: &str, id: &str) -> Result<(), StoreError> {
        let mut delete = Sql::new(self.tx.backend);
        delete
            .cacheable()
            .push("DELETE FROM webhooks WHERE org_id = ");
        delete.push_bind(Bind::Text(org_id.to_owned()));
        delete
            .push(" AND id = ")
            .push_bind(Bind::Text(id.to_owned()));
        if delete.execute(self.tx.conn)? == 0 {
            return Err(StoreError::NotFound);
        }
        self.tx.delete_consumer(&webhook_consumer(id))
    }
}

fn rows_to_webhooks(
    rows: Vec<WebhookRow>,
    kek: Option<&KeyEncryptionKey>,
) -> Result<Vec<Webhook>, StoreError> {
    rows.into_iter().map(|row| row.into_webhook(kek)).collect()
}
