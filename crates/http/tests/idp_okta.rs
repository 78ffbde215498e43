//! Okta's provisioning sequences, request by request, against the real routes on both
//! databases. The bodies are the ones Okta publishes in "SCIM 2.0 protocol reference"
//! ("Okta and SCIM Version 2.0") and checks in its SCIM test suite (Runscope/Postman
//! "Okta SCIM 2.0 Tests"), with Okta's sample values. Every step asserts the status, the
//! body and what was stored (read back with a GET).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use common::{GROUP, Harness, encode, member_values, patch, request, user, with_json};
use rollcall_store::testing::TestDb;
use scim_core::Dialect;
use serde_json::json;

const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// "SCIM 2.0 protocol reference", Create Users: the POST body Okta sends.
fn okta_user() -> serde_json::Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "test.user@okta.local",
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
        "displayName": "Test User",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": true
    })
}

fn user_filter(user_name: &str) -> String {
    format!(
        "/scim/v2/Users?filter={}&startIndex=1&count=100",
        encode(&format!("userName eq \"{user_name}\""))
    )
}

#[actix_web::test]
async fn okta_user_lifecycle_test_connection_match_create_update_deactivate_reactivate() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();

        // Test connection (the Runscope suite's "Test API Credentials" and what Okta sends
        // when provisioning is saved): constant query parameters, 200 ListResponses.
        for uri in [
            "/scim/v2/Users?startIndex=1&count=2",
            "/scim/v2/Groups?startIndex=1&count=100",
        ] {
            let reply = send!(app, request(Method::GET, uri, token));
            assert_eq!(reply.status, 200, "{label} {uri}: {}", reply.body);
            assert_eq!(reply.body["schemas"], json!([LIST]), "{label} {uri}");
            assert_eq!(reply.body["totalResults"], 0, "{label} {uri}");
            assert_eq!(reply.body["startIndex"], 1, "{label} {uri}");
            assert_eq!(reply.body["itemsPerPage"], 0, "{label} {uri}");
        }

        // Match, then create: the userName query finds nothing, so Okta POSTs.
        let reply = send!(
            app,
            request(Method::GET, &user_filter("test.user@okta.local"), token)
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(reply.body["totalResults"], 0, "{label}");
        let created = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", token, &okta_user())
        );
        assert_eq!(created.status, 201, "{label}: {}", created.body);
        let id = created.body["id"].as_str().unwrap().to_owned();
        assert_eq!(created.body["userName"], "test.user@okta.local");
        assert_eq!(created.body["externalId"], "00ujl29u0le5T6Aj10h7");
        assert_eq!(created.body["active"], true);
        assert!(created.body.get("password").is_none(), "{label}: writeOnly");
        assert_eq!(
            created.header("location"),
            Some(format!("http://localhost:8080/scim/v2/Users/{id}").as_str()),
            "{label}"
        );
        let uri = format!("/scim/v2/Users/{id}");

        // The same query now finds the user (Okta links instead of creating twice).
        let reply = send!(
            app,
            request(Method::GET, &user_filter("TEST.USER@okta.local"), token)
        );
        assert_eq!(
            reply.body["totalResults"], 1,
            "{label}: userName is caseExact=false"
        );
        assert_eq!(reply.body["Resources"][0]["id"], id.as_str(), "{label}");
        // A second POST of the same userName is a 409 uniqueness, as Okta expects.
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", token, &okta_user())
        );
        reply.assert_error(409, Some("uniqueness"), &format!("{label} duplicate"));

        // Retrieve a specific user.
        let reply = send!(app, request(Method::GET, &uri, token));
        assert_eq!(reply.status, 200, "{label}");
        assert_eq!(reply.body["name"]["givenName"], "Test", "{label}");

        // Update a specific user (PUT): Okta sends the whole profile back, with `id`.
        let mut put = okta_user();
        put["id"] = json!(id);
        put["name"] = json!({"givenName": "Another", "familyName": "User"});
        put["displayName"] = json!("Another User");
        let reply = send!(app, with_json(Method::PUT, &uri, token, &put));
        assert_eq!(reply.status, 200, "{label} PUT: {}", reply.body);
        assert_eq!(reply.body["name"]["givenName"], "Another", "{label}");
        let stored = send!(app, request(Method::GET, &uri, token));
        assert_eq!(stored.body["displayName"], "Another User", "{label}");
        assert_eq!(stored.body["active"], true, "{label}");

        // Deactivate: a path-less replace with {"active": false}.
        let deactivate = patch(json!([{"op": "replace", "value": {"active": false}}]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &deactivate));
        assert_eq!(reply.status, 200, "{label} deactivate: {}", reply.body);
        assert_eq!(reply.body["active"], false, "{label}");
        let stored = send!(app, request(Method::GET, &uri, token));
        assert_eq!(stored.body["active"], false, "{label}: deactivation stored");
        assert_eq!(
            stored.body["displayName"], "Another User",
            "{label}: nothing else"
        );
        // A deactivated user is still found by the userName query (Okta matches on it).
        let reply = send!(
            app,
            request(Method::GET, &user_filter("test.user@okta.local"), token)
        );
        assert_eq!(reply.body["totalResults"], 1, "{label}");
        assert_eq!(reply.body["Resources"][0]["active"], false, "{label}");

        // Reactivate, then Okta's password sync (also a path-less replace).
        let reactivate = patch(json!([{"op": "replace", "value": {"active": true}}]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &reactivate));
        assert_eq!(reply.status, 200, "{label} reactivate: {}", reply.body);
        assert_eq!(reply.body["active"], true, "{label}");
        let password = patch(json!([{"op": "replace", "value": {"password": "t1meMa$heen"}}]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &password));
        assert_eq!(reply.status, 200, "{label} password: {}", reply.body);
        assert!(reply.body.get("password").is_none(), "{label}");
        let stored = send!(app, request(Method::GET, &uri, token));
        assert_eq!(stored.body["active"], true, "{label}: reactivation stored");

        // Okta never deletes users: the user is still there at the end.
        assert_eq!(stored.status, 200, "{label}");
    }
}

