//! Bulk requests: parsing (data-driven), reference resolution and the run order.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use scim_core::ScimType;
use scim_core::bulk::{BulkMethod, BulkRequest, Endpoint, Step, plan};
use serde_json::{Value, json};

const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

fn request(operations: Value) -> Value {
    json!({"schemas": [BULK], "Operations": operations})
}

fn post(bulk_id: &str, path: &str, data: Value) -> Value {
    json!({"method": "POST", "bulkId": bulk_id, "path": path, "data": data})
}

/// Parse and expect an error with this status and scimType.
fn check_error(body: Value, status: u16, scim_type: Option<ScimType>) {
    let error = BulkRequest::parse(&body, 5).expect_err(&body.to_string());
    assert_eq!(
        (error.status, error.scim_type),
        (status, scim_type),
        "{body}: {error}"
    );
}

#[test]
fn malformed_requests_are_refused_whole() {
    let user = json!({"userName": "a"});
    let cases: Vec<(Value, u16, Option<ScimType>)> = vec![
        (json!([]), 400, Some(ScimType::InvalidSyntax)),
        (
            json!({"Operations": []}),
            400,
            Some(ScimType::InvalidSyntax),
        ),
        (
            json!({"schemas": [BULK]}),
            400,
            Some(ScimType::InvalidSyntax),
        ),
        (
            json!({"schemas": [BULK], "Operations": {}}),
            400,
            Some(ScimType::InvalidSyntax),
        ),
        (request(json!([])), 400, Some(ScimType::InvalidSyntax)),
        (request(json!([1])), 400, Some(ScimType::InvalidSyntax)),
        (
            request(json!([{"method": "GET", "path": "/Users/1"}])),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            request(json!([{"path": "/Users/1"}])),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            request(json!([{"method": 3, "path": "/Users/1"}])),
            400,
            Some(ScimType::InvalidSyntax),
        ),
        (
            request(json!([{"method": "POST", "path": "/Users", "data": user}])),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            request(json!([{"method": "POST", "bulkId": "", "path": "/Users", "data": user}])),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            request(json!([post("a", "/Users/1", user.clone())])),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            request(json!([post("a", "/Devices", user.clone())])),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            request(json!([post("a", "Users", user.clone())])),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            request(json!([post("a", "/Users", json!("x"))])),
            400,
            Some(ScimType::InvalidSyntax),
        ),
        (
            request(json!([{"method": "POST", "bulkId": "a", "path": "/Users"}])),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            request(json!([{"method": "DELETE", "path": "/Users"}])),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            request(json!([{"method": "DELETE", "path": "/Users/"}])),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            request(json!([{"method": "DELETE", "path": "/Users/a/b"}])),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            request(json!([{"method": "PUT", "path": "/Users/1"}])),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            request(json!([{"method": "DELETE"}])),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            request(json!([
                post("a", "/Users", user.clone()),
                post("a", "/Groups", json!({}))
            ])),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            json!({"schemas": [BULK], "failOnErrors": 0, "Operations": [{"method": "DELETE", "path": "/Users/1"}]}),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            json!({"schemas": [BULK], "failOnErrors": "1", "Operations": [{"method": "DELETE", "path": "/Users/1"}]}),
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            request(Value::Array(vec![
                json!({"method": "DELETE", "path": "/Users/1"});
                6
            ])),
            413,
            None,
        ),
    ];
    for (body, status, scim_type) in cases {
        check_error(body, status, scim_type);
    }
}

