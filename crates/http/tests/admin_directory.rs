//! `GET /admin/v1/users` and `/admin/v1/groups` (with `/{id}`): the directory, read-only,
//! with the admin credential; filters, paging and attributes as the SCIM API reads them;
//! errors in the admin shape; another organization's resources are not found.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use common::{Harness, admin, code, group, user};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;

#[actix_web::test]
async fn the_directory_read_with_an_admin_token() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app_with_admin!(h);
        let ann = create!(app, &h.a.token, "Users", user("ann@example.com"));
        let _ = create!(app, &h.a.token, "Users", user("bob@example.com"));
        let staff = create!(app, &h.a.token, "Groups", group("Staff", &[&ann]));
        let other = h.tenant("Other");
        let foreign = create!(app, &other.token, "Users", user("ann@example.com"));
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let adm = Some(admin_token.as_str());

        let filter = "/admin/v1/users?filter=userName%20eq%20%22ann%40example.com%22";
        let (status, found, _) = call!(app, admin("GET", filter, adm, None));
        assert_eq!(status, 200, "{label}: {found}");
        assert_eq!(found["totalResults"], 1);
        assert_eq!(found["Resources"][0]["id"], ann.as_str());
        let (status, one, _) = call!(
            app,
            admin("GET", &format!("/admin/v1/users/{ann}"), adm, None)
        );
        assert_eq!(status, 200);
        assert_eq!(one["groups"][0]["value"], staff.as_str(), "{label}");
        // Links point where the resources live: the SCIM API.
        let location = one["meta"]["location"].as_str().unwrap();
        assert!(
            location.ends_with(&format!("/scim/v2/Users/{ann}")),
            "{location}"
        );
        let group_ref = one["groups"][0]["$ref"].as_str().unwrap();
        assert!(
            group_ref.ends_with(&format!("/scim/v2/Groups/{staff}")),
            "{group_ref}"
        );
        let (_, groups, _) = call!(
            app,
            admin("GET", "/admin/v1/groups?attributes=displayName", adm, None)
        );
        assert_eq!(groups["Resources"][0]["displayName"], "Staff");
        assert_eq!(groups["totalResults"], 1);

        let cases: &[(&str, &str, Option<&str>, u16, &str)] = &[
            (
                "GET",
                "/admin/v1/users",
                Some(h.a.token.as_str()),
                401,
                "unauthorized",
            ),
            ("GET", "/admin/v1/users", None, 401, "unauthorized"),
            (
                "GET",
                &format!("/admin/v1/users/{foreign}"),
                adm,
                404,
                "not_found",
            ),
            (
                "GET",
                "/admin/v1/users?filter=userName%20zz%20%22x%22",
                adm,
                400,
                "invalid_request",
            ),
            ("POST", "/admin/v1/users", adm, 405, "method_not_allowed"),
            (
                "DELETE",
                &format!("/admin/v1/users/{ann}"),
                adm,
                405,
                "method_not_allowed",
            ),
        ];
        for (method, uri, token, status, expected) in cases {
            let (got, body, _) = call!(app, admin(method, uri, *token, None));
            assert_eq!(got, *status, "{label}: {method} {uri}: {body}");
            assert_eq!(code(&body), *expected, "{label}: {method} {uri}: {body}");
        }
    }
}

#[actix_web::test]
async fn every_folder_of_the_organization_in_one_read() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app_with_admin!(h);
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let adm = Some(admin_token.as_str());
        let other = h.tenant("Other");
        let (_, other_admin) = h.token(&other.org_id, TokenKind::Admin, None);
        let mut homes = Vec::new();
        for name in ["Q3", "Q4"] {
            let (status, ws, _) = call!(
                app,
                admin(
                    "POST",
                    "/admin/v1/workspaces",
                    adm,
                    Some(serde_json::json!({"name": name}))
                )
            );
            assert_eq!(status, 201, "{label}");
            homes.push(ws["home_folder_id"].as_str().unwrap().to_owned());
        }
        let (status, listed, _) = call!(app, admin("GET", "/admin/v1/folders", adm, None));
        assert_eq!(status, 200, "{label}: {listed}");
        let ids: Vec<&str> = listed["folders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|folder| folder["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, homes, "{label}");
        let (_, theirs, _) = call!(
            app,
            admin("GET", "/admin/v1/folders", Some(other_admin.as_str()), None)
        );
        assert_eq!(theirs["folders"], serde_json::json!([]), "{label}");
        let (status, _, allow) = call!(app, admin("POST", "/admin/v1/folders", adm, None));
        assert_eq!((status, allow.as_deref()), (405, Some("GET")), "{label}");
    }
}
