//! Group PATCH member deltas on every test database: each step's stored members equal
//! `scim_core::patch::apply_member_changes` on the members before, and the version moves
//! only when something changed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use std::collections::BTreeSet;

use chrono::Utc;
use rollcall_store::testing::TestDb;
use rollcall_store::{ResourceKind, Store, StoreError};
use scim_core::filter::{ResolvedFilter, parse, resolve_value_filter};
use scim_core::patch::{MemberChange, MemberRef, apply_member_changes};
use scim_core::{AttrPath, SchemaRegistry};
use serde_json::{Value, json};

fn member_filter(text: &str) -> ResolvedFilter {
    let registry = SchemaRegistry::standard();
    let groups = registry.resource_type("Group").unwrap();
    resolve_value_filter(
        &registry,
        groups,
        &AttrPath::new("members"),
        &parse(text).unwrap(),
    )
    .unwrap()
}

fn refs(ids: &[&str]) -> Vec<MemberRef> {
    ids.iter()
        .map(|id| MemberRef {
            value: (*id).to_owned(),
            type_: None,
            ref_: None,
        })
        .collect()
}

fn members_of(store: &Store, org: &str, group: &str) -> Vec<Value> {
    let stored = store.read(|tx| tx.groups().get(org, group, true)).unwrap();
    stored
        .resource
        .get("members")
        .cloned()
        .map(|m| m.as_array().unwrap().clone())
        .unwrap_or_default()
}

fn ids(members: &[Value]) -> BTreeSet<String> {
    members
        .iter()
        .map(|m| m["value"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn member_deltas_match_the_in_memory_engine() {
    for db in TestDb::all() {
        let store = db.open();
        let now = Utc::now();
        let org = store.write(|tx| tx.orgs().create("acme", now)).unwrap().id;
        let mk = |kind, body: Value| {
            store
                .write(|tx| tx.resources(kind).create(&org, &body, now))
                .unwrap()
                .id
        };
        let ann = mk(ResourceKind::User, json!({"userName": "ann"}));
        let bob = mk(ResourceKind::User, json!({"userName": "bob"}));
        let carl = mk(ResourceKind::User, json!({"userName": "carl"}));
        let sub = mk(ResourceKind::Group, json!({"displayName": "sub"}));
        let team = mk(ResourceKind::Group, json!({"displayName": "team"}));

        let steps: Vec<(Vec<MemberChange>, bool)> = vec![
            (vec![MemberChange::Add(refs(&[&ann, &bob, &sub]))], true),
            (vec![MemberChange::Add(refs(&[&ann]))], false),
            (vec![MemberChange::Remove(vec!["absent".into()])], false),
            (
                vec![MemberChange::Remove(vec![bob.clone(), "absent".into()])],
                true,
            ),
            (
                vec![MemberChange::RemoveWhere(member_filter(
                    r#"type eq "group""#,
                ))],
                true,
            ),
            (
                vec![MemberChange::RemoveWhere(member_filter(
                    r#"value eq "nobody""#,
                ))],
                false,
            ),
            (
                vec![MemberChange::ReplaceWhere {
                    filter: member_filter(&format!(r#"value eq "{ann}""#)),
                    members: refs(&[&carl, &sub]),
                }],
                true,
            ),
            (
                vec![MemberChange::RemoveWhere(member_filter(
                    r#"not (type eq "User") or display pr"#,
                ))],
                true,
            ),
            (
                vec![MemberChange::RemoveAll, MemberChange::Add(refs(&[&bob]))],
                true,
            ),
            (vec![MemberChange::RemoveAll], true),
            (vec![MemberChange::RemoveAll], false),
        ];
        let mut version = 1;
        for (index, (changes, changes_something)) in steps.iter().enumerate() {
            let mut expected = members_of(&store, &org, &team);
            apply_member_changes(&mut expected, changes).unwrap();
            let patched = store
                .write(|tx| {
                    tx.members()
                        .patch_group(&org, &team, None, changes, Some(version), now)
                })
                .unwrap_or_else(|e| panic!("{:?} step {index}: {e}", db.backend()));
            assert!(
                patched.resource.get("members").is_none(),
                "members are not loaded"
            );
            let stored = members_of(&store, &org, &team);
            assert_eq!(
                ids(&stored),
                ids(&expected),
                "{:?} step {index}",
                db.backend()
            );
            if *changes_something {
                version += 1;
            }
            assert_eq!(
                patched.version,
                version,
                "{:?} step {index}: version",
                db.backend()
            );
        }
    }
}

#[test]
fn a_failed_patch_changes_nothing() {
    for db in TestDb::all() {
        let store = db.open();
        let now = Utc::now();
        let org = store.write(|tx| tx.orgs().create("acme", now)).unwrap().id;
        let other = store.write(|tx| tx.orgs().create("other", now)).unwrap().id;
        let ann = store
            .write(|tx| tx.users().create(&org, &json!({"userName": "ann"}), now))
            .unwrap()
            .id;
        let stranger = store
            .write(|tx| tx.users().create(&other, &json!({"userName": "x"}), now))
            .unwrap()
            .id;
        let team = store
            .write(|tx| {
                tx.groups()
                    .create(&org, &json!({"displayName": "team"}), now)
            })
            .unwrap()
            .id;

        // noTarget after an add in the same PATCH: the add is rolled back too
        let no_target = store.write(|tx| {
            tx.members().patch_group(
                &org,
                &team,
                None,
                &[
                    MemberChange::Add(refs(&[&ann])),
                    MemberChange::ReplaceWhere {
                        filter: member_filter(r#"value eq "nobody""#),
                        members: refs(&[&ann]),
                    },
                ],
                None,
                now,
            )
        });
        assert!(
            matches!(no_target, Err(StoreError::NoTarget(_))),
            "{no_target:?}"
        );
        assert!(members_of(&store, &org, &team).is_empty());

        for bad in [stranger.as_str(), "no-such-id", team.as_str()] {
            let result = store.write(|tx| {
                tx.members().patch_group(
                    &org,
                    &team,
                    None,
                    &[MemberChange::Add(refs(&[&ann, bad]))],
                    None,
                    now,
                )
            });
            assert!(
                matches!(result, Err(StoreError::InvalidMember(_))),
                "{bad}: {result:?}"
            );
        }
        assert!(members_of(&store, &org, &team).is_empty());

        // attributes: a change bumps, the same attributes do not; a stale version is refused
        let renamed = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Team A"});
        let patched = store
            .write(|tx| {
                tx.members()
                    .patch_group(&org, &team, Some(&renamed), &[], Some(1), now)
            })
            .unwrap();
        assert_eq!(
            (patched.version, patched.resource["displayName"].clone()),
            (2, json!("Team A"))
        );
        let same = store
            .write(|tx| {
                tx.members()
                    .patch_group(&org, &team, Some(&renamed), &[], None, now)
            })
            .unwrap();
        assert_eq!(same.version, 2);
        let stale = store.write(|tx| {
            tx.members()
                .patch_group(&org, &team, None, &[MemberChange::RemoveAll], Some(1), now)
        });
        assert!(matches!(
            stale,
            Err(StoreError::VersionMismatch { current: 2 })
        ));
    }
}
