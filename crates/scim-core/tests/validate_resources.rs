//! `validate_resource`: data-driven rows for User (core, enterprise and a
//! custom extension) and Group, both dialects, and the RFC 7643 examples.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use scim_core::schema::{AttrType, AttributeDef, Schema};
use scim_core::{Deviation, Dialect, DialectContext, Operation, SchemaRegistry, validate_resource};
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ACME: &str = "urn:example:params:scim:schemas:extension:acme:2.0:User";
const ENTRA: &str = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

use Operation::{Create, Patch, Replace};

fn registry() -> SchemaRegistry {
    let mut registry = SchemaRegistry::standard();
    let acme = Schema::new(
        ACME,
        "AcmeUser",
        "Acme extension",
        vec![
            AttributeDef::string("employeeType").canonical(&["Contractor", "Employee"]),
            AttributeDef::new("clearanceLevel", AttrType::Integer),
            AttributeDef::string("costCenter"),
            AttributeDef::string("badge").mutability(scim_core::schema::Mutability::Immutable),
            AttributeDef::date_time("hireDate"),
            AttributeDef::new("score", AttrType::Decimal),
            AttributeDef::new("tags", AttrType::String).multi(),
        ],
    );
    registry.add_extension("User", acme, false).unwrap();
    registry
}

/// Validate and return the result and the tolerated deviations.
fn run(
    rt: &str,
    op: Operation,
    dialect: Dialect,
    input: &Value,
    existing: Option<&Value>,
) -> (Result<Value, (u16, String)>, Vec<Deviation>) {
    let registry = registry();
    let rt = registry.resource_type(rt).unwrap().clone();
    let mut ctx = DialectContext::new(dialect);
    let result = validate_resource(&registry, &rt, input, existing, op, &mut ctx).map_err(|e| {
        (
            e.status,
            e.scim_type
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
        )
    });
    (result, ctx.tolerated)
}

/// One row: `expected` is the normalized output or `Err(scimType)` of a 400.
fn check(
    rt: &str,
    op: Operation,
    input: Value,
    existing: Option<Value>,
    expected: Result<Value, &str>,
) {
    let (got, _) = run(rt, op, Dialect::Lenient, &input, existing.as_ref());
    let expected = expected.map_err(|t| (400, t.to_owned()));
    assert_eq!(got, expected, "{op:?} {input}");
}

/// A dialect row: lenient gives `lenient` and records `deviation`; strict
/// refuses with `strict_type`.
fn check_dialect(
    rt: &str,
    op: Operation,
    input: Value,
    lenient: Value,
    deviation: Deviation,
    strict_type: &str,
) {
    let (got, tolerated) = run(rt, op, Dialect::Lenient, &input, None);
    assert_eq!(got, Ok(lenient), "lenient {input}");
    assert!(tolerated.contains(&deviation), "{input}: {tolerated:?}");
    let (got, tolerated) = run(rt, op, Dialect::Strict, &input, None);
    assert_eq!(got, Err((400, strict_type.to_owned())), "strict {input}");
    assert!(tolerated.is_empty());
}

/// A User with `userName` and `extra`; `schemas` lists the extensions
/// `extra` has keys for, as the normalized output does.
fn u(extra: Value) -> Value {
    let mut schemas = vec![USER];
    for urn in [ENT, ACME] {
        if extra.get(urn).is_some() {
            schemas.push(urn);
        }
    }
    let mut base = json!({"schemas": schemas, "userName": "bjensen"});
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    base
}

fn g(extra: Value) -> Value {
    let mut base = json!({"schemas": [GROUP], "displayName": "Tour Guides"});
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    base
}

#[test]
fn body_and_schemas() {
    check("User", Create, json!([]), None, Err("invalidSyntax"));
    check("User", Create, json!("x"), None, Err("invalidSyntax"));
    check(
        "User",
        Create,
        json!({"userName": "a"}),
        None,
        Err("invalidSyntax"),
    );
    check(
        "User",
        Create,
        json!({"schemas": null, "userName": "a"}),
        None,
        Err("invalidSyntax"),
    );
    check(
        "User",
        Create,
        json!({"schemas": USER, "userName": "a"}),
        None,
        Err("invalidSyntax"),
    );
    check(
        "User",
        Create,
        json!({"schemas": [1], "userName": "a"}),
        None,
        Err("invalidSyntax"),
    );
    check(
        "User",
        Create,
        json!({"schemas": [ENT], "userName": "a"}),
        None,
        Err("invalidSyntax"),
    );
    check(
        "User",
        Create,
        json!({"schemas": [GROUP], "userName": "a"}),
        None,
        Err("invalidSyntax"),
    );
    check(
        "User",
        Create,
        json!({"schemas": [USER, "urn:x:y"], "userName": "a"}),
        None,
        Err("invalidSyntax"),
    );
    check(
        "User",
        Replace,
        json!({"userName": "a"}),
        Some(u(json!({}))),
        Err("invalidSyntax"),
    );
    check(
        "Group",
        Create,
        json!({"schemas": [USER], "displayName": "a"}),
        None,
        Err("invalidSyntax"),
    );
    // Case-insensitive URNs and key; output canonical.
    check(
        "User",
        Create,
        json!({"SCHEMAS": [USER.to_uppercase()], "userName": "a"}),
        None,
        Ok(json!({"schemas": [USER], "userName": "a"})),
    );
    // Extensions listed but without data are not in the output schemas.
    check(
        "User",
        Create,
        json!({"schemas": [USER, ENT, ACME], "userName": "a"}),
        None,
        Ok(json!({"schemas": [USER], "userName": "a"})),
    );
    // Extension data whose URN is missing from `schemas` is still accepted.
    check(
        "User",
        Create,
        json!({"schemas": [USER], "userName": "a", ENT: {"department": "x"}}),
        None,
        Ok(json!({"schemas": [USER, ENT], "userName": "a", ENT: {"department": "x"}})),
    );
    // Core first, extensions in resource-type order.
    check(
        "User",
        Create,
        json!({"schemas": [ACME, ENT, USER], "userName": "a",
            ACME.to_lowercase(): {"COSTCENTER": "9"}, ENT: {"department": "x"}}),
        None,
        Ok(
            json!({"schemas": [USER, ENT, ACME], "userName": "a", ENT: {"department": "x"}, ACME: {"costCenter": "9"}}),
        ),
    );
    // On PATCH `schemas` is recomputed, not checked.
    check(
        "User",
        Patch,
        json!({"schemas": ["urn:bogus"], "userName": "a", ENT: {"division": "d"}}),
        Some(u(json!({}))),
        Ok(json!({"schemas": [USER, ENT], "userName": "a", ENT: {"division": "d"}})),
    );
    check(
        "User",
        Patch,
        json!({"userName": "a"}),
        Some(u(json!({}))),
        Ok(json!({"schemas": [USER], "userName": "a"})),
    );
    // Extension value must be an object.
    check(
        "User",
        Create,
        u(json!({ENT: "x"})),
        None,
        Err("invalidSyntax"),
    );
    check(
        "User",
        Create,
        u(json!({ENT: null})),
        None,
        Ok(json!({"schemas": [USER], "userName": "bjensen"})),
    );
}

