//! The user lifecycle (PRODUCT.md §5), one test per row of the table, on every test
//! database, through the SCIM and admin endpoints against the real store, with a clock the
//! test moves: creation and access through groups and rules, suspension in every form
//! (access gone at once, grants and memberships kept, still found), reactivation inside and
//! outside the window, deletion as a tombstone, the purge, group changes, and owner
//! succession (the successor, the longest-standing org owner, nobody).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

mod common;

use std::sync::{Arc, Mutex};

use actix_web::http::Method;
use chrono::{DateTime, Duration, Utc};
use common::{Harness, admin, encode, group, patch, request, user, with_json};
use rollcall_store::testing::TestDb;
use rollcall_store::{AuditQuery, AuditRecord, TokenKind};
use serde_json::{Value, json};

/// A clock the test moves; the app state reads it.
#[derive(Clone)]
struct Clock(Arc<Mutex<DateTime<Utc>>>);

impl Clock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

/// A harness whose state reads `clock`, and an admin token.
fn setup(db: TestDb) -> (Harness, Clock, String) {
    let mut h = Harness::new(db);
    let clock = Clock(Arc::new(Mutex::new(Utc::now())));
    let reader = clock.clone();
    h.state = h.state.clone().with_clock(move || reader.now());
    let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
    (h, clock, admin_token)
}

/// The org's audit records of `operation`.
fn audit(h: &Harness, operation: &str) -> Vec<AuditRecord> {
    h.store
        .read(|tx| {
            tx.audit().query(
                &h.a.org_id,
                &AuditQuery {
                    operation: Some(operation.to_owned()),
                    limit: 1000,
                    ..AuditQuery::default()
                },
            )
        })
        .unwrap()
}

/// The effective role of `user` on `resource` (`workspace:<id>`), `None` for no role.
macro_rules! role {
    ($app:expr, $admin:expr, $user:expr, $resource:expr) => {{
        let uri = format!("/admin/v1/access?user={}&resource={}", $user, $resource);
        let (status, body, _) = call!($app, admin("GET", &uri, Some($admin), None));
        assert_eq!(status, 200, "{uri}: {body}");
        body["role"].as_str().map(str::to_owned)
    }};
}

/// An admin POST that must answer 201 or 200; its body.
macro_rules! admin_post {
    ($app:expr, $admin:expr, $uri:expr, $body:expr) => {{
        let (status, body, _) = call!($app, admin("POST", $uri, Some($admin), Some($body)));
        assert!(status == 201 || status == 200, "{}: {status} {body}", $uri);
        body
    }};
}

/// PATCH the org settings.
macro_rules! settings {
    ($app:expr, $admin:expr, $body:expr) => {{
        let (status, body, _) = call!(
            $app,
            admin("PATCH", "/admin/v1/org", Some($admin), Some($body))
        );
        assert_eq!(status, 200, "{body}");
    }};
}

