//! Keyset pages (RFC 9865 cursors) on every test database: walking forwards and backwards
//! gives exactly the `OFFSET` listing, for creation order, sorted orders (with resources
//! lacking the key) and filters; writes during a walk neither skip nor repeat survivors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use rollcall_store::testing::TestDb;
use rollcall_store::{
    Keyset, KeysetDirection, KeysetPage, ListQuery, ResourceKind, Sort, Store, keyset_supported,
};
use scim_core::SchemaRegistry;
use scim_core::filter::{ResolvedAttribute, ResolvedFilter, parse, resolve};
use serde_json::json;

fn resolved(filter: &str) -> ResolvedFilter {
    let registry = SchemaRegistry::standard();
    resolve(
        &registry,
        registry.resource_type("User").unwrap(),
        &parse(filter).unwrap(),
    )
    .unwrap()
}

fn attribute(path: &str) -> ResolvedAttribute {
    match resolved(&format!("{path} pr")) {
        ResolvedFilter::Present(attribute) => attribute,
        other => panic!("{other:?}"),
    }
}

/// 250 users, three per creation instant (so `id` breaks ties), every fourth without an
/// `externalId`, user names in a scrambled order.
fn seed(store: &Store, org: &str, t0: DateTime<Utc>) {
    store
        .write(|tx| {
            for i in 0..250i64 {
                let mut body = json!({
                    "userName": format!("user{:03}", (i * 37) % 250),
                    "title": if i % 2 == 0 { "even" } else { "odd" },
                });
                if i % 4 != 0 {
                    body["externalId"] = json!(format!("ext{:03}", (i * 91) % 250));
                }
                tx.users()
                    .create(org, &body, t0 + Duration::seconds(i / 3))?;
            }
            Ok(())
        })
        .unwrap();
}

fn ids(page: &KeysetPage) -> Vec<String> {
    page.resources.iter().map(|r| r.id.clone()).collect()
}

fn page(store: &Store, org: &str, query: &ListQuery<'_>, from: Option<&Keyset>) -> KeysetPage {
    store
        .read(|tx| tx.users().list_keyset(org, query, from))
        .unwrap()
}

/// Walk forwards from the first page, then backwards from the last; both concatenations.
fn walk(store: &Store, org: &str, query: &ListQuery<'_>) -> (Vec<String>, Vec<String>) {
    let mut forwards = Vec::new();
    let mut current = page(store, org, query, None);
    assert!(!current.more_before, "the first page has nothing before it");
    let mut pages = 1;
    loop {
        forwards.extend(ids(&current));
        assert!(current.resources.len() <= 7);
        if !current.more_after {
            break;
        }
        let next = Keyset {
            direction: KeysetDirection::After,
            position: current.last.clone().unwrap(),
        };
        current = page(store, org, query, Some(&next));
        assert!(current.more_before);
        pages += 1;
        assert!(pages < 100, "the walk does not end");
    }
    // `current` is the last page: walk back from it.
    let mut backwards = ids(&current);
    while current.more_before {
        let previous = Keyset {
            direction: KeysetDirection::Before,
            position: current.first.clone().unwrap(),
        };
        current = page(store, org, query, Some(&previous));
        assert!(current.more_after);
        let mut earlier = ids(&current);
        earlier.extend(backwards);
        backwards = earlier;
    }
    (forwards, backwards)
}

#[test]
fn keyset_walks_equal_the_offset_listing() {
    let external_id = attribute("externalId");
    let user_name = attribute("userName");
    let created = attribute("meta.created");
    let odd = resolved("title eq \"odd\"");
    let sw = resolved("userName sw \"user1\"");
    let orders: Vec<(&str, Option<&ResolvedFilter>, Option<Sort<'_>>)> = vec![
        ("creation order", None, None),
        ("creation order, filtered", Some(&odd), None),
        (
            "userName descending",
            None,
            Some(Sort {
                attribute: &user_name,
                descending: true,
            }),
        ),
        (
            "userName ascending, filtered",
            Some(&sw),
            Some(Sort {
                attribute: &user_name,
                descending: false,
            }),
        ),
        (
            "externalId ascending (nulls last)",
            None,
            Some(Sort {
                attribute: &external_id,
                descending: false,
            }),
        ),
        (
            "externalId descending (nulls last), filtered",
            Some(&odd),
            Some(Sort {
                attribute: &external_id,
                descending: true,
            }),
        ),
        (
            "meta.created descending",
            None,
            Some(Sort {
                attribute: &created,
                descending: true,
            }),
        ),
    ];
    for db in TestDb::all() {
        let store = db.open();
        let t0 = Utc::now();
        let org = store.write(|tx| tx.orgs().create("acme", t0)).unwrap().id;
        let other = store.write(|tx| tx.orgs().create("other", t0)).unwrap().id;
        seed(&store, &org, t0);
        seed(&store, &other, t0);
        for (name, filter, sort) in &orders {
            let query = ListQuery {
                filter: *filter,
                sort: *sort,
                start_index: 1,
                count: 7,
                load_members: false,
            };
            let all = ListQuery {
                count: 1000,
                ..query
            };
            let expected: Vec<String> = store
                .read(|tx| tx.users().list(&org, &all))
                .unwrap()
                .resources
                .into_iter()
                .map(|r| r.id)
                .collect();
            assert!(expected.len() > 20, "{name}: {}", expected.len());
            let (forwards, backwards) = walk(&store, &org, &query);
            assert_eq!(forwards, expected, "{:?} {name}: forwards", db.backend());
            assert_eq!(backwards, expected, "{:?} {name}: backwards", db.backend());
            let first = page(&store, &org, &query, None);
            assert_eq!(first.total_results, expected.len() as u64, "{name}");
        }
    }
}

