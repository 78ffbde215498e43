#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod access;
mod access_delta;
mod access_facts;
mod access_review;
mod attribute_rules;
mod audit;
mod audit_chain;
mod audit_stats;
mod checkpointer;
mod connection;
mod consumers;
mod data_migrations;
mod erasure;
mod error;
mod extension_values;
mod filter_sql;
mod grants;
mod job_leases;
mod jwt_issuers;
mod key_encryption;
mod keyset;
mod lifecycle;
mod list;
mod member_ids;
mod members;
mod migrations;
mod oauth;
mod org;
mod org_schema;
mod outbox;
mod outbox_retention;
mod read_gate;
mod resource;
mod resource_update;
mod retry;
mod rules;
mod schema;
mod sealed;
mod secret;
mod sql;
mod succession;
mod timestamp;
mod token;
mod tombstone;
mod values;
mod version;
mod webhooks;
mod workspaces;
mod writer;

#[cfg(feature = "testing")]
pub mod testing;

use chrono::{DateTime, Utc};
use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use scim_core::Dialect;
use scim_core::filter::{ResolvedAttribute, ResolvedFilter};

use serde_json::Value;

pub use access::{Access, Candidates, ResourceFacts, UserFacts};
pub use access_delta::{AccessChange, AccessDelta, AccessScope};
pub use access_review::{ReviewPage, ReviewRow};
pub use attribute_rules::{check_filter as check_rule_filter, org_registry};
pub use audit::{Audit, AuditQuery, AuditRecord, CHECKPOINT, ChainLink, NewAuditRecord, Pruned};
pub use audit_chain::{ChainBreak, ChainReport};
pub use audit_stats::{FailedWrite, HourOfWrites, ScimWriteStats};
use connection::AnyConnection;
pub use consumers::{
    ConsumerState, Consumers, WEBHOOK_CONSUMER_PREFIX, subscriber_consumer, webhook_consumer,
};
pub use data_migrations::MigrationFinding;
pub use erasure::{ERASED, KeyEncryptionKey, UNREADABLE};
pub use grants::{GrantFilter, Grants};
pub use job_leases::{JobLeases, jobs};
pub use jwt_issuers::{JwtIssuer, JwtIssuers, NewJwtIssuer};
pub use key_encryption::Rewrapped;
pub use keyset::{Keyset, KeysetDirection, KeysetPage, KeysetPosition, keyset_supported};
pub use lifecycle::{ActivityChange, Lifecycle};
pub use members::{MemberDelta, Members};
pub use oauth::{
    CLIENT_ID_PREFIX, MAX_TOKEN_LIFETIME, NewOAuthClient, OAuth, OAuthClient, SigningKey,
};
pub use org::Orgs;
pub use org_schema::{OrgSchema, Schemas};
pub use outbox::{NewEvent, Outbox, OutboxEvent};
pub use resource::Resources;
pub use rules::Rules;
pub use succession::Succession;
pub use token::Tokens;
pub use tombstone::{DeletedUser, PurgedTombstone, SYSTEM_ACTOR, Tombstone};
pub use webhooks::{NewWebhook, Webhook, Webhooks};
pub use workspaces::{FolderChange, HOME_FOLDER_NAME, Workspaces};
pub use writer::WriteTicket;

/// Which database a [`Store`] talks to, chosen from the URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// `sqlite://path` (bundled SQLite).
    Sqlite,
    /// `postgres://…` or `postgresql://…`.
    Postgres,
}

