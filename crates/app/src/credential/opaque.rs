//! Opaque tokens: the organization's SCIM and admin tokens (`rc_scim_…`, `rc_admin_…`),
//! stored only as hashes. Before the transaction only the prefix is looked at (another
//! authenticator may claim other tokens); inside it the store finds the token, compares the
//! hash in constant time and checks kind, expiry and revocation.

use chrono::{DateTime, Utc};
use rollcall_store::{StoreError, TokenKind, Tx};

use super::{Authenticator, Credential, Verification};
use crate::actor::{Actor, CredentialKind};
use crate::api::Api;

/// The store's SCIM tokens (for [`Api::Scim`]) and admin tokens (for [`Api::Admin`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct OpaqueTokens;

impl Authenticator for OpaqueTokens {
    type Verified = String;

    async fn verify(
        &self,
        credential: &Credential,
        api: Api,
        _now: DateTime<Utc>,
    ) -> Verification<String> {
        // A bare token (Okta's header mode) is a SCIM token's form only.
        let (token, kinds): (&String, &[TokenKind]) = match credential {
            Credential::Bearer(token) => (token, &[TokenKind::Scim, TokenKind::Admin]),
            Credential::Bare(token) if api == Api::Scim => (token, &[TokenKind::Scim]),
            _ => return Verification::NotMine,
        };
        let ours = kinds
            .iter()
            .any(|kind| token.starts_with(kind.secret_prefix()));
        if ours {
            Verification::Verified(token.clone())
        } else {
            Verification::NotMine
        }
    }

    fn resolve(
        &self,
        tx: &mut Tx<'_>,
        secret: &String,
        api: Api,
        now: DateTime<Utc>,
    ) -> Result<Option<Actor>, StoreError> {
        let (kind, credential_kind) = match api {
            Api::Scim => (TokenKind::Scim, CredentialKind::ScimToken),
            Api::Admin => (TokenKind::Admin, CredentialKind::AdminToken),
        };
        Ok(tx
            .tokens()
            .authenticate(secret, kind, now)?
            .map(|authenticated| Actor {
                org_id: authenticated.org_id,
                credential_kind,
                credential_id: authenticated.token_id,
                dialect: authenticated.dialect,
                schemas_version: authenticated.schemas_version,
                request_id: None,
            }))
    }
}
