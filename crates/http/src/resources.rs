//! `/Users` and `/Groups`: create, read, list, search, replace and delete, one generic
//! handler per action parameterized by the resource kind (PATCH is in `patch.rs`).
//!
//! Each handler parses everything it can from the request first (query parameters,
//! projection, preconditions), then runs one transaction that authenticates the token
//! and does the work for the caller's organization (tenant isolation: the store scopes
//! every query to it, so a foreign id is a 404).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use rollcall_store::{Keyset, KeysetDirection, KeysetPosition, ResourceKind};

use crate::auth::{BearerToken, scim_transaction, write_existing};
use crate::blocking::Access;
use crate::content::JsonBody;
use crate::cursor::{self, CursorScope};
use crate::error::ApiError;
use crate::etag::Preconditions;
use crate::list::{ListPlan, QueryParams, cursor_list_response, needs_members};
use crate::operations;
use crate::response::{SCIM_JSON, base_url, location, resource_response, scim_json, with_location};
use crate::state::{AppState, internal, resource_type};

/// A resource kind as a type, so one handler serves `/Users` and `/Groups`.
pub(crate) trait Kind: 'static {
    /// Which kind.
    const KIND: ResourceKind;
}

/// `/Users`.
#[derive(Debug)]
pub(crate) struct Users;

/// `/Groups`.
#[derive(Debug)]
pub(crate) struct Groups;

impl Kind for Users {
    const KIND: ResourceKind = ResourceKind::User;
}

impl Kind for Groups {
    const KIND: ResourceKind = ResourceKind::Group;
}

/// The `{id}` of the path.
pub(crate) fn path_id(request: &HttpRequest) -> String {
    request
        .match_info()
        .get("id")
        .unwrap_or_default()
        .to_owned()
}

/// `POST /Users`, `POST /Groups`: 201 with `Location`, `ETag` and the projected resource.
pub(crate) async fn create<K: Kind>(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::from_query(request.query_string())?;
    let rt = resource_type(&state.registry, K::KIND)?;
    let projection = params.projection(&state.registry, rt)?;
    let registry = state.registry.clone();
    let now = Utc::now();
    let (stored, tolerated) =
        scim_transaction(&request, &state, Access::Write, token, move |tx, caller| {
            let mut tolerated = Vec::new();
            let stored =
                operations::create(tx, &registry, caller, K::KIND, &body.0, now, &mut tolerated)?;
            Ok((stored, tolerated))
        })
        .await?;
    state.deviations.record(&tolerated);
    let base = base_url(&request);
    let body = projection.apply(&state.registry, rt, &with_location(&base, K::KIND, &stored));
    Ok(HttpResponse::Created()
        .insert_header((header::CONTENT_TYPE, SCIM_JSON))
        .insert_header((header::ETAG, stored.etag()))
        .insert_header((header::LOCATION, location(&base, K::KIND, &stored.id)))
        .body(body.to_string()))
}

/// `GET /Users/{id}`, `GET /Groups/{id}`: 200, or 304 when `If-None-Match` matches.
pub(crate) async fn get<K: Kind>(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&request);
    let params = QueryParams::from_query(request.query_string())?;
    let rt = resource_type(&state.registry, K::KIND)?;
    let projection = params.projection(&state.registry, rt)?;
    let preconditions = Preconditions::from_request(&request)?;
    let load_members = needs_members(&state.registry, rt, K::KIND, &projection);
    let stored = scim_transaction(&request, &state, Access::Read, token, move |tx, caller| {
        Ok(tx.get_resource(&caller.org_id, K::KIND, &id, load_members)?)
    })
    .await?;
    if preconditions.not_modified(&stored)? {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, stored.etag()))
            .finish());
    }
    let base = base_url(&request);
    let body = projection.apply(&state.registry, rt, &with_location(&base, K::KIND, &stored));
    Ok(resource_response(StatusCode::OK, &stored.etag(), &body))
}

/// `GET /Users`, `GET /Groups`: a ListResponse.
pub(crate) async fn list<K: Kind>(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::from_query(request.query_string())?;
    respond_list::<K>(request, state, token, &params).await
}

/// `POST /Users/.search`, `POST /Groups/.search` (RFC 7644 §3.4.3): a list whose
/// parameters come in a SearchRequest body.
pub(crate) async fn search<K: Kind>(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::from_search_request(&body.0)?;
    respond_list::<K>(request, state, token, &params).await
}

