//! Long values (found by probing: a string of about 2.6 KB was a 500 on PostgreSQL, whose
//! B-tree entries have a size limit, and a 201 on SQLite). Any attribute holds a text of any
//! length, certificates and long URLs included, and filters find it, on both databases
//! alike; an identifier (userName, a group's displayName, externalId) longer than 1,024
//! bytes is a 400 `invalidValue` on both.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use common::{Harness, encode, group, patch, request, user, with_json};
use rollcall_store::testing::TestDb;
use serde_json::json;

/// `n` characters that do not compress (PostgreSQL compresses long values before
/// indexing them, which hid the limit for repetitive text).
fn random_text(n: usize, seed: u64) -> String {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            alphabet[usize::try_from(state >> 58).unwrap()] as char
        })
        .collect()
}

#[actix_web::test]
async fn any_attribute_holds_a_long_text_and_filters_find_it() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app!(h);
        let token = h.a.token.as_str();
        let title = random_text(3000, 1);
        let certificate = random_text(2800, 2);
        let photo = format!("https://photos.example/{}", random_text(3500, 3));
        let mut body = user("ann");
        body["title"] = json!(title);
        body["x509Certificates"] = json!([{"value": certificate}]);
        body["photos"] = json!([{"value": photo, "type": "photo"}]);
        body["nickName"] = json!(format!("\u{e9}{}", random_text(1500, 4)));
        let ann = create!(app, token, "Users", body);
        let _bob = create!(app, token, "Users", user("bob"));

        for (filter, found) in [
            (format!("title eq \"{title}\""), true),
            (format!("title eq \"{}\"", title.to_uppercase()), true),
            (format!("title eq \"{}x\"", title), false),
            (format!("title sw \"{}\"", &title[..300]), true),
            (format!("title sw \"{}\"", &title[..10]), true),
            (format!("title ew \"{}\"", &title[2990..]), true),
            (format!("title gt \"{}\"", &title[..2999]), true),
            (format!("title lt \"{}\"", &title[..2999]), false),
            (format!("title ge \"{title}\""), true),
            (format!("x509Certificates.value eq \"{certificate}\""), true),
            (format!("photos[value eq \"{photo}\"]"), true),
        ] {
            let uri = format!("/scim/v2/Users?filter={}", encode(&filter));
            let reply = send!(app, request(Method::GET, &uri, token));
            assert_eq!(reply.status, 200, "{label}: {}", reply.body);
            let ids: Vec<&str> = reply.body["Resources"]
                .as_array()
                .map(|r| r.iter().filter_map(|u| u["id"].as_str()).collect())
                .unwrap_or_default();
            let expected: Vec<&str> = if found { vec![ann.as_str()] } else { vec![] };
            assert_eq!(
                ids,
                expected,
                "{label}: {}",
                &filter[..filter.len().min(60)]
            );
        }
        let sorted = send!(
            app,
            request(Method::GET, "/scim/v2/Users?sortBy=title", token)
        );
        assert_eq!(sorted.status, 200, "{label}");

        // Written every way.
        let uri = format!("/scim/v2/Users/{ann}");
        let long = random_text(4000, 5);
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &uri,
                token,
                &patch(json!([{"op": "replace", "path": "profileUrl", "value": long}]))
            )
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        let mut put = user("ann");
        put["displayName"] = json!(random_text(5000, 6));
        let reply = send!(app, with_json(Method::PUT, &uri, token, &put));
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        let mut bulk_user = user("cy");
        bulk_user["title"] = json!(random_text(9000, 7));
        let bulk = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [{"method": "POST", "path": "/Users", "bulkId": "c", "data": bulk_user}]
        });
        let reply = send!(app, with_json(Method::POST, "/scim/v2/Bulk", token, &bulk));
        assert_eq!(
            reply.body["Operations"][0]["status"], "201",
            "{label}: {}",
            reply.body
        );
    }
}

#[actix_web::test]
async fn identifiers_longer_than_a_kibibyte_are_refused_alike() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app!(h);
        let token = h.a.token.as_str();
        let longest = random_text(1024, 8);
        let too_long = random_text(1025, 9);
        let _ok = create!(app, token, "Users", user(&longest));
        let mut with_external = user("ext");
        with_external["externalId"] = json!(longest.clone());
        let _ok = create!(app, token, "Users", with_external);
        let _ok = create!(app, token, "Groups", group(&longest, &[]));

        let mut external = user("ext2");
        external["externalId"] = json!(too_long.clone());
        let accented = "\u{e9}".repeat(513);
        for (endpoint, body, what) in [
            ("Users", user(&too_long), "userName"),
            ("Users", user(&accented), "userName"),
            ("Users", external, "externalId"),
            ("Groups", group(&too_long, &[]), "displayName"),
        ] {
            let reply = send!(
                app,
                with_json(Method::POST, &format!("/scim/v2/{endpoint}"), token, &body)
            );
            reply.assert_error(400, Some("invalidValue"), &format!("{label} {what}"));
            assert!(
                reply.body["detail"].as_str().unwrap().contains(what),
                "{label}: {}",
                reply.body
            );
        }
    }
}
