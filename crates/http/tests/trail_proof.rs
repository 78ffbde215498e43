//! The trail as proof (PRODUCT.md §6), on every test database through the SCIM and admin
//! endpoints: lifecycle transitions recorded by type whatever the wire form, with the access
//! lost or regained; `target=` by bare id; complete records (a DELETE's "before", the
//! status answered, the credential that acted); a user without `active` recorded active.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

mod common;

use actix_web::http::Method;
use common::{Harness, admin, group, patch, request, user, with_json};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

/// `GET /admin/v1/audit?<query>`: the events.
macro_rules! trail {
    ($app:expr, $admin:expr, $query:expr) => {{
        let uri = format!("/admin/v1/audit?{}", $query);
        let (status, body, _) = call!($app, admin("GET", &uri, Some($admin), None));
        assert_eq!(status, 200, "{uri}: {body}");
        body["events"].as_array().cloned().unwrap_or_default()
    }};
}

/// An admin POST that must answer 201; its body.
macro_rules! admin_post {
    ($app:expr, $admin:expr, $uri:expr, $body:expr) => {{
        let (status, body, _) = call!($app, admin("POST", $uri, Some($admin), Some($body)));
        assert_eq!(status, 201, "{}: {body}", $uri);
        body
    }};
}

/// How one wire form changes `active`: the request for user `id` named `name`.
type Form = fn(&str, &str, bool) -> (Method, String, Value);

fn patch_pathless(id: &str, _: &str, active: bool) -> (Method, String, Value) {
    let body = patch(json!([{"op": "replace", "value": {"active": active}}]));
    (Method::PATCH, format!("/scim/v2/Users/{id}"), body)
}

fn patch_entra_string(id: &str, _: &str, active: bool) -> (Method, String, Value) {
    let value = if active { "True" } else { "False" };
    let body = patch(json!([{"op": "Replace", "path": "active", "value": value}]));
    (Method::PATCH, format!("/scim/v2/Users/{id}"), body)
}

fn put(id: &str, name: &str, active: bool) -> (Method, String, Value) {
    let mut body = user(name);
    body["active"] = json!(active);
    (Method::PUT, format!("/scim/v2/Users/{id}"), body)
}

fn bulk_patch(id: &str, _: &str, active: bool) -> (Method, String, Value) {
    let body = json!({"schemas": [BULK], "Operations": [{
        "method": "PATCH", "path": format!("/Users/{id}"),
        "data": patch(json!([{"op": "replace", "path": "active", "value": active}]))
    }]});
    (Method::POST, "/scim/v2/Bulk".to_owned(), body)
}

