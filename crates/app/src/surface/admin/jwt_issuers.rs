//! `POST|GET /admin/v1/jwt-issuers` and `DELETE /admin/v1/jwt-issuers/{id}` (PRODUCT.md
//! §1, §10): the JWT issuers the organization trusts.
//!
//! `{"issuer", "audience", "algorithms": [...], "required_claims"?: {...},
//! "shared_secret"? | "public_key_pem"? | "jwks_url"?}`: exactly one key source; `HS256`
//! alone with a shared secret (at least 32 bytes), `RS256`, `ES256`, `EdDSA` with a PEM
//! public key (which must be a key of each algorithm listed) or a JWKS URL (reached under
//! the webhooks' public-address rule). A registration that could match a token another
//! registration matches is a 409. The shared secret is never shown again.

use std::net::IpAddr;

use chrono::SecondsFormat;
use rollcall_store::{JwtIssuer, NewJwtIssuer};
use serde_json::{Map, Value, json};

use super::audited::{Recorded, audited};
use super::body::{object, string};
use super::list_all;
use super::webhooks::outbound_url;
use crate::credential::issuers::pem_key;
use crate::credential::{jwt, oauth};
use crate::error::Error;
use crate::response::Response;
use crate::surface::body::Limit;
use crate::surface::call::Call;

const MAX_TEXT: usize = 512;
const MAX_PEM: usize = 16 * 1024;
const MAX_SECRET: usize = 1024;
const MIN_SECRET: usize = 32;
const MAX_CLAIMS: usize = 16;
/// Claims a registration cannot require: they are checked already, or change per token.
const RESERVED_CLAIMS: [&str; 6] = ["iss", "aud", "exp", "nbf", "iat", "jti"];

pub(crate) fn document(issuer: &JwtIssuer) -> Value {
    json!({
        "id": issuer.id,
        "issuer": issuer.issuer,
        "audience": issuer.audience,
        "algorithms": issuer.algorithms,
        "required_claims": issuer.required_claims,
        "jwks_url": issuer.jwks_url,
        "public_key_pem": issuer.public_key_pem,
        "shared_secret": issuer.shared_secret.as_ref().map(|_| "[set]"),
        "created_at": issuer.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}

fn bounded(fields: &Map<String, Value>, key: &str, max: usize) -> Result<String, Error> {
    let text = string(fields, key)?;
    if text.len() > max {
        return Err(Error::invalid_request(format!(
            "{key} is longer than {max} bytes"
        )));
    }
    Ok(text)
}

/// A creation body, checked. A JWKS host name is looked up with `resolve` (blocking).
pub(crate) fn requested(
    body: &Value,
    allow_private: bool,
    resolve: &dyn Fn(&str) -> Vec<IpAddr>,
) -> Result<NewJwtIssuer, Error> {
    let fields = object(
        body,
        &[
            "issuer",
            "audience",
            "algorithms",
            "required_claims",
            "shared_secret",
            "public_key_pem",
            "jwks_url",
        ],
    )?;
    let issuer = bounded(fields, "issuer", MAX_TEXT)?;
    if issuer == oauth::ISSUER {
        return Err(Error::invalid_request(format!(
            "issuer {:?} is Rollcall's own: register an OAuth client instead",
            oauth::ISSUER
        )));
    }
    let audience = bounded(fields, "audience", MAX_TEXT)?;
    let algorithms = match fields.get("algorithms") {
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= 4 => {
            let mut names: Vec<String> = Vec::new();
            for item in items {
                let name = item.as_str().filter(|name| jwt::algorithm(name).is_some());
                let Some(name) = name else {
                    return Err(Error::invalid_request(format!(
                        "algorithms: {item} is not one of HS256, RS256, ES256, EdDSA"
                    )));
                };
                if !names.iter().any(|known| known == name) {
                    names.push(name.to_owned());
                }
            }
            names
        }
        None | Some(Value::Null) => return Err(Error::invalid_request("algorithms is required")),
        Some(_) => {
            return Err(Error::invalid_request(
                "algorithms must be a non-empty array of HS256, RS256, ES256, EdDSA",
            ));
        }
    };
    let required_claims = match fields.get("required_claims") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(claims)) if claims.len() <= MAX_CLAIMS => {
            for (name, value) in claims {
                if name.is_empty() || name.len() > 128 || RESERVED_CLAIMS.contains(&name.as_str()) {
                    return Err(Error::invalid_request(format!(
                        "required_claims: {name:?} cannot be required (iss and aud are fields \
                         of their own; times change per token)"
                    )));
                }
                let scalar = matches!(value, Value::String(text) if !text.is_empty() && text.len() <= MAX_TEXT)
                    || value.is_number()
                    || value.is_boolean();
                if !scalar {
                    return Err(Error::invalid_request(format!(
                        "required_claims: {name:?} must be a non-empty string, a number or a \
                         boolean"
                    )));
                }
            }
            claims.clone()
        }
        Some(_) => {
            return Err(Error::invalid_request(format!(
                "required_claims must be an object of at most {MAX_CLAIMS} claims"
            )));
        }
    };
    let present = |key: &str| !matches!(fields.get(key), None | Some(Value::Null));
    let sources = ["shared_secret", "public_key_pem", "jwks_url"]
        .into_iter()
        .filter(|key| present(key))
        .count();
    if sources != 1 {
        return Err(Error::invalid_request(
            "exactly one of shared_secret, public_key_pem and jwks_url is required",
        ));
    }
    let hs256 = algorithms.iter().any(|name| name == "HS256");
    let mut new = NewJwtIssuer {
        issuer,
        audience,
        required_claims,
        algorithms,
        jwks_url: None,
        public_key_pem: None,
        shared_secret: None,
    };
    if present("shared_secret") {
        if new.algorithms != ["HS256"] {
            return Err(Error::invalid_request(
                "a shared_secret goes with algorithms [\"HS256\"] only",
            ));
        }
        let secret = match fields.get("shared_secret") {
            Some(Value::String(text)) if (MIN_SECRET..=MAX_SECRET).contains(&text.len()) => text,
            _ => {
                return Err(Error::invalid_request(format!(
                    "shared_secret must be a string of {MIN_SECRET} to {MAX_SECRET} bytes"
                )));
            }
        };
        new.shared_secret = Some(secret.as_bytes().to_vec());
        return Ok(new);
    }
    if hs256 {
        return Err(Error::invalid_request(
            "HS256 needs a shared_secret; a public key or a JWKS serves RS256, ES256 and EdDSA",
        ));
    }
    if present("public_key_pem") {
        let pem = bounded(fields, "public_key_pem", MAX_PEM)?;
        for name in &new.algorithms {
            let algorithm = jwt::algorithm(name);
            if algorithm
                .and_then(|algorithm| pem_key(&pem, algorithm))
                .is_none()
            {
                return Err(Error::invalid_request(format!(
                    "public_key_pem is not a PEM public key (-----BEGIN PUBLIC KEY-----) for {name}"
                )));
            }
        }
        new.public_key_pem = Some(pem);
        return Ok(new);
    }
    new.jwks_url = Some(outbound_url(fields, "jwks_url", allow_private, resolve)?);
    Ok(new)
}

