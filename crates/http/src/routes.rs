//! The route table under `/scim/v2`. Unknown paths answer a SCIM 404, a known path with
//! the wrong method a SCIM 405 with `Allow`; HEAD is answered wherever GET is; `/Me` answers a SCIM 501 unless an embedder
//! names the subject (`me.rs`).

use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, ResponseError, guard, web};
use scim_core::ScimError;

use crate::bulk;
use crate::discovery;
use crate::error::ApiError;
use crate::logging::log_request;
use crate::me;
use crate::patch;
use crate::resources::{self, Groups, Users};
use crate::response::SCIM_PREFIX;
use crate::root_search::search_all;
use crate::state::AppState;

/// Mount every SCIM route under `/scim/v2`.
pub(crate) fn configure(cfg: &mut web::ServiceConfig, state: AppState) {
    cfg.service(
        web::scope(SCIM_PREFIX)
            .app_data(web::Data::new(state))
            .wrap(from_fn(log_request))
            .service(
                web::resource("/ServiceProviderConfig")
                    .route(get_or_head().to(discovery::service_provider_config))
                    .default_service(method_not_allowed("GET, HEAD")),
            )
            .service(
                web::resource("/ResourceTypes")
                    .route(get_or_head().to(discovery::resource_types))
                    .default_service(method_not_allowed("GET, HEAD")),
            )
            .service(
                web::resource("/ResourceTypes/{id}")
                    .route(get_or_head().to(discovery::resource_type))
                    .default_service(method_not_allowed("GET, HEAD")),
            )
            .service(
                web::resource("/Schemas")
                    .route(get_or_head().to(discovery::schemas))
                    .default_service(method_not_allowed("GET, HEAD")),
            )
            .service(
                web::resource("/Schemas/{id}")
                    .route(get_or_head().to(discovery::schema))
                    .default_service(method_not_allowed("GET, HEAD")),
            )
            .service(
                web::resource("/Users")
                    .route(get_or_head().to(resources::list::<Users>))
                    .route(web::post().to(resources::create::<Users>))
                    .default_service(method_not_allowed("GET, HEAD, POST")),
            )
            .service(
                web::resource("/Users/.search")
                    .route(web::post().to(resources::search::<Users>))
                    .default_service(method_not_allowed("POST")),
            )
            .service(
                web::resource("/Users/{id}")
                    .route(get_or_head().to(resources::get::<Users>))
                    .route(web::put().to(resources::replace::<Users>))
                    .route(web::patch().to(patch::patch::<Users>))
                    .route(web::delete().to(resources::delete::<Users>))
                    .default_service(method_not_allowed("GET, HEAD, PUT, PATCH, DELETE")),
            )
            .service(
                web::resource("/Groups")
                    .route(get_or_head().to(resources::list::<Groups>))
                    .route(web::post().to(resources::create::<Groups>))
                    .default_service(method_not_allowed("GET, HEAD, POST")),
            )
            .service(
                web::resource("/Groups/.search")
                    .route(web::post().to(resources::search::<Groups>))
                    .default_service(method_not_allowed("POST")),
            )
            .service(
                web::resource("/Groups/{id}")
                    .route(get_or_head().to(resources::get::<Groups>))
                    .route(web::put().to(resources::replace::<Groups>))
                    .route(web::patch().to(patch::patch::<Groups>))
                    .route(web::delete().to(resources::delete::<Groups>))
                    .default_service(method_not_allowed("GET, HEAD, PUT, PATCH, DELETE")),
            )
            .service(
                web::resource("/.search")
                    .route(web::post().to(search_all))
                    .default_service(method_not_allowed("POST")),
            )
            .service(
                web::resource("/Bulk")
                    .route(web::post().to(bulk::bulk))
                    .default_service(method_not_allowed("POST")),
            )
            .service(
                web::resource("/Me")
                    .route(get_or_head().to(me::get))
                    .route(web::put().to(me::replace))
                    .route(web::patch().to(me::patch))
                    .route(web::delete().to(me::delete))
                    .default_service(web::to(me::other)),
            )
            .default_service(web::to(not_found)),
    );
}

/// GET, and HEAD with the same handler (RFC 9110 §9.3.2: the server leaves the body out
/// of a HEAD response and keeps its headers).
fn get_or_head() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// A default service answering 405 with `Allow: allow`.
fn method_not_allowed(allow: &'static str) -> actix_web::Route {
    web::to(move |request: HttpRequest| async move {
        ApiError::method_not_allowed(request.method().as_str(), allow).error_response()
    })
}

async fn not_found() -> HttpResponse {
    not_found_response()
}

/// The SCIM 404 for a path that names no endpoint.
pub(crate) fn not_found_response() -> HttpResponse {
    ApiError::from(ScimError::not_found("no such endpoint")).error_response()
}
