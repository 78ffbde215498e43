//! The enterprise `manager` (RFC 7643 §4.3) names a user of the same organization: a
//! `manager.value` that names no user of it is a 400 `invalidValue`, worded as for any id
//! the organization does not have, so the answer does not tell a foreign id from a missing
//! one. Checked when the value changes, so a user whose manager was deleted since can
//! still be written; `""` (Entra) clears it and is never checked.

use rollcall_store::Tx;
use scim_core::ScimError;
use scim_core::schema::urn;
use serde_json::Value;

use super::Context;
use crate::error::Failure;

/// The `manager.value` of a normalized user resource.
fn manager_of(user: &Value) -> Option<&str> {
    user.get(urn::ENTERPRISE_USER)?
        .get("manager")?
        .get("value")?
        .as_str()
}

/// Refuse `after`'s manager unless it is a user of the organization (or unchanged from
/// `before`).
pub(crate) fn check(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    before: Option<&Value>,
    after: &Value,
) -> Result<(), Failure> {
    let Some(manager) = manager_of(after) else {
        return Ok(());
    };
    if before.and_then(manager_of) == Some(manager) {
        return Ok(());
    }
    if tx
        .lifecycle()
        .user_active(context.org(), manager)?
        .is_none()
    {
        return Err(ScimError::invalid_value(format!(
            "manager.value {manager:?} is no user of this organization"
        ))
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_manager_is_read_from_the_enterprise_extension() {
        let with = json!({urn::ENTERPRISE_USER: {"manager": {"value": "m1"}}});
        assert_eq!(manager_of(&with), Some("m1"));
        assert_eq!(manager_of(&json!({"userName": "a"})), None);
        assert_eq!(
            manager_of(&json!({urn::ENTERPRISE_USER: {"department": "x"}})),
            None
        );
    }
}
