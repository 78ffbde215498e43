//! `POST /Bulk` (RFC 7644 §3.7) on both databases: bulkId references, reordering, circular
//! references, failOnErrors, per-operation failures, limits and malformed requests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use common::{
    GROUP, Harness, MAX_BULK_OPERATIONS, MAX_BULK_PAYLOAD, PATCH_OP, USER, request, user, with_json,
};
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

fn bulk_body(operations: Value) -> Value {
    json!({"schemas": [BULK_REQUEST], "Operations": operations})
}

fn post_user(bulk_id: &str, user_name: &str) -> Value {
    json!({"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": user(user_name)})
}

fn post_group(bulk_id: &str, name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    json!({"method": "POST", "path": "/Groups", "bulkId": bulk_id,
           "data": {"schemas": [GROUP], "displayName": name, "members": members}})
}

/// The `status` of each reported operation.
fn statuses(body: &Value) -> Vec<String> {
    body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["status"].as_str().unwrap().to_owned())
        .collect()
}

/// The id at the end of an operation's `location`.
fn id_of(op: &Value) -> String {
    op["location"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

macro_rules! bulk {
    ($app:expr, $token:expr, $body:expr) => {{
        let reply = send!(
            $app,
            with_json(Method::POST, "/scim/v2/Bulk", $token, &$body)
        );
        reply
    }};
}

/// How many users have this userName (0 or 1).
macro_rules! user_count {
    ($app:expr, $token:expr, $name:expr) => {{
        let uri = format!("/scim/v2/Users?filter=userName%20eq%20%22{}%22", $name);
        let reply = send!($app, request(Method::GET, &uri, $token));
        reply.body["totalResults"].as_u64().unwrap()
    }};
}

#[actix_web::test]
async fn rfc_example_a_user_created_and_added_to_a_group_in_one_request() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        // RFC 7644 §3.7.2, with the group given first: the server runs the user first.
        let body = bulk_body(json!([
            post_group("ytrewq", "Tour Guides", &["bulkId:qwerty"]),
            post_user("qwerty", "Alice"),
        ]));
        let reply = bulk!(app, token, body);
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(reply.body["schemas"], json!([BULK_RESPONSE]), "{label}");
        assert_eq!(
            statuses(&reply.body),
            ["201", "201"],
            "{label}: {}",
            reply.body
        );
        let ops = reply.body["Operations"].as_array().unwrap();
        assert_eq!(ops[0]["method"], "POST");
        assert_eq!(ops[0]["bulkId"], "ytrewq");
        assert_eq!(ops[1]["bulkId"], "qwerty");
        assert_eq!(ops[1]["version"], "W/\"1\"", "{label}");
        let group_location = ops[0]["location"].as_str().unwrap();
        assert!(
            group_location.starts_with("http://localhost:8080/scim/v2/Groups/"),
            "{label}: {group_location}"
        );
        let (group_id, user_id) = (id_of(&ops[0]), id_of(&ops[1]));

        let group = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Groups/{group_id}"), token)
        );
        assert_eq!(
            group.body["members"][0]["value"],
            user_id.as_str(),
            "{label}"
        );
        let alice = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{user_id}"), token)
        );
        assert_eq!(
            alice.body["groups"][0]["value"],
            group_id.as_str(),
            "{label}"
        );

        // References in a path, and in an extension (the RFC's manager example).
        let body = bulk_body(json!([
            post_user("bob", "Bob"),
            {"method": "PATCH", "path": "/Users/bulkId:bob", "data": {
                "schemas": [PATCH_OP],
                "Operations": [{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": {"value": "bulkId:bob"}}]
            }},
            {"method": "PATCH", "path": format!("/Groups/{group_id}"), "data": {
                "schemas": [PATCH_OP],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": "bulkId:bob"}]}]
            }},
        ]));
        let reply = bulk!(app, token, body);
        assert_eq!(
            statuses(&reply.body),
            ["201", "200", "200"],
            "{label}: {}",
            reply.body
        );
        let bob_id = id_of(&reply.body["Operations"][0]);
        assert_eq!(id_of(&reply.body["Operations"][1]), bob_id, "{label}");
        let bob = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{bob_id}"), token)
        );
        assert_eq!(
            bob.body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"],
            bob_id.as_str(),
            "{label}: {}",
            bob.body
        );
        let group = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Groups/{group_id}"), token)
        );
        assert_eq!(
            group.body["members"].as_array().unwrap().len(),
            2,
            "{label}"
        );
    }
}

