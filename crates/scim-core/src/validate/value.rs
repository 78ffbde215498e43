//! Single values: the RFC 7643 §2.3 data types, the boolean-as-string
//! dialect form, and canonical values.

use serde_json::Value;

use super::value_path::ValuePath;
use crate::dialect::{Deviation, DialectContext};
use crate::error::ScimError;
use crate::schema::{AttrType, AttributeDef};

/// How an attribute's `canonicalValues` constrain what a client may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CanonicalPolicy {
    /// The attribute has no canonical values: anything of the right type.
    Open,
    /// A known value gets its canonical casing; any other value is kept as sent.
    NormalizeOnly,
    /// The value must be one of the canonical values (compared
    /// case-insensitively) and is stored in the canonical casing.
    Enforced,
}

/// The multi-valued User attributes whose `type` labels RFC 7643 §4.1.2 lists
/// as suggestions ("canonical values ... the service provider MAY allow other
/// values"). Real IdPs send labels such as `"Work"`, `"mobile2"` or
/// `"primary"`, so these are normalized, never enforced.
const SUGGESTED_TYPE_LABELS: &[&str] = &[
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
];

/// Which [`CanonicalPolicy`] applies to `attribute` (a sub-attribute of
/// `parent` when `parent` is given).
///
/// Canonical values are a closed list everywhere (Group `members.type` must
/// be `User` or `Group`, User `groups.type` `direct` or `indirect`, custom
/// extensions get what they declare) except for the `type` labels of the
/// User's multi-valued attributes ([`SUGGESTED_TYPE_LABELS`]), where the RFC
/// only suggests values and clients use others.
pub(crate) fn canonical_policy(
    parent: Option<&AttributeDef>,
    attribute: &AttributeDef,
) -> CanonicalPolicy {
    if attribute.canonical_values.is_empty() {
        return CanonicalPolicy::Open;
    }
    let suggested = parent.is_some_and(|parent| {
        parent.multi_valued
            && attribute.name == "type"
            && SUGGESTED_TYPE_LABELS.contains(&parent.name.as_str())
    });
    if suggested {
        CanonicalPolicy::NormalizeOnly
    } else {
        CanonicalPolicy::Enforced
    }
}

/// Check one non-complex value against its definition and normalize it.
/// `path` is the canonical path used in error details (`emails[1].primary`).
pub(crate) fn simple_value(
    ctx: &mut DialectContext,
    parent: Option<&AttributeDef>,
    attribute: &AttributeDef,
    value: &Value,
    path: &ValuePath<'_>,
) -> Result<Value, ScimError> {
    let wrong_type = |expected: &str| {
        ScimError::invalid_value(format!(
            "{path} must be {expected}, not {}",
            json_kind(value)
        ))
    };
    match attribute.ty {
        AttrType::String => {
            let text = value.as_str().ok_or_else(|| wrong_type("a string"))?;
            if attribute.required && text.is_empty() {
                return Err(ScimError::invalid_value(format!(
                    "{path} is required and must not be empty"
                )));
            }
            canonical_value(parent, attribute, text, path)
        }
        AttrType::Boolean => match value {
            Value::Bool(_) => Ok(value.clone()),
            Value::String(text) => match parse_boolean_string(text) {
                Some(boolean) => {
                    ctx.tolerate(Deviation::BooleanAsString, &path.to_string())?;
                    Ok(Value::Bool(boolean))
                }
                None => Err(wrong_type("a boolean")),
            },
            _ => Err(wrong_type("a boolean")),
        },
        AttrType::Decimal => match value {
            Value::Number(_) => Ok(value.clone()),
            _ => Err(wrong_type("a number")),
        },
        AttrType::Integer => match value {
            Value::Number(number) if number.is_i64() || number.is_u64() => Ok(value.clone()),
            _ => Err(wrong_type("an integer")),
        },
        AttrType::DateTime => {
            let text = value
                .as_str()
                .ok_or_else(|| wrong_type("a dateTime string"))?;
            if is_date_time(text) {
                Ok(value.clone())
            } else {
                Err(ScimError::invalid_value(format!(
                    "{path} must be an xsd:dateTime such as 2008-01-23T04:56:22Z, not {text:?}"
                )))
            }
        }
        AttrType::Reference => {
            let text = value
                .as_str()
                .ok_or_else(|| wrong_type("a reference string"))?;
            if attribute.required && text.is_empty() {
                return Err(ScimError::invalid_value(format!(
                    "{path} is required and must not be empty"
                )));
            }
            Ok(value.clone())
        }
        AttrType::Binary => {
            let text = value
                .as_str()
                .ok_or_else(|| wrong_type("a base64 string"))?;
            if is_base64(text) {
                Ok(value.clone())
            } else {
                Err(ScimError::invalid_value(format!(
                    "{path} must be base64-encoded (RFC 4648 §4)"
                )))
            }
        }
        AttrType::Complex => Err(wrong_type("a complex value")),
    }
}

