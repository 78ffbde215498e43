//! The user lifecycle in the store, on every test database: `deactivated_at` follows
//! `active`, a deleted user becomes a tombstone (404 everywhere, its names free, its grants,
//! memberships, joins and org ownership gone), and owner succession picks its
//! heir. (The purge, which scrubs tombstones after `purge_after_days` and records it, is
//! `rollcall-app`'s `tests/jobs.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use org_model::{Grant, GrantSource, OrgSettings, Principal, ResourceRef, Role};
use rollcall_store::testing::TestDb;
use rollcall_store::{ActivityChange, GrantFilter, Store, StoreError};
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

fn owner_grant(user: &str, workspace: &str) -> Grant {
    Grant {
        id: String::new(),
        principal: Principal::User(user.to_owned()),
        resource: ResourceRef::Workspace(workspace.to_owned()),
        role: Role::Owner,
        source: GrantSource::Manual { by: None },
        expires_at: None,
        created_at: t0(),
    }
}

#[test]
fn deactivated_at_follows_active() {
    for db in TestDb::all() {
        let store = db.open();
        let label = format!("{:?}", db.backend());
        let org = store.write(|tx| tx.orgs().create("acme", t0())).unwrap().id;
        let ann = create_user(&store, &org, json!({"userName": "ann"}), t0());
        // (active written, at hour, the change reported, deactivated_at after)
        let steps = [
            (Some(true), 1, ActivityChange::Unchanged, None),
            (Some(false), 2, ActivityChange::Suspended, Some(2)),
            (Some(false), 3, ActivityChange::Unchanged, Some(2)),
            (
                None,
                4,
                ActivityChange::Reactivated {
                    deactivated_at: t0() + Duration::hours(2),
                },
                None,
            ),
            (Some(false), 5, ActivityChange::Suspended, Some(5)),
        ];
        for (active, hour, change, since) in steps {
            let now = t0() + Duration::hours(hour);
            let mut body = json!({"userName": "ann", "title": format!("h{hour}")});
            if let Some(active) = active {
                body["active"] = json!(active);
            }
            let got = store
                .write(|tx| {
                    tx.users().replace(&org, &ann, &body, None, now)?;
                    tx.lifecycle().sync_deactivation(&org, &ann, now)
                })
                .unwrap();
            assert_eq!(got, change, "{label} hour {hour}");
            let stored = store
                .read(|tx| tx.lifecycle().deactivated_at(&org, &ann))
                .unwrap();
            assert_eq!(
                stored,
                since.map(|h| t0() + Duration::hours(h)),
                "{label} hour {hour}"
            );
        }
        let missing = store.write(|tx| tx.lifecycle().sync_deactivation(&org, "nobody", t0()));
        assert!(matches!(missing, Err(StoreError::NotFound)), "{label}");
    }
}

