//! Microsoft Entra ID's provisioning sequences, request by request, against the real routes
//! on both databases. The bodies are those of Microsoft's "Tutorial: Develop and plan
//! provisioning for a SCIM endpoint in Microsoft Entra ID" (User and Group operations,
//! with its sample ids) and the forms listed in "Known issues and resolutions with SCIM 2.0
//! protocol compliance of the Microsoft Entra user provisioning service" (capitalised ops,
//! booleans as strings before the `aadOptscim062020` flag, path keys in a path-less
//! replace). Every step asserts the status, the body and what was stored.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use common::{Harness, encode, member_values, patch, request, user, with_json};
use rollcall_store::testing::TestDb;
use scim_core::Dialect;
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ENTRA_GROUP: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

/// "Develop and plan provisioning…", Create User: the request body.
fn entra_user() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
        "active": true,
        "emails": [{
            "primary": true,
            "type": "work",
            "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"
        }],
        "meta": {"resourceType": "User"},
        "name": {
            "formatted": "givenName familyName",
            "familyName": "familyName",
            "givenName": "givenName"
        },
        "roles": []
    })
}

/// "Develop and plan provisioning…", Create Group: the request body.
fn entra_group(display_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", ENTRA_GROUP],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": display_name,
        "meta": {"resourceType": "Group"}
    })
}

fn filtered(endpoint: &str, filter: &str) -> String {
    format!("/scim/v2/{endpoint}?filter={}", encode(filter))
}

