//! Bearer SCIM tokens and tenant isolation, on every test database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

#[macro_use]
mod common;

use actix_web::http::Method;
use actix_web::http::header;
use actix_web::test::TestRequest;
use chrono::{Duration, Utc};
use common::{Harness, group, patch, request, user, with_json};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::json;

#[actix_web::test]
async fn missing_malformed_unknown_expired_revoked_and_admin_tokens_are_401s() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let (_, expired) = h.token(
            &h.a.org_id,
            TokenKind::Scim,
            Some(Utc::now() - Duration::hours(1)),
        );
        let (revoked_id, revoked) = h.token(&h.a.org_id, TokenKind::Scim, None);
        h.revoke(&h.a.org_id, &revoked_id);
        // The last hex digit changed (to one it is not: a fixed "0" was the token itself
        // one time in sixteen).
        let (head, last) = h.a.token.split_at(h.a.token.len() - 1);
        let tampered = format!("{head}{}", if last == "0" { "1" } else { "0" });
        let cases: [(&str, Option<String>); 15] = [
            ("missing", None),
            ("empty", Some(String::new())),
            ("basic", Some("Basic dXNlcjpwYXNz".into())),
            ("basic with the token", Some(format!("Basic {}", h.a.token))),
            (
                "digest with the token",
                Some(format!("Digest {}", h.a.token)),
            ),
            ("scheme alone", Some("Bearer".into())),
            ("bare unknown", Some("rc_scim_nope_0000".into())),
            ("bare revoked", Some(revoked.clone())),
            ("bare admin token", Some(admin.clone())),
            ("bearer without token", Some("Bearer ".into())),
            ("unknown", Some("Bearer rc_scim_nope_0000".into())),
            ("tampered", Some(format!("Bearer {tampered}"))),
            ("expired", Some(format!("Bearer {expired}"))),
            ("revoked", Some(format!("Bearer {revoked}"))),
            ("admin token", Some(format!("Bearer {admin}"))),
        ];
        for (name, authorization) in cases {
            for uri in ["/scim/v2/Users", "/scim/v2/Groups/x"] {
                let mut req = TestRequest::get().uri(uri);
                if let Some(value) = &authorization {
                    req = req.insert_header((header::AUTHORIZATION, value.as_str()));
                }
                let reply = send!(app, req);
                let context = format!("{} {name} {uri}", h.label());
                reply.assert_error(401, None, &context);
                assert_eq!(
                    reply.header("www-authenticate"),
                    Some("Bearer"),
                    "{context}"
                );
            }
        }
        // A valid token works; lowercase scheme is accepted.
        let reply = send!(
            app,
            TestRequest::get()
                .uri("/scim/v2/Users")
                .insert_header((header::AUTHORIZATION, format!("bearer {}", h.a.token)))
        );
        assert_eq!(reply.status, 200, "{}: {}", h.label(), reply.body);
        // Okta's "HTTP Header" mode: the SCIM token with no scheme, for reads and writes.
        let reply = send!(
            app,
            TestRequest::get()
                .uri("/scim/v2/Users")
                .insert_header((header::AUTHORIZATION, h.a.token.as_str()))
        );
        assert_eq!(reply.status, 200, "{}: {}", h.label(), reply.body);
        let reply = send!(
            app,
            TestRequest::post()
                .uri("/scim/v2/Users")
                .insert_header((header::AUTHORIZATION, h.a.token.as_str()))
                .insert_header((header::CONTENT_TYPE, "application/scim+json"))
                .set_payload(common::user("header-mode").to_string())
        );
        assert_eq!(reply.status, 201, "{}: {}", h.label(), reply.body);
        // An admin token is a Bearer credential only.
        let admin_app = app_with_admin!(h);
        for (authorization, status) in [(format!("Bearer {admin}"), 200), (admin.clone(), 401)] {
            let (got, body, _) = call!(
                admin_app,
                TestRequest::get()
                    .uri("/admin/v1/org")
                    .insert_header((header::AUTHORIZATION, authorization.as_str()))
            );
            assert_eq!(got, status, "{}: {body}", h.label());
        }
        // Revocation takes effect on the next request.
        h.revoke(&h.a.org_id, &h.a.token_id);
        let reply = send!(app, request(Method::GET, "/scim/v2/Users", &h.a.token));
        reply.assert_error(401, None, "revoked after use");
    }
}