#[actix_web::test]
async fn okta_group_push_create_rename_members_replace_delete() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        let u1 = create!(app, token, "Users", okta_user());
        let u2 = create!(app, token, "Users", user("second.user@okta.local"));

        // Group Push looks the group up by displayName first.
        let lookup = format!(
            "/scim/v2/Groups?filter={}&startIndex=1&count=100",
            encode("displayName eq \"Test SCIMv2\"")
        );
        let reply = send!(app, request(Method::GET, &lookup, token));
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(reply.body["totalResults"], 0, "{label}");

        // Create Groups.
        let body = json!({"schemas": [GROUP], "displayName": "Test SCIMv2", "members": []});
        let created = send!(
            app,
            with_json(Method::POST, "/scim/v2/Groups", token, &body)
        );
        assert_eq!(created.status, 201, "{label}: {}", created.body);
        let gid = created.body["id"].as_str().unwrap().to_owned();
        let uri = format!("/scim/v2/Groups/{gid}");
        let reply = send!(app, request(Method::GET, &lookup, token));
        assert_eq!(reply.body["totalResults"], 1, "{label}");
        assert_eq!(reply.body["Resources"][0]["id"], gid.as_str(), "{label}");

        // Update Group name: a path-less replace whose value repeats the group's id.
        let rename = patch(json!([{
            "op": "replace",
            "value": {"id": gid, "displayName": "Test SCIMv2 renamed"}
        }]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &rename));
        assert_eq!(reply.status, 204, "{label} rename: {}", reply.body);
        let stored = send!(app, request(Method::GET, &uri, token));
        assert_eq!(stored.body["displayName"], "Test SCIMv2 renamed", "{label}");
        assert_eq!(stored.body["id"], gid.as_str(), "{label}");

        // Update Group membership: add with `display` and no `type`, then remove by filter.
        let add = patch(json!([{
            "op": "add",
            "path": "members",
            "value": [
                {"value": u1, "display": "test.user@okta.local"},
                {"value": u2, "display": "second.user@okta.local"}
            ]
        }]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &add));
        assert_eq!(reply.status, 204, "{label} add: {}", reply.body);
        let stored = send!(app, request(Method::GET, &uri, token));
        let mut both = vec![u1.clone(), u2.clone()];
        both.sort();
        assert_eq!(member_values(&stored.body), both, "{label}");
        let remove = patch(json!([{
            "op": "remove",
            "path": format!("members[value eq \"{u1}\"]")
        }]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &remove));
        assert_eq!(reply.status, 204, "{label} remove: {}", reply.body);
        let stored = send!(app, request(Method::GET, &uri, token));
        assert_eq!(
            member_values(&stored.body),
            std::slice::from_ref(&u2),
            "{label}"
        );
        let user = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{u1}"), token)
        );
        assert!(user.body.get("groups").is_none(), "{label}: {}", user.body);

        // Update Group (PUT): the whole group with its members.
        let put = json!({
            "schemas": [GROUP],
            "id": gid,
            "displayName": "Test SCIMv2",
            "members": [{"value": u1, "display": "test.user@okta.local"}]
        });
        let reply = send!(app, with_json(Method::PUT, &uri, token, &put));
        assert_eq!(reply.status, 200, "{label} PUT: {}", reply.body);
        assert_eq!(
            member_values(&reply.body),
            std::slice::from_ref(&u1),
            "{label}"
        );
        let stored = send!(app, request(Method::GET, &uri, token));
        assert_eq!(stored.body["displayName"], "Test SCIMv2", "{label}");
        assert_eq!(
            member_values(&stored.body),
            std::slice::from_ref(&u1),
            "{label}"
        );

        // Delete Group: 204, then 404; the members stay.
        let reply = send!(app, request(Method::DELETE, &uri, token));
        assert_eq!(reply.status, 204, "{label} delete: {}", reply.body);
        let reply = send!(app, request(Method::GET, &uri, token));
        reply.assert_error(404, None, &format!("{label} deleted group"));
        let user = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{u1}"), token)
        );
        assert_eq!(user.status, 200, "{label}");
        assert_eq!(user.body["active"], true, "{label}");
    }
}

