//! Routing, content negotiation, body limits and discovery, on every test database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use actix_web::http::header;
use actix_web::test::TestRequest;
use common::{Harness, MAX_BODY, request, user, with_json};
use rollcall_store::testing::TestDb;
use serde_json::json;

#[actix_web::test]
async fn unknown_routes_are_scim_404s_and_wrong_methods_scim_405s() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let not_found = [
            (Method::GET, "/scim/v2/Nope"),
            (Method::GET, "/scim/v2/Users/a/b"),
            (Method::POST, "/scim/v2/"),
            (Method::GET, "/elsewhere"),
            (Method::GET, "/scim/v2/Schemas/urn:nope"),
            (Method::GET, "/scim/v2/ResourceTypes/Nope"),
        ];
        for (method, uri) in not_found {
            let reply = send!(app, request(method.clone(), uri, token));
            reply.assert_error(404, None, &format!("{} {method} {uri}", h.label()));
        }
        let not_allowed = [
            (Method::DELETE, "/scim/v2/Users", "GET, HEAD, POST"),
            (Method::PUT, "/scim/v2/Groups", "GET, HEAD, POST"),
            (
                Method::POST,
                "/scim/v2/Users/some-id",
                "GET, HEAD, PUT, PATCH, DELETE",
            ),
            (Method::POST, "/scim/v2/ServiceProviderConfig", "GET, HEAD"),
            (Method::PUT, "/scim/v2/ResourceTypes", "GET, HEAD"),
            (Method::PATCH, "/scim/v2/Schemas", "GET, HEAD"),
            (
                Method::DELETE,
                "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
                "GET, HEAD",
            ),
            (Method::GET, "/scim/v2/Users/.search", "POST"),
            (Method::GET, "/scim/v2/Bulk", "POST"),
        ];
        for (method, uri, allow) in not_allowed {
            let reply = send!(app, request(method.clone(), uri, token));
            let context = format!("{} {method} {uri}", h.label());
            reply.assert_error(405, None, &context);
            assert_eq!(reply.header("allow"), Some(allow), "{context}");
        }
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Me", token, &json!({}))
        );
        reply.assert_error(501, None, "/Me");
        // HEAD is answered wherever GET is, with GET's status and headers.
        let created = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", token, &user("head"))
        );
        assert_eq!(created.status, 201, "{}", created.body);
        let id = created.body["id"].as_str().unwrap();
        for uri in [
            format!("/scim/v2/Users/{id}"),
            "/scim/v2/Users?count=1".to_owned(),
            "/scim/v2/Groups".to_owned(),
            "/scim/v2/ServiceProviderConfig".to_owned(),
            "/scim/v2/Schemas".to_owned(),
        ] {
            let get = send!(app, request(Method::GET, &uri, token));
            let head = send!(app, request(Method::HEAD, &uri, token));
            assert_eq!((head.status, get.status), (200, 200), "HEAD {uri}");
            assert_eq!(head.header("etag"), get.header("etag"), "HEAD {uri}");
            assert_eq!(
                head.header("content-type"),
                get.header("content-type"),
                "HEAD {uri}"
            );
        }
        let reply = send!(app, request(Method::HEAD, "/scim/v2/Users/nobody", token));
        assert_eq!(reply.status, 404);
        let reply = send!(
            app,
            request(Method::HEAD, "/scim/v2/Users", "rc_scim_unknown_0")
        );
        assert_eq!(reply.status, 401);

        // Without a valid token /Me says only that one is needed.
        for method in [
            Method::GET,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::POST,
        ] {
            let context = format!("{} {method} /Me", h.label());
            let reply = send!(
                app,
                with_json(
                    method.clone(),
                    "/scim/v2/Me",
                    "rc_scim_unknown_0",
                    &json!({})
                )
            );
            reply.assert_error(401, None, &context);
            assert_eq!(
                reply.header("www-authenticate"),
                Some("Bearer"),
                "{context}"
            );
        }
    }
}

/// (name, Content-Type, body, status, scimType)
type Case<'a> = (&'a str, Option<&'a str>, String, u16, Option<&'a str>);

