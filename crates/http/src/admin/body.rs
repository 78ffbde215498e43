//! Reading admin request bodies: a JSON object whose keys are all known, with typed fields.
//! Every problem is a 400 naming the field; a request without a bearer token gets its 401
//! before the body is read ([`json_after_token`]), and one whose token is not valid gets
//! it from the request-log middleware (`audited::settle_failure`).

use serde_json::{Map, Value};

use super::AdminError;
use crate::auth::BearerToken;
use crate::content::JsonBody;
use crate::error::ApiError;

/// The request's JSON body, once its `Authorization` header is known to carry a bearer
/// token: a request without one is refused with 401 before its body is looked at, as on
/// the SCIM side, where the token is extracted first. The token itself is verified in the
/// write's transaction, so it is handed back for that.
pub(crate) fn json_after_token(
    token: Result<BearerToken, ApiError>,
    body: Result<JsonBody, ApiError>,
) -> Result<(Result<BearerToken, ApiError>, Value), AdminError> {
    let token = token?;
    Ok((Ok(token), body?.0))
}

/// The body as an object with only `allowed` keys.
pub(crate) fn object<'b>(
    body: &'b Value,
    allowed: &[&str],
) -> Result<&'b Map<String, Value>, AdminError> {
    let object = body
        .as_object()
        .ok_or_else(|| AdminError::invalid("the body must be a JSON object"))?;
    if let Some(unknown) = object.keys().find(|key| !allowed.contains(&key.as_str())) {
        return Err(AdminError::invalid(format!(
            "unknown field {unknown:?}; expected {}",
            allowed.join(", ")
        )));
    }
    Ok(object)
}

/// A required non-empty string field (trimmed).
pub(crate) fn string(object: &Map<String, Value>, key: &str) -> Result<String, AdminError> {
    optional_string(object, key)?.ok_or_else(|| AdminError::invalid(format!("{key} is required")))
}

/// An optional non-empty string field (trimmed); `null` is absent.
pub(crate) fn optional_string(
    object: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, AdminError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(Some(text.trim().to_owned())),
        Some(_) => Err(AdminError::invalid(format!(
            "{key} must be a non-empty string"
        ))),
    }
}
