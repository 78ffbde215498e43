//! Rules that span rows hold under concurrent writes, on every test database. Each case
//! sends two writes at once that would each pass their check alone but together break the
//! rule (write skew, the hazard of PostgreSQL's `READ COMMITTED`): the database must end
//! in a state one order of the two writes gives, and every refusal must be the rule's own
//! 4xx. SQLite has one writer at a time; PostgreSQL runs four writer threads, so the two
//! land in different transactions most rounds.
//!
//! Concurrent member changes of a group that gives a role: `bins/rollcall/tests/
//! concurrent_members.rs`, through a real server process.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::rc::Rc;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use common::{Harness, admin, group, patch, request, user, with_json};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

/// How many times each race is run.
const ROUNDS: usize = 4;

/// Send every request at once: their `(status, body)` in order.
macro_rules! race {
    ($app:expr, $requests:expr) => {{
        let mut tasks = Vec::new();
        for sent in $requests {
            let app = Rc::clone(&$app);
            let sent: TestRequest = sent;
            tasks.push(actix_web::rt::spawn(async move {
                // SCIM and admin replies alike: the status and the JSON body, if any.
                let response = actix_web::test::call_service(&*app, sent.to_request()).await;
                let status = response.status().as_u16();
                let bytes = actix_web::test::read_body(response).await;
                let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                (status, body)
            }));
        }
        let mut replies: Vec<(u16, Value)> = Vec::new();
        for task in tasks {
            replies.push(task.await.unwrap());
        }
        replies
    }};
}

fn statuses(replies: &[(u16, Value)]) -> Vec<u16> {
    let mut statuses: Vec<u16> = replies.iter().map(|(status, _)| *status).collect();
    statuses.sort_unstable();
    statuses
}

fn id(body: &Value) -> String {
    body["id"].as_str().unwrap().to_owned()
}

fn grant(principal: (&str, &str), resource: (&str, &str), role: &str) -> Value {
    json!({"principal": {"type": principal.0, "id": principal.1},
           "resource": {"type": resource.0, "id": resource.1}, "role": role})
}

#[actix_web::test]
async fn admin_rules_hold_when_two_admin_writes_race() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = Rc::new(app_with_admin!(h));
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let token = Some(admin_token.as_str());
        let scim = h.a.token.clone();
        let grants_of = |workspace: &str| {
            admin(
                "GET",
                &format!("/admin/v1/grants?resource=workspace:{workspace}"),
                token,
                None,
            )
        };

        for round in 0..ROUNDS {
            // A workspace with two owners: revoking both at once leaves one.
            let (status, ws, _) = call!(
                *app,
                admin(
                    "POST",
                    "/admin/v1/workspaces",
                    token,
                    Some(json!({"name": format!("ws{round}")}))
                )
            );
            assert_eq!(status, 201, "{label} {ws}");
            let ws = id(&ws);
            let mut owner_grants = Vec::new();
            for n in 0..2 {
                let owner = create!(*app, &scim, "Users", user(&format!("owner{round}-{n}")));
                let (status, body, _) = call!(
                    *app,
                    admin(
                        "POST",
                        "/admin/v1/grants",
                        token,
                        Some(grant(("user", &owner), ("workspace", &ws), "owner"))
                    )
                );
                assert_eq!(status, 201, "{label} {body}");
                owner_grants.push(id(&body));
            }
            let replies = race!(
                app,
                owner_grants.iter().map(|grant| admin(
                    "DELETE",
                    &format!("/admin/v1/grants/{grant}"),
                    token,
                    None
                ))
            );
            assert_eq!(statuses(&replies), [204, 400], "{label}: {replies:?}");
            let (_, left, _) = call!(*app, grants_of(&ws));
            let owners = left["grants"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|grant| grant["role"] == "owner")
                .count();
            assert_eq!(owners, 1, "{label}: {left}");

            // An invite-only folder: opening it to everyone and granting a group on it at
            // once may not both succeed (a group grant needs an invite-only folder).
            let (status, folder, _) = call!(
                *app,
                admin(
                    "POST",
                    &format!("/admin/v1/workspaces/{ws}/folders"),
                    token,
                    Some(json!({"name": format!("f{round}")}))
                )
            );
            assert_eq!(status, 201, "{label} {folder}");
            let folder = id(&folder);
            let team = create!(*app, &scim, "Groups", group(&format!("team{round}"), &[]));
            let replies = race!(
                app,
                [
                    admin(
                        "PATCH",
                        &format!("/admin/v1/folders/{folder}"),
                        token,
                        Some(json!({"team_access": "everyone:editor"}))
                    ),
                    admin(
                        "POST",
                        "/admin/v1/grants",
                        token,
                        Some(grant(("group", &team), ("folder", &folder), "viewer"))
                    ),
                ]
            );
            let applied = replies
                .iter()
                .filter(|(status, _)| (200..300).contains(status))
                .count();
            assert_eq!(applied, 1, "{label}: {replies:?}");
            assert!(
                replies.iter().all(|(status, _)| *status < 500),
                "{label}: {replies:?}"
            );
        }
    }
}

