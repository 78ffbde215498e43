//! Google Workspace's automated provisioning and other plain RFC 7644 clients, against the
//! real routes on both databases. Google's help pages ("About automated user provisioning",
//! "Automated user provisioning and deprovisioning") describe the events (create, modify,
//! suspend, delete, every few hours) but publish no request bodies, so these are RFC 7644's
//! own forms: lower-case ops with a `path`, JSON booleans, member removal by value filter.
//! They run in the strict dialect, which is what an org provisioned by Google can choose.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use common::{GROUP, Harness, encode, member_values, patch, request, user, with_json};
use rollcall_store::testing::TestDb;
use scim_core::Dialect;
use serde_json::json;

fn google_user(user_name: &str) -> serde_json::Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": "Ann", "familyName": "Example"},
        "emails": [{"value": user_name, "type": "work", "primary": true}],
        "active": true
    })
}

#[actix_web::test]
async fn rfc_client_user_and_group_lifecycle_in_both_dialects() {
    for dialect in [Dialect::Strict, Dialect::Lenient] {
        for db in TestDb::all() {
            let h = Harness::new(db);
            h.set_dialect(&h.a.org_id, dialect);
            let app = app!(h);
            let token = h.a.token.as_str();
            let label = format!("{} {}", h.label(), dialect.as_str());

            // Connection check: a one-item list and the discovery documents.
            for uri in [
                "/scim/v2/Users?count=1",
                "/scim/v2/ServiceProviderConfig",
                "/scim/v2/Schemas",
                "/scim/v2/ResourceTypes",
            ] {
                let reply = send!(app, request(Method::GET, uri, token));
                assert_eq!(reply.status, 200, "{label} {uri}: {}", reply.body);
            }

            // Match on userName, then create.
            let lookup = format!(
                "/scim/v2/Users?filter={}",
                encode("userName eq \"ann@example.com\"")
            );
            let reply = send!(app, request(Method::GET, &lookup, token));
            assert_eq!(reply.body["totalResults"], 0, "{label}");
            let created = send!(
                app,
                with_json(
                    Method::POST,
                    "/scim/v2/Users",
                    token,
                    &google_user("ann@example.com")
                )
            );
            assert_eq!(created.status, 201, "{label}: {}", created.body);
            let id = created.body["id"].as_str().unwrap().to_owned();
            let uri = format!("/scim/v2/Users/{id}");
            let reply = send!(app, request(Method::GET, &lookup, token));
            assert_eq!(reply.body["Resources"][0]["id"], id.as_str(), "{label}");

            // Modify: RFC PATCH with paths, and a PUT of the whole user.
            let body = patch(json!([
                {"op": "replace", "path": "name.familyName", "value": "Renamed"},
                {"op": "add", "path": "title", "value": "Engineer"}
            ]));
            let reply = send!(app, with_json(Method::PATCH, &uri, token, &body));
            assert_eq!(reply.status, 200, "{label}: {}", reply.body);
            let stored = send!(app, request(Method::GET, &uri, token));
            assert_eq!(stored.body["name"]["familyName"], "Renamed", "{label}");
            assert_eq!(stored.body["title"], "Engineer", "{label}");
            let mut put = google_user("ann@example.com");
            put["name"]["givenName"] = json!("Anne");
            let reply = send!(app, with_json(Method::PUT, &uri, token, &put));
            assert_eq!(reply.status, 200, "{label}: {}", reply.body);
            let stored = send!(app, request(Method::GET, &uri, token));
            assert_eq!(stored.body["name"]["givenName"], "Anne", "{label}");
            assert!(stored.body.get("title").is_none(), "{label}: PUT replaces");

            // Suspend and restore: replace `active` with a JSON boolean.
            for active in [false, true] {
                let body = patch(json!([{"op": "replace", "path": "active", "value": active}]));
                let reply = send!(app, with_json(Method::PATCH, &uri, token, &body));
                assert_eq!(reply.status, 200, "{label}: {}", reply.body);
                let stored = send!(app, request(Method::GET, &uri, token));
                assert_eq!(stored.body["active"], active, "{label}");
            }

            // Groups: create with a member, add and remove by value filter, rename, delete.
            let other = create!(app, token, "Users", user("bob@example.com"));
            let gid = create!(
                app,
                token,
                "Groups",
                json!({"schemas": [GROUP], "displayName": "eng", "members": [{"value": id}]})
            );
            let guri = format!("/scim/v2/Groups/{gid}");
            let body = patch(json!([
                {"op": "add", "path": "members", "value": [{"value": other}]},
                {"op": "remove", "path": format!("members[value eq \"{id}\"]")},
                {"op": "replace", "path": "displayName", "value": "engineering"}
            ]));
            let reply = send!(app, with_json(Method::PATCH, &guri, token, &body));
            assert_eq!(reply.status, 204, "{label}: {}", reply.body);
            let stored = send!(app, request(Method::GET, &guri, token));
            assert_eq!(
                member_values(&stored.body),
                std::slice::from_ref(&other),
                "{label}"
            );
            assert_eq!(stored.body["displayName"], "engineering", "{label}");
            let reply = send!(app, request(Method::DELETE, &guri, token));
            assert_eq!(reply.status, 204, "{label}");
            let reply = send!(app, request(Method::GET, &guri, token));
            reply.assert_error(404, None, &label);

            // Delete the user: 204, then 404; a second DELETE is a 404 too.
            let reply = send!(app, request(Method::DELETE, &uri, token));
            assert_eq!(reply.status, 204, "{label}");
            for method in [Method::GET, Method::DELETE] {
                let reply = send!(app, request(method, &uri, token));
                reply.assert_error(404, None, &label);
            }

            // A full walk with startIndex/count sees the one remaining user.
            let seen = walk!(app, token, "Users", 1);
            assert_eq!(seen, std::slice::from_ref(&other), "{label}");
        }
    }
}
