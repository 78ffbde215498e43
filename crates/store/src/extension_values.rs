//! The values an organization's resources hold under a custom extension schema that is
//! deleted: they go with it, from each resource's data (and its `schemas`) and from the
//! filter index, so a schema registered again under that URN, with other types, finds no
//! stale value that its validation would refuse on every later write.

use diesel::QueryableByName;
use diesel::sql_types::Text;
use serde_json::Value;

use crate::connection::AnyConnection;
use crate::sql::{Bind, Sql};
use crate::{Backend, ResourceKind, StoreError};

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    data: String,
}

/// Remove the values under extension `urn` from every user and group of `org_id`: the
/// resources whose data holds it (its key, or its URN in `schemas`) move to a new version.
/// How many resources changed.
pub(crate) fn remove(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    urn: &str,
) -> Result<usize, StoreError> {
    let mut changed = 0;
    for kind in [ResourceKind::User, ResourceKind::Group] {
        // A superset, by the URN's text in any case; each is checked below.
        let mut find = Sql::new(backend);
        find.push(&format!(
            "SELECT id, data FROM {} WHERE org_id = ",
            kind.table()
        ))
        .push_bind(Bind::Text(org_id.to_owned()))
        .push(" AND lower(data) LIKE ")
        .push_bind(Bind::Text(format!(
            "%{}%",
            like_literal(&urn.to_lowercase())
        )))
        .push(" ESCAPE '\\'");
        for held in find.load::<Held>(connection)? {
            let Ok(mut data) = serde_json::from_str::<Value>(&held.data) else {
                continue;
            };
            if !without(&mut data, urn) {
                continue;
            }
            let mut update = Sql::new(backend);
            update
                .push(&format!("UPDATE {} SET data = ", kind.table()))
                .push_bind(Bind::Text(data.to_string()))
                .push(", version = version + 1 WHERE org_id = ")
                .push_bind(Bind::Text(org_id.to_owned()))
                .push(" AND id = ")
                .push_bind(Bind::Text(held.id));
            changed += update.execute(connection)?;
        }
    }
    // The filter index keys an extension's attributes `urn:name`, lower-cased.
    let prefix = format!("{}:", urn.to_lowercase());
    let mut index = Sql::new(backend);
    index
        .push("DELETE FROM resource_values WHERE org_id = ")
        .push_bind(Bind::Text(org_id.to_owned()))
        .push(&format!(
            " AND substr(attr, 1, {}) = ",
            prefix.chars().count()
        ))
        .push_bind(Bind::Text(prefix));
    index.execute(connection)?;
    Ok(changed)
}

/// `data` without the extension `urn` (its key and its entry in `schemas`, in any case):
/// whether anything was removed.
fn without(data: &mut Value, urn: &str) -> bool {
    let Some(object) = data.as_object_mut() else {
        return false;
    };
    let before = object.len();
    object.retain(|key, _| !key.eq_ignore_ascii_case(urn));
    let mut removed = object.len() != before;
    if let Some(Value::Array(schemas)) = object.get_mut("schemas") {
        let listed = schemas.len();
        schemas.retain(|schema| !schema.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)));
        removed |= schemas.len() != listed;
    }
    removed
}

/// `text` as a LIKE pattern matching itself, with `\` as the escape.
fn like_literal(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_extension_leaves_the_data_and_its_schemas_in_any_case() {
        let cases = [
            (
                json!({"schemas": ["u", "urn:X:Hr"], "userName": "a", "urn:x:hr": {"c": 1}}),
                json!({"schemas": ["u"], "userName": "a"}),
                true,
            ),
            (
                json!({"schemas": ["u"], "userName": "urn:x:hr"}),
                json!({"schemas": ["u"], "userName": "urn:x:hr"}),
                false,
            ),
            (
                json!({"schemas": ["u", "urn:x:hr"]}),
                json!({"schemas": ["u"]}),
                true,
            ),
        ];
        for (mut data, expected, removed) in cases {
            assert_eq!(without(&mut data, "urn:x:HR"), removed, "{data}");
            assert_eq!(data, expected);
        }
        assert_eq!(like_literal("urn:a_b%c\\"), "urn:a\\_b\\%c\\\\");
    }
}
