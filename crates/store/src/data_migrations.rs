//! Data migrations: changes to stored rows that need Rust (Unicode, JSON), run once each
//! right after the SQL migrations, in a transaction of their own, recorded in
//! `data_migrations`. What one finds that an operator must look at (rows it could not
//! migrate as they were) goes to `migration_findings`, which `rollcall migrate` lists on
//! every run.
//!
//! - `identity_keys` (issue 20): every `userName` and group `displayName` gets its identity
//!   key (`scim_core::identity::key`). Rows of one organization whose keys collide (two
//!   users that differ only by case folding or normal form, which older builds accepted)
//!   keep the oldest row's key as it is; the others get theirs suffixed with their id, so
//!   the unique index holds, and are listed until one of them is renamed.
//! - `manager_references` (issue 20): a user's enterprise `manager.value` that names no
//!   user of its organization (older builds stored any string, another organization's ids
//!   included) is cleared, the user's version bumped, and listed.
//! - `audit_personal_values` (issue 21): the personal values in records written before
//!   erasure existed are sealed under their user's data key (`erasure.rs`), or erased for
//!   a user already purged, and values never returned still in clear (`password`) become
//!   `"[redacted]"`. This is the one permitted rewrite of old records: the append-only
//!   guard on UPDATE is lifted inside its transaction only, and each organization's trail
//!   records it (`audit.sealed`, actor `system`). It runs before `audit_chain`, so the
//!   chain covers the sealed form.
//! - `audit_chain` (issue 21): each organization's audit head is set to the hash of its
//!   last record, the chain computed through every record written before it existed
//!   (`audit_chain.rs`); no record is edited.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::Value;

use crate::connection::AnyConnection;
use crate::schema::{data_migrations, migration_findings};
use crate::sql::{Bind, Sql};
use crate::{Backend, ResourceKind, StoreError, timestamp, values};

/// What a data migration found for an operator to look at.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct MigrationFinding {
    /// The data migration (`identity_keys`, `manager_references`).
    pub migration: String,
    /// The organization.
    pub org_id: String,
    /// What it is about (a user or group id).
    pub subject: String,
    /// What was found and done.
    pub detail: String,
    /// When (the migration's time).
    pub found_at: String,
}

/// A finding before it is recorded.
struct Found {
    org_id: String,
    subject: String,
    detail: String,
}

/// What a step gets: the connection, its backend, the migration's time, and the operator's
/// key-encryption key (for data keys a step makes).
type Step = fn(&mut AnyConnection, Backend, &StepContext<'_>) -> Result<Vec<Found>, StoreError>;

/// The context of a data migration step.
struct StepContext<'a> {
    now: DateTime<Utc>,
    kek: Option<&'a crate::KeyEncryptionKey>,
}

/// The data migrations, in the order they run.
const STEPS: &[(&str, Step)] = &[
    ("identity_keys", identity_keys),
    ("manager_references", manager_references),
    ("audit_personal_values", audit_personal_values),
    ("audit_chain", audit_chain),
];

/// Run the data migrations that have not run; the names of those that ran.
pub(crate) fn run_pending(
    connection: &mut AnyConnection,
    kek: Option<&crate::KeyEncryptionKey>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let context = StepContext { now, kek };
    let backend = match connection {
        AnyConnection::Sqlite(_) => Backend::Sqlite,
        AnyConnection::Postgresql(_) => Backend::Postgres,
    };
    let mut ran = Vec::new();
    for (name, step) in STEPS {
        let ran_now = connection.transaction::<_, StoreError, _>(|connection| {
            // A write first: on SQLite it takes the database's write lock, so that two
            // processes starting at once do not both run the step (PostgreSQL: the
            // migrations' advisory lock is held).
            diesel::update(data_migrations::table.filter(data_migrations::name.eq(name)))
                .set(data_migrations::ran_at.eq(data_migrations::ran_at))
                .execute(connection)?;
            let done: i64 = data_migrations::table
                .filter(data_migrations::name.eq(name))
                .count()
                .get_result(connection)?;
            if done > 0 {
                return Ok(false);
            }
            let found = step(connection, backend, &context)?;
            let at = timestamp::to_db(now);
            for finding in found {
                diesel::insert_into(migration_findings::table)
                    .values((
                        migration_findings::migration.eq(name),
                        migration_findings::org_id.eq(&finding.org_id),
                        migration_findings::subject.eq(&finding.subject),
                        migration_findings::detail.eq(&finding.detail),
                        migration_findings::found_at.eq(&at),
                    ))
                    .execute(connection)?;
            }
            diesel::insert_into(data_migrations::table)
                .values((
                    data_migrations::name.eq(name),
                    data_migrations::ran_at.eq(&at),
                ))
                .execute(connection)?;
            Ok(true)
        })?;
        if ran_now {
            ran.push(format!("data:{name}"));
        }
    }
    Ok(ran)
}

