//! JWTs from issuers an organization trusts (`/admin/v1/jwt-issuers`, PRODUCT.md §1):
//! Entra-issued tokens, or any issuer with HS256, RS256, ES256 or EdDSA keys.
//!
//! - **Binding.** A token is matched against every registration of the installation by
//!   `iss`, `aud` and the registration's required claims; exactly one must match, else it
//!   is refused (`unknown_issuer`, `ambiguous`). The organization is the registration's,
//!   never a claim's. The store refuses a registration that could match what another one
//!   matches, so `ambiguous` is a safeguard, not a path.
//! - **Keys.** A shared secret, a PEM public key, or a JWKS URL fetched with the webhook
//!   client under the same public-address rule ([`crate::events::webhook::agent`]), cached,
//!   and fetched again at most once a minute, when a token names a `kid` the cached set
//!   lacks. A failed fetch keeps the cached keys.
//! - **Verification** (`jwt.rs`): the header's algorithm must be one the registration
//!   allows; `jsonwebtoken` checks signature, issuer and audience with it pinned; times
//!   are checked on the application's clock with a minute of leeway.
//! - A verified token is remembered until it expires, so the next request presenting it
//!   costs a lookup, not a signature check. The transaction still checks that its
//!   registration exists, so deleting the registration refuses it on the next request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey};
use rollcall_store::{JwtIssuer, StoreError, Tx};
use serde_json::Value;

use super::jwt::{self, Claims};
use super::{Authenticator, Credential, Refusal, Verification};
use crate::actor::{Actor, CredentialKind};
use crate::api::Api;
use crate::transaction::{Access, Database};

/// How long the registrations read are used before they are read again.
const REGISTRY_TTL: Duration = Duration::seconds(5);

/// A token that matches no registration reads them again, at most this often.
const REGISTRY_MISS_TTL: Duration = Duration::seconds(1);

/// A key set is fetched again at most this often (PRODUCT.md §1).
const JWKS_REFRESH: Duration = Duration::seconds(60);

/// The longest key set read.
const MAX_JWKS_BYTES: u64 = 256 * 1024;

/// How long a key set fetch may take.
const JWKS_TIMEOUT: StdDuration = StdDuration::from_secs(5);

/// One registration, its keys ready.
#[derive(Debug)]
struct Registration {
    id: String,
    org_id: String,
    issuer: String,
    audience: String,
    required_claims: serde_json::Map<String, Value>,
    algorithms: Vec<Algorithm>,
    keys: Keys,
}

enum Keys {
    /// HS256.
    Secret(DecodingKey),
    /// A PEM public key, parsed for each algorithm it serves.
    Pem(Vec<(Algorithm, DecodingKey)>),
    /// A JWKS URL.
    Jwks(String),
    /// None that can verify (a stored secret `jsonwebtoken` cannot take): every token of
    /// the registration is refused.
    Unusable,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Keys::Secret(_) => f.write_str("Secret"),
            Keys::Pem(_) => f.write_str("Pem"),
            Keys::Jwks(url) => write!(f, "Jwks({url})"),
            Keys::Unusable => f.write_str("Unusable"),
        }
    }
}

/// The decoding key of a PEM public key for `algorithm`, if it is one. A private key is
/// none, though it holds the public one: it must not be stored, or shown back.
pub(crate) fn pem_key(pem: &str, algorithm: Algorithm) -> Option<DecodingKey> {
    let text = pem.trim();
    let public = [
        "-----BEGIN PUBLIC KEY-----",
        "-----BEGIN RSA PUBLIC KEY-----",
    ]
    .iter()
    .any(|label| text.starts_with(label));
    if !public || text.contains("PRIVATE") {
        return None;
    }
    let bytes = text.as_bytes();
    match algorithm {
        Algorithm::RS256 => DecodingKey::from_rsa_pem(bytes).ok(),
        Algorithm::ES256 => DecodingKey::from_ec_pem(bytes).ok(),
        Algorithm::EdDSA => DecodingKey::from_ed_pem(bytes).ok(),
        _ => None,
    }
}

impl Registration {
    fn from_stored(issuer: JwtIssuer) -> Registration {
        let algorithms: Vec<Algorithm> = issuer
            .algorithms
            .iter()
            .filter_map(|name| jwt::algorithm(name))
            .collect();
        let keys = match (
            &issuer.shared_secret,
            &issuer.public_key_pem,
            &issuer.jwks_url,
        ) {
            (Some(secret), _, _) => match DecodingKey::from_secret(secret) {
                Ok(key) => Keys::Secret(key),
                Err(_) => Keys::Unusable,
            },
            (None, Some(pem), _) => Keys::Pem(
                algorithms
                    .iter()
                    .filter_map(|algorithm| pem_key(pem, *algorithm).map(|key| (*algorithm, key)))
                    .collect(),
            ),
            (None, None, Some(url)) => Keys::Jwks(url.clone()),
            (None, None, None) => Keys::Unusable,
        };
        Registration {
            id: issuer.id,
            org_id: issuer.org_id,
            issuer: issuer.issuer,
            audience: issuer.audience,
            required_claims: issuer.required_claims,
            algorithms,
            keys,
        }
    }

