//! Applying a PATCH request: [`apply_patch`] for any resource and
//! [`plan_group_patch`] for a Group whose members stay in the database.

use serde_json::{Map, Value};

use super::changes::{AttributeChange, attribute_changes};
use super::edit::{Edit, is_unassigned, take};
use super::filter_shape;
use super::members::{MemberChange, apply_member_changes, lower_member_operation};
use super::path::{PatchPath, PathTarget};
use super::request::{PatchOp, PatchOperation, PatchRequest};
use crate::dialect::{Deviation, DialectContext};
use crate::error::ScimError;
use crate::schema::{AttrLocation, AttrRef, Mutability, ResourceType, Schema, SchemaRegistry, urn};
use crate::validate::{Operation, validate_resource};

/// The result of applying a PATCH.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOutcome {
    /// The resource after the PATCH, normalized by validation.
    pub resource: Value,
    /// Whether `resource` differs from the input. When `false` the PATCH
    /// changed nothing: no version bump and no audit record of a change.
    pub changed: bool,
    /// What changed, per top-level (or extension) attribute.
    pub changes: Vec<AttributeChange>,
}

/// A Group PATCH split in two: the group's own attributes, applied, and the
/// member changes, for the store to apply row by row.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPatchPlan {
    /// Every operation that is not about `members`, applied to the group.
    /// Its `changed` says nothing about members.
    pub outcome: PatchOutcome,
    /// The member changes, in request order.
    pub members: Vec<MemberChange>,
}

/// Apply a PATCH to a resource, all operations or none (RFC 7644 §3.5.2).
/// The input is never modified; the result is validated as a PATCH against
/// the input (required, mutability, types, canonical names). On a Group,
/// member operations go through the same [`MemberChange`]s as
/// [`plan_group_patch`] produces, applied to the members in `resource`.
pub fn apply_patch(
    registry: &SchemaRegistry,
    rt: &ResourceType,
    resource: &Value,
    request: &PatchRequest,
    ctx: &mut DialectContext,
) -> Result<PatchOutcome, ScimError> {
    let mut engine = Engine::new(registry, rt, resource)?;
    engine.run(request, ctx)?;
    let Engine {
        mut working,
        member_changes,
        ..
    } = engine;
    if !member_changes.is_empty() {
        let mut members = match take(&mut working, "members") {
            Some(Value::Array(members)) => members,
            _ => Vec::new(),
        };
        apply_member_changes(&mut members, &member_changes)?;
        if !members.is_empty() {
            working.insert("members".into(), Value::Array(members));
        }
    }
    outcome(registry, rt, resource, working, ctx)
}

/// Apply a PATCH to a Group without its member list: every operation on
/// `members` becomes a [`MemberChange`] (computed without the current
/// members), every other operation is applied to `group_without_members`.
/// A `members` key in the input is left as it is.
pub fn plan_group_patch(
    registry: &SchemaRegistry,
    rt: &ResourceType,
    group_without_members: &Value,
    request: &PatchRequest,
    ctx: &mut DialectContext,
) -> Result<GroupPatchPlan, ScimError> {
    let mut engine = Engine::new(registry, rt, group_without_members)?;
    engine.run(request, ctx)?;
    let Engine {
        working,
        member_changes,
        ..
    } = engine;
    let outcome = outcome(registry, rt, group_without_members, working, ctx)?;
    Ok(GroupPatchPlan {
        outcome,
        members: member_changes,
    })
}

fn outcome(
    registry: &SchemaRegistry,
    rt: &ResourceType,
    input: &Value,
    working: Map<String, Value>,
    ctx: &mut DialectContext,
) -> Result<PatchOutcome, ScimError> {
    let resource = validate_resource(
        registry,
        rt,
        &Value::Object(working),
        Some(input),
        Operation::Patch,
        ctx,
    )?;
    let changes = attribute_changes(rt, input, &resource);
    Ok(PatchOutcome {
        changed: &resource != input,
        changes,
        resource,
    })
}

