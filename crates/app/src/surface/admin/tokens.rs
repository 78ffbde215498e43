//! `POST|GET /admin/v1/scim-tokens` and `DELETE /admin/v1/scim-tokens/{id}` (PRODUCT.md §10):
//! SCIM tokens of the organization. A new token's secret is in the creation response only;
//! listings never show secrets. Revocation takes effect on the next request.

use chrono::{Duration, SecondsFormat, Utc};
use rollcall_store::{TokenInfo, TokenKind};
use serde_json::{Value, json};

use super::audited::{Recorded, audited};
use super::body::{credential_name, object};
use super::list_all;
use crate::error::Error;
use crate::response::Response;
use crate::surface::body::Limit;
use crate::surface::call::Call;

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

/// The longest lifetime of a SCIM token, in days (ten years).
const MAX_TOKEN_DAYS: i64 = 3650;

/// `POST /admin/v1/scim-tokens`: `{"name"?, "expires_in_days"? | "expires_at"?}` → 201 with
/// `secret`. `expires_at` (RFC 3339, in the future, at most ten years away) lets a rotation
/// keep the expiry of the token it replaces.
pub(crate) async fn create(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let fields = object(&body, &["name", "expires_in_days", "expires_at"])?;
    let name = credential_name(fields)?;
    let now = call.now();
    let days = match fields.get("expires_in_days") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_u64()
                .and_then(|days| i64::try_from(days).ok())
                .filter(|days| (1..=MAX_TOKEN_DAYS).contains(days))
                .ok_or_else(|| Error::invalid_request("expires_in_days must be 1 to 3650"))?,
        ),
    };
    let at = match fields.get("expires_at") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_str()
                .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
                .map(|at| at.with_timezone(&chrono::Utc))
                .filter(|at| *at > now && *at <= now + Duration::days(MAX_TOKEN_DAYS))
                .ok_or_else(|| {
                    Error::invalid_request(
                        "expires_at must be an RFC 3339 time in the future, at most 3650 days away",
                    )
                })?,
        ),
    };
    let expires_at = match (days, at) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid_request(
                "give expires_in_days or expires_at, not both",
            ));
        }
        (Some(days), None) => Some(now + Duration::days(days)),
        (None, at) => at,
    };
    let created = audited(
        call,
        &credential,
        "scim_token.create",
        201,
        move |tx, caller, _| {
            let created = tx.tokens().create(
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
            Ok((created, recorded))
        },
    )
    .await?;
    let mut body = document(&created.info);
    body["secret"] = json!(created.secret);
    Ok(Response::json(201, &body))
}

/// `GET /admin/v1/scim-tokens`: `{"scim_tokens": [...]}`, never a secret.
pub(crate) async fn list(call: &mut Call<'_>) -> Result<Response, Error> {
    list_all(
        call,
        "scim_tokens",
        |tx, org| tx.tokens().list(org, Some(TokenKind::Scim)),
        document,
    )
    .await
}

/// `DELETE /admin/v1/scim-tokens/{id}`: 204; 404 for another org's or an admin token.
pub(crate) async fn delete(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    let credential = call.credential()?;
    let id = id.to_owned();
    audited(
        call,
        &credential,
        "scim_token.revoke",
        204,
        move |tx, caller, now| {
            let before = tx
                .tokens()
                .list(&caller.org_id, Some(TokenKind::Scim))?
                .into_iter()
                .find(|info| info.id == id);
            let revoked = match &before {
                Some(_) => tx.tokens().revoke(&caller.org_id, &id, now)?,
                None => false,
            };
            let (Some(before), true) = (before, revoked) else {
                return Err(Error::admin(404, "not_found", "no such SCIM token").into());
            };
            let mut after = before.clone();
            after.revoked_at = Some(now);
            let detail = crate::trail::changes(&document(&before), &document(&after));
            Ok(((), Recorded::new(format!("scim_token:{id}"), detail)))
        },
    )
    .await?;
    Ok(Response::empty(204))
}
