//! What every JWT credential shares: the shape of a token, its unverified claims (read
//! only to find which registration or key to verify it with), its times judged on the
//! application's clock, and the verification itself, by `jsonwebtoken` with the algorithm
//! pinned. `none` is no algorithm `jsonwebtoken` knows: such a token never verifies.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde_json::{Map, Value};

use super::{Credential, Refusal};
use crate::api::Api;

/// Clock skew forgiven on `exp` and `nbf` (PRODUCT.md §1).
pub(crate) const LEEWAY_SECONDS: i64 = 60;

/// The claims of a token, as a JSON object.
pub(crate) type Claims = Map<String, Value>;

/// Whether `token` has the shape of a JWT (three base64url parts, the first a JSON
/// object): only then do the JWT authenticators look at it.
pub(crate) fn is_jwt(token: &str) -> bool {
    token.starts_with("eyJ")
        && token.split('.').count() == 3
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The token of `credential` if it is a JWT sent as `Bearer` to the SCIM API: the only
/// form in which the JWT kinds take one (not bare, as Okta's header mode sends SCIM
/// tokens; not to the admin API).
pub(crate) fn scim_bearer_jwt(credential: &Credential, api: Api) -> Option<&String> {
    match credential {
        Credential::Bearer(token) if api == Api::Scim && is_jwt(token) => Some(token),
        _ => None,
    }
}

/// The refusal of a token for `reason`.
pub(crate) fn refuse(reason: &'static str) -> Refusal {
    Refusal { reason }
}

/// The header and the claims of `token`, not verified: what they say decides only where
/// to look for the key. A token whose parts do not decode is `malformed`.
pub(crate) fn unverified(token: &str) -> Result<(Header, Claims), Refusal> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| refuse("malformed"))?;
    let payload = token.split('.').nth(1).ok_or_else(|| refuse("malformed"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| refuse("malformed"))?;
    let claims: Claims = serde_json::from_slice(&bytes).map_err(|_| refuse("malformed"))?;
    Ok((header, claims))
}

/// Verify `token`'s signature with `key` for `algorithm` (the header's, already checked
/// against what the issuer allows), and that it carries `issuer` and `audience`. Times
/// are checked apart, on the application's clock ([`check_times`]).
pub(crate) fn verify(
    token: &str,
    key: &DecodingKey,
    algorithm: Algorithm,
    issuer: &str,
    audience: &str,
) -> Result<Claims, Refusal> {
    let mut validation = Validation::new(algorithm);
    validation.algorithms = vec![algorithm];
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.required_spec_claims.clear();
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    use jsonwebtoken::errors::ErrorKind;
    jsonwebtoken::decode::<Claims>(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|error| {
            refuse(match error.kind() {
                ErrorKind::InvalidSignature => "bad_signature",
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => "wrong_algorithm",
                ErrorKind::InvalidIssuer => "wrong_issuer",
                ErrorKind::InvalidAudience => "wrong_audience",
                _ => "malformed",
            })
        })
}

/// `exp` (required) and `nbf` (when present) against `now`, with [`LEEWAY_SECONDS`].
pub(crate) fn check_times(claims: &Claims, now: DateTime<Utc>) -> Result<(), Refusal> {
    let now = now.timestamp();
    let seconds = |name: &str| claims.get(name).and_then(Value::as_f64);
    let Some(exp) = seconds("exp") else {
        return Err(refuse("malformed"));
    };
    if (now - LEEWAY_SECONDS) as f64 >= exp {
        return Err(refuse("expired"));
    }
    if let Some(nbf) = seconds("nbf")
        && nbf > (now + LEEWAY_SECONDS) as f64
    {
        return Err(refuse("not_yet_valid"));
    }
    Ok(())
}

/// The algorithm a registration may name: `HS256`, `RS256`, `ES256` or `EdDSA`.
pub(crate) fn algorithm(name: &str) -> Option<Algorithm> {
    match name {
        "HS256" => Some(Algorithm::HS256),
        "RS256" => Some(Algorithm::RS256),
        "ES256" => Some(Algorithm::ES256),
        "EdDSA" => Some(Algorithm::EdDSA),
        _ => None,
    }
}

/// Whether claim `name` is exactly `value` (a required claim binds a token to one
/// registration: an array holding the value does not count).
pub(crate) fn claim_holds(claims: &Claims, name: &str, value: &Value) -> bool {
    claims.get(name) == Some(value)
}

/// Whether the token's `aud` names `audience` (a string, or an array holding it, as
/// RFC 7519 §4.1.3 allows).
pub(crate) fn audience_holds(claims: &Claims, audience: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(held)) => held == audience,
        Some(Value::Array(items)) => items.iter().any(|item| item.as_str() == Some(audience)),
        _ => false,
    }
}

