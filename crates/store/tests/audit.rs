//! The audit trail on every test database: appended in the writer's transaction (gone with
//! a rollback), read in order with filters and a cursor, and append-only: the database
//! itself refuses to change or remove a record.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use chrono::{Duration, Utc};
use rollcall_store::testing::TestDb;
use rollcall_store::{AuditQuery, NewAuditRecord, StoreError};
use serde_json::json;

#[test]
fn records_are_appended_in_the_transaction_read_in_order_and_never_changed() {
    for db in TestDb::all() {
        let store = db.open();
        let t0 = Utc::now();
        let (acme, beta) = store
            .write(|tx| {
                Ok((
                    tx.orgs().create("Acme", t0)?.id,
                    tx.orgs().create("Beta", t0)?.id,
                ))
            })
            .unwrap();
        let detail = json!({"after": {"userName": "ann"}});
        let record = |k: i64, actor: &'static str, target: &'static str| {
            let detail = detail.clone();
            move |tx: &mut rollcall_store::Tx<'_>, org: &str| {
                tx.audit().record(
                    org,
                    &NewAuditRecord {
                        occurred_at: t0 + Duration::seconds(k),
                        actor,
                        actor_kind: None,
                        operation: "user.create",
                        target,
                        status: 201,
                        detail: &detail,
                        request_id: Some("req-1"),
                        subject: None,
                    },
                )
            }
        };
        store
            .write(|tx| {
                record(0, "scim:t1", "user:a")(tx, &acme)?;
                record(1, "scim:t2", "user:b")(tx, &acme)?;
                record(2, "scim:t1", "user:c")(tx, &acme)?;
                record(3, "scim:t1", "user:z")(tx, &beta)
            })
            .unwrap();
        // A rolled-back write leaves no record.
        let failed = store.write(|tx| {
            record(4, "scim:t1", "user:d")(tx, &acme)?;
            Err::<(), _>(StoreError::Invalid("rolled back".into()))
        });
        assert!(failed.is_err());

        let all = store
            .read(|tx| {
                tx.audit().query(
                    &acme,
                    &AuditQuery {
                        limit: 100,
                        ..AuditQuery::default()
                    },
                )
            })
            .unwrap();
        let targets: Vec<&str> = all.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(
            targets,
            ["user:a", "user:b", "user:c"],
            "{:?}",
            db.backend()
        );
        assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
        assert_eq!(all[0].detail, detail);
        assert_eq!(all[0].request_id.as_deref(), Some("req-1"));
        assert_eq!(all[0].status, 201);

        let page = |query: AuditQuery| -> Vec<String> {
            store
                .read(|tx| tx.audit().query(&acme, &query))
                .unwrap()
                .into_iter()
                .map(|r| r.target)
                .collect()
        };
        let cases = [
            (
                AuditQuery {
                    actor: Some("scim:t1".into()),
                    limit: 10,
                    ..AuditQuery::default()
                },
                vec!["user:a", "user:c"],
            ),
            (
                AuditQuery {
                    targets: vec!["user:b".into()],
                    limit: 10,
                    ..AuditQuery::default()
                },
                vec!["user:b"],
            ),
            (
                AuditQuery {
                    since: Some(t0 + Duration::seconds(1)),
                    limit: 10,
                    ..AuditQuery::default()
                },
                vec!["user:b", "user:c"],
            ),
            (
                AuditQuery {
                    until: Some(t0 + Duration::seconds(1)),
                    limit: 10,
                    ..AuditQuery::default()
                },
                vec!["user:a"],
            ),
            (
                AuditQuery {
                    after: Some(all[0].seq),
                    limit: 1,
                    ..AuditQuery::default()
                },
                vec!["user:b"],
            ),
            (
                AuditQuery {
                    operation: Some("user.delete".into()),
                    limit: 10,
                    ..AuditQuery::default()
                },
                vec![],
            ),
        ];
        for (query, expected) in cases {
            assert_eq!(page(query.clone()), expected, "{query:?}");
        }

        // Append-only, whatever SQL is sent.
        for statement in [
            "UPDATE audit_events SET actor = 'someone else'",
            "DELETE FROM audit_events",
        ] {
            let refused = db.execute_raw(statement).unwrap_err();
            assert!(refused.contains("append-only"), "{statement}: {refused}");
        }
        assert_eq!(
            store
                .read(|tx| tx.audit().query(
                    &acme,
                    &AuditQuery {
                        limit: 100,
                        ..AuditQuery::default()
                    }
                ))
                .unwrap(),
            all
        );
    }
}
