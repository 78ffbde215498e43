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
use serde_json::{Value, json};

use crate::actor::Actor;
use crate::credential::Credential;
use crate::error::{Error, Failure};
use crate::response::Response;
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

/// The most changes a dry run lists; `count` says how many there are in all.
const PREVIEW_CHANGES: usize = 1000;

/// What a write that can change access came to: applied, or, for `?dry_run=true`,
/// previewed (the answer to send).
#[derive(Debug)]
pub(crate) enum Written<T> {
    Applied(T),
    Previewed(Response),
}

/// Whether a (decoded) parameter name is a spelling of `dry_run`.
fn names_dry_run(name: &str) -> bool {
    name.to_ascii_lowercase().replace(['_', '-'], "") == "dryrun"
}

/// Whether the request asks for a dry run: `dry_run=true` (or `false`) in its query, once.
/// Any other value, a second `dry_run`, or another spelling of it (`DRY_RUN`, `dryrun`) is
/// a 400: a write meant as a dry run must never be applied by mistake.
pub(crate) fn dry_run(query: &str) -> Result<bool, Error> {
    let mut asked: Option<String> = None;
    for (name, value) in crate::surface::path::query_pairs(query)? {
        if !names_dry_run(&name) {
            continue;
        }
        if name != "dry_run" {
            return Err(Error::invalid_request(format!(
                "unknown parameter {name:?}: the dry run is dry_run=true"
            )));
        }
        if asked.replace(value).is_some() {
            return Err(Error::invalid_request("dry_run is given more than once"));
        }
    }
    match asked.as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(Error::invalid_request("dry_run must be true or false")),
    }
}

/// Whether a request is a dry run for the trail (whose failure is not recorded): one that
/// asks for it, or that names `dry_run` in any spelling or encoding and was refused for it.
/// `dry_run=false` is a real write, recorded as any other. A query that does not decode
/// counts as a dry run when its text mentions "dry".
pub(crate) fn dry_run_asked(query: &str) -> bool {
    match dry_run(query) {
        Ok(asked) => asked,
        Err(_) => match crate::surface::path::query_pairs(query) {
            Ok(pairs) => pairs.iter().any(|(name, _)| names_dry_run(name)),
            Err(_) => query.to_ascii_lowercase().contains("dry"),
        },
    }
}

/// [`audited`] for a write that can change access: with `?dry_run=true` it runs in a
/// savepoint that is always undone (`Tx::preview`), and answers the access delta it
/// would make, `{"dry_run": true, "changes": [{"user", "resource", "before", "after"}],
/// "count"}` (at most 1,000 changes listed): nothing written, emitted or recorded.
pub(crate) async fn previewable<T, F>(
    call: &mut Call<'_>,
    credential: &Credential,
    operation: &'static str,
    status: u16,
    mut f: F,
) -> Result<Written<T>, Error>
where
    T: Send + 'static,
    F: FnMut(&mut Tx<'_>, &Actor, chrono::DateTime<chrono::Utc>) -> Result<(T, Recorded), Failure>
        + Send
        + 'static,
{
    if !dry_run(&call.request.query)? {
        return apply(call, credential, operation, status, f)
            .await
            .map(Written::Applied);
    }
    let now = call.now();
    let access = call
        .admin(Access::Write, credential, move |tx, actor| {
            tx.preview(|tx| {
                let (_, recorded) = f(tx, actor, now)?;
                Ok(recorded.detail.get("access").cloned())
            })
        })
        .await?;
    let changes = match access {
        Some(Value::Array(changes)) => changes,
        _ => Vec::new(),
    };
    let count = changes.len();
    let listed: Vec<Value> = changes.into_iter().take(PREVIEW_CHANGES).collect();
    Ok(Written::Previewed(Response::json(
        200,
        &json!({"dry_run": true, "changes": listed, "count": count}),
    )))
}

/// The write itself, recorded.
async fn apply<T, F>(
    call: &mut Call<'_>,
    credential: &Credential,
    operation: &'static str,
    status: u16,
    mut f: F,
) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnMut(&mut Tx<'_>, &Actor, chrono::DateTime<chrono::Utc>) -> Result<(T, Recorded), Failure>
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

/// An admin write in one transaction for the actor `credential` stands for: `f` answers
/// its value and what it changed, which is recorded (operation `operation`, status
/// `status`, and `access.changed` when the detail carries a delta) in the same transaction.
/// A write that changes no one's access offers no dry run: `?dry_run=true` is a 400.
pub(crate) async fn audited<T, F>(
    call: &mut Call<'_>,
    credential: &Credential,
    operation: &'static str,
    status: u16,
    f: F,
) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnMut(&mut Tx<'_>, &Actor, chrono::DateTime<chrono::Utc>) -> Result<(T, Recorded), Failure>
        + Send
        + 'static,
{
    if dry_run(&call.request.query)? {
        return Err(Error::invalid_request(
            "dry_run is offered on writes that can change access; this one cannot",
        ));
    }
    apply(call, credential, operation, status, f).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dry_runs_are_asked_once_and_plainly() {
        let cases: [(&str, Result<bool, ()>, bool); 11] = [
            ("", Ok(false), false),
            ("dry_run=false", Ok(false), false),
            ("dry_run=true", Ok(true), true),
            ("%64ry_run=true", Ok(true), true),
            ("dry_run=TRUE", Err(()), true),
            ("dry_run=true&dry_run=false", Err(()), true),
            ("dry_run=false&dry_run=true", Err(()), true),
            ("DRY_RUN=true", Err(()), true),
            ("dryrun=true", Err(()), true),
            ("dry-run=true", Err(()), true),
            ("other=%FF", Err(()), false),
        ];
        for (query, asked, recorded_as_dry) in cases {
            assert_eq!(dry_run(query).map_err(|_| ()), asked, "{query}");
            assert_eq!(dry_run_asked(query), recorded_as_dry, "{query}");
        }
    }
}
