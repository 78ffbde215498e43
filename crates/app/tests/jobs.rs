//! The jobs that run without a request, on every test database: the purge scrubs the
//! tombstones of deleted users after their organization's `purge_after_days` and not
//! before, and records each purge.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use org_model::OrgSettings;
use rollcall_store::Store;
use rollcall_store::testing::{TestDb, trail};
use serde_json::{Value, json};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn create_user(store: &Store, org: &str, body: Value, now: DateTime<Utc>) -> String {
    store
        .write(|tx| tx.users().create(org, &body, now))
        .unwrap()
        .id
}

#[test]
fn the_purge_waits_purge_after_days_per_organization() {
    for db in TestDb::all() {
        let store = db.open();
        let label = format!("{:?}", db.backend());
        let (quick, slow) = store
            .write(|tx| {
                let quick = tx.orgs().create("quick", t0())?.id;
                let slow = tx.orgs().create("slow", t0())?.id;
                tx.orgs().set_settings(
                    &quick,
                    &OrgSettings {
                        purge_after_days: 3,
                        ..OrgSettings::default()
                    },
                )?;
                Ok((quick, slow))
            })
            .unwrap();
        let q = create_user(
            &store,
            &quick,
            json!({"userName": "q", "externalId": "x"}),
            t0(),
        );
        let s = create_user(&store, &slow, json!({"userName": "s"}), t0());
        store
            .write(|tx| {
                tx.lifecycle().delete_user(&quick, &q, None, t0())?;
                tx.lifecycle().delete_user(&slow, &s, None, t0())
            })
            .unwrap();
        // (days after the deletion, purged in that run)
        for (days, purged) in [(2, 0), (3, 1), (4, 0), (29, 0), (30, 1), (31, 0)] {
            let now = t0() + Duration::days(days);
            assert_eq!(
                rollcall_app::purge_deleted_users(&store, now).unwrap(),
                purged,
                "{label} day {days}"
            );
        }
        for (org, id, days) in [(&quick, &q, 3), (&slow, &s, 30)] {
            let tombstone = store.read(|tx| tx.lifecycle().tombstone(org, id)).unwrap();
            assert_eq!(tombstone.user_name, None, "{label}");
            assert_eq!(tombstone.external_id, None, "{label}");
            assert_eq!(tombstone.data, "{}", "{label}");
            assert_eq!(tombstone.purged_at, Some(t0() + Duration::days(days)));
            let records = trail(&store, org);
            let summary: Vec<(&str, &str, String)> = records
                .iter()
                .map(|r| (r.actor.as_str(), r.operation.as_str(), r.target.clone()))
                .collect();
            assert_eq!(
                summary,
                vec![("system", "user.purge", format!("user:{id}"))],
                "{label}"
            );
        }
    }
}

#[test]
fn audit_retention_prunes_behind_a_checkpoint_the_chain_verifies_from() {
    for db in TestDb::all() {
        let store = db.open();
        let label = format!("{:?}", db.backend());
        let (kept, pruned) = store
            .write(|tx| {
                let kept = tx.orgs().create("forever", t0())?.id;
                let pruned = tx.orgs().create("ninety", t0())?.id;
                tx.orgs().set_settings(
                    &pruned,
                    &OrgSettings {
                        audit_retention_days: Some(90),
                        ..OrgSettings::default()
                    },
                )?;
                Ok((kept, pruned))
            })
            .unwrap();
        // Ten records a day apart in each organization, from t0 on.
        for day in 0..10 {
            store
                .write(|tx| {
                    for org in [&kept, &pruned] {
                        tx.audit().record(
                            org,
                            &rollcall_store::NewAuditRecord {
                                occurred_at: t0() + Duration::days(day),
                                actor: "cli",
                                actor_kind: None,
                                operation: "workspace.create",
                                target: "workspace:w",
                                status: 200,
                                detail: &serde_json::json!({"day": day}),
                                request_id: None,
                                subject: None,
                            },
                        )?;
                    }
                    Ok(())
                })
                .unwrap();
        }
        let count = |org: &str| trail(&store, org);
        // 95 days after t0: the first five days are past 90 days.
        let now = t0() + Duration::days(95);
        assert_eq!(
            rollcall_app::prune_audit(&store, now).unwrap(),
            5,
            "{label}"
        );
        let left = count(&pruned);
        assert_eq!(left.len(), 6, "{label}: five kept and the checkpoint");
        let checkpoint = left.last().unwrap();
        assert_eq!(checkpoint.operation, "audit.checkpoint", "{label}");
        assert_eq!(checkpoint.actor, "system", "{label}");
        assert_eq!(checkpoint.detail["pruned"], 5, "{label}");
        assert_eq!(left[0].detail["day"], 5, "{label}");
        assert_eq!(
            count(&kept).len(),
            10,
            "{label}: no retention, nothing pruned"
        );
        for org in [&kept, &pruned] {
            let report = store.read(|tx| tx.audit().verify(org)).unwrap();
            assert!(report.holds(), "{label}: {report:?}");
        }
        // Again later, through the previous checkpoint: it verifies still, and nothing is
        // pruned twice.
        let later = t0() + Duration::days(98);
        assert_eq!(
            rollcall_app::prune_audit(&store, later).unwrap(),
            3,
            "{label}: days 5 to 7"
        );
        assert_eq!(
            rollcall_app::prune_audit(&store, later).unwrap(),
            0,
            "{label}"
        );
        let report = store.read(|tx| tx.audit().verify(&pruned)).unwrap();
        assert!(report.holds(), "{label}: {report:?}");
        // Without the prune's permit, a record still cannot be removed.
        let delete = format!("DELETE FROM audit_events WHERE org_id = '{kept}'");
        assert!(db.execute_raw(&delete).is_err(), "{label}");
        assert_eq!(count(&kept).len(), 10, "{label}");
    }
}
