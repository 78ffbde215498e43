//! `bulkId:x` references (RFC 7644 §3.7.2): any string value of an operation's `data`, or
//! the id of its `path`, that is exactly `bulkId:` followed by a `bulkId` of the request;
//! and, inside the `path` of a PATCH operation in `data`, a quoted one in a value filter
//! (`members[value eq "bulkId:x"]`).

use std::collections::HashMap;

use serde_json::Value;

/// What a reference to a `bulkId` starts with.
pub const BULK_ID_PREFIX: &str = "bulkId:";

/// The `bulkId` a string refers to, if it is a reference.
pub(crate) fn bulk_id_of(text: &str) -> Option<&str> {
    text.strip_prefix(BULK_ID_PREFIX)
        .filter(|bulk_id| !bulk_id.is_empty())
}

/// Append the `bulkId`s that `value` refers to (anywhere inside it) to `found`, once each.
/// JSON nesting is bounded by the parser (serde_json's recursion limit).
pub(crate) fn collect(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            if let Some(bulk_id) = bulk_id_of(text)
                && !found.iter().any(|known| known == bulk_id)
            {
                found.push(bulk_id.to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect(item, found)),
        Value::Object(members) => {
            for (key, member) in members {
                if let (true, Value::String(path)) = (is_path(key), member) {
                    for (_, bulk_id) in quoted(path) {
                        if !found.iter().any(|known| known == bulk_id) {
                            found.push(bulk_id.to_owned());
                        }
                    }
                }
                collect(member, found);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Whether a member of an object is a PATCH operation's `path`.
fn is_path(key: &str) -> bool {
    key.eq_ignore_ascii_case("path")
}

/// The quoted references in a PATCH path (`"bulkId:x"` in a value filter): where each one's
/// text between the quotes is, and its `bulkId`.
fn quoted(path: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let opening = format!("\"{BULK_ID_PREFIX}");
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = path[from..].find(&opening) {
        let start = from + at + 1;
        let id_start = start + BULK_ID_PREFIX.len();
        let Some(length) = path[id_start..].find('"') else {
            break;
        };
        let end = id_start + length;
        if length > 0 {
            found.push((start..end, &path[id_start..end]));
        }
        from = end + 1;
    }
    found
}

/// Replace every reference inside `value` whose `bulkId` is in `ids` with its id.
pub(crate) fn substitute(value: &mut Value, ids: &HashMap<String, String>) {
    match value {
        Value::String(text) => {
            if let Some(id) = bulk_id_of(text).and_then(|bulk_id| ids.get(bulk_id)) {
                *text = id.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| substitute(item, ids)),
        Value::Object(members) => {
            for (key, member) in members.iter_mut() {
                if let (true, Value::String(path)) = (is_path(key), &mut *member) {
                    let mut replaced = path.clone();
                    // From the end, so earlier ranges stay where they are.
                    for (range, bulk_id) in quoted(path).into_iter().rev() {
                        if let Some(id) = ids.get(bulk_id) {
                            replaced.replace_range(range, id);
                        }
                    }
                    *path = replaced;
                }
                substitute(member, ids);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_are_found_anywhere_and_replaced() {
        let mut data = json!({
            "members": [{"value": "bulkId:u1"}, {"value": "bulkId:u2"}, {"value": "plain"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "manager": {"value": "bulkId:u1"}
            },
            "displayName": "bulkId:",
            "note": "see bulkId:u3 later"
        });
        let mut found = Vec::new();
        collect(&data, &mut found);
        assert_eq!(found, ["u1", "u2"]);
        let ids = HashMap::from([("u1".to_owned(), "id-1".to_owned())]);
        substitute(&mut data, &ids);
        assert_eq!(data["members"][0]["value"], "id-1");
        assert_eq!(data["members"][1]["value"], "bulkId:u2");
        assert_eq!(
            data["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"],
            "id-1"
        );
        assert_eq!(data["displayName"], "bulkId:");
    }

    #[test]
    fn quoted_references_in_a_patch_path_are_found_and_replaced() {
        let mut data = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "remove",
                 "path": "members[value eq \"bulkId:u1\" or value eq \"bulkId:g2\"]"},
                {"op": "remove", "path": "members[value eq \"bulkId:\"]"},
                {"op": "replace", "path": "displayName", "value": "said \"bulkId:u1\""},
                {"op": "remove", "PATH": "members[value eq \"bulkId:u1"},
            ]
        });
        let mut found = Vec::new();
        collect(&data, &mut found);
        assert_eq!(found, ["u1", "g2"]);
        let ids = HashMap::from([
            ("u1".to_owned(), "id-1".to_owned()),
            ("g2".to_owned(), "a-much-longer-id-2".to_owned()),
        ]);
        substitute(&mut data, &ids);
        assert_eq!(
            data["Operations"][0]["path"],
            "members[value eq \"id-1\" or value eq \"a-much-longer-id-2\"]"
        );
        assert_eq!(
            data["Operations"][1]["path"],
            "members[value eq \"bulkId:\"]"
        );
        // A value is not a path: only a whole string is a reference there.
        assert_eq!(data["Operations"][2]["value"], "said \"bulkId:u1\"");
        // An unterminated quote refers to nothing.
        assert_eq!(
            data["Operations"][3]["PATH"],
            "members[value eq \"bulkId:u1"
        );
    }
}
