//! `/ServiceProviderConfig`, `/ResourceTypes[/{id}]` and `/Schemas[/{id}]` (RFC 7644 §4),
//! built by `scim_core::discovery` with absolute `meta.location` URLs.
//!
//! Decision: discovery needs no token (RFC 7644 §4 lets clients discover before they
//! authenticate): without one, `/Schemas` and `/ResourceTypes` describe the standard
//! schemas. With a SCIM token they describe the caller's organization, custom extension
//! schemas included (PRODUCT.md §2); a token that is sent must be valid (401 otherwise).

use std::sync::Arc;

use scim_core::schema::urn;
use scim_core::{SchemaRegistry, ScimError, discovery};
use serde_json::{Value, json};

use crate::error::Error;
use crate::response::Response;
use crate::surface::call::Call;
use crate::transaction::Access;

/// A discovery request with a `filter` is a 403 (RFC 7644 §4: so that no client takes the
/// documents for ones that matched it).
fn refuse_filter(call: &Call<'_>) -> Result<(), Error> {
    let filtered = call
        .request
        .query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .any(|name| name.trim().eq_ignore_ascii_case("filter"));
    if filtered {
        return Err(Error::new(
            403,
            format!(
                "{} takes no filter: its documents are all answered (RFC 7644 §4)",
                call.full_path()
            ),
        ));
    }
    Ok(())
}

/// `GET /ServiceProviderConfig`.
pub(crate) fn service_provider_config(call: &mut Call<'_>) -> Result<Response, Error> {
    refuse_filter(call)?;
    let document = discovery::service_provider_config(&call.app.features(), call.base_url());
    Ok(Response::scim(200, &document))
}

/// The registry discovery describes: the actor's organization's when a credential is sent.
/// A `filter` is refused first.
async fn registry(call: &mut Call<'_>) -> Result<Arc<SchemaRegistry>, Error> {
    refuse_filter(call)?;
    if call.request.headers.get("authorization").is_none() {
        return Ok(Arc::clone(&call.app.standard));
    }
    let credential = call.credential()?;
    call.scim(Access::Read, &credential, |_, context| {
        Ok(context.schemas_handle())
    })
    .await
}

/// `GET /ResourceTypes`.
pub(crate) async fn resource_types(call: &mut Call<'_>) -> Result<Response, Error> {
    let registry = registry(call).await?;
    let documents = discovery::resource_types_list(&registry, call.base_url());
    Ok(Response::scim(200, &list_response(documents)))
}

/// `GET /ResourceTypes/{id}`.
pub(crate) async fn resource_type(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    let registry = registry(call).await?;
    let rt = registry
        .resource_type(id)
        .ok_or_else(|| ScimError::not_found(format!("no resource type {id:?}")))?;
    let document = discovery::resource_type_document(rt, call.base_url());
    Ok(Response::scim(200, &document))
}

/// `GET /Schemas`.
pub(crate) async fn schemas(call: &mut Call<'_>) -> Result<Response, Error> {
    let registry = registry(call).await?;
    let documents = discovery::schemas_list(&registry, call.base_url());
    Ok(Response::scim(200, &list_response(documents)))
}

/// `GET /Schemas/{id}` (URNs compare case-insensitively).
pub(crate) async fn schema(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    let registry = registry(call).await?;
    let schema = registry
        .schemas()
        .iter()
        .find(|schema| schema.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| ScimError::not_found(format!("no schema {id:?}")))?;
    let document = discovery::schema_document(schema, call.base_url());
    Ok(Response::scim(200, &document))
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
