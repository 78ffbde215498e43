//! Erasure (PRODUCT.md §6) in the store: records about a user hold their personal values
//! sealed, the purge's shredding makes them read "[erased]", and the data migration
//! `audit_personal_values` seals what older releases wrote in clear (and redacts their
//! passwords), the one permitted rewrite, recorded, with the chain computed after it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use chrono::Utc;
use rollcall_store::testing::{TestDb, trail};
use rollcall_store::{ResourceKind, Store};
use serde_json::json;

#[test]
fn old_records_are_sealed_redacted_or_erased_by_the_migration() {
    for db in TestDb::all() {
        let backend = db.backend();
        let store = db.open();
        let org = store
            .write(|tx| tx.orgs().create("a", Utc::now()))
            .unwrap()
            .id;
        let ann = store
            .write(|tx| {
                tx.resources(ResourceKind::User).create(
                    &org,
                    &json!({"userName": "ann-livia"}),
                    Utc::now(),
                )
            })
            .unwrap()
            .id;
        // What older releases wrote: clear values, a clear password, and records about a
        // user whose personal data was purged since.
        let rows = [
            (
                "o1",
                format!("user:{ann}"),
                r#"{"after":{"userName":"ann-livia","password":"hunter2-clear","active":true}}"#,
            ),
            (
                "o2",
                "user:gone".to_owned(),
                r#"{"before":{"userName":"gone-gorgonzola"},"after":null}"#,
            ),
            (
                "o3",
                "group:g".to_owned(),
                r#"{"after":{"displayName":"team"}}"#,
            ),
        ];
        for (id, target, detail) in &rows {
            db.execute_raw(&format!(
                "INSERT INTO audit_events (id, org_id, occurred_at, actor, operation, target, status, detail) \
                 VALUES ('{id}', '{org}', '2026-11-01T00:00:00.000000Z', 'scim:t', 'user.create', '{target}', 201, '{detail}')"
            ))
            .unwrap();
        }
        db.execute_raw(&format!(
            "INSERT INTO user_tombstones (id, org_id, user_name, external_id, data, created, deleted_at, purged_at) \
             VALUES ('gone', '{org}', NULL, NULL, '{{}}', '2026-10-01T00:00:00.000000Z', \
             '2026-10-02T00:00:00.000000Z', '2026-11-02T00:00:00.000000Z')"
        ))
        .unwrap();
        for step in ["audit_personal_values", "audit_chain"] {
            db.execute_raw(&format!(
                "DELETE FROM data_migrations WHERE name = '{step}'"
            ))
            .unwrap();
        }
        db.execute_raw("DELETE FROM audit_heads").unwrap();
        let migrated = Store::migrate(db.url(), Utc::now()).unwrap();
        assert_eq!(
            migrated.applied,
            ["data:audit_personal_values", "data:audit_chain"],
            "{backend:?}"
        );
        for needle in ["ann-livia", "hunter2-clear", "gone-gorgonzola"] {
            let holding = db.columns_holding(needle).unwrap();
            assert!(
                holding
                    .iter()
                    .all(|column| !column.starts_with("audit_events")),
                "{backend:?}: {needle} in {holding:?}"
            );
        }
        let records = trail(&store, &org);
        let by_id = |id: &str| records.iter().find(|r| r.id == id).unwrap();
        assert_eq!(
            by_id("o1").detail["after"]["userName"],
            "ann-livia",
            "{backend:?}"
        );
        assert_eq!(
            by_id("o1").detail["after"]["password"],
            "[redacted]",
            "{backend:?}"
        );
        assert_eq!(by_id("o1").detail["after"]["active"], true, "{backend:?}");
        assert_eq!(
            by_id("o2").detail["before"]["userName"],
            "[erased]",
            "{backend:?}"
        );
        assert_eq!(
            by_id("o3").detail,
            json!({"after": {"displayName": "team"}}),
            "{backend:?}: not about a user, untouched"
        );
        let sealed: Vec<_> = records
            .iter()
            .filter(|r| r.operation == "audit.sealed")
            .collect();
        assert_eq!(sealed.len(), 1, "{backend:?}: the rewrite is on the trail");
        assert_eq!(sealed[0].detail["records"], 2, "{backend:?}");
        let report = store.read(|tx| tx.audit().verify(&org)).unwrap();
        assert!(report.holds(), "{backend:?}: {report:?}");
        // The guard is back: no record can be changed afterwards.
        let update = "UPDATE audit_events SET status = 200 WHERE id = 'o1'";
        assert!(db.execute_raw(update).is_err(), "{backend:?}");
    }
}

#[test]
fn data_keys_are_wrapped_with_the_operators_key_encryption_key() {
    use rollcall_store::{KeyEncryptionKey, NewAuditRecord, StoreOptions};
    for db in TestDb::all() {
        let backend = db.backend();
        let with = |key: Option<&str>| StoreOptions {
            key_encryption_key: key.map(|hex| KeyEncryptionKey::from_hex(hex).unwrap()),
            ..StoreOptions::default()
        };
        let kek = "11".repeat(32);
        // A user, and the record of their creation (a key is made only for a user that
        // exists).
        let record = |store: &Store, org: &str, name: &str| {
            store
                .write(|tx| {
                    let user = tx
                        .resources(ResourceKind::User)
                        .create(
                            org,
                            &json!({"userName": format!("{name}-name")}),
                            Utc::now(),
                        )?
                        .id;
                    tx.audit().record(
                        org,
                        &NewAuditRecord {
                            occurred_at: Utc::now(),
                            actor: "scim:t",
                            actor_kind: None,
                            operation: "user.create",
                            target: &format!("user:{user}"),
                            status: 201,
                            detail: &json!({"after": {"userName": format!("{name}-name")}}),
                            request_id: None,
                            subject: Some(&user),
                        },
                    )
                })
                .unwrap();
        };
        // Without a key-encryption key first: keys in clear.
        let plain = db.open();
        let org = plain
            .write(|tx| tx.orgs().create("a", Utc::now()))
            .unwrap()
            .id;
        record(&plain, &org, "u1");
        let clear = "SELECT COUNT(*) FROM user_data_keys WHERE data_key LIKE 'v1:%'";
        assert_eq!(db.count(clear).unwrap(), 1, "{backend:?}");
        // Opened with one: the stored key is wrapped at start, new ones are made wrapped,
        // and every record still reads.
        let wrapped = Store::open(db.url(), &with(Some(&kek)), Utc::now()).unwrap();
        record(&wrapped, &org, "u2");
        assert_eq!(db.count(clear).unwrap(), 0, "{backend:?}");
        let kek1 = "SELECT COUNT(*) FROM user_data_keys WHERE data_key LIKE 'kek1:%'";
        assert_eq!(db.count(kek1).unwrap(), 2, "{backend:?}");
        let names: Vec<String> = trail(&wrapped, &org)
            .iter()
            .map(|r| r.detail["after"]["userName"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["u1-name", "u2-name"], "{backend:?}");
        // Without it, or with another, the store refuses to start rather than seal what
        // it could not read back.
        for (options, expected) in [
            (with(None), "key_encryption_key"),
            (with(Some(&"22".repeat(32))), "key-encryption key"),
        ] {
            let refused = Store::open(db.url(), &options, Utc::now()).map(|_| ());
            let error = refused.expect_err("refused").to_string();
            assert!(error.contains(expected), "{backend:?}: {error}");
        }
    }
}