#[actix_web::test]
async fn a_failing_operation_leaves_the_others_applied() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        let body = bulk_body(json!([
            post_user("a", "first"),
            post_user("b", "first"),
            {"method": "POST", "path": "/Users", "bulkId": "c", "data": {"schemas": [USER]}},
            post_user("d", "second"),
        ]));
        let reply = bulk!(app, token, body);
        assert_eq!(reply.status, 200, "{label}");
        assert_eq!(
            statuses(&reply.body),
            ["201", "409", "400", "201"],
            "{label}: {}",
            reply.body
        );
        let failed = &reply.body["Operations"][1];
        assert_eq!(failed["response"]["scimType"], "uniqueness", "{label}");
        assert_eq!(failed["response"]["status"], "409", "{label}");
        assert!(
            failed.get("location").is_none(),
            "{label}: a failed POST has no location"
        );
        assert_eq!(
            reply.body["Operations"][2]["response"]["scimType"],
            "invalidValue"
        );
        assert_eq!(user_count!(app, token, "first"), 1, "{label}");
        assert_eq!(user_count!(app, token, "second"), 1, "{label}");

        // An operation referring to a POST that failed: 409, and it runs nothing.
        let body = bulk_body(json!([
            post_user("dup", "first"),
            post_group("g", "Orphans", &["bulkId:dup"]),
        ]));
        let reply = bulk!(app, token, body);
        assert_eq!(
            statuses(&reply.body),
            ["409", "409"],
            "{label}: {}",
            reply.body
        );
        let groups = send!(app, request(Method::GET, "/scim/v2/Groups", token));
        assert_eq!(groups.body["totalResults"], 0, "{label}");
    }
}

#[actix_web::test]
async fn fail_on_errors_stops_and_reports_nothing_after() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        let _taken = create!(app, token, "Users", user("taken"));
        for (fail_on_errors, expected) in [
            (1, vec!["201", "409"]),
            (2, vec!["201", "409", "201", "409"]),
            (3, vec!["201", "409", "201", "409", "201"]),
        ] {
            let n = fail_on_errors;
            let body = json!({
                "schemas": [BULK_REQUEST],
                "failOnErrors": fail_on_errors,
                "Operations": [
                    post_user("a", &format!("a{n}")),
                    post_user("b", "taken"),
                    post_user("c", &format!("c{n}")),
                    post_user("d", "taken"),
                    post_user("e", &format!("e{n}")),
                ]
            });
            let reply = bulk!(app, token, body);
            assert_eq!(statuses(&reply.body), expected, "{label} failOnErrors={n}");
            let ran_c = u64::from(expected.len() > 2);
            let ran_e = u64::from(expected.len() > 4);
            assert_eq!(user_count!(app, token, format!("a{n}")), 1, "{label}");
            assert_eq!(user_count!(app, token, format!("c{n}")), ran_c, "{label}");
            assert_eq!(user_count!(app, token, format!("e{n}")), ran_e, "{label}");
        }
    }
}

#[actix_web::test]
async fn circular_and_unknown_references_fail_their_operations() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        // RFC 7644 §3.7.1: group A holds B, B holds A.
        let body = bulk_body(json!([
            post_group("A", "Group A", &["bulkId:B"]),
            post_group("B", "Group B", &["bulkId:A"]),
            post_user("u", "bystander"),
            post_group("C", "Group C", &["bulkId:nobody"]),
        ]));
        let reply = bulk!(app, token, body);
        assert_eq!(reply.status, 200, "{label}");
        assert_eq!(
            statuses(&reply.body),
            ["409", "409", "201", "400"],
            "{label}: {}",
            reply.body
        );
        let ops = &reply.body["Operations"];
        assert!(
            ops[0]["response"]["detail"]
                .as_str()
                .unwrap()
                .contains("circular"),
            "{label}: {}",
            ops[0]
        );
        assert_eq!(ops[3]["response"]["scimType"], "invalidValue", "{label}");
        let groups = send!(app, request(Method::GET, "/scim/v2/Groups", token));
        assert_eq!(groups.body["totalResults"], 0, "{label}");
        assert_eq!(user_count!(app, token, "bystander"), 1, "{label}");
    }
}

