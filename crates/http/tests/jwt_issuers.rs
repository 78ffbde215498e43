//! JWTs from trusted issuers (PRODUCT.md §1), on every test database, with keys generated
//! here: HS256 with a shared secret, RS256 and EdDSA with PEM keys, ES256 with a JWKS
//! served on loopback. Every refusal of §1 is a 401; the binding by issuer, audience and
//! required claims (Entra's shape) keeps organizations apart, and a registration that could
//! match another's tokens is a 409; the JWKS is fetched at most once a minute and an outage
//! keeps the keys already fetched.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

#[macro_use]
mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::http::Method;
use common::{Harness, code, request, user};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

const ENTRA_AUDIENCE: &str = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621";

/// A signing key made here, with what a registration needs to verify it.
struct Signer {
    algorithm: Algorithm,
    encoding: EncodingKey,
    /// The PEM public key (none for HS256).
    public_pem: Option<String>,
    /// The shared secret (HS256).
    secret: Option<String>,
    /// The private key as PEM (none for HS256): never to be accepted as a public key.
    private_pem: Option<String>,
}

fn random32() -> [u8; 32] {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    bytes
}

fn hs256() -> Signer {
    let secret = hex::encode(random32());
    Signer {
        algorithm: Algorithm::HS256,
        encoding: EncodingKey::from_secret(secret.as_bytes()).unwrap(),
        public_pem: None,
        secret: Some(secret),
        private_pem: None,
    }
}

fn rs256() -> Signer {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).unwrap();
    let private = key.to_pkcs8_pem(LineEnding::LF).unwrap();
    Signer {
        algorithm: Algorithm::RS256,
        encoding: EncodingKey::from_rsa_pem(private.as_bytes()).unwrap(),
        public_pem: Some(
            key.to_public_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap(),
        ),
        secret: None,
        private_pem: Some(private.to_string()),
    }
}

fn es256() -> Signer {
    use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let key = p256::SecretKey::from_slice(&random32()).unwrap();
    let private = key.to_pkcs8_pem(LineEnding::LF).unwrap();
    Signer {
        algorithm: Algorithm::ES256,
        encoding: EncodingKey::from_ec_pem(private.as_bytes()).unwrap(),
        public_pem: Some(key.public_key().to_public_key_pem(LineEnding::LF).unwrap()),
        secret: None,
        private_pem: Some(private.to_string()),
    }
}

fn eddsa() -> Signer {
    use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey, spki::der::pem::LineEnding};
    let key = ed25519_dalek::SigningKey::from_bytes(&random32());
    let private = key.to_pkcs8_pem(LineEnding::LF).unwrap();
    Signer {
        algorithm: Algorithm::EdDSA,
        encoding: EncodingKey::from_ed_pem(private.as_bytes()).unwrap(),
        public_pem: Some(
            key.verifying_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap(),
        ),
        secret: None,
        private_pem: Some(private.to_string()),
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Signer {
    /// A token with `claims`, signed, with `kid` in its header.
    fn sign(&self, claims: &Value, kid: Option<&str>) -> String {
        let mut header = Header::new(self.algorithm);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }

    /// Its public key as a JWK named `kid`.
    fn jwk(&self, kid: &str) -> Jwk {
        let mut jwk = Jwk::from_encoding_key(&self.encoding, self.algorithm).unwrap();
        jwk.common.key_id = Some(kid.to_owned());
        jwk
    }
}

/// Claims valid for an hour, for `issuer` and `audience`, plus `extra`.
fn claims(issuer: &str, audience: &str, extra: Value) -> Value {
    let mut claims = json!({
        "iss": issuer,
        "aud": audience,
        "sub": "provisioning",
        "iat": now(),
        "exp": now() + 3600,
        "jti": uuid(),
    });
    if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
        for (name, value) in extra {
            claims.insert(name.clone(), value.clone());
        }
    }
    claims
}

fn uuid() -> String {
    hex::encode(&random32()[..16])
}

