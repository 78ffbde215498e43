//! Validation and normalization of a resource against its schemas
//! (RFC 7643 §2, §7; RFC 7644 §3.3, §3.5.1, §3.5.2).
//!
//! [`validate_resource`] is the one entry point: the server calls it on
//! create and replace, the PATCH engine on the patched resource. It returns
//! the normalized resource every other part of the crate relies on:
//! canonical attribute names, extension attributes under their canonical URN
//! key, no `null`s, no empty arrays, unknown attributes dropped, read-only
//! attributes taken from the stored resource, and `schemas` recomputed (core
//! schema first, then every extension that holds data).
//!
//! Decisions beyond the RFC text:
//! - A multi-valued attribute given a single value is taken as a one-element
//!   list; a single-valued attribute given an array is a 400 `invalidValue`.
//! - Extension data is accepted even when its URN is missing from `schemas`
//!   (the output `schemas` lists it).
//! - An `immutable` attribute left out of a replace keeps its stored value;
//!   removing it with a PATCH is a 400 `mutability`.
//! - A `writeOnly` attribute (`password`) left out of a replace keeps its
//!   stored value: the client never saw it.
//! - Group `members` need a non-empty `value`; repeated member values are
//!   kept once.

mod attribute;
mod schemas;
mod value;
mod value_path;

use serde_json::{Map, Value};

use crate::dialect::DialectContext;
use crate::error::ScimError;
use crate::identity;
use crate::schema::{ResourceType, SchemaRegistry};

use attribute::Walker;
use value_path::ValuePath;

/// Which request the resource comes from: it decides how read-only,
/// immutable and write-only attributes combine with the stored resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `POST`: a new resource; there is no stored one.
    Create,
    /// `PUT`: the input replaces the stored resource.
    Replace,
    /// `PATCH`: the input is the stored resource with the operations applied.
    Patch,
}

/// Validate `input` as a resource of type `rt` and return it normalized.
///
/// `existing` is the stored resource (normalized) for [`Operation::Replace`]
/// and [`Operation::Patch`]; it is ignored on [`Operation::Create`]. Dialect
/// forms (booleans as strings, `manager` as a string, the Entra ID group
/// URI) go through `ctx`.
///
/// # Errors
/// 400 `invalidSyntax` when the body is not an object or `schemas` is
/// missing or wrong (create and replace), 400 `invalidValue` for a value of
/// the wrong type, a missing required attribute or a second primary value,
/// 400 `mutability` for a change to an immutable attribute.
pub fn validate_resource(
    registry: &SchemaRegistry,
    rt: &ResourceType,
    input: &Value,
    existing: Option<&Value>,
    operation: Operation,
    ctx: &mut DialectContext,
) -> Result<Value, ScimError> {
    let Some(input) = input.as_object() else {
        return Err(ScimError::invalid_syntax(
            "the resource must be a JSON object",
        ));
    };
    let existing = match operation {
        Operation::Create => None,
        Operation::Replace | Operation::Patch => existing.and_then(Value::as_object),
    };
    if operation != Operation::Patch {
        schemas::check_schemas(ctx, rt, lookup(input, "schemas", "schemas")?)?;
    }
    let core = registry
        .schema(&rt.schema)
        .ok_or_else(|| unknown_schema(&rt.schema))?;

    let mut walker = Walker::new(ctx, rt, operation, existing.is_some());
    let mut output = Map::new();
    for attribute in registry.common_attributes().iter().chain(&core.attributes) {
        let given = lookup(input, &attribute.name, &attribute.name)?;
        let stored = existing.and_then(|e| get_case_insensitive(e, &attribute.name));
        let path = ValuePath::Attribute(&attribute.name);
        if let Some(value) = walker.attribute(None, attribute, given, stored, &path)? {
            output.insert(attribute.name.clone(), value);
        }
    }

    for extension in &rt.schema_extensions {
        let schema = registry
            .schema(&extension.schema)
            .ok_or_else(|| unknown_schema(&extension.schema))?;
        let given = match lookup(input, &schema.id, &schema.id)? {
            None | Some(Value::Null) => None,
            Some(Value::Object(object)) => Some(object),
            Some(_) => {
                return Err(ScimError::invalid_syntax(format!(
                    "{} must be an object of extension attributes",
                    schema.id
                )));
            }
        };
        let stored = existing
            .and_then(|e| get_case_insensitive(e, &schema.id))
            .and_then(Value::as_object);
        // An extension neither given nor stored asks for nothing when it is optional
        // (RFC 7643 §3.3: its attributes apply to a resource that has it), nor of a stored
        // resource written before it was required.
        if given.is_none() && stored.is_none() && (!extension.required || existing.is_some()) {
            continue;
        }
        let mut extension_output = Map::new();
        for attribute in &schema.attributes {
            let path = format!("{}:{}", schema.id, attribute.name);
            let given = match given {
                Some(object) => lookup(object, &attribute.name, &path)?,
                None => None,
            };
            let stored = stored.and_then(|s| get_case_insensitive(s, &attribute.name));
            let path = ValuePath::Attribute(&path);
            let value = walker.attribute(Some(&schema.id), attribute, given, stored, &path)?;
            if let Some(value) = value {
                extension_output.insert(attribute.name.clone(), value);
            }
        }
        if !extension_output.is_empty() {
            output.insert(schema.id.clone(), Value::Object(extension_output));
        } else if extension.required {
            return Err(ScimError::invalid_value(format!(
                "the {} resource type requires the extension {}",
                rt.id, schema.id
            )));
        }
    }

    // An empty externalId names nothing: unassigned, as Entra means it when a mapped
    // source attribute is empty (it would otherwise be a value others collide with).
    if output.get("externalId").and_then(Value::as_str) == Some("") {
        output.remove("externalId");
    }
    check_identity(rt, &output, existing)?;
    let mut resource = Map::new();
    resource.insert(
        "schemas".to_owned(),
        schemas::normalized_schemas(rt, &output),
    );
    resource.extend(output);
    Ok(Value::Object(resource))
}

