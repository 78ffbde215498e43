//! The admin API under `/admin/v1` (PRODUCT.md §10), authenticated with an organization's
//! admin token; JSON in and out, errors as `{"error": {"code", "message"}}`.
//!
//! So far: the organization and its settings (`GET|PATCH /org`), SCIM tokens, workspaces,
//! folders, grants, group mapping rules, its custom extension schemas, its webhooks, the
//! audit trail (every write recorded: `audited.rs`) and per-org health (`health.rs`).

mod access;
mod audit;
mod audited;
mod body;
mod error;
mod grants;
mod health;
mod org;
mod schemas;
mod tokens;
pub(crate) mod webhooks;
mod workspaces;

use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use chrono::{DateTime, Utc};
use rollcall_store::{Authenticated, StoreError, TokenKind, Tx};

use crate::auth::BearerToken;
use crate::blocking::{self, Access};
use crate::error::Failure;
use crate::logging::log_request;
use crate::state::AppState;

pub(crate) use access::explanation_document;
pub(crate) use audit::record_document;
pub(crate) use audited::settle_failure;
use audited::{Recorded, audited_transaction};
pub(crate) use error::AdminError;

/// The admin API's base path.
pub(crate) const ADMIN_PREFIX: &str = "/admin/v1";

/// Mount the admin API under `/admin/v1`.
pub(crate) fn configure(cfg: &mut web::ServiceConfig, state: AppState) {
    cfg.service(
        web::scope(ADMIN_PREFIX)
            .app_data(web::Data::new(state))
            .wrap(from_fn(log_request))
            .service(
                web::resource("/org")
                    .route(web::get().to(org::get))
                    .route(web::patch().to(org::patch))
                    .default_service(method_not_allowed("GET, PATCH")),
            )
            .service(
                web::resource("/scim-tokens")
                    .route(web::get().to(tokens::list))
                    .route(web::post().to(tokens::create))
                    .default_service(method_not_allowed("GET, POST")),
            )
            .service(
                web::resource("/scim-tokens/{id}")
                    .route(web::delete().to(tokens::delete))
                    .default_service(method_not_allowed("DELETE")),
            )
            .service(
                web::resource("/workspaces")
                    .route(web::get().to(workspaces::list))
                    .route(web::post().to(workspaces::create))
                    .default_service(method_not_allowed("GET, POST")),
            )
            .service(
                web::resource("/workspaces/{id}")
                    .route(web::get().to(workspaces::get))
                    .route(web::patch().to(workspaces::patch))
                    .route(web::delete().to(workspaces::delete))
                    .default_service(method_not_allowed("GET, PATCH, DELETE")),
            )
            .service(
                web::resource("/workspaces/{id}/folders")
                    .route(web::get().to(workspaces::list_folders))
                    .route(web::post().to(workspaces::create_folder))
                    .default_service(method_not_allowed("GET, POST")),
            )
            .service(
                web::resource("/folders/{id}")
                    .route(web::get().to(workspaces::get_folder))
                    .route(web::patch().to(workspaces::patch_folder))
                    .route(web::delete().to(workspaces::delete_folder))
                    .default_service(method_not_allowed("GET, PATCH, DELETE")),
            )
            .service(
                web::resource("/grants")
                    .route(web::get().to(grants::list))
                    .route(web::post().to(grants::create))
                    .default_service(method_not_allowed("GET, POST")),
            )
            .service(
                web::resource("/grants/{id}")
                    .route(web::delete().to(grants::delete))
                    .default_service(method_not_allowed("DELETE")),
            )
            .service(
                web::resource("/rules")
                    .route(web::get().to(grants::list_rules))
                    .route(web::post().to(grants::create_rule))
                    .default_service(method_not_allowed("GET, POST")),
            )
            .service(
                web::resource("/rules/{id}")
                    .route(web::delete().to(grants::delete_rule))
                    .default_service(method_not_allowed("DELETE")),
            )
            .service(
                web::resource("/audit")
                    .route(web::get().to(audit::list))
                    .default_service(method_not_allowed("GET")),
            )
            .service(
                web::resource("/health")
                    .route(web::get().to(health::get))
                    .default_service(method_not_allowed("GET")),
            )
            .service(
                web::resource("/access")
                    .route(web::get().to(access::get))
                    .default_service(method_not_allowed("GET")),
            )
            .service(
                web::resource("/access/join")
                    .route(web::post().to(access::join))
                    .default_service(method_not_allowed("POST")),
            )
            .service(
                web::resource("/schemas")
                    .route(web::get().to(schemas::list))
                    .route(web::post().to(schemas::create))
                    .default_service(method_not_allowed("GET, POST")),
            )
            .service(
                web::resource("/schemas/{urn}")
                    .route(web::delete().to(schemas::delete))
                    .default_service(method_not_allowed("DELETE")),
            )
            .service(
                web::resource("/webhooks")
                    .route(web::get().to(webhooks::list))
                    .route(web::post().to(webhooks::create))
                    .default_service(method_not_allowed("GET, POST")),
            )
            .service(
                web::resource("/webhooks/{id}")
                    .route(web::delete().to(webhooks::delete))
                    .default_service(method_not_allowed("DELETE")),
            )
            .default_service(web::to(|| async {
                AdminError::new(404, "not_found", "no such endpoint").error_response()
            })),
    );
}