#[actix_web::test]
async fn okta_import_walks_every_page() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        let mut created = Vec::new();
        for n in 0..7 {
            created.push(create!(
                app,
                token,
                "Users",
                user(&format!("u{n}@okta.local"))
            ));
        }
        // Okta imports with startIndex/count; any page size must reach every user once.
        for count in [2, 3, 100] {
            let mut seen = walk!(app, token, "Users", count);
            seen.sort();
            let mut expected = created.clone();
            expected.sort();
            assert_eq!(seen, expected, "{label} count={count}");
        }
        // count=0 answers the total and no resources.
        let reply = send!(
            app,
            request(Method::GET, "/scim/v2/Users?startIndex=1&count=0", token)
        );
        assert_eq!(reply.status, 200, "{label}");
        assert_eq!(reply.body["totalResults"], 7, "{label}");
        assert_eq!(reply.body["itemsPerPage"], 0, "{label}");
        // A page past the end is empty, not an error.
        let reply = send!(
            app,
            request(Method::GET, "/scim/v2/Users?startIndex=50&count=10", token)
        );
        assert_eq!(reply.status, 200, "{label}");
        assert_eq!(reply.body["totalResults"], 7, "{label}");
        assert_eq!(reply.body["itemsPerPage"], 0, "{label}");
    }
}

#[actix_web::test]
async fn okta_requests_are_plain_rfc_and_pass_the_strict_dialect() {
    // Okta's forms (path-less replace of attribute names, remove by value filter, lower-case
    // ops, PUT with `id`) are RFC 7644: an org in the strict dialect takes them unchanged.
    for db in TestDb::all() {
        let h = Harness::new(db);
        h.set_dialect(&h.a.org_id, Dialect::Strict);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        let id = create!(app, token, "Users", okta_user());
        let uri = format!("/scim/v2/Users/{id}");
        let deactivate = patch(json!([{"op": "replace", "value": {"active": false}}]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &deactivate));
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        let stored = send!(app, request(Method::GET, &uri, token));
        assert_eq!(stored.body["active"], false, "{label}");
        let gid = create!(
            app,
            token,
            "Groups",
            json!({"schemas": [GROUP], "displayName": "Strict push", "members": [{"value": id}]})
        );
        let remove =
            patch(json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]));
        let guri = format!("/scim/v2/Groups/{gid}");
        let reply = send!(app, with_json(Method::PATCH, &guri, token, &remove));
        assert_eq!(reply.status, 204, "{label}: {}", reply.body);
        let stored = send!(app, request(Method::GET, &guri, token));
        assert!(member_values(&stored.body).is_empty(), "{label}");
    }
}