#[test]
fn names_unknowns_and_nulls() {
    check(
        "User",
        Create,
        json!({"schemas": [USER], "USERNAME": "a", "Name": {"GivenName": "B", "nope": 1},
            "displayname": "D", "unknown": {"x": 1}, "urn:ietf:params:scim:schemas:core:2.0:User:userName": "z"}),
        None,
        Ok(
            json!({"schemas": [USER], "userName": "a", "name": {"givenName": "B"}, "displayName": "D"}),
        ),
    );
    check(
        "User",
        Create,
        u(json!({"userName": "a", "USERNAME": "b"})),
        None,
        Err("invalidSyntax"),
    );
    check(
        "User",
        Create,
        u(json!({"name": {"givenName": "a", "GIVENNAME": "b"}})),
        None,
        Err("invalidSyntax"),
    );
    // null = unassigned; empty arrays and empty objects disappear.
    check(
        "User",
        Create,
        u(
            json!({"displayName": null, "roles": [], "emails": [null], "name": {"givenName": null},
            "addresses": [{}], ENT: {}}),
        ),
        None,
        Ok(json!({"schemas": [USER], "userName": "bjensen"})),
    );
    // Empty strings are values.
    check(
        "User",
        Create,
        u(json!({"nickName": ""})),
        None,
        Ok(json!({"schemas": [USER], "userName": "bjensen", "nickName": ""})),
    );
    // Extension attribute names are case-insensitive too.
    check(
        "User",
        Create,
        u(json!({ENT: {"EmployeeNumber": "7", "bogus": 1}})),
        None,
        Ok(json!({"schemas": [USER, ENT], "userName": "bjensen", ENT: {"employeeNumber": "7"}})),
    );
}

#[test]
fn types() {
    let ok = |extra: Value, out: Value| check("User", Create, u(extra), None, Ok(u(out)));
    let bad = |extra: Value| check("User", Create, u(extra), None, Err("invalidValue"));
    ok(json!({"active": true}), json!({"active": true}));
    bad(json!({"active": 1}));
    bad(json!({"active": "yes"}));
    bad(json!({"displayName": 5}));
    bad(json!({"displayName": ["a"]}));
    bad(json!({"displayName": {"a": 1}}));
    bad(json!({"name": "Barbara"}));
    bad(json!({"name": [{"givenName": "a"}]}));
    bad(json!({"name": {"givenName": 1}}));
    ok(
        json!({"profileUrl": "https://x"}),
        json!({"profileUrl": "https://x"}),
    );
    bad(json!({"profileUrl": 3}));
    ok(
        json!({"x509Certificates": [{"value": "TWFu"}]}),
        json!({"x509Certificates": [{"value": "TWFu"}]}),
    );
    bad(json!({"x509Certificates": [{"value": "not base64!"}]}));
    bad(json!({"x509Certificates": [{"value": "TWE"}]}));
    ok(
        json!({ACME: {"clearanceLevel": 3}}),
        json!({ACME: {"clearanceLevel": 3}}),
    );
    ok(
        json!({ACME: {"clearanceLevel": -3}}),
        json!({ACME: {"clearanceLevel": -3}}),
    );
    bad(json!({ACME: {"clearanceLevel": 3.5}}));
    bad(json!({ACME: {"clearanceLevel": "3"}}));
    bad(json!({ACME: {"costCenter": 4130}}));
    ok(
        json!({ACME: {"hireDate": "2008-01-23T04:56:22Z"}}),
        json!({ACME: {"hireDate": "2008-01-23T04:56:22Z"}}),
    );
    ok(
        json!({ACME: {"hireDate": "2008-01-23T04:56:22"}}),
        json!({ACME: {"hireDate": "2008-01-23T04:56:22"}}),
    );
    bad(json!({ACME: {"hireDate": "2008-01-23"}}));
    bad(json!({ACME: {"hireDate": "yesterday"}}));
    bad(json!({ACME: {"hireDate": 1_200_000_000}}));
    ok(json!({ACME: {"score": 2.5}}), json!({ACME: {"score": 2.5}}));
    ok(json!({ACME: {"score": 3}}), json!({ACME: {"score": 3}}));
    bad(json!({ACME: {"score": "2.5"}}));
    // Multi-valued simple attributes: a single value is wrapped, nulls go.
    ok(json!({ACME: {"tags": "a"}}), json!({ACME: {"tags": ["a"]}}));
    ok(
        json!({ACME: {"tags": ["a", null, "b"]}}),
        json!({ACME: {"tags": ["a", "b"]}}),
    );
    ok(json!({ACME: {"tags": [null]}}), json!({}));
    bad(json!({ACME: {"tags": [1]}}));
    bad(json!({ACME: {"tags": [["a"]]}}));
    // Multi-valued given a single value is wrapped.
    ok(
        json!({"emails": {"value": "a@x"}}),
        json!({"emails": [{"value": "a@x"}]}),
    );
    bad(json!({"emails": "a@x"}));
    bad(json!({"emails": [["a@x"]]}));
    bad(json!({"emails": [{"value": "a@x", "primary": 1}]}));
    // meta dateTimes are read-only: ignored even when malformed.
    ok(json!({"meta": {"created": "nonsense"}}), json!({}));
}

