//! Users and groups on every test database: CRUD, uniqueness, versions, tenant isolation,
//! cascades.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use chrono::{Duration, Utc};
use org_model::OrgSettings;
use rollcall_store::testing::TestDb;
use rollcall_store::{ListQuery, ResourceKind, Store, StoreError, StoredResource};
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn user(name: &str) -> Value {
    json!({"schemas": [USER], "userName": name, "active": true})
}

fn group(name: &str, members: &[&str]) -> Value {
    let mut body = json!({"schemas": [GROUP], "displayName": name});
    if !members.is_empty() {
        body["members"] = members.iter().map(|id| json!({"value": id})).collect();
    }
    body
}

fn org(store: &Store, name: &str) -> String {
    store
        .write(|tx| tx.orgs().create(name, Utc::now()))
        .unwrap()
        .id
}

fn create(
    store: &Store,
    org_id: &str,
    kind: ResourceKind,
    body: Value,
) -> Result<StoredResource, StoreError> {
    store.write(|tx| tx.resources(kind).create(org_id, &body, Utc::now()))
}

fn all(store: &Store, org_id: &str, kind: ResourceKind) -> Vec<String> {
    store
        .read(|tx| {
            tx.resources(kind).list(
                org_id,
                &ListQuery {
                    filter: None,
                    sort: None,
                    start_index: 1,
                    count: 100,
                    load_members: true,
                },
            )
        })
        .unwrap()
        .resources
        .into_iter()
        .map(|r| r.id)
        .collect()
}

#[test]
fn users_are_created_read_replaced_and_deleted() {
    for db in TestDb::all() {
        let store = db.open();
        let org_id = org(&store, "acme");
        let t0 = Utc::now();
        let mut body = user("bjensen@example.com");
        body["externalId"] = json!("ext-1");
        body["name"] = json!({"givenName": "Barbara"});
        let created = store
            .write(|tx| tx.users().create(&org_id, &body, t0))
            .unwrap();
        assert_eq!(created.version, 1);
        assert_eq!(created.etag(), "W/\"1\"");
        let r = &created.resource;
        assert_eq!(r["id"], json!(created.id));
        assert_eq!(r["userName"], json!("bjensen@example.com"));
        assert_eq!(r["externalId"], json!("ext-1"));
        assert_eq!(r["meta"]["resourceType"], json!("User"));
        assert_eq!(r["meta"]["version"], json!("W/\"1\""));
        assert!(r.get("groups").is_none(), "no empty arrays");
        let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        assert_eq!((keys[0].as_str(), keys[1].as_str()), ("schemas", "id"));

        let read = store
            .read(|tx| tx.users().get(&org_id, &created.id, false))
            .unwrap();
        assert_eq!(read, created);

        // replace: changed → version 2, lastModified moves; unchanged → no bump
        let t1 = t0 + Duration::seconds(5);
        let mut changed = body.clone();
        changed["name"] = json!({"givenName": "Babs"});
        let replaced = store
            .write(|tx| {
                tx.users()
                    .replace(&org_id, &created.id, &changed, Some(1), t1)
            })
            .unwrap();
        assert_eq!(replaced.version, 2);
        assert_eq!(replaced.resource["name"]["givenName"], json!("Babs"));
        assert_eq!(replaced.last_modified, t1);
        assert_eq!(replaced.created, created.created);
        let again = store
            .write(|tx| {
                tx.users().replace(
                    &org_id,
                    &created.id,
                    &changed,
                    None,
                    t1 + Duration::seconds(5),
                )
            })
            .unwrap();
        assert_eq!(
            (again.version, again.last_modified),
            (2, t1),
            "nothing changed: no bump"
        );

        // stale version
        let stale = store.write(|tx| tx.users().replace(&org_id, &created.id, &body, Some(1), t1));
        assert!(
            matches!(stale, Err(StoreError::VersionMismatch { current: 2 })),
            "{stale:?}"
        );
        let stale_delete =
            store.write(|tx| tx.users().delete(&org_id, &created.id, Some(1), Utc::now()));
        assert!(matches!(
            stale_delete,
            Err(StoreError::VersionMismatch { current: 2 })
        ));

        store
            .write(|tx| tx.users().delete(&org_id, &created.id, Some(2), Utc::now()))
            .unwrap();
        let gone = store.read(|tx| tx.users().get(&org_id, &created.id, false));
        assert!(matches!(gone, Err(StoreError::NotFound)));
        assert!(matches!(
            store.write(|tx| tx.users().delete(&org_id, &created.id, None, Utc::now())),
            Err(StoreError::NotFound)
        ));
        // the userName is free again (a later POST with it is a new user)
        let reborn = create(&store, &org_id, ResourceKind::User, body.clone()).unwrap();
        assert_ne!(reborn.id, created.id);
    }
}

