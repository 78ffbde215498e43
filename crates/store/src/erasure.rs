//! Erasure by crypto-shredding (PRODUCT.md §6). The audit trail is append-only, yet a
//! deleted user's personal data must be gone after the purge. So the personal values of
//! every record about a user are stored encrypted under a data key of that user (XChaCha20-
//! Poly1305, a RustCrypto AEAD). Reading the trail decrypts them. The purge deletes the key,
//! and from then on the same records, unedited, read `"[erased]"` where those values were.
//!
//! - Personal values: the attribute values in a user record's `before` and `after`
//!   (names, emails, phones, addresses, `externalId`, custom attributes). Not `active` or
//!   `schemas`, and not what a record says around them: ids, operations, roles, access
//!   deltas, member lists of ids. A failed write's error message (which may echo a value)
//!   is sealed too.
//! - A sealed value is `{"$enc": "<hex nonce ‖ ciphertext>", "$key": "<user id>"}`. The
//!   ciphertext is bound to the organization and the user (associated data), so a value
//!   cannot be moved under another user's key.
//! - Keys live in `user_data_keys`, one per user, made when the first record about the user
//!   is sealed. Stored as `v1:<hex>`, or, when the operator configures a key-encryption key
//!   ([`KeyEncryptionKey`], `StoreOptions::key_encryption_key`), wrapped with it as
//!   `kek1:<hex nonce ‖ ciphertext>` (bound to the organization and the user). A store
//!   opened with a key-encryption key wraps every unwrapped key first; one opened without
//!   it while wrapped keys exist refuses to start rather than seal new values it could not
//!   read ([`check_key_encryption`]).
//! - The hash chain covers the stored (sealed) form, so erasure never breaks it.

use std::collections::HashMap;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use diesel::prelude::*;
use rand::RngCore;
use serde_json::{Map, Value, json};

use crate::schema::{migration_findings, user_data_keys};
use crate::sql::{Bind, Sql};
use crate::{StoreError, Tx};

/// What a value reads once its user's key is gone.
pub const ERASED: &str = "[erased]";

/// What a sealed value reads when it cannot be opened with the key it names (a damaged
/// record): never silently shown as something else.
pub const UNREADABLE: &str = "[unreadable]";

/// The attributes of a user record that are not personal.
const NOT_PERSONAL: [&str; 2] = ["active", "schemas"];

/// The version prefix of a stored key in clear.
const KEY_PREFIX: &str = "v1:";

/// The version prefix of a stored key wrapped with the key-encryption key.
const WRAPPED_PREFIX: &str = "kek1:";

/// The operator's key-encryption key: data keys are stored wrapped with it.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyEncryptionKey([u8; 32]);

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(..)")
    }
}

impl KeyEncryptionKey {
    /// The key from 64 hexadecimal digits (32 random bytes, e.g. `openssl rand -hex 32`).
    pub fn from_hex(text: &str) -> Result<KeyEncryptionKey, String> {
        let bytes = hex::decode(text.trim())
            .map_err(|_| "a key-encryption key is 64 hexadecimal digits".to_owned())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "a key-encryption key is 32 bytes (64 hexadecimal digits)".to_owned())?;
        Ok(KeyEncryptionKey(bytes))
    }

    pub(crate) fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(&self.0))
    }
}

/// The associated data that binds a wrapped data key to its organization and user.
fn key_binding(org_id: &str, user_id: &str) -> Vec<u8> {
    format!("rollcall-data-key-v1\u{1f}{org_id}\u{1f}{user_id}").into_bytes()
}

