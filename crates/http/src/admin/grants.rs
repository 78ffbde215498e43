//! `POST|GET /admin/v1/grants` and `DELETE /admin/v1/grants/{id}`; `POST|GET
//! /admin/v1/rules` and `DELETE /admin/v1/rules/{id}` (PRODUCT.md §10).
//!
//! A grant: `{"principal": {"type": "user"|"group", "id"}, "resource": {"type":
//! "workspace"|"folder", "id"}, "role", "expires_at"?}` (`principal.id` is the SCIM `id`;
//! `role` takes the aliases). A rule: `{"group": "<displayName glob>", "workspaces": "<name
//! glob>", "role"}`. `GET /grants` takes `principal=user:<id>|group:<id>` and
//! `resource=workspace:<id>|folder:<id>` filters.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use org_model::{Grant, GrantSource, Principal, ResourceRef, Role, Rule};
use rollcall_store::GrantFilter;
use serde_json::{Map, Value, json};

use super::body::{json_after_token, object, string};
use super::{AdminError, Recorded, admin_transaction, audited_transaction, delete_by_id, json};
use crate::access_delta::{self, AccessScope};
use crate::auth::BearerToken;
use crate::blocking::Access;
use crate::content::JsonBody;
use crate::error::ApiError;
use crate::state::AppState;

fn role(fields: &Map<String, Value>) -> Result<Role, AdminError> {
    Role::parse(&string(fields, "role")?).map_err(|error| AdminError::invalid(error.to_string()))
}

/// `{"type", "id"}` of a principal or resource.
fn typed_id<'v>(
    fields: &'v Map<String, Value>,
    key: &str,
) -> Result<(&'v str, String), AdminError> {
    let value = fields
        .get(key)
        .ok_or_else(|| AdminError::invalid(format!("{key} is required")))?;
    let inner = object(value, &["type", "id"])
        .map_err(|_| AdminError::invalid(format!("{key} must be {{\"type\", \"id\"}}")))?;
    let kind = inner
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| AdminError::invalid(format!("{key}.type is required")))?;
    Ok((
        kind,
        string(inner, "id").map_err(|_| AdminError::invalid(format!("{key}.id is required")))?,
    ))
}

fn requested_grant(body: &Value, now: DateTime<Utc>) -> Result<Grant, AdminError> {
    let fields = object(body, &["principal", "resource", "role", "expires_at"])?;
    let principal = match typed_id(fields, "principal")? {
        ("user", id) => Principal::User(id),
        ("group", id) => Principal::Group(id),
        (other, _) => {
            return Err(AdminError::invalid(format!(
                "principal.type must be \"user\" or \"group\", not {other:?}"
            )));
        }
    };
    let resource = match typed_id(fields, "resource")? {
        ("workspace", id) => ResourceRef::Workspace(id),
        ("folder", id) => ResourceRef::Folder(id),
        (other, _) => {
            return Err(AdminError::invalid(format!(
                "resource.type must be \"workspace\" or \"folder\", not {other:?}"
            )));
        }
    };
    let expires_at = match fields.get("expires_at") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(
            DateTime::parse_from_rfc3339(text)
                .map_err(|_| AdminError::invalid("expires_at must be an RFC 3339 date-time"))?
                .with_timezone(&Utc),
        ),
        Some(_) => {
            return Err(AdminError::invalid(
                "expires_at must be an RFC 3339 date-time",
            ));
        }
    };
    Ok(Grant {
        id: String::new(),
        principal,
        resource,
        role: role(fields)?,
        source: GrantSource::Manual { by: None },
        expires_at,
        created_at: now,
    })
}

/// `POST /admin/v1/grants`: 201 with the grant (its source names the admin token).
pub(crate) async fn create(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
    body: Result<JsonBody, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let now = state.now();
    let (token, body) = json_after_token(token, body)?;
    let mut grant = requested_grant(&body, now)?;
    let stored = audited_transaction(
        &request,
        &state,
        token,
        "grant.create",
        201,
        move |tx, caller, now| {
            grant.source = GrantSource::Manual {
                by: Some(caller.token_id.clone()),
            };
            let org = caller.org_id.as_str();
            let scope = AccessScope::Resource(grant.resource.clone());
            let (stored, access) =
                access_delta::around(tx, org, scope, now, |tx| tx.create_grant(org, &grant))?;
            let recorded = Recorded::new(
                format!("grant:{}", stored.id),
                json!({"after": stored, "access": access}),
            );
            Ok(Ok((stored, recorded)))
        },
    )
    .await?;
    Ok(json(StatusCode::CREATED, &json!(stored)))
}

