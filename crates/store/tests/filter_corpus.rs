//! The shared filter corpus (`tests/corpus/`) through SQL, on every test database: each
//! row's SQL result set equals its `matches`, and the in-memory evaluator agrees on the
//! resources as stored and read back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use chrono::Utc;
use rollcall_store::testing::TestDb;
use rollcall_store::{ListQuery, ResourceKind};
use scim_core::SchemaRegistry;
use scim_core::filter::{parse, resolve};
use scim_core::schema::Schema;
use serde::Deserialize;
use serde_json::Value;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus");

#[derive(Deserialize)]
struct Row {
    filter: String,
    matches: BTreeSet<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Extension {
    resource_type: String,
    schema: Schema,
}

fn read<T: for<'de> Deserialize<'de>>(file: &str) -> T {
    let path = format!("{CORPUS}/{file}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn corpus_registry() -> SchemaRegistry {
    let mut registry = SchemaRegistry::standard();
    for extension in read::<Vec<Extension>>("schemas.json") {
        registry
            .add_extension(&extension.resource_type, extension.schema, false)
            .unwrap();
    }
    registry
}

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
                let org = tx.create_org("corpus", Utc::now())?;
                // A second org with the same users under other ids: never in the results.
                let other = tx.create_org("other", Utc::now())?;
                for user in &users {
                    let mut copy = user.clone();
                    copy["id"] = Value::String(format!("other-{}", user["id"].as_str().unwrap()));
                    tx.import_resource(&other.id, ResourceKind::User, &copy)?;
                }
                let stored = users
                    .iter()
                    .map(|user| {
                        tx.import_resource(&org.id, ResourceKind::User, user)
                            .map(|s| s.resource)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((org.id, stored))
            })
            .unwrap();
        eprintln!("{:?}: {} corpus rows", db.backend(), rows.len());

        let mut failures = Vec::new();
        for row in &rows {
            let parsed = parse(&row.filter).unwrap();
            let resolved = resolve(&registry, users_type, &parsed).unwrap();
            let page = store
                .read(|tx| {
                    tx.list_resources(
                        &org_id,
                        ResourceKind::User,
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
