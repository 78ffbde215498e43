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

/// A row's filter, parsed as a lenient organization's request is: RFC 7644, plus the
/// dialect forms a row may use (Entra ID's `emails[type eq "work"].value eq "…"`).
pub fn parse_row(row: &Row) -> Result<scim_core::filter::Filter, scim_core::ScimError> {
    let mut dialect = scim_core::DialectContext::new(scim_core::Dialect::Lenient);
    scim_core::filter::parse_in(&row.filter, &mut dialect)
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