/// A user's data key.
#[derive(Clone)]
pub(crate) struct DataKey([u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    fn random() -> DataKey {
        let mut key = [0_u8; 32];
        rand::rng().fill_bytes(&mut key);
        DataKey(key)
    }

    /// The key as stored: wrapped when there is a key-encryption key.
    fn to_stored(&self, kek: Option<&KeyEncryptionKey>, org_id: &str, user_id: &str) -> String {
        let Some(kek) = kek else {
            return format!("{KEY_PREFIX}{}", hex::encode(self.0));
        };
        // Never stored in clear once there is a key-encryption key.
        encrypt(&kek.cipher(), &key_binding(org_id, user_id), &self.0)
            .map(|wrapped| format!("{WRAPPED_PREFIX}{wrapped}"))
            .unwrap_or_default()
    }

    /// The key a stored one holds. A wrapped key without the key-encryption key, or one it
    /// does not open, is an error: values sealed under it must not read as erased.
    fn from_stored(
        stored: &str,
        kek: Option<&KeyEncryptionKey>,
        org_id: &str,
        user_id: &str,
    ) -> Result<DataKey, StoreError> {
        let unreadable = || {
            StoreError::Invalid(format!(
                "the data key of user {user_id} cannot be read: is the key-encryption key the \
                 one it was wrapped with?"
            ))
        };
        if let Some(clear) = stored.strip_prefix(KEY_PREFIX) {
            let bytes = hex::decode(clear).map_err(|_| unreadable())?;
            return Ok(DataKey(bytes.try_into().map_err(|_| unreadable())?));
        }
        let wrapped = stored.strip_prefix(WRAPPED_PREFIX).ok_or_else(unreadable)?;
        let kek = kek.ok_or_else(unreadable)?;
        let key = decrypt(&kek.cipher(), &key_binding(org_id, user_id), wrapped)
            .ok_or_else(unreadable)?;
        Ok(DataKey(key.try_into().map_err(|_| unreadable())?))
    }

    pub(crate) fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(&self.0))
    }
}

/// The associated data that binds a sealed value to its organization and user.
fn binding(org_id: &str, user_id: &str) -> Vec<u8> {
    format!("rollcall-erasure-v1\u{1f}{org_id}\u{1f}{user_id}").into_bytes()
}

/// `value` sealed under `key`.
fn seal_value(key: &DataKey, org_id: &str, user_id: &str, value: &Value) -> Value {
    let plaintext = value.to_string();
    // Should encryption ever fail, the value is not kept at all rather than kept in clear.
    match encrypt(
        &key.cipher(),
        &binding(org_id, user_id),
        plaintext.as_bytes(),
    ) {
        Some(sealed) => json!({"$enc": sealed, "$key": user_id}),
        None => Value::String(UNREADABLE.to_owned()),
    }
}

/// The value a sealed one holds, if `key` opens it.
fn open_value(key: &DataKey, org_id: &str, user_id: &str, sealed: &str) -> Option<Value> {
    let plaintext = decrypt(&key.cipher(), &binding(org_id, user_id), sealed)?;
    serde_json::from_slice(&plaintext).ok()
}

/// `msg` encrypted with a fresh random nonce, bound to `aad`: hex of nonce ‖ ciphertext.
/// `None` only if the cipher fails, which a 32-byte key and a 24-byte nonce rule out.
pub(crate) fn encrypt(cipher: &XChaCha20Poly1305, aad: &[u8], msg: &[u8]) -> Option<String> {
    let mut nonce = [0_u8; 24];
    rand::rng().fill_bytes(&mut nonce);
    let ciphertext = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg, aad })
        .ok()?;
    let mut stored = nonce.to_vec();
    stored.extend(ciphertext);
    Some(hex::encode(stored))
}

/// What [`encrypt`] encrypted, if `cipher` opens it with `aad`.
pub(crate) fn decrypt(cipher: &XChaCha20Poly1305, aad: &[u8], stored: &str) -> Option<Vec<u8>> {
    let bytes = hex::decode(stored).ok()?;
    if bytes.len() < 24 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(24);
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
}

/// The user id a sealed value names, if `value` is one.
fn sealed_parts(value: &Value) -> Option<(&str, &str)> {
    let object = value.as_object()?;
    if object.len() != 2 {
        return None;
    }
    Some((object.get("$enc")?.as_str()?, object.get("$key")?.as_str()?))
}