#[test]
fn uniqueness_is_enforced_per_org_by_the_database() {
    for db in TestDb::all() {
        let store = db.open();
        let acme = org(&store, "acme");
        let beta = org(&store, "beta");
        let mut first = user("Alice@Example.com");
        first["externalId"] = json!("X-1");
        create(&store, &acme, ResourceKind::User, first).unwrap();

        let case_twin = create(&store, &acme, ResourceKind::User, user("alice@example.COM"));
        assert!(
            matches!(&case_twin, Err(StoreError::Uniqueness(a)) if a == "userName"),
            "{case_twin:?}"
        );

        // externalId is not unique by default (PRODUCT.md §7): two users may share one.
        let mut same_external = user("other");
        same_external["externalId"] = json!("X-1");
        let shared = create(&store, &acme, ResourceKind::User, same_external.clone()).unwrap();
        // The org setting cannot be turned on over the duplicate, and says which it is.
        let unique = OrgSettings {
            unique_external_id: true,
            ..OrgSettings::default()
        };
        let refused = store.write(|tx| tx.orgs().set_settings(&acme, &unique));
        assert!(
            matches!(&refused, Err(StoreError::Conflict(detail)) if detail.contains("\"X-1\" (2 users)")),
            "{refused:?}"
        );
        let mut renamed = same_external.clone();
        renamed["externalId"] = json!("X-2");
        store
            .write(|tx| {
                tx.users()
                    .replace(&acme, &shared.id, &renamed, None, Utc::now())
            })
            .unwrap();
        store
            .write(|tx| tx.orgs().set_settings(&acme, &unique))
            .unwrap();
        // On, the database refuses a second one, on create and on replace.
        let mut dup = user("dup");
        dup["externalId"] = json!("X-1");
        let duplicate = create(&store, &acme, ResourceKind::User, dup);
        assert!(
            matches!(&duplicate, Err(StoreError::Uniqueness(a)) if a == "externalId"),
            "{duplicate:?}"
        );
        let replaced = store.write(|tx| {
            tx.users()
                .replace(&acme, &shared.id, &same_external, None, Utc::now())
        });
        assert!(
            matches!(&replaced, Err(StoreError::Uniqueness(a)) if a == "externalId"),
            "{replaced:?}"
        );
        // externalId is caseExact: another casing is another id
        let mut cased = user("cased");
        cased["externalId"] = json!("x-1");
        create(&store, &acme, ResourceKind::User, cased).unwrap();
        // Off again, duplicates are welcome.
        store
            .write(|tx| tx.orgs().set_settings(&acme, &OrgSettings::default()))
            .unwrap();
        let mut again = user("again");
        again["externalId"] = json!("X-1");
        create(&store, &acme, ResourceKind::User, again).unwrap();

        create(
            &store,
            &acme,
            ResourceKind::Group,
            group("Engineering", &[]),
        )
        .unwrap();
        let twin = create(
            &store,
            &acme,
            ResourceKind::Group,
            group("ENGINEERING", &[]),
        );
        assert!(
            matches!(&twin, Err(StoreError::Uniqueness(a)) if a == "displayName"),
            "{twin:?}"
        );

        // other orgs are independent
        create(&store, &beta, ResourceKind::User, user("alice@example.com")).unwrap();
        create(
            &store,
            &beta,
            ResourceKind::Group,
            group("engineering", &[]),
        )
        .unwrap();

        // replace into a taken name
        let bob = create(&store, &acme, ResourceKind::User, user("bob")).unwrap();
        let taken = store.write(|tx| {
            tx.users()
                .replace(&acme, &bob.id, &user("ALICE@example.com"), None, Utc::now())
        });
        assert!(
            matches!(&taken, Err(StoreError::Uniqueness(a)) if a == "userName"),
            "{taken:?}"
        );
    }
}

