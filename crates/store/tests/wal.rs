//! SQLite's write-ahead log: its file does not keep its peak size (a reader that holds a
//! snapshot lets the log grow past 4 MiB while writes go on; once it lets go and writes
//! stop, the checkpoint thread truncates the file within seconds), and reads that overlap
//! one another do not keep the log from starting over (the read gate).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::Utc;
use rollcall_store::testing::TestDb;
use serde_json::json;

fn wal_bytes(db: &TestDb) -> u64 {
    let path = format!("{}-wal", db.url().trim_start_matches("sqlite://"));
    std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0)
}

/// A SQLite test database, its store and an organization in it.
fn sqlite_org() -> (TestDb, rollcall_store::Store, String) {
    let db = TestDb::sqlite();
    let store = db.open();
    let org = store
        .write(|tx| tx.orgs().create("acme", Utc::now()))
        .unwrap()
        .id;
    (db, store, org)
}

/// Grow the log file past 6 MiB behind a reader holding its snapshot (the log cannot
/// start over meanwhile), then let the reader go: the users created.
fn grow_behind_a_reader(db: &TestDb, store: &rollcall_store::Store, org: &str) -> i64 {
    let (holding, held) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let reader = {
        let store = store.clone();
        std::thread::spawn(move || {
            store
                .read(|tx| {
                    tx.orgs().list()?;
                    holding.send(()).unwrap();
                    released.recv().unwrap();
                    Ok(())
                })
                .unwrap();
        })
    };
    held.recv().unwrap();
    let padding = "x".repeat(4000);
    let mut k = 0;
    while wal_bytes(db) < 6 * 1024 * 1024 {
        let body = json!({"userName": format!("user{k}"), "displayName": padding});
        store
            .write(|tx| tx.users().create(org, &body, Utc::now()))
            .unwrap();
        k += 1;
        assert!(k < 20_000, "the log never grew past 6 MiB");
    }
    release.send(()).unwrap();
    reader.join().unwrap();
    k
}

#[test]
fn the_log_file_shrinks_once_writes_stop() {
    let (db, store, org) = sqlite_org();
    let k = grow_behind_a_reader(&db, &store, &org);
    let grown = wal_bytes(&db);
    let deadline = Instant::now() + Duration::from_secs(10);
    while wal_bytes(&db) > 1024 * 1024 {
        assert!(
            Instant::now() < deadline,
            "the log file stayed at {} bytes (it had grown to {grown})",
            wal_bytes(&db)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Nothing was lost on the way.
    let users = db.count("SELECT COUNT(*) FROM scim_users").unwrap();
    assert_eq!(users, k);
}

/// Readers that overlap one another, so that one always holds a snapshot, while writes go
/// on: the log still starts over (the checkpoint thread's `RESTART` past 16 MiB), and its
/// file never nears what was written.
#[test]
fn the_log_starts_over_under_overlapping_readers() {
    const USERS: i64 = 6_000;
    let (db, store, org) = sqlite_org();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|k| {
            let (store, stop) = (store.clone(), stop.clone());
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(5 * k));
                let mut reads = 0_u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    store
                        .read(|tx| {
                            tx.orgs().list()?;
                            std::thread::sleep(Duration::from_millis(15));
                            Ok(())
                        })
                        .unwrap();
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    // About 100 MiB of values (some 200 MiB of log with their pages of index); without
    // the start-over the file grew with them, to 190 MiB with 4,000 users.
    let padding = "x".repeat(16_000);
    let mut largest = 0;
    for k in 0..USERS {
        let body = json!({"userName": format!("user{k}"), "displayName": padding});
        store
            .write(|tx| tx.users().create(&org, &body, Utc::now()))
            .unwrap();
        largest = largest.max(wal_bytes(&db));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let reads: u32 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(reads > 30, "the readers hardly ran ({reads} reads)");
    assert!(
        largest < 48 * 1024 * 1024,
        "the log file grew to {largest} bytes behind the readers"
    );
    let users = db.count("SELECT COUNT(*) FROM scim_users").unwrap();
    assert_eq!(users, USERS);
}

/// A trickle of writes (as webhook deliveries acknowledge events once the clients have
/// stopped) with reads beside it: the log never stops growing, yet its file is truncated
/// within seconds.
#[test]
fn the_log_file_shrinks_under_a_trickle_of_writes() {
    let (db, store, org) = sqlite_org();
    let mut k = grow_behind_a_reader(&db, &store, &org);
    // Then a small write every 20 ms, and a read every 5 ms, until the file is small.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last_write = Instant::now();
    while wal_bytes(&db) > 1024 * 1024 {
        assert!(
            Instant::now() < deadline,
            "the log file stayed at {} bytes under a trickle of writes",
            wal_bytes(&db)
        );
        if last_write.elapsed() >= Duration::from_millis(20) {
            let body = json!({"userName": format!("user{k}")});
            store
                .write(|tx| tx.users().create(&org, &body, Utc::now()))
                .unwrap();
            k += 1;
            last_write = Instant::now();
        }
        store.read(|tx| tx.orgs().list()).unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    let users = db.count("SELECT COUNT(*) FROM scim_users").unwrap();
    assert_eq!(users, k);
}
