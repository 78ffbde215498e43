//! Identity-provider dialects through HTTP: Entra ID's forms are accepted in the lenient
//! dialect (the default) and refused, naming the rule, in the strict one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use common::{Harness, group, patch, request, user, with_json};
use rollcall_store::testing::TestDb;
use scim_core::Dialect;
use serde_json::{Value, json};

/// (name, resource, PATCH operations) of Entra ID forms.
fn entra_forms(member: &str) -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "capitalised op",
            "Users",
            json!([{"op": "Replace", "path": "displayName", "value": "X"}]),
        ),
        (
            "boolean as string",
            "Users",
            json!([{"op": "replace", "path": "active", "value": "False"}]),
        ),
        (
            "path keys in value",
            "Users",
            json!([{"op": "replace", "value": {"name.givenName": "Ann"}}]),
        ),
        (
            "remove members by value",
            "Groups",
            json!([{"op": "remove", "path": "members", "value": [{"value": member}]}]),
        ),
    ]
}

#[actix_web::test]
async fn entra_forms_are_accepted_when_lenient_and_refused_when_strict() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        let u1 = create!(app, token, "Users", user("e1"));
        let u2 = create!(app, token, "Users", user("e2"));
        let g = create!(app, token, "Groups", group("Entra", &[&u1, &u2]));

        // Strict first: every form is a 400 and nothing changes.
        h.set_dialect(&h.a.org_id, Dialect::Strict);
        for (name, endpoint, operations) in entra_forms(&u1) {
            let id = if endpoint == "Users" { &u1 } else { &g };
            let reply = send!(
                app,
                with_json(
                    Method::PATCH,
                    &format!("/scim/v2/{endpoint}/{id}"),
                    token,
                    &patch(operations)
                )
            );
            assert_eq!(reply.status, 400, "{label} strict {name}: {}", reply.body);
            assert!(
                reply.body["detail"].as_str().unwrap().contains("RFC"),
                "{label} {name}: {}",
                reply.body
            );
        }
        let reply = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Groups/{g}"), token)
        );
        assert_eq!(
            reply.body["members"].as_array().unwrap().len(),
            2,
            "{label}"
        );
        let mut strict_post = user("strict");
        strict_post["active"] = json!("True");
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", token, &strict_post)
        );
        reply.assert_error(400, Some("invalidValue"), &format!("{label} strict POST"));
        let entra_group = json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:Group",
                "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
            ],
            "displayName": "Entra URI"
        });
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Groups", token, &entra_group)
        );
        assert_eq!(
            reply.status, 400,
            "{label} strict Entra group URI: {}",
            reply.body
        );

        // Lenient: every form applies; Entra's group PATCH answers 204.
        h.set_dialect(&h.a.org_id, Dialect::Lenient);
        for (name, endpoint, operations) in entra_forms(&u1) {
            let id = if endpoint == "Users" { &u1 } else { &g };
            let reply = send!(
                app,
                with_json(
                    Method::PATCH,
                    &format!("/scim/v2/{endpoint}/{id}"),
                    token,
                    &patch(operations)
                )
            );
            let expected = if endpoint == "Groups" { 204 } else { 200 };
            assert_eq!(
                reply.status, expected,
                "{label} lenient {name}: {}",
                reply.body
            );
        }
        let reply = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{u1}"), token)
        );
        assert_eq!(reply.body["active"], false, "{label}");
        assert_eq!(reply.body["displayName"], "X", "{label}");
        assert_eq!(reply.body["name"]["givenName"], "Ann", "{label}");
        // Remove with a value array removed only that member.
        let reply = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Groups/{g}"), token)
        );
        let members: Vec<&str> = reply.body["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap())
            .collect();
        assert_eq!(members, [u2.as_str()], "{label}");

        // Entra's POST: meta, roles: [] and explicit nulls are accepted.
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "entra@example.com",
            "active": "True",
            "meta": {"resourceType": "User"},
            "roles": [],
            "title": null,
            "externalId": "0a1b"
        });
        let reply = send!(app, with_json(Method::POST, "/scim/v2/Users", token, &body));
        assert_eq!(reply.status, 201, "{label}: {}", reply.body);
        assert_eq!(reply.body["active"], true);
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Groups", token, &entra_group)
        );
        assert_eq!(
            reply.status, 201,
            "{label} lenient Entra group URI: {}",
            reply.body
        );
    }
}

