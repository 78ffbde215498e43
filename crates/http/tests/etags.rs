//! `If-Match` and `If-None-Match` on GET, PUT, PATCH and DELETE of users and groups, as one
//! table; and concurrent PATCHes carrying the same `If-Match`: exactly one wins.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use std::rc::Rc;

use actix_web::http::{Method, header};
use actix_web::test::TestRequest;
use common::{Harness, group, patch, request, user, with_json};
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

/// Which entity tag a row sends.
#[derive(Debug, Clone, Copy)]
enum Tag {
    /// The resource's current ETag.
    Current,
    /// A version the resource never had.
    Stale,
    /// `*`.
    Any,
}

/// (method, header, tag, status for a user, status for a group).
const CASES: &[(&str, &str, Tag, u16, u16)] = &[
    ("GET", "If-Match", Tag::Current, 200, 200),
    ("GET", "If-Match", Tag::Stale, 412, 412),
    ("GET", "If-Match", Tag::Any, 200, 200),
    ("GET", "If-None-Match", Tag::Current, 304, 304),
    ("GET", "If-None-Match", Tag::Stale, 200, 200),
    ("GET", "If-None-Match", Tag::Any, 304, 304),
    ("PUT", "If-Match", Tag::Current, 200, 200),
    ("PUT", "If-Match", Tag::Stale, 412, 412),
    ("PUT", "If-Match", Tag::Any, 200, 200),
    ("PUT", "If-None-Match", Tag::Current, 412, 412),
    ("PUT", "If-None-Match", Tag::Stale, 200, 200),
    ("PUT", "If-None-Match", Tag::Any, 412, 412),
    ("PATCH", "If-Match", Tag::Current, 200, 204),
    ("PATCH", "If-Match", Tag::Stale, 412, 412),
    ("PATCH", "If-Match", Tag::Any, 200, 204),
    ("PATCH", "If-None-Match", Tag::Current, 412, 412),
    ("PATCH", "If-None-Match", Tag::Stale, 200, 204),
    ("PATCH", "If-None-Match", Tag::Any, 412, 412),
    ("DELETE", "If-Match", Tag::Current, 204, 204),
    ("DELETE", "If-Match", Tag::Stale, 412, 412),
    ("DELETE", "If-Match", Tag::Any, 204, 204),
    ("DELETE", "If-None-Match", Tag::Current, 412, 412),
    ("DELETE", "If-None-Match", Tag::Stale, 204, 204),
    ("DELETE", "If-None-Match", Tag::Any, 412, 412),
];

#[actix_web::test]
async fn preconditions_on_every_method_answer_as_the_table_says() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        let member = create!(app, token, "Users", user("member"));
        for (row, &(method, header_name, tag, user_status, group_status)) in
            CASES.iter().enumerate()
        {
            for endpoint in ["Users", "Groups"] {
                let context = format!("{label} {endpoint} {method} {header_name}: {tag:?}");
                let (body, expected) = if endpoint == "Users" {
                    (user(&format!("row{row}")), user_status)
                } else {
                    (group(&format!("row{row}"), &[&member]), group_status)
                };
                let id = create!(app, token, endpoint, body.clone());
                let uri = format!("/scim/v2/{endpoint}/{id}");
                let before = send!(app, request(Method::GET, &uri, token));
                let etag = before.header("etag").unwrap().to_owned();
                let tag_text = match tag {
                    Tag::Current => etag.clone(),
                    Tag::Stale => "W/\"999\"".to_owned(),
                    Tag::Any => "*".to_owned(),
                };
                let method = Method::from_bytes(method.as_bytes()).unwrap();
                let mut changed = body.clone();
                if endpoint == "Users" {
                    changed["displayName"] = json!("Changed");
                } else {
                    changed["displayName"] = json!(format!("row{row} changed"));
                }
                let sent = match method.as_str() {
                    "PUT" => with_json(method.clone(), &uri, token, &changed),
                    "PATCH" => with_json(
                        method.clone(),
                        &uri,
                        token,
                        &patch(json!([{
                            "op": "replace", "path": "displayName", "value": changed["displayName"]
                        }])),
                    ),
                    _ => request(method.clone(), &uri, token),
                };
                let reply = send!(app, sent.insert_header((header_name, tag_text.as_str())));
                assert_eq!(reply.status, expected, "{context}: {}", reply.body);

                // What the answer means for the stored resource.
                let after = send!(app, request(Method::GET, &uri, token));
                match (method.as_str(), expected) {
                    ("DELETE", 204) => assert_eq!(after.status, 404, "{context}"),
                    ("PUT" | "PATCH", 200 | 204) => {
                        assert_ne!(after.header("etag").unwrap(), etag, "{context}");
                        assert_eq!(after.body["displayName"], changed["displayName"]);
                        assert_eq!(reply.header("etag"), after.header("etag"), "{context}");
                    }
                    (_, 304) => {
                        assert_eq!(reply.body, Value::Null, "{context}: no body");
                        assert_eq!(reply.header("etag"), Some(etag.as_str()), "{context}");
                    }
                    (_, 412) => {
                        reply.assert_error(412, None, &context);
                        assert_eq!(after.header("etag"), Some(etag.as_str()), "{context}");
                        assert_eq!(after.body, before.body, "{context}: unchanged");
                    }
                    ("GET", 200) => assert_eq!(reply.body, before.body, "{context}"),
                    other => panic!("{context}: no expectation for {other:?}"),
                }
            }
        }
    }
}

