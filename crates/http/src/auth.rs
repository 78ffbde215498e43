//! Bearer SCIM tokens: the header is read up front (a missing or malformed one is a 401
//! without touching the database); the secret is checked inside the request's own
//! transaction with `Tx::authenticate(secret, TokenKind::Scim, now)`, so an admin token,
//! an unknown, expired or revoked one is a 401 too. A request refused before its
//! transaction ran has the secret checked afterwards (`early_failure.rs`), so it is a 401
//! as well.

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use rollcall_store::{Authenticated, ResourceKind, StoredResource, TokenKind, Tx};
use scim_core::SchemaRegistry;

use crate::blocking::{self, Access};
use crate::error::{ApiError, Failure, status_error};
use crate::etag::Preconditions;
use crate::operations;
use crate::state::AppState;

/// The secret of an `Authorization: Bearer <secret>` header.
#[derive(Clone)]
pub(crate) struct BearerToken(String);

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

/// The longest secret looked up; anything longer cannot be a token of ours.
const MAX_SECRET_LENGTH: usize = 512;

impl BearerToken {
    /// The secret.
    pub(crate) fn secret(&self) -> &str {
        &self.0
    }

    /// The secret of the request's `Authorization` header.
    pub(crate) fn from_request_head(request: &HttpRequest) -> Result<Self, ApiError> {
        let value = request
            .headers()
            .get(header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("an Authorization: Bearer header is required"))?;
        let value = value
            .to_str()
            .map_err(|_| unauthorized("the Authorization header is not valid text"))?;
        let (scheme, secret) = value
            .trim()
            .split_once(' ')
            .ok_or_else(|| unauthorized("the Authorization header must be \"Bearer <token>\""))?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(unauthorized("only Bearer tokens are accepted"));
        }
        let secret = secret.trim();
        if secret.is_empty() || secret.len() > MAX_SECRET_LENGTH {
            return Err(unauthorized("the bearer token is malformed"));
        }
        Ok(BearerToken(secret.to_owned()))
    }
}

impl FromRequest for BearerToken {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        request.extensions_mut().insert(TokenDemanded);
        ready(BearerToken::from_request_head(request))
    }
}

/// In a request's extensions: its handler asked for a bearer token (whether the request
/// had one or not). A failure found before the token was verified is settled by
/// `early_failure.rs` (on the admin side `admin/audited.rs`), which verifies it then.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenDemanded;

/// The 401 for a token that is not a valid SCIM token of any organization.
pub(crate) fn invalid_token() -> ApiError {
    unauthorized("invalid, expired or revoked token")
}

/// A 401 with this detail (the renderer adds `WWW-Authenticate: Bearer`).
pub(crate) fn unauthorized(detail: &str) -> ApiError {
    ApiError::from(status_error(401, detail))
}

/// Who a request runs for: the authenticated token's organization (`caller.org_id`,
/// `caller.dialect` through `Deref`) and that organization's schema registry (the
/// standard schemas plus its custom extensions).
#[derive(Debug)]
pub(crate) struct Caller {
    /// The token and its organization.
    pub(crate) auth: Authenticated,
    /// The organization's schemas.
    pub(crate) registry: Arc<SchemaRegistry>,
    /// The request's id (`X-Request-Id`), for the audit records it causes.
    pub(crate) request_id: Option<String>,
}

impl std::ops::Deref for Caller {
    type Target = Authenticated;

    fn deref(&self) -> &Authenticated {
        &self.auth
    }
}

