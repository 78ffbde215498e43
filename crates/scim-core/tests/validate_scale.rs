//! Validation cost grows linearly with the number of group members.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use scim_core::{DialectContext, Operation, SchemaRegistry, validate_resource};
use serde_json::{Value, json};

fn group(members: usize) -> Value {
    let members: Vec<Value> = (0..members)
        .map(|i| json!({"value": format!("user-{i}"), "type": "User", "display": "x"}))
        .collect();
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g",
           "displayName": "G", "members": members})
}

#[test]
fn hundred_thousand_members_validate() {
    let registry = SchemaRegistry::standard();
    let rt = registry.resource_type("Group").unwrap();
    let stored = group(100_000);
    let start = std::time::Instant::now();
    let out = validate_resource(
        &registry,
        rt,
        &stored,
        Some(&stored),
        Operation::Patch,
        &mut DialectContext::default(),
    )
    .unwrap();
    eprintln!("100k members: {:?}", start.elapsed());
    assert_eq!(out["members"].as_array().unwrap().len(), 100_000);
    assert_eq!(
        out["members"][99_999],
        json!({"value": "user-99999", "type": "User", "display": "x"})
    );
}
