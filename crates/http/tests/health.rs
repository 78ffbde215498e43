//! `/healthz` and `/readyz` on every test database: no token, live while the process runs,
//! ready while the database answers (503 once it does not).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use actix_web::test::TestRequest;
use common::Harness;
use rollcall_store::Backend;
use rollcall_store::testing::TestDb;

#[actix_web::test]
async fn the_process_is_live_and_ready_while_the_database_answers() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let state = h.state.clone();
        let app = actix_web::test::init_service(
            actix_web::App::new()
                .configure(move |config| rollcall_http::configure_health(config, state)),
        )
        .await;
        for (uri, expected) in [("/healthz", "ok"), ("/readyz", "ready")] {
            let response =
                actix_web::test::call_service(&app, TestRequest::get().uri(uri).to_request()).await;
            assert_eq!(response.status().as_u16(), 200, "{uri}");
            let body: serde_json::Value = actix_web::test::read_body_json(response).await;
            assert_eq!(body["status"], expected, "{uri}");
        }
        if h.db.backend() == Backend::Postgres {
            // The store's tables gone (as if the database were replaced): not ready, still live.
            h.db.execute_raw("DROP TABLE orgs CASCADE").unwrap();
            let response =
                actix_web::test::call_service(&app, TestRequest::get().uri("/readyz").to_request())
                    .await;
            assert_eq!(response.status().as_u16(), 503);
            let response = actix_web::test::call_service(
                &app,
                TestRequest::get().uri("/healthz").to_request(),
            )
            .await;
            assert_eq!(response.status().as_u16(), 200);
        }
    }
}