#[test]
fn orders_without_a_column_key_are_refused() {
    let family_name = attribute("name.familyName");
    let user_name = attribute("userName");
    let sort = |attribute| {
        Some(Sort {
            attribute,
            descending: false,
        })
    };
    assert!(keyset_supported(ResourceKind::User, None));
    assert!(keyset_supported(ResourceKind::User, sort(&user_name)));
    assert!(!keyset_supported(ResourceKind::User, sort(&family_name)));
    for db in TestDb::all() {
        let store = db.open();
        let org = store
            .write(|tx| tx.orgs().create("acme", Utc::now()))
            .unwrap()
            .id;
        let query = ListQuery {
            filter: None,
            sort: sort(&family_name),
            start_index: 1,
            count: 7,
            load_members: false,
        };
        let error = store
            .read(|tx| tx.users().list_keyset(&org, &query, None))
            .unwrap_err();
        assert!(
            matches!(error, rollcall_store::StoreError::Invalid(_)),
            "{error:?}"
        );
    }
}

#[test]
fn writes_during_a_walk_neither_skip_nor_repeat_survivors() {
    let user_name = attribute("userName");
    for db in TestDb::all() {
        let store = db.open();
        let t0 = Utc::now();
        let org = store.write(|tx| tx.orgs().create("acme", t0)).unwrap().id;
        seed(&store, &org, t0);
        for sort in [
            None,
            Some(Sort {
                attribute: &user_name,
                descending: false,
            }),
        ] {
            let query = ListQuery {
                filter: None,
                sort,
                start_index: 1,
                count: 7,
                load_members: false,
            };
            let everyone = ListQuery {
                count: 10_000,
                ..query
            };
            let initial: BTreeSet<String> = store
                .read(|tx| tx.users().list(&org, &everyone))
                .unwrap()
                .resources
                .into_iter()
                .map(|r| r.id)
                .collect();
            let mut deleted = BTreeSet::new();
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            let mut from: Option<Keyset> = None;
            let mut step = 0u64;
            loop {
                let current = page(&store, &org, &query, from.as_ref());
                for id in ids(&current) {
                    *seen.entry(id).or_default() += 1;
                }
                // Between pages: create users that sort anywhere (names before and after
                // the walk's position, creation times old and new) and delete one seen and
                // one unseen user.
                step += 1;
                store
                    .write(|tx| {
                        for (j, name) in [format!("aaa{step:04}"), format!("zzz{step:04}")]
                            .into_iter()
                            .enumerate()
                        {
                            let created = if j == 0 {
                                t0 - Duration::seconds(1)
                            } else {
                                Utc::now()
                            };
                            let body = json!({"userName": format!("{name}-{:?}", sort.is_some())});
                            tx.users().create(&org, &body, created)?;
                        }
                        Ok(())
                    })
                    .unwrap();
                let victims: Vec<String> = initial
                    .iter()
                    .filter(|id| !deleted.contains(*id))
                    .filter(|id| seen.contains_key(*id))
                    .take(1)
                    .chain(
                        initial
                            .iter()
                            .filter(|id| !deleted.contains(*id) && !seen.contains_key(*id))
                            .rev()
                            .take(1),
                    )
                    .cloned()
                    .collect();
                for victim in victims {
                    store
                        .write(|tx| tx.users().delete(&org, &victim, None, Utc::now()))
                        .unwrap();
                    deleted.insert(victim);
                }
                if !current.more_after {
                    break;
                }
                from = Some(Keyset {
                    direction: KeysetDirection::After,
                    position: current.last.clone().unwrap(),
                });
            }
            for (id, times) in &seen {
                assert_eq!(*times, 1, "{:?}: {id} seen {times} times", db.backend());
            }
            for survivor in initial.difference(&deleted) {
                assert!(
                    seen.contains_key(survivor),
                    "{:?} {}: survivor {survivor} skipped",
                    db.backend(),
                    sort.is_some()
                );
            }
            // Clean up for the next order: the users created during the walk stay, which
            // only adds rows outside `initial`.
        }
    }
}

#[test]
fn the_cursor_key_is_created_once_per_database() {
    for db in TestDb::all() {
        let first = db.open();
        let second = db.open();
        assert_eq!(
            first.cursor_key(),
            second.cursor_key(),
            "{:?}",
            db.backend()
        );
        assert_ne!(first.cursor_key(), &[0u8; 32]);
        let elsewhere = match db.backend() {
            rollcall_store::Backend::Sqlite => TestDb::sqlite(),
            rollcall_store::Backend::Postgres => TestDb::postgres().unwrap(),
        };
        assert_ne!(
            first.cursor_key(),
            elsewhere.open().cursor_key(),
            "{:?}",
            db.backend()
        );
    }
}
