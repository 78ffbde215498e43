//! Two pools on one database (as two `rollcall` processes) race to create the same
//! userName: exactly one wins, every other attempt is a uniqueness error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use std::sync::{Arc, Barrier};

use chrono::Utc;
use rollcall_store::StoreError;
use rollcall_store::testing::TestDb;
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
