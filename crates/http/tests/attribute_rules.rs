//! Attribute rules (PRODUCT.md §4), on every test database: a rule whose subject is a SCIM
//! filter over the user's own attributes. A department transfer by an Entra-style PATCH
//! moves the user's access in the same transaction, with the delta in the trail and an
//! `access.changed` event; explain names the rule and the attribute; the reverse query finds
//! rule-matched users by SQL; filters are checked against the org's schemas when written,
//! and a schema change that would break a rule is a 409 naming it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

#[macro_use]
mod common;

use actix_web::http::Method;
use common::{Harness, code, patch, with_json};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const HR: &str = "urn:example:params:scim:schemas:extension:hr:2.0:User";

/// An admin request with `admin`: `(status, body)`.
macro_rules! admin {
    ($app:expr, $admin:expr, $method:expr, $uri:expr, $body:expr) => {{
        let (status, body, _) = call!($app, common::admin($method, $uri, Some($admin), $body));
        (status, body)
    }};
}

/// A user in `department` with `title`.
fn employee(user_name: &str, department: &str, title: &str) -> Value {
    json!({
        "schemas": [common::USER, ENTERPRISE],
        "userName": user_name,
        "title": title,
        ENTERPRISE: {"department": department},
    })
}

use common::delta_changes as changes;

/// `changes` in the order [`changes`] gives.
fn sorted<const N: usize>(
    changes: [(String, String, Value, Value); N],
) -> Vec<(String, String, Value, Value)> {
    let mut changes = changes.to_vec();
    changes.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    changes
}

fn change(
    user: &str,
    resource: &str,
    before: Value,
    after: Value,
) -> (String, String, Value, Value) {
    (user.to_owned(), resource.to_owned(), before, after)
}

/// The `detail.access` of the latest record of `operation` on `target`.
fn recorded_access(h: &Harness, operation: &str, target: &str) -> Value {
    h.records(Some(operation))
        .into_iter()
        .rev()
        .find(|record| record.target == target)
        .unwrap_or_else(|| panic!("no {operation} on {target}"))
        .detail["access"]
        .clone()
}

/// The `access.changed` events of the org, their `data`.
fn access_events(h: &Harness) -> Vec<Value> {
    h.store
        .read(|tx| tx.outbox().events_after(&h.a.org_id, 0, 10_000))
        .unwrap()
        .into_iter()
        .filter(|event| event.event_type == "access.changed")
        .map(|event| event.data)
        .collect()
}

