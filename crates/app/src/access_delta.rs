//! The effective-role delta of an access change, as audit records carry it (PRODUCT.md §6):
//! `"access": [{"user", "resource", "before", "after"}]`, only the (user, resource) pairs
//! whose role changed. The work is `rollcall_store::AccessDelta`'s: [`around`] reads the
//! roles a scope can change, runs the write, reads them again, in the write's transaction.
//!
//! For callers outside this module (user lifecycle, for one):
//! `let (value, access) = access_delta::around(tx, org, AccessScope::Users(vec![id]), now, |tx| …)?;`
//! then `detail["access"] = access`.

use chrono::{DateTime, Utc};
pub(crate) use rollcall_store::{AccessChange, AccessDelta, AccessScope};
use rollcall_store::{MemberDelta, ResourceKind, StoreError, Tx};
use scim_core::patch::MemberChange;
use serde_json::Value;

/// The changes as recorded.
pub(crate) fn to_json(changes: &[AccessChange]) -> Value {
    Value::Array(changes.iter().map(AccessChange::to_json).collect())
}

/// Run `write` between reading the roles `scope` can change and reading them again, in
/// the write's transaction: its value and the effective-role delta as audit records carry
/// it (`[]` when no role changed). Public as `rollcall_app::with_access_delta`, for changes
/// recorded outside a request (the command line).
pub fn around<T, E>(
    tx: &mut Tx<'_>,
    org_id: &str,
    scope: AccessScope,
    now: DateTime<Utc>,
    write: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
) -> Result<(T, Value), E>
where
    E: From<StoreError>,
{
    let delta = AccessDelta::before(tx, org_id, scope, now)?;
    let value = write(tx)?;
    let changes = delta.after(tx, now)?;
    Ok((value, to_json(&changes)))
}

/// Run `create`, which makes a new resource, and read the roles on it (`scope_of` names
/// it from what `create` answered): its value and the roles it brings, each a change from
/// no role, as audit records carry them. Public as `rollcall_app::with_new_access`, for
/// resources created outside a request (the command line).
pub fn of_new<T, E>(
    tx: &mut Tx<'_>,
    org_id: &str,
    now: DateTime<Utc>,
    create: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    scope_of: impl FnOnce(&T) -> AccessScope,
) -> Result<(T, Value), E>
where
    E: From<StoreError>,
{
    let value = create(tx)?;
    let changes = AccessDelta::of_new(tx, org_id, scope_of(&value), now)?;
    Ok((value, to_json(&changes)))
}

/// [`around`] when there is a scope; otherwise just the write (no delta, nor when a user's
/// attributes change no attribute rule's match).
pub(crate) fn around_if<T, E>(
    tx: &mut Tx<'_>,
    org_id: &str,
    scope: Option<AccessScope>,
    now: DateTime<Utc>,
    write: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
) -> Result<(T, Option<Value>), E>
where
    E: From<StoreError>,
{
    let Some(scope) = scope else {
        return write(tx).map(|value| (value, None));
    };
    // A write of a user's attributes that changes no attribute rule's match records no
    // delta at all, as before attribute rules: nothing was read.
    let quiet = matches!(scope, AccessScope::UserAttributes { .. });
    let delta = AccessDelta::before(tx, org_id, scope, now)?;
    if quiet && delta.is_trivial() {
        return write(tx).map(|value| (value, None));
    }
    let value = write(tx)?;
    let changes = delta.after(tx, now)?;
    Ok((value, Some(to_json(&changes))))
}