/// The working copy of a resource and the member changes met so far.
struct Engine<'a> {
    registry: &'a SchemaRegistry,
    rt: &'a ResourceType,
    working: Map<String, Value>,
    member_changes: Vec<MemberChange>,
}

impl<'a> Engine<'a> {
    fn new(
        registry: &'a SchemaRegistry,
        rt: &'a ResourceType,
        resource: &Value,
    ) -> Result<Self, ScimError> {
        let working = resource
            .as_object()
            .cloned()
            .ok_or_else(|| ScimError::invalid_value("the resource to patch is not an object"))?;
        Ok(Engine {
            registry,
            rt,
            working,
            member_changes: Vec::new(),
        })
    }

    fn run(&mut self, request: &PatchRequest, ctx: &mut DialectContext) -> Result<(), ScimError> {
        for operation in &request.operations {
            let at = format!("Operations[{}]", operation.index);
            self.operation(&at, operation, ctx).map_err(|error| {
                if error.detail.starts_with(&at) {
                    error
                } else {
                    ScimError {
                        detail: format!("{at}: {}", error.detail),
                        ..error
                    }
                }
            })?;
        }
        Ok(())
    }

    fn operation(
        &mut self,
        at: &str,
        operation: &PatchOperation,
        ctx: &mut DialectContext,
    ) -> Result<(), ScimError> {
        let value = operation.value.as_ref();
        match &operation.path {
            Some(path) => self.path(at, operation.op, path, value, false, ctx),
            None => {
                let Some(Value::Object(object)) = value else {
                    return Err(ScimError::invalid_syntax(format!(
                        "{at}.value: without a \"path\", \"value\" must be an object of attributes"
                    )));
                };
                self.object_of_attributes(at, operation.op, None, object, ctx)
            }
        }
    }

    /// A path-less `add`/`replace` (`extension` is `None`), or one whose
    /// target is a whole extension: each key is an attribute to add or
    /// replace. Keys that are paths (`name.givenName`, URN-qualified names)
    /// are the [`Deviation::PathKeysInValue`] dialect form; an extension URN
    /// key with an object value is RFC 7644 and recurses once.
    fn object_of_attributes(
        &mut self,
        at: &str,
        op: PatchOp,
        extension: Option<&Schema>,
        object: &Map<String, Value>,
        ctx: &mut DialectContext,
    ) -> Result<(), ScimError> {
        for (key, value) in object {
            // `schemas` is no attribute: ignored at the top level and inside an
            // extension's object (scim2-models sends it there).
            if key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            let extension_key = self
                .rt
                .schema_extensions
                .iter()
                .find(|e| e.schema.eq_ignore_ascii_case(key))
                .and_then(|e| self.registry.schema(&e.schema));
            if let (None, Some(schema)) = (extension, extension_key) {
                match value {
                    Value::Object(inner) => {
                        self.object_of_attributes(at, op, Some(schema), inner, ctx)?
                    }
                    Value::Null if op == PatchOp::Replace => {
                        take(&mut self.working, &schema.id);
                    }
                    _ => {
                        return Err(ScimError::invalid_value(format!(
                            "{at}.value: {key:?} must hold an object of extension attributes"
                        )));
                    }
                }
                continue;
            }
            let text = match extension {
                Some(schema) => format!("{}:{key}", schema.id),
                None => key.clone(),
            };
            let path = PatchPath::parse(&text).map_err(|error| {
                ScimError::invalid_value(format!("{at}.value: key {key:?}: {}", error.detail))
            })?;
            let plain = path.value_filter.is_none()
                && path.attribute.sub_attr.is_none()
                && (extension.is_some() || path.attribute.urn.is_none());
            if !plain {
                ctx.tolerate(
                    Deviation::PathKeysInValue,
                    &format!("{at}.value: key {key:?} is a path"),
                )?;
            }
            self.path(at, op, &path, Some(value), true, ctx)?;
        }
        Ok(())
    }