#[actix_web::test]
async fn put_patch_and_delete_with_versions() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        let u1 = create!(app, token, "Users", user("u1"));
        let u2 = create!(app, token, "Users", user("u2"));
        let g = create!(app, token, "Groups", common::group("Team", &[&u1]));
        let mut renamed = user("u1-renamed");
        renamed["active"] = json!(false);
        let body = bulk_body(json!([
            // u1 is at version 2: joining Team moved it on.
            {"method": "PUT", "path": format!("/Users/{u1}"), "version": "W/\"2\"", "data": renamed},
            {"method": "PATCH", "path": format!("/Groups/{g}"), "version": "W/\"7\"", "data": {
                "schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": u2}]}]}},
            {"method": "PATCH", "path": format!("/Groups/{g}"), "data": {
                "schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": u2}]}]}},
            {"method": "DELETE", "path": format!("/Users/{u2}"), "version": "W/\"9\""},
            {"method": "DELETE", "path": format!("/Users/{u1}")},
            {"method": "DELETE", "path": "/Groups/no-such-group"},
            {"method": "PUT", "path": format!("/Users/{u2}"), "version": "not a tag\"", "data": user("u2")},
        ]));
        let reply = bulk!(app, token, body);
        assert_eq!(
            statuses(&reply.body),
            ["200", "412", "200", "412", "204", "404", "400"],
            "{label}: {}",
            reply.body
        );
        let ops = &reply.body["Operations"];
        assert_eq!(ops[0]["version"], "W/\"3\"", "{label}");
        assert_eq!(
            ops[0]["location"],
            format!("http://localhost:8080/scim/v2/Users/{u1}")
        );
        assert_eq!(
            ops[1]["location"],
            format!("http://localhost:8080/scim/v2/Groups/{g}")
        );
        assert!(ops[4].get("version").is_none(), "{label}");
        assert_eq!(ops[6]["response"]["scimType"], "invalidValue", "{label}");

        // u1 was renamed then deleted; u2 is still there and now in the group.
        let gone = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{u1}"), token)
        );
        assert_eq!(gone.status, 404, "{label}");
        let group = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Groups/{g}"), token)
        );
        let members: Vec<&str> = group.body["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap())
            .collect();
        assert_eq!(members, [u2.as_str()], "{label}: {}", group.body);
    }
}