#[test]
fn a_well_formed_request_is_parsed_with_its_references() {
    let body = json!({
        "schemas": [BULK],
        "failOnErrors": 2,
        "Operations": [
            post("u", "/Users", json!({"userName": "a"})),
            post("g", "/groups", json!({"displayName": "G", "members": [{"value": "bulkId:u"}, {"value": "bulkId:u"}]})),
            {"method": "patch", "path": "/Groups/bulkId:g", "version": "W/\"1\"", "data": {"Operations": [{"op": "add", "path": "members", "value": [{"value": "bulkId:u"}]}]}},
            {"method": "DELETE", "path": "/Users/abc", "data": "ignored"},
        ]
    });
    let parsed = BulkRequest::parse(&body, 4).unwrap();
    assert_eq!(parsed.fail_on_errors, Some(2));
    let ops = &parsed.operations;
    assert_eq!(ops[0].method, BulkMethod::Post);
    assert_eq!(ops[1].endpoint, Endpoint::Groups);
    assert_eq!(ops[1].references, ["u"]);
    assert_eq!(ops[2].method, BulkMethod::Patch);
    assert_eq!(ops[2].id.as_deref(), Some("bulkId:g"));
    assert_eq!(ops[2].references, ["g", "u"]);
    assert_eq!(ops[2].version.as_deref(), Some("W/\"1\""));
    assert_eq!(ops[3].data, None);

    let created = HashMap::from([
        ("u".to_owned(), "user-id".to_owned()),
        ("g".to_owned(), "group-id".to_owned()),
    ]);
    let resolved = ops[2].resolve(&created).unwrap();
    assert_eq!(resolved.id.as_deref(), Some("group-id"));
    assert_eq!(
        resolved.data.unwrap()["Operations"][0]["value"][0]["value"],
        "user-id"
    );
    let failed = ops[2]
        .resolve(&HashMap::from([("u".to_owned(), "x".to_owned())]))
        .unwrap_err();
    assert_eq!(failed.status, 409);
}

/// A POST's bulkId and the bulkIds it refers to.
type Post<'a> = (&'a str, &'a [&'a str]);
/// A step of a plan: the operation's index, and `Err(status)` when it fails.
type Planned = (usize, Result<(), u16>);

