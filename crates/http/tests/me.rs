//! `/Me` with an embedder's subject resolver, on every test database: the resolved user's
//! `/Users/{id}` for GET, PATCH, PUT and DELETE, inside the token's organization only.
//! Without a resolver `/Me` is a 501 (`protocol.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use actix_web::http::Method;
use common::{Harness, USER, request, user, with_json};
use rollcall_store::testing::TestDb;
use serde_json::json;

#[actix_web::test]
async fn me_is_the_user_the_embedder_names() {
    for db in TestDb::all() {
        let mut h = Harness::new(db);
        // The embedder's own authentication, here a header its proxy would set.
        h.state = h.state.clone().with_me(|request| {
            request
                .headers
                .text("x-subject")
                .and_then(Result::ok)
                .map(str::to_owned)
        });
        let app = app!(h);
        let label = h.label();
        let ann = create!(app, &h.a.token, "Users", user("ann"));
        let beta = h.tenant("Beta");
        let foreign = create!(app, &beta.token, "Users", user("zed"));

        let reply = send!(
            app,
            request(Method::GET, "/scim/v2/Me", &h.a.token)
                .insert_header(("x-subject", ann.as_str()))
        );
        assert_eq!(reply.status, 200, "{label} {}", reply.body);
        assert_eq!(reply.body["id"], ann.as_str());
        assert_eq!(reply.body["userName"], "ann");

        let patch = json!({"schemas": [common::PATCH_OP], "Operations": [{"op": "replace", "path": "displayName", "value": "Ann"}]});
        let reply = send!(
            app,
            with_json(Method::PATCH, "/scim/v2/Me", &h.a.token, &patch)
                .insert_header(("x-subject", ann.as_str()))
        );
        assert_eq!(reply.status, 200, "{label} {}", reply.body);
        assert_eq!(reply.body["displayName"], "Ann");

        let put = json!({"schemas": [USER], "userName": "ann", "nickName": "annie"});
        let reply = send!(
            app,
            with_json(Method::PUT, "/scim/v2/Me", &h.a.token, &put)
                .insert_header(("x-subject", ann.as_str()))
        );
        assert_eq!(reply.status, 200, "{label} {}", reply.body);
        assert_eq!(reply.body["nickName"], "annie");

        // Another organization's user, or no subject at all: 404. Self-registration: 501.
        let reply = send!(
            app,
            request(Method::GET, "/scim/v2/Me", &h.a.token)
                .insert_header(("x-subject", foreign.as_str()))
        );
        assert_eq!(reply.status, 404, "{label}");
        let reply = send!(app, request(Method::GET, "/scim/v2/Me", &h.a.token));
        assert_eq!(reply.status, 404, "{label}");
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Me", &h.a.token, &user("new"))
        );
        assert_eq!(reply.status, 501, "{label}");
        // The bearer token is still required.
        let reply = send!(
            app,
            request(Method::GET, "/scim/v2/Me", "rc_scim_x_0")
                .insert_header(("x-subject", ann.as_str()))
        );
        assert_eq!(reply.status, 401, "{label}");

        let reply = send!(
            app,
            request(Method::DELETE, "/scim/v2/Me", &h.a.token)
                .insert_header(("x-subject", ann.as_str()))
        );
        assert_eq!(reply.status, 204, "{label}");
        let reply = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{ann}"), &h.a.token)
        );
        assert_eq!(reply.status, 404, "{label}");
    }
}
