//! PATCH engine fuzz target: any bytes that are JSON are taken as a PATCH
//! body, parsed, and applied to a fixed User and a fixed Group (also
//! planned as a member delta), in both dialects. Nothing may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_core::patch::{PatchRequest, apply_member_changes, apply_patch, plan_group_patch};
use scim_core::{Dialect, DialectContext, SchemaRegistry};
use serde_json::{Value, json};

fn user() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "id": "2819c223",
        "userName": "bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "manager": {"value": "26118915"}
        },
        "meta": {"resourceType": "User", "version": "W/\"1\""}
    })
}

fn group(with_members: bool) -> Value {
    let mut group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "e9e30dba",
        "displayName": "Tour Guides",
        "meta": {"resourceType": "Group", "version": "W/\"1\""}
    });
    if with_members {
        group["members"] = json!([
            {"value": "2819c223", "type": "User"},
            {"value": "902c246b", "type": "User"},
            {"value": "e9e30dba", "type": "Group"}
        ]);
    }
    group
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let registry = SchemaRegistry::standard();
    let (Some(user_type), Some(group_type)) =
        (registry.resource_type("User"), registry.resource_type("Group"))
    else {
        return;
    };
    for dialect in [Dialect::Lenient, Dialect::Strict] {
        let mut ctx = DialectContext::new(dialect);
        let Ok(request) = PatchRequest::parse(&body, &mut ctx) else {
            continue;
        };
        let _ = apply_patch(&registry, user_type, &user(), &request, &mut ctx);
        let _ = apply_patch(&registry, group_type, &group(true), &request, &mut ctx);
        if let Ok(plan) = plan_group_patch(&registry, group_type, &group(false), &request, &mut ctx) {
            let mut members = group(true)["members"].as_array().cloned().unwrap_or_default();
            let _ = apply_member_changes(&mut members, &plan.members);
        }
    }
});
