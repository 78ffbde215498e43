//! The audit trail of admin writes (PRODUCT.md §6): actor `admin:<admin token id>`, the
//! request id, an operation (`workspace.create`, `grant.delete`, …), a target
//! (`workspace:<id>`), the status and the before/after of what changed — never a token
//! secret — and, for access changes, the effective-role delta (`"access"`).
//!
//! - An applied write records itself in its own transaction: handlers run
//!   [`audited_transaction`] instead of `admin_transaction` and answer what they changed.
//! - A failed write of an authenticated admin is recorded after the fact, in a transaction
//!   of its own, with its error: the request-log middleware calls [`settle_failure`],
//!   which finds the [`AdminError`] in the response and authenticates the token again. A
//!   request whose token fails leaves no record (there is no org to put it in) and is
//!   answered 401, also when it failed for another reason before the token was verified.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::{HttpMessage, HttpRequest, web};
use chrono::{DateTime, Utc};
use rollcall_store::{Authenticated, StoreError, TokenKind, Tx};
use serde_json::{Value, json};

use super::{ADMIN_PREFIX, AdminError, admin_transaction};
use crate::auth::{BearerToken, TokenDemanded};
use crate::blocking::Access;
use crate::early_failure::{refuse, verify};
use crate::error::{ApiError, status_error};
use crate::state::AppState;

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

/// `admin_transaction` for a write: `f` answers its value and what it changed, which is
/// appended to the trail (operation `operation`, status `status`) in the same transaction.
pub(crate) async fn audited_transaction<T, F>(
    request: &HttpRequest,
    state: &AppState,
    token: Result<BearerToken, ApiError>,
    operation: &'static str,
    status: u16,
    f: F,
) -> Result<T, AdminError>
where
    T: Send + 'static,
    F: FnOnce(
            &mut Tx<'_>,
            &Authenticated,
            DateTime<Utc>,
        ) -> Result<Result<(T, Recorded), AdminError>, StoreError>
        + Send
        + 'static,
{
    let request_id = crate::request_id::of(request);
    let now = state.now();
    admin_transaction(state, Access::Write, token, move |tx, caller| {
        let (value, recorded) = match f(tx, caller, now)? {
            Ok(done) => done,
            Err(error) => return Ok(Err(error)),
        };
        crate::audit::append(
            tx,
            "admin",
            caller,
            request_id.as_deref(),
            operation,
            &recorded.target,
            status,
            &recorded.detail,
            now,
        )?;
        crate::events::access_changed(
            tx,
            &caller.org_id,
            operation,
            &recorded.target,
            recorded.detail.get("access"),
            now,
        )?;
        Ok(Ok(value))
    })
    .await
}

/// The operation and target of an admin write request, from its method and path; `None`
/// for reads and unknown paths. A failed creation has only the kind as its target.
pub(crate) fn write_of(method: &str, path: &str) -> Option<(&'static str, String)> {
    let rest = path.strip_prefix(ADMIN_PREFIX)?;
    let segments: Vec<&str> = rest.trim_matches('/').split('/').collect();
    let id = |kind: &str, id: &str| format!("{kind}:{id}");
    let found = match (method, segments.as_slice()) {
        ("PATCH", ["org"]) => ("org.update", "org".to_owned()),
        ("POST", ["scim-tokens"]) => ("scim_token.create", "scim_token".to_owned()),
        ("DELETE", ["scim-tokens", token]) => ("scim_token.revoke", id("scim_token", token)),
        ("POST", ["workspaces"]) => ("workspace.create", "workspace".to_owned()),
        ("PATCH", ["workspaces", ws]) => ("workspace.update", id("workspace", ws)),
        ("DELETE", ["workspaces", ws]) => ("workspace.delete", id("workspace", ws)),
        ("POST", ["workspaces", ws, "folders"]) => ("folder.create", id("workspace", ws)),
        ("PATCH", ["folders", folder]) => ("folder.update", id("folder", folder)),
        ("DELETE", ["folders", folder]) => ("folder.delete", id("folder", folder)),
        ("POST", ["grants"]) => ("grant.create", "grant".to_owned()),
        ("DELETE", ["grants", grant]) => ("grant.delete", id("grant", grant)),
        ("POST", ["rules"]) => ("rule.create", "rule".to_owned()),
        ("DELETE", ["rules", rule]) => ("rule.delete", id("rule", rule)),
        ("POST", ["access", "join"]) => ("access.join", "access".to_owned()),
        ("POST", ["schemas"]) => ("schema.create", "schema".to_owned()),
        ("DELETE", ["schemas", urn]) => ("schema.delete", id("schema", urn)),
        ("POST", ["webhooks"]) => ("webhook.create", "webhook".to_owned()),
        ("DELETE", ["webhooks", hook]) => ("webhook.delete", id("webhook", hook)),
        _ => return None,
    };
    Some(found)
}

