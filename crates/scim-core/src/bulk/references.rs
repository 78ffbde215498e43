//! `bulkId:x` references (RFC 7644 §3.7.2): any string value of an operation's `data`, or
//! the id of its `path`, that is exactly `bulkId:` followed by a `bulkId` of the request.

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
        Value::Object(members) => members.values().for_each(|member| collect(member, found)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
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
        Value::Object(members) => members
            .values_mut()
            .for_each(|member| substitute(member, ids)),
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
}