impl Tx<'_> {
    /// The user's data key, made now if the user has none yet and `make` and the user
    /// exists (as a user or a tombstone): an id that names nobody gets no key (a failed
    /// write to an unknown id holds nobody's personal data, and a key made for it would
    /// never be purged).
    pub(crate) fn data_key(
        &mut self,
        org_id: &str,
        user_id: &str,
        make: bool,
    ) -> Result<Option<DataKey>, StoreError> {
        // A user this transaction inserted exists and has no key yet: straight to making
        // it (two statements fewer for every create).
        let inserted = make
            && self
                .inserted_users
                .iter()
                .any(|(org, id)| org == org_id && id == user_id);
        if !inserted {
            let stored: Option<String> = user_data_keys::table
                .filter(user_data_keys::org_id.eq(org_id))
                .filter(user_data_keys::user_id.eq(user_id))
                .select(user_data_keys::data_key)
                .first(self.conn)
                .optional()?;
            if let Some(stored) = stored {
                let kek = self.kek.clone();
                return DataKey::from_stored(&stored, kek.as_deref(), org_id, user_id).map(Some);
            }
            if !make || !self.user_or_tombstone_exists(org_id, user_id)? {
                return Ok(None);
            }
        }
        match self.insert_data_key(org_id, user_id)? {
            Some(key) => Ok(Some(key)),
            // Another transaction made one first (PostgreSQL): use what is stored.
            None => self.data_key(org_id, user_id, false),
        }
    }

    /// A new data key for the user, stored; `None` if the user already has one.
    fn insert_data_key(
        &mut self,
        org_id: &str,
        user_id: &str,
    ) -> Result<Option<DataKey>, StoreError> {
        let kek = self.kek.clone();
        let key = DataKey::random();
        let mut insert = Sql::new(self.backend);
        insert
            .cacheable()
            .push("INSERT INTO user_data_keys (org_id, user_id, data_key) VALUES (");
        insert.push_bind(Bind::Text(org_id.to_owned())).push(", ");
        insert.push_bind(Bind::Text(user_id.to_owned())).push(", ");
        insert
            .push_bind(Bind::Text(key.to_stored(kek.as_deref(), org_id, user_id)))
            .push(") ON CONFLICT (org_id, user_id) DO NOTHING");
        Ok((insert.execute(self.conn)? == 1).then_some(key))
    }

    fn user_or_tombstone_exists(
        &mut self,
        org_id: &str,
        user_id: &str,
    ) -> Result<bool, StoreError> {
        let mut exists = Sql::new(self.backend);
        exists.cacheable().push(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM (SELECT id FROM scim_users WHERE org_id = ",
        );
        exists.push_bind(Bind::Text(org_id.to_owned()));
        exists
            .push(" AND id = ")
            .push_bind(Bind::Text(user_id.to_owned()));
        exists.push(" UNION ALL SELECT id FROM user_tombstones WHERE org_id = ");
        exists.push_bind(Bind::Text(org_id.to_owned()));
        exists
            .push(" AND id = ")
            .push_bind(Bind::Text(user_id.to_owned()));
        exists.push(") found");
        Ok(exists
            .optional::<Count>(self.conn)?
            .is_some_and(|row| row.n > 0))
    }

    /// Erase a purged user's personal data wherever it is still readable: the data key
    /// goes (every value sealed under it reads `"[erased]"` from now on), the outbox
    /// events about the user lose their personal values, and the operator's migration
    /// findings about the user go. (The tombstone itself is scrubbed by the purge; the
    /// filter index lost the user's rows at the deletion.)
    pub(crate) fn erase_personal_data(
        &mut self,
        org_id: &str,
        user_id: &str,
    ) -> Result<(), StoreError> {
        diesel::delete(
            user_data_keys::table
                .filter(user_data_keys::org_id.eq(org_id))
                .filter(user_data_keys::user_id.eq(user_id)),
        )
        .execute(self.conn)?;
        // A user id is a UUID the store made: it holds no LIKE wildcard.
        let mut select = Sql::new(self.backend);
        select
            .push("SELECT id, data FROM outbox_events WHERE org_id = ")
            .push_bind(Bind::Text(org_id.to_owned()))
            .push(" AND data LIKE ")
            .push_bind(Bind::Text(format!("%{user_id}%")));
        let events: Vec<EventData> = select.load(self.conn)?;
        for event in events {
            let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(&event.data) else {
                continue;
            };
            if erase_event_data(&mut object, user_id) {
                let mut update = Sql::new(self.backend);
                update
                    .push("UPDATE outbox_events SET data = ")
                    .push_bind(Bind::Text(Value::Object(object).to_string()))
                    .push(" WHERE id = ")
                    .push_bind(Bind::Text(event.id));
                update.execute(self.conn)?;
            }
        }
        diesel::delete(
            migration_findings::table
                .filter(migration_findings::org_id.eq(org_id))
                .filter(migration_findings::subject.eq(user_id)),
        )
        .execute(self.conn)?;
        Ok(())
    }
}