#[actix_web::test]
async fn lifecycle_transitions_are_recorded_by_type_with_the_access_they_change() {
    let forms: [(&str, Form, &str); 4] = [
        ("PATCH without path", patch_pathless, "user.patch"),
        ("PATCH \"False\"", patch_entra_string, "user.patch"),
        ("PUT", put, "user.replace"),
        ("Bulk PATCH", bulk_patch, "user.patch"),
    ];
    for db in TestDb::all() {
        let h = Harness::new(db);
        let (_, adm) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let app = app_with_admin!(h);
        let label = h.label();
        let scim = h.a.token.clone();
        let ws = admin_post!(app, &adm, "/admin/v1/workspaces", json!({"name": "plans"}));
        let ws_id = ws["id"].as_str().unwrap().to_owned();
        for (index, (form, request_for, via)) in forms.into_iter().enumerate() {
            let context = format!("{label} {form}");
            let name = format!("user{index}");
            let id = create!(app, &scim, "Users", user(&name));
            let team = create!(app, &scim, "Groups", group(&format!("team{index}"), &[&id]));
            admin_post!(
                app,
                &adm,
                "/admin/v1/grants",
                json!({"principal": {"type": "group", "id": team},
                       "resource": {"type": "workspace", "id": ws_id}, "role": "editor"})
            );
            let editor = json!({"user": id, "resource": format!("workspace:{ws_id}")});

            for (active, operation, before, after) in [
                (false, "user.deactivated", json!("editor"), Value::Null),
                (true, "user.reactivated", Value::Null, json!("editor")),
            ] {
                let (method, uri, body) = request_for(&id, &name, active);
                let reply = send!(app, with_json(method, &uri, &scim, &body));
                assert_eq!(reply.status, 200, "{context} {operation}: {}", reply.body);
                // Found by type and a bare id, and by `user:<id>` alike.
                let records = trail!(app, &adm, format!("type={operation}&target={id}"));
                assert_eq!(records.len(), 1, "{context} {operation}: {records:?}");
                let same = trail!(app, &adm, format!("type={operation}&target=user:{id}"));
                assert_eq!(records, same, "{context}");
                let record = &records[0];
                assert_eq!(record["target"], format!("user:{id}"), "{context}");
                assert_eq!(record["detail"]["via"], via, "{context}");
                let mut expected = editor.clone();
                expected["before"] = before;
                expected["after"] = after;
                assert_eq!(
                    record["detail"]["access"],
                    json!([expected]),
                    "{context} {operation}"
                );
                assert_eq!(
                    record["credential"],
                    json!({"kind": "scim_token", "id": h.a.token_id}),
                    "{context}"
                );
                // The same request id as the write's own record.
                let write = trail!(app, &adm, format!("type={via}&target={id}"));
                let write = write.last().unwrap();
                assert_eq!(record["request_id"], write["request_id"], "{context}");
                assert_eq!(record["time"], write["time"], "{context}");
            }
            // The same state again is no transition.
            let (method, uri, body) = request_for(&id, &name, true);
            let reply = send!(app, with_json(method, &uri, &scim, &body));
            assert_eq!(reply.status, 200, "{context}: {}", reply.body);
            let records = trail!(app, &adm, format!("type=user.reactivated&target={id}"));
            assert_eq!(records.len(), 1, "{context}: nothing new to record");

            // Deleted while active: the access it loses, and the "before" of the delete.
            let reply = send!(
                app,
                request(Method::DELETE, &format!("/scim/v2/Users/{id}"), &scim)
            );
            assert_eq!(reply.status, 204, "{context}");
            let deleted = trail!(app, &adm, format!("type=user.deleted&target={id}"));
            assert_eq!(deleted.len(), 1, "{context}");
            let mut lost = editor.clone();
            lost["before"] = json!("editor");
            lost["after"] = Value::Null;
            assert_eq!(deleted[0]["detail"]["access"], json!([lost]), "{context}");
            assert_eq!(deleted[0]["detail"]["via"], "user.delete", "{context}");
            assert_eq!(deleted[0]["status"], 204, "{context}");
            let delete = trail!(app, &adm, format!("type=user.delete&target={id}"));
            assert_eq!(delete.len(), 1, "{context}");
            assert_eq!(delete[0]["status"], 204, "{context}: the status answered");
            assert_eq!(
                delete[0]["detail"]["before"]["userName"], name,
                "{context}: a delete records what it deleted"
            );
            assert_eq!(delete[0]["detail"]["after"], Value::Null, "{context}");
        }
        // A user created inactive lost nothing: no transition is recorded for it.
        let mut body = user("dormant");
        body["active"] = json!(false);
        let dormant = create!(app, &scim, "Users", body);
        let records = trail!(app, &adm, format!("target={dormant}"));
        let types: Vec<&str> = records
            .iter()
            .map(|r| r["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, vec!["user.create"], "{label}");
    }
}

#[actix_web::test]
async fn records_are_complete_a_user_without_active_reads_active() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let (admin_id, adm) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let app = app_with_admin!(h);
        let label = h.label();
        let scim = h.a.token.clone();

        // Created without `active`: recorded active, and a later suspension reads
        // true → false, never null → false.
        let ann = create!(app, &scim, "Users", user("ann"));
        let created = trail!(app, &adm, format!("type=user.create&target={ann}"));
        assert_eq!(created[0]["detail"]["after"]["active"], true, "{label}");
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Users/{ann}"),
                &scim,
                &patch(json!([{"op": "replace", "path": "nickName", "value": "a"}]))
            )
        );
        assert_eq!(reply.status, 200, "{label}");
        let (method, uri, body) = patch_pathless(&ann, "ann", false);
        let reply = send!(app, with_json(method, &uri, &scim, &body));
        assert_eq!(reply.status, 200, "{label}");
        let patches = trail!(app, &adm, format!("type=user.patch&target={ann}"));
        assert_eq!(
            patches[0]["detail"],
            json!({"before": {"nickName": null}, "after": {"nickName": "a"}}),
            "{label}: an unchanged default is not a change"
        );
        assert_eq!(patches[1]["detail"]["before"]["active"], true, "{label}");
        assert_eq!(patches[1]["detail"]["after"]["active"], false, "{label}");

        // A group's DELETE records its "before" too, with the status answered.
        let team = create!(app, &scim, "Groups", group("team", &[&ann]));
        let reply = send!(
            app,
            request(Method::DELETE, &format!("/scim/v2/Groups/{team}"), &scim)
        );
        assert_eq!(reply.status, 204, "{label}");
        let deleted = trail!(app, &adm, format!("type=group.delete&target={team}"));
        assert_eq!(deleted[0]["status"], 204, "{label}");
        assert_eq!(
            deleted[0]["detail"]["before"]["displayName"], "team",
            "{label}"
        );

        // Admin writes: the status answered, and the admin token that acted.
        let ws = admin_post!(app, &adm, "/admin/v1/workspaces", json!({"name": "w"}));
        let ws_id = ws["id"].as_str().unwrap();
        let records = trail!(app, &adm, format!("target={ws_id}"));
        assert_eq!(records[0]["type"], "workspace.create", "{label}");
        assert_eq!(records[0]["status"], 201, "{label}");
        assert_eq!(
            records[0]["credential"],
            json!({"kind": "admin_token", "id": admin_id}),
            "{label}"
        );
        let (status, _, _) = call!(
            app,
            admin(
                "DELETE",
                &format!("/admin/v1/workspaces/{ws_id}"),
                Some(&adm),
                None
            )
        );
        assert_eq!(status, 204, "{label}");
        let records = trail!(app, &adm, format!("type=workspace.delete&target={ws_id}"));
        assert_eq!(records[0]["status"], 204, "{label}");
        // An unknown target kind finds nothing, a bare id of nothing finds nothing.
        assert!(trail!(app, &adm, "target=nothing").is_empty(), "{label}");
    }
}

