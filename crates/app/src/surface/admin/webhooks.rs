//! `POST|GET /admin/v1/webhooks` and `DELETE /admin/v1/webhooks/{id}` (PRODUCT.md §10):
//! where the organization's events are POSTed, signed with a secret the admin chooses.
//!
//! A webhook: `{"url": "http(s)://host…", "secret": "…", "events": ["user.deactivated", …]
//! or ["*"]}`. The secret is never shown again; listings show each webhook's delivery state
//! (`delivered_seq`, `attempts`, `next_attempt_at`, `last_error`). A new webhook receives
//! the events appended after it was created. Delivery is the dispatcher's (`events/`):
//! `https://` receivers are reached over TLS with their certificate verified, and only
//! public addresses are reached unless the server allows private ones. A URL whose host
//! can only be private (an IP literal such as `127.0.0.1` or `169.254.169.254`, a
//! `localhost` name) is refused at creation with a 400 unless
//! [`ScimConfig::allow_private_webhook_addresses`](crate::ScimConfig) is set.

use chrono::{DateTime, SecondsFormat, Utc};
use rollcall_store::{ConsumerState, NewWebhook, Webhook};
use serde_json::{Map, Value, json};

use super::audited::{Recorded, audited};
use super::body::object;
use super::delete_by_id;
use crate::error::Error;
use std::net::IpAddr;

use crate::events::{WebhookHost, is_event_type, private_host};
use crate::response::Response;
use crate::surface::body::Limit;
use crate::surface::call::Call;
use crate::transaction::Access;

/// The longest URL accepted.
const MAX_URL_BYTES: usize = 2048;
/// The longest secret accepted.
const MAX_SECRET_BYTES: usize = 1024;

fn time(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A webhook as the API shows it: never its secret.
pub(crate) fn document(webhook: &Webhook, state: Option<&ConsumerState>) -> Value {
    let delivery = state.map(|state| {
        json!({
            "delivered_seq": state.delivered_seq,
            "attempts": state.attempts,
            "next_attempt_at": state.next_attempt_at.map(time),
            "last_error": state.last_error,
        })
    });
    json!({
        "id": webhook.id,
        "url": webhook.url,
        "events": webhook.event_types,
        "created_at": time(webhook.created_at),
        "delivery": delivery,
    })
}

/// A URL with scheme `http` or `https` and a host; unless `allow_private`, a host that
/// could only be private (an IP address in any notation that is not public, a `localhost`
/// name, a name whose `resolve`d addresses are all private) is refused. The dispatcher
/// checks what a name resolves to again on every delivery, since it may change.
fn url(
    fields: &Map<String, Value>,
    allow_private: bool,
    resolve: &dyn Fn(&str) -> Vec<IpAddr>,
) -> Result<String, Error> {
    outbound_url(fields, "url", allow_private, resolve)
}

/// The URL in field `name` of a request, for Rollcall to reach (a webhook receiver, a
/// JWKS): `http(s)`, a host and a port, and a public host unless `allow_private`.
pub(crate) fn outbound_url(
    fields: &Map<String, Value>,
    name: &str,
    allow_private: bool,
    resolve: &dyn Fn(&str) -> Vec<IpAddr>,
) -> Result<String, Error> {
    let text = match fields.get(name) {
        Some(Value::String(text)) if !text.trim().is_empty() => text.trim(),
        None | Some(Value::Null) => {
            return Err(Error::invalid_request(format!("{name} is required")));
        }
        Some(_) => {
            return Err(Error::invalid_request(format!(
                "{name} must be a non-empty string"
            )));
        }
    };
    if text.len() > MAX_URL_BYTES {
        return Err(Error::invalid_request(format!(
            "{name} is longer than {MAX_URL_BYTES} bytes"
        )));
    }
    let uri = ureq::http::Uri::try_from(text)
        .map_err(|error| Error::invalid_request(format!("{name} is not a URL: {error}")))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(Error::invalid_request(format!(
            "{name} must be an http:// or https:// URL"
        )));
    }
    let host = match uri.host() {
        Some(host) if !host.is_empty() => host,
        _ => return Err(Error::invalid_request(format!("{name} must name a host"))),
    };
    // `Uri` takes any digits for a port; delivery could never connect to one over 65535.
    let authority = uri.authority().map_or("", |authority| authority.as_str());
    let host_and_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, rest)| rest);
    let after_host = host_and_port
        .rsplit_once(']')
        .map_or(host_and_port, |(_, rest)| rest);
    if let Some((_, port)) = after_host.rsplit_once(':')
        && !port.is_empty()
        && !port.parse::<u16>().is_ok_and(|port| port > 0)
    {
        return Err(Error::invalid_request(format!(
            "{name}'s port {port} is not a port (1 to 65535)"
        )));
    }
    if !allow_private {
        let parsed = WebhookHost::parse(host)
            .ok_or_else(|| Error::invalid_request(format!("{name}'s host {host} is not a host")))?;
        let resolved = match &parsed {
            WebhookHost::Name(name) => resolve(name),
            WebhookHost::Ip(_) => Vec::new(),
        };
        if let Some(why) = private_host(&parsed, &resolved) {
            return Err(Error::invalid_request(format!(
                "{name}'s host {host} {why}: Rollcall reaches public addresses only unless \
                 the server sets webhook_allow_private_addresses"
            )));
        }
    }
    Ok(text.to_owned())
}

