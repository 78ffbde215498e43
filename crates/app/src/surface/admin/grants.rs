//! `POST|GET /admin/v1/grants` and `DELETE /admin/v1/grants/{id}`; `POST|GET
//! /admin/v1/rules` and `DELETE /admin/v1/rules/{id}` (PRODUCT.md §10).
//!
//! A grant: `{"principal": {"type": "user"|"group", "id"}, "resource": {"type":
//! "workspace"|"folder", "id"}, "role", "expires_at"?}` (`principal.id` is the SCIM `id`;
//! `role` takes the aliases). A rule: `{"group": "<displayName glob>", "workspaces": "<name
//! glob>", "role"}`. `GET /grants` takes `principal=user:<id>|group:<id>` and
//! `resource=workspace:<id>|folder:<id>` filters.

use chrono::{DateTime, Utc};
use org_model::{Grant, GrantSource, Principal, ResourceRef, Role, Rule};
use rollcall_store::GrantFilter;
use serde_json::{Map, Value, json};

use super::audited::{Recorded, Written, previewable};
use super::body::{object, optional_string, string};
use super::{delete_by_id, list_all};
use crate::access_delta::{self, AccessScope};
use crate::error::{Error, Failure};
use crate::response::Response;
use crate::surface::body::Limit;
use crate::surface::call::Call;

fn role(fields: &Map<String, Value>) -> Result<Role, Error> {
    Role::parse(&string(fields, "role")?).map_err(|error| Error::invalid_request(error.to_string()))
}

/// `{"type", "id"}` of a principal or resource.
fn typed_id<'v>(fields: &'v Map<String, Value>, key: &str) -> Result<(&'v str, String), Error> {
    let value = fields
        .get(key)
        .ok_or_else(|| Error::invalid_request(format!("{key} is required")))?;
    let inner = object(value, &["type", "id"])
        .map_err(|_| Error::invalid_request(format!("{key} must be {{\"type\", \"id\"}}")))?;
    let kind = inner
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid_request(format!("{key}.type is required")))?;
    Ok((
        kind,
        string(inner, "id").map_err(|_| Error::invalid_request(format!("{key}.id is required")))?,
    ))
}

