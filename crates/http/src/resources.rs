//! `/Users` and `/Groups`: create, read, list, search, replace and delete, one generic
//! handler per action parameterized by the resource kind (PATCH is in `patch.rs`).
//!
//! Each handler parses everything it can from the request first (query parameters,
//! projection, preconditions), then runs one transaction that authenticates the token
//! and does the work for the caller's organization (tenant isolation: the store scopes
//! every query to it, so a foreign id is a 404).

use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use rollcall_store::{Keyset, KeysetDirection, KeysetPage, KeysetPosition, Page, ResourceKind};

use crate::auth::{BearerToken, scim_transaction, write_existing};
use crate::blocking::Access;
use crate::content::JsonBody;
use crate::cursor::{self, CursorScope};
use crate::error::ApiError;
use crate::etag::Preconditions;
use crate::list::{ListPlan, QueryParams, cursor_list_response, needs_members};
use crate::operations;
use crate::response::{SCIM_JSON, base_url, location, resource_response, scim_json, with_location};
use crate::state::{AppState, resource_type};

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
    match request.match_info().get("id") {
        Some(id) => id.to_owned(),
        // `/Me`: the subject the embedder named (see `me.rs`).
        None => request
            .extensions()
            .get::<crate::me::MeSubject>()
            .map(|subject| subject.0.clone())
            .unwrap_or_default(),
    }
}

/// `POST /Users`, `POST /Groups`: 201 with `Location`, `ETag` and the projected resource.
pub(crate) async fn create<K: Kind>(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::from_query(request.query_string())?;
    let now = state.now();
    let (stored, tolerated, registry, projection) =
        scim_transaction(&request, &state, Access::Write, token, move |tx, caller| {
            let registry = Arc::clone(&caller.registry);
            let rt = resource_type(&registry, K::KIND)?;
            let projection = params.projection(&registry, rt)?;
            let mut tolerated = Vec::new();
            let stored =
                operations::create(tx, &registry, caller, K::KIND, &body.0, now, &mut tolerated)?;
            Ok((stored, tolerated, registry, projection))
        })
        .await?;
    state.deviations.record(&tolerated);
    let rt = resource_type(&registry, K::KIND)?;
    let base = base_url(&request);
    let body = projection.apply(&registry, rt, &with_location(&base, K::KIND, &stored));
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
    let preconditions = Preconditions::from_request(&request)?;
    let (stored, registry, projection) =
        scim_transaction(&request, &state, Access::Read, token, move |tx, caller| {
            let registry = Arc::clone(&caller.registry);
            let rt = resource_type(&registry, K::KIND)?;
            let projection = params.projection(&registry, rt)?;
            let load_members = needs_members(&registry, rt, K::KIND, &projection);
            let stored = tx.get_resource(&caller.org_id, K::KIND, &id, load_members)?;
            Ok((stored, registry, projection))
        })
        .await?;
    if preconditions.not_modified(&stored)? {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, stored.etag()))
            .finish());
    }
    let rt = resource_type(&registry, K::KIND)?;
    let base = base_url(&request);
    let body = projection.apply(&registry, rt, &with_location(&base, K::KIND, &stored));
    Ok(resource_response(StatusCode::OK, &stored.etag(), &body))
}

/// `GET /Users`, `GET /Groups`: a ListResponse.
pub(crate) async fn list<K: Kind>(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::from_query(request.query_string())?;
    respond_list::<K>(request, state, token, params).await
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
    respond_list::<K>(request, state, token, params).await
}

/// A list, by `startIndex` or (RFC 9865) by cursor: the parameters are resolved against the
/// caller's organization's schemas inside the transaction; a cursor is checked against
/// the organization, the keyset page read, and the next and previous cursors issued.
async fn respond_list<K: Kind>(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
    params: QueryParams,
) -> Result<HttpResponse, ApiError> {
    let config = Arc::clone(&state.config);
    let key = *state.store.cursor_key();
    let now = state.now();
    let (listed, plan, registry) =
        scim_transaction(&request, &state, Access::Read, token, move |tx, caller| {
            let registry = Arc::clone(&caller.registry);
            let rt = resource_type(&registry, K::KIND)?;
            let plan = ListPlan::new(&registry, rt, K::KIND, &config, &params)?;
            let listed = match plan.cursor.as_ref() {
                None => Listed::Index(tx.list_resources(&caller.org_id, K::KIND, &plan.query())?),
                Some(cursor_plan) => {
                    let scope = CursorScope {
                        kind: K::KIND,
                        org_id: &caller.org_id,
                        filter: &cursor_plan.filter,
                        sort: &cursor_plan.sort,
                    };
                    let from = cursor::decode(&key, &scope, &cursor_plan.cursor, now)?;
                    let page =
                        tx.list_keyset(&caller.org_id, K::KIND, &plan.query(), from.as_ref())?;
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
                    Listed::Cursor(page, next, previous)
                }
            };
            Ok((listed, plan, registry))
        })
        .await?;
    let rt = resource_type(&registry, K::KIND)?;
    let base = base_url(&request);
    let body = match listed {
        Listed::Index(page) => plan.response(&registry, rt, K::KIND, &base, &page),
        Listed::Cursor(page, next, previous) => {
            let resources = plan.project_page(&registry, rt, K::KIND, &base, &page.resources);
            cursor_list_response(&page, resources, next, previous)
        }
    };
    Ok(scim_json(StatusCode::OK, &body))
}

/// A page read by `startIndex`, or by cursor with the cursors to the pages around it.
enum Listed {
    Index(Page),
    Cursor(KeysetPage, Option<String>, Option<String>),
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
    let preconditions = Preconditions::from_request(&request)?;
    let now = state.now();
    let body = body.0;
    let (stored, tolerated, registry, projection) = write_existing(
        &request,
        &state,
        &token,
        K::KIND,
        &id,
        &preconditions,
        move |tx, caller, existing, expected_version| {
            let registry = Arc::clone(&caller.registry);
            let rt = resource_type(&registry, K::KIND)?;
            let projection = params.projection(&registry, rt)?;
            let reload_members = needs_members(&registry, rt, K::KIND, &projection);
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
            Ok((stored, tolerated, registry, projection))
        },
    )
    .await?;
    state.deviations.record(&tolerated);
    let rt = resource_type(&registry, K::KIND)?;
    let body = projection.apply(
        &registry,
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
    let now = state.now();
    scim_transaction(&request, &state, Access::Write, token, move |tx, caller| {
        operations::delete(tx, caller, K::KIND, &id, &preconditions, now)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
