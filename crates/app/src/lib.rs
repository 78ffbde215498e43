#![doc = include_str!("../README.md")]

mod access_delta;
mod actor;
mod api;
mod app;
mod clock;
mod config;
mod counters;
pub mod credential;
mod error;
pub mod events;
mod jobs;
mod latency;
mod lifecycle;
mod limits;
mod metrics;
mod org_schemas;
mod password;
mod provisioning;
mod request;
mod response;
mod review;
mod session;
mod surface;
mod trail;
mod transaction;

pub use access_delta::around as with_access_delta;
pub use access_delta::of_new as with_new_access;
pub use actor::{Actor, CredentialKind};
pub use api::Api;
pub use app::{App, MeResolver};
pub use clock::Clock;
pub use config::ScimConfig;
pub use counters::CounterSnapshot;
pub use error::{Error, Failure};
pub use jobs::{expire_grants, prune_audit, purge_deleted_users};
pub use metrics::{CONTENT_TYPE as METRICS_CONTENT_TYPE, Metrics, route_templates};
pub use password::verify_password;
pub use request::{Body, Headers, Method, Request};
pub use response::{BodyStream, JSON, Response, SCIM_JSON};
pub use review::{AccessReview, MAX_REVIEW_PAGE, REVIEW_PAGE, ReviewFormat};
pub use surface::oauth::TOKEN_BODY_LIMIT;
pub use trail::record_change;
pub use transaction::Access;

/// The 404 of a path that names no endpoint, in `api`'s shape (for paths outside every
/// mounted API too).
pub fn no_such_endpoint(api: Api) -> Response {
    surface::scim::routes::not_found().render(api)
}

/// An access explanation as `GET /admin/v1/access?user=…&resource=…` renders it (the
/// contributions with `via`: the named group chain); the CLI prints the same.
pub fn explanation_json(
    explanation: &org_model::Explanation,
    groups: &org_model::GroupGraph,
) -> serde_json::Value {
    review::explanation_document(explanation, groups)
}

/// An audit record as `GET /admin/v1/audit` renders it (one line of `rollcall audit export`).
pub fn audit_record_json(record: &rollcall_store::AuditRecord) -> serde_json::Value {
    surface::admin::record_document(record)
}

/// A webhook as `GET /admin/v1/webhooks` renders it (never its secret), with its delivery
/// state when known; the CLI prints the same.
pub fn webhook_json(
    webhook: &rollcall_store::Webhook,
    delivery: Option<&rollcall_store::ConsumerState>,
) -> serde_json::Value {
    surface::admin::webhooks::document(webhook, delivery)
}

/// An OAuth client as `GET /admin/v1/oauth-clients` renders it (never its secret).
pub fn oauth_client_json(client: &rollcall_store::OAuthClient) -> serde_json::Value {
    surface::admin::oauth_clients::document(client)
}

/// A JWT issuer registration as `GET /admin/v1/jwt-issuers` renders it (never its shared
/// secret).
pub fn jwt_issuer_json(issuer: &rollcall_store::JwtIssuer) -> serde_json::Value {
    surface::admin::jwt_issuers::document(issuer)
}

/// Check a JWT issuer registration body as `POST /admin/v1/jwt-issuers` does, or the
/// message the API would answer. Blocking: a JWKS host name is looked up.
pub fn jwt_issuer_request(
    body: &serde_json::Value,
    allow_private_addresses: bool,
) -> Result<rollcall_store::NewJwtIssuer, String> {
    surface::admin::jwt_issuers::requested(body, allow_private_addresses, &events::resolve)
        .map_err(|error| error.detail().to_owned())
}

/// Check a webhook creation body as `POST /admin/v1/webhooks` does (`{"url", "secret",
/// "events"}`): its url, secret and event types, or the message the API would answer.
/// `allow_private_addresses` is [`ScimConfig::allow_private_webhook_addresses`]. Blocking:
/// a host name is looked up.
pub fn webhook_request(
    body: &serde_json::Value,
    allow_private_addresses: bool,
) -> Result<(String, String, Vec<String>), String> {
    surface::admin::webhooks::requested(body, allow_private_addresses, &events::resolve)
        .map_err(|error| error.detail().to_owned())
}
