//! Secrets shared by every server process on one database (`server_secrets`): created once
//! by whichever process starts first, then read by all.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::Text;
use rand::RngCore;

use crate::connection::AnyConnection;
use crate::sql::{Bind, Sql};
use crate::{Backend, StoreError};

/// The name of the key that signs paging cursors.
const CURSOR_KEY: &str = "cursor";

#[derive(QueryableByName)]
struct SecretRow {
    #[diesel(sql_type = Text)]
    secret: String,
}

/// The 32-byte cursor key: created (random, recorded as made at `now`) if the database has
/// none yet, then read back, so concurrent first starts agree on the one that was stored.
pub(crate) fn cursor_key(
    connection: &mut AnyConnection,
    backend: Backend,
    now: DateTime<Utc>,
) -> Result<[u8; 32], StoreError> {
    let mut fresh = [0u8; 32];
    rand::rng().fill_bytes(&mut fresh);
    let mut insert = Sql::new(backend);
    insert.push("INSERT INTO server_secrets (name, secret, created_at) VALUES (");
    insert
        .push_bind(Bind::Text(CURSOR_KEY.to_owned()))
        .push(", ");
    insert.push_bind(Bind::Text(hex::encode(fresh))).push(", ");
    insert
        .push_bind(Bind::Text(crate::timestamp::to_db(now)))
        .push(") ON CONFLICT (name) DO NOTHING");
    insert.execute(connection)?;
    let mut select = Sql::new(backend);
    select.push("SELECT secret FROM server_secrets WHERE name = ");
    select.push_bind(Bind::Text(CURSOR_KEY.to_owned()));
    let row: SecretRow = select
        .optional(connection)?
        .ok_or_else(|| StoreError::Database("the cursor key was not stored".to_owned()))?;
    let mut key = [0u8; 32];
    hex::decode_to_slice(row.secret.trim(), &mut key)
        .map_err(|error| StoreError::Database(format!("the stored cursor key: {error}")))?;
    Ok(key)
}