#[actix_web::test]
async fn a_department_transfer_moves_access_in_the_same_write_with_its_delta() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app_with_admin!(h);
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let scim = h.a.token.clone();
        let mut workspaces = std::collections::HashMap::new();
        for name in ["sales-east", "sales-west", "eng-core", "leadership"] {
            let (status, ws) = admin!(
                app,
                &admin,
                "POST",
                "/admin/v1/workspaces",
                Some(json!({"name": name}))
            );
            assert_eq!(status, 201, "{label}: {ws}");
            workspaces.insert(name, format!("workspace:{}", ws["id"].as_str().unwrap()));
        }
        let ws = |name: &str| workspaces[name].clone();
        let mut rules = Vec::new();
        for (filter, glob, role) in [
            (
                format!("{ENTERPRISE}:department eq \"Sales\""),
                "sales-*",
                "viewer",
            ),
            (
                format!("{ENTERPRISE}:department eq \"Engineering\""),
                "eng-*",
                "editor",
            ),
            ("title sw \"VP\"".to_owned(), "leadership", "maintainer"),
        ] {
            let (status, rule) = admin!(
                app,
                &admin,
                "POST",
                "/admin/v1/rules",
                Some(json!({"filter": filter, "workspaces": glob, "role": role}))
            );
            assert_eq!(status, 201, "{label}: {rule}");
            assert_eq!(rule["filter"], json!(filter), "{label}: {rule}");
            assert!(rule.get("group").is_none(), "{label}: {rule}");
            rules.push(rule["id"].as_str().unwrap().to_owned());
        }

        // A new user in Sales: viewer on both sales workspaces, recorded with the create.
        let ann = create!(
            app,
            &scim,
            "Users",
            employee("ann", "Sales", "Account Executive")
        );
        assert_eq!(
            changes(&recorded_access(&h, "user.create", &format!("user:{ann}"))),
            sorted([
                change(&ann, &ws("sales-east"), Value::Null, json!("viewer")),
                change(&ann, &ws("sales-west"), Value::Null, json!("viewer")),
            ]),
            "{label}"
        );
        // Explain names the rule and the attribute.
        let (status, why) = admin!(
            app,
            &admin,
            "GET",
            &format!("/admin/v1/access?user={ann}&resource={}", ws("sales-east")),
            None
        );
        assert_eq!(status, 200, "{label}: {why}");
        assert_eq!(why["role"], "viewer", "{label}: {why}");
        let winner = &why["contributions"][0];
        assert_eq!(winner["kind"], "attribute_rule", "{label}: {why}");
        assert_eq!(winner["rule_id"], json!(rules[0]), "{label}: {why}");
        assert_eq!(
            winner["attribute"],
            json!(format!("{ENTERPRISE}:department")),
            "{label}: {why}"
        );
        assert_eq!(winner["winner"], true, "{label}: {why}");

        // The transfer, as Entra sends it: a capitalised op on the extension's path.
        let events_before = access_events(&h).len();
        let transfer = patch(json!([{
            "op": "Replace",
            "path": format!("{ENTERPRISE}:department"),
            "value": "Engineering",
        }]));
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Users/{ann}"),
                &scim,
                &transfer
            )
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        let expected = sorted([
            change(&ann, &ws("eng-core"), Value::Null, json!("editor")),
            change(&ann, &ws("sales-east"), json!("viewer"), Value::Null),
            change(&ann, &ws("sales-west"), json!("viewer"), Value::Null),
        ]);
        assert_eq!(
            changes(&recorded_access(&h, "user.patch", &format!("user:{ann}"))),
            expected,
            "{label}"
        );
        let events = access_events(&h);
        assert_eq!(events.len(), events_before + 1, "{label}: {events:?}");
        assert_eq!(
            changes(&events.last().unwrap()["changes"]),
            expected,
            "{label}: {events:?}"
        );

        // The reverse query finds her by the rule (by SQL); no one is left on sales.
        for (workspace, users) in [
            ("eng-core", json!([{"user": ann, "role": "editor"}])),
            ("sales-east", json!([])),
        ] {
            let (status, who) = admin!(
                app,
                &admin,
                "GET",
                &format!("/admin/v1/access?resource={}", ws(workspace)),
                None
            );
            assert_eq!(status, 200, "{label}: {who}");
            assert_eq!(who["users"], users, "{label}: {workspace}");
        }

        // A title change by a path-less replace (Okta's way): leadership.
        let promotion = patch(json!([{"op": "replace", "value": {"title": "VP Engineering"}}]));
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Users/{ann}"),
                &scim,
                &promotion
            )
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(
            changes(&recorded_access(&h, "user.patch", &format!("user:{ann}"))),
            [change(
                &ann,
                &ws("leadership"),
                Value::Null,
                json!("maintainer")
            )],
            "{label}"
        );

        // A PUT that changes what no rule reads changes no access.
        let mut body = employee("ann", "Engineering", "VP Engineering");
        body["displayName"] = json!("Ann Lee");
        let reply = send!(
            app,
            with_json(Method::PUT, &format!("/scim/v2/Users/{ann}"), &scim, &body)
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(
            changes(&recorded_access(&h, "user.replace", &format!("user:{ann}"))),
            [],
            "{label}"
        );
        // A PUT back into Sales, without the title: the reverse move, in one record.
        let reply = send!(
            app,
            with_json(
                Method::PUT,
                &format!("/scim/v2/Users/{ann}"),
                &scim,
                &employee("ann", "Sales", "Account Executive")
            )
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(
            changes(&recorded_access(&h, "user.replace", &format!("user:{ann}"))),
            sorted([
                change(&ann, &ws("eng-core"), json!("editor"), Value::Null),
                change(&ann, &ws("leadership"), json!("maintainer"), Value::Null),
                change(&ann, &ws("sales-east"), Value::Null, json!("viewer")),
                change(&ann, &ws("sales-west"), Value::Null, json!("viewer")),
            ]),
            "{label}"
        );

        // A suspended user keeps matching but holds nothing; reactivated, it all returns.
        for (active, role) in [(false, Value::Null), (true, json!("viewer"))] {
            let reply = send!(
                app,
                with_json(
                    Method::PATCH,
                    &format!("/scim/v2/Users/{ann}"),
                    &scim,
                    &patch(json!([{"op": "replace", "path": "active", "value": active}]))
                )
            );
            assert_eq!(reply.status, 200, "{label}: {}", reply.body);
            let (_, why) = admin!(
                app,
                &admin,
                "GET",
                &format!("/admin/v1/access?user={ann}&resource={}", ws("sales-west")),
                None
            );
            assert_eq!(why["role"], role, "{label}: active {active}: {why}");
        }

        // Deleting the rule takes the access away, with its delta; a dry run first shows it.
        let uri = format!("/admin/v1/rules/{}?dry_run=true", rules[0]);
        let (status, preview) = admin!(app, &admin, "DELETE", &uri, None);
        assert_eq!(status, 200, "{label}: {preview}");
        assert_eq!(preview["count"], 2, "{label}: {preview}");
        let (status, _) = admin!(
            app,
            &admin,
            "DELETE",
            &format!("/admin/v1/rules/{}", rules[0]),
            None
        );
        assert_eq!(status, 204, "{label}");
        assert_eq!(
            changes(&recorded_access(
                &h,
                "rule.delete",
                &format!("rule:{}", rules[0])
            )),
            changes(&preview["changes"]),
            "{label}"
        );
    }
}