/// The plan of these operations (each: bulkId of a POST, bulkIds referred to), as
/// `(index, Ok(()) | Err(status))` in run order.
fn check_plan(operations: &[Post<'_>], expected: &[Planned]) {
    let bodies: Vec<Value> = operations
        .iter()
        .map(|(bulk_id, refs)| {
            let members: Vec<Value> = refs
                .iter()
                .map(|r| json!({"value": format!("bulkId:{r}")}))
                .collect();
            post(
                bulk_id,
                "/Groups",
                json!({"displayName": bulk_id, "members": members}),
            )
        })
        .collect();
    let parsed = BulkRequest::parse(&request(Value::Array(bodies)), 1000).unwrap();
    let got: Vec<Planned> = plan(&parsed)
        .into_iter()
        .map(|step| match step {
            Step::Run(index) => (index, Ok(())),
            Step::Fail(index, error) => (index, Err(error.status)),
        })
        .collect();
    assert_eq!(got, expected, "{operations:?}");
}

#[test]
fn operations_wait_for_the_posts_they_refer_to() {
    let cases: Vec<(Vec<Post<'_>>, Vec<Planned>)> = vec![
        // In order already.
        (
            vec![("a", &[]), ("b", &["a"])],
            vec![(0, Ok(())), (1, Ok(()))],
        ),
        // A forward reference: b runs after a, c keeps its place otherwise.
        (
            vec![("b", &["a"]), ("a", &[]), ("c", &[])],
            vec![(1, Ok(())), (0, Ok(())), (2, Ok(()))],
        ),
        // Unknown bulkId: fails at its place.
        (
            vec![("a", &["nope"]), ("b", &[])],
            vec![(0, Err(400)), (1, Ok(()))],
        ),
        // a -> b -> a: both 409, after what can run; c waits for a circle: 409 too.
        (
            vec![("a", &["b"]), ("b", &["a"]), ("c", &["a"]), ("d", &[])],
            vec![(3, Ok(())), (0, Err(409)), (1, Err(409)), (2, Err(409))],
        ),
        // Self-reference.
        (
            vec![("a", &["a"]), ("b", &[])],
            vec![(1, Ok(())), (0, Err(409))],
        ),
        // A chain 0 <- 1 <- 2 given backwards.
        (
            vec![("c", &["b"]), ("b", &["a"]), ("a", &[])],
            vec![(2, Ok(())), (1, Ok(())), (0, Ok(()))],
        ),
    ];
    for (operations, expected) in cases {
        check_plan(&operations, &expected);
    }
}

#[test]
fn circles_are_told_from_operations_that_only_wait_for_them() {
    let operations: Vec<Value> = [("a", "b"), ("b", "a"), ("c", "a")]
        .iter()
        .map(|(id, to)| {
            post(
                id,
                "/Groups",
                json!({"displayName": id, "members": [{"value": format!("bulkId:{to}")}]}),
            )
        })
        .collect();
    let parsed = BulkRequest::parse(&request(Value::Array(operations)), 10).unwrap();
    let details: Vec<String> = plan(&parsed)
        .into_iter()
        .filter_map(|step| match step {
            Step::Fail(_, error) => Some(error.detail),
            Step::Run(_) => None,
        })
        .collect();
    assert!(details[0].contains("circular (RFC"), "{details:?}");
    assert!(details[1].contains("circular (RFC"), "{details:?}");
    assert!(
        details[2].contains("whose operation has circular"),
        "{details:?}"
    );
}

#[test]
fn a_long_chain_plans_without_recursion() {
    let count = 5000;
    let operations: Vec<Value> = (0..count)
        .map(|i| {
            let next = (i + 1) % count;
            post(
                &format!("g{i}"),
                "/Groups",
                json!({"displayName": "x", "members": [{"value": format!("bulkId:g{next}")}]}),
            )
        })
        .collect();
    let parsed = BulkRequest::parse(&request(Value::Array(operations)), count).unwrap();
    let steps = plan(&parsed);
    assert_eq!(steps.len(), count);
    assert!(
        steps
            .iter()
            .all(|step| matches!(step, Step::Fail(_, e) if e.status == 409))
    );
}

#[test]
fn paths_take_one_trailing_slash_and_report_an_endpoint_in_another_case() {
    let user = json!({"userName": "a"});
    // (method, path, endpoint, id, endpoint in another case)
    let cases: [(&str, &str, Endpoint, Option<&str>, bool); 8] = [
        ("POST", "/Users", Endpoint::Users, None, false),
        ("POST", "/Users/", Endpoint::Users, None, false),
        ("POST", "/users", Endpoint::Users, None, true),
        ("POST", "/GROUPS/", Endpoint::Groups, None, true),
        ("PUT", "/Users/1", Endpoint::Users, Some("1"), false),
        ("PUT", "/Users/1/", Endpoint::Users, Some("1"), false),
        ("PATCH", "/groups/g", Endpoint::Groups, Some("g"), true),
        ("DELETE", "/Groups/g/", Endpoint::Groups, Some("g"), false),
    ];
    for (method, path, endpoint, id, other_case) in cases {
        let mut operation = json!({"method": method, "path": path});
        if method == "POST" {
            operation["bulkId"] = json!("b");
        }
        if method != "DELETE" {
            operation["data"] = user.clone();
        }
        let parsed = BulkRequest::parse(&request(json!([operation])), 5)
            .unwrap_or_else(|error| panic!("{method} {path}: {error}"));
        let operation = &parsed.operations[0];
        assert_eq!(operation.endpoint, endpoint, "{method} {path}");
        assert_eq!(operation.id.as_deref(), id, "{method} {path}");
        assert_eq!(
            operation.endpoint_in_other_case, other_case,
            "{method} {path}"
        );
    }
    // One slash at most, and never an empty id.
    for (method, path) in [
        ("POST", "/Users//"),
        ("DELETE", "/Users//"),
        ("DELETE", "/Users/1//"),
    ] {
        let mut operation = json!({"method": method, "path": path, "bulkId": "b"});
        if method == "POST" {
            operation["data"] = user.clone();
        }
        check_error(
            request(json!([operation])),
            400,
            Some(ScimType::InvalidValue),
        );
    }
}
