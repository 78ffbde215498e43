//! The `password` of a user write, settled by the organization's `password_storage`
//! before anything is stored (PRODUCT.md §1): dropped under `discard`, replaced by its
//! argon2id PHC string under `argon2id`. Only a password the write sets is touched: one
//! the resource already held (a hash, kept by a replace that left it out) stays.

use org_model::PasswordStorage;
use rollcall_store::Tx;
use scim_core::REDACTED;
use serde_json::Value;

use super::Context;
use crate::error::Failure;
use crate::password;

/// What a write did with the password it set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    /// It set none.
    Untouched,
    /// It set one, dropped by policy.
    Discarded,
    /// It set one, kept as an argon2id hash.
    Hashed,
}

impl Settled {
    /// Add to an audit record's detail what became of the password: the attribute named
    /// as set (`"[redacted]"`) and how it was kept.
    pub(crate) fn record(self, detail: &mut Value) {
        let kept = match self {
            Settled::Untouched => return,
            Settled::Discarded => "discarded",
            Settled::Hashed => "argon2id",
        };
        if let Some(after) = detail.get_mut("after").and_then(Value::as_object_mut) {
            after.insert("password".into(), Value::String(REDACTED.into()));
        }
        if let Some(before) = detail.get_mut("before").and_then(Value::as_object_mut) {
            before.entry("password").or_insert(Value::Null);
        }
        detail["password"] = Value::String(kept.into());
    }
}

/// Settle the password `resource` (a validated user) sets over `before`, if any.
pub(crate) fn settle(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    before: Option<&Value>,
    resource: &mut Value,
) -> Result<Settled, Failure> {
    let Some(set) = resource
        .get("password")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Ok(Settled::Untouched);
    };
    if before
        .and_then(|before| before.get("password"))
        .and_then(Value::as_str)
        == Some(&set)
    {
        return Ok(Settled::Untouched);
    }
    let storage = tx.orgs().settings(context.org())?.password_storage;
    let Some(object) = resource.as_object_mut() else {
        return Ok(Settled::Untouched);
    };
    match storage {
        PasswordStorage::Discard => {
            object.remove("password");
            Ok(Settled::Discarded)
        }
        PasswordStorage::Argon2id => {
            let phc = match context.prehashed.get(&set) {
                Some(phc) => phc.to_owned(),
                None => password::hash(&set)?,
            };
            object.insert("password".into(), Value::String(phc));
            Ok(Settled::Hashed)
        }
    }
}
