//! RFC 9865 cursors: opaque, tamper-evident tokens for keyset pages.
//!
//! A cursor is `<payload hex>.<HMAC-SHA256 hex>` (only RFC 3986 unreserved characters). The
//! payload is a small JSON object: the direction (after/before), the keyset position (the
//! row's sort key and id) and when it was issued. The MAC covers the payload **and** the
//! query it belongs to: the resource type, the organization, the filter (as printed from its
//! parsed form) and the sort. So a cursor that was altered, or that comes from another
//! organization, filter or sort, is a 400 `invalidCursor`; one older than
//! [`CURSOR_TIMEOUT_SECONDS`] is a 400 `expiredCursor`. The key is the store's
//! (`Store::cursor_key`), shared by every process serving the database.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rollcall_store::{Keyset, KeysetDirection, KeysetPosition, ResourceKind};
use scim_core::{ScimError, ScimType};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// How long a cursor stays valid (advertised as `cursorTimeout`).
pub(crate) const CURSOR_TIMEOUT_SECONDS: u32 = 3600;

/// The longest cursor accepted (a real one is a few hundred characters).
const MAX_CURSOR_LENGTH: usize = 4096;

/// What a cursor is bound to besides its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CursorScope<'a> {
    /// `/Users` or `/Groups`.
    pub(crate) kind: ResourceKind,
    /// The caller's organization.
    pub(crate) org_id: &'a str,
    /// The filter as printed from its parsed form (`""` without one).
    pub(crate) filter: &'a str,
    /// The sort: lower-cased `sortBy` and the order (`""` without `sortBy`).
    pub(crate) sort: &'a str,
}

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    /// `"a"` (after) or `"b"` (before).
    d: String,
    /// The sort key, `null` when the row had none.
    k: Option<String>,
    /// The row id.
    i: String,
    /// Issued at, Unix seconds.
    t: i64,
}

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8; 32], scope: &CursorScope<'_>, payload: &[u8]) -> Result<HmacSha256, ScimError> {
    // HMAC takes keys of any length: this never fails.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).map_err(|_| ScimError {
        status: 500,
        scim_type: None,
        detail: "the cursor key was refused".to_owned(),
        span: None,
    })?;
    let kind = match scope.kind {
        ResourceKind::User => "User",
        ResourceKind::Group => "Group",
    };
    // A JSON array is an unambiguous encoding of the parts.
    let bound = serde_json::json!([
        "rollcall-cursor-1",
        kind,
        scope.org_id,
        scope.filter,
        scope.sort
    ]);
    mac.update(bound.to_string().as_bytes());
    mac.update(b"\n");
    mac.update(payload);
    Ok(mac)
}

/// The cursor of `keyset` for `scope`, issued `now`.
pub(crate) fn encode(
    key: &[u8; 32],
    scope: &CursorScope<'_>,
    keyset: &Keyset,
    now: DateTime<Utc>,
) -> Result<String, ScimError> {
    let payload = Payload {
        d: match keyset.direction {
            KeysetDirection::After => "a",
            KeysetDirection::Before => "b",
        }
        .to_owned(),
        k: keyset.position.key.clone(),
        i: keyset.position.id.clone(),
        t: now.timestamp(),
    };
    let payload = serde_json::to_vec(&payload).unwrap_or_default();
    let tag = mac(key, scope, &payload)?.finalize().into_bytes();
    Ok(format!("{}.{}", hex::encode(&payload), hex::encode(tag)))
}

fn invalid() -> ScimError {
    ScimError::bad_request(
        ScimType::InvalidCursor,
        "the cursor is not one this server issued for this query; send an empty cursor for \
         the first page, then the nextCursor or previousCursor of the previous response with \
         the same filter and sort",
    )
}

