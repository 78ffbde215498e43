//! The schema-resolved filter: what [`super::resolve`] produces, the
//! in-memory evaluator runs, and a database layer translates to SQL.
//!
//! Every leaf is self-describing: it says where its attribute lives in a
//! resource (top level or under an extension URN), the attribute's and
//! sub-attribute's canonical names, the effective type, whether comparisons
//! are case-exact and whether the top-level attribute is multi-valued; its
//! value is already typed. Nothing borrows the registry, so a resolved filter
//! can be stored, cached or sent to another thread.
//!
//! Two scopes:
//! - **resource-scoped** attributes ([`AttributeScope::Resource`]) are read
//!   from the resource: `container[name]`, then `[sub_attribute]` of the
//!   value or of each element (any element may match);
//! - **element-scoped** attributes ([`AttributeScope::Element`]) are read
//!   from one element of the parent attribute: the inner filter of a
//!   [`ResolvedFilter::ValuePath`], and every filter from
//!   [`super::resolve_value_filter`]. `sub_attribute` names the field of the
//!   element; `None` means the element itself (a multi-valued simple
//!   attribute, whose `value` is the element). `location` and `name` still
//!   name the parent, so an element-scoped node knows what it is about.
//!
//! In SQL terms: a resource-scoped comparison on a multi-valued attribute is
//! an `EXISTS` over its elements; a value path is one `EXISTS` over the
//! parent's elements whose `WHERE` is the translated inner filter.
//!
//! `attr eq null` and `attr ne null` do not appear: they resolve to
//! `not (attr pr)` and `attr pr` (RFC 7643 §2.5: null and absent are the
//! same state).

use chrono::{DateTime, NaiveDateTime, Utc};

use super::ast::CompareOp;
use crate::path::AttrPath;
use crate::schema::AttrType;

/// A filter whose attributes are resolved against a schema registry.
///
/// `And` and `Or` are n-ary, as in [`super::Filter`].
#[derive(Debug, Clone, PartialEq)]
pub enum ResolvedFilter {
    /// Every operand matches.
    And(Vec<ResolvedFilter>),
    /// At least one operand matches.
    Or(Vec<ResolvedFilter>),
    /// The operand does not match.
    Not(Box<ResolvedFilter>),
    /// The attribute has a non-empty value (`pr`).
    Present(ResolvedAttribute),
    /// The attribute has a value that compares as asked.
    Compare(ResolvedComparison),
    /// One element of a complex attribute satisfies the whole inner filter.
    ValuePath(ResolvedValuePath),
}

/// `attribute op value`, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedComparison {
    /// The attribute compared.
    pub attribute: ResolvedAttribute,
    /// The operator; the resolver has checked it suits the attribute's type.
    pub op: CompareOp,
    /// The value, of the kind the attribute's type calls for.
    pub value: ResolvedValue,
}

/// `parent[filter]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedValuePath {
    /// The complex parent attribute: resource-scoped, no sub-attribute.
    pub attribute: ResolvedAttribute,
    /// The inner filter; its attributes are element-scoped.
    pub filter: Box<ResolvedFilter>,
}

/// Where an attribute lives in a resource's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AttributeLocation {
    /// At the top level, in no schema: `id`, `externalId`, `meta`, `schemas`.
    Common,
    /// At the top level: an attribute of the resource type's core schema.
    Core,
    /// Inside the object under this extension URN (canonical casing).
    Extension(String),
}

/// Whether an attribute is read from the resource or from one element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttributeScope {
    /// From the resource (see the module documentation).
    Resource,
    /// From one element of the parent attribute (see the module documentation).
    Element,
}

/// An attribute resolved against the schema, with everything a comparison needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResolvedAttribute {
    /// Read from the resource or from one element of `name`.
    pub scope: AttributeScope,
    /// Where the top-level attribute lives.
    pub location: AttributeLocation,
    /// The top-level attribute's canonical name, e.g. `emails`.
    pub name: String,
    /// The sub-attribute's canonical name, e.g. `value` for `emails.value`.
    pub sub_attribute: Option<String>,
    /// The type of what is compared (the sub-attribute's, if any).
    pub ty: AttrType,
    /// Whether string comparisons are case-sensitive.
    pub case_exact: bool,
    /// Whether the top-level attribute is multi-valued.
    pub multi_valued: bool,
    /// Whether it is never returned (`password`, RFC 7643 §4.1.1): no filter tests it and
    /// nothing sorts by it, which would tell its value (PRODUCT.md §1).
    pub never_returned: bool,
    /// Whether it is the value naming the resource (a User's `userName`, a Group's
    /// `displayName`): strings are compared by their identity keys
    /// ([`crate::identity::key`]), in SQL and in memory alike.
    pub identity: bool,
}

impl ResolvedAttribute {
    /// The canonical path: extension URN if any, attribute, sub-attribute.
    pub fn canonical_path(&self) -> AttrPath {
        let mut path = AttrPath::new(self.name.clone());
        if let AttributeLocation::Extension(urn) = &self.location {
            path.urn = Some(urn.clone());
        }
        path.sub_attr = self.sub_attribute.clone();
        path
    }

    /// Whether values are compared as strings (string, reference, binary).
    pub fn is_string_like(&self) -> bool {
        is_string_like(self.ty)
    }
}

/// A comparison value, typed by the attribute it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum ResolvedValue {
    /// For string, reference and binary attributes.
    String(String),
    /// For integer attributes.
    Integer(i64),
    /// For decimal attributes.
    Decimal(f64),
    /// For boolean attributes.
    Boolean(bool),
    /// For dateTime attributes: an instant.
    DateTime(DateTime<Utc>),
}

/// String, reference and binary values are JSON strings compared as text.
pub(crate) fn is_string_like(ty: AttrType) -> bool {
    matches!(
        ty,
        AttrType::String | AttrType::Reference | AttrType::Binary
    )
}

/// An `xsd:dateTime` (RFC 7643 §2.3.5): RFC 3339 with an offset, or without
/// one, read as UTC.
pub(crate) fn parse_date_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(with_offset) = DateTime::parse_from_rfc3339(text) {
        return Some(with_offset.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}
