//! `POST /oauth/token` (RFC 6749 §4.4, PRODUCT.md §1): the client credentials grant.
//!
//! - The body is `application/x-www-form-urlencoded`, each parameter at most once
//!   (§3.2): `grant_type=client_credentials`; `scope` is ignored.
//! - The client authenticates with HTTP Basic (`client_secret_basic`, id and secret
//!   form-encoded, §2.3.1) or `client_id` and `client_secret` in the body
//!   (`client_secret_post`), never both.
//! - The answer is `{"access_token", "token_type": "Bearer", "expires_in"}` with
//!   `Cache-Control: no-store`; errors are §5.2's: `invalid_request` and
//!   `unsupported_grant_type` (400), `invalid_client` (401 with `WWW-Authenticate`).
//! - Before any database work the client's budget (shared with the SCIM requests its
//!   tokens make) and the address's budget of failed authentications are checked, as for
//!   every credential (`limits.rs`); a 429 has `Retry-After`.
//! - Issuing a token is recorded in the client's organization's trail
//!   (`oauth_token.issue`, actor `scim:<client id>`), and so is a failed authentication of
//!   a client that exists (actor `unauthenticated`, status 401).

use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Duration;
use serde_json::{Value, json};

use crate::actor::{Actor, CredentialKind};
use crate::app::App;
use crate::credential::oauth::issue;
use crate::error::Failure;
use crate::limits::{self, Rate};
use crate::request::{Body, Method, Request, header_text};
use crate::response::Response;
use crate::surface::call::forwarded_for;
use crate::surface::request_id;
use crate::trail::{self, Author, Entry};
use crate::transaction::Access;

/// The largest token request read.
pub const TOKEN_BODY_LIMIT: usize = 16 * 1024;

/// How often an organization's signing key is replaced by a new one.
const SIGNING_KEY_ROTATION: Duration = Duration::days(7);

/// An RFC 6749 §5.2 error.
fn error(status: u16, code: &str, description: &str) -> Response {
    let response = Response::json(
        status,
        &json!({"error": code, "error_description": description}),
    )
    .with_header("cache-control", "no-store")
    .with_header("pragma", "no-cache");
    if status == 401 {
        response.with_header("www-authenticate", "Basic realm=\"rollcall\"")
    } else {
        response
    }
}

fn invalid_request(description: &str) -> Response {
    error(400, "invalid_request", description)
}

fn invalid_client() -> Response {
    error(401, "invalid_client", "client authentication failed")
}

/// The client's id and secret as the request presents them.
fn client_credentials(
    request: &Request,
    form: &[(String, String)],
) -> Result<(String, String), Response> {
    let param = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let (body_id, body_secret) = (param("client_id"), param("client_secret"));
    let basic = match request.headers.get("authorization") {
        None => None,
        Some(value) => {
            let text = header_text(value).map_err(|()| invalid_client())?.trim();
            let (scheme, encoded) = text.split_once(' ').unwrap_or((text, ""));
            if !scheme.eq_ignore_ascii_case("basic") {
                return Err(invalid_client());
            }
            let decoded = STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(invalid_client)?;
            let (id, secret) = decoded.split_once(':').ok_or_else(invalid_client)?;
            // §2.3.1: each is form-encoded before it is joined.
            let decode = |text: &str| decode_component(text).map_err(|_| invalid_client());
            Some((decode(id)?, decode(secret)?))
        }
    };
    match (basic, body_id, body_secret) {
        (Some(_), _, Some(_)) => Err(invalid_request(
            "use one client authentication method: HTTP Basic or client_secret in the body",
        )),
        (Some((id, secret)), None, None) => Ok((id, secret)),
        (Some((id, secret)), Some(named), None) if named == id => Ok((id, secret)),
        (Some(_), Some(_), None) => Err(invalid_request(
            "client_id in the body does not name the client of the Authorization header",
        )),
        (None, Some(id), Some(secret)) => Ok((id, secret)),
        (None, _, _) => Err(invalid_client()),
    }
}

