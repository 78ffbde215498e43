//! The outbox, webhooks and consumer state on every test database: events are appended in
//! the writer's transaction (gone with a rollback) and read in order per organization;
//! consumer cursors move only under their lease, and one lease excludes other owners until
//! it runs out.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use chrono::{Duration, Utc};
use rollcall_store::testing::TestDb;
use rollcall_store::{NewEvent, NewWebhook, StoreError, subscriber_consumer};
use serde_json::json;

fn event<'a>(event_type: &'a str, data: &'a serde_json::Value) -> NewEvent<'a> {
    NewEvent {
        event_type,
        occurred_at: Utc::now(),
        data,
    }
}

#[test]
fn events_are_appended_in_the_transaction_and_read_in_order() {
    for db in TestDb::all() {
        let store = db.open();
        let now = Utc::now();
        let (acme, beta) = store
            .write(|tx| {
                Ok((
                    tx.orgs().create("Acme", now)?.id,
                    tx.orgs().create("Beta", now)?.id,
                ))
            })
            .unwrap();
        let data = |n: i64| json!({"n": n});
        store
            .write(|tx| {
                tx.outbox().emit(&acme, &event("user.created", &data(1)))?;
                tx.outbox().emit(&beta, &event("user.created", &data(2)))?;
                tx.outbox().emit(&acme, &event("user.updated", &data(3)))
            })
            .unwrap();
        // A rolled-back write emits nothing.
        let failed = store.write(|tx| {
            tx.outbox().emit(&acme, &event("user.deleted", &data(4)))?;
            Err::<(), _>(StoreError::Invalid("rolled back".into()))
        });
        assert!(failed.is_err());
        // Nor does a savepoint that is undone.
        store
            .write(|tx| {
                let undone: Result<(), StoreError> = tx.savepoint(|tx| {
                    tx.outbox().emit(&acme, &event("user.deleted", &data(5)))?;
                    Err(StoreError::Invalid("undone".into()))
                });
                assert!(undone.is_err());
                tx.outbox().emit(&acme, &event("group.created", &data(6)))
            })
            .unwrap();

        let acme_events = store
            .read(|tx| tx.outbox().events_after(&acme, 0, 100))
            .unwrap();
        let seen: Vec<(&str, i64)> = acme_events
            .iter()
            .map(|e| (e.event_type.as_str(), e.data["n"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            seen,
            [
                ("user.created", 1),
                ("user.updated", 3),
                ("group.created", 6)
            ],
            "{:?}",
            db.backend()
        );
        assert!(acme_events.windows(2).all(|w| w[0].seq < w[1].seq));
        assert!(acme_events.iter().all(|e| e.org_id == acme));
        // After a seq, with a limit.
        let after = store
            .read(|tx| tx.outbox().events_after(&acme, acme_events[0].seq, 1))
            .unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].id, acme_events[1].id);
        // Across organizations, in seq order.
        let all = store
            .read(|tx| tx.outbox().events_after_any_org(0, 100))
            .unwrap();
        let numbers: Vec<i64> = all.iter().map(|e| e.data["n"].as_i64().unwrap()).collect();
        assert_eq!(numbers, [1, 2, 3, 6]);
        // Both organizations have events a new consumer has not seen.
        let consumer = subscriber_consumer("audit-mirror");
        let mut pending = store
            .read(|tx| tx.outbox().orgs_with_pending_events(&consumer))
            .unwrap();
        pending.sort();
        let mut both = vec![acme.clone(), beta.clone()];
        both.sort();
        assert_eq!(pending, both);
    }
}

