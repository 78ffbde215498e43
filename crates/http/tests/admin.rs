//! The admin API (`/admin/v1`) on every test database: admin-token authentication, the
//! `{"error": {"code", "message"}}` format, the organization's settings and its custom
//! extension schemas.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use actix_web::http::header;
use actix_web::test::TestRequest;
use common::{Harness, admin, code};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use scim_core::Dialect;
use serde_json::{Value, json};

const HR: &str = "urn:acme:params:scim:schemas:extension:hr:2.0:User";

fn hr_schema() -> Value {
    json!({
        "resource_type": "User",
        "schema": {
            "id": HR,
            "name": "HR",
            "description": "Acme HR attributes",
            "attributes": [
                {"name": "costCenter", "type": "string"},
                {"name": "clearanceLevel", "type": "integer"},
                {"name": "employeeType", "type": "string", "canonicalValues": ["staff", "contractor"]}
            ]
        }
    })
}

/// Every admin write that takes a body.
const WRITES_WITH_BODIES: [(&str, &str); 11] = [
    ("PATCH", "/admin/v1/org"),
    ("POST", "/admin/v1/scim-tokens"),
    ("POST", "/admin/v1/workspaces"),
    ("PATCH", "/admin/v1/workspaces/w1"),
    ("POST", "/admin/v1/workspaces/w1/folders"),
    ("PATCH", "/admin/v1/folders/f1"),
    ("POST", "/admin/v1/grants"),
    ("POST", "/admin/v1/rules"),
    ("POST", "/admin/v1/access/join"),
    ("POST", "/admin/v1/schemas"),
    ("POST", "/admin/v1/webhooks"),
];

#[actix_web::test]
async fn a_request_without_a_valid_token_is_refused_whatever_its_body() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let (admin_id, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let (revoked_id, revoked) = h.token(&h.a.org_id, TokenKind::Admin, None);
        h.revoke(&h.a.org_id, &revoked_id);
        // No token, a SCIM token, an unknown one and a revoked one.
        let refused = [
            None,
            Some(h.a.token.as_str()),
            Some("rc_admin_x_00"),
            Some(revoked.as_str()),
        ];
        for (method, path) in WRITES_WITH_BODIES {
            // Malformed JSON, then an object no endpoint accepts.
            let not_json = |token: Option<&str>| {
                admin(method, path, token, None)
                    .insert_header((header::CONTENT_TYPE, "application/json"))
                    .set_payload("{\"name\": ")
            };
            let unknown = json!({"no_such_field": true});
            for token in refused {
                let label = format!("{} {method} {path} {token:?}", h.label());
                let (status, body, _) = call!(app, not_json(token));
                assert_eq!((status, code(&body)), (401, "unauthorized"), "{label}");
                let (status, body, _) =
                    call!(app, admin(method, path, token, Some(unknown.clone())));
                assert_eq!((status, code(&body)), (401, "unauthorized"), "{label}");
            }
            // With the token, the body is what is wrong.
            let label = format!("{} {method} {path}", h.label());
            let (status, body, _) = call!(app, not_json(Some(&admin_token)));
            assert_eq!((status, code(&body)), (400, "invalid_request"), "{label}");
            let (status, body, _) =
                call!(app, admin(method, path, Some(&admin_token), Some(unknown)));
            // (`PATCH /org` names an unknown setting with a code of its own.)
            assert_eq!(status, 400, "{label}: {body}");
        }
        // A read with a bad query parameter, and one of a missing object.
        for path in ["/admin/v1/audit?cursor=x", "/admin/v1/workspaces/nothing"] {
            for token in refused {
                let (status, body, _) = call!(app, admin("GET", path, token, None));
                assert_eq!(
                    (status, code(&body)),
                    (401, "unauthorized"),
                    "{path} {token:?}"
                );
            }
            let (status, _, _) = call!(app, admin("GET", path, Some(&admin_token), None));
            assert!(matches!(status, 400 | 404), "{path}: {status}");
        }
        // Only the writes with the valid token are on the trail, each with its error.
        let (status, trail, _) = call!(
            app,
            admin("GET", "/admin/v1/audit?limit=100", Some(&admin_token), None)
        );
        assert_eq!(status, 200, "{trail}");
        let records = trail["events"].as_array().unwrap();
        assert_eq!(records.len(), 2 * WRITES_WITH_BODIES.len(), "{trail}");
        let actor = format!("admin:{admin_id}");
        for record in records {
            assert_eq!(record["actor"], actor.as_str(), "{record}");
            assert_eq!(record["status"], 400, "{record}");
            assert!(record["detail"]["error"]["message"].is_string(), "{record}");
        }
    }
}

