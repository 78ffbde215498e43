//! Rate limits (PRODUCT.md §8), per instance: one budget per credential, in the
//! organization's `rate_limit_per_second` and `rate_limit_burst`, and one budget of failed
//! authentications per client address, so that a flood of bad tokens cannot load the
//! database. Both are GCRA limiters (`governor`) checked before any database work.
//!
//! A credential is known by a keyed hash of what the request presented (SipHash under a
//! key drawn when the instance starts, so nobody outside can aim at another credential's
//! key), and enters the table only once a transaction has found it valid: a forged token, even one naming a real
//! token's id, spends nothing of that token's budget, and garbage never grows the table. Its
//! quota is the organization's, read again inside a request's transaction when it is older
//! than [`QUOTA_TTL`], so a change of the settings applies within that time.
//!
//! A client address spends its budget only on failed authentications (Entra sends from
//! shared cloud addresses). Once spent, requests from that address are refused until it
//! refills, except those carrying a credential that is known valid.
//!
//! Budgets run on `governor`'s monotonic clock, not the application's
//! ([`crate::Clock`]): they measure time elapsed between requests of this process, never
//! dates, and a test of them waits as a client would.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock, QuantaInstant, Reference};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::actor::Actor;
use crate::credential::Credential;

/// What a budget belongs to: the credential behind an actor (kind and id), whatever token
/// of it a request presents.
fn credential_key(actor: &Actor) -> String {
    format!("{}:{}", actor.credential_kind.name(), actor.credential_id)
}

/// How long a credential's quota is used before it is read again.
pub(crate) const QUOTA_TTL: Duration = Duration::from_secs(10);

/// Failed authentications a client address may make per second once its burst is spent.
pub(crate) const FAILED_AUTHENTICATIONS_PER_SECOND: u32 = 5;

/// Failed authentications a client address may make at once.
pub(crate) const FAILED_AUTHENTICATIONS_BURST: u32 = 50;

/// Past this many entries, a table drops those it no longer needs.
const PRUNE_ABOVE: usize = 10_000;

/// A credential's key: a keyed hash of the token presented ([`Limits::key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Fingerprint(u64);

/// An organization's rate: requests per second, and how many may come at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rate {
    pub(crate) per_second: u32,
    pub(crate) burst: u32,
}

impl Rate {
    fn quota(self) -> Quota {
        let per_second = NonZeroU32::new(self.per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        Quota::per_second(per_second).allow_burst(burst)
    }
}

struct CredentialBudget {
    org_id: String,
    /// Shared by every token of one credential (an OAuth client's access tokens, a JWT
    /// registration's tokens): the budget is the credential's, not the token's.
    limiter: Arc<DefaultDirectRateLimiter>,
    rate: Rate,
    learned: QuantaInstant,
    used: QuantaInstant,
}

struct AddressBudget {
    limiter: DefaultDirectRateLimiter,
    blocked_until: Option<QuantaInstant>,
}

/// The instance's rate limits.
#[derive(Default)]
pub(crate) struct Limits {
    /// The key of [`Limits::key`], drawn when the instance starts.
    keys: RandomState,
    clock: DefaultClock,
    credentials: Mutex<HashMap<Fingerprint, CredentialBudget>>,
    /// Each credential's budget and rate, by [`credential_key`].
    shared: Mutex<HashMap<String, (Arc<DefaultDirectRateLimiter>, Rate)>>,
    addresses: Mutex<HashMap<IpAddr, AddressBudget>>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits").finish_non_exhaustive()
    }
}

