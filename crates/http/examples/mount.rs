//! Another actix-web service that mounts Rollcall's SCIM endpoints next to its own routes.
//!
//! ```text
//! cargo run -p rollcall-http --example mount [DATABASE_URL_OR_SQLITE_PATH]
//! ```
//!
//! The database is the first argument or `DATABASE_URL` (a `sqlite://` or `postgres://`
//! URL, or a plain SQLite file path); by default a fresh SQLite file in the temp
//! directory. On a database without organizations it creates one; either way it creates a
//! SCIM token and prints it with the base URL. It listens on `127.0.0.1:$PORT` (8090).
//! It also subscribes to Rollcall's events in-process and prints each one (a real service
//! would end a deactivated user's sessions there); the dispatcher also delivers the
//! organizations' webhooks.

use std::io;
use std::sync::Arc;

use actix_web::{HttpResponse, HttpServer, web};
use rollcall_app::events::{Dispatcher, Event, EventSubscriber, SubscriberError};
use rollcall_http::{App, ScimConfig};
use rollcall_store::{Backend, Store, StoreOptions, TokenKind};

/// The embedding service's own route.
async fn hello() -> HttpResponse {
    HttpResponse::Ok().body("hello from the embedding service\n")
}

/// The embedding service's reaction to events: here, a line on stdout.
struct PrintEvents;

impl EventSubscriber for PrintEvents {
    fn name(&self) -> &str {
        // The key of this subscriber's cursor in the database: it resumes where it stopped.
        "mount-example-printer"
    }

    fn handle(&self, event: &Event) -> Result<(), SubscriberError> {
        println!("event:         {}", event.to_json());
        Ok(())
    }
}

fn database_url() -> String {
    let given = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("DATABASE_URL").ok());
    match given {
        Some(url) if url.contains("://") => url,
        Some(path) => format!("sqlite://{path}"),
        None => {
            let path = std::env::temp_dir()
                .join(format!("rollcall-mount-example-{}.db", std::process::id()));
            format!("sqlite://{}", path.display())
        }
    }
}

/// The first organization (created when there is none) and a new SCIM token for it.
fn org_and_token(store: &Store) -> Result<(String, String), rollcall_store::StoreError> {
    store.write(|tx| {
        let now = rollcall_app::Clock::system().now();
        let org = match tx.orgs().list()?.into_iter().next() {
            Some(org) => org,
            None => tx.orgs().create("Example", now)?,
        };
        let token =
            tx.tokens()
                .create(&org.id, TokenKind::Scim, Some("mount example"), None, now)?;
        Ok((org.id, token.secret))
    })
}

#[actix_web::main]
async fn main() -> io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let url = database_url();
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(8090);
    let now = rollcall_app::Clock::system().now();
    let store = Store::open(&url, &StoreOptions::default(), now).map_err(io::Error::other)?;
    let (org_id, token) = org_and_token(&store).map_err(io::Error::other)?;
    let rollcall = App::new(store.clone(), ScimConfig::default());

    // A PostgreSQL URL may hold a password: name only the backend then.
    match store.backend() {
        Backend::Sqlite => println!("database:      {url}"),
        Backend::Postgres => println!("database:      PostgreSQL"),
    }
    println!("organization:  {org_id}");
    println!("SCIM base URL: http://127.0.0.1:{port}/scim/v2");
    println!("SCIM token:    {token}");
    println!("own route:     http://127.0.0.1:{port}/hello");

    let dispatcher = Dispatcher::new(store)
        .subscribe(Arc::new(PrintEvents))
        .spawn();
    let served = HttpServer::new(move || {
        let rollcall = rollcall.clone();
        actix_web::App::new()
            .route("/hello", web::get().to(hello))
            .configure(|config| rollcall_http::configure(config, rollcall))
            .default_service(web::to(rollcall_http::not_found))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await;
    dispatcher.stop();
    served
}