/// What [`Store::migrate`] did: the migrations that ran (`data:…` for data migrations) and
/// every finding the data migrations recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// The migrations that ran now, in order.
    pub applied: Vec<String>,
    /// What data migrations found, now or on an earlier run.
    pub findings: Vec<MigrationFinding>,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such resource in this organization (a foreign id is not found too).
    #[error("not found")]
    NotFound,
    /// A uniqueness constraint was violated; the string names the attribute (`userName`, ...).
    #[error("{0} is already taken")]
    Uniqueness(String),
    /// `If-Match` named another version than the stored one.
    #[error("version mismatch: the resource is at version {current}")]
    VersionMismatch {
        /// The stored version.
        current: i64,
    },
    /// A group member names no user or group of the organization.
    #[error("invalid member: {0}")]
    InvalidMember(String),
    /// A `replace` of `members[filter]` matched no member.
    #[error("no member matches: {0}")]
    NoTarget(String),
    /// The URL is not a supported database URL.
    #[error("unsupported database URL: {0}")]
    InvalidUrl(String),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// No connection could be had from the pool.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The resource lacks what the store needs (`userName`, a group's `displayName`, an
    /// object); `validate_resource` output never does.
    #[error("invalid resource: {0}")]
    Invalid(String),
    /// A change that conflicts with what is stored, said in full (a setting that cannot
    /// hold over the current data, naming what stands in its way).
    #[error("{0}")]
    Conflict(String),
    /// The transaction lost to a concurrent one (PostgreSQL's serialization failure,
    /// 40001, or deadlock, 40P01): running it again may succeed. [`Store::write`] and
    /// [`Store::read`] retry it themselves, a bounded number of times with jittered
    /// backoff; one that reaches the caller ran out of attempts.
    #[error("concurrent update: {0}")]
    Contention(String),
    /// The database has no room for the write (SQLite's `SQLITE_FULL`: the disk, or
    /// `StoreOptions::sqlite_max_pages`; PostgreSQL's "no space left on device"). Nothing
    /// of the transaction was kept; writes succeed again once there is room.
    #[error("the database is full: {0}")]
    Full(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(String),
}

/// Pool and connection settings.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections in the pool.
    pub max_connections: u32,
    /// How long to wait for a connection.
    pub connection_timeout: std::time::Duration,
    /// The operator's key-encryption key: users' data keys are stored wrapped with it
    /// (PRODUCT.md §6). `None`: stored in clear.
    pub key_encryption_key: Option<KeyEncryptionKey>,
    /// SQLite: the most pages (of 4 KiB) the database file may grow to (`PRAGMA
    /// max_page_count` on every connection); a write that needs more fails as a full disk
    /// does, [`StoreError::Full`], and changes nothing. `None`: SQLite's own limit.
    pub sqlite_max_pages: Option<u32>,
    /// PostgreSQL: keep each connection's prepared statements for reuse (the default).
    /// Turn it off behind a pooler in transaction mode that does not carry prepared
    /// statements across transactions (PgBouncer before 1.21): each statement is then
    /// prepared unnamed, in the transaction that runs it (`docs/scaling.md`).
    pub statement_cache: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 8,
            connection_timeout: std::time::Duration::from_secs(10),
            key_encryption_key: None,
            sqlite_max_pages: None,
            statement_cache: true,
        }
    }
}

/// An organization (tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its IdP dialect setting.
    pub dialect: Dialect,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// The two kinds of API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A SCIM bearer token (`/scim/v2`).
    Scim,
    /// An admin token (`/admin/v1`).
    Admin,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Its id (the actor in audit records).
    pub id: String,
    /// Its organization.
    pub org_id: String,
    /// SCIM or admin.
    pub kind: TokenKind,
    /// A label.
    pub name: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A freshly created token: the secret is shown once and stored only as a hash.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The stored part.
    pub info: TokenInfo,
    /// The bearer secret, e.g. `rc_scim_<id>_<random>`.
    pub secret: String,
}

/// Who a valid token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The organization.
    pub org_id: String,
    /// The token's id.
    pub token_id: String,
    /// The organization's dialect.
    pub dialect: Dialect,
    /// The version of the organization's custom schemas (0: none ever added); see
    /// [`Schemas::list`].
    pub schemas_version: i64,
}

/// The SCIM resource types the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// `/Users`.
    User,
    /// `/Groups`.
    Group,
}

/// A stored resource with its server-assigned parts.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResource {
    /// The id.
    pub id: String,
    /// The version, bumped by every change.
    pub version: i64,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Last change.
    pub last_modified: DateTime<Utc>,
    /// The normalized resource with `id` and `meta` (`resourceType`, `created`,
    /// `lastModified`, `version`; no `location`, which the HTTP layer adds). A user
    /// carries its read-only `groups`; a group its `members` when they were loaded.
    pub resource: Value,
}