#[test]
fn another_orgs_resources_are_not_found() {
    for db in TestDb::all() {
        let store = db.open();
        let acme = org(&store, "acme");
        let beta = org(&store, "beta");
        let ann = create(&store, &acme, ResourceKind::User, user("ann")).unwrap();
        let team = create(
            &store,
            &acme,
            ResourceKind::Group,
            group("team", &[&ann.id]),
        )
        .unwrap();
        let now = Utc::now();
        for (kind, id) in [
            (ResourceKind::User, &ann.id),
            (ResourceKind::Group, &team.id),
        ] {
            let body = if kind == ResourceKind::User {
                user("x")
            } else {
                group("x", &[])
            };
            let results = [
                store.read(|tx| tx.resources(kind).get(&beta, id, true).map(|_| ())),
                store.write(|tx| {
                    tx.resources(kind)
                        .replace(&beta, id, &body, None, now)
                        .map(|_| ())
                }),
                store.write(|tx| tx.resources(kind).delete(&beta, id, None, Utc::now())),
            ];
            for result in results {
                assert!(
                    matches!(result, Err(StoreError::NotFound)),
                    "{kind:?} {result:?}"
                );
            }
        }
        let patched = store.write(|tx| {
            tx.members()
                .patch_group(&beta, &team.id, None, &[], None, now)
        });
        assert!(matches!(patched, Err(StoreError::NotFound)));
        assert!(all(&store, &beta, ResourceKind::User).is_empty());
        assert!(all(&store, &beta, ResourceKind::Group).is_empty());

        // a member id of another org is invalid, on create and on replace
        let foreign = create(
            &store,
            &beta,
            ResourceKind::Group,
            group("beta-team", &[&ann.id]),
        );
        assert!(
            matches!(foreign, Err(StoreError::InvalidMember(_))),
            "{foreign:?}"
        );
        let carl = create(&store, &beta, ResourceKind::User, user("carl")).unwrap();
        let foreign = store.write(|tx| {
            tx.groups()
                .replace(&acme, &team.id, &group("team", &[&carl.id]), None, now)
        });
        assert!(
            matches!(foreign, Err(StoreError::InvalidMember(_))),
            "{foreign:?}"
        );
        // still intact
        let team_now = store
            .read(|tx| tx.groups().get(&acme, &team.id, true))
            .unwrap();
        assert_eq!(
            team_now.resource["members"],
            json!([{"value": ann.id, "type": "User"}])
        );
    }
}

