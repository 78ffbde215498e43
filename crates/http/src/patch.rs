//! `PATCH /Users/{id}` and `PATCH /Groups/{id}` (RFC 7644 §3.5.2).
//!
//! - A user is read, patched in memory (`apply_patch`) and written back only when the
//!   PATCH changed something (no version bump otherwise); 200 with the projected user.
//! - A group is read WITHOUT its members; `plan_group_patch` applies the non-member
//!   operations and turns the member operations into deltas, which the store applies
//!   row by row (cost proportional to the change, not to the group). 204 No Content, as
//!   Entra ID expects, unless `attributes` or `excludedAttributes` ask for a body: then
//!   200 with the projected group (members read only if the projection shows them).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use rollcall_store::ResourceKind;
use scim_core::DialectContext;
use scim_core::patch::{PatchRequest, apply_patch, plan_group_patch};

use crate::auth::{BearerToken, write_existing};
use crate::content::JsonBody;
use crate::error::ApiError;
use crate::etag::Preconditions;
use crate::list::{QueryParams, needs_members};
use crate::resources::path_id;
use crate::response::{base_url, resource_response, with_location};
use crate::state::{AppState, resource_type};

/// `PATCH /Users/{id}`.
pub(crate) async fn patch_user(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let kind = ResourceKind::User;
    let id = path_id(&request);
    let params = QueryParams::from_query(request.query_string())?;
    let rt = resource_type(&state.registry, kind)?;
    let projection = params.projection(&state.registry, rt)?;
    let preconditions = Preconditions::from_request(&request)?;
    let registry = state.registry.clone();
    let now = Utc::now();
    let body = body.0;
    let (stored, tolerated) = write_existing(
        &request,
        &state,
        &token,
        kind,
        &id,
        &preconditions,
        move |tx, caller, existing, expected_version| {
            let id = existing.id.clone();
            let rt = resource_type(&registry, kind)?;
            // The version read is the one written over (no lost update under concurrency).
            let expected_version = expected_version.or(Some(existing.version));
            let mut ctx = DialectContext::new(caller.dialect);
            let patch = PatchRequest::parse(&body, &mut ctx)?;
            let outcome = apply_patch(&registry, rt, &existing.resource, &patch, &mut ctx)?;
            if !outcome.changed {
                return Ok((existing, ctx.tolerated));
            }
            let org = caller.org_id.as_str();
            let stored =
                tx.replace_resource(org, kind, &id, &outcome.resource, expected_version, now)?;
            Ok((stored, ctx.tolerated))
        },
    )
    .await?;
    state.deviations.record(&tolerated);
    let body = projection.apply(
        &state.registry,
        rt,
        &with_location(&base_url(&request), kind, &stored),
    );
    Ok(resource_response(StatusCode::OK, &stored.etag(), &body))
}

/// `PATCH /Groups/{id}`.
pub(crate) async fn patch_group(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let kind = ResourceKind::Group;
    let id = path_id(&request);
    let params = QueryParams::from_query(request.query_string())?;
    let rt = resource_type(&state.registry, kind)?;
    let projection = params.projection(&state.registry, rt)?;
    let respond_with_body = params.has_projection();
    let reload_members = respond_with_body && needs_members(&state.registry, rt, kind, &projection);
    let preconditions = Preconditions::from_request(&request)?;
    let registry = state.registry.clone();
    let now = Utc::now();
    let body = body.0;
    let (stored, tolerated) = write_existing(
        &request,
        &state,
        &token,
        kind,
        &id,
        &preconditions,
        move |tx, caller, existing, mut expected_version| {
            let id = existing.id.clone();
            let rt = resource_type(&registry, kind)?;
            let org = caller.org_id.as_str();
            let mut ctx = DialectContext::new(caller.dialect);
            let patch = PatchRequest::parse(&body, &mut ctx)?;
            let plan = plan_group_patch(&registry, rt, &existing.resource, &patch, &mut ctx)?;
            let attributes = plan.outcome.changed.then_some(&plan.outcome.resource);
            if attributes.is_some() {
                // The attributes written derive from the version read; member deltas
                // commute, so member-only PATCHes never conflict with each other.
                expected_version = expected_version.or(Some(existing.version));
            }
            let mut stored =
                tx.patch_group(org, &id, attributes, &plan.members, expected_version, now)?;
            if reload_members {
                stored = tx.get_resource(org, kind, &id, true)?;
            }
            Ok((stored, ctx.tolerated))
        },
    )
    .await?;
    state.deviations.record(&tolerated);
    if !respond_with_body {
        return Ok(HttpResponse::NoContent()
            .insert_header((header::ETAG, stored.etag()))
            .finish());
    }
    let body = projection.apply(
        &state.registry,
        rt,
        &with_location(&base_url(&request), kind, &stored),
    );
    Ok(resource_response(StatusCode::OK, &stored.etag(), &body))
}