#[actix_web::test]
async fn groups_added_to_groups_at_once_never_close_a_cycle() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = Rc::new(app!(h));
        let label = h.label();
        let scim = h.a.token.clone();
        let add = |container: &str, member: &str| {
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Groups/{container}"),
                &scim,
                &patch(json!([{"op": "add", "path": "members", "value": [{"value": member}]}])),
            )
        };
        for round in 0..ROUNDS {
            // Two groups added to each other.
            let x = create!(*app, &scim, "Groups", group(&format!("x{round}"), &[]));
            let y = create!(*app, &scim, "Groups", group(&format!("y{round}"), &[]));
            let replies = race!(app, [add(&x, &y), add(&y, &x)]);
            assert_eq!(statuses(&replies), [204, 400], "{label}: {replies:?}");

            // A cycle through groups neither write names: b ∋ c and d ∋ a stand; a ∋ b and
            // c ∋ d at once would close a → b → c → d → a.
            let [a, b, c, d] =
                ["a", "b", "c", "d"].map(|name| group(&format!("{name}{round}"), &[]));
            let a = create!(*app, &scim, "Groups", a);
            let b = create!(*app, &scim, "Groups", b);
            let c = create!(*app, &scim, "Groups", c);
            let d = create!(*app, &scim, "Groups", d);
            for (container, member) in [(&b, &c), (&d, &a)] {
                assert_eq!(send!(*app, add(container, member)).status, 204, "{label}");
            }
            let replies = race!(app, [add(&a, &b), add(&c, &d)]);
            assert_eq!(statuses(&replies), [204, 400], "{label}: {replies:?}");
            for (status, body) in &replies {
                if *status == 400 {
                    assert_eq!(body["scimType"], "invalidValue", "{label}: {body}");
                }
            }
        }
    }
}

#[actix_web::test]
async fn a_user_deleted_while_added_to_a_group_is_not_left_a_member() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = Rc::new(app!(h));
        let label = h.label();
        let scim = h.a.token.clone();
        for round in 0..ROUNDS {
            let leaver = create!(*app, &scim, "Users", user(&format!("leaver{round}")));
            let team = create!(*app, &scim, "Groups", group(&format!("team{round}"), &[]));
            let add =
                patch(json!([{"op": "add", "path": "members", "value": [{"value": leaver}]}]));
            let replies = race!(
                app,
                [
                    request(Method::DELETE, &format!("/scim/v2/Users/{leaver}"), &scim),
                    with_json(
                        Method::PATCH,
                        &format!("/scim/v2/Groups/{team}"),
                        &scim,
                        &add
                    ),
                ]
            );
            assert_eq!(replies[0].0, 204, "{label}: {replies:?}");
            assert!([204, 400].contains(&replies[1].0), "{label}: {replies:?}");
            let reply = send!(
                *app,
                request(Method::GET, &format!("/scim/v2/Groups/{team}"), &scim)
            );
            let members = reply.body.get("members").cloned().unwrap_or(json!([]));
            assert_eq!(members, json!([]), "{label}: {}", reply.body);
        }
    }
}

#[actix_web::test]
async fn unique_external_ids_turned_on_during_creates_stay_unique() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = Rc::new(app_with_admin!(h));
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let scim = h.a.token.clone();
        for round in 0..ROUNDS {
            // Off again, then on while two users with one externalId are created.
            let (status, body, _) =
                patch_org!(*app, &admin_token, json!({"unique_external_id": false}));
            assert_eq!(status, 200, "{label} {body}");
            let shared = format!("shared{round}");
            let with_external_id = |n: usize| {
                let mut body = user(&format!("u{round}-{n}"));
                body["externalId"] = json!(shared);
                with_json(Method::POST, "/scim/v2/Users", &scim, &body)
            };
            let replies = race!(
                app,
                [
                    common::admin(
                        "PATCH",
                        "/admin/v1/org",
                        Some(&admin_token),
                        Some(json!({"unique_external_id": true}))
                    ),
                    with_external_id(0),
                    with_external_id(1),
                ]
            );
            assert!(
                replies.iter().all(|(status, _)| *status < 500),
                "{label}: {replies:?}"
            );
            let created = replies[1..]
                .iter()
                .filter(|(status, _)| *status == 201)
                .count();
            if replies[0].0 == 200 {
                // Whatever the order, unique means at most one holds it.
                assert_eq!(created, 1, "{label}: {replies:?}");
            } else {
                // Refused: the two were there first, sharing it.
                assert_eq!((replies[0].0, created), (409, 2), "{label}: {replies:?}");
            }
            // The next round starts without them.
            for (status, body) in &replies[1..] {
                if *status == 201 {
                    let uri = format!("/scim/v2/Users/{}", id(body));
                    assert_eq!(
                        send!(*app, request(Method::DELETE, &uri, &scim)).status,
                        204
                    );
                }
            }
        }
    }
}