/// The roles of the grants `user` holds, as `(resource, role)`, sorted.
macro_rules! grants_of {
    ($app:expr, $admin:expr, $user:expr) => {{
        let uri = format!("/admin/v1/grants?principal=user:{}", $user);
        let (status, body, _) = call!($app, admin("GET", &uri, Some($admin), None));
        assert_eq!(status, 200, "{body}");
        let mut held: Vec<(String, String)> = body["grants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["resource"]["id"].as_str().unwrap().to_owned(),
                    g["role"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        held.sort();
        held
    }};
}

fn grant(principal: (&str, &str), workspace: &str, role: &str) -> Value {
    json!({"principal": {"type": principal.0, "id": principal.1},
           "resource": {"type": "workspace", "id": workspace}, "role": role})
}

fn user_uri(id: &str) -> String {
    format!("/scim/v2/Users/{id}")
}

/// The ids a user filter finds.
macro_rules! found {
    ($app:expr, $token:expr, $filter:expr) => {{
        let uri = format!("/scim/v2/Users?filter={}", encode($filter));
        let reply = send!($app, request(Method::GET, &uri, $token));
        assert_eq!(reply.status, 200, "{}", reply.body);
        let ids: Vec<String> = reply.body["Resources"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect();
        ids
    }};
}

#[actix_web::test]
async fn a_new_user_has_access_through_groups_and_rules_only() {
    for db in TestDb::all() {
        let (h, clock, admin_token) = setup(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (scim, adm) = (h.a.token.clone(), admin_token.as_str());
        let ws = admin_post!(
            app,
            adm,
            "/admin/v1/workspaces",
            json!({"name": "department_x"})
        );
        let ws = format!("workspace:{}", ws["id"].as_str().unwrap());
        admin_post!(
            app,
            adm,
            "/admin/v1/rules",
            json!({"group": "eng-*", "workspaces": "department_*", "role": "editor"})
        );

        let ann = create!(app, &scim, "Users", user("ann"));
        assert_eq!(role!(app, adm, &ann, &ws), None, "{label}: no group yet");
        let _eng = create!(app, &scim, "Groups", group("eng-core", &[&ann]));
        assert_eq!(
            role!(app, adm, &ann, &ws).as_deref(),
            Some("editor"),
            "{label}"
        );
        // Created inactive: exists, no access, and found.
        let mut body = user("cy");
        body["active"] = json!(false);
        let cy = create!(app, &scim, "Users", body);
        let _web = create!(app, &scim, "Groups", group("eng-web", &[&cy]));
        assert_eq!(role!(app, adm, &cy, &ws), None, "{label}");
        assert_eq!(
            found!(app, &scim, "active eq false"),
            vec![cy.clone()],
            "{label}"
        );
        let since = h
            .store
            .read(|tx| tx.lifecycle().deactivated_at(&h.a.org_id, &cy))
            .unwrap();
        assert_eq!(since, Some(clock.now()), "{label}: created suspended");
        let since = h
            .store
            .read(|tx| tx.lifecycle().deactivated_at(&h.a.org_id, &ann))
            .unwrap();
        assert_eq!(since, None, "{label}");
    }
}

/// The three forms of `active=false`: a path-less PATCH, a PATCH of `active` with the
/// string "False" (lenient dialect), a PUT.
fn suspensions(user_name: &str) -> Vec<(&'static str, Method, Value)> {
    let mut put = user(user_name);
    put["active"] = json!(false);
    vec![
        (
            "PATCH without path",
            Method::PATCH,
            patch(json!([{"op": "replace", "value": {"active": false}}])),
        ),
        (
            "PATCH active \"False\"",
            Method::PATCH,
            patch(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        ),
        ("PUT", Method::PUT, put),
    ]
}

#[actix_web::test]
async fn suspension_ends_access_at_once_and_keeps_grants_memberships_and_visibility() {
    for db in TestDb::all() {
        let (h, clock, admin_token) = setup(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (scim, adm) = (h.a.token.clone(), admin_token.as_str());
        let ws = admin_post!(app, adm, "/admin/v1/workspaces", json!({"name": "plans"}));
        let ws_id = ws["id"].as_str().unwrap().to_owned();
        let ws = format!("workspace:{ws_id}");

        for (index, (form, method, body)) in suspensions("probe").into_iter().enumerate() {
            let context = format!("{label} {form}");
            let name = format!("user{index}");
            let id = create!(app, &scim, "Users", user(&name));
            let team = create!(app, &scim, "Groups", group(&format!("team{index}"), &[&id]));
            admin_post!(
                app,
                adm,
                "/admin/v1/grants",
                grant(("group", &team), &ws_id, "editor")
            );
            admin_post!(
                app,
                adm,
                "/admin/v1/grants",
                grant(("user", &id), &ws_id, "maintainer")
            );
            assert_eq!(
                role!(app, adm, &id, &ws).as_deref(),
                Some("maintainer"),
                "{context}"
            );

            clock.advance(Duration::hours(1));
            let mut body = body;
            if method == Method::PUT {
                body["userName"] = json!(name);
            }
            let reply = send!(app, with_json(method, &user_uri(&id), &scim, &body));
            assert_eq!(reply.status, 200, "{context}: {}", reply.body);
            assert_eq!(reply.body["active"], json!(false), "{context}");

            assert_eq!(role!(app, adm, &id, &ws), None, "{context}: no access");
            assert_eq!(
                grants_of!(app, adm, &id),
                vec![(ws_id.clone(), "maintainer".to_owned())],
                "{context}: grants kept"
            );
            let got = send!(app, request(Method::GET, &user_uri(&id), &scim));
            assert_eq!(got.status, 200, "{context}");
            assert_eq!(
                got.body["groups"][0]["value"],
                json!(team),
                "{context}: member"
            );
            assert_eq!(
                found!(app, &scim, &format!("userName eq \"{name}\"")),
                vec![id.clone()],
                "{context}: found by filter"
            );
            assert!(
                found!(app, &scim, "active eq false").contains(&id),
                "{context}"
            );
            let since = h
                .store
                .read(|tx| tx.lifecycle().deactivated_at(&h.a.org_id, &id))
                .unwrap();
            assert_eq!(since, Some(clock.now()), "{context}: when it happened");
        }
    }
}

#[actix_web::test]
async fn reactivation_keeps_manual_grants_inside_the_window_and_drops_them_after() {
    // (days suspended, manual grant kept)
    let cases = [(1, true), (5, true), (6, false), (40, false)];
    for db in TestDb::all() {
        let (h, clock, admin_token) = setup(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (scim, adm) = (h.a.token.clone(), admin_token.as_str());
        settings!(app, adm, json!({"reactivation_window_days": 5}));
        let ws = admin_post!(app, adm, "/admin/v1/workspaces", json!({"name": "plans"}));
        let ws_id = ws["id"].as_str().unwrap().to_owned();
        let ws = format!("workspace:{ws_id}");
        let off = patch(json!([{"op": "replace", "path": "active", "value": false}]));
        let on = patch(json!([{"op": "replace", "path": "active", "value": true}]));

        for (days, kept) in cases {
            let context = format!("{label} after {days} days");
            let name = format!("u{days}");
            let id = create!(app, &scim, "Users", user(&name));
            let team = create!(app, &scim, "Groups", group(&format!("t{days}"), &[&id]));
            admin_post!(
                app,
                adm,
                "/admin/v1/grants",
                grant(("group", &team), &ws_id, "viewer")
            );
            admin_post!(
                app,
                adm,
                "/admin/v1/grants",
                grant(("user", &id), &ws_id, "editor")
            );
            let reply = send!(app, with_json(Method::PATCH, &user_uri(&id), &scim, &off));
            assert_eq!(reply.status, 200, "{context}");
            clock.advance(Duration::days(days));
            let reply = send!(
                app,
                with_json(Method::PATCH, &user_uri(&id), &scim, &on)
                    .insert_header(("X-Request-Id", format!("req-{days}")))
            );
            assert_eq!(reply.status, 200, "{context}: {}", reply.body);

            let dropped: Vec<AuditRecord> = audit(&h, "grant.delete")
                .into_iter()
                .filter(|r| r.detail["before"]["principal"]["id"] == json!(id))
                .collect();
            if kept {
                assert_eq!(grants_of!(app, adm, &id).len(), 1, "{context}");
                assert_eq!(
                    role!(app, adm, &id, &ws).as_deref(),
                    Some("editor"),
                    "{context}"
                );
                assert!(dropped.is_empty(), "{context}");
            } else {
                assert!(grants_of!(app, adm, &id).is_empty(), "{context}");
                // Access from the current groups is back; the manual grant is not.
                assert_eq!(
                    role!(app, adm, &id, &ws).as_deref(),
                    Some("viewer"),
                    "{context}"
                );
                assert_eq!(dropped.len(), 1, "{context}");
                let record = &dropped[0];
                assert_eq!(record.actor, format!("scim:{}", h.a.token_id), "{context}");
                assert_eq!(
                    record.request_id.as_deref(),
                    Some(format!("req-{days}").as_str())
                );
                assert_eq!(record.detail["reason"], "reactivated_outside_window");
                assert_eq!(record.detail["before"]["role"], "editor", "{context}");
            }
            let since = h
                .store
                .read(|tx| tx.lifecycle().deactivated_at(&h.a.org_id, &id))
                .unwrap();
            assert_eq!(since, None, "{context}: active again");
        }
    }
}

#[actix_web::test]
async fn delete_leaves_a_tombstone_and_frees_the_user_name() {
    for db in TestDb::all() {
        let (h, clock, admin_token) = setup(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (scim, adm) = (h.a.token.clone(), admin_token.as_str());
        let ws = admin_post!(app, adm, "/admin/v1/workspaces", json!({"name": "plans"}));
        let ws_id = ws["id"].as_str().unwrap().to_owned();
        let ws = format!("workspace:{ws_id}");
        let mut body = user("ann");
        body["externalId"] = json!("okta-ann");
        let ann = create!(app, &scim, "Users", body.clone());
        let bob = create!(app, &scim, "Users", user("bob"));
        let team = create!(app, &scim, "Groups", group("team", &[&ann, &bob]));
        admin_post!(
            app,
            adm,
            "/admin/v1/grants",
            grant(("user", &ann), &ws_id, "editor")
        );
        admin_post!(
            app,
            adm,
            "/admin/v1/grants",
            grant(("user", &bob), &ws_id, "owner")
        );
        admin_post!(
            app,
            adm,
            "/admin/v1/access/join",
            json!({"user": ann, "resource": ws})
        );
        settings!(app, adm, json!({"owners": [ann, bob]}));

        clock.advance(Duration::minutes(5));
        let reply = send!(app, request(Method::DELETE, &user_uri(&ann), &scim));
        assert_eq!(reply.status, 204, "{label}: {}", reply.body);

        // 404 from then on, for every method.
        let put = user("ann");
        let off = patch(json!([{"op": "replace", "value": {"active": false}}]));
        for (method, body) in [
            (Method::GET, None),
            (Method::PATCH, Some(off)),
            (Method::PUT, Some(put)),
            (Method::DELETE, None),
        ] {
            let reply = match body {
                Some(body) => send!(
                    app,
                    with_json(method.clone(), &user_uri(&ann), &scim, &body)
                ),
                None => send!(app, request(method.clone(), &user_uri(&ann), &scim)),
            };
            reply.assert_error(404, None, &format!("{label} {method}"));
        }
        assert!(
            found!(app, &scim, "userName eq \"ann\"").is_empty(),
            "{label}"
        );
        assert_eq!(
            found!(app, &scim, "userName pr"),
            vec![bob.clone()],
            "{label}"
        );
        // Gone from the group, and cannot be added back.
        let reply = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Groups/{team}"), &scim)
        );
        assert_eq!(
            common::member_values(&reply.body),
            vec![bob.clone()],
            "{label}"
        );
        let unknown = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Groups/{team}"),
                &scim,
                &patch(
                    json!([{"op": "add", "path": "members", "value": [{"value": "no-such-id"}]}])
                )
            )
        );
        let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": ann}]}]));
        let tombstoned = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Groups/{team}"),
                &scim,
                &add
            )
        );
        assert_eq!(
            tombstoned.status, unknown.status,
            "{label}: {}",
            tombstoned.body
        );
        assert_eq!(
            tombstoned.body["scimType"], unknown.body["scimType"],
            "{label}"
        );
        assert!(tombstoned.status >= 400, "{label}");
        // Grants, joins and org ownership went with it; the access question is a 404.
        assert!(grants_of!(app, adm, &ann).is_empty(), "{label}");
        let joined = h
            .store
            .read(|tx| {
                tx.access().joined(
                    &h.a.org_id,
                    &org_model::ResourceRef::Workspace(ws_id.clone()),
                )
            })
            .unwrap();
        assert!(joined.is_empty(), "{label}: {joined:?}");
        let (_, org, _) = call!(app, admin("GET", "/admin/v1/org", Some(adm), None));
        assert_eq!(org["owners"], json!([bob]), "{label}");
        let uri = format!("/admin/v1/access?user={ann}&resource={ws}");
        let (status, _, _) = call!(app, admin("GET", &uri, Some(adm), None));
        assert_eq!(status, 404, "{label}");
        let dropped = audit(&h, "grant.delete");
        assert_eq!(dropped.len(), 1, "{label}");
        assert_eq!(dropped[0].detail["reason"], "user_deleted", "{label}");
        // The tombstone keeps the personal data until the purge.
        let tombstone = h
            .store
            .read(|tx| tx.lifecycle().tombstone(&h.a.org_id, &ann))
            .unwrap();
        assert_eq!(tombstone.user_name.as_deref(), Some("ann"), "{label}");
        assert_eq!(tombstone.deleted_at, clock.now(), "{label}");

        // The same userName and externalId make a new user.
        let again = create!(app, &scim, "Users", body);
        assert_ne!(again, ann, "{label}");
        let reply = send!(app, request(Method::GET, &user_uri(&again), &scim));
        assert_eq!(reply.body["externalId"], "okta-ann", "{label}");
        assert_eq!(
            role!(app, adm, &again, &ws),
            None,
            "{label}: nothing inherited"
        );
    }
}

#[actix_web::test]
async fn the_purge_scrubs_tombstones_after_purge_after_days_and_not_before() {
    for db in TestDb::all() {
        let (h, clock, admin_token) = setup(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (scim, adm) = (h.a.token.clone(), admin_token.as_str());
        settings!(app, adm, json!({"purge_after_days": 10}));
        let ann = create!(app, &scim, "Users", user("ann"));
        let reply = send!(app, request(Method::DELETE, &user_uri(&ann), &scim));
        assert_eq!(reply.status, 204, "{label}");
        let deleted_at = clock.now();

        // (days after the deletion, purged in this run)
        for (days, purged) in [(0, 0), (9, 0), (10, 1), (11, 0)] {
            let now = deleted_at + Duration::days(days);
            assert_eq!(
                rollcall_app::purge_deleted_users(&h.store, now).unwrap(),
                purged,
                "{label} day {days}"
            );
            let tombstone = h
                .store
                .read(|tx| tx.lifecycle().tombstone(&h.a.org_id, &ann))
                .unwrap();
            if days < 10 {
                assert_eq!(
                    tombstone.user_name.as_deref(),
                    Some("ann"),
                    "{label} {days}"
                );
                assert!(tombstone.data.contains("ann@example.com"), "{label} {days}");
                assert_eq!(tombstone.purged_at, None, "{label} {days}");
            } else {
                assert_eq!(tombstone.user_name, None, "{label} {days}");
                assert_eq!(tombstone.external_id, None, "{label} {days}");
                assert_eq!(tombstone.data, "{}", "{label} {days}");
                assert_eq!(
                    tombstone.purged_at,
                    Some(deleted_at + Duration::days(10)),
                    "{label} {days}"
                );
            }
        }
        let records = audit(&h, "user.purge");
        assert_eq!(records.len(), 1, "{label}");
        assert_eq!(records[0].actor, "system", "{label}");
        assert_eq!(records[0].target, format!("user:{ann}"), "{label}");
        // Still 404 after the purge.
        let reply = send!(app, request(Method::GET, &user_uri(&ann), &scim));
        assert_eq!(reply.status, 404, "{label}");
    }
}

#[actix_web::test]
async fn group_changes_recompute_access_and_deleting_a_group_deactivates_nobody() {
    for db in TestDb::all() {
        let (h, _clock, admin_token) = setup(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (scim, adm) = (h.a.token.clone(), admin_token.as_str());
        let ws = admin_post!(app, adm, "/admin/v1/workspaces", json!({"name": "plans"}));
        let ws_id = ws["id"].as_str().unwrap().to_owned();
        let ws = format!("workspace:{ws_id}");
        let ann = create!(app, &scim, "Users", user("ann"));
        let team = create!(app, &scim, "Groups", group("team", &[]));
        admin_post!(
            app,
            adm,
            "/admin/v1/grants",
            grant(("group", &team), &ws_id, "editor")
        );
        let team_uri = format!("/scim/v2/Groups/{team}");

        let steps = [
            (
                json!([{"op": "add", "path": "members", "value": [{"value": ann}]}]),
                Some("editor"),
            ),
            (
                json!([{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}]),
                None,
            ),
            (
                json!([{"op": "add", "path": "members", "value": [{"value": ann}]}]),
                Some("editor"),
            ),
        ];
        for (operations, expected) in steps {
            let reply = send!(
                app,
                with_json(Method::PATCH, &team_uri, &scim, &patch(operations))
            );
            assert!(
                reply.status == 200 || reply.status == 204,
                "{label}: {}",
                reply.body
            );
            assert_eq!(role!(app, adm, &ann, &ws).as_deref(), expected, "{label}");
        }
        let reply = send!(app, request(Method::DELETE, &team_uri, &scim));
        assert_eq!(reply.status, 204, "{label}");
        assert_eq!(
            role!(app, adm, &ann, &ws),
            None,
            "{label}: the group's grant went"
        );
        let reply = send!(app, request(Method::GET, &user_uri(&ann), &scim));
        assert_eq!(reply.status, 200, "{label}");
        assert_eq!(reply.body["active"], json!(true), "{label}: still active");
        assert!(
            reply.body.get("groups").is_none(),
            "{label}: {}",
            reply.body
        );
    }
}

/// How the last owner leaves.
#[derive(Debug, Clone, Copy)]
enum Leaving {
    Suspended,
    Deleted,
}

#[actix_web::test]
async fn the_last_active_owner_leaving_promotes_the_successor() {
    for db in TestDb::all() {
        let (h, _clock, admin_token) = setup(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (scim, adm) = (h.a.token.clone(), admin_token.as_str());
        for leaving in [Leaving::Suspended, Leaving::Deleted] {
            let context = format!("{label} {leaving:?}");
            let tag = format!("{leaving:?}").to_lowercase();
            let ws = admin_post!(app, adm, "/admin/v1/workspaces", json!({"name": tag}));
            let ws_id = ws["id"].as_str().unwrap().to_owned();
            let shared = admin_post!(
                app,
                adm,
                "/admin/v1/workspaces",
                json!({"name": format!("{tag}-shared")})
            );
            let shared_id = shared["id"].as_str().unwrap().to_owned();
            let owner = create!(app, &scim, "Users", user(&format!("{tag}-owner")));
            let co_owner = create!(app, &scim, "Users", user(&format!("{tag}-co")));
            let heir = create!(app, &scim, "Users", user(&format!("{tag}-heir")));
            admin_post!(
                app,
                adm,
                "/admin/v1/grants",
                grant(("user", &owner), &ws_id, "owner")
            );
            admin_post!(
                app,
                adm,
                "/admin/v1/grants",
                grant(("user", &owner), &shared_id, "owner")
            );
            admin_post!(
                app,
                adm,
                "/admin/v1/grants",
                grant(("user", &co_owner), &shared_id, "owner")
            );
            settings!(app, adm, json!({"successor": heir}));

            let reply = match leaving {
                Leaving::Suspended => send!(
                    app,
                    with_json(
                        Method::PATCH,
                        &user_uri(&owner),
                        &scim,
                        &patch(json!([{"op": "replace", "value": {"active": false}}]))
                    )
                ),
                Leaving::Deleted => send!(app, request(Method::DELETE, &user_uri(&owner), &scim)),
            };
            assert!(
                reply.status == 200 || reply.status == 204,
                "{context}: {}",
                reply.body
            );
            // The workspace it solely owned passes to the successor; the shared one does not.
            assert_eq!(
                grants_of!(app, adm, &heir),
                vec![(ws_id.clone(), "owner".to_owned())],
                "{context}"
            );
            assert_eq!(
                role!(app, adm, &heir, format!("workspace:{ws_id}")).as_deref(),
                Some("owner"),
                "{context}"
            );
            let records: Vec<AuditRecord> = audit(&h, "workspace.owner_succession")
                .into_iter()
                .filter(|r| r.detail["from"] == json!(owner))
                .collect();
            assert_eq!(records.len(), 1, "{context}");
            assert_eq!(records[0].target, format!("workspace:{ws_id}"), "{context}");
            assert_eq!(records[0].detail["to"], json!(heir), "{context}");
            assert_eq!(records[0].detail["reason"], json!(tag), "{context}");
            assert_eq!(
                records[0].actor,
                format!("scim:{}", h.a.token_id),
                "{context}"
            );
            // The heir's new role is an access change like any other: in the record, and
            // told as `access.changed`.
            let gained = json!({"user": heir, "resource": format!("workspace:{ws_id}"),
                                "before": null, "after": "owner"});
            let access = records[0].detail["access"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(access.contains(&gained), "{context}: {}", records[0].detail);
            assert!(
                access.iter().all(|change| change["user"] == json!(heir)),
                "{context}: {}",
                records[0].detail
            );
            let told: Vec<Value> = access_events(&h, "workspace.owner_succession")
                .into_iter()
                .filter(|data| data["target"] == json!(format!("workspace:{ws_id}")))
                .collect();
            assert_eq!(told.len(), 1, "{context}: {told:?}");
            assert_eq!(told[0]["changes"], records[0].detail["access"], "{context}");
        }
    }
}

#[actix_web::test]
async fn a_suspended_owner_deleted_later_hands_over_to_the_successor_set_since() {
    for db in TestDb::all() {
        let (h, _clock, admin_token) = setup(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (scim, adm) = (h.a.token.clone(), admin_token.as_str());
        let ws = admin_post!(app, adm, "/admin/v1/workspaces", json!({"name": "finance"}));
        let ws_id = ws["id"].as_str().unwrap().to_owned();
        let owner = create!(app, &scim, "Users", user("owner"));
        let heir = create!(app, &scim, "Users", user("heir"));
        admin_post!(
            app,
            adm,
            "/admin/v1/grants",
            grant(("user", &owner), &ws_id, "owner")
        );
        // Suspended with nobody to inherit: the workspace has no active owner.
        let off = patch(json!([{"op": "replace", "value": {"active": false}}]));
        let reply = send!(
            app,
            with_json(Method::PATCH, &user_uri(&owner), &scim, &off)
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        let records = audit(&h, "workspace.owner_succession");
        assert_eq!(records.len(), 1, "{label}");
        assert_eq!(records[0].detail["no_active_owner"], json!(true), "{label}");

        // A successor is named since; deleting the suspended owner hands the workspace on.
        settings!(app, adm, json!({"successor": heir}));
        let reply = send!(app, request(Method::DELETE, &user_uri(&owner), &scim));
        assert_eq!(reply.status, 204, "{label}");
        assert_eq!(
            grants_of!(app, adm, &heir),
            vec![(ws_id.clone(), "owner".to_owned())],
            "{label}"
        );
        assert_eq!(
            role!(app, adm, &heir, format!("workspace:{ws_id}")).as_deref(),
            Some("owner"),
            "{label}"
        );
        let records = audit(&h, "workspace.owner_succession");
        assert_eq!(records.len(), 2, "{label}");
        assert_eq!(records[1].detail["reason"], json!("deleted"), "{label}");
        assert_eq!(records[1].detail["to"], json!(heir), "{label}");
        assert_eq!(
            records[1].detail["access"],
            json!([{"user": heir, "resource": format!("workspace:{ws_id}"),
                    "before": null, "after": "owner"}]),
            "{label}"
        );
    }
}

#[actix_web::test]
async fn without_a_usable_successor_the_longest_standing_org_owner_inherits() {
    for db in TestDb::all() {
        let (h, clock, admin_token) = setup(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (scim, adm) = (h.a.token.clone(), admin_token.as_str());
        let ws = admin_post!(app, adm, "/admin/v1/workspaces", json!({"name": "plans"}));
        let ws_id = ws["id"].as_str().unwrap().to_owned();
        // Created in this order; the oldest org owner is suspended, so `older` inherits.
        let oldest = create!(app, &scim, "Users", user("oldest"));
        clock.advance(Duration::seconds(1));
        let older = create!(app, &scim, "Users", user("older"));
        clock.advance(Duration::seconds(1));
        let newer = create!(app, &scim, "Users", user("newer"));
        clock.advance(Duration::seconds(1));
        let successor = create!(app, &scim, "Users", user("successor"));
        let owner = create!(app, &scim, "Users", user("owner"));
        admin_post!(
            app,
            adm,
            "/admin/v1/grants",
            grant(("user", &owner), &ws_id, "owner")
        );
        settings!(
            app,
            adm,
            json!({"owners": [newer, oldest, older], "successor": successor})
        );
        let off = patch(json!([{"op": "replace", "value": {"active": false}}]));
        for id in [&oldest, &successor] {
            let reply = send!(app, with_json(Method::PATCH, &user_uri(id), &scim, &off));
            assert_eq!(reply.status, 200, "{label}");
        }

        let reply = send!(app, request(Method::DELETE, &user_uri(&owner), &scim));
        assert_eq!(reply.status, 204, "{label}");
        assert_eq!(
            grants_of!(app, adm, &older),
            vec![(ws_id.clone(), "owner".to_owned())],
            "{label}"
        );
        assert!(grants_of!(app, adm, &newer).is_empty(), "{label}");
        assert!(grants_of!(app, adm, &successor).is_empty(), "{label}");
    }
}

#[actix_web::test]
async fn with_nobody_to_inherit_the_call_succeeds_and_the_record_says_so() {
    for db in TestDb::all() {
        let (h, _clock, admin_token) = setup(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (scim, adm) = (h.a.token.clone(), admin_token.as_str());
        let ws = admin_post!(app, adm, "/admin/v1/workspaces", json!({"name": "plans"}));
        let ws_id = ws["id"].as_str().unwrap().to_owned();
        let owner = create!(app, &scim, "Users", user("owner"));
        admin_post!(
            app,
            adm,
            "/admin/v1/grants",
            grant(("user", &owner), &ws_id, "owner")
        );
        // The successor is the owner itself: it cannot inherit from itself.
        settings!(app, adm, json!({"successor": owner, "owners": [owner]}));

        let off = patch(json!([{"op": "replace", "value": {"active": false}}]));
        let reply = send!(
            app,
            with_json(Method::PATCH, &user_uri(&owner), &scim, &off)
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        let records = audit(&h, "workspace.owner_succession");
        assert_eq!(records.len(), 1, "{label}");
        assert_eq!(records[0].detail["no_active_owner"], json!(true), "{label}");
        assert_eq!(records[0].detail["to"], Value::Null, "{label}");
        // Deleting it now changes no owner: it stopped counting when suspended.
        let reply = send!(app, request(Method::DELETE, &user_uri(&owner), &scim));
        assert_eq!(reply.status, 204, "{label}");
        assert_eq!(audit(&h, "workspace.owner_succession").len(), 1, "{label}");
    }
}

#[actix_web::test]
async fn an_org_owner_leaving_hands_over_the_workspaces_without_a_direct_owner() {
    for db in TestDb::all() {
        let (h, _clock, admin_token) = setup(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (scim, adm) = (h.a.token.clone(), admin_token.as_str());
        let boss = create!(app, &scim, "Users", user("boss"));
        let heir = create!(app, &scim, "Users", user("heir"));
        let keeper = create!(app, &scim, "Users", user("keeper"));
        let orphan = admin_post!(app, adm, "/admin/v1/workspaces", json!({"name": "orphan"}));
        let orphan = orphan["id"].as_str().unwrap().to_owned();
        let kept = admin_post!(app, adm, "/admin/v1/workspaces", json!({"name": "kept"}));
        let kept = kept["id"].as_str().unwrap().to_owned();
        admin_post!(
            app,
            adm,
            "/admin/v1/grants",
            grant(("user", &keeper), &kept, "owner")
        );
        let deputy = create!(app, &scim, "Users", user("deputy"));
        settings!(
            app,
            adm,
            json!({"owners": [boss, deputy], "successor": heir})
        );

        // Another active org owner remains: the workspaces are not solely the boss's.
        let reply = send!(app, request(Method::DELETE, &user_uri(&boss), &scim));
        assert_eq!(reply.status, 204, "{label}");
        assert_eq!(grants_of!(app, adm, &heir), vec![], "{label}");

        // The last active org owner leaving hands over what has no direct owner.
        let reply = send!(app, request(Method::DELETE, &user_uri(&deputy), &scim));
        assert_eq!(reply.status, 204, "{label}");
        assert_eq!(
            grants_of!(app, adm, &heir),
            vec![(orphan.clone(), "owner".to_owned())],
            "{label}"
        );
    }
}

/// The org's `access.changed` events caused by `cause`, their `data`.
fn access_events(h: &Harness, cause: &str) -> Vec<Value> {
    h.store
        .read(|tx| tx.outbox().events_after(&h.a.org_id, 0, 10_000))
        .unwrap()
        .into_iter()
        .filter(|event| event.event_type == "access.changed" && event.data["cause"] == cause)
        .map(|event| event.data)
        .collect()
}

#[actix_web::test]
async fn an_ended_grant_is_removed_and_recorded_with_its_access_delta_once() {
    for db in TestDb::all() {
        let (h, clock, admin_token) = setup(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (scim, adm) = (h.a.token.clone(), admin_token.as_str());
        let ws = admin_post!(app, adm, "/admin/v1/workspaces", json!({"name": "q3"}));
        let ws_id = ws["id"].as_str().unwrap().to_owned();
        let resource = format!("workspace:{ws_id}");
        let ann = create!(app, &scim, "Users", user("ann"));
        let bob = create!(app, &scim, "Users", user("bob"));
        let eng = create!(app, &scim, "Groups", group("eng", &[&bob]));
        let ends = clock.now() + Duration::hours(1);
        let temporary = |principal: (&str, &str), role: &str| {
            let mut body = grant(principal, &ws_id, role);
            body["expires_at"] = json!(ends.to_rfc3339());
            body
        };
        // Ann's own grant and the group's end together; Bob keeps viewer of his own.
        let ann_grant = admin_post!(
            app,
            adm,
            "/admin/v1/grants",
            temporary(("user", &ann), "editor")
        );
        let eng_grant = admin_post!(
            app,
            adm,
            "/admin/v1/grants",
            temporary(("group", &eng), "maintainer")
        );
        admin_post!(
            app,
            adm,
            "/admin/v1/grants",
            grant(("user", &bob), &ws_id, "viewer")
        );

        // (minutes after the grants were made, removed in this run)
        for (minutes, removed) in [(59, 0), (60, 2), (61, 0)] {
            let now = clock.now() + Duration::minutes(minutes);
            assert_eq!(
                rollcall_app::expire_grants(&h.store, now).unwrap(),
                removed,
                "{label} minute {minutes}"
            );
        }
        assert_eq!(role!(app, adm, &ann, &resource), None, "{label}");
        assert_eq!(
            role!(app, adm, &bob, &resource).as_deref(),
            Some("viewer"),
            "{label}"
        );
        let records = audit(&h, "grant.expire");
        assert_eq!(records.len(), 2, "{label}");
        let mut seen = Vec::new();
        for record in &records {
            assert_eq!(record.actor, "system", "{label}");
            assert_eq!(record.detail["reason"], "expired", "{label}");
            assert_eq!(record.detail["after"], Value::Null, "{label}");
            let (who, before) =
                if record.target == format!("grant:{}", ann_grant["id"].as_str().unwrap()) {
                    (&ann, "editor")
                } else {
                    assert_eq!(
                        record.target,
                        format!("grant:{}", eng_grant["id"].as_str().unwrap()),
                        "{label}"
                    );
                    (&bob, "maintainer")
                };
            let after = if who == &bob {
                json!("viewer")
            } else {
                Value::Null
            };
            assert_eq!(
                record.detail["access"],
                json!([{"user": who, "resource": resource, "before": before, "after": after}]),
                "{label} {}",
                record.target
            );
            seen.push(record.target.clone());
        }
        seen.dedup();
        assert_eq!(seen.len(), 2, "{label}: one record per grant");
        let events = access_events(&h, "grant.expire");
        assert_eq!(events.len(), 2, "{label}");
        for event in &events {
            let record = records
                .iter()
                .find(|r| event["target"] == r.target.as_str());
            let record = record.expect("an event of a recorded expiry");
            assert_eq!(event["changes"], record.detail["access"], "{label}");
        }
        let left = grants_of!(app, adm, &ann);
        assert!(left.is_empty(), "{label}: {left:?}");
    }
}

#[actix_web::test]
async fn the_last_owner_grant_ending_hands_the_workspace_to_the_successor() {
    for db in TestDb::all() {
        let (h, clock, admin_token) = setup(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (scim, adm) = (h.a.token.clone(), admin_token.as_str());
        let ws = admin_post!(app, adm, "/admin/v1/workspaces", json!({"name": "ops"}));
        let ws_id = ws["id"].as_str().unwrap().to_owned();
        let resource = format!("workspace:{ws_id}");
        let owner = create!(app, &scim, "Users", user("olga"));
        let heir = create!(app, &scim, "Users", user("hugo"));
        settings!(app, adm, json!({"successor": heir}));
        let mut body = grant(("user", &owner), &ws_id, "owner");
        let ends = clock.now() + Duration::days(30);
        body["expires_at"] = json!(ends.to_rfc3339());
        admin_post!(app, adm, "/admin/v1/grants", body);

        assert_eq!(
            rollcall_app::expire_grants(&h.store, ends).unwrap(),
            1,
            "{label}"
        );
        assert_eq!(
            grants_of!(app, adm, &heir),
            vec![(ws_id.clone(), "owner".to_owned())],
            "{label}"
        );
        let records = audit(&h, "workspace.owner_succession");
        assert_eq!(records.len(), 1, "{label}");
        assert_eq!(records[0].detail["from"], json!(owner), "{label}");
        assert_eq!(records[0].detail["to"], json!(heir), "{label}");
        assert_eq!(records[0].detail["reason"], "grant_expired", "{label}");
        assert_eq!(records[0].actor, "system", "{label}");
        // The delta holds both sides: the owner's loss and the heir's gain.
        let mut access = audit(&h, "grant.expire")[0].detail["access"]
            .as_array()
            .unwrap()
            .clone();
        access.sort_by_key(|change| change["user"].as_str().unwrap().to_owned());
        let mut expected = vec![
            json!({"user": owner, "resource": resource, "before": "owner", "after": null}),
            json!({"user": heir, "resource": resource, "before": null, "after": "owner"}),
        ];
        expected.sort_by_key(|change| change["user"].as_str().unwrap().to_owned());
        assert_eq!(access, expected, "{label}");
    }
}