#[actix_web::test]
async fn of_concurrent_patches_carrying_the_same_if_match_exactly_one_wins() {
    const RACERS: usize = 16;
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = Rc::new(app!(h));
        let token = h.a.token.clone();
        let label = h.label();
        let mut members = Vec::new();
        for n in 0..RACERS {
            members.push(create!(*app, &token, "Users", user(&format!("m{n}"))));
        }
        let racer = create!(*app, &token, "Users", user("racer"));
        let team = create!(*app, &token, "Groups", group("team", &[]));
        for (endpoint, id, won) in [("Users", &racer, 200), ("Groups", &team, 204)] {
            let uri = format!("/scim/v2/{endpoint}/{id}");
            let etag = send!(*app, request(Method::GET, &uri, &token))
                .header("etag")
                .unwrap()
                .to_owned();
            // Each racer changes something different, from the same version.
            let mut tasks = Vec::new();
            for (n, member) in members.iter().enumerate() {
                let operations = if endpoint == "Users" {
                    json!([{"op": "replace", "path": "title", "value": format!("t{n}")}])
                } else {
                    json!([{"op": "add", "path": "members", "value": [{"value": member}]}])
                };
                let sent = with_json(Method::PATCH, &uri, &token, &patch(operations))
                    .insert_header((header::IF_MATCH, etag.as_str()));
                let app = Rc::clone(&app);
                tasks.push(actix_web::rt::spawn(async move { send!(*app, sent) }));
            }
            let mut statuses = Vec::new();
            for task in tasks {
                statuses.push(task.await.unwrap().status);
            }
            let winners = statuses.iter().filter(|s| **s == won).count();
            let losers = statuses.iter().filter(|s| **s == 412).count();
            assert_eq!(
                (winners, losers),
                (1, RACERS - 1),
                "{label} {endpoint}: {statuses:?}"
            );

            // The one winner's change is there, and only one version step.
            let after = send!(*app, request(Method::GET, &uri, &token));
            let version = |tag: &str| -> u64 {
                tag.trim_start_matches("W/")
                    .trim_matches('"')
                    .parse()
                    .unwrap()
            };
            assert_eq!(
                version(after.header("etag").unwrap()),
                version(&etag) + 1,
                "{label} {endpoint}"
            );
            if endpoint == "Users" {
                assert!(after.body["title"].is_string(), "{label}: {}", after.body);
            } else {
                assert_eq!(
                    after.body["members"].as_array().map(Vec::len),
                    Some(1),
                    "{label}: {}",
                    after.body
                );
            }
        }
    }
}

