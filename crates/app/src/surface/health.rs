//! `/healthz` (liveness: the process answers) and `/readyz` (readiness: the database answers
//! a query of the store's own tables), for load balancers and orchestrators. No credential;
//! the answers name no organization.

use serde_json::json;

use crate::app::App;
use crate::response::Response;
use crate::transaction::Access;

impl App {
    /// `GET /healthz`: 200 while the process serves requests.
    pub fn liveness(&self) -> Response {
        Response::json(200, &json!({"status": "ok"}))
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
