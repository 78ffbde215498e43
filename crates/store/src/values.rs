//! The filter index: every value of a resource's attributes that are not kept in dedicated
//! columns, as typed rows of `resource_values`, so that filters on any attribute (extensions
//! included) run as indexed SQL.
//!
//! Rows, for each top-level attribute (`attr`: its lower-cased name, prefixed by the
//! lower-cased extension URN and `:` for extension attributes):
//! - one per element (`elem` = its index; a single value is element 0) with `sub = ''`;
//! - one per value of each sub-attribute of an object element (`sub` = the lower-cased
//!   name; a multi-valued sub-attribute gives one row per item).
//!
//! Each row says whether its value is present (`scim_core::filter::is_present`, the
//! evaluator's `pr`: not null, `""`, `[]` or an object without a non-empty member) and holds
//! it typed: a string in `v_text`, its Rust lower case in `v_lower` (so case-insensitivity is
//! identical on both backends) and, when it reads as an `xsd:dateTime`, the instant in
//! `v_time` (fixed-width UTC: text order = time order); a number in `v_num` (and `v_int` when
//! it is an i64, compared exactly); a boolean in `v_bool`.

use serde_json::Value;

use crate::connection::AnyConnection;
use crate::sql::{Bind, Sql};
use crate::{Backend, StoreError, timestamp};

/// One row of `resource_values`, without its org and resource.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValueRow {
    pub(crate) attr: String,
    pub(crate) elem: i64,
    pub(crate) sub: String,
    pub(crate) present: bool,
    pub(crate) text: Option<String>,
    pub(crate) int: Option<i64>,
    pub(crate) num: Option<f64>,
    pub(crate) boolean: Option<bool>,
    pub(crate) time: Option<String>,
}

/// The `attr` key of a top-level attribute: `name`, or `urn:name` for an extension
/// attribute, lower-cased.
pub(crate) fn attr_key(extension: Option<&str>, name: &str) -> String {
    match extension {
        Some(urn) => format!("{}:{}", urn.to_lowercase(), name.to_lowercase()),
        None => name.to_lowercase(),
    }
}

/// Whether a top-level key holds an extension's attributes (`urn:…` in the normalized form).
pub(crate) fn is_extension_key(key: &str) -> bool {
    key.get(..4)
        .is_some_and(|head| head.eq_ignore_ascii_case("urn:"))
}

/// The rows of `data`, leaving out the top-level keys in `dedicated` (kept in columns).
pub(crate) fn index_rows(data: &Value, dedicated: &[&str]) -> Vec<ValueRow> {
    let mut rows = Vec::new();
    let Some(object) = data.as_object() else {
        return rows;
    };
    for (key, value) in object {
        if dedicated.iter().any(|name| name.eq_ignore_ascii_case(key)) {
            continue;
        }
        match value {
            Value::Object(members) if is_extension_key(key) => {
                for (name, member) in members {
                    push_attribute(&mut rows, attr_key(Some(key), name), member);
                }
            }
            _ => push_attribute(&mut rows, attr_key(None, key), value),
        }
    }
    rows
}

/// The value itself, or each element of an array.
fn each_value(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(elements) => elements.iter().collect(),
        other => vec![other],
    }
}

fn push_attribute(rows: &mut Vec<ValueRow>, attr: String, value: &Value) {
    for (index, element) in each_value(value).into_iter().enumerate() {
        let elem = i64::try_from(index).unwrap_or(i64::MAX);
        rows.push(typed_row(&attr, elem, "", element));
        if let Value::Object(members) = element {
            for (name, member) in members {
                let sub = name.to_lowercase();
                for item in each_value(member) {
                    rows.push(typed_row(&attr, elem, &sub, item));
                }
            }
        }
    }
}

fn typed_row(attr: &str, elem: i64, sub: &str, value: &Value) -> ValueRow {
    let mut row = ValueRow {
        attr: attr.to_owned(),
        elem,
        sub: sub.to_owned(),
        present: scim_core::filter::is_present(value),
        text: None,
        int: None,
        num: None,
        boolean: None,
        time: None,
    };
    match value {
        Value::String(text) => {
            row.text = Some(text.clone());
            row.time = timestamp::parse_date_time(text);
        }
        Value::Number(number) => {
            row.int = number.as_i64();
            row.num = number.as_f64();
        }
        Value::Bool(flag) => row.boolean = Some(*flag),
        Value::Null | Value::Array(_) | Value::Object(_) => {}
    }
    row
}

/// Rows per INSERT (12 binds each, far below either backend's limit).
const ROWS_PER_INSERT: usize = 100;

/// Replace the index rows of one resource.
pub(crate) fn write_rows(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    resource_id: &str,
    rows: &[ValueRow],
) -> Result<(), StoreError> {
    delete_rows(connection, backend, org_id, resource_id)?;
    insert_rows(connection, backend, org_id, resource_id, rows)
}

/// Insert the index rows of a new resource.
pub(crate) fn insert_rows(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    resource_id: &str,
    rows: &[ValueRow],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut sql = Sql::new(backend);
        sql.cacheable();
        let org = sql.bind(Bind::Text(org_id.to_owned()));
        let resource = sql.bind(Bind::Text(resource_id.to_owned()));
        sql.push(
            "INSERT INTO resource_values (org_id, resource_id, attr, elem, sub, present, \
             v_text, v_lower, v_int, v_num, v_bool, v_time) VALUES ",
        );
        for (index, row) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.push("(").push(&org).push(", ").push(&resource);
            let lower = row.text.as_ref().map(|text| text.to_lowercase());
            for bind in [
                Bind::Text(row.attr.clone()),
                Bind::BigInt(row.elem),
                Bind::Text(row.sub.clone()),
                Bind::Bool(row.present),
                Bind::OptionalText(row.text.clone()),
                Bind::OptionalText(lower),
                Bind::OptionalBigInt(row.int),
                Bind::OptionalDouble(row.num),
                Bind::OptionalBool(row.boolean),
                Bind::OptionalText(row.time.clone()),
            ] {
                sql.push(", ").push_bind(bind);
            }
            sql.push(")");
        }
        sql.execute(connection)?;
    }
    Ok(())
}

/// Remove the index rows of one resource.
pub(crate) fn delete_rows(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    resource_id: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(backend);
    sql.cacheable();
    sql.push("DELETE FROM resource_values WHERE resource_id = ")
        .push_bind(Bind::Text(resource_id.to_owned()))
        .push(" AND org_id = ")
        .push_bind(Bind::Text(org_id.to_owned()));
    sql.execute(connection)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rows_cover_elements_sub_attributes_and_extensions() {
        let data = json!({
            "userName": "skipped",
            "emails": [{"value": "A@x.org", "primary": true}, {"value": ""}],
            "urn:Ext:User": {"level": 5, "tags": ["a", "b"]},
        });
        let rows = index_rows(&data, &["userName"]);
        let keys: Vec<(&str, i64, &str, bool)> = rows
            .iter()
            .map(|r| (r.attr.as_str(), r.elem, r.sub.as_str(), r.present))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("emails", 0, "", true),
                ("emails", 0, "value", true),
                ("emails", 0, "primary", true),
                ("emails", 1, "", false),
                ("emails", 1, "value", false),
                ("urn:ext:user:level", 0, "", true),
                ("urn:ext:user:tags", 0, "", true),
                ("urn:ext:user:tags", 1, "", true),
            ]
        );
        assert_eq!(rows[1].text.as_deref(), Some("A@x.org"));
        assert_eq!(rows[2].boolean, Some(true));
        assert_eq!((rows[5].int, rows[5].num), (Some(5), Some(5.0)));
    }
}
