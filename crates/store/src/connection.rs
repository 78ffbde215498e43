//! Connections: one enum over SQLite and PostgreSQL chosen from the URL scheme, the r2d2
//! manager that opens them (with real error messages), and the per-connection SQLite settings.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection, R2D2Connection};

use crate::{Backend, StoreError};

/// A connection to either database. SQLite must stay the last variant: the derived
/// `establish` tries the variants in order and SQLite accepts almost any string (the store
/// never uses it: [`establish`] dispatches on the scheme).
#[derive(diesel::MultiConnection)]
pub(crate) enum AnyConnection {
    /// PostgreSQL (libpq).
    Postgresql(PgConnection),
    /// SQLite (bundled).
    Sqlite(SqliteConnection),
}

/// The backend a URL names, by its scheme.
pub(crate) fn backend_of(url: &str) -> Result<Backend, StoreError> {
    if url.starts_with("sqlite://") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::InvalidUrl(
            "expected sqlite://PATH, postgres://… or postgresql://…".to_owned(),
        ))
    }
}

/// For a SQLite file URL, create the directory the file goes in (as for the default
/// `sqlite://./data/rollcall.db`). Nothing for PostgreSQL, `:memory:` or a `file:` URI.
pub(crate) fn prepare(url: &str) -> Result<(), StoreError> {
    let Some(path) = url.strip_prefix("sqlite://") else {
        return Ok(());
    };
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(':') || path.starts_with("file:") {
        return Ok(());
    }
    match std::path::Path::new(path).parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(|error| {
                StoreError::Unavailable(format!("cannot create {}: {error}", parent.display()))
            })
        }
        _ => Ok(()),
    }
}

/// Open one connection, dispatching on the scheme. Diesel's `SqliteConnection` turns a
/// leading `sqlite://` into `file:` and opens it as a URI, so `sqlite:///abs/path.db` and
/// `sqlite://relative.db` both work.
pub(crate) fn establish(url: &str) -> Result<AnyConnection, ConnectionError> {
    match backend_of(url) {
        Ok(Backend::Sqlite) => {
            let mut connection = SqliteConnection::establish(url)?;
            configure_sqlite(&mut connection)
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(AnyConnection::Sqlite(connection))
        }
        Ok(Backend::Postgres) => PgConnection::establish(url).map(AnyConnection::Postgresql),
        Err(error) => Err(ConnectionError::InvalidConnectionUrl(error.to_string())),
    }
}

/// Per-connection SQLite settings: wait for locks instead of failing at once, write-ahead
/// log, fsync at checkpoints only, enforced foreign keys, statement journals and temporary
/// b-trees in memory (a multi-row INSERT otherwise opens, writes and unlinks a file per
/// transaction), and an 8 MiB page cache per connection.
fn configure_sqlite(connection: &mut SqliteConnection) -> QueryResult<()> {
    // journal_mode returns a row; batch_execute (sqlite3_exec) ignores it.
    connection.batch_execute(
        "PRAGMA busy_timeout = 5000;
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -8192;",
    )
}

/// The r2d2 manager: explicit scheme dispatch (the derived `establish` discards the real error).
#[derive(Debug)]
pub(crate) struct AnyManager {
    url: String,
}

impl ManageConnection for AnyManager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        establish(&self.url).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, connection: &mut AnyConnection) -> Result<(), r2d2::Error> {
        connection.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, connection: &mut AnyConnection) -> bool {
        std::thread::panicking() || connection.is_broken()
    }
}

/// Re-applies the SQLite settings whenever the pool hands out a new connection (they are
/// per connection; `establish` sets them too, this keeps the pool honest if it is bypassed).
#[derive(Debug)]
struct SqliteSettings;

impl CustomizeConnection<AnyConnection, r2d2::Error> for SqliteSettings {
    fn on_acquire(&self, connection: &mut AnyConnection) -> Result<(), r2d2::Error> {
        match connection {
            AnyConnection::Sqlite(sqlite) => {
                configure_sqlite(sqlite).map_err(r2d2::Error::QueryError)
            }
            AnyConnection::Postgresql(_) => Ok(()),
        }
    }
}

/// The connection pool.
pub(crate) type Pool = r2d2::Pool<AnyManager>;

/// Build a pool; connections are opened lazily (the caller checks the database by using it).
pub(crate) fn pool(
    url: &str,
    max_connections: u32,
    connection_timeout: Duration,
) -> Result<Pool, StoreError> {
    // A PostgreSQL server can drop a connection between two uses; a SQLite file cannot, so
    // SQLite skips the `SELECT 1` that r2d2 would otherwise run on every checkout.
    let check_on_checkout = !matches!(backend_of(url), Ok(Backend::Sqlite));
    r2d2::Pool::builder()
        .max_size(max_connections.max(1))
        .min_idle(Some(0))
        .test_on_check_out(check_on_checkout)
        .connection_timeout(connection_timeout)
        .connection_customizer(Box::new(SqliteSettings))
        .build(AnyManager {
            url: url.to_owned(),
        })
        .map_err(|error| StoreError::Unavailable(error.to_string()))
}
