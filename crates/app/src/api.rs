//! The two APIs the surface serves.

/// Which API a request is for: it decides the mount, the credential a request needs and
/// the shape of error bodies ([`crate::Error::render`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// SCIM 2.0 under `/scim/v2`: SCIM tokens, RFC 7644 §3.12 error bodies.
    Scim,
    /// The admin API under `/admin/v1`: admin tokens, `{"error": {"code", "message"}}`.
    Admin,
}

impl Api {
    /// Where the API is mounted.
    pub fn prefix(self) -> &'static str {
        match self {
            Api::Scim => "/scim/v2",
            Api::Admin => "/admin/v1",
        }
    }
}
