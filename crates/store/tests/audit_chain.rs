//! Tamper evidence (PRODUCT.md §6): each organization's records form a hash chain over their
//! stored form, however they are appended (transactions, group commit, savepoints undone,
//! several writers at once on PostgreSQL), and `Audit::verify` names the first break when a
//! record is changed, removed or inserted behind the store's back. Records older than the
//! chain verify through the data migration that seeds the heads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use chrono::Utc;
use rollcall_store::testing::{TestDb, trail};
use rollcall_store::{Backend, ChainReport, NewAuditRecord, Store, StoreError};
use serde_json::json;

fn append(store: &Store, org: &str, target: &str) {
    store
        .write(|tx| {
            tx.audit().record(
                org,
                &NewAuditRecord {
                    occurred_at: Utc::now(),
                    actor: "scim:t",
                    actor_kind: None,
                    operation: "user.patch",
                    target,
                    status: 200,
                    detail: &json!({"after": {"nickName": target}}),
                    request_id: Some("r"),
                    subject: None,
                },
            )
        })
        .unwrap();
}

fn verify(store: &Store, org: &str) -> ChainReport {
    store.read(|tx| tx.audit().verify(org)).unwrap()
}

fn seqs(store: &Store, org: &str) -> Vec<i64> {
    trail(store, org).iter().map(|record| record.seq).collect()
}

/// Let the test play the attacker who edits the table directly.
fn drop_guards(db: &TestDb) {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;"
        }
        Backend::Postgres => "DROP TRIGGER audit_events_no_change ON audit_events;",
    };
    db.execute_raw(sql).unwrap();
}

#[test]
fn every_append_links_and_every_tampering_is_named() {
    for db in TestDb::all() {
        let backend = db.backend();
        let store = db.open();
        let (a, b) = store
            .write(|tx| {
                Ok((
                    tx.orgs().create("a", Utc::now())?,
                    tx.orgs().create("b", Utc::now())?,
                ))
            })
            .unwrap();
        let (a, b) = (a.id, b.id);
        assert!(verify(&store, &a).holds(), "{backend:?}: an empty trail");
        // Interleaved orgs, several records in one transaction, a savepoint undone, and
        // (SQLite) group-committed batches.
        for k in 0..5 {
            append(&store, &a, &format!("user:{k}"));
            append(&store, &b, &format!("user:{k}"));
        }
        store
            .write(|tx| {
                for org in [&a, &b, &a] {
                    tx.audit().record(
                        org,
                        &NewAuditRecord {
                            occurred_at: Utc::now(),
                            actor: "cli",
                            actor_kind: None,
                            operation: "workspace.create",
                            target: "workspace:w",
                            status: 200,
                            detail: &json!({}),
                            request_id: None,
                            subject: None,
                        },
                    )?;
                }
                let undone: Result<(), StoreError> = tx.savepoint(|tx| {
                    append_in(tx, &a)?;
                    Err(StoreError::NotFound)
                });
                assert!(undone.is_err());
                Ok(())
            })
            .unwrap();
        let tickets: Vec<_> = (0..6)
            .map(|k| {
                let org = if k % 2 == 0 { a.clone() } else { b.clone() };
                store.write_batched(move |tx| append_in(tx, &org))
            })
            .collect();
        for ticket in tickets {
            match ticket {
                Ok(ticket) => ticket.wait().unwrap(),
                // PostgreSQL has no writer thread: the closure comes back to run.
                Err(job) => store.write(job).unwrap(),
            }
        }
        for org in [&a, &b] {
            let report = verify(&store, org);
            assert!(report.holds(), "{backend:?}: {report:?}");
            assert_eq!(
                report.records,
                seqs(&store, org).len() as u64,
                "{backend:?}"
            );
        }
        let records = trail(&store, &a);
        let first = records[0].chain.as_ref().unwrap();
        assert_eq!(
            first.prev_hash, "",
            "{backend:?}: the first record links to nothing"
        );
        for pair in records.windows(2) {
            let (before, after) = (
                pair[0].chain.as_ref().unwrap(),
                pair[1].chain.as_ref().unwrap(),
            );
            assert_eq!(after.prev_hash, before.hash, "{backend:?}");
        }

        // Now the attacker.
        drop_guards(&db);
        let in_a = seqs(&store, &a);
        // A changed record: named by its own seq.
        db.execute_raw(&format!(
            "UPDATE audit_events SET detail = '{{\"after\": {{}}}}' WHERE seq = {}",
            in_a[3]
        ))
        .unwrap();
        let report = verify(&store, &a);
        let broken = report.first_break.expect("a changed record is found");
        assert_eq!(broken.seq, Some(in_a[3]), "{backend:?}: {}", broken.reason);
        assert!(broken.reason.contains("changed"), "{}", broken.reason);
        assert!(
            verify(&store, &b).holds(),
            "{backend:?}: the other org is untouched"
        );

        // A removed record, in b: named at the record after it.
        let in_b = seqs(&store, &b);
        db.execute_raw(&format!("DELETE FROM audit_events WHERE seq = {}", in_b[2]))
            .unwrap();
        let broken = verify(&store, &b).first_break.expect("a gap is found");
        assert_eq!(broken.seq, Some(in_b[3]), "{backend:?}: {}", broken.reason);

        // Removing the last records (b's, after fixing nothing): the head tells.
        let fresh = store
            .write(|tx| tx.orgs().create("c", Utc::now()))
            .unwrap()
            .id;
        for k in 0..3 {
            append(&store, &fresh, &format!("user:{k}"));
        }
        let in_c = seqs(&store, &fresh);
        db.execute_raw(&format!("DELETE FROM audit_events WHERE seq = {}", in_c[2]))
            .unwrap();
        let broken = verify(&store, &fresh)
            .first_break
            .expect("truncation is found");
        assert_eq!(broken.seq, None, "{backend:?}: at the head");
    }
}