/// The counters that moved between two `deviation_counts()` snapshots, by name.
fn moved(before: &[(&'static str, u64)], after: &[(&'static str, u64)]) -> Vec<(String, u64)> {
    assert_eq!(before.len(), after.len());
    before
        .iter()
        .zip(after)
        .filter(|(b, a)| a.1 != b.1)
        .map(|(b, a)| {
            assert_eq!(a.0, b.0);
            (a.0.to_owned(), a.1 - b.1)
        })
        .collect()
}

#[actix_web::test]
async fn tolerated_deviations_are_counted_by_name_and_strict_counts_nothing() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        let u = create!(app, token, "Users", user("counted"));
        let g = create!(app, token, "Groups", group("Counted", &[&u]));
        let start = h.state.deviation_counts();
        assert!(start.iter().all(|(_, n)| *n == 0), "{label}: {start:?}");
        let entra_deactivate =
            patch(json!([{"op": "Replace", "path": "active", "value": "False"}]));
        let uri = format!("/scim/v2/Users/{u}");

        // Strict: a 400, nothing applied, nothing counted.
        h.set_dialect(&h.a.org_id, Dialect::Strict);
        let reply = send!(
            app,
            with_json(Method::PATCH, &uri, token, &entra_deactivate)
        );
        reply.assert_error(400, Some("invalidSyntax"), &format!("{label} strict"));
        assert_eq!(h.state.deviation_counts(), start, "{label} strict");
        let reply = send!(app, request(Method::GET, &uri, token));
        assert_eq!(reply.body["active"], true, "{label}");

        // Lenient: applied, and exactly those two counters moved, by one each.
        h.set_dialect(&h.a.org_id, Dialect::Lenient);
        let reply = send!(
            app,
            with_json(Method::PATCH, &uri, token, &entra_deactivate)
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(reply.body["active"], false, "{label}");
        let after_user = h.state.deviation_counts();
        assert_eq!(
            moved(&start, &after_user),
            [
                ("capitalized_operation".to_owned(), 1),
                ("boolean_as_string".to_owned(), 1)
            ],
            "{label}"
        );

        // Every other write that validates with the dialect counts too: group PATCH
        // (two capitalised ops, one Remove by value), POST and PUT.
        let operations = json!([
            {"op": "Remove", "path": "members", "value": [{"value": u}]},
            {"op": "Add", "path": "members", "value": [{"value": u}]}
        ]);
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Groups/{g}"),
                token,
                &patch(operations)
            )
        );
        assert_eq!(reply.status, 204, "{label}: {}", reply.body);
        let after_group = h.state.deviation_counts();
        assert_eq!(
            moved(&after_user, &after_group),
            [
                ("capitalized_operation".to_owned(), 2),
                ("remove_members_by_value".to_owned(), 1)
            ],
            "{label}"
        );
        let mut body = user("posted");
        body["active"] = json!("True");
        let posted = create!(app, token, "Users", body.clone());
        body["active"] = json!("False");
        let reply = send!(
            app,
            with_json(
                Method::PUT,
                &format!("/scim/v2/Users/{posted}"),
                token,
                &body
            )
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(
            moved(&after_group, &h.state.deviation_counts()),
            [("boolean_as_string".to_owned(), 2)],
            "{label} POST and PUT"
        );

        // A failed lenient request counts nothing: the PATCH names a missing member.
        let before = h.state.deviation_counts();
        let operations = json!([{"op": "Add", "path": "members", "value": [{"value": "missing"}]}]);
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Groups/{g}"),
                token,
                &patch(operations)
            )
        );
        assert_eq!(reply.status, 400, "{label}: {}", reply.body);
        assert_eq!(h.state.deviation_counts(), before, "{label} failed request");
    }
}