#[actix_web::test]
async fn only_the_orgs_admin_token_gets_in() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        for token in [None, Some(h.a.token.as_str()), Some("rc_admin_x_00")] {
            let (status, body, _) = call!(app, admin("GET", "/admin/v1/org", token, None));
            assert_eq!((status, code(&body)), (401, "unauthorized"), "{token:?}");
        }
        let (status, body, _) = call!(app, admin("GET", "/admin/v1/org", Some(&admin_token), None));
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["id"], h.a.org_id.as_str());
        assert_eq!(body["name"], "Acme");
        assert_eq!(body["dialect"], "lenient");

        // The admin token is no SCIM token.
        let response = actix_web::test::call_service(
            &app,
            admin("GET", "/scim/v2/Users", Some(&admin_token), None).to_request(),
        )
        .await;
        assert_eq!(response.status().as_u16(), 401);

        let (status, body, _) = call!(
            app,
            admin("GET", "/admin/v1/nothing", Some(&admin_token), None)
        );
        assert_eq!((status, code(&body)), (404, "not_found"));
        let (status, body, allow) =
            call!(app, admin("PUT", "/admin/v1/org", Some(&admin_token), None));
        assert_eq!((status, code(&body)), (405, "method_not_allowed"));
        assert_eq!(allow.as_deref(), Some("GET, PATCH"));
    }
}

#[actix_web::test]
async fn org_settings_are_read_and_changed() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let (_, token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let token = Some(token.as_str());
        let (status, body, _) = call!(
            app,
            admin(
                "PATCH",
                "/admin/v1/org",
                token,
                Some(json!({"dialect": "strict", "name": "Acme Corp"}))
            )
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (body["dialect"].as_str(), body["name"].as_str()),
            (Some("strict"), Some("Acme Corp"))
        );
        let stored = h
            .store
            .read(|tx| tx.orgs().get(&h.a.org_id))
            .unwrap()
            .unwrap();
        assert_eq!(stored.dialect, Dialect::Strict);

        for (body, expected) in [
            (json!({"dialect": "loose"}), "invalid_request"),
            (json!({"billing_plan": "pro"}), "unknown_setting"),
            (json!("strict"), "invalid_request"),
        ] {
            let (status, reply, _) = call!(
                app,
                admin("PATCH", "/admin/v1/org", token, Some(body.clone()))
            );
            assert_eq!((status, code(&reply)), (400, expected), "{body}");
        }
        let malformed = admin("PATCH", "/admin/v1/org", token, None)
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload("{\"dialect\":");
        let (status, reply, _) = call!(app, malformed);
        assert_eq!((status, code(&reply)), (400, "invalid_request"));
        // Nothing of the refused requests was applied.
        let stored = h
            .store
            .read(|tx| tx.orgs().get(&h.a.org_id))
            .unwrap()
            .unwrap();
        assert_eq!(
            (stored.dialect, stored.name.as_str()),
            (Dialect::Strict, "Acme Corp")
        );
    }
}

