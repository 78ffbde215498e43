//! Effective access end to end, on every test database: users and nested groups pushed
//! through SCIM, workspaces, folders, grants and rules through the admin API, and the
//! answers of `GET /admin/v1/access` (why, and who) and `POST /admin/v1/access/join`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use actix_web::http::Method;
use common::{Harness, admin, code, group, patch, user, with_json};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

fn winner(body: &Value) -> &Value {
    body["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["winner"] == true)
        .unwrap_or(&Value::Null)
}

#[actix_web::test]
async fn groups_grants_rules_and_team_access_decide_roles_and_explain_them() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let token = Some(admin_token.as_str());
        let scim = h.a.token.clone();

        // SCIM: ann in eng-backend, itself in eng (nested); bob in sales.
        let ann = create!(app, &scim, "Users", user("ann"));
        let bob = create!(app, &scim, "Users", user("bob"));
        let backend = create!(app, &scim, "Groups", group("eng-backend", &[&ann]));
        let eng = create!(app, &scim, "Groups", group("eng", &[&backend]));
        let sales = create!(app, &scim, "Groups", group("sales", &[&bob]));
        // A cycle is refused by SCIM.
        let cycle = patch(json!([{"op": "add", "path": "members", "value": [{"value": eng}]}]));
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Groups/{backend}"),
                &scim,
                &cycle
            )
        );
        assert_eq!(
            (reply.status, reply.body["scimType"].as_str()),
            (400, Some("invalidValue")),
            "{label} {}",
            reply.body
        );

        // Admin: a workspace, an invite-only and an open folder; grants.
        let (_, ws, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/workspaces",
                token,
                Some(json!({"name": "department_sales"}))
            )
        );
        let ws_id = ws["id"].as_str().unwrap().to_owned();
        let home = ws["home_folder_id"].as_str().unwrap().to_owned();
        let folders = format!("/admin/v1/workspaces/{ws_id}/folders");
        let (_, q3, _) = call!(
            app,
            admin("POST", &folders, token, Some(json!({"name": "Q3 Plans"})))
        );
        let q3 = q3["id"].as_str().unwrap().to_owned();
        let (_, open, _) = call!(
            app,
            admin(
                "POST",
                &folders,
                token,
                Some(json!({"name": "Open", "team_access": "everyone:viewer"}))
            )
        );
        let open = open["id"].as_str().unwrap().to_owned();
        let grant = |principal: (&str, &str), resource: (&str, &str), role: &str| {
            json!({"principal": {"type": principal.0, "id": principal.1},
                   "resource": {"type": resource.0, "id": resource.1}, "role": role})
        };
        for body in [
            grant(("group", &eng), ("workspace", &ws_id), "editor"),
            grant(("user", &ann), ("workspace", &ws_id), "commenter"),
            grant(("group", &sales), ("folder", &q3), "viewer"),
        ] {
            let (status, reply, _) =
                call!(app, admin("POST", "/admin/v1/grants", token, Some(body)));
            assert_eq!(status, 201, "{label} {reply}");
        }
        let access = |user: &str, resource: String| {
            admin(
                "GET",
                &format!("/admin/v1/access?user={user}&resource={resource}"),
                token,
                None,
            )
        };

        // Ann: editor on the workspace through eng (three deep: ann ∈ eng-backend ∈ eng),
        // her own commenter grant listed and not winning.
        let (status, why, _) = call!(app, access(&ann, format!("workspace:{ws_id}")));
        assert_eq!(status, 200, "{label} {why}");
        assert_eq!(why["role"], "editor");
        assert_eq!(winner(&why)["kind"], "group");
        let via: Vec<&str> = winner(&why)["via"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["display"].as_str().unwrap())
            .collect();
        assert_eq!(via, ["eng-backend", "eng"]);
        assert!(
            why["contributions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["kind"] == "direct" && c["winner"] == false)
        );
        // The Home folder carries the workspace role; an invite-only folder gives nothing
        // through it; an open one gives min(workspace role, its cap).
        let (_, why, _) = call!(app, access(&ann, format!("folder:{home}")));
        assert_eq!(why["role"], "editor", "{label}");
        let (_, why, _) = call!(app, access(&ann, format!("folder:{q3}")));
        assert_eq!(why["role"], Value::Null, "{label} {why}");
        let (_, why, _) = call!(app, access(&ann, format!("folder:{open}")));
        assert_eq!(
            (why["role"].as_str(), winner(&why)["kind"].as_str()),
            (Some("viewer"), Some("team_access")),
            "{label} {why}"
        );
        // Bob: viewer on Q3 only (a folder-only grant opens neither the workspace nor Home).
        let (_, why, _) = call!(app, access(&bob, format!("folder:{q3}")));
        assert_eq!(why["role"], "viewer", "{label}");
        for resource in [format!("workspace:{ws_id}"), format!("folder:{home}")] {
            let (_, why, _) = call!(app, access(&bob, resource.clone()));
            assert_eq!(why["role"], Value::Null, "{label} {resource}");
        }

        // A rule raises every eng* group to maintainer on department_* workspaces,
        // including one created afterwards.
        let (status, _, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/rules",
                token,
                Some(json!({"group": "eng*", "workspaces": "department_*", "role": "admin"}))
            )
        );
        assert_eq!(status, 201);
        let (_, later, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/workspaces",
                token,
                Some(json!({"name": "department_eu"}))
            )
        );
        let later = later["id"].as_str().unwrap().to_owned();
        for workspace in [&ws_id, &later] {
            let (_, why, _) = call!(app, access(&ann, format!("workspace:{workspace}")));
            assert_eq!(
                (why["role"].as_str(), winner(&why)["kind"].as_str()),
                (Some("maintainer"), Some("rule")),
                "{label} {why}"
            );
        }

        // Who has access: the reverse query.
        let (status, who, _) = call!(
            app,
            admin(
                "GET",
                &format!("/admin/v1/access?resource=workspace:{ws_id}"),
                token,
                None
            )
        );
        assert_eq!(status, 200, "{who}");
        assert_eq!(
            who["users"],
            json!([{"user": ann, "role": "maintainer"}]),
            "{label}"
        );
        let (_, who, _) = call!(
            app,
            admin(
                "GET",
                &format!("/admin/v1/access?resource=folder:{q3}"),
                token,
                None
            )
        );
        assert_eq!(
            who["users"],
            json!([{"user": bob, "role": "viewer"}]),
            "{label}"
        );

        // Joins: recorded; with sticky_joins on, a manual grant that outlives the group.
        let (_, joined, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/access/join",
                token,
                Some(json!({"user": bob, "resource": format!("folder:{q3}")}))
            )
        );
        assert_eq!(
            (joined["first"].as_bool(), joined["grant"].is_null()),
            (Some(true), true),
            "{label} {joined}"
        );
        let (_, _, _) = call!(
            app,
            admin(
                "PATCH",
                "/admin/v1/org",
                token,
                Some(json!({"sticky_joins": true}))
            )
        );
        let (_, joined, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/access/join",
                token,
                Some(json!({"user": bob, "resource": format!("folder:{q3}")}))
            )
        );
        assert_eq!(
            joined["first"], false,
            "a second access is no join: {joined}"
        );
        let (_, joined, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/access/join",
                token,
                Some(json!({"user": ann, "resource": format!("workspace:{ws_id}")}))
            )
        );
        assert_eq!(
            (joined["first"].as_bool(), joined["grant"]["role"].as_str()),
            (Some(true), Some("maintainer")),
            "{label} {joined}"
        );
        // Ann leaves eng-backend through SCIM: the sticky grant keeps her maintainer.
        let leave =
            patch(json!([{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}]));
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Groups/{backend}"),
                &scim,
                &leave
            )
        );
        assert_eq!(reply.status, 204, "{}", reply.body);
        let (_, why, _) = call!(app, access(&ann, format!("workspace:{ws_id}")));
        assert_eq!(
            (why["role"].as_str(), winner(&why)["kind"].as_str()),
            (Some("maintainer"), Some("direct")),
            "{label} {why}"
        );

        // Deactivated through SCIM: no access anywhere.
        let off = patch(json!([{"op": "replace", "value": {"active": false}}]));
        let reply = send!(
            app,
            with_json(Method::PATCH, &format!("/scim/v2/Users/{ann}"), &scim, &off)
        );
        assert_eq!(reply.status, 200);
        for resource in [
            format!("workspace:{ws_id}"),
            format!("folder:{open}"),
            format!("folder:{home}"),
        ] {
            let (_, why, _) = call!(app, access(&ann, resource.clone()));
            assert_eq!(why["role"], Value::Null, "{label} {resource}");
        }
        let (_, who, _) = call!(
            app,
            admin(
                "GET",
                &format!("/admin/v1/access?resource=workspace:{ws_id}"),
                token,
                None
            )
        );
        assert_eq!(who["users"], json!([]), "{label}");

        // Org owners own every workspace of the org; naming a stranger changes nothing.
        let (status, _, _) = call!(
            app,
            admin(
                "PATCH",
                "/admin/v1/org",
                token,
                Some(json!({"owners": [bob]}))
            )
        );
        assert_eq!(status, 200, "{label}");
        let (_, why, _) = call!(app, access(&bob, format!("workspace:{later}")));
        assert_eq!(
            (why["role"].as_str(), winner(&why)["kind"].as_str()),
            (Some("owner"), Some("org_owner")),
            "{label} {why}"
        );
        let (_, who, _) = call!(
            app,
            admin(
                "GET",
                &format!("/admin/v1/access?resource=workspace:{later}"),
                token,
                None
            )
        );
        assert_eq!(
            who["users"],
            json!([{"user": bob, "role": "owner"}]),
            "{label}"
        );
        let (status, _, _) = call!(
            app,
            admin(
                "PATCH",
                "/admin/v1/org",
                token,
                Some(json!({"owners": ["nobody"], "name": "Renamed"}))
            )
        );
        assert_eq!(status, 400, "{label}");
        let (_, org, _) = call!(app, admin("GET", "/admin/v1/org", token, None));
        assert_eq!(
            (org["name"].as_str(), org["owners"].clone()),
            (Some("Acme"), json!([bob])),
            "{label}"
        );

        // Another organization's admin token: 404 for these ids; bad queries are 400s.
        let other = h.tenant("Beta");
        let (_, stranger) = h.token(&other.org_id, TokenKind::Admin, None);
        let (status, body, _) = call!(
            app,
            admin(
                "GET",
                &format!("/admin/v1/access?user={bob}&resource=folder:{q3}"),
                Some(&stranger),
                None
            )
        );
        assert_eq!((status, code(&body)), (404, "not_found"), "{label}");
        let (status, _, _) = call!(app, admin("GET", "/admin/v1/access?user=x", token, None));
        assert_eq!(status, 400);
        let (status, _, _) = call!(
            app,
            admin("GET", "/admin/v1/access?resource=team:x", token, None)
        );
        assert_eq!(status, 400);
    }
}

