//! `POST|GET /admin/v1/scim-tokens` and `DELETE /admin/v1/scim-tokens/{id}` (PRODUCT.md §10):
//! SCIM tokens of the organization. A new token's secret is in the creation response only;
//! listings never show secrets. Revocation takes effect on the next request.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, SecondsFormat, Utc};
use rollcall_store::{TokenInfo, TokenKind};
use serde_json::{Value, json};

use super::body::{object, optional_string};
use super::{AdminError, admin_transaction, json};
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
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
    body: Result<JsonBody, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let body = body?.0;
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
    let created = admin_transaction(&state, Access::Write, token, move |tx, caller| {
        Ok(Ok(tx.create_token(
            &caller.org_id,
            TokenKind::Scim,
            name.as_deref(),
            expires_at,
            now,
        )?))
    })
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
    let now = state.now();
    let revoked = admin_transaction(&state, Access::Write, token, move |tx, caller| {
        let is_scim = tx
            .tokens(&caller.org_id, Some(TokenKind::Scim))?
            .iter()
            .any(|info| info.id == id);
        Ok(Ok(is_scim && tx.revoke_token(&caller.org_id, &id, now)?))
    })
    .await?;
    if !revoked {
        return Err(AdminError::new(404, "not_found", "no such SCIM token"));
    }
    Ok(HttpResponse::NoContent().finish())
}
