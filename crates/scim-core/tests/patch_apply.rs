//! `apply_patch`: data-driven rows for User and Group, the RFC 7644 §3.5.2
//! examples, the IdP dialect forms in both dialects, and error rows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use scim_core::patch::{PatchRequest, apply_patch};
use scim_core::{Deviation, Dialect, DialectContext, Operation, SchemaRegistry, validate_resource};
use serde_json::{Value, json};

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

use Dialect::{Lenient, Strict};

/// What a row expects.
enum Expect {
    /// These attributes after the PATCH (`null`: absent), and whether it changed anything.
    Attrs(Value, bool),
    /// A 400 with this scimType.
    Error(&'static str),
}
use Expect::{Attrs, Error};

fn stored(rt: &str, resource: Value) -> Value {
    let registry = SchemaRegistry::standard();
    let rt = registry.resource_type(rt).unwrap().clone();
    let mut ctx = DialectContext::new(Strict);
    let mut value =
        validate_resource(&registry, &rt, &resource, None, Operation::Create, &mut ctx).unwrap();
    let object = value.as_object_mut().unwrap();
    object.insert("id".into(), json!("2819c223"));
    object.insert(
        "meta".into(),
        json!({"resourceType": rt.id, "version": "W/\"1\""}),
    );
    value
}

fn user() -> Value {
    stored(
        "User",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
            "userName": "bjensen",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "active": true,
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
            ENT: {"employeeNumber": "701984", "manager": {"value": "26118915"}}
        }),
    )
}

fn group() -> Value {
    stored(
        "Group",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Tour Guides",
            "members": [{"value": "a", "type": "User"}, {"value": "b", "type": "User"}]
        }),
    )
}