#[actix_web::test]
async fn entra_test_connection_and_user_lifecycle() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();

        // Test Connection: a filter on a random, non-existent name must answer 200 with an
        // empty list (a 404 here fails Entra's credential check).
        for filter in [
            "userName eq \"7e7c1b8d-4f5e-4a0b-9f59-2c1b4f3f6a11\"",
            "externalId eq \"7e7c1b8d-4f5e-4a0b-9f59-2c1b4f3f6a11\"",
            "userName eq \"non-existent user\"",
        ] {
            let reply = send!(app, request(Method::GET, &filtered("Users", filter), token));
            assert_eq!(reply.status, 200, "{label} {filter}: {}", reply.body);
            assert_eq!(reply.body["totalResults"], 0, "{label} {filter}");
            assert_eq!(reply.body["startIndex"], 1, "{label} {filter}");
        }

        // Match on the matching attribute, then create (meta and roles: [] accepted).
        let matching = filtered(
            "Users",
            "externalId eq \"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\"",
        );
        let reply = send!(app, request(Method::GET, &matching, token));
        assert_eq!(reply.body["totalResults"], 0, "{label}");
        let created = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users", token, &entra_user())
        );
        assert_eq!(created.status, 201, "{label}: {}", created.body);
        let id = created.body["id"].as_str().unwrap().to_owned();
        assert_eq!(created.body["active"], true, "{label}");
        assert!(
            created.body.get("roles").is_none(),
            "{label}: [] is unassigned"
        );
        let uri = format!("/scim/v2/Users/{id}");
        let reply = send!(app, request(Method::GET, &matching, token));
        assert_eq!(reply.body["totalResults"], 1, "{label}");
        assert_eq!(reply.body["Resources"][0]["id"], id.as_str(), "{label}");
        let by_name = filtered(
            "Users",
            "userName eq \"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1\"",
        );
        let reply = send!(app, request(Method::GET, &by_name, token));
        assert_eq!(reply.body["totalResults"], 1, "{label}");

        // Update User [Multi-valued properties].
        let body = patch(json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}
        ]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &body));
        assert_eq!(reply.status, 200, "{label} multi-valued: {}", reply.body);
        let stored = send!(app, request(Method::GET, &uri, token));
        assert_eq!(
            stored.body["emails"],
            json!([{"primary": true, "type": "work", "value": "updatedEmail@microsoft.com"}]),
            "{label}"
        );
        assert_eq!(
            stored.body["name"]["familyName"], "updatedFamilyName",
            "{label}"
        );

        // Update User [Single-valued properties].
        let body = patch(json!([{
            "op": "Replace",
            "path": "userName",
            "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
        }]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &body));
        assert_eq!(reply.status, 200, "{label} single-valued: {}", reply.body);
        let stored = send!(app, request(Method::GET, &uri, token));
        assert_eq!(
            stored.body["userName"], "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com",
            "{label}"
        );

        // A path-less Replace whose keys are paths, one URN-qualified.
        let body = patch(json!([{
            "op": "Replace",
            "value": {
                "displayName": "Entra Display",
                "name.givenName": "Updated",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales"
            }
        }]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &body));
        assert_eq!(reply.status, 200, "{label} path keys: {}", reply.body);
        let stored = send!(app, request(Method::GET, &uri, token));
        assert_eq!(stored.body["displayName"], "Entra Display", "{label}");
        assert_eq!(stored.body["name"]["givenName"], "Updated", "{label}");
        assert_eq!(stored.body[ENTERPRISE]["department"], "Sales", "{label}");

        // Add on a work email of a user who has none creates it.
        let other = create!(
            app,
            token,
            "Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "no-mail@testuser.com"
            })
        );
        let other_uri = format!("/scim/v2/Users/{other}");
        let body = patch(json!([{
            "op": "Add",
            "path": "emails[type eq \"work\"].value",
            "value": "new@testuser.com"
        }]));
        let reply = send!(app, with_json(Method::PATCH, &other_uri, token, &body));
        assert_eq!(reply.status, 200, "{label} add work email: {}", reply.body);
        let stored = send!(app, request(Method::GET, &other_uri, token));
        assert_eq!(
            stored.body["emails"],
            json!([{"type": "work", "value": "new@testuser.com"}]),
            "{label}"
        );

        // Manager as a bare id string, returned as {"value": id}; "" clears it.
        let manager_path = format!("{ENTERPRISE}:manager");
        let body = patch(json!([{"op": "Add", "path": manager_path, "value": other}]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &body));
        assert_eq!(reply.status, 200, "{label} manager: {}", reply.body);
        let stored = send!(app, request(Method::GET, &uri, token));
        assert_eq!(
            stored.body[ENTERPRISE]["manager"]["value"],
            other.as_str(),
            "{label}"
        );
        let body = patch(json!([{"op": "Replace", "path": manager_path, "value": ""}]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &body));
        assert_eq!(reply.status, 200, "{label} clear manager: {}", reply.body);
        let stored = send!(app, request(Method::GET, &uri, token));
        assert!(
            stored.body[ENTERPRISE].get("manager").is_none(),
            "{label}: {}",
            stored.body
        );

        // Disable User: before the aadOptscim062020 flag Entra sends "False" as a string,
        // after it a JSON boolean; both must be stored, and "True" enables again.
        for (value, expected) in [
            (json!("False"), false),
            (json!("True"), true),
            (json!(false), false),
            (json!(true), true),
        ] {
            let body = patch(json!([{"op": "Replace", "path": "active", "value": value}]));
            let reply = send!(app, with_json(Method::PATCH, &uri, token, &body));
            assert_eq!(reply.status, 200, "{label} active {value}: {}", reply.body);
            assert_eq!(reply.body["active"], expected, "{label} active {value}");
            let stored = send!(app, request(Method::GET, &uri, token));
            assert_eq!(stored.body["active"], expected, "{label} stored {value}");
        }

        // Delete User: 204, then 404 for GET and for the matching query's result.
        let reply = send!(app, request(Method::DELETE, &uri, token));
        assert_eq!(reply.status, 204, "{label} delete: {}", reply.body);
        let reply = send!(app, request(Method::GET, &uri, token));
        reply.assert_error(404, None, &format!("{label} deleted user"));
        let reply = send!(app, request(Method::GET, &matching, token));
        assert_eq!(reply.body["totalResults"], 0, "{label}");
        // Re-provisioning the same user afterwards is a new user.
        let again = create!(app, token, "Users", entra_user());
        assert_ne!(again, id, "{label}");
    }
}

