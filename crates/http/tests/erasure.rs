//! Erasure by crypto-shredding (PRODUCT.md §6), on every test database through the SCIM and
//! admin endpoints: a user's personal values are never stored in clear in the trail, the
//! trail reads them back while the user's data key exists, and after the purge they are
//! in no column of any table, while the records stay (append-only, their chain intact)
//! and read "[erased]".

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

mod common;

use std::sync::{Arc, Mutex};

use actix_web::http::Method;
use chrono::{DateTime, Duration, Utc};
use common::{Harness, admin, group, patch, request, with_json};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// What only this user's personal data holds, each a needle to look for.
const PERSONAL: [&str; 7] = [
    "zephyrine.q@example.com",
    "Zephyrine",
    "Quillfeather",
    "zq-work@example.com",
    "+1-555-0100-777",
    "Orchidology",
    "ext-zq-777",
];

#[actix_web::test]
async fn after_the_purge_a_users_personal_values_are_in_no_table_and_the_trail_reads_erased() {
    for db in TestDb::all() {
        let mut h = Harness::new(db);
        let clock = Arc::new(Mutex::new(Utc::now()));
        let reader = Arc::clone(&clock);
        h.state = h.state.clone().with_clock(move || *reader.lock().unwrap());
        let now = || -> DateTime<Utc> { *clock.lock().unwrap() };
        let (_, adm) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let app = app_with_admin!(h);
        let label = h.label();
        let scim = h.a.token.clone();

        let body = json!({
            "schemas": [USER, ENTERPRISE],
            "userName": PERSONAL[0],
            "name": {"givenName": PERSONAL[1], "familyName": PERSONAL[2]},
            "emails": [{"value": PERSONAL[3], "type": "work", "primary": true}],
            "phoneNumbers": [{"value": PERSONAL[4], "type": "work"}],
            "externalId": PERSONAL[6],
            ENTERPRISE: {"department": PERSONAL[5]},
        });
        let ann = create!(app, &scim, "Users", body);
        let uri = format!("/scim/v2/Users/{ann}");
        let rename = patch(json!([{"op": "replace", "path": "nickName", "value": PERSONAL[1]}]));
        let reply = send!(app, with_json(Method::PATCH, &uri, &scim, &rename));
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        // A failed write about her, whose error may echo a value.
        let bad = patch(json!([{"op": "replace", "path": "emails", "value": PERSONAL[3]}]));
        let reply = send!(app, with_json(Method::PATCH, &uri, &scim, &bad));
        assert_eq!(reply.status, 400, "{label}");
        let _team = create!(app, &scim, "Groups", group("team", &[&ann]));
        // A failed write to an id that names nobody holds nobody's data: no key is made
        // for it (one would never be purged).
        let reply = send!(
            app,
            with_json(Method::PATCH, "/scim/v2/Users/no-such-user", &scim, &rename)
        );
        assert_eq!(reply.status, 404, "{label}");
        let keys = "SELECT COUNT(*) FROM user_data_keys WHERE user_id = 'no-such-user'";
        assert_eq!(h.db.count(keys).unwrap(), 0, "{label}");
        let ann_keys = format!("SELECT COUNT(*) FROM user_data_keys WHERE user_id = '{ann}'");
        assert_eq!(h.db.count(&ann_keys).unwrap(), 1, "{label}");

        // While she exists the trail reads her values; it stores none of them in clear.
        let trail = |query: String| {
            let uri = format!("/admin/v1/audit?{query}");
            admin("GET", &uri, Some(&adm), None)
        };
        let (status, body, _) = call!(app, trail(format!("type=user.create&target={ann}")));
        assert_eq!(status, 200, "{label}");
        assert_eq!(
            body["events"][0]["detail"]["after"]["userName"], PERSONAL[0],
            "{label}"
        );
        assert_eq!(
            body["events"][0]["detail"]["after"]["name"]["familyName"], PERSONAL[2],
            "{label}"
        );
        let stored = h.db.columns_holding(PERSONAL[2]).unwrap();
        assert!(
            stored.iter().any(|column| column == "scim_users.data"),
            "{label}: the search finds what is stored: {stored:?}"
        );
        for needle in PERSONAL {
            let holding = h.db.columns_holding(needle).unwrap();
            assert!(
                holding
                    .iter()
                    .all(|column| !column.starts_with("audit_events")),
                "{label}: {needle} in clear in {holding:?}"
            );
        }

        // Deleted, then purged once the organization's purge_after_days (30) have passed.
        let reply = send!(app, request(Method::DELETE, &uri, &scim));
        assert_eq!(reply.status, 204, "{label}");
        *clock.lock().unwrap() += Duration::days(31);
        let purged = rollcall_app::purge_deleted_users(&h.store, now()).unwrap();
        assert_eq!(purged, 1, "{label}");

        for needle in PERSONAL {
            assert_eq!(
                h.db.columns_holding(needle).unwrap(),
                Vec::<String>::new(),
                "{label}: {needle} is still stored"
            );
        }
        // The records stay, and read "[erased]" where her values were.
        let (_, body, _) = call!(app, trail(format!("target={ann}&limit=1000")));
        let events = body["events"].as_array().unwrap();
        let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        for expected in [
            "user.create",
            "user.patch",
            "user.delete",
            "user.deleted",
            "user.purge",
        ] {
            assert!(types.contains(&expected), "{label}: {types:?}");
        }
        let created = &events[0]["detail"];
        assert_eq!(
            created["after"]["userName"], "[erased]",
            "{label}: {created}"
        );
        assert_eq!(created["after"]["emails"], "[erased]", "{label}");
        assert_eq!(created["after"]["active"], true, "{label}: not personal");
        let failed = events
            .iter()
            .find(|e| e["status"] == 400)
            .expect("the failed write is on record");
        assert_eq!(failed["detail"]["error"]["detail"], "[erased]", "{label}");
        let text = Value::Array(events.clone()).to_string();
        for needle in PERSONAL {
            assert!(!text.contains(needle), "{label}: {needle} in {text}");
        }
        let report = h.store.read(|tx| tx.audit().verify(&h.a.org_id)).unwrap();
        assert!(
            report.holds(),
            "{label}: erasure keeps the chain: {report:?}"
        );
    }
}
