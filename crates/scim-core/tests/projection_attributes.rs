//! `Projection`: `attributes` / `excludedAttributes` rows, `excludes`, and a
//! property: `id` and `schemas` always survive, `password` never does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use scim_core::schema::{AttributeDef, Returned, Schema};
use scim_core::{AttrPath, Projection, SchemaRegistry, project_default};
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ACME: &str = "urn:example:params:scim:schemas:extension:acme:2.0:User";

fn registry() -> SchemaRegistry {
    let mut registry = SchemaRegistry::standard();
    let acme = Schema::new(
        ACME,
        "AcmeUser",
        "",
        vec![
            AttributeDef::string("costCenter"),
            AttributeDef::string("secretCode").returned(Returned::Request),
        ],
    );
    registry.add_extension("User", acme, false).unwrap();
    registry
}

fn user() -> Value {
    json!({
        "schemas": [USER, ENT, ACME],
        "id": "2819c223",
        "externalId": "701984",
        "meta": {"resourceType": "User", "version": "W/\"1\""},
        "userName": "bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "displayName": "Babs",
        "password": "t1meMa$heen",
        "emails": [{"value": "a@x", "type": "work", "primary": true}, {"value": "b@x", "type": "home"}],
        "groups": [{"value": "g1", "display": "Tour Guides"}],
        ENT: {"employeeNumber": "7", "manager": {"value": "m", "displayName": "Boss"}},
        ACME: {"costCenter": "4130", "secretCode": "s"}
    })
}

/// Project the sample user; `expected` lists the top-level keys (and the
/// value of some) of the result.
fn project(attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let registry = registry();
    let rt = registry.resource_type("User").unwrap().clone();
    let projection = Projection::parse(&registry, &rt, attributes, excluded).unwrap();
    projection.apply(&registry, &rt, &user())
}

fn check(attributes: Option<&str>, excluded: Option<&str>, expected: Value) {
    assert_eq!(
        project(attributes, excluded),
        expected,
        "attributes={attributes:?} excluded={excluded:?}"
    );
}

fn base() -> serde_json::Map<String, Value> {
    json!({"schemas": [USER, ENT, ACME], "id": "2819c223"})
        .as_object()
        .unwrap()
        .clone()
}

fn with(extra: Value) -> Value {
    let mut object = base();
    object.extend(extra.as_object().unwrap().clone());
    Value::Object(object)
}

#[test]
fn default_projection() {
    let mut expected = user();
    let object = expected.as_object_mut().unwrap();
    object.shift_remove("password");
    object[ACME] = json!({"costCenter": "4130"});
    check(None, None, expected.clone());
    check(Some(""), Some(" "), expected.clone());
    let registry = registry();
    let rt = registry.resource_type("User").unwrap();
    assert_eq!(project_default(&registry, rt, &user()), expected);
}

