//! The audit trail of admin writes, access deltas and bulk operations, on every test
//! database: each admin write records its operation, target, before/after and request id
//! (never a token secret), failed admin writes of an authenticated admin are recorded with
//! their error, access changes carry the effective-role delta (admin and SCIM), and each
//! failed operation of a bulk request has its own record.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use actix_web::http::Method;
use common::{Harness, admin, group, patch, request, user, with_json};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

/// The trail of `actor` (all of it when `None`), read through the admin API.
macro_rules! trail {
    ($app:expr, $token:expr, $actor:expr) => {{
        let uri = match $actor {
            Some(actor) => format!("/admin/v1/audit?actor={actor}&limit=1000"),
            None => "/admin/v1/audit?limit=1000".to_owned(),
        };
        let (status, trail, _) = call!($app, admin("GET", &uri, Some($token), None));
        assert_eq!(status, 200, "{trail}");
        trail["events"].as_array().unwrap().clone()
    }};
}

/// `(type, target, status)` of each record.
fn summary(events: &[Value]) -> Vec<(String, String, u64)> {
    events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["target"].as_str().unwrap().to_owned(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn access(user: &str, resource: &str, before: Value, after: Value) -> Value {
    json!({"user": user, "resource": resource, "before": before, "after": after})
}

#[actix_web::test]
async fn admin_writes_are_recorded_with_what_changed_and_access_deltas() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (admin_id, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let token = Some(admin_token.as_str());
        let scim = h.a.token.clone();
        let ann = create!(app, &scim, "Users", user("ann"));
        let eng = create!(app, &scim, "Groups", group("eng", &[ann.as_str()]));

        let post = |uri: &str, body: Value| admin("POST", uri, token, Some(body));
        let (status, ws, _) = call!(
            app,
            post("/admin/v1/workspaces", json!({"name": "department_sales"}))
                .insert_header(("X-Request-Id", "ops-1"))
        );
        assert_eq!(status, 201, "{label} {ws}");
        let ws = ws["id"].as_str().unwrap().to_owned();
        let (status, _, _) = call!(
            app,
            admin(
                "PATCH",
                &format!("/admin/v1/workspaces/{ws}"),
                token,
                Some(json!({"name": "department_sales_eu"}))
            )
        );
        assert_eq!(status, 200);
        let (_, q3, _) = call!(
            app,
            post(
                &format!("/admin/v1/workspaces/{ws}/folders"),
                json!({"name": "Q3", "team_access": "everyone:viewer"})
            )
        );
        let q3 = q3["id"].as_str().unwrap().to_owned();
        let grant_body = json!({
            "principal": {"type": "group", "id": eng},
            "resource": {"type": "workspace", "id": ws},
            "role": "editor",
        });
        let (status, grant, _) = call!(app, post("/admin/v1/grants", grant_body));
        assert_eq!(status, 201, "{grant}");
        let grant = grant["id"].as_str().unwrap().to_owned();
        let (status, _, _) = call!(
            app,
            admin(
                "PATCH",
                &format!("/admin/v1/folders/{q3}"),
                token,
                Some(json!({"team_access": "everyone:editor"}))
            )
        );
        assert_eq!(status, 200);
        let rule_body =
            json!({"group": "eng*", "workspaces": "department_*", "role": "maintainer"});
        let (_, rule, _) = call!(app, post("/admin/v1/rules", rule_body));
        let rule = rule["id"].as_str().unwrap().to_owned();
        let (status, _, _) = call!(
            app,
            admin("DELETE", &format!("/admin/v1/rules/{rule}"), token, None)
        );
        assert_eq!(status, 204);
        let (status, _, _) = call!(
            app,
            admin(
                "PATCH",
                "/admin/v1/org",
                token,
                Some(json!({"owners": [ann], "sticky_joins": true}))
            )
        );
        assert_eq!(status, 200);
        let (status, made, _) = call!(app, post("/admin/v1/scim-tokens", json!({"name": "okta"})));
        assert_eq!(status, 201);
        let (secret, made) = (
            made["secret"].as_str().unwrap().to_owned(),
            made["id"].as_str().unwrap().to_owned(),
        );
        let (status, _, _) = call!(
            app,
            admin(
                "DELETE",
                &format!("/admin/v1/scim-tokens/{made}"),
                token,
                None
            )
        );
        assert_eq!(status, 204);
        let (status, _, _) = call!(
            app,
            admin("PATCH", "/admin/v1/org", token, Some(json!({"owners": []})))
        );
        assert_eq!(status, 200);
        let (status, _, _) = call!(
            app,
            admin("DELETE", &format!("/admin/v1/grants/{grant}"), token, None)
        );
        assert_eq!(status, 204);
        let (status, _, _) = call!(
            app,
            admin("DELETE", &format!("/admin/v1/folders/{q3}"), token, None)
        );
        assert_eq!(status, 204);
        let (status, _, _) = call!(
            app,
            admin("DELETE", &format!("/admin/v1/workspaces/{ws}"), token, None)
        );
        assert_eq!(status, 204);
        // Failures of the authenticated admin: recorded with their error.
        let (status, _, _) = call!(
            app,
            post("/admin/v1/workspaces", json!({"name": 7}))
                .insert_header(("X-Request-Id", "ops-2"))
        );
        assert_eq!(status, 400);
        let (status, _, _) = call!(app, admin("DELETE", "/admin/v1/grants/nope", token, None));
        assert_eq!(status, 404);
        // A bad admin token leaves nothing; neither do reads.
        let (status, _, _) = call!(
            app,
            admin(
                "DELETE",
                "/admin/v1/grants/nope",
                Some("rc_admin_x_0"),
                None
            )
        );
        assert_eq!(status, 401);
        let (status, _, _) = call!(app, admin("GET", "/admin/v1/workspaces", token, None));
        assert_eq!(status, 200);

        let events = trail!(app, &admin_token, Some(format!("admin:{admin_id}")));
        let expected: Vec<(String, String, u64)> = [
            ("workspace.create", format!("workspace:{ws}"), 201),
            ("workspace.update", format!("workspace:{ws}"), 200),
            ("folder.create", format!("folder:{q3}"), 201),
            ("grant.create", format!("grant:{grant}"), 201),
            ("folder.update", format!("folder:{q3}"), 200),
            ("rule.create", format!("rule:{rule}"), 201),
            ("rule.delete", format!("rule:{rule}"), 204),
            ("org.update", format!("org:{}", h.a.org_id), 200),
            ("scim_token.create", format!("scim_token:{made}"), 201),
            ("scim_token.revoke", format!("scim_token:{made}"), 204),
            ("org.update", format!("org:{}", h.a.org_id), 200),
            ("grant.delete", format!("grant:{grant}"), 204),
            ("folder.delete", format!("folder:{q3}"), 204),
            ("workspace.delete", format!("workspace:{ws}"), 204),
            ("workspace.create", "workspace".to_owned(), 400),
            ("grant.delete", "grant:nope".to_owned(), 404),
        ]
        .into_iter()
        .map(|(t, target, status)| (t.to_owned(), target, status))
        .collect();
        assert_eq!(summary(&events), expected, "{label}");
        let detail = |i: usize| events[i]["detail"].clone();
        let (ws_ref, q3_ref) = (format!("workspace:{ws}"), format!("folder:{q3}"));
        assert_eq!(events[0]["request_id"], "ops-1");
        assert_eq!(detail(0)["after"]["name"], "department_sales");
        assert_eq!(
            detail(1),
            // Rules match names: a rename carries its delta (none here: no rule reaches it).
            json!({"before": {"name": "department_sales"}, "after": {"name": "department_sales_eu"}, "access": []})
        );
        assert_eq!(
            detail(3)["access"],
            json!([
                access(&ann, &q3_ref, Value::Null, json!("viewer")),
                access(&ann, &ws_ref, Value::Null, json!("editor")),
            ]),
            "{label}"
        );
        assert_eq!(detail(3)["after"]["role"], "editor");
        assert_eq!(
            detail(4)["access"],
            json!([access(&ann, &q3_ref, json!("viewer"), json!("editor"))])
        );
        assert_eq!(detail(4)["before"]["team_access"], "everyone:viewer");
        // The rule lifts ann to maintainer on the workspace; Q3 stays capped at editor.
        assert_eq!(
            detail(5)["access"],
            json!([access(&ann, &ws_ref, json!("editor"), json!("maintainer"))])
        );
        assert_eq!(
            detail(6)["access"],
            json!([access(&ann, &ws_ref, json!("maintainer"), json!("editor"))])
        );
        assert_eq!(detail(7)["after"]["owners"], json!([ann]));
        assert_eq!(detail(7)["after"]["sticky_joins"], true);
        assert_eq!(
            detail(7)["access"],
            json!([access(&ann, &ws_ref, json!("editor"), json!("owner"))])
        );
        assert_eq!(detail(8)["after"]["name"], "okta");
        let whole = Value::Array(events.clone()).to_string();
        assert!(!whole.contains(&secret), "a secret in the trail");
        assert!(!whole.contains(&admin_token), "a secret in the trail");
        assert_eq!(detail(9)["before"]["revoked_at"], Value::Null);
        assert!(detail(9)["after"]["revoked_at"].is_string());
        assert_eq!(
            detail(11)["access"],
            json!([
                access(&ann, &q3_ref, json!("editor"), Value::Null),
                access(&ann, &ws_ref, json!("editor"), Value::Null),
            ])
        );
        assert_eq!(detail(11)["before"]["id"], grant.as_str());
        assert_eq!(detail(13)["before"]["name"], "department_sales_eu");
        assert_eq!(detail(13)["access"], json!([]));
        assert_eq!(detail(14)["error"]["code"], "invalid_request");
        assert_eq!(events[14]["request_id"], "ops-2");
        assert_eq!(detail(15)["error"]["code"], "not_found");
    }
}

#[actix_web::test]
async fn scim_membership_and_lifecycle_changes_carry_their_access_delta() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let token = Some(admin_token.as_str());
        let scim = h.a.token.clone();
        let ann = create!(app, &scim, "Users", user("ann"));
        let bob = create!(app, &scim, "Users", user("bob"));
        let eng = create!(app, &scim, "Groups", group("eng", &[]));
        let ops = create!(app, &scim, "Groups", group("ops", &[bob.as_str()]));
        let idle = create!(app, &scim, "Groups", group("idle", &[]));
        let (_, ws, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/workspaces",
                token,
                Some(json!({"name": "sales"}))
            )
        );
        let ws_ref = format!("workspace:{}", ws["id"].as_str().unwrap());
        let (status, _, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/grants",
                token,
                Some(json!({
                    "principal": {"type": "group", "id": eng},
                    "resource": {"type": "workspace", "id": ws["id"]},
                    "role": "editor",
                }))
            )
        );
        assert_eq!(status, 201);

        let group_patch = |id: &str, ops: Value| {
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Groups/{id}"),
                &scim,
                &patch(ops),
            )
        };
        let add = |id: &str| json!([{"op": "add", "path": "members", "value": [{"value": id}]}]);
        let steps: Vec<(&str, actix_web::test::TestRequest, u16)> = vec![
            ("add ann to eng", group_patch(&eng, add(&ann)), 204),
            (
                "add ann to an ungranted group",
                group_patch(&idle, add(&ann)),
                204,
            ),
            ("nest ops in eng", group_patch(&eng, add(&ops)), 204),
            (
                "suspend ann",
                with_json(
                    Method::PATCH,
                    &format!("/scim/v2/Users/{ann}"),
                    &scim,
                    &patch(json!([{"op": "replace", "path": "active", "value": false}])),
                ),
                200,
            ),
            (
                "reactivate ann",
                with_json(Method::PUT, &format!("/scim/v2/Users/{ann}"), &scim, &{
                    let mut body = user("ann");
                    body["active"] = json!(true);
                    body
                }),
                200,
            ),
            (
                "remove ops from eng",
                group_patch(
                    &eng,
                    json!([{"op": "remove", "path": format!("members[value eq \"{ops}\"]")}]),
                ),
                204,
            ),
            (
                "delete eng",
                request(Method::DELETE, &format!("/scim/v2/Groups/{eng}"), &scim),
                204,
            ),
        ];
        for (step, request, status) in steps {
            let reply = send!(app, request);
            assert_eq!(reply.status, status, "{step} on {label}: {}", reply.body);
        }
        let events = trail!(app, &admin_token, Some(format!("scim:{}", h.a.token_id)));
        let deltas: Vec<(String, Value)> = events
            .iter()
            .skip(5) // the creations
            .map(|e| {
                (
                    e["type"].as_str().unwrap().to_owned(),
                    e["detail"]["access"].clone(),
                )
            })
            .collect();
        let editor = json!("editor");
        assert_eq!(
            deltas,
            vec![
                (
                    "group.patch".to_owned(),
                    json!([access(&ann, &ws_ref, Value::Null, editor.clone())])
                ),
                ("group.patch".to_owned(), json!([])),
                (
                    "group.patch".to_owned(),
                    json!([access(&bob, &ws_ref, Value::Null, editor.clone())])
                ),
                (
                    "user.patch".to_owned(),
                    json!([access(&ann, &ws_ref, editor.clone(), Value::Null)])
                ),
                (
                    "user.deactivated".to_owned(),
                    json!([access(&ann, &ws_ref, editor.clone(), Value::Null)])
                ),
                (
                    "user.replace".to_owned(),
                    json!([access(&ann, &ws_ref, Value::Null, editor.clone())])
                ),
                (
                    "user.reactivated".to_owned(),
                    json!([access(&ann, &ws_ref, Value::Null, editor.clone())])
                ),
                (
                    "group.patch".to_owned(),
                    json!([access(&bob, &ws_ref, editor.clone(), Value::Null)])
                ),
                (
                    "group.delete".to_owned(),
                    json!([access(&ann, &ws_ref, editor.clone(), Value::Null)])
                ),
            ],
            "{label}"
        );

        // A deleted user (a tombstone) loses what a direct grant gave.
        let (status, _, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/grants",
                token,
                Some(json!({
                    "principal": {"type": "user", "id": ann},
                    "resource": {"type": "workspace", "id": ws["id"]},
                    "role": "viewer",
                }))
            )
        );
        assert_eq!(status, 201);
        let reply = send!(
            app,
            request(Method::DELETE, &format!("/scim/v2/Users/{ann}"), &scim)
        );
        assert_eq!(reply.status, 204);
        let events = trail!(app, &admin_token, Some(format!("scim:{}", h.a.token_id)));
        let deleted = events.iter().find(|e| e["type"] == "user.delete").unwrap();
        assert_eq!(
            deleted["detail"]["access"],
            json!([access(&ann, &ws_ref, json!("viewer"), Value::Null)]),
            "{label}"
        );
    }
}