#[actix_web::test]
async fn a_rule_filter_is_checked_when_written_and_schema_changes_keep_rules_whole() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app_with_admin!(h);
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let refused = [
            (
                json!({"filter": "groups.display eq \"eng\"", "workspaces": "*", "role": "viewer"}),
                "groups",
            ),
            (
                json!({"filter": "meta.created gt \"2020-01-01T00:00:00Z\"", "workspaces": "*", "role": "viewer"}),
                "meta",
            ),
            (
                json!({"filter": "id eq \"x\"", "workspaces": "*", "role": "viewer"}),
                "id",
            ),
            (
                json!({"filter": "password eq \"x\"", "workspaces": "*", "role": "viewer"}),
                "password",
            ),
            (
                json!({"filter": "title eq", "workspaces": "*", "role": "viewer"}),
                "at byte",
            ),
            (
                json!({"filter": "title eq \"a\" and (", "workspaces": "*", "role": "viewer"}),
                "at byte",
            ),
            (
                json!({"filter": "department eq \"Sales\"", "workspaces": "*", "role": "viewer"}),
                "at byte 0",
            ),
            (
                json!({"filter": "active gt true", "workspaces": "*", "role": "viewer"}),
                "at byte",
            ),
            (
                json!({"filter": "title pr", "workspaces": "*", "role": "owner"}),
                "maintainer",
            ),
            (
                json!({"filter": "title pr", "group": "eng", "workspaces": "*", "role": "viewer"}),
                "exactly one",
            ),
            (json!({"workspaces": "*", "role": "viewer"}), "exactly one"),
            (
                json!({"filter": "", "workspaces": "*", "role": "viewer"}),
                "filter",
            ),
            (
                json!({"filter": 7, "workspaces": "*", "role": "viewer"}),
                "filter",
            ),
        ];
        for (body, says) in refused {
            let (status, reply) =
                admin!(app, &admin, "POST", "/admin/v1/rules", Some(body.clone()));
            assert_eq!(status, 400, "{label}: {body} → {reply}");
            assert_eq!(code(&reply), "invalid_request", "{label}: {body} → {reply}");
            let message = reply["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains(says), "{label}: {body} → {message}");
        }
        assert!(
            h.store
                .read(|tx| tx.rules().list(&h.a.org_id))
                .unwrap()
                .is_empty(),
            "{label}: nothing refused was stored"
        );

        // A rule on a custom extension's attribute.
        let schema = json!({
            "resource_type": "User",
            "schema": {"id": HR, "name": "HR", "attributes": [
                {"name": "costCenter", "type": "string", "multiValued": false,
                 "required": false, "caseExact": false, "mutability": "readWrite",
                 "returned": "default", "uniqueness": "none"}
            ]}
        });
        let (status, reply) = admin!(app, &admin, "POST", "/admin/v1/schemas", Some(schema));
        assert_eq!(status, 201, "{label}: {reply}");
        let (status, rule) = admin!(
            app,
            &admin,
            "POST",
            "/admin/v1/rules",
            Some(
                json!({"filter": format!("{HR}:costCenter eq \"CC-42\""), "workspaces": "*", "role": "viewer"})
            )
        );
        assert_eq!(status, 201, "{label}: {rule}");
        let rule = rule["id"].as_str().unwrap().to_owned();
        // Deleting the schema would break it: 409, naming it; nothing changes.
        let (status, reply) = admin!(
            app,
            &admin,
            "DELETE",
            &format!("/admin/v1/schemas/{HR}"),
            None
        );
        assert_eq!(status, 409, "{label}: {reply}");
        let message = reply["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&rule), "{label}: {message}");
        let (_, listed) = admin!(app, &admin, "GET", "/admin/v1/schemas", None);
        assert_eq!(listed["schemas"].as_array().unwrap().len(), 1, "{label}");
        // Once the rule is gone, the schema goes too.
        let (status, _) = admin!(
            app,
            &admin,
            "DELETE",
            &format!("/admin/v1/rules/{rule}"),
            None
        );
        assert_eq!(status, 204, "{label}");
        let (status, reply) = admin!(
            app,
            &admin,
            "DELETE",
            &format!("/admin/v1/schemas/{HR}"),
            None
        );
        assert_eq!(status, 204, "{label}: {reply}");
    }
}