/// How long creation waits for a JWKS host name to resolve (as for webhooks).
const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// [`requested`], the name looked up on a blocking thread within [`RESOLVE_TIMEOUT`].
async fn requested_async(body: Value, allow_private: bool) -> Result<NewJwtIssuer, Error> {
    let looked_up = body.clone();
    let checked = tokio::task::spawn_blocking(move || {
        requested(&looked_up, allow_private, &crate::events::resolve)
    });
    match tokio::time::timeout(RESOLVE_TIMEOUT, checked).await {
        Ok(Ok(checked)) => checked,
        Ok(Err(error)) => Err(Error::internal(format!("issuer check failed: {error}"))),
        Err(_) => requested(&body, allow_private, &|_| Vec::new()),
    }
}

/// `POST /admin/v1/jwt-issuers` → 201 with the registration (never its secret); 409 when
/// it could match what another registration matches.
pub(crate) async fn create(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let new = requested_async(body, call.app.config.allow_private_webhook_addresses).await?;
    let created = audited(
        call,
        &credential,
        "jwt_issuer.create",
        201,
        move |tx, caller, now| {
            let created = tx.jwt_issuers().create(&caller.org_id, new.clone(), now)?;
            let recorded = Recorded::new(
                format!("jwt_issuer:{}", created.id),
                json!({"after": document(&created)}),
            );
            Ok((created, recorded))
        },
    )
    .await?;
    call.app.issuers.invalidate();
    Ok(Response::json(201, &document(&created)))
}

/// `GET /admin/v1/jwt-issuers`: `{"jwt_issuers": [...]}`.
pub(crate) async fn list(call: &mut Call<'_>) -> Result<Response, Error> {
    list_all(
        call,
        "jwt_issuers",
        |tx, org| tx.jwt_issuers().list(org),
        document,
    )
    .await
}

/// `DELETE /admin/v1/jwt-issuers/{id}`: 204; its tokens are refused from the next request.
pub(crate) async fn delete(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    let credential = call.credential()?;
    let id = id.to_owned();
    audited(
        call,
        &credential,
        "jwt_issuer.delete",
        204,
        move |tx, caller, _| {
            let before = tx
                .jwt_issuers()
                .list(&caller.org_id)?
                .into_iter()
                .find(|issuer| issuer.id == id)
                .ok_or_else(|| Error::admin(404, "not_found", "no such JWT issuer"))?;
            tx.jwt_issuers().delete(&caller.org_id, &id)?;
            Ok((
                (),
                Recorded::new(
                    format!("jwt_issuer:{id}"),
                    json!({"before": document(&before)}),
                ),
            ))
        },
    )
    .await?;
    call.app.issuers.invalidate();
    Ok(Response::empty(204))
}
