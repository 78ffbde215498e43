//! Property: a generated string holding NULs, control and format characters, combining
//! marks, fullwidth and other compatibility forms, and lone surrogate escapes never makes a
//! 5xx, wherever a client puts it (a userName, a group's displayName, an externalId, a
//! filter literal, a path, a PATCH path or value, a query parameter, a Bulk operation, an
//! admin body or query), on both databases; a failure is a SCIM error body (admin: its own
//! shape); what was stored before stays.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use common::{Harness, admin, encode, patch, request, user, with_json};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::json;

/// Cases per database (each is sent to every place below).
const CASES: usize = 192;

/// Strings built from the characters that have broken SCIM servers.
fn hostile() -> impl Strategy<Value = String> {
    let piece = proptest::prop_oneof![
        proptest::string::string_regex("[a-zA-Z0-9 .@_-]{1,6}").unwrap(),
        proptest::string::string_regex("[\\x00-\\x1f\\x7f-\\u{9f}]{1,3}").unwrap(),
        proptest::string::string_regex(
            "[\\u{200b}-\\u{200f}\\u{202a}-\\u{202e}\\u{2060}-\\u{2064}\\u{feff}\\u{ad}]{1,2}"
        )
        .unwrap(),
        proptest::string::string_regex("[a-z][\\u{300}-\\u{36f}]{1,3}").unwrap(),
        proptest::string::string_regex(
            "[\\u{ff01}-\\u{ff5e}\\u{2460}-\\u{2473}\\u{fb00}-\\u{fb06}]{1,4}"
        )
        .unwrap(),
        proptest::string::string_regex("[\\u{3000}\\u{a0}\\u{2028}\\u{2029}\\u{85} \\t]{1,3}")
            .unwrap(),
        proptest::string::string_regex("[\"\\\\/()\\[\\]%&=+]{1,3}").unwrap(),
        proptest::string::string_regex("[\\u{1f600}-\\u{1f64f}\\u{10ffff}\\u{fffd}\\u{fffe}]{1,2}")
            .unwrap(),
        proptest::string::string_regex("(İ|ß|ẞ|Σ|ς|ﬁ|K|Å|é|é)").unwrap(),
    ];
    proptest::collection::vec(piece, 0..5).prop_map(|pieces| pieces.concat())
}

/// `text` as a JSON string literal, with a lone surrogate escape spliced in when `surrogate`
/// (what serde_json refuses to build but a client can send).
fn json_string(text: &str, surrogate: bool) -> String {
    let literal = serde_json::to_string(text).unwrap();
    if surrogate {
        format!("{}\\ud800\"", &literal[..literal.len() - 1])
    } else {
        literal
    }
}

fn raw(method: Method, uri: &str, token: &str, body: String) -> TestRequest {
    request(method, uri, token)
        .insert_header(("content-type", "application/scim+json"))
        .set_payload(body)
}

