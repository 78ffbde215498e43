//! The JSON edits of one operation on one resolved attribute, following
//! RFC 7644 §3.5.2.1 (add), §3.5.2.2 (remove) and §3.5.2.3 (replace).
//!
//! The container is the object the attribute lives in: the resource itself
//! for core and common attributes, the extension object for extension
//! attributes. Keys are found case-insensitively and new keys get the
//! canonical casing; values are checked for type by validation afterwards.

use serde_json::{Map, Value};

use super::request::PatchOp;
use crate::dialect::{Deviation, DialectContext};
use crate::error::ScimError;
use crate::filter::ResolvedFilter;
use crate::schema::{AttrType, AttributeDef};

/// One operation on one attribute, with everything resolved.
pub(crate) struct Edit<'a> {
    /// `Operations[i]`, for error details.
    pub at: &'a str,
    pub op: PatchOp,
    pub attribute: &'a AttributeDef,
    pub sub_attribute: Option<&'a AttributeDef>,
    pub filter: Option<&'a ResolvedFilter>,
    /// For `add` with a filter that matches nothing: the element the filter
    /// pins down (`{"type": "work"}` for `type eq "work"`), when it does.
    pub element_from_filter: Option<Map<String, Value>>,
    pub value: Option<&'a Value>,
}

impl Edit<'_> {
    /// Apply the edit to the container.
    pub fn apply(
        self,
        container: &mut Map<String, Value>,
        ctx: &mut DialectContext,
    ) -> Result<(), ScimError> {
        if self.op == PatchOp::Add && self.value.is_none_or(Value::is_null) {
            // A null key of a path-less add: nothing to add (RFC 7643 §2.5).
            return Ok(());
        }
        let name = self.attribute.name.as_str();
        let value = self
            .value
            .map(|v| canonical_keys(self.shape_def(), v.clone()));
        let current = take(container, name);
        let next = match self.filter {
            None => self.unfiltered(current, value, ctx)?,
            Some(filter) => Some(self.filtered(filter, current, value, ctx)?),
        };
        if let Some(next) = next.filter(|v| !is_unassigned(v)) {
            container.insert(name.to_owned(), next);
        }
        Ok(())
    }

    /// The definition the value is shaped by: the sub-attribute (a simple
    /// value) or the attribute.
    fn shape_def(&self) -> Option<&AttributeDef> {
        match self.sub_attribute {
            Some(_) => None,
            None => Some(self.attribute),
        }
    }

    fn unfiltered(
        &self,
        current: Option<Value>,
        value: Option<Value>,
        ctx: &mut DialectContext,
    ) -> Result<Option<Value>, ScimError> {
        let multi = self.attribute.multi_valued;
        let value = value.unwrap_or(Value::Null);
        Ok(match (self.op, self.sub_attribute) {
            (PatchOp::Remove, None) => match (multi, &value, current) {
                (true, removed, Some(Value::Array(elements))) if !removed.is_null() => {
                    ctx.tolerate(
                        Deviation::RemoveMembersByValue,
                        &format!(
                            "{}: \"remove\" of {:?} with a \"value\"",
                            self.at, self.attribute.name
                        ),
                    )?;
                    let removed = items(value);
                    Some(Value::Array(
                        elements
                            .into_iter()
                            .filter(|e| !removed.contains(e))
                            .collect(),
                    ))
                }
                _ => None,
            },
            (PatchOp::Remove, Some(sub)) => current.map(|mut current| {
                for element in elements_mut(&mut current) {
                    remove_key(element, &sub.name);
                }
                current
            }),
            (PatchOp::Add, None) if multi => {
                let mut elements = current.map(items).unwrap_or_default();
                let mut added = Vec::new();
                for item in items(value) {
                    if !elements.contains(&item) {
                        added.push(elements.len());
                        elements.push(item);
                    }
                }
                demote_other_primaries(&mut elements, &added);
                Some(Value::Array(elements))
            }
            (PatchOp::Replace, None) if multi => Some(Value::Array(items(value))),
            (PatchOp::Add | PatchOp::Replace, None) => Some(merge_complex(current, value)),
            (PatchOp::Add | PatchOp::Replace, Some(sub)) => {
                let mut current = current.unwrap_or_else(|| {
                    if multi {
                        Value::Array(vec![Value::Object(Map::new())])
                    } else {
                        Value::Object(Map::new())
                    }
                });
                if let Value::Array(elements) = &mut current
                    && elements.is_empty()
                {
                    elements.push(Value::Object(Map::new()));
                }
                if !current.is_object() && !current.is_array() {
                    current = Value::Object(Map::new());
                }
                for element in elements_mut(&mut current) {
                    set_key(element, &sub.name, value.clone());
                }
                Some(current)
            }
        })
    }

    fn filtered(
        &self,
        filter: &ResolvedFilter,
        current: Option<Value>,
        value: Option<Value>,
        ctx: &mut DialectContext,
    ) -> Result<Value, ScimError> {
        let mut elements = current.map(items).unwrap_or_default();
        let matching: Vec<usize> = elements
            .iter()
            .enumerate()
            .filter(|(_, element)| filter.matches_element(element))
            .map(|(index, _)| index)
            .collect();
        let value = value.unwrap_or(Value::Null);
        if self.op == PatchOp::Remove {
            match self.sub_attribute {
                None => elements.retain(|element| !filter.matches_element(element)),
                Some(sub) => {
                    for index in &matching {
                        if let Some(element) = elements.get_mut(*index) {
                            remove_key(element, &sub.name);
                        }
                    }
                }
            }
            return Ok(Value::Array(elements));
        }
        if matching.is_empty() {
            return self.create_filtered_target(elements, value, ctx);
        }
        for index in &matching {
            if let Some(element) = elements.get_mut(*index) {
                match (self.op, self.sub_attribute) {
                    (_, Some(sub)) => set_key(element, &sub.name, value.clone()),
                    (PatchOp::Replace, None) => *element = value.clone(),
                    (_, None) => *element = merge_complex(Some(element.take()), value.clone()),
                }
            }
        }
        demote_other_primaries(&mut elements, &matching);
        Ok(Value::Array(elements))
    }

    /// A filter matched nothing: `replace` fails with `noTarget` in both dialects
    /// (RFC 7644 §3.5.2.3), as does `add` without a sub-attribute; `add` with a
    /// sub-attribute creates the element in the lenient dialect when the filter pins one
    /// down (Entra ID sends it for `emails[type eq "work"].value`).
    fn create_filtered_target(
        &self,
        mut elements: Vec<Value>,
        value: Value,
        ctx: &mut DialectContext,
    ) -> Result<Value, ScimError> {
        let no_target = || {
            ScimError::no_target(format!(
                "{}: the value filter on {:?} matched no value",
                self.at, self.attribute.name
            ))
        };
        let (deviation, Some(sub)) = (
            match self.op {
                PatchOp::Add => Deviation::AddCreatesFilteredTarget,
                PatchOp::Replace | PatchOp::Remove => return Err(no_target()),
            },
            self.sub_attribute,
        ) else {
            return Err(no_target());
        };
        let Some(mut element) = self.element_from_filter.clone() else {
            return Err(no_target());
        };
        ctx.tolerate(
            deviation,
            &format!(
                "{}: the value filter on {:?} matched no value",
                self.at, self.attribute.name
            ),
        )?;
        let mut created = Value::Object(std::mem::take(&mut element));
        set_key(&mut created, &sub.name, value);
        elements.push(created);
        let added = elements.len() - 1;
        demote_other_primaries(&mut elements, &[added]);
        Ok(Value::Array(elements))
    }
}

