//! The audit trail through SCIM and `GET /admin/v1/audit`, on every test database: every
//! applied SCIM write leaves its record (before/after of what changed), a write that changes
//! nothing or is rolled back leaves none but the failure record, and the trail pages with a
//! cursor and filters per organization.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use actix_web::http::{Method, header};
use common::{Harness, admin, group, patch, request, user, with_json};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

#[actix_web::test]
async fn every_scim_write_is_recorded_with_what_changed_and_failures_with_their_error() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let token = Some(admin_token.as_str());
        let scim = h.a.token.clone();
        let actor = format!("scim:{}", h.a.token_id);

        let ann = create!(app, &scim, "Users", user("ann"));
        let off = patch(json!([{"op": "replace", "value": {"active": false}}]));
        let reply = send!(
            app,
            with_json(Method::PATCH, &format!("/scim/v2/Users/{ann}"), &scim, &off)
        );
        assert_eq!(reply.status, 200);
        // The same PATCH again changes nothing: no record.
        let reply = send!(
            app,
            with_json(Method::PATCH, &format!("/scim/v2/Users/{ann}"), &scim, &off)
        );
        assert_eq!(reply.status, 200);
        let eng = create!(app, &scim, "Groups", group("eng", &[]));
        let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": ann}]}]));
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Groups/{eng}"),
                &scim,
                &add
            )
        );
        assert_eq!(reply.status, 204);
        // Adding a member already there, or removing one who is not, changes nothing: no
        // record either.
        let absent = patch(json!([
            {"op": "remove", "path": format!("members[value eq \"{eng}\"]")}
        ]));
        for again in [&add, &absent] {
            let reply = send!(
                app,
                with_json(
                    Method::PATCH,
                    &format!("/scim/v2/Groups/{eng}"),
                    &scim,
                    again
                )
            );
            assert_eq!(reply.status, 204, "{label}");
        }
        // Refused by a constraint: rolled back, recorded as a failure only.
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", &scim, &user("ANN"))
        );
        assert_eq!(reply.status, 409);
        // A bad token leaves nothing (no organization to record it for).
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", "rc_scim_x_0", &user("bob"))
        );
        assert_eq!(reply.status, 401);
        let reply = send!(
            app,
            request(Method::DELETE, &format!("/scim/v2/Users/{ann}"), &scim)
        );
        assert_eq!(reply.status, 204);

        let (status, trail, _) = call!(app, admin("GET", "/admin/v1/audit", token, None));
        assert_eq!(status, 200, "{label} {trail}");
        let events = trail["events"].as_array().unwrap();
        let summary: Vec<(String, String, u64)> = events
            .iter()
            .map(|e| {
                (
                    e["type"].as_str().unwrap().to_owned(),
                    e["target"].as_str().unwrap().to_owned(),
                    e["status"].as_u64().unwrap(),
                )
            })
            .collect();
        let expected = [
            ("user.create", format!("user:{ann}"), 201),
            ("user.patch", format!("user:{ann}"), 200),
            // The suspension and the deletion by type too (PRODUCT.md §6).
            ("user.deactivated", format!("user:{ann}"), 200),
            ("group.create", format!("group:{eng}"), 201),
            ("group.patch", format!("group:{eng}"), 200),
            ("user.create", "user".to_owned(), 409),
            ("user.delete", format!("user:{ann}"), 204),
            ("user.deleted", format!("user:{ann}"), 204),
        ]
        .map(|(t, target, status)| (t.to_owned(), target, status));
        assert_eq!(summary, expected, "{label}");
        assert!(events.iter().all(|e| e["actor"] == actor.as_str()));
        assert_eq!(events[0]["detail"]["after"]["userName"], "ann");
        assert_eq!(
            events[1]["detail"],
            // ann held no role anywhere: the suspension changed none.
            json!({"before": {"active": true}, "after": {"active": false}, "access": []})
        );
        assert_eq!(
            events[2]["detail"],
            json!({"via": "user.patch", "access": []})
        );
        assert_eq!(
            events[4]["detail"]["members"],
            json!([{"op": "add", "members": [ann]}])
        );
        assert_eq!(
            events[5]["detail"]["error"]["scimType"], "uniqueness",
            "{}",
            events[5]
        );
        assert!(trail.get("next_cursor").is_none());

        // Pages with a cursor, filters, and nothing of another organization.
        let (_, first, _) = call!(app, admin("GET", "/admin/v1/audit?limit=4", token, None));
        let cursor = first["next_cursor"].as_str().unwrap().to_owned();
        let (_, second, _) = call!(
            app,
            admin(
                "GET",
                &format!("/admin/v1/audit?limit=4&cursor={cursor}"),
                token,
                None
            )
        );
        let ids = |page: &Value| -> Vec<String> {
            page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let walked: Vec<String> = ids(&first).into_iter().chain(ids(&second)).collect();
        assert_eq!(walked, ids(&trail), "{label}");
        assert!(second.get("next_cursor").is_none());
        let (_, patches, _) = call!(
            app,
            admin("GET", "/admin/v1/audit?type=user.patch", token, None)
        );
        assert_eq!(patches["events"].as_array().unwrap().len(), 1);
        let (_, on_group, _) = call!(
            app,
            admin(
                "GET",
                &format!("/admin/v1/audit?target=group:{eng}"),
                token,
                None
            )
        );
        assert_eq!(on_group["events"].as_array().unwrap().len(), 2);
        for bad in ["cursor=x", "since=yesterday", "limit=0", "colour=red"] {
            let (status, _, _) = call!(
                app,
                admin("GET", &format!("/admin/v1/audit?{bad}"), token, None)
            );
            assert_eq!(status, 400, "{bad}");
        }
        let other = h.tenant("Beta");
        let (_, stranger) = h.token(&other.org_id, TokenKind::Admin, None);
        let (_, theirs, _) = call!(app, admin("GET", "/admin/v1/audit", Some(&stranger), None));
        assert_eq!(theirs["events"], json!([]), "{label}");
    }
}