    /// One operation on one path. `in_value` says the path came from a key
    /// of a path-less value, where readOnly attributes are ignored (RFC 7643
    /// §2.2) instead of refused.
    fn path(
        &mut self,
        at: &str,
        op: PatchOp,
        path: &PatchPath,
        value: Option<&Value>,
        in_value: bool,
        ctx: &mut DialectContext,
    ) -> Result<(), ScimError> {
        let (attribute, filter) = match path.resolve(self.registry, self.rt)? {
            PathTarget::Extension(schema) => {
                return match (op, value) {
                    (PatchOp::Remove, _) => {
                        take(&mut self.working, &schema.id);
                        Ok(())
                    }
                    (_, Some(Value::Object(object))) => {
                        self.object_of_attributes(at, op, Some(schema), object, ctx)
                    }
                    _ => Err(ScimError::invalid_value(format!(
                        "{at}.value: the extension {:?} takes an object of its attributes",
                        schema.id
                    ))),
                };
            }
            PathTarget::Attribute { attribute, filter } => (attribute, filter),
        };
        let read_only = attribute.attribute.mutability == Mutability::ReadOnly
            || attribute.target().mutability == Mutability::ReadOnly;
        if read_only {
            if in_value {
                return Ok(());
            }
            return Err(ScimError::mutability(format!(
                "{at}: {} is readOnly",
                attribute.canonical_path()
            )));
        }
        if op == PatchOp::Remove {
            check_removable(at, &attribute, filter.is_some())?;
        }
        if self.is_group_members(&attribute) {
            if attribute.sub_attribute.is_some() {
                return Err(ScimError::mutability(format!(
                    "{at}: the sub-attributes of members are immutable; add or remove members instead"
                )));
            }
            let filter = path.value_filter.as_ref().zip(filter);
            let changes = lower_member_operation(at, op, filter, value, ctx)?;
            self.member_changes.extend(changes);
            return Ok(());
        }
        let element_from_filter = match (&path.value_filter, op) {
            (Some(filter), PatchOp::Add | PatchOp::Replace) => filter_shape::equalities(filter),
            _ => None,
        };
        let edit = Edit {
            at,
            op,
            attribute: attribute.attribute,
            sub_attribute: attribute.sub_attribute,
            filter: filter.as_ref(),
            element_from_filter,
            value,
        };
        match attribute.location {
            AttrLocation::Common | AttrLocation::Core => edit.apply(&mut self.working, ctx),
            AttrLocation::Extension(urn) => {
                let mut container = match take(&mut self.working, urn) {
                    Some(Value::Object(object)) => object,
                    _ => Map::new(),
                };
                edit.apply(&mut container, ctx)?;
                let container = Value::Object(container);
                if !is_unassigned(&container) {
                    self.working.insert(urn.to_owned(), container);
                }
                Ok(())
            }
        }
    }

    /// `members` of a resource type whose core schema is the Group schema.
    fn is_group_members(&self, attribute: &AttrRef<'_>) -> bool {
        attribute.location == AttrLocation::Core
            && self.rt.schema.eq_ignore_ascii_case(urn::GROUP)
            && attribute.attribute.name == "members"
    }
}

/// RFC 7644 §3.5.2.2: removing a required or immutable attribute (or
/// sub-attribute) is 400 `mutability`. Removing elements of a multi-valued
/// attribute by filter is not removing the attribute.
fn check_removable(at: &str, attribute: &AttrRef<'_>, filtered: bool) -> Result<(), ScimError> {
    let target = attribute.target();
    let whole_attribute = attribute.sub_attribute.is_none() && !filtered;
    let required = target.required && (whole_attribute || attribute.sub_attribute.is_some());
    let immutable = target.mutability == Mutability::Immutable
        || (attribute.attribute.mutability == Mutability::Immutable && whole_attribute);
    if required || immutable {
        return Err(ScimError::mutability(format!(
            "{at}: {} is {} and cannot be removed",
            attribute.canonical_path(),
            if required { "required" } else { "immutable" }
        )));
    }
    Ok(())
}