#[actix_web::test]
async fn bodies_need_a_json_media_type_a_size_within_the_limit_and_valid_json() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let body = user("media").to_string();
        let cases: [Case<'_>; 9] = [
            ("plain text", Some("text/plain"), body.clone(), 415, None),
            ("xml", Some("application/xml"), body.clone(), 415, None),
            (
                "latin-1",
                Some("application/json; charset=iso-8859-1"),
                body.clone(),
                415,
                None,
            ),
            (
                "malformed",
                Some("application/scim+json"),
                "{\"userName\": ".into(),
                400,
                Some("invalidSyntax"),
            ),
            (
                "empty",
                Some("application/scim+json"),
                String::new(),
                400,
                Some("invalidSyntax"),
            ),
            (
                "not an object",
                Some("application/json"),
                "[1,2]".into(),
                400,
                Some("invalidSyntax"),
            ),
            (
                "too large",
                Some("application/scim+json"),
                format!("{{\"userName\": \"{}\"}}", "x".repeat(MAX_BODY)),
                413,
                None,
            ),
            (
                "json with charset",
                Some("application/json; charset=utf-8"),
                body.clone(),
                201,
                None,
            ),
            ("no content type", None, user("bare").to_string(), 201, None),
        ];
        for (name, content_type, payload, status, scim_type) in cases {
            let mut req = request(Method::POST, "/scim/v2/Users", token).set_payload(payload);
            if let Some(content_type) = content_type {
                req = req.insert_header((header::CONTENT_TYPE, content_type));
            }
            let reply = send!(app, req);
            let context = format!("{} {name}", h.label());
            if status == 201 {
                assert_eq!(reply.status, 201, "{context}: {}", reply.body);
            } else {
                reply.assert_error(status, scim_type, &context);
            }
        }
        // PATCH and PUT use the same extractor.
        let reply = send!(
            app,
            request(Method::PATCH, "/scim/v2/Users/x", token)
                .insert_header((header::CONTENT_TYPE, "text/plain"))
                .set_payload("hello")
        );
        reply.assert_error(415, None, "patch text/plain");
    }
}

#[actix_web::test]
async fn discovery_documents_have_absolute_locations_and_need_no_token() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let get = |uri: &str| {
            TestRequest::get()
                .uri(uri)
                .insert_header((header::HOST, "scim.example:8443"))
        };
        let reply = send!(app, get("/scim/v2/ServiceProviderConfig"));
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.body["meta"]["location"],
            "http://scim.example:8443/scim/v2/ServiceProviderConfig"
        );
        assert_eq!(reply.body["patch"]["supported"], true);
        assert_eq!(reply.body["bulk"]["supported"], true);
        assert_eq!(
            reply.body["bulk"]["maxOperations"],
            common::MAX_BULK_OPERATIONS
        );
        assert_eq!(
            reply.body["bulk"]["maxPayloadSize"],
            common::MAX_BULK_PAYLOAD
        );
        assert_eq!(reply.body["etag"]["supported"], true);
        assert_eq!(reply.body["filter"]["maxResults"], 1000);

        let reply = send!(app, get("/scim/v2/ResourceTypes"));
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body["totalResults"], 2);
        let ids: Vec<&str> = reply.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|rt| rt["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["User", "Group"]);
        let reply = send!(app, get("/scim/v2/ResourceTypes/User"));
        assert_eq!(
            reply.body["meta"]["location"],
            "http://scim.example:8443/scim/v2/ResourceTypes/User"
        );

        let reply = send!(app, get("/scim/v2/Schemas"));
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body["totalResults"], 3);
        let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let reply = send!(app, get(&format!("/scim/v2/Schemas/{urn}")));
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body["id"], urn);
        assert_eq!(
            reply.body["meta"]["location"],
            format!("http://scim.example:8443/scim/v2/Schemas/{urn}")
        );

        // A filter is refused (RFC 7644 §4), so no client takes every document for a match.
        for uri in [
            "/scim/v2/ServiceProviderConfig?filter=x",
            "/scim/v2/ResourceTypes?filter=id%20eq%20%22User%22",
            "/scim/v2/ResourceTypes/User?FILTER=x",
            "/scim/v2/Schemas?count=1&filter=id%20eq%20%22x%22",
            &format!("/scim/v2/Schemas/{urn}?filter=x"),
        ] {
            let reply = send!(app, get(uri));
            reply.assert_error(403, None, uri);
        }
    }
}
