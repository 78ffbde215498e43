//! Admin API errors: `{"error": {"code": "...", "message": "..."}}` with a fitting status
//! (PRODUCT.md §10). Details of 5xx errors are logged, never sent.

use std::fmt;

use actix_web::body::BoxBody;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::error::ApiError;

/// A failed admin request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AdminError {
    pub(crate) status: u16,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl AdminError {
    pub(crate) fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        AdminError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 401 `unauthorized`: the request's token is not a valid admin token.
    pub(crate) fn invalid_token() -> Self {
        AdminError::new(
            401,
            "unauthorized",
            "invalid, expired or revoked admin token",
        )
    }

    /// 400 `invalid_request`.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        AdminError::new(400, "invalid_request", message)
    }
}

/// The code of a status when the failure came from the SCIM side (shared code paths).
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

impl From<ApiError> for AdminError {
    fn from(error: ApiError) -> Self {
        let status = error.error.status;
        AdminError::new(status, code_of(status), error.error.detail)
    }
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let status = self.status_code();
        let (code, message) = if status.is_server_error() {
            tracing::error!(status = status.as_u16(), detail = %self.message, "admin request failed");
            (
                "internal",
                status
                    .canonical_reason()
                    .unwrap_or("internal error")
                    .to_owned(),
            )
        } else {
            (self.code, self.message.clone())
        };
        let mut response = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(json!({"error": {"code": code, "message": message}}))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::MessageBody;

    use super::*;
    use crate::error::status_error;

    #[test]
    fn errors_render_code_and_message_and_hide_server_details() {
        let render = |error: AdminError| {
            let response = error.error_response();
            let status = response.status().as_u16();
            let bytes = response.into_body().try_into_bytes().unwrap_or_default();
            let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            (status, body)
        };
        let (status, body) = render(AdminError::from(ApiError::from(status_error(409, "taken"))));
        assert_eq!(status, 409);
        assert_eq!(
            body,
            json!({"error": {"code": "conflict", "message": "taken"}})
        );
        let (status, body) = render(AdminError::new(500, "internal", "table orgs on 10.0.0.3"));
        assert_eq!(status, 500);
        assert_eq!(body["error"]["message"], "Internal Server Error");
    }
}
