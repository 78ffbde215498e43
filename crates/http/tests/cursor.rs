//! RFC 9865 cursor paging through the HTTP surface: walks in both directions equal the
//! `startIndex` listing, cursors are present exactly where they should be, and every bad
//! cursor is a 400 with a SCIM error body. Also what `/ServiceProviderConfig` advertises.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

#[macro_use]
mod common;

use actix_web::http::Method;
use chrono::Utc;
use common::{Reply, request, user, with_json};
use rollcall_store::ResourceKind;
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn ids(body: &Value) -> Vec<String> {
    body["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("no Resources: {body}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn cursor(body: &Value, name: &str) -> Option<String> {
    body.get(name).map(|c| c.as_str().unwrap().to_owned())
}

/// 30 users (user names scrambled, every third without an externalId) and 5 groups.
fn seed(h: &common::Harness, org: &str) {
    h.store
        .write(|tx| {
            for i in 0..30u32 {
                let mut body = user(&format!("user{:02}", (i * 7) % 30));
                body["title"] = json!(if i % 2 == 0 { "even" } else { "odd" });
                if i % 3 != 0 {
                    body["externalId"] = json!(format!("ext{:02}", (i * 11) % 30));
                }
                tx.resources(ResourceKind::User)
                    .create(org, &body, Utc::now())?;
            }
            for i in 0..5u32 {
                let body = json!({"displayName": format!("group{i}")});
                tx.resources(ResourceKind::Group)
                    .create(org, &body, Utc::now())?;
            }
            Ok(())
        })
        .unwrap();
}

#[actix_web::test]
async fn cursor_walks_equal_the_index_listing() {
    for db in TestDb::all() {
        let h = common::Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        seed(&h, &h.a.org_id);
        let other = h.tenant("Other");
        seed(&h, &other.org_id);
        // (endpoint, extra query parameters)
        let cases = [
            ("Users", String::new()),
            ("Users", "sortBy=userName&sortOrder=descending".to_owned()),
            ("Users", "sortBy=externalId".to_owned()),
            (
                "Users",
                format!("filter={}&sortBy=meta.created", encode("title eq \"odd\"")),
            ),
            ("Groups", "sortBy=displayName".to_owned()),
        ];
        for (endpoint, extra) in cases {
            let context = format!("{label} {endpoint}?{extra}");
            let listed = send!(
                app,
                request(
                    Method::GET,
                    &format!("/scim/v2/{endpoint}?count=1000&{extra}"),
                    token
                )
            );
            let expected = ids(&listed.body);
            assert!(expected.len() >= 5, "{context}");
            // Forwards: `cursor` alone asks for the first page.
            let mut uri = format!("/scim/v2/{endpoint}?{extra}&cursor&count=4");
            let mut forwards = Vec::new();
            let mut last: Reply;
            let mut pages = 0;
            loop {
                last = send!(app, request(Method::GET, &uri, token));
                assert_eq!(last.status, 200, "{context}: {}", last.body);
                assert_eq!(
                    last.body["totalResults"],
                    json!(expected.len()),
                    "{context}"
                );
                assert!(last.body.get("startIndex").is_none(), "{context}");
                assert_eq!(
                    cursor(&last.body, "previousCursor").is_some(),
                    pages > 0,
                    "{context}: previousCursor on page {pages}"
                );
                forwards.extend(ids(&last.body));
                pages += 1;
                match cursor(&last.body, "nextCursor") {
                    Some(next) => {
                        uri = format!("/scim/v2/{endpoint}?{extra}&cursor={next}&count=4")
                    }
                    None => break,
                }
            }
            assert_eq!(forwards, expected, "{context}: forwards");
            // Backwards from the last page.
            let mut backwards = ids(&last.body);
            let mut current = last;
            while let Some(previous) = cursor(&current.body, "previousCursor") {
                current = send!(
                    app,
                    request(
                        Method::GET,
                        &format!("/scim/v2/{endpoint}?{extra}&cursor={previous}&count=4"),
                        token
                    )
                );
                assert_eq!(current.status, 200, "{context}: {}", current.body);
                assert!(cursor(&current.body, "nextCursor").is_some(), "{context}");
                let mut earlier = ids(&current.body);
                earlier.extend(backwards);
                backwards = earlier;
            }
            assert_eq!(backwards, expected, "{context}: backwards");
        }
        // The .search form: `"cursor": ""` for the first page, then nextCursor.
        let search = |cursor: &str| {
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                "filter": "title eq \"even\"",
                "sortBy": "userName",
                "cursor": cursor,
                "count": 4
            })
        };
        let mut next = String::new();
        let mut found = Vec::new();
        loop {
            let reply = send!(
                app,
                with_json(
                    Method::POST,
                    "/scim/v2/Users/.search",
                    token,
                    &search(&next)
                )
            );
            assert_eq!(reply.status, 200, "{label}: {}", reply.body);
            found.extend(ids(&reply.body));
            match cursor(&reply.body, "nextCursor") {
                Some(cursor) => next = cursor,
                None => break,
            }
        }
        let listed = send!(
            app,
            request(
                Method::GET,
                &format!(
                    "/scim/v2/Users?count=100&sortBy=userName&filter={}",
                    encode("title eq \"even\"")
                ),
                token
            )
        );
        assert_eq!(found, ids(&listed.body), "{label}: .search");
        assert_eq!(found.len(), 15, "{label}");
    }
}

