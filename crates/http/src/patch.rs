//! `PATCH /Users/{id}` and `PATCH /Groups/{id}` (RFC 7644 §3.5.2).
//!
//! - A user is read, patched in memory (`apply_patch`) and written back only when the
//!   PATCH changed something (no version bump otherwise); 200 with the projected user.
//! - A group is read WITHOUT its members; `plan_group_patch` applies the non-member
//!   operations and turns the member operations into deltas, which the store applies
//!   row by row (cost proportional to the change, not to the group). 204 No Content, as
//!   Entra ID expects, unless `attributes` or `excludedAttributes` ask for a body: then
//!   200 with the projected group (members read only if the projection shows them).
//!
//! The writes themselves are in `operations.rs`, shared with `/Bulk`.

use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use rollcall_store::ResourceKind;

use crate::auth::{BearerToken, write_existing};
use crate::content::JsonBody;
use crate::error::ApiError;
use crate::etag::Preconditions;
use crate::list::{QueryParams, needs_members};
use crate::operations;
use crate::resources::{Kind, path_id};
use crate::response::{base_url, resource_response, with_location};
use crate::state::{AppState, resource_type};

/// `PATCH /Users/{id}`, `PATCH /Groups/{id}`.
pub(crate) async fn patch<K: Kind>(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let kind = K::KIND;
    let id = path_id(&request);
    let params = QueryParams::from_query(request.query_string())?;
    // A group answers 204 unless the client asks for attributes (Entra ID's expectation).
    let respond_with_body = kind == ResourceKind::User || params.has_projection();
    let preconditions = Preconditions::from_request(&request)?;
    let now = state.now();
    let body = body.0;
    let (stored, tolerated, registry, projection) = write_existing(
        &request,
        &state,
        &token,
        kind,
        &id,
        &preconditions,
        move |tx, caller, existing, expected_version| {
            let registry = Arc::clone(&caller.registry);
            let rt = resource_type(&registry, kind)?;
            let projection = params.projection(&registry, rt)?;
            let reload_members =
                respond_with_body && needs_members(&registry, rt, kind, &projection);
            let mut tolerated = Vec::new();
            let stored = operations::patch(
                tx,
                &registry,
                caller,
                kind,
                existing,
                expected_version,
                &body,
                now,
                reload_members,
                &mut tolerated,
            )?;
            Ok((stored, tolerated, registry, projection))
        },
    )
    .await?;
    state.deviations.record(&tolerated);
    if !respond_with_body {
        return Ok(HttpResponse::NoContent()
            .insert_header((header::ETAG, stored.etag()))
            .finish());
    }
    let rt = resource_type(&registry, kind)?;
    let body = projection.apply(
        &registry,
        rt,
        &with_location(&base_url(&request), kind, &stored),
    );
    Ok(resource_response(StatusCode::OK, &stored.etag(), &body))
}
