//! Test harness: a real store (SQLite, and PostgreSQL when it answers) per test, an
//! organization with a SCIM token, and helpers to send requests through
//! `actix_web::test` and read SCIM replies.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap};
use actix_web::test::TestRequest;
use chrono::Utc;
use rollcall_http::{App, ScimConfig};
use rollcall_store::testing::TestDb;
use rollcall_store::{Store, StoreOptions, TokenKind};
use scim_core::Dialect;
use serde_json::{Value, json};

/// An organization and its SCIM token.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub org_id: String,
    pub token: String,
    pub token_id: String,
}

/// One test database with the app state over it and a first tenant.
pub struct Harness {
    pub db: TestDb,
    pub store: Store,
    pub state: App,
    pub a: Tenant,
}

/// The body limit of the test configuration.
pub const MAX_BODY: usize = 64 * 1024;
/// `maxOperations` of the test configuration.
pub const MAX_BULK_OPERATIONS: u32 = 20;
/// `maxPayloadSize` of the test configuration (larger than `MAX_BODY` on purpose).
pub const MAX_BULK_PAYLOAD: usize = 128 * 1024;

impl Harness {
    pub fn new(db: TestDb) -> Harness {
        Harness::with_options(db, &StoreOptions::default())
    }

    /// A harness whose store is opened with `options` (a small pool, say).
    pub fn with_options(db: TestDb, options: &StoreOptions) -> Harness {
        let store = Store::open(db.url(), options, chrono::DateTime::UNIX_EPOCH).unwrap();
        let config = ScimConfig {
            max_body_bytes: MAX_BODY,
            default_page_size: 100,
            max_page_size: 1000,
            max_bulk_operations: MAX_BULK_OPERATIONS,
            max_bulk_payload_bytes: MAX_BULK_PAYLOAD,
            allow_private_webhook_addresses: false,
            ..ScimConfig::default()
        };
        let state = App::new(store.clone(), config);
        let mut harness = Harness {
            db,
            store,
            state,
            a: Tenant {
                org_id: String::new(),
                token: String::new(),
                token_id: String::new(),
            },
        };
        harness.a = harness.tenant("Acme");
        harness
    }

    /// The same harness with webhook URLs on private addresses accepted (receivers on
    /// loopback).
    pub fn allowing_private_webhooks(mut self) -> Harness {
        let config = ScimConfig {
            allow_private_webhook_addresses: true,
            ..self.state.config().clone()
        };
        self.state = App::new(self.store.clone(), config);
        self
    }

    /// Which database, for assertion messages.
    pub fn label(&self) -> String {
        format!("{:?}", self.db.backend())
    }

    /// `org_id`'s credentials may make any number of requests (for tests that send many
    /// more than the default rate limit lets through).
    pub fn unlimited(&self, org_id: &str) {
        self.store
            .write(|tx| {
                let mut settings = tx.orgs().settings(org_id)?;
                settings.rate_limit_per_second = 1_000_000;
                settings.rate_limit_burst = 1_000_000;
                tx.orgs().set_settings(org_id, &settings)
            })
            .unwrap();
    }

    /// The audit records of the first tenant (of `operation` only, when given), oldest
    /// first, at most 1,000.
    pub fn records(&self, operation: Option<&str>) -> Vec<rollcall_store::AuditRecord> {
        rollcall_store::testing::trail(&self.store, &self.a.org_id)
            .into_iter()
            .filter(|record| operation.is_none_or(|operation| record.operation == operation))
            .collect()
    }

    /// A new organization with a SCIM token.
    pub fn tenant(&self, name: &str) -> Tenant {
        self.store
            .write(|tx| {
                let org = tx.orgs().create(name, Utc::now())?;
                let token =
                    tx.tokens()
                        .create(&org.id, TokenKind::Scim, Some("test"), None, Utc::now())?;
                Ok(Tenant {
                    org_id: org.id,
                    token: token.secret,
                    token_id: token.info.id,
                })
            })
            .unwrap()
    }

