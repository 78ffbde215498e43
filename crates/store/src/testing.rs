//! Test databases (feature `testing`): a fresh SQLite file or a fresh PostgreSQL schema per
//! test, removed on drop, so tests are isolated and run in parallel.
//!
//! PostgreSQL is `$ROLLCALL_TEST_POSTGRES_URL` or `postgres://postgres@127.0.0.1:5432/test`.
//! When it does not answer, [`TestDb::postgres`] says so once on stderr and returns `None`,
//! unless `CI=true`, where a missing PostgreSQL is a failure.

#![allow(clippy::panic, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Once;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::members::Members;
use crate::resource::{Assigned, Resources};
use crate::{
    AuditQuery, AuditRecord, Backend, Store, StoreError, StoreOptions, StoredResource, Tx,
};

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// One column of the catalogue ([`TestDb::catalogue`]).
#[derive(diesel::QueryableByName)]
struct CatalogueColumn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
}

/// A database of its own for one test; dropping it removes the SQLite file(s) or drops the
/// PostgreSQL schema.
#[derive(Debug)]
pub struct TestDb {
    url: String,
    backend: Backend,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    SqliteFile(PathBuf),
    PostgresSchema { admin_url: String, schema: String },
}

fn random_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl TestDb {
    /// A fresh SQLite file under `std::env::temp_dir()`.
    pub fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("rollcall-test-{}.db", random_suffix()));
        TestDb {
            url: format!("sqlite://{}", path.display()),
            backend: Backend::Sqlite,
            cleanup: Cleanup::SqliteFile(path),
        }
    }

    /// A fresh schema on `$ROLLCALL_TEST_POSTGRES_URL` (default
    /// `postgres://postgres@127.0.0.1:5432/test`); `None` when PostgreSQL does not answer,
    /// unless `CI=true`, where that panics.
    pub fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var("ROLLCALL_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let mut admin = match PgConnection::establish(&admin_url) {
            Ok(connection) => connection,
            Err(error) => {
                if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                    panic!("PostgreSQL at {admin_url} is required when CI=true: {error}");
                }
                static SAY_ONCE: Once = Once::new();
                SAY_ONCE.call_once(|| {
                    eprintln!(
                        "skipping PostgreSQL tests: no server at {admin_url} ({}); set ROLLCALL_TEST_POSTGRES_URL",
                        error.to_string().trim()
                    );
                });
                return None;
            }
        };
        let schema = format!("s_{}", random_suffix());
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .unwrap_or_else(|error| panic!("CREATE SCHEMA on {admin_url}: {error}"));
        Some(TestDb::on_schema(admin_url, schema, isolation()))
    }

    /// A fresh schema as [`TestDb::postgres`] gives, whose connections all run at
    /// `SERIALIZABLE` isolation (as a distributed engine does), whatever
    /// `$ROLLCALL_TEST_POSTGRES_ISOLATION` says.
    pub fn postgres_serializable() -> Option<TestDb> {
        let mut db = TestDb::postgres()?;
        if let Cleanup::PostgresSchema { admin_url, schema } = &db.cleanup {
            db.url = TestDb::url_of(admin_url, schema, Some("serializable"));
        }
        Some(db)
    }

    fn on_schema(admin_url: String, schema: String, isolation: Option<String>) -> TestDb {
        TestDb {
            url: TestDb::url_of(&admin_url, &schema, isolation.as_deref()),
            backend: Backend::Postgres,
            cleanup: Cleanup::PostgresSchema { admin_url, schema },
        }
    }

    /// The URL of `schema` at `admin_url`, with the default isolation level if one is given.
    fn url_of(admin_url: &str, schema: &str, isolation: Option<&str>) -> String {
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let mut options = format!("-c search_path={schema}");
        if let Some(level) = isolation {
            options.push_str(&format!(" -c default_transaction_isolation={level}"));
        }
        let options = options.replace(' ', "%20").replace('=', "%3D");
        format!("{admin_url}{separator}options={options}")
    }
}

/// `$ROLLCALL_TEST_POSTGRES_ISOLATION` (`serializable`, or another one-word level): the isolation
/// level every PostgreSQL test database runs at, so the whole suite can run as a
/// distributed engine would (CI runs it once at `serializable`). Unset: the server's.
fn isolation() -> Option<String> {
    std::env::var("ROLLCALL_TEST_POSTGRES_ISOLATION")
        .ok()
        .filter(|level| !level.trim().is_empty())
}

impl TestDb {
    /// SQLite, and PostgreSQL when it answers.
    pub fn all() -> Vec<TestDb> {
        let mut databases = vec![TestDb::sqlite()];
        databases.extend(TestDb::postgres());
        databases
    }