#[actix_web::test]
async fn each_failed_bulk_operation_is_recorded_with_its_own_error() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let scim = h.a.token.clone();
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "a", "data": user("ann")},
                {"method": "POST", "path": "/Users", "bulkId": "b", "data": user("ANN")},
                {"method": "PATCH", "path": "/Users/nope", "data": patch(json!([
                    {"op": "replace", "path": "active", "value": false}
                ]))},
                {"method": "DELETE", "path": "/Groups/bulkId:missing"},
            ]
        });
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Bulk", &scim, &body)
                .insert_header(("X-Request-Id", "bulk-7"))
        );
        assert_eq!(reply.status, 200, "{label} {}", reply.body);
        let events = trail!(app, &admin_token, None::<String>);
        let got = summary(&events);
        let ann = events[0]["target"].as_str().unwrap().to_owned();
        assert_eq!(
            got,
            vec![
                ("user.create".to_owned(), ann, 201),
                ("user.create".to_owned(), "user".to_owned(), 409),
                ("user.patch".to_owned(), "user:nope".to_owned(), 404),
                (
                    "group.delete".to_owned(),
                    "group:bulkId:missing".to_owned(),
                    400
                ),
            ],
            "{label}"
        );
        assert!(events.iter().all(|e| e["request_id"] == "bulk-7"));
        assert_eq!(
            events[1]["detail"]["bulk"],
            json!({"bulkId": "b", "method": "POST", "path": "/Users"})
        );
        assert_eq!(events[1]["detail"]["error"]["scimType"], "uniqueness");
        assert_eq!(
            events[2]["detail"]["bulk"],
            json!({"bulkId": null, "method": "PATCH", "path": "/Users/nope"})
        );
        assert_eq!(events[2]["detail"]["error"]["status"], "404");
    }
}