#[test]
fn consumer_cursors_move_under_their_lease_only() {
    for db in TestDb::all() {
        let store = db.open();
        let now = Utc::now();
        let org = store
            .write(|tx| Ok(tx.orgs().create("Acme", now)?.id))
            .unwrap();
        let data = json!({});
        store
            .write(|tx| tx.outbox().emit(&org, &event("user.created", &data)))
            .unwrap();
        let first = store
            .read(|tx| tx.outbox().events_after(&org, 0, 1))
            .unwrap()
            .remove(0);
        let consumer = subscriber_consumer("mirror");
        store
            .write(|tx| tx.consumers().ensure(&consumer, &org, 0))
            .unwrap();
        let lease = now + Duration::seconds(30);

        // One owner at a time.
        let a = store
            .write(|tx| tx.consumers().claim(&consumer, &org, "a", now, lease))
            .unwrap()
            .expect("a claims a free lease");
        assert_eq!(a.delivered_seq, 0);
        assert_eq!(a.lease_owner.as_deref(), Some("a"));
        let b = store
            .write(|tx| tx.consumers().claim(&consumer, &org, "b", now, lease))
            .unwrap();
        assert_eq!(b, None, "{:?}: b must not share a's lease", db.backend());
        // b can neither advance nor record failures under a's lease.
        let moved = store
            .write(|tx| tx.consumers().advance(&consumer, &org, "b", first.seq))
            .unwrap();
        assert!(!moved);
        // a renews its own lease and advances.
        assert!(
            store
                .write(|tx| tx.consumers().claim(&consumer, &org, "a", now, lease))
                .unwrap()
                .is_some()
        );
        let failed = store
            .write(|tx| {
                tx.consumers()
                    .record_failure(&consumer, &org, "a", 1, now, "connection refused")
            })
            .unwrap();
        assert!(failed);
        let state = store
            .read(|tx| tx.consumers().state(&consumer, &org))
            .unwrap()
            .unwrap();
        assert_eq!(
            (state.attempts, state.last_error.as_deref()),
            (1, Some("connection refused"))
        );
        assert!(
            store
                .write(|tx| tx.consumers().advance(&consumer, &org, "a", first.seq))
                .unwrap()
        );
        let state = store
            .read(|tx| tx.consumers().state(&consumer, &org))
            .unwrap()
            .unwrap();
        assert_eq!(
            (state.delivered_seq, state.attempts, state.last_error),
            (first.seq, 0, None)
        );
        // Nothing is pending for it any more.
        assert!(
            store
                .read(|tx| tx.outbox().orgs_with_pending_events(&consumer))
                .unwrap()
                .is_empty()
        );
        // A cursor never goes back.
        assert!(
            !store
                .write(|tx| tx.consumers().advance(&consumer, &org, "a", 0))
                .unwrap()
        );
        // After the lease runs out, b takes it; a released lease is free at once.
        let later = lease + Duration::seconds(1);
        assert!(
            store
                .write(|tx| tx.consumers().claim(
                    &consumer,
                    &org,
                    "b",
                    later,
                    later + Duration::seconds(30)
                ))
                .unwrap()
                .is_some()
        );
        store
            .write(|tx| tx.consumers().release(&consumer, &org, "b"))
            .unwrap();
        assert!(
            store
                .write(|tx| tx.consumers().claim(
                    &consumer,
                    &org,
                    "a",
                    later,
                    later + Duration::seconds(30)
                ))
                .unwrap()
                .is_some()
        );
    }
}

#[test]
fn webhooks_start_after_the_last_event_and_belong_to_their_org() {
    for db in TestDb::all() {
        let store = db.open();
        let now = Utc::now();
        let (acme, beta) = store
            .write(|tx| {
                Ok((
                    tx.orgs().create("Acme", now)?.id,
                    tx.orgs().create("Beta", now)?.id,
                ))
            })
            .unwrap();
        let data = json!({});
        let id = store
            .write(|tx| tx.outbox().emit(&acme, &event("user.created", &data)))
            .unwrap();
        let before = store
            .read(|tx| tx.outbox().events_after(&acme, 0, 1))
            .unwrap()
            .remove(0);
        assert_eq!(before.id, id);
        let types = vec!["user.deactivated".to_owned()];
        let hook = store
            .write(|tx| {
                tx.webhooks().create(
                    &acme,
                    &NewWebhook {
                        url: "http://127.0.0.1:9/hook",
                        secret: "s3cret",
                        event_types: &types,
                    },
                    now,
                )
            })
            .unwrap();
        assert!(hook.wants("user.deactivated") && !hook.wants("user.created"));
        let state = store
            .read(|tx| tx.consumers().state(&hook.consumer(), &acme))
            .unwrap()
            .unwrap();
        assert_eq!(state.delivered_seq, before.seq, "history is not delivered");
        let listed = store.read(|tx| tx.webhooks().list(&acme)).unwrap();
        assert_eq!(listed, vec![hook.clone()]);
        assert!(
            store
                .read(|tx| tx.webhooks().list(&beta))
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .read(|tx| tx.webhooks().list_all_orgs())
                .unwrap()
                .len(),
            1
        );
        // Another org's id is not found; the owner deletes it with its delivery state.
        let foreign = store.write(|tx| tx.webhooks().delete(&beta, &hook.id));
        assert!(matches!(foreign, Err(StoreError::NotFound)));
        store
            .write(|tx| tx.webhooks().delete(&acme, &hook.id))
            .unwrap();
        assert!(
            store
                .read(|tx| tx.webhooks().list(&acme))
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .read(|tx| tx.consumers().state(&hook.consumer(), &acme))
                .unwrap(),
            None
        );
        assert!(format!("{hook:?}").contains("url") && !format!("{hook:?}").contains("s3cret"));
    }
}