/// A failed admin request whose handler asked for a bearer token ([`TokenDemanded`]): the
/// token is verified again, since the failure may have come before the handler verified
/// it (a malformed body, a bad query parameter).
/// - No well-formed token, or not a valid admin token: the answer becomes the 401 the
///   transaction would have given, unless it is a 5xx.
/// - Valid, and the request a write: the failure goes to the trail with its error.
pub(crate) async fn settle_failure(
    response: ServiceResponse<BoxBody>,
    method: &str,
    path: &str,
) -> ServiceResponse<BoxBody> {
    let status = response.status().as_u16();
    if status < 400 || status == 401 {
        return response;
    }
    let request = response.request();
    if request.extensions().get::<TokenDemanded>().is_none() {
        return response;
    }
    let error = response
        .response()
        .error()
        .and_then(|error| error.as_error::<AdminError>())
        .cloned()
        .unwrap_or_else(|| {
            AdminError::from(ApiError::from(status_error(status, "request failed")))
        });
    let write = write_of(method, path).map(|(operation, target)| (operation, target, error));
    if write.is_none() && status >= 500 {
        return response;
    }
    let token = match BearerToken::from_request_head(request) {
        Ok(token) => token,
        Err(refusal) if status < 500 => return refuse(response, AdminError::from(refusal)),
        Err(_) => return response,
    };
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return response;
    };
    let request_id = crate::request_id::of(request);
    let record = write.map(|(operation, target, error)| {
        move |tx: &mut Tx<'_>, caller: &Authenticated, now| {
            // A server error's message may name internals: the trail keeps the code.
            let message = if error.status >= 500 {
                "internal error".to_owned()
            } else {
                error.message.clone()
            };
            let detail = json!({"error": {"code": error.code, "message": message}});
            let request_id = request_id.as_deref();
            crate::audit::append(
                tx,
                "admin",
                caller,
                request_id,
                operation,
                &target,
                error.status,
                &detail,
                now,
            )
        }
    });
    match verify(&state, token, TokenKind::Admin, record).await {
        Ok(None) if status < 500 => refuse(response, AdminError::invalid_token()),
        Ok(_) => response,
        Err(error) => {
            tracing::error!(detail = %error.error.detail, "cannot settle a failed admin request");
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_writes_are_named_from_method_and_path() {
        let cases = [
            ("PATCH", "/admin/v1/org", Some(("org.update", "org"))),
            ("GET", "/admin/v1/org", None),
            (
                "DELETE",
                "/admin/v1/scim-tokens/t1",
                Some(("scim_token.revoke", "scim_token:t1")),
            ),
            (
                "POST",
                "/admin/v1/workspaces/w1/folders",
                Some(("folder.create", "workspace:w1")),
            ),
            (
                "PATCH",
                "/admin/v1/folders/f1",
                Some(("folder.update", "folder:f1")),
            ),
            ("POST", "/admin/v1/grants", Some(("grant.create", "grant"))),
            (
                "DELETE",
                "/admin/v1/rules/r1",
                Some(("rule.delete", "rule:r1")),
            ),
            (
                "POST",
                "/admin/v1/access/join",
                Some(("access.join", "access")),
            ),
            ("GET", "/admin/v1/access", None),
            ("POST", "/admin/v1/nothing", None),
            ("POST", "/scim/v2/Users", None),
        ];
        for (method, path, expected) in cases {
            let expected = expected.map(|(o, t)| (o, t.to_owned()));
            assert_eq!(write_of(method, path), expected, "{method} {path}");
        }
    }
}
