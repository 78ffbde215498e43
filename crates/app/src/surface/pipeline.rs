//! Serving one request ([`App::serve`]), the same for both APIs:
//!
//! 1. the request gets its id (`request_id.rs`: the client's `X-Request-Id` when sensible);
//! 2. the API's router picks the handler (`scim/routes.rs`, `admin/routes.rs`);
//! 3. a failure is settled: a request whose handler asked for a credential and failed
//!    before a transaction verified it (a malformed body, a wrong media type, a bad query
//!    parameter or precondition header) has it verified now, in a transaction of its own:
//!    not valid, and the answer becomes the 401 the transaction would have given (a client
//!    without a valid credential learns nothing but that it needs one); valid, and the
//!    actor is known and a failed write is recorded in that transaction. A failed write of
//!    a known actor whose transaction failed is recorded in a transaction of its own. A 5xx
//!    is left as it is (a failing store would not answer the lookup), but 501, a refusal
//!    that owes nothing to the store;
//! 4. the error is rendered in the API's shape (`error.rs`), failed reads and limited
//!    requests are counted, the request goes to the metrics by its route template
//!    (`metrics.rs`), a SCIM request's latency goes to its organization's window for
//!    the health report, `X-Request-Id` is answered, and one INFO line is logged: method,
//!    path, status, latency, request id, organization and credential id; never the
//!    credential, the query string (filters hold user names) or a body.

use std::time::Instant;

use rollcall_store::Tx;

use crate::actor::Actor;
use crate::api::Api;
use crate::app::App;
use crate::credential::{Credential, invalid};
use crate::error::Error;
use crate::metrics::Served;
use crate::request::{Method, Request};
use crate::response::Response;
use crate::session;
use crate::surface::call::Call;
use crate::surface::{admin, request_id, scim};
use crate::trail::{self, Failed};

impl App {
    /// Serve one request of `api`: the whole request surface, from a [`Request`] to a
    /// [`Response`]. Any HTTP server can call it (`rollcall-http` does for actix-web,
    /// `examples/axum.rs` for axum); the future is `Send`.
    pub async fn serve(&self, api: Api, request: Request) -> Response {
        let started = Instant::now();
        let request_id = request_id::for_request(&request.headers);
        let mut call = Call::new(self, api, &request, request_id);
        let outcome = match api {
            Api::Scim => scim::routes::dispatch(&mut call).await,
            Api::Admin => admin::routes::dispatch(&mut call).await,
        };
        let mut response = match outcome {
            Ok(response) => response,
            Err(error) => {
                let error = settle(&mut call, error).await;
                error.render(api)
            }
        };
        if response.status >= 400 && is_read(api, &request) {
            self.counters.failed_read();
        }
        if response.status == 429 {
            self.counters.limited_request();
        }
        if response.status == 401 {
            // A failed authentication spends the client address's budget (`limits.rs`).
            self.limits.failed_authentication(call.client);
        }
        let elapsed = started.elapsed();
        self.metrics.request(&Served {
            api,
            method: &request.method,
            path: &request.path,
            status: response.status,
            elapsed,
            org: call.actor.as_ref().map(|actor| actor.org_id.as_str()),
        });
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        if let (Api::Scim, Some(actor)) = (api, &call.actor) {
            self.latencies.record(&actor.org_id, self.now(), latency_ms);
        }
        response = response.with_header(request_id::HEADER, call.request_id.clone());
        // Microseconds are as fine as a log line needs (no float noise in its text).
        let latency_ms = (latency_ms * 1000.0).round() / 1000.0;
        let (org_id, token_id) = match &call.actor {
            Some(actor) => (
                Some(actor.org_id.as_str()),
                Some(actor.credential_id.as_str()),
            ),
            None => (None, None),
        };
        let (method, path) = (request.method.as_str(), call.full_path());
        match api {
            Api::Scim => {
                tracing::info!(method = %method, %path, status = response.status, latency_ms,
                request_id = %call.request_id, org_id, token_id, "scim request")
            }
            Api::Admin => {
                tracing::info!(method = %method, %path, status = response.status, latency_ms,
                request_id = %call.request_id, org_id, token_id, "admin request")
            }
        }
        response
    }