    /// The database URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Run raw SQL on a connection of its own, outside the store (to prove what the database
    /// itself refuses); the database's error as text.
    pub fn execute_raw(&self, sql: &str) -> Result<(), String> {
        let mut connection =
            crate::connection::establish(&self.url).map_err(|error| error.to_string())?;
        connection
            .batch_execute(sql)
            .map_err(|error| error.to_string())
    }

    /// The single BIGINT that `sql` (a `SELECT COUNT(*) …` or the like, run on a connection
    /// of its own) answers, to check what the database holds beneath the store.
    pub fn count(&self, sql: &str) -> Result<i64, String> {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut connection =
            crate::connection::establish(&self.url).map_err(|error| error.to_string())?;
        let sql = format!("SELECT CAST(({sql}) AS BIGINT) AS n");
        let rows: Vec<Count> = match &mut connection {
            crate::connection::AnyConnection::Sqlite(c) => diesel::sql_query(sql).load(c),
            crate::connection::AnyConnection::Postgresql(c) => diesel::sql_query(sql).load(c),
        }
        .map_err(|error| error.to_string())?;
        rows.first()
            .map(|row| row.n)
            .ok_or_else(|| "no row".to_owned())
    }

    /// Every `table.column` of the database whose value (as text) contains `needle`: the
    /// proof that something is gone from every table, not only from those a test thought
    /// of. Reads the catalogue (SQLite's `sqlite_master` and `pragma_table_info`,
    /// PostgreSQL's `information_schema` of the test's schema).
    pub fn columns_holding(&self, needle: &str) -> Result<Vec<String>, String> {
        use diesel::RunQueryDsl;
        let mut connection =
            crate::connection::establish(&self.url).map_err(|error| error.to_string())?;
        let columns = self.catalogue(&mut connection)?;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let needle = needle.replace('\'', "''");
        let mut holding = Vec::new();
        for column in columns {
            let sql = format!(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM \"{}\" \
                 WHERE CAST(\"{}\" AS TEXT) LIKE '%{needle}%'",
                column.table_name, column.column_name
            );
            let rows: Vec<Count> = match &mut connection {
                crate::connection::AnyConnection::Sqlite(c) => diesel::sql_query(sql).load(c),
                crate::connection::AnyConnection::Postgresql(c) => diesel::sql_query(sql).load(c),
            }
            .map_err(|error| error.to_string())?;
            if rows.first().is_some_and(|row| row.n > 0) {
                holding.push(format!("{}.{}", column.table_name, column.column_name));
            }
        }
        Ok(holding)
    }

    /// Every row of every table, each as its columns cast to text and joined, sorted per
    /// table: the proof that a request changed nothing, whatever table it might have
    /// touched. Reads the catalogue as [`TestDb::columns_holding`] does.
    pub fn snapshot(&self) -> Result<std::collections::BTreeMap<String, Vec<String>>, String> {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            row: String,
        }
        let mut connection =
            crate::connection::establish(&self.url).map_err(|error| error.to_string())?;
        let columns = self.catalogue(&mut connection)?;
        let mut tables: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for column in &columns {
            tables
                .entry(column.table_name.clone())
                .or_default()
                .push(format!(
                    "COALESCE(CAST(\"{}\" AS TEXT), '<null>')",
                    column.column_name
                ));
        }
        let mut snapshot = std::collections::BTreeMap::new();
        for (table, parts) in tables {
            let sql = format!(
                "SELECT {} AS row FROM \"{table}\"",
                parts.join(" || '|' || ")
            );
            let mut rows: Vec<String> = match &mut connection {
                crate::connection::AnyConnection::Sqlite(c) => diesel::sql_query(sql).load(c),
                crate::connection::AnyConnection::Postgresql(c) => diesel::sql_query(sql).load(c),
            }
            .map_err(|error| error.to_string())?
            .into_iter()
            .map(|row: Row| row.row)
            .collect();
            rows.sort();
            snapshot.insert(table, rows);
        }
        Ok(snapshot)
    }

    /// Every column of every table of the database, in table and column order, from the
    /// catalogue (SQLite's `sqlite_master` and `pragma_table_info`, PostgreSQL's
    /// `information_schema` of the test's schema).
    fn catalogue(
        &self,
        connection: &mut crate::connection::AnyConnection,
    ) -> Result<Vec<CatalogueColumn>, String> {
        use diesel::RunQueryDsl;
        let catalogue = match self.backend {
            Backend::Sqlite => {
                "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m \
                 JOIN pragma_table_info(m.name) p WHERE m.type = 'table' \
                 AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid"
            }
            Backend::Postgres => {
                "SELECT table_name::text AS table_name, column_name::text AS column_name \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 ORDER BY table_name, ordinal_position"
            }
        };
        match connection {
            crate::connection::AnyConnection::Sqlite(c) => diesel::sql_query(catalogue).load(c),
            crate::connection::AnyConnection::Postgresql(c) => diesel::sql_query(catalogue).load(c),
        }
        .map_err(|error| error.to_string())
    }

    /// [`Store::open`] with default options; panics on failure (tests only). The cursor key
    /// of a test database is recorded as made at the Unix epoch: no test reads it.
    pub fn open(&self) -> Store {
        Store::open(&self.url, &StoreOptions::default(), DateTime::UNIX_EPOCH)
            .unwrap_or_else(|error| panic!("opening {}: {error}", self.url))
    }
}

