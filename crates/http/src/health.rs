//! `/healthz` (liveness: the process answers) and `/readyz` (readiness: the database answers
//! a query of the store's own tables), for load balancers and orchestrators. No token; the
//! answers name no organization. `configure_health` mounts them at the root.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::blocking::{self, Access};
use crate::state::AppState;

/// `GET /healthz`: 200 while the process serves requests.
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: 200 when the database answers, 503 otherwise (its error is logged).
pub(crate) async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let probe = blocking::run(&state, Access::Read, |tx| Ok(tx.org("readyz-probe")?)).await;
    match probe {
        Ok(_) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(error) => {
            tracing::warn!(detail = %error.error.detail, "not ready: the database does not answer");
            HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE)
                .json(json!({"status": "unavailable", "reason": "the database does not answer"}))
        }
    }
}