impl StoredResource {
    /// The weak ETag of the version, `W/"<version>"`.
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }
}

/// A sort key.
#[derive(Debug, Clone, Copy)]
pub struct Sort<'a> {
    /// The attribute (resolved by `scim_core::filter`), e.g. `userName`, `name.familyName`.
    pub attribute: &'a ResolvedAttribute,
    /// `sortOrder=descending`.
    pub descending: bool,
}

/// A list request (`GET /Users?filter=…&startIndex=…&count=…`).
#[derive(Debug, Clone, Copy)]
pub struct ListQuery<'a> {
    /// The filter, resolved against the resource type.
    pub filter: Option<&'a ResolvedFilter>,
    /// The sort key; without one, creation order (then id).
    pub sort: Option<Sort<'a>>,
    /// 1-based index of the first result (already clamped to >= 1).
    pub start_index: u64,
    /// Page size (already clamped by the caller; 0 returns only the total).
    pub count: u64,
    /// Whether group `members` are loaded (`excludedAttributes=members` says no).
    pub load_members: bool,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// How many resources match the filter in all.
    pub total_results: u64,
    /// The page, in order.
    pub resources: Vec<StoredResource>,
}

/// The connections of a [`Store`]'s pool at one moment ([`Store::pool_state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Connections open, idle or in use.
    pub open: u32,
    /// Open connections no one is using.
    pub idle: u32,
}

/// A pool of connections to one database.
#[derive(Clone)]
pub struct Store {
    pool: connection::Pool,
    backend: Backend,
    max_connections: u32,
    /// SQLite takes one writer at a time. Writers of this process queue here (woken as soon
    /// as the previous one commits) instead of in SQLite's busy handler, which sleeps and
    /// polls; other processes on the same file still meet `busy_timeout`.
    sqlite_writer: std::sync::Arc<std::sync::Mutex<()>>,
    /// SQLite: the writer thread that batches queued writes (group commit).
    batcher: Option<std::sync::Arc<writer::Writer>>,
    /// SQLite: the gate every read passes, which the checkpoint thread closes for a moment
    /// so that the write-ahead log can start over (`read_gate.rs`).
    read_gate: std::sync::Arc<read_gate::ReadGate>,
    /// SQLite: the thread that checkpoints the write-ahead log.
    _checkpointer: Option<std::sync::Arc<checkpointer::Checkpointer>>,
    /// The key that signs paging cursors, shared through the database by every process.
    cursor_key: [u8; 32],
    /// Each organization's access facts, checked against the database on every use.
    facts: std::sync::Arc<access_facts::FactsCache>,
    /// The operator's key-encryption key, if any (`erasure.rs`).
    kek: Option<std::sync::Arc<KeyEncryptionKey>>,
    /// Whether the last checkout found the database unreachable (fail fast meanwhile).
    reachability: std::sync::Arc<connection::Reachability>,
    /// PostgreSQL at `READ COMMITTED`: reads run their statements without BEGIN and
    /// COMMIT (`connection::reads_in_autocommit`).
    reads_in_autocommit: bool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Connect to `url` (`sqlite://path`, `postgres://…`), build the pool and run pending
    /// migrations. `now` is when a cursor key this start creates is recorded as made (the
    /// first start on a database creates it; see [`Store::cursor_key`]).
    pub fn open(
        url: &str,
        options: &StoreOptions,
        now: DateTime<Utc>,
    ) -> Result<Store, StoreError> {
        let backend = connection::backend_of(url)?;
        connection::prepare(url)?;
        let pool = connection::pool(url, options)?;
        let kek = options.key_encryption_key.clone().map(std::sync::Arc::new);
        let (cursor_key, reads_in_autocommit) = {
            let mut connection = pool.get()?;
            migrations::run_pending(&mut connection, kek.as_deref(), now)?;
            key_encryption::check(&mut connection, backend, kek.as_deref())?;
            let key = secret::cursor_key(&mut connection, backend, now)?;
            // Behind a transaction-mode pooler (no statement cache) every statement stays in
            // a transaction: an unnamed statement prepared outside one could be executed on
            // another server connection than the one it was prepared on.
            let autocommit =
                options.statement_cache && connection::reads_in_autocommit(&mut connection)?;
            (key, autocommit)
        };
        let sqlite_writer = std::sync::Arc::default();
        let facts: std::sync::Arc<access_facts::FactsCache> = std::sync::Arc::default();
        let connect = {
            let (url, max_pages, cache) = (
                url.to_owned(),
                options.sqlite_max_pages,
                options.statement_cache,
            );
            move || {
                connection::establish_for(&url, max_pages, cache)
                    .map_err(|error| StoreError::Unavailable(error.to_string()))
            }
        };
        // Group commit (`writer.rs`): SQLite's one writer thread, PostgreSQL's several.
        let (writers, lock) = match backend {
            Backend::Sqlite => (1, Some(std::sync::Arc::clone(&sqlite_writer))),
            Backend::Postgres => (writer::POSTGRES_WRITERS, None),
        };
        let mut connections = Vec::with_capacity(writers);
        for _ in 0..writers {
            let mut connection = connect()?;
            checkpointer::checkpoint_backstop(&mut connection)?;
            connection::writer_cache(&mut connection)?;
            connections.push(connection);
        }
        let batcher = Some(std::sync::Arc::new(writer::Writer::start(
            connections,
            writer::Setup {
                backend,
                lock,
                shared: (std::sync::Arc::clone(&facts), kek.clone()),
                reconnect: Box::new(connect),
            },
        )?));
        let read_gate = std::sync::Arc::<read_gate::ReadGate>::default();
        let checkpointer = match backend {
            Backend::Sqlite => Some(std::sync::Arc::new(checkpointer::Checkpointer::start(
                url,
                std::sync::Arc::clone(&sqlite_writer),
                std::sync::Arc::clone(&read_gate),
            )?)),
            Backend::Postgres => None,
        };
        Ok(Store {
            pool,
            backend,
            max_connections: options.max_connections.max(1),
            sqlite_writer,
            batcher,
            read_gate,
            _checkpointer: checkpointer,
            cursor_key,
            facts,
            kek,
            reachability: std::sync::Arc::default(),
            reads_in_autocommit,
        })
    }