/// Everything the data migrations found, by organization.
pub(crate) fn findings(
    connection: &mut AnyConnection,
) -> Result<Vec<MigrationFinding>, StoreError> {
    Ok(migration_findings::table
        .order((
            migration_findings::org_id,
            migration_findings::migration,
            migration_findings::subject,
        ))
        .load(connection)?)
}

#[derive(QueryableByName)]
struct NamedRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    key: String,
}

#[derive(QueryableByName)]
struct OrgRow {
    #[diesel(sql_type = Text)]
    org_id: String,
}

fn orgs_of(
    connection: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<String>, StoreError> {
    let mut sql = Sql::new(backend);
    sql.push(&format!("SELECT DISTINCT org_id FROM {table}"));
    let rows: Vec<OrgRow> = sql.load(connection)?;
    Ok(rows.into_iter().map(|row| row.org_id).collect())
}

/// The identity keys of users and groups, organization by organization.
fn identity_keys(
    connection: &mut AnyConnection,
    backend: Backend,
    _context: &StepContext<'_>,
) -> Result<Vec<Found>, StoreError> {
    let mut found = Vec::new();
    for (kind, name_column, key_column, attribute) in [
        (ResourceKind::User, "user_name", "user_name_key", "userName"),
        (
            ResourceKind::Group,
            "display_name",
            "display_name_key",
            "displayName",
        ),
    ] {
        let table = kind.table();
        for org_id in orgs_of(connection, backend, table)? {
            let mut sql = Sql::new(backend);
            sql.push(&format!(
                "SELECT id, {name_column} AS name, {key_column} AS key FROM {table} \
                 WHERE org_id = "
            ))
            .push_bind(Bind::Text(org_id.clone()))
            .push(" ORDER BY created, id");
            let rows: Vec<NamedRow> = sql.load(connection)?;
            // The first row (oldest) with a key keeps it; later ones are suffixed.
            let mut owners: HashMap<String, (String, String)> = HashMap::new();
            let mut changes: Vec<(String, String)> = Vec::new();
            for row in rows {
                let key = scim_core::identity::key(&row.name);
                let final_key = match owners.get(&key) {
                    None => {
                        owners.insert(key.clone(), (row.id.clone(), row.name.clone()));
                        key
                    }
                    Some((first, first_name)) => {
                        found.push(Found {
                            org_id: org_id.clone(),
                            subject: row.id.clone(),
                            detail: format!(
                                "{attribute} {:?} names the same identity as {first} ({first_name:?}): \
                                 its key is suffixed with its id until one of them is renamed",
                                row.name
                            ),
                        });
                        format!("{key}\u{1f}{}", row.id)
                    }
                };
                if final_key != row.key {
                    changes.push((row.id, final_key));
                }
            }
            // Out of the way first, so that no intermediate state breaks the unique index.
            for (id, _) in &changes {
                set_key(
                    connection,
                    backend,
                    table,
                    key_column,
                    id,
                    &format!("\u{1f}\u{1f}{id}"),
                )?;
            }
            for (id, key) in &changes {
                set_key(connection, backend, table, key_column, id, key)?;
            }
        }
    }
    Ok(found)
}

fn set_key(
    connection: &mut AnyConnection,
    backend: Backend,
    table: &str,
    key_column: &str,
    id: &str,
    key: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(backend);
    sql.push(&format!("UPDATE {table} SET {key_column} = "))
        .push_bind(Bind::Text(key.to_owned()))
        .push(" WHERE id = ")
        .push_bind(Bind::Text(id.to_owned()));
    sql.execute(connection)?;
    Ok(())
}

#[derive(QueryableByName)]
struct DataRow {
    #[diesel(sql_type = Text)]
    org_id: String,
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    data: String,
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The key under which an object holds `name`, compared case-insensitively.
fn key_of(object: &serde_json::Map<String, Value>, name: &str) -> Option<String> {
    object
        .keys()
        .find(|key| key.eq_ignore_ascii_case(name))
        .cloned()
}

/// Clear every `manager.value` that names no user of the user's organization.
fn manager_references(
    connection: &mut AnyConnection,
    backend: Backend,
    context: &StepContext<'_>,
) -> Result<Vec<Found>, StoreError> {
    let enterprise = scim_core::urn::ENTERPRISE_USER;
    let mut sql = Sql::new(backend);
    sql.push(
        "SELECT org_id, id, data FROM scim_users WHERE data LIKE '%anager%' ORDER BY org_id, id",
    );
    let rows: Vec<DataRow> = sql.load(connection)?;
    let mut found = Vec::new();
    for row in rows {
        let Ok(Value::Object(mut data)) = serde_json::from_str::<Value>(&row.data) else {
            continue;
        };
        let Some(extension_key) = key_of(&data, enterprise) else {
            continue;
        };
        let Some(Value::Object(extension)) = data.get_mut(&extension_key) else {
            continue;
        };
        let Some(manager_key) = key_of(extension, "manager") else {
            continue;
        };
        let value = match &extension[&manager_key] {
            Value::Object(manager) => {
                key_of(manager, "value").and_then(|key| manager[&key].as_str().map(str::to_owned))
            }
            Value::String(id) => Some(id.clone()),
            _ => None,
        };
        let Some(value) = value.filter(|value| !value.is_empty()) else {
            continue;
        };
        let mut exists = Sql::new(backend);
        exists
            .push("SELECT COUNT(*) AS n FROM scim_users WHERE org_id = ")
            .push_bind(Bind::Text(row.org_id.clone()))
            .push(" AND id = ")
            .push_bind(Bind::Text(value.clone()));
        let known: Vec<Exists> = exists.load(connection)?;
        if known.first().is_some_and(|count| count.n > 0) {
            continue;
        }
        extension.remove(&manager_key);
        if extension.is_empty() {
            data.remove(&extension_key);
            if let Some(Value::Array(schemas)) = data.get_mut("schemas") {
                schemas.retain(|urn| {
                    !urn.as_str()
                        .is_some_and(|urn| urn.eq_ignore_ascii_case(enterprise))
                });
            }
        }
        let data = Value::Object(data);
        let mut update = Sql::new(backend);
        update
            .push("UPDATE scim_users SET version = version + 1, last_modified = ")
            .push_bind(Bind::Text(timestamp::to_db(context.now)))
            .push(", data = ")
            .push_bind(Bind::Text(data.to_string()))
            .push(" WHERE org_id = ")
            .push_bind(Bind::Text(row.org_id.clone()))
            .push(" AND id = ")
            .push_bind(Bind::Text(row.id.clone()));
        update.execute(connection)?;
        let rows = values::index_rows(&data, ResourceKind::User.dedicated());
        values::write_rows(connection, backend, &row.org_id, &row.id, &rows)?;
        found.push(Found {
            org_id: row.org_id,
            subject: row.id,
            detail: format!("manager.value {value:?} named no user of the organization: cleared"),
        });
    }
    Ok(found)
}

/// `audit_chain`: each organization's head at the hash of its last record, the chain
/// recomputed through every record as `Audit::verify` does (none carries hashes yet).
fn audit_chain(
    connection: &mut AnyConnection,
    backend: Backend,
    _context: &StepContext<'_>,
) -> Result<Vec<Found>, StoreError> {
    use crate::schema::audit_heads;
    for org_id in orgs_of(connection, backend, "audit_events")? {
        let report = crate::Tx::new(connection, backend)
            .audit()
            .verify(&org_id)?;
        diesel::insert_into(audit_heads::table)
            .values((
                audit_heads::org_id.eq(&org_id),
                audit_heads::last_hash.eq(&report.last_hash),
            ))
            .execute(connection)?;
    }
    Ok(Vec::new())
}

#[derive(QueryableByName)]
struct SealRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    org_id: String,
    #[diesel(sql_type = Text)]
    target: String,
    #[diesel(sql_type = Text)]
    detail: String,
}

/// `audit_personal_values`: see the module documentation.
fn audit_personal_values(
    connection: &mut AnyConnection,
    backend: Backend,
    context: &StepContext<'_>,
) -> Result<Vec<Found>, StoreError> {
    use crate::erasure;
    use crate::schema::user_tombstones;
    const PAGE: i64 = 1000;
    let (lift, restore) = match backend {
        Backend::Sqlite => (
            "DROP TRIGGER audit_events_no_update",
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events \
             BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
        ),
        Backend::Postgres => (
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change",
            "ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change",
        ),
    };
    let mut statement = Sql::new(backend);
    statement.push(lift);
    statement.execute(connection)?;
    let mut rewritten: HashMap<String, u64> = HashMap::new();
    let mut after = 0_i64;
    loop {
        let mut select = Sql::new(backend);
        select
            .push("SELECT seq, org_id, target, detail FROM audit_events WHERE seq > ")
            .push_bind(Bind::BigInt(after))
            .push(" AND target LIKE 'user:%' ORDER BY seq LIMIT ")
            .push_bind(Bind::BigInt(PAGE));
        let rows: Vec<SealRow> = select.load(connection)?;
        for row in &rows {
            let Ok(mut detail) = serde_json::from_str::<Value>(&row.detail) else {
                continue;
            };
            if !erasure::has_personal_values(&detail) {
                continue;
            }
            for side in ["before", "after"] {
                if let Some(password) = detail
                    .get_mut(side)
                    .and_then(|side| side.get_mut("password"))
                    && !password.is_null()
                {
                    *password = Value::String(scim_core::REDACTED.to_owned());
                }
            }
            let user_id = row.target.trim_start_matches("user:");
            let purged: Option<Option<String>> = user_tombstones::table
                .filter(user_tombstones::org_id.eq(&row.org_id))
                .filter(user_tombstones::id.eq(user_id))
                .select(user_tombstones::purged_at)
                .first(connection)
                .optional()?;
            let key = if matches!(purged, Some(Some(_))) {
                None
            } else {
                crate::Tx::new(connection, backend)
                    .with_kek(context.kek.cloned().map(std::sync::Arc::new))
                    .data_key(&row.org_id, user_id, true)?
            };
            erasure::seal(&mut detail, &row.org_id, user_id, key.as_ref());
            let text = detail.to_string();
            if text != row.detail {
                let mut update = Sql::new(backend);
                update
                    .push("UPDATE audit_events SET detail = ")
                    .push_bind(Bind::Text(text))
                    .push(" WHERE seq = ")
                    .push_bind(Bind::BigInt(row.seq));
                update.execute(connection)?;
                *rewritten.entry(row.org_id.clone()).or_default() += 1;
            }
        }
        match rows.last() {
            Some(last) if rows.len() == PAGE as usize => after = last.seq,
            _ => break,
        }
    }
    let mut statement = Sql::new(backend);
    statement.push(restore);
    statement.execute(connection)?;
    let mut orgs: Vec<(String, u64)> = rewritten.into_iter().collect();
    orgs.sort();
    for (org_id, records) in orgs {
        let mut insert = Sql::new(backend);
        insert.push(
            "INSERT INTO audit_events (id, org_id, occurred_at, actor, operation, target, status, detail) VALUES (",
        );
        insert
            .push_bind(Bind::Text(crate::org::new_id()))
            .push(", ");
        insert.push_bind(Bind::Text(org_id.clone())).push(", ");
        insert
            .push_bind(Bind::Text(timestamp::to_db(context.now)))
            .push(", ");
        insert.push("'system', 'audit.sealed', ");
        insert
            .push_bind(Bind::Text(format!("org:{org_id}")))
            .push(", 200, ");
        insert
            .push_bind(Bind::Text(
                serde_json::json!({"records": records, "migration": "audit_personal_values"})
                    .to_string(),
            ))
            .push(")");
        insert.execute(connection)?;
    }
    Ok(Vec::new())
}
