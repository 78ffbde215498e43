//! The one tail of every SCIM write, in the write's transaction: the effective-role delta
//! around the change, then the audit record (with the delta, and `access.changed` when a
//! role changed), then the follow-through (lifecycle, events). A write that changes nothing
//! records nothing. The tail answers the delta it recorded, for the write's [`Applied`].
//!
//! [`Applied`]: super::Applied

use rollcall_store::{AccessScope, MemberDelta, ResourceKind, StoreError, Tx};
use serde_json::{Value, json};

use super::Context;
use crate::access_delta;
use crate::error::Failure;
use crate::lifecycle::Transition;
use crate::trail::{self, Author, Entry};

/// What a write records: `<noun>.<verb>` on `<noun>:<id>`, its status and detail (the
/// `"access"` delta is added here).
#[derive(Debug)]
pub(crate) struct Recorded {
    /// `create`, `replace`, `patch`, `delete`.
    pub(crate) verb: &'static str,
    /// The resource's id.
    pub(crate) id: String,
    /// The status answered.
    pub(crate) status: u16,
    /// `{"before", "after"}`, members, left groups.
    pub(crate) detail: Value,
    /// The user's lifecycle transition, recorded by its own type too.
    pub(crate) transition: Option<Transition>,
}

/// The effective-role changes a write recorded: `{"user", "resource", "before", "after"}`
/// each, none when no role changed.
pub(crate) type AccessChanges = Vec<Value>;

/// Apply a write of `kind`, taking the effective-role delta of `scope` around it (no delta
/// without a scope), then [`finish`] it: `record` says what to record (nothing: no record,
/// no follow-through) and `then` follows the record through. The write's value and the
/// access it changed.
pub(crate) fn write<T>(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    kind: ResourceKind,
    scope: Option<AccessScope>,
    apply: impl FnOnce(&mut Tx<'_>) -> Result<T, Failure>,
    record: impl FnOnce(&T) -> Option<Recorded>,
    then: impl FnOnce(&mut Tx<'_>, &T) -> Result<(), StoreError>,
) -> Result<(T, AccessChanges), Failure> {
    let (value, access) = access_delta::around_if(tx, context.org(), scope, context.now, apply)?;
    let changes = finish(tx, context, kind, record(&value), access, |tx| {
        then(tx, &value)
    })?;
    Ok((value, changes))
}

/// [`write`] for a new resource whose access scope is known only once it is written (a
/// user created: the scope needs their id): `scope_of` names it from the write's value, and
/// every role in it is new.
pub(crate) fn write_new<T>(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    kind: ResourceKind,
    apply: impl FnOnce(&mut Tx<'_>) -> Result<T, Failure>,
    scope_of: impl FnOnce(&T) -> AccessScope,
    record: impl FnOnce(&T) -> Option<Recorded>,
    then: impl FnOnce(&mut Tx<'_>, &T) -> Result<(), StoreError>,
) -> Result<(T, AccessChanges), Failure> {
    let value = apply(tx)?;
    let access = access_delta::of_new_scope(tx, context.org(), scope_of(&value), context.now)?;
    let changes = finish(tx, context, kind, record(&value), access, |tx| {
        then(tx, &value)
    })?;
    Ok((value, changes))
}

/// [`write`] for a PATCH of a group's members: the write answers what it did to them
/// (`MemberDelta`), which the delta needs not read again and `record` is told (a PATCH
/// whose member operations changed no row records nothing of them).
pub(crate) fn write_members<T>(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    scope: Option<AccessScope>,
    apply: impl FnOnce(&mut Tx<'_>) -> Result<(T, MemberDelta), Failure>,
    record: impl FnOnce(&T, &MemberDelta) -> Option<Recorded>,
    then: impl FnOnce(&mut Tx<'_>, &T, &MemberDelta) -> Result<(), StoreError>,
) -> Result<(T, AccessChanges), Failure> {
    let ((value, members), access) =
        access_delta::around_group_patch(tx, context.org(), scope, context.now, apply)?;
    let changes = finish(
        tx,
        context,
        ResourceKind::Group,
        record(&value, &members),
        access,
        |tx| then(tx, &value, &members),
    )?;
    Ok((value, changes))
}

/// The record (with `access`), then `then`; the access changes recorded.
fn finish(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    kind: ResourceKind,
    recorded: Option<Recorded>,
    access: Option<Value>,
    then: impl FnOnce(&mut Tx<'_>) -> Result<(), StoreError>,
) -> Result<AccessChanges, StoreError> {
    let Some(mut recorded) = recorded else {
        return Ok(AccessChanges::new());
    };
    if let Some(access) = access {
        recorded.detail["access"] = access;
    }
    let noun = trail::noun(kind);
    let operation = format!("{noun}.{}", recorded.verb);
    let target = format!("{noun}:{}", recorded.id);
    let entry = Entry {
        operation: &operation,
        target: &target,
        status: recorded.status,
        detail: &recorded.detail,
    };
    trail::commit(tx, &Author::actor(context.actor), entry, context.now)?;
    if let Some(transition) = recorded.transition {
        record_transition(tx, context, transition, &recorded, &operation, &target)?;
    }
    then(tx)?;
    Ok(match recorded.detail.get_mut("access").map(Value::take) {
        Some(Value::Array(changes)) => changes,
        _ => AccessChanges::new(),
    })
}

/// The record of a user's lifecycle transition, beside the write's own: the write it came
/// with (`via`) and the access the user lost or regained, per resource (the write's delta
/// for that user). Its delta is the write's, already told as `access.changed`, so it is
/// appended alone.
fn record_transition(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    transition: Transition,
    recorded: &Recorded,
    operation: &str,
    target: &str,
) -> Result<(), StoreError> {
    let access: Vec<Value> = match recorded.detail.get("access") {
        Some(Value::Array(changes)) => changes
            .iter()
            .filter(|change| change.get("user").and_then(Value::as_str) == Some(&recorded.id))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    let detail = json!({"via": operation, "access": access});
    let entry = Entry {
        operation: transition.operation(),
        target,
        status: recorded.status,
        detail: &detail,
    };
    trail::append(tx, &Author::actor(context.actor), entry, context.now)
}