async fn respond_list<K: Kind>(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
    params: &QueryParams,
) -> Result<HttpResponse, ApiError> {
    let rt = resource_type(&state.registry, K::KIND)?;
    let plan = ListPlan::new(&state.registry, rt, K::KIND, &state.config, params)?;
    if plan.cursor.is_some() {
        return respond_cursor_list::<K>(request, state, token, plan).await;
    }
    let (page, plan) =
        scim_transaction(&request, &state, Access::Read, token, move |tx, caller| {
            let page = tx.list_resources(&caller.org_id, K::KIND, &plan.query())?;
            Ok((page, plan))
        })
        .await?;
    let body = plan.response(&state.registry, rt, K::KIND, &base_url(&request), &page);
    Ok(scim_json(StatusCode::OK, &body))
}

/// A cursor-paged list (RFC 9865): the cursor is checked against the caller's organization
/// inside the transaction, the keyset page read, and the next and previous cursors issued.
async fn respond_cursor_list<K: Kind>(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
    plan: ListPlan,
) -> Result<HttpResponse, ApiError> {
    let rt = resource_type(&state.registry, K::KIND)?;
    let key = *state.store.cursor_key();
    let now = Utc::now();
    let (page, next, previous, plan) =
        scim_transaction(&request, &state, Access::Read, token, move |tx, caller| {
            let Some(cursor_plan) = plan.cursor.as_ref() else {
                return Err(internal("a cursor list without a cursor").into());
            };
            let scope = CursorScope {
                kind: K::KIND,
                org_id: &caller.org_id,
                filter: &cursor_plan.filter,
                sort: &cursor_plan.sort,
            };
            let from = cursor::decode(&key, &scope, &cursor_plan.cursor, now)?;
            let page = tx.list_keyset(&caller.org_id, K::KIND, &plan.query(), from.as_ref())?;
            let issue = |direction, position: &Option<KeysetPosition>, wanted: bool| match (
                wanted, position,
            ) {
                (true, Some(position)) => cursor::encode(
                    &key,
                    &scope,
                    &Keyset {
                        direction,
                        position: position.clone(),
                    },
                    now,
                )
                .map(Some),
                _ => Ok(None),
            };
            let next = issue(KeysetDirection::After, &page.last, page.more_after)?;
            let previous = issue(KeysetDirection::Before, &page.first, page.more_before)?;
            Ok((page, next, previous, plan))
        })
        .await?;
    let resources = plan.project_page(
        &state.registry,
        rt,
        K::KIND,
        &base_url(&request),
        &page.resources,
    );
    let body = cursor_list_response(&page, resources, next, previous);
    Ok(scim_json(StatusCode::OK, &body))
}

/// `PUT /Users/{id}`, `PUT /Groups/{id}`: 200 with the projected resource.
pub(crate) async fn replace<K: Kind>(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&request);
    let params = QueryParams::from_query(request.query_string())?;
    let rt = resource_type(&state.registry, K::KIND)?;
    let projection = params.projection(&state.registry, rt)?;
    let preconditions = Preconditions::from_request(&request)?;
    let reload_members = needs_members(&state.registry, rt, K::KIND, &projection);
    let registry = state.registry.clone();
    let now = Utc::now();
    let body = body.0;
    let (stored, tolerated) = write_existing(
        &request,
        &state,
        &token,
        K::KIND,
        &id,
        &preconditions,
        move |tx, caller, existing, expected_version| {
            let mut tolerated = Vec::new();
            let stored = operations::replace(
                tx,
                &registry,
                caller,
                K::KIND,
                existing,
                expected_version,
                &body,
                now,
                reload_members,
                &mut tolerated,
            )?;
            Ok((stored, tolerated))
        },
    )
    .await?;
    state.deviations.record(&tolerated);
    let body = projection.apply(
        &state.registry,
        rt,
        &with_location(&base_url(&request), K::KIND, &stored),
    );
    Ok(resource_response(StatusCode::OK, &stored.etag(), &body))
}

/// `DELETE /Users/{id}`, `DELETE /Groups/{id}`: 204.
pub(crate) async fn delete<K: Kind>(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&request);
    let preconditions = Preconditions::from_request(&request)?;
    scim_transaction(&request, &state, Access::Write, token, move |tx, caller| {
        operations::delete(tx, caller, K::KIND, &id, &preconditions)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
