//! `?dry_run=true` on the admin writes that can change access (PRODUCT.md §4), on every
//! test database: each answers the access delta it would make, and afterwards every table
//! of the database holds exactly what it held before (nothing written, emitted or
//! recorded, not even a failed dry run's error). The delta previewed is the one the write
//! then records. Writes that cannot change access refuse `dry_run`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

#[macro_use]
mod common;

use common::{Harness, group, user};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

/// An admin request with `admin`: `(status, body)`.
macro_rules! admin {
    ($app:expr, $admin:expr, $method:expr, $uri:expr, $body:expr) => {{
        let (status, body, _) = call!($app, common::admin($method, $uri, Some($admin), $body));
        (status, body)
    }};
}

use common::delta_changes as changes;

#[actix_web::test]
async fn a_dry_run_answers_the_delta_and_changes_nothing() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app_with_admin!(h);
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let ann = create!(app, &h.a.token, "Users", user("ann"));
        let bob = create!(app, &h.a.token, "Users", user("bob"));
        let eng = create!(app, &h.a.token, "Groups", group("eng", &[&ann, &bob]));
        let (status, ws) = admin!(
            app,
            &admin,
            "POST",
            "/admin/v1/workspaces",
            Some(json!({"name": "eng-space"}))
        );
        assert_eq!(status, 201, "{label}: {ws}");
        let ws = ws["id"].as_str().unwrap().to_owned();
        let (status, folder) = admin!(
            app,
            &admin,
            "POST",
            &format!("/admin/v1/workspaces/{ws}/folders"),
            Some(json!({"name": "Plans"}))
        );
        assert_eq!(status, 201, "{label}: {folder}");
        let folder = folder["id"].as_str().unwrap().to_owned();
        let (status, grant) = admin!(
            app,
            &admin,
            "POST",
            "/admin/v1/grants",
            Some(
                json!({"principal": {"type": "user", "id": ann}, "resource": {"type": "workspace", "id": ws}, "role": "viewer"})
            )
        );
        assert_eq!(status, 201, "{label}: {grant}");
        let grant = grant["id"].as_str().unwrap().to_owned();

        let before = h.db.snapshot().unwrap();
        let group_grant = json!({"principal": {"type": "group", "id": eng}, "resource": {"type": "workspace", "id": ws}, "role": "editor"});
        let previews: Vec<(&str, String, Option<Value>)> = vec![
            (
                "POST",
                "/admin/v1/grants?dry_run=true".to_owned(),
                Some(group_grant.clone()),
            ),
            (
                "POST",
                "/admin/v1/rules?dry_run=true".to_owned(),
                Some(json!({"group": "eng", "workspaces": "eng-*", "role": "maintainer"})),
            ),
            (
                "PATCH",
                format!("/admin/v1/folders/{folder}?dry_run=true"),
                Some(json!({"team_access": "everyone:viewer"})),
            ),
            (
                "DELETE",
                format!("/admin/v1/grants/{grant}?dry_run=true"),
                None,
            ),
            (
                "DELETE",
                format!("/admin/v1/folders/{folder}?dry_run=true"),
                None,
            ),
            (
                "DELETE",
                format!("/admin/v1/workspaces/{ws}?dry_run=true"),
                None,
            ),
            (
                "PATCH",
                "/admin/v1/org?dry_run=true".to_owned(),
                Some(json!({"owners": [bob]})),
            ),
            (
                "POST",
                "/admin/v1/workspaces?dry_run=true".to_owned(),
                Some(json!({"name": "eng-two"})),
            ),
        ];
        let mut previewed = Vec::new();
        for (method, uri, body) in previews {
            let (status, reply) = admin!(app, &admin, method, &uri, body);
            assert_eq!(status, 200, "{label}: {method} {uri}: {reply}");
            assert_eq!(reply["dry_run"], true, "{label}: {uri}");
            let count = reply["count"].as_u64().unwrap();
            assert_eq!(
                count as usize,
                reply["changes"].as_array().unwrap().len(),
                "{label}"
            );
            previewed.push((uri, reply));
        }
        let count = |k: usize| previewed[k].1["count"].as_u64().unwrap();
        assert!(
            count(0) >= 2,
            "{label}: the group grant reaches ann and bob: {}",
            previewed[0].1
        );
        assert!(count(1) >= 2, "{label}: the rule too");
        assert!(count(2) >= 1, "{label}: team access opens the folder");
        assert!(count(3) >= 1, "{label}: ann loses her grant");
        assert!(
            count(5) >= 1,
            "{label}: deleting the workspace ends ann's role"
        );
        assert!(count(6) >= 1, "{label}: bob becomes owner everywhere");
        // Failed dry runs, ambiguous or misspelt ones, and a dry run where none is
        // offered: nothing applied, nothing recorded.
        for (method, uri, body, status) in [
            (
                "POST",
                "/admin/v1/grants?dry_run=true&dry_run=false".to_owned(),
                Some(group_grant.clone()),
                400,
            ),
            (
                "POST",
                "/admin/v1/grants?dry_run=false&dry_run=true".to_owned(),
                Some(group_grant.clone()),
                400,
            ),
            (
                "POST",
                "/admin/v1/grants?DRY_RUN=true".to_owned(),
                Some(group_grant.clone()),
                400,
            ),
            (
                "POST",
                "/admin/v1/grants?dryrun=true".to_owned(),
                Some(group_grant.clone()),
                400,
            ),
            (
                "DELETE",
                format!("/admin/v1/workspaces/{ws}?dry-run=true"),
                None,
                400,
            ),
            (
                "POST",
                "/admin/v1/grants?%64ry_run=true".to_owned(),
                Some(
                    json!({"principal": {"type": "group", "id": eng}, "resource": {"type": "workspace", "id": ws}, "role": "superuser"}),
                ),
                400,
            ),
            (
                "DELETE",
                "/admin/v1/webhooks/nope?dry_run=true".to_owned(),
                None,
                400,
            ),
            (
                "POST",
                "/admin/v1/grants?dry_run=true".to_owned(),
                Some(
                    json!({"principal": {"type": "group", "id": eng}, "resource": {"type": "workspace", "id": "nope"}, "role": "editor"}),
                ),
                404,
            ),
            (
                "POST",
                "/admin/v1/grants?dry_run=maybe".to_owned(),
                Some(group_grant.clone()),
                400,
            ),
            (
                "POST",
                "/admin/v1/scim-tokens?dry_run=true".to_owned(),
                Some(json!({})),
                400,
            ),
        ] {
            let (got, reply) = admin!(app, &admin, method, &uri, body);
            assert_eq!(got, status, "{label}: {uri}: {reply}");
        }
        // Without a valid credential, a dry run of any write is a 401, never a 400 that
        // tells a stranger how the route reads its query.
        for (method, uri) in [
            ("DELETE", "/admin/v1/webhooks/nope?dry_run=true"),
            ("POST", "/admin/v1/webhooks/nope/retry?dry_run=true"),
            ("DELETE", "/admin/v1/webhooks/nope?dry_run=TRUE"),
            ("POST", "/admin/v1/scim-tokens?dry_run=true"),
            ("POST", "/admin/v1/grants?dry_run=maybe"),
        ] {
            for token in ["rc_admin_bogus", h.a.token.as_str()] {
                let (got, reply) = admin!(app, token, method, uri, Some(json!({})));
                assert_eq!(got, 401, "{label}: {method} {uri}: {reply}");
            }
        }
        let after = h.db.snapshot().unwrap();
        for (table, rows) in &before {
            assert_eq!(
                Some(rows),
                after.get(table),
                "{label}: table {table} changed"
            );
        }
        assert_eq!(before.len(), after.len(), "{label}");

        // The write itself records the very delta the dry run previewed.
        let (status, _) = admin!(app, &admin, "POST", "/admin/v1/grants", Some(group_grant));
        assert_eq!(status, 201, "{label}");
        let record = h.records(Some("grant.create")).pop().unwrap();
        assert_eq!(
            changes(&record.detail["access"]),
            changes(&previewed[0].1["changes"]),
            "{label}"
        );
    }
}
