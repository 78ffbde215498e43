//! `Store::write_batched` (group commit: SQLite's one writer thread, PostgreSQL's several):
//! jobs queued while a writer is busy share one transaction, each in its own savepoint, so
//! one failing or panicking job loses only its own changes; every answer comes after the
//! commit; a batch PostgreSQL aborts for a concurrent one runs again whole.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use std::sync::mpsc;

use chrono::Utc;
use rollcall_store::testing::TestDb;
use rollcall_store::{Backend, ListQuery, Store, StoreError, WriteTicket};
use serde_json::{Value, json};

fn org(store: &Store) -> String {
    store
        .write(|tx| tx.orgs().create("acme", Utc::now()))
        .unwrap()
        .id
}

fn user_names(store: &Store, org: &str) -> Vec<String> {
    let page = store
        .read(|tx| {
            tx.users().list(
                org,
                &ListQuery {
                    filter: None,
                    sort: None,
                    start_index: 1,
                    count: 1000,
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

/// Queue a job that holds the writer until `release` is sent, so that everything queued
/// next lands in one batch behind it.
fn hold_writer(store: &Store) -> (mpsc::Sender<()>, WriteTicket<()>) {
    let (release, wait) = mpsc::channel::<()>();
    let (started, running) = mpsc::channel::<()>();
    let ticket = store
        .write_batched(move |_tx| {
            started.send(()).unwrap();
            wait.recv().unwrap();
            Ok(())
        })
        .ok()
        .expect("the store batches writes");
    running.recv().unwrap();
    (release, ticket)
}

fn create_user(store: &Store, org: &str, name: &str) -> WriteTicket<String> {
    let (org, body) = (org.to_owned(), json!({"userName": name}));
    store
        .write_batched(move |tx| Ok(tx.users().create(&org, &body, Utc::now())?.id))
        .ok()
        .unwrap()
}

/// A job that creates a user, then runs `after` (which fails or panics).
fn create_user_then(
    store: &Store,
    org: &str,
    name: &str,
    mut after: impl FnMut() -> Result<(), StoreError> + Send + 'static,
) -> WriteTicket<()> {
    let (org, body) = (org.to_owned(), json!({"userName": name}));
    store
        .write_batched(move |tx| {
            tx.users().create(&org, &body, Utc::now())?;
            after()
        })
        .ok()
        .unwrap()
}

#[test]
fn a_batch_commits_its_good_jobs_and_rolls_back_only_the_failed_ones() {
    for db in TestDb::all() {
        a_batch_commits_its_good_jobs_on(&db);
    }
}

fn a_batch_commits_its_good_jobs_on(db: &TestDb) {
    let store = db.open();
    let org = org(&store);
    let (release, holder) = hold_writer(&store);

    let first = create_user(&store, &org, "ann@example.com");
    // Same userName, other case: a uniqueness error inside the batch.
    let duplicate = create_user(&store, &org, "ANN@example.com");
    // Writes a user, then fails: its user must not survive.
    let partial = create_user_then(&store, &org, "ghost@example.com", || {
        Err(StoreError::Invalid("changed my mind".to_owned()))
    });
    // Panics after writing: rolled back too, and the writer carries on.
    let panicking = create_user_then(&store, &org, "panic@example.com", || {
        panic!("a bug in a job")
    });
    let last = create_user(&store, &org, "bob@example.com");

    release.send(()).unwrap();
    holder.wait().unwrap();
    // SQLite's one writer runs them in the order queued; PostgreSQL's writers race, so
    // either spelling may win there, and exactly one does.
    let (won, lost, winner) = match (first.wait(), duplicate.wait()) {
        (Ok(id), Err(error)) => (id, error, "ann@example.com"),
        (Err(error), Ok(id)) if db.backend() == Backend::Postgres => (id, error, "ANN@example.com"),
        other => panic!("{:?}: {other:?}", db.backend()),
    };
    assert!(matches!(lost, StoreError::Uniqueness(a) if a == "userName"));
    assert!(matches!(partial.wait(), Err(StoreError::Invalid(_))));
    assert!(panicking.wait().is_err());
    last.wait().unwrap();

    let mut expected = [winner, "bob@example.com"];
    expected.sort_unstable();
    assert_eq!(user_names(&store, &org), expected);
    let stored = store.read(|tx| tx.users().get(&org, &won, false)).unwrap();
    assert_eq!(stored.resource["userName"], winner);

    // The writer is still there after the panic.
    create_user(&store, &org, "carol@example.com")
        .wait()
        .unwrap();
    assert_eq!(user_names(&store, &org).len(), 3);
}

#[test]
fn an_answer_comes_only_after_the_commit_and_is_then_visible_to_readers() {
    let db = TestDb::sqlite();
    let store = db.open();
    let org = org(&store);
    let (release, holder) = hold_writer(&store);
    let queued = create_user(&store, &org, "dana@example.com");
    // Still held: nothing is visible yet.
    assert!(user_names(&store, &org).is_empty());
    release.send(()).unwrap();
    holder.wait().unwrap();
    queued.wait().unwrap();
    assert_eq!(user_names(&store, &org), ["dana@example.com"]);
}

#[tokio::test]
async fn a_ticket_is_a_future() {
    let db = TestDb::sqlite();
    let store = db.open();
    let org = org(&store);
    let id = create_user(&store, &org, "erin@example.com").await.unwrap();
    let stored = store.read(|tx| tx.users().get(&org, &id, false)).unwrap();
    assert_eq!(stored.resource["userName"], "erin@example.com");
}

#[test]
fn many_concurrent_writers_each_get_their_own_answer() {
    for db in TestDb::all() {
        many_concurrent_writers_on(&db);
    }
}

fn many_concurrent_writers_on(db: &TestDb) {
    let store = db.open();
    let org = org(&store);
    let tickets: Vec<(usize, WriteTicket<String>)> = (0..200)
        .map(|i| {
            (
                i,
                create_user(&store, &org, &format!("user{}@example.com", i % 150)),
            )
        })
        .collect();
    let mut created = 0;
    let mut conflicts = 0;
    // SQLite's one writer runs them in the order queued, so the later of two writes of a
    // name is the one refused; PostgreSQL's writers race, so either may be.
    let in_order = db.backend() == Backend::Sqlite;
    for (i, ticket) in tickets {
        match ticket.wait() {
            Ok(_) => created += 1,
            Err(StoreError::Uniqueness(_)) if i >= 150 || !in_order => conflicts += 1,
            Err(error) => panic!("write {i}: {error}"),
        }
    }
    assert_eq!((created, conflicts), (150, 50));
    assert_eq!(user_names(&store, &org).len(), 150);
}

/// At `SERIALIZABLE`, the batches of PostgreSQL's writer threads all append to one
/// organization's trail and outbox, so PostgreSQL aborts some of them: each runs again
/// whole, and every job is answered once, with its own outcome, and recorded once.
#[test]
fn postgresql_batches_run_again_when_aborted_for_a_concurrent_one() {
    let Some(db) = TestDb::postgres_serializable() else {
        return;
    };
    let store = db.open();
    let org = org(&store);
    let tickets: Vec<WriteTicket<()>> = (0..300)
        .map(|i| {
            let name: &'static str = Box::leak(format!("event{i}").into_boxed_str());
            record_then(&store, &org, name, || Ok(()))
        })
        .collect();
    for (i, ticket) in tickets.into_iter().enumerate() {
        ticket
            .wait()
            .unwrap_or_else(|error| panic!("write {i}: {error}"));
    }
    let records = db
        .count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE org_id = '{org}'"
        ))
        .unwrap();
    let events = db
        .count(&format!(
            "SELECT COUNT(*) FROM outbox_events WHERE org_id = '{org}'"
        ))
        .unwrap();
    assert_eq!((records, events), (300, 300));
    let chain = store.read(|tx| tx.audit().verify(&org)).unwrap();
    assert!(chain.holds(), "{chain:?}");
}

/// A job that appends an audit record and an event named `name`, then runs `after`.
fn record_then(
    store: &Store,
    org: &str,
    name: &'static str,
    mut after: impl FnMut() -> Result<(), StoreError> + Send + 'static,
) -> WriteTicket<()> {
    let org = org.to_owned();
    store
        .write_batched(move |tx| {
            let detail = json!({"name": name});
            tx.audit().record(
                &org,
                &rollcall_store::NewAuditRecord {
                    occurred_at: Utc::now(),
                    actor: "test",
                    actor_kind: None,
                    operation: "user.create",
                    target: name,
                    status: 201,
                    detail: &detail,
                    request_id: Some(name),
                    subject: None,
                },
            )?;
            tx.outbox().emit(
                &org,
                &rollcall_store::NewEvent {
                    event_type: "user.created",
                    occurred_at: Utc::now(),
                    data: &detail,
                },
            )?;
            after()
        })
        .ok()
        .unwrap()
}

#[test]
fn a_batch_appends_the_records_and_events_of_its_kept_jobs_only_in_order() {
    let db = TestDb::sqlite();
    let store = db.open();
    let org = org(&store);
    let (release, holder) = hold_writer(&store);

    let a = record_then(&store, &org, "a", || Ok(()));
    let failed = record_then(&store, &org, "failed", || {
        Err(StoreError::Invalid("no".to_owned()))
    });
    let panicked = record_then(&store, &org, "panicked", || panic!("a bug in a job"));
    let b = record_then(&store, &org, "b", || Ok(()));

    release.send(()).unwrap();
    holder.wait().unwrap();
    a.wait().unwrap();
    assert!(failed.wait().is_err());
    assert!(panicked.wait().is_err());
    b.wait().unwrap();

    let (records, events) = store
        .read(|tx| {
            let query = rollcall_store::AuditQuery {
                limit: 100,
                ..rollcall_store::AuditQuery::default()
            };
            Ok((
                tx.audit().query(&org, &query)?,
                tx.outbox().events_after(&org, 0, 100)?,
            ))
        })
        .unwrap();
    let targets: Vec<&str> = records.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(targets, ["a", "b"]);
    assert_eq!(records[1].request_id.as_deref(), Some("b"));
    let names: Vec<&Value> = events.iter().map(|e| &e.data["name"]).collect();
    assert_eq!(names, [&json!("a"), &json!("b")]);
    assert!(events[0].seq < events[1].seq);
}
