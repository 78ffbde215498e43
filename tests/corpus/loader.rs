//! Loading the shared filter corpus (see README.md beside this file). Included by the
//! corpus tests of `scim-core` (in-memory evaluator) and `rollcall-store` (SQL) with
//! `#[path = "../../../tests/corpus/loader.rs"] mod corpus;`, so both read it one way.

use std::collections::BTreeSet;

use scim_core::SchemaRegistry;
use scim_core::schema::Schema;
use serde::Deserialize;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus");

/// One row of `filters.json`.
#[derive(Deserialize)]
pub struct Row {
    /// The filter text.
    pub filter: String,
    /// The ids of the users it selects.
    pub matches: BTreeSet<String>,
}

/// One entry of `schemas.json`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Extension {
    resource_type: String,
    schema: Schema,
}

/// A corpus file, deserialized.
pub fn read<T: for<'de> Deserialize<'de>>(file: &str) -> T {
    let path = format!("{CORPUS}/{file}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The standard registry plus the corpus's custom extension.
pub fn corpus_registry() -> SchemaRegistry {
    let mut registry = SchemaRegistry::standard();
    for extension in read::<Vec<Extension>>("schemas.json") {
        registry
            .add_extension(&extension.resource_type, extension.schema, false)
            .unwrap();
    }
    registry
}
