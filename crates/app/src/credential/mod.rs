//! The credential seam (PRODUCT.md §1): what a request presents ([`Credential`], read from
//! its `Authorization` header), and how it becomes an [`crate::Actor`] ([`Authenticator`]).
//!
//! A missing or malformed header is a 401 before any database work. What the credential is
//! worth is decided in two steps: [`Authenticator::verify`] before the request's
//! transaction (no database; it may wait on the network, e.g. for a key set), and
//! [`Authenticator::resolve`] inside it (registration, expiry and revocation as they are
//! now), so a revoked credential is refused on its next request and no network call ever
//! holds a write lock. A new kind of credential is one more [`Authenticator`]
//! ([`crate::App::with_authenticator`]).

mod authenticator;
pub(crate) mod issuers;
pub(crate) mod jwt;
pub(crate) mod oauth;
mod opaque;

use crate::api::Api;
use crate::error::Error;
use crate::request::{Headers, header_text};

pub(crate) use authenticator::Authenticators;
pub use authenticator::{Authenticator, Refusal, Verification};
pub use opaque::OpaqueTokens;

/// The longest token looked at; anything longer is no credential of ours.
const MAX_TOKEN_LENGTH: usize = 4096;

/// Why no credential could be read from a request: the 401, and its reason for the
/// counters.
#[derive(Debug)]
pub(crate) struct Unreadable {
    pub(crate) reason: &'static str,
    pub(crate) error: Error,
}

/// A credential as a request presents it. Its `Debug` form never shows the secret.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credential {
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: <token>`, with no scheme: what Okta's "HTTP Header" mode sends.
    /// Accepted for SCIM tokens only.
    Bare(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Bearer(_) => f.write_str("Credential::Bearer(<redacted>)"),
            Credential::Bare(_) => f.write_str("Credential::Bare(<redacted>)"),
        }
    }
}

impl Credential {
    /// The credential of a request's `Authorization` header; a 401 naming what is wrong
    /// when there is none or it is malformed.
    pub fn from_headers(headers: &Headers) -> Result<Credential, Error> {
        Credential::read(headers).map_err(|refused| refused.error)
    }

    /// [`Credential::from_headers`], with the reason of a refusal for the counters:
    /// `missing`, `malformed` or `scheme` (one other than `Bearer`).
    pub(crate) fn read(headers: &Headers) -> Result<Credential, Unreadable> {
        let refuse = |reason, detail| Unreadable {
            reason,
            error: Error::unauthorized(detail),
        };
        let value = headers
            .get("authorization")
            .ok_or_else(|| refuse("missing", "an Authorization: Bearer header is required"))?;
        if headers.get_all("authorization").nth(1).is_some() {
            // Two credentials: which one counts is not ours to guess (a proxy in front
            // may have checked the other).
            return Err(refuse("malformed", "send one Authorization header"));
        }
        let value = header_text(value)
            .map_err(|()| refuse("malformed", "the Authorization header is not valid text"))?;
        let value = value.trim();
        if value.is_empty() || value.eq_ignore_ascii_case("bearer") {
            return Err(refuse(
                "malformed",
                "the Authorization header must be \"Bearer <token>\"",
            ));
        }
        let Some((scheme, token)) = value.split_once(' ') else {
            // Okta's "HTTP Header" mode: the token alone.
            if value.len() > MAX_TOKEN_LENGTH {
                return Err(refuse("malformed", "the token is malformed"));
            }
            return Ok(Credential::Bare(value.to_owned()));
        };
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(refuse("scheme", "only Bearer tokens are accepted"));
        }
        let token = token.trim();
        if token.is_empty() || token.len() > MAX_TOKEN_LENGTH {
            return Err(refuse("malformed", "the bearer token is malformed"));
        }
        Ok(Credential::Bearer(token.to_owned()))
    }

    /// The token the credential carries.
    pub fn token(&self) -> &str {
        match self {
            Credential::Bearer(token) | Credential::Bare(token) => token,
        }
    }
}

/// The 401 of a credential that is not valid for the API it was sent to.
pub(crate) fn invalid(api: Api) -> Error {
    match api {
        Api::Scim => Error::unauthorized("invalid, expired or revoked token"),
        Api::Admin => Error::unauthorized("invalid, expired or revoked admin token"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorization_header_gives_a_credential_or_a_401() {
        type Case = (Option<&'static [u8]>, Result<&'static str, &'static str>);
        let cases: [Case; 9] = [
            (Some(b"Bearer abc"), Ok("abc")),
            (Some(b"bearer  abc "), Ok("abc")),
            (None, Err("an Authorization: Bearer header is required")),
            (
                Some(b"Bearer \xff"),
                Err("the Authorization header is not valid text"),
            ),
            (Some(b" abc "), Ok("abc")),
            (
                Some(b"   "),
                Err("the Authorization header must be \"Bearer <token>\""),
            ),
            (Some(b"Basic abc"), Err("only Bearer tokens are accepted")),
            (
                Some(b"Bearer  "),
                Err("the Authorization header must be \"Bearer <token>\""),
            ),
            (Some(b"Bearer a b"), Ok("a b")),
        ];
        for (header, expected) in cases {
            let mut headers = Headers::new();
            if let Some(value) = header {
                headers.append("Authorization", value.to_vec());
            }
            let got = Credential::from_headers(&headers);
            match (got, expected) {
                (Ok(credential), Ok(token)) => assert_eq!(credential.token(), token),
                (Err(error), Err(detail)) => {
                    assert_eq!(
                        (error.status(), error.detail()),
                        (401, detail),
                        "{header:?}"
                    )
                }
                (got, expected) => panic!("{header:?}: got {got:?}, expected {expected:?}"),
            }
        }
        for long in [
            format!("Bearer {}", "x".repeat(MAX_TOKEN_LENGTH + 1)),
            "x".repeat(MAX_TOKEN_LENGTH + 1),
        ] {
            let headers = Headers::new().with("authorization", long);
            assert!(Credential::from_headers(&headers).is_err());
        }
        let twice = Headers::new()
            .with("authorization", "Bearer a")
            .with("authorization", "Bearer b");
        assert_eq!(
            Credential::read(&twice).map_err(|refused| refused.reason),
            Err("malformed")
        );
        let headers = Headers::new().with("authorization", "abc");
        assert_eq!(
            Credential::from_headers(&headers).unwrap(),
            Credential::Bare("abc".into())
        );
        assert!(!format!("{:?}", Credential::Bearer("s3cret".into())).contains("s3cret"));
    }
}
