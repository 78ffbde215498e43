//! externalId is indexed for filters, not unique, unless the organization turns on
//! `unique_external_id` (PRODUCT.md §7): Entra's default mapping sends mailNickname, which
//! two people of a multi-domain tenant can share, and Microsoft's own SCIM tests create
//! several users with one externalId.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use common::{Harness, code, encode, request, user, with_json};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::json;

#[actix_web::test]
async fn two_users_may_share_an_external_id_unless_the_org_says_otherwise() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let app = app_with_admin!(h);
        let token = h.a.token.as_str();
        let with_external = |name: &str, external: &str| {
            let mut body = user(name);
            body["externalId"] = json!(external);
            body
        };
        let _ann = create!(app, token, "Users", with_external("ann@a.example", "ann"));
        let ann2 = create!(app, token, "Users", with_external("ann@b.example", "ann"));
        let uri = format!("/scim/v2/Users?filter={}", encode(r#"externalId eq "ann""#));
        let found = send!(app, request(Method::GET, &uri, token));
        assert_eq!(found.body["totalResults"], 2, "{label}: {}", found.body);

        // Turning uniqueness on over the duplicate: a 409 naming it.
        let on = json!({"unique_external_id": true});
        let (status, body, _) = patch_org!(app, &admin_token, on.clone());
        assert_eq!((status, code(&body)), (409, "conflict"), "{label}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("\"ann\""),
            "{label}: {body}"
        );
        let reply = send!(
            app,
            request(Method::DELETE, &format!("/scim/v2/Users/{ann2}"), token)
        );
        assert_eq!(reply.status, 204, "{label}");
        let (status, body, _) = patch_org!(app, &admin_token, on);
        assert_eq!(status, 200, "{label}: {body}");
        assert_eq!(body["unique_external_id"], true, "{label}");
        let reply = send!(
            app,
            with_json(
                Method::POST,
                "/scim/v2/Users",
                token,
                &with_external("ann@c.example", "ann")
            )
        );
        reply.assert_error(409, Some("uniqueness"), &label);
        assert!(
            reply.body["detail"]
                .as_str()
                .unwrap()
                .contains("externalId"),
            "{label}"
        );

        // "" is unassigned, never a value that collides (Entra sends it for an empty
        // mapped attribute).
        for name in ["empty1@a.example", "empty2@a.example"] {
            let id = create!(app, token, "Users", with_external(name, ""));
            let reply = send!(
                app,
                request(Method::GET, &format!("/scim/v2/Users/{id}"), token)
            );
            assert_eq!(reply.body.get("externalId"), None, "{label}");
        }

        // Off again: shared externalIds are accepted.
        let (status, _, _) = patch_org!(app, &admin_token, json!({"unique_external_id": false}));
        assert_eq!(status, 200, "{label}");
        let _again = create!(app, token, "Users", with_external("ann@d.example", "ann"));
    }
}
