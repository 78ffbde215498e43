//! `bare`: the ceiling of `bench/load.sh` (PRODUCT.md §9). An actix-web server whose one
//! handler answers `GET /Users?filter=userName eq "…"` with ONE indexed lookup in
//! `bare_users(org_id, user_name_lower, data)` and the row's JSON in a SCIM list response,
//! over an r2d2 pool of the same size as Rollcall's. No authentication, no filter parser,
//! no projection: what Rollcall's filter read is compared against.
//!
//! The lookup is diesel's query builder, whose statement is prepared once per connection
//! and cached (a `sql_query` would be prepared on every request, which no tuned service
//! does): the honest ceiling.
//!
//! ```text
//! bare seed URL N     # create the table at URL with N users user<i>@bench.example, i in 0..N
//! bare serve URL ADDR # serve them on ADDR (e.g. 127.0.0.1:8091)
//! ```
//!
//! URL is `sqlite://PATH` (or a bare path) or `postgres://…`.

use std::collections::HashMap;

use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::{Context, bail};
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::{PgConnection, SqliteConnection, sql_query};

/// The organization every row belongs to (the lookup filters on it, as Rollcall does).
const ORG_ID: &str = "bench-org";
/// Connections in the pool: Rollcall's default (`StoreOptions::default`).
const POOL_SIZE: u32 = 8;

diesel::table! {
    bare_users (org_id, user_name_lower) {
        org_id -> Text,
        user_name_lower -> Text,
        data -> Text,
    }
}

/// The two databases' pools.
#[derive(Clone)]
enum Database {
    Sqlite(Pool<ConnectionManager<SqliteConnection>>),
    Postgres(Pool<ConnectionManager<PgConnection>>),
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [_, "seed", url, count] => seed(url, count.parse().context("N is not a number")?),
        [_, "serve", url, address] => serve(url, address),
        _ => bail!("usage: bare seed URL N | bare serve URL ADDR"),
    }
}

/// A user as Rollcall would return it, so both servers send bodies of the same size.
fn user_json(index: u64) -> serde_json::Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": format!("00000000-0000-7000-8000-{index:012}"),
        "userName": format!("user{index}@bench.example"),
        "name": {"givenName": "Bench", "familyName": format!("User {index}")},
        "emails": [{"value": format!("user{index}@bench.example"), "type": "work", "primary": true}],
        "active": true,
        "meta": {
            "resourceType": "User",
            "created": "2026-11-22T12:00:00Z",
            "lastModified": "2026-11-22T12:00:00Z",
            "version": "W/\"1\"",
            "location": format!("http://127.0.0.1/scim/v2/Users/00000000-0000-7000-8000-{index:012}"),
        },
    })
}

/// The SQLite path of a `sqlite://` URL (or of a bare path); `None` for PostgreSQL.
fn sqlite_path(url: &str) -> Option<&str> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return None;
    }
    Some(url.strip_prefix("sqlite://").unwrap_or(url))
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS bare_users (org_id TEXT NOT NULL, \
     user_name_lower TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (org_id, user_name_lower))";

/// Rows inserted per statement while seeding.
const BATCH: u64 = 500;

fn rows(from: u64, to: u64) -> Vec<(String, String, String)> {
    (from..to)
        .map(|index| {
            (
                ORG_ID.to_owned(),
                format!("user{index}@bench.example"),
                user_json(index).to_string(),
            )
        })
        .collect()
}

macro_rules! seed_with {
    ($conn:expr, $count:expr) => {{
        let conn = $conn;
        sql_query(CREATE_TABLE).execute(conn)?;
        conn.transaction(|conn| {
            let mut from = 0;
            while from < $count {
                let to = (from + BATCH).min($count);
                let values: Vec<_> = rows(from, to)
                    .into_iter()
                    .map(|(org, name, data)| {
                        (
                            bare_users::org_id.eq(org),
                            bare_users::user_name_lower.eq(name),
                            bare_users::data.eq(data),
                        )
                    })
                    .collect();
                diesel::insert_into(bare_users::table)
                    .values(values)
                    .execute(conn)?;
                from = to;
            }
            diesel::QueryResult::Ok(())
        })?;
    }};
}

fn seed(url: &str, count: u64) -> anyhow::Result<()> {
    match sqlite_path(url) {
        Some(path) => {
            let mut conn = SqliteConnection::establish(path).context("cannot open the database")?;
            sql_query("PRAGMA journal_mode = WAL").execute(&mut conn)?;
            seed_with!(&mut conn, count);
        }
        None => {
            let mut conn = PgConnection::establish(url).context("cannot open the database")?;
            sql_query("DROP TABLE IF EXISTS bare_users").execute(&mut conn)?;
            seed_with!(&mut conn, count);
            sql_query("ANALYZE bare_users").execute(&mut conn)?;
        }
    }
    println!("seeded {count} users into {url}");
    Ok(())
}

/// WAL and a busy timeout on every pooled SQLite connection, as Rollcall's store sets them.
#[derive(Debug)]
struct Pragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        sql_query("PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL")
            .execute(conn)
            .map(|_| ())
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

fn serve(url: &str, address: &str) -> anyhow::Result<()> {
    let database = match sqlite_path(url) {
        Some(path) => Database::Sqlite(
            Pool::builder()
                .max_size(POOL_SIZE)
                .connection_customizer(Box::new(Pragmas))
                .build(ConnectionManager::<SqliteConnection>::new(path))
                .context("cannot open the database")?,
        ),
        None => Database::Postgres(
            Pool::builder()
                .max_size(POOL_SIZE)
                .build(ConnectionManager::<PgConnection>::new(url))
                .context("cannot open the database")?,
        ),
    };
    actix_web::rt::System::new().block_on(async move {
        let database = web::Data::new(database);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(database.clone())
                .route("/Users", web::get().to(users))
        })
        .bind(address)?;
        eprintln!("bare: listening on {address}");
        server.run().await
    })?;
    Ok(())
}

/// The userName in `userName eq "…"`, crudely: between the first and the last quote.
fn user_name(filter: &str) -> Option<&str> {
    let start = filter.find('"')? + 1;
    let end = filter.rfind('"')?;
    filter.get(start..end)
}

/// The one lookup, a statement diesel prepares once per connection.
macro_rules! lookup {
    ($pool:expr, $name:expr) => {{
        let mut conn = $pool.get()?;
        bare_users::table
            .filter(bare_users::org_id.eq(ORG_ID))
            .filter(bare_users::user_name_lower.eq($name))
            .select(bare_users::data)
            .load::<String>(&mut conn)?
    }};
}

async fn users(
    database: web::Data<Database>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let Some(name) = query.get("filter").and_then(|filter| user_name(filter)) else {
        return HttpResponse::BadRequest().finish();
    };
    let name = name.to_lowercase();
    let found = web::block(move || -> anyhow::Result<Vec<String>> {
        Ok(match database.get_ref() {
            Database::Sqlite(pool) => lookup!(pool, name),
            Database::Postgres(pool) => lookup!(pool, name),
        })
    })
    .await;
    let rows = match found {
        Ok(Ok(rows)) => rows,
        _ => return HttpResponse::InternalServerError().finish(),
    };
    let resources: Vec<serde_json::Value> = rows
        .iter()
        .filter_map(|row| serde_json::from_str(row).ok())
        .collect();
    let body = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": resources.len(),
        "itemsPerPage": resources.len(),
        "startIndex": 1,
        "Resources": resources,
    });
    HttpResponse::Ok()
        .content_type("application/scim+json")
        .body(body.to_string())
}