fn body(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

fn run(
    rt: &str,
    resource: &Value,
    body: &Value,
    dialect: Dialect,
) -> (
    Result<scim_core::patch::PatchOutcome, scim_core::ScimError>,
    Vec<Deviation>,
) {
    let registry = SchemaRegistry::standard();
    let rt = registry.resource_type(rt).unwrap().clone();
    let mut ctx = DialectContext::new(dialect);
    let result = PatchRequest::parse(body, &mut ctx)
        .and_then(|request| apply_patch(&registry, &rt, resource, &request, &mut ctx));
    (result, ctx.tolerated)
}

fn check(rt: &str, resource: Value, ops: Value, dialect: Dialect, expected: Expect) {
    let before = resource.clone();
    let (result, _) = run(rt, &resource, &body(ops.clone()), dialect);
    assert_eq!(resource, before, "the input is never modified");
    match (result, expected) {
        (Ok(outcome), Attrs(attrs, changed)) => {
            for (key, value) in attrs.as_object().unwrap() {
                let got = outcome.resource.get(key).cloned().unwrap_or(Value::Null);
                assert_eq!(&got, value, "{key} after {ops} ({dialect:?})");
            }
            assert_eq!(
                outcome.changed, changed,
                "changed after {ops} ({dialect:?})"
            );
        }
        (Err(error), Error(scim_type)) => {
            assert_eq!(error.status, 400, "{ops}: {error}");
            assert_eq!(
                error.scim_type.map(|t| t.as_str()),
                Some(scim_type),
                "{ops} ({dialect:?}): {error}"
            );
        }
        (Ok(outcome), Error(scim_type)) => {
            panic!(
                "{ops} ({dialect:?}): expected {scim_type}, got {}",
                outcome.resource
            )
        }
        (Err(error), Attrs(..)) => panic!("{ops} ({dialect:?}): unexpected {error}"),
    }
}

#[test]
fn rfc_7644_add_examples() {
    // §3.5.2.1: path-less add of emails and nickName.
    check(
        "User",
        user(),
        json!([{"op": "add", "value": {"emails": [{"value": "babs@jensen.org", "type": "home"}], "nickName": "Babs"}}]),
        Strict,
        Attrs(
            json!({"nickName": "Babs", "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}]}),
            true,
        ),
    );
    // §3.5.2.1: add members with a path.
    check(
        "Group",
        group(),
        json!([{"op": "add", "path": "members", "value": [{"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/2819c223", "value": "2819c223"}]}]),
        Strict,
        Attrs(
            json!({"members": [
                {"value": "a", "type": "User"}, {"value": "b", "type": "User"},
                {"value": "2819c223", "$ref": "https://example.com/v2/Users/2819c223"}]}),
            true,
        ),
    );
}

#[test]
fn add_rows() {
    let rows: Vec<(Value, Dialect, Expect)> = vec![
        (
            json!([{"op": "add", "path": "phoneNumbers", "value": [{"type": "mobile", "value": "555-1234"}]}]),
            Strict,
            Attrs(
                json!({"phoneNumbers": [{"type": "mobile", "value": "555-1234"}]}),
                true,
            ),
        ),
        (
            json!([{"op": "add", "path": "name.middleName", "value": "Jane"}]),
            Strict,
            Attrs(
                json!({"name": {"givenName": "Barbara", "familyName": "Jensen", "middleName": "Jane"}}),
                true,
            ),
        ),
        (
            json!([{"op": "add", "path": "NAME", "value": {"MiddleName": "Jane"}}]),
            Strict,
            Attrs(
                json!({"name": {"givenName": "Barbara", "familyName": "Jensen", "middleName": "Jane"}}),
                true,
            ),
        ),
        (
            json!([{"op": "add", "path": "emails", "value": [{"value": "bjensen@example.com", "type": "work", "primary": true}]}]),
            Strict,
            Attrs(
                json!({"emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}]}),
                false,
            ),
        ),
        (
            json!([{"op": "add", "path": "emails", "value": [{"value": "b@home.org", "type": "home", "primary": true}]}]),
            Strict,
            Attrs(
                json!({"emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": false},
                {"value": "b@home.org", "type": "home", "primary": true}]}),
                true,
            ),
        ),
        (
            json!([{"op": "add", "path": "userName", "value": "babs"}]),
            Strict,
            Attrs(json!({"userName": "babs"}), true),
        ),
        (
            json!([{"op": "add", "path": format!("{ENT}:department"), "value": "Tour"}]),
            Strict,
            Attrs(
                json!({ENT: {"employeeNumber": "701984", "department": "Tour", "manager": {"value": "26118915"}}}),
                true,
            ),
        ),
        (
            json!([{"op": "add", "path": ENT, "value": {"department": "Tour"}}]),
            Strict,
            Attrs(
                json!({ENT: {"employeeNumber": "701984", "department": "Tour", "manager": {"value": "26118915"}}}),
                true,
            ),
        ),
        (
            json!([{"op": "add", "value": {ENT: {"costCenter": "4130"}}}]),
            Strict,
            Attrs(
                json!({ENT: {"employeeNumber": "701984", "costCenter": "4130", "manager": {"value": "26118915"}}}),
                true,
            ),
        ),
        (
            json!([{"op": "add", "path": "nickName", "value": "Babs"}, {"op": "add", "path": "nickName", "value": "Bab"}]),
            Strict,
            Attrs(json!({"nickName": "Bab"}), true),
        ),
    ];
    for (ops, dialect, expected) in rows {
        check("User", user(), ops, dialect, expected);
    }
}

#[test]
fn replace_and_remove_rows() {
    let rows: Vec<(Value, Dialect, Expect)> = vec![
        // §3.5.2.3: path-less replace of emails and nickName.
        (
            json!([{"op": "replace", "value": {"emails": [{"value": "bjensen@example.com", "type": "work"}, {"value": "babs@jensen.org", "type": "home"}], "nickName": "Babs"}}]),
            Strict,
            Attrs(
                json!({"nickName": "Babs", "emails": [{"value": "bjensen@example.com", "type": "work"}, {"value": "babs@jensen.org", "type": "home"}]}),
                true,
            ),
        ),
        (
            json!([{"op": "replace", "path": "name", "value": {"givenName": "Babs"}}]),
            Strict,
            Attrs(
                json!({"name": {"givenName": "Babs", "familyName": "Jensen"}}),
                true,
            ),
        ),
        (
            json!([{"op": "replace", "path": "userName", "value": "bjensen"}]),
            Strict,
            Attrs(json!({"userName": "bjensen"}), false),
        ),
        (
            json!([{"op": "replace", "path": "emails", "value": [{"value": "x@example.com"}]}]),
            Strict,
            Attrs(json!({"emails": [{"value": "x@example.com"}]}), true),
        ),
        (
            json!([{"op": "replace", "path": "nickName", "value": "Babs"}]),
            Strict,
            Attrs(json!({"nickName": "Babs"}), true),
        ),
        (
            json!([{"op": "replace", "path": "name.givenName", "value": null}]),
            Strict,
            Attrs(json!({"name": {"familyName": "Jensen"}}), true),
        ),
        // Okta deactivation: path-less replace of active.
        (
            json!([{"op": "replace", "value": {"active": false}}]),
            Strict,
            Attrs(json!({"active": false}), true),
        ),
        (
            json!([{"op": "remove", "path": "name.givenName"}]),
            Strict,
            Attrs(json!({"name": {"familyName": "Jensen"}}), true),
        ),
        (
            json!([{"op": "remove", "path": "emails"}]),
            Strict,
            Attrs(json!({"emails": null}), true),
        ),
        (
            json!([{"op": "remove", "path": "nickName"}]),
            Strict,
            Attrs(json!({"nickName": null}), false),
        ),
        (
            json!([{"op": "remove", "path": format!("{ENT}:manager")}]),
            Strict,
            Attrs(json!({ENT: {"employeeNumber": "701984"}}), true),
        ),
        (
            json!([{"op": "remove", "path": ENT}]),
            Strict,
            Attrs(
                json!({ENT: null, "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}),
                true,
            ),
        ),
        (
            json!([{"op": "replace", "path": format!("{ENT}:manager.value"), "value": "42"}]),
            Strict,
            Attrs(
                json!({ENT: {"employeeNumber": "701984", "manager": {"value": "42"}}}),
                true,
            ),
        ),
    ];
    for (ops, dialect, expected) in rows {
        check("User", user(), ops, dialect, expected);
    }
}

#[test]
fn dialect_rows_in_both_dialects() {
    let manager = |value: Value| json!({ENT: value});
    let rows: Vec<(Value, Expect, Expect)> = vec![
        (
            json!([{"op": "Replace", "path": "active", "value": false}]),
            Attrs(json!({"active": false}), true),
            Error("invalidSyntax"),
        ),
        (
            json!([{"op": "REMOVE", "path": "nickName"}]),
            Attrs(json!({"nickName": null}), false),
            Error("invalidSyntax"),
        ),
        (
            json!([{"op": "replace", "path": "active", "value": "False"}]),
            Attrs(json!({"active": false}), true),
            Error("invalidValue"),
        ),
        (
            json!([{"op": "replace", "value": {"name.givenName": "Ann", format!("{ENT}:employeeNumber"): "7", "active": "False"}}]),
            Attrs(
                json!({"name": {"givenName": "Ann", "familyName": "Jensen"}, "active": false,
                ENT: {"employeeNumber": "7", "manager": {"value": "26118915"}}}),
                true,
            ),
            Error("invalidSyntax"),
        ),
        (
            json!([{"op": "add", "path": format!("{ENT}:manager"), "value": "abc"}]),
            Attrs(
                manager(json!({"employeeNumber": "701984", "manager": {"value": "abc"}})),
                true,
            ),
            Error("invalidValue"),
        ),
        (
            json!([{"op": "replace", "path": format!("{ENT}:manager"), "value": ""}]),
            Attrs(manager(json!({"employeeNumber": "701984"})), true),
            Error("invalidValue"),
        ),
    ];
    for (ops, lenient, strict) in rows {
        check("User", user(), ops.clone(), Lenient, lenient);
        check("User", user(), ops, Strict, strict);
    }
}

#[test]
fn error_rows() {
    let rows: Vec<(Value, &str)> = vec![
        (json!([{"path": "nickName", "value": "x"}]), "invalidSyntax"),
        (
            json!([{"op": "delete", "path": "nickName"}]),
            "invalidSyntax",
        ),
        (json!([{"op": 1, "path": "nickName"}]), "invalidSyntax"),
        (json!([{"op": "remove"}]), "noTarget"),
        (json!([{"op": "add", "path": "nickName"}]), "invalidSyntax"),
        (json!([{"op": "add", "value": "x"}]), "invalidSyntax"),
        (json!([{"op": "replace", "value": ["x"]}]), "invalidSyntax"),
        (
            json!([{"op": "add", "path": "nope", "value": "x"}]),
            "invalidPath",
        ),
        (
            json!([{"op": "add", "path": "name.nope", "value": "x"}]),
            "invalidPath",
        ),
        (
            json!([{"op": "add", "path": "a.b.c", "value": "x"}]),
            "invalidPath",
        ),
        (
            json!([{"op": "add", "path": "emails[type eq \"work\"", "value": "x"}]),
            "invalidPath",
        ),
        (
            json!([{"op": "add", "path": 7, "value": "x"}]),
            "invalidSyntax",
        ),
        (
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            "mutability",
        ),
        (
            json!([{"op": "replace", "path": "meta.version", "value": "x"}]),
            "mutability",
        ),
        (
            json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
            "mutability",
        ),
        (json!([{"op": "remove", "path": "id"}]), "mutability"),
        (json!([{"op": "remove", "path": "userName"}]), "mutability"),
        (
            json!([{"op": "replace", "path": "active", "value": 5}]),
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "path": "name", "value": "Babs"}]),
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "path": "userName", "value": ["a", "b"]}]),
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "value": {"nope": 1}}]),
            "invalidPath",
        ),
        (
            json!([{"op": "add", "path": ENT, "value": "x"}]),
            "invalidValue",
        ),
        (
            json!([{"op": "add", "path": "nickName", "value": null}]),
            "invalidValue",
        ),
        (json!([]), "invalidSyntax"),
        (json!({}), "invalidSyntax"),
        (
            json!([{"op": "add", "path": "nickName", "value": "ok"}, {"op": "bad"}]),
            "invalidSyntax",
        ),
        (
            json!([{"op": "add", "path": "nickName", "value": "ok"}, {"op": "remove", "path": "userName"}]),
            "mutability",
        ),
    ];
    for (ops, scim_type) in rows {
        check("User", user(), ops, Lenient, Error(scim_type));
    }
}

