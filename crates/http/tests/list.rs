//! Lists: filters, paging, sorting, projection and the `.search` form.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use common::{Harness, group, request, user, with_json};
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

fn names(body: &Value) -> Vec<String> {
    body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["userName"]
                .as_str()
                .or(r["displayName"].as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[actix_web::test]
async fn filters_paging_and_sorting() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        for name in ["delta", "alpha", "Charlie", "bravo", "echo"] {
            let mut body = user(name);
            if name == "bravo" || name == "echo" {
                body["active"] = json!(false);
            }
            let _ = create!(app, token, "Users", body);
        }
        // (query, totalResults, names in order, startIndex, itemsPerPage)
        let cases: Vec<(String, u64, Vec<&str>, u64)> = vec![
            (
                String::new(),
                5,
                vec!["delta", "alpha", "Charlie", "bravo", "echo"],
                1,
            ),
            (
                "sortBy=userName".into(),
                5,
                vec!["alpha", "bravo", "Charlie", "delta", "echo"],
                1,
            ),
            (
                "sortBy=userName&sortOrder=descending".into(),
                5,
                vec!["echo", "delta", "Charlie", "bravo", "alpha"],
                1,
            ),
            (
                "sortBy=userName&startIndex=2&count=2".into(),
                5,
                vec!["bravo", "Charlie"],
                2,
            ),
            (
                "sortBy=userName&startIndex=0&count=1".into(),
                5,
                vec!["alpha"],
                1,
            ),
            (
                "sortBy=userName&startIndex=5&count=10".into(),
                5,
                vec!["echo"],
                5,
            ),
            ("sortBy=userName&startIndex=9".into(), 5, vec![], 9),
            ("count=0".into(), 5, vec![], 1),
            ("count=-3".into(), 5, vec![], 1),
            (
                format!("filter={}", encode("userName eq \"ALPHA\"")),
                1,
                vec!["alpha"],
                1,
            ),
            (
                format!("filter={}&sortBy=userName", encode("active eq false")),
                2,
                vec!["bravo", "echo"],
                1,
            ),
            (
                format!(
                    "filter={}&sortBy=userName",
                    encode("userName sw \"c\" or userName ew \"TA\"")
                ),
                2,
                vec!["Charlie", "delta"],
                1,
            ),
            (
                format!(
                    "filter={}",
                    encode("emails[type eq \"work\" and value co \"echo@\"]")
                ),
                1,
                vec!["echo"],
                1,
            ),
            // Entra's Test Connection: a random name, 200 with an empty list.
            (
                format!(
                    "filter={}",
                    encode("userName eq \"0c0e4b3e-4f0d-4a7d-8a0c-3c5d7f0e9a1b\"")
                ),
                0,
                vec![],
                1,
            ),
            // Okta's lookup before every create.
            (
                format!(
                    "filter={}&startIndex=1&count=100",
                    encode("userName eq \"delta\"")
                ),
                1,
                vec!["delta"],
                1,
            ),
        ];
        for (query, total, expected, start_index) in cases {
            let reply = send!(
                app,
                request(Method::GET, &format!("/scim/v2/Users?{query}"), token)
            );
            let context = format!("{label} {query}");
            assert_eq!(reply.status, 200, "{context}: {}", reply.body);
            assert_eq!(
                reply.body["schemas"],
                json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
            );
            assert_eq!(reply.body["totalResults"], total, "{context}");
            assert_eq!(names(&reply.body), expected, "{context}");
            assert_eq!(reply.body["startIndex"], start_index, "{context}");
            assert_eq!(reply.body["itemsPerPage"], expected.len(), "{context}");
            for resource in reply.body["Resources"].as_array().unwrap() {
                assert!(
                    resource["meta"]["location"]
                        .as_str()
                        .unwrap()
                        .starts_with("http://localhost:8080/scim/v2/Users/")
                );
            }
        }
        let errors = [
            (format!("filter={}", encode("userName eq")), "invalidFilter"),
            (
                format!("filter={}", encode("nosuch eq \"x\"")),
                "invalidFilter",
            ),
            (
                format!("filter={}", encode("active gt true")),
                "invalidFilter",
            ),
            (
                format!("filter={}", encode(&"(".repeat(100))),
                "invalidFilter",
            ),
            ("sortBy=nosuch".into(), "invalidValue"),
            ("sortOrder=up".into(), "invalidValue"),
            ("startIndex=x".into(), "invalidValue"),
        ];
        for (query, scim_type) in errors {
            let reply = send!(
                app,
                request(Method::GET, &format!("/scim/v2/Users?{query}"), token)
            );
            reply.assert_error(400, Some(scim_type), &format!("{label} {query}"));
        }
    }
}

