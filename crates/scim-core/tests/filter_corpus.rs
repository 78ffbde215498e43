//! The shared filter corpus (`tests/corpus/` at the workspace root, see its
//! README): every row is parsed, resolved against the User resource type
//! (standard schemas plus the corpus's custom extension) and evaluated on
//! every corpus user; the ids that match must be exactly the row's `matches`.
//! The database layer runs the same rows through SQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use scim_core::filter::{parse, resolve};
use serde_json::Value;

#[path = "../../../tests/corpus/loader.rs"]
mod corpus;

use corpus::{Row, corpus_registry, read};

#[test]
fn every_corpus_row_matches_exactly_its_users() {
    let registry = corpus_registry();
    let users_type = registry.resource_type("User").unwrap();
    let users: Vec<Value> = read("users.json");
    let rows: Vec<Row> = read("filters.json");
    assert!(users.len() >= 12 && rows.len() >= 60);

    let ids: BTreeSet<String> = users
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), users.len(), "ids are unique");

    let mut failures = Vec::new();
    for row in &rows {
        assert!(
            row.matches.is_subset(&ids),
            "{}: unknown id in matches",
            row.filter
        );
        let filter = corpus::parse_row(row).unwrap_or_else(|e| panic!("{}: {e}", row.filter));
        let resolved = resolve(&registry, users_type, &filter)
            .unwrap_or_else(|e| panic!("{}: {e}", row.filter));
        let matched: BTreeSet<String> = users
            .iter()
            .filter(|user| resolved.matches(user))
            .map(|user| user["id"].as_str().unwrap().to_owned())
            .collect();
        if matched != row.matches {
            failures.push(format!(
                "{}\n    expected {:?}\n    got      {:?}",
                row.filter, row.matches, matched
            ));
        }
        // The canonical text means the same.
        let reprinted = parse(&filter.to_string()).unwrap();
        assert!(reprinted.same_shape(&filter), "{}", row.filter);
    }
    assert!(
        failures.is_empty(),
        "{} rows disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_covers_every_operator() {
    let rows: Vec<Row> = read("filters.json");
    let text: String = rows
        .iter()
        .map(|r| format!(" {} ", r.filter.to_lowercase()))
        .collect();
    for keyword in [
        " eq ", " ne ", " co ", " sw ", " ew ", " gt ", " ge ", " lt ", " le ", " pr", " and ",
        " or ", "not (", "[", " null", " true", " false",
    ] {
        assert!(text.contains(keyword), "no corpus row uses {keyword:?}");
    }
}
