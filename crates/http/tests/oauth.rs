//! OAuth 2.0 client credentials (PRODUCT.md §1), on every test database: clients made and
//! revoked through the admin API, `POST /oauth/token` with both client authentication
//! methods and every RFC 6749 §5.2 error, access tokens accepted by the SCIM API as their
//! client's credential (actor and `actor_kind` in the trail), refused once the client is
//! revoked, when tampered with or signed by a key of another organization, and accepted
//! across a rotation of the organization's signing key. Tokens share their client's budget.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

#[macro_use]
mod common;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::{Harness, code, request, user};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

/// `POST /oauth/token` with `form` (and, optionally, HTTP Basic credentials):
/// `(status, body, WWW-Authenticate, Cache-Control)`.
macro_rules! token {
    ($app:expr, $request:expr) => {{
        let response = actix_web::test::call_service(&$app, $request.to_request()).await;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let (authenticate, cache) = (header("www-authenticate"), header("cache-control"));
        let retry_after = header("retry-after");
        let content_type = header("content-type");
        let bytes = actix_web::test::read_body(response).await;
        assert_eq!(
            content_type.as_deref(),
            Some("application/json"),
            "{status}"
        );
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        (status, body, authenticate, cache, retry_after)
    }};
}

fn form(body: &str) -> TestRequest {
    TestRequest::post()
        .uri("/oauth/token")
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(body.to_owned())
}

fn basic(request: TestRequest, id: &str, secret: &str) -> TestRequest {
    request.insert_header((
        "authorization",
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))),
    ))
}

/// A new OAuth client of the harness's first tenant: `(id, client_id, client_secret)`.
macro_rules! client {
    ($app:expr, $admin:expr) => {{
        let (status, body, _) = call!(
            $app,
            common::admin(
                "POST",
                "/admin/v1/oauth-clients",
                Some($admin),
                Some(json!({"name": "Entra"}))
            )
        );
        assert_eq!(status, 201, "{body}");
        (
            body["id"].as_str().unwrap().to_owned(),
            body["client_id"].as_str().unwrap().to_owned(),
            body["client_secret"].as_str().unwrap().to_owned(),
        )
    }};
}

#[actix_web::test]
async fn a_client_gets_tokens_the_scim_api_accepts_until_it_is_revoked() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app_with_admin!(h);
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let (id, client_id, secret) = client!(app, &admin);
        assert!(client_id.starts_with("rc_client_"), "{label}");
        // Listed without its secret.
        let (status, list, _) = call!(
            app,
            common::admin("GET", "/admin/v1/oauth-clients", Some(&admin), None)
        );
        assert_eq!(status, 200, "{label}");
        assert_eq!(list["oauth_clients"][0]["id"], json!(id), "{label}");
        assert!(!list.to_string().contains(&secret), "{label}: {list}");

        // client_secret_basic and client_secret_post; an unknown scope is ignored.
        let (status, by_basic, _, cache, _) = token!(
            app,
            basic(
                form("grant_type=client_credentials&scope=scim"),
                &client_id,
                &secret
            )
        );
        assert_eq!(status, 200, "{label}: {by_basic}");
        assert_eq!(by_basic["token_type"], "Bearer", "{label}");
        assert_eq!(by_basic["expires_in"], 3600, "{label}");
        assert_eq!(cache.as_deref(), Some("no-store"), "{label}");
        let (status, by_post, _, _, _) = token!(
            app,
            form(&format!(
                "grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
            ))
        );
        assert_eq!(status, 200, "{label}: {by_post}");

        // Both are the client's credential on the SCIM API.
        for body in [&by_basic, &by_post] {
            let access = body["access_token"].as_str().unwrap();
            let reply = send!(app, request(Method::GET, "/scim/v2/Users", access));
            assert_eq!(reply.status, 200, "{label}: {}", reply.body);
        }
        let access = by_basic["access_token"].as_str().unwrap().to_owned();
        let created = create!(app, &access, "Users", user("ann"));
        let record = h.records(Some("user.create")).pop().unwrap();
        assert_eq!(record.actor, format!("scim:{id}"), "{label}");
        assert_eq!(
            record.actor_kind.as_deref(),
            Some("oauth_client"),
            "{label}"
        );
        assert_eq!(record.target, format!("user:{created}"), "{label}");
        let issued = h.records(Some("oauth_token.issue"));
        assert_eq!(issued.len(), 2, "{label}: issuing is recorded");
        assert!(
            issued
                .iter()
                .all(|r| r.status == 200 && r.actor == format!("scim:{id}")),
            "{label}"
        );
        assert!(
            !format!("{issued:?}").contains(&access),
            "{label}: no token in the trail"
        );
        // The admin API is not the token's.
        let (status, _, _) = call!(
            app,
            common::admin("GET", "/admin/v1/org", Some(&access), None)
        );
        assert_eq!(status, 401, "{label}");

        // Revoked: its tokens are refused on their next use, and it gets no more.
        let (status, _, _) = call!(
            app,
            common::admin(
                "DELETE",
                &format!("/admin/v1/oauth-clients/{id}"),
                Some(&admin),
                None
            )
        );
        assert_eq!(status, 204, "{label}");
        let reply = send!(app, request(Method::GET, "/scim/v2/Users", &access));
        assert_eq!(reply.status, 401, "{label}");
        let (status, body, authenticate, _, _) = token!(
            app,
            basic(form("grant_type=client_credentials"), &client_id, &secret)
        );
        assert_eq!(
            (status, &body["error"]),
            (401, &json!("invalid_client")),
            "{label}"
        );
        assert_eq!(
            authenticate.as_deref(),
            Some("Basic realm=\"rollcall\""),
            "{label}"
        );
        let failed = h.records(Some("oauth_token.issue")).pop().unwrap();
        assert_eq!(
            (
                failed.status,
                failed.actor.as_str(),
                failed.actor_kind.as_deref()
            ),
            (401, "unauthenticated", Some("oauth_client")),
            "{label}: a failed client authentication is recorded"
        );
        // Revoking again: 404.
        let (status, body, _) = call!(
            app,
            common::admin(
                "DELETE",
                &format!("/admin/v1/oauth-clients/{id}"),
                Some(&admin),
                None
            )
        );
        assert_eq!((status, code(&body)), (404, "not_found"), "{label}");
    }
}