/// Whole seconds to wait until `instant`, at least one.
fn whole_seconds(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

impl Limits {
    /// The key of `credential`'s budget.
    pub(crate) fn key(&self, credential: &Credential) -> Fingerprint {
        self.key_of(credential.token())
    }

    /// The key of a budget for `text` (what a client presented, e.g. an OAuth client's id
    /// and secret at the token endpoint).
    pub(crate) fn key_of(&self, text: &str) -> Fingerprint {
        Fingerprint(self.keys.hash_one(text))
    }

    /// Before any database work: `Err(seconds)` when the request must wait. A known
    /// credential spends one request of its budget; an unknown one is refused only while
    /// its client address is blocked for failed authentications.
    pub(crate) fn admit(&self, key: Fingerprint, address: Option<IpAddr>) -> Result<(), u64> {
        let now = self.clock.now();
        {
            let mut credentials = self
                .credentials
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(budget) = credentials.get_mut(&key) {
                budget.used = now;
                return budget
                    .limiter
                    .check()
                    .map_err(|not_until| whole_seconds(not_until.wait_time_from(now)));
            }
        }
        let Some(address) = address else {
            return Ok(());
        };
        let addresses = self
            .addresses
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match addresses
            .get(&address)
            .and_then(|budget| budget.blocked_until)
        {
            Some(until) if until > now => Err(whole_seconds(until.duration_since(now).into())),
            _ => Ok(()),
        }
    }

    /// Whether the credential's quota must be read (inside the request's transaction):
    /// it is not known yet, or was read longer than [`QUOTA_TTL`] ago.
    pub(crate) fn needs_rate(&self, key: Fingerprint) -> bool {
        let now = self.clock.now();
        let credentials = self
            .credentials
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        credentials
            .get(&key)
            .is_none_or(|budget| Duration::from(now.duration_since(budget.learned)) >= QUOTA_TTL)
    }

    /// A transaction found the credential valid for `actor`, with its organization's
    /// `rate`: from now on requests presenting it spend the budget of the credential behind
    /// it (shared by all the tokens of one OAuth client or JWT registration). A first
    /// sighting spends one request (the one that found it); a changed rate starts a full
    /// budget at the new rate.
    pub(crate) fn learn(&self, key: Fingerprint, actor: &Actor, rate: Rate) {
        let now = self.clock.now();
        let credential = credential_key(actor);
        let mut credentials = self
            .credentials
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        if credentials.len() > PRUNE_ABOVE {
            credentials.retain(|_, budget| {
                Duration::from(now.duration_since(budget.used)) < 6 * QUOTA_TTL
            });
            shared.retain(|_, (limiter, _)| Arc::strong_count(limiter) > 1);
        }
        if let Some(budget) = credentials.get_mut(&key)
            && budget.rate == rate
        {
            budget.learned = now;
            return;
        }
        let fresh = || {
            let limiter = RateLimiter::direct_with_clock(rate.quota(), self.clock.clone());
            // The request that found the credential.
            let _ = limiter.check();
            (Arc::new(limiter), rate)
        };
        let (limiter, _) = match shared.get(&credential) {
            Some((limiter, known)) if *known == rate => {
                // The request that found this token spends the credential's budget too.
                let _ = limiter.check();
                (Arc::clone(limiter), rate)
            }
            _ => {
                let made = fresh();
                shared.insert(credential.clone(), (Arc::clone(&made.0), rate));
                made
            }
        };
        credentials.insert(
            key,
            CredentialBudget {
                org_id: actor.org_id.clone(),
                limiter,
                rate,
                learned: now,
                used: now,
            },
        );
    }

    /// `org_id`'s settings changed: its credentials read their rate again on their next
    /// request (starting a full budget).
    pub(crate) fn forget_org(&self, org_id: &str) {
        let mut credentials = self
            .credentials
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        credentials.retain(|_, budget| budget.org_id != org_id);
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        shared.retain(|_, (limiter, _)| Arc::strong_count(limiter) > 1);
    }

    /// A request from `address` failed to authenticate: it spends the address's budget,
    /// and once that is spent the address is blocked until it refills.
    pub(crate) fn failed_authentication(&self, address: Option<IpAddr>) {
        let Some(address) = address else {
            return;
        };
        let now = self.clock.now();
        let mut addresses = self
            .addresses
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if addresses.len() > PRUNE_ABOVE {
            addresses.retain(|_, budget| budget.blocked_until.is_some_and(|until| until > now));
        }
        let budget = addresses.entry(address).or_insert_with(|| AddressBudget {
            limiter: RateLimiter::direct_with_clock(
                Rate {
                    per_second: FAILED_AUTHENTICATIONS_PER_SECOND,
                    burst: FAILED_AUTHENTICATIONS_BURST,
                }
                .quota(),
                self.clock.clone(),
            ),
            blocked_until: None,
        });
        if let Err(not_until) = budget.limiter.check() {
            budget.blocked_until = Some(not_until.earliest_possible());
        }
    }
}

/// The client's address: the connection's peer, or, when the peer is one of the
/// operator's `trusted` proxies, the last address in `X-Forwarded-For` (read only then)
/// that is not.
pub(crate) fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: impl FnOnce() -> Option<String>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let Some(forwarded_for) = forwarded_for() else {
        return Some(peer);
    };
    let mut client = peer;
    for hop in forwarded_for.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(address) => {
                client = address;
                if !trusted.contains(&address) {
                    break;
                }
            }
            // A hop that is not an address ends what can be believed.
            Err(_) => break,
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::CredentialKind;

    fn actor(kind: CredentialKind, id: &str) -> Actor {
        Actor {
            org_id: "org".into(),
            credential_kind: kind,
            credential_id: id.into(),
            dialect: scim_core::Dialect::Lenient,
            schemas_version: 0,
            request_id: None,
        }
    }

    #[test]
    fn a_known_credential_spends_its_burst_then_waits() {
        let limits = Limits::default();
        let key = |token: &str| limits.key(&Credential::Bearer(token.to_owned()));
        let token = key("rc_scim_a");
        // Unknown: admitted, free of charge.
        for _ in 0..10 {
            assert_eq!(limits.admit(token, None), Ok(()));
        }
        assert!(limits.needs_rate(token));
        limits.learn(
            token,
            &actor(CredentialKind::ScimToken, "a"),
            Rate {
                per_second: 1,
                burst: 3,
            },
        );
        assert!(!limits.needs_rate(token));
        // The learning request spent one of three.
        assert_eq!(limits.admit(token, None), Ok(()));
        assert_eq!(limits.admit(token, None), Ok(()));
        assert_eq!(limits.admit(token, None), Err(1));
        // Another credential is untouched.
        assert_eq!(limits.admit(key("rc_scim_b"), None), Ok(()));
        // The org's settings changed: its credentials start over, at the rate read next.
        limits.forget_org("another org");
        assert_eq!(limits.admit(token, None), Err(1));
        limits.forget_org("org");
        assert!(limits.needs_rate(token));
        assert_eq!(limits.admit(token, None), Ok(()));
    }

    #[test]
    fn the_tokens_of_one_credential_share_its_budget() {
        let limits = Limits::default();
        let key = |token: &str| limits.key(&Credential::Bearer(token.to_owned()));
        let rate = Rate {
            per_second: 1,
            burst: 4,
        };
        let client = actor(CredentialKind::OAuthClient, "c1");
        let (first, second) = (key("eyJ.first.token"), key("eyJ.second.token"));
        // Two access tokens of one client: each found valid once, both spend one budget.
        limits.learn(first, &client, rate);
        limits.learn(second, &client, rate);
        assert_eq!(limits.admit(first, None), Ok(()));
        assert_eq!(limits.admit(second, None), Ok(()));
        assert_eq!(limits.admit(first, None), Err(1));
        assert_eq!(limits.admit(second, None), Err(1));
        // Another client of the same organization has a budget of its own.
        let other = key("eyJ.other.token");
        limits.learn(other, &actor(CredentialKind::OAuthClient, "c2"), rate);
        assert_eq!(limits.admit(other, None), Ok(()));
        // So has a SCIM token whose id happens to be the client's.
        let token = key("rc_scim_c1");
        limits.learn(token, &actor(CredentialKind::ScimToken, "c1"), rate);
        assert_eq!(limits.admit(token, None), Ok(()));
    }

    #[test]
    fn failed_authentications_block_an_address_but_not_a_known_credential() {
        let limits = Limits::default();
        let key = |token: &str| limits.key(&Credential::Bearer(token.to_owned()));
        let address: IpAddr = "203.0.113.9".parse().unwrap();
        let other: IpAddr = "203.0.113.10".parse().unwrap();
        let known = key("rc_scim_known");
        limits.learn(
            known,
            &actor(CredentialKind::ScimToken, "known"),
            Rate {
                per_second: 100,
                burst: 200,
            },
        );
        for _ in 0..FAILED_AUTHENTICATIONS_BURST {
            assert_eq!(limits.admit(key("garbage"), Some(address)), Ok(()));
            limits.failed_authentication(Some(address));
        }
        limits.failed_authentication(Some(address));
        assert!(limits.admit(key("garbage"), Some(address)).is_err());
        assert_eq!(limits.admit(known, Some(address)), Ok(()));
        assert_eq!(limits.admit(key("garbage"), Some(other)), Ok(()));
    }

    #[test]
    fn the_client_address_comes_from_forwarded_for_only_behind_a_trusted_proxy() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        let proxy = ip("10.0.0.1");
        let trusted = [proxy, ip("10.0.0.2")];
        let cases: [(&str, Option<&str>, &[IpAddr], &str); 6] = [
            ("198.51.100.7", Some("1.2.3.4"), &trusted, "198.51.100.7"),
            ("10.0.0.1", None, &trusted, "10.0.0.1"),
            ("10.0.0.1", Some("1.2.3.4"), &trusted, "1.2.3.4"),
            (
                "10.0.0.1",
                Some("6.6.6.6, 1.2.3.4, 10.0.0.2"),
                &trusted,
                "1.2.3.4",
            ),
            ("10.0.0.1", Some("1.2.3.4, junk"), &trusted, "10.0.0.1"),
            ("10.0.0.1", Some("1.2.3.4"), &[], "10.0.0.1"),
        ];
        for (peer, header, trusted, expected) in cases {
            assert_eq!(
                client_address(Some(ip(peer)), || header.map(str::to_owned), trusted),
                Some(ip(expected)),
                "{peer} {header:?}"
            );
        }
        assert_eq!(
            client_address(None, || Some("1.2.3.4".to_owned()), &[proxy]),
            None
        );
    }
}