/// Seal the personal values of `detail`, a record about user `user_id`, in place (see the
/// module documentation). `key` is `None` when the user's personal data is already
/// purged: the values are then replaced with `"[erased]"` instead.
pub(crate) fn seal(detail: &mut Value, org_id: &str, user_id: &str, key: Option<&DataKey>) {
    let seal_one = |value: &mut Value| {
        let sealed = match key {
            Some(key) => seal_value(key, org_id, user_id, value),
            None => Value::String(ERASED.to_owned()),
        };
        *value = sealed;
    };
    for side in ["before", "after"] {
        if let Some(Value::Object(attributes)) = detail.get_mut(side) {
            for (name, value) in attributes.iter_mut() {
                let personal = !NOT_PERSONAL.contains(&name.as_str())
                    && !value.is_null()
                    && value.as_str() != Some(scim_core::REDACTED)
                    && sealed_parts(value).is_none();
                if personal {
                    seal_one(value);
                }
            }
        }
    }
    if let Some(Value::Object(error)) = detail.get_mut("error") {
        for field in ["detail", "message"] {
            if let Some(value) = error.get_mut(field).filter(|value| value.is_string()) {
                seal_one(value);
            }
        }
    }
}

/// Whether a record's detail has a place personal values go (`before`, `after`, a failed
/// write's `error`): only then is a data key made or used.
pub(crate) fn has_personal_values(detail: &Value) -> bool {
    ["before", "after", "error"]
        .iter()
        .any(|key| detail.get(key).is_some_and(|value| !value.is_null()))
}

/// Whether `detail` holds a sealed value.
pub(crate) fn is_sealed(detail: &str) -> bool {
    detail.contains("\"$enc\"")
}

