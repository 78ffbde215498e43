//! Request ids: every request through the SCIM and admin APIs carries one, taken from the
//! client's `X-Request-Id` when it is a sensible token (1 to 128 of `A-Z a-z 0-9 . _ : -`)
//! and made up otherwise. It is answered in the response's `X-Request-Id`, logged with the
//! request, and written into every audit record the request causes, so a record leads to
//! the log lines and the IdP's own request log.

use crate::request::{Headers, header_text};

/// The header, read and answered.
pub(crate) const HEADER: &str = "x-request-id";

/// The longest id taken from a client.
const MAX_LENGTH: usize = 128;

/// The id of a request: the client's when it is acceptable, else a new one.
pub(crate) fn for_request(headers: &Headers) -> String {
    headers
        .get(HEADER)
        .and_then(|value| header_text(value).ok())
        .filter(|id| acceptable(id))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

fn acceptable(id: &str) -> bool {
    (1..=MAX_LENGTH).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sensible_client_ids_are_kept() {
        let cases = [
            ("abc-123", true),
            ("okta:4f1.x_y", true),
            ("", false),
            ("has space", false),
            ("quote\"", false),
            ("é", false),
        ];
        for (id, kept) in cases {
            assert_eq!(acceptable(id), kept, "{id:?}");
        }
        assert!(acceptable(&"a".repeat(128)));
        assert!(!acceptable(&"a".repeat(129)));
    }
}