#[test]
fn member_ids_of_a_group() {
    for db in TestDb::all() {
        let store = db.open();
        let now = Utc::now();
        let org = store
            .write(|tx| Ok(tx.orgs().create("Acme", now)?.id))
            .unwrap();
        let (ann, bob, group) = store
            .write(|tx| {
                let ann = tx
                    .resources(rollcall_store::ResourceKind::User)
                    .create(&org, &json!({"userName": "ann"}), now)?
                    .id;
                let bob = tx
                    .resources(rollcall_store::ResourceKind::User)
                    .create(&org, &json!({"userName": "bob"}), now)?
                    .id;
                let group = tx
                    .resources(rollcall_store::ResourceKind::Group)
                    .create(
                        &org,
                        &json!({"displayName": "eng", "members": [{"value": ann}]}),
                        now,
                    )?
                    .id;
                Ok((ann, bob, group))
            })
            .unwrap();
        let all = store
            .read(|tx| tx.members().group_member_ids(&org, &group, None))
            .unwrap();
        assert_eq!(all.into_iter().collect::<Vec<_>>(), vec![ann.clone()]);
        let among = store
            .read(|tx| {
                tx.members()
                    .group_member_ids(&org, &group, Some(&[bob.clone(), ann.clone()]))
            })
            .unwrap();
        assert_eq!(among.into_iter().collect::<Vec<_>>(), vec![ann]);
    }
}

/// PostgreSQL hands out `seq` before commit: a transaction that emits first but commits
/// last must still not land behind a cursor that already moved past a later commit. Its
/// events are appended at its commit, so they come after what committed before.
#[test]
fn postgres_appends_events_in_commit_order() {
    let Some(db) = TestDb::postgres() else { return };
    let store = db.open();
    let now = Utc::now();
    let org = store
        .write(|tx| Ok(tx.orgs().create("Acme", now)?.id))
        .unwrap();
    let (emitted_tx, emitted_rx) = std::sync::mpsc::channel();
    let (committed_tx, committed_rx) = std::sync::mpsc::channel::<()>();
    let slow = {
        let (store, org) = (store.clone(), org.clone());
        std::thread::spawn(move || {
            store.write(|tx| {
                tx.outbox()
                    .emit(&org, &event("user.created", &json!({"who": "slow"})))?;
                emitted_tx.send(()).unwrap();
                // Commit only after the other transaction has committed.
                committed_rx
                    .recv_timeout(std::time::Duration::from_secs(10))
                    .expect("the fast transaction commits meanwhile");
                Ok(())
            })
        })
    };
    emitted_rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    store
        .write(|tx| {
            tx.outbox()
                .emit(&org, &event("user.created", &json!({"who": "fast"})))
        })
        .unwrap();
    let seen = store
        .read(|tx| tx.outbox().events_after(&org, 0, 10))
        .unwrap();
    assert_eq!(seen.len(), 1);
    let cursor = seen[0].seq;
    committed_tx.send(()).unwrap();
    slow.join().unwrap().unwrap();
    let after = store
        .read(|tx| tx.outbox().events_after(&org, cursor, 10))
        .unwrap();
    let who: Vec<&str> = after
        .iter()
        .map(|e| e.data["who"].as_str().unwrap())
        .collect();
    assert_eq!(
        who,
        ["slow"],
        "the slow transaction's event is after the cursor"
    );
}