    /// How much of a request's body the surface reads, by what it is (`None`: none, the
    /// handler takes no body). A server reads at most this much and, beyond it, hands
    /// over [`crate::Body::TooLarge`] without reading further.
    pub fn body_limit(&self, api: Api, method: &Method, path: &str) -> Option<usize> {
        match (api, method) {
            (Api::Scim, Method::Post) if path == "/Bulk" => {
                Some(self.config.max_bulk_payload_bytes)
            }
            (_, Method::Post | Method::Put | Method::Patch) => Some(self.config.max_body_bytes),
            _ => None,
        }
    }
}

/// Whether a request only reads: `GET`, `HEAD`, a SCIM `.search`.
fn is_read(api: Api, request: &Request) -> bool {
    request.method.is_get()
        || (api == Api::Scim
            && request.method == Method::Post
            && request.path.ends_with("/.search"))
}

/// Settle a failed request (see the module documentation): the error to answer.
async fn settle(call: &mut Call<'_>, error: Error) -> Error {
    let status = error.status();
    // A 429 was refused before any database work, and is counted, not recorded.
    if status < 400 || status == 401 || status == 429 {
        return error;
    }
    let write = match call.api {
        Api::Scim => scim::routes::write_of(&call.request.method, &call.request.path),
        // A dry run records nothing, not even its failure.
        Api::Admin if admin::audited::dry_run_asked(&call.request.query) => None,
        Api::Admin => admin::routes::write_of(&call.request.method, &call.request.path),
    };
    if let Some(actor) = call.actor.clone() {
        // The transaction ran: a failed write is recorded in a transaction of its own.
        if let (Some((operation, target)), Some(failure)) = (write, call.failure.clone()) {
            record_failure(call, actor, operation, target, failure).await;
        }
        return error;
    }
    // Refused before the transaction verified the credential: a 4xx (or a 501) is
    // settled whatever the request; a 5xx (the database busy or out of reach) only for a
    // write, which is recorded if the database can take it now, counted and logged if not.
    let refused_early = status < 500 || status == 501;
    if !call.credential_demanded || (!refused_early && write.is_none()) {
        return error;
    }
    let credential = match Credential::read(&call.request.headers) {
        Ok(credential) => credential,
        Err(unreadable) => {
            call.app.counters.refused_credential(unreadable.reason);
            return unreadable.error;
        }
    };
    let (api, now) = (call.api, call.now());
    let is_write = write.is_some();
    let record = write.map(|(operation, target)| {
        let error = error.clone();
        move |tx: &mut Tx<'_>, actor: &Actor| {
            let failed = Failed {
                operation: &operation,
                target: &target,
                error: &error,
                extra: None,
            };
            trail::failure(tx, actor, api, failed, now)
        }
    });
    let request_id = Some(call.request_id.clone());
    match session::verify(call.app, api, &credential, request_id, record).await {
        Ok(Some(actor)) => {
            call.actor = Some(actor);
            error
        }
        Ok(None) => invalid(api),
        Err(failure) => {
            if is_write {
                call.app.counters.unrecorded_failure();
            }
            tracing::error!(
                detail = %failure.detail(),
                status,
                "cannot verify the credential of a request that failed early; a failed write \
                 goes unrecorded"
            );
            error
        }
    }
}

/// Record `actor`'s failed write in a transaction of its own.
async fn record_failure(
    call: &Call<'_>,
    actor: Actor,
    operation: String,
    target: String,
    error: Error,
) {
    let (api, now) = (call.api, call.now());
    let outcome = call
        .app
        .database
        .run(crate::transaction::Access::Write, move |tx| {
            let failed = Failed {
                operation: &operation,
                target: &target,
                error: &error,
                extra: None,
            };
            Ok(trail::failure(tx, &actor, api, failed, now)?)
        })
        .await;
    if let Err(error) = outcome {
        call.app.counters.unrecorded_failure();
        tracing::error!(detail = %error.detail(), "cannot record a failed request in the audit trail");
    }
}
