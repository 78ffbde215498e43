//! Reading admin request bodies: a JSON object whose keys are all known, with typed fields.
//! Every problem is a 400 naming the field. Handlers read the credential before the body,
//! so a request without one gets its 401 before the body is looked at; one whose
//! credential is not valid gets it from the pipeline (`surface/pipeline.rs`).

use serde_json::{Map, Value};

use crate::error::Error;

/// The body as an object with only `allowed` keys.
pub(crate) fn object<'b>(
    body: &'b Value,
    allowed: &[&str],
) -> Result<&'b Map<String, Value>, Error> {
    let object = body
        .as_object()
        .ok_or_else(|| Error::invalid_request("the body must be a JSON object"))?;
    if let Some(unknown) = object.keys().find(|key| !allowed.contains(&key.as_str())) {
        return Err(Error::invalid_request(format!(
            "unknown field {unknown:?}; expected {}",
            allowed.join(", ")
        )));
    }
    Ok(object)
}

/// A required non-empty string field (trimmed).
pub(crate) fn string(object: &Map<String, Value>, key: &str) -> Result<String, Error> {
    optional_string(object, key)?
        .ok_or_else(|| Error::invalid_request(format!("{key} is required")))
}

/// An optional non-empty string field (trimmed); `null` is absent.
pub(crate) fn optional_string(
    object: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, Error> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(Some(text.trim().to_owned())),
        Some(_) => Err(Error::invalid_request(format!(
            "{key} must be a non-empty string"
        ))),
    }
}

/// The longest name of a credential (a SCIM token, an OAuth client).
pub(crate) const MAX_CREDENTIAL_NAME: usize = 200;

/// The optional `name` of a credential: at most [`MAX_CREDENTIAL_NAME`] characters, and no
/// control character (a name is printed by `rollcall token list`, where an escape sequence
/// would rewrite the operator's terminal).
pub(crate) fn credential_name(object: &Map<String, Value>) -> Result<Option<String>, Error> {
    let name = optional_string(object, "name")?;
    if let Some(name) = &name {
        if name.chars().count() > MAX_CREDENTIAL_NAME {
            return Err(Error::invalid_request(format!(
                "name must be at most {MAX_CREDENTIAL_NAME} characters"
            )));
        }
        if name.chars().any(char::is_control) {
            return Err(Error::invalid_request(
                "name must not hold control characters",
            ));
        }
    }
    Ok(name)
}
