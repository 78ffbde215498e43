//! Listing on every test database: paging with totals, sorting, and filters on memberships
//! (`members`, a user's `groups`) agreeing with the in-memory evaluator.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use rollcall_store::testing::TestDb;
use rollcall_store::{ListQuery, Page, ResourceKind, Sort, Store};
use scim_core::SchemaRegistry;
use scim_core::filter::{ResolvedAttribute, ResolvedFilter, parse, resolve};
use serde_json::json;

fn resolved(kind: &str, filter: &str) -> ResolvedFilter {
    let registry = SchemaRegistry::standard();
    resolve(
        &registry,
        registry.resource_type(kind).unwrap(),
        &parse(filter).unwrap(),
    )
    .unwrap()
}

fn attribute(kind: &str, path: &str) -> ResolvedAttribute {
    match resolved(kind, &format!("{path} pr")) {
        ResolvedFilter::Present(attribute) => attribute,
        other => panic!("{other:?}"),
    }
}

fn list(store: &Store, org: &str, kind: ResourceKind, query: ListQuery<'_>) -> Page {
    store
        .read(|tx| tx.resources(kind).list(org, &query))
        .unwrap()
}

fn query<'a>(start_index: u64, count: u64) -> ListQuery<'a> {
    ListQuery {
        filter: None,
        sort: None,
        start_index,
        count,
        load_members: false,
    }
}

