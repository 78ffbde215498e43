//! The in-memory evaluator: does a resource (or one element of a
//! multi-valued attribute) match a resolved filter?
//!
//! Semantics, which the SQL translation must share (the corpus in
//! `tests/corpus/` checks both):
//! - keys are looked up case-insensitively (exact match first);
//! - an attribute's *values* are its value, or each element of an array; a
//!   sub-attribute's values are that field of the value or of each element;
//! - a comparison matches if **any** value compares as asked, `ne` included:
//!   `emails.type ne "work"` matches a user with one home and one work email.
//!   A missing attribute has no values, so every comparison on it, `ne`
//!   included, is false, and `not (...)` of it is true;
//! - strings compare case-insensitively (Unicode lower case) unless the
//!   attribute is caseExact; `gt`/`lt`... order strings by code point;
//!   numbers compare numerically, dateTimes as instants, booleans by `eq`/`ne`;
//!   a value of the wrong JSON type compares as nothing (false);
//! - `pr` is true if some value is not null, not `""`, not `[]` and (for a
//!   complex value) has at least one such member;
//! - a value path matches if **one single element** satisfies the whole
//!   inner filter.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use super::ast::CompareOp;
use super::resolved::{
    AttributeLocation, AttributeScope, ResolvedAttribute, ResolvedComparison, ResolvedFilter,
    ResolvedValue, parse_date_time,
};
use crate::identity;

/// What the filter is evaluated against.
#[derive(Clone, Copy)]
struct Context<'v> {
    /// The resource, for resource-scoped attributes.
    resource: Option<&'v Value>,
    /// The current element, for element-scoped attributes.
    element: Option<&'v Value>,
}

impl ResolvedFilter {
    /// Whether `resource` (a normalized resource object) matches this
    /// resource-scoped filter, as produced by [`super::resolve`].
    pub fn matches(&self, resource: &Value) -> bool {
        self.eval(Context {
            resource: Some(resource),
            element: None,
        })
    }

    /// Whether `element` (one value of the parent attribute) matches this
    /// element-scoped filter, as produced by [`super::resolve_value_filter`].
    pub fn matches_element(&self, element: &Value) -> bool {
        self.eval(Context {
            resource: None,
            element: Some(element),
        })
    }

    fn eval(&self, context: Context<'_>) -> bool {
        match self {
            ResolvedFilter::And(operands) => operands.iter().all(|f| f.eval(context)),
            ResolvedFilter::Or(operands) => operands.iter().any(|f| f.eval(context)),
            ResolvedFilter::Not(operand) => !operand.eval(context),
            ResolvedFilter::Present(attribute) => {
                values(attribute, context).into_iter().any(is_present)
            }
            ResolvedFilter::Compare(comparison) => values(&comparison.attribute, context)
                .into_iter()
                .any(|value| compare(value, comparison)),
            ResolvedFilter::ValuePath(value_path) => {
                let parent = top_level(&value_path.attribute, context.resource);
                each_value(parent).into_iter().any(|element| {
                    value_path.filter.eval(Context {
                        resource: context.resource,
                        element: Some(element),
                    })
                })
            }
        }
    }
}

/// `object[key]` as the evaluator looks keys up: case-insensitively, an exact match first
/// (`None` when `value` is no object).
///
/// ```
/// use scim_core::filter::member;
/// use serde_json::json;
///
/// assert_eq!(member(&json!({"userName": "ann"}), "USERNAME"), Some(&json!("ann")));
/// ```
pub fn member<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    get(value, key)
}

fn get<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    let object = value.as_object()?;
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| value)
    })
}

/// The value itself, or each element of an array.
fn each_value(value: Option<&Value>) -> Vec<&Value> {
    match value {
        None => Vec::new(),
        Some(Value::Array(elements)) => elements.iter().collect(),
        Some(value) => vec![value],
    }
}

/// The top-level attribute's value in `resource`.
fn top_level<'v>(attribute: &ResolvedAttribute, resource: Option<&'v Value>) -> Option<&'v Value> {
    let container = match &attribute.location {
        AttributeLocation::Common | AttributeLocation::Core => resource?,
        AttributeLocation::Extension(urn) => get(resource?, urn)?,
    };
    get(container, &attribute.name)
}