#[actix_web::test]
async fn a_group_created_with_members_records_what_rules_give_them() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let token = Some(admin_token.as_str());
        let scim = h.a.token.clone();
        let ann = create!(app, &scim, "Users", user("ann"));
        let (_, ws, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/workspaces",
                token,
                Some(json!({"name": "sales"}))
            )
        );
        let ws_ref = format!("workspace:{}", ws["id"].as_str().unwrap());
        let rule = json!({"group": "new*", "workspaces": "sal*", "role": "viewer"});
        let (status, _, _) = call!(app, admin("POST", "/admin/v1/rules", token, Some(rule)));
        assert_eq!(status, 201);
        let newbies = create!(app, &scim, "Groups", group("newbies", &[ann.as_str()]));
        let others = create!(app, &scim, "Groups", group("others", &[ann.as_str()]));
        let events = trail!(app, &admin_token, Some(format!("scim:{}", h.a.token_id)));
        let access_of = |id: &str| {
            events
                .iter()
                .find(|e| e["target"] == format!("group:{id}").as_str())
                .map(|e| e["detail"]["access"].clone())
                .unwrap()
        };
        assert_eq!(
            access_of(&newbies),
            json!([access(&ann, &ws_ref, Value::Null, json!("viewer"))]),
            "{label}"
        );
        assert_eq!(access_of(&others), json!([]), "{label}");
    }
}