#[actix_web::test]
async fn the_token_endpoint_answers_rfc_6749_errors() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        h.unlimited(&h.a.org_id);
        let app = app_with_admin!(h);
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let (_, client_id, secret) = client!(app, &admin);
        let good = format!("client_id={client_id}&client_secret={secret}");
        type Case = (&'static str, TestRequest, u16, &'static str);
        let cases: Vec<Case> = vec![
            ("no grant_type", form(&good), 400, "invalid_request"),
            (
                "another grant",
                form(&format!("grant_type=password&{good}")),
                400,
                "unsupported_grant_type",
            ),
            (
                "a parameter twice",
                form(&format!(
                    "grant_type=client_credentials&grant_type=client_credentials&{good}"
                )),
                400,
                "invalid_request",
            ),
            (
                "two authentication methods",
                basic(
                    form(&format!("grant_type=client_credentials&{good}")),
                    &client_id,
                    &secret,
                ),
                400,
                "invalid_request",
            ),
            (
                "a JSON body",
                TestRequest::post()
                    .uri("/oauth/token")
                    .insert_header(("content-type", "application/json"))
                    .set_payload(r#"{"grant_type":"client_credentials"}"#),
                400,
                "invalid_request",
            ),
            (
                "no client authentication",
                form("grant_type=client_credentials"),
                401,
                "invalid_client",
            ),
            (
                "a client id without a secret",
                form(&format!(
                    "grant_type=client_credentials&client_id={client_id}"
                )),
                401,
                "invalid_client",
            ),
            (
                "a wrong secret",
                basic(
                    form("grant_type=client_credentials"),
                    &client_id,
                    "rc_csecret_00",
                ),
                401,
                "invalid_client",
            ),
            (
                "an unknown client",
                basic(
                    form("grant_type=client_credentials"),
                    "rc_client_x",
                    &secret,
                ),
                401,
                "invalid_client",
            ),
            (
                "a Bearer header",
                form("grant_type=client_credentials")
                    .insert_header(("authorization", format!("Bearer {secret}"))),
                401,
                "invalid_client",
            ),
            (
                "Basic that is not base64",
                form("grant_type=client_credentials").insert_header(("authorization", "Basic %%%")),
                401,
                "invalid_client",
            ),
            (
                "a GET",
                TestRequest::get().uri("/oauth/token"),
                405,
                "invalid_request",
            ),
            (
                "an empty grant_type",
                form(&format!("grant_type=&{good}")),
                400,
                "invalid_request",
            ),
            (
                "a malformed escape",
                form(&format!("grant_type=client_credentials%ZZ&{good}")),
                400,
                "invalid_request",
            ),
            (
                "a value that is not UTF-8",
                form(&format!("grant_type=client_credentials&scope=%FF&{good}")),
                400,
                "invalid_request",
            ),
            (
                "a body that is not UTF-8",
                TestRequest::post()
                    .uri("/oauth/token")
                    .insert_header(("content-type", "application/x-www-form-urlencoded"))
                    .set_payload(b"grant_type=client_credentials&x=\xff".to_vec()),
                400,
                "invalid_request",
            ),
            (
                "two Authorization headers",
                basic(form("grant_type=client_credentials"), &client_id, &secret)
                    .append_header(("authorization", "Basic eDp5")),
                400,
                "invalid_request",
            ),
        ];
        for (what, request, status, error) in cases {
            let (got, body, authenticate, cache, _) = token!(app, request);
            assert_eq!(
                (got, body["error"].as_str()),
                (status, Some(error)),
                "{label}: {what}: {body}"
            );
            assert!(body["error_description"].is_string(), "{label}: {what}");
            assert_eq!(cache.as_deref(), Some("no-store"), "{label}: {what}");
            assert_eq!(authenticate.is_some(), status == 401, "{label}: {what}");
            assert!(body.get("access_token").is_none(), "{label}: {what}");
        }
        // The good request still works, and form-encoded Basic credentials are decoded.
        let (status, body, _, _, _) = token!(
            app,
            basic(
                form("grant_type=client_credentials"),
                &client_id.replace('_', "%5F"),
                &secret
            )
        );
        assert_eq!(status, 200, "{label}: {body}");
    }
}

