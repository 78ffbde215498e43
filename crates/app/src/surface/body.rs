//! Request bodies: the media type (`application/scim+json` or `application/json`, with or
//! without `charset=utf-8`; anything else is a 415), the size limit (413) and the JSON
//! itself (malformed JSON is a 400 `invalidSyntax`).
//!
//! A request without `Content-Type` is read as JSON: some clients leave it out, and
//! refusing them gains nothing.

use scim_core::ScimError;
use serde_json::Value;

use crate::config::ScimConfig;
use crate::error::Error;
use crate::request::{Body, Request, header_text};

/// Which size limit a body is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// `ScimConfig::max_body_bytes`.
    Body,
    /// `/Bulk`: `ScimConfig::max_bulk_payload_bytes` (`maxPayloadSize`; RFC 7644 §3.7.4: a
    /// 413 naming the limit beyond).
    Bulk,
}

impl Limit {
    /// The limit in bytes.
    pub(crate) fn bytes(self, config: &ScimConfig) -> usize {
        match self {
            Limit::Body => config.max_body_bytes,
            Limit::Bulk => config.max_bulk_payload_bytes,
        }
    }

    fn too_large(self, limit: usize) -> Error {
        let detail = match self {
            Limit::Body => format!("the request body is larger than {limit} bytes"),
            Limit::Bulk => {
                format!("the size of the bulk request exceeds maxPayloadSize ({limit} bytes)")
            }
        };
        Error::new(413, detail)
    }
}

/// The request's body parsed as JSON: the media type checked (415), then the size (413),
/// then the JSON (400 `invalidSyntax`).
pub(crate) fn json(request: &Request, config: &ScimConfig, limit: Limit) -> Result<Value, Error> {
    check_media_type(request)?;
    let bytes = limit.bytes(config);
    if declared_length(request).is_some_and(|length| length > bytes as u64) {
        return Err(limit.too_large(bytes));
    }
    match &request.body {
        Body::TooLarge => Err(limit.too_large(bytes)),
        Body::Unreadable => {
            Err(ScimError::invalid_syntax("the request body could not be read").into())
        }
        Body::Bytes(body) if body.len() > bytes => Err(limit.too_large(bytes)),
        Body::Bytes(body) => {
            let value = parse_json(body)?;
            refuse_nul(&value)?;
            Ok(value)
        }
    }
}

/// A 400 `invalidValue` when any string of `value`, member names included, holds a NUL
/// character (U+0000): no attribute, name or id may hold one, on either database.
pub(crate) fn refuse_nul(value: &Value) -> Result<(), Error> {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Value::String(text) if text.contains('\0') => return Err(nul_error()),
            Value::Array(items) => pending.extend(items),
            Value::Object(members) => {
                if members.keys().any(|key| key.contains('\0')) {
                    return Err(nul_error());
                }
                pending.extend(members.values());
            }
            _ => {}
        }
    }
    Ok(())
}

/// The 400 of a NUL character in what a client sent.
pub(crate) fn nul_error() -> Error {
    ScimError::invalid_value("the request holds a NUL character (U+0000), which no value may hold")
        .into()
}

/// Parse a body as JSON with no object naming a member twice (a 400 `invalidSyntax`
/// naming the position otherwise; see [`super::unique_keys`]).
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax("the request body is empty").into());
    }
    super::unique_keys::from_slice(bytes).map_err(|error| {
        let what = if error.is_syntax() || error.is_eof() {
            "is not valid JSON"
        } else {
            "names a member twice in one object"
        };
        ScimError::invalid_syntax(format!(
            "the request body {what} (line {}, column {})",
            error.line(),
            error.column()
        ))
        .into()
    })
}

/// 415 unless the media type is SCIM's or plain JSON, in UTF-8.
fn check_media_type(request: &Request) -> Result<(), Error> {
    let Some(value) = request.headers.get("content-type") else {
        return Ok(());
    };
    let value = header_text(value).unwrap_or_default();
    if is_json_media_type(value) {
        Ok(())
    } else {
        Err(Error::new(
            415,
            "request bodies must be application/scim+json or application/json (UTF-8)",
        ))
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

/// The body's length as `Content-Length` declares it.
fn declared_length(request: &Request) -> Option<u64> {
    request
        .headers
        .text("content-length")
        .and_then(Result::ok)
        .and_then(|value| value.trim().parse::<u64>().ok())
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