#[actix_web::test]
async fn the_same_grant_twice_is_a_conflict_and_another_role_is_not() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let token = Some(admin_token.as_str());
        let ann = create!(app, &h.a.token, "Users", user("ann"));
        let (_, ws, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/workspaces",
                token,
                Some(json!({"name": "Q3"}))
            )
        );
        let grant = |role: &str| {
            json!({"principal": {"type": "user", "id": ann},
                   "resource": {"type": "workspace", "id": ws["id"]}, "role": role})
        };
        let cases = [
            ("editor", 201),
            ("editor", 409),
            ("viewer", 201),
            ("viewer", 409),
        ];
        for (role, status) in cases {
            let (got, body, _) = call!(
                app,
                admin("POST", "/admin/v1/grants", token, Some(grant(role)))
            );
            assert_eq!(got, status, "{label}: {role}: {body}");
            if status == 409 {
                assert_eq!(code(&body), "conflict", "{label}: {body}");
                // Its dry run says so too, before anything is saved.
                let (got, _, _) = call!(
                    app,
                    admin(
                        "POST",
                        "/admin/v1/grants?dry_run=true",
                        token,
                        Some(grant(role))
                    )
                );
                assert_eq!(got, 409, "{label}");
            }
        }
        let (_, listed, _) = call!(app, admin("GET", "/admin/v1/grants", token, None));
        assert_eq!(listed["grants"].as_array().unwrap().len(), 2, "{label}");
    }
}