fn method_not_allowed(allow: &'static str) -> actix_web::Route {
    web::to(move |request: HttpRequest| async move {
        let mut response = AdminError::new(
            405,
            "method_not_allowed",
            format!("{} is not allowed here; allowed: {allow}", request.method()),
        )
        .error_response();
        if let Ok(value) = header::HeaderValue::from_str(allow) {
            response.headers_mut().insert(header::ALLOW, value);
        }
        response
    })
}

/// Authenticate an admin token and run `f` for its organization in one transaction. `f`
/// answers `Ok(Err(..))` for a client error found before it wrote anything, and a
/// [`StoreError`] (rolled back; rendered with the status the SCIM side gives it: 409 for a
/// uniqueness clash, 404 for a missing row) for what the database refused.
pub(crate) async fn admin_transaction<T, F>(
    state: &AppState,
    access: Access,
    token: Result<BearerToken, crate::error::ApiError>,
    f: F,
) -> Result<T, AdminError>
where
    T: Send + 'static,
    F: FnOnce(&mut Tx<'_>, &Authenticated) -> Result<Result<T, AdminError>, StoreError>
        + Send
        + 'static,
{
    let token = token?;
    let now = state.now();
    blocking::run(state, access, move |tx| {
        let Some(caller) = tx.authenticate(token.secret(), TokenKind::Admin, now)? else {
            return Ok(Err(AdminError::invalid_token()));
        };
        f(tx, &caller).map_err(Failure::Store)
    })
    .await?
}

/// The `{id}` of the path.
pub(crate) fn path_id(request: &HttpRequest) -> String {
    request
        .match_info()
        .get("id")
        .unwrap_or_default()
        .to_owned()
}

/// `DELETE …/{id}`: `delete(tx, org_id, id, now)` for the caller's organization, recorded
/// as `operation` on `noun:id` with the detail `delete` answers; 204.
pub(crate) async fn delete_by_id<F>(
    request: &HttpRequest,
    state: &AppState,
    token: Result<BearerToken, crate::error::ApiError>,
    operation: &'static str,
    noun: &'static str,
    delete: F,
) -> Result<HttpResponse, AdminError>
where
    F: FnOnce(&mut Tx<'_>, &str, &str, DateTime<Utc>) -> Result<serde_json::Value, StoreError>
        + Send
        + 'static,
{
    let id = path_id(request);
    audited_transaction(
        request,
        state,
        token,
        operation,
        204,
        move |tx, caller, now| {
            let detail = delete(tx, &caller.org_id, &id, now)?;
            Ok(Ok(((), Recorded::new(format!("{noun}:{id}"), detail))))
        },
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET …/{id}`: `read(tx, org_id, id)` for the caller's organization, rendered; 200.
pub(crate) async fn get_by_id<T, F>(
    request: &HttpRequest,
    state: &AppState,
    token: Result<BearerToken, crate::error::ApiError>,
    read: F,
    render: impl FnOnce(&T) -> serde_json::Value,
) -> Result<HttpResponse, AdminError>
where
    T: Send + 'static,
    F: FnOnce(&mut Tx<'_>, &str, &str) -> Result<T, StoreError> + Send + 'static,
{
    let id = path_id(request);
    let value = admin_transaction(state, Access::Read, token, move |tx, caller| {
        Ok(Ok(read(tx, &caller.org_id, &id)?))
    })
    .await?;
    Ok(json(actix_web::http::StatusCode::OK, &render(&value)))
}

/// A JSON response.
pub(crate) fn json(status: actix_web::http::StatusCode, body: &serde_json::Value) -> HttpResponse {
    HttpResponse::build(status).json(body)
}