/// A JWKS on loopback: serves `keys` (or 503 while `down`), counting the fetches.
struct JwksServer {
    url: String,
    keys: Arc<Mutex<JwkSet>>,
    down: Arc<AtomicBool>,
    fetches: Arc<AtomicUsize>,
}

impl JwksServer {
    fn start() -> JwksServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/keys.json", listener.local_addr().unwrap());
        let keys = Arc::new(Mutex::new(JwkSet { keys: Vec::new() }));
        let down = Arc::new(AtomicBool::new(false));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (served, is_down, counted) = (keys.clone(), down.clone(), fetches.clone());
        std::thread::spawn(move || {
            // Bounded: a test makes a handful of fetches.
            for stream in listener.incoming().take(50) {
                let Ok(mut stream) = stream else { continue };
                let mut buffer = [0_u8; 4096];
                let _ = stream.read(&mut buffer);
                counted.fetch_add(1, Ordering::SeqCst);
                let (status, body) = if is_down.load(Ordering::SeqCst) {
                    ("503 Service Unavailable", String::new())
                } else {
                    (
                        "200 OK",
                        serde_json::to_string(&*served.lock().unwrap()).unwrap(),
                    )
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        JwksServer {
            url,
            keys,
            down,
            fetches,
        }
    }

    fn publish(&self, keys: Vec<Jwk>) {
        self.keys.lock().unwrap().keys = keys;
    }
}

/// Register an issuer for the harness's first tenant: `(status, body)`.
macro_rules! register {
    ($app:expr, $admin:expr, $body:expr) => {{
        let (status, body, _) = call!(
            $app,
            common::admin("POST", "/admin/v1/jwt-issuers", Some($admin), Some($body))
        );
        (status, body)
    }};
}

#[actix_web::test]
async fn every_algorithm_verifies_and_every_refusal_is_a_401() {
    let (hs, rs, es, ed) = (hs256(), rs256(), es256(), eddsa());
    let jwks = JwksServer::start();
    jwks.publish(vec![es.jwk("es-1")]);
    for db in TestDb::all() {
        let h = Harness::new(db).allowing_private_webhooks();
        let label = h.label();
        h.unlimited(&h.a.org_id);
        let app = app_with_admin!(h);
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let registrations = [
            (
                "https://hs.example/",
                json!({"shared_secret": hs.secret}),
                &hs,
                "HS256",
            ),
            (
                "https://rs.example/",
                json!({"public_key_pem": rs.public_pem}),
                &rs,
                "RS256",
            ),
            (
                "https://es.example/",
                json!({"jwks_url": jwks.url}),
                &es,
                "ES256",
            ),
            (
                "https://ed.example/",
                json!({"public_key_pem": ed.public_pem}),
                &ed,
                "EdDSA",
            ),
        ];
        let mut ids = Vec::new();
        for (issuer, key, _, algorithm) in &registrations {
            let mut body =
                json!({"issuer": issuer, "audience": "rollcall", "algorithms": [algorithm]});
            for (name, value) in key.as_object().unwrap() {
                body[name] = value.clone();
            }
            let (status, created) = register!(app, &admin, body);
            assert_eq!(status, 201, "{label}: {issuer}: {created}");
            assert!(
                !created.to_string().contains(hs.secret.as_deref().unwrap()),
                "{label}: the secret is never shown"
            );
            ids.push(created["id"].as_str().unwrap().to_owned());
        }
        let get = |token: &str| request(Method::GET, "/scim/v2/Users", token);
        for ((issuer, _, signer, _), id) in registrations.iter().zip(&ids) {
            let kid = (signer.algorithm == Algorithm::ES256).then_some("es-1");
            let good = signer.sign(&claims(issuer, "rollcall", json!({})), kid);
            let reply = send!(app, get(&good));
            assert_eq!(reply.status, 200, "{label}: {issuer}: {}", reply.body);
            // Again, from the memory of verified tokens.
            assert_eq!(send!(app, get(&good)).status, 200, "{label}: {issuer}");
            let refused: Vec<(&str, String)> = vec![
                (
                    "expired",
                    signer.sign(
                        &claims(issuer, "rollcall", json!({"exp": now() - 120})),
                        kid,
                    ),
                ),
                (
                    "not yet valid",
                    signer.sign(
                        &claims(issuer, "rollcall", json!({"nbf": now() + 600})),
                        kid,
                    ),
                ),
                ("no exp", {
                    let mut without = claims(issuer, "rollcall", json!({}));
                    without.as_object_mut().unwrap().remove("exp");
                    signer.sign(&without, kid)
                }),
                (
                    "wrong issuer",
                    signer.sign(&claims("https://evil.example/", "rollcall", json!({})), kid),
                ),
                (
                    "wrong audience",
                    signer.sign(&claims(issuer, "elsewhere", json!({})), kid),
                ),
                ("bad signature", {
                    let other = if signer.algorithm == Algorithm::HS256 {
                        hs256()
                    } else {
                        rs256()
                    };
                    let forged = other.sign(&claims(issuer, "rollcall", json!({})), kid);
                    let (head, _) = good.rsplit_once('.').unwrap();
                    format!("{head}.{}", forged.rsplit_once('.').unwrap().1)
                }),
                ("wrong algorithm: HS256 keyed with the public key", {
                    let public = signer.public_pem.clone().unwrap_or_else(|| "x".repeat(40));
                    let confused = Signer {
                        algorithm: Algorithm::HS256,
                        encoding: EncodingKey::from_secret(public.as_bytes()).unwrap(),
                        public_pem: None,
                        secret: None,
                        private_pem: None,
                    };
                    if signer.algorithm == Algorithm::HS256 {
                        rs.sign(&claims(issuer, "rollcall", json!({})), kid)
                    } else {
                        confused.sign(&claims(issuer, "rollcall", json!({})), kid)
                    }
                }),
                ("alg none", {
                    let (_, payload) = good.split_once('.').unwrap();
                    let payload = payload.rsplit_once('.').unwrap().0;
                    use base64::Engine;
                    let head = base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .encode(r#"{"alg":"none","typ":"JWT"}"#);
                    format!("{head}.{payload}.")
                }),
            ];
            for (what, token) in refused {
                let reply = send!(app, get(&token));
                assert_eq!(
                    reply.status, 401,
                    "{label}: {issuer}: {what}: {}",
                    reply.body
                );
                assert_eq!(
                    reply.header("www-authenticate"),
                    Some("Bearer"),
                    "{label}: {what}"
                );
            }
            // Writes are the registration's: actor scim:<id>, actor_kind jwt.
            let created = create!(app, &good, "Users", user(&format!("u-{id}")));
            let record = h.records(Some("user.create")).pop().unwrap();
            assert_eq!(record.target, format!("user:{created}"), "{label}");
            assert_eq!(record.actor, format!("scim:{id}"), "{label}");
            assert_eq!(record.actor_kind.as_deref(), Some("jwt"), "{label}");
        }
        // Refusals are counted by reason, per instance.
        let reasons = h.state.counters().refusal_reasons;
        for reason in [
            "expired",
            "not_yet_valid",
            "unknown_issuer",
            "bad_signature",
        ] {
            assert!(
                reasons
                    .iter()
                    .any(|(name, count)| *name == reason && *count > 0),
                "{label}: {reason} in {reasons:?}"
            );
        }
        // An unknown kid at the JWKS: 401 (the set was fetched a moment ago).
        let stranger = es256();
        let unknown = stranger.sign(
            &claims("https://es.example/", "rollcall", json!({})),
            Some("es-9"),
        );
        assert_eq!(
            send!(app, get(&unknown)).status,
            401,
            "{label}: unknown kid"
        );

        // Deleting the registration refuses its tokens on the next request, even one
        // verified a moment ago.
        let good = rs.sign(&claims("https://rs.example/", "rollcall", json!({})), None);
        assert_eq!(send!(app, get(&good)).status, 200, "{label}");
        let (status, _, _) = call!(
            app,
            common::admin(
                "DELETE",
                &format!("/admin/v1/jwt-issuers/{}", ids[1]),
                Some(&admin),
                None
            )
        );
        assert_eq!(status, 204, "{label}");
        assert_eq!(send!(app, get(&good)).status, 401, "{label}: deleted");
        let (status, listed, _) = call!(
            app,
            common::admin("GET", "/admin/v1/jwt-issuers", Some(&admin), None)
        );
        assert_eq!(status, 200, "{label}");
        assert_eq!(
            listed["jwt_issuers"].as_array().unwrap().len(),
            3,
            "{label}"
        );
        assert_eq!(
            listed["jwt_issuers"][0]["shared_secret"], "[set]",
            "{label}"
        );
    }
}

#[actix_web::test]
async fn entra_shaped_tokens_are_bound_by_tenant_and_app_and_keys_cannot_be_squatted() {
    let signer = rs256();
    let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let issuer = format!("https://sts.windows.net/{tenant}/");
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app_with_admin!(h);
        let (_, admin_a) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let b = h.tenant("Beta");
        let (_, admin_b) = h.token(&b.org_id, TokenKind::Admin, None);
        let registration = |claims: Value| {
            json!({
                "issuer": issuer,
                "audience": ENTRA_AUDIENCE,
                "algorithms": ["RS256"],
                "public_key_pem": signer.public_pem,
                "required_claims": claims,
            })
        };
        let (status, a) = register!(
            app,
            &admin_a,
            registration(json!({"tid": tenant, "appid": "app-a"}))
        );
        assert_eq!(status, 201, "{label}: {a}");
        let (status, b_reg) = register!(
            app,
            &admin_b,
            registration(json!({"tid": tenant, "appid": "app-b"}))
        );
        assert_eq!(status, 201, "{label}: {b_reg}");
        // A key that could match A's tokens: refused for B, and for A itself.
        for (admin, claims) in [
            (&admin_b, json!({"tid": tenant})),
            (&admin_b, json!({})),
            (&admin_b, json!({"appid": "app-a"})),
            (&admin_a, json!({"tid": tenant, "appid": "app-a"})),
        ] {
            let (status, body) = register!(app, admin, registration(claims.clone()));
            assert_eq!(status, 409, "{label}: {claims}: {body}");
            assert!(
                !body.to_string().contains(&h.a.org_id),
                "{label}: another org's id is never shown"
            );
        }
        let token = |appid: &str| {
            signer.sign(
                &claims(
                    &issuer,
                    ENTRA_AUDIENCE,
                    json!({"tid": tenant, "appid": appid, "oid": "x"}),
                ),
                None,
            )
        };
        // Each token acts in its own organization.
        let ann = create!(app, &token("app-a"), "Users", user("ann"));
        let reply = send!(
            app,
            request(
                Method::GET,
                &format!("/scim/v2/Users/{ann}"),
                &token("app-b")
            )
        );
        assert_eq!(reply.status, 404, "{label}: B cannot see A's user");
        let reply = send!(
            app,
            request(
                Method::GET,
                &format!("/scim/v2/Users/{ann}"),
                &token("app-a")
            )
        );
        assert_eq!(reply.status, 200, "{label}");
        // A claim holding the value in an array is not the value.
        let listed = signer.sign(
            &claims(
                &issuer,
                ENTRA_AUDIENCE,
                json!({"tid": ["elsewhere", tenant], "appid": "app-a"}),
            ),
            None,
        );
        assert_eq!(
            send!(app, request(Method::GET, "/scim/v2/Users", &listed)).status,
            401,
            "{label}: required claims are exact"
        );
        // An app no registration names, and another tenant: 401.
        assert_eq!(
            send!(app, request(Method::GET, "/scim/v2/Users", &token("app-c"))).status,
            401,
            "{label}"
        );
        let other_tenant = signer.sign(
            &claims(
                "https://sts.windows.net/00000000-0000-0000-0000-000000000000/",
                ENTRA_AUDIENCE,
                json!({"tid": "00000000-0000-0000-0000-000000000000", "appid": "app-a"}),
            ),
            None,
        );
        assert_eq!(
            send!(app, request(Method::GET, "/scim/v2/Users", &other_tenant)).status,
            401,
            "{label}"
        );
        // B cannot delete A's registration; the operator can, and then B may take the key.
        let a_id = a["id"].as_str().unwrap();
        let (status, body, _) = call!(
            app,
            common::admin(
                "DELETE",
                &format!("/admin/v1/jwt-issuers/{a_id}"),
                Some(&admin_b),
                None
            )
        );
        assert_eq!((status, code(&body)), (404, "not_found"), "{label}");
        h.store
            .write(|tx| tx.jwt_issuers().delete_any(a_id))
            .unwrap();
        let (status, body) = register!(
            app,
            &admin_b,
            registration(json!({"tid": tenant, "appid": "app-a"}))
        );
        assert_eq!(status, 201, "{label}: {body}");
        let reply = send!(
            app,
            request(
                Method::GET,
                &format!("/scim/v2/Users/{ann}"),
                &token("app-a")
            )
        );
        assert_eq!(reply.status, 404, "{label}: the key now acts for B");
    }
}

#[actix_web::test]
async fn registrations_are_validated() {
    let rs = rs256();
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app_with_admin!(h);
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let base = json!({"issuer": "https://i.example/", "audience": "a", "algorithms": ["RS256"], "public_key_pem": rs.public_pem});
        let with = |edit: &dyn Fn(&mut Value)| {
            let mut body = base.clone();
            edit(&mut body);
            body
        };
        let cases: Vec<(&str, Value)> = vec![
            (
                "no issuer",
                with(&|b| {
                    b.as_object_mut().unwrap().remove("issuer");
                }),
            ),
            (
                "rollcall's own issuer",
                with(&|b| b["issuer"] = json!("rollcall")),
            ),
            ("no audience", with(&|b| b["audience"] = json!(""))),
            ("no algorithms", with(&|b| b["algorithms"] = json!([]))),
            ("alg none", with(&|b| b["algorithms"] = json!(["none"]))),
            ("HS512", with(&|b| b["algorithms"] = json!(["HS512"]))),
            (
                "no key",
                with(&|b| {
                    b.as_object_mut().unwrap().remove("public_key_pem");
                }),
            ),
            (
                "two keys",
                with(&|b| b["jwks_url"] = json!("https://i.example/keys")),
            ),
            (
                "HS256 with a public key",
                with(&|b| b["algorithms"] = json!(["HS256"])),
            ),
            (
                "a short secret",
                json!({"issuer": "https://i.example/", "audience": "a", "algorithms": ["HS256"], "shared_secret": "short"}),
            ),
            (
                "a secret for RS256",
                json!({"issuer": "https://i.example/", "audience": "a", "algorithms": ["RS256"], "shared_secret": "x".repeat(40)}),
            ),
            (
                "a PEM that is not a key",
                with(&|b| {
                    b["public_key_pem"] =
                        json!("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
                }),
            ),
            (
                "an RSA key for ES256",
                with(&|b| b["algorithms"] = json!(["ES256"])),
            ),
            (
                "a private key",
                with(&|b| b["public_key_pem"] = json!(rs.private_pem)),
            ),
            (
                "a private JWKS address",
                json!({"issuer": "https://i.example/", "audience": "a", "algorithms": ["RS256"], "jwks_url": "http://127.0.0.1:9/keys"}),
            ),
            (
                "a metadata JWKS address",
                json!({"issuer": "https://i.example/", "audience": "a", "algorithms": ["RS256"], "jwks_url": "http://169.254.169.254/keys"}),
            ),
            (
                "a file JWKS",
                json!({"issuer": "https://i.example/", "audience": "a", "algorithms": ["RS256"], "jwks_url": "file:///etc/passwd"}),
            ),
            (
                "a reserved claim",
                with(&|b| b["required_claims"] = json!({"exp": 1})),
            ),
            (
                "an object claim",
                with(&|b| b["required_claims"] = json!({"tid": {"a": 1}})),
            ),
            (
                "claims not an object",
                with(&|b| b["required_claims"] = json!(["tid"])),
            ),
            ("an unknown field", with(&|b| b["kid"] = json!("k"))),
            (
                "a long issuer",
                with(&|b| b["issuer"] = json!("x".repeat(600))),
            ),
        ];
        for (what, body) in cases {
            let (status, reply) = register!(app, &admin, body);
            assert_eq!(
                (status, code(&reply)),
                (400, "invalid_request"),
                "{label}: {what}: {reply}"
            );
        }
        let (status, listed, _) = call!(
            app,
            common::admin("GET", "/admin/v1/jwt-issuers", Some(&admin), None)
        );
        assert_eq!(
            (status, &listed["jwt_issuers"]),
            (200, &json!([])),
            "{label}: nothing stored"
        );
        // A SCIM token is not enough.
        let (status, _) = register!(app, &h.a.token, base.clone());
        assert_eq!(status, 401, "{label}");
    }
}

#[actix_web::test]
async fn the_jwks_is_fetched_at_most_once_a_minute_and_an_outage_keeps_cached_keys() {
    let (first, second, third) = (es256(), es256(), es256());
    let jwks = JwksServer::start();
    jwks.publish(vec![first.jwk("k1")]);
    let h = Harness::new(TestDb::sqlite()).allowing_private_webhooks();
    let offset = Arc::new(AtomicI64::new(0));
    let clock = offset.clone();
    let mut h = h;
    h.state = h.state.clone().with_clock(move || {
        chrono::Utc::now() + chrono::Duration::seconds(clock.load(Ordering::SeqCst))
    });
    h.unlimited(&h.a.org_id);
    let app = app_with_admin!(h);
    let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
    let issuer = "https://jwks.example/";
    let (status, body) = register!(
        app,
        &admin,
        json!({"issuer": issuer, "audience": "rollcall", "algorithms": ["ES256"], "jwks_url": jwks.url})
    );
    assert_eq!(status, 201, "{body}");
    let token = |signer: &Signer, kid: &str| {
        let mut claims = claims(issuer, "rollcall", json!({}));
        claims["exp"] = json!(now() + 86_400);
        signer.sign(&claims, Some(kid))
    };
    let get = |token: String| request(Method::GET, "/scim/v2/Users", &token);
    assert_eq!(send!(app, get(token(&first, "k1"))).status, 200);
    assert_eq!(jwks.fetches.load(Ordering::SeqCst), 1);
    // A new key is published; within the minute an unknown kid does not fetch again.
    jwks.publish(vec![first.jwk("k1"), second.jwk("k2")]);
    for _ in 0..3 {
        assert_eq!(send!(app, get(token(&second, "k2"))).status, 401);
    }
    assert_eq!(
        jwks.fetches.load(Ordering::SeqCst),
        1,
        "at most once a minute"
    );
    offset.store(61, Ordering::SeqCst);
    assert_eq!(send!(app, get(token(&second, "k2"))).status, 200);
    assert_eq!(jwks.fetches.load(Ordering::SeqCst), 2);
    // The JWKS goes down: cached keys still verify new tokens; an unknown one cannot.
    jwks.down.store(true, Ordering::SeqCst);
    offset.store(200, Ordering::SeqCst);
    assert_eq!(send!(app, get(token(&third, "k3"))).status, 401);
    assert_eq!(jwks.fetches.load(Ordering::SeqCst), 3, "tried, and failed");
    assert_eq!(send!(app, get(token(&first, "k1"))).status, 200, "cached");
    assert_eq!(send!(app, get(token(&second, "k2"))).status, 200, "cached");
}
