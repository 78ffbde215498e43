//! Secrets the server must read back to use them: webhook signing secrets, the shared
//! secrets of HS256 JWT issuers and the keys that sign OAuth access tokens. Hashing would
//! make them useless, so they are sealed instead:
//!
//! - `v1:<hex>`: in clear, when the operator configures no key-encryption key;
//! - `kek1:<hex nonce ‖ ciphertext>`: wrapped with the key-encryption key
//!   ([`KeyEncryptionKey`], XChaCha20-Poly1305), bound to what the secret is and whose it
//!   is (associated data), so a wrapped secret cannot be moved to another row.
//!
//! A store opened with a key-encryption key wraps every secret stored in clear first
//! (`key_encryption.rs`), as it does users' data keys; `rollcall kek rotate` rewraps them
//! all under a new key.

use crate::StoreError;
use crate::erasure::{KeyEncryptionKey, decrypt, encrypt};

/// The prefix of a secret stored in clear.
pub(crate) const CLEAR: &str = "v1:";

/// The prefix of a secret wrapped with the key-encryption key.
pub(crate) const WRAPPED: &str = "kek1:";

/// What a sealed secret is: part of its binding, and of the error that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A webhook's signing secret (owner: the webhook's id).
    Webhook,
    /// A JWT issuer's HS256 shared secret (owner: the registration's id).
    IssuerSecret,
    /// A key that signs OAuth access tokens (owner: the key's id).
    SigningKey,
}

impl Purpose {
    fn name(self) -> &'static str {
        match self {
            Purpose::Webhook => "webhook",
            Purpose::IssuerSecret => "jwt_issuer",
            Purpose::SigningKey => "oauth_signing_key",
        }
    }

    fn binding(self, owner: &str) -> Vec<u8> {
        format!("rollcall-secret-v1\u{1f}{}\u{1f}{owner}", self.name()).into_bytes()
    }
}

/// `secret` as stored: wrapped when there is a key-encryption key.
pub(crate) fn seal(
    kek: Option<&KeyEncryptionKey>,
    purpose: Purpose,
    owner: &str,
    secret: &[u8],
) -> Result<String, StoreError> {
    match kek {
        None => Ok(format!("{CLEAR}{}", hex::encode(secret))),
        Some(kek) => encrypt(&kek.cipher(), &purpose.binding(owner), secret)
            .map(|wrapped| format!("{WRAPPED}{wrapped}"))
            .ok_or_else(|| StoreError::Database(format!("cannot seal a {}", purpose.name()))),
    }
}

/// The secret a stored value holds. A wrapped secret without the key-encryption key, or
/// one it does not open, is an error, never an empty secret.
pub(crate) fn open(
    stored: &str,
    kek: Option<&KeyEncryptionKey>,
    purpose: Purpose,
    owner: &str,
) -> Result<Vec<u8>, StoreError> {
    let unreadable = || {
        StoreError::Invalid(format!(
            "the {} {owner} cannot be read: is the key-encryption key the one it was wrapped \
             with?",
            purpose.name()
        ))
    };
    if let Some(clear) = stored.strip_prefix(CLEAR) {
        return hex::decode(clear).map_err(|_| unreadable());
    }
    let wrapped = stored.strip_prefix(WRAPPED).ok_or_else(unreadable)?;
    let kek = kek.ok_or_else(unreadable)?;
    decrypt(&kek.cipher(), &purpose.binding(owner), wrapped).ok_or_else(unreadable)
}

/// The tables and columns that hold sealed secrets, with what each is and the column of
/// its owner.
pub(crate) const SEALED_COLUMNS: [(&str, &str, &str, Purpose); 3] = [
    ("webhooks", "secret", "id", Purpose::Webhook),
    ("jwt_issuers", "shared_secret", "id", Purpose::IssuerSecret),
    ("oauth_signing_keys", "secret", "id", Purpose::SigningKey),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_as_what_it_was_sealed_for() {
        let kek = KeyEncryptionKey::from_hex(&"ab".repeat(32)).unwrap_or_else(|e| panic!("{e}"));
        let other = KeyEncryptionKey::from_hex(&"cd".repeat(32)).unwrap_or_else(|e| panic!("{e}"));
        let clear = seal(None, Purpose::Webhook, "w1", b"s3cret").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(clear, format!("v1:{}", hex::encode("s3cret")));
        let wrapped =
            seal(Some(&kek), Purpose::Webhook, "w1", b"s3cret").unwrap_or_else(|e| panic!("{e}"));
        assert!(wrapped.starts_with(WRAPPED) && !wrapped.contains(&hex::encode("s3cret")));
        let opened = |stored: &str, kek, purpose, owner| open(stored, kek, purpose, owner).ok();
        assert_eq!(
            opened(&wrapped, Some(&kek), Purpose::Webhook, "w1"),
            Some(b"s3cret".to_vec())
        );
        assert_eq!(opened(&wrapped, Some(&other), Purpose::Webhook, "w1"), None);
        assert_eq!(opened(&wrapped, None, Purpose::Webhook, "w1"), None);
        assert_eq!(opened(&wrapped, Some(&kek), Purpose::Webhook, "w2"), None);
        assert_eq!(
            opened(&wrapped, Some(&kek), Purpose::SigningKey, "w1"),
            None
        );
        assert_eq!(
            opened(&clear, None, Purpose::Webhook, "w1"),
            Some(b"s3cret".to_vec())
        );
        assert_eq!(opened("s3cret", None, Purpose::Webhook, "w1"), None);
    }
}
