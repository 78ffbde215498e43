//! The shared filter corpus (`tests/corpus/`) through SQL, on every test database: each
//! row's SQL result set equals its `matches`, and the in-memory evaluator agrees on the
//! resources as stored and read back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use std::collections::BTreeSet;

use chrono::Utc;
use rollcall_store::ListQuery;
use rollcall_store::testing::TestDb;
use scim_core::filter::{parse, resolve};
use serde_json::Value;

#[path = "../../../tests/corpus/loader.rs"]
mod corpus;

use corpus::{Row, corpus_registry, read};

#[test]
fn every_corpus_row_selects_exactly_its_users_in_sql() {
    let registry = corpus_registry();
    let users_type = registry.resource_type("User").unwrap();
    let users: Vec<Value> = read("users.json");
    let rows: Vec<Row> = read("filters.json");
    assert!(users.len() >= 12 && rows.len() >= 60);

    for db in TestDb::all() {
        let store = db.open();
        let (org_id, stored): (String, Vec<Value>) = store
            .write(|tx| {
                let org = tx.orgs().create("corpus", Utc::now())?;
                // A second org with the same users under other ids: never in the results.
                let other = tx.orgs().create("other", Utc::now())?;
                for user in &users {
                    let mut copy = user.clone();
                    copy["id"] = Value::String(format!("other-{}", user["id"].as_str().unwrap()));
                    tx.users().import(&other.id, &copy)?;
                }
                let stored = users
                    .iter()
                    .map(|user| tx.users().import(&org.id, user).map(|s| s.resource))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((org.id, stored))
            })
            .unwrap();
        eprintln!("{:?}: {} corpus rows", db.backend(), rows.len());

        let mut failures = Vec::new();
        for row in &rows {
            let parsed = corpus::parse_row(row).unwrap();
            let resolved = resolve(&registry, users_type, &parsed).unwrap();
            let page = store
                .read(|tx| {
                    tx.users().list(
                        &org_id,
                        &ListQuery {
                            filter: Some(&resolved),
                            sort: None,
                            start_index: 1,
                            count: 1000,
                            load_members: false,
                        },
                    )
                })
                .unwrap_or_else(|e| panic!("{:?} {}: {e}", db.backend(), row.filter));
            let got: BTreeSet<String> = page.resources.iter().map(|r| r.id.clone()).collect();
            if got != row.matches || page.total_results != row.matches.len() as u64 {
                failures.push(format!(
                    "{}\n   sql: {got:?} (total {})\n  want: {:?}",
                    row.filter, page.total_results, row.matches
                ));
            }
            let evaluated: BTreeSet<String> = stored
                .iter()
                .filter(|user| resolved.matches(user))
                .map(|user| user["id"].as_str().unwrap().to_owned())
                .collect();
            if evaluated != row.matches {
                failures.push(format!(
                    "{} (evaluator on stored resources)\n   got: {evaluated:?}\n  want: {:?}",
                    row.filter, row.matches
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{:?}: {} of {} rows differ:\n{}",
            db.backend(),
            failures.len(),
            rows.len(),
            failures.join("\n")
        );
    }
}

/// A sort key as the store defines it: the value of the primary element (else the first
/// element) that has one; strings lower-cased (none of these attributes is caseExact),
/// `userName` by its identity key.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Key {
    Number(f64),
    Text(String),
    Flag(bool),
}

fn key_of(user: &Value, pointer: &str, sub: Option<&str>) -> Option<Key> {
    let value = user.pointer(pointer)?;
    let elements: Vec<&Value> = match value {
        Value::Array(elements) => elements.iter().collect(),
        other => vec![other],
    };
    let candidates: Vec<(&Value, &Value)> = elements
        .into_iter()
        .filter_map(|element| {
            let leaf = match sub {
                Some(sub) => element.get(sub)?,
                None => element,
            };
            Some((element, leaf))
        })
        .collect();
    let chosen = candidates
        .iter()
        .find(|(element, _)| element.get("primary") == Some(&Value::Bool(true)))
        .or(candidates.first())?
        .1;
    Some(match chosen {
        Value::Number(number) => Key::Number(number.as_f64().unwrap()),
        Value::Bool(flag) => Key::Flag(*flag),
        Value::String(text) => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(instant) => Key::Number(instant.timestamp_nanos_opt().unwrap() as f64),
            Err(_) if pointer == "/userName" => Key::Text(scim_core::identity::key(text)),
            Err(_) => Key::Text(text.to_lowercase()),
        },
        other => panic!("no key in {other}"),
    })
}

#[test]
fn corpus_users_sort_by_any_attribute_missing_values_last() {
    let registry = corpus_registry();
    let users_type = registry.resource_type("User").unwrap();
    let users: Vec<Value> = read("users.json");
    let acme = "/urn:example:params:scim:schemas:extension:acme:2.0:User";
    let cases: Vec<(String, String, Option<&str>)> = vec![
        (
            format!("{}:clearanceLevel", &acme[1..]),
            format!("{acme}/clearanceLevel"),
            None,
        ),
        (
            format!("{}:score", &acme[1..]),
            format!("{acme}/score"),
            None,
        ),
        (
            format!("{}:hiredAt", &acme[1..]),
            format!("{acme}/hiredAt"),
            None,
        ),
        (format!("{}:tags", &acme[1..]), format!("{acme}/tags"), None),
        ("active".into(), "/active".into(), None),
        ("title".into(), "/title".into(), None),
        ("name.familyName".into(), "/name/familyName".into(), None),
        ("emails.value".into(), "/emails".into(), Some("value")),
        ("emails.type".into(), "/emails".into(), Some("type")),
        ("userName".into(), "/userName".into(), None),
        (
            "meta.lastModified".into(),
            "/meta/lastModified".into(),
            None,
        ),
    ];
    for db in TestDb::all() {
        let store = db.open();
        let org_id = store
            .write(|tx| {
                let org = tx.orgs().create("corpus", Utc::now())?;
                for user in &users {
                    tx.users().import(&org.id, user)?;
                }
                Ok(org.id)
            })
            .unwrap();
        for (path, pointer, sub) in &cases {
            let attribute = match resolve(
                &registry,
                users_type,
                &parse(&format!("{path} pr")).unwrap(),
            )
            .unwrap()
            {
                scim_core::filter::ResolvedFilter::Present(attribute) => attribute,
                other => panic!("{other:?}"),
            };
            for descending in [false, true] {
                let page = store
                    .read(|tx| {
                        tx.users().list(
                            &org_id,
                            &ListQuery {
                                filter: None,
                                sort: Some(rollcall_store::Sort {
                                    attribute: &attribute,
                                    descending,
                                }),
                                start_index: 1,
                                count: 100,
                                load_members: false,
                            },
                        )
                    })
                    .unwrap();
                let got: Vec<String> = page.resources.iter().map(|r| r.id.clone()).collect();
                let mut keyed: Vec<(Option<Key>, String)> = users
                    .iter()
                    .map(|u| {
                        (
                            key_of(u, pointer, *sub),
                            u["id"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect();
                keyed.sort_by(|(ka, ia), (kb, ib)| {
                    let by_presence = ka.is_none().cmp(&kb.is_none());
                    let by_key = ka.partial_cmp(kb).unwrap();
                    let by_key_and_id = by_key.then_with(|| ia.cmp(ib));
                    by_presence.then(if descending {
                        by_key_and_id.reverse()
                    } else {
                        by_key_and_id
                    })
                });
                let want: Vec<String> = keyed.into_iter().map(|(_, id)| id).collect();
                assert_eq!(
                    got,
                    want,
                    "{:?}: sortBy={path} descending={descending}",
                    db.backend()
                );
            }
        }
    }
}