#[test]
fn attributes() {
    check(Some("userName"), None, with(json!({"userName": "bjensen"})));
    check(
        Some("USERNAME, displayName"),
        None,
        with(json!({"userName": "bjensen", "displayName": "Babs"})),
    );
    check(
        Some("name"),
        None,
        with(json!({"name": {"givenName": "Barbara", "familyName": "Jensen"}})),
    );
    check(
        Some("name.givenName"),
        None,
        with(json!({"name": {"givenName": "Barbara"}})),
    );
    check(
        Some("name.givenName,name.familyName"),
        None,
        with(json!({"name": {"givenName": "Barbara", "familyName": "Jensen"}})),
    );
    check(
        Some("emails.value"),
        None,
        with(json!({"emails": [{"value": "a@x"}, {"value": "b@x"}]})),
    );
    check(Some("emails.display"), None, with(json!({})));
    check(
        Some(&format!("{USER}:userName")),
        None,
        with(json!({"userName": "bjensen"})),
    );
    check(
        Some("meta"),
        None,
        with(json!({"meta": {"resourceType": "User", "version": "W/\"1\""}})),
    );
    check(
        Some("meta.version"),
        None,
        with(json!({"meta": {"version": "W/\"1\""}})),
    );
    // `never` even when asked for; `always` even when not.
    check(Some("password"), None, with(json!({})));
    check(Some("id"), None, with(json!({})));
    // Unknown names are ignored.
    check(Some("nickName,bogus,urn:x:y:z"), None, with(json!({})));
    // Extensions: whole, one attribute, sub-attribute, `request` attributes.
    check(
        Some(ENT),
        None,
        with(
            json!({ENT: {"employeeNumber": "7", "manager": {"value": "m", "displayName": "Boss"}}}),
        ),
    );
    check(
        Some(&ENT.to_lowercase()),
        None,
        with(
            json!({ENT: {"employeeNumber": "7", "manager": {"value": "m", "displayName": "Boss"}}}),
        ),
    );
    check(
        Some(&format!("{ENT}:manager")),
        None,
        with(json!({ENT: {"manager": {"value": "m", "displayName": "Boss"}}})),
    );
    check(
        Some(&format!("{ENT}:manager.value")),
        None,
        with(json!({ENT: {"manager": {"value": "m"}}})),
    );
    check(Some(&format!("{ENT}:division")), None, with(json!({})));
    check(
        Some(&format!("{ACME}:secretCode")),
        None,
        with(json!({ACME: {"secretCode": "s"}})),
    );
    check(
        Some(ACME),
        None,
        with(json!({ACME: {"costCenter": "4130", "secretCode": "s"}})),
    );
    // `attributes` wins over `excludedAttributes`.
    check(
        Some("userName"),
        Some("userName"),
        with(json!({"userName": "bjensen"})),
    );
}

#[test]
fn excluded_attributes() {
    let without = |keys: &[&str]| {
        let mut value = project(None, None);
        for key in keys {
            value.as_object_mut().unwrap().shift_remove(*key);
        }
        value
    };
    check(None, Some("emails"), without(&["emails"]));
    check(
        None,
        Some("EMAILS,groups,meta"),
        without(&["emails", "groups", "meta"]),
    );
    check(None, Some("id,schemas"), without(&[]));
    check(None, Some(ENT), without(&[ENT]));
    check(None, Some(&format!("{ACME}:costCenter")), without(&[ACME]));
    let mut expected = without(&[]);
    expected["name"] = json!({"familyName": "Jensen"});
    check(None, Some("name.givenName"), expected);
    let mut expected = without(&[]);
    expected["emails"] = json!([{"value": "a@x", "primary": true}, {"value": "b@x"}]);
    check(None, Some("emails.type"), expected);
    let mut expected = without(&[]);
    expected[ENT] = json!({"employeeNumber": "7"});
    check(None, Some(&format!("{ENT}:manager")), expected);
    check(None, Some("bogus"), without(&[]));
}

#[test]
fn invalid_entries_are_400() {
    let registry = registry();
    let rt = registry.resource_type("User").unwrap();
    for bad in ["1abc", "name.given.name", "a b", "emails[type eq \"work\"]"] {
        let err = Projection::parse(&registry, rt, Some(bad), None).unwrap_err();
        assert_eq!(
            (err.status, err.scim_type.map(|t| t.as_str())),
            (400, Some("invalidValue")),
            "{bad}"
        );
        let err = Projection::parse(&registry, rt, None, Some(bad)).unwrap_err();
        assert_eq!(err.status, 400, "{bad}");
    }
}