#[test]
fn request_envelope_errors_name_the_operation() {
    let user = user();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"Operations": [{"op": "add", "value": {}}]}),
            "schemas",
        ),
        (json!({"schemas": ["urn:x"], "Operations": []}), "schemas"),
        (json!([1]), "object"),
        (
            json!({"schemas": [PATCH_OP.to_uppercase()], "operations": [{"op": "add", "path": "nickName", "value": "a"}, {"op": "x"}]}),
            "Operations[1].op",
        ),
        (
            body(
                json!([{"op": "add", "path": "nickName", "value": "a"}, {"op": "add", "path": "x[", "value": 1}]),
            ),
            "Operations[1].path",
        ),
        (
            body(
                json!([{"op": "add", "path": "nickName", "value": "a"}, {"op": "add", "path": "nope", "value": 1}]),
            ),
            "Operations[1]",
        ),
    ];
    for (body, needle) in cases {
        let (result, _) = run("User", &user, &body, Lenient);
        let error = result.expect_err(&body.to_string());
        assert_eq!(error.status, 400);
        assert!(error.detail.contains(needle), "{body}: {}", error.detail);
    }
}

#[test]
fn tolerated_deviations_are_recorded_by_name() {
    let ops = json!([{"op": "Replace", "value": {"name.givenName": "Ann", "active": "True"}}]);
    let (result, tolerated) = run("User", &user(), &body(ops), Lenient);
    assert!(result.is_ok());
    assert_eq!(
        tolerated,
        vec![
            Deviation::CapitalizedOperation,
            Deviation::PathKeysInValue,
            Deviation::BooleanAsString
        ]
    );
}