#[test]
fn error_details_name_the_canonical_path() {
    let cases = [
        (
            u(json!({"EMAILS": [{"value": "a"}, {"value": "b", "PRIMARY": "maybe"}]})),
            "emails[1].primary",
        ),
        (u(json!({"name": {"familyname": 1}})), "name.familyName"),
        (
            u(json!({ENT: {"manager": {"value": 5}}})),
            "enterprise:2.0:User:manager.value",
        ),
        (
            u(json!({ACME: {"clearanceLevel": "high"}})),
            "acme:2.0:User:clearanceLevel",
        ),
    ];
    for (input, path) in cases {
        let (got, _) = run("User", Create, Dialect::Lenient, &input, None);
        let registry = registry();
        let rt = registry.resource_type("User").unwrap().clone();
        let err = validate_resource(
            &registry,
            &rt,
            &input,
            None,
            Create,
            &mut DialectContext::default(),
        )
        .unwrap_err();
        assert!(got.is_err());
        assert!(err.detail.contains(path), "{} lacks {path}", err.detail);
    }
}

#[test]
fn dialect_forms() {
    check_dialect(
        "User",
        Create,
        u(json!({"active": "True"})),
        u(json!({"active": true})),
        Deviation::BooleanAsString,
        "invalidValue",
    );
    check_dialect(
        "User",
        Create,
        u(json!({"active": "FALSE"})),
        u(json!({"active": false})),
        Deviation::BooleanAsString,
        "invalidValue",
    );
    check_dialect(
        "User",
        Create,
        u(json!({"emails": [{"value": "a@x", "primary": "true"}]})),
        u(json!({"emails": [{"value": "a@x", "primary": true}]})),
        Deviation::BooleanAsString,
        "invalidValue",
    );
    check_dialect(
        "User",
        Create,
        u(json!({ENT: {"manager": "m-1"}})),
        u(json!({ENT: {"manager": {"value": "m-1"}}})),
        Deviation::ManagerAsString,
        "invalidValue",
    );
    check_dialect(
        "User",
        Create,
        u(json!({ENT: {"manager": "", "department": "d"}})),
        u(json!({ENT: {"department": "d"}})),
        Deviation::ManagerAsString,
        "invalidValue",
    );
    check_dialect(
        "Group",
        Create,
        json!({"schemas": [GROUP, ENTRA], "displayName": "G"}),
        json!({"schemas": [GROUP], "displayName": "G"}),
        Deviation::EntraGroupSchema,
        "invalidValue",
    );
    // Entra's URI alone stands for the core Group schema.
    check_dialect(
        "Group",
        Create,
        json!({"schemas": [ENTRA], "displayName": "G"}),
        json!({"schemas": [GROUP], "displayName": "G"}),
        Deviation::EntraGroupSchema,
        "invalidValue",
    );
    // The Entra URI on a User is simply unknown.
    check(
        "User",
        Create,
        json!({"schemas": [USER, ENTRA], "userName": "a"}),
        None,
        Err("invalidSyntax"),
    );
    // RFC forms need no deviation: meta, roles: [], nulls.
    let input =
        u(json!({"meta": {"resourceType": "User"}, "roles": [], "title": null, "active": false}));
    let (got, tolerated) = run("User", Create, Dialect::Strict, &input, None);
    assert_eq!(got, Ok(u(json!({"active": false}))));
    assert!(tolerated.is_empty());
    let (got, _) = run(
        "User",
        Create,
        Dialect::Strict,
        &u(json!({ENT: {"manager": {"value": "m"}}})),
        None,
    );
    assert_eq!(got, Ok(u(json!({ENT: {"manager": {"value": "m"}}}))));
}

#[test]
fn canonical_values() {
    let ok = |extra: Value, out: Value| check("User", Create, u(extra), None, Ok(u(out)));
    // Suggested labels: known ones get canonical casing, others are kept.
    ok(
        json!({"emails": [{"value": "a@x", "type": "WORK"}]}),
        json!({"emails": [{"value": "a@x", "type": "work"}]}),
    );
    ok(
        json!({"emails": [{"value": "a@x", "type": "Office"}]}),
        json!({"emails": [{"value": "a@x", "type": "Office"}]}),
    );
    ok(
        json!({"phoneNumbers": [{"value": "1", "type": "Mobile"}]}),
        json!({"phoneNumbers": [{"value": "1", "type": "mobile"}]}),
    );
    ok(
        json!({"phoneNumbers": [{"value": "1", "type": "mobile2"}]}),
        json!({"phoneNumbers": [{"value": "1", "type": "mobile2"}]}),
    );
    ok(
        json!({"ims": [{"value": "h", "type": "Signal"}]}),
        json!({"ims": [{"value": "h", "type": "Signal"}]}),
    );
    ok(
        json!({"photos": [{"value": "https://p", "type": "Avatar"}]}),
        json!({"photos": [{"value": "https://p", "type": "Avatar"}]}),
    );
    ok(
        json!({"addresses": [{"locality": "L", "type": "Home"}]}),
        json!({"addresses": [{"locality": "L", "type": "home"}]}),
    );
    ok(
        json!({"addresses": [{"locality": "L", "type": "mailing"}]}),
        json!({"addresses": [{"locality": "L", "type": "mailing"}]}),
    );
    ok(
        json!({"roles": [{"value": "r", "type": "any"}]}),
        json!({"roles": [{"value": "r", "type": "any"}]}),
    );
    // Closed lists: Group members.type, custom extension canonical values.
    check(
        "Group",
        Create,
        g(json!({"members": [{"value": "1", "type": "user"}]})),
        None,
        Ok(g(json!({"members": [{"value": "1", "type": "User"}]}))),
    );
    check(
        "Group",
        Create,
        g(json!({"members": [{"value": "1", "type": "GROUP"}]})),
        None,
        Ok(g(json!({"members": [{"value": "1", "type": "Group"}]}))),
    );
    check(
        "Group",
        Create,
        g(json!({"members": [{"value": "1", "type": "Device"}]})),
        None,
        Err("invalidValue"),
    );
    ok(
        json!({ACME: {"employeeType": "contractor"}}),
        json!({ACME: {"employeeType": "Contractor"}}),
    );
    check(
        "User",
        Create,
        u(json!({ACME: {"employeeType": "Intern"}})),
        None,
        Err("invalidValue"),
    );
}

