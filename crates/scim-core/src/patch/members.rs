//! Group membership as a delta.
//!
//! Every PATCH operation on a Group's `members` is lowered to a
//! [`MemberChange`] that does not need the current member list, so a store
//! can apply a PATCH to a million-member group in time proportional to the
//! change (PRODUCT.md §7). [`apply_member_changes`] applies the same changes
//! to an in-memory list; [`super::apply_patch`] uses it on a full group, so
//! both routes give the same members.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::request::{PatchOp, member};
use crate::dialect::{Deviation, DialectContext};
use crate::error::ScimError;
use crate::filter::{Filter, ResolvedFilter};

/// One member as a PATCH adds it: the member's id and, when sent, its type
/// and URI. `display` is readOnly (RFC 7643 §4.2) and is not kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MemberRef {
    /// The member's `id` (the `value` sub-attribute).
    pub value: String,
    /// `User` or `Group` (canonical casing), when sent. Okta sends none.
    pub type_: Option<String>,
    /// The `$ref` URI, when sent.
    pub ref_: Option<String>,
}

impl MemberRef {
    /// The member as a `members` element: `{"value", "$ref"?, "type"?}`.
    pub fn to_value(&self) -> Value {
        let mut element = Map::new();
        element.insert("value".into(), Value::String(self.value.clone()));
        if let Some(reference) = &self.ref_ {
            element.insert("$ref".into(), Value::String(reference.clone()));
        }
        if let Some(type_) = &self.type_ {
            element.insert("type".into(), Value::String(type_.clone()));
        }
        Value::Object(element)
    }

    /// Parse one element of a `members` value: an object with a non-empty
    /// string `value`, an optional `type` (`User` or `Group`, any casing), an
    /// optional `$ref`, and an ignored `display`. A `null` is an unassigned
    /// attribute (RFC 7643 §2.5), so `{"$ref": null, "value": "<id>"}`, as
    /// Entra ID sends it, is a member with no `$ref`. Anything else is 400
    /// `invalidValue`: an unknown key may mean something this server would
    /// not do, and nothing is applied that was not understood.
    pub fn parse(element: &Value) -> Result<MemberRef, ScimError> {
        let object = element.as_object().ok_or_else(|| {
            ScimError::invalid_value("a member must be an object such as {\"value\": \"<id>\"}")
        })?;
        let mut value = None;
        let mut type_ = None;
        let mut ref_ = None;
        for (key, item) in object {
            if item.is_null() && !key.eq_ignore_ascii_case("value") {
                continue;
            }
            if key.eq_ignore_ascii_case("value") {
                value = Some(string_of(key, item)?);
            } else if key.eq_ignore_ascii_case("type") {
                let name = string_of(key, item)?;
                type_ = Some(
                    ["User", "Group"]
                        .into_iter()
                        .find(|canonical| canonical.eq_ignore_ascii_case(&name))
                        .ok_or_else(|| {
                            ScimError::invalid_value(format!(
                                "member type {name:?} is neither \"User\" nor \"Group\""
                            ))
                        })?
                        .to_owned(),
                );
            } else if key.eq_ignore_ascii_case("$ref") {
                ref_ = Some(string_of(key, item)?);
            } else if !key.eq_ignore_ascii_case("display") {
                return Err(ScimError::invalid_value(format!(
                    "a member has no attribute {key:?}"
                )));
            }
        }
        let value = value
            .filter(|value| !value.is_empty())
            .ok_or_else(|| ScimError::invalid_value("a member needs a non-empty \"value\""))?;
        Ok(MemberRef { value, type_, ref_ })
    }
}

fn string_of(key: &str, item: &Value) -> Result<String, ScimError> {
    item.as_str()
        .map(str::to_owned)
        .ok_or_else(|| ScimError::invalid_value(format!("member {key:?} must be a string")))
}

/// One change to a Group's member list, in request order.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberChange {
    /// Add these members; a member already present stays as it is (RFC 7644
    /// §3.5.2.1: adding a value already there changes nothing).
    Add(Vec<MemberRef>),
    /// Remove the members with these ids; absent ids are ignored.
    Remove(Vec<String>),
    /// Remove every member (`remove` with path `members`).
    RemoveAll,
    /// Remove the members the filter matches (`remove members[type eq "Group"]`);
    /// a store translates the filter to SQL. Matching nothing is not an error.
    RemoveWhere(ResolvedFilter),
    /// `replace members[filter]` (RFC 7644 §3.5.2.3): if no current member
    /// matches the filter the whole PATCH fails with 400 `noTarget` (a store
    /// reports it when its delete affected no row); otherwise the matching
    /// members are removed and these members added.
    ReplaceWhere {
        /// Which members are replaced.
        filter: ResolvedFilter,
        /// What replaces them.
        members: Vec<MemberRef>,
    },
}