/// The secret exactly as given (it is the HMAC key): a non-empty string.
fn secret(fields: &Map<String, Value>) -> Result<String, Error> {
    match fields.get("secret") {
        Some(Value::String(text)) if !text.is_empty() && text.len() <= MAX_SECRET_BYTES => {
            Ok(text.clone())
        }
        None | Some(Value::Null) => Err(Error::invalid_request("secret is required")),
        Some(_) => Err(Error::invalid_request(format!(
            "secret must be a non-empty string of at most {MAX_SECRET_BYTES} bytes"
        ))),
    }
}

/// Known event types, or `["*"]`; duplicates dropped.
fn event_types(fields: &Map<String, Value>) -> Result<Vec<String>, Error> {
    let items = match fields.get("events") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        None | Some(Value::Null) => return Err(Error::invalid_request("events is required")),
        Some(_) => {
            return Err(Error::invalid_request(
                "events must be a non-empty array of event types, or [\"*\"]",
            ));
        }
    };
    let mut types: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let name = item
            .as_str()
            .ok_or_else(|| Error::invalid_request("events must hold strings"))?;
        if name != "*" && !is_event_type(name) {
            return Err(Error::invalid_request(format!(
                "unknown event type {name:?}; expected \"*\" or one of {}",
                crate::events::EVENT_TYPES.join(", ")
            )));
        }
        if !types.iter().any(|known| known == name) {
            types.push(name.to_owned());
        }
    }
    Ok(types)
}

/// A creation body, checked: its url, secret and event types. A host name is looked up
/// with `resolve` (blocking).
pub(crate) fn requested(
    body: &Value,
    allow_private: bool,
    resolve: &dyn Fn(&str) -> Vec<IpAddr>,
) -> Result<(String, String, Vec<String>), Error> {
    let fields = object(body, &["url", "secret", "events"])?;
    Ok((
        url(fields, allow_private, resolve)?,
        secret(fields)?,
        event_types(fields)?,
    ))
}

/// How long creation waits for a host name to resolve; past it, the name is judged by its
/// text alone and delivery judges what it resolves to.
const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// [`requested`], the name looked up on a blocking thread within [`RESOLVE_TIMEOUT`].
async fn requested_async(
    body: Value,
    allow_private: bool,
) -> Result<(String, String, Vec<String>), Error> {
    let looked_up = body.clone();
    let checked = tokio::task::spawn_blocking(move || {
        requested(&looked_up, allow_private, &crate::events::resolve)
    });
    match tokio::time::timeout(RESOLVE_TIMEOUT, checked).await {
        Ok(Ok(checked)) => checked,
        Ok(Err(error)) => Err(Error::internal(format!("webhook check failed: {error}"))),
        Err(_) => {
            tracing::warn!("a webhook host name did not resolve in time; judged by its text");
            requested(&body, allow_private, &|_| Vec::new())
        }
    }
}