#[test]
fn change_report_names_canonical_paths() {
    let ops = json!([
        {"op": "replace", "path": "NICKNAME", "value": "Babs"},
        {"op": "replace", "path": format!("{ENT}:EmployeeNumber"), "value": "7"},
        {"op": "remove", "path": "emails"},
    ]);
    let (result, _) = run("User", &user(), &body(ops), Strict);
    let outcome = result.unwrap();
    let report: Vec<(String, Option<Value>, Option<Value>)> = outcome
        .changes
        .into_iter()
        .map(|c| (c.path, c.before, c.after))
        .collect();
    assert_eq!(
        report,
        vec![
            ("nickName".to_owned(), None, Some(json!("Babs"))),
            (
                format!("{ENT}:employeeNumber"),
                Some(json!("701984")),
                Some(json!("7"))
            ),
            (
                "emails".to_owned(),
                Some(json!([{"value": "bjensen@example.com", "type": "work", "primary": true}])),
                None
            ),
        ]
    );
    let (unchanged, _) = run(
        "User",
        &user(),
        &body(json!([{"op": "replace", "path": "active", "value": true}])),
        Strict,
    );
    let unchanged = unchanged.unwrap();
    assert!(!unchanged.changed);
    assert!(unchanged.changes.is_empty());
    assert_eq!(unchanged.resource, user());
}