/// A form body (RFC 6749 Appendix B): `&`-separated `name=value` pairs, `+` a space,
/// `%XX` escapes well formed, everything UTF-8. Anything else is refused, not guessed at.
fn parse_form(bytes: &[u8]) -> Result<Vec<(String, String)>, &'static str> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the body is not UTF-8")?;
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode_component(name)?, decode_component(value)?))
        })
        .collect()
}

/// One form-encoded name or value (a parameter, or half of HTTP Basic credentials):
/// `+` a space, `%XX` escapes well formed, the result UTF-8.
fn decode_component(part: &str) -> Result<String, &'static str> {
    let bytes = part.as_bytes();
    for (at, byte) in bytes.iter().enumerate() {
        if *byte == b'%'
            && !(bytes.get(at + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(at + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return Err("the body holds a malformed %-escape");
        }
    }
    let spaced = part.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| "the body holds a parameter that is not UTF-8")
}

/// What the token transaction came to.
enum Issued {
    Token {
        token: String,
        actor: Actor,
        rate: Rate,
    },
    Refused,
}

impl App {
    /// Serve `POST /oauth/token` (mounted at `/oauth/token` by `rollcall-http`): the
    /// whole endpoint, from a [`Request`] to a [`Response`], errors in RFC 6749's shape.
    pub async fn serve_token(&self, request: Request) -> Response {
        let started = Instant::now();
        let request_id = request_id::for_request(&request.headers);
        let client = limits::client_address(
            request.peer,
            || forwarded_for(&request),
            &self.config.trusted_proxies,
        );
        let response = self.token(&request, client, &request_id).await;
        match response.status {
            401 => {
                self.counters.refused_credential("oauth_client");
                self.limits.failed_authentication(client);
            }
            429 => self.counters.limited_request(),
            _ => {}
        }
        tracing::info!(
            method = %request.method.as_str(),
            path = "/oauth/token",
            status = response.status,
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            request_id = %request_id,
            "token request"
        );
        response.with_header(request_id::HEADER, request_id)
    }

