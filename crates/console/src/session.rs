//! Sessions of the console: signing in with an organization's admin token opens one. The
//! browser holds only a random session id in a cookie (`HttpOnly`, `SameSite=Strict`,
//! `Path=/console`, `Secure` when the request came over TLS); the token stays in this
//! instance's memory and is sent, as the credential, with every admin request the console
//! makes, so a revoked token ends its sessions at their next request.
//!
//! Each session has its CSRF token, which every form carries and every POST must match
//! (compared in constant time). The sign-in form, before any session, is protected the same
//! way by a short-lived cookie of its own (double submit).
//!
//! Sessions last [`LIFETIME_HOURS`] at most and are per instance (behind a load balancer,
//! keep a browser on one instance, or sign in again). At most [`MAX_SESSIONS`] are kept; the
//! oldest goes first.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use rollcall_app::Request;
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const COOKIE: &str = "rollcall_console";
/// The sign-in form's cookie (double-submit CSRF token before a session exists).
pub(crate) const SIGN_IN_COOKIE: &str = "rollcall_console_sign_in";
/// How long a session lasts.
const LIFETIME_HOURS: i64 = 8;
/// Sessions kept at most per instance.
const MAX_SESSIONS: usize = 10_000;

/// One signed-in admin.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// The admin token (never shown again, never logged).
    pub(crate) token: String,
    /// The organization's name, for the page header.
    pub(crate) org_name: String,
    /// The CSRF token every form of this session carries.
    pub(crate) csrf: String,
    expires_at: DateTime<Utc>,
}

/// The sessions of this instance, by id, and the key that signs its sign-in forms' tokens.
#[derive(Debug)]
pub(crate) struct Sessions {
    by_id: Mutex<HashMap<String, Session>>,
    form_key: [u8; 32],
}

impl Default for Sessions {
    fn default() -> Self {
        let mut form_key = [0u8; 32];
        rand::rng().fill_bytes(&mut form_key);
        Sessions {
            by_id: Mutex::default(),
            form_key,
        }
    }
}

/// A random token of 32 bytes, hex.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether `given` is `expected`, in constant time (and never for an empty one).
pub(crate) fn matches(given: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

impl Sessions {
    /// A new sign-in form token: random, signed by this console, so a value a client made up
    /// (or planted in a cookie from a sibling domain) is never accepted.
    pub(crate) fn form_token(&self) -> String {
        let mut nonce = [0u8; 16];
        rand::rng().fill_bytes(&mut nonce);
        let nonce = hex::encode(nonce);
        let signature = self.sign(&nonce);
        format!("{nonce}.{signature}")
    }

    /// Whether `token` is a form token this console signed.
    pub(crate) fn signed_form_token(&self, token: &str) -> bool {
        token
            .split_once('.')
            .is_some_and(|(nonce, signature)| matches(signature, &self.sign(nonce)))
    }

    fn sign(&self, nonce: &str) -> String {
        use hmac::Mac;
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.form_key) else {
            return String::new();
        };
        mac.update(nonce.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Open a session for `token` at `now`: its id.
    pub(crate) fn open(&self, token: String, org_name: String, now: DateTime<Utc>) -> String {
        let id = random_token();
        let session = Session {
            token,
            org_name,
            csrf: random_token(),
            expires_at: now + Duration::hours(LIFETIME_HOURS),
        };
        let mut by_id = self.by_id.lock().unwrap_or_else(PoisonError::into_inner);
        by_id.retain(|_, session| session.expires_at > now);
        if by_id.len() >= MAX_SESSIONS
            && let Some(oldest) = by_id
                .iter()
                .min_by_key(|(_, session)| session.expires_at)
                .map(|(id, _)| id.clone())
        {
            by_id.remove(&oldest);
        }
        by_id.insert(id.clone(), session);
        id
    }

    /// The live session the request's cookie names, with its id.
    pub(crate) fn of(&self, request: &Request, now: DateTime<Utc>) -> Option<(String, Session)> {
        let id = cookie(request, COOKIE)?;
        let mut by_id = self.by_id.lock().unwrap_or_else(PoisonError::into_inner);
        match by_id.get(&id) {
            Some(session) if session.expires_at > now => Some((id, session.clone())),
            Some(_) => {
                by_id.remove(&id);
                None
            }
            None => None,
        }
    }

    /// Close the session `id`.
    pub(crate) fn close(&self, id: &str) {
        self.by_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get_all("cookie")
        .filter_map(|value| std::str::from_utf8(value).ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_owned())
}

/// A `Set-Cookie` value for `name` (`None`: clear it), scoped to the console.
pub(crate) fn set_cookie(
    request: &Request,
    name: &str,
    value: Option<&str>,
    max_age: i64,
) -> String {
    let secure = if request.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    match value {
        Some(value) => format!(
            "{name}={value}; Path={}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}",
            crate::MOUNT
        ),
        None => format!(
            "{name}=; Path={}; Max-Age=0; HttpOnly; SameSite=Strict{secure}",
            crate::MOUNT
        ),
    }
}

/// How long the session cookie lives, in seconds.
pub(crate) const COOKIE_MAX_AGE: i64 = LIFETIME_HOURS * 3600;
