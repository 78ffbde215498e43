//! `Tx::savepoint`: a failing savepoint undoes only its own changes and the transaction
//! goes on (on PostgreSQL too, where a failed statement aborts the transaction), in
//! `Store::write` and in SQLite's batched writes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use chrono::Utc;
use rollcall_store::testing::TestDb;
use rollcall_store::{ListQuery, Store, StoreError, Tx};
use serde_json::{Value, json};

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name})
}

/// Three savepoints: a create that commits, one that creates and then hits a uniqueness
/// violation (undone whole), and a create after it. Returns what each savepoint said.
fn three_savepoints(tx: &mut Tx<'_>, org: &str) -> Result<Vec<Result<(), String>>, StoreError> {
    let now = Utc::now();
    let first = tx.savepoint(|tx| tx.users().create(org, &user("kept"), now).map(|_| ()));
    let second = tx.savepoint(|tx| {
        tx.users().create(org, &user("undone"), now)?;
        tx.users().create(org, &user("kept"), now)?;
        Ok::<(), StoreError>(())
    });
    let third = tx.savepoint(|tx| tx.users().create(org, &user("after"), now).map(|_| ()));
    Ok([first, second, third]
        .into_iter()
        .map(|outcome| outcome.map_err(|error| error.to_string()))
        .collect())
}

fn names(store: &Store, org: &str) -> Vec<String> {
    let page = store
        .read(|tx| {
            tx.users().list(
                org,
                &ListQuery {
                    filter: None,
                    sort: None,
                    start_index: 1,
                    count: 100,
                    load_members: false,
                },
            )
        })
        .unwrap();
    let mut names: Vec<String> = page
        .resources
        .iter()
        .map(|r| r.resource["userName"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_failed_savepoint_loses_only_its_own_changes() {
    for db in TestDb::all() {
        let store = db.open();
        let label = format!("{:?}", db.backend());
        let org = store
            .write(|tx| tx.orgs().create("acme", Utc::now()))
            .unwrap()
            .id;
        let org_id = org.clone();
        let outcomes = store
            .write(move |tx| three_savepoints(tx, &org_id))
            .unwrap();
        assert!(outcomes[0].is_ok(), "{label}: {outcomes:?}");
        assert!(
            outcomes[1].as_ref().unwrap_err().contains("userName"),
            "{label}: {outcomes:?}"
        );
        assert!(outcomes[2].is_ok(), "{label}: {outcomes:?}");
        assert_eq!(names(&store, &org), ["after", "kept"], "{label}");

        // The same inside a batched write (SQLite's writer thread runs it in a savepoint).
        let other = store
            .write(|tx| tx.orgs().create("other", Utc::now()))
            .unwrap()
            .id;
        let org_id = other.clone();
        let job = move |tx: &mut Tx<'_>| three_savepoints(tx, &org_id);
        let outcomes = match store.write_batched(job) {
            Ok(ticket) => ticket.wait().unwrap(),
            Err(job) => store.write(job).unwrap(),
        };
        assert!(
            outcomes[1].is_err() && outcomes[2].is_ok(),
            "{label}: {outcomes:?}"
        );
        assert_eq!(names(&store, &other), ["after", "kept"], "{label}");
    }
}
