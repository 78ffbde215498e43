//! Running a transaction again when PostgreSQL aborted it for a concurrent one: a
//! serialization failure (40001, which `SERIALIZABLE` isolation and distributed
//! PostgreSQL-compatible engines raise at any statement or at commit) or a deadlock
//! (40P01). Both roll the whole transaction back, so running the closure again from the
//! start is safe; nothing of the failed attempt is kept. Attempts are bounded
//! ([`ATTEMPTS`]) and spaced by a jittered, doubling backoff, so competing transactions
//! do not collide again in step. SQLite, whose writers take turns, never raises either.

use std::time::Duration;

use rand::Rng;

use crate::StoreError;

/// Attempts in all, the first included. Writers of one organization all update its trail's
/// head, so at `SERIALIZABLE` each clash aborts all but one of them: ten attempts let a
/// dozen concurrent writers of one organization through.
pub(crate) const ATTEMPTS: u32 = 10;

/// The backoff before the first retry; it doubles with each one up to [`MAX_BACKOFF`],
/// each jittered down to as little as half (a transaction gives up after at most about
/// 0.6 s of waiting in all).
const FIRST_BACKOFF: Duration = Duration::from_millis(2);

/// The longest single backoff.
const MAX_BACKOFF: Duration = Duration::from_millis(128);

/// Run `attempt` until it does not fail with [`StoreError::Contention`] or [`ATTEMPTS`]
/// are spent; its last outcome.
pub(crate) fn retrying<T>(
    mut attempt: impl FnMut() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut tried = 1;
    loop {
        match attempt() {
            Err(StoreError::Contention(detail)) if tried < ATTEMPTS => {
                tracing::debug!(%detail, tried, "transaction retried after a concurrent one");
                std::thread::sleep(backoff(tried));
                tried += 1;
            }
            outcome => return outcome,
        }
    }
}

/// The wait after `tried` failed attempts: `FIRST_BACKOFF × 2^(tried-1)` (at most
/// [`MAX_BACKOFF`]), jittered to between half and all of it.
pub(crate) fn backoff(tried: u32) -> Duration {
    let full =
        (FIRST_BACKOFF * 2u32.saturating_pow(tried.saturating_sub(1).min(16))).min(MAX_BACKOFF);
    let half = full / 2;
    let micros = u64::try_from(half.as_micros()).unwrap_or(u64::MAX);
    half + Duration::from_micros(rand::rng().random_range(0..=micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contention_is_retried_until_it_passes() {
        let mut calls = 0;
        let outcome = retrying(|| {
            calls += 1;
            if calls < 3 {
                Err(StoreError::Contention("40001".into()))
            } else {
                Ok(calls)
            }
        });
        assert_eq!(outcome.ok(), Some(3));
    }

    #[test]
    fn attempts_are_bounded() {
        let mut calls = 0;
        let outcome: Result<(), _> = retrying(|| {
            calls += 1;
            Err(StoreError::Contention("40P01".into()))
        });
        assert!(matches!(outcome, Err(StoreError::Contention(_))));
        assert_eq!(calls, ATTEMPTS);
    }

    #[test]
    fn other_failures_are_not_retried() {
        let errors: [fn() -> StoreError; 4] = [
            || StoreError::NotFound,
            || StoreError::Unavailable("down".into()),
            || StoreError::Uniqueness("userName".into()),
            || StoreError::Database("syntax".into()),
        ];
        for error in errors {
            let mut calls = 0;
            let _ = retrying(|| -> Result<(), _> {
                calls += 1;
                Err(error())
            });
            assert_eq!(calls, 1, "{}", error());
        }
    }

    #[test]
    fn the_whole_wait_is_bounded() {
        let most: Duration = (1..ATTEMPTS)
            .map(|tried| (FIRST_BACKOFF * 2u32.pow(tried - 1)).min(MAX_BACKOFF))
            .sum();
        assert!(most <= Duration::from_millis(700), "{most:?}");
    }

    #[test]
    fn backoff_doubles_and_stays_jittered_within_bounds() {
        for tried in 1..ATTEMPTS {
            let full = (FIRST_BACKOFF * 2u32.pow(tried - 1)).min(MAX_BACKOFF);
            for _ in 0..50 {
                let wait = backoff(tried);
                assert!(wait >= full / 2 && wait <= full, "{tried}: {wait:?}");
            }
        }
    }
}
