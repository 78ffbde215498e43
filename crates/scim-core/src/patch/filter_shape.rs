//! What the PATCH engine reads from a value filter's shape: the ids of a
//! `value eq "a" or value eq "b"` filter (the fast path for removing
//! members), and the equalities of `type eq "work"` (the element that
//! [`crate::Deviation::AddCreatesFilteredTarget`] creates).

use serde_json::{Map, Value};

use super::pending::Filter;

/// The ids of a filter that is a disjunction of `value eq "<string>"`.
pub(crate) fn value_eq_ids(filter: &Filter) -> Option<Vec<String>> {
    let _ = filter;
    None
}

/// The sub-attribute values a filter that is a conjunction of
/// `<subAttr> eq <literal>` pins down, as an element to create.
pub(crate) fn equalities(filter: &Filter) -> Option<Map<String, Value>> {
    let _ = filter;
    None
}