#[actix_web::test]
async fn a_write_refused_while_it_was_read_is_recorded_with_its_error() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let token = Some(admin_token.as_str());
        let scim = h.a.token.clone();
        let ann = create!(app, &scim, "Users", user("ann"));
        let malformed = |token: &str| {
            request(Method::POST, "/scim/v2/Users", token)
                .insert_header((header::CONTENT_TYPE, "application/scim+json"))
                .set_payload("{\"userName\": ")
        };
        // Malformed JSON, and a precondition that is no entity tag: refused before the
        // request's transaction, recorded all the same.
        let reply = send!(
            app,
            malformed(&scim).insert_header(("X-Request-Id", "idp-7"))
        );
        assert_eq!(reply.status, 400, "{label}");
        let reply = send!(
            app,
            with_json(
                Method::PUT,
                &format!("/scim/v2/Users/{ann}"),
                &scim,
                &user("ann")
            )
            .insert_header((header::IF_MATCH, "not a tag"))
        );
        assert_eq!(reply.status, 400, "{label}");
        // A read refused the same way is no write, and a token that is not valid leaves
        // no record (no organization to put it in).
        let reply = send!(
            app,
            request(Method::GET, "/scim/v2/Users?count=many", &scim)
        );
        assert_eq!(reply.status, 400, "{label}");
        let reply = send!(app, malformed("rc_scim_nope_0000"));
        assert_eq!(reply.status, 401, "{label}");

        let (status, trail, _) = call!(app, admin("GET", "/admin/v1/audit", token, None));
        assert_eq!(status, 200, "{label} {trail}");
        let events = trail["events"].as_array().unwrap();
        let summary: Vec<(&str, &str, u64, &str)> = events
            .iter()
            .map(|e| {
                (
                    e["type"].as_str().unwrap(),
                    e["target"].as_str().unwrap(),
                    e["status"].as_u64().unwrap(),
                    e["detail"]["error"]["scimType"].as_str().unwrap_or("-"),
                )
            })
            .collect();
        let user_ann = format!("user:{ann}");
        assert_eq!(
            summary,
            [
                ("user.create", user_ann.as_str(), 201, "-"),
                ("user.create", "user", 400, "invalidSyntax"),
                ("user.replace", user_ann.as_str(), 400, "invalidValue"),
            ],
            "{label}"
        );
        let actor = format!("scim:{}", h.a.token_id);
        assert!(
            events.iter().all(|e| e["actor"] == actor.as_str()),
            "{label}"
        );
        assert_eq!(events[1]["request_id"], "idp-7", "{label}");
        // So they count in the organization's health.
        let (status, health, _) = call!(app, admin("GET", "/admin/v1/health", token, None));
        assert_eq!(status, 200, "{label} {health}");
        assert_eq!(
            health["requests"],
            json!({"total": 3, "succeeded": 1, "failed": 2}),
            "{label}"
        );
    }
}

