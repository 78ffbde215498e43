//! The operator's key-encryption key over everything it wraps: users' data keys
//! (`erasure.rs`) and the sealed secrets (`sealed.rs`). At start the stored forms are
//! brought in line with the configured key ([`check`]); `rollcall kek rotate` rewraps
//! them all under a new one in one transaction ([`rotate`]).

use diesel::Connection;
use diesel::QueryableByName;
use diesel::sql_types::Text;

use crate::connection::AnyConnection;
use crate::erasure::{self, KeyEncryptionKey};
use crate::sealed::{self, CLEAR, SEALED_COLUMNS, WRAPPED};
use crate::sql::{Bind, Sql};
use crate::{Backend, StoreError};

#[derive(QueryableByName)]
struct SealedRow {
    #[diesel(sql_type = Text)]
    owner: String,
    #[diesel(sql_type = Text)]
    stored: String,
}

/// What a rotation rewrapped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rewrapped {
    /// Users' data keys.
    pub data_keys: u64,
    /// Webhook secrets, issuers' shared secrets and OAuth signing keys.
    pub secrets: u64,
}

/// At start: with a key-encryption key, every secret stored in clear is wrapped, and the
/// wrapped ones must open with it; without one, wrapped secrets are an error (the store
/// could not read them).
pub(crate) fn check(
    connection: &mut AnyConnection,
    backend: Backend,
    kek: Option<&KeyEncryptionKey>,
) -> Result<(), StoreError> {
    erasure::check_key_encryption(connection, backend, kek)?;
    for (table, column, owner, purpose) in SEALED_COLUMNS {
        let wrapped = rows(connection, backend, table, column, owner, WRAPPED, Some(1))?;
        if let Some(row) = wrapped.first() {
            if kek.is_none() {
                return Err(StoreError::Invalid(format!(
                    "the stored secrets ({table}) are wrapped with a key-encryption key: \
                     configure key_encryption_key (ROLLCALL_KEY_ENCRYPTION_KEY)"
                )));
            }
            sealed::open(&row.stored, kek, purpose, &row.owner)?;
        }
        if kek.is_some() {
            for row in rows(connection, backend, table, column, owner, CLEAR, None)? {
                let secret = sealed::open(&row.stored, None, purpose, &row.owner)?;
                let wrapped = sealed::seal(kek, purpose, &row.owner, &secret)?;
                update(
                    connection, backend, table, column, owner, &row.owner, wrapped,
                )?;
            }
        }
    }
    Ok(())
}

/// Rewrap every data key and sealed secret from `old` (the key they are wrapped with now;
/// `None`: stored in clear) to `new` (`None`: store them in clear), in one transaction:
/// all or nothing.
pub(crate) fn rotate(
    connection: &mut AnyConnection,
    backend: Backend,
    old: Option<&KeyEncryptionKey>,
    new: Option<&KeyEncryptionKey>,
) -> Result<Rewrapped, StoreError> {
    connection.transaction(|connection| {
        let data_keys = erasure::rewrap_data_keys(connection, backend, old, new, None)?;
        let mut secrets = 0;
        for (table, column, owner, purpose) in SEALED_COLUMNS {
            let all = rows(connection, backend, table, column, owner, "", None)?;
            for row in all {
                let secret = sealed::open(&row.stored, old, purpose, &row.owner)?;
                let sealed = sealed::seal(new, purpose, &row.owner, &secret)?;
                update(
                    connection, backend, table, column, owner, &row.owner, sealed,
                )?;
                secrets += 1;
            }
        }
        Ok(Rewrapped { data_keys, secrets })
    })
}

/// The sealed values of `table.column` that start with `prefix`.
fn rows(
    connection: &mut AnyConnection,
    backend: Backend,
    table: &str,
    column: &str,
    owner: &str,
    prefix: &str,
    limit: Option<u32>,
) -> Result<Vec<SealedRow>, StoreError> {
    let mut select = Sql::new(backend);
    select.push(&format!(
        "SELECT {owner} AS owner, {column} AS stored FROM {table} WHERE {column} IS NOT NULL \
         AND {column} LIKE '{prefix}%'"
    ));
    if let Some(limit) = limit {
        select.push(&format!(" LIMIT {limit}"));
    }
    select.load(connection)
}

fn update(
    connection: &mut AnyConnection,
    backend: Backend,
    table: &str,
    column: &str,
    owner_column: &str,
    owner: &str,
    stored: String,
) -> Result<(), StoreError> {
    let mut update = Sql::new(backend);
    update.push(&format!("UPDATE {table} SET {column} = "));
    update
        .push_bind(Bind::Text(stored))
        .push(&format!(" WHERE {owner_column} = "));
    update.push_bind(Bind::Text(owner.to_owned()));
    update.execute(connection)?;
    Ok(())
}
