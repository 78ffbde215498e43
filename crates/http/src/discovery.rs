//! `/ServiceProviderConfig`, `/ResourceTypes[/{id}]` and `/Schemas[/{id}]` (RFC 7644 §4),
//! built by `scim_core::discovery` with absolute `meta.location` URLs.
//!
//! Decision: discovery needs no token (RFC 7644 §4 lets clients discover before they
//! authenticate): without one, `/Schemas` and `/ResourceTypes` describe the standard
//! schemas. With a SCIM token they describe the caller's organization, custom extension
//! schemas included (PRODUCT.md §2); a token that is sent must be valid (401 otherwise).

use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use scim_core::schema::urn;
use scim_core::{SchemaRegistry, ScimError, discovery};
use serde_json::{Value, json};

use crate::auth::{BearerToken, scim_transaction};
use crate::blocking::Access;
use crate::error::{ApiError, status_error};
use crate::response::{base_url, scim_json};
use crate::state::AppState;

/// A discovery request with a `filter` is a 403 (RFC 7644 §4: so that no client takes the
/// documents for ones that matched it).
fn refuse_filter(request: &HttpRequest) -> Result<(), ApiError> {
    let filtered = request
        .query_string()
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .any(|name| name.trim().eq_ignore_ascii_case("filter"));
    if filtered {
        return Err(status_error(
            403,
            format!(
                "{} takes no filter: its documents are all answered (RFC 7644 §4)",
                request.path()
            ),
        )
        .into());
    }
    Ok(())
}

/// `GET /ServiceProviderConfig`.
pub(crate) async fn service_provider_config(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    refuse_filter(&request)?;
    let document = discovery::service_provider_config(&state.features(), &base_url(&request));
    Ok(scim_json(StatusCode::OK, &document))
}

/// The registry discovery describes: the caller's organization's when a token is sent.
/// A `filter` is refused first.
async fn registry(
    request: &HttpRequest,
    state: &AppState,
) -> Result<Arc<SchemaRegistry>, ApiError> {
    refuse_filter(request)?;
    if request.headers().get(header::AUTHORIZATION).is_none() {
        return Ok(Arc::clone(&state.registry));
    }
    let token = BearerToken::from_request_head(request)?;
    scim_transaction(request, state, Access::Read, token, |_, caller| {
        Ok(Arc::clone(&caller.registry))
    })
    .await
}

/// `GET /ResourceTypes`.
pub(crate) async fn resource_types(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let registry = registry(&request, &state).await?;
    let documents = discovery::resource_types_list(&registry, &base_url(&request));
    Ok(scim_json(StatusCode::OK, &list_response(documents)))
}

/// `GET /ResourceTypes/{id}`.
pub(crate) async fn resource_type(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let registry = registry(&request, &state).await?;
    let rt = registry
        .resource_type(&id)
        .ok_or_else(|| ScimError::not_found(format!("no resource type {:?}", id.as_str())))?;
    let document = discovery::resource_type_document(rt, &base_url(&request));
    Ok(scim_json(StatusCode::OK, &document))
}

/// `GET /Schemas`.
pub(crate) async fn schemas(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let registry = registry(&request, &state).await?;
    let documents = discovery::schemas_list(&registry, &base_url(&request));
    Ok(scim_json(StatusCode::OK, &list_response(documents)))
}

/// `GET /Schemas/{id}` (URNs compare case-insensitively).
pub(crate) async fn schema(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let registry = registry(&request, &state).await?;
    let schema = registry
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