/// Open every sealed value of `detail` in place: what it holds when its user's key is at
/// hand, `"[erased]"` when the key is gone, `"[unreadable]"` when the key does not open it.
/// `keys` caches the keys looked up (by user).
pub(crate) fn open(
    tx: &mut Tx<'_>,
    org_id: &str,
    detail: &mut Value,
    keys: &mut HashMap<String, Option<DataKey>>,
) -> Result<(), StoreError> {
    match detail {
        Value::Object(object) => {
            let sealed = match (
                object.len(),
                object.get("$enc").and_then(Value::as_str),
                object.get("$key").and_then(Value::as_str),
            ) {
                (2, Some(sealed), Some(user_id)) => Some((sealed.to_owned(), user_id.to_owned())),
                _ => None,
            };
            if let Some((sealed, user_id)) = sealed {
                let key = match keys.get(&user_id) {
                    Some(key) => key.clone(),
                    None => {
                        let key = tx.data_key(org_id, &user_id, false)?;
                        keys.insert(user_id.clone(), key.clone());
                        key
                    }
                };
                *detail = match key {
                    None => Value::String(ERASED.to_owned()),
                    Some(key) => open_value(&key, org_id, &user_id, &sealed)
                        .unwrap_or_else(|| Value::String(UNREADABLE.to_owned())),
                };
                return Ok(());
            }
            for value in object.values_mut() {
                open(tx, org_id, value, keys)?;
            }
        }
        Value::Array(items) => {
            for item in items {
                open(tx, org_id, item, keys)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The personal values a purged user left in outbox event data (`userName` of the events
/// about them), replaced with `"[erased]"`.
pub(crate) fn erase_event_data(data: &mut Map<String, Value>, user_id: &str) -> bool {
    if data.get("id").and_then(Value::as_str) != Some(user_id) {
        return false;
    }
    let mut changed = false;
    for (name, value) in data.iter_mut() {
        if name != "id" && value.is_string() && value.as_str() != Some(ERASED) {
            *value = Value::String(ERASED.to_owned());
            changed = true;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_their_key_only() {
        let key = DataKey::random();
        let other = DataKey::random();
        let value = json!({"givenName": "Ann", "familyName": "Smith"});
        let sealed = seal_value(&key, "o", "u", &value);
        let (ciphertext, user) = sealed_parts(&sealed).unwrap_or_default();
        assert_eq!(user, "u");
        assert!(!sealed.to_string().contains("Ann"));
        assert_eq!(open_value(&key, "o", "u", ciphertext), Some(value.clone()));
        assert_eq!(
            open_value(&other, "o", "u", ciphertext),
            None,
            "another key"
        );
        assert_eq!(open_value(&key, "o", "v", ciphertext), None, "another user");
        assert_eq!(open_value(&key, "p", "u", ciphertext), None, "another org");
        assert_eq!(open_value(&key, "o", "u", "00"), None, "too short");
        assert_eq!(
            DataKey::from_stored(&key.to_stored(None, "o", "u"), None, "o", "u")
                .map(|k| k.0)
                .ok(),
            Some(key.0)
        );
        // Wrapped: opens with its key-encryption key, for its owner only.
        let kek = KeyEncryptionKey::from_hex(&"ab".repeat(32)).unwrap_or_else(|e| panic!("{e}"));
        let other_kek =
            KeyEncryptionKey::from_hex(&"cd".repeat(32)).unwrap_or_else(|e| panic!("{e}"));
        let wrapped = key.to_stored(Some(&kek), "o", "u");
        assert!(wrapped.starts_with(WRAPPED_PREFIX) && !wrapped.contains(&hex::encode(key.0)));
        let open = |kek: Option<&KeyEncryptionKey>, user: &str| {
            DataKey::from_stored(&wrapped, kek, "o", user)
                .map(|k| k.0)
                .ok()
        };
        assert_eq!(open(Some(&kek), "u"), Some(key.0));
        assert_eq!(open(Some(&other_kek), "u"), None);
        assert_eq!(open(None, "u"), None);
        assert_eq!(open(Some(&kek), "v"), None);
        assert!(KeyEncryptionKey::from_hex("abc").is_err());
        assert!(KeyEncryptionKey::from_hex(&"ab".repeat(31)).is_err());
        // Two seals of one value differ (a fresh nonce each).
        assert_ne!(seal_value(&key, "o", "u", &value), sealed);
    }

    #[test]
    fn only_personal_values_are_sealed() {
        let key = DataKey::random();
        let mut detail = json!({
            "before": {"active": true, "userName": "ann", "name": {"givenName": "Ann"}, "nickName": null},
            "after": {"active": false, "userName": "ann2", "password": scim_core::REDACTED,
                      "schemas": ["urn:x"]},
            "access": [{"user": "u", "resource": "workspace:w", "before": "editor", "after": null}],
            "error": {"status": "400", "detail": "userName \"ann\" is bad"},
        });
        seal(&mut detail, "o", "u", Some(&key));
        let text = detail.to_string();
        assert!(!text.contains("ann") && !text.contains("Ann"), "{text}");
        assert_eq!(detail["before"]["active"], true);
        assert_eq!(detail["before"]["nickName"], Value::Null);
        assert_eq!(detail["after"]["password"], scim_core::REDACTED);
        assert_eq!(detail["after"]["schemas"], json!(["urn:x"]));
        assert_eq!(detail["access"][0]["before"], "editor");
        assert_eq!(detail["error"]["status"], "400");
        // Sealing again changes nothing more.
        let once = detail.clone();
        seal(&mut detail, "o", "u", Some(&key));
        assert_eq!(detail, once);
        // Without a key (purged already): erased at once.
        let mut purged = json!({"after": {"userName": "ann"}});
        seal(&mut purged, "o", "u", None);
        assert_eq!(purged, json!({"after": {"userName": ERASED}}));
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// A stored data key with its owner.
#[derive(diesel::QueryableByName)]
struct StoredKey {
    #[diesel(sql_type = diesel::sql_types::Text)]
    org_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    user_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    data_key: String,
}

/// Bring the stored data keys in line with the configured key-encryption key, at start:
/// with one, every key stored in clear is wrapped, and one wrapped key must open with it;
/// without one, wrapped keys are an error (the store would seal new values it could not
/// read back).
pub(crate) fn check_key_encryption(
    connection: &mut crate::connection::AnyConnection,
    backend: crate::Backend,
    kek: Option<&KeyEncryptionKey>,
) -> Result<(), StoreError> {
    let mut wrapped = Sql::new(backend);
    wrapped.push(&format!(
        "SELECT org_id, user_id, data_key FROM user_data_keys WHERE data_key LIKE '{WRAPPED_PREFIX}%' LIMIT 1"
    ));
    let sample: Vec<StoredKey> = wrapped.load(connection)?;
    match (kek, sample.first()) {
        (None, Some(_)) => {
            return Err(StoreError::Invalid(
                "the stored data keys are wrapped with a key-encryption key: configure \
                 key_encryption_key (ROLLCALL_KEY_ENCRYPTION_KEY)"
                    .to_owned(),
            ));
        }
        (Some(kek), Some(key)) => {
            DataKey::from_stored(&key.data_key, Some(kek), &key.org_id, &key.user_id)?;
        }
        _ => {}
    }
    let Some(kek) = kek else {
        return Ok(());
    };
    rewrap_data_keys(connection, backend, None, Some(kek), Some(KEY_PREFIX))?;
    Ok(())
}

/// Rewrap users' data keys from `old` to `new` (`None`: in clear): all of them, or those
/// stored with `prefix`; how many.
pub(crate) fn rewrap_data_keys(
    connection: &mut crate::connection::AnyConnection,
    backend: crate::Backend,
    old: Option<&KeyEncryptionKey>,
    new: Option<&KeyEncryptionKey>,
    prefix: Option<&str>,
) -> Result<u64, StoreError> {
    let mut select = Sql::new(backend);
    select.push("SELECT org_id, user_id, data_key FROM user_data_keys");
    if let Some(prefix) = prefix {
        select.push(&format!(" WHERE data_key LIKE '{prefix}%'"));
    }
    let keys: Vec<StoredKey> = select.load(connection)?;
    let mut rewrapped = 0;
    for key in keys {
        let data_key = DataKey::from_stored(&key.data_key, old, &key.org_id, &key.user_id)?;
        let mut update = Sql::new(backend);
        update
            .push("UPDATE user_data_keys SET data_key = ")
            .push_bind(Bind::Text(data_key.to_stored(
                new,
                &key.org_id,
                &key.user_id,
            )))
            .push(" WHERE org_id = ")
            .push_bind(Bind::Text(key.org_id))
            .push(" AND user_id = ")
            .push_bind(Bind::Text(key.user_id));
        update.execute(connection)?;
        rewrapped += 1;
    }
    Ok(rewrapped)
}

/// An outbox event's id and data.
#[derive(diesel::QueryableByName)]
struct EventData {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    data: String,
}