#[actix_web::test]
async fn another_organizations_token_sees_nothing_of_the_first() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let a = h.a.token.as_str();
        let b_tenant = h.tenant("Other");
        let b = b_tenant.token.as_str();
        let user_id = create!(app, a, "Users", user("isolated"));
        let group_id = create!(app, a, "Groups", group("Isolated", &[&user_id]));
        let targets = [
            ("Users", &user_id, user("isolated")),
            ("Groups", &group_id, group("Isolated", &[])),
        ];
        for (endpoint, id, body) in &targets {
            let uri = format!("/scim/v2/{endpoint}/{id}");
            let context = format!("{} {uri}", h.label());
            let reply = send!(app, request(Method::GET, &uri, b));
            reply.assert_error(404, None, &context);
            let reply = send!(app, with_json(Method::PUT, &uri, b, body));
            reply.assert_error(404, None, &context);
            let reply = send!(
                app,
                with_json(
                    Method::PATCH,
                    &uri,
                    b,
                    &patch(json!([{"op": "replace", "path": "externalId", "value": "x"}]))
                )
            );
            reply.assert_error(404, None, &context);
            let reply = send!(app, request(Method::DELETE, &uri, b));
            reply.assert_error(404, None, &context);
            let reply = send!(
                app,
                request(Method::GET, &format!("/scim/v2/{endpoint}"), b)
            );
            assert_eq!(reply.body["totalResults"], 0, "{context}");
            // The same user name is free in the other organization.
            let reply = send!(
                app,
                with_json(Method::POST, &format!("/scim/v2/{endpoint}"), b, body)
            );
            assert_eq!(reply.status, 201, "{context}: {}", reply.body);
        }
        // B cannot add A's user to its group either.
        let b_group = create!(app, b, "Groups", group("B group", &[]));
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Groups/{b_group}"),
                b,
                &patch(json!([{"op": "add", "path": "members", "value": [{"value": user_id}]}]))
            )
        );
        assert_eq!(reply.status, 400, "{}: {}", h.label(), reply.body);
        // A still has everything.
        for (endpoint, id, _) in &targets {
            let reply = send!(
                app,
                request(Method::GET, &format!("/scim/v2/{endpoint}/{id}"), a)
            );
            assert_eq!(reply.status, 200, "{}", h.label());
        }
        let reply = send!(
            app,
            request(
                Method::GET,
                "/scim/v2/Users?filter=userName%20eq%20%22isolated%22",
                a
            )
        );
        assert_eq!(reply.body["totalResults"], 1, "{}", h.label());
    }
}

/// A request that something else is wrong with too, found while it was read, before its
/// token was checked: (what, method, path after the resource's id is put in, content
/// type, body, `If-Match`).
type EarlyFailure = (
    &'static str,
    Method,
    &'static str,
    &'static str,
    String,
    Option<&'static str>,
);

