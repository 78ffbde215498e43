//! `/Users` and `/Groups`: create, read, list, search, replace and delete, one handler per
//! action for both kinds (PUT and PATCH are in `modify.rs`).
//!
//! Each handler reads the credential first (a request without one is a 401 before anything
//! else), parses everything it can from the request (query parameters, projection,
//! preconditions, body), then runs one transaction that authenticates the credential and
//! does the work for the actor's organization (tenant isolation: the store scopes every
//! query to it, so a foreign id is a 404).

use std::sync::Arc;

use rollcall_store::{Keyset, KeysetDirection, KeysetPage, KeysetPosition, Page, ResourceKind};

use super::cursor::{self, CursorScope};
use super::links::{location, resource_response, with_location};
use super::list::{ListPlan, QueryParams, cursor_list_response, needs_members};
use crate::credential::Credential;
use crate::error::Error;
use crate::provisioning::preconditions::Preconditions;
use crate::provisioning::{self, Applied};
use crate::response::Response;
use crate::surface::body::Limit;
use crate::surface::call::Call;
use crate::transaction::Access;

/// `POST /Users`, `POST /Groups`: 201 with `Location`, `ETag` and the projected resource.
pub(crate) async fn create(call: &mut Call<'_>, kind: ResourceKind) -> Result<Response, Error> {
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let params = QueryParams::from_query(&call.request.query)?;
    call.prehash_passwords(&credential, &body).await?;
    let (stored, schemas, projection) = call
        .scim_write(&credential, move |tx, context| {
            let rt = context.resource_type(kind)?;
            let projection = params.projection(context.schemas, rt)?;
            let schemas = context.schemas_handle();
            Ok(provisioning::create(tx, context, kind, &body)?
                .map(|stored| (stored, schemas, projection)))
        })
        .await?;
    let rt = provisioning::resource_type(&schemas, kind)?;
    let base = call.base_url();
    let body = projection.apply(&schemas, rt, &with_location(base, kind, &stored));
    Ok(resource_response(201, &stored.etag(), &body)
        .with_header("location", location(base, kind, &stored.id)))
}

/// `GET /Users/{id}`, `GET /Groups/{id}`: 200, or 304 when `If-None-Match` matches.
pub(crate) async fn get(
    call: &mut Call<'_>,
    kind: ResourceKind,
    id: String,
) -> Result<Response, Error> {
    let credential = call.credential()?;
    let params = QueryParams::from_query(&call.request.query)?;
    let preconditions = Preconditions::from_headers(&call.request.headers)?;
    let (stored, schemas, projection) = call
        .scim(Access::Read, &credential, move |tx, context| {
            let rt = context.resource_type(kind)?;
            let projection = params.projection(context.schemas, rt)?;
            let load_members = needs_members(context.schemas, rt, kind, &projection);
            let stored = tx.resources(kind).get(context.org(), &id, load_members)?;
            Ok((stored, context.schemas_handle(), projection))
        })
        .await?;
    if preconditions.not_modified(&stored)? {
        return Ok(Response::empty(304).with_header("etag", stored.etag()));
    }
    let rt = provisioning::resource_type(&schemas, kind)?;
    let body = projection.apply(&schemas, rt, &with_location(call.base_url(), kind, &stored));
    Ok(resource_response(200, &stored.etag(), &body))
}

/// `GET /Users`, `GET /Groups`: a ListResponse.
pub(crate) async fn list(call: &mut Call<'_>, kind: ResourceKind) -> Result<Response, Error> {
    let credential = call.credential()?;
    let params = QueryParams::from_query(&call.request.query)?;
    respond_list(call, kind, credential, params).await
}

/// `POST /Users/.search`, `POST /Groups/.search` (RFC 7644 §3.4.3): a list whose
/// parameters come in a SearchRequest body.
pub(crate) async fn search(call: &mut Call<'_>, kind: ResourceKind) -> Result<Response, Error> {
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let params = QueryParams::from_search_request(&body)?;
    respond_list(call, kind, credential, params).await
}

/// A list, by `startIndex` or (RFC 9865) by cursor: the parameters are resolved against the
/// actor's organization's schemas inside the transaction; a cursor is checked against the
/// organization, the keyset page read, and the next and previous cursors issued.
async fn respond_list(
    call: &mut Call<'_>,
    kind: ResourceKind,
    credential: Credential,
    params: QueryParams,
) -> Result<Response, Error> {
    let config = Arc::clone(&call.app.config);
    let key = *call.app.store().cursor_key();
    let (listed, plan, schemas) = call
        .scim_applied(Access::Read, &credential, move |tx, context| {
            let rt = context.resource_type(kind)?;
            let plan = ListPlan::new(
                context.schemas,
                (rt, kind),
                &config,
                &params,
                context.actor.dialect,
            )?;
            let org = context.org();
            let listed = match plan.cursor.as_ref() {
                None => Listed::Index(tx.resources(kind).list(org, &plan.query())?),
                Some(cursor_plan) => {
                    let scope = CursorScope {
                        kind,
                        org_id: org,
                        filter: &cursor_plan.filter,
                        sort: &cursor_plan.sort,
                    };
                    let now = context.now;
                    let from = cursor::decode(&key, &scope, &cursor_plan.cursor, now)?;
                    let page = tx
                        .resources(kind)
                        .list_keyset(org, &plan.query(), from.as_ref())?;
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
            let tolerated = plan.tolerated.clone();
            Ok(Applied {
                value: (listed, plan, context.schemas_handle()),
                tolerated,
                access: Vec::new(),
            })
        })
        .await?;
    let rt = provisioning::resource_type(&schemas, kind)?;
    let base = call.base_url();
    let body = match listed {
        Listed::Index(page) => plan.response(&schemas, rt, kind, base, &page),
        Listed::Cursor(page, next, previous) => {
            let resources = plan.project_page(&schemas, rt, kind, base, &page.resources);
            cursor_list_response(&page, resources, next, previous)
        }
    };
    Ok(Response::scim(200, &body))
}

/// A page read by `startIndex`, or by cursor with the cursors to the pages around it.
enum Listed {
    Index(Page),
    Cursor(KeysetPage, Option<String>, Option<String>),
}

/// `DELETE /Users/{id}`, `DELETE /Groups/{id}`: 204.
pub(crate) async fn delete(
    call: &mut Call<'_>,
    kind: ResourceKind,
    id: String,
) -> Result<Response, Error> {
    let credential = call.credential()?;
    let preconditions = Preconditions::from_headers(&call.request.headers)?;
    call.scim_write(&credential, move |tx, context| {
        provisioning::delete(tx, context, kind, &id, &preconditions)
    })
    .await?;
    Ok(Response::empty(204))
}