/// Tokens already verified, with what they were verified as and their `exp`: a token
/// presented again costs a lookup, not a signature check. Keyed by the whole token, so
/// only the very token verified is recalled. Bounded: past [`Remembered::CAPACITY`]
/// entries the memory starts over.
#[derive(Debug)]
pub(crate) struct Remembered<T> {
    tokens: Mutex<HashMap<String, (T, i64)>>,
}

impl<T> Default for Remembered<T> {
    fn default() -> Self {
        Remembered {
            tokens: Mutex::default(),
        }
    }
}

impl<T: Clone> Remembered<T> {
    /// Tokens remembered at most.
    pub(crate) const CAPACITY: usize = 4096;

    /// What `token` was verified as, while it has not expired at `now`.
    pub(crate) fn recall(&self, token: &str, now: DateTime<Utc>) -> Option<T> {
        let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        let (verified, exp) = tokens.get(token)?;
        (now.timestamp() - LEEWAY_SECONDS < *exp).then(|| verified.clone())
    }

    /// Remember that `token`, whose claims are `claims`, was verified as `verified`.
    pub(crate) fn remember(&self, token: &str, verified: &T, claims: &Claims) {
        let Some(exp) = claims.get("exp").and_then(Value::as_i64) else {
            return;
        };
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        if tokens.len() >= Self::CAPACITY {
            tokens.clear();
        }
        tokens.insert(token.to_owned(), (verified.clone(), exp));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_are_judged_on_the_given_clock_with_a_minute_of_leeway() {
        let now = DateTime::<Utc>::from_timestamp(1_000_000, 0).unwrap_or_default();
        let claims = |value: Value| value.as_object().cloned().unwrap_or_default();
        let cases = [
            (json!({"exp": 1_000_100}), Ok(())),
            (json!({"exp": 999_950}), Ok(())),
            (json!({"exp": 999_940}), Err("expired")),
            (json!({}), Err("malformed")),
            (json!({"exp": "soon"}), Err("malformed")),
            (json!({"exp": 1_000_100, "nbf": 1_000_050}), Ok(())),
            (
                json!({"exp": 1_000_100, "nbf": 1_000_061}),
                Err("not_yet_valid"),
            ),
        ];
        for (value, expected) in cases {
            let got = check_times(&claims(value.clone()), now).map_err(|r| r.reason);
            assert_eq!(got, expected, "{value}");
        }
    }

    #[test]
    fn only_a_jwt_shape_is_a_jwt() {
        for (token, jwt) in [
            ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", true),
            ("rc_scim_abc_def", false),
            ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0", false),
            ("eyJ a.b.c", false),
            ("eyJ.a.b.c", false),
        ] {
            assert_eq!(is_jwt(token), jwt, "{token}");
        }
    }

    #[test]
    fn required_claims_are_exact_and_the_audience_may_be_a_list() {
        let claims = json!({"aud": ["a", "b"], "tid": "t", "groups": ["t", "u"]})
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(audience_holds(&claims, "b"));
        assert!(!audience_holds(&claims, "c"));
        assert!(claim_holds(&claims, "tid", &json!("t")));
        assert!(!claim_holds(&claims, "tid", &json!("u")));
        assert!(!claim_holds(&claims, "oid", &json!("t")));
        assert!(
            !claim_holds(&claims, "groups", &json!("t")),
            "no containment"
        );
        let single = json!({"aud": "a"}).as_object().cloned().unwrap_or_default();
        assert!(audience_holds(&single, "a"));
        assert!(!audience_holds(&single, "ab"));
    }

    proptest::proptest! {
        /// Whatever a client sends as a token, reading its parts answers them or a
        /// refusal, never a panic.
        #[test]
        fn any_token_reads_or_is_refused(token in "\\PC{0,300}") {
            let _ = is_jwt(&token);
            let _ = unverified(&token);
            let _ = unverified(&format!("eyJ{token}"));
        }
    }

    #[test]
    fn a_remembered_token_is_recalled_until_it_expires() {
        let remembered: Remembered<&str> = Remembered::default();
        let at = |seconds| DateTime::<Utc>::from_timestamp(seconds, 0).unwrap_or_default();
        let claims = json!({"exp": 1_000})
            .as_object()
            .cloned()
            .unwrap_or_default();
        remembered.remember("t", &"verified", &claims);
        assert_eq!(remembered.recall("t", at(900)), Some("verified"));
        assert_eq!(
            remembered.recall("t", at(1_059)),
            Some("verified"),
            "leeway"
        );
        assert_eq!(remembered.recall("t", at(1_060)), None);
        assert_eq!(remembered.recall("u", at(900)), None);
    }
}