    fn matches(&self, claims: &Claims) -> bool {
        claims.get("iss").and_then(Value::as_str) == Some(self.issuer.as_str())
            && jwt::audience_holds(claims, &self.audience)
            && self
                .required_claims
                .iter()
                .all(|(name, value)| jwt::claim_holds(claims, name, value))
    }
}

/// The installation's registrations as last read.
#[derive(Debug, Default)]
pub(crate) struct IssuerRegistry {
    state: Mutex<RegistryState>,
}

#[derive(Debug, Default)]
struct RegistryState {
    registrations: Arc<Vec<Registration>>,
    read_at: Option<DateTime<Utc>>,
}

impl IssuerRegistry {
    /// A registration was made or deleted here: read them again on the next token.
    pub(crate) fn invalidate(&self) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .read_at = None;
    }

    /// The registrations, read again when older than `ttl`.
    async fn current(
        &self,
        database: &Database,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Arc<Vec<Registration>> {
        {
            let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if state.read_at.is_some_and(|read_at| now - read_at < ttl) {
                return Arc::clone(&state.registrations);
            }
        }
        let read = database
            .run(Access::Read, |tx| Ok(tx.jwt_issuers().list_all()?))
            .await;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match read {
            Ok(issuers) => {
                state.registrations =
                    Arc::new(issuers.into_iter().map(Registration::from_stored).collect());
                state.read_at = Some(now);
            }
            Err(error) => {
                tracing::warn!(detail = %error.detail(), "cannot read the JWT issuers");
            }
        }
        Arc::clone(&state.registrations)
    }
}

/// Key sets by URL.
#[derive(Default)]
struct KeySets {
    sets: Mutex<HashMap<String, KeySet>>,
    /// One fetch at a time per URL (those waiting find its result); a slow key set of one
    /// issuer never holds up another's.
    fetching: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

#[derive(Default)]
struct KeySet {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<DateTime<Utc>>,
}

impl KeySets {
    fn cached(&self, url: &str, kid: &str) -> (Option<DecodingKey>, Option<DateTime<Utc>>) {
        let sets = self.sets.lock().unwrap_or_else(PoisonError::into_inner);
        sets.get(url).map_or((None, None), |set| {
            (set.keys.get(kid).cloned(), set.fetched_at)
        })
    }

    /// The key `kid` of the set at `url`: cached, or fetched when the set was not fetched
    /// in the last minute.
    async fn key(
        &self,
        url: &str,
        kid: &str,
        private_addresses: bool,
        now: DateTime<Utc>,
    ) -> Option<DecodingKey> {
        let stale = |fetched: Option<DateTime<Utc>>| {
            fetched.is_none_or(|fetched_at| now - fetched_at >= JWKS_REFRESH)
        };
        let (key, fetched) = self.cached(url, kid);
        if key.is_some() || !stale(fetched) {
            return key;
        }
        let turn = Arc::clone(
            self.fetching
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(url.to_owned())
                .or_default(),
        );
        let _one_fetch = turn.lock().await;
        let (key, fetched) = self.cached(url, kid);
        if key.is_some() || !stale(fetched) {
            return key;
        }
        let owned = url.to_owned();
        let fetched = tokio::task::spawn_blocking(move || fetch(&owned, private_addresses))
            .await
            .unwrap_or_else(|_| Err("the fetch did not finish".to_owned()));
        let mut sets = self.sets.lock().unwrap_or_else(PoisonError::into_inner);
        let set = sets.entry(url.to_owned()).or_default();
        set.fetched_at = Some(now);
        match fetched {
            Ok(keys) => set.keys = keys,
            // The cached keys stay: an outage refuses only keys never seen.
            Err(why) => tracing::warn!(url, why, "cannot fetch a JWT issuer's key set"),
        }
        set.keys.get(kid).cloned()
    }
}

/// The keys of the set at `url`, by `kid`.
fn fetch(url: &str, private_addresses: bool) -> Result<HashMap<String, DecodingKey>, String> {
    let agent = crate::events::webhook::agent(JWKS_TIMEOUT, private_addresses);
    let mut response = agent.get(url).call().map_err(|error| error.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status().as_u16()));
    }
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_JWKS_BYTES)
        .read_to_string()
        .map_err(|error| error.to_string())?;
    let set: JwkSet = serde_json::from_str(&text).map_err(|error| error.to_string())?;
    Ok(set
        .keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            DecodingKey::from_jwk(jwk).ok().map(|key| (kid, key))
        })
        .collect())
}

