//! The enterprise `manager` names a user of the same organization: another organization's
//! user is refused exactly as a missing one is, on create, PUT and PATCH; `""` clears it;
//! a manager deleted since does not block later writes that keep it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use common::{Harness, patch, request, user, with_json};
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn with_manager(name: &str, manager: &str) -> Value {
    let mut body = user(name);
    body["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]);
    body[ENTERPRISE] = json!({"manager": {"value": manager}});
    body
}

#[actix_web::test]
async fn a_manager_is_a_user_of_the_same_organization() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app!(h);
        let token = h.a.token.as_str();
        let boss = create!(app, token, "Users", user("boss"));
        let beta = h.tenant("Beta");
        let foreign = create!(app, &beta.token, "Users", user("foreign"));

        // Another organization's user and a missing id: the same refusal, but for the id.
        let detail = |id: &str| format!("manager.value {id:?} is no user of this organization");
        for id in [foreign.as_str(), "no-such-user"] {
            let reply = send!(
                app,
                with_json(
                    Method::POST,
                    "/scim/v2/Users",
                    token,
                    &with_manager("ann", id)
                )
            );
            reply.assert_error(400, Some("invalidValue"), &label);
            assert_eq!(reply.body["detail"], detail(id), "{label}");
        }
        let ann = create!(app, token, "Users", with_manager("ann", &boss));
        let uri = format!("/scim/v2/Users/{ann}");
        for body in [
            patch(
                json!([{"op": "replace", "path": format!("{ENTERPRISE}:manager"), "value": foreign}]),
            ),
            patch(
                json!([{"op": "Replace", "path": format!("{ENTERPRISE}:manager"), "value": "nobody"}]),
            ),
        ] {
            let reply = send!(app, with_json(Method::PATCH, &uri, token, &body));
            reply.assert_error(400, Some("invalidValue"), &label);
        }
        let reply = send!(
            app,
            with_json(Method::PUT, &uri, token, &with_manager("ann", &foreign))
        );
        reply.assert_error(400, Some("invalidValue"), &label);
        let stored = send!(app, request(Method::GET, &uri, token));
        assert_eq!(
            stored.body[ENTERPRISE]["manager"]["value"],
            json!(boss),
            "{label}"
        );

        // The manager deleted since: a PUT that keeps the value still works.
        let reply = send!(
            app,
            request(Method::DELETE, &format!("/scim/v2/Users/{boss}"), token)
        );
        assert_eq!(reply.status, 204, "{label}");
        let mut kept = with_manager("ann", &boss);
        kept["displayName"] = json!("Ann");
        let reply = send!(app, with_json(Method::PUT, &uri, token, &kept));
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);

        // "" clears it however it is written (the object forms found by probing).
        for clear in [
            patch(
                json!([{"op": "replace", "path": format!("{ENTERPRISE}:manager.value"), "value": ""}]),
            ),
            patch(
                json!([{"op": "replace", "path": format!("{ENTERPRISE}:manager"), "value": {"value": ""}}]),
            ),
        ] {
            let reply = send!(
                app,
                with_json(Method::PUT, &uri, token, &with_manager("ann", &ann))
            );
            assert_eq!(reply.status, 200, "{label}: {}", reply.body);
            let reply = send!(app, with_json(Method::PATCH, &uri, token, &clear));
            assert_eq!(reply.status, 200, "{label}: {}", reply.body);
            assert!(
                reply
                    .body
                    .get(ENTERPRISE)
                    .and_then(|e| e.get("manager"))
                    .is_none(),
                "{label}: {}",
                reply.body
            );
        }
        let reply = send!(
            app,
            with_json(Method::PUT, &uri, token, &with_manager("ann", &ann))
        );
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        // Entra clears it with "".
        let clear =
            patch(json!([{"op": "Replace", "path": format!("{ENTERPRISE}:manager"), "value": ""}]));
        let reply = send!(app, with_json(Method::PATCH, &uri, token, &clear));
        assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        assert!(
            reply
                .body
                .get(ENTERPRISE)
                .and_then(|e| e.get("manager"))
                .is_none(),
            "{label}"
        );
    }
}
