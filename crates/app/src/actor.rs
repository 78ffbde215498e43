//! Who a request runs for, once its credential is verified.

use scim_core::Dialect;

/// Which kind of credential an actor presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialKind {
    /// An organization's SCIM token (`rc_scim_…`).
    ScimToken,
    /// An organization's admin token (`rc_admin_…`).
    AdminToken,
    /// A JWT from an issuer the organization trusts; the id is the registration's.
    Jwt,
    /// An access token issued to one of the organization's OAuth clients; the id is the
    /// client's.
    OAuthClient,
    /// A kind an embedder added ([`crate::App::with_authenticator`]), by the prefix of its
    /// actors in the audit trail.
    Other(&'static str),
}

impl CredentialKind {
    /// The prefix of the actor's name in the audit trail: `scim` for every SCIM
    /// credential, `admin` for admin tokens.
    pub fn trail_prefix(self) -> &'static str {
        match self {
            CredentialKind::ScimToken | CredentialKind::Jwt | CredentialKind::OAuthClient => "scim",
            CredentialKind::AdminToken => "admin",
            CredentialKind::Other(prefix) => prefix,
        }
    }

    /// The kind as the audit trail's `actor_kind` names it: `scim_token`, `admin_token`,
    /// `jwt`, `oauth_client`, or an embedder's prefix.
    pub fn name(self) -> &'static str {
        match self {
            CredentialKind::ScimToken => "scim_token",
            CredentialKind::AdminToken => "admin_token",
            CredentialKind::Jwt => "jwt",
            CredentialKind::OAuthClient => "oauth_client",
            CredentialKind::Other(prefix) => prefix,
        }
    }
}

/// The authenticated party of a request: an organization, through one of its credentials.
/// The organization comes from the credential, never from anything else the client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The organization.
    pub org_id: String,
    /// The credential's kind.
    pub credential_kind: CredentialKind,
    /// The credential's id (a token id), the actor in the audit trail.
    pub credential_id: String,
    /// The organization's dialect.
    pub dialect: Dialect,
    /// The version of the organization's custom schemas (0: none ever added).
    pub schemas_version: i64,
    /// The request's id (`X-Request-Id`), for the audit records it causes.
    pub request_id: Option<String>,
}

impl Actor {
    /// The actor as the audit trail names it: `scim:<token id>`, `admin:<token id>`.
    pub fn trail_name(&self) -> String {
        format!(
            "{}:{}",
            self.credential_kind.trail_prefix(),
            self.credential_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trail_names_the_credential() {
        let mut actor = Actor {
            org_id: "o".into(),
            credential_kind: CredentialKind::ScimToken,
            credential_id: "t1".into(),
            dialect: Dialect::Lenient,
            schemas_version: 0,
            request_id: None,
        };
        assert_eq!(actor.trail_name(), "scim:t1");
        actor.credential_kind = CredentialKind::AdminToken;
        assert_eq!(actor.trail_name(), "admin:t1");
        for kind in [CredentialKind::Jwt, CredentialKind::OAuthClient] {
            actor.credential_kind = kind;
            assert_eq!(actor.trail_name(), "scim:t1", "{kind:?}");
        }
        assert_eq!(CredentialKind::OAuthClient.name(), "oauth_client");
    }
}
