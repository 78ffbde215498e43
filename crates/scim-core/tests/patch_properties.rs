//! Properties of the PATCH engine: a failing request changes nothing, and
//! a Group PATCH planned without the member list gives the members that
//! applying it to the full group gives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use proptest::prelude::*;
use scim_core::patch::{PatchRequest, apply_member_changes, apply_patch, plan_group_patch};
use scim_core::{Dialect, DialectContext, SchemaRegistry};
use serde_json::{Value, json};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn body(ops: Vec<Value>) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
        "id": "u1",
        "userName": "bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "active": true,
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
        ENT: {"employeeNumber": "701984"},
        "meta": {"resourceType": "User", "version": "W/\"1\""}
    })
}

fn valid_user_op() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[a-z]{1,8}".prop_map(|v| json!({"op": "replace", "path": "nickName", "value": v})),
        "[a-z]{1,8}".prop_map(|v| json!({"op": "add", "path": "name.middleName", "value": v})),
        any::<bool>().prop_map(|v| json!({"op": "replace", "value": {"active": v}})),
        "[a-z]{1,8}".prop_map(
            |v| json!({"op": "add", "path": "emails", "value": [{"value": format!("{v}@x.org")}]})
        ),
        "[0-9]{1,4}".prop_map(
            |v| json!({"op": "Replace", "path": format!("{ENT}:employeeNumber"), "value": v})
        ),
        Just(json!({"op": "remove", "path": "emails"})),
        Just(json!({"op": "remove", "path": "name.givenName"})),
    ]
}

fn invalid_user_op() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"op": "remove", "path": "userName"})),
        Just(json!({"op": "remove"})),
        Just(json!({"op": "frobnicate", "path": "nickName"})),
        Just(json!({"op": "replace", "path": "id", "value": "x"})),
        Just(json!({"op": "add", "path": "nope", "value": 1})),
        Just(json!({"op": "add", "path": "emails[type", "value": 1})),
        Just(json!({"op": "add", "path": "groups", "value": [{"value": "g"}]})),
        Just(json!({"op": "add", "value": 3})),
    ]
}

proptest! {
    #[test]
    fn a_failing_request_changes_nothing(
        valid in prop::collection::vec(valid_user_op(), 0..6),
        invalid in invalid_user_op(),
        more in prop::collection::vec(valid_user_op(), 0..3),
    ) {
        let registry = SchemaRegistry::standard();
        let rt = registry.resource_type("User").unwrap().clone();
        let input = user();
        let mut ops = valid;
        ops.push(invalid);
        ops.extend(more);
        let mut ctx = DialectContext::new(Dialect::Lenient);
        let result = PatchRequest::parse(&body(ops), &mut ctx)
            .and_then(|request| apply_patch(&registry, &rt, &input, &request, &mut ctx));
        prop_assert!(result.is_err());
        prop_assert_eq!(input, user());
    }
}

const IDS: &[&str] = &["a", "b", "c", "d", "e", "f"];

fn ids() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(prop::sample::select(IDS), 0..4)
}

fn members_value(ids: &[&str]) -> Value {
    ids.iter().map(|id| json!({"value": id})).collect()
}

fn member_op() -> impl Strategy<Value = Value> {
    prop_oneof![
        ids().prop_map(|ids| json!({"op": "add", "path": "members", "value": members_value(&ids)})),
        ids().prop_map(|ids| json!({"op": "Add", "value": {"members": members_value(&ids)}})),
        ids().prop_map(
            |ids| json!({"op": "Remove", "path": "members", "value": members_value(&ids)})
        ),
        ids().prop_map(
            |ids| json!({"op": "replace", "path": "members", "value": members_value(&ids)})
        ),
        ids().prop_map(|ids| json!({"op": "replace", "value": {"members": members_value(&ids)}})),
        Just(json!({"op": "remove", "path": "members"})),
        ids().prop_map(|ids| {
            let filter = ids.iter().map(|id| format!("value eq \"{id}\"")).collect::<Vec<_>>().join(" or ");
            let filter = if filter.is_empty() { "value eq \"zz\"".to_owned() } else { filter };
            json!({"op": "remove", "path": format!("members[{filter}]")})
        }),
        prop::sample::select(IDS).prop_map(|id| json!({"op": "remove", "path": format!("members[type eq \"User\" and value ne \"{id}\"]")})),
        prop::sample::select(IDS).prop_map(|id| json!({"op": "remove", "path": format!("members[not (value lt \"{id}\")]")})),
        (prop::sample::select(IDS), ids()).prop_map(|(id, ids)| json!({"op": "replace", "path": format!("members[value eq \"{id}\"]"), "value": members_value(&ids)})),
        "[A-Z][a-z]{1,6}"
            .prop_map(|name| json!({"op": "replace", "path": "displayName", "value": name})),
    ]
}

fn member_set(members: &[Value]) -> BTreeSet<String> {
    members
        .iter()
        .map(|m| m["value"].as_str().unwrap().to_owned())
        .collect()
}

proptest! {
    #[test]
    fn planned_member_changes_match_the_full_apply(
        current in prop::collection::btree_set(prop::sample::select(IDS), 0..6),
        ops in prop::collection::vec(member_op(), 1..6),
    ) {
        let registry = SchemaRegistry::standard();
        let rt = registry.resource_type("Group").unwrap().clone();
        let members: Vec<Value> = current.iter().map(|id| json!({"value": id, "type": "User"})).collect();
        let mut full = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "g1",
            "displayName": "Guides",
        });
        let without_members = full.clone();
        if !members.is_empty() {
            full["members"] = Value::Array(members.clone());
        }
        let body = body(ops);
        let mut ctx = DialectContext::new(Dialect::Lenient);
        let request = PatchRequest::parse(&body, &mut ctx).unwrap();
        let applied = apply_patch(&registry, &rt, &full, &request, &mut ctx);
        let plan = plan_group_patch(&registry, &rt, &without_members, &request, &mut ctx).unwrap();
        let mut planned = members;
        let planned_result = apply_member_changes(&mut planned, &plan.members);
        match applied {
            Ok(applied) => {
                prop_assert!(planned_result.is_ok());
                let applied_members = applied.resource["members"].as_array().cloned().unwrap_or_default();
                prop_assert_eq!(member_set(&applied_members), member_set(&planned));
                prop_assert_eq!(&applied.resource["displayName"], &plan.outcome.resource["displayName"]);
            }
            Err(error) => {
                prop_assert_eq!(error.scim_type, Some(scim_core::ScimType::NoTarget));
                prop_assert!(planned_result.is_err());
            }
        }
    }
}