#[actix_web::test]
async fn entra_group_lifecycle() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        let u1 = create!(app, token, "Users", user("member1@testuser.com"));
        let u2 = create!(app, token, "Users", user("member2@testuser.com"));
        let u3 = create!(app, token, "Users", user("member3@testuser.com"));

        // Create Group with the non-standard group schema URI, externalId and meta.
        let created = send!(
            app,
            with_json(
                Method::POST,
                "/scim/v2/Groups",
                token,
                &entra_group("displayName")
            )
        );
        assert_eq!(created.status, 201, "{label}: {}", created.body);
        let gid = created.body["id"].as_str().unwrap().to_owned();
        assert_eq!(
            created.body["externalId"],
            "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"
        );
        let uri = format!("/scim/v2/Groups/{gid}");
        // displayName is unique per org: the same name again is a 409.
        let reply = send!(
            app,
            with_json(
                Method::POST,
                "/scim/v2/Groups",
                token,
                &entra_group("DisplayName")
            )
        );
        reply.assert_error(409, Some("uniqueness"), &format!("{label} duplicate group"));

        // Get Group and Get Group by displayName, both without members.
        let reply = send!(
            app,
            request(
                Method::GET,
                &format!("{uri}?excludedAttributes=members"),
                token
            )
        );
        assert_eq!(reply.status, 200, "{label}");
        assert!(reply.body.get("members").is_none(), "{label}");
        let lookup = format!(
            "/scim/v2/Groups?excludedAttributes=members&filter={}",
            encode("displayName eq \"displayName\"")
        );
        let reply = send!(app, request(Method::GET, &lookup, token));
        assert_eq!(reply.body["totalResults"], 1, "{label}");
        assert_eq!(reply.body["Resources"][0]["id"], gid.as_str(), "{label}");
        assert!(
            reply.body["Resources"][0].get("members").is_none(),
            "{label}"
        );

        // Update Group [Non-member attributes]: 204, no body.
        let new_name = "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName";
        let body = patch(json!([{"op": "Replace", "path": "displayName", "value": new_name}]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &body));
        assert_eq!(reply.status, 204, "{label} rename: {}", reply.body);
        assert!(reply.body.is_null(), "{label}");
        let stored = send!(app, request(Method::GET, &uri, token));
        assert_eq!(stored.body["displayName"], new_name, "{label}");

        // Update Group [Add Members]: `$ref: null` beside the value.
        let body = patch(json!([{
            "op": "Add",
            "path": "members",
            "value": [
                {"$ref": null, "value": u1},
                {"$ref": null, "value": u2},
                {"$ref": null, "value": u3}
            ]
        }]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &body));
        assert_eq!(reply.status, 204, "{label} add members: {}", reply.body);
        let stored = send!(app, request(Method::GET, &uri, token));
        let mut all = vec![u1.clone(), u2.clone(), u3.clone()];
        all.sort();
        assert_eq!(member_values(&stored.body), all, "{label}");

        // Update Group [Remove Members]: only the listed members go.
        let body = patch(json!([{
            "op": "Remove",
            "path": "members",
            "value": [{"$ref": null, "value": u1}]
        }]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &body));
        assert_eq!(reply.status, 204, "{label} remove members: {}", reply.body);
        let stored = send!(app, request(Method::GET, &uri, token));
        let mut rest = vec![u2.clone(), u3.clone()];
        rest.sort();
        assert_eq!(member_values(&stored.body), rest, "{label}");

        // With `attributes`, the PATCH answers 200 with the projected group.
        let body = patch(json!([{"op": "Remove", "path": "members", "value": [{"value": u2}]}]));
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("{uri}?attributes=members"),
                token,
                &body
            )
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(
            member_values(&reply.body),
            std::slice::from_ref(&u3),
            "{label}"
        );

        // Deleting a member user removes the membership.
        let reply = send!(
            app,
            request(Method::DELETE, &format!("/scim/v2/Users/{u3}"), token)
        );
        assert_eq!(reply.status, 204, "{label}");
        let stored = send!(app, request(Method::GET, &uri, token));
        assert!(
            member_values(&stored.body).is_empty(),
            "{label}: {}",
            stored.body
        );

        // Delete Group: 204, then 404; its former members are untouched.
        let reply = send!(app, request(Method::DELETE, &uri, token));
        assert_eq!(reply.status, 204, "{label} delete: {}", reply.body);
        let reply = send!(app, request(Method::GET, &uri, token));
        reply.assert_error(404, None, &format!("{label} deleted group"));
        let user = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{u1}"), token)
        );
        assert_eq!(user.body["active"], true, "{label}");
    }
}

/// (the Entra-only form, endpoint, operations, words the 400's detail must contain).
fn entra_only_forms(member: &str) -> Vec<(&'static str, &'static str, Value, &'static str)> {
    vec![
        (
            "Replace active \"False\"",
            "Users",
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
            "§3.5.2",
        ),
        (
            "replace active \"False\"",
            "Users",
            json!([{"op": "replace", "path": "active", "value": "False"}]),
            "§2.3.2",
        ),
        (
            "manager as a string",
            "Users",
            json!([{"op": "add", "path": format!("{ENTERPRISE}:manager"), "value": member}]),
            "§4.3",
        ),
        (
            "path keys in value",
            "Users",
            json!([{"op": "replace", "value": {"name.givenName": "Strict"}}]),
            "§3.5.2.3",
        ),
        (
            "add creates the work email",
            "Users",
            json!([{"op": "add", "path": "emails[type eq \"home\"].value", "value": "h@x.com"}]),
            "§3.5.2.1",
        ),
        (
            "remove members by value",
            "Groups",
            json!([{"op": "remove", "path": "members", "value": [{"value": member}]}]),
            "§3.5.2.2",
        ),
    ]
}

