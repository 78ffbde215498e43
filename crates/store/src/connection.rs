//! Connections: one enum over SQLite and PostgreSQL chosen from the URL scheme, the r2d2
//! manager that opens them (with real error messages), and the per-connection SQLite settings.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection, R2D2Connection};

use crate::{Backend, StoreError};

/// The most bytes a log file keeps once it starts over (`PRAGMA journal_size_limit`, set
/// on every connection): under steady writes the file stays near this size rather than at
/// the largest it ever reached.
pub(crate) const JOURNAL_SIZE_LIMIT: u32 = 4 * 1024 * 1024;

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

/// The page cache of a SQLite connection, in KiB. In WAL mode a connection drops its
/// cache whenever another connection has written since its last read, so under writes a
/// reader's cache seldom outlives a few requests; the pool's connections together held up
/// to 64 MiB of resident memory at 8 MiB each (docs/benchmarks.md, "What the resident
/// memory is made of").
const READER_CACHE_KIB: u32 = 2 * 1024;

/// The writer connection's page cache, in KiB: it keeps its cache across its own commits.
const WRITER_CACHE_KIB: u32 = 8 * 1024;

/// Give a SQLite writer connection its larger page cache ([`WRITER_CACHE_KIB`]).
pub(crate) fn writer_cache(connection: &mut AnyConnection) -> Result<(), StoreError> {
    if let AnyConnection::Sqlite(sqlite) = connection {
        sqlite.batch_execute(&format!("PRAGMA cache_size = -{WRITER_CACHE_KIB};"))?;
    }
    Ok(())
}

/// How often a new SQLite connection's settings are tried while the file is locked (50 ms
/// apart: about 5 s, as `busy_timeout`).
const CONFIGURE_ATTEMPTS: u32 = 100;

/// Open one connection, dispatching on the scheme. Diesel's `SqliteConnection` turns a
/// leading `sqlite://` into `file:` and opens it as a URI, so `sqlite:///abs/path.db` and
/// `sqlite://relative.db` both work.
pub(crate) fn establish(url: &str) -> Result<AnyConnection, ConnectionError> {
    establish_for(url, None, true)
}