/// A token's parts, with the payload changed by `edit` (the signature kept).
fn tampered(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    edit(&mut claims);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

#[actix_web::test]
async fn tampered_tokens_and_other_orgs_keys_are_refused_and_rotation_keeps_tokens_valid() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        h.unlimited(&h.a.org_id);
        let app = app_with_admin!(h);
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let (id, client_id, secret) = client!(app, &admin);
        let issue = || basic(form("grant_type=client_credentials"), &client_id, &secret);
        let (_, first, _, _, _) = token!(app, issue());
        let first = first["access_token"].as_str().unwrap().to_owned();
        let get = |token: &str| request(Method::GET, "/scim/v2/Users", token);
        assert_eq!(send!(app, get(&first)).status, 200, "{label}");

        // The organization's key rotates: the old token still works, new ones use the
        // new key, and both keep working.
        h.store
            .write(|tx| tx.oauth().rotate(&h.a.org_id, chrono::Utc::now()))
            .unwrap();
        let (_, second, _, _, _) = token!(app, issue());
        let second = second["access_token"].as_str().unwrap().to_owned();
        let kid = |token: &str| jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
        assert_ne!(
            kid(&first),
            kid(&second),
            "{label}: signed with the new key"
        );
        for token in [&first, &second] {
            assert_eq!(send!(app, get(token)).status, 200, "{label}");
        }

        // Another organization's client, and a token of theirs bent to name ours.
        let other = h.tenant("Other");
        let (_, other_admin) = h.token(&other.org_id, TokenKind::Admin, None);
        let other_client = h
            .store
            .write(|tx| tx.oauth().create(&other.org_id, None, chrono::Utc::now()))
            .unwrap();
        let _ = other_admin;
        let (status, theirs, _, _, _) = token!(
            app,
            basic(
                form("grant_type=client_credentials"),
                &other_client.client.client_id(),
                &other_client.secret
            )
        );
        assert_eq!(status, 200, "{label}");
        let theirs = theirs["access_token"].as_str().unwrap().to_owned();
        let reply = send!(app, get(&theirs));
        assert_eq!(reply.status, 200, "{label}");
        assert_eq!(
            reply.body["totalResults"], 0,
            "{label}: their org, not ours"
        );
        let refused = [
            // Their key cannot vouch for our client.
            tampered(&theirs, |claims| claims["sub"] = json!(id)),
            tampered(&first, |claims| {
                claims["sub"] = json!(other_client.client.id)
            }),
            tampered(&first, |claims| claims["exp"] = json!(4_102_444_800_i64)),
            tampered(&first, |claims| claims["aud"] = json!("elsewhere")),
            // No signature, and "alg": "none".
            format!("{}.", first.rsplit_once('.').unwrap().0),
            format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(format!(
                    r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#,
                    kid(&first)
                )),
                first.split('.').nth(1).unwrap()
            ),
        ];
        for token in refused {
            let reply = send!(app, get(&token));
            assert_eq!(reply.status, 401, "{label}: {token}");
        }
        // Two credentials in one request: refused, whichever comes first.
        let twice = get(&first).append_header(("authorization", "Bearer garbage"));
        assert_eq!(send!(app, twice).status, 401, "{label}");
        // Okta's header mode is for SCIM tokens: an access token without "Bearer" is not.
        let bare = TestRequest::get()
            .uri("/scim/v2/Users")
            .insert_header(("authorization", first.clone()));
        assert_eq!(send!(app, bare).status, 401, "{label}");
    }
}

