//! The one place errors become answers.
//!
//! An [`Error`] is a refusal as both APIs know it: a status, a SCIM `scimType` and detail,
//! and, for the admin API, a `code` (by default the status's). Protocol errors
//! ([`ScimError`]) and the store's error kinds ([`StoreError`]: the statuses of its kinds
//! are chosen here and nowhere else) convert to it. [`Error::render`] writes it as an
//! RFC 7644 §3.12 body ([`Api::Scim`]: `application/scim+json`) or as
//! `{"error": {"code", "message"}}` ([`Api::Admin`]); either way a 401 carries
//! `WWW-Authenticate: Bearer`, a 405 carries `Allow`, and the detail of a 5xx (but 501,
//! which names the endpoint) is logged, never sent.

use std::fmt;

use rollcall_store::StoreError;
use scim_core::ScimError;
use serde_json::{Value, json};

use crate::api::Api;
use crate::response::Response;

/// The whole seconds a 503 asks a client to wait: IdPs retry a 503 on their own schedule,
/// and one that reads `Retry-After` comes back once a restarted database answers again.
pub const RETRY_UNAVAILABLE_AFTER: u64 = 2;

/// A refused or failed request, ready to be rendered in either API's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// Status, `scimType` and detail.
    scim: ScimError,
    /// The admin API's code, when it is not the status's own (`invalid_schema`, …).
    code: Option<&'static str>,
    /// The methods a 405 lists in `Allow`.
    allow: Option<&'static str>,
    /// The whole seconds a 429 or 503 tells the client to wait (`Retry-After`).
    retry_after: Option<u64>,
}

impl Error {
    /// An error with this status and detail, and no `scimType`.
    pub fn new(status: u16, detail: impl Into<String>) -> Error {
        Error::from(ScimError {
            status,
            scim_type: None,
            detail: detail.into(),
            span: None,
        })
    }

    /// An admin API error with its own code.
    pub(crate) fn admin(status: u16, code: &'static str, message: impl Into<String>) -> Error {
        Error {
            code: Some(code),
            ..Error::new(status, message)
        }
    }

    /// An admin API 400 `invalid_request`.
    pub(crate) fn invalid_request(message: impl Into<String>) -> Error {
        Error::new(400, message)
    }

    /// A 401 with this detail.
    pub(crate) fn unauthorized(detail: impl Into<String>) -> Error {
        Error::new(401, detail)
    }

    /// A 429: the credential (or, for failed authentications, the client address) is over
    /// its rate; `Retry-After` says how many whole seconds to wait.
    pub(crate) fn rate_limited(retry_after: u64) -> Error {
        Error {
            retry_after: Some(retry_after),
            ..Error::new(
                429,
                format!("too many requests; retry after {retry_after} s"),
            )
        }
    }

    /// A 503 for a failure that passes by itself (the database down or restarting, a
    /// transaction that kept losing to concurrent ones): `Retry-After` says to try again
    /// in [`RETRY_UNAVAILABLE_AFTER`] seconds. Nothing was written.
    pub(crate) fn unavailable(detail: impl Into<String>) -> Error {
        Error {
            retry_after: Some(RETRY_UNAVAILABLE_AFTER),
            ..Error::new(503, detail)
        }
    }

    /// A 500 whose detail is logged, never sent.
    pub(crate) fn internal(detail: impl Into<String>) -> Error {
        Error::new(500, detail)
    }

    /// A 405 for a path that answers only `allow`.
    pub(crate) fn method_not_allowed(method: &str, allow: &'static str) -> Error {
        Error {
            allow: Some(allow),
            ..Error::new(
                405,
                format!("{method} is not allowed here; allowed: {allow}"),
            )
        }
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.scim.status
    }

    /// The detail (for a 5xx, what is logged rather than sent).
    pub fn detail(&self) -> &str {
        &self.scim.detail
    }

    /// The error as SCIM says it.
    pub fn as_scim(&self) -> &ScimError {
        &self.scim
    }