fn user_with_two_emails() -> Value {
    stored(
        "User",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "bjensen",
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ]
        }),
    )
}

#[test]
fn value_filter_rows() {
    let work = json!({"value": "bjensen@example.com", "type": "work", "primary": true});
    let home = json!({"value": "babs@jensen.org", "type": "home"});
    let rows: Vec<(Value, Expect, Expect)> = vec![
        // RFC 7644 §3.5.2.3: replace the records a filter selects (the whole record).
        (
            json!([{"op": "replace", "path": "emails[type eq \"work\"]", "value": {"value": "b@work.com", "type": "work", "primary": true}}]),
            Attrs(
                json!({"emails": [{"value": "b@work.com", "type": "work", "primary": true}, home]}),
                true,
            ),
            Attrs(
                json!({"emails": [{"value": "b@work.com", "type": "work", "primary": true}, home]}),
                true,
            ),
        ),
        // RFC 7644 §3.5.2.3: replace a sub-attribute of the selected records.
        (
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@work.com"}]),
            Attrs(
                json!({"emails": [{"value": "b@work.com", "type": "work", "primary": true}, home]}),
                true,
            ),
            Attrs(
                json!({"emails": [{"value": "b@work.com", "type": "work", "primary": true}, home]}),
                true,
            ),
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "bjensen@example.com"}]),
            Attrs(json!({"emails": [work, home]}), false),
            Attrs(json!({"emails": [work, home]}), false),
        ),
        // A replace whose filter matches nothing has no target, in both dialects (RFC 7644
        // §3.5.2.3); only `add` creates the element the filter pins down.
        (
            json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": "x@y.z"}]),
            Error("noTarget"),
            Error("noTarget"),
        ),
        (
            json!([{"op": "replace", "path": "emails[type co \"oth\"].value", "value": "x@y.z"}]),
            Error("noTarget"),
            Error("noTarget"),
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq \"other\"]", "value": {"value": "x@y.z"}}]),
            Error("noTarget"),
            Error("noTarget"),
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
            Attrs(
                json!({"emails": [{"value": "bjensen@example.com", "type": "work", "primary": false},
                {"value": "babs@jensen.org", "type": "home", "primary": true}]}),
                true,
            ),
            Attrs(
                json!({"emails": [{"value": "bjensen@example.com", "type": "work", "primary": false},
                {"value": "babs@jensen.org", "type": "home", "primary": true}]}),
                true,
            ),
        ),
        (
            json!([{"op": "add", "path": "emails[type eq \"work\"].display", "value": "Work"}]),
            Attrs(
                json!({"emails": [{"value": "bjensen@example.com", "display": "Work", "type": "work", "primary": true}, home]}),
                true,
            ),
            Attrs(
                json!({"emails": [{"value": "bjensen@example.com", "display": "Work", "type": "work", "primary": true}, home]}),
                true,
            ),
        ),
        // Entra: add on a filtered sub-attribute creates the record.
        (
            json!([{"op": "Add", "path": "emails[type eq \"other\"].value", "value": "x@y.z"}]),
            Attrs(
                json!({"emails": [work, home, {"value": "x@y.z", "type": "other"}]}),
                true,
            ),
            Error("invalidSyntax"),
        ),
        (
            json!([{"op": "add", "path": "emails[type eq \"other\"].value", "value": "x@y.z"}]),
            Attrs(
                json!({"emails": [work, home, {"value": "x@y.z", "type": "other"}]}),
                true,
            ),
            Error("noTarget"),
        ),
        (
            json!([{"op": "add", "path": "emails[type eq \"other\" or type eq \"x\"].value", "value": "x@y.z"}]),
            Error("noTarget"),
            Error("noTarget"),
        ),
        // RFC 7644 §3.5.2.2: remove the records a filter selects.
        // A remove with a value on a multi-valued attribute removes only those values.
        (
            json!([{"op": "remove", "path": "emails", "value": [{"value": "babs@jensen.org", "type": "home"}]}]),
            Attrs(json!({"emails": [work]}), true),
            Error("noTarget"),
        ),
        (
            json!([{"op": "add", "value": {"nickName": null, "title": "Tour Guide"}}]),
            Attrs(json!({"nickName": null, "title": "Tour Guide"}), true),
            Attrs(json!({"nickName": null, "title": "Tour Guide"}), true),
        ),
        (
            json!([{"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}]),
            Attrs(json!({"emails": [home]}), true),
            Attrs(json!({"emails": [home]}), true),
        ),
        (
            json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]),
            Attrs(
                json!({"emails": [{"value": "bjensen@example.com", "type": "work"}, home]}),
                true,
            ),
            Attrs(
                json!({"emails": [{"value": "bjensen@example.com", "type": "work"}, home]}),
                true,
            ),
        ),
        (
            json!([{"op": "remove", "path": "emails[value co \"@\"]"}]),
            Attrs(json!({"emails": null}), true),
            Attrs(json!({"emails": null}), true),
        ),
        (
            json!([{"op": "remove", "path": "emails[type eq \"other\"]"}]),
            Attrs(json!({"emails": [work, home]}), false),
            Attrs(json!({"emails": [work, home]}), false),
        ),
        // A `]` inside the filter's string is not the end of the filter; nothing matches,
        // so the replace has no target (both dialects), and the add creates it (lenient).
        (
            json!([{"op": "replace", "path": "emails[value eq \"a]b\"].type", "value": "home"}]),
            Error("noTarget"),
            Error("noTarget"),
        ),
        (
            json!([{"op": "add", "path": "emails[value eq \"a]b\"].type", "value": "home"}]),
            Attrs(
                json!({"emails": [work, home, {"value": "a]b", "type": "home"}]}),
                true,
            ),
            Error("noTarget"),
        ),
        (
            json!([{"op": "remove", "path": "emails[type eq]"}]),
            Error("invalidFilter"),
            Error("invalidFilter"),
        ),
        (
            json!([{"op": "remove", "path": "emails[nope eq \"x\"]"}]),
            Error("invalidFilter"),
            Error("invalidFilter"),
        ),
        (
            json!([{"op": "remove", "path": "name[givenName eq \"x\"]"}]),
            Error("invalidPath"),
            Error("invalidPath"),
        ),
        (
            json!([{"op": "remove", "path": "userName[value eq \"x\"]"}]),
            Error("invalidPath"),
            Error("invalidPath"),
        ),
        (
            json!([{"op": "remove", "path": "emails[type eq \"work\"].nope"}]),
            Error("invalidPath"),
            Error("invalidPath"),
        ),
        (
            json!([{"op": "remove", "path": "emails[type eq \"work\"]x"}]),
            Error("invalidPath"),
            Error("invalidPath"),
        ),
    ];
    for (ops, lenient, strict) in rows {
        check(
            "User",
            user_with_two_emails(),
            ops.clone(),
            Lenient,
            lenient,
        );
        check("User", user_with_two_emails(), ops, Strict, strict);
    }
}