    /// The 32-byte key that signs RFC 9865 paging cursors: random, created once per database
    /// and shared by every process serving it (table `server_secrets`).
    pub fn cursor_key(&self) -> &[u8; 32] {
        &self.cursor_key
    }

    /// Run pending migrations on `url` (data migrations at `now`): the names of those that
    /// ran, and everything the data migrations ever found (`rollcall migrate` lists both).
    pub fn migrate(url: &str, now: DateTime<Utc>) -> Result<Migrated, StoreError> {
        Store::migrate_with(url, &StoreOptions::default(), now)
    }

    /// [`Store::migrate`] with the store's options (its key-encryption key: data keys a
    /// data migration makes are wrapped with it, and stored ones brought in line).
    pub fn migrate_with(
        url: &str,
        options: &StoreOptions,
        now: DateTime<Utc>,
    ) -> Result<Migrated, StoreError> {
        let backend = connection::backend_of(url)?;
        connection::prepare(url)?;
        let mut connection = connection::establish(url)
            .map_err(|error| StoreError::Unavailable(error.to_string()))?;
        let kek = options.key_encryption_key.as_ref();
        let applied = migrations::run_pending(&mut connection, kek, now)?;
        key_encryption::check(&mut connection, backend, kek)?;
        let findings = data_migrations::findings(&mut connection)?;
        Ok(Migrated { applied, findings })
    }

    /// Rewrap every data key and stored secret of the database at `url` from `old` (the
    /// key-encryption key they are wrapped with now; `None`: in clear) to `new` (`None`:
    /// store them in clear), in one transaction. Servers must then be started with `new`.
    pub fn rotate_key_encryption(
        url: &str,
        old: Option<&KeyEncryptionKey>,
        new: Option<&KeyEncryptionKey>,
    ) -> Result<Rewrapped, StoreError> {
        let backend = connection::backend_of(url)?;
        connection::prepare(url)?;
        let mut connection = connection::establish(url)
            .map_err(|error| StoreError::Unavailable(error.to_string()))?;
        key_encryption::check(&mut connection, backend, old)?;
        key_encryption::rotate(&mut connection, backend, old, new)
    }