#[test]
fn the_outbox_prunes_old_events_every_consumer_has_acknowledged() {
    for db in TestDb::all() {
        let label = format!("{:?}", db.backend());
        let store = db.open();
        let start = Utc::now();
        let (acme, beta) = store
            .write(|tx| {
                Ok((
                    tx.orgs().create("Acme", start)?.id,
                    tx.orgs().create("Beta", start)?.id,
                ))
            })
            .unwrap();
        let data = json!({});
        // Events on days 0 to 3 of each organization, interleaved.
        let emit = |org: &str, day: i64| {
            store
                .write(|tx| {
                    tx.outbox().emit(
                        org,
                        &NewEvent {
                            event_type: "user.created",
                            occurred_at: start + Duration::days(day),
                            data: &data,
                        },
                    )
                })
                .unwrap();
        };
        for day in 0..4 {
            emit(&acme, day);
            emit(&beta, day);
        }
        let seqs = |org: &str| -> Vec<i64> {
            store
                .read(|tx| tx.outbox().events_after(org, 0, 100))
                .unwrap()
                .iter()
                .map(|e| e.seq)
                .collect()
        };
        let acme_seqs = seqs(&acme);
        let beta_seqs = seqs(&beta);
        // Acme has a webhook that acknowledged its first two events and a subscriber that
        // acknowledged three; Beta has no consumer at all.
        store
            .write(|tx| {
                tx.consumers().ensure("webhook:w1", &acme, acme_seqs[1])?;
                tx.consumers()
                    .ensure(&subscriber_consumer("sessions"), &acme, acme_seqs[2])
            })
            .unwrap();

        // Retention cut at day 2.5: only events of days 0–2 may go.
        let cutoff = start + Duration::days(2) + Duration::hours(12);
        // Acme loses what both consumers have (days 0 and 1), Beta its days 0 to 2.
        assert_eq!(store.prune_outbox(cutoff).unwrap(), 2 + 3, "{label}");
        assert_eq!(seqs(&acme), acme_seqs[2..], "{label}");
        assert_eq!(seqs(&beta), beta_seqs[3..], "{label}");
        // Nothing more until the webhook catches up.
        assert_eq!(store.prune_outbox(cutoff).unwrap(), 0, "{label}");
        let owner = "test";
        store
            .write(|tx| {
                let until = start + Duration::days(10);
                tx.consumers()
                    .claim("webhook:w1", &acme, owner, start, until)?;
                tx.consumers()
                    .advance("webhook:w1", &acme, owner, acme_seqs[3])
            })
            .unwrap();
        // Both consumers have day 2 now: it goes; day 3 is within the retention.
        assert_eq!(store.prune_outbox(cutoff).unwrap(), 1, "{label}");
        assert_eq!(seqs(&acme), acme_seqs[3..], "{label}");

        // Everything old and acknowledged: on SQLite the newest event of the whole outbox
        // (Beta's day 3) stays, so the next seq still grows; PostgreSQL keeps none.
        store
            .write(|tx| {
                tx.consumers()
                    .ensure(&subscriber_consumer("late"), &beta, beta_seqs[3])
            })
            .unwrap();
        store
            .write(|tx| {
                let until = start + Duration::days(10);
                let sessions = subscriber_consumer("sessions");
                tx.consumers()
                    .claim(&sessions, &acme, owner, start, until)?;
                tx.consumers()
                    .advance(&sessions, &acme, owner, acme_seqs[3])
            })
            .unwrap();
        let later = start + Duration::days(30);
        let kept_newest = usize::from(db.backend() == rollcall_store::Backend::Sqlite);
        assert_eq!(
            store.prune_outbox(later).unwrap(),
            2 - kept_newest,
            "{label}"
        );
        assert_eq!(seqs(&acme), Vec::<i64>::new(), "{label}");
        assert_eq!(seqs(&beta).len(), kept_newest, "{label}");
        emit(&acme, 31);
        assert!(seqs(&acme)[0] > beta_seqs[3], "{label}: seq keeps growing");
    }
}