    /// Another token of `kind` for `org_id`, expiring at `expires_at`.
    pub fn token(
        &self,
        org_id: &str,
        kind: TokenKind,
        expires_at: Option<chrono::DateTime<Utc>>,
    ) -> (String, String) {
        self.store
            .write(|tx| {
                let token = tx.tokens().create(
                    org_id,
                    kind,
                    None,
                    expires_at,
                    Utc::now() - chrono::Duration::hours(2),
                )?;
                Ok((token.info.id, token.secret))
            })
            .unwrap()
    }

    pub fn revoke(&self, org_id: &str, token_id: &str) {
        self.store
            .write(|tx| tx.tokens().revoke(org_id, token_id, Utc::now()))
            .unwrap();
    }

    pub fn set_dialect(&self, org_id: &str, dialect: Dialect) {
        self.store
            .write(|tx| tx.orgs().set_dialect(org_id, dialect))
            .unwrap();
    }
}

/// `init_service` over an App that mounts Rollcall like an embedder does.
#[macro_export]
macro_rules! app {
    ($harness:expr) => {{
        let state = $harness.state.clone();
        actix_web::test::init_service(
            actix_web::App::new()
                .configure(move |config| rollcall_http::configure(config, state))
                .default_service(actix_web::web::to(rollcall_http::not_found)),
        )
        .await
    }};
}

/// `init_service` over an App that mounts the SCIM endpoints, the admin API and the token
/// endpoint, as the `rollcall` binary does.
#[macro_export]
macro_rules! app_with_admin {
    ($harness:expr) => {{
        let (scim, admin, oauth) = (
            $harness.state.clone(),
            $harness.state.clone(),
            $harness.state.clone(),
        );
        actix_web::test::init_service(
            actix_web::App::new()
                .configure(move |config| rollcall_http::configure(config, scim))
                .configure(move |config| rollcall_http::configure_admin(config, admin))
                .configure(move |config| rollcall_http::configure_oauth(config, oauth)),
        )
        .await
    }};
}

/// A reply, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Assert an RFC 7644 §3.12 error body with this status and scimType.
    pub fn assert_error(&self, status: u16, scim_type: Option<&str>, context: &str) {
        assert_eq!(self.status, status, "{context}: {}", self.body);
        assert_eq!(
            self.body["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
            "{context}"
        );
        assert_eq!(self.body["status"], json!(status.to_string()), "{context}");
        assert!(self.body["detail"].is_string(), "{context}: {}", self.body);
        match scim_type {
            Some(scim_type) => assert_eq!(
                self.body["scimType"],
                json!(scim_type),
                "{context}: {}",
                self.body
            ),
            None => assert!(
                self.body.get("scimType").is_none(),
                "{context}: {}",
                self.body
            ),
        }
    }
}

/// Send a `TestRequest` and read the reply: `send!(app, request)`.
#[macro_export]
macro_rules! send {
    ($app:expr, $request:expr) => {
        $crate::common::reply(actix_web::test::call_service(&$app, $request.to_request()).await)
            .await
    };
}

/// POST a resource and return its id (asserting 201): `create!(app, token, "Users", body)`.
#[macro_export]
macro_rules! create {
    ($app:expr, $token:expr, $endpoint:expr, $body:expr) => {{
        let uri = format!("/scim/v2/{}", $endpoint);
        let reply = send!(
            $app,
            $crate::common::with_json(actix_web::http::Method::POST, &uri, $token, &$body)
        );
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }};
}

/// Read a reply whole; every reply with a body must be `application/scim+json`.
pub async fn reply<B: MessageBody>(response: ServiceResponse<B>) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = actix_web::test::read_body(response).await;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert_eq!(content_type, "application/scim+json", "status {status}");
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)))
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// A request with a bearer token.
pub fn request(method: Method, uri: &str, token: &str) -> TestRequest {
    TestRequest::default()
        .method(method)
        .uri(uri)
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
}

/// A request with a bearer token and a SCIM JSON body.
pub fn with_json(method: Method, uri: &str, token: &str, body: &Value) -> TestRequest {
    request(method, uri, token)
        .insert_header((header::CONTENT_TYPE, "application/scim+json"))
        .set_payload(body.to_string())
}

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A minimal user body.
pub fn user(user_name: &str) -> Value {
    json!({
        "schemas": [USER],
        "userName": user_name,
        "name": {"givenName": "Given", "familyName": user_name},
        "emails": [{"value": format!("{user_name}@example.com"), "type": "work", "primary": true}],
        "active": true
    })
}

