//! Access tokens issued to OAuth clients (`POST /oauth/token`, `surface/oauth.rs`): JWTs
//! signed HS256 with a key of the client's organization kept in the database
//! (`rollcall_store::SigningKey`), so that every instance verifies what any instance
//! issued. The header's `kid` names the key; `sub` is the client's id.
//!
//! Verifying needs the key: once an instance has read it (keys never change, only new ones
//! appear) the signature and times are checked before the transaction, and the token is
//! remembered until it expires (a client reuses its token for an hour: the next request
//! costs a lookup); the first token of a key this instance has not seen is checked inside
//! the transaction. Either way the transaction looks the client up, so a revoked client's
//! tokens are refused on their next use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use rollcall_store::{OAuthClient, SigningKey, StoreError, Tx};
use serde_json::{Value, json};

use super::jwt::{self, Claims};
use super::{Authenticator, Credential, Verification};
use crate::actor::{Actor, CredentialKind};
use crate::api::Api;

/// The `iss` of the access tokens Rollcall issues.
pub(crate) const ISSUER: &str = "rollcall";

/// Their `aud`: the SCIM API.
pub(crate) const AUDIENCE: &str = "rollcall-scim";

/// Keys kept in memory at most; past it the cache starts over.
const MAX_CACHED_KEYS: usize = 4096;

/// An access token for `client`, signed with `key`, valid for `lifetime` from `now`.
pub(crate) fn issue(
    key: &SigningKey,
    client: &OAuthClient,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<String, jsonwebtoken::errors::Error> {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key.id.clone());
    let claims = json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": client.id,
        "iat": now.timestamp(),
        "exp": (now + lifetime).timestamp(),
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&key.secret)?)
}

/// A token verified as far as possible before the transaction.
#[derive(Debug, Clone)]
pub(crate) enum OAuthVerified {
    /// Signature and times checked with a key of `org_id`: the client `client_id`.
    Checked { org_id: String, client_id: String },
    /// The key `kid` is not known here yet: checked inside the transaction.
    Pending { token: String, kid: String },
}

/// The authenticator of OAuth access tokens, with the signing keys this instance has read.
#[derive(Debug, Default)]
pub(crate) struct OAuthTokens {
    keys: Mutex<HashMap<String, Arc<SigningKey>>>,
    /// Tokens verified (signature and times), with their organization and client.
    remembered: jwt::Remembered<OAuthVerified>,
}

impl OAuthTokens {
    fn cached(&self, kid: &str) -> Option<Arc<SigningKey>> {
        self.keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(kid)
            .cloned()
    }

    fn remember(&self, key: SigningKey) -> Arc<SigningKey> {
        let key = Arc::new(key);
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        if keys.len() >= MAX_CACHED_KEYS {
            keys.clear();
        }
        keys.insert(key.id.clone(), Arc::clone(&key));
        key
    }
}

/// The client a token signed by `key` names, once signature and times hold at `now`, and
/// the token's claims.
fn check(
    token: &str,
    key: &SigningKey,
    now: DateTime<Utc>,
) -> Result<(String, Claims), super::Refusal> {
    let secret = DecodingKey::from_secret(&key.secret).map_err(|_| jwt::refuse("bad_signature"))?;
    let claims: Claims = jwt::verify(token, &secret, Algorithm::HS256, ISSUER, AUDIENCE)?;
    jwt::check_times(&claims, now)?;
    let client = claims
        .get("sub")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| jwt::refuse("malformed"))?;
    Ok((client, claims))
}

impl Authenticator for OAuthTokens {
    type Verified = OAuthVerified;

    async fn verify(
        &self,
        credential: &Credential,
        api: Api,
        now: DateTime<Utc>,
    ) -> Verification<OAuthVerified> {
        let Some(token) = jwt::scim_bearer_jwt(credential, api) else {
            return Verification::NotMine;
        };
        if let Some(verified) = self.remembered.recall(token, now) {
            return Verification::Verified(verified);
        }
        let Ok((header, claims)) = jwt::unverified(token) else {
            return Verification::NotMine;
        };
        if claims.get("iss").and_then(Value::as_str) != Some(ISSUER) {
            return Verification::NotMine;
        }
        let Some(kid) = header.kid else {
            return Verification::Refused(jwt::refuse("malformed"));
        };
        let Some(key) = self.cached(&kid) else {
            return Verification::Verified(OAuthVerified::Pending {
                token: token.clone(),
                kid,
            });
        };
        match check(token, &key, now) {
            Ok((client_id, claims)) => {
                let verified = OAuthVerified::Checked {
                    org_id: key.org_id.clone(),
                    client_id,
                };
                self.remembered.remember(token, &verified, &claims);
                Verification::Verified(verified)
            }
            Err(refusal) => Verification::Refused(refusal),
        }
    }

    fn resolve(
        &self,
        tx: &mut Tx<'_>,
        verified: &OAuthVerified,
        api: Api,
        now: DateTime<Utc>,
    ) -> Result<Option<Actor>, StoreError> {
        if api != Api::Scim {
            return Ok(None);
        }
        let (org_id, client_id) = match verified {
            OAuthVerified::Checked { org_id, client_id } => (org_id.clone(), client_id.clone()),
            OAuthVerified::Pending { token, kid } => {
                let Some(key) = tx.oauth().signing_key_by_id(kid)? else {
                    return Ok(None);
                };
                let key = self.remember(key);
                match check(token, &key, now) {
                    Ok((client_id, claims)) => {
                        let checked = OAuthVerified::Checked {
                            org_id: key.org_id.clone(),
                            client_id: client_id.clone(),
                        };
                        self.remembered.remember(token, &checked, &claims);
                        (key.org_id.clone(), client_id)
                    }
                    Err(refusal) => {
                        tracing::debug!(reason = refusal.reason, "access token refused");
                        return Ok(None);
                    }
                }
            }
        };
        Ok(tx.oauth().active(&org_id, &client_id)?.map(|active| Actor {
            org_id: active.org_id,
            credential_kind: CredentialKind::OAuthClient,
            credential_id: active.token_id,
            dialect: active.dialect,
            schemas_version: active.schemas_version,
            request_id: None,
        }))
    }
}
