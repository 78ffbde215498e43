//! `GET /admin/v1/health` on every test database: rates, last sync and failed operations
//! from the audit trail (so they hold across instances), latency from this instance, each
//! organization's figures its own, the window moving with the clock and checked.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};

use actix_web::http::Method;
use chrono::{DateTime, Utc};
use common::{Harness, admin, patch, user, with_json};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[actix_web::test]
async fn health_reports_rates_last_sync_failures_and_latency_per_org() {
    for db in TestDb::all() {
        let mut h = Harness::new(db);
        let clock = Arc::new(Mutex::new(at("2026-11-24T08:00:00Z")));
        let reading = Arc::clone(&clock);
        h.state = h.state.clone().with_clock(move || *reading.lock().unwrap());
        let set = |time: &str| *clock.lock().unwrap() = at(time);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let token = Some(admin_token.as_str());
        let scim = h.a.token.clone();
        let beta = h.tenant("Beta");
        let (_, beta_admin) = h.token(&beta.org_id, TokenKind::Admin, None);

        // Yesterday, outside a 24-hour window from now: one applied write.
        let _old = create!(app, &scim, "Users", user("old"));
        set("2026-11-25T09:00:00Z");
        let ann = create!(app, &scim, "Users", user("ann"));
        set("2026-11-25T09:30:00Z");
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", &scim, &user("ANN"))
                .insert_header(("X-Request-Id", "idp-1"))
        );
        assert_eq!(reply.status, 409);
        set("2026-11-25T09:40:00Z");
        let off = patch(json!([{"op": "replace", "path": "active", "value": false}]));
        let reply = send!(
            app,
            with_json(Method::PATCH, &format!("/scim/v2/Users/{ann}"), &scim, &off)
        );
        assert_eq!(reply.status, 200);
        set("2026-11-25T09:50:00Z");
        let reply = send!(
            app,
            with_json(Method::PATCH, "/scim/v2/Users/nope", &scim, &off)
        );
        assert_eq!(reply.status, 404);
        // Another organization's traffic stays its own.
        let _zed = create!(app, &beta.token, "Users", user("zed"));
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", &beta.token, &user("ZED"))
        );
        assert_eq!(reply.status, 409);
        set("2026-11-25T10:00:00Z");

        let (status, body, _) = call!(app, admin("GET", "/admin/v1/health", token, None));
        assert_eq!(status, 200, "{label} {body}");
        assert_eq!(body["org_id"], h.a.org_id.as_str());
        assert_eq!(body["window_hours"], 24);
        assert_eq!(body["since"], "2026-11-24T10:00:00.000Z");
        assert_eq!(
            body["requests"],
            json!({"total": 4, "succeeded": 2, "failed": 2}),
            "{label}"
        );
        assert_eq!(body["success_rate"], 0.5);
        assert_eq!(body["error_rate"], 0.5);
        // By hour: the writes of 09:00 to 09:50, the other organization's left out.
        assert_eq!(
            body["hourly"],
            json!([{"hour": "2026-11-25T09:00:00.000Z", "total": 4, "failed": 2}]),
            "{label}"
        );
        assert_eq!(body["last_sync"], "2026-11-25T09:40:00.000Z", "{label}");
        let failed: Vec<(&str, &str, u64, &str)> = body["failed_operations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["time"].as_str().unwrap(),
                    f["operation"].as_str().unwrap(),
                    f["status"].as_u64().unwrap(),
                    f["target"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            failed,
            vec![
                ("2026-11-25T09:50:00.000Z", "user.patch", 404, "user:nope"),
                ("2026-11-25T09:30:00.000Z", "user.create", 409, "user"),
            ],
            "{label}"
        );
        let first_failure = &body["failed_operations"][1];
        assert_eq!(first_failure["error"]["scimType"], "uniqueness");
        assert_eq!(first_failure["request_id"], "idp-1");
        assert_eq!(body["scope"]["requests"], "scim_writes_all_instances");
        assert_eq!(body["scope"]["latency"], "this_instance");
        // This instance served the org's requests (the clock says when): all in the window.
        assert_eq!(body["latency"]["samples"], 4, "{label} {body}");
        for key in ["p50_ms", "p95_ms", "p99_ms"] {
            assert!(body["latency"][key].as_f64().unwrap() >= 0.0);
        }

        // A 720-hour window takes yesterday's write in too.
        let (_, wide, _) = call!(
            app,
            admin("GET", "/admin/v1/health?window_hours=720", token, None)
        );
        assert_eq!(wide["requests"]["total"], 5, "{label}");
        assert_eq!(wide["latency"]["samples"], 5);

        // The other organization sees its own figures.
        let (_, theirs, _) = call!(
            app,
            admin("GET", "/admin/v1/health", Some(&beta_admin), None)
        );
        assert_eq!(
            theirs["requests"],
            json!({"total": 2, "succeeded": 1, "failed": 1}),
            "{label}"
        );
        assert_eq!(theirs["failed_operations"].as_array().unwrap().len(), 1);
        assert_eq!(theirs["last_sync"], "2026-11-25T09:50:00.000Z");

        // A day later and quiet: nothing in the window, last sync kept.
        set("2026-11-27T10:00:00Z");
        let (_, quiet, _) = call!(
            app,
            admin("GET", "/admin/v1/health?window_hours=1", token, None)
        );
        assert_eq!(
            quiet["requests"],
            json!({"total": 0, "succeeded": 0, "failed": 0})
        );
        assert_eq!(quiet["success_rate"], Value::Null);
        assert_eq!(quiet["latency"], Value::Null);
        assert_eq!(quiet["failed_operations"], json!([]));
        assert_eq!(quiet["last_sync"], "2026-11-25T09:40:00.000Z");

        for bad in ["0", "721", "day", "-1"] {
            let (status, error, _) = call!(
                app,
                admin(
                    "GET",
                    &format!("/admin/v1/health?window_hours={bad}"),
                    token,
                    None
                )
            );
            assert_eq!(status, 400, "{bad}");
            assert_eq!(error["error"]["code"], "invalid_request");
        }
        let (status, _, _) = call!(app, admin("GET", "/admin/v1/health", None, None));
        assert_eq!(status, 401);
    }
}
