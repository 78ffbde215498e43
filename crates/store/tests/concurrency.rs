//! Two pools on one database (as two `rollcall` processes) race to create the same
//! userName: exactly one wins, every other attempt is a uniqueness error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Barrier};

use chrono::Utc;
use rollcall_store::testing::TestDb;
use rollcall_store::{ResourceKind, StoreError};
use serde_json::json;

#[test]
fn one_of_many_racing_creates_wins() {
    for db in TestDb::all() {
        let stores = [db.open(), db.open()];
        let org = stores[0]
            .write(|tx| tx.create_org("acme", Utc::now()))
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
                    store.write(|tx| tx.create_resource(&org, ResourceKind::User, &body, Utc::now()))
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
