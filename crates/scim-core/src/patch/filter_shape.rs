//! What the PATCH engine reads from a value filter's shape: the ids of a
//! `value eq "a" or value eq "b"` filter (the fast path for removing
//! members), and the equalities of `type eq "work"` (the element that
//! [`crate::Deviation::AddCreatesFilteredTarget`] creates).
//!
//! Both recurse only through `or`/`and` nodes the filter parser built, whose
//! nesting it bounds ([`crate::filter::MAX_FILTER_DEPTH`]).

use serde_json::{Map, Value};

use crate::filter::{CompareOp, Filter, Literal};
use crate::path::AttrPath;

/// The ids of a filter that is `value eq "<string>"` or a disjunction of
/// such comparisons (in any grouping); `None` for any other shape.
pub(crate) fn value_eq_ids(filter: &Filter) -> Option<Vec<String>> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: Literal::String(id),
            ..
        } if is_plain(path, "value") => Some(vec![id.clone()]),
        Filter::Or { operands, .. } => {
            let mut ids = Vec::new();
            for operand in operands {
                ids.extend(value_eq_ids(operand)?);
            }
            Some(ids)
        }
        _ => None,
    }
}

/// The element a filter that is `<subAttr> eq <literal>` or a conjunction
/// of such comparisons pins down, e.g. `{"type": "work"}` for
/// `type eq "work"`; `None` for any other shape (nothing to create).
pub(crate) fn equalities(filter: &Filter) -> Option<Map<String, Value>> {
    let mut element = Map::new();
    collect_equalities(filter, &mut element)?;
    Some(element)
}

fn collect_equalities(filter: &Filter, element: &mut Map<String, Value>) -> Option<()> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
            ..
        } if path.urn.is_none() && path.sub_attr.is_none() => {
            let value = match value {
                Literal::String(s) => Value::String(s.clone()),
                Literal::Number(n) => Value::Number(n.clone()),
                Literal::Bool(b) => Value::Bool(*b),
                Literal::Null => return None,
            };
            let previous = element.insert(path.name.clone(), value.clone());
            match previous {
                Some(previous) if previous != value => None,
                _ => Some(()),
            }
        }
        Filter::And { operands, .. } => {
            for operand in operands {
                collect_equalities(operand, element)?;
            }
            Some(())
        }
        _ => None,
    }
}

fn is_plain(path: &AttrPath, name: &str) -> bool {
    path.urn.is_none() && path.sub_attr.is_none() && path.name.eq_ignore_ascii_case(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parse;
    use serde_json::json;

    #[test]
    fn value_eq_ids_of_shapes() {
        let cases: &[(&str, Option<&[&str]>)] = &[
            (r#"value eq "a""#, Some(&["a"])),
            (r#"VALUE eq "a" or value eq "b""#, Some(&["a", "b"])),
            (
                r#"(value eq "a" or value eq "b") or value eq "c""#,
                Some(&["a", "b", "c"]),
            ),
            (r#"value eq "a" and type eq "User""#, None),
            (r#"value ne "a""#, None),
            (r#"value eq "a" or type eq "Group""#, None),
            (r#"type eq "Group""#, None),
            ("value eq 1", None),
        ];
        for (text, expected) in cases {
            let filter = parse(text).unwrap();
            let expected = expected.map(|ids| ids.iter().map(|s| (*s).to_owned()).collect());
            assert_eq!(value_eq_ids(&filter), expected, "{text}");
        }
    }

    #[test]
    fn equalities_of_shapes() {
        let cases: &[(&str, Option<Value>)] = &[
            (r#"type eq "work""#, Some(json!({"type": "work"}))),
            (
                r#"type eq "work" and primary eq true"#,
                Some(json!({"type": "work", "primary": true})),
            ),
            (r#"type eq "work" or type eq "home""#, None),
            (r#"type eq "work" and type eq "home""#, None),
            (r#"type co "work""#, None),
            (r#"type eq null"#, None),
            (r#"not (type eq "work")"#, None),
        ];
        for (text, expected) in cases {
            let filter = parse(text).unwrap();
            let got = equalities(&filter).map(Value::Object);
            assert_eq!(&got, expected, "{text}");
        }
    }
}