fn requested_grant(body: &Value, now: DateTime<Utc>) -> Result<Grant, Error> {
    let fields = object(body, &["principal", "resource", "role", "expires_at"])?;
    let principal = match typed_id(fields, "principal")? {
        ("user", id) => Principal::User(id),
        ("group", id) => Principal::Group(id),
        (other, _) => {
            return Err(Error::invalid_request(format!(
                "principal.type must be \"user\" or \"group\", not {other:?}"
            )));
        }
    };
    let resource = match typed_id(fields, "resource")? {
        ("workspace", id) => ResourceRef::Workspace(id),
        ("folder", id) => ResourceRef::Folder(id),
        (other, _) => {
            return Err(Error::invalid_request(format!(
                "resource.type must be \"workspace\" or \"folder\", not {other:?}"
            )));
        }
    };
    let expires_at = match fields.get("expires_at") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(
            DateTime::parse_from_rfc3339(text)
                .map_err(|_| Error::invalid_request("expires_at must be an RFC 3339 date-time"))?
                .with_timezone(&Utc),
        ),
        Some(_) => {
            return Err(Error::invalid_request(
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
pub(crate) async fn create(call: &mut Call<'_>) -> Result<Response, Error> {
    let now = call.now();
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let mut grant = requested_grant(&body, now)?;
    let stored = match previewable(
        call,
        &credential,
        "grant.create",
        201,
        move |tx, caller, now| {
            grant.source = GrantSource::Manual {
                by: Some(caller.credential_id.clone()),
            };
            let org = caller.org_id.as_str();
            let scope = AccessScope::Resource(grant.resource.clone());
            let (stored, access) =
                access_delta::around(tx, org, scope, now, |tx| tx.grants().create(org, &grant))?;
            let recorded = Recorded::new(
                format!("grant:{}", stored.id),
                json!({"after": stored, "access": access}),
            );
            Ok((stored, recorded))
        },
    )
    .await?
    {
        Written::Applied(value) => value,
        Written::Previewed(preview) => return Ok(preview),
    };
    Ok(Response::json(201, &json!(stored)))
}

/// The `principal` and `resource` filters of `GET /admin/v1/grants`.
fn filter(query: &str) -> Result<GrantFilter, Error> {
    let query = crate::surface::path::query_map(query)?;
    let mut filter = GrantFilter::default();
    if let Some(text) = query.get("principal") {
        filter.principal = Some(match text.split_once(':') {
            Some(("user", id)) if !id.is_empty() => Principal::User(id.to_owned()),
            Some(("group", id)) if !id.is_empty() => Principal::Group(id.to_owned()),
            _ => {
                return Err(Error::invalid_request(
                    "principal is \"user:<id>\" or \"group:<id>\"",
                ));
            }
        });
    }
    if let Some(text) = query.get("resource") {
        filter.resource = Some(
            ResourceRef::parse(text).map_err(|error| Error::invalid_request(error.to_string()))?,
        );
    }
    Ok(filter)
}

/// `GET /admin/v1/grants`: `{"grants": [...]}`, oldest first.
pub(crate) async fn list(call: &mut Call<'_>) -> Result<Response, Error> {
    let filter = filter(&call.request.query)?;
    list_all(
        call,
        "grants",
        move |tx, org| tx.grants().list(org, &filter),
        |grant| json!(grant),
    )
    .await
}

/// `DELETE /admin/v1/grants/{id}`: 204.
pub(crate) async fn delete(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    delete_by_id(
        call,
        id.to_owned(),
        "grant.delete",
        "grant",
        |tx, org, id, now| {
            let before = tx.grants().get(org, id)?;
            let scope = AccessScope::Resource(before.resource.clone());
            let ((), access) =
                access_delta::around(tx, org, scope, now, |tx| tx.grants().delete(org, id, now))?;
            Ok(json!({"before": before, "after": null, "access": access}))
        },
    )
    .await
}

/// `POST /admin/v1/rules`: 201 with the rule.
pub(crate) async fn create_rule(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let fields = object(&body, &["group", "filter", "workspaces", "role"])?;
    let workspaces = string(fields, "workspaces")?;
    let role = role(fields)?;
    let rule = match (
        optional_string(fields, "group")?,
        optional_string(fields, "filter")?,
    ) {
        (Some(group), None) => Rule::for_groups(&group, &workspaces, role),
        (None, Some(filter)) => Rule::for_filter(&filter, &workspaces, role),
        _ => {
            return Err(Error::invalid_request(
                "a rule has exactly one of group (a glob over group names) and filter (over \
                 the user's attributes)",
            ));
        }
    };
    let stored = match previewable(
        call,
        &credential,
        "rule.create",
        201,
        move |tx, caller, now| {
            let org = caller.org_id.as_str();
            let scope = AccessScope::WorkspacesMatching(rule.workspaces.clone());
            let (stored, access) = access_delta::around(tx, org, scope, now, |tx| {
                // The store's refusal says what is wrong with the rule itself.
                tx.rules()
                    .create(org, &rule, now)
                    .map_err(|error| match error {
                        rollcall_store::StoreError::Invalid(why) => {
                            Error::invalid_request(why).into()
                        }
                        other => Failure::from(other),
                    })
            })?;
            let recorded = Recorded::new(
                format!("rule:{}", stored.id),
                json!({"after": stored, "access": access}),
            );
            Ok((stored, recorded))
        },
    )
    .await?
    {
        Written::Applied(value) => value,
        Written::Previewed(preview) => return Ok(preview),
    };
    Ok(Response::json(201, &json!(stored)))
}

/// `GET /admin/v1/rules`: `{"rules": [...]}`.
pub(crate) async fn list_rules(call: &mut Call<'_>) -> Result<Response, Error> {
    list_all(
        call,
        "rules",
        |tx, org| tx.rules().list(org),
        |rule| json!(rule),
    )
    .await
}

/// `DELETE /admin/v1/rules/{id}`: 204.
pub(crate) async fn delete_rule(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    delete_by_id(
        call,
        id.to_owned(),
        "rule.delete",
        "rule",
        |tx, org, id, now| {
            let before = tx
                .rules()
                .list(org)?
                .into_iter()
                .find(|rule| rule.id == id)
                .ok_or(rollcall_store::StoreError::NotFound)?;
            let scope = AccessScope::WorkspacesMatching(before.workspaces.clone());
            let ((), access) =
                access_delta::around(tx, org, scope, now, |tx| tx.rules().delete(org, id))?;
            Ok(json!({"before": before, "after": null, "access": access}))
        },
    )
    .await
}