#[actix_web::test]
async fn entra_only_forms_fail_precisely_in_the_strict_dialect() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let token = h.a.token.as_str();
        let label = h.label();
        let uid = create!(app, token, "Users", user("strict@testuser.com"));
        let gid = create!(
            app,
            token,
            "Groups",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Strict",
                "members": [{"value": uid}]
            })
        );
        h.set_dialect(&h.a.org_id, Dialect::Strict);
        let user_before = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{uid}"), token)
        );
        for (name, endpoint, operations, rule) in entra_only_forms(&uid) {
            let id = if endpoint == "Users" { &uid } else { &gid };
            let uri = format!("/scim/v2/{endpoint}/{id}");
            let reply = send!(
                app,
                with_json(Method::PATCH, &uri, token, &patch(operations))
            );
            assert_eq!(reply.status, 400, "{label} {name}: {}", reply.body);
            let detail = reply.body["detail"].as_str().unwrap();
            assert!(
                detail.contains(rule) && detail.contains("strict dialect"),
                "{label} {name}: {detail}"
            );
        }
        // Nothing was applied: the user and the group read as before.
        let user_after = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{uid}"), token)
        );
        assert_eq!(user_after.body, user_before.body, "{label}");
        let group = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Groups/{gid}"), token)
        );
        assert_eq!(
            member_values(&group.body),
            std::slice::from_ref(&uid),
            "{label}"
        );
        // Entra's Create Group carries the non-standard schema URI: a 400 naming RFC 7643
        // §4.2, and no group is created.
        let reply = send!(
            app,
            with_json(
                Method::POST,
                "/scim/v2/Groups",
                token,
                &entra_group("Strict Entra")
            )
        );
        assert_eq!(reply.status, 400, "{label}: {}", reply.body);
        assert!(
            reply.body["detail"].as_str().unwrap().contains("§4.2"),
            "{label}: {}",
            reply.body
        );
        let lookup = filtered("Groups", "displayName eq \"Strict Entra\"");
        let reply = send!(app, request(Method::GET, &lookup, token));
        assert_eq!(reply.body["totalResults"], 0, "{label}: nothing created");
    }
}

/// Entra's matching filter when an admin makes the work email the matching attribute:
/// `emails[type eq "work"].value eq "…"`, outside the RFC grammar. Lenient: found, run as
/// SQL, counted; strict: a 400 that names the rule.
#[actix_web::test]
async fn the_work_email_matching_filter() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let label = h.label();
        let token = h.a.token.as_str();
        let mut ann = user("ann");
        ann["emails"] = json!([
            {"type": "work", "value": "Ann@Example.com", "primary": true},
            {"type": "home", "value": "ann@home.example"}
        ]);
        let id = create!(app, token, "Users", ann);
        let query = |filter: &str| format!("/scim/v2/Users?filter={}", common::encode(filter));
        let found = query(r#"emails[type eq "work"].value eq "ann@example.com""#);
        let home = query(r#"emails[type eq "work"].value eq "ann@home.example""#);
        let counted = |h: &Harness| {
            h.state
                .deviation_counts()
                .into_iter()
                .find(|(name, _)| *name == "value_path_sub_attribute")
                .map_or(0, |(_, n)| n)
        };

        let before = counted(&h);
        let reply = send!(app, request(Method::GET, &found, token));
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert_eq!(reply.body["totalResults"], 1, "{label}");
        assert_eq!(reply.body["Resources"][0]["id"], json!(id), "{label}");
        let reply = send!(app, request(Method::GET, &home, token));
        assert_eq!(
            reply.body["totalResults"], 0,
            "{label}: a home email is no work email"
        );
        assert_eq!(counted(&h), before + 2, "{label}");

        h.set_dialect(&h.a.org_id, Dialect::Strict);
        let reply = send!(app, request(Method::GET, &found, token));
        reply.assert_error(400, Some("invalidFilter"), &label);
        assert!(
            reply.body["detail"].as_str().unwrap().contains("§3.4.2.2"),
            "{label}"
        );
        assert_eq!(counted(&h), before + 2, "{label}: strict counts nothing");
    }
}