#[test]
fn filter_errors_point_into_the_whole_path() {
    let ops = json!([{"op": "remove", "path": "emails[type eq]"}]);
    let (result, _) = run("User", &user(), &body(ops), Strict);
    let error = result.unwrap_err();
    let span = error.span.clone().unwrap();
    assert!(span.start >= 7 && span.end <= 15, "{span:?}: {error}");
    assert!(error.detail.contains("Operations[0].path"), "{error}");
}

#[test]
fn custom_extension_paths() {
    use scim_core::schema::{AttributeDef, Schema};
    const ACME: &str = "urn:example:params:scim:schemas:extension:acme:2.0:User";
    let mut registry = SchemaRegistry::standard();
    let acme = Schema::new(
        ACME,
        "AcmeUser",
        "",
        vec![
            AttributeDef::string("costCenter"),
            AttributeDef::string("tags").multi(),
        ],
    );
    registry.add_extension("User", acme, false).unwrap();
    let rt = registry.resource_type("User").unwrap().clone();
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ACME],
        "userName": "bjensen",
        ACME: {"costCenter": "4130", "tags": ["a", "b", "c"]}
    });
    let rows: Vec<(Value, Result<Value, &str>)> = vec![
        (
            json!([{"op": "remove", "path": format!("{ACME}:tags[value eq \"b\"]")}]),
            Ok(json!({"costCenter": "4130", "tags": ["a", "c"]})),
        ),
        (
            json!([{"op": "replace", "path": format!("{ACME}:tags[value sw \"c\"]"), "value": "z"}]),
            Ok(json!({"costCenter": "4130", "tags": ["a", "b", "z"]})),
        ),
        (
            json!([{"op": "add", "path": format!("{ACME}:tags"), "value": ["c", "d"]}]),
            Ok(json!({"costCenter": "4130", "tags": ["a", "b", "c", "d"]})),
        ),
        (
            json!([{"op": "replace", "value": {ACME: {"COSTCENTER": "1"}}}]),
            Ok(json!({"costCenter": "1", "tags": ["a", "b", "c"]})),
        ),
        // scim2-models sends `schemas` inside the extension's object: not an attribute, ignored.
        (
            json!([{"op": "add", "path": ACME, "value": {"schemas": [ACME], "costCenter": "2"}}]),
            Ok(json!({"costCenter": "2", "tags": ["a", "b", "c"]})),
        ),
        (
            json!([{"op": "replace", "value": {ACME: {"schemas": [ACME], "costCenter": "3"}}}]),
            Ok(json!({"costCenter": "3", "tags": ["a", "b", "c"]})),
        ),
        (
            json!([{"op": "remove", "path": format!("{ACME}:costCenter")}, {"op": "remove", "path": format!("{ACME}:tags")}]),
            Ok(Value::Null),
        ),
        (
            json!([{"op": "remove", "path": format!("{ACME}:nope")}]),
            Err("invalidPath"),
        ),
    ];
    for (ops, expected) in rows {
        let mut ctx = DialectContext::new(Strict);
        let result = PatchRequest::parse(&body(ops.clone()), &mut ctx)
            .and_then(|request| apply_patch(&registry, &rt, &user, &request, &mut ctx));
        let got = result
            .map(|outcome| outcome.resource.get(ACME).cloned().unwrap_or(Value::Null))
            .map_err(|e| e.scim_type.map(|t| t.as_str()).unwrap_or_default());
        assert_eq!(got, expected, "{ops}");
    }
}

