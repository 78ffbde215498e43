//! The change report of a PATCH: per top-level attribute (and per attribute
//! of each extension), its canonical path and its value before and after.
//! Audit records (PRODUCT.md §6) are written from it.

use serde_json::{Map, Value};

use crate::schema::ResourceType;

/// How one attribute changed.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeChange {
    /// The canonical path: `displayName`, `emails`, or
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`.
    pub path: String,
    /// The value before the PATCH; `None` when it was unassigned.
    pub before: Option<Value>,
    /// The value after the PATCH; `None` when it is now unassigned.
    pub after: Option<Value>,
}

/// The attributes that differ between two normalized resources. `schemas`
/// and `meta` are left out: they follow from the others.
pub(crate) fn attribute_changes(
    rt: &ResourceType,
    before: &Value,
    after: &Value,
) -> Vec<AttributeChange> {
    let empty = Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let mut changes = Vec::new();
    for key in union_of_keys(before, after) {
        if key.eq_ignore_ascii_case("schemas") || key.eq_ignore_ascii_case("meta") {
            continue;
        }
        let old = lookup(before, &key);
        let new = lookup(after, &key);
        let is_extension = rt
            .schema_extensions
            .iter()
            .any(|extension| extension.schema.eq_ignore_ascii_case(&key));
        if is_extension {
            let old_object = old.and_then(Value::as_object).unwrap_or(&empty);
            let new_object = new.and_then(Value::as_object).unwrap_or(&empty);
            for name in union_of_keys(old_object, new_object) {
                push_change(
                    &mut changes,
                    format!("{key}:{name}"),
                    lookup(old_object, &name),
                    lookup(new_object, &name),
                );
            }
        } else {
            push_change(&mut changes, key, old, new);
        }
    }
    changes
}

fn push_change(
    changes: &mut Vec<AttributeChange>,
    path: String,
    before: Option<&Value>,
    after: Option<&Value>,
) {
    if before != after {
        changes.push(AttributeChange {
            path,
            before: before.cloned(),
            after: after.cloned(),
        });
    }
}

/// The keys of `after` in order, then those only in `before`
/// (compared case-insensitively).
fn union_of_keys(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<String> = after.keys().cloned().collect();
    for key in before.keys() {
        if !keys.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            keys.push(key.clone());
        }
    }
    keys
}

fn lookup<'v>(object: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    super::request::member(object, key)
}
