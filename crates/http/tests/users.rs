//! `/Users`: create, read, replace, patch, delete, projection, uniqueness and
//! preconditions, on every test database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use actix_web::http::header;
use common::{Harness, USER, patch, request, user, with_json};
use rollcall_store::testing::TestDb;
use serde_json::json;

#[actix_web::test]
async fn a_user_lives_through_create_read_replace_patch_and_delete() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();

        // POST: 201, Location, ETag, meta.location and meta.version.
        let created = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", token, &user("ann"))
        );
        assert_eq!(created.status, 201, "{label}: {}", created.body);
        let id = created.body["id"].as_str().unwrap().to_owned();
        let location = format!("http://localhost:8080/scim/v2/Users/{id}");
        assert_eq!(
            created.header("location"),
            Some(location.as_str()),
            "{label}"
        );
        assert_eq!(created.body["meta"]["location"], location, "{label}");
        assert_eq!(created.body["meta"]["resourceType"], "User", "{label}");
        let etag = created.header("etag").unwrap().to_owned();
        assert!(etag.starts_with("W/\""), "{label}: {etag}");
        assert_eq!(created.body["meta"]["version"], etag, "{label}");
        assert_eq!(created.body["userName"], "ann", "{label}");
        assert!(created.body.get("password").is_none());

        // GET by id.
        let uri = format!("/scim/v2/Users/{id}");
        let read = send!(app, request(Method::GET, &uri, token));
        assert_eq!(read.status, 200, "{label}");
        assert_eq!(read.header("etag"), Some(etag.as_str()), "{label}");
        assert_eq!(
            read.body["emails"][0]["value"], "ann@example.com",
            "{label}"
        );

        // If-None-Match with the current tag: 304 without a body; a stale one: 200.
        let not_modified = send!(
            app,
            request(Method::GET, &uri, token).insert_header((header::IF_NONE_MATCH, etag.as_str()))
        );
        assert_eq!(not_modified.status, 304, "{label}");
        assert!(not_modified.body.is_null());
        let modified = send!(
            app,
            request(Method::GET, &uri, token).insert_header((header::IF_NONE_MATCH, "W/\"999\""))
        );
        assert_eq!(modified.status, 200, "{label}");

        // PUT: 200, new version; stale If-Match: 412; current If-Match: 200.
        let mut replacement = user("ann");
        replacement["displayName"] = json!("Ann Example");
        let replaced = send!(
            app,
            with_json(Method::PUT, &uri, token, &replacement)
                .insert_header((header::IF_MATCH, etag.as_str()))
        );
        assert_eq!(replaced.status, 200, "{label}: {}", replaced.body);
        assert_eq!(replaced.body["displayName"], "Ann Example", "{label}");
        let etag2 = replaced.header("etag").unwrap().to_owned();
        assert_ne!(etag, etag2, "{label}");
        let stale = send!(
            app,
            with_json(Method::PUT, &uri, token, &replacement)
                .insert_header((header::IF_MATCH, etag.as_str()))
        );
        stale.assert_error(412, None, &format!("{label} stale PUT"));
        let bad = send!(
            app,
            with_json(Method::PUT, &uri, token, &replacement)
                .insert_header((header::IF_MATCH, "\"unterminated"))
        );
        bad.assert_error(
            400,
            Some("invalidValue"),
            &format!("{label} unparsable If-Match"),
        );

        // If-Match with a list naming the current version, or `*`, passes.
        for if_match in [format!("W/\"999\", {etag2}"), "*".to_owned()] {
            let reply = send!(
                app,
                with_json(Method::PUT, &uri, token, &replacement)
                    .insert_header((header::IF_MATCH, if_match.as_str()))
            );
            assert_eq!(
                reply.status, 200,
                "{label} If-Match {if_match}: {}",
                reply.body
            );
            assert_eq!(
                reply.header("etag"),
                Some(etag2.as_str()),
                "{label}: an unchanged PUT keeps the version"
            );
        }

        // PATCH: Okta's deactivation, path-less replace.
        let deactivate = patch(json!([{"op": "replace", "value": {"active": false}}]));
        let patched = send!(app, with_json(Method::PATCH, &uri, token, &deactivate));
        assert_eq!(patched.status, 200, "{label}: {}", patched.body);
        assert_eq!(patched.body["active"], false, "{label}");
        let etag3 = patched.header("etag").unwrap().to_owned();
        assert_ne!(etag2, etag3, "{label}");
        // The same PATCH again changes nothing: same version.
        let again = send!(app, with_json(Method::PATCH, &uri, token, &deactivate));
        assert_eq!(again.status, 200, "{label}");
        assert_eq!(
            again.header("etag"),
            Some(etag3.as_str()),
            "{label}: a no-op PATCH keeps the version"
        );
        // Stale If-Match on PATCH.
        let stale = send!(
            app,
            with_json(Method::PATCH, &uri, token, &deactivate)
                .insert_header((header::IF_MATCH, etag.as_str()))
        );
        stale.assert_error(412, None, &format!("{label} stale PATCH"));
        // A PATCH that fails validation.
        let invalid = send!(
            app,
            with_json(
                Method::PATCH,
                &uri,
                token,
                &patch(json!([{"op": "replace", "path": "active", "value": "maybe"}]))
            )
        );
        assert_eq!(invalid.status, 400, "{label}: {}", invalid.body);

        // DELETE with a stale If-Match: 412; then 204 and 404 after.
        let stale = send!(
            app,
            request(Method::DELETE, &uri, token).insert_header((header::IF_MATCH, etag.as_str()))
        );
        stale.assert_error(412, None, &format!("{label} stale DELETE"));
        let deleted = send!(
            app,
            request(Method::DELETE, &uri, token).insert_header((header::IF_MATCH, etag3.as_str()))
        );
        assert_eq!(deleted.status, 204, "{label}: {}", deleted.body);
        for method in [Method::GET, Method::DELETE] {
            let gone = send!(app, request(method, &uri, token));
            gone.assert_error(404, None, &format!("{label} after delete"));
        }
        // The user name is free again.
        let again = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", token, &user("ann"))
        );
        assert_eq!(again.status, 201, "{label}: {}", again.body);
    }
}

