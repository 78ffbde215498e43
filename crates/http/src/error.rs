//! The one place a [`ScimError`] (or a [`StoreError`]) becomes a response: an RFC 7644
//! §3.12 body, `Content-Type: application/scim+json`, `WWW-Authenticate: Bearer` on a 401
//! and `Allow` on a 405. Details of 5xx errors (but 501, which names the endpoint) are
//! logged, never sent.

use std::fmt;

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use rollcall_store::StoreError;
use scim_core::ScimError;

use crate::response::SCIM_JSON;

/// A failed request, ready to be rendered.
#[derive(Debug)]
pub(crate) struct ApiError {
    /// What went wrong, as SCIM says it.
    pub(crate) error: ScimError,
    /// The methods a 405 lists in `Allow`.
    pub(crate) allow: Option<&'static str>,
}

impl ApiError {
    /// A 405 for a path that answers only `allow`.
    pub(crate) fn method_not_allowed(method: &str, allow: &'static str) -> Self {
        ApiError {
            error: status_error(
                405,
                format!("{method} is not allowed here; allowed: {allow}"),
            ),
            allow: Some(allow),
        }
    }
}

/// A SCIM error with this status and no `scimType`.
pub(crate) fn status_error(status: u16, detail: impl Into<String>) -> ScimError {
    ScimError {
        status,
        scim_type: None,
        detail: detail.into(),
        span: None,
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl From<ScimError> for ApiError {
    fn from(error: ScimError) -> Self {
        ApiError { error, allow: None }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::from(ScimError::from(error))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let status = self.status_code();
        let mut error = self.error.clone();
        error.status = status.as_u16();
        if status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED {
            // The detail may name tables, constraints or hosts: log it, send a generic one.
            tracing::error!(status = status.as_u16(), detail = %error.detail, "request failed");
            error.detail = status
                .canonical_reason()
                .unwrap_or("internal error")
                .to_owned();
            error.scim_type = None;
        }
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, SCIM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(allow) = self.allow {
            response.insert_header((header::ALLOW, allow));
        }
        response.body(error.to_body().to_string())
    }
}

/// What a closure run inside a transaction can fail with: a store error (the transaction
/// is rolled back) or a protocol error found before anything was written.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A protocol error: nothing was written.
    Scim(ScimError),
    /// A database error: the transaction is rolled back.
    Store(StoreError),
}

impl From<ScimError> for Failure {
    fn from(error: ScimError) -> Self {
        Failure::Scim(error)
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure::Store(error)
    }
}

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Scim(error) => ApiError::from(error),
            Failure::Store(error) => ApiError::from(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn render(error: ApiError) -> (u16, Vec<(String, String)>, serde_json::Value) {
        let response = error.error_response();
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let bytes = response.into_body().try_into_bytes().unwrap_or_default();
        (status, headers, serde_json::from_slice(&bytes).unwrap())
    }

    #[test]
    fn server_errors_never_leak_their_detail() {
        let (status, _, body) = render(ApiError::from(status_error(
            500,
            "constraint users_org_fk on 10.0.0.3",
        )));
        assert_eq!(status, 500);
        assert_eq!(body["detail"], "Internal Server Error");
        assert_eq!(body["status"], "500");
    }

    #[test]
    fn unauthorized_carries_www_authenticate_and_method_not_allowed_carries_allow() {
        let (_, headers, body) = render(ApiError::from(status_error(401, "no token")));
        assert!(headers.contains(&("www-authenticate".into(), "Bearer".into())));
        assert_eq!(body["detail"], "no token");
        let (status, headers, _) = render(ApiError::method_not_allowed("PUT", "GET"));
        assert_eq!(status, 405);
        assert!(headers.contains(&("allow".into(), "GET".into())));
        assert!(headers.contains(&("content-type".into(), SCIM_JSON.into())));
    }
}
