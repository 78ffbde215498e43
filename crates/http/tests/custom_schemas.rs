//! Per-organization custom extension schemas end to end, on every test database: defined
//! through the admin API, then validated, stored, returned, filtered, sorted, patched and
//! projected through `/scim/v2` for that organization only; gone again once deleted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use actix_web::http::{Method, header};
use actix_web::test::TestRequest;
use common::{Harness, USER, encode, request, with_json};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

const HR: &str = "urn:acme:params:scim:schemas:extension:hr:2.0:User";

fn hr_user(user_name: &str, cost_center: &str, level: i64) -> Value {
    json!({
        "schemas": [USER, HR],
        "userName": user_name,
        HR: {"costCenter": cost_center, "clearanceLevel": level, "employeeType": "staff"}
    })
}

fn names(body: &Value) -> Vec<String> {
    body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn a_custom_schema_is_validated_stored_filtered_sorted_and_projected() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let definition = json!({
            "resource_type": "User",
            "schema": {"id": HR, "name": "HR", "attributes": [
                {"name": "costCenter", "type": "string"},
                {"name": "clearanceLevel", "type": "integer"},
                {"name": "employeeType", "type": "string", "canonicalValues": ["staff", "contractor"]}
            ]}
        });
        let (status, body, _) = call!(
            app,
            common::admin("POST", "/admin/v1/schemas", Some(&admin), Some(definition))
        );
        assert_eq!(status, 201, "{label} {body}");

        // Stored and returned.
        let ann = create!(app, &h.a.token, "Users", hr_user("ann", "CC-7", 3));
        let _bob = create!(app, &h.a.token, "Users", hr_user("bob", "CC-1", 5));
        let _cy = create!(app, &h.a.token, "Users", hr_user("cy", "CC-7", 1));
        let reply = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{ann}"), &h.a.token)
        );
        assert_eq!(
            reply.body[HR]["costCenter"], "CC-7",
            "{label} {}",
            reply.body
        );
        assert_eq!(reply.body[HR]["clearanceLevel"], 3);

        // Validated with the schema's types and canonical values.
        for (bad, detail) in [
            (json!({"clearanceLevel": "high"}), "clearanceLevel"),
            (json!({"employeeType": "pirate"}), "employeeType"),
        ] {
            let mut body = hr_user("dee", "CC-9", 1);
            body[HR] = bad;
            let reply = send!(
                app,
                with_json(Method::POST, "/scim/v2/Users", &h.a.token, &body)
            );
            assert_eq!(reply.status, 400, "{label} {}", reply.body);
            assert!(
                reply.body["detail"].as_str().unwrap().contains(detail),
                "{}",
                reply.body
            );
        }

        // Filtered and sorted on the custom attributes, in the database.
        let filter = encode(&format!("{HR}:costCenter eq \"CC-7\""));
        let reply = send!(
            app,
            request(
                Method::GET,
                &format!("/scim/v2/Users?filter={filter}&sortBy={HR}:clearanceLevel"),
                &h.a.token
            )
        );
        assert_eq!(reply.status, 200, "{label} {}", reply.body);
        assert_eq!(names(&reply.body), ["cy", "ann"]);
        let filter = encode(&format!("{HR}:clearanceLevel ge 3"));
        let reply = send!(
            app,
            request(
                Method::GET,
                &format!("/scim/v2/Users?filter={filter}&sortBy=userName&sortOrder=descending"),
                &h.a.token
            )
        );
        assert_eq!(names(&reply.body), ["bob", "ann"], "{label}");

        // Patched by URN path, and projected.
        let patch = json!({
            "schemas": [common::PATCH_OP],
            "Operations": [{"op": "replace", "path": format!("{HR}:costCenter"), "value": "CC-2"}]
        });
        let reply = send!(
            app,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Users/{ann}?attributes={HR}:costCenter"),
                &h.a.token,
                &patch
            )
        );
        assert_eq!(reply.status, 200, "{label} {}", reply.body);
        assert_eq!(reply.body[HR], json!({"costCenter": "CC-2"}));
        assert!(reply.body.get("userName").is_none(), "{}", reply.body);

        // Another organization knows nothing of the schema: a body naming it is refused.
        let beta = h.tenant("Beta");
        let reply = send!(
            app,
            with_json(
                Method::POST,
                "/scim/v2/Users",
                &beta.token,
                &hr_user("ann", "CC-7", 3)
            )
        );
        assert_eq!(reply.status, 400, "{label} {}", reply.body);
        assert!(reply.body["detail"].as_str().unwrap().contains(HR));
        let filter = encode(&format!("{HR}:costCenter eq \"CC-7\""));
        let reply = send!(
            app,
            request(
                Method::GET,
                &format!("/scim/v2/Users?filter={filter}"),
                &beta.token
            )
        );
        assert_eq!(reply.status, 400, "{label} {}", reply.body);

        // Deleted: no longer returned, and the values go with it (from the data, the
        // resource's `schemas` and the filter index).
        let deleted = actix_web::test::call_service(
            &app,
            TestRequest::delete()
                .uri(&format!("/admin/v1/schemas/{HR}"))
                .insert_header((header::AUTHORIZATION, format!("Bearer {admin}")))
                .to_request(),
        )
        .await;
        assert_eq!(deleted.status().as_u16(), 204);
        let reply = send!(
            app,
            request(Method::GET, &format!("/scim/v2/Users/{ann}"), &h.a.token)
        );
        assert!(reply.body.get(HR).is_none(), "{label} {}", reply.body);
        assert_eq!(
            reply.body["schemas"],
            json!([USER]),
            "{label} {}",
            reply.body
        );

        // Registered again with other types: no stale value comes back, and a write that
        // does not touch it (a deactivation) applies.
        let retyped = json!({
            "resource_type": "User",
            "schema": {"id": HR, "name": "HR", "attributes": [
                {"name": "costCenter", "type": "integer"}
            ]}
        });
        let (status, body, _) = call!(
            app,
            common::admin("POST", "/admin/v1/schemas", Some(&admin), Some(retyped))
        );
        assert_eq!(status, 201, "{label} {body}");
        let uri = format!("/scim/v2/Users/{ann}");
        let reply = send!(app, request(Method::GET, &uri, &h.a.token));
        assert!(reply.body.get(HR).is_none(), "{label} {}", reply.body);
        let off = common::patch(json!([{"op": "replace", "path": "active", "value": false}]));
        let reply = send!(app, with_json(Method::PATCH, &uri, &h.a.token, &off));
        assert_eq!(reply.status, 200, "{label} {}", reply.body);
        let filter = encode(&format!("{HR}:costCenter pr"));
        let reply = send!(
            app,
            request(
                Method::GET,
                &format!("/scim/v2/Users?filter={filter}"),
                &h.a.token
            )
        );
        assert_eq!(reply.body["totalResults"], 0, "{label} {}", reply.body);
    }
}

