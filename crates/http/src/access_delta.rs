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
use rollcall_store::{StoreError, Tx};
use serde_json::{Value, json};

/// The changes as recorded.
pub(crate) fn to_json(changes: &[AccessChange]) -> Value {
    Value::Array(
        changes
            .iter()
            .map(|change| {
                json!({
                    "user": change.user,
                    "resource": change.resource.to_string(),
                    "before": change.before,
                    "after": change.after,
                })
            })
            .collect(),
    )
}

/// Run `write` between reading the roles `scope` can change and reading them again: its
/// value and the delta as recorded (`[]` when no role changed).
pub(crate) fn around<T, E>(
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

#[cfg(test)]
mod tests {
    use org_model::{ResourceRef, Role};

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
