//! Passwords are never kept in clear (PRODUCT.md §1). The org setting `password_storage`
//! decides: `discard` (the default) accepts a password and drops it, recording that it did;
//! `argon2id` keeps only a PHC hash, which `rollcall_app::verify_password` checks. Every
//! way a write carries a password (POST, PUT, PATCH with and without a path, Bulk) is
//! walked under both settings on both databases; no filter tests a password and nothing
//! sorts by it; `changePassword` follows the setting.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use common::{Harness, code, encode, patch, request, user, with_json};
use rollcall_app::verify_password;
use rollcall_store::testing::TestDb;
use rollcall_store::{AuditQuery, ResourceKind, TokenKind};
use serde_json::{Value, json};

/// How a write carries the password: (name, method, uri for user `id`, body).
type Write = (&'static str, Method, fn(&str) -> String, fn(&str) -> Value);

fn user_uri(id: &str) -> String {
    format!("/scim/v2/Users/{id}")
}

/// Each way a password reaches an existing user, setting `secret`.
fn writes() -> Vec<Write> {
    vec![
        ("PUT", Method::PUT, user_uri, |secret| {
            let mut body = user("ann");
            body["password"] = json!(secret);
            body
        }),
        ("PATCH path", Method::PATCH, user_uri, |secret| {
            patch(json!([{"op": "replace", "path": "password", "value": secret}]))
        }),
        ("PATCH Entra", Method::PATCH, user_uri, |secret| {
            patch(
                json!([{"op": "Replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:PASSWORD", "value": secret}]),
            )
        }),
        ("PATCH path-less", Method::PATCH, user_uri, |secret| {
            patch(json!([{"op": "replace", "value": {"password": secret, "nickName": "n"}}]))
        }),
        (
            "Bulk PATCH",
            Method::POST,
            |_| "/scim/v2/Bulk".to_owned(),
            |secret| {
                json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                    "Operations": [{"method": "PATCH", "path": "/Users/ANN_ID",
                        "data": patch(json!([{"op": "add", "path": "password", "value": secret}]))}]
                })
            },
        ),
    ]
}

/// The stored user, beneath the API.
fn stored(h: &Harness, id: &str) -> Value {
    h.store
        .read(|tx| tx.resources(ResourceKind::User).get(&h.a.org_id, id, false))
        .unwrap()
        .resource
}

/// Every audit record of the tenant, as text.
fn trail(h: &Harness) -> Vec<Value> {
    h.store
        .read(|tx| {
            tx.audit().query(
                &h.a.org_id,
                &AuditQuery {
                    limit: 1000,
                    ..AuditQuery::default()
                },
            )
        })
        .unwrap()
        .into_iter()
        .map(|record| json!({"operation": record.operation, "detail": record.detail}))
        .collect()
}

#[actix_web::test]
async fn a_password_is_dropped_or_hashed_never_kept_in_clear() {
    for storage in ["discard", "argon2id"] {
        for db in TestDb::all() {
            let h = Harness::new(db);
            let label = format!("{} {storage}", h.label());
            let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
            let app = app_with_admin!(h);
            let token = h.a.token.as_str();
            if storage == "argon2id" {
                let (status, body, _) =
                    patch_org!(app, &admin_token, json!({"password_storage": "argon2id"}));
                assert_eq!(status, 200, "{label}: {body}");
                assert_eq!(body["password_storage"], "argon2id", "{label}");
            }
            let holds = |h: &Harness, id: &str, secret: &str, context: &str| {
                let data = stored(h, id);
                match storage {
                    "discard" => {
                        assert_eq!(data.get("password"), None, "{label} {context}")
                    }
                    _ => {
                        let phc = data["password"].as_str().unwrap_or_default();
                        assert!(phc.starts_with("$argon2id$"), "{label} {context}: {data}");
                        assert!(verify_password(phc, secret), "{label} {context}");
                    }
                }
            };

            let mut body = user("ann");
            body["password"] = json!("s3cret-pass");
            let reply = send!(app, with_json(Method::POST, "/scim/v2/Users", token, &body));
            assert_eq!(reply.status, 201, "{label}: {}", reply.body);
            assert_eq!(reply.body.get("password"), None, "{label}: never returned");
            let ann = reply.body["id"].as_str().unwrap().to_owned();
            holds(&h, &ann, "s3cret-pass", "POST");

            for (index, (name, method, uri, body)) in writes().into_iter().enumerate() {
                let secret = format!("n3w-pass-{index}");
                let body = body(&secret).to_string().replace("ANN_ID", &ann);
                let body: Value = serde_json::from_str(&body).unwrap();
                let reply = send!(app, with_json(method, &uri(&ann), token, &body));
                assert_eq!(reply.status, 200, "{label} {name}: {}", reply.body);
                if name.starts_with("Bulk") {
                    let status = &reply.body["Operations"][0]["status"];
                    assert_eq!(status, "200", "{label} {name}: {}", reply.body);
                }
                holds(&h, &ann, &secret, name);
            }

            // A PUT without a password keeps what is stored (a hash, or nothing).
            let before = stored(&h, &ann).get("password").cloned();
            let mut put = user("ann");
            put["displayName"] = json!("Ann");
            let reply = send!(app, with_json(Method::PUT, &user_uri(&ann), token, &put));
            assert_eq!(reply.status, 200, "{label}: {}", reply.body);
            assert_eq!(stored(&h, &ann).get("password").cloned(), before, "{label}");

            // A Bulk POST of a user with a password.
            let bulk = json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": [{"method": "POST", "path": "/Users", "bulkId": "b",
                    "data": {"schemas": [common::USER], "userName": "bob", "password": "b0b-pass"}}]
            });
            let reply = send!(app, with_json(Method::POST, "/scim/v2/Bulk", token, &bulk));
            assert_eq!(reply.status, 200, "{label}");
            let location = reply.body["Operations"][0]["location"].as_str().unwrap();
            let bob = location.rsplit('/').next().unwrap().to_owned();
            holds(&h, &bob, "b0b-pass", "Bulk POST");

            // The trail says what became of each password, never what it was.
            let records = trail(&h);
            let kept = if storage == "discard" {
                "discarded"
            } else {
                "argon2id"
            };
            let create = records
                .iter()
                .find(|record| record["operation"] == "user.create")
                .unwrap();
            assert_eq!(
                create["detail"]["after"]["password"], "[redacted]",
                "{label}"
            );
            assert_eq!(create["detail"]["password"], kept, "{label}");
            let settled = records
                .iter()
                .filter(|record| record["detail"]["password"] == kept)
                .count();
            assert_eq!(settled, 2 + writes().len(), "{label}: {records:?}");
            let text = serde_json::to_string(&records).unwrap();
            for secret in ["s3cret-pass", "n3w-pass", "b0b-pass", "$argon2id$"] {
                assert!(!text.contains(secret), "{label}: {secret} in the trail");
            }

            // Hashes outlive nothing: a deleted user's tombstone keeps none, and an org
            // that goes back to discard keeps none (found by probing).
            let hashes = |table: &str| {
                h.db.count(&format!(
                    "SELECT COUNT(*) FROM {table} WHERE data LIKE '%argon2id%'"
                ))
                .unwrap()
            };
            let reply = send!(
                app,
                request(Method::DELETE, &format!("/scim/v2/Users/{bob}"), token)
            );
            assert_eq!(reply.status, 204, "{label}");
            assert_eq!(hashes("user_tombstones"), 0, "{label}");
            let expected = i64::from(storage == "argon2id");
            assert_eq!(hashes("scim_users"), expected, "{label}: ann's");
            let (status, _, _) =
                patch_org!(app, &admin_token, json!({"password_storage": "discard"}));
            assert_eq!(status, 200, "{label}");
            assert_eq!(hashes("scim_users"), 0, "{label}");
            assert_eq!(
                stored(&h, &ann)["userName"],
                "ann",
                "{label}: the rest stays"
            );
        }
    }
}

