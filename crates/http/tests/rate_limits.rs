//! Rate limits (PRODUCT.md §8), on every test database: a credential over its
//! organization's rate gets a SCIM 429 with `Retry-After` before any database work, counted
//! and not recorded, and succeeds again after waiting that long; failed authentications
//! spend a budget per client address (behind a trusted proxy, the forwarded client's), which
//! a credential known valid does not need.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

#[macro_use]
mod common;

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use common::{Harness, request};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::json;

fn from(request: TestRequest, peer: &str) -> TestRequest {
    request.peer_addr(peer.parse::<SocketAddr>().unwrap())
}

#[actix_web::test]
async fn a_credential_over_its_rate_waits_retry_after_and_is_served_again() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app_with_admin!(h);
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        // Out of range or of the wrong type: 400, nothing changed.
        for bad in [
            json!({"rate_limit_per_second": 0}),
            json!({"rate_limit_burst": 0}),
            json!({"rate_limit_per_second": "10"}),
            json!({"rate_limit_burst": 1_000_001}),
        ] {
            let (status, body, _) = patch_org!(app, &admin_token, bad.clone());
            assert_eq!(status, 400, "{label}: {bad} {body}");
        }
        let (status, body, _) = patch_org!(app, &admin_token, json!({}));
        assert_eq!(status, 200, "{label}: {body}");
        assert_eq!(
            (&body["rate_limit_per_second"], &body["rate_limit_burst"]),
            (&json!(100), &json!(200)),
            "{label}: the defaults"
        );
        let (status, body, _) = patch_org!(
            app,
            &admin_token,
            json!({"rate_limit_per_second": 1, "rate_limit_burst": 2})
        );
        assert_eq!(status, 200, "{label}: {body}");

        let token = h.a.token.clone();
        let recorded = h.records(None).len();
        let limited = h.state.counters().limited_requests;
        for _ in 0..2 {
            let reply = send!(app, request(Method::GET, "/scim/v2/Users", &token));
            assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        }
        // The burst is spent: a write is refused before any database work.
        let reply = send!(
            app,
            common::with_json(Method::POST, "/scim/v2/Users", &token, &common::user("ann"))
        );
        reply.assert_error(429, None, &label);
        let wait: u64 = reply.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=2).contains(&wait), "{label}: Retry-After {wait}");
        assert_eq!(h.state.counters().limited_requests, limited + 1, "{label}");
        assert_eq!(
            h.records(None).len(),
            recorded,
            "{label}: a 429 is not on the trail"
        );
        let (status, health, _) = call!(
            app,
            common::admin("GET", "/admin/v1/health", Some(&admin_token), None)
        );
        assert_eq!(status, 200, "{label}: {health}");
        assert_eq!(
            health["instance"]["limited_requests"],
            json!(limited + 1),
            "{label}: {health}"
        );
        // Another organization's credential has a budget of its own.
        let other = h.tenant("Other");
        let reply = send!(app, request(Method::GET, "/scim/v2/Users", &other.token));
        assert_eq!(reply.status, 200, "{label}");
        // After waiting as told, served again.
        tokio::time::sleep(Duration::from_secs(wait)).await;
        let reply = send!(app, request(Method::GET, "/scim/v2/Users", &token));
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
    }
}

#[actix_web::test]
async fn failed_authentications_are_limited_per_client_address() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app!(h);
        let token = h.a.token.clone();
        // Known valid from the start.
        let reply = send!(
            app,
            from(
                request(Method::GET, "/scim/v2/Users", &token),
                "203.0.113.5:4000"
            )
        );
        assert_eq!(reply.status, 200, "{label}");
        let bad = |n: usize| format!("rc_scim_0000-{n}_{}", "ab".repeat(32));
        let mut statuses = Vec::new();
        for n in 0..80 {
            let reply = send!(
                app,
                from(
                    request(Method::GET, "/scim/v2/Users", &bad(n)),
                    "203.0.113.5:4001"
                )
            );
            statuses.push(reply.status);
        }
        let refused = statuses.iter().filter(|status| **status == 401).count();
        let limited = statuses.iter().filter(|status| **status == 429).count();
        assert_eq!(refused + limited, 80, "{label}: {statuses:?}");
        assert!(
            (50..=60).contains(&refused) && limited >= 20,
            "{label}: {refused} refused, {limited} limited"
        );
        // Each refusal counted once, by reason.
        for (header, reason) in [
            (None, "missing"),
            (Some("Basic dXNlcjpwYXNz"), "scheme"),
            (Some("Bearer"), "malformed"),
        ] {
            let mut call = from(TestRequest::get().uri("/scim/v2/Users"), "192.0.2.77:1");
            if let Some(header) = header {
                call = call.insert_header(("Authorization", header));
            }
            let reply = send!(app, call);
            assert_eq!(reply.status, 401, "{label}: {reason}");
        }
        let reasons = h.state.counters().refusal_reasons;
        assert_eq!(
            reasons,
            vec![
                ("malformed", 1),
                ("missing", 1),
                ("not_valid", refused as u64),
                ("scheme", 1)
            ],
            "{label}"
        );
        // The valid credential from the same address is still served; another address's
        // bad tokens are still looked at (401, not 429).
        let reply = send!(
            app,
            from(
                request(Method::GET, "/scim/v2/Users", &token),
                "203.0.113.5:4002"
            )
        );
        assert_eq!(reply.status, 200, "{label}");
        let reply = send!(
            app,
            from(
                request(Method::GET, "/scim/v2/Users", &bad(999)),
                "198.51.100.1:4000"
            )
        );
        assert_eq!(reply.status, 401, "{label}");
    }
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_limited() {
    for db in TestDb::all() {
        let mut h = Harness::new(db);
        let label = h.label();
        h.state = rollcall_app::App::new(
            h.store.clone(),
            rollcall_app::ScimConfig {
                trusted_proxies: vec!["10.0.0.1".parse().unwrap()],
                ..h.state.config().clone()
            },
        );
        let app = app!(h);
        let bad = format!("rc_scim_0000-1_{}", "cd".repeat(32));
        let via_proxy = |client: &str| {
            from(
                request(Method::GET, "/scim/v2/Users", &bad),
                "10.0.0.1:5000",
            )
            .insert_header(("X-Forwarded-For", client.to_owned()))
        };
        for _ in 0..60 {
            send!(app, via_proxy("192.0.2.1"));
        }
        let reply = send!(app, via_proxy("192.0.2.1"));
        assert_eq!(reply.status, 429, "{label}: the flooding client");
        let reply = send!(app, via_proxy("192.0.2.2"));
        assert_eq!(
            reply.status, 401,
            "{label}: another client behind the proxy"
        );
        // An untrusted peer's X-Forwarded-For is not believed: it is limited as itself.
        for _ in 0..60 {
            send!(
                app,
                from(
                    request(Method::GET, "/scim/v2/Users", &bad),
                    "198.51.100.9:1"
                )
                .insert_header(("X-Forwarded-For", "192.0.2.3"))
            );
        }
        let reply = send!(
            app,
            from(
                request(Method::GET, "/scim/v2/Users", &bad),
                "198.51.100.9:2"
            )
            .insert_header(("X-Forwarded-For", "192.0.2.4"))
        );
        assert_eq!(reply.status, 429, "{label}: the untrusted peer itself");
    }
}