    /// The admin API's code: its own, or the status's.
    pub fn code(&self) -> &'static str {
        self.code.unwrap_or_else(|| code_of(self.scim.status))
    }

    /// The error as a response of `api`.
    pub fn render(&self, api: Api) -> Response {
        let status = if (100..600).contains(&self.scim.status) {
            self.scim.status
        } else {
            500
        };
        // A 5xx detail may name tables, constraints or hosts: logged, never sent (but a
        // 501's, which names the endpoint).
        let hidden = status >= 500 && status != 501;
        if hidden {
            tracing::error!(status, detail = %self.scim.detail, "request failed");
        }
        let mut response = match api {
            Api::Scim => Response::scim(status, &self.public_scim(status, hidden).to_body()),
            Api::Admin => {
                let (code, message) = if status >= 500 {
                    ("internal", reason(status).to_owned())
                } else {
                    (self.code(), self.scim.detail.clone())
                };
                Response::json(
                    status,
                    &json!({"error": {"code": code, "message": message}}),
                )
            }
        };
        if status == 401 {
            response = response.with_header("www-authenticate", "Bearer");
        }
        if let Some(allow) = self.allow {
            response = response.with_header("allow", allow);
        }
        if let Some(seconds) = self.retry_after {
            response = response.with_header("retry-after", seconds.to_string());
        }
        response
    }

    /// The SCIM error as it may be sent: a hidden detail replaced by the status's reason.
    fn public_scim(&self, status: u16, hidden: bool) -> ScimError {
        let mut error = self.scim.clone();
        error.status = status;
        if hidden {
            error.detail = reason(status).to_owned();
            error.scim_type = None;
        }
        error
    }

    /// The `error` of a failed request's audit record: the SCIM body (`Api::Scim`), or the
    /// admin code and message, a server error's message kept out.
    pub(crate) fn trail_detail(&self, api: Api) -> Value {
        match api {
            Api::Scim => json!({"error": self.scim.to_body()}),
            Api::Admin => {
                let message = if self.scim.status >= 500 {
                    "internal error".to_owned()
                } else {
                    self.scim.detail.clone()
                };
                json!({"error": {"code": self.code(), "message": message}})
            }
        }
    }
}

/// The reason phrase a hidden detail is replaced with.
fn reason(status: u16) -> &'static str {
    match status {
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "internal error",
    }
}

/// The admin code of a status.
fn code_of(status: u16) -> &'static str {
    match status {
        400 => "invalid_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        412 => "precondition_failed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "too_many_requests",
        503 => "unavailable",
        _ => "internal",
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.scim.status,
            self.code(),
            self.scim.detail
        )
    }
}

impl std::error::Error for Error {}

impl From<ScimError> for Error {
    fn from(scim: ScimError) -> Self {
        Error {
            scim,
            code: None,
            allow: None,
            retry_after: None,
        }
    }
}

/// The statuses of the store's error kinds.
impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        let scim = match &error {
            StoreError::NotFound => ScimError::not_found("resource not found"),
            StoreError::Uniqueness(attribute) => {
                ScimError::uniqueness(format!("{attribute} is already taken"))
            }
            StoreError::VersionMismatch { .. } => return Error::new(412, error.to_string()),
            StoreError::InvalidMember(_) | StoreError::Invalid(_) => {
                ScimError::invalid_value(error.to_string())
            }
            StoreError::NoTarget(_) => ScimError::no_target(error.to_string()),
            StoreError::Conflict(detail) => ScimError::uniqueness(detail.clone()),
            StoreError::Unavailable(detail) => {
                tracing::error!(%detail, "the database is unavailable");
                return Error::unavailable("the database is unavailable; retry later");
            }
            StoreError::Full(detail) => {
                tracing::error!(%detail, "the database is full: nothing more can be written until an operator frees space");
                return Error::unavailable(
                    "the database has no room left for this change; retry later",
                );
            }
            StoreError::Contention(detail) => {
                tracing::warn!(%detail, "a transaction kept losing to concurrent ones");
                return Error::unavailable(
                    "the change kept conflicting with concurrent ones; retry",
                );
            }
            other => {
                tracing::error!(error = %other, "database failure");
                return Error::internal("internal error");
            }
        };
        Error::from(scim)
    }
}

/// What a closure inside a transaction fails with.
#[derive(Debug)]
pub enum Failure {
    /// A refusal found before anything was written: the transaction simply ends.
    Refused(Error),
    /// A database failure: the transaction is rolled back.
    Store(StoreError),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Refused(error)
    }
}

impl From<ScimError> for Failure {
    fn from(error: ScimError) -> Self {
        Failure::Refused(Error::from(error))
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure::Store(error)
    }
}