/// The `principal` and `resource` filters of `GET /admin/v1/grants`.
fn filter(request: &HttpRequest) -> Result<GrantFilter, AdminError> {
    let query =
        web::Query::<std::collections::HashMap<String, String>>::from_query(request.query_string())
            .map_err(|_| AdminError::invalid("the query string is malformed"))?;
    let mut filter = GrantFilter::default();
    if let Some(text) = query.get("principal") {
        filter.principal = Some(match text.split_once(':') {
            Some(("user", id)) if !id.is_empty() => Principal::User(id.to_owned()),
            Some(("group", id)) if !id.is_empty() => Principal::Group(id.to_owned()),
            _ => {
                return Err(AdminError::invalid(
                    "principal is \"user:<id>\" or \"group:<id>\"",
                ));
            }
        });
    }
    if let Some(text) = query.get("resource") {
        filter.resource =
            Some(ResourceRef::parse(text).map_err(|error| AdminError::invalid(error.to_string()))?);
    }
    Ok(filter)
}

/// `GET /admin/v1/grants`: `{"grants": [...]}`, oldest first.
pub(crate) async fn list(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let filter = filter(&request)?;
    let grants = admin_transaction(&state, Access::Read, token, move |tx, caller| {
        Ok(Ok(tx.grants(&caller.org_id, &filter)?))
    })
    .await?;
    Ok(json(StatusCode::OK, &json!({"grants": grants})))
}

/// `DELETE /admin/v1/grants/{id}`: 204.
pub(crate) async fn delete(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
) -> Result<HttpResponse, AdminError> {
    delete_by_id(
        &request,
        &state,
        token,
        "grant.delete",
        "grant",
        |tx, org, id, now| {
            let before = tx.grant(org, id)?;
            let scope = AccessScope::Resource(before.resource.clone());
            let ((), access) =
                access_delta::around(tx, org, scope, now, |tx| tx.delete_grant(org, id))?;
            Ok(json!({"before": before, "after": null, "access": access}))
        },
    )
    .await
}

/// `POST /admin/v1/rules`: 201 with the rule.
pub(crate) async fn create_rule(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
    body: Result<JsonBody, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let (token, body) = json_after_token(token, body)?;
    let fields = object(&body, &["group", "workspaces", "role"])?;
    let rule = Rule {
        id: String::new(),
        group: string(fields, "group")?,
        workspaces: string(fields, "workspaces")?,
        role: role(fields)?,
    };
    let stored = audited_transaction(
        &request,
        &state,
        token,
        "rule.create",
        201,
        move |tx, caller, now| {
            let org = caller.org_id.as_str();
            let scope = AccessScope::WorkspacesMatching(rule.workspaces.clone());
            let (stored, access) =
                access_delta::around(tx, org, scope, now, |tx| tx.create_rule(org, &rule, now))?;
            let recorded = Recorded::new(
                format!("rule:{}", stored.id),
                json!({"after": stored, "access": access}),
            );
            Ok(Ok((stored, recorded)))
        },
    )
    .await?;
    Ok(json(StatusCode::CREATED, &json!(stored)))
}

/// `GET /admin/v1/rules`: `{"rules": [...]}`.
pub(crate) async fn list_rules(
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let rules = admin_transaction(&state, Access::Read, token, |tx, caller| {
        Ok(Ok(tx.rules(&caller.org_id)?))
    })
    .await?;
    Ok(json(StatusCode::OK, &json!({"rules": rules})))
}

/// `DELETE /admin/v1/rules/{id}`: 204.
pub(crate) async fn delete_rule(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
) -> Result<HttpResponse, AdminError> {
    delete_by_id(
        &request,
        &state,
        token,
        "rule.delete",
        "rule",
        |tx, org, id, now| {
            let before = tx
                .rules(org)?
                .into_iter()
                .find(|rule| rule.id == id)
                .ok_or(rollcall_store::StoreError::NotFound)?;
            let scope = AccessScope::WorkspacesMatching(before.workspaces.clone());
            let ((), access) =
                access_delta::around(tx, org, scope, now, |tx| tx.delete_rule(org, id))?;
            Ok(json!({"before": before, "after": null, "access": access}))
        },
    )
    .await
}
