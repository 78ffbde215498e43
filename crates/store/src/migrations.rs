//! The embedded migrations, one directory per backend, and running them.

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use chrono::{DateTime, Utc};

use crate::connection::AnyConnection;
use crate::{StoreError, data_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// An arbitrary constant: the PostgreSQL advisory lock that serializes migrations, so
/// several `rollcall` processes starting at once on one database do not race.
const MIGRATION_LOCK: i64 = 0x726f_6c6c_6361_6c6c;

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
            // One exclusive transaction (each migration a savepoint in it): another process
            // migrating the same file waits for it (busy_timeout), then finds nothing to do.
            let mut applied = sqlite.exclusive_transaction(|sqlite| {
                sqlite
                    .run_pending_migrations(SQLITE_MIGRATIONS)
                    .map(names)
                    .map_err(|error| StoreError::Migration(error.to_string()))
            })?;
            applied.extend(data_migrations::run_pending(connection, kek, now)?);
            Ok(applied)
        }
        AnyConnection::Postgresql(pg) => {
            pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .map_err(|error| StoreError::Migration(error.to_string()))?;
            let outcome = pg
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(names)
                .map_err(|error| StoreError::Migration(error.to_string()))
                .and_then(|mut applied| {
                    applied.extend(data_migrations::run_pending(connection, kek, now)?);
                    Ok(applied)
                });
            let unlocked =
                connection.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
            let applied = outcome?;
            unlocked.map_err(|error| StoreError::Migration(error.to_string()))?;
            Ok(applied)
        }
    }
}