/// Authenticate `token` and run `f` for its organization, all in one transaction. The
/// caller is recorded in the request's extensions for the request log. Whatever depends
/// on the organization's schemas (validation, filters, projections) takes them from
/// `caller.registry`.
pub(crate) async fn scim_transaction<T, F>(
    request: &HttpRequest,
    state: &AppState,
    access: Access,
    token: BearerToken,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut Tx<'_>, &Caller) -> Result<T, Failure> + Send + 'static,
{
    let now = state.now();
    let request_id = crate::request_id::of(request);
    let (registries, standard) = (
        Arc::clone(&state.org_registries),
        Arc::clone(&state.registry),
    );
    // Who the caller was, also when the transaction fails (for the log and the audit trail).
    let seen: Arc<std::sync::Mutex<Option<Authenticated>>> = Arc::default();
    let seen_inside = Arc::clone(&seen);
    let outcome = blocking::run(state, access, move |tx| {
        let Some(auth) = tx.authenticate(&token.0, TokenKind::Scim, now)? else {
            return Ok((None, Err(invalid_token())));
        };
        if let Ok(mut seen) = seen_inside.lock() {
            *seen = Some(auth.clone());
        }
        let registry = registries.get(&standard, tx, &auth)?;
        let caller = Caller {
            auth,
            registry,
            request_id,
        };
        match f(tx, &caller) {
            Ok(value) => Ok((Some(caller.auth), Ok(value))),
            Err(Failure::Scim(error)) => Ok((Some(caller.auth), Err(ApiError::from(error)))),
            Err(Failure::Store(error)) => Err(Failure::Store(error)),
        }
    })
    .await;
    let (caller, result) = match outcome {
        Ok(outcome) => outcome,
        Err(error) => (
            seen.lock().ok().and_then(|mut seen| seen.take()),
            Err(error),
        ),
    };
    if let Some(caller) = caller {
        request.extensions_mut().insert(caller);
    }
    // The last attempt's error, for the audit record of a failed write (see `audit.rs`).
    match &result {
        Err(error) => {
            request
                .extensions_mut()
                .insert(crate::audit::FailedRequest(error.error.clone()));
        }
        Ok(_) => {
            request
                .extensions_mut()
                .remove::<crate::audit::FailedRequest>();
        }
    }
    result
}

/// How often a read-modify-write that lost a race is tried in all.
pub(crate) const ATTEMPTS: usize = 5;

/// Run `attempt` again when it failed with a 412 that the client did not ask for: a
/// read-modify-write (PUT, PATCH) passes the version it read to the store, so a concurrent
/// change makes the write fail instead of being overwritten; without client
/// preconditions that conflict is the server's to resolve, by reading again.
pub(crate) async fn retry_lost_races<T, Fut>(
    client_preconditions: bool,
    mut attempt: impl FnMut() -> Fut,
) -> Result<T, ApiError>
where
    Fut: Future<Output = Result<T, ApiError>>,
{
    for _ in 1..ATTEMPTS {
        match attempt().await {
            Err(error) if !client_preconditions && error.error.status == 412 => {
                tracing::debug!("a concurrent write won; trying again");
            }
            other => return other,
        }
    }
    attempt().await
}

/// A read-modify-write of one existing resource (PUT, PATCH): each attempt authenticates,
/// reads the resource `id` without its members, checks the client's preconditions
/// against it, and hands `write` the caller, the resource read and the version the client
/// expects (`None` when it set no precondition). Retried as [`retry_lost_races`] says.
pub(crate) async fn write_existing<T, F>(
    request: &HttpRequest,
    state: &AppState,
    token: &BearerToken,
    kind: ResourceKind,
    id: &str,
    preconditions: &Preconditions,
    write: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut Tx<'_>, &Caller, StoredResource, Option<i64>) -> Result<T, Failure>
        + Clone
        + Send
        + 'static,
{
    retry_lost_races(!preconditions.is_empty(), || {
        let (write, preconditions, id) = (write.clone(), preconditions.clone(), id.to_owned());
        scim_transaction(
            request,
            state,
            Access::Write,
            token.clone(),
            move |tx, caller| {
                let (existing, expected_version) =
                    operations::load_for_write(tx, caller, kind, &id, &preconditions)?;
                write(tx, caller, existing, expected_version)
            },
        )
    })
    .await
}