#[test]
fn excludes() {
    let registry = registry();
    let rt = registry.resource_type("User").unwrap();
    let group_rt = registry.resource_type("Group").unwrap();
    // (resource type, attributes, excludedAttributes, path, excluded?)
    type Row<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a str, bool);
    let cases: &[Row<'_>] = &[
        ("User", None, None, "emails", false),
        ("User", None, None, "password", true),
        ("User", None, None, "bogus", false),
        ("User", None, None, &format!("{ACME}:secretCode"), true),
        ("User", Some("userName"), None, "emails", true),
        ("User", Some("userName"), None, "id", false),
        ("User", Some("userName"), None, "USERNAME", false),
        ("User", Some("emails.value"), None, "emails", false),
        ("User", Some("emails.value"), None, "emails.type", true),
        ("User", Some("emails"), None, "emails.type", false),
        ("User", Some(ENT), None, &format!("{ENT}:manager"), false),
        ("User", Some(ENT), None, ENT, false),
        ("User", Some("userName"), None, ENT, true),
        ("User", None, Some(ENT), ENT, true),
        (
            "User",
            None,
            Some(ENT),
            &format!("{ENT}:manager.value"),
            true,
        ),
        ("User", None, Some("name.givenName"), "name", false),
        ("User", None, Some("name.givenName"), "name.givenName", true),
        ("User", None, Some("id"), "id", false),
        ("Group", None, Some("members"), "members", true),
        ("Group", None, Some("members"), "members.value", true),
        ("Group", None, Some("displayName"), "members", false),
        ("Group", Some("displayName"), None, "members", true),
        ("Group", None, None, "members", false),
    ];
    for (rt_name, attributes, excluded, path, expected) in cases {
        let rt = if *rt_name == "User" { rt } else { group_rt };
        let projection = Projection::parse(&registry, rt, *attributes, *excluded).unwrap();
        let path = AttrPath::parse(path).unwrap();
        assert_eq!(
            projection.excludes(&registry, rt, &path),
            *expected,
            "{rt_name} attributes={attributes:?} excluded={excluded:?} path={path}"
        );
    }
}

/// Attribute names the property draws from: every attribute and
/// sub-attribute of User, plus whole extensions and unknown names.
fn names() -> Vec<String> {
    let registry = registry();
    let rt = registry.resource_type("User").unwrap();
    let mut names = vec![
        "id".to_owned(),
        "schemas".to_owned(),
        "bogus".to_owned(),
        ENT.to_owned(),
        ACME.to_owned(),
    ];
    for attribute in registry
        .common_attributes()
        .iter()
        .chain(&registry.schema(USER).unwrap().attributes)
    {
        names.push(attribute.name.clone());
        for sub in &attribute.sub_attributes {
            names.push(format!("{}.{}", attribute.name, sub.name));
        }
    }
    for extension in &rt.schema_extensions {
        for attribute in &registry.schema(&extension.schema).unwrap().attributes {
            names.push(format!("{}:{}", extension.schema, attribute.name));
        }
    }
    names
}

fn list() -> impl Strategy<Value = Option<String>> {
    let names = names();
    proptest::option::of(
        proptest::collection::vec(proptest::sample::select(names), 0..6).prop_map(|v| v.join(",")),
    )
}

fn resource() -> impl Strategy<Value = Value> {
    let optional = |value: Value| proptest::option::of(Just(value));
    (
        optional(json!({"givenName": "B", "familyName": "J"})),
        optional(json!([{"value": "a@x", "type": "work"}])),
        optional(json!("secret")),
        optional(json!({"employeeNumber": "7", "manager": {"value": "m"}})),
        optional(json!({"costCenter": "1", "secretCode": "s"})),
        optional(json!({"resourceType": "User"})),
    )
        .prop_map(|(name, emails, password, ent, acme, meta)| {
            let mut object = json!({"schemas": [USER], "id": "i", "userName": "u"});
            let map = object.as_object_mut().unwrap();
            for (key, value) in [
                ("name", name),
                ("emails", emails),
                ("password", password),
                (ENT, ent),
                (ACME, acme),
                ("meta", meta),
            ] {
                if let Some(value) = value {
                    map.insert(key.to_owned(), value);
                }
            }
            object
        })
}

proptest! {
    #[test]
    fn id_and_schemas_always_survive(attributes in list(), excluded in list(), resource in resource()) {
        let registry = registry();
        let rt = registry.resource_type("User").unwrap();
        let projection = Projection::parse(&registry, rt, attributes.as_deref(), excluded.as_deref()).unwrap();
        let projected = projection.apply(&registry, rt, &resource);
        prop_assert_eq!(projected.get("id"), resource.get("id"));
        prop_assert_eq!(projected.get("schemas"), resource.get("schemas"));
        prop_assert!(projected.get("password").is_none());
        // Whatever the projection keeps, `excludes` did not rule out.
        for key in projected.as_object().unwrap().keys() {
            if key != "schemas" {
                prop_assert!(!projection.excludes(&registry, rt, &AttrPath::parse(key).unwrap()), "{}", key);
            }
        }
    }
}
