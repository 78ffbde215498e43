//! An axum service that serves Rollcall's SCIM endpoints through `rollcall-app`'s
//! framework-neutral surface, next to a route of its own: no actix anywhere.
//!
//! ```text
//! cargo run -p rollcall-app --example axum [DATABASE_URL_OR_SQLITE_PATH]
//! ```
//!
//! The database is the first argument or `DATABASE_URL` (a `sqlite://` or `postgres://`
//! URL, or a plain SQLite file path); by default a fresh SQLite file in the temp directory.
//! It creates an organization and a SCIM token, prints them with the base URL, and listens
//! on `127.0.0.1:$PORT` (8091).
//!
//! The adapter is [`scim`]: read the body within the limit the surface names, hand method,
//! path below the mount, query, headers and body to [`App::serve`], and write its answer
//! back. `tests/axum_okta.rs` runs Okta's provisioning sequence through it.

use axum::Router;
use axum::body::{Body as AxumBody, to_bytes};
use axum::extract::{Request as AxumRequest, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response as AxumResponse;
use axum::routing::get;
use rollcall_app::{Api, App, Body, Headers, Method, Request};

/// The router of the embedding service: its own `/hello`, and `/scim/v2` served by `app`.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/hello", get(|| async { "hello from the axum service\n" }))
        .nest(
            Api::Scim.prefix(),
            Router::new().fallback(scim).with_state(app),
        )
}

/// Every request under `/scim/v2`: the surface decides routes, statuses and bodies.
pub async fn scim(State(app): State<App>, request: AxumRequest) -> AxumResponse {
    let (parts, body) = request.into_parts();
    let method = Method::parse(parts.method.as_str());
    // Below the mount: axum's `nest` strips the prefix from the URI it hands on.
    let path = match parts.uri.path() {
        "" => "/".to_owned(),
        path => path.to_owned(),
    };
    let mut headers = Headers::new();
    for (name, value) in &parts.headers {
        headers.append(name.as_str(), value.as_bytes());
    }
    let body = match app.body_limit(Api::Scim, &method, &path) {
        None => Body::Bytes(Vec::new()),
        Some(limit) => match to_bytes(body, limit).await {
            Ok(bytes) => Body::Bytes(bytes.to_vec()),
            Err(_) => Body::TooLarge,
        },
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("localhost");
    let request = Request {
        method,
        path,
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers,
        body,
        base_url: format!("http://{host}{}", Api::Scim.prefix()),
        // The connection's address (axum's `ConnectInfo`), for the limits on failed
        // authentications per client; none here.
        peer: None,
    };
    let answer = app.serve(Api::Scim, request).await;
    // A streamed body (the admin API's access review) is written as it is produced.
    let body = match answer.stream {
        Some(stream) => AxumBody::from_stream(stream),
        None => AxumBody::from(answer.body),
    };
    let mut response = AxumResponse::new(body);
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

#[allow(dead_code)] // the test includes this file for `router` and `scim` only
fn database_url() -> String {
    let given = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("DATABASE_URL").ok());
    match given {
        Some(url) if url.contains("://") => url,
        Some(path) => format!("sqlite://{path}"),
        None => {
            let path = std::env::temp_dir()
                .join(format!("rollcall-axum-example-{}.db", std::process::id()));
            format!("sqlite://{}", path.display())
        }
    }
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    use rollcall_store::{Store, StoreOptions, TokenKind};

    let url = database_url();
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(8091);
    let store = Store::open(
        &url,
        &StoreOptions::default(),
        rollcall_app::Clock::system().now(),
    )?;
    let app = App::new(store.clone(), rollcall_app::ScimConfig::default());
    let now = app.now();
    let (org_id, token) = store.write(|tx| {
        let org = tx.orgs().create("axum example", now)?;
        let token =
            tx.tokens()
                .create(&org.id, TokenKind::Scim, Some("axum example"), None, now)?;
        Ok((org.id, token.secret))
    })?;
    println!("organization:  {org_id}");
    println!("SCIM base URL: http://127.0.0.1:{port}/scim/v2");
    println!("SCIM token:    {token}");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, router(app))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