#[actix_web::test]
async fn custom_schemas_are_added_listed_refused_and_deleted_per_org() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let (_, token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let token = Some(token.as_str());
        let other = h.tenant("Beta");
        let (_, other_token) = h.token(&other.org_id, TokenKind::Admin, None);

        let (status, body, _) = call!(
            app,
            admin("POST", "/admin/v1/schemas", token, Some(hr_schema()))
        );
        assert_eq!(status, 201, "{} {body}", h.label());
        assert_eq!(body["resource_type"], "User");
        assert_eq!(body["schema"]["id"], HR);
        assert_eq!(
            body["schema"]["attributes"][2]["canonicalValues"][1],
            "contractor"
        );

        let (status, body, _) = call!(app, admin("GET", "/admin/v1/schemas", token, None));
        assert_eq!(status, 200);
        assert_eq!(body["schemas"].as_array().unwrap().len(), 1);
        let (_, body, _) = call!(
            app,
            admin("GET", "/admin/v1/schemas", Some(&other_token), None)
        );
        assert_eq!(body["schemas"], json!([]), "another org sees nothing");

        let enterprise = json!({"resource_type": "User", "schema": {
            "id": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "attributes": []}});
        let bad_attribute = json!({"resource_type": "User", "schema": {
            "id": "urn:acme:bad", "attributes": [{"name": "x", "type": "colour"}]}});
        let not_urn = json!({"resource_type": "User", "schema": {"id": "acme", "attributes": []}});
        let unknown_type =
            json!({"resource_type": "Device", "schema": {"id": "urn:acme:d", "attributes": []}});
        for (request, status, expected) in [
            (hr_schema(), 409, "conflict"),
            (enterprise, 409, "conflict"),
            (bad_attribute, 400, "invalid_schema"),
            (not_urn, 400, "invalid_schema"),
            (unknown_type, 400, "invalid_schema"),
        ] {
            let (got, body, _) = call!(
                app,
                admin("POST", "/admin/v1/schemas", token, Some(request.clone()))
            );
            assert_eq!((got, code(&body)), (status, expected), "{request} {body}");
        }

        // Discovery with the org's SCIM token shows it; without a token, or for another
        // org, only the standard schemas; a bad token is refused.
        let schema_ids = |body: &Value| -> Vec<String> {
            body["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let reply = send!(
            app,
            common::request(actix_web::http::Method::GET, "/scim/v2/Schemas", &h.a.token)
        );
        assert!(
            schema_ids(&reply.body).contains(&HR.to_owned()),
            "{}",
            reply.body
        );
        let reply = send!(app, TestRequest::get().uri("/scim/v2/Schemas"));
        assert!(!schema_ids(&reply.body).contains(&HR.to_owned()));
        let reply = send!(
            app,
            common::request(
                actix_web::http::Method::GET,
                "/scim/v2/Schemas",
                &other.token
            )
        );
        assert!(!schema_ids(&reply.body).contains(&HR.to_owned()));
        let reply = send!(
            app,
            common::request(
                actix_web::http::Method::GET,
                "/scim/v2/Schemas",
                "rc_scim_x_0"
            )
        );
        assert_eq!(reply.status, 401);
        let reply = send!(
            app,
            common::request(
                actix_web::http::Method::GET,
                "/scim/v2/ResourceTypes/User",
                &h.a.token
            )
        );
        let extensions: Vec<&str> = reply.body["schemaExtensions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["schema"].as_str().unwrap())
            .collect();
        assert!(extensions.contains(&HR), "{}", reply.body);
        let uri = format!("/scim/v2/Schemas/{HR}");
        let reply = send!(
            app,
            common::request(actix_web::http::Method::GET, &uri, &h.a.token)
        );
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body["attributes"][0]["name"], "costCenter");

        let uri = format!("/admin/v1/schemas/{}", HR.to_uppercase());
        let (status, body, _) = call!(app, admin("DELETE", &uri, Some(&other_token), None));
        assert_eq!(
            (status, code(&body)),
            (404, "not_found"),
            "not another org's"
        );
        let (status, _, _) = call!(app, admin("DELETE", &uri, token, None));
        assert_eq!(status, 204);
        let (status, body, _) = call!(app, admin("DELETE", &uri, token, None));
        assert_eq!((status, code(&body)), (404, "not_found"));
        let (_, body, _) = call!(app, admin("GET", "/admin/v1/schemas", token, None));
        assert_eq!(body["schemas"], json!([]));
        let reply = send!(
            app,
            common::request(actix_web::http::Method::GET, "/scim/v2/Schemas", &h.a.token)
        );
        assert!(
            !schema_ids(&reply.body).contains(&HR.to_owned()),
            "gone after DELETE"
        );
    }
}