#[actix_web::test]
async fn user_names_are_unique_per_organization_case_insensitively() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let _ = create!(app, token, "Users", user("Bob.Smith"));
        for name in ["Bob.Smith", "bob.smith", "BOB.SMITH"] {
            let reply = send!(
                app,
                with_json(Method::POST, "/scim/v2/Users", token, &user(name))
            );
            reply.assert_error(409, Some("uniqueness"), &format!("{} {name}", h.label()));
        }
        // Renaming another user onto the taken name is a 409 too.
        let other = create!(app, token, "Users", user("carol"));
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Users/{other}"),
                token,
                &patch(json!([{"op": "replace", "path": "userName", "value": "BOB.smith"}]))
            )
        );
        reply.assert_error(409, Some("uniqueness"), &h.label());
    }
}

#[actix_web::test]
async fn attributes_and_excluded_attributes_project_reads_and_writes() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let created = send!(
            app,
            with_json(
                Method::POST,
                "/scim/v2/Users?attributes=userName",
                token,
                &user("projected")
            )
        );
        assert_eq!(created.status, 201, "{}", created.body);
        let keys = |body: &serde_json::Value| {
            let mut keys: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(
            keys(&created.body),
            ["id", "schemas", "userName"],
            "{}",
            h.label()
        );
        let id = created.body["id"].as_str().unwrap();
        let cases = [
            ("attributes=name.givenName", vec!["id", "name", "schemas"]),
            (
                "attributes=emails,active",
                vec!["active", "emails", "id", "schemas"],
            ),
            (
                "excludedAttributes=emails,name,meta,groups",
                vec!["active", "id", "schemas", "userName"],
            ),
        ];
        for (query, expected) in cases {
            let reply = send!(
                app,
                request(Method::GET, &format!("/scim/v2/Users/{id}?{query}"), token)
            );
            assert_eq!(reply.status, 200, "{query}");
            assert_eq!(keys(&reply.body), expected, "{} {query}", h.label());
        }
        let reply = send!(
            app,
            request(
                Method::GET,
                &format!("/scim/v2/Users/{id}?attributes=name.givenName"),
                token
            )
        );
        assert_eq!(reply.body["name"], json!({"givenName": "Given"}));
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Users/{id}?excludedAttributes=emails"),
                token,
                &patch(json!([{"op": "add", "path": "title", "value": "Boss"}]))
            )
        );
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body["title"], "Boss");
        assert!(reply.body.get("emails").is_none());
        assert_eq!(reply.body["schemas"][0], USER);
    }
}

#[actix_web::test]
async fn concurrent_patches_of_one_user_lose_no_update() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let id = create!(
            app,
            token,
            "Users",
            json!({"schemas": [USER], "userName": "racer"})
        );
        let uri = format!("/scim/v2/Users/{id}");
        let add = |n: u32| {
            with_json(
                Method::PATCH,
                &uri,
                token,
                &patch(
                    json!([{"op": "add", "path": "emails", "value": [{"value": format!("r{n}@example.com")}]}]),
                ),
            )
        };
        let (a, b, c, d) = tokio::join!(
            async { send!(app, add(1)) },
            async { send!(app, add(2)) },
            async { send!(app, add(3)) },
            async { send!(app, add(4)) },
        );
        for reply in [a, b, c, d] {
            assert_eq!(reply.status, 200, "{}: {}", h.label(), reply.body);
        }
        let reply = send!(app, request(Method::GET, &uri, token));
        let mut emails: Vec<&str> = reply.body["emails"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["value"].as_str().unwrap())
            .collect();
        emails.sort_unstable();
        assert_eq!(
            emails,
            [
                "r1@example.com",
                "r2@example.com",
                "r3@example.com",
                "r4@example.com"
            ],
            "{}",
            h.label()
        );
    }
}