#[test]
fn a_deleted_user_is_a_tombstone_and_its_names_are_free() {
    for db in TestDb::all() {
        let store = db.open();
        let label = format!("{:?}", db.backend());
        let org = store.write(|tx| tx.orgs().create("acme", t0())).unwrap().id;
        let body = json!({"userName": "Ann", "externalId": "ext-1", "emails": [{"value": "ann@example.com"}]});
        let ann = create_user(&store, &org, body.clone(), t0());
        let bob = create_user(&store, &org, json!({"userName": "bob"}), t0());
        let (ws, group) = store
            .write(|tx| {
                let ws = tx.workspaces().create(&org, "plans", t0())?;
                let group = tx.groups().create(
                    &org,
                    &json!({"displayName": "team", "members": [{"value": ann}, {"value": bob}]}),
                    t0(),
                )?;
                tx.grants().create(&org, &owner_grant(&ann, &ws.id))?;
                tx.access().record_join(
                    &org,
                    &ann,
                    &ResourceRef::Workspace(ws.id.clone()),
                    t0(),
                )?;
                tx.orgs().set_settings(
                    &org,
                    &OrgSettings {
                        owners: vec![ann.clone(), bob.clone()],
                        successor: Some(ann.clone()),
                        ..OrgSettings::default()
                    },
                )?;
                Ok((ws.id, group.id))
            })
            .unwrap();

        // A stale version is refused and changes nothing (ann is at version 2: joining the
        // group moved it on).
        let stale = store.write(|tx| tx.lifecycle().delete_user(&org, &ann, Some(7), t0()));
        assert!(
            matches!(stale, Err(StoreError::VersionMismatch { current: 2 })),
            "{label}: {stale:?}"
        );
        let deleted_at = t0() + Duration::days(1);
        let deleted = store
            .write(|tx| tx.lifecycle().delete_user(&org, &ann, Some(2), deleted_at))
            .unwrap();
        assert!(deleted.was_active && deleted.was_org_owner, "{label}");
        assert_eq!(deleted.grants.len(), 1, "{label}");
        assert_eq!(
            deleted.tombstone.user_name.as_deref(),
            Some("Ann"),
            "{label}"
        );
        assert_eq!(deleted.tombstone.external_id.as_deref(), Some("ext-1"));
        assert_eq!(deleted.tombstone.deleted_at, deleted_at, "{label}");

        store
            .read(|tx| {
                let gone = tx.users().get(&org, &ann, false);
                assert!(matches!(gone, Err(StoreError::NotFound)), "{label}");
                let again = tx.lifecycle().delete_user(&org, &ann, None, deleted_at);
                assert!(matches!(again, Err(StoreError::NotFound)), "{label}");
                let team = tx.groups().get(&org, &group, true)?;
                let members: Vec<&str> = team.resource["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["value"].as_str().unwrap())
                    .collect();
                assert_eq!(members, [bob.as_str()], "{label}");
                let held = tx.grants().list(
                    &org,
                    &GrantFilter {
                        principal: Some(Principal::User(ann.clone())),
                        resource: None,
                    },
                )?;
                assert!(held.is_empty(), "{label}");
                let joined = tx
                    .access()
                    .joined(&org, &ResourceRef::Workspace(ws.clone()))?;
                assert!(joined.is_empty(), "{label}");
                let settings = tx.orgs().settings(&org)?;
                assert_eq!(settings.owners, vec![bob.clone()], "{label}");
                assert_eq!(settings.successor, None, "{label}");
                assert!(
                    !tx.grants()
                        .principal_exists(&org, &Principal::User(ann.clone()))?
                );
                Ok(())
            })
            .unwrap();
        // The same userName (any case) and externalId make a new user.
        let again = create_user(&store, &org, body, t0() + Duration::days(2));
        assert_ne!(again, ann, "{label}");
        // The tombstone is still there, with its data.
        let tombstone = store
            .read(|tx| tx.lifecycle().tombstone(&org, &ann))
            .unwrap();
        assert!(tombstone.data.contains("ann@example.com"), "{label}");
    }
}

#[test]
fn succession_hands_solely_owned_workspaces_to_the_heir() {
    for db in TestDb::all() {
        let store = db.open();
        let label = format!("{:?}", db.backend());
        let org = store.write(|tx| tx.orgs().create("acme", t0())).unwrap().id;
        let hour = |h: i64| t0() + Duration::hours(h);
        let leaving = create_user(&store, &org, json!({"userName": "leaving"}), hour(0));
        let first = create_user(&store, &org, json!({"userName": "first"}), hour(1));
        let second = create_user(&store, &org, json!({"userName": "second"}), hour(2));
        let other = create_user(&store, &org, json!({"userName": "other"}), hour(3));
        let (solo, shared) = store
            .write(|tx| {
                let solo = tx.workspaces().create(&org, "solo", t0())?.id;
                let shared = tx.workspaces().create(&org, "shared", t0())?.id;
                tx.grants().create(&org, &owner_grant(&leaving, &solo))?;
                tx.grants().create(&org, &owner_grant(&leaving, &shared))?;
                tx.grants().create(&org, &owner_grant(&other, &shared))?;
                tx.orgs().set_settings(
                    &org,
                    &OrgSettings {
                        owners: vec![second.clone(), first.clone()],
                        ..OrgSettings::default()
                    },
                )?;
                Ok((solo, shared))
            })
            .unwrap();
        let handed = store
            .write(|tx| {
                let owned = tx.lifecycle().owned_workspaces(&org, &leaving, t0())?;
                assert_eq!(owned.len(), 2, "{label}");
                let body = json!({"userName": "leaving", "active": false});
                tx.users().replace(&org, &leaving, &body, None, t0())?;
                assert_eq!(
                    tx.lifecycle().heir(&org, &leaving)?.as_deref(),
                    Some(first.as_str())
                );
                tx.lifecycle()
                    .hand_over_workspaces(&org, &leaving, &owned, "test", t0())
            })
            .unwrap();
        assert_eq!(handed.len(), 1, "{label}: the shared one keeps its owner");
        assert_eq!(handed[0].workspace_id, solo, "{label}");
        let grant = handed[0].grant.as_ref().unwrap();
        assert_eq!(grant.principal, Principal::User(first.clone()), "{label}");
        assert_eq!(grant.role, Role::Owner, "{label}");
        assert!(
            store
                .read(|tx| tx.lifecycle().has_active_direct_owner(&org, &shared, t0()))
                .unwrap()
        );
    }
}
