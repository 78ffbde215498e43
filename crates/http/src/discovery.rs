//! `/ServiceProviderConfig`, `/ResourceTypes[/{id}]` and `/Schemas[/{id}]` (RFC 7644 §4),
//! built by `scim_core::discovery` with absolute `meta.location` URLs.
//!
//! Decision: discovery needs no token. The documents describe the server, not an
//! organization (RFC 7644 §4 lets clients discover before they authenticate), and a
//! client that sends its token anyway is answered the same. When per-organization
//! extension schemas arrive, `/Schemas` will need the caller's organization.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use scim_core::schema::urn;
use scim_core::{ScimError, discovery};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::response::{base_url, scim_json};
use crate::state::AppState;

/// `GET /ServiceProviderConfig`.
pub(crate) async fn service_provider_config(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResponse {
    let document = discovery::service_provider_config(&state.features(), &base_url(&request));
    scim_json(StatusCode::OK, &document)
}

/// `GET /ResourceTypes`.
pub(crate) async fn resource_types(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResponse {
    let documents = discovery::resource_types_list(&state.registry, &base_url(&request));
    scim_json(StatusCode::OK, &list_response(documents))
}

/// `GET /ResourceTypes/{id}`.
pub(crate) async fn resource_type(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let rt = state
        .registry
        .resource_type(&id)
        .ok_or_else(|| ScimError::not_found(format!("no resource type {:?}", id.as_str())))?;
    let document = discovery::resource_type_document(rt, &base_url(&request));
    Ok(scim_json(StatusCode::OK, &document))
}

/// `GET /Schemas`.
pub(crate) async fn schemas(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let documents = discovery::schemas_list(&state.registry, &base_url(&request));
    scim_json(StatusCode::OK, &list_response(documents))
}

/// `GET /Schemas/{id}` (URNs compare case-insensitively).
pub(crate) async fn schema(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let schema = state
        .registry
        .schemas()
        .iter()
        .find(|schema| schema.id.eq_ignore_ascii_case(&id))
        .ok_or_else(|| ScimError::not_found(format!("no schema {:?}", id.as_str())))?;
    let document = discovery::schema_document(schema, &base_url(&request));
    Ok(scim_json(StatusCode::OK, &document))
}

/// A ListResponse holding every document.
fn list_response(documents: Vec<Value>) -> Value {
    json!({
        "schemas": [urn::LIST_RESPONSE],
        "totalResults": documents.len(),
        "itemsPerPage": documents.len(),
        "startIndex": 1,
        "Resources": documents,
    })
}
