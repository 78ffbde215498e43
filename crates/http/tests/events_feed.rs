//! The pull feed of events (`GET /admin/v1/events`, PRODUCT.md §10), on every test
//! database: every event of the organization exactly once, in order, across pages of any
//! size; nothing of another organization; a reader behind what retention removed gets a
//! 410 naming where to resume.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

#[macro_use]
mod common;

use common::{Harness, code, user};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::Value;

/// Read the whole feed from `after` in pages of `limit`: the events' ids and seqs.
macro_rules! read_all {
    ($app:expr, $admin:expr, $after:expr, $limit:expr) => {{
        let mut after: i64 = $after;
        let mut seen: Vec<(i64, String)> = Vec::new();
        for _ in 0..1000 {
            let (status, body, _) = call!(
                $app,
                common::admin(
                    "GET",
                    &format!("/admin/v1/events?after={after}&limit={}", $limit),
                    Some($admin),
                    None
                )
            );
            assert_eq!(status, 200, "{body}");
            let events = body["events"].as_array().unwrap();
            assert!(events.len() <= $limit, "{body}");
            for event in events {
                seen.push((
                    event["seq"].as_i64().unwrap(),
                    event["id"].as_str().unwrap().to_owned(),
                ));
                assert!(
                    event["type"].is_string() && event["data"].is_object(),
                    "{event}"
                );
            }
            after = body["next_after"].as_i64().unwrap();
            if body["more"] == Value::Bool(false) {
                break;
            }
        }
        seen
    }};
}

#[actix_web::test]
async fn the_feed_returns_every_event_once_in_order_and_410_behind_retention() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app_with_admin!(h);
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        for k in 0..7 {
            let _ = create!(app, &h.a.token, "Users", user(&format!("u{k}")));
        }
        // Another organization's events are not ours.
        let other = h.tenant("Other");
        let _ = create!(app, &other.token, "Users", user("theirs"));
        let stored: Vec<(i64, String)> = h
            .store
            .read(|tx| tx.outbox().events_after(&h.a.org_id, 0, 1000))
            .unwrap()
            .into_iter()
            .map(|event| (event.seq, event.id))
            .collect();
        assert!(stored.len() >= 7, "{label}: {stored:?}");
        for limit in [1, 2, 3, 100] {
            let seen = read_all!(app, &admin, 0, limit);
            assert_eq!(seen, stored, "{label}: limit {limit}: each once, in order");
        }
        // From the middle: what follows, only.
        let middle = stored[3].0;
        assert_eq!(read_all!(app, &admin, middle, 2), stored[4..], "{label}");
        // Past the end: nothing, and the position stays.
        let last = stored.last().unwrap().0;
        let (status, body, _) = call!(
            app,
            common::admin(
                "GET",
                &format!("/admin/v1/events?after={last}"),
                Some(&admin),
                None
            )
        );
        assert_eq!(status, 200, "{label}");
        assert_eq!(body["events"], serde_json::json!([]), "{label}");
        assert_eq!(body["next_after"], last, "{label}");
        // Bad parameters: 400.
        for query in ["after=-1", "after=x", "limit=0", "limit=1001", "since=1"] {
            let (status, body, _) = call!(
                app,
                common::admin(
                    "GET",
                    &format!("/admin/v1/events?{query}"),
                    Some(&admin),
                    None
                )
            );
            assert_eq!(
                (status, code(&body)),
                (400, "invalid_request"),
                "{label}: {query}"
            );
        }

        // Retention removes events (no consumer holds them): a reader from the start has
        // missed some, and is told where to resume.
        let pruned = h
            .store
            .prune_outbox(chrono::Utc::now() + chrono::Duration::days(1))
            .unwrap();
        assert!(pruned > 0, "{label}");
        let (status, body, _) = call!(
            app,
            common::admin("GET", "/admin/v1/events?after=0", Some(&admin), None)
        );
        assert_eq!((status, code(&body)), (410, "gone"), "{label}: {body}");
        let resume = body["error"]["resume_after"].as_i64().unwrap();
        let kept: Vec<(i64, String)> = stored
            .iter()
            .filter(|(seq, _)| *seq > resume)
            .cloned()
            .collect();
        assert_eq!(
            body["error"]["oldest_seq"].as_i64(),
            kept.first().map(|(seq, _)| *seq),
            "{label}"
        );
        assert_eq!(
            read_all!(app, &admin, resume, 2),
            kept,
            "{label}: what is kept"
        );
        // A SCIM token is not enough.
        let (status, _, _) = call!(
            app,
            common::admin("GET", "/admin/v1/events", Some(&h.a.token), None)
        );
        assert_eq!(status, 401, "{label}");
    }
}