fn append_in(tx: &mut rollcall_store::Tx<'_>, org: &str) -> Result<(), StoreError> {
    tx.audit().record(
        org,
        &NewAuditRecord {
            occurred_at: Utc::now(),
            actor: "scim:t",
            actor_kind: None,
            operation: "group.patch",
            target: "group:g",
            status: 200,
            detail: &json!({"members": []}),
            request_id: None,
            subject: None,
        },
    )
}

#[test]
fn records_older_than_the_chain_verify_through_the_seeded_head() {
    for db in TestDb::all() {
        let backend = db.backend();
        let store = db.open();
        let org = store
            .write(|tx| tx.orgs().create("a", Utc::now()))
            .unwrap()
            .id;
        // What an older release left: records without hashes, and no head.
        for k in 0..3 {
            db.execute_raw(&format!(
                "INSERT INTO audit_events (id, org_id, occurred_at, actor, operation, target, status, detail) \
                 VALUES ('old{k}', '{org}', '2026-11-01T00:00:0{k}.000000Z', 'cli', 'workspace.create', 'workspace:w{k}', 200, '{{}}')"
            ))
            .unwrap();
        }
        db.execute_raw("DELETE FROM data_migrations WHERE name = 'audit_chain'")
            .unwrap();
        db.execute_raw("DELETE FROM audit_heads").unwrap();
        let migrated = Store::migrate(db.url(), Utc::now()).unwrap();
        assert_eq!(migrated.applied, ["data:audit_chain"], "{backend:?}");
        assert!(verify(&store, &org).holds(), "{backend:?}");
        append(&store, &org, "user:new");
        let report = verify(&store, &org);
        assert!(report.holds(), "{backend:?}: {report:?}");
        assert_eq!(report.records, 4);
        // An old record edited afterwards breaks the first link stored after it.
        drop_guards(&db);
        db.execute_raw("UPDATE audit_events SET target = 'workspace:x' WHERE id = 'old1'")
            .unwrap();
        let broken = verify(&store, &org).first_break.expect("found");
        let newest = *seqs(&store, &org).last().unwrap();
        assert_eq!(broken.seq, Some(newest), "{backend:?}: {}", broken.reason);
    }
}

#[test]
fn concurrent_writers_of_one_org_keep_one_chain() {
    for db in TestDb::all() {
        let backend = db.backend();
        let store = db.open();
        let org = store
            .write(|tx| tx.orgs().create("a", Utc::now()))
            .unwrap()
            .id;
        // Separate stores: separate pools, as separate instances have.
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let store = db.open();
                let org = org.clone();
                std::thread::spawn(move || {
                    for k in 0..20 {
                        append(&store, &org, &format!("user:{w}-{k}"));
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let report = verify(&store, &org);
        assert!(report.holds(), "{backend:?}: {report:?}");
        assert_eq!(report.records, 80, "{backend:?}");
    }
}

#[test]
fn a_broken_chain_is_never_pruned() {
    for db in TestDb::all() {
        let backend = db.backend();
        let store = db.open();
        let org = store
            .write(|tx| tx.orgs().create("a", Utc::now()))
            .unwrap()
            .id;
        for k in 0..4 {
            append(&store, &org, &format!("user:{k}"));
        }
        let before = seqs(&store, &org);
        drop_guards(&db);
        db.execute_raw(&format!(
            "UPDATE audit_events SET target = 'user:x' WHERE seq = {}",
            before[1]
        ))
        .unwrap();
        let later = Utc::now() + chrono::Duration::days(1);
        let refused = store.write(|tx| tx.audit().prune(&org, later, later));
        let error = refused.expect_err("the evidence is kept");
        assert!(
            error.to_string().contains(&format!("seq {}", before[1])),
            "{backend:?}: {error}"
        );
        assert_eq!(seqs(&store, &org), before, "{backend:?}: nothing removed");
    }
}
