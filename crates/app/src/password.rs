//! Passwords (PRODUCT.md §1): Rollcall authenticates nobody, so a `password` an IdP sends
//! is never kept in clear. The organization's `password_storage` decides: `discard` (the
//! default) drops it, `argon2id` keeps only a PHC hash string, which an embedder that
//! verifies passwords checks with [`verify_password`].
//!
//! Hashing costs tens of milliseconds and ~19 MiB on purpose, so it never runs inside the
//! write transaction: before a write whose body holds a password, the session learns the
//! organization's setting in a read transaction and, for `argon2id`, hashes every password
//! the body holds on the blocking pool ([`Prehashed`]). The write then only looks hashes
//! up; a password it finds no hash for (the setting changed in between) is hashed there,
//! which is correct, only slower.

use std::collections::HashMap;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde_json::Value;

use crate::error::Error;

/// Hashes made before a write, by the password they hash.
#[derive(Debug, Default)]
pub(crate) struct Prehashed {
    hashes: HashMap<String, String>,
}

impl Prehashed {
    /// The PHC string made for `password`, if it was hashed before the write.
    pub(crate) fn get(&self, password: &str) -> Option<&str> {
        self.hashes.get(password).map(String::as_str)
    }

    /// Hash each of `passwords`, a few at a time on the blocking pool (each hash holds
    /// ~19 MiB while it runs).
    pub(crate) async fn hash_all(passwords: Vec<String>) -> Result<Self, Error> {
        const AT_ONCE: usize = 4;
        let mut hashes = HashMap::with_capacity(passwords.len());
        for batch in passwords.chunks(AT_ONCE) {
            let tasks: Vec<_> = batch
                .iter()
                .cloned()
                .map(|password| {
                    tokio::task::spawn_blocking(move || {
                        let hash = hash(&password);
                        (password, hash)
                    })
                })
                .collect();
            for task in tasks {
                let (password, hash) = task
                    .await
                    .map_err(|error| Error::internal(format!("password hashing: {error}")))?;
                hashes.insert(password, hash?);
            }
        }
        Ok(Prehashed { hashes })
    }
}

/// The argon2id PHC string of `password` (RustCrypto's defaults: m = 19 MiB, t = 2, p = 1),
/// with a random 16-byte salt.
pub(crate) fn hash(password: &str) -> Result<String, Error> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|error| Error::internal(format!("password salt: {error}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| Error::internal(format!("password hashing: {error}")))
}

/// Whether `candidate` is the password whose PHC string is `phc` (what an `argon2id`
/// organization keeps in a user's `password`). A string that is not a PHC hash matches
/// nothing.
pub fn verify_password(phc: &str, candidate: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(candidate.as_bytes(), &hash)
            .is_ok()
    })
}

/// The strings of `body` that may be written as a password: a string under the key
/// `password` (any case, URN-qualified or not), and the string value
/// of a PATCH operation whose path names it. Over-approximates: a string hashed needlessly
/// costs time, one missed is hashed inside the write.
pub(crate) fn candidates(body: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect(body, &mut found);
    found.sort();
    found.dedup();
    found
}

/// Whether an attribute name or path names the password: `password`, or URN-qualified
/// (`urn:…:User:password`), in any case.
fn names_password(key: &str) -> bool {
    let name = key.trim();
    let name = name.rsplit_once(':').map_or(name, |(_, name)| name);
    name.eq_ignore_ascii_case("password")
}

fn collect(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            let patched = members
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case("path"))
                .and_then(|(_, path)| path.as_str())
                .is_some_and(names_password);
            for (key, member) in members {
                let named = names_password(key) || (patched && key.eq_ignore_ascii_case("value"));
                match member {
                    Value::String(text) if named => found.push(text.clone()),
                    other => collect(other, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect(item, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash("s3cret-pass").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        assert!(verify_password(&phc, "s3cret-pass"));
        assert!(!verify_password(&phc, "S3CRET-PASS"));
        assert!(!verify_password(&phc, ""));
        assert!(
            !verify_password("s3cret-pass", "s3cret-pass"),
            "clear text is no hash"
        );
        assert_ne!(hash("s3cret-pass").unwrap(), phc, "salted");
    }

    #[test]
    fn candidates_are_found_wherever_a_write_may_carry_them() {
        let table = [
            (json!({"userName": "a", "password": "p1"}), vec!["p1"]),
            (
                json!({"PASSWORD": "p1", "nickName": "password"}),
                vec!["p1"],
            ),
            (
                json!({"urn:ietf:params:scim:schemas:core:2.0:User:password": "p1"}),
                vec!["p1"],
            ),
            (
                json!({"Operations": [
                    {"op": "replace", "path": "password", "value": "p1"},
                    {"op": "Replace", "Path": "urn:ietf:params:scim:schemas:core:2.0:User:Password", "Value": "p2"},
                    {"op": "replace", "value": {"password": "p3", "displayName": "x"}},
                    {"op": "replace", "path": "displayName", "value": "not-a-password"},
                ]}),
                vec!["p1", "p2", "p3"],
            ),
            (
                json!({"Operations": [
                    {"method": "POST", "path": "/Users", "data": {"userName": "b", "password": "p1"}},
                    {"method": "PATCH", "path": "/Users/1", "data": {"Operations": [
                        {"op": "add", "path": "password", "value": "p1"}]}},
                ]}),
                vec!["p1"],
            ),
            (json!({"password": 7, "name": {"password": ["x"]}}), vec![]),
        ];
        for (body, expected) in table {
            assert_eq!(candidates(&body), expected, "{body}");
        }
    }
}
