//! One INFO line per SCIM request: method, path, status, latency, request id, organization
//! and token id. Never the token, the query string (filters hold user names) or a body. A
//! failed write of an authenticated caller also goes to the audit trail (`audit.rs`; an
//! admin write's: `admin/audited.rs`), and a SCIM request's latency to its organization's
//! window for the health report (`latency.rs`). A request that failed before its token was
//! verified has it verified here (`early_failure.rs`; on the admin side
//! `admin/audited.rs`): a token that is not valid makes the answer a 401. The middleware
//! also gives the request its id (`request_id.rs`) and answers it.

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use rollcall_store::Authenticated;

use crate::audit;
use crate::early_failure;
use crate::request_id::{self, RequestId};
use crate::state::AppState;

/// A failed SCIM write of an authenticated caller goes to the audit trail with its error.
async fn record_failed_write<B>(response: &ServiceResponse<B>, method: &str, path: &str) {
    if response.status().as_u16() < 400 {
        return;
    }
    let Some((operation, target)) = audit::write_of(method, path) else {
        return;
    };
    let (caller, failure) = {
        let extensions = response.request().extensions();
        (
            extensions.get::<Authenticated>().cloned(),
            extensions.get::<audit::FailedRequest>().cloned(),
        )
    };
    let request_id = request_id::of(response.request());
    let (Some(caller), Some(audit::FailedRequest(error))) = (caller, failure) else {
        return;
    };
    let Some(state) = response.request().app_data::<web::Data<AppState>>() else {
        return;
    };
    audit::record_failure(state, caller, request_id, operation, target, error).await;
}

/// A failed request's token verified if it was not yet, its answer made a 401 if the token
/// is not valid, and a failed write of a known caller recorded in the audit trail.
async fn settle_failure(
    response: ServiceResponse<BoxBody>,
    method: &str,
    path: &str,
) -> ServiceResponse<BoxBody> {
    if path.starts_with(crate::admin::ADMIN_PREFIX) {
        return crate::admin::settle_failure(response, method, path).await;
    }
    let response = early_failure::settle(response, method, path).await;
    record_failed_write(&response, method, path).await;
    response
}

/// An authenticated SCIM request's latency goes to its organization's window (health).
fn note_latency<B>(response: &ServiceResponse<B>, latency_ms: f64) {
    let request = response.request();
    let Some(state) = request.app_data::<web::Data<AppState>>() else {
        return;
    };
    if let Some(caller) = request.extensions().get::<Authenticated>() {
        state
            .latencies
            .record(&caller.org_id, state.now(), latency_ms);
    }
}

/// The request-log middleware (`actix_web::middleware::from_fn`).
pub(crate) async fn log_request(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.path().to_owned();
    let id = RequestId::for_request(request.request());
    request.extensions_mut().insert(id.clone());
    let mut response = match next.call(request).await {
        Ok(response) => {
            Ok(settle_failure(response.map_into_boxed_body(), method.as_str(), &path).await)
        }
        Err(error) => Err(error),
    };
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(response) = &response {
        note_latency(response, latency_ms);
    }
    if let Ok(response) = &mut response
        && let Ok(value) = actix_web::http::header::HeaderValue::from_str(&id.0)
    {
        response.headers_mut().insert(request_id::HEADER, value);
    }
    match &response {
        Ok(response) => {
            let extensions = response.request().extensions();
            let caller = extensions.get::<Authenticated>();
            tracing::info!(
                method = %method,
                path = %path,
                status = response.status().as_u16(),
                latency_ms,
                request_id = %id.0,
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
                request_id = %id.0,
                "scim request"
            );
        }
    }
    response
}