#[test]
fn entra_user_update_end_to_end() {
    let user = stored(
        "User",
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann@contoso.com", "active": true}),
    );
    let ops = json!([
        {"op": "Replace", "path": "displayName", "value": "Ann Smith"},
        {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "ann@contoso.com"},
        {"op": "Replace", "path": "name.givenName", "value": "Ann"},
        {"op": "Add", "path": format!("{ENT}:manager"), "value": "mgr-1"},
        {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555"},
        {"op": "Replace", "path": "active", "value": "False"}
    ]);
    let (result, tolerated) = run("User", &user, &body(ops.clone()), Lenient);
    let resource = result.unwrap().resource;
    assert_eq!(
        resource,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
            "id": "2819c223",
            "meta": {"resourceType": "User", "version": "W/\"1\""},
            "userName": "ann@contoso.com",
            "name": {"givenName": "Ann"},
            "displayName": "Ann Smith",
            "active": false,
            "emails": [{"value": "ann@contoso.com", "type": "work"}],
            "phoneNumbers": [{"value": "+1 555", "type": "mobile"}],
            ENT: {"manager": {"value": "mgr-1"}}
        })
    );
    for deviation in [
        Deviation::CapitalizedOperation,
        Deviation::AddCreatesFilteredTarget,
        Deviation::ManagerAsString,
        Deviation::BooleanAsString,
    ] {
        assert!(
            tolerated.contains(&deviation),
            "{deviation:?} in {tolerated:?}"
        );
    }
    let (strict, tolerated) = run("User", &user, &body(ops), Strict);
    assert_eq!(
        strict.unwrap_err().scim_type,
        Some(scim_core::ScimType::InvalidSyntax)
    );
    assert!(tolerated.is_empty());
}