/// The keyset a cursor names for `scope`; `None` for the empty cursor (the first page).
pub(crate) fn decode(
    key: &[u8; 32],
    scope: &CursorScope<'_>,
    cursor: &str,
    now: DateTime<Utc>,
) -> Result<Option<Keyset>, ScimError> {
    let cursor = cursor.trim();
    if cursor.is_empty() {
        return Ok(None);
    }
    if cursor.len() > MAX_CURSOR_LENGTH {
        return Err(invalid());
    }
    let (payload, tag) = cursor.split_once('.').ok_or_else(invalid)?;
    let payload = hex::decode(payload).map_err(|_| invalid())?;
    let tag = hex::decode(tag).map_err(|_| invalid())?;
    // Constant-time comparison.
    mac(key, scope, &payload)?
        .verify_slice(&tag)
        .map_err(|_| invalid())?;
    let payload: Payload = serde_json::from_slice(&payload).map_err(|_| invalid())?;
    let direction = match payload.d.as_str() {
        "a" => KeysetDirection::After,
        "b" => KeysetDirection::Before,
        _ => return Err(invalid()),
    };
    let age = now.timestamp().saturating_sub(payload.t);
    if age > i64::from(CURSOR_TIMEOUT_SECONDS) {
        return Err(ScimError::bad_request(
            ScimType::ExpiredCursor,
            format!(
                "the cursor has expired (cursors are valid for {CURSOR_TIMEOUT_SECONDS} seconds); \
                 start again with an empty cursor"
            ),
        ));
    }
    Ok(Some(Keyset {
        direction,
        position: KeysetPosition {
            key: payload.k,
            id: payload.i,
        },
    }))
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests read the wall clock
mod tests {
    use super::*;
    use chrono::Duration;

    const KEY: [u8; 32] = [7; 32];

    fn scope<'a>(org_id: &'a str, filter: &'a str, sort: &'a str) -> CursorScope<'a> {
        CursorScope {
            kind: ResourceKind::User,
            org_id,
            filter,
            sort,
        }
    }

    fn keyset() -> Keyset {
        Keyset {
            direction: KeysetDirection::Before,
            position: KeysetPosition {
                key: Some("alice|\"x\"".into()),
                id: "0190-id".into(),
            },
        }
    }

    #[test]
    fn a_cursor_round_trips_in_unreserved_characters() {
        let now = Utc::now();
        let scope = scope("org", "userName sw \"a\"", "username:descending");
        let cursor = encode(&KEY, &scope, &keyset(), now).unwrap();
        assert!(
            cursor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)),
            "{cursor}"
        );
        assert_eq!(decode(&KEY, &scope, &cursor, now).unwrap(), Some(keyset()));
        assert_eq!(decode(&KEY, &scope, "", now).unwrap(), None);
    }

    #[test]
    fn foreign_tampered_and_old_cursors_are_refused() {
        let now = Utc::now();
        let issued = scope("org", "", "");
        let cursor = encode(&KEY, &issued, &keyset(), now).unwrap();
        let mut flipped = cursor.clone().into_bytes();
        flipped[3] = if flipped[3] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        let groups = CursorScope {
            kind: ResourceKind::Group,
            ..issued.clone()
        };
        let cases: Vec<(&str, CursorScope<'_>, String, ScimType)> = vec![
            ("tampered", issued.clone(), flipped, ScimType::InvalidCursor),
            (
                "garbage",
                issued.clone(),
                "zz".into(),
                ScimType::InvalidCursor,
            ),
            (
                "no tag",
                issued.clone(),
                "00".into(),
                ScimType::InvalidCursor,
            ),
            (
                "other org",
                scope("org2", "", ""),
                cursor.clone(),
                ScimType::InvalidCursor,
            ),
            (
                "other filter",
                scope("org", "x pr", ""),
                cursor.clone(),
                ScimType::InvalidCursor,
            ),
            (
                "other sort",
                scope("org", "", "id:ascending"),
                cursor.clone(),
                ScimType::InvalidCursor,
            ),
            (
                "other type",
                groups,
                cursor.clone(),
                ScimType::InvalidCursor,
            ),
            (
                "too long",
                issued.clone(),
                "0".repeat(5000),
                ScimType::InvalidCursor,
            ),
        ];
        for (name, scope, cursor, expected) in cases {
            let error = decode(&KEY, &scope, &cursor, now).unwrap_err();
            assert_eq!(
                (error.status, error.scim_type),
                (400, Some(expected)),
                "{name}"
            );
        }
        let later = now + Duration::seconds(i64::from(CURSOR_TIMEOUT_SECONDS) + 1);
        let error = decode(&KEY, &issued, &cursor, later).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::ExpiredCursor));
        let other_key = [8; 32];
        let error = decode(&other_key, &issued, &cursor, now).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidCursor));
    }
}