/// `POST /admin/v1/webhooks` → 201 with the webhook (no secret), recorded in the trail
/// (without its secret).
pub(crate) async fn create(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let (url, secret, types) =
        requested_async(body, call.app.config.allow_private_webhook_addresses).await?;
    let (webhook, delivery) = audited(
        call,
        &credential,
        "webhook.create",
        201,
        move |tx, caller, now| {
            let webhook = tx.webhooks().create(
                &caller.org_id,
                &NewWebhook {
                    url: &url,
                    secret: &secret,
                    event_types: &types,
                },
                now,
            )?;
            let delivery = tx.consumers().state(&webhook.consumer(), &caller.org_id)?;
            let recorded = Recorded::new(
                format!("webhook:{}", webhook.id),
                json!({"after": {"url": webhook.url, "events": webhook.event_types}}),
            );
            Ok(((webhook, delivery), recorded))
        },
    )
    .await?;
    Ok(Response::json(201, &document(&webhook, delivery.as_ref())))
}

/// `GET /admin/v1/webhooks` → `{"webhooks": [...]}` with their delivery state.
pub(crate) async fn list(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let documents = call
        .admin(Access::Read, &credential, |tx, caller| {
            let mut documents = Vec::new();
            for webhook in tx.webhooks().list(&caller.org_id)? {
                let delivery = tx.consumers().state(&webhook.consumer(), &caller.org_id)?;
                documents.push(document(&webhook, delivery.as_ref()));
            }
            Ok(documents)
        })
        .await?;
    Ok(Response::json(200, &json!({"webhooks": documents})))
}

/// `POST /admin/v1/webhooks/{id}/retry`: the next delivery attempt is due now instead of
/// after its backoff; 202 (the dispatcher delivers at its next pass), recorded as
/// `webhook.retry`.
pub(crate) async fn retry(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    let credential = call.credential()?;
    let id = id.to_owned();
    super::audited::audited(
        call,
        &credential,
        "webhook.retry",
        202,
        move |tx, actor, _now| {
            let exists = tx
                .webhooks()
                .list(&actor.org_id)?
                .iter()
                .any(|hook| hook.id == id);
            if !exists {
                return Err(rollcall_store::StoreError::NotFound.into());
            }
            let consumer = rollcall_store::webhook_consumer(&id);
            let pending = tx.consumers().retry_now(&consumer, &actor.org_id)?;
            let detail = json!({"retry": pending});
            Ok((
                (),
                super::audited::Recorded::new(format!("webhook:{id}"), detail),
            ))
        },
    )
    .await?;
    Ok(Response::json(202, &json!({"retry": "scheduled"})))
}

/// `DELETE /admin/v1/webhooks/{id}` → 204; another organization's id is a 404. It
/// changes no one's access: no dry run.
pub(crate) async fn delete(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    // Without a valid credential the answer is a 401, whatever else is wrong (the pipeline
    // verifies it when a request fails before its transaction).
    call.credential_demanded = true;
    if super::audited::dry_run(&call.request.query)? {
        return Err(Error::invalid_request(
            "dry_run is offered on writes that can change access; this one cannot",
        ));
    }
    delete_by_id(
        call,
        id.to_owned(),
        "webhook.delete",
        "webhook",
        |tx, org_id, id, _now| {
            let before = tx
                .webhooks()
                .list(org_id)?
                .into_iter()
                .find(|hook| hook.id == id);
            tx.webhooks().delete(org_id, id)?;
            let before = before.map(|hook| json!({"url": hook.url, "events": hook.event_types}));
            Ok(json!({"before": before}))
        },
    )
    .await
}
