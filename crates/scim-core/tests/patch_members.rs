//! Group membership PATCH: `plan_group_patch` lowers member operations to
//! `MemberChange`s without the member list, and `apply_patch` on a full group
//! gives the same members.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use scim_core::patch::{
    MemberChange, MemberRef, PatchRequest, apply_member_changes, apply_patch, plan_group_patch,
};
use scim_core::{Dialect, DialectContext, SchemaRegistry};
use serde_json::{Value, json};

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn group(members: &[&str]) -> Value {
    let mut group = json!({"schemas": [GROUP], "id": "g1", "displayName": "Tour Guides",
        "meta": {"resourceType": "Group", "version": "W/\"1\""}});
    if !members.is_empty() {
        group["members"] = members
            .iter()
            .map(|id| json!({"value": id, "type": "User"}))
            .collect();
    }
    group
}

/// A readable form of a plan: `+a,b` for Add, `-a,b` for Remove, `-*` for
/// RemoveAll, `-where` for RemoveWhere, `replace-where` for ReplaceWhere.
fn describe(changes: &[MemberChange]) -> Vec<String> {
    changes
        .iter()
        .map(|change| match change {
            MemberChange::Add(refs) => format!(
                "+{}",
                refs.iter()
                    .map(|r| r.value.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            MemberChange::Remove(ids) => format!("-{}", ids.join(",")),
            MemberChange::RemoveAll => "-*".to_owned(),
            MemberChange::RemoveWhere(_) => "-where".to_owned(),
            MemberChange::ReplaceWhere { members, .. } => format!(
                "replace-where+{}",
                members
                    .iter()
                    .map(|r| r.value.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        })
        .collect()
}

fn plan(ops: Value, dialect: Dialect) -> Result<(Vec<String>, Value), (u16, String)> {
    let registry = SchemaRegistry::standard();
    let rt = registry.resource_type("Group").unwrap().clone();
    let mut ctx = DialectContext::new(dialect);
    let body = json!({"schemas": [PATCH_OP], "Operations": ops});
    PatchRequest::parse(&body, &mut ctx)
        .and_then(|request| plan_group_patch(&registry, &rt, &group(&[]), &request, &mut ctx))
        .map(|plan| (describe(&plan.members), plan.outcome.resource))
        .map_err(|e| {
            (
                e.status,
                e.scim_type
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
            )
        })
}

/// The members `apply_patch` leaves on a group holding `a` and `b`.
fn full_members(ops: Value, dialect: Dialect) -> Result<Vec<String>, String> {
    let registry = SchemaRegistry::standard();
    let rt = registry.resource_type("Group").unwrap().clone();
    let mut ctx = DialectContext::new(dialect);
    let body = json!({"schemas": [PATCH_OP], "Operations": ops});
    PatchRequest::parse(&body, &mut ctx)
        .and_then(|request| apply_patch(&registry, &rt, &group(&["a", "b"]), &request, &mut ctx))
        .map(|outcome| ids(&outcome.resource))
        .map_err(|e| {
            e.scim_type
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default()
        })
}

fn ids(resource: &Value) -> Vec<String> {
    resource["members"]
        .as_array()
        .map(|members| {
            members
                .iter()
                .map(|m| m["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// One row: the ops, the plan in both dialects (`Err(scimType)` for a 400),
/// and the members of a full group {a, b} after `apply_patch` (lenient).
fn check(
    ops: Value,
    lenient: Result<&[&str], &str>,
    strict: Result<&[&str], &str>,
    full: Result<&[&str], &str>,
) {
    for (dialect, expected) in [(Dialect::Lenient, lenient), (Dialect::Strict, strict)] {
        let got = plan(ops.clone(), dialect).map(|(plan, _)| plan);
        let expected = expected
            .map(|plan| plan.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
            .map_err(|scim_type| (400, scim_type.to_owned()));
        assert_eq!(got, expected, "{ops} ({dialect:?})");
    }
    let got = full_members(ops.clone(), Dialect::Lenient);
    let expected = full
        .map(|ids| ids.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
        .map_err(str::to_owned);
    assert_eq!(got, expected, "{ops} on the full group");
}

#[test]
fn member_operation_rows() {
    let member = |id: &str| json!({"value": id});
    // RFC 7644 §3.5.2.1: add members.
    check(
        json!([{"op": "add", "path": "members", "value": [member("c"), {"value": "d", "display": "Dee", "type": "group"}]}]),
        Ok(&["+c,d"]),
        Ok(&["+c,d"]),
        Ok(&["a", "b", "c", "d"]),
    );
    // Entra ID's Add/Remove Members: `$ref: null` is an unassigned `$ref`
    // (RFC 7643 §2.5), not an error; a null `value` still is one.
    check(
        json!([{"op": "add", "path": "members", "value": [{"$ref": null, "value": "c", "display": null, "type": null}]}]),
        Ok(&["+c"]),
        Ok(&["+c"]),
        Ok(&["a", "b", "c"]),
    );
    check(
        json!([{"op": "add", "path": "members", "value": [{"$ref": null, "value": null}]}]),
        Err("invalidValue"),
        Err("invalidValue"),
        Err("invalidValue"),
    );
    check(
        json!([{"op": "add", "path": "members", "value": [member("a")]}]),
        Ok(&["+a"]),
        Ok(&["+a"]),
        Ok(&["a", "b"]),
    );
    check(
        json!([{"op": "add", "value": {"members": [member("c")]}}]),
        Ok(&["+c"]),
        Ok(&["+c"]),
        Ok(&["a", "b", "c"]),
    );
    // Okta: member values without type, capitalised op in lenient only.
    check(
        json!([{"op": "Add", "path": "members", "value": [member("c")]}]),
        Ok(&["+c"]),
        Err("invalidSyntax"),
        Ok(&["a", "b", "c"]),
    );
    // RFC 7644 §3.5.2.2: remove all members.
    check(
        json!([{"op": "remove", "path": "members"}]),
        Ok(&["-*"]),
        Ok(&["-*"]),
        Ok(&[]),
    );
    // Entra: remove only the members listed in value; never all in strict.
    check(
        json!([{"op": "Remove", "path": "members", "value": [member("a")]}]),
        Ok(&["-a"]),
        Err("invalidSyntax"),
        Ok(&["b"]),
    );
    check(
        json!([{"op": "remove", "path": "members", "value": [member("a"), member("zz")]}]),
        Ok(&["-a,zz"]),
        Err("noTarget"),
        Ok(&["b"]),
    );
    // RFC 7644 §3.5.2.3: replace members; path-less replace with members.
    check(
        json!([{"op": "replace", "path": "members", "value": [member("c")]}]),
        Ok(&["-*", "+c"]),
        Ok(&["-*", "+c"]),
        Ok(&["c"]),
    );
    check(
        json!([{"op": "replace", "value": {"members": [member("c")], "displayName": "Guides"}}]),
        Ok(&["-*", "+c"]),
        Ok(&["-*", "+c"]),
        Ok(&["c"]),
    );
    check(
        json!([{"op": "replace", "path": "members", "value": []}]),
        Ok(&["-*"]),
        Ok(&["-*"]),
        Ok(&[]),
    );
    // RFC 7644 §3.5.2.2: remove all members and add new ones.
    check(
        json!([{"op": "remove", "path": "members"}, {"op": "add", "path": "members", "value": [member("c"), member("d")]}]),
        Ok(&["-*", "+c,d"]),
        Ok(&["-*", "+c,d"]),
        Ok(&["c", "d"]),
    );
    // RFC 7644 §3.5.2.2: remove a member by filter; `value eq` disjunctions are ids.
    check(
        json!([{"op": "remove", "path": "members[value eq \"a\"]"}]),
        Ok(&["-a"]),
        Ok(&["-a"]),
        Ok(&["b"]),
    );
    check(
        json!([{"op": "remove", "path": "members[value eq \"a\" or value eq \"b\"]"}]),
        Ok(&["-a,b"]),
        Ok(&["-a,b"]),
        Ok(&[]),
    );
    check(
        json!([{"op": "remove", "path": "members[value eq \"zz\"]"}]),
        Ok(&["-zz"]),
        Ok(&["-zz"]),
        Ok(&["a", "b"]),
    );
    check(
        json!([{"op": "remove", "path": "members[type eq \"Group\"]"}]),
        Ok(&["-where"]),
        Ok(&["-where"]),
        Ok(&["a", "b"]),
    );
    check(
        json!([{"op": "remove", "path": "members[type eq \"user\" and value ne \"a\"]"}]),
        Ok(&["-where"]),
        Ok(&["-where"]),
        Ok(&["a"]),
    );
    // RFC 7644 §3.5.2.3: replace the members a filter selects; none is noTarget.
    check(
        json!([{"op": "replace", "path": "members[value eq \"a\"]", "value": [{"value": "c"}]}]),
        Ok(&["replace-where+c"]),
        Ok(&["replace-where+c"]),
        Ok(&["b", "c"]),
    );
    check(
        json!([{"op": "replace", "path": "members[value eq \"zz\"]", "value": [{"value": "c"}]}]),
        Ok(&["replace-where+c"]),
        Ok(&["replace-where+c"]),
        Err("noTarget"),
    );
    check(
        json!([{"op": "add", "path": "members[value eq \"a\"]", "value": [{"value": "c"}]}]),
        Err("invalidPath"),
        Err("invalidPath"),
        Err("invalidPath"),
    );
    check(
        json!([{"op": "remove", "path": "members[value eq \"a\"].display"}]),
        Err("mutability"),
        Err("mutability"),
        Err("mutability"),
    );
    check(
        json!([{"op": "remove", "path": "members[value eq]"}]),
        Err("invalidFilter"),
        Err("invalidFilter"),
        Err("invalidFilter"),
    );
    // Errors.
    check(
        json!([{"op": "add", "path": "members", "value": [{"value": ""}]}]),
        Err("invalidValue"),
        Err("invalidValue"),
        Err("invalidValue"),
    );
    check(
        json!([{"op": "add", "path": "members", "value": ["c"]}]),
        Err("invalidValue"),
        Err("invalidValue"),
        Err("invalidValue"),
    );
    check(
        json!([{"op": "add", "path": "members", "value": [{"value": "c", "operation": "delete"}]}]),
        Err("invalidValue"),
        Err("invalidValue"),
        Err("invalidValue"),
    );
    check(
        json!([{"op": "add", "path": "members", "value": [{"value": "c", "type": "Device"}]}]),
        Err("invalidValue"),
        Err("invalidValue"),
        Err("invalidValue"),
    );
    check(
        json!([{"op": "replace", "path": "members.value", "value": "c"}]),
        Err("mutability"),
        Err("mutability"),
        Err("mutability"),
    );
    check(
        json!([{"op": "replace", "path": "members.display", "value": "c"}]),
        Err("mutability"),
        Err("mutability"),
        Err("mutability"),
    );
    check(
        json!([{"op": "remove", "path": "displayName"}]),
        Err("mutability"),
        Err("mutability"),
        Err("mutability"),
    );
}

#[test]
fn plan_applies_the_other_operations_to_the_group() {
    let ops = json!([
        {"op": "replace", "path": "displayName", "value": "Guides"},
        {"op": "add", "path": "members", "value": [{"value": "c"}]}
    ]);
    let (changes, group) = plan(ops, Dialect::Strict).unwrap();
    assert_eq!(changes, vec!["+c"]);
    assert_eq!(group["displayName"], json!("Guides"));
    assert_eq!(group.get("members"), None);
}

#[test]
fn apply_member_changes_in_memory() {
    let reference = |id: &str| MemberRef {
        value: id.to_owned(),
        type_: Some("User".to_owned()),
        ref_: None,
    };
    let mut members = vec![json!({"value": "a"}), json!({"value": "b"})];
    apply_member_changes(
        &mut members,
        &[
            MemberChange::Add(vec![reference("c"), reference("a"), reference("c")]),
            MemberChange::Remove(vec!["b".to_owned(), "zz".to_owned()]),
        ],
    )
    .unwrap();
    assert_eq!(
        members,
        vec![json!({"value": "a"}), json!({"value": "c", "type": "User"})]
    );
    apply_member_changes(&mut members, &[MemberChange::RemoveAll]).unwrap();
    assert!(members.is_empty());
}