#[test]
fn pages_have_totals_and_a_stable_order() {
    for db in TestDb::all() {
        let store = db.open();
        let t0 = Utc::now();
        let org = store.write(|tx| tx.orgs().create("acme", t0)).unwrap().id;
        let other = store.write(|tx| tx.orgs().create("other", t0)).unwrap().id;
        // 25 users created one second apart; every third without a familyName
        let mut ids = Vec::new();
        store
            .write(|tx| {
                tx.users()
                    .create(&other, &json!({"userName": "noise"}), t0)?;
                for i in 0..25i64 {
                    let mut body =
                        json!({"userName": format!("User{:02}", (i * 7) % 25), "title": "x"});
                    if i % 3 != 0 {
                        body["name"] = json!({"familyName": format!("fam{:02}", 24 - i)});
                    }
                    ids.push(
                        tx.users()
                            .create(&org, &body, t0 + Duration::seconds(i))?
                            .id,
                    );
                }
                Ok(())
            })
            .unwrap();

        // creation order by default, 10 per page
        let mut seen = Vec::new();
        for start in [1, 11, 21] {
            let page = list(&store, &org, ResourceKind::User, query(start, 10));
            assert_eq!(page.total_results, 25);
            seen.extend(page.resources.into_iter().map(|r| r.id));
        }
        assert_eq!(seen, ids);
        let beyond = list(&store, &org, ResourceKind::User, query(40, 10));
        assert_eq!((beyond.total_results, beyond.resources.len()), (25, 0));
        let only_total = list(&store, &org, ResourceKind::User, query(1, 0));
        assert_eq!(
            (only_total.total_results, only_total.resources.len()),
            (25, 0)
        );
        let filter = resolved("User", r#"userName sw "user1""#);
        let filtered = list(
            &store,
            &org,
            ResourceKind::User,
            ListQuery {
                filter: Some(&filter),
                ..query(2, 3)
            },
        );
        assert_eq!((filtered.total_results, filtered.resources.len()), (10, 3));

        // sortBy userName (case-insensitive), both orders
        let user_name = attribute("User", "userName");
        let names = |descending| {
            let sort = Sort {
                attribute: &user_name,
                descending,
            };
            list(
                &store,
                &org,
                ResourceKind::User,
                ListQuery {
                    sort: Some(sort),
                    ..query(1, 100)
                },
            )
            .resources
            .into_iter()
            .map(|r| r.resource["userName"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
        };
        let ascending = names(false);
        let mut expected: Vec<String> = (0..25).map(|i| format!("User{i:02}")).collect();
        assert_eq!(ascending, expected);
        expected.reverse();
        assert_eq!(names(true), expected);

        // sortBy an indexed attribute: missing values last in both orders; pages agree
        let family = attribute("User", "name.familyName");
        for descending in [false, true] {
            let sort = Sort {
                attribute: &family,
                descending,
            };
            let all = list(
                &store,
                &org,
                ResourceKind::User,
                ListQuery {
                    sort: Some(sort),
                    ..query(1, 100)
                },
            );
            let values: Vec<Option<String>> = all
                .resources
                .iter()
                .map(|r| {
                    r.resource
                        .pointer("/name/familyName")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned)
                })
                .collect();
            let present: Vec<String> = values.iter().flatten().cloned().collect();
            let mut sorted = present.clone();
            sorted.sort();
            if descending {
                sorted.reverse();
            }
            assert_eq!(present, sorted, "descending={descending}");
            assert!(
                values[..16].iter().all(Option::is_some)
                    && values[16..].iter().all(Option::is_none)
            );
            let mut paged = Vec::new();
            for start in [1, 8, 15, 22] {
                let page = list(
                    &store,
                    &org,
                    ResourceKind::User,
                    ListQuery {
                        sort: Some(sort),
                        ..query(start, 7)
                    },
                );
                paged.extend(page.resources.into_iter().map(|r| r.id));
            }
            assert_eq!(
                paged,
                all.resources.into_iter().map(|r| r.id).collect::<Vec<_>>()
            );
        }

        // sortBy meta.created descending = reverse creation order
        let created = attribute("User", "meta.created");
        let sort = Sort {
            attribute: &created,
            descending: true,
        };
        let newest_first: Vec<String> = list(
            &store,
            &org,
            ResourceKind::User,
            ListQuery {
                sort: Some(sort),
                ..query(1, 100)
            },
        )
        .resources
        .into_iter()
        .map(|r| r.id)
        .collect();
        assert_eq!(newest_first, ids.iter().rev().cloned().collect::<Vec<_>>());
    }
}

#[test]
fn membership_filters_agree_with_the_evaluator() {
    for db in TestDb::all() {
        let store = db.open();
        let now = Utc::now();
        let org = store.write(|tx| tx.orgs().create("acme", now)).unwrap().id;
        let mk = |kind, body: serde_json::Value| {
            store
                .write(|tx| tx.resources(kind).create(&org, &body, now))
                .unwrap()
                .id
        };
        let ann = mk(ResourceKind::User, json!({"userName": "ann"}));
        let bob = mk(ResourceKind::User, json!({"userName": "bob"}));
        mk(ResourceKind::User, json!({"userName": "lonely"}));
        let inner = mk(
            ResourceKind::Group,
            json!({"displayName": "Inner", "members": [{"value": bob}]}),
        );
        mk(
            ResourceKind::Group,
            json!({"displayName": "Outer", "externalId": "o-1", "members": [{"value": ann}, {"value": inner}]}),
        );
        mk(ResourceKind::Group, json!({"displayName": "Empty"}));

        let cases: Vec<(ResourceKind, &str, String)> = vec![
            (
                ResourceKind::Group,
                "Group",
                format!(r#"members.value eq "{ann}""#),
            ),
            (
                ResourceKind::Group,
                "Group",
                format!(r#"members eq "{bob}""#),
            ),
            (
                ResourceKind::Group,
                "Group",
                r#"members[type eq "group"]"#.to_owned(),
            ),
            (
                ResourceKind::Group,
                "Group",
                r#"members.type eq "User""#.to_owned(),
            ),
            (ResourceKind::Group, "Group", "members pr".to_owned()),
            (ResourceKind::Group, "Group", "not (members pr)".to_owned()),
            (
                ResourceKind::Group,
                "Group",
                "members.display pr".to_owned(),
            ),
            (
                ResourceKind::Group,
                "Group",
                r#"not (members[value eq "nobody"])"#.to_owned(),
            ),
            (
                ResourceKind::Group,
                "Group",
                r#"displayName eq "outer""#.to_owned(),
            ),
            (
                ResourceKind::Group,
                "Group",
                r#"displayName sw "IN" or externalId eq "o-1""#.to_owned(),
            ),
            (
                ResourceKind::Group,
                "Group",
                r#"displayName gt "empty""#.to_owned(),
            ),
            (
                ResourceKind::Group,
                "Group",
                r#"meta.resourceType eq "Group" and meta.version eq "W/\"1\"""#.to_owned(),
            ),
            (
                ResourceKind::User,
                "User",
                format!(r#"groups.value eq "{inner}""#),
            ),
            (
                ResourceKind::User,
                "User",
                r#"groups.display eq "outer""#.to_owned(),
            ),
            (
                ResourceKind::User,
                "User",
                r#"groups[display co "nn" and type eq "direct"]"#.to_owned(),
            ),
            (ResourceKind::User, "User", "not (groups pr)".to_owned()),
            // (`groups.$ref` is computed when returned: no filter may name it.)
            (
                ResourceKind::User,
                "User",
                r#"userName ew "B" or meta.resourceType ne "User""#.to_owned(),
            ),
        ];
        for (kind, type_name, text) in cases {
            let filter = resolved(type_name, &text);
            let everything = list(
                &store,
                &org,
                kind,
                ListQuery {
                    load_members: true,
                    ..query(1, 100)
                },
            );
            let evaluated: BTreeSet<String> = everything
                .resources
                .iter()
                .filter(|r| filter.matches(&r.resource))
                .map(|r| r.id.clone())
                .collect();
            let page = list(
                &store,
                &org,
                kind,
                ListQuery {
                    filter: Some(&filter),
                    ..query(1, 100)
                },
            );
            let sql: BTreeSet<String> = page.resources.into_iter().map(|r| r.id).collect();
            assert_eq!(sql, evaluated, "{:?}: {text}", db.backend());
            assert_eq!(page.total_results, sql.len() as u64);
        }
    }
}
