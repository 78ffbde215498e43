//! The audit trail of admin writes (PRODUCT.md §6): actor `admin:<admin token id>`, the
//! request id, an operation (`workspace.create`, `grant.delete`, …), a target
//! (`workspace:<id>`), the status and the before/after of what changed — never a token
//! secret — and, for access changes, the effective-role delta (`"access"`).
//!
//! - An applied write records itself in its own transaction: handlers run [`audited`]
//!   and answer what they changed.
//! - A failed write of an authenticated admin is recorded with its error by the request
//!   pipeline (`surface/pipeline.rs`), as for SCIM; a request whose token fails leaves no
//!   record (there is no org to put it in) and is answered 401, also when it failed for
//!   another reason before the token was verified.

use rollcall_store::Tx;
use serde_json::Value;

use crate::actor::Actor;
use crate::credential::Credential;
use crate::error::{Error, Failure};
use crate::surface::call::Call;
use crate::trail::{self, Author, Entry};
use crate::transaction::Access;

/// What an applied admin write changed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Recorded {
    /// What it changed, e.g. `workspace:<id>`.
    pub(crate) target: String,
    /// `{"before": …, "after": …}` (and `"access"` for access changes).
    pub(crate) detail: Value,
}

impl Recorded {
    pub(crate) fn new(target: impl Into<String>, detail: Value) -> Recorded {
        Recorded {
            target: target.into(),
            detail,
        }
    }
}

/// An admin write in one transaction for the actor `credential` stands for: `f` answers
/// its value and what it changed, which is recorded (operation `operation`, status
/// `status`, and `access.changed` when the detail carries a delta) in the same transaction.
pub(crate) async fn audited<T, F>(
    call: &mut Call<'_>,
    credential: &Credential,
    operation: &'static str,
    status: u16,
    f: F,
) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce(&mut Tx<'_>, &Actor, chrono::DateTime<chrono::Utc>) -> Result<(T, Recorded), Failure>
        + Send
        + 'static,
{
    let now = call.now();
    call.admin(Access::Write, credential, move |tx, actor| {
        let (value, recorded) = f(tx, actor, now)?;
        let entry = Entry {
            operation,
            target: &recorded.target,
            status,
            detail: &recorded.detail,
        };
        trail::commit(tx, &Author::actor(actor), entry, now)?;
        Ok(value)
    })
    .await
}
