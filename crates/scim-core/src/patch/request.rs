//! The PATCH request body (RFC 7644 §3.5.2): a `PatchOp` message with a
//! non-empty `Operations` array of `{op, path?, value?}`.
//!
//! Parsing checks the structure only (and the syntax of each `path`); what
//! the paths name is resolved against the schemas when the request is applied.

use serde_json::{Map, Value};

use super::path::PatchPath;
use crate::dialect::{Deviation, DialectContext};
use crate::error::ScimError;
use crate::schema::urn;

/// The kind of a PATCH operation (RFC 7644 §3.5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchOp {
    /// `add` (§3.5.2.1).
    Add,
    /// `remove` (§3.5.2.2).
    Remove,
    /// `replace` (§3.5.2.3).
    Replace,
}

impl PatchOp {
    /// The RFC spelling: `"add"`, `"remove"` or `"replace"`.
    pub fn as_str(self) -> &'static str {
        match self {
            PatchOp::Add => "add",
            PatchOp::Remove => "remove",
            PatchOp::Replace => "replace",
        }
    }

    /// The operation named exactly as the RFC spells it, or `None`.
    fn parse_exact(input: &str) -> Option<Self> {
        match input {
            "add" => Some(PatchOp::Add),
            "remove" => Some(PatchOp::Remove),
            "replace" => Some(PatchOp::Replace),
            _ => None,
        }
    }
}

/// One operation of a PATCH request.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    /// Its position in `Operations`, for error details.
    pub index: usize,
    /// What to do.
    pub op: PatchOp,
    /// Where, when given.
    pub path: Option<PatchPath>,
    /// The `value` member as sent (`Some(Value::Null)` for an explicit `null`).
    pub value: Option<Value>,
}

/// A parsed PATCH request: its operations, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchRequest {
    /// The operations, applied in order, all or none.
    pub operations: Vec<PatchOperation>,
}

impl PatchRequest {
    /// Parse a PATCH body. The body must be an object whose `schemas` holds
    /// the PatchOp URN and whose `Operations` (key compared
    /// case-insensitively) is a non-empty array of operations. A
    /// capitalised `op` (`Add`, `Replace`, `Remove`) is the
    /// [`Deviation::CapitalizedOperation`] dialect form. Errors name the
    /// operation, as in `Operations[2].path: ...`.
    pub fn parse(body: &Value, ctx: &mut DialectContext) -> Result<PatchRequest, ScimError> {
        let object = body
            .as_object()
            .ok_or_else(|| ScimError::invalid_syntax("a PATCH body must be a JSON object"))?;
        check_schemas(object)?;
        let operations = member(object, "Operations")
            .ok_or_else(|| ScimError::invalid_syntax("a PATCH body needs \"Operations\""))?
            .as_array()
            .ok_or_else(|| ScimError::invalid_syntax("\"Operations\" must be an array"))?;
        if operations.is_empty() {
            return Err(ScimError::invalid_syntax(
                "\"Operations\" must hold at least one operation",
            ));
        }
        let operations = operations
            .iter()
            .enumerate()
            .map(|(index, operation)| parse_operation(index, operation, ctx))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PatchRequest { operations })
    }
}

/// `schemas` must be an array holding the PatchOp URN (case-insensitively).
fn check_schemas(object: &Map<String, Value>) -> Result<(), ScimError> {
    let holds_patch_op = member(object, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|schemas| {
            schemas
                .iter()
                .filter_map(Value::as_str)
                .any(|schema| schema.eq_ignore_ascii_case(urn::PATCH_OP))
        });
    if holds_patch_op {
        Ok(())
    } else {
        Err(ScimError::invalid_syntax(format!(
            "\"schemas\" must be an array holding {:?}",
            urn::PATCH_OP
        )))
    }
}

fn parse_operation(
    index: usize,
    operation: &Value,
    ctx: &mut DialectContext,
) -> Result<PatchOperation, ScimError> {
    let at = |what: &str| format!("Operations[{index}]{what}");
    let object = operation
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax(format!("{}: must be an object", at(""))))?;
    let op_name = member(object, "op")
        .ok_or_else(|| ScimError::invalid_syntax(format!("{}: \"op\" is missing", at(""))))?
        .as_str()
        .ok_or_else(|| ScimError::invalid_syntax(format!("{}: must be a string", at(".op"))))?;
    let op = match PatchOp::parse_exact(op_name) {
        Some(op) => op,
        None => {
            let op = PatchOp::parse_exact(&op_name.to_ascii_lowercase()).ok_or_else(|| {
                ScimError::invalid_syntax(format!(
                    "{}: {op_name:?} is not \"add\", \"remove\" or \"replace\"",
                    at(".op")
                ))
            })?;
            ctx.tolerate(
                Deviation::CapitalizedOperation,
                &format!("{}: {op_name:?}", at(".op")),
            )?;
            op
        }
    };
    let path = match member(object, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(path)) => Some(PatchPath::parse(path).map_err(|error| ScimError {
            detail: format!("{}: {}", at(".path"), error.detail),
            ..error
        })?),
        Some(_) => {
            return Err(ScimError::invalid_syntax(format!(
                "{}: must be a string",
                at(".path")
            )));
        }
    };
    let value = member(object, "value").cloned();
    match (op, &path, &value) {
        (PatchOp::Remove, None, _) => Err(ScimError::no_target(format!(
            "{}: \"remove\" needs a \"path\" (RFC 7644 §3.5.2.2)",
            at("")
        ))),
        (PatchOp::Add | PatchOp::Replace, _, None) => Err(ScimError::invalid_syntax(format!(
            "{}: \"{}\" needs a \"value\"",
            at(""),
            op.as_str()
        ))),
        (PatchOp::Add, Some(_), Some(Value::Null)) => Err(ScimError::invalid_value(format!(
            "{}: \"add\" of null adds nothing; use \"remove\"",
            at(".value")
        ))),
        (PatchOp::Add | PatchOp::Replace, None, Some(value)) if !value.is_object() => {
            Err(ScimError::invalid_syntax(format!(
                "{}: without a \"path\", \"value\" must be an object of attributes",
                at(".value")
            )))
        }
        _ => Ok(PatchOperation {
            index,
            op,
            path,
            value,
        }),
    }
}

/// A member of a JSON object by name, exact match first, then case-insensitively.
pub(crate) fn member<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    })
}
