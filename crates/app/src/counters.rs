//! What this instance counts that is not an audit record (PRODUCT.md §3 and §8), each
//! counted once, where it happens:
//!
//! - the IdP deviations the lenient dialect tolerated, one counter per [`Deviation`],
//!   counted by the session once a write committed (a write that failed, or a
//!   read-modify-write tried again after losing a race, counts only what was applied);
//! - failed reads (reads leave no audit record), counted by the request pipeline;
//! - refused credentials (missing, malformed, unknown, expired, revoked, of the wrong
//!   kind), counted by the session or the pipeline, whichever refused;
//! - limited requests (answered 429), counted by the request pipeline;
//! - failed writes the audit trail could not take (the database unreachable when the
//!   failure was to be recorded), counted and logged by the request pipeline.
//!
//! They are per instance, like the latency windows; embedders read them through
//! [`crate::App::counters`].

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use scim_core::Deviation;

/// The counters of one application (shared by its clones).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    deviations: [AtomicU64; Deviation::ALL.len()],
    failed_reads: AtomicU64,
    refused_credentials: AtomicU64,
    /// Refused credentials by reason (a handful of fixed names).
    refusal_reasons: Mutex<BTreeMap<&'static str, u64>>,
    limited_requests: AtomicU64,
    unrecorded_failures: AtomicU64,
}

/// The counters as read at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CounterSnapshot {
    /// Every deviation's metric name ([`Deviation::name`]) with its count, zeros included,
    /// in the order of [`Deviation::ALL`].
    pub deviations: Vec<(&'static str, u64)>,
    /// Reads (`GET`, `HEAD`, `.search`) answered with an error.
    pub failed_reads: u64,
    /// Requests refused for their credential (401).
    pub refused_credentials: u64,
    /// The same by reason: `missing`, `malformed`, `scheme` (not `Bearer`), `not_valid`
    /// (unknown, expired, revoked or of the wrong kind), or an authenticator's own.
    pub refusal_reasons: Vec<(&'static str, u64)>,
    /// Requests refused for their rate (429).
    pub limited_requests: u64,
    /// Failed writes that could not be recorded in the audit trail (logged instead).
    pub unrecorded_failures: u64,
}

impl Counters {
    /// Count each deviation of an applied request (repeats count each time) and log it.
    pub(crate) fn deviations(&self, tolerated: &[Deviation]) {
        for deviation in tolerated {
            tracing::debug!(deviation = deviation.name(), "tolerated an IdP deviation");
            let position = Deviation::ALL.iter().position(|d| d == deviation);
            if let Some(counter) = position.and_then(|p| self.deviations.get(p)) {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Count a read answered with an error.
    pub(crate) fn failed_read(&self) {
        self.failed_reads.fetch_add(1, Ordering::Relaxed);
    }

    /// Count a request refused for its credential, for `reason`.
    pub(crate) fn refused_credential(&self, reason: &'static str) {
        self.refused_credentials.fetch_add(1, Ordering::Relaxed);
        *self
            .refusal_reasons
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(reason)
            .or_default() += 1;
    }

    /// Count a request refused for its rate.
    pub(crate) fn limited_request(&self) {
        self.limited_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Count a failed write the audit trail could not take.
    pub(crate) fn unrecorded_failure(&self) {
        self.unrecorded_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Every counter now.
    pub(crate) fn snapshot(&self) -> CounterSnapshot {
        CounterSnapshot {
            deviations: Deviation::ALL
                .iter()
                .zip(&self.deviations)
                .map(|(deviation, count)| (deviation.name(), count.load(Ordering::Relaxed)))
                .collect(),
            failed_reads: self.failed_reads.load(Ordering::Relaxed),
            refused_credentials: self.refused_credentials.load(Ordering::Relaxed),
            refusal_reasons: self
                .refusal_reasons
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .map(|(reason, count)| (*reason, *count))
                .collect(),
            limited_requests: self.limited_requests.load(Ordering::Relaxed),
            unrecorded_failures: self.unrecorded_failures.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_deviation_by_name_and_each_refusal() {
        let counters = Counters::default();
        counters.deviations(&[
            Deviation::BooleanAsString,
            Deviation::CapitalizedOperation,
            Deviation::BooleanAsString,
        ]);
        counters.failed_read();
        counters.refused_credential("missing");
        counters.refused_credential("not_valid");
        counters.refused_credential("missing");
        counters.limited_request();
        let snapshot = counters.snapshot();
        assert_eq!(snapshot.deviations.len(), Deviation::ALL.len());
        for (name, count) in snapshot.deviations {
            let expected = match name {
                "boolean_as_string" => 2,
                "capitalized_operation" => 1,
                _ => 0,
            };
            assert_eq!(count, expected, "{name}");
        }
        assert_eq!(
            (
                snapshot.failed_reads,
                snapshot.refused_credentials,
                snapshot.limited_requests
            ),
            (1, 3, 1)
        );
        assert_eq!(
            snapshot.refusal_reasons,
            vec![("missing", 2), ("not_valid", 1)]
        );
    }
}
