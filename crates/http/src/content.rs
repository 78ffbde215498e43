//! Request bodies: the media type (`application/scim+json` or `application/json`, with or
//! without `charset=utf-8`; anything else is a 415), the size limit (413) and the JSON
//! itself (malformed JSON is a 400 `invalidSyntax`).
//!
//! A request without `Content-Type` is read as JSON: some clients leave it out, and
//! refusing them gains nothing.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use scim_core::ScimError;
use serde_json::Value;

use crate::error::{ApiError, status_error};
use crate::state::AppState;

/// A request body parsed as JSON, within the configured size limit.
#[derive(Debug)]
pub(crate) struct JsonBody(pub(crate) Value);

impl FromRequest for JsonBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = request
            .app_data::<web::Data<AppState>>()
            .map(|state| state.config.max_body_bytes)
            .unwrap_or(crate::ScimConfig::default().max_body_bytes);
        read_json(request, payload, limit, too_large)
    }
}

/// A BulkRequest body, within `maxPayloadSize` (`ScimConfig::max_bulk_payload_bytes`;
/// RFC 7644 §3.7.4: a 413 naming the limit beyond).
#[derive(Debug)]
pub(crate) struct BulkBody(pub(crate) Value);

impl FromRequest for BulkBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = request
            .app_data::<web::Data<AppState>>()
            .map(|state| state.config.max_bulk_payload_bytes)
            .unwrap_or(crate::ScimConfig::default().max_bulk_payload_bytes);
        let body = read_json(request, payload, limit, bulk_too_large);
        Box::pin(async move { body.await.map(|JsonBody(value)| BulkBody(value)) })
    }
}

/// Check the media type and the size (`limit` bytes; `too_large` says so), then parse.
fn read_json(
    request: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
    too_large: fn(usize) -> ApiError,
) -> Pin<Box<dyn Future<Output = Result<JsonBody, ApiError>>>> {
    let checked = check_media_type(request).and_then(|()| check_length(request, limit, too_large));
    let payload = web::Payload::from_request(request, payload).into_inner();
    Box::pin(async move {
        checked?;
        let payload = payload.map_err(|_| unreadable())?;
        let bytes = payload
            .to_bytes_limited(limit)
            .await
            .map_err(|_| too_large(limit))?
            .map_err(|_| unreadable())?;
        parse_json(&bytes).map(JsonBody)
    })
}

/// Parse a body as JSON (a 400 `invalidSyntax` naming the position otherwise).
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax("the request body is empty").into());
    }
    serde_json::from_slice(bytes).map_err(|error| {
        ScimError::invalid_syntax(format!(
            "the request body is not valid JSON (line {}, column {})",
            error.line(),
            error.column()
        ))
        .into()
    })
}

/// 415 unless the media type is SCIM's or plain JSON, in UTF-8.
fn check_media_type(request: &HttpRequest) -> Result<(), ApiError> {
    let Some(value) = request.headers().get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let value = value.to_str().unwrap_or_default();
    if is_json_media_type(value) {
        Ok(())
    } else {
        Err(status_error(
            415,
            "request bodies must be application/scim+json or application/json (UTF-8)",
        )
        .into())
    }
}

/// Whether a `Content-Type` value names SCIM JSON or JSON, with at most a UTF-8 charset.
pub(crate) fn is_json_media_type(value: &str) -> bool {
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    let known = essence.eq_ignore_ascii_case("application/scim+json")
        || essence.eq_ignore_ascii_case("application/json");
    known
        && parts.all(|parameter| {
            let Some((name, value)) = parameter.split_once('=') else {
                return parameter.trim().is_empty();
            };
            let value = value.trim().trim_matches('"');
            !name.trim().eq_ignore_ascii_case("charset")
                || value.eq_ignore_ascii_case("utf-8")
                || value.eq_ignore_ascii_case("utf8")
        })
}

/// 413 when `Content-Length` already says the body is too large.
fn check_length(
    request: &HttpRequest,
    limit: usize,
    too_large: fn(usize) -> ApiError,
) -> Result<(), ApiError> {
    let length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    match length {
        Some(length) if length > limit as u64 => Err(too_large(limit)),
        _ => Ok(()),
    }
}

fn too_large(limit: usize) -> ApiError {
    status_error(
        413,
        format!("the request body is larger than {limit} bytes"),
    )
    .into()
}

fn bulk_too_large(limit: usize) -> ApiError {
    status_error(
        413,
        format!("the size of the bulk request exceeds maxPayloadSize ({limit} bytes)"),
    )
    .into()
}

fn unreadable() -> ApiError {
    ScimError::invalid_syntax("the request body could not be read").into()
}

#[cfg(test)]
mod tests {
    use super::is_json_media_type;

    #[test]
    fn media_types() {
        let cases = [
            ("application/scim+json", true),
            ("application/json", true),
            ("Application/SCIM+JSON; charset=utf-8", true),
            ("application/json;charset=\"UTF-8\"", true),
            ("application/json; charset=iso-8859-1", false),
            ("text/plain", false),
            ("application/xml", false),
            ("application/jsonx", false),
            ("", false),
        ];
        for (value, expected) in cases {
            assert_eq!(is_json_media_type(value), expected, "{value}");
        }
    }
}