#[actix_web::test]
async fn a_token_that_is_not_valid_is_a_401_whatever_else_is_wrong() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let label = h.label();
        let ann = create!(app, &h.a.token, "Users", user("ann"));
        let eng = create!(app, &h.a.token, "Groups", group("eng", &[]));
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let (_, expired) = h.token(
            &h.a.org_id,
            TokenKind::Scim,
            Some(Utc::now() - Duration::hours(1)),
        );
        let (revoked_id, revoked) = h.token(&h.a.org_id, TokenKind::Scim, None);
        h.revoke(&h.a.org_id, &revoked_id);
        let refused = ["rc_scim_nope_0000".to_owned(), expired, revoked, admin];
        let scim = "application/scim+json";
        let good_user = user("bob").to_string();
        let cases: [(EarlyFailure, u16, Option<&str>); 12] = [
            (
                (
                    "a member named twice",
                    Method::PUT,
                    "/Users/{ann}",
                    scim,
                    "{\"userName\": \"ann\", \"active\": true, \"userName\": \"eve\"}".into(),
                    None,
                ),
                400,
                Some("invalidSyntax"),
            ),
            (
                (
                    "malformed JSON",
                    Method::POST,
                    "/Users",
                    scim,
                    "{\"userName\": ".into(),
                    None,
                ),
                400,
                Some("invalidSyntax"),
            ),
            (
                (
                    "empty body",
                    Method::POST,
                    "/Groups",
                    scim,
                    String::new(),
                    None,
                ),
                400,
                Some("invalidSyntax"),
            ),
            (
                (
                    "media type",
                    Method::POST,
                    "/Users",
                    "text/plain",
                    good_user.clone(),
                    None,
                ),
                415,
                None,
            ),
            (
                (
                    "too large",
                    Method::POST,
                    "/Users",
                    scim,
                    format!("{{\"userName\": \"{}\"}}", "x".repeat(1024 * 1024 + 1)),
                    None,
                ),
                413,
                None,
            ),
            (
                (
                    "bad If-Match",
                    Method::PUT,
                    "/Users/{ann}",
                    scim,
                    good_user.clone(),
                    Some("not a tag"),
                ),
                400,
                Some("invalidValue"),
            ),
            (
                (
                    "malformed PATCH",
                    Method::PATCH,
                    "/Groups/{eng}",
                    scim,
                    "[".into(),
                    None,
                ),
                400,
                Some("invalidSyntax"),
            ),
            (
                (
                    "bad If-Match on DELETE",
                    Method::DELETE,
                    "/Users/{ann}",
                    scim,
                    String::new(),
                    Some("not a tag"),
                ),
                400,
                Some("invalidValue"),
            ),
            (
                (
                    "malformed bulk",
                    Method::POST,
                    "/Bulk",
                    scim,
                    "{".into(),
                    None,
                ),
                400,
                Some("invalidSyntax"),
            ),
            (
                (
                    "malformed search",
                    Method::POST,
                    "/Users/.search",
                    scim,
                    "{".into(),
                    None,
                ),
                400,
                Some("invalidSyntax"),
            ),
            (
                (
                    "bad count",
                    Method::GET,
                    "/Users?count=many",
                    scim,
                    String::new(),
                    None,
                ),
                400,
                Some("invalidValue"),
            ),
            (
                (
                    "bad filter",
                    Method::GET,
                    "/Users?filter=userName%20zz%20%22a%22",
                    scim,
                    String::new(),
                    None,
                ),
                400,
                Some("invalidFilter"),
            ),
        ];
        for ((what, method, path, content_type, body, if_match), status, scim_type) in cases {
            let uri = format!(
                "/scim/v2{}",
                path.replace("{ann}", &ann).replace("{eng}", &eng)
            );
            let send = |token: &str| {
                let mut req = request(method.clone(), &uri, token)
                    .insert_header((header::CONTENT_TYPE, content_type))
                    .set_payload(body.clone());
                if let Some(tag) = if_match {
                    req = req.insert_header((header::IF_MATCH, tag));
                }
                req
            };
            for token in &refused {
                let reply = send!(app, send(token));
                let context = format!("{label} {what}");
                reply.assert_error(401, None, &context);
                assert_eq!(
                    reply.header("www-authenticate"),
                    Some("Bearer"),
                    "{context}"
                );
            }
            // With a valid token, what is wrong is the request.
            let reply = send!(app, send(&h.a.token));
            reply.assert_error(status, scim_type, &format!("{label} {what}"));
        }
        // Nothing was changed.
        let reply = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{ann}"), &h.a.token)
        );
        assert_eq!(reply.status, 200, "{label}");
        let reply = send!(app, request(Method::GET, "/scim/v2/Users", &h.a.token));
        assert_eq!(reply.body["totalResults"], 1, "{label}");
    }
}