#[actix_web::test]
async fn limits_are_413_and_malformed_requests_are_400() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();

        let too_many: Vec<Value> = (0..=MAX_BULK_OPERATIONS)
            .map(|i| post_user(&format!("b{i}"), &format!("many{i}")))
            .collect();
        let reply = bulk!(app, token, bulk_body(Value::Array(too_many)));
        reply.assert_error(413, None, &format!("{label}: maxOperations"));
        assert!(
            reply.body["detail"]
                .as_str()
                .unwrap()
                .contains("maxOperations")
        );
        assert_eq!(user_count!(app, token, "many0"), 0, "{label}");

        let mut big = user("big");
        big["displayName"] = json!("x".repeat(MAX_BULK_PAYLOAD));
        let reply = bulk!(
            app,
            token,
            bulk_body(json!([{"method": "POST", "path": "/Users", "bulkId": "b", "data": big}]))
        );
        reply.assert_error(413, None, &format!("{label}: maxPayloadSize"));
        assert!(
            reply.body["detail"]
                .as_str()
                .unwrap()
                .contains("maxPayloadSize")
        );

        // Larger than a single request's body limit, within maxPayloadSize: accepted.
        let many: Vec<Value> = (0..MAX_BULK_OPERATIONS)
            .map(|i| {
                let mut body = user(&format!("padded{i}"));
                body["displayName"] = json!("y".repeat(common::MAX_BODY / 16));
                json!({"method": "POST", "path": "/Users", "bulkId": format!("p{i}"), "data": body})
            })
            .collect();
        let reply = bulk!(app, token, bulk_body(Value::Array(many)));
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);

        let user_data = user("x");
        let cases: Vec<(&str, Value, &str)> = vec![
            (
                "no Operations",
                json!({"schemas": [BULK_REQUEST]}),
                "invalidSyntax",
            ),
            (
                "wrong schema",
                json!({"schemas": [PATCH_OP], "Operations": []}),
                "invalidSyntax",
            ),
            (
                "bad method",
                bulk_body(json!([{"method": "GET", "path": "/Users/1"}])),
                "invalidValue",
            ),
            (
                "POST without bulkId",
                bulk_body(json!([{"method": "POST", "path": "/Users", "data": user_data}])),
                "invalidValue",
            ),
            (
                "bad path",
                bulk_body(
                    json!([{"method": "POST", "bulkId": "a", "path": "/Widgets", "data": user_data}]),
                ),
                "invalidValue",
            ),
            (
                "POST to a resource",
                bulk_body(
                    json!([{"method": "POST", "bulkId": "a", "path": "/Users/1", "data": user_data}]),
                ),
                "invalidValue",
            ),
            (
                "DELETE of an endpoint",
                bulk_body(json!([{"method": "DELETE", "path": "/Users"}])),
                "invalidValue",
            ),
            (
                "duplicate bulkId",
                bulk_body(json!([post_user("a", "x1"), post_user("a", "x2")])),
                "invalidValue",
            ),
            (
                "failOnErrors 0",
                json!({"schemas": [BULK_REQUEST], "failOnErrors": 0, "Operations": [post_user("a", "x3")]}),
                "invalidValue",
            ),
        ];
        for (name, body, scim_type) in cases {
            let reply = bulk!(app, token, body);
            reply.assert_error(400, Some(scim_type), &format!("{label}: {name}"));
        }
        assert_eq!(user_count!(app, token, "x1"), 0, "{label}: nothing ran");

        let reply = send!(
            app,
            with_json(
                Method::POST,
                "/scim/v2/Bulk",
                "wrong",
                &bulk_body(json!([post_user("a", "y")]))
            )
        );
        reply.assert_error(401, None, &format!("{label}: bad token"));
    }
}

#[actix_web::test]
async fn bulk_operations_stay_in_their_tenant() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let label = h.label();
        let b = h.tenant("Other");
        let theirs = create!(app, b.token.as_str(), "Users", user("theirs"));
        let body = bulk_body(json!([
            {"method": "DELETE", "path": format!("/Users/{theirs}")},
            post_group("g", "Mine", &[&theirs]),
        ]));
        let reply = bulk!(app, h.a.token.as_str(), body);
        assert_eq!(
            statuses(&reply.body),
            ["404", "400"],
            "{label}: {}",
            reply.body
        );
        let still = send!(
            app,
            request(
                Method::GET,
                &format!("/scim/v2/Users/{theirs}"),
                b.token.as_str()
            )
        );
        assert_eq!(still.status, 200, "{label}");
    }
}

/// A `bulkId:` reference inside a PATCH path's value filter is resolved like any other
/// (RFC 7644 §3.7.2), and orders the operation after the POST it names.
#[actix_web::test]
async fn a_reference_in_a_patch_path_filter_is_resolved() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let label = h.label();
        let token = h.a.token.as_str();
        let remove = json!({
            "method": "PATCH",
            "path": "/Groups/bulkId:g1",
            "data": {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "remove", "path": "members[value eq \"bulkId:u1\"]"}],
            },
        });
        // The PATCH comes first in the request: its references order it last.
        let reply = bulk!(
            app,
            token,
            bulk_body(json!([
                remove,
                post_user("u1", "ref-ann"),
                post_user("u2", "ref-bob"),
                post_group("g1", "ref-team", &["bulkId:u1", "bulkId:u2"]),
            ]))
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(
            statuses(&reply.body),
            ["200", "201", "201", "201"],
            "{label}: {}",
            reply.body
        );
        let bob = id_of(&reply.body["Operations"][2]);
        let group = id_of(&reply.body["Operations"][3]);
        let reply = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Groups/{group}"), token)
        );
        assert_eq!(
            reply.body["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["value"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>(),
            vec![bob],
            "{label}: {}",
            reply.body
        );
    }
}