#[actix_web::test]
async fn the_request_id_is_answered_and_written_into_the_record() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let scim = h.a.token.clone();

        // The client's id is kept and answered.
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", &scim, &user("ann"))
                .insert_header(("X-Request-Id", "okta-req-42"))
        );
        assert_eq!(reply.status, 201, "{label}");
        assert_eq!(reply.header("x-request-id"), Some("okta-req-42"));
        // A failed write keeps it too.
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", &scim, &user("ANN"))
                .insert_header(("X-Request-Id", "okta-req-43"))
        );
        assert_eq!(reply.status, 409, "{label}");
        // An unacceptable one is replaced by ours, and ours is answered.
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", &scim, &user("bob"))
                .insert_header(("X-Request-Id", "no spaces allowed"))
        );
        assert_eq!(reply.status, 201, "{label}");
        let made = reply.header("x-request-id").unwrap().to_owned();
        assert_ne!(made, "no spaces allowed");
        assert!(!made.is_empty());
        // Reads answer one too.
        let reply = send!(app, request(Method::GET, "/scim/v2/Users", &scim));
        assert!(reply.header("x-request-id").is_some(), "{label}");

        let (status, trail, _) = call!(
            app,
            admin("GET", "/admin/v1/audit", Some(admin_token.as_str()), None)
        );
        assert_eq!(status, 200, "{label} {trail}");
        let ids: Vec<(&str, u64, &str)> = trail["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["type"].as_str().unwrap(),
                    e["status"].as_u64().unwrap(),
                    e["request_id"].as_str().unwrap_or("<none>"),
                )
            })
            .collect();
        assert_eq!(
            ids,
            vec![
                ("user.create", 201, "okta-req-42"),
                ("user.create", 409, "okta-req-43"),
                ("user.create", 201, made.as_str()),
            ],
            "{label}"
        );
    }
}

/// A password is never returned (RFC 7643 §4.1.1) nor kept in clear (PRODUCT.md §1): the
/// trail names it when it is set, its values redacted, and says it was discarded (the
/// default `password_storage`). Filters on it are refused (`tests/passwords.rs`).
#[actix_web::test]
async fn a_password_is_never_in_the_trail() {
    const FIRST: &str = "Hunter2-first";
    const SECOND: &str = "Hunter2-second";
    const THIRD: &str = "Hunter2-third";
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let scim = h.a.token.clone();
        let mut body = user("pw");
        body["password"] = json!(FIRST);
        let reply = send!(app, with_json(Method::POST, "/scim/v2/Users", &scim, &body));
        assert_eq!(reply.status, 201, "{label}: {}", reply.body);
        let id = reply.body["id"].as_str().unwrap().to_owned();
        let uri = format!("/scim/v2/Users/{id}");
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &uri,
                &scim,
                &patch(json!([{"op": "replace", "path": "password", "value": SECOND}]))
            )
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        body["password"] = json!(THIRD);
        body["displayName"] = json!("P. W.");
        let reply = send!(app, with_json(Method::PUT, &uri, &scim, &body));
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);

        let (status, trail, _) = call!(
            app,
            admin("GET", "/admin/v1/audit", Some(admin_token.as_str()), None)
        );
        assert_eq!(status, 200, "{label} {trail}");
        let text = trail.to_string();
        for secret in [FIRST, SECOND, THIRD] {
            assert!(!text.contains(secret), "{label}: {secret} in {text}");
        }
        let details: Vec<(String, Value)> = trail["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["type"].as_str().unwrap().to_owned(), e["detail"].clone()))
            .collect();
        let redacted = json!("[redacted]");
        assert_eq!(details[0].0, "user.create", "{label}");
        assert_eq!(trail["events"][0]["org"], json!(h.a.org_id), "{label}");
        assert_eq!(details[0].1["after"]["password"], redacted, "{label}");
        assert_eq!(details[0].1["after"]["userName"], json!("pw"), "{label}");
        assert_eq!(details[0].1["password"], json!("discarded"), "{label}");
        assert_eq!(details[1].0, "user.patch", "{label}");
        assert_eq!(
            details[1].1,
            json!({"before": {"password": null}, "after": {"password": redacted}, "password": "discarded"}),
            "{label}"
        );
        assert_eq!(details[2].0, "user.replace", "{label}");
        assert_eq!(details[2].1["before"]["password"], Value::Null, "{label}");
        assert_eq!(details[2].1["after"]["password"], redacted, "{label}");
        assert_eq!(
            details[2].1["after"]["displayName"],
            json!("P. W."),
            "{label}"
        );
    }
}