/// Every value the attribute has in the context.
fn values<'v>(attribute: &ResolvedAttribute, context: Context<'v>) -> Vec<&'v Value> {
    let holders = match attribute.scope {
        AttributeScope::Resource => each_value(top_level(attribute, context.resource)),
        AttributeScope::Element => match (context.element, &attribute.sub_attribute) {
            (Some(element), None) => return vec![element],
            (element, Some(_)) => element.into_iter().collect(),
            (None, None) => return Vec::new(),
        },
    };
    match &attribute.sub_attribute {
        None => holders,
        Some(sub) => holders
            .into_iter()
            .flat_map(|holder| each_value(get(holder, sub)))
            .collect(),
    }
}

/// Whether `value` counts as a value for `pr`: anything but `null`, `""`, `[]` and `{}`
/// (`false` and `0` are values).
///
/// ```
/// use scim_core::filter::is_non_empty;
/// use serde_json::json;
///
/// assert!(is_non_empty(&json!("x")) && is_non_empty(&json!(false)) && is_non_empty(&json!(0)));
/// assert!(!is_non_empty(&json!(null)) && !is_non_empty(&json!("")));
/// assert!(!is_non_empty(&json!([])) && !is_non_empty(&json!({})));
/// ```
pub fn is_non_empty(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(text) => !text.is_empty(),
        Value::Array(elements) => !elements.is_empty(),
        Value::Object(members) => !members.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Whether `attr pr` holds for one of the attribute's values: the value
/// [`is_non_empty`], and for a complex value (an object, or the elements of an
/// array) some member of it is. This is what a database layer that indexes
/// values must store as "present" to agree with [`ResolvedFilter::matches`].
///
/// ```
/// use scim_core::filter::is_present;
/// use serde_json::json;
///
/// assert!(is_present(&json!({"value": "a@example.com", "primary": null})));
/// assert!(!is_present(&json!({"value": "", "primary": null})));
/// assert!(!is_present(&json!([null, ""])));
/// ```
pub fn is_present(value: &Value) -> bool {
    match value {
        Value::Object(members) => members.values().any(is_non_empty),
        Value::Array(elements) => elements.iter().any(is_non_empty),
        other => is_non_empty(other),
    }
}

fn compare(candidate: &Value, comparison: &ResolvedComparison) -> bool {
    let op = comparison.op;
    match (&comparison.value, candidate) {
        (ResolvedValue::String(literal), Value::String(text)) => {
            if comparison.attribute.identity {
                compare_identities(text, literal, op)
            } else {
                compare_strings(text, literal, op, comparison.attribute.case_exact)
            }
        }
        (ResolvedValue::Boolean(literal), Value::Bool(flag)) => {
            ordering_matches(op, flag.cmp(literal)) && !op.is_ordering()
        }
        (ResolvedValue::Integer(literal), Value::Number(number)) => {
            let ordering = match number.as_i64() {
                Some(integer) => Some(integer.cmp(literal)),
                // A float or a u64 beyond i64: compare as f64.
                None => number
                    .as_f64()
                    .and_then(|f| f.partial_cmp(&(*literal as f64))),
            };
            ordering.is_some_and(|ordering| ordering_matches(op, ordering))
        }
        (ResolvedValue::Decimal(literal), Value::Number(number)) => number
            .as_f64()
            .and_then(|f| f.partial_cmp(literal))
            .is_some_and(|ordering| ordering_matches(op, ordering)),
        (ResolvedValue::DateTime(literal), Value::String(text)) => {
            parse_date_time(text).is_some_and(|instant| ordering_matches(op, instant.cmp(literal)))
        }
        _ => false,
    }
}

/// `eq ne gt ge lt le` from an ordering; `co sw ew` never (they need strings).
fn ordering_matches(op: CompareOp, ordering: Ordering) -> bool {
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// An identity (`userName`, a group's `displayName`) against a literal: by identity keys,
/// as the store compares them; a part (`co sw ew`) is folded but not trimmed.
fn compare_identities(text: &str, literal: &str, op: CompareOp) -> bool {
    let text = identity::key(text);
    match op {
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
            compare_strings(&text, &identity::nfkc_casefold(literal), op, true)
        }
        _ => compare_strings(&text, &identity::key(literal), op, true),
    }
}

fn compare_strings(text: &str, literal: &str, op: CompareOp, case_exact: bool) -> bool {
    let (text, literal): (Cow<'_, str>, Cow<'_, str>) = if case_exact {
        (Cow::Borrowed(text), Cow::Borrowed(literal))
    } else {
        (
            Cow::Owned(text.to_lowercase()),
            Cow::Owned(literal.to_lowercase()),
        )
    };
    match op {
        CompareOp::Co => text.contains(literal.as_ref()),
        CompareOp::Sw => text.starts_with(literal.as_ref()),
        CompareOp::Ew => text.ends_with(literal.as_ref()),
        _ => ordering_matches(op, text.as_ref().cmp(literal.as_ref())),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::{parse, resolve};
    use crate::SchemaRegistry;

    fn check(filter: &str, resource: &Value, expected: bool) {
        let registry = SchemaRegistry::standard();
        let users = registry.resource_type("User").expect("User type");
        let parsed = parse(filter).expect("valid filter");
        let resolved = resolve(&registry, users, &parsed).expect("resolvable filter");
        assert_eq!(
            resolved.matches(resource),
            expected,
            "{filter} on {resource}"
        );
    }

    #[test]
    fn keys_are_case_insensitive() {
        let odd_casing = json!({
            "USERNAME": "bjensen",
            "Name": {"GivenName": "Barbara"},
            "Emails": [{"Type": "work", "VALUE": "b@example.com"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"EmployeeNumber": "7"},
        });
        check(r#"userName eq "bjensen""#, &odd_casing, true);
        check(r#"name.givenName eq "barbara""#, &odd_casing, true);
        check(
            r#"emails[type eq "work" and value co "@example"]"#,
            &odd_casing,
            true,
        );
        check(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7""#,
            &odd_casing,
            true,
        );
    }

    #[test]
    fn presence() {
        check("title pr", &json!({"title": "x"}), true);
        check("title pr", &json!({"title": ""}), false);
        check("title pr", &json!({"title": null}), false);
        check("title pr", &json!({}), false);
        check("emails pr", &json!({"emails": []}), false);
        check("emails pr", &json!({"emails": [{}]}), false);
        check("emails pr", &json!({"emails": [{"value": ""}]}), false);
        check(
            "emails pr",
            &json!({"emails": [{"value": null}, {"type": "work"}]}),
            true,
        );
        check("name pr", &json!({"name": {}}), false);
        check("name pr", &json!({"name": {"givenName": "B"}}), true);
        check("active pr", &json!({"active": false}), true);
        check(
            "emails.value pr",
            &json!({"emails": [{"type": "work"}]}),
            false,
        );
    }

    #[test]
    fn wrong_json_types_compare_as_nothing() {
        check(r#"title eq "1""#, &json!({"title": 1}), false);
        check(r#"title ne "1""#, &json!({"title": 1}), false);
        check("active eq true", &json!({"active": "true"}), false);
        check(
            r#"meta.created gt "2000-01-01T00:00:00Z""#,
            &json!({"meta": {"created": "yesterday"}}),
            false,
        );
        check(r#"emails.value eq "a""#, &json!({"emails": "a"}), false);
        check(
            r#"emails.value eq "a""#,
            &json!({"emails": {"value": "a"}}),
            true,
        );
        check(r#"userName eq "a""#, &json!("not an object"), false);
    }

    #[test]
    fn orderings() {
        let user = json!({"userName": "Bob", "meta": {"created": "2020-01-01T00:00:00+01:00"}});
        check(r#"userName gt "alice""#, &user, true);
        check(r#"userName lt "BOBBY""#, &user, true);
        check(r#"userName ge "bob""#, &user, true);
        check(r#"userName le "BOB""#, &user, true);
        check(r#"userName gt "bob""#, &user, false);
        check(r#"meta.created eq "2019-12-31T23:00:00Z""#, &user, true);
        check(r#"meta.created lt "2019-12-31T23:00:00.001Z""#, &user, true);
        check(r#"meta.created gt "2019-12-31T23:00:00Z""#, &user, false);
        check(r#"userName co """#, &user, true);
        check(r#"userName sw "BO" and userName ew "ob""#, &user, true);
    }
}
