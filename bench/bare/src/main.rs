//! `bare`: the baseline of `bench/load.sh` (PRODUCT.md §9). An actix-web server whose one
//! handler answers `GET /Users?filter=userName eq "…"` with ONE indexed SQLite lookup in
//! `users(org_id, user_name_lower, data)` and the row's JSON in a SCIM list response. No
//! authentication, no filter parser, no projection: what Rollcall's filter read is
//! compared against.
//!
//! ```text
//! bare seed DB_PATH N     # create DB_PATH with N users user<i>@bench.example, i in 0..N
//! bare serve DB_PATH ADDR # serve them on ADDR (e.g. 127.0.0.1:8091)
//! ```

use std::collections::HashMap;

use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::{Context, bail};
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection, sql_query};

/// The organization every row belongs to (the lookup filters on it, as Rollcall does).
const ORG_ID: &str = "bench-org";

type SqlitePool = Pool<ConnectionManager<SqliteConnection>>;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [_, "seed", path, count] => seed(path, count.parse().context("N is not a number")?),
        [_, "serve", path, address] => serve(path, address),
        _ => bail!("usage: bare seed DB_PATH N | bare serve DB_PATH ADDR"),
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

fn seed(path: &str, count: u64) -> anyhow::Result<()> {
    let mut conn = SqliteConnection::establish(path).context("cannot open the database")?;
    sql_query("PRAGMA journal_mode = WAL").execute(&mut conn)?;
    sql_query(
        "CREATE TABLE IF NOT EXISTS users (org_id TEXT NOT NULL, user_name_lower TEXT NOT NULL, data TEXT NOT NULL)",
    )
    .execute(&mut conn)?;
    sql_query(
        "CREATE UNIQUE INDEX IF NOT EXISTS users_org_user_name ON users (org_id, user_name_lower)",
    )
    .execute(&mut conn)?;
    conn.transaction(|conn| {
        for index in 0..count {
            let data = user_json(index);
            sql_query("INSERT INTO users (org_id, user_name_lower, data) VALUES (?1, ?2, ?3)")
                .bind::<Text, _>(ORG_ID)
                .bind::<Text, _>(format!("user{index}@bench.example"))
                .bind::<Text, _>(data.to_string())
                .execute(conn)?;
        }
        diesel::QueryResult::Ok(())
    })?;
    println!("seeded {count} users into {path}");
    Ok(())
}

/// WAL and a busy timeout on every pooled connection, as Rollcall's store sets them.
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

fn serve(path: &str, address: &str) -> anyhow::Result<()> {
    let pool = Pool::builder()
        .max_size(8)
        .connection_customizer(Box::new(Pragmas))
        .build(ConnectionManager::<SqliteConnection>::new(path))
        .context("cannot open the database")?;
    actix_web::rt::System::new().block_on(async move {
        let pool = web::Data::new(pool);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(pool.clone())
                .route("/Users", web::get().to(users))
        })
        .bind(address)?;
        eprintln!("bare: listening on {address}");
        server.run().await
    })?;
    Ok(())
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    data: String,
}

/// The userName in `userName eq "…"`, crudely: between the first and the last quote.
fn user_name(filter: &str) -> Option<&str> {
    let start = filter.find('"')? + 1;
    let end = filter.rfind('"')?;
    filter.get(start..end)
}

async fn users(
    pool: web::Data<SqlitePool>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let Some(name) = query.get("filter").and_then(|filter| user_name(filter)) else {
        return HttpResponse::BadRequest().finish();
    };
    let name = name.to_lowercase();
    let found = web::block(move || -> anyhow::Result<Vec<Row>> {
        let mut conn = pool.get()?;
        Ok(
            sql_query("SELECT data FROM users WHERE org_id = ?1 AND user_name_lower = ?2")
                .bind::<Text, _>(ORG_ID)
                .bind::<Text, _>(name)
                .load::<Row>(&mut conn)?,
        )
    })
    .await;
    let rows = match found {
        Ok(Ok(rows)) => rows,
        _ => return HttpResponse::InternalServerError().finish(),
    };
    let resources: Vec<serde_json::Value> = rows
        .iter()
        .filter_map(|row| serde_json::from_str(&row.data).ok())
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