#[actix_web::test]
async fn the_dialects_remaining_edges() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        let u = create!(app, token, "Users", user("edges"));
        let uri = format!("/scim/v2/Users/{u}");
        // A replace whose value filter matches nothing has no target in both dialects
        // (RFC 7644 §3.5.2.3); only `add` creates the element the filter pins down.
        let replace = patch(json!([
            {"op": "replace", "path": "emails[type eq \"other\"].value", "value": "x@y.z"}
        ]));
        let add = patch(json!([
            {"op": "add", "path": "emails[type eq \"other\"].value", "value": "x@y.z"}
        ]));
        for dialect in [Dialect::Lenient, Dialect::Strict] {
            h.set_dialect(&h.a.org_id, dialect);
            let reply = send!(app, with_json(Method::PATCH, &uri, token, &replace));
            reply.assert_error(
                400,
                Some("noTarget"),
                &format!("{label} {dialect:?} replace"),
            );
        }
        h.set_dialect(&h.a.org_id, Dialect::Lenient);
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &add));
        assert_eq!(reply.status, 200, "{label} lenient add: {}", reply.body);

        // A Bulk method in lower case: counted when lenient, the whole request a 400 when
        // strict (nothing applied).
        let bulk = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [{"method": "post", "path": "/Users", "bulkId": "b1",
                            "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                     "userName": "bulk-lower"}}]
        });
        h.set_dialect(&h.a.org_id, Dialect::Strict);
        let before = h.state.deviation_counts();
        let reply = send!(app, with_json(Method::POST, "/scim/v2/Bulk", token, &bulk));
        reply.assert_error(400, Some("invalidValue"), &format!("{label} strict bulk"));
        assert!(
            reply.body["detail"].as_str().unwrap().contains("§3.7"),
            "{label}"
        );
        assert_eq!(h.state.deviation_counts(), before, "{label}");
        h.set_dialect(&h.a.org_id, Dialect::Lenient);
        let reply = send!(app, with_json(Method::POST, "/scim/v2/Bulk", token, &bulk));
        assert_eq!(reply.status, 200, "{label} lenient bulk: {}", reply.body);
        assert_eq!(reply.body["Operations"][0]["status"], "201", "{label}");
        assert_eq!(
            moved(&before, &h.state.deviation_counts()),
            vec![("bulk_method_case".to_owned(), 1)],
            "{label}"
        );

        // A Bulk path's endpoint in another case is the router's deviation too: the
        // strict dialect refuses the whole request, the lenient one serves and counts it.
        // A trailing slash is no deviation.
        let bulk = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [
                {"method": "POST", "path": "/users", "bulkId": "b1",
                 "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                          "userName": "bulk-endpoint-case"}},
                {"method": "POST", "path": "/Users/", "bulkId": "b2",
                 "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                          "userName": "bulk-trailing-slash"}}
            ]
        });
        h.set_dialect(&h.a.org_id, Dialect::Strict);
        let before = h.state.deviation_counts();
        let reply = send!(app, with_json(Method::POST, "/scim/v2/Bulk", token, &bulk));
        reply.assert_error(
            400,
            Some("invalidPath"),
            &format!("{label} strict bulk path"),
        );
        assert!(
            reply.body["detail"]
                .as_str()
                .unwrap()
                .contains("Operations[0].path"),
            "{label}: {}",
            reply.body
        );
        assert_eq!(h.state.deviation_counts(), before, "{label}");
        let found = send!(
            app,
            request(
                Method::GET,
                "/scim/v2/Users?filter=userName%20eq%20%22bulk-endpoint-case%22%20or%20userName%20eq%20%22bulk-trailing-slash%22",
                token
            )
        );
        assert_eq!(found.body["totalResults"], 0, "{label}: nothing applied");
        h.set_dialect(&h.a.org_id, Dialect::Lenient);
        let reply = send!(app, with_json(Method::POST, "/scim/v2/Bulk", token, &bulk));
        assert_eq!(
            reply.status, 200,
            "{label} lenient bulk path: {}",
            reply.body
        );
        assert_eq!(reply.body["Operations"][0]["status"], "201", "{label}");
        assert_eq!(reply.body["Operations"][1]["status"], "201", "{label}");
        assert!(
            reply.body["Operations"][0]["location"]
                .as_str()
                .unwrap()
                .contains("/scim/v2/Users/"),
            "{label}: {}",
            reply.body
        );
        assert_eq!(
            moved(&before, &h.state.deviation_counts()),
            vec![("endpoint_case".to_owned(), 1)],
            "{label}"
        );
    }
}
