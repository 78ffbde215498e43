//! One attribute at a time: multi-valued and complex values, mutability
//! against the stored value, required attributes and sub-attributes.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::value::{json_kind, simple_value};
use super::value_path::ValuePath;
use super::{Operation, get_case_insensitive, lookup};
use crate::dialect::{Deviation, DialectContext};
use crate::error::ScimError;
use crate::schema::{AttrType, AttributeDef, Mutability, ResourceType, urn};

/// Walks a resource's attributes with the request's dialect and operation.
pub(crate) struct Walker<'c> {
    ctx: &'c mut DialectContext,
    rt: &'c ResourceType,
    operation: Operation,
    /// Whether a stored resource is being written (a PUT or PATCH of one).
    stored: bool,
}

impl<'c> Walker<'c> {
    /// A walker for one resource of type `rt`; `stored`: a stored one is being written.
    pub(crate) fn new(
        ctx: &'c mut DialectContext,
        rt: &'c ResourceType,
        operation: Operation,
        stored: bool,
    ) -> Self {
        Walker {
            ctx,
            rt,
            operation,
            stored,
        }
    }

    /// The normalized value of a top-level attribute (of the core schema when
    /// `extension` is `None`), from what the client gave and what is stored.
    pub(crate) fn attribute(
        &mut self,
        extension: Option<&str>,
        attribute: &AttributeDef,
        given: Option<&Value>,
        stored: Option<&Value>,
        path: &ValuePath<'_>,
    ) -> Result<Option<Value>, ScimError> {
        if attribute.mutability == Mutability::ReadOnly {
            // Ignored on input (RFC 7643 §7); the stored value stays.
            return Ok(stored.cloned());
        }
        let new = match given {
            None | Some(Value::Null) => None,
            Some(value) => self.value(extension, attribute, value, stored, path)?,
        };
        let new = match (attribute.mutability, self.operation) {
            (Mutability::WriteOnly, Operation::Replace) if new.is_none() => stored.cloned(),
            (Mutability::Immutable, Operation::Replace | Operation::Patch) => {
                let absent_keeps_stored = self.operation == Operation::Replace;
                immutable(attribute, new, stored, absent_keeps_stored, path)?
            }
            _ => new,
        };
        // A stored resource that never held a required attribute (its schema made it
        // required later) is not refused for it: a write that does not set it, such as a
        // deactivation, still applies. Taking a held one away is refused.
        let never_held = self.stored && stored.is_none();
        if attribute.required && new.is_none() && !never_held {
            return Err(ScimError::invalid_value(format!("{path} is required")));
        }
        Ok(new)
    }

    /// A non-null value of a top-level attribute.
    fn value(
        &mut self,
        extension: Option<&str>,
        attribute: &AttributeDef,
        value: &Value,
        stored: Option<&Value>,
        path: &ValuePath<'_>,
    ) -> Result<Option<Value>, ScimError> {
        let manager;
        let value = match value {
            Value::String(id) if is_enterprise_manager(extension, attribute) => {
                self.ctx
                    .tolerate(Deviation::ManagerAsString, &path.to_string())?;
                if id.is_empty() {
                    return Ok(None);
                }
                manager = serde_json::json!({ "value": id });
                &manager
            }
            Value::Object(object)
                if is_enterprise_manager(extension, attribute)
                    && object.iter().any(|(key, id)| {
                        key.eq_ignore_ascii_case("value") && id.as_str() == Some("")
                    }) =>
            {
                // A manager whose id is "" names no one: cleared, however it is written.
                return Ok(None);
            }
            _ => value,
        };
        if attribute.multi_valued {
            return self.multi_value(extension, attribute, value, stored, path);
        }
        if value.is_array() {
            return Err(ScimError::invalid_value(format!(
                "{path} is single-valued and cannot be an array"
            )));
        }
        if attribute.ty != AttrType::Complex {
            return simple_value(self.ctx, None, attribute, value, path).map(Some);
        }
        let Value::Object(object) = value else {
            return Err(ScimError::invalid_value(format!(
                "{path} must be an object, not {}",
                json_kind(value)
            )));
        };
        let stored = stored
            .and_then(Value::as_object)
            .filter(|stored| same_element(attribute, object, stored));
        Ok(self
            .complex(extension, attribute, object, stored, path)?
            .map(Value::Object))
    }