/// A group whose member is deleted (a user, or a group inside it) has changed: its ETag
/// moves on, so `If-None-Match` with the old one gets the new member list, not a 304.
#[actix_web::test]
async fn a_group_changes_version_when_a_member_is_deleted() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let label = h.label();
        let token = h.a.token.clone();
        let ann = create!(app, &token, "Users", user("ann"));
        let bob = create!(app, &token, "Users", user("bob"));
        let inner = create!(app, &token, "Groups", group("inner", &[bob.as_str()]));
        let outer = create!(
            app,
            &token,
            "Groups",
            group("outer", &[ann.as_str(), inner.as_str()])
        );
        let uri = format!("/scim/v2/Groups/{outer}");
        for (step, member) in [
            ("user", format!("/scim/v2/Users/{ann}")),
            ("group", format!("/scim/v2/Groups/{inner}")),
        ] {
            let before = send!(app, request(Method::GET, &uri, &token));
            let etag = before.header("etag").unwrap().to_owned();
            let reply = send!(app, request(Method::DELETE, &member, &token));
            assert_eq!(reply.status, 204, "{label} {step}: {}", reply.body);
            let after = send!(
                app,
                request(Method::GET, &uri, &token)
                    .insert_header((header::IF_NONE_MATCH, etag.clone()))
            );
            assert_eq!(
                after.status, 200,
                "{label} {step}: deleting a member changes the group"
            );
            assert_ne!(after.header("etag"), Some(etag.as_str()), "{label} {step}");
            assert_ne!(
                after.body["meta"]["lastModified"], before.body["meta"]["lastModified"],
                "{label} {step}"
            );
            assert_ne!(
                after.body["members"], before.body["members"],
                "{label} {step}"
            );
        }
    }
}

#[actix_web::test]
async fn a_users_version_moves_when_its_direct_groups_change() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let label = h.label();
        let token = h.a.token.clone();
        let ann = create!(app, &token, "Users", user("ann"));
        let bob = create!(app, &token, "Users", user("bob"));
        let user_uri = |id: &str| format!("/scim/v2/Users/{id}");
        macro_rules! etag_of {
            ($id:expr) => {{
                let reply = send!(app, request(Method::GET, &user_uri($id), &token));
                assert_eq!(reply.status, 200, "{label}");
                reply.header("etag").unwrap().to_owned()
            }};
        }
        let mut ann_tag = etag_of!(&ann);
        let bob_tag = etag_of!(&bob);
        // (what happens, whether ann's version moves)
        let team = create!(app, &token, "Groups", group("team", &[&ann]));
        let moved = etag_of!(&ann);
        assert_ne!(moved, ann_tag, "{label}: created with ann as a member");
        ann_tag = moved;
        let group_uri = format!("/scim/v2/Groups/{team}");
        let steps: Vec<(&str, TestRequest, bool)> = vec![
            (
                "renamed",
                with_json(
                    Method::PATCH,
                    &group_uri,
                    &token,
                    &patch(json!([{"op": "replace", "path": "displayName", "value": "crew"}])),
                ),
                false,
            ),
            (
                "bob added",
                with_json(
                    Method::PATCH,
                    &group_uri,
                    &token,
                    &patch(json!([{"op": "add", "path": "members", "value": [{"value": bob}]}])),
                ),
                false,
            ),
            (
                "ann removed",
                with_json(
                    Method::PATCH,
                    &group_uri,
                    &token,
                    &patch(
                        json!([{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}]),
                    ),
                ),
                true,
            ),
            (
                "ann back through PUT",
                with_json(
                    Method::PUT,
                    &group_uri,
                    &token,
                    &group("crew", &[&ann, &bob]),
                ),
                true,
            ),
            (
                "the group deleted",
                request(Method::DELETE, &group_uri, &token),
                true,
            ),
        ];
        for (step, call, moves) in steps {
            let reply = send!(app, call);
            assert!(reply.status < 300, "{label} {step}: {}", reply.body);
            let now = etag_of!(&ann);
            assert_eq!(now != ann_tag, moves, "{label}: {step}");
            ann_tag = now;
        }
        assert_ne!(
            etag_of!(&bob),
            bob_tag,
            "{label}: bob joined and left with the group"
        );
        // An If-Match with the old tag is refused once the groups changed.
        let reply = send!(
            app,
            with_json(Method::PUT, &user_uri(&bob), &token, &user("bob"))
                .insert_header(("If-Match", bob_tag.as_str()))
        );
        assert_eq!(reply.status, 412, "{label}");
    }
}