impl From<Failure> for Error {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Refused(error) => error,
            Failure::Store(error) => Error::from(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scim_core::ScimType;

    fn body(response: &Response) -> Value {
        serde_json::from_slice(&response.body).unwrap_or_default()
    }

    #[test]
    fn store_errors_become_statuses_without_internals() {
        let cases = [
            (StoreError::NotFound, 404, None, "not_found"),
            (
                StoreError::Uniqueness("userName".into()),
                409,
                Some(ScimType::Uniqueness),
                "conflict",
            ),
            (
                StoreError::VersionMismatch { current: 3 },
                412,
                None,
                "precondition_failed",
            ),
            (
                StoreError::InvalidMember("m".into()),
                400,
                Some(ScimType::InvalidValue),
                "invalid_request",
            ),
            (
                StoreError::NoTarget("t".into()),
                400,
                Some(ScimType::NoTarget),
                "invalid_request",
            ),
            (
                StoreError::Invalid("i".into()),
                400,
                Some(ScimType::InvalidValue),
                "invalid_request",
            ),
            (
                StoreError::Unavailable("secret host".into()),
                503,
                None,
                "unavailable",
            ),
            (
                StoreError::Full("secret disk".into()),
                503,
                None,
                "unavailable",
            ),
            (
                StoreError::Contention("secret 40001".into()),
                503,
                None,
                "unavailable",
            ),
            (
                StoreError::Database("secret table".into()),
                500,
                None,
                "internal",
            ),
            (
                StoreError::Migration("secret".into()),
                500,
                None,
                "internal",
            ),
        ];
        for (store_error, status, scim_type, code) in cases {
            let error = Error::from(store_error);
            let context = format!("{error:?}");
            assert_eq!(
                (error.status(), error.as_scim().scim_type, error.code()),
                (status, scim_type, code),
                "{context}"
            );
            assert!(!error.detail().contains("secret"), "{context}");
            let retry_after = error
                .render(Api::Scim)
                .header("retry-after")
                .map(str::to_owned);
            assert_eq!(
                retry_after.is_some(),
                status == 503,
                "a 503, and only a 503 here, says when to retry: {context}"
            );
        }
    }

    #[test]
    fn server_errors_never_leak_their_detail_in_either_shape() {
        let error = Error::new(500, "constraint users_org_fk on 10.0.0.3");
        let scim = error.render(Api::Scim);
        assert_eq!(scim.status, 500);
        assert_eq!(body(&scim)["detail"], "Internal Server Error");
        assert_eq!(body(&scim)["status"], "500");
        let admin = error.render(Api::Admin);
        assert_eq!(
            body(&admin),
            json!({"error": {"code": "internal", "message": "Internal Server Error"}})
        );
        assert_eq!(
            error.trail_detail(Api::Admin),
            json!({"error": {"code": "internal", "message": "internal error"}})
        );
    }

    #[test]
    fn headers_and_shapes_follow_the_status() {
        let unauthorized = Error::unauthorized("no token").render(Api::Scim);
        assert_eq!(unauthorized.header("www-authenticate"), Some("Bearer"));
        assert_eq!(
            unauthorized.header("content-type"),
            Some("application/scim+json")
        );
        assert_eq!(body(&unauthorized)["detail"], "no token");
        let admin = Error::unauthorized("no token").render(Api::Admin);
        assert_eq!(admin.header("www-authenticate"), Some("Bearer"));
        assert_eq!(admin.header("content-type"), Some("application/json"));
        let not_allowed = Error::method_not_allowed("PUT", "GET").render(Api::Scim);
        assert_eq!(
            (not_allowed.status, not_allowed.header("allow")),
            (405, Some("GET"))
        );
        let conflict = Error::new(409, "taken").render(Api::Admin);
        assert_eq!(
            body(&conflict),
            json!({"error": {"code": "conflict", "message": "taken"}})
        );
        let own_code = Error::admin(400, "invalid_schema", "bad").render(Api::Admin);
        assert_eq!(body(&own_code)["error"]["code"], "invalid_schema");
        let not_implemented = Error::new(501, "/Me needs a subject").render(Api::Scim);
        assert_eq!(body(&not_implemented)["detail"], "/Me needs a subject");
    }
}
