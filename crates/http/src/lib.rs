#![doc = include_str!("../README.md")]

mod access_delta;
mod admin;
mod audit;
mod auth;
mod blocking;
mod bulk;
mod content;
mod cursor;
mod discovery;
mod early_failure;
mod error;
mod etag;
pub mod events;
mod expiry;
mod health;
mod latency;
mod lifecycle;
mod list;
mod logging;
mod me;
mod metrics;
mod operations;
mod org_registry;
mod patch;
mod request_id;
mod resources;
mod response;
mod root_search;
mod routes;
mod state;

use actix_web::web;

pub use audit::record_change;
pub use expiry::expire_grants;
pub use me::MeResolver;
pub use state::AppState;

/// Limits and defaults of the SCIM endpoints, and what the admin API accepts as a webhook.
#[derive(Debug, Clone)]
pub struct ScimConfig {
    /// The largest request body accepted (413 beyond).
    pub max_body_bytes: usize,
    /// `count` when the client gives none.
    pub default_page_size: u64,
    /// The largest `count` honoured (larger ones are clamped).
    pub max_page_size: u64,
    /// `/Bulk`: the most operations in one request (`maxOperations`; 413 beyond).
    pub max_bulk_operations: u32,
    /// `/Bulk`: the largest request body (`maxPayloadSize`; 413 beyond).
    pub max_bulk_payload_bytes: usize,
    /// `POST /admin/v1/webhooks` accepts URLs whose host is a private IP address or a
    /// `localhost` name. Off by default: an organization's admin may not point deliveries
    /// at the server's own network. Set it together with
    /// [`events::DispatcherConfig::private_addresses`], which governs delivery.
    pub allow_private_webhook_addresses: bool,
}

impl Default for ScimConfig {
    fn default() -> Self {
        ScimConfig {
            max_body_bytes: 1024 * 1024,
            default_page_size: 100,
            max_page_size: 1000,
            max_bulk_operations: 1000,
            max_bulk_payload_bytes: 1024 * 1024,
            allow_private_webhook_addresses: false,
        }
    }
}

/// Mount the SCIM routes under `/scim/v2` (its unknown paths and wrong methods answer
/// SCIM errors too).
pub fn configure(cfg: &mut web::ServiceConfig, state: AppState) {
    routes::configure(cfg, state);
}

/// Mount the admin API under `/admin/v1` (PRODUCT.md §10), authenticated with an
/// organization's admin token; errors are `{"error": {"code", "message"}}`.
pub fn configure_admin(cfg: &mut web::ServiceConfig, state: AppState) {
    admin::configure(cfg, state);
}

/// Mount `/healthz` (liveness) and `/readyz` (the database answers) at the root; no token.
pub fn configure_health(cfg: &mut web::ServiceConfig, state: AppState) {
    let state = web::Data::new(state);
    cfg.service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(
            web::resource("/readyz")
                .app_data(state)
                .route(web::get().to(health::readyz)),
        );
}

/// An access explanation as `GET /admin/v1/access?user=…&resource=…` renders it (the
/// contributions with `via`: the named group chain); the CLI prints the same.
pub fn explanation_json(
    explanation: &org_model::Explanation,
    groups: &org_model::GroupGraph,
) -> serde_json::Value {
    admin::explanation_document(explanation, groups)
}

/// An audit record as `GET /admin/v1/audit` renders it (one line of `rollcall audit export`).
pub fn audit_record_json(record: &rollcall_store::AuditRecord) -> serde_json::Value {
    admin::record_document(record)
}

/// A webhook as `GET /admin/v1/webhooks` renders it (never its secret), with its delivery
/// state when known; the CLI prints the same.
pub fn webhook_json(
    webhook: &rollcall_store::Webhook,
    delivery: Option<&rollcall_store::ConsumerState>,
) -> serde_json::Value {
    admin::webhooks::document(webhook, delivery)
}

/// Check a webhook creation body as `POST /admin/v1/webhooks` does (`{"url", "secret",
/// "events"}`): its url, secret and event types, or the message the API would answer.
/// `allow_private_addresses` is [`ScimConfig::allow_private_webhook_addresses`].
pub fn webhook_request(
    body: &serde_json::Value,
    allow_private_addresses: bool,
) -> Result<(String, String, Vec<String>), String> {
    admin::webhooks::requested(body, allow_private_addresses).map_err(|error| error.message)
}

/// A SCIM 404 body for paths outside every mounted scope (`App::default_service`).
pub async fn not_found() -> actix_web::HttpResponse {
    routes::not_found_response()
}
