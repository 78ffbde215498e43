//! The per-instance counters that are not trail records (`App::counters`): refused
//! credentials and failed reads, each counted once, where it happens; what succeeds, and a
//! failed write (on the trail instead), counts nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use common::{Harness, request, user, with_json};
use rollcall_app::CounterSnapshot;

use rollcall_store::testing::TestDb;
use serde_json::json;

/// (failed reads, refused credentials, limited requests) moved between two snapshots.
fn moved(before: &CounterSnapshot, after: &CounterSnapshot) -> (u64, u64, u64) {
    (
        after.failed_reads - before.failed_reads,
        after.refused_credentials - before.refused_credentials,
        after.limited_requests - before.limited_requests,
    )
}

#[actix_web::test]
async fn refusals_and_failed_reads_are_counted_once() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app!(h);
        let ann = create!(app, &h.a.token, "Users", user("ann"));
        let cases = [
            // (request, status, (failed reads, refused credentials, limited))
            (
                request(Method::GET, "/scim/v2/Users", &h.a.token),
                200,
                (0, 0, 0),
            ),
            (
                request(Method::GET, &format!("/scim/v2/Users/{ann}"), &h.a.token),
                200,
                (0, 0, 0),
            ),
            (
                request(Method::GET, "/scim/v2/Users", "rc_scim_x_wrong"),
                401,
                (1, 1, 0),
            ),
            (
                actix_web::test::TestRequest::default().uri("/scim/v2/Users"),
                401,
                (1, 1, 0),
            ),
            (
                request(Method::GET, "/scim/v2/Users/nobody", &h.a.token),
                404,
                (1, 0, 0),
            ),
            (
                with_json(
                    Method::POST,
                    "/scim/v2/Users/.search",
                    &h.a.token,
                    &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                            "filter": "userName eq"}),
                ),
                400,
                (1, 0, 0),
            ),
            // A failed write is the trail's, not a failed read.
            (
                with_json(Method::POST, "/scim/v2/Users", &h.a.token, &json!({})),
                400,
                (0, 0, 0),
            ),
            // A write with a bad token: refused, once.
            (
                with_json(
                    Method::POST,
                    "/scim/v2/Users",
                    "rc_scim_x_wrong",
                    &user("bo"),
                ),
                401,
                (0, 1, 0),
            ),
            // A bad token on a request that failed before its transaction: verified once.
            (
                with_json(
                    Method::POST,
                    "/scim/v2/Users",
                    "rc_scim_x_wrong",
                    &json!("x"),
                )
                .insert_header(("content-type", "text/plain")),
                401,
                (0, 1, 0),
            ),
        ];
        for (index, (call, status, expected)) in cases.into_iter().enumerate() {
            let before = h.state.counters();
            let reply = send!(app, call);
            assert_eq!(reply.status, status, "{label} case {index}: {}", reply.body);
            let after = h.state.counters();
            assert_eq!(moved(&before, &after), expected, "{label} case {index}");
        }
    }
}

/// A write that fails with a 5xx before its transaction could verify the credential is
/// recorded when the database can take the record; when it cannot, it is counted (and
/// logged) instead. A read that fails so is neither.
#[actix_web::test]
async fn a_failed_write_the_trail_cannot_take_is_counted() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let label = h.label();
        let token = h.a.token.clone();
        // The database loses what every request needs: its tokens.
        h.db.execute_raw("DROP TABLE tokens CASCADE")
            .or_else(|_| h.db.execute_raw("DROP TABLE tokens"))
            .unwrap();
        let before = h.state.counters().unrecorded_failures;
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", &token, &user("ann"))
        );
        assert!(reply.status >= 500, "{label}: {}", reply.body);
        assert_eq!(
            h.state.counters().unrecorded_failures,
            before + 1,
            "{label}"
        );
        let reply = send!(app, request(Method::GET, "/scim/v2/Users", &token));
        assert!(reply.status >= 500, "{label}");
        assert_eq!(
            h.state.counters().unrecorded_failures,
            before + 1,
            "{label}: a read is not a write"
        );
    }
}