    async fn token(
        &self,
        request: &Request,
        client: Option<std::net::IpAddr>,
        request_id: &str,
    ) -> Response {
        if request.method != Method::Post {
            return error(405, "invalid_request", "the token endpoint takes POST")
                .with_header("allow", "POST");
        }
        let form_type = request
            .headers
            .text("content-type")
            .and_then(Result::ok)
            .and_then(|value| value.split(';').next())
            .is_some_and(|media| {
                media
                    .trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !form_type {
            return invalid_request("the body must be application/x-www-form-urlencoded");
        }
        let bytes = match &request.body {
            Body::Bytes(bytes) => bytes,
            Body::TooLarge => {
                return error(413, "invalid_request", "the request body is too large");
            }
            Body::Unreadable => return invalid_request("the request body could not be read"),
        };
        let form = match parse_form(bytes) {
            Ok(form) => form,
            Err(why) => return invalid_request(why),
        };
        if request.headers.get_all("authorization").count() > 1 {
            return invalid_request("send one Authorization header");
        }
        for (k, (key, _)) in form.iter().enumerate() {
            if form[..k].iter().any(|(seen, _)| seen == key) {
                return invalid_request(&format!("parameter {key} is given more than once"));
            }
        }
        match form.iter().find(|(key, _)| key == "grant_type") {
            None => return invalid_request("grant_type is required"),
            Some((_, grant)) if grant.is_empty() => {
                return invalid_request("grant_type is required");
            }
            Some((_, grant)) if grant != "client_credentials" => {
                return error(
                    400,
                    "unsupported_grant_type",
                    "only the client_credentials grant is supported",
                );
            }
            Some(_) => {}
        }
        let (client_id, secret) = match client_credentials(request, &form) {
            Ok(credentials) => credentials,
            Err(response) => return response,
        };
        if client_id.len() > 256 || secret.len() > 256 {
            return invalid_client();
        }
        let key = self
            .limits
            .key_of(&format!("oauth\u{0}{client_id}\u{0}{secret}"));
        if let Err(seconds) = self.limits.admit(key, client) {
            return error(429, "invalid_request", "too many requests: retry later")
                .with_header("retry-after", seconds.to_string());
        }
        let now = self.now();
        let lifetime = Duration::from_std(self.config.oauth_token_lifetime)
            .unwrap_or(Duration::hours(1))
            .clamp(Duration::seconds(60), rollcall_store::MAX_TOKEN_LIFETIME);
        let request_id = request_id.to_owned();
        let issued = self
            .database
            .run(Access::Write, move |tx| {
                let client = match tx.oauth().authenticate(&client_id, &secret)? {
                    Some((client, true)) => client,
                    refused => {
                        // A client that exists: its organization's trail records the failure.
                        if let Some((known, _)) = refused {
                            let author = Author::unauthenticated(
                                &known.org_id,
                                CredentialKind::OAuthClient.name(),
                                Some(&request_id),
                            );
                            let detail = json!({"error": "invalid_client"});
                            let entry = Entry {
                                operation: "oauth_token.issue",
                                target: &format!("oauth_client:{}", known.id),
                                status: 401,
                                detail: &detail,
                            };
                            trail::commit(tx, &author, entry, now)?;
                        }
                        return Ok(Issued::Refused);
                    }
                };
                let settings = tx.orgs().settings(&client.org_id)?;
                let signing = tx
                    .oauth()
                    .signing_key(&client.org_id, SIGNING_KEY_ROTATION, now)?;
                let token = issue(&signing, &client, now, lifetime)
                    .map_err(|error| Failure::Refused(crate::Error::internal(error.to_string())))?;
                let actor = Actor {
                    org_id: client.org_id.clone(),
                    credential_kind: CredentialKind::OAuthClient,
                    credential_id: client.id.clone(),
                    dialect: scim_core::Dialect::default(),
                    schemas_version: 0,
                    request_id: Some(request_id.clone()),
                };
                let detail = json!({"after": {
                    "expires_at": (now + lifetime).to_rfc3339(),
                    "key": signing.id,
                }});
                let entry = Entry {
                    operation: "oauth_token.issue",
                    target: &format!("oauth_client:{}", client.id),
                    status: 200,
                    detail: &detail,
                };
                trail::commit(tx, &Author::actor(&actor), entry, now)?;
                Ok(Issued::Token {
                    token,
                    actor,
                    rate: Rate {
                        per_second: settings.rate_limit_per_second,
                        burst: settings.rate_limit_burst,
                    },
                })
            })
            .await;
        match issued {
            Ok(Issued::Token { token, actor, rate }) => {
                self.limits.learn(key, &actor, rate);
                let body: Value = json!({
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": lifetime.num_seconds(),
                });
                Response::json(200, &body)
                    .with_header("cache-control", "no-store")
                    .with_header("pragma", "no-cache")
            }
            Ok(Issued::Refused) => invalid_client(),
            Err(failure) => {
                tracing::error!(detail = %failure.detail(), "token request failed");
                error(
                    failure.status().max(500),
                    "server_error",
                    "the token could not be issued",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever bytes arrive, the form parser answers pairs or a refusal, never a
        /// panic; and pairs encoded as a client encodes them come back as they were.
        #[test]
        fn forms_parse_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_form(&bytes);
        }

        #[test]
        fn encoded_pairs_round_trip(
            pairs in proptest::collection::vec(("[a-z_]{1,12}", "\\PC{0,24}"), 0..6)
        ) {
            let body: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs.iter().map(|(name, value)| (name.as_str(), value.as_str())))
                .finish();
            let parsed = parse_form(body.as_bytes());
            prop_assert_eq!(parsed, Ok(pairs.clone()));
        }
    }

    #[test]
    fn malformed_forms_are_refused() {
        for body in [&b"a=%ZZ"[..], b"a=%", b"a=%F", b"a=%FF", b"\xff=1"] {
            assert!(parse_form(body).is_err(), "{body:?}");
        }
        assert_eq!(
            parse_form(b"grant_type=client_credentials&&scope=a+b"),
            Ok(vec![
                ("grant_type".to_owned(), "client_credentials".to_owned()),
                ("scope".to_owned(), "a b".to_owned()),
            ])
        );
    }
}