/// [`around_if`] for a PATCH of a group's members: the write answers what it did to them
/// (`MemberDelta`), which the delta then needs not read again.
pub(crate) fn around_group_patch<T, E>(
    tx: &mut Tx<'_>,
    org_id: &str,
    scope: Option<AccessScope>,
    now: DateTime<Utc>,
    write: impl FnOnce(&mut Tx<'_>) -> Result<(T, MemberDelta), E>,
) -> Result<((T, MemberDelta), Option<Value>), E>
where
    E: From<StoreError>,
{
    let Some(scope) = scope else {
        return write(tx).map(|value| (value, None));
    };
    let delta = AccessDelta::before(tx, org_id, scope, now)?;
    let (value, members) = write(tx)?;
    let changes = delta.after_group_patch(tx, now, &members)?;
    Ok(((value, members), Some(to_json(&changes))))
}

/// The scope of a group's member changes: the members they name; every member when one of
/// them names none (remove all, by filter) or the group is renamed (rules match names),
/// with the members the changes bring in read before them too. `None` when neither members
/// nor the name change.
pub(crate) fn group_scope(
    group: &str,
    changes: &[MemberChange],
    renamed: bool,
) -> Option<AccessScope> {
    if !renamed && changes.is_empty() {
        return None;
    }
    let mut named = Vec::new();
    let mut joining = Vec::new();
    let mut whole = renamed;
    for change in changes {
        match change {
            MemberChange::Add(refs) => {
                joining.extend(refs.iter().map(|m| m.value.clone()));
            }
            MemberChange::Remove(ids) => named.extend(ids.iter().cloned()),
            MemberChange::ReplaceWhere { members, .. } => {
                whole = true;
                joining.extend(members.iter().map(|m| m.value.clone()));
            }
            MemberChange::RemoveAll | MemberChange::RemoveWhere(_) => whole = true,
        }
    }
    if whole {
        return Some(AccessScope::GroupReplaced {
            group: group.to_owned(),
            joining,
        });
    }
    named.extend(joining);
    Some(AccessScope::GroupMembers {
        group: group.to_owned(),
        members: Some(named),
    })
}

/// The scope of a new resource, read before it is written: a group created with members,
/// whose name a rule may match. `None` for users (their scope, [`new_user_scope`], needs
/// their id) and memberless groups.
pub(crate) fn create_scope(kind: ResourceKind, resource: &Value) -> Option<AccessScope> {
    if kind != ResourceKind::Group {
        return None;
    }
    let members = member_ids(resource);
    let display_name = resource.get("displayName").and_then(Value::as_str)?;
    (!members.is_empty()).then(|| AccessScope::NewGroup {
        display_name: display_name.to_owned(),
        members,
    })
}

/// The `value`s of a group resource's `members`.
fn member_ids(group: &Value) -> Vec<String> {
    group
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|member| member.get("value").and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}

/// The scope of a user just created, read after it is written: the attribute rules they
/// match (a new user belongs to no group yet).
pub(crate) fn new_user_scope(id: &str, user: &Value) -> AccessScope {
    AccessScope::UserAttributes {
        user: id.to_owned(),
        before: Value::Null,
        after: user.clone(),
    }
}

/// The roles `scope` names, read after the write that made them: each a change from no
/// role, as audit records carry them.
/// `None` when the scope reaches nothing (a user created where no attribute rule is).
pub(crate) fn of_new_scope(
    tx: &mut Tx<'_>,
    org_id: &str,
    scope: AccessScope,
    now: DateTime<Utc>,
) -> Result<Option<Value>, StoreError> {
    Ok(AccessDelta::of_new_if_any(tx, org_id, scope, now)?.map(|changes| to_json(&changes)))
}

/// Whether a user resource is active (a user without `active` is).
fn active(user: &Value) -> bool {
    user.get("active").and_then(Value::as_bool).unwrap_or(true)
}

/// The scope of a write of `kind` from `before` to `after` (`None` after: deleted): a
/// user suspended, reactivated or deleted, or their attributes changed (attribute rules
/// match them); a group's members replaced, its name changed or the group deleted. `None`
/// when it cannot change anyone's role.
pub(crate) fn write_scope(
    kind: ResourceKind,
    id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Option<AccessScope> {
    match kind {
        ResourceKind::User => match (before, after) {
            (Some(before), Some(after)) if active(before) == active(after) => (before != after)
                .then(|| AccessScope::UserAttributes {
                    user: id.to_owned(),
                    before: before.clone(),
                    after: after.clone(),
                }),
            _ => Some(AccessScope::Users(vec![id.to_owned()])),
        },
        ResourceKind::Group => Some(match after {
            // Replaced: the members of the new version are known before it is written.
            Some(after) => AccessScope::GroupReplaced {
                group: id.to_owned(),
                joining: member_ids(after),
            },
            None => AccessScope::GroupMembers {
                group: id.to_owned(),
                members: None,
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use org_model::{ResourceRef, Role};
    use serde_json::json;

    use super::*;

    #[test]
    fn changes_are_recorded_with_their_resource_as_text() {
        let changes = [AccessChange {
            user: "u1".into(),
            resource: ResourceRef::Workspace("w1".into()),
            before: Some(Role::Editor),
            after: None,
        }];
        assert_eq!(
            to_json(&changes),
            json!([{"user": "u1", "resource": "workspace:w1", "before": "editor", "after": null}])
        );
    }
}
