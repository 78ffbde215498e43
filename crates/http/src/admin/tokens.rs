//! `POST|GET /admin/v1/scim-tokens` and `DELETE /admin/v1/scim-tokens/{id}` (PRODUCT.md §10):
//! SCIM tokens of the organization. A new token's secret is in the creation response only;
//! listings never show secrets. Revocation takes effect on the next request.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, SecondsFormat, Utc};
use rollcall_store::{TokenInfo, TokenKind};
use serde_json::{Value, json};

use super::body::{json_after_token, object, optional_string};
use super::{AdminError, Recorded, admin_transaction, audited_transaction, json};
use crate::auth::BearerToken;
use crate::blocking::Access;
use crate::content::JsonBody;
use crate::error::ApiError;
use crate::state::AppState;

fn document(info: &TokenInfo) -> Value {
    let time = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    json!({
        "id": info.id,
        "name": info.name,
        "created_at": time(info.created_at),
        "expires_at": info.expires_at.map(time),
        "revoked_at": info.revoked_at.map(time),
    })
}

/// `POST /admin/v1/scim-tokens`: `{"name"?, "expires_in_days"?}` → 201 with `secret`.
pub(crate) async fn create(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
    body: Result<JsonBody, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let (token, body) = json_after_token(token, body)?;
    let fields = object(&body, &["name", "expires_in_days"])?;
    let name = optional_string(fields, "name")?;
    let days = match fields.get("expires_in_days") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_u64()
                .filter(|days| (1..=3650).contains(days))
                .ok_or_else(|| AdminError::invalid("expires_in_days must be 1 to 3650"))?,
        ),
    };
    let now = state.now();
    let expires_at = days.map(|days| now + Duration::days(i64::try_from(days).unwrap_or(3650)));
    let created = audited_transaction(
        &request,
        &state,
        token,
        "scim_token.create",
        201,
        move |tx, caller, _| {
            let created = tx.create_token(
                &caller.org_id,
                TokenKind::Scim,
                name.as_deref(),
                expires_at,
                now,
            )?;
            // The document without the secret: the trail never holds one.
            let recorded = Recorded::new(
                format!("scim_token:{}", created.info.id),
                json!({"after": document(&created.info)}),
            );
            Ok(Ok((created, recorded)))
        },
    )
    .await?;
    let mut body = document(&created.info);
    body["secret"] = json!(created.secret);
    Ok(json(StatusCode::CREATED, &body))
}

/// `GET /admin/v1/scim-tokens`: `{"scim_tokens": [...]}`, never a secret.
pub(crate) async fn list(
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let tokens = admin_transaction(&state, Access::Read, token, |tx, caller| {
        Ok(Ok(tx.tokens(&caller.org_id, Some(TokenKind::Scim))?))
    })
    .await?;
    let documents: Vec<Value> = tokens.iter().map(document).collect();
    Ok(json(StatusCode::OK, &json!({"scim_tokens": documents})))
}

/// `DELETE /admin/v1/scim-tokens/{id}`: 204; 404 for another org's or an admin token.
pub(crate) async fn delete(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let id = request
        .match_info()
        .get("id")
        .unwrap_or_default()
        .to_owned();
    audited_transaction(
        &request,
        &state,
        token,
        "scim_token.revoke",
        204,
        move |tx, caller, now| {
            let before = tx
                .tokens(&caller.org_id, Some(TokenKind::Scim))?
                .into_iter()
                .find(|info| info.id == id);
            let revoked = match &before {
                Some(_) => tx.revoke_token(&caller.org_id, &id, now)?,
                None => false,
            };
            let (Some(before), true) = (before, revoked) else {
                return Ok(Err(AdminError::new(404, "not_found", "no such SCIM token")));
            };
            let mut after = before.clone();
            after.revoked_at = Some(now);
            let detail = crate::audit::changes(&document(&before), &document(&after));
            Ok(Ok(((), Recorded::new(format!("scim_token:{id}"), detail))))
        },
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