#[actix_web::test]
async fn the_tokens_of_one_client_share_its_budget() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app_with_admin!(h);
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let (status, body, _) = patch_org!(
            app,
            &admin,
            json!({"rate_limit_per_second": 1, "rate_limit_burst": 6})
        );
        assert_eq!(status, 200, "{label}: {body}");
        let (_, client_id, secret) = client!(app, &admin);
        let mut tokens = Vec::new();
        for _ in 0..2 {
            let (status, body, _, _, _) = token!(
                app,
                basic(form("grant_type=client_credentials"), &client_id, &secret)
            );
            assert_eq!(status, 200, "{label}: {body}");
            tokens.push(body["access_token"].as_str().unwrap().to_owned());
        }
        // Six in the burst: two issuances spent two, and every use of either token,
        // its first included (charged once it is found valid), comes out of the same four.
        let mut served = 0;
        let mut limited = None;
        for k in 0..12 {
            let reply = send!(app, request(Method::GET, "/scim/v2/Users", &tokens[k % 2]));
            match reply.status {
                200 => served += 1,
                429 => {
                    limited = Some(reply.header("retry-after").map(str::to_owned));
                    break;
                }
                other => panic!("{label}: {other} {}", reply.body),
            }
        }
        assert_eq!(
            served, 4,
            "{label}: the 4 left of the burst, for both tokens"
        );
        assert_eq!(limited, Some(Some("1".to_owned())), "{label}");
        // The token endpoint spends the same budget.
        let (status, _, _, _, retry) = token!(
            app,
            basic(form("grant_type=client_credentials"), &client_id, &secret)
        );
        assert_eq!((status, retry.as_deref()), (429, Some("1")), "{label}");
    }
}

#[actix_web::test]
async fn service_provider_config_advertises_what_the_org_accepts() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app_with_admin!(h);
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let schemes = |body: &Value| -> Vec<String> {
            body["authenticationSchemes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|scheme| scheme["name"].as_str().unwrap().to_owned())
                .collect()
        };
        let config = "/scim/v2/ServiceProviderConfig";
        let reply = send!(app, request(Method::GET, config, &h.a.token));
        assert_eq!(schemes(&reply.body), ["OAuth Bearer Token"], "{label}");
        let (id, _, _) = client!(app, &admin);
        let reply = send!(app, request(Method::GET, config, &h.a.token));
        assert_eq!(
            schemes(&reply.body),
            ["OAuth Bearer Token", "OAuth 2.0 Client Credentials"],
            "{label}"
        );
        let oauth = &reply.body["authenticationSchemes"][1];
        assert_eq!(oauth["type"], "oauth2", "{label}");
        assert!(
            oauth["description"]
                .as_str()
                .unwrap()
                .ends_with("/oauth/token"),
            "{label}: {oauth}"
        );
        let (status, _, _) = call!(
            app,
            common::admin(
                "DELETE",
                &format!("/admin/v1/oauth-clients/{id}"),
                Some(&admin),
                None
            )
        );
        assert_eq!(status, 204, "{label}");
        let reply = send!(app, request(Method::GET, config, &h.a.token));
        assert_eq!(
            schemes(&reply.body),
            ["OAuth Bearer Token"],
            "{label}: revoked"
        );
        // Without a credential: everything the server accepts.
        let reply = send!(app, TestRequest::get().uri(config));
        assert_eq!(
            schemes(&reply.body),
            [
                "OAuth Bearer Token",
                "OAuth 2.0 Client Credentials",
                "JWT Bearer Token"
            ],
            "{label}"
        );
    }
}

#[actix_web::test]
async fn forwarded_headers_count_only_from_a_trusted_proxy() {
    let h = Harness::new(TestDb::sqlite());
    let proxy: std::net::IpAddr = "10.0.0.1".parse().unwrap();
    let config = rollcall_app::ScimConfig {
        trusted_proxies: vec![proxy],
        ..h.state.config().clone()
    };
    let mut h = h;
    h.state = rollcall_app::App::new(h.store.clone(), config);
    let app = app_with_admin!(h);
    let config = |peer: &str| {
        TestRequest::get()
            .uri("/scim/v2/ServiceProviderConfig")
            .insert_header(("host", "scim.example"))
            .insert_header(("x-forwarded-host", "evil.example"))
            .insert_header(("x-forwarded-proto", "https"))
            .peer_addr(peer.parse().unwrap())
    };
    let token_endpoint = |body: &Value| {
        body["authenticationSchemes"][1]["description"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let direct = send!(app, config("198.51.100.7:5000"));
    assert_eq!(
        direct.body["meta"]["location"],
        "http://scim.example/scim/v2/ServiceProviderConfig"
    );
    assert!(token_endpoint(&direct.body).ends_with("http://scim.example/oauth/token"));
    let proxied = send!(app, config("10.0.0.1:5000"));
    assert_eq!(
        proxied.body["meta"]["location"], "https://evil.example/scim/v2/ServiceProviderConfig",
        "the operator's proxy is believed"
    );
}