#[test]
fn canonical_policy_covers_groups_type() {
    // User `groups` is read-only, so its closed `type` list is enforced on
    // stored data only; on PATCH the stored groups stay as stored.
    let stored = u(json!({"id": "1", "groups": [{"value": "g", "type": "direct"}]}));
    check(
        "User",
        Patch,
        u(json!({"groups": [{"value": "h", "type": "weird"}]})),
        Some(stored.clone()),
        Ok(stored),
    );
}

#[test]
fn primary() {
    check(
        "User",
        Create,
        u(json!({"emails": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]})),
        None,
        Err("invalidValue"),
    );
    check(
        "User",
        Patch,
        u(
            json!({"addresses": [{"locality": "a", "primary": true}, {"locality": "b", "primary": "True"}]}),
        ),
        Some(u(json!({}))),
        Err("invalidValue"),
    );
    check(
        "User",
        Create,
        u(json!({"emails": [{"value": "a", "primary": true}, {"value": "b", "primary": false}]})),
        None,
        Ok(u(
            json!({"emails": [{"value": "a", "primary": true}, {"value": "b", "primary": false}]}),
        )),
    );
}

#[test]
fn required() {
    check(
        "User",
        Create,
        json!({"schemas": [USER]}),
        None,
        Err("invalidValue"),
    );
    check(
        "User",
        Create,
        json!({"schemas": [USER], "userName": null}),
        None,
        Err("invalidValue"),
    );
    check(
        "User",
        Create,
        json!({"schemas": [USER], "userName": ""}),
        None,
        Err("invalidValue"),
    );
    check(
        "User",
        Replace,
        json!({"schemas": [USER], "displayName": "x"}),
        Some(u(json!({"id": "1"}))),
        Err("invalidValue"),
    );
    check(
        "User",
        Patch,
        json!({"displayName": "x"}),
        Some(u(json!({"id": "1"}))),
        Err("invalidValue"),
    );
    check(
        "Group",
        Create,
        json!({"schemas": [GROUP]}),
        None,
        Err("invalidValue"),
    );
    check(
        "Group",
        Create,
        json!({"schemas": [GROUP], "displayName": ""}),
        None,
        Err("invalidValue"),
    );
    check(
        "Group",
        Create,
        json!({"schemas": [GROUP], "displayName": ["x"]}),
        None,
        Err("invalidValue"),
    );
}

#[test]
fn required_custom_extension() {
    let mut registry = SchemaRegistry::standard();
    let ext = Schema::new(
        "urn:example:ext:Badge",
        "Badge",
        "",
        vec![
            AttributeDef::string("badge").required(),
            AttributeDef::string("floor"),
        ],
    );
    registry.add_extension("User", ext, true).unwrap();
    let rt = registry.resource_type("User").unwrap().clone();
    let mut ctx = DialectContext::default();
    let mut run = |input: Value| {
        validate_resource(&registry, &rt, &input, None, Create, &mut ctx)
            .map_err(|e| e.scim_type.map(|t| t.as_str()))
    };
    assert_eq!(run(u(json!({}))), Err(Some("invalidValue")));
    assert_eq!(
        run(u(json!({"urn:example:ext:Badge": {"floor": "2"}}))),
        Err(Some("invalidValue"))
    );
    assert_eq!(
        run(u(json!({"urn:example:ext:badge": {"BADGE": "b"}}))),
        Ok(
            json!({"schemas": [USER, "urn:example:ext:Badge"], "userName": "bjensen", "urn:example:ext:Badge": {"badge": "b"}})
        )
    );
}

