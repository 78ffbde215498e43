//! Two pools on one database (as two `rollcall` processes) race to create the same
//! userName: exactly one wins, every other attempt is a uniqueness error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use std::sync::{Arc, Barrier};

use chrono::Utc;
use rollcall_store::testing::TestDb;
use rollcall_store::{NewAuditRecord, StoreError};
use serde_json::json;

#[test]
fn one_of_many_racing_creates_wins() {
    for db in TestDb::all() {
        let stores = [db.open(), db.open()];
        let org = stores[0]
            .write(|tx| tx.orgs().create("acme", Utc::now()))
            .unwrap()
            .id;
        let racers = 8;
        let barrier = Arc::new(Barrier::new(racers));
        let handles: Vec<_> = (0..racers)
            .map(|i| {
                let store = stores[i % 2].clone();
                let (org, barrier) = (org.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let body = json!({"userName": if i % 2 == 0 { "Race@Example.com" } else { "race@example.com" }});
                    barrier.wait();
                    store.write(|tx| tx.users().create(&org, &body, Utc::now()))
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners = results.iter().filter(|r| r.is_ok()).count();
        let conflicts = results
            .iter()
            .filter(|r| matches!(r, Err(StoreError::Uniqueness(a)) if a == "userName"))
            .count();
        assert_eq!(
            (winners, conflicts),
            (1, racers - 1),
            "{:?}: {results:?}",
            db.backend()
        );
    }
}

/// Deletes of users who share groups, racing from two pools: each moves those groups to a
/// new version, and every delete succeeds (on PostgreSQL they lock the groups in one order,
/// so they wait for each other rather than deadlock).
#[test]
fn racing_deletes_of_members_of_the_same_groups_all_succeed() {
    for db in TestDb::all() {
        let stores = [db.open(), db.open()];
        let store = &stores[0];
        let org = store
            .write(|tx| tx.orgs().create("acme", Utc::now()))
            .unwrap()
            .id;
        let racers = 8;
        let users: Vec<String> = (0..racers)
            .map(|i| {
                let body = json!({"userName": format!("member{i}")});
                store
                    .write(|tx| tx.users().create(&org, &body, Utc::now()))
                    .unwrap()
                    .id
            })
            .collect();
        let members: Vec<serde_json::Value> = users.iter().map(|id| json!({"value": id})).collect();
        let groups: Vec<String> = (0..4)
            .map(|g| {
                let body = json!({"displayName": format!("team{g}"), "members": members});
                store
                    .write(|tx| tx.groups().create(&org, &body, Utc::now()))
                    .unwrap()
                    .id
            })
            .collect();
        let barrier = Arc::new(Barrier::new(racers));
        let handles: Vec<_> = users
            .iter()
            .enumerate()
            .map(|(i, user)| {
                let store = stores[i % 2].clone();
                let (org, user, barrier) = (org.clone(), user.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    store.write(|tx| {
                        tx.lifecycle()
                            .delete_user(&org, &user, None, Utc::now())
                            .map(drop)
                    })
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(
            results.iter().all(Result::is_ok),
            "{:?}: {results:?}",
            db.backend()
        );
        for group in &groups {
            let stored = store.read(|tx| tx.groups().get(&org, group, true)).unwrap();
            assert!(
                stored.resource.get("members").is_none(),
                "{}",
                stored.resource
            );
            assert_eq!(stored.version, 1 + racers as i64, "{:?}", db.backend());
        }
    }
}

/// At `SERIALIZABLE` isolation (as on a distributed engine), writers of one organization
/// update the same row (its trail's head), so PostgreSQL aborts all but one of
/// each clash with a serialization failure. The store runs an aborted transaction again:
/// every write succeeds, once, and the trail holds each exactly once.
#[test]
fn serialization_failures_are_retried_inside_the_store() {
    let Some(db) = TestDb::postgres_serializable() else {
        return;
    };
    let store = db.open();
    let org = store
        .write(|tx| tx.orgs().create("acme", Utc::now()))
        .unwrap()
        .id;
    let (writers, each) = (6, 15);
    let barrier = Arc::new(Barrier::new(writers));
    let attempts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let (store, org, barrier, attempts) = (
                store.clone(),
                org.clone(),
                barrier.clone(),
                attempts.clone(),
            );
            std::thread::spawn(move || {
                barrier.wait();
                (0..each)
                    .map(|k| {
                        let body = json!({"userName": format!("w{w}-{k}")});
                        store.write(|tx| {
                            attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let user = tx.users().create(&org, &body, Utc::now())?;
                            let target = format!("user:{}", user.id);
                            tx.audit().record(
                                &org,
                                &NewAuditRecord {
                                    occurred_at: Utc::now(),
                                    actor: "scim:t",
                                    actor_kind: None,
                                    operation: "user.create",
                                    target: &target,
                                    status: 201,
                                    detail: &json!({}),
                                    request_id: None,
                                    subject: None,
                                },
                            )
                        })
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let results: Vec<_> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let failures: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failures.is_empty(), "{failures:?}");
    let users = db
        .count(&format!(
            "SELECT COUNT(*) FROM scim_users WHERE org_id = '{org}'"
        ))
        .unwrap();
    assert_eq!(users, (writers * each) as i64);
    let records = db
        .count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE org_id = '{org}' AND operation = 'user.create'"
        ))
        .unwrap();
    assert_eq!(records, (writers * each) as i64, "each write recorded once");
    let verified = store.read(|tx| tx.audit().verify(&org)).unwrap();
    assert!(verified.holds(), "{verified:?}");
    let retried = attempts.load(std::sync::atomic::Ordering::Relaxed) - writers * each;
    assert!(
        retried > 0,
        "no transaction was retried: the test no longer provokes serialization failures"
    );
}

/// Several processes starting at once on a fresh database (a rolling upgrade) migrate it
/// together: every one succeeds, each migration runs exactly once, and no session-level
/// lock is left behind (the lock is a row locked inside the migrations' transaction, so it
/// also holds behind a transaction-mode pooler).
#[test]
fn migrations_racing_from_several_processes_run_once() {
    for db in TestDb::all() {
        let racers = 4;
        let barrier = Arc::new(Barrier::new(racers));
        let handles: Vec<_> = (0..racers)
            .map(|_| {
                let (url, barrier) = (db.url().to_owned(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    rollcall_store::Store::migrate(&url, Utc::now())
                })
            })
            .collect();
        let outcomes: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let applied: Vec<Vec<String>> = outcomes
            .into_iter()
            .map(|outcome| outcome.unwrap_or_else(|error| panic!("{:?}: {error}", db.backend())))
            .map(|migrated| migrated.applied)
            .collect();
        let ran: Vec<&Vec<String>> = applied.iter().filter(|names| !names.is_empty()).collect();
        assert_eq!(ran.len(), 1, "{:?}: {applied:?}", db.backend());
        let again = rollcall_store::Store::migrate(db.url(), Utc::now()).unwrap();
        assert!(again.applied.is_empty(), "{:?}", again.applied);
        if db.backend() == rollcall_store::Backend::Postgres {
            let advisory = db
                .count("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'")
                .unwrap();
            assert_eq!(advisory, 0, "no advisory lock is taken or left");
        }
        let _store = db.open();
    }
}

/// A background job's row lease: while one instance's transaction holds an organization's
/// lease of a job, another instance's attempt answers `false` at once (no waiting), for
/// that job and organization only; once the holder's transaction ends, the lease is free.
#[test]
fn a_job_lease_is_held_for_its_transaction_and_skipped_not_waited_for() {
    use rollcall_store::jobs;
    use std::sync::mpsc;
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let (one, other) = (db.open(), db.open());
    // The first run of each creates its row, committed.
    for (job, org) in [(jobs::PURGE, "org-a"), (jobs::PURGE, "org-b")] {
        assert!(one.write(|tx| tx.job_leases().take(job, org)).unwrap());
    }
    let (taken_tx, taken) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        one.write(|tx| {
            let taken = tx.job_leases().take(jobs::PURGE, "org-a")?;
            taken_tx.send(taken).unwrap();
            released.recv().unwrap();
            Ok(())
        })
    });
    assert!(taken.recv().unwrap(), "the first instance takes the lease");
    let started = std::time::Instant::now();
    let during = other
        .write(|tx| {
            Ok((
                tx.job_leases().take(jobs::PURGE, "org-a")?,
                tx.job_leases().take(jobs::PURGE, "org-b")?,
                tx.job_leases().take(jobs::EXPIRY, "org-a")?,
            ))
        })
        .unwrap();
    assert_eq!(during, (false, true, true));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "not waited for"
    );
    release.send(()).unwrap();
    holder.join().unwrap().unwrap();
    let after = other
        .write(|tx| tx.job_leases().take(jobs::PURGE, "org-a"))
        .unwrap();
    assert!(after, "free once the holder's transaction ended");
}
