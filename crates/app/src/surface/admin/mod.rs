//! The admin API under `/admin/v1` (PRODUCT.md §10), authenticated with an organization's
//! admin token; JSON in and out, errors as `{"error": {"code", "message"}}`
//! (`Error::render(Api::Admin)`).
//!
//! The organization and its settings (`org.rs`), SCIM tokens, workspaces and folders,
//! grants and rules, access explanations and joins, custom extension schemas, webhooks,
//! the audit trail and per-org health. Every write is recorded (`audited.rs`).

mod access;
mod audit;
pub(crate) mod audited;
pub(crate) mod body;
mod events;
mod grants;
mod health;
pub(crate) mod jwt_issuers;
pub(crate) mod oauth_clients;
mod org;
mod review;
pub(crate) mod routes;
mod schemas;
mod tokens;
pub(crate) mod webhooks;
mod workspaces;

use rollcall_store::{AccessScope, StoreError, Tx};
use serde_json::Value;

use crate::actor::Actor;
use crate::credential::Credential;
use crate::error::Error;
use crate::response::Response;
use crate::surface::call::Call;
use crate::transaction::Access;

pub(crate) use audit::record_document;
use audited::{Recorded, Written, previewable};

/// `GET …`: `read(tx, org_id)` for the actor's organization, each rendered, answered as
/// `{key: [...]}`; 200.
pub(crate) async fn list_all<T, F>(
    call: &mut Call<'_>,
    key: &'static str,
    mut read: F,
    render: impl Fn(&T) -> Value,
) -> Result<Response, Error>
where
    T: Send + 'static,
    F: FnMut(&mut Tx<'_>, &str) -> Result<Vec<T>, StoreError> + Send + 'static,
{
    let credential = call.credential()?;
    let items = call
        .admin(Access::Read, &credential, move |tx, actor: &Actor| {
            Ok(read(tx, &actor.org_id)?)
        })
        .await?;
    let documents: Vec<Value> = items.iter().map(render).collect();
    Ok(Response::json(200, &serde_json::json!({ key: documents })))
}

/// How a created resource is named: its id, and the access scope of what it opens.
pub(crate) type Naming<T> = (fn(&T) -> &str, fn(&T) -> AccessScope);

/// `POST …` of a plain item: `create(tx, org_id, now)` for the actor's organization,
/// recorded as `operation` on `noun:<its id>` with `{"after": rendered, "access"}` (the
/// roles the new resource brings, read in its transaction); 201 with it.
pub(crate) async fn create_one<T, F>(
    call: &mut Call<'_>,
    credential: &Credential,
    (operation, noun): (&'static str, &'static str),
    mut create: F,
    (id, scope): Naming<T>,
    render: fn(&T) -> Value,
) -> Result<Response, Error>
where
    T: Send + 'static,
    F: FnMut(&mut Tx<'_>, &str, chrono::DateTime<chrono::Utc>) -> Result<T, StoreError>
        + Send
        + 'static,
{
    let written = previewable(call, credential, operation, 201, move |tx, actor, now| {
        let org = actor.org_id.as_str();
        let (created, access) =
            crate::access_delta::of_new(tx, org, now, |tx| create(tx, org, now), scope)?;
        let recorded = Recorded::new(
            format!("{noun}:{}", id(&created)),
            serde_json::json!({"after": render(&created), "access": access}),
        );
        Ok((created, recorded))
    })
    .await?;
    match written {
        Written::Applied(created) => Ok(Response::json(201, &render(&created))),
        Written::Previewed(preview) => Ok(preview),
    }
}

/// `DELETE …/{id}`: `delete(tx, org_id, id, now)` for the actor's organization, recorded
/// as `operation` on `noun:id` with the detail `delete` answers; 204.
pub(crate) async fn delete_by_id<F>(
    call: &mut Call<'_>,
    id: String,
    operation: &'static str,
    noun: &'static str,
    mut delete: F,
) -> Result<Response, Error>
where
    F: FnMut(&mut Tx<'_>, &str, &str, chrono::DateTime<chrono::Utc>) -> Result<Value, StoreError>
        + Send
        + 'static,
{
    let credential = call.credential()?;
    let written = previewable(call, &credential, operation, 204, move |tx, actor, now| {
        let detail = delete(tx, &actor.org_id, &id, now)?;
        Ok(((), Recorded::new(format!("{noun}:{id}"), detail)))
    })
    .await?;
    match written {
        Written::Applied(()) => Ok(Response::empty(204)),
        Written::Previewed(preview) => Ok(preview),
    }
}

/// `GET …/{id}`: `read(tx, org_id, id)` for the actor's organization, rendered; 200.
pub(crate) async fn get_by_id<T, F>(
    call: &mut Call<'_>,
    id: String,
    mut read: F,
    render: impl FnOnce(&T) -> Value,
) -> Result<Response, Error>
where
    T: Send + 'static,
    F: FnMut(&mut Tx<'_>, &str, &str) -> Result<T, StoreError> + Send + 'static,
{
    let credential = call.credential()?;
    let value = call
        .admin(Access::Read, &credential, move |tx, actor: &Actor| {
            Ok(read(tx, &actor.org_id, &id)?)
        })
        .await?;
    Ok(Response::json(200, &render(&value)))
}
