//! A NUL character (U+0000) anywhere a client can put one, on every endpoint that takes
//! it, on both databases (PostgreSQL refuses NUL in text outright): a string that holds one
//! is a 400 `invalidValue` (admin: `invalid_request`), an id that holds one is a 404, and
//! nothing is stored nor recorded as a server error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use common::{Harness, admin, code, request, user, with_json};
use rollcall_store::testing::TestDb;
use rollcall_store::{AuditQuery, TokenKind};
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// What a case must answer: a SCIM status with its `scimType`, or an admin status with its
/// code.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Scim(u16, Option<&'static str>),
    Admin(u16, &'static str),
}

#[actix_web::test]
async fn a_nul_character_is_a_400_and_an_id_holding_one_a_404() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let app = app_with_admin!(h);
        let ann = create!(app, &h.a.token, "Users", user("ann"));
        let team = create!(
            app,
            &h.a.token,
            "Groups",
            json!({"schemas": [GROUP], "displayName": "team"})
        );
        let (status, workspace, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/workspaces",
                Some(&admin_token),
                Some(json!({"name": "plans"}))
            )
        );
        assert_eq!(status, 201, "{label}");
        let workspace = workspace["id"].as_str().unwrap().to_owned();

        let invalid = Expect::Scim(400, Some("invalidValue"));
        let missing = Expect::Scim(404, None);
        let admin_invalid = Expect::Admin(400, "invalid_request");
        let admin_missing = Expect::Admin(404, "not_found");
        let nul_filter = "userName eq \"\\u0000\"";
        let scim: Vec<(Method, String, Option<Value>, Expect)> = vec![
            (
                Method::POST,
                "/scim/v2/Users".into(),
                Some(json!({"schemas": [USER], "userName": "a\u{0}b"})),
                invalid,
            ),
            (
                Method::POST,
                "/scim/v2/Users".into(),
                Some(json!({"schemas": [USER], "userName": "x", "externalId": "\u{0}"})),
                invalid,
            ),
            (
                Method::POST,
                "/scim/v2/Users".into(),
                Some(json!({"schemas": [USER], "userName": "y", "name": {"givenName": "\u{0}"}})),
                invalid,
            ),
            (
                Method::POST,
                "/scim/v2/Users".into(),
                Some(json!({"schemas": [USER], "userName": "z", "nick\u{0}Name": "n"})),
                invalid,
            ),
            (
                Method::POST,
                "/scim/v2/Groups".into(),
                Some(json!({"schemas": [GROUP], "displayName": "g\u{0}"})),
                invalid,
            ),
            (
                Method::POST,
                "/scim/v2/Groups".into(),
                Some(
                    json!({"schemas": [GROUP], "displayName": "g", "members": [{"value": "\u{0}"}]}),
                ),
                invalid,
            ),
            (Method::GET, "/scim/v2/Users/%00".into(), None, missing),
            (Method::GET, "/scim/v2/Groups/a%00b".into(), None, missing),
            (
                Method::PUT,
                "/scim/v2/Users/%00".into(),
                Some(json!({"schemas": [USER], "userName": "ann"})),
                missing,
            ),
            (
                Method::PATCH,
                "/scim/v2/Users/%00".into(),
                Some(json!({"schemas": [PATCH], "Operations": []})),
                missing,
            ),
            (Method::DELETE, "/scim/v2/Groups/%00".into(), None, missing),
            (
                Method::PATCH,
                format!("/scim/v2/Groups/{team}"),
                Some(
                    json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": "\u{0}"}]}]}),
                ),
                invalid,
            ),
            (
                Method::PATCH,
                format!("/scim/v2/Groups/{team}"),
                Some(
                    json!({"schemas": [PATCH], "Operations": [{"op": "remove", "path": "members[value eq \"\\u0000\"]"}]}),
                ),
                invalid,
            ),
            (
                Method::PATCH,
                format!("/scim/v2/Users/{ann}"),
                Some(
                    json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "\u{0}"}]}),
                ),
                invalid,
            ),
            (
                Method::PUT,
                format!("/scim/v2/Users/{ann}"),
                Some(json!({"schemas": [USER], "userName": "ann\u{0}"})),
                invalid,
            ),
            (
                Method::GET,
                format!("/scim/v2/Users?filter={}", common::encode(nul_filter)),
                None,
                invalid,
            ),
            (
                Method::GET,
                "/scim/v2/Users?filter=userName%20eq%20%22%00%22".into(),
                None,
                invalid,
            ),
            (
                Method::GET,
                "/scim/v2/Groups?filter=displayName%20eq%20%22%00%22".into(),
                None,
                invalid,
            ),
            // Bytes that are not UTF-8 once decoded are refused alike, never replaced.
            (
                Method::GET,
                "/scim/v2/Users?filter=userName%20eq%20%22%FF%FE%22".into(),
                None,
                invalid,
            ),
            (
                Method::GET,
                "/scim/v2/Groups?attributes=%C3".into(),
                None,
                invalid,
            ),
            (
                Method::GET,
                "/scim/v2/Users?sortBy=%00".into(),
                None,
                invalid,
            ),
            (
                Method::GET,
                "/scim/v2/Users?attributes=%00".into(),
                None,
                invalid,
            ),
            (
                Method::GET,
                "/scim/v2/Users?cursor=%00".into(),
                None,
                invalid,
            ),
            (
                Method::GET,
                format!("/scim/v2/Users/{ann}?excludedAttributes=%00"),
                None,
                invalid,
            ),
            (
                Method::POST,
                "/scim/v2/Users/.search".into(),
                Some(json!({"schemas": [SEARCH], "filter": "userName eq \"\u{0}\""})),
                invalid,
            ),
            (
                Method::POST,
                "/scim/v2/.search".into(),
                Some(json!({"schemas": [SEARCH], "filter": nul_filter})),
                invalid,
            ),
            (
                Method::POST,
                "/scim/v2/Bulk".into(),
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                    "Operations": [{"method": "POST", "path": "/Users", "bulkId": "b1", "data": {"schemas": [USER], "userName": "bulk\u{0}"}}]
                })),
                invalid,
            ),
            (
                Method::POST,
                "/scim/v2/Bulk".into(),
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                    "Operations": [{"method": "DELETE", "path": "/Users/\u{0}"}]
                })),
                invalid,
            ),
            (Method::GET, "/scim/v2/Schemas/%00".into(), None, missing),
            (
                Method::GET,
                "/scim/v2/ResourceTypes/%00".into(),
                None,
                missing,
            ),
        ];
        let admin_cases: Vec<(&str, String, Option<Value>, Expect)> = vec![
            (
                "GET",
                "/admin/v1/workspaces/%00".into(),
                None,
                admin_missing,
            ),
            (
                "PATCH",
                "/admin/v1/workspaces/%00".into(),
                Some(json!({"name": "n"})),
                admin_missing,
            ),
            (
                "DELETE",
                "/admin/v1/folders/%00".into(),
                None,
                admin_missing,
            ),
            ("DELETE", "/admin/v1/grants/%00".into(), None, admin_missing),
            (
                "DELETE",
                "/admin/v1/scim-tokens/%00".into(),
                None,
                admin_missing,
            ),
            (
                "DELETE",
                "/admin/v1/schemas/%00".into(),
                None,
                admin_missing,
            ),
            (
                "GET",
                "/admin/v1/workspaces/%00/folders".into(),
                None,
                admin_missing,
            ),
            (
                "POST",
                "/admin/v1/workspaces".into(),
                Some(json!({"name": "w\u{0}"})),
                admin_invalid,
            ),
            (
                "POST",
                format!("/admin/v1/workspaces/{workspace}/folders"),
                Some(json!({"name": "f\u{0}"})),
                admin_invalid,
            ),
            (
                "PATCH",
                "/admin/v1/org".into(),
                Some(json!({"name": "\u{0}"})),
                admin_invalid,
            ),
            (
                "POST",
                "/admin/v1/grants".into(),
                Some(
                    json!({"principal": {"type": "user", "id": "\u{0}"}, "resource": {"type": "workspace", "id": workspace}, "role": "viewer"}),
                ),
                admin_invalid,
            ),
            (
                "POST",
                "/admin/v1/rules".into(),
                Some(json!({"group": "\u{0}", "workspaces": "*", "role": "viewer"})),
                admin_invalid,
            ),
            (
                "POST",
                "/admin/v1/access/join".into(),
                Some(json!({"user": "\u{0}", "resource": format!("workspace:{workspace}")})),
                admin_invalid,
            ),
            (
                "POST",
                "/admin/v1/webhooks".into(),
                Some(
                    json!({"url": "https://hooks.example/\u{0}", "secret": "0123456789abcdef", "events": ["*"]}),
                ),
                admin_invalid,
            ),
            (
                "POST",
                "/admin/v1/scim-tokens".into(),
                Some(json!({"name": "\u{0}"})),
                admin_invalid,
            ),
            (
                "GET",
                "/admin/v1/audit?actor=%00".into(),
                None,
                admin_invalid,
            ),
            (
                "GET",
                "/admin/v1/audit?actor=%FF%FE".into(),
                None,
                admin_invalid,
            ),
            (
                "GET",
                "/admin/v1/audit?target=user:%00".into(),
                None,
                admin_invalid,
            ),
            (
                "GET",
                format!("/admin/v1/access?resource=workspace:{workspace}&user=%00"),
                None,
                admin_invalid,
            ),
            (
                "GET",
                "/admin/v1/access?resource=workspace:%00".into(),
                None,
                admin_invalid,
            ),
            (
                "GET",
                "/admin/v1/grants?principal=user:%00".into(),
                None,
                admin_invalid,
            ),
            (
                "GET",
                "/admin/v1/health?window_hours=%00".into(),
                None,
                admin_invalid,
            ),
        ];

        for (method, uri, body, expect) in scim {
            let context = format!("{label} {method} {uri}");
            let call = match &body {
                Some(body) => with_json(method, &uri, &h.a.token, body),
                None => request(method, &uri, &h.a.token),
            };
            let reply = send!(app, call);
            let Expect::Scim(status, scim_type) = expect else {
                unreachable!()
            };
            reply.assert_error(status, scim_type, &context);
            // Without a valid token the same request is a 401, whatever it holds.
            let call = match &body {
                Some(body) => with_json(Method::POST, &uri, "rc_scim_x_wrong", body),
                None => request(Method::GET, &uri, "rc_scim_x_wrong"),
            };
            let reply = send!(app, call);
            assert!(
                matches!(reply.status, 401 | 404 | 405),
                "{context} without a valid token: {}",
                reply.status
            );
        }
        for (method, uri, body, expect) in admin_cases {
            let context = format!("{label} {method} {uri}");
            let (status, body, _) = call!(app, admin(method, &uri, Some(&admin_token), body));
            let Expect::Admin(expected, expected_code) = expect else {
                unreachable!()
            };
            assert_eq!(
                (status, code(&body)),
                (expected, expected_code),
                "{context}: {body}"
            );
        }

        // Nothing was stored, and no failure was a server error.
        let users = send!(app, request(Method::GET, "/scim/v2/Users", &h.a.token));
        assert_eq!(users.body["totalResults"], 1, "{label}: only ann");
        let groups = send!(app, request(Method::GET, "/scim/v2/Groups", &h.a.token));
        assert_eq!(groups.body["totalResults"], 1, "{label}: only team");
        let records = h
            .store
            .read(|tx| {
                tx.audit().query(
                    &h.a.org_id,
                    &AuditQuery {
                        limit: 1000,
                        ..AuditQuery::default()
                    },
                )
            })
            .unwrap();
        assert!(
            records.iter().all(|record| record.status < 500),
            "{label}: {:?}",
            records
                .iter()
                .filter(|r| r.status >= 500)
                .map(|r| (&r.operation, r.status))
                .collect::<Vec<_>>()
        );
        assert!(
            records
                .iter()
                .any(|record| record.operation == "user.create" && record.status == 400),
            "{label}: failed writes are recorded with their 400"
        );
        // A write to an id holding a NUL is recorded alike on both databases, the NUL
        // named U+FFFD (PostgreSQL stores no NUL; it failed to record them at all).
        let mut nul_ids: Vec<(&str, &str)> = records
            .iter()
            .filter(|record| record.status == 404)
            .map(|record| (record.operation.as_str(), record.target.as_str()))
            .collect();
        nul_ids.sort_unstable();
        assert_eq!(
            nul_ids,
            [
                ("folder.delete", "folder:\u{FFFD}"),
                ("grant.delete", "grant:\u{FFFD}"),
                ("group.delete", "group:\u{FFFD}"),
                ("schema.delete", "schema:\u{FFFD}"),
                ("scim_token.revoke", "scim_token:\u{FFFD}"),
                ("user.patch", "user:\u{FFFD}"),
                ("user.replace", "user:\u{FFFD}"),
                ("workspace.update", "workspace:\u{FFFD}"),
            ],
            "{label}"
        );
    }
}
