//! The embedded migrations, one directory per backend, and running them.

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use chrono::{DateTime, Utc};

use crate::connection::AnyConnection;
use crate::{StoreError, data_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The lock row that serializes PostgreSQL migrations, so several `rollcall` processes
/// starting at once on one database (a rolling upgrade) do not race: each runs every
/// pending migration in one transaction that first locks the row (`FOR UPDATE`). The
/// lock is the transaction's, not the session's: it holds behind a transaction-mode
/// pooler and on engines without advisory locks, and ends with the transaction, also
/// when the process dies.
const LOCK_TABLE: &str = "CREATE TABLE IF NOT EXISTS rollcall_migration_lock \
                          (id INTEGER PRIMARY KEY)";
const LOCK_ROW: &str = "INSERT INTO rollcall_migration_lock (id) VALUES (1) ON CONFLICT DO NOTHING";
const TAKE_LOCK: &str = "SELECT id FROM rollcall_migration_lock WHERE id = 1 FOR UPDATE";
const READ_COMMITTED: &str = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED";

/// How often creating the lock row is tried: two processes creating the table at the same
/// instant can clash in the catalogue; the loser finds it there on its next try.
const LOCK_SETUP_ATTEMPTS: u32 = 5;

/// Run pending migrations, SQL then data (`data_migrations.rs`, at `now`); the names of
/// those that ran.
pub(crate) fn run_pending(
    connection: &mut AnyConnection,
    kek: Option<&crate::KeyEncryptionKey>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let names = |applied: Vec<diesel::migration::MigrationVersion<'_>>| {
        applied.iter().map(ToString::to_string).collect::<Vec<_>>()
    };
    match connection {
        AnyConnection::Sqlite(sqlite) => {
            // One exclusive transaction, the SQL migrations (each a savepoint) and then the
            // data migrations: another process migrating the same file waits for it
            // (busy_timeout), then finds nothing to do.
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN EXCLUSIVE")?;
            let outcome = sqlite
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(names)
                .map_err(|error| StoreError::Migration(error.to_string()))
                .and_then(|mut applied| {
                    applied.extend(data_migrations::run_pending(connection, kek, now)?);
                    Ok(applied)
                });
            type Manager = <AnyConnection as diesel::Connection>::TransactionManager;
            match outcome {
                Ok(applied) => {
                    Manager::commit_transaction(connection)?;
                    Ok(applied)
                }
                Err(error) => {
                    let _ = Manager::rollback_transaction(connection);
                    Err(error)
                }
            }
        }
        AnyConnection::Postgresql(pg) => {
            let mut tried = 0;
            while let Err(error) = pg.batch_execute(&format!("{LOCK_TABLE}; {LOCK_ROW}")) {
                tried += 1;
                if tried >= LOCK_SETUP_ATTEMPTS {
                    return Err(StoreError::Migration(format!(
                        "the migration lock: {error}"
                    )));
                }
                std::thread::sleep(std::time::Duration::from_millis(50 * u64::from(tried)));
            }
            // One transaction: the lock row first, then every migration (each a savepoint),
            // then the data migrations. Another process waits on the row, then finds
            // nothing pending.
            connection.transaction::<_, StoreError, _>(|connection| {
                // READ COMMITTED whatever the database's default: at REPEATABLE READ or
                // SERIALIZABLE the snapshot would date from before the wait for the lock,
                // and a process that waited would not see the migrations the holder ran.
                let lock = format!("{READ_COMMITTED}; {TAKE_LOCK}");
                connection.batch_execute(&lock).map_err(|error| {
                    StoreError::Migration(format!("the migration lock: {error}"))
                })?;
                let mut applied = match &mut *connection {
                    AnyConnection::Postgresql(pg) => pg
                        .run_pending_migrations(POSTGRES_MIGRATIONS)
                        .map(names)
                        .map_err(|error| StoreError::Migration(error.to_string()))?,
                    AnyConnection::Sqlite(_) => Vec::new(),
                };
                applied.extend(data_migrations::run_pending(connection, kek, now)?);
                Ok(applied)
            })
        }
    }
}
