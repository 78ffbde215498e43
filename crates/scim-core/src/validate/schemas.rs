//! The `schemas` attribute of a resource (RFC 7643 §3): checked on input,
//! recomputed on output.

use serde_json::{Map, Value};

use crate::dialect::{Deviation, DialectContext};
use crate::error::ScimError;
use crate::schema::{ResourceType, urn};

/// Check the `schemas` a client sent on create or replace: a non-empty array
/// of strings that names the core schema of `rt` and otherwise only its
/// extensions (case-insensitively). The Entra ID group URI is tolerated on
/// groups, in place of the core URI too ([`Deviation::EntraGroupSchema`]).
pub(crate) fn check_schemas(
    ctx: &mut DialectContext,
    rt: &ResourceType,
    schemas: Option<&Value>,
) -> Result<(), ScimError> {
    let list = match schemas {
        Some(Value::Array(list)) => list,
        Some(Value::Null) | None => {
            return Err(ScimError::invalid_syntax(format!(
                "\"schemas\" is required and must include {}",
                rt.schema
            )));
        }
        Some(_) => {
            return Err(ScimError::invalid_syntax(
                "\"schemas\" must be an array of schema URNs",
            ));
        }
    };
    let mut has_core = false;
    for entry in list {
        let Some(entry) = entry.as_str() else {
            return Err(ScimError::invalid_syntax(
                "\"schemas\" must be an array of schema URNs",
            ));
        };
        if entry.eq_ignore_ascii_case(&rt.schema) {
            has_core = true;
        } else if rt.has_schema(entry) {
            // An extension of this resource type.
        } else if rt.schema.eq_ignore_ascii_case(urn::GROUP)
            && entry.eq_ignore_ascii_case(urn::ENTRA_GROUP)
        {
            // Entra ID's group URI stands for the core Group schema, alone or beside it.
            ctx.tolerate(Deviation::EntraGroupSchema, "schemas")?;
            has_core = true;
        } else {
            return Err(ScimError::invalid_syntax(format!(
                "\"schemas\" names {entry:?}, which is not a schema of the {} resource type",
                rt.id
            )));
        }
    }
    if has_core {
        Ok(())
    } else {
        Err(ScimError::invalid_syntax(format!(
            "\"schemas\" must include {}",
            rt.schema
        )))
    }
}

/// The normalized `schemas`: the core schema, then every extension of `rt`
/// that holds data in `resource`, in the resource type's order.
pub(crate) fn normalized_schemas(rt: &ResourceType, resource: &Map<String, Value>) -> Value {
    let mut list = vec![Value::String(rt.schema.clone())];
    for extension in &rt.schema_extensions {
        if resource.contains_key(&extension.schema) {
            list.push(Value::String(extension.schema.clone()));
        }
    }
    Value::Array(list)
}