#[test]
fn rfc_7644_replace_and_remove_examples() {
    let user = stored(
        "User",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "bjensen",
            "addresses": [
                {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "primary": true},
                {"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood"}
            ],
            "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEF"}]
        }),
    );
    let home =
        json!({"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood"});
    let rows: Vec<(Value, Expect)> = vec![
        // §3.5.2.3: replace a whole record selected by a filter.
        (
            json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": {
                "type": "work", "streetAddress": "911 Universal City Plaza", "locality": "Hollywood",
                "region": "CA", "postalCode": "91608", "country": "US", "primary": true}}]),
            Attrs(
                json!({"addresses": [{"type": "work", "streetAddress": "911 Universal City Plaza",
                "locality": "Hollywood", "region": "CA", "postalCode": "91608", "country": "US", "primary": true}, home]}),
                true,
            ),
        ),
        // §3.5.2.3: replace one sub-attribute of the selected records.
        (
            json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}]),
            Attrs(
                json!({"addresses": [{"type": "work", "streetAddress": "1010 Broadway Ave",
                "locality": "Hollywood", "primary": true}, home]}),
                true,
            ),
        ),
        // §3.5.2.2: remove a value of a multi-valued attribute by filter.
        (
            json!([{"op": "remove", "path": "x509Certificates[value eq \"MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEF\"]"}]),
            Attrs(json!({"x509Certificates": null}), true),
        ),
        (
            json!([{"op": "remove", "path": "addresses[type eq \"work\"].locality"}]),
            Attrs(
                json!({"addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "primary": true}, home]}),
                true,
            ),
        ),
        (
            json!([{"op": "remove", "path": "addresses.locality"}]),
            Attrs(
                json!({"addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "primary": true},
                {"type": "home", "streetAddress": "456 Hollywood Blvd"}]}),
                true,
            ),
        ),
    ];
    for (ops, expected) in rows {
        check("User", user.clone(), ops, Strict, expected);
    }
}