#[actix_web::test]
async fn hostile_strings_never_make_a_server_error() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        // Hundreds of requests in a second, each of them hostile.
        h.unlimited(&h.a.org_id);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let app = app_with_admin!(h);
        let token = h.a.token.clone();
        let ann = create!(app, &token, "Users", user("ann"));
        let team = create!(app, &token, "Groups", common::group("team", &[&ann]));
        let mut runner = TestRunner::deterministic();
        let strategy = hostile();
        let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
        for case in 0..CASES {
            let text = strategy.new_tree(&mut runner).unwrap().current();
            let surrogate = case % 7 == 3;
            let literal = json_string(&text, surrogate);
            let encoded = encode(&text);
            let filter = |attribute: &str| encode(&format!("{attribute} eq {literal}"));
            let requests: Vec<(&str, TestRequest)> = vec![
                (
                    "POST /Users userName",
                    raw(
                        Method::POST,
                        "/scim/v2/Users",
                        &token,
                        format!(
                            r#"{{"schemas":["{}"],"userName":{literal},"externalId":{literal}}}"#,
                            common::USER
                        ),
                    ),
                ),
                (
                    "POST /Groups displayName",
                    raw(
                        Method::POST,
                        "/scim/v2/Groups",
                        &token,
                        format!(
                            r#"{{"schemas":["{}"],"displayName":{literal},"members":[{{"value":{literal}}}]}}"#,
                            common::GROUP
                        ),
                    ),
                ),
                (
                    "GET filter userName",
                    request(
                        Method::GET,
                        &format!("/scim/v2/Users?filter={}", filter("userName")),
                        &token,
                    ),
                ),
                (
                    "GET filter displayName co",
                    request(
                        Method::GET,
                        &format!(
                            "/scim/v2/Groups?filter={}",
                            encode(&format!("displayName co {literal}"))
                        ),
                        &token,
                    ),
                ),
                (
                    "GET filter emails value path",
                    request(
                        Method::GET,
                        &format!(
                            "/scim/v2/Users?filter={}",
                            encode(&format!("emails[type eq {literal}].value eq {literal}"))
                        ),
                        &token,
                    ),
                ),
                (
                    "GET id",
                    request(Method::GET, &format!("/scim/v2/Users/{encoded}"), &token),
                ),
                (
                    "GET attributes and sortBy",
                    request(
                        Method::GET,
                        &format!(
                            "/scim/v2/Users?attributes={encoded}&sortBy={encoded}&{encoded}=1"
                        ),
                        &token,
                    ),
                ),
                (
                    "PATCH userName value",
                    raw(
                        Method::PATCH,
                        &format!("/scim/v2/Users/{ann}"),
                        &token,
                        format!(
                            r#"{{"schemas":["{}"],"Operations":[{{"op":"replace","path":"nickName","value":{literal}}}]}}"#,
                            common::PATCH_OP
                        ),
                    ),
                ),
                (
                    "PATCH path",
                    with_json(
                        Method::PATCH,
                        &format!("/scim/v2/Groups/{team}"),
                        &token,
                        &patch(
                            json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", text.replace('"', ""))}]),
                        ),
                    ),
                ),
                (
                    "PATCH raw path",
                    raw(
                        Method::PATCH,
                        &format!("/scim/v2/Users/{ann}"),
                        &token,
                        format!(
                            r#"{{"schemas":["{}"],"Operations":[{{"op":"add","path":{literal},"value":"x"}}]}}"#,
                            common::PATCH_OP
                        ),
                    ),
                ),
                (
                    "Bulk",
                    raw(
                        Method::POST,
                        "/scim/v2/Bulk",
                        &token,
                        format!(
                            r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{{"method":{literal},"path":"/Users","bulkId":{literal},"data":{{"schemas":["{}"],"userName":{literal}}}}},{{"method":"POST","path":"/Users","bulkId":"b","data":{{"schemas":["{}"],"userName":{literal}}}}}]}}"#,
                            common::USER,
                            common::USER
                        ),
                    ),
                ),
                (
                    "admin workspace",
                    admin("POST", "/admin/v1/workspaces", Some(&admin_token), None)
                        .insert_header(("content-type", "application/json"))
                        .set_payload(format!(r#"{{"name":{literal}}}"#)),
                ),
                (
                    "admin audit query",
                    admin(
                        "GET",
                        &format!("/admin/v1/audit?actor={encoded}&resource={encoded}"),
                        Some(&admin_token),
                        None,
                    ),
                ),
            ];
            for (place, request) in requests {
                let response = actix_web::test::call_service(&app, request.to_request()).await;
                let status = response.status().as_u16();
                let content_type = response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let body = actix_web::test::read_body(response).await;
                *statuses.entry(status).or_default() += 1;
                assert!(
                    status < 500,
                    "{label} {place}: {status} for {text:?} (surrogate: {surrogate}): {}",
                    String::from_utf8_lossy(&body)
                );
                if status >= 400 {
                    assert!(
                        content_type == "application/scim+json"
                            || content_type == "application/json",
                        "{label} {place}: {status} with {content_type:?} for {text:?}"
                    );
                    let error: serde_json::Value = serde_json::from_slice(&body)
                        .unwrap_or_else(|e| panic!("{label} {place}: {e} for {text:?}"));
                    assert!(
                        error.get("status").is_some() || error.get("error").is_some(),
                        "{label} {place}: {error}"
                    );
                }
            }
        }
        // What was there is still there.
        let reply = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{ann}"), &token)
        );
        assert_eq!(reply.status, 200, "{label}");
        assert_eq!(reply.body["userName"], "ann", "{label}");
        let reply = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Groups/{team}"), &token)
        );
        assert_eq!(reply.status, 200, "{label}");
        eprintln!("{label}: statuses {statuses:?}");
    }
}
