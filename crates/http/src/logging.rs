//! One INFO line per SCIM request: method, path, status, latency, organization and token
//! id. Never the token, the query string (filters hold user names) or a body.

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use rollcall_store::Authenticated;

/// The request-log middleware (`actix_web::middleware::from_fn`).
pub(crate) async fn log_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.path().to_owned();
    let response = next.call(request).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &response {
        Ok(response) => {
            let extensions = response.request().extensions();
            let caller = extensions.get::<Authenticated>();
            tracing::info!(
                method = %method,
                path = %path,
                status = response.status().as_u16(),
                latency_ms,
                org_id = caller.map(|c| c.org_id.as_str()),
                token_id = caller.map(|c| c.token_id.as_str()),
                "scim request"
            );
        }
        Err(error) => {
            tracing::info!(
                method = %method,
                path = %path,
                status = error.as_response_error().status_code().as_u16(),
                latency_ms,
                "scim request"
            );
        }
    }
    response
}