/// A verified token: the registration it matched.
#[derive(Debug, Clone)]
pub(crate) struct IssuerVerified {
    registration: String,
    org_id: String,
}

/// The authenticator of JWTs from trusted issuers.
pub(crate) struct JwtIssuers {
    database: Database,
    registry: Arc<IssuerRegistry>,
    key_sets: KeySets,
    private_addresses: bool,
    /// Tokens verified, with their registration.
    remembered: jwt::Remembered<IssuerVerified>,
}

impl std::fmt::Debug for JwtIssuers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtIssuers").finish_non_exhaustive()
    }
}

impl JwtIssuers {
    pub(crate) fn new(
        database: Database,
        registry: Arc<IssuerRegistry>,
        private_addresses: bool,
    ) -> JwtIssuers {
        JwtIssuers {
            database,
            registry,
            key_sets: KeySets::default(),
            private_addresses,
            remembered: jwt::Remembered::default(),
        }
    }

    async fn check(&self, token: &str, now: DateTime<Utc>) -> Result<IssuerVerified, Refusal> {
        let (header, claims) = jwt::unverified(token)?;
        let mut registrations = self
            .registry
            .current(&self.database, REGISTRY_TTL, now)
            .await;
        let mut matching: Vec<&Registration> = registrations
            .iter()
            .filter(|r| r.matches(&claims))
            .collect();
        if matching.is_empty() {
            registrations = self
                .registry
                .current(&self.database, REGISTRY_MISS_TTL, now)
                .await;
            matching = registrations
                .iter()
                .filter(|r| r.matches(&claims))
                .collect();
        }
        let registration = match matching.as_slice() {
            [one] => *one,
            [] => return Err(jwt::refuse("unknown_issuer")),
            _ => {
                tracing::warn!(
                    registrations = ?matching.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
                    "a JWT matches more than one registration: refused"
                );
                return Err(jwt::refuse("ambiguous"));
            }
        };
        let algorithm = header.alg;
        if !registration.algorithms.contains(&algorithm) {
            return Err(jwt::refuse("wrong_algorithm"));
        }
        let key = match &registration.keys {
            Keys::Secret(key) => Some(key.clone()),
            Keys::Pem(keys) => keys
                .iter()
                .find(|(alg, _)| *alg == algorithm)
                .map(|(_, key)| key.clone()),
            Keys::Unusable => None,
            Keys::Jwks(url) => match header.kid.as_deref() {
                Some(kid) => {
                    self.key_sets
                        .key(url, kid, self.private_addresses, now)
                        .await
                }
                None => None,
            },
        };
        let key = key.ok_or_else(|| jwt::refuse("unknown_kid"))?;
        let claims = jwt::verify(
            token,
            &key,
            algorithm,
            &registration.issuer,
            &registration.audience,
        )?;
        jwt::check_times(&claims, now)?;
        let verified = IssuerVerified {
            registration: registration.id.clone(),
            org_id: registration.org_id.clone(),
        };
        self.remembered.remember(token, &verified, &claims);
        Ok(verified)
    }
}

impl Authenticator for JwtIssuers {
    type Verified = IssuerVerified;

    async fn verify(
        &self,
        credential: &Credential,
        api: Api,
        now: DateTime<Utc>,
    ) -> Verification<IssuerVerified> {
        let Some(token) = jwt::scim_bearer_jwt(credential, api) else {
            return Verification::NotMine;
        };
        if let Some(verified) = self.remembered.recall(token, now) {
            return Verification::Verified(verified);
        }
        match self.check(token, now).await {
            Ok(verified) => Verification::Verified(verified),
            Err(refusal) => Verification::Refused(refusal),
        }
    }

    fn resolve(
        &self,
        tx: &mut Tx<'_>,
        verified: &IssuerVerified,
        api: Api,
        _now: DateTime<Utc>,
    ) -> Result<Option<Actor>, StoreError> {
        if api != Api::Scim {
            return Ok(None);
        }
        Ok(tx
            .jwt_issuers()
            .active(&verified.org_id, &verified.registration)?
            .map(|active| Actor {
                org_id: active.org_id,
                credential_kind: CredentialKind::Jwt,
                credential_id: active.token_id,
                dialect: active.dialect,
                schemas_version: active.schemas_version,
                request_id: None,
            }))
    }
}
