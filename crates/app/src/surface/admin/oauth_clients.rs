//! `POST|GET /admin/v1/oauth-clients` and `DELETE /admin/v1/oauth-clients/{id}`
//! (PRODUCT.md §10): the organization's OAuth clients for the client credentials grant
//! (`POST /oauth/token`). A client's secret is in the creation response only and stored as
//! a hash; revoking a client refuses the access tokens it was issued on their next use.

use chrono::{SecondsFormat, Utc};
use rollcall_store::OAuthClient;
use serde_json::{Value, json};

use super::audited::{Recorded, audited};
use super::body::{credential_name, object};
use super::list_all;
use crate::error::Error;
use crate::response::Response;
use crate::surface::body::Limit;
use crate::surface::call::Call;

/// The longest name accepted.
const MAX_NAME: usize = 200;

pub(crate) fn document(client: &OAuthClient) -> Value {
    let time = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    json!({
        "id": client.id,
        "client_id": client.client_id(),
        "name": client.name,
        "created_at": time(client.created_at),
        "revoked_at": client.revoked_at.map(time),
    })
}

/// `POST /admin/v1/oauth-clients`: `{"name"?}` → 201 with `client_secret`, shown once.
pub(crate) async fn create(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let fields = object(&body, &["name"])?;
    let name = credential_name(fields)?;
    if name.as_ref().is_some_and(|name| name.len() > MAX_NAME) {
        return Err(Error::invalid_request(format!(
            "name is longer than {MAX_NAME} bytes"
        )));
    }
    let created = audited(
        call,
        &credential,
        "oauth_client.create",
        201,
        move |tx, caller, now| {
            let created = tx.oauth().create(&caller.org_id, name.as_deref(), now)?;
            // Without the secret: the trail never holds one.
            let recorded = Recorded::new(
                format!("oauth_client:{}", created.client.id),
                json!({"after": document(&created.client)}),
            );
            Ok((created, recorded))
        },
    )
    .await?;
    let mut body = document(&created.client);
    body["client_secret"] = json!(created.secret);
    Ok(Response::json(201, &body))
}

/// `GET /admin/v1/oauth-clients`: `{"oauth_clients": [...]}`, never a secret.
pub(crate) async fn list(call: &mut Call<'_>) -> Result<Response, Error> {
    list_all(
        call,
        "oauth_clients",
        |tx, org| tx.oauth().list(org),
        document,
    )
    .await
}

/// `DELETE /admin/v1/oauth-clients/{id}`: revoke; 204, 404 for another org's or a revoked
/// client.
pub(crate) async fn delete(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    let credential = call.credential()?;
    let id = id.to_owned();
    audited(
        call,
        &credential,
        "oauth_client.revoke",
        204,
        move |tx, caller, now| {
            let before = tx
                .oauth()
                .list(&caller.org_id)?
                .into_iter()
                .find(|client| client.id == id);
            let revoked = match &before {
                Some(_) => tx.oauth().revoke(&caller.org_id, &id, now)?,
                None => false,
            };
            let (Some(before), true) = (before, revoked) else {
                return Err(Error::admin(404, "not_found", "no such OAuth client").into());
            };
            let mut after = before.clone();
            after.revoked_at = Some(now);
            let detail = crate::trail::changes(&document(&before), &document(&after));
            Ok(((), Recorded::new(format!("oauth_client:{id}"), detail)))
        },
    )
    .await?;
    Ok(Response::empty(204))
}
