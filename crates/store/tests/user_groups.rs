//! A user's `groups` through nesting (RFC 7643 §4.1.2), on every test database: direct
//! and indirect groups as read, and filters on them in SQL agreeing with the in-memory
//! evaluator on the users as read back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use rollcall_store::testing::TestDb;
use rollcall_store::{ListQuery, Store};
use scim_core::SchemaRegistry;
use scim_core::filter::{parse, resolve};
use serde_json::{Value, json};

/// The org: eng = {ann, bob}; platform = {eng, cat}; company = {platform, ann};
/// solo = {dan}; eve is in no group. The users' ids by name, the groups' ids by name.
fn nested_org(store: &Store) -> (String, BTreeMap<&'static str, String>) {
    store
        .write(|tx| {
            let org = tx.orgs().create("acme", Utc::now())?.id;
            let mut ids = BTreeMap::new();
            for name in ["ann", "bob", "cat", "dan", "eve"] {
                let user = json!({"userName": name});
                ids.insert(name, tx.users().create(&org, &user, Utc::now())?.id);
            }
            for (name, members) in [
                ("eng", ["ann", "bob"].as_slice()),
                ("platform", &["eng", "cat"]),
                ("company", &["platform", "ann"]),
                ("solo", &["dan"]),
            ] {
                let members: Vec<Value> =
                    members.iter().map(|m| json!({"value": ids[m]})).collect();
                let group = json!({"displayName": name, "members": members});
                ids.insert(name, tx.groups().create(&org, &group, Utc::now())?.id);
            }
            Ok((org, ids))
        })
        .unwrap()
}

fn users(store: &Store, org: &str, filter: Option<&str>) -> Vec<Value> {
    let registry = SchemaRegistry::standard();
    let user_type = registry.resource_type("User").unwrap();
    let resolved = filter.map(|text| resolve(&registry, user_type, &parse(text).unwrap()).unwrap());
    store
        .read(|tx| {
            tx.users().list(
                org,
                &ListQuery {
                    filter: resolved.as_ref(),
                    sort: None,
                    start_index: 1,
                    count: 100,
                    load_members: false,
                },
            )
        })
        .unwrap()
        .resources
        .into_iter()
        .map(|stored| stored.resource)
        .collect()
}

#[test]
fn users_read_their_direct_and_indirect_groups() {
    for db in TestDb::all() {
        let label = format!("{:?}", db.backend());
        let store = db.open();
        let (org, ids) = nested_org(&store);
        let expected: [(&str, &[(&str, &str)]); 5] = [
            (
                "ann",
                &[
                    ("company", "direct"),
                    ("eng", "direct"),
                    ("platform", "indirect"),
                ],
            ),
            (
                "bob",
                &[
                    ("company", "indirect"),
                    ("eng", "direct"),
                    ("platform", "indirect"),
                ],
            ),
            ("cat", &[("company", "indirect"), ("platform", "direct")]),
            ("dan", &[("solo", "direct")]),
            ("eve", &[]),
        ];
        for (name, groups) in expected {
            let got = store
                .read(|tx| tx.users().get(&org, &ids[name], false))
                .unwrap()
                .resource;
            let want: Vec<Value> = groups
                .iter()
                .map(|(group, kind)| json!({"value": ids[group], "display": group, "type": kind}))
                .collect();
            if want.is_empty() {
                assert!(got.get("groups").is_none(), "{label} {name}: {got}");
            } else {
                assert_eq!(got["groups"], json!(want), "{label} {name}");
            }
        }
    }
}

#[test]
fn filters_on_groups_follow_nesting_in_sql_as_the_evaluator_does() {
    // (filter with {group} placeholders, the users it selects)
    let table: &[(&str, &[&str])] = &[
        (r#"groups.value eq "{platform}""#, &["ann", "bob", "cat"]),
        (r#"groups eq "{company}""#, &["ann", "bob", "cat"]),
        (
            r#"groups[value eq "{company}" and type eq "indirect"]"#,
            &["bob", "cat"],
        ),
        (
            r#"groups[value eq "{company}" and type eq "direct"]"#,
            &["ann"],
        ),
        (r#"groups[value eq "{eng}" and type eq "indirect"]"#, &[]),
        (r#"groups.type eq "indirect""#, &["ann", "bob", "cat"]),
        (
            r#"groups[type eq "direct" and display eq "solo"]"#,
            &["dan"],
        ),
        (r#"groups.display eq "Platform""#, &["ann", "bob", "cat"]),
        (
            r#"groups.display sw "comp" and groups.type eq "direct""#,
            &["ann", "bob", "cat"],
        ),
        (
            r#"groups[display sw "comp" and type eq "direct"]"#,
            &["ann"],
        ),
        (r#"not (groups.type eq "indirect")"#, &["dan", "eve"]),
        (r#"groups[not (type eq "direct")]"#, &["ann", "bob", "cat"]),
        (
            r#"groups[not (value eq "{eng}")] and userName eq "bob""#,
            &["bob"],
        ),
        (r#"groups pr"#, &["ann", "bob", "cat", "dan"]),
        (r#"not (groups pr)"#, &["eve"]),
    ];
    let registry = SchemaRegistry::standard();
    let user_type = registry.resource_type("User").unwrap();
    for db in TestDb::all() {
        let label = format!("{:?}", db.backend());
        let store = db.open();
        let (org, ids) = nested_org(&store);
        let name_of: BTreeMap<&String, &str> = ids.iter().map(|(n, id)| (id, *n)).collect();
        let everyone = users(&store, &org, None);
        for (template, want) in table {
            let mut filter = (*template).to_owned();
            for (name, id) in &ids {
                filter = filter.replace(&format!("{{{name}}}"), id);
            }
            let names = |resources: Vec<&Value>| -> BTreeSet<&str> {
                resources
                    .into_iter()
                    .map(|user| name_of[&user["id"].as_str().unwrap().to_owned()])
                    .collect()
            };
            let in_sql = users(&store, &org, Some(&filter));
            let sql = names(in_sql.iter().collect());
            let want: BTreeSet<&str> = want.iter().copied().collect();
            assert_eq!(sql, want, "{label}: {template} in SQL");
            let resolved = resolve(&registry, user_type, &parse(&filter).unwrap()).unwrap();
            let evaluated = names(
                everyone
                    .iter()
                    .filter(|user| resolved.matches(user))
                    .collect(),
            );
            assert_eq!(evaluated, want, "{label}: {template} in the evaluator");
        }
    }
}