#[actix_web::test]
async fn a_schema_added_later_never_keeps_a_user_from_being_deactivated() {
    const BADGE: &str = "urn:acme:params:scim:schemas:extension:badge:2.0:User";
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let ann = create!(
            app,
            &h.a.token,
            "Users",
            json!({"schemas": [USER], "userName": "ann"})
        );
        for (round, required) in [false, true].into_iter().enumerate() {
            let urn = format!("{BADGE}{round}");
            let definition = json!({
                "resource_type": "User",
                "required": required,
                "schema": {"id": urn, "name": "Badge", "attributes": [
                    {"name": "badge", "type": "string", "required": true}
                ]}
            });
            let (status, body, _) = call!(
                app,
                common::admin("POST", "/admin/v1/schemas", Some(&admin), Some(definition))
            );
            assert_eq!(status, 201, "{label} {body}");
            // Ann was stored without it: Okta's and Entra's deactivations still apply.
            let uri = format!("/scim/v2/Users/{ann}");
            for (active, form) in [(false, json!(false)), (true, json!("True"))] {
                let body =
                    common::patch(json!([{"op": "replace", "path": "active", "value": form}]));
                let reply = send!(app, with_json(Method::PATCH, &uri, &h.a.token, &body));
                assert_eq!(reply.status, 200, "{label} {required}: {}", reply.body);
                assert_eq!(reply.body["active"], active, "{label}");
            }
            // A new user: without the optional extension, fine; without a required one, or
            // with it but without its required attribute, refused.
            let new = json!({"schemas": [USER], "userName": format!("new{round}")});
            let reply = send!(
                app,
                with_json(Method::POST, "/scim/v2/Users", &h.a.token, &new)
            );
            assert_eq!(
                reply.status,
                if required { 400 } else { 201 },
                "{label}: {}",
                reply.body
            );
            let mut partial =
                json!({"schemas": [USER, urn.as_str()], "userName": format!("partial{round}")});
            partial[urn.as_str()] = json!({});
            partial[urn.as_str()]["badge"] = Value::Null;
            let reply = send!(
                app,
                with_json(Method::POST, "/scim/v2/Users", &h.a.token, &partial)
            );
            reply.assert_error(400, Some("invalidValue"), &label);
        }
    }
}