/// Apply the attribute's [`CanonicalPolicy`] to a string value.
fn canonical_value(
    parent: Option<&AttributeDef>,
    attribute: &AttributeDef,
    text: &str,
    path: &ValuePath<'_>,
) -> Result<Value, ScimError> {
    let policy = canonical_policy(parent, attribute);
    if policy == CanonicalPolicy::Open {
        return Ok(Value::String(text.to_owned()));
    }
    let known = attribute
        .canonical_values
        .iter()
        .find(|canonical| canonical.eq_ignore_ascii_case(text));
    match (known, policy) {
        (Some(canonical), _) => Ok(Value::String(canonical.clone())),
        (None, CanonicalPolicy::Enforced) => Err(ScimError::invalid_value(format!(
            "{path} must be one of {}, not {text:?}",
            attribute.canonical_values.join(", ")
        ))),
        (None, _) => Ok(Value::String(text.to_owned())),
    }
}

/// `"true"`/`"false"` in any casing (Entra ID sends `"True"` and `"False"`).
fn parse_boolean_string(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// An `xsd:dateTime`: RFC 3339 with an offset, or without one (the xsd
/// lexical form allows an absent time zone).
pub(crate) fn is_date_time(text: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(text).is_ok()
        || chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
}

/// Base64 with the standard alphabet and `=` padding (RFC 4648 §4): a
/// multiple of four characters, at most two `=` and only at the end.
pub(crate) fn is_base64(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return false;
    }
    let data = text.trim_end_matches('=');
    let padding = bytes.len() - data.len();
    padding <= 2
        && data
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// `"a string"`, `"an array"`...: the JSON kind of a value, for error details.
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{group_schema, user_schema};

    #[test]
    fn canonical_policies() {
        let user = user_schema();
        let group = group_schema();
        let policy = |schema: &crate::schema::Schema, attr: &str, sub: Option<&str>| {
            let parent = schema.attribute(attr).expect("attribute");
            match sub {
                Some(sub) => {
                    canonical_policy(Some(parent), parent.sub_attribute(sub).expect("sub"))
                }
                None => canonical_policy(None, parent),
            }
        };
        use CanonicalPolicy::*;
        let cases = [
            (policy(&group, "members", Some("type")), Enforced),
            (policy(&user, "groups", Some("type")), Enforced),
            (policy(&user, "emails", Some("type")), NormalizeOnly),
            (policy(&user, "phoneNumbers", Some("type")), NormalizeOnly),
            (policy(&user, "ims", Some("type")), NormalizeOnly),
            (policy(&user, "photos", Some("type")), NormalizeOnly),
            (policy(&user, "addresses", Some("type")), NormalizeOnly),
            (policy(&user, "emails", Some("value")), Open),
            (policy(&user, "userName", None), Open),
        ];
        for (index, (got, expected)) in cases.into_iter().enumerate() {
            assert_eq!(got, expected, "case {index}");
        }
        // A top-level attribute named `type` with canonical values is closed.
        let custom = AttributeDef::string("type").canonical(&["a"]);
        assert_eq!(canonical_policy(None, &custom), Enforced);
    }

    #[test]
    fn base64() {
        let cases = [
            ("", true),
            ("TWFu", true),
            ("TWE=", true),
            ("TQ==", true),
            ("a+/9", true),
            ("TQ=", false),
            ("T===", false),
            ("TW=u", false),
            ("TWFu\n", false),
            ("TW-_", false),
            ("é123", false),
        ];
        for (input, expected) in cases {
            assert_eq!(is_base64(input), expected, "{input:?}");
        }
    }

    #[test]
    fn date_times() {
        let cases = [
            ("2008-01-23T04:56:22Z", true),
            ("2008-01-23T04:56:22.123+02:00", true),
            ("2008-01-23T04:56:22", true),
            ("2008-01-23", false),
            ("2008-13-23T04:56:22Z", false),
            ("yesterday", false),
        ];
        for (input, expected) in cases {
            assert_eq!(is_date_time(input), expected, "{input:?}");
        }
    }
}