/// A group body with these member ids.
pub fn group(display_name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|id| json!({"value": id})).collect();
    json!({"schemas": [GROUP], "displayName": display_name, "members": members})
}

/// A PatchOp body.
pub fn patch(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

/// Percent-encode a query value (filters carry spaces and quotes).
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The sorted `value`s of a group's `members` (empty when absent).
pub fn member_values(body: &Value) -> Vec<String> {
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

/// Walk a list endpoint with `startIndex`/`count` until `totalResults` is reached, as the
/// IdPs' import jobs do; returns the ids in the order served.
#[macro_export]
macro_rules! walk {
    ($app:expr, $token:expr, $endpoint:expr, $count:expr) => {{
        let mut ids: Vec<String> = Vec::new();
        let mut start = 1u64;
        loop {
            let uri = format!("/scim/v2/{}?startIndex={start}&count={}", $endpoint, $count);
            let page = send!(
                $app,
                $crate::common::request(actix_web::http::Method::GET, &uri, $token)
            );
            assert_eq!(page.status, 200, "{uri}: {}", page.body);
            assert_eq!(page.body["startIndex"], start, "{uri}");
            let resources = page.body["Resources"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert_eq!(page.body["itemsPerPage"], resources.len(), "{uri}");
            ids.extend(
                resources
                    .iter()
                    .map(|r| r["id"].as_str().unwrap().to_owned()),
            );
            let total = page.body["totalResults"].as_u64().unwrap();
            if resources.is_empty() || start + resources.len() as u64 > total {
                assert_eq!(ids.len() as u64, total, "{uri}");
                break;
            }
            start += resources.len() as u64;
        }
        ids
    }};
}

/// Send and read an admin reply: status, body (JSON, `Null` when empty), `Allow`.
#[macro_export]
macro_rules! call {
    ($app:expr, $request:expr) => {{
        let response = actix_web::test::call_service(&$app, $request.to_request()).await;
        let status = response.status().as_u16();
        let allow = response
            .headers()
            .get(actix_web::http::header::ALLOW)
            .map(|v| v.to_str().unwrap().to_owned());
        let content_type = response
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = actix_web::test::read_body(response).await;
        let body: serde_json::Value = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            assert_eq!(content_type.as_deref(), Some("application/json"));
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, body, allow)
    }};
}

/// `PATCH /admin/v1/org` with `settings` and an admin token: `(status, body, allow)`.
#[macro_export]
macro_rules! patch_org {
    ($app:expr, $admin_token:expr, $settings:expr) => {
        call!(
            $app,
            $crate::common::admin(
                "PATCH",
                "/admin/v1/org",
                Some($admin_token),
                Some($settings)
            )
        )
    };
}

/// An admin API request with an optional admin token and JSON body.
pub fn admin(method: &str, uri: &str, token: Option<&str>, body: Option<Value>) -> TestRequest {
    let mut request = TestRequest::default()
        .method(method.parse().unwrap())
        .uri(uri);
    if let Some(token) = token {
        request = request.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    }
    if let Some(body) = body {
        request = request
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(body.to_string());
    }
    request
}

/// The `error.code` of an admin API error body.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

/// Poll `done` every 20 ms until it holds; fail the test after 30 s, naming `what`.
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// One change of an access delta: `(user, resource, before, after)`.
pub type Change = (String, String, Value, Value);

/// The changes of an access delta (recorded or previewed; `null` or absent: none), sorted
/// by user, then resource.
pub fn delta_changes(delta: &Value) -> Vec<Change> {
    let mut changes: Vec<Change> = delta
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|change| {
            (
                change["user"].as_str().unwrap().to_owned(),
                change["resource"].as_str().unwrap().to_owned(),
                change["before"].clone(),
                change["after"].clone(),
            )
        })
        .collect();
    changes.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    changes
}