#[actix_web::test]
async fn settings_tokens_workspaces_folders_grants_and_rules_through_the_admin_api() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let token = Some(token.as_str());
        let other = h.tenant("Beta");
        let (_, stranger) = h.token(&other.org_id, TokenKind::Admin, None);
        let stranger = Some(stranger.as_str());

        // Settings: defaults, then changed one by one.
        let (status, body, _) = call!(app, admin("GET", "/admin/v1/org", token, None));
        assert_eq!(status, 200);
        assert_eq!(
            (
                body["sticky_joins"].as_bool(),
                body["purge_after_days"].as_u64()
            ),
            (Some(false), Some(30))
        );
        let (status, body, _) = call!(
            app,
            admin(
                "PATCH",
                "/admin/v1/org",
                token,
                Some(json!({"sticky_joins": true, "reactivation_window_days": 7}))
            )
        );
        assert_eq!(status, 200, "{label} {body}");
        assert_eq!(
            (
                body["sticky_joins"].as_bool(),
                body["reactivation_window_days"].as_u64()
            ),
            (Some(true), Some(7))
        );
        assert_eq!(
            body["purge_after_days"], 30,
            "untouched settings keep their value"
        );
        // Audit retention: forever by default, a number of days, or forever again.
        assert_eq!(body["audit_retention_days"], Value::Null, "{label}");
        for (value, status) in [
            (json!(365), 200),
            (json!(0), 400),
            (json!(-1), 400),
            (json!("90"), 400),
            (json!(null), 200),
        ] {
            let (got, body, _) = call!(
                app,
                admin(
                    "PATCH",
                    "/admin/v1/org",
                    token,
                    Some(json!({"audit_retention_days": value}))
                )
            );
            assert_eq!(got, status, "{label} {value}: {body}");
            if status == 200 {
                assert_eq!(body["audit_retention_days"], value, "{label}");
            }
        }

        // SCIM tokens: the secret once, then listed without it, then revoked.
        let (status, created, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/scim-tokens",
                token,
                Some(json!({"name": "okta", "expires_in_days": 90}))
            )
        );
        assert_eq!(status, 201, "{label} {created}");
        let secret = created["secret"].as_str().unwrap().to_owned();
        let reply = send!(
            app,
            common::request(actix_web::http::Method::GET, "/scim/v2/Users", &secret)
        );
        assert_eq!(reply.status, 200);
        let (_, listed, _) = call!(app, admin("GET", "/admin/v1/scim-tokens", token, None));
        assert!(
            listed["scim_tokens"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t.get("secret").is_none())
        );
        let uri = format!("/admin/v1/scim-tokens/{}", created["id"].as_str().unwrap());
        let (status, _, _) = call!(app, admin("DELETE", &uri, stranger, None));
        assert_eq!(status, 404, "another org's admin token");
        let (status, _, _) = call!(app, admin("DELETE", &uri, token, None));
        assert_eq!(status, 204);
        let reply = send!(
            app,
            common::request(actix_web::http::Method::GET, "/scim/v2/Users", &secret)
        );
        assert_eq!(
            reply.status, 401,
            "revocation takes effect on the next request"
        );

        // A workspace with its Home folder, another folder, a group and a user from SCIM.
        let (status, workspace, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/workspaces",
                token,
                Some(json!({"name": "department_sales"}))
            )
        );
        assert_eq!(status, 201, "{label} {workspace}");
        let ws = workspace["id"].as_str().unwrap().to_owned();
        let home = workspace["home_folder_id"].as_str().unwrap().to_owned();
        let (status, folder, _) = call!(
            app,
            admin(
                "POST",
                &format!("/admin/v1/workspaces/{ws}/folders"),
                token,
                Some(json!({"name": "Q3 Plans"}))
            )
        );
        assert_eq!(status, 201, "{folder}");
        assert_eq!(folder["team_access"], "invite_only");
        let q3 = folder["id"].as_str().unwrap().to_owned();
        let (_, folders, _) = call!(
            app,
            admin(
                "GET",
                &format!("/admin/v1/workspaces/{ws}/folders"),
                token,
                None
            )
        );
        let ids: Vec<&str> = folders["folders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [home.as_str(), q3.as_str()]);
        let ann = create!(app, &h.a.token, "Users", common::user("ann"));
        let eng = create!(
            app,
            &h.a.token,
            "Groups",
            common::group("eng-backend", &[&ann])
        );

        // Grants: checked, listed, filtered, revoked.
        let grant = |principal: Value, resource: Value, role: &str| json!({"principal": principal, "resource": resource, "role": role});
        let user = json!({"type": "user", "id": ann});
        let group = json!({"type": "group", "id": eng});
        let on_ws = json!({"type": "workspace", "id": ws});
        let on_q3 = json!({"type": "folder", "id": q3});
        let (status, direct, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/grants",
                token,
                Some(grant(user.clone(), on_ws.clone(), "commenter"))
            )
        );
        assert_eq!(status, 201, "{label} {direct}");
        assert_eq!(direct["principal"], user);
        let (status, by_group, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/grants",
                token,
                Some(grant(group.clone(), on_q3.clone(), "member"))
            )
        );
        assert_eq!(status, 201, "{by_group}");
        assert_eq!(
            by_group["role"], "editor",
            "the alias is stored as its tier"
        );
        for (body, status, expected) in [
            (
                grant(group.clone(), on_ws.clone(), "owner"),
                400,
                "invalid_request",
            ),
            (
                grant(user.clone(), on_ws.clone(), "superuser"),
                400,
                "invalid_request",
            ),
            (
                grant(
                    json!({"type": "user", "id": other.org_id.clone()}),
                    on_ws.clone(),
                    "viewer",
                ),
                400,
                "invalid_request",
            ),
            (
                grant(
                    user.clone(),
                    json!({"type": "folder", "id": "nope"}),
                    "viewer",
                ),
                404,
                "not_found",
            ),
            (
                grant(
                    user.clone(),
                    json!({"type": "team", "id": ws.clone()}),
                    "viewer",
                ),
                400,
                "invalid_request",
            ),
            (
                json!({"principal": user.clone(), "resource": on_ws.clone()}),
                400,
                "invalid_request",
            ),
        ] {
            let (got, reply, _) = call!(
                app,
                admin("POST", "/admin/v1/grants", token, Some(body.clone()))
            );
            assert_eq!(
                (got, code(&reply)),
                (status, expected),
                "{label} {body} {reply}"
            );
        }
        // A folder with group grants cannot be opened to everyone.
        let (status, _, _) = call!(
            app,
            admin(
                "PATCH",
                &format!("/admin/v1/folders/{q3}"),
                token,
                Some(json!({"team_access": "everyone:viewer"}))
            )
        );
        assert_eq!(status, 400, "{label}");
        let (_, listed, _) = call!(
            app,
            admin(
                "GET",
                &format!("/admin/v1/grants?principal=group:{eng}"),
                token,
                None
            )
        );
        assert_eq!(listed["grants"].as_array().unwrap().len(), 1);
        let (_, listed, _) = call!(
            app,
            admin(
                "GET",
                &format!("/admin/v1/grants?resource=workspace:{ws}"),
                token,
                None
            )
        );
        assert_eq!(listed["grants"][0]["id"], direct["id"]);

        // Rules.
        let (status, rule, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/rules",
                token,
                Some(json!({"group": "eng-*", "workspaces": "department_*", "role": "editor"}))
            )
        );
        assert_eq!(status, 201, "{rule}");
        let (status, _, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/rules",
                token,
                Some(json!({"group": "*", "workspaces": "*", "role": "owner"}))
            )
        );
        assert_eq!(status, 400);
        let (_, rules, _) = call!(app, admin("GET", "/admin/v1/rules", token, None));
        assert_eq!(rules["rules"].as_array().unwrap().len(), 1);

        // Tenant isolation: another org's admin token gets 404 for every id.
        let rule_id = rule["id"].as_str().unwrap();
        let grant_id = direct["id"].as_str().unwrap();
        for (method, uri) in [
            ("GET", format!("/admin/v1/workspaces/{ws}")),
            ("PATCH", format!("/admin/v1/workspaces/{ws}")),
            ("DELETE", format!("/admin/v1/workspaces/{ws}")),
            ("GET", format!("/admin/v1/workspaces/{ws}/folders")),
            ("POST", format!("/admin/v1/workspaces/{ws}/folders")),
            ("GET", format!("/admin/v1/folders/{q3}")),
            ("PATCH", format!("/admin/v1/folders/{q3}")),
            ("DELETE", format!("/admin/v1/folders/{q3}")),
            ("DELETE", format!("/admin/v1/grants/{grant_id}")),
            ("DELETE", format!("/admin/v1/rules/{rule_id}")),
        ] {
            let body = matches!(method, "PATCH" | "POST").then(|| json!({"name": "x"}));
            let (status, reply, _) = call!(app, admin(method, &uri, stranger, body));
            assert_eq!(
                (status, code(&reply)),
                (404, "not_found"),
                "{label} {method} {uri}"
            );
        }
        let (_, theirs, _) = call!(app, admin("GET", "/admin/v1/grants", stranger, None));
        assert_eq!(theirs["grants"], json!([]));

        // Deleting the SCIM group removes its grants, not its users'.
        let reply = send!(
            app,
            common::request(
                actix_web::http::Method::DELETE,
                &format!("/scim/v2/Groups/{eng}"),
                &h.a.token
            )
        );
        assert_eq!(reply.status, 204);
        let (_, left, _) = call!(app, admin("GET", "/admin/v1/grants", token, None));
        let left: Vec<&str> = left["grants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap())
            .collect();
        assert_eq!(left, [grant_id]);

        // Deletions.
        let (status, _, _) = call!(
            app,
            admin("DELETE", &format!("/admin/v1/folders/{home}"), token, None)
        );
        assert_eq!(status, 400, "a Home folder goes with its workspace only");
        let (status, _, _) = call!(
            app,
            admin("DELETE", &format!("/admin/v1/rules/{rule_id}"), token, None)
        );
        assert_eq!(status, 204);
        let (status, _, _) = call!(
            app,
            admin("DELETE", &format!("/admin/v1/workspaces/{ws}"), token, None)
        );
        assert_eq!(status, 204);
        let (_, left, _) = call!(app, admin("GET", "/admin/v1/grants", token, None));
        assert_eq!(
            left["grants"],
            json!([]),
            "the workspace's grants went with it"
        );
    }
}
