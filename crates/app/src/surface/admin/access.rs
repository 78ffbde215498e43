//! `GET /admin/v1/access?user={id}&resource={workspace|folder}:{id}` (why a user has the
//! role they have: every contribution, the winner marked, groups named along the chain),
//! `GET /admin/v1/access?resource=…` (everyone with a role there) and `POST
//! /admin/v1/access/join` (`{"user","resource"}`: a first access, recorded; with
//! `sticky_joins` on it also writes a manual grant at the user's role). PRODUCT.md §4, §10.

use org_model::{Grant, GrantSource, Principal, ResourceRef};
use serde_json::{Value, json};

use super::audited::{Recorded, Written, previewable};
use super::body::{object, string};
use crate::error::Error;
use crate::response::Response;
use crate::review::explanation_document;
use crate::surface::body::Limit;
use crate::surface::call::Call;
use crate::transaction::Access;

fn resource(text: &str) -> Result<ResourceRef, Error> {
    ResourceRef::parse(text).map_err(|error| Error::invalid_request(error.to_string()))
}

/// `GET /admin/v1/access`.
pub(crate) async fn get(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let query = crate::surface::path::query_map(&call.request.query)?;
    let target = resource(query.get("resource").ok_or_else(|| {
        Error::invalid_request("resource=workspace:<id>|folder:<id> is required")
    })?)?;
    let user = query.get("user").cloned();
    let now = call.now();
    let document = call
        .admin(Access::Read, &credential, move |tx, caller| {
            let document = match user.clone() {
                Some(user) => {
                    let (explanation, groups) =
                        tx.access().explain(&caller.org_id, &user, &target, now)?;
                    let mut document = explanation_document(&explanation, &groups);
                    document["user"] = json!(user);
                    document["resource"] = json!(target.to_string());
                    document
                }
                None => {
                    let users: Vec<Value> = tx
                        .access()
                        .who_has_access(&caller.org_id, &target, now)?
                        .into_iter()
                        .map(|(user, role)| json!({"user": user, "role": role}))
                        .collect();
                    json!({"resource": target.to_string(), "users": users})
                }
            };
            Ok(document)
        })
        .await?;
    Ok(Response::json(200, &document))
}

/// `POST /admin/v1/access/join`: `{"user", "resource"}` → `{"first", "role", "grant"}`.
pub(crate) async fn join(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let fields = object(&body, &["user", "resource"])?;
    let user = string(fields, "user")?;
    let target = resource(&string(fields, "resource")?)?;
    let document = match previewable(
        call,
        &credential,
        "access.join",
        200,
        move |tx, caller, now| {
            let (explanation, _) = tx.access().explain(&caller.org_id, &user, &target, now)?;
            let first = tx
                .access()
                .record_join(&caller.org_id, &user, &target, now)?;
            let sticky = tx.orgs().settings(&caller.org_id)?.sticky_joins;
            let mut grant: Option<Grant> = None;
            if let (true, true, Some(role)) = (first, sticky, explanation.role) {
                // The hosted product's behaviour: the access outlives the group that gave it.
                let written = tx.grants().create(
                    &caller.org_id,
                    &Grant {
                        id: String::new(),
                        principal: Principal::User(user.clone()),
                        resource: target.clone(),
                        role,
                        source: GrantSource::Manual {
                            by: Some("sticky_join".to_owned()),
                        },
                        expires_at: None,
                        created_at: now,
                    },
                )?;
                grant = Some(written);
            }
            let document = json!({
                "user": user,
                "resource": target.to_string(),
                "first": first,
                "role": explanation.role,
                "grant": grant,
            });
            // A join grants nothing (a sticky one writes a grant at the role the user has).
            let recorded = Recorded::new(target.to_string(), json!({"after": document}));
            Ok((document, recorded))
        },
    )
    .await?
    {
        Written::Applied(value) => value,
        Written::Previewed(preview) => return Ok(preview),
    };
    Ok(Response::json(200, &document))
}