#[actix_web::test]
async fn bad_cursors_are_400s_with_scim_bodies() {
    for db in TestDb::all() {
        let h = common::Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        seed(&h, &h.a.org_id);
        let b = h.tenant("Other");
        seed(&h, &b.org_id);
        let first = send!(
            app,
            request(Method::GET, "/scim/v2/Users?cursor=&count=3", token)
        );
        let next = cursor(&first.body, "nextCursor").unwrap();
        let sorted = send!(
            app,
            request(
                Method::GET,
                "/scim/v2/Users?cursor=&count=3&sortBy=userName",
                token
            )
        );
        let sorted_next = cursor(&sorted.body, "nextCursor").unwrap();
        // The cursor still works as issued.
        let reply = send!(
            app,
            request(
                Method::GET,
                &format!("/scim/v2/Users?cursor={next}&count=3"),
                token
            )
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        let mut tampered = next.clone().into_bytes();
        tampered[5] = if tampered[5] == b'a' { b'b' } else { b'a' };
        let tampered = String::from_utf8(tampered).unwrap();
        let filter = encode("userName sw \"user\"");
        // (what, token, uri, status, scimType)
        let cases = [
            (
                "tampered",
                token,
                format!("/scim/v2/Users?cursor={tampered}&count=3"),
                "invalidCursor",
            ),
            (
                "garbage",
                token,
                "/scim/v2/Users?cursor=not-a-cursor&count=3".to_owned(),
                "invalidCursor",
            ),
            (
                "another org",
                b.token.as_str(),
                format!("/scim/v2/Users?cursor={next}&count=3"),
                "invalidCursor",
            ),
            (
                "another filter",
                token,
                format!("/scim/v2/Users?cursor={next}&count=3&filter={filter}"),
                "invalidCursor",
            ),
            (
                "another sort",
                token,
                format!("/scim/v2/Users?cursor={sorted_next}&count=3&sortBy=externalId"),
                "invalidCursor",
            ),
            (
                "sort dropped",
                token,
                format!("/scim/v2/Users?cursor={sorted_next}&count=3"),
                "invalidCursor",
            ),
            (
                "another resource type",
                token,
                format!("/scim/v2/Groups?cursor={next}&count=3"),
                "invalidCursor",
            ),
            (
                "with startIndex",
                token,
                format!("/scim/v2/Users?cursor={next}&startIndex=4&count=3"),
                "invalidValue",
            ),
            (
                "empty cursor with startIndex",
                token,
                "/scim/v2/Users?cursor&startIndex=1".to_owned(),
                "invalidValue",
            ),
            (
                "count 0",
                token,
                "/scim/v2/Users?cursor&count=0".to_owned(),
                "invalidCount",
            ),
            (
                "sortBy without a column",
                token,
                "/scim/v2/Users?cursor&sortBy=name.familyName".to_owned(),
                "invalidValue",
            ),
        ];
        for (what, token, uri, scim_type) in cases {
            let reply = send!(app, request(Method::GET, &uri, token));
            reply.assert_error(400, Some(scim_type), &format!("{label}: {what}"));
        }
        // The root /.search merges users and groups: startIndex only.
        let reply = send!(
            app,
            with_json(
                Method::POST,
                "/scim/v2/.search",
                token,
                &json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "cursor": ""
                })
            )
        );
        reply.assert_error(400, Some("invalidValue"), &format!("{label}: root"));
        // A .search cursor reused with another filter.
        let reply = send!(
            app,
            with_json(
                Method::POST,
                "/scim/v2/Users/.search",
                token,
                &json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "filter": "userName pr",
                    "cursor": next,
                    "count": 3
                })
            )
        );
        reply.assert_error(400, Some("invalidCursor"), &format!("{label}: .search"));
    }
}

#[actix_web::test]
async fn the_service_provider_config_advertises_cursors() {
    let h = common::Harness::new(TestDb::sqlite());
    let app = app!(h);
    let reply = send!(
        app,
        request(Method::GET, "/scim/v2/ServiceProviderConfig", &h.a.token)
    );
    assert_eq!(
        reply.body["pagination"],
        json!({"cursor": true, "index": true, "defaultPaginationMethod": "index",
               "defaultPageSize": 100, "maxPageSize": 1000, "cursorTimeout": 3600})
    );
}