    /// A multi-valued attribute: each element checked, nulls and empty
    /// elements dropped, at most one `primary`.
    fn multi_value(
        &mut self,
        extension: Option<&str>,
        attribute: &AttributeDef,
        value: &Value,
        stored: Option<&Value>,
        path: &ValuePath<'_>,
    ) -> Result<Option<Value>, ScimError> {
        let items = match value {
            Value::Array(items) => items.as_slice(),
            single => std::slice::from_ref(single),
        };
        let stored_elements = StoredElements::new(attribute, stored, self.operation);
        let dedupe_by_value = self.member_value_required(extension, attribute);
        let mut seen_values = HashSet::new();
        let mut output = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let item_path = ValuePath::Element(path, index);
            let element = match item {
                Value::Null => None,
                Value::Array(_) => {
                    return Err(ScimError::invalid_value(format!(
                        "{item_path} cannot be an array"
                    )));
                }
                Value::Object(object) if attribute.ty == AttrType::Complex => {
                    let stored = stored_elements.matching(attribute, object);
                    self.complex(extension, attribute, object, stored, &item_path)?
                        .map(Value::Object)
                }
                other if attribute.ty == AttrType::Complex => {
                    return Err(ScimError::invalid_value(format!(
                        "{item_path} must be an object, not {}",
                        json_kind(other)
                    )));
                }
                other => Some(simple_value(self.ctx, None, attribute, other, &item_path)?),
            };
            let Some(element) = element else { continue };
            if dedupe_by_value {
                // The member's `value` is case-exact and present (checked above).
                let key = item
                    .as_object()
                    .and_then(|object| get_case_insensitive(object, "value"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if !seen_values.insert(key) {
                    continue;
                }
            }
            output.push(element);
        }
        let primaries = output
            .iter()
            .filter(|element| element.get("primary") == Some(&Value::Bool(true)))
            .count();
        if primaries > 1 {
            return Err(ScimError::invalid_value(format!(
                "{path} has {primaries} values with \"primary\": true; at most one is allowed"
            )));
        }
        Ok(if output.is_empty() {
            None
        } else {
            Some(Value::Array(output))
        })
    }

    /// A complex value (or one element of a multi-valued complex attribute);
    /// `stored` is the stored value it replaces, if any.
    fn complex(
        &mut self,
        extension: Option<&str>,
        attribute: &AttributeDef,
        object: &Map<String, Value>,
        stored: Option<&Map<String, Value>>,
        path: &ValuePath<'_>,
    ) -> Result<Option<Map<String, Value>>, ScimError> {
        let mut output = Map::new();
        for sub in &attribute.sub_attributes {
            let sub_path = ValuePath::Sub(path, &sub.name);
            let given = lookup(object, &sub.name, sub_path)?.filter(|v| !v.is_null());
            let stored_value = stored.and_then(|s| get_case_insensitive(s, &sub.name));
            let value = if sub.mutability == Mutability::ReadOnly {
                stored_value.cloned()
            } else {
                let new = given
                    .map(|v| simple_value(self.ctx, Some(attribute), sub, v, &sub_path))
                    .transpose()?;
                match (sub.mutability, self.operation) {
                    (Mutability::Immutable, Operation::Replace | Operation::Patch) => {
                        immutable(sub, new, stored_value, true, &sub_path)?
                    }
                    (Mutability::WriteOnly, Operation::Replace) if new.is_none() => {
                        stored_value.cloned()
                    }
                    _ => new,
                }
            };
            if sub.required && value.is_none() {
                return Err(ScimError::invalid_value(format!("{sub_path} is required")));
            }
            if let Some(value) = value {
                output.insert(sub.name.clone(), value);
            }
        }
        if self.member_value_required(extension, attribute) {
            let has_value = output
                .get("value")
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty());
            if !has_value {
                return Err(ScimError::invalid_value(format!(
                    "{path}.value is required: a member is identified by its id"
                )));
            }
        }
        Ok(if output.is_empty() {
            None
        } else {
            Some(output)
        })
    }