#[actix_web::test]
async fn a_new_user_matching_a_rule_by_what_they_lack_has_the_access_recorded() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app_with_admin!(h);
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let scim = h.a.token.clone();
        let (status, ws) = admin!(
            app,
            &admin,
            "POST",
            "/admin/v1/workspaces",
            Some(json!({"name": "everyone-else"}))
        );
        assert_eq!(status, 201, "{label}: {ws}");
        let ws = format!("workspace:{}", ws["id"].as_str().unwrap());
        // True of a user without the attribute: a user just created had no access before,
        // whatever the rule says of an empty user.
        for filter in [
            format!("not ({ENTERPRISE}:department eq \"Sales\")"),
            "not (title pr)".to_owned(),
        ] {
            let (status, rule) = admin!(
                app,
                &admin,
                "POST",
                "/admin/v1/rules",
                Some(json!({"filter": filter, "workspaces": "everyone-*", "role": "viewer"}))
            );
            assert_eq!(status, 201, "{label}: {rule}");
        }
        let events_before = access_events(&h).len();
        let ann = create!(app, &scim, "Users", common::user("ann"));
        assert_eq!(
            changes(&recorded_access(&h, "user.create", &format!("user:{ann}"))),
            [change(&ann, &ws, Value::Null, json!("viewer"))],
            "{label}"
        );
        assert_eq!(access_events(&h).len(), events_before + 1, "{label}");
        // A title takes one rule away, the other still gives viewer: no change.
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Users/{ann}"),
                &scim,
                &patch(json!([{"op": "add", "path": "title", "value": "Clerk"}]))
            )
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(
            changes(&recorded_access(&h, "user.patch", &format!("user:{ann}"))),
            [],
            "{label}"
        );
        // A move to Sales takes the other: viewer is gone.
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Users/{ann}"),
                &scim,
                &patch(
                    json!([{"op": "add", "path": format!("{ENTERPRISE}:department"), "value": "Sales"}])
                )
            )
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(
            changes(&recorded_access(&h, "user.patch", &format!("user:{ann}"))),
            [change(&ann, &ws, json!("viewer"), Value::Null)],
            "{label}"
        );
    }
}
