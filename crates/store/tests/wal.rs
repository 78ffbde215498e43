//! SQLite's write-ahead log file does not keep its peak size: a reader that holds a
//! snapshot lets the log grow past 4 MiB while writes go on; once it lets go and writes
//! stop, the checkpoint thread truncates the file within seconds.

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

#[test]
fn the_log_file_shrinks_once_writes_stop() {
    let db = TestDb::sqlite();
    let store = db.open();
    let org = store
        .write(|tx| tx.orgs().create("acme", Utc::now()))
        .unwrap()
        .id;
    // A reader holding its snapshot: the log cannot start over meanwhile.
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
    while wal_bytes(&db) < 6 * 1024 * 1024 {
        let body = json!({"userName": format!("user{k}"), "displayName": padding});
        store
            .write(|tx| tx.users().create(&org, &body, Utc::now()))
            .unwrap();
        k += 1;
        assert!(k < 20_000, "the log never grew past 6 MiB");
    }
    release.send(()).unwrap();
    reader.join().unwrap();
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