    /// Group `members` elements must name their member (RFC 7643 §4.2: the
    /// `value` is the member's `id`); an element without one means nothing.
    fn member_value_required(&self, extension: Option<&str>, attribute: &AttributeDef) -> bool {
        extension.is_none()
            && self.rt.schema.eq_ignore_ascii_case(urn::GROUP)
            && attribute.name == "members"
    }
}

/// The enterprise `manager`, which Entra ID sends as a bare id string.
fn is_enterprise_manager(extension: Option<&str>, attribute: &AttributeDef) -> bool {
    extension.is_some_and(|urn| urn.eq_ignore_ascii_case(urn::ENTERPRISE_USER))
        && attribute.name == "manager"
}

/// An immutable attribute: it may be set when nothing is stored; otherwise
/// the new value must equal the stored one (RFC 7644 §3.5.1). Absent means
/// "keep" when `absent_keeps_stored`, else it is a removal.
fn immutable(
    attribute: &AttributeDef,
    new: Option<Value>,
    stored: Option<&Value>,
    absent_keeps_stored: bool,
    path: &ValuePath<'_>,
) -> Result<Option<Value>, ScimError> {
    let Some(stored) = stored else {
        return Ok(new);
    };
    match new {
        None if absent_keeps_stored => Ok(Some(stored.clone())),
        Some(new) if same_value(attribute, &new, stored) => Ok(Some(stored.clone())),
        _ => Err(ScimError::mutability(format!(
            "{path} is immutable and already set; it cannot be changed or removed"
        ))),
    }
}

/// Equality under the attribute's `caseExact`.
fn same_value(attribute: &AttributeDef, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(a), Value::String(b)) if !attribute.case_exact => a.eq_ignore_ascii_case(b),
        _ => a == b,
    }
}

/// The `value` sub-attribute of an element, as a key under the attribute's
/// `caseExact` (lowercased when it is not case-exact).
fn element_key<'e>(
    attribute: &AttributeDef,
    element: &'e Map<String, Value>,
) -> Option<Cow<'e, str>> {
    let value_def = attribute.sub_attribute("value")?;
    let value = get_case_insensitive(element, "value")?.as_str()?;
    Some(if value_def.case_exact {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(value.to_lowercase())
    })
}

/// Whether a new complex value continues the stored one, so that its
/// read-only and immutable sub-attributes carry over: the same `value`, or
/// always when the attribute has no `value` sub-attribute.
fn same_element(
    attribute: &AttributeDef,
    new: &Map<String, Value>,
    stored: &Map<String, Value>,
) -> bool {
    if attribute.sub_attribute("value").is_none() {
        return true;
    }
    let new_key = element_key(attribute, new);
    new_key.is_some() && new_key == element_key(attribute, stored)
}

/// The stored elements of a multi-valued complex attribute, indexed by
/// their `value`, so that read-only and immutable sub-attributes of an
/// element carry over to the element with the same `value`.
struct StoredElements<'s> {
    by_value: HashMap<Cow<'s, str>, &'s Map<String, Value>>,
}

impl<'s> StoredElements<'s> {
    fn new(attribute: &AttributeDef, stored: Option<&'s Value>, operation: Operation) -> Self {
        let mut by_value = HashMap::new();
        let carries_over = attribute
            .sub_attributes
            .iter()
            .any(|s| matches!(s.mutability, Mutability::ReadOnly | Mutability::Immutable));
        if operation != Operation::Create && carries_over {
            for element in stored.and_then(Value::as_array).into_iter().flatten() {
                if let Some(object) = element.as_object()
                    && let Some(key) = element_key(attribute, object)
                {
                    by_value.entry(key).or_insert(object);
                }
            }
        }
        StoredElements { by_value }
    }

    fn matching(
        &self,
        attribute: &AttributeDef,
        element: &Map<String, Value>,
    ) -> Option<&'s Map<String, Value>> {
        if self.by_value.is_empty() {
            return None;
        }
        let key = element_key(attribute, element)?;
        self.by_value.get(&key).copied()
    }
}
