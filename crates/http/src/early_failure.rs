//! Early failures: a SCIM request refused before its transaction verified the token, while
//! the request was being read (a malformed or oversized body, a wrong media type, a bad
//! query parameter or precondition header). The token is verified then, after the fact,
//! so such a request is answered and recorded as if it had come that far:
//!
//! - a token that is not valid (unknown, expired, revoked, or an admin token) turns the
//!   answer into the 401 the transaction would have given: a caller without a valid token
//!   learns nothing about a request but that it needs one;
//! - a valid token makes the caller known: the request's log line and latency name its
//!   organization, and a failed write goes to the audit trail with its error, so it counts
//!   in the organization's health report like any other failed write.
//!
//! Only requests whose handler asked for a token ([`TokenDemanded`]) are settled here. A
//! 5xx is left as it is: an overloaded or failing store would not answer the token's
//! lookup either. The exception is 501 (`/Me` without a subject resolver), a refusal that
//! owes nothing to the store. The lookup is one read, on this failure path only.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, ResponseError, web};
use chrono::{DateTime, Utc};
use rollcall_store::{Authenticated, StoreError, TokenKind, Tx};

use crate::audit;
use crate::auth::{BearerToken, TokenDemanded, invalid_token};
use crate::blocking::{self, Access};
use crate::error::{ApiError, status_error};
use crate::state::AppState;

/// Settle `response` to a SCIM request `method path` when it failed early (see the module
/// documentation); any other response is answered as it is.
pub(crate) async fn settle(
    response: ServiceResponse<BoxBody>,
    method: &str,
    path: &str,
) -> ServiceResponse<BoxBody> {
    let status = response.status();
    let refused = status.is_client_error() || status == StatusCode::NOT_IMPLEMENTED;
    if !refused || status == StatusCode::UNAUTHORIZED {
        return response;
    }
    let request = response.request();
    let unverified = {
        let extensions = request.extensions();
        extensions.get::<TokenDemanded>().is_some() && extensions.get::<Authenticated>().is_none()
    };
    if !unverified {
        return response;
    }
    let token = match BearerToken::from_request_head(request) {
        Ok(token) => token,
        Err(refusal) => return refuse(response, refusal),
    };
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return response;
    };
    let error = response
        .response()
        .error()
        .and_then(|error| error.as_error::<ApiError>())
        .map(|error| error.error.clone())
        .unwrap_or_else(|| {
            status_error(
                status.as_u16(),
                status.canonical_reason().unwrap_or("request failed"),
            )
        });
    let request_id = crate::request_id::of(request);
    let record = audit::write_of(method, path).map(|(operation, target)| {
        move |tx: &mut Tx<'_>, caller: &Authenticated, now| {
            let request_id = request_id.as_deref();
            audit::append_failure(tx, caller, request_id, &operation, &target, &error, now)
        }
    });
    match verify(&state, token, TokenKind::Scim, record).await {
        Ok(Some(caller)) => {
            request.extensions_mut().insert(caller);
            response
        }
        Ok(None) => refuse(response, invalid_token()),
        Err(error) => {
            tracing::error!(
                detail = %error.error.detail,
                "cannot verify the token of a request that failed early"
            );
            response
        }
    }
}

/// Verify `token` as a `kind` token, in a transaction of its own: the caller, or `None`
/// when the token is not valid. With a valid one, `record` (the record of the request's
/// failure) runs in the same transaction.
pub(crate) async fn verify<R>(
    state: &AppState,
    token: BearerToken,
    kind: TokenKind,
    record: Option<R>,
) -> Result<Option<Authenticated>, ApiError>
where
    R: FnOnce(&mut Tx<'_>, &Authenticated, DateTime<Utc>) -> Result<(), StoreError>
        + Send
        + 'static,
{
    let access = if record.is_some() {
        Access::Write
    } else {
        Access::Read
    };
    let now = state.now();
    blocking::run(state, access, move |tx| {
        let Some(caller) = tx.authenticate(token.secret(), kind, now)? else {
            return Ok(None);
        };
        if let Some(record) = record {
            record(tx, &caller, now)?;
        }
        Ok(Some(caller))
    })
    .await
}

/// `response`'s request answered with `refusal` instead.
pub(crate) fn refuse(
    response: ServiceResponse<BoxBody>,
    refusal: impl ResponseError,
) -> ServiceResponse<BoxBody> {
    let (request, _) = response.into_parts();
    ServiceResponse::new(request, refusal.error_response())
}