/// Apply member changes to an in-memory `members` list, in order.
pub fn apply_member_changes(
    members: &mut Vec<Value>,
    changes: &[MemberChange],
) -> Result<(), ScimError> {
    for change in changes {
        match change {
            MemberChange::Add(refs) => add_members(members, refs),
            MemberChange::Remove(ids) => {
                let ids: HashSet<&str> = ids.iter().map(String::as_str).collect();
                members.retain(|element| !member_id(element).is_some_and(|id| ids.contains(id)));
            }
            MemberChange::RemoveAll => members.clear(),
            MemberChange::RemoveWhere(filter) => {
                members.retain(|element| !filter.matches_element(element));
            }
            MemberChange::ReplaceWhere {
                filter,
                members: refs,
            } => {
                let before = members.len();
                members.retain(|element| !filter.matches_element(element));
                if members.len() == before {
                    return Err(ScimError::no_target(
                        "replace: the members filter matched no member",
                    ));
                }
                add_members(members, refs);
            }
        }
    }
    Ok(())
}

fn add_members(members: &mut Vec<Value>, refs: &[MemberRef]) {
    let mut present: HashSet<String> = members
        .iter()
        .filter_map(member_id)
        .map(str::to_owned)
        .collect();
    for member_ref in refs {
        if present.insert(member_ref.value.clone()) {
            members.push(member_ref.to_value());
        }
    }
}

/// The `value` of a members element, its key compared case-insensitively.
fn member_id(element: &Value) -> Option<&str> {
    element
        .as_object()
        .and_then(|object| member(object, "value"))
        .and_then(Value::as_str)
}

/// Parse a `members` value: an array of member objects, or one object.
fn member_refs(value: &Value) -> Result<Vec<MemberRef>, ScimError> {
    match value {
        Value::Array(elements) => elements.iter().map(MemberRef::parse).collect(),
        Value::Null => Ok(Vec::new()),
        single => Ok(vec![MemberRef::parse(single)?]),
    }
}

/// Lower one operation on `members` (no sub-attribute) to member changes.
/// `at` names the operation for error details.
pub(crate) fn lower_member_operation(
    at: &str,
    op: PatchOp,
    filter: Option<(&Filter, ResolvedFilter)>,
    value: Option<&Value>,
    ctx: &mut DialectContext,
) -> Result<Vec<MemberChange>, ScimError> {
    let value_refs = |value: Option<&Value>| member_refs(value.unwrap_or(&Value::Null));
    let changes = match (op, filter) {
        (PatchOp::Add, None) => vec![MemberChange::Add(value_refs(value)?)],
        (PatchOp::Add, Some(_)) => {
            return Err(ScimError::invalid_path(format!(
                "{at}: members are added with the path \"members\", not with a value filter"
            )));
        }
        (PatchOp::Remove, None) => match value {
            None | Some(Value::Null) => vec![MemberChange::RemoveAll],
            Some(value) => {
                ctx.tolerate(
                    Deviation::RemoveMembersByValue,
                    &format!("{at}: \"remove\" of \"members\" with a \"value\""),
                )?;
                let ids = member_refs(value)?.into_iter().map(|r| r.value).collect();
                vec![MemberChange::Remove(ids)]
            }
        },
        (PatchOp::Remove, Some((filter, resolved))) => {
            match super::filter_shape::value_eq_ids(filter) {
                Some(ids) => vec![MemberChange::Remove(ids)],
                None => vec![MemberChange::RemoveWhere(resolved)],
            }
        }
        (PatchOp::Replace, None) => {
            let refs = value_refs(value)?;
            if refs.is_empty() {
                vec![MemberChange::RemoveAll]
            } else {
                vec![MemberChange::RemoveAll, MemberChange::Add(refs)]
            }
        }
        (PatchOp::Replace, Some((_, resolved))) => vec![MemberChange::ReplaceWhere {
            filter: resolved,
            members: value_refs(value)?,
        }],
    };
    Ok(changes)
}
