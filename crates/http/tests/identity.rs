//! Identities that look the same are one identity (issue 20): a userName, or a group's
//! displayName, is unique by its key, toNFKC_Casefold of the value trimmed of white space;
//! `eq` filters compare keys, so Okta's lookup before each create finds the user the create
//! would collide with. A value with a control or format character, or only white space, is
//! a 400. The stored value keeps what the client sent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use common::{Harness, encode, group, patch, request, user, with_json};
use rollcall_store::testing::TestDb;
use serde_json::json;

const NFC: &str = "Jos\u{e9}";
const NFD: &str = "Jose\u{301}";
const FULLWIDTH: &str = "\u{ff46}\u{ff55}\u{ff4c}\u{ff4c}";

#[actix_web::test]
async fn users_that_look_the_same_are_one_user() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app!(h);
        let token = h.a.token.as_str();
        let post = |name: &str| with_json(Method::POST, "/scim/v2/Users", token, &user(name));

        let jose = create!(app, token, "Users", user(NFC));
        let full = create!(app, token, "Users", user(FULLWIDTH));
        for (name, why) in [
            (NFD, "e and a combining accent"),
            ("JOS\u{c9}", "capitals"),
            ("  Jos\u{e9}\u{3000}", "white space around it"),
            ("full", "ASCII for fullwidth"),
            ("FULL", "ASCII capitals for fullwidth"),
        ] {
            let reply = send!(app, post(name));
            reply.assert_error(409, Some("uniqueness"), &format!("{label}: {why}"));
        }
        for (name, why) in [
            ("", "empty"),
            ("   ", "only spaces"),
            ("\u{3000}\u{a0}", "only other white space"),
            ("ann\u{1}", "a control character"),
            ("ann\tsmith", "a tab"),
            ("ann\u{200b}", "a zero-width space (Cf)"),
            ("\u{202e}nna", "a bidi override (Cf)"),
        ] {
            let reply = send!(app, post(name));
            reply.assert_error(400, Some("invalidValue"), &format!("{label}: {why}"));
        }

        // Okta's lookup before a create finds the user, whatever form it sends.
        for literal in [NFC, NFD, "jos\u{e9}", "JOSE\u{301}", " Jos\u{e9} "] {
            let filter = format!("userName eq \"{literal}\"");
            let uri = format!(
                "/scim/v2/Users?filter={}&startIndex=1&count=100",
                encode(&filter)
            );
            let reply = send!(app, request(Method::GET, &uri, token));
            assert_eq!(reply.status, 200, "{label}: {}", reply.body);
            assert_eq!(reply.body["totalResults"], 1, "{label}: {literal:?}");
            assert_eq!(reply.body["Resources"][0]["id"], jose, "{label}");
            assert_eq!(
                reply.body["Resources"][0]["userName"], NFC,
                "{label}: the value as sent"
            );
        }
        let uri = format!("/scim/v2/Users?filter={}", encode("userName eq \"FULL\""));
        let reply = send!(app, request(Method::GET, &uri, token));
        assert_eq!(reply.body["Resources"][0]["id"], full, "{label}");
        assert_eq!(reply.body["Resources"][0]["userName"], FULLWIDTH, "{label}");

        // Renaming onto an identity that exists is refused too, by PUT, PATCH and Bulk.
        let ann = create!(app, token, "Users", user("ann"));
        let uri = format!("/scim/v2/Users/{ann}");
        let reply = send!(app, with_json(Method::PUT, &uri, token, &user(NFD)));
        reply.assert_error(409, Some("uniqueness"), &label);
        let rename = patch(json!([{"op": "replace", "path": "userName", "value": "full"}]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &rename));
        reply.assert_error(409, Some("uniqueness"), &label);
        let blank = patch(json!([{"op": "replace", "path": "userName", "value": " "}]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &blank));
        reply.assert_error(400, Some("invalidValue"), &label);
        let bulk = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "a", "data": user(NFD)},
                {"method": "POST", "path": "/Users", "bulkId": "b", "data": user("x\u{7}")}
            ]
        });
        let reply = send!(app, with_json(Method::POST, "/scim/v2/Bulk", token, &bulk));
        assert_eq!(reply.status, 200, "{label}");
        let statuses: Vec<_> = reply.body["Operations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|op| (op["status"].clone(), op["response"]["scimType"].clone()))
            .collect();
        assert_eq!(
            statuses,
            [
                (json!("409"), json!("uniqueness")),
                (json!("400"), json!("invalidValue"))
            ],
            "{label}"
        );

        // A user renamed away frees the identity.
        let reply = send!(app, with_json(Method::PUT, &uri, token, &user("ann2")));
        assert_eq!(reply.status, 200, "{label}");
        let reply = send!(
            app,
            request(Method::DELETE, &format!("/scim/v2/Users/{full}"), token)
        );
        assert_eq!(reply.status, 204, "{label}");
        let _again = create!(app, token, "Users", user("Full"));
    }
}

#[actix_web::test]
async fn groups_that_look_the_same_are_one_group() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app!(h);
        let token = h.a.token.as_str();
        let eng = create!(app, token, "Groups", group("Stra\u{df}e", &[]));
        for name in ["STRASSE", "\u{ff33}trasse", " strasse "] {
            let reply = send!(
                app,
                with_json(Method::POST, "/scim/v2/Groups", token, &group(name, &[]))
            );
            reply.assert_error(409, Some("uniqueness"), &format!("{label} {name}"));
        }
        let reply = send!(
            app,
            with_json(
                Method::POST,
                "/scim/v2/Groups",
                token,
                &group("a\u{200d}b", &[])
            )
        );
        reply.assert_error(400, Some("invalidValue"), &label);
        let uri = format!(
            "/scim/v2/Groups?filter={}",
            encode("displayName eq \"STRASSE\"")
        );
        let reply = send!(app, request(Method::GET, &uri, token));
        assert_eq!(reply.body["totalResults"], 1, "{label}");
        assert_eq!(reply.body["Resources"][0]["id"], eng, "{label}");
        assert_eq!(
            reply.body["Resources"][0]["displayName"], "Stra\u{df}e",
            "{label}"
        );
        // A user's groups[display …] reads the same keys.
        let ann = create!(app, token, "Users", user("ann"));
        let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": ann}]}]));
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Groups/{eng}"),
                token,
                &add
            )
        );
        assert!(reply.status == 204 || reply.status == 200, "{label}");
        let uri = format!(
            "/scim/v2/Users?filter={}",
            encode("groups[display eq \"strasse\"]")
        );
        let reply = send!(app, request(Method::GET, &uri, token));
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(reply.body["totalResults"], 1, "{label}");
    }
}
