//! A SQLite database that runs out of room (`StoreOptions::sqlite_max_pages`, which makes
//! SQLite fail with `SQLITE_FULL` as a full disk does): writes answer a SCIM 503 with
//! `Retry-After`, reads go on, nothing half-written is left, and once there is room again
//! the database checks clean and takes writes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use common::{Harness, request, user, with_json};
use rollcall_app::App;
use rollcall_store::testing::TestDb;
use rollcall_store::{Store, StoreOptions};
use serde_json::json;

/// The database's size in pages, read beneath the store.
fn pages(db: &TestDb) -> u32 {
    u32::try_from(
        db.count("SELECT page_count FROM pragma_page_count()")
            .unwrap(),
    )
    .unwrap()
}

#[actix_web::test]
async fn a_full_database_answers_503_keeps_what_it_had_and_recovers() {
    let db = TestDb::sqlite();
    drop(db.open()); // migrated, at its starting size
    let room = 60; // pages (4 KiB) of room past the empty schema
    let capped = StoreOptions {
        sqlite_max_pages: Some(pages(&db) + room),
        ..StoreOptions::default()
    };
    let h = Harness::with_options(db, &capped);
    h.unlimited(&h.a.org_id);
    let app = app!(h);

    // Users with a long display name each, until the database has no room.
    let padding = "x".repeat(1500);
    let mut created = Vec::new();
    let mut full = None;
    for k in 0..2000 {
        let mut body = user(&format!("user{k:04}"));
        body["displayName"] = json!(format!("{k} {padding}"));
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", &h.a.token, &body)
        );
        match reply.status {
            201 => created.push(reply.body["id"].as_str().unwrap().to_owned()),
            503 => {
                full = Some(reply);
                break;
            }
            other => panic!("user{k:04}: {other} {}", reply.body),
        }
    }
    let full = full.expect("the database never filled up");
    full.assert_error(503, None, "a full database");
    assert!(full.header("retry-after").is_some(), "{:?}", full.headers);
    assert!(!created.is_empty());

    // Every write now meets the same clear 503; reads go on.
    let first = &created[0];
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": padding.repeat(4)}]
    });
    let patched = send!(
        app,
        with_json(
            Method::PATCH,
            &format!("/scim/v2/Users/{first}"),
            &h.a.token,
            &patch
        )
    );
    patched.assert_error(503, None, "a PATCH that needs room");
    let listed = send!(
        app,
        request(Method::GET, "/scim/v2/Users?count=1", &h.a.token)
    );
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body["totalResults"], json!(created.len()));
    let read = send!(
        app,
        request(Method::GET, &format!("/scim/v2/Users/{first}"), &h.a.token)
    );
    assert_eq!(read.status, 200);
    assert_eq!(read.body["displayName"], json!(format!("0 {padding}")));

    // Room again: the same database, uncapped.
    let Harness {
        db,
        store,
        state,
        a,
    } = h;
    let config = state.config().clone();
    drop((app, state, store));
    let integrity = db
        .count("SELECT COUNT(*) FROM pragma_integrity_check() WHERE integrity_check <> 'ok'")
        .unwrap();
    assert_eq!(integrity, 0, "the database checks clean");
    let org = &a.org_id;
    let users = db
        .count(&format!(
            "SELECT COUNT(*) FROM scim_users WHERE org_id = '{org}'"
        ))
        .unwrap();
    let recorded = db
        .count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE org_id = '{org}' \
             AND operation = 'user.create' AND status = 201"
        ))
        .unwrap();
    let events = db
        .count(&format!(
            "SELECT COUNT(*) FROM outbox_events WHERE org_id = '{org}' \
             AND type = 'user.created'"
        ))
        .unwrap();
    let answered = i64::try_from(created.len()).unwrap();
    assert_eq!(
        (users, recorded, events),
        (answered, answered, answered),
        "each 201 is stored whole (user, record, event), and nothing else"
    );
    let store = Store::open(
        db.url(),
        &StoreOptions::default(),
        chrono::DateTime::UNIX_EPOCH,
    )
    .unwrap();
    let h = Harness {
        db,
        store: store.clone(),
        state: App::new(store, config),
        a,
    };
    let app = app!(h);
    let reply = send!(
        app,
        with_json(
            Method::PATCH,
            &format!("/scim/v2/Users/{first}"),
            &h.a.token,
            &patch
        )
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = send!(
        app,
        with_json(Method::POST, "/scim/v2/Users", &h.a.token, &user("after"))
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
}
