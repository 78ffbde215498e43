//! `/ServiceProviderConfig`, `/ResourceTypes[/{id}]` and `/Schemas[/{id}]` (RFC 7644 §4),
//! built by `scim_core::discovery` with absolute `meta.location` URLs.
//!
//! Decision: discovery needs no token (RFC 7644 §4 lets clients discover before they
//! authenticate): without one, `/Schemas` and `/ResourceTypes` describe the standard
//! schemas. With a SCIM token they describe the caller's organization, custom extension
//! schemas included (PRODUCT.md §2), and `/ServiceProviderConfig` its `changePassword`
//! (PRODUCT.md §1); a token that is sent must be valid (401 otherwise).

use std::sync::Arc;

use org_model::PasswordStorage;
use scim_core::ServiceProviderFeatures;
use scim_core::discovery::AuthenticationScheme;
use scim_core::discovery::{BulkLimits, CursorPaging, PaginationMethod};
use scim_core::schema::urn;
use scim_core::{SchemaRegistry, ScimError, discovery};
use serde_json::{Value, json};

use super::cursor::CURSOR_TIMEOUT_SECONDS;
use crate::config::ScimConfig;
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

/// `GET /ServiceProviderConfig`: with a SCIM credential, the organization's
/// (`changePassword` follows its `password_storage`: supported only when it keeps argon2id
/// hashes; `authenticationSchemes` lists bearer tokens, and OAuth client credentials and
/// JWTs when it has an active OAuth client or a trusted issuer). Without one, every
/// scheme the server accepts.
pub(crate) async fn service_provider_config(call: &mut Call<'_>) -> Result<Response, Error> {
    refuse_filter(call)?;
    let mut features = features(&call.app.config);
    let token_endpoint = token_endpoint(call.base_url());
    let (mut oauth, mut jwt) = (true, true);
    if call.request.headers.get("authorization").is_some() {
        let credential = call.credential()?;
        let (storage, has_clients, has_issuers) = call
            .scim(Access::Read, &credential, |tx, context| {
                let storage = tx.orgs().settings(context.org())?.password_storage;
                let clients = tx.oauth().list(context.org())?;
                let issuers = tx.jwt_issuers().list(context.org())?;
                Ok((
                    storage,
                    clients.iter().any(|client| client.revoked_at.is_none()),
                    !issuers.is_empty(),
                ))
            })
            .await?;
        features.change_password = storage == PasswordStorage::Argon2id;
        (oauth, jwt) = (has_clients, has_issuers);
    }
    if oauth {
        features
            .authentication_schemes
            .push(AuthenticationScheme::oauth2_client_credentials(
                &token_endpoint,
            ));
    }
    if jwt {
        features
            .authentication_schemes
            .push(AuthenticationScheme::jwt_bearer());
    }
    let document = discovery::service_provider_config(&features, call.base_url());
    Ok(Response::scim(200, &document))
}

/// The token endpoint beside the SCIM mount `base_url` (`…/scim/v2` → `…/oauth/token`).
fn token_endpoint(base_url: &str) -> String {
    let root = base_url
        .strip_suffix(crate::api::Api::Scim.prefix())
        .unwrap_or(base_url);
    format!("{}/oauth/token", root.trim_end_matches('/'))
}

/// What `/ServiceProviderConfig` advertises: exactly what the surface implements, within
/// `config`'s limits.
fn features(config: &ScimConfig) -> ServiceProviderFeatures {
    ServiceProviderFeatures {
        bulk: Some(BulkLimits {
            max_operations: config.max_bulk_operations,
            max_payload_size: u64::try_from(config.max_bulk_payload_bytes).unwrap_or(u64::MAX),
        }),
        // RFC 9865: cursors and startIndex both; startIndex when the request names neither
        // (what clients written before RFC 9865 expect).
        cursor_paging: Some(CursorPaging {
            index: true,
            default_pagination_method: PaginationMethod::Index,
            default_page_size: page_size(config.default_page_size.min(config.max_page_size)),
            max_page_size: page_size(config.max_page_size),
            cursor_timeout_seconds: CURSOR_TIMEOUT_SECONDS,
        }),
        filter_max_results: u32::try_from(config.max_page_size).unwrap_or(u32::MAX),
        ..ServiceProviderFeatures::default()
    }
}

/// A page size as advertised.
fn page_size(size: u64) -> u32 {
    u32::try_from(size).unwrap_or(u32::MAX)
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