/// [`establish`], as the store's options want it: SQLite capped at `sqlite_max_pages`
/// pages, PostgreSQL without its statement cache unless `statement_cache`.
pub(crate) fn establish_for(
    url: &str,
    sqlite_max_pages: Option<u32>,
    statement_cache: bool,
) -> Result<AnyConnection, ConnectionError> {
    match backend_of(url) {
        Ok(Backend::Sqlite) => {
            let mut connection = SqliteConnection::establish(url)?;
            // Turning a new file to WAL takes an exclusive lock, and SQLite answers "database
            // is locked" at once, without waiting in its busy handler, while another
            // connection does the same (processes migrating a new file together): tried
            // again, for about as long as busy_timeout would have waited.
            let mut tried = 0;
            loop {
                match configure_sqlite(&mut connection, sqlite_max_pages) {
                    Ok(()) => break,
                    Err(error)
                        if tried < CONFIGURE_ATTEMPTS
                            && error.to_string().contains("database is locked") =>
                    {
                        tried += 1;
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                    Err(error) => return Err(ConnectionError::CouldntSetupConfiguration(error)),
                }
            }
            Ok(AnyConnection::Sqlite(connection))
        }
        Ok(Backend::Postgres) => {
            let mut connection = PgConnection::establish(url)?;
            if !statement_cache {
                connection
                    .set_prepared_statement_cache_size(diesel::connection::CacheSize::Disabled);
            }
            Ok(AnyConnection::Postgresql(connection))
        }
        Err(error) => Err(ConnectionError::InvalidConnectionUrl(error.to_string())),
    }
}

/// Per-connection SQLite settings: wait for locks instead of failing at once, write-ahead
/// log, fsync at checkpoints only, enforced foreign keys, statement journals and temporary
/// b-trees in memory (a multi-row INSERT otherwise opens, writes and unlinks a file per
/// transaction), and a page cache of [`READER_CACHE_KIB`] (the writer's is larger:
/// [`writer_cache`]).
fn configure_sqlite(connection: &mut SqliteConnection, max_pages: Option<u32>) -> QueryResult<()> {
    // journal_mode returns a row; batch_execute (sqlite3_exec) ignores it.
    connection.batch_execute(
        "PRAGMA busy_timeout = 5000;
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;",
    )?;
    connection.batch_execute(&format!("PRAGMA cache_size = -{READER_CACHE_KIB};"))?;
    connection.batch_execute(&format!(
        "PRAGMA journal_size_limit = {};",
        JOURNAL_SIZE_LIMIT
    ))?;
    if let Some(pages) = max_pages {
        // A write that would grow the file past it fails with SQLITE_FULL, as a full disk
        // does (`StoreError::Full`).
        connection.batch_execute(&format!("PRAGMA max_page_count = {pages};"))?;
    }
    Ok(())
}

/// The r2d2 manager: explicit scheme dispatch (the derived `establish` discards the real error).
#[derive(Debug)]
pub(crate) struct AnyManager {
    url: String,
    sqlite_max_pages: Option<u32>,
    /// PostgreSQL: whether connections keep their prepared statements.
    statement_cache: bool,
}

impl ManageConnection for AnyManager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        establish_for(&self.url, self.sqlite_max_pages, self.statement_cache)
            .map_err(r2d2::Error::ConnectionError)
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
struct SqliteSettings {
    max_pages: Option<u32>,
}

impl CustomizeConnection<AnyConnection, r2d2::Error> for SqliteSettings {
    fn on_acquire(&self, connection: &mut AnyConnection) -> Result<(), r2d2::Error> {
        match connection {
            AnyConnection::Sqlite(sqlite) => {
                configure_sqlite(sqlite, self.max_pages).map_err(r2d2::Error::QueryError)
            }
            AnyConnection::Postgresql(_) => Ok(()),
        }
    }
}

/// The connection pool.
pub(crate) type Pool = r2d2::Pool<AnyManager>;

#[derive(diesel::QueryableByName)]
struct Isolation {
    #[diesel(sql_type = diesel::sql_types::Text)]
    default_transaction_isolation: String,
}

/// Whether reads may run their statements without a transaction of their own: PostgreSQL
/// at `READ COMMITTED` (its default), where each statement of a transaction takes a
/// snapshot of its own anyway, so `BEGIN` and `COMMIT` would only add two round trips
/// and change nothing a read sees. At `REPEATABLE READ` or `SERIALIZABLE` (distributed
/// engines), a read keeps its transaction: its statements then share one snapshot.
pub(crate) fn reads_in_autocommit(connection: &mut AnyConnection) -> Result<bool, StoreError> {
    use diesel::RunQueryDsl;
    match connection {
        AnyConnection::Sqlite(_) => Ok(false),
        AnyConnection::Postgresql(pg) => {
            let level: Isolation =
                diesel::sql_query("SHOW default_transaction_isolation").get_result(pg)?;
            Ok(level.default_transaction_isolation == "read committed")
        }
    }
}

/// How long a checkout waits while the database is known to be unreachable (the last
/// checkout failed without every connection being open and busy): requests answer 503 at once instead of each waiting the full
/// connection timeout, and the first checkout that succeeds ends it. The pool keeps
/// trying to connect meanwhile, so a restarted database is found again by itself.
const WHILE_UNREACHABLE: Duration = Duration::from_millis(250);

/// Whether the database was unreachable at the last checkout.
#[derive(Debug, Default)]
pub(crate) struct Reachability {
    unreachable: std::sync::atomic::AtomicBool,
}

impl Reachability {
    /// A pooled connection: the pool's own timeout normally, [`WHILE_UNREACHABLE`] while
    /// the last checkout failed.
    pub(crate) fn checkout(
        &self,
        pool: &Pool,
    ) -> Result<r2d2::PooledConnection<AnyManager>, StoreError> {
        use std::sync::atomic::Ordering::Relaxed;
        let down = self.unreachable.load(Relaxed);
        let got = if down {
            pool.get_timeout(WHILE_UNREACHABLE)
        } else {
            pool.get()
        };
        match got {
            Ok(connection) => {
                if down {
                    self.unreachable.store(false, Relaxed);
                }
                Ok(connection)
            }
            Err(error) => {
                // A pool with every connection open and busy is only full; one that could
                // not open a connection meanwhile did not reach the database.
                let state = pool.state();
                if state.connections < pool.max_size() {
                    self.unreachable.store(true, Relaxed);
                }
                Err(error.into())
            }
        }
    }
}

/// Build a pool; connections are opened lazily (the caller checks the database by using it).
pub(crate) fn pool(url: &str, options: &crate::StoreOptions) -> Result<Pool, StoreError> {
    let (max_connections, connection_timeout) =
        (options.max_connections, options.connection_timeout);
    let sqlite_max_pages = options.sqlite_max_pages;
    // No `SELECT 1` on every checkout (one more round trip per request): a SQLite file
    // cannot drop a connection, and a PostgreSQL connection the server dropped is found by
    // using it, then discarded (`Store::read` runs a read again on another).
    r2d2::Pool::builder()
        .max_size(max_connections.max(1))
        .min_idle(Some(0))
        .test_on_check_out(false)
        .connection_timeout(connection_timeout)
        .connection_customizer(Box::new(SqliteSettings {
            max_pages: sqlite_max_pages,
        }))
        .build(AnyManager {
            url: url.to_owned(),
            sqlite_max_pages,
            statement_cache: options.statement_cache,
        })
        .map_err(|error| StoreError::Unavailable(error.to_string()))
}