#[actix_web::test]
async fn a_replaced_member_list_records_the_roles_its_new_members_had() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let token = Some(admin_token.as_str());
        let scim = h.a.token.clone();
        let ann = create!(app, &scim, "Users", user("ann"));
        let bob = create!(app, &scim, "Users", user("bob"));
        let eng = create!(app, &scim, "Groups", group("eng", &[]));
        let (_, ws, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/workspaces",
                token,
                Some(json!({"name": "sales"}))
            )
        );
        let ws_ref = format!("workspace:{}", ws["id"].as_str().unwrap());
        // ann and bob are viewers in their own right; eng makes its members editors.
        for (principal, role) in [
            (("user", &ann), "viewer"),
            (("user", &bob), "viewer"),
            (("group", &eng), "editor"),
        ] {
            let (status, body, _) = call!(
                app,
                admin(
                    "POST",
                    "/admin/v1/grants",
                    token,
                    Some(json!({
                        "principal": {"type": principal.0, "id": principal.1},
                        "resource": {"type": "workspace", "id": ws["id"]},
                        "role": role,
                    }))
                )
            );
            assert_eq!(status, 201, "{body}");
        }
        let eng_uri = format!("/scim/v2/Groups/{eng}");
        let steps: Vec<(&str, actix_web::test::TestRequest)> = vec![
            (
                "PUT with ann",
                with_json(Method::PUT, &eng_uri, &scim, &group("eng", &[ann.as_str()])),
            ),
            (
                "PUT without members",
                with_json(Method::PUT, &eng_uri, &scim, &group("eng", &[])),
            ),
            (
                "PATCH replace members",
                with_json(
                    Method::PATCH,
                    &eng_uri,
                    &scim,
                    &patch(
                        json!([{"op": "replace", "path": "members", "value": [{"value": ann}]}]),
                    ),
                ),
            ),
            (
                "PATCH rename and add bob",
                with_json(
                    Method::PATCH,
                    &eng_uri,
                    &scim,
                    &patch(json!([
                        {"op": "replace", "path": "displayName", "value": "engineering"},
                        {"op": "add", "path": "members", "value": [{"value": bob}]},
                    ])),
                ),
            ),
        ];
        for (step, request) in steps {
            let reply = send!(app, request);
            assert!(
                reply.status == 200 || reply.status == 204,
                "{step} on {label}: {}",
                reply.body
            );
        }
        let events = trail!(app, &admin_token, Some(format!("scim:{}", h.a.token_id)));
        let deltas: Vec<Value> = events
            .iter()
            .skip(3) // the creations
            .map(|e| e["detail"]["access"].clone())
            .collect();
        let (viewer, editor) = (json!("viewer"), json!("editor"));
        assert_eq!(
            deltas,
            vec![
                json!([access(&ann, &ws_ref, viewer.clone(), editor.clone())]),
                json!([access(&ann, &ws_ref, editor.clone(), viewer.clone())]),
                json!([access(&ann, &ws_ref, viewer.clone(), editor.clone())]),
                json!([access(&bob, &ws_ref, viewer.clone(), editor.clone())]),
            ],
            "{label}"
        );
    }
}