/// Every audit record of `org_id`, oldest first (at most 1,000); panics on failure.
pub fn trail(store: &Store, org_id: &str) -> Vec<AuditRecord> {
    store
        .read(|tx| {
            tx.audit().query(
                org_id,
                &AuditQuery {
                    limit: 1000,
                    ..AuditQuery::default()
                },
            )
        })
        .unwrap_or_else(|error| panic!("reading the trail of {org_id}: {error}"))
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut name = path.clone().into_os_string();
                    name.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(name));
                }
            }
            Cleanup::PostgresSchema { admin_url, schema } => {
                if let Ok(mut admin) = PgConnection::establish(admin_url) {
                    let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                }
            }
        }
    }
}

#[derive(diesel::QueryableByName)]
struct SqlitePlanRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

#[derive(diesel::QueryableByName)]
struct PostgresPlanRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[diesel(column_name = "QUERY PLAN")]
    line: String,
}

impl Resources<'_, '_> {
    /// The query plan of the page query of [`Resources::list`], one line per step
    /// (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL). Tests only.
    pub fn explain_list(
        &mut self,
        org_id: &str,
        query: &crate::ListQuery<'_>,
    ) -> Result<Vec<String>, StoreError> {
        let sql = crate::list::list_sql(self.tx.backend, org_id, self.kind, query);
        explain(self.tx, sql)
    }

    /// Store a resource that already has its `id` and `meta` (`created`, `lastModified`,
    /// `version` as `W/"<n>"`; another version text becomes 0), as the shared filter corpus
    /// needs. Tests only (feature `testing`).
    pub fn import(&mut self, org_id: &str, resource: &Value) -> Result<StoredResource, StoreError> {
        let text = |pointer: &str| resource.pointer(pointer).and_then(Value::as_str);
        let instant = |pointer: &str| -> Result<DateTime<Utc>, StoreError> {
            text(pointer)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| StoreError::Invalid(format!("{pointer} is no RFC 3339 time")))
        };
        let version = text("/meta/version")
            .and_then(|v| v.strip_prefix("W/\"")?.strip_suffix('"')?.parse().ok())
            .unwrap_or(0);
        let assigned = Assigned {
            id: text("/id")
                .ok_or_else(|| StoreError::Invalid("id is required".to_owned()))?
                .to_owned(),
            created: instant("/meta/created")?,
            last_modified: instant("/meta/lastModified")?,
            version,
        };
        self.tx
            .insert_resource(org_id, self.kind, resource, assigned)
    }
}

impl Members<'_, '_> {
    /// The query plan of the lookup that checks PATCH member ids (`MemberChange::Add`)
    /// for a chunk of `ids`, as [`Resources::explain_list`] gives it. Tests only.
    pub fn explain_member_lookup(
        &mut self,
        org_id: &str,
        ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let sql = crate::members::lookup_sql(self.tx.backend, org_id, ids);
        explain(self.tx, sql)
    }

    /// The query plan of removing every member of a group (`MemberChange::RemoveAll`),
    /// as [`Resources::explain_list`] gives it. Tests only.
    pub fn explain_remove_all_members(
        &mut self,
        org_id: &str,
        group_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        let sql = crate::members::delete_where_sql(self.tx.backend, org_id, group_id, None);
        explain(self.tx, sql)
    }
}

/// The plan of `sql`, one line per step.
fn explain(tx: &mut Tx<'_>, mut sql: crate::sql::Sql) -> Result<Vec<String>, StoreError> {
    match tx.backend {
        Backend::Sqlite => {
            sql.prepend("EXPLAIN QUERY PLAN ");
            let rows: Vec<SqlitePlanRow> = sql.load(tx.conn)?;
            Ok(rows.into_iter().map(|row| row.detail).collect())
        }
        Backend::Postgres => {
            sql.prepend("EXPLAIN ");
            let rows: Vec<PostgresPlanRow> = sql.load(tx.conn)?;
            Ok(rows.into_iter().map(|row| row.line).collect())
        }
    }
}