/// Remove the member named `name` (case-insensitively), returning it.
pub(crate) fn take(container: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let key = container
        .keys()
        .find(|key| key.eq_ignore_ascii_case(name))?
        .clone();
    container.shift_remove(&key)
}

fn remove_key(element: &mut Value, name: &str) {
    if let Value::Object(object) = element {
        take(object, name);
    }
}

fn set_key(element: &mut Value, name: &str, value: Value) {
    if !element.is_object() {
        *element = Value::Object(Map::new());
    }
    if let Value::Object(object) = element {
        take(object, name);
        if !is_unassigned(&value) {
            object.insert(name.to_owned(), value);
        }
    }
}

/// The elements of a multi-valued value, or the value itself.
fn elements_mut(value: &mut Value) -> Vec<&mut Value> {
    match value {
        Value::Array(elements) => elements.iter_mut().collect(),
        single => vec![single],
    }
}

/// A value as a list of elements: an array's elements, nothing for `null`,
/// otherwise the value itself.
fn items(value: Value) -> Vec<Value> {
    match value {
        Value::Array(elements) => elements,
        Value::Null => Vec::new(),
        single => vec![single],
    }
}

/// RFC 7644 §3.5.2.3: a complex value given for a complex attribute replaces
/// the sub-attributes it names and leaves the others; anything else replaces.
fn merge_complex(current: Option<Value>, value: Value) -> Value {
    match (current, value) {
        (Some(Value::Object(mut current)), Value::Object(value)) => {
            for (key, item) in value {
                take(&mut current, &key);
                if !is_unassigned(&item) {
                    current.insert(key, item);
                }
            }
            Value::Object(current)
        }
        (_, value) => value,
    }
}

/// RFC 7643 §2.4: at most one `primary`. When the elements at `kept` were
/// just set primary, every other element loses its `primary: true`.
fn demote_other_primaries(elements: &mut [Value], kept: &[usize]) {
    let is_primary = |element: &Value| {
        element
            .as_object()
            .and_then(|o| super::request::member(o, "primary"))
            .is_some_and(|p| {
                p == &Value::Bool(true)
                    || p.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
            })
    };
    if !kept
        .iter()
        .any(|index| elements.get(*index).is_some_and(is_primary))
    {
        return;
    }
    let mut is_kept = vec![false; elements.len()];
    for index in kept {
        if let Some(flag) = is_kept.get_mut(*index) {
            *flag = true;
        }
    }
    for (element, kept) in elements.iter_mut().zip(is_kept) {
        if !kept && is_primary(element) {
            set_key(element, "primary", Value::Bool(false));
        }
    }
}

/// `null`, `[]` and `{}` all mean "unassigned" (RFC 7643 §2.5).
pub(crate) fn is_unassigned(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(elements) => elements.is_empty(),
        Value::Object(object) => object.is_empty(),
        _ => false,
    }
}

/// Rename the keys of complex values to their canonical casing, so that
/// merging and duplicate detection compare like with like.
fn canonical_keys(def: Option<&AttributeDef>, value: Value) -> Value {
    let Some(def) = def.filter(|d| d.ty == AttrType::Complex) else {
        return value;
    };
    let canonical_object = |object: Map<String, Value>| {
        Value::Object(
            object
                .into_iter()
                .map(|(key, item)| match def.sub_attribute(&key) {
                    Some(sub) => (sub.name.clone(), item),
                    None => (key, item),
                })
                .collect(),
        )
    };
    match value {
        Value::Object(object) => canonical_object(object),
        Value::Array(elements) => Value::Array(
            elements
                .into_iter()
                .map(|element| match element {
                    Value::Object(object) => canonical_object(object),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}