#[actix_web::test]
async fn no_filter_tests_a_password_and_nothing_sorts_by_it() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app!(h);
        let token = h.a.token.as_str();
        let mut body = user("ann");
        body["password"] = json!("s3cret-pass");
        let _ann = create!(app, token, "Users", body);
        for filter in [
            r#"password eq "s3cret-pass""#,
            r#"PASSWORD EQ "S3CRET-PASS""#,
            r#"password ne "x""#,
            "password pr",
            r#"password sw "s""#,
            r#"not (password gt "a")"#,
            r#"userName eq "ann" or urn:ietf:params:scim:schemas:core:2.0:User:password eq "s3cret-pass""#,
        ] {
            let uri = format!("/scim/v2/Users?filter={}", encode(filter));
            let reply = send!(app, request(Method::GET, &uri, token));
            reply.assert_error(400, Some("invalidFilter"), &format!("{label} {filter}"));
            let search = json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                "filter": filter
            });
            let reply = send!(
                app,
                with_json(Method::POST, "/scim/v2/Users/.search", token, &search)
            );
            reply.assert_error(400, Some("invalidFilter"), &format!("{label} {filter}"));
        }
        for sort in ["password", "Password"] {
            let uri = format!("/scim/v2/Users?sortBy={sort}");
            let reply = send!(app, request(Method::GET, &uri, token));
            reply.assert_error(400, Some("invalidValue"), &format!("{label} {sort}"));
        }
        // The attribute itself is never returned, even when asked for.
        let reply = send!(
            app,
            request(Method::GET, "/scim/v2/Users?attributes=password", token)
        );
        assert_eq!(reply.status, 200, "{label}");
        assert_eq!(reply.body["Resources"][0].get("password"), None, "{label}");
    }
}

#[actix_web::test]
async fn change_password_follows_the_organizations_setting() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let app = app_with_admin!(h);
        let supported = |body: &Value| body["changePassword"]["supported"].clone();
        let anonymous = TestRequest::get().uri("/scim/v2/ServiceProviderConfig");
        let reply = send!(app, anonymous);
        assert_eq!(supported(&reply.body), false, "{label}");
        let spc = || request(Method::GET, "/scim/v2/ServiceProviderConfig", &h.a.token);
        assert_eq!(supported(&send!(app, spc()).body), false, "{label}");

        for (value, expected) in [("argon2id", true), ("discard", false)] {
            let (status, body, _) =
                patch_org!(app, &admin_token, json!({"password_storage": value}));
            assert_eq!(status, 200, "{label}: {body}");
            assert_eq!(supported(&send!(app, spc()).body), expected, "{label}");
        }
        let reply = send!(
            app,
            request(Method::GET, "/scim/v2/ServiceProviderConfig", "wrong")
        );
        reply.assert_error(401, None, &label);

        for bad in [json!("bcrypt"), json!("ARGON2ID"), json!(true), json!(null)] {
            let (status, body, _) = patch_org!(app, &admin_token, json!({"password_storage": bad}));
            assert_eq!(
                (status, code(&body)),
                (400, "invalid_request"),
                "{label} {bad}"
            );
        }
    }
}