/// The access a record carries, as `(user, resource, before, after)`, in the record's
/// order (by resource, then user).
fn access_of(record: &Value) -> Vec<(String, String, Value, Value)> {
    record["detail"]["access"]
        .as_array()
        .unwrap_or_else(|| panic!("no access in {record}"))
        .iter()
        .map(|change| {
            (
                change["user"].as_str().unwrap().to_owned(),
                change["resource"].as_str().unwrap().to_owned(),
                change["before"].clone(),
                change["after"].clone(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn every_access_change_has_a_delta_on_record() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let (_, adm) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let app = app_with_admin!(h);
        let label = h.label();
        let scim = h.a.token.clone();
        let ann = create!(app, &scim, "Users", user("ann"));
        let bob = create!(app, &scim, "Users", user("bob"));
        let cy = create!(app, &scim, "Users", user("cy"));
        let (status, body, _) = call!(
            app,
            admin(
                "PATCH",
                "/admin/v1/org",
                Some(&adm),
                Some(json!({"owners": [ann]}))
            )
        );
        assert_eq!(status, 200, "{label}: {body}");
        admin_post!(
            app,
            &adm,
            "/admin/v1/rules",
            json!({"group": "eng-*", "workspaces": "dept-*", "role": "editor"})
        );
        // A group created with members: the rule's roles... on no workspace yet.
        let eng = create!(app, &scim, "Groups", group("eng-core", &[&bob]));
        let created = trail!(app, &adm, format!("type=group.create&target={eng}"));
        assert_eq!(
            created[0]["detail"]["members"],
            json!([{"op": "add", "members": [bob]}]),
            "{label}: a created group's members are recorded"
        );

        // A workspace whose name a rule matches: its members gain the rule's role, org
        // owners gain owner (the Home folder has the workspace's roles and is reported as
        // the workspace).
        let ws = admin_post!(app, &adm, "/admin/v1/workspaces", json!({"name": "dept-x"}));
        let ws_id = ws["id"].as_str().unwrap().to_owned();
        let workspace = format!("workspace:{ws_id}");
        let records = trail!(app, &adm, format!("type=workspace.create&target={ws_id}"));
        let mut expected = vec![
            (ann.clone(), workspace.clone(), Value::Null, json!("owner")),
            (bob.clone(), workspace.clone(), Value::Null, json!("editor")),
        ];
        expected.sort_by_key(|change| change.0.clone());
        assert_eq!(
            access_of(&records[0]),
            expected,
            "{label}: workspace creation"
        );
        let events = trail!(app, &adm, "type=workspace.create");
        assert_eq!(events.len(), 1, "{label}");

        // A folder open to the workspace: its members gain roles there at once.
        let open = admin_post!(
            app,
            &adm,
            &format!("/admin/v1/workspaces/{ws_id}/folders"),
            json!({"name": "shared", "team_access": "everyone:viewer"})
        );
        let open_id = open["id"].as_str().unwrap();
        let records = trail!(app, &adm, format!("type=folder.create&target={open_id}"));
        let found = access_of(&records[0]);
        let users: Vec<&str> = found.iter().map(|(user, ..)| user.as_str()).collect();
        assert!(
            users.contains(&ann.as_str()) && users.contains(&bob.as_str()),
            "{label}: {found:?}"
        );
        assert!(
            found.iter().all(|(_, resource, before, _)| {
                resource == &format!("folder:{open_id}") && before.is_null()
            }),
            "{label}: {found:?}"
        );
        // An invite-only folder gives nobody but the owners anything new.
        let closed = admin_post!(
            app,
            &adm,
            &format!("/admin/v1/workspaces/{ws_id}/folders"),
            json!({"name": "private"})
        );
        let closed_id = closed["id"].as_str().unwrap();
        let records = trail!(app, &adm, format!("type=folder.create&target={closed_id}"));
        assert!(
            access_of(&records[0]).iter().all(|(user, ..)| user == &ann),
            "{label}: {:?}",
            access_of(&records[0])
        );

        // A rename out of the rule's reach: bob loses editor; ann, the owner, keeps owner.
        let (status, _, _) = call!(
            app,
            admin(
                "PATCH",
                &format!("/admin/v1/workspaces/{ws_id}"),
                Some(&adm),
                Some(json!({"name": "archive"}))
            )
        );
        assert_eq!(status, 200, "{label}");
        let records = trail!(app, &adm, format!("type=workspace.update&target={ws_id}"));
        let found = access_of(&records[0]);
        assert!(
            found.contains(&(bob.clone(), workspace.clone(), json!("editor"), Value::Null)),
            "{label}: {found:?}"
        );
        assert!(
            found.iter().all(|(user, ..)| user == &bob),
            "{label}: {found:?}"
        );

        // Back in reach; then a PUT of the group swaps bob for cy: the record lists both
        // member changes and carries both users' deltas.
        let (status, _, _) = call!(
            app,
            admin(
                "PATCH",
                &format!("/admin/v1/workspaces/{ws_id}"),
                Some(&adm),
                Some(json!({"name": "dept-y"}))
            )
        );
        assert_eq!(status, 200, "{label}");
        let reply = send!(
            app,
            with_json(
                Method::PUT,
                &format!("/scim/v2/Groups/{eng}"),
                &scim,
                &group("eng-core", &[&cy])
            )
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        let records = trail!(app, &adm, format!("type=group.replace&target={eng}"));
        assert_eq!(
            records[0]["detail"]["members"],
            json!([{"op": "add", "members": [cy]}, {"op": "remove", "members": [bob]}]),
            "{label}"
        );
        let found = access_of(&records[0]);
        assert!(
            found.contains(&(bob.clone(), workspace.clone(), json!("editor"), Value::Null))
                && found.contains(&(cy.clone(), workspace.clone(), Value::Null, json!("editor"))),
            "{label}: {found:?}"
        );
        // Each access change is told as `access.changed` too (one per record with a delta).
        let events = h
            .store
            .read(|tx| tx.outbox().events_after(&h.a.org_id, 0, 1000))
            .unwrap();
        let told = events
            .iter()
            .filter(|event| event.event_type == "access.changed")
            .count();
        assert!(told >= 5, "{label}: {told} access.changed events");
    }
}
