//! `/healthz` (liveness: the process answers) and `/readyz` (readiness: the database answers
//! a query of the store's own tables), for load balancers and orchestrators, and `/metrics`
//! (Prometheus, `metrics.rs`) for the operator's monitoring. No credential; the answers name
//! no organization (unless the operator asked for per-organization metrics).

use serde_json::json;

use crate::app::App;
use crate::response::Response;
use crate::transaction::Access;

impl App {
    /// `GET /healthz`: 200 while the process serves requests.
    pub fn liveness(&self) -> Response {
        Response::json(200, &json!({"status": "ok"}))
    }

    /// `GET /metrics`: every metric in Prometheus' text format. The outbox backlog is read
    /// now, in a read transaction; when the database does not answer, its last value is
    /// kept (and the error logged), and the rest is still served.
    pub async fn scrape(&self) -> Response {
        let pending = self
            .database
            .run(Access::Read, |tx| Ok(tx.outbox().pending()?))
            .await;
        let pending = match pending {
            Ok(pending) => Some(pending),
            Err(error) => {
                tracing::warn!(detail = %error.detail(), "metrics: cannot read the outbox backlog");
                None
            }
        };
        self.metrics.observe(pending, self.store().pool_state());
        Response::text(200, crate::metrics::CONTENT_TYPE, self.metrics.encode())
    }

    /// `GET /readyz`: 200 when the database answers, 503 otherwise (its error is logged).
    pub async fn readiness(&self) -> Response {
        let probe = self
            .database
            .run(Access::Read, |tx| Ok(tx.orgs().get("readyz-probe")?))
            .await;
        match probe {
            Ok(_) => Response::json(200, &json!({"status": "ready"})),
            Err(error) => {
                tracing::warn!(detail = %error.detail(), "not ready: the database does not answer");
                Response::json(
                    503,
                    &json!({"status": "unavailable", "reason": "the database does not answer"}),
                )
            }
        }
    }
}