#[test]
fn required_attributes_of_extensions_a_resource_does_not_have() {
    // Each case: whether the extension is required, the operation, the input, what is
    // stored, and the outcome (`None`: valid).
    const EXT: &str = "urn:example:ext:Badge";
    let stored_without = u(json!({"id": "1"}));
    let stored_floor = u(json!({"id": "1", "urn:example:ext:Badge": {"floor": "2"}}));
    let stored_badge = u(json!({"id": "1", "urn:example:ext:Badge": {"badge": "b"}}));
    type Case = (bool, Operation, Value, Option<Value>, Option<&'static str>);
    let cases: Vec<Case> = vec![
        // Optional: a resource without it is valid, created or written.
        (false, Create, u(json!({})), None, None),
        (
            false,
            Patch,
            u(json!({"active": false})),
            Some(stored_without.clone()),
            None,
        ),
        (
            false,
            Replace,
            u(json!({})),
            Some(stored_without.clone()),
            None,
        ),
        // Optional but given: its required attribute is required.
        (
            false,
            Create,
            u(json!({EXT: {"floor": "2"}})),
            None,
            Some("invalidValue"),
        ),
        // Stored before `badge` was required, and written without it: valid.
        (
            false,
            Patch,
            u(json!({"active": false, EXT: {"floor": "2"}})),
            Some(stored_floor.clone()),
            None,
        ),
        // Taking a held required attribute away is refused.
        (
            false,
            Patch,
            u(json!({EXT: {"floor": "2"}})),
            Some(stored_badge.clone()),
            Some("invalidValue"),
        ),
        (
            false,
            Replace,
            u(json!({})),
            Some(stored_badge.clone()),
            Some("invalidValue"),
        ),
        // Required: a new resource must have it; one stored before it was required may be
        // written without it (a deactivation must apply), but may not lose it.
        (true, Create, u(json!({})), None, Some("invalidValue")),
        (
            true,
            Patch,
            u(json!({"active": false})),
            Some(stored_without.clone()),
            None,
        ),
        (
            true,
            Replace,
            u(json!({"active": false})),
            Some(stored_without),
            None,
        ),
        (
            true,
            Replace,
            u(json!({})),
            Some(stored_badge),
            Some("invalidValue"),
        ),
    ];
    for (required, operation, input, stored, outcome) in cases {
        let mut registry = SchemaRegistry::standard();
        let ext = Schema::new(
            EXT,
            "Badge",
            "",
            vec![
                AttributeDef::string("badge").required(),
                AttributeDef::string("floor"),
            ],
        );
        registry.add_extension("User", ext, required).unwrap();
        let rt = registry.resource_type("User").unwrap().clone();
        let mut ctx = DialectContext::default();
        let result =
            validate_resource(&registry, &rt, &input, stored.as_ref(), operation, &mut ctx)
                .map(|_| ())
                .map_err(|e| e.scim_type.map(|t| t.as_str()));
        let expected = match outcome {
            None => Ok(()),
            Some(scim_type) => Err(Some(scim_type)),
        };
        assert_eq!(
            result, expected,
            "{required} {operation:?} {input} {stored:?}"
        );
    }
}

#[test]
fn read_only() {
    let stored = json!({"schemas": [USER], "id": "1", "userName": "bjensen",
        "meta": {"resourceType": "User", "version": "W/\"1\""},
        "groups": [{"value": "g1", "display": "G"}], "password": "secret"});
    // Create: read-only input dropped.
    check(
        "User",
        Create,
        u(json!({"id": "x", "meta": {"version": "v"}, "groups": [{"value": "g"}]})),
        None,
        Ok(u(json!({}))),
    );
    // Replace and PATCH: the stored values stay, whatever the input says.
    check(
        "User",
        Replace,
        u(json!({"id": "x", "meta": {"version": "v"}, "groups": []})),
        Some(stored.clone()),
        Ok(stored.clone()),
    );
    check(
        "User",
        Patch,
        u(json!({"id": "1", "password": "secret"})),
        Some(stored.clone()),
        Ok(stored.clone()),
    );
    check(
        "User",
        Patch,
        u(json!({"password": "secret", "groups": null, "meta": null})),
        Some(stored.clone()),
        Ok(stored.clone()),
    );
    // Group members.display is read-only: dropped on create, carried over
    // from the stored member with the same value.
    check(
        "Group",
        Create,
        g(json!({"members": [{"value": "u1", "display": "Babs"}]})),
        None,
        Ok(g(json!({"members": [{"value": "u1"}]}))),
    );
    let group =
        g(json!({"id": "g", "members": [{"value": "u1", "display": "Babs", "type": "User"}]}));
    check(
        "Group",
        Patch,
        g(
            json!({"members": [{"value": "u1", "display": "Fake"}, {"value": "u2", "display": "X"}]}),
        ),
        Some(group.clone()),
        Ok(g(
            json!({"id": "g", "members": [{"value": "u1", "type": "User", "display": "Babs"}, {"value": "u2"}]}),
        )),
    );
    // manager.displayName carries over while the manager stays the same.
    let managed = u(json!({"id": "1", ENT: {"manager": {"value": "m", "displayName": "Boss"}}}));
    check(
        "User",
        Replace,
        u(json!({ENT: {"manager": {"value": "m", "displayName": "X"}}})),
        Some(managed.clone()),
        Ok(managed.clone()),
    );
    check(
        "User",
        Replace,
        u(json!({ENT: {"manager": {"value": "n", "displayName": "X"}}})),
        Some(managed),
        Ok(u(json!({"id": "1", ENT: {"manager": {"value": "n"}}}))),
    );
}

/// An empty externalId is unassigned (Entra sends "" for an empty mapped attribute), on
/// every write and for both types; a stored one is cleared by it.
#[test]
fn empty_external_id_is_unassigned() {
    check(
        "User",
        Create,
        u(json!({"externalId": ""})),
        None,
        Ok(u(json!({}))),
    );
    check(
        "Group",
        Create,
        g(json!({"externalId": ""})),
        None,
        Ok(g(json!({}))),
    );
    check(
        "User",
        Replace,
        u(json!({"externalId": ""})),
        Some(u(json!({"id": "1", "externalId": "E1"}))),
        Ok(u(json!({"id": "1"}))),
    );
    check(
        "User",
        Create,
        u(json!({"externalId": " "})),
        None,
        Ok(u(json!({"externalId": " "}))),
    );
}

/// The value naming a resource (userName, a group's displayName) must name an identity:
/// no control or format character, not only white space. Checked when it changes, so a
/// resource stored before the rule can still be written; the value is kept as sent.
#[test]
fn identity_values() {
    let invalid = Err("invalidValue");
    for (name, ok) in [
        ("ann", true),
        ("  ann  ", true),
        ("Jose\u{301}", true),
        ("\u{ff46}ull", true),
        ("", false),
        ("   ", false),
        ("\u{3000}", false),
        ("a\tb", false),
        ("ann\n", false),
        ("a\u{7f}", false),
        ("a\u{200b}b", false),
        ("\u{feff}ann", false),
        ("a\u{202e}b", false),
    ] {
        for (rt, body) in [
            ("User", u(json!({"userName": name}))),
            ("Group", g(json!({"displayName": name}))),
        ] {
            let expected = if ok {
                Ok(body.clone())
            } else {
                invalid.clone()
            };
            check(rt, Create, body.clone(), None, expected.clone());
            let existing = if rt == "User" {
                u(json!({"id": "1"}))
            } else {
                g(json!({"id": "1"}))
            };
            let mut replaced = body.clone();
            replaced["id"] = json!("1");
            check(
                rt,
                Replace,
                body.clone(),
                Some(existing),
                expected.map(|_| replaced.clone()),
            );
            if name.is_empty() {
                continue; // "" is unassigned (RFC 7643 §2.5): required, refused anyway.
            }
            // Stored before the rule: a write that keeps it is not refused for it.
            let mut stored = body.clone();
            stored["id"] = json!("1");
            let mut kept = body.clone();
            kept["nickName"] = json!("n");
            let expected_kept = if rt == "User" {
                let mut out = kept.clone();
                out["id"] = json!("1");
                Ok(out)
            } else {
                kept = body.clone();
                Ok(replaced.clone())
            };
            check(rt, Replace, kept, Some(stored), expected_kept);
        }
    }
}

#[test]
fn write_only_password() {
    let stored = u(json!({"id": "1", "password": "old"}));
    check(
        "User",
        Create,
        u(json!({"password": "s3cret"})),
        None,
        Ok(u(json!({"password": "s3cret"}))),
    );
    check(
        "User",
        Replace,
        u(json!({"displayName": "B"})),
        Some(stored.clone()),
        Ok(u(json!({"id": "1", "displayName": "B", "password": "old"}))),
    );
    check(
        "User",
        Replace,
        u(json!({"password": "new"})),
        Some(stored.clone()),
        Ok(u(json!({"id": "1", "password": "new"}))),
    );
    // PATCH input is the patched resource: a removed password is removed.
    check(
        "User",
        Patch,
        u(json!({})),
        Some(stored),
        Ok(u(json!({"id": "1"}))),
    );
    check(
        "User",
        Create,
        u(json!({"password": 5})),
        None,
        Err("invalidValue"),
    );
}

#[test]
fn immutable() {
    let stored = u(json!({"id": "1", ACME: {"badge": "B-1"}}));
    // Create or nothing stored: may be set.
    check(
        "User",
        Create,
        u(json!({ACME: {"badge": "B-1"}})),
        None,
        Ok(u(json!({ACME: {"badge": "B-1"}}))),
    );
    check(
        "User",
        Replace,
        u(json!({ACME: {"badge": "B-2"}})),
        Some(u(json!({"id": "1"}))),
        Ok(u(json!({"id": "1", ACME: {"badge": "B-2"}}))),
    );
    // Same value (caseExact false): fine, kept as stored.
    check(
        "User",
        Replace,
        u(json!({ACME: {"badge": "b-1"}})),
        Some(stored.clone()),
        Ok(stored.clone()),
    );
    check(
        "User",
        Patch,
        u(json!({ACME: {"badge": "B-1"}})),
        Some(stored.clone()),
        Ok(stored.clone()),
    );
    // Changed: mutability.
    check(
        "User",
        Replace,
        u(json!({ACME: {"badge": "B-2"}})),
        Some(stored.clone()),
        Err("mutability"),
    );
    check(
        "User",
        Patch,
        u(json!({ACME: {"badge": "B-2"}})),
        Some(stored.clone()),
        Err("mutability"),
    );
    // Left out of a replace: kept. Removed by a PATCH: mutability.
    check(
        "User",
        Replace,
        u(json!({})),
        Some(stored.clone()),
        Ok(stored.clone()),
    );
    check("User", Patch, u(json!({})), Some(stored), Err("mutability"));
    // members.type is immutable per member.
    let group = g(json!({"id": "g", "members": [{"value": "u1", "type": "User"}]}));
    check(
        "Group",
        Replace,
        g(json!({"members": [{"value": "u1", "type": "Group"}]})),
        Some(group.clone()),
        Err("mutability"),
    );
    check(
        "Group",
        Replace,
        g(json!({"members": [{"value": "u1"}]})),
        Some(group.clone()),
        Ok(group.clone()),
    );
    check(
        "Group",
        Replace,
        g(json!({"members": [{"value": "u2", "type": "Group"}]})),
        Some(group),
        Ok(g(
            json!({"id": "g", "members": [{"value": "u2", "type": "Group"}]}),
        )),
    );
}

#[test]
fn group_members() {
    check(
        "Group",
        Create,
        g(json!({"members": [{"display": "x"}]})),
        None,
        Err("invalidValue"),
    );
    check(
        "Group",
        Create,
        g(json!({"members": [{"value": ""}]})),
        None,
        Err("invalidValue"),
    );
    check(
        "Group",
        Create,
        g(json!({"members": [{"type": "User"}]})),
        None,
        Err("invalidValue"),
    );
    check(
        "Group",
        Create,
        g(json!({"members": [{"value": 5}]})),
        None,
        Err("invalidValue"),
    );
    check(
        "Group",
        Create,
        g(json!({"members": ["u1"]})),
        None,
        Err("invalidValue"),
    );
    check(
        "Group",
        Create,
        g(json!({"members": {"value": "u1"}})),
        None,
        Ok(g(json!({"members": [{"value": "u1"}]}))),
    );
    check(
        "Group",
        Create,
        g(
            json!({"members": [{"VALUE": "u1", "$REF": "https://x/Users/u1", "Type": "User"}, {"value": "u1"}, null]}),
        ),
        None,
        Ok(g(
            json!({"members": [{"value": "u1", "$ref": "https://x/Users/u1", "type": "User"}]}),
        )),
    );
    check(
        "Group",
        Create,
        g(json!({"members": []})),
        None,
        Ok(g(json!({}))),
    );
    check(
        "Group",
        Create,
        g(json!({"externalId": "E1", "DisplayName": "x"})),
        None,
        Err("invalidSyntax"),
    );
    check(
        "Group",
        Create,
        json!({"schemas": [GROUP], "externalId": "E1", "DisplayName": "x"}),
        None,
        Ok(json!({"schemas": [GROUP], "externalId": "E1", "displayName": "x"})),
    );
}

#[test]
fn odd_input_is_a_400_not_a_panic() {
    let inputs = [
        json!({"schemas": [USER], "userName": "a", "emails": [{"value": {"deep": [1, 2, {"x": null}]}}]}),
        json!({"schemas": [USER], "userName": "a", ENT: {"manager": ["m"]}}),
        json!({"schemas": [USER], "userName": "a", ENT: {"manager": 5}}),
        json!({"schemas": [USER], "userName": "a", "name": {"givenName": [[[]]]}}),
        json!({"schemas": [USER, USER], "userName": "a", "active": null, "emails": [1, "x"]}),
    ];
    for input in inputs {
        let (got, _) = run("User", Create, Dialect::Lenient, &input, None);
        assert_eq!(got.map_err(|e| e.0), Err(400), "{input}");
    }
}

const RFC_8_2_USER: &str = r#"{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "id": "2819c223-7f76-453a-919d-413861904646",
  "externalId": "701984",
  "userName": "bjensen@example.com",
  "name": {
    "formatted": "Ms. Barbara J Jensen, III",
    "familyName": "Jensen",
    "givenName": "Barbara",
    "middleName": "Jane",
    "honorificPrefix": "Ms.",
    "honorificSuffix": "III"
  },
  "displayName": "Babs Jensen",
  "nickName": "Babs",
  "profileUrl": "https://login.example.com/bjensen",
  "emails": [
    {"value": "bjensen@example.com", "type": "work", "primary": true},
    {"value": "babs@jensen.org", "type": "home"}
  ],
  "addresses": [
    {
      "type": "work",
      "streetAddress": "100 Universal City Plaza",
      "locality": "Hollywood",
      "region": "CA",
      "postalCode": "91608",
      "country": "USA",
      "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA",
      "primary": true
    },
    {
      "type": "home",
      "streetAddress": "456 Hollywood Blvd",
      "locality": "Hollywood",
      "region": "CA",
      "postalCode": "91608",
      "country": "USA",
      "formatted": "456 Hollywood Blvd\nHollywood, CA 91608 USA"
    }
  ],
  "phoneNumbers": [
    {"value": "555-555-5555", "type": "work"},
    {"value": "555-555-4444", "type": "mobile"}
  ],
  "ims": [{"value": "someaimhandle", "type": "aim"}],
  "photos": [
    {"value": "https://photos.example.com/profilephoto/72930000000Ccne/F", "type": "photo"},
    {"value": "https://photos.example.com/profilephoto/72930000000Ccne/T", "type": "thumbnail"}
  ],
  "userType": "Employee",
  "title": "Tour Guide",
  "preferredLanguage": "en-US",
  "locale": "en-US",
  "timezone": "America/Los_Angeles",
  "active": true,
  "password": "t1meMa$heen",
  "groups": [
    {"value": "e9e30dba-f08f-4109-8486-d5c6a331660a", "$ref": "https://example.com/v2/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a", "display": "Tour Guides"},
    {"value": "fc348aa8-3835-40eb-a20b-c726e15c55b5", "$ref": "https://example.com/v2/Groups/fc348aa8-3835-40eb-a20b-c726e15c55b5", "display": "Employees"},
    {"value": "71ddacd2-a8e7-49b8-a5db-ae50d0a5bfd7", "$ref": "https://example.com/v2/Groups/71ddacd2-a8e7-49b8-a5db-ae50d0a5bfd7", "display": "US Employees"}
  ],
  "x509Certificates": [
    {"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMxEzARBgNVBAgMCkNhbGlmb3JuaWExFDASBgNVBAoMC2V4YW1wbGUuY29tMRQwEgYDVQQDDAtleGFtcGxlLmNvbTAeFw0xMTEwMjIwNjI0MzFaFw0xMjEwMDQwNjI0MzFaMH8xCzAJBgNVBAYTAlVTMRMwEQYDVQQIDApDYWxpZm9ybmlhMRQwEgYDVQQKDAtleGFtcGxlLmNvbTEhMB8GA1UEAwwYTXMuIEJhcmJhcmEgSiBKZW5zZW4gSUlJMSIwIAYJKoZIhvcNAQkBFhNiamVuc2VuQGV4YW1wbGUuY29tMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA7Kr+Dcds/JQ5GwejJFcBIP682X3xpjis56AK02bc1FLgzdLI8auoR+cC9/Vrh5t66HkQIOdA4unHh0AaZ4xL5PhVbXIPMB5vAPKpzz5iPSi8xO8SL7I7SDhcBVJhqVqr3HgllEG6UClDdHO7nkLuwXq8HcISKkbT5WFTVfFZzidPl8HZ7DhXkZIRtJwBweq4bvm3hM1Os7UQH05ZS6cVDgweKNwdLLrT51ikSQG3DYrl+ft781UQRIqxgwqCfXEuDiinPh0kkvIi5jivVu1Z9QiwlYEdRbLJ4zJQBmDrSGTMYn4lRc2HgHO4DqB/bnMVorHB0CC6AV1QoFK4GPe1LwIDAQABo3sweTAJBgNVHRMEAjAAMCwGCWCGSAGG+EIBDQQfFh1PcGVuU1NMIEdlbmVyYXRlZCBDZXJ0aWZpY2F0ZTAdBgNVHQ4EFgQU8pD0U0vsZIsaA16lL8En8bx0F/gwHwYDVR0jBBgwFoAUdGeKitcaF7gnzsNwDx708kqaVt0wDQYJKoZIhvcNAQEFBQADgYEAA81SsFnOdYJtNg5Tcq+/ByEDrBgnusx0jloUhByPMEVkoMZ3J7j1ZgI8rAbOkNngX8+pKfTiDz1RC4+dx8oU6Za+4NJXUjlL5CvV6BEYb1+QAEJwitTVvxB/A67g42/vzgAtoRUeDov1+GFiBZ+GNF/cAYKcMtGcrs2i97ZkJMo="}
  ],
  "meta": {
    "resourceType": "User",
    "created": "2010-01-23T04:56:22Z",
    "lastModified": "2011-05-13T04:42:34Z",
    "version": "W/\"a330bc54f0671c9\"",
    "location": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646"
  }
}"#;

