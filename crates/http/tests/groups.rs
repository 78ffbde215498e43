//! `/Groups`: members as rows, PATCH as a delta answered 204, projection of members.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

#[macro_use]
mod common;

use actix_web::http::Method;
use actix_web::http::header;
use common::{Harness, group, patch, request, user, with_json};
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

fn member_ids(body: &Value) -> Vec<String> {
    let mut ids: Vec<String> = body["members"]
        .as_array()
        .map(|members| {
            members
                .iter()
                .map(|m| m["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|id| (*id).clone()).collect();
    ids.sort();
    ids
}

#[actix_web::test]
async fn a_group_lives_through_create_read_patch_replace_and_delete() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        let u1 = create!(app, token, "Users", user("u1"));
        let u2 = create!(app, token, "Users", user("u2"));
        let u3 = create!(app, token, "Users", user("u3"));

        let created = send!(
            app,
            with_json(
                Method::POST,
                "/scim/v2/Groups",
                token,
                &group("Engineering", &[&u1, &u2])
            )
        );
        assert_eq!(created.status, 201, "{label}: {}", created.body);
        let id = created.body["id"].as_str().unwrap().to_owned();
        assert_eq!(member_ids(&created.body), sorted(&[&u1, &u2]), "{label}");
        let uri = format!("/scim/v2/Groups/{id}");

        // GET with and without members.
        let full = send!(app, request(Method::GET, &uri, token));
        assert_eq!(member_ids(&full.body), sorted(&[&u1, &u2]), "{label}");
        for member in full.body["members"].as_array().unwrap() {
            let expected = format!(
                "http://localhost:8080/scim/v2/Users/{}",
                member["value"].as_str().unwrap()
            );
            assert_eq!(member["$ref"], expected.as_str(), "{label}");
            assert_eq!(member["type"], "User", "{label}");
        }
        let bare = send!(
            app,
            request(
                Method::GET,
                &format!("{uri}?excludedAttributes=members"),
                token
            )
        );
        assert_eq!(bare.status, 200);
        assert!(bare.body.get("members").is_none(), "{label}");
        assert_eq!(bare.body["displayName"], "Engineering");
        let only_name = send!(
            app,
            request(Method::GET, &format!("{uri}?attributes=displayName"), token)
        );
        assert!(only_name.body.get("members").is_none(), "{label}");

        // The user's groups show the membership.
        let member = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{u1}"), token)
        );
        assert_eq!(
            member.body["groups"][0]["value"],
            id.as_str(),
            "{label}: {}",
            member.body
        );

        // PATCH add and remove: 204 with an ETag and no body.
        let etag = full.header("etag").unwrap().to_owned();
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &uri,
                token,
                &patch(json!([
                    {"op": "add", "path": "members", "value": [{"value": u3}]},
                    {"op": "remove", "path": format!("members[value eq \"{u1}\"]")}
                ]))
            )
            .insert_header((header::IF_MATCH, etag.as_str()))
        );
        assert_eq!(reply.status, 204, "{label}: {}", reply.body);
        assert!(reply.body.is_null());
        let etag2 = reply.header("etag").unwrap().to_owned();
        assert_ne!(etag, etag2, "{label}");
        let full = send!(app, request(Method::GET, &uri, token));
        assert_eq!(member_ids(&full.body), sorted(&[&u2, &u3]), "{label}");
        assert_eq!(full.header("etag"), Some(etag2.as_str()));

        // A stale If-Match is a 412 and changes nothing.
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &uri,
                token,
                &patch(json!([{"op": "remove", "path": "members"}]))
            )
            .insert_header((header::IF_MATCH, etag.as_str()))
        );
        reply.assert_error(412, None, &label);

        // With `attributes`, PATCH answers 200 and the projected group.
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("{uri}?attributes=displayName,members"),
                token,
                &patch(json!([{"op": "replace", "path": "displayName", "value": "Eng"}]))
            )
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(reply.body["displayName"], "Eng");
        assert_eq!(member_ids(&reply.body), sorted(&[&u2, &u3]), "{label}");
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("{uri}?excludedAttributes=members"),
                token,
                &patch(json!([{"op": "add", "path": "externalId", "value": "eng-1"}]))
            )
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert!(reply.body.get("members").is_none());
        assert_eq!(reply.body["externalId"], "eng-1");

        // A member that is no user or group of the org: 400.
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &uri,
                token,
                &patch(json!([{"op": "add", "path": "members", "value": [{"value": "nobody"}]}]))
            )
        );
        assert_eq!(reply.status, 400, "{label}: {}", reply.body);

        // PUT replaces the members exactly.
        let reply = send!(
            app,
            with_json(Method::PUT, &uri, token, &group("Eng", &[&u1]))
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(member_ids(&reply.body), sorted(&[&u1]), "{label}");

        // displayName is unique per org.
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Groups", token, &group("Eng", &[]))
        );
        reply.assert_error(409, Some("uniqueness"), &label);

        // DELETE: 204, then 404; the user remains.
        let reply = send!(app, request(Method::DELETE, &uri, token));
        assert_eq!(reply.status, 204, "{label}");
        let reply = send!(app, request(Method::GET, &uri, token));
        reply.assert_error(404, None, &label);
        let reply = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{u1}"), token)
        );
        assert_eq!(reply.status, 200);
        assert!(
            reply.body.get("groups").is_none(),
            "{label}: {}",
            reply.body
        );
    }
}

#[actix_web::test]
async fn one_patch_adds_a_thousand_members_and_entra_removes_them_by_value() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        let keeper = create!(app, token, "Users", user("keeper"));
        let g = create!(app, token, "Groups", group("big", &[&keeper]));
        // A thousand users in one transaction (the PATCHes are what is tested).
        let org_id = h.a.org_id.clone();
        let joiners: Vec<String> = h
            .store
            .write(|tx| {
                (0..1000)
                    .map(|n| {
                        let created = tx.resources(rollcall_store::ResourceKind::User).create(
                            &org_id,
                            &user(&format!("joiner{n}")),
                            chrono::Utc::now(),
                        )?;
                        Ok::<String, rollcall_store::StoreError>(created.id)
                    })
                    .collect()
            })
            .unwrap();
        let values: Vec<Value> = joiners.iter().map(|id| json!({"value": id})).collect();
        let uri = format!("/scim/v2/Groups/{g}");
        let count = |body: &Value| body["members"].as_array().map_or(0, Vec::len);

        let add = patch(json!([{"op": "Add", "path": "members", "value": values}]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &add));
        assert_eq!(reply.status, 204, "{label} add: {}", reply.body);
        let reply = send!(app, request(Method::GET, &uri, token));
        assert_eq!(count(&reply.body), 1001, "{label}");
        let mut expected: Vec<String> = joiners.clone();
        expected.push(keeper.clone());
        expected.sort();
        assert_eq!(member_ids(&reply.body), expected, "{label}");

        let remove = patch(json!([{"op": "Remove", "path": "members", "value": values}]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &remove));
        assert_eq!(reply.status, 204, "{label} remove: {}", reply.body);
        let reply = send!(app, request(Method::GET, &uri, token));
        assert_eq!(member_ids(&reply.body), [keeper.as_str()], "{label}");
        // Every joiner's groups are empty again.
        let reply = send!(
            app,
            request(
                Method::GET,
                &format!("/scim/v2/Users/{}", joiners[999]),
                token
            )
        );
        assert!(
            reply.body.get("groups").is_none(),
            "{label}: {}",
            reply.body
        );
    }
}