#[test]
fn groups_keep_members_and_users_show_their_groups() {
    for db in TestDb::all() {
        let store = db.open();
        let acme = org(&store, "acme");
        let ann = create(&store, &acme, ResourceKind::User, user("ann")).unwrap();
        let bob = create(&store, &acme, ResourceKind::User, user("bob")).unwrap();
        let inner = create(
            &store,
            &acme,
            ResourceKind::Group,
            group("inner", &[&bob.id]),
        )
        .unwrap();
        let outer = create(
            &store,
            &acme,
            ResourceKind::Group,
            group("outer", &[&ann.id, &inner.id, &ann.id]),
        )
        .unwrap();
        let mut expected = vec![
            json!({"value": ann.id, "type": "User"}),
            json!({"value": inner.id, "type": "Group"}),
        ];
        expected.sort_by_key(|m| m["value"].as_str().unwrap().to_owned());
        assert_eq!(outer.resource["members"], json!(expected));
        let without = store
            .read(|tx| tx.groups().get(&acme, &outer.id, false))
            .unwrap();
        assert!(without.resource.get("members").is_none());

        let ann_now = store
            .read(|tx| tx.users().get(&acme, &ann.id, false))
            .unwrap();
        assert_eq!(
            ann_now.resource["groups"],
            json!([{"value": outer.id, "display": "outer", "type": "direct"}])
        );

        // a wrong explicit type, and a group in itself, are invalid members
        let mut wrong_type = group("typed", &[]);
        wrong_type["members"] = json!([{"value": ann.id, "type": "Group"}]);
        assert!(matches!(
            create(&store, &acme, ResourceKind::Group, wrong_type),
            Err(StoreError::InvalidMember(_))
        ));
        let selfish = store.write(|tx| {
            tx.groups().replace(
                &acme,
                &inner.id,
                &group("inner", &[&inner.id]),
                None,
                Utc::now(),
            )
        });
        assert!(matches!(selfish, Err(StoreError::InvalidMember(_))));

        // nested groups may not form a cycle (outer contains inner: inner may not contain outer)
        let cycle = store.write(|tx| {
            tx.groups().replace(
                &acme,
                &inner.id,
                &group("inner", &[&bob.id, &outer.id]),
                None,
                Utc::now(),
            )
        });
        assert!(
            matches!(cycle, Err(StoreError::InvalidMember(_))),
            "{cycle:?}"
        );
        let deeper = create(&store, &acme, ResourceKind::Group, group("deeper", &[])).unwrap();
        store
            .write(|tx| {
                tx.groups().replace(
                    &acme,
                    &inner.id,
                    &group("inner", &[&bob.id, &deeper.id]),
                    None,
                    Utc::now(),
                )
            })
            .unwrap();
        let cycle = store.write(|tx| {
            tx.groups().replace(
                &acme,
                &deeper.id,
                &group("deeper", &[&outer.id]),
                None,
                Utc::now(),
            )
        });
        assert!(
            matches!(cycle, Err(StoreError::InvalidMember(_))),
            "{cycle:?}"
        );
        store
            .write(|tx| {
                tx.groups().replace(
                    &acme,
                    &inner.id,
                    &group("inner", &[&bob.id]),
                    None,
                    Utc::now(),
                )
            })
            .unwrap();

        // replace: members become exactly the new list; same list again → no bump
        let replaced = store
            .write(|tx| {
                tx.groups().replace(
                    &acme,
                    &outer.id,
                    &group("outer", &[&bob.id]),
                    Some(1),
                    Utc::now(),
                )
            })
            .unwrap();
        assert_eq!(replaced.version, 2);
        assert_eq!(
            replaced.resource["members"],
            json!([{"value": bob.id, "type": "User"}])
        );
        let same = store
            .write(|tx| {
                tx.groups().replace(
                    &acme,
                    &outer.id,
                    &group("outer", &[&bob.id]),
                    None,
                    Utc::now(),
                )
            })
            .unwrap();
        assert_eq!(same.version, 2);

        // deleting a user removes it from every group, and each of them changed: a new
        // version, modified then; deleting a group removes its rows
        let version_of = |id: &str| {
            store
                .read(|tx| tx.groups().get(&acme, id, false))
                .unwrap()
                .version
        };
        let versions_before = [version_of(&outer.id), version_of(&inner.id)];
        let deleted_at = Utc::now() + Duration::seconds(5);
        store
            .write(|tx| tx.users().delete(&acme, &bob.id, None, deleted_at))
            .unwrap();
        for (id, before) in [&outer.id, &inner.id].into_iter().zip(versions_before) {
            let g = store.read(|tx| tx.groups().get(&acme, id, true)).unwrap();
            assert!(g.resource.get("members").is_none(), "{}", g.resource);
            assert_eq!(g.version, before + 1, "{}", g.resource);
            assert_eq!(g.last_modified, deleted_at, "{}", g.resource);
        }
        let ann_version = store
            .read(|tx| tx.users().get(&acme, &ann.id, false))
            .unwrap()
            .version;
        store
            .write(|tx| {
                tx.groups().replace(
                    &acme,
                    &outer.id,
                    &group("outer", &[&inner.id, &ann.id]),
                    None,
                    Utc::now(),
                )
            })
            .unwrap();
        let outer_before = version_of(&outer.id);
        store
            .write(|tx| tx.groups().delete(&acme, &inner.id, None, Utc::now()))
            .unwrap();
        let g = store
            .read(|tx| tx.groups().get(&acme, &outer.id, true))
            .unwrap();
        assert_eq!(
            g.resource["members"],
            json!([{"value": ann.id, "type": "User"}])
        );
        assert_eq!(g.version, outer_before + 1);
        // only the groups that named the deleted one changed; of the users, ann moved on
        // once, when she joined outer, not when inner (not one of her groups) went
        assert_eq!(
            store
                .read(|tx| tx.users().get(&acme, &ann.id, false))
                .unwrap()
                .version,
            ann_version + 1
        );
        store
            .write(|tx| tx.groups().delete(&acme, &outer.id, None, Utc::now()))
            .unwrap();
        let ann_now = store
            .read(|tx| tx.users().get(&acme, &ann.id, false))
            .unwrap();
        assert!(ann_now.resource.get("groups").is_none());
    }
}