    /// What the data migrations found for an operator to look at.
    pub fn migration_findings(&self) -> Result<Vec<MigrationFinding>, StoreError> {
        let mut connection = self.pool.get()?;
        data_migrations::findings(&mut connection)
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool size (the HTTP layer sizes its semaphore with it).
    pub fn max_connections(&self) -> u32 {
        self.max_connections
    }

    /// The pool's connections now: how many are open, and how many of those are idle.
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            open: state.connections,
            idle: state.idle_connections,
        }
    }

    /// Run `f` in a write transaction (`BEGIN IMMEDIATE` on SQLite). Blocking: call it from
    /// a blocking thread. Rolled back when `f` fails. On PostgreSQL, a transaction aborted
    /// for a concurrent one (serialization failure or deadlock) runs again from the start,
    /// a bounded number of times (`retry.rs`), so `f` may run more than once: it must do
    /// nothing outside the transaction that it would not do twice.
    pub fn write<T>(
        &self,
        mut f: impl FnMut(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        retry::retrying(|| self.write_once(&mut f))
    }

    fn write_once<T>(
        &self,
        f: &mut impl FnMut(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // The writer's turn first, then a connection: a writer never holds a connection
        // while it waits, so readers keep the pool.
        let _writer = match self.backend {
            Backend::Sqlite => Some(
                self.sqlite_writer
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            ),
            Backend::Postgres => None,
        };
        let mut pooled = self.reachability.checkout(&self.pool)?;
        let connection: &mut AnyConnection = &mut pooled;
        let backend = self.backend;
        match connection {
            AnyConnection::Postgresql(_) => {
                let mut loaded = Vec::new();
                let outcome = connection.transaction(|connection| {
                    let mut tx = Tx::new(connection, backend)
                        .with_facts(&self.facts)
                        .with_kek(self.kek.clone());
                    let value = f(&mut tx)?;
                    // Events last, just before the commit (see `outbox.rs`).
                    tx.flush_pending()?;
                    loaded = std::mem::take(&mut tx.facts_loaded);
                    Ok::<T, StoreError>(value)
                });
                let _ = discard_if_unreachable(connection, &outcome);
                let value = outcome?;
                self.facts.publish(loaded);
                Ok(value)
            }
            AnyConnection::Sqlite(sqlite) => {
                // Take the write lock up front: a deferred transaction that later writes can
                // fail with SQLITE_BUSY instead of waiting. Mirrors diesel's
                // `SqliteConnection::immediate_transaction`, whose closure would get the inner
                // connection; the multi-connection's manager delegates to the same
                // AnsiTransactionManager, so the depth bookkeeping stays consistent.
                AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
                type Manager = <AnyConnection as Connection>::TransactionManager;
                let mut tx = Tx::new(connection, backend)
                    .with_facts(&self.facts)
                    .with_kek(self.kek.clone());
                let outcome = f(&mut tx).and_then(|value| {
                    tx.flush_pending()?;
                    Ok(value)
                });
                let loaded = std::mem::take(&mut tx.facts_loaded);
                match outcome {
                    Ok(value) => match Manager::commit_transaction(connection) {
                        Ok(()) => {
                            self.facts.publish(loaded);
                            Ok(value)
                        }
                        Err(error) => {
                            let _ = Manager::rollback_transaction(connection);
                            Err(error.into())
                        }
                    },
                    Err(error) => {
                        Manager::rollback_transaction(connection)?;
                        Err(error)
                    }
                }
            }
        }
    }

    /// Queue `f` for a writer thread, which runs it in a savepoint of a transaction shared
    /// with the other writes queued meanwhile (group commit; see `writer.rs`: SQLite's one
    /// writer thread, PostgreSQL's several). The ticket resolves once that transaction has
    /// committed: awaited, nothing blocks. `Err(f)` gives `f` back for [`Store::write`]
    /// when the store has no writer threads.
    ///
    /// `f` fails alone: its changes are rolled back to its savepoint and the batch goes on.
    /// (On PostgreSQL a batch first runs without savepoints, two round trips fewer per
    /// job; should a job fail, it runs again from the start with them.) A batch the
    /// database aborted for a concurrent transaction runs again whole, so `f` may run more
    /// than once, as with [`Store::write`].
    pub fn write_batched<T, F>(&self, f: F) -> Result<WriteTicket<T>, F>
    where
        T: Send + 'static,
        F: FnMut(&mut Tx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.batcher {
            Some(batcher) => Ok(batcher.submit(f)),
            None => Err(f),
        }
    }

    /// Run `f` in a read transaction. Blocking. Retried as [`Store::write`] is.
    pub fn read<T>(
        &self,
        mut f: impl FnMut(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // A pooled PostgreSQL connection the server has dropped since its last use (a
        // restart, an idle timeout) is found only by using it: it is discarded, and a read,
        // which changed nothing, runs again on another (after a restart every idle one is
        // dead, so up to the pool's size of them).
        let mut discarded = 0;
        loop {
            let mut dead = false;
            match retry::retrying(|| self.read_once(&mut f, &mut dead)) {
                Err(StoreError::Unavailable(_)) if dead && discarded < self.max_connections => {
                    discarded += 1;
                }
                outcome => return outcome,
            }
        }
    }

    fn read_once<T>(
        &self,
        f: &mut impl FnMut(&mut Tx<'_>) -> Result<T, StoreError>,
        dead: &mut bool,
    ) -> Result<T, StoreError> {
        let mut pooled = self.reachability.checkout(&self.pool)?;
        let backend = self.backend;
        let connection: &mut AnyConnection = &mut pooled;
        match backend {
            Backend::Postgres => {
                let mut read = |connection: &mut AnyConnection| {
                    let mut tx = Tx::new(connection, backend).with_kek(self.kek.clone());
                    let value = f(&mut tx)?;
                    tx.flush_pending()?;
                    Ok(value)
                };
                let outcome = if self.reads_in_autocommit {
                    read(connection)
                } else {
                    connection.transaction(read)
                };
                *dead = discard_if_unreachable(connection, &outcome);
                outcome
            }
            Backend::Sqlite => {
                // BEGIN and COMMIT as cached prepared statements: Diesel's transaction
                // manager sends them through sqlite3_exec, which parses them every time,
                // and a read needs none of its bookkeeping (nothing nests in a read). A
                // connection left in a transaction by a panic is discarded by the pool.
                // The read holds the gate until it ends.
                let _reading = self.read_gate.enter();
                if run_cached(connection, "BEGIN").is_err() {
                    // Still inside an earlier transaction that failed to end: end it.
                    let _ = run_cached(connection, "ROLLBACK");
                    run_cached(connection, "BEGIN")?;
                }
                let mut tx = Tx::new(connection, backend).with_kek(self.kek.clone());
                let outcome = f(&mut tx).and_then(|value| {
                    // Nothing should be pending in a read; if something is, it is kept.
                    tx.flush_pending()?;
                    Ok(value)
                });
                // A read changed nothing: COMMIT and ROLLBACK both just end it.
                if let Err(error) = run_cached(connection, "COMMIT") {
                    let _ = run_cached(connection, "ROLLBACK");
                    return Err(error);
                }
                outcome
            }
        }
    }
}

/// Mark a connection whose transaction found the database gone as broken, so the pool
/// drops it instead of handing it out again (PostgreSQL's pooled connections are not
/// pinged on checkout: the `SELECT 1` would be one more round trip per request); whether
/// it did.
fn discard_if_unreachable<T>(
    connection: &mut AnyConnection,
    outcome: &Result<T, StoreError>,
) -> bool {
    let gone = matches!(outcome, Err(StoreError::Unavailable(_)));
    if gone {
        type Manager = <AnyConnection as Connection>::TransactionManager;
        Manager::transaction_manager_status_mut(connection).set_in_error();
    }
    gone
}

/// Run a fixed statement, prepared once per connection.
fn run_cached(connection: &mut AnyConnection, statement: &str) -> Result<(), StoreError> {
    let mut sql = sql::Sql::new(Backend::Sqlite);
    sql.cacheable().push(statement);
    sql.execute(connection).map(|_| ())
}

/// One transaction on one connection. Its methods come by area, each a short-lived handle
/// borrowing the transaction: [`Tx::orgs`], [`Tx::tokens`], [`Tx::resources`]
/// ([`Tx::users`], [`Tx::groups`]), [`Tx::members`], [`Tx::workspaces`],
/// [`Tx::grants`], [`Tx::rules`], [`Tx::access`], [`Tx::lifecycle`],
/// [`Tx::schemas`], [`Tx::audit`], [`Tx::outbox`], [`Tx::webhooks`] and
/// [`Tx::consumers`]. Every method is scoped to an organization (tenant isolation: another
/// org's id is [`StoreError::NotFound`]).
///
/// ```no_run
/// # fn demo(tx: &mut rollcall_store::Tx<'_>, now: chrono::DateTime<chrono::Utc>)
/// # -> Result<(), rollcall_store::StoreError> {
/// let org = tx.orgs().create("Acme", now)?;
/// let workspace = tx.workspaces().create(&org.id, "Docs", now)?;
/// let folders = tx.workspaces().folders(&org.id, &workspace.id)?;
/// # let _ = folders;
/// # Ok(())
/// # }
/// ```
pub struct Tx<'c> {
    conn: &'c mut AnyConnection,
    backend: Backend,
    /// Events emitted in this transaction, appended just before its commit (PostgreSQL:
    /// in commit order under the org's head lock; SQLite: all in one statement).
    pending_events: Vec<outbox::PendingEvent>,
    /// SQLite: audit records of this transaction, appended in one statement just before
    /// its commit (a group-commit batch appends all its jobs' records at once).
    pending_audit: Vec<audit::PendingAudit>,
    /// The store's cache of access facts (`None`: read them from the database).
    facts: Option<std::sync::Arc<access_facts::FactsCache>>,
    /// The operator's key-encryption key, if any (`erasure.rs`).
    kek: Option<std::sync::Arc<KeyEncryptionKey>>,
    /// Access facts this transaction loaded, published to the shared cache only once it
    /// commits (`FactsCache::publish`).
    facts_loaded: Vec<(String, std::sync::Arc<access_facts::AccessFacts>)>,
    /// Users this transaction inserted (org, id): they exist and have no data key yet, so
    /// the first record about one makes its key without looking (`erasure.rs`).
    inserted_users: Vec<(String, String)>,
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").finish_non_exhaustive()
    }
}

impl<'c> Tx<'c> {
    pub(crate) fn new(conn: &'c mut AnyConnection, backend: Backend) -> Tx<'c> {
        Tx {
            conn,
            backend,
            pending_events: Vec::new(),
            pending_audit: Vec::new(),
            facts: None,
            kek: None,
            facts_loaded: Vec::new(),
            inserted_users: Vec::new(),
        }
    }

    /// This transaction with the operator's key-encryption key.
    pub(crate) fn with_kek(mut self, kek: Option<std::sync::Arc<KeyEncryptionKey>>) -> Self {
        self.kek = kek;
        self
    }

    /// This transaction with the store's cache of access facts.
    pub(crate) fn with_facts(mut self, facts: &std::sync::Arc<access_facts::FactsCache>) -> Self {
        self.facts = Some(std::sync::Arc::clone(facts));
        self
    }

    /// What this transaction has yet to append (see [`Tx::flush_pending`]).
    pub(crate) fn take_pending(&mut self) -> Pending {
        Pending {
            events: std::mem::take(&mut self.pending_events),
            audit: std::mem::take(&mut self.pending_audit),
            facts: std::mem::take(&mut self.facts_loaded),
        }
    }

    /// Add what another (kept) job or savepoint has yet to append.
    pub(crate) fn extend_pending(&mut self, pending: Pending) {
        let mut pending = pending;
        self.pending_events.append(&mut pending.events);
        self.pending_audit.append(&mut pending.audit);
        self.facts_loaded.append(&mut pending.facts);
    }

    /// Append what the transaction kept aside, just before its commit.
    pub(crate) fn flush_pending(&mut self) -> Result<(), StoreError> {
        self.flush_audit()?;
        self.flush_events()
    }
}

/// The events and audit records a transaction keeps aside until its commit, and the
/// access facts it loaded (published once it has committed).
#[derive(Debug, Default)]
pub(crate) struct Pending {
    events: Vec<outbox::PendingEvent>,
    audit: Vec<audit::PendingAudit>,
    facts: Vec<(String, std::sync::Arc<access_facts::AccessFacts>)>,
}

impl Pending {
    /// Add `other`'s after this one's.
    pub(crate) fn extend(&mut self, mut other: Pending) {
        self.events.append(&mut other.events);
        self.audit.append(&mut other.audit);
        self.facts.append(&mut other.facts);
    }

    /// The access facts loaded, to publish once the transaction has committed.
    pub(crate) fn take_facts(
        &mut self,
    ) -> Vec<(String, std::sync::Arc<access_facts::AccessFacts>)> {
        std::mem::take(&mut self.facts)
    }
}

impl Tx<'_> {
    /// Which database the transaction runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Run `f` in a savepoint of this write transaction and undo it whatever `f` answers:
    /// what a change would do, seen from inside, and nothing of it kept (a dry run). Its
    /// events and audit records are dropped with it, and it reads access facts from the
    /// database, never the shared cache (whose entries must only describe what committed).
    pub fn preview<T, E>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        /// Why the savepoint was rolled back: always, with `f`'s answer, or a failure of
        /// its own.
        enum Undone<T, E> {
            Answer(Result<T, E>),
            Savepoint(diesel::result::Error),
        }
        impl<T, E> From<diesel::result::Error> for Undone<T, E> {
            fn from(error: diesel::result::Error) -> Self {
                Undone::Savepoint(error)
            }
        }
        let backend = self.backend;
        let kek = self.kek.clone();
        let undone: Result<(), Undone<T, E>> = self.conn.transaction(|conn| {
            let mut inner = Tx::new(conn, backend);
            inner.kek = kek;
            Err(Undone::Answer(f(&mut inner)))
        });
        match undone {
            Err(Undone::Answer(answer)) => answer,
            Err(Undone::Savepoint(error)) => Err(E::from(StoreError::from(error))),
            Ok(()) => Err(E::from(StoreError::Database(
                "a preview was not rolled back".to_owned(),
            ))),
        }
    }

    /// Run `f` in a savepoint of this write transaction: when `f` fails, its changes alone
    /// are undone and the transaction goes on (a bulk request runs each operation so).
    /// On PostgreSQL this also clears the aborted state a failed statement leaves.
    ///
    /// For write transactions ([`Store::write`], [`Store::write_batched`]); a
    /// [`Store::read`] on SQLite has no use for it and refuses it.
    pub fn savepoint<T, E>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        /// The caller's error, or the savepoint's own.
        enum Outcome<E> {
            Caller(E),
            Savepoint(diesel::result::Error),
        }
        impl<E> From<diesel::result::Error> for Outcome<E> {
            fn from(error: diesel::result::Error) -> Self {
                Outcome::Savepoint(error)
            }
        }
        let backend = self.backend;
        // Nested in a transaction, Diesel's `transaction` is SAVEPOINT, then RELEASE or
        // ROLLBACK TO.
        let pending_events = &mut self.pending_events;
        let pending_audit = &mut self.pending_audit;
        let facts_loaded = &mut self.facts_loaded;
        let facts = self.facts.clone();
        let kek = self.kek.clone();
        let outcome = self.conn.transaction(|conn| {
            let mut inner = Tx::new(conn, backend);
            inner.facts = facts;
            inner.kek = kek;
            let value = f(&mut inner).map_err(Outcome::Caller)?;
            // Kept only if the savepoint is: its events, records and loaded facts join the
            // transaction's.
            pending_events.append(&mut inner.pending_events);
            pending_audit.append(&mut inner.pending_audit);
            facts_loaded.append(&mut inner.facts_loaded);
            Ok(value)
        });
        outcome.map_err(|error| match error {
            Outcome::Caller(error) => error,
            Outcome::Savepoint(error) => E::from(StoreError::from(error)),
        })
    }
}