/// The longest identifier (`userName`, a group's `displayName`, `externalId`) in bytes of
/// UTF-8: far beyond any IdP's (Entra's userPrincipalName is 113 characters, Okta's login
/// 100), and within what a database index entry holds on both backends.
pub const MAX_IDENTIFIER_BYTES: usize = 1024;

/// The value naming the resource (`userName`, a group's `displayName`) must name an
/// identity (`crate::identity::check`) and, like `externalId`, be at most
/// [`MAX_IDENTIFIER_BYTES`] long, its key too: 400 `invalidValue` otherwise. Checked when
/// it changes, so a resource stored before the rule can still be written.
fn check_identity(
    rt: &ResourceType,
    output: &Map<String, Value>,
    existing: Option<&Map<String, Value>>,
) -> Result<(), ScimError> {
    let unchanged = |name: &str, value: &str| {
        existing.and_then(|e| e.get(name)).and_then(Value::as_str) == Some(value)
    };
    if let Some(external_id) = output.get("externalId").and_then(Value::as_str)
        && external_id.len() > MAX_IDENTIFIER_BYTES
        && !unchanged("externalId", external_id)
    {
        return Err(ScimError::invalid_value(format!(
            "externalId is longer than {MAX_IDENTIFIER_BYTES} bytes"
        )));
    }
    let Some(name) = identity::identity_attribute(&rt.schema) else {
        return Ok(());
    };
    let Some(value) = output.get(name).and_then(Value::as_str) else {
        return Ok(());
    };
    if unchanged(name, value) {
        return Ok(());
    }
    if value.len() > MAX_IDENTIFIER_BYTES || identity::key(value).len() > 2 * MAX_IDENTIFIER_BYTES {
        return Err(ScimError::invalid_value(format!(
            "{name} is longer than {MAX_IDENTIFIER_BYTES} bytes"
        )));
    }
    identity::check(value).map_err(|error| ScimError::invalid_value(format!("{name} {error}")))
}

/// The value under `name` in a client's object, compared case-insensitively.
/// Two keys that differ only in case are ambiguous: 400 `invalidSyntax`.
pub(crate) fn lookup<'v>(
    object: &'v Map<String, Value>,
    name: &str,
    path: impl std::fmt::Display,
) -> Result<Option<&'v Value>, ScimError> {
    let mut found = None;
    for (key, value) in object {
        if key.eq_ignore_ascii_case(name) {
            if found.is_some() {
                return Err(ScimError::invalid_syntax(format!(
                    "{path} is given twice (attribute names are case-insensitive)"
                )));
            }
            found = Some(value);
        }
    }
    Ok(found)
}

/// The value under `name` in a stored (normalized) object: the exact key
/// first, else the first key equal to it case-insensitively. `null`, `[]`
/// and `{}` are absent (RFC 7643 §2.5).
pub(crate) fn get_case_insensitive<'v>(
    object: &'v Map<String, Value>,
    name: &str,
) -> Option<&'v Value> {
    object
        .get(name)
        .or_else(|| {
            object
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value)
        })
        .filter(|value| !is_unassigned(value))
}

/// `null`, an empty array or an empty object: no value.
fn is_unassigned(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(object) => object.is_empty(),
        _ => false,
    }
}

/// The registry lacks a schema its resource type names: a server defect.
fn unknown_schema(urn: &str) -> ScimError {
    ScimError {
        status: 500,
        scim_type: None,
        detail: format!("the schema {urn} is not registered"),
        span: None,
    }
}