#[actix_web::test]
async fn group_lists_project_and_search_posts_work() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        let u = create!(app, token, "Users", user("member"));
        let _ = create!(app, token, "Groups", group("Sales", &[&u]));
        let _ = create!(app, token, "Groups", group("Ops", &[]));
        let reply = send!(
            app,
            request(Method::GET, "/scim/v2/Groups?sortBy=displayName", token)
        );
        assert_eq!(names(&reply.body), ["Ops", "Sales"], "{label}");
        assert_eq!(
            reply.body["Resources"][1]["members"][0]["value"],
            u.as_str(),
            "{label}"
        );
        let reply = send!(
            app,
            request(
                Method::GET,
                "/scim/v2/Groups?sortBy=displayName&excludedAttributes=members",
                token
            )
        );
        assert!(
            reply.body["Resources"][1].get("members").is_none(),
            "{label}"
        );
        // Okta Group Push looks groups up by displayName.
        let query = format!("filter={}", encode("displayName eq \"sales\""));
        let reply = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Groups?{query}"), token)
        );
        assert_eq!(names(&reply.body), ["Sales"], "{label}");
        // POST /Groups/.search with a SearchRequest.
        let search = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": "displayName sw \"S\"",
            "attributes": ["displayName"],
            "count": 10
        });
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Groups/.search", token, &search)
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(names(&reply.body), ["Sales"], "{label}");
        assert!(
            reply.body["Resources"][0].get("members").is_none(),
            "{label}"
        );
        let reply = send!(
            app,
            with_json(
                Method::POST,
                "/scim/v2/Users/.search",
                token,
                &json!({"schemas": ["urn:wrong"], "filter": "userName pr"})
            )
        );
        reply.assert_error(400, Some("invalidSyntax"), &label);
    }
}

#[actix_web::test]
async fn a_root_search_pages_through_users_then_groups() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        for name in ["u-b", "u-a"] {
            let _ = create!(app, token, "Users", user(name));
        }
        for name in ["g-b", "g-a"] {
            let _ = create!(app, token, "Groups", group(name, &[]));
        }
        let search = |body: Value| with_json(Method::POST, "/scim/v2/.search", token, &body);
        let schemas = json!(["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]);
        // (request, totalResults, names)
        let cases = [
            (
                json!({"schemas": schemas}),
                4,
                vec!["u-b", "u-a", "g-b", "g-a"],
            ),
            (
                json!({"schemas": schemas, "startIndex": 2, "count": 2}),
                4,
                vec!["u-a", "g-b"],
            ),
            (json!({"schemas": schemas, "startIndex": 4}), 4, vec!["g-a"]),
            (
                json!({"schemas": schemas, "filter": "userName sw \"u-\""}),
                2,
                vec!["u-b", "u-a"],
            ),
            (
                json!({"schemas": schemas, "filter": "displayName eq \"g-a\""}),
                1,
                vec!["g-a"],
            ),
            (
                json!({"schemas": schemas, "filter": "id pr", "sortBy": "id", "count": 0}),
                4,
                vec![],
            ),
            // Groups have no userName: they come after the users, not out of the results.
            (
                json!({"schemas": schemas, "sortBy": "userName"}),
                4,
                vec!["u-a", "u-b", "g-b", "g-a"],
            ),
            (
                json!({"schemas": schemas, "sortBy": "userName", "sortOrder": "descending"}),
                4,
                vec!["u-b", "u-a", "g-b", "g-a"],
            ),
            (
                json!({"schemas": schemas, "sortBy": "userName", "startIndex": 3, "count": 1}),
                4,
                vec!["g-b"],
            ),
        ];
        for (body, total, expected) in cases {
            let reply = send!(app, search(body.clone()));
            assert_eq!(reply.status, 200, "{label} {body}: {}", reply.body);
            assert_eq!(reply.body["totalResults"], total, "{label} {body}");
            assert_eq!(names(&reply.body), expected, "{label} {body}");
        }
        let reply = send!(
            app,
            search(json!({"schemas": schemas, "filter": "nosuch eq 1"}))
        );
        reply.assert_error(400, Some("invalidFilter"), &label);
        // A sortBy that fits no type is still refused.
        let reply = send!(app, search(json!({"schemas": schemas, "sortBy": "nosuch"})));
        reply.assert_error(400, Some("invalidValue"), &label);
    }
}

#[actix_web::test]
async fn filters_on_attributes_computed_when_returned_are_refused() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let label = h.label();
        let token = h.a.token.clone();
        let ann = create!(app, &token, "Users", user("ann"));
        let team = create!(app, &token, "Groups", group("team", &[&ann]));
        // What a client would try after reading a resource: its own URLs back.
        let location = format!("http://localhost:8080/scim/v2/Users/{ann}");
        let filters = [
            ("Users", format!("meta.location eq \"{location}\"")),
            ("Users", format!("groups[$ref ew \"{team}\"]")),
            ("Groups", format!("members[$ref eq \"{location}\"]")),
            ("Groups", "members.$ref pr".to_owned()),
        ];
        for (endpoint, filter) in filters {
            let uri = format!("/scim/v2/{endpoint}?filter={}", common::encode(&filter));
            let reply = send!(app, request(Method::GET, &uri, &token));
            reply.assert_error(400, Some("invalidFilter"), &format!("{label} {filter}"));
        }
        // What they stand for is filterable.
        let uri = format!(
            "/scim/v2/Groups?filter={}",
            common::encode(&format!("members[value eq \"{ann}\"]"))
        );
        let reply = send!(app, request(Method::GET, &uri, &token));
        assert_eq!(reply.body["totalResults"], 1, "{label}: {}", reply.body);
    }
}