const RFC_8_4_GROUP: &str = r#"{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
  "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
  "displayName": "Tour Guides",
  "members": [
    {
      "value": "2819c223-7f76-453a-919d-413861904646",
      "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
      "display": "Babs Jensen"
    },
    {
      "value": "902c246b-6245-4190-8e05-00816be7344a",
      "$ref": "https://example.com/v2/Users/902c246b-6245-4190-8e05-00816be7344a",
      "display": "Mandy Pepperidge"
    }
  ],
  "meta": {
    "resourceType": "Group",
    "created": "2010-01-23T04:56:22Z",
    "lastModified": "2011-05-13T04:42:34Z",
    "version": "W/\"3694e05e9dff592\"",
    "location": "https://example.com/v2/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a"
  }
}"#;

/// Remove top-level keys (and, for `members`, a sub-attribute) from a copy.
fn without(value: &Value, keys: &[&str]) -> Value {
    let mut copy = value.clone();
    if let Some(object) = copy.as_object_mut() {
        for key in keys {
            object.shift_remove(*key);
        }
    }
    copy
}

#[test]
fn rfc_7643_8_2_user() {
    let example: Value = serde_json::from_str(RFC_8_2_USER).unwrap();
    // Create: read-only `id`, `meta` and `groups` are dropped, the rest kept
    // as it is (already canonical), including the write-only password.
    let expected = without(&example, &["id", "meta", "groups"]);
    check("User", Create, example.clone(), None, Ok(expected));
    // Replace with itself as the stored resource: unchanged.
    check(
        "User",
        Replace,
        example.clone(),
        Some(example.clone()),
        Ok(example.clone()),
    );
    check(
        "User",
        Patch,
        example.clone(),
        Some(example.clone()),
        Ok(example.clone()),
    );
    // With the enterprise extension of §8.3.
    let mut enterprise = example.clone();
    enterprise["schemas"] = json!([USER, ENT]);
    enterprise[ENT] = json!({
        "employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios",
        "division": "Theme Park", "department": "Tour Operations",
        "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d",
            "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}});
    let mut expected = without(&enterprise, &["id", "meta", "groups"]);
    expected[ENT]["manager"] = json!({"value": "26118915-6090-4610-87e4-49d8ca9f808d",
        "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d"});
    check("User", Create, enterprise.clone(), None, Ok(expected));
    check(
        "User",
        Replace,
        enterprise.clone(),
        Some(enterprise.clone()),
        Ok(enterprise),
    );
}

#[test]
fn rfc_7643_8_4_group() {
    let example: Value = serde_json::from_str(RFC_8_4_GROUP).unwrap();
    let mut expected = without(&example, &["id", "meta"]);
    for member in expected["members"].as_array_mut().unwrap() {
        member.as_object_mut().unwrap().shift_remove("display");
    }
    check("Group", Create, example.clone(), None, Ok(expected));
    check(
        "Group",
        Replace,
        example.clone(),
        Some(example.clone()),
        Ok(example),
    );
}

/// Arbitrary JSON whose keys are mostly attribute names of the User type.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "schemas",
        "userName",
        "name",
        "givenName",
        "emails",
        "value",
        "type",
        "primary",
        "active",
        "password",
        "id",
        "meta",
        "groups",
        "display",
        ENT,
        ACME,
        "manager",
        "clearanceLevel",
        "hireDate",
        "x509Certificates",
        "tags",
        "USERNAME",
        "Emails",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        Just(json!({"value": "a@x", "type": "Work", "primary": "true"})),
        Just(json!({"givenName": "B", "familyName": "J"})),
        Just(json!([{"value": "m"}])),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(vec![
            "",
            "True",
            "work",
            "TWFu",
            "2008-01-23T04:56:22Z",
            USER,
            ENT,
            ACME
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..6).prop_map(|entries| Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect()
            )),
        ]
    })
}

proptest! {
    /// Any input, any stored resource, any operation, either dialect: a
    /// normalized resource or a 400, never a panic; and the output validates
    /// again to itself.
    #[test]
    fn never_panics_and_output_is_a_fixed_point(
        input in arbitrary_json(),
        stored in proptest::option::of(arbitrary_json()),
        op in prop::sample::select(vec![Create, Replace, Patch]),
        strict in any::<bool>(),
        with_base in any::<bool>(),
    ) {
        // Half the inputs carry a valid `schemas` and `userName`, so that
        // the walk gets past them.
        let mut input = input;
        if let (true, Some(object)) = (with_base, input.as_object_mut()) {
            object.insert("schemas".into(), json!([USER, ENT, ACME]));
            object.insert("userName".into(), json!("u"));
        }
        let dialect = if strict { Dialect::Strict } else { Dialect::Lenient };
        let (got, _) = run("User", op, dialect, &input, stored.as_ref());
        // A store only ever holds normalized resources; the fixed point is promised for those
        // (a stored password that is an object, say, is carried over as it is).
        let stored_is_normalized = stored.as_ref().is_none_or(|stored| {
            run("User", Replace, Dialect::Strict, stored, Some(stored)).0.as_ref() == Ok(stored)
        });
        match got {
            Err((status, _)) => prop_assert_eq!(status, 400),
            Ok(output) if stored_is_normalized => {
                let (again, tolerated) = run("User", Replace, Dialect::Strict, &output, Some(&output));
                prop_assert_eq!(again, Ok(output));
                prop_assert!(tolerated.is_empty());
            }
            Ok(_) => {}
        }
    }
}
