//! Recent SCIM request latencies per organization, kept in this instance's memory for the
//! health report (`GET /admin/v1/health`). The request pipeline feeds it; nothing here
//! touches the database. Each organization keeps its last [`KEEP`] requests, so memory is
//! bounded per active organization; the percentiles describe this instance only (other
//! instances behind the same load balancer keep their own).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Requests kept per organization.
pub(crate) const KEEP: usize = 1024;

/// One organization's last requests: when each ended, and its latency in milliseconds.
type Window = VecDeque<(DateTime<Utc>, f64)>;

/// The windows, by organization id.
#[derive(Debug, Default)]
pub(crate) struct Latencies {
    by_org: Mutex<HashMap<String, Window>>,
}

/// Percentiles of the latencies in a window, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct LatencySummary {
    /// How many requests they describe.
    pub(crate) samples: usize,
    pub(crate) p50_ms: f64,
    pub(crate) p95_ms: f64,
    pub(crate) p99_ms: f64,
}

impl Latencies {
    /// Note a request of `org_id` that ended at `at` after `latency_ms`.
    pub(crate) fn record(&self, org_id: &str, at: DateTime<Utc>, latency_ms: f64) {
        let Ok(mut by_org) = self.by_org.lock() else {
            return;
        };
        let window = match by_org.get_mut(org_id) {
            Some(window) => window,
            None => by_org.entry(org_id.to_owned()).or_default(),
        };
        if window.len() == KEEP {
            window.pop_front();
        }
        window.push_back((at, latency_ms));
    }

    /// The percentiles of `org_id`'s requests kept from `since` on; `None` without any.
    pub(crate) fn summary(&self, org_id: &str, since: DateTime<Utc>) -> Option<LatencySummary> {
        let mut values: Vec<f64> = {
            let by_org = self.by_org.lock().ok()?;
            by_org
                .get(org_id)?
                .iter()
                .filter(|(at, _)| *at >= since)
                .map(|(_, latency)| *latency)
                .collect()
        };
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        Some(LatencySummary {
            samples: values.len(),
            p50_ms: percentile(&values, 50),
            p95_ms: percentile(&values, 95),
            p99_ms: percentile(&values, 99),
        })
    }
}

/// The nearest-rank percentile of sorted, non-empty `values`.
fn percentile(values: &[f64], p: usize) -> f64 {
    let rank = (p * values.len()).div_ceil(100).max(1);
    let value = values
        .get(rank - 1)
        .or(values.last())
        .copied()
        .unwrap_or(0.0);
    (value * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn percentiles_by_nearest_rank_within_the_window_and_org() {
        let latencies = Latencies::default();
        let t0 = DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000);
        latencies.record("acme", t0 - Duration::hours(2), 5000.0);
        for ms in 1..=100 {
            latencies.record("acme", t0, f64::from(ms));
        }
        latencies.record("beta", t0, 9.0);
        let summary = latencies.summary("acme", t0 - Duration::hours(1));
        assert_eq!(
            summary,
            Some(LatencySummary {
                samples: 100,
                p50_ms: 50.0,
                p95_ms: 95.0,
                p99_ms: 99.0
            })
        );
        assert_eq!(latencies.summary("acme", t0 + Duration::hours(1)), None);
        assert_eq!(latencies.summary("gamma", t0), None);
        assert_eq!(
            latencies.summary("beta", t0).map(|s| (s.samples, s.p99_ms)),
            Some((1, 9.0))
        );
    }

    #[test]
    fn only_the_last_requests_are_kept() {
        let latencies = Latencies::default();
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        for _ in 0..KEEP + 10 {
            latencies.record("acme", t0, 1.0);
        }
        assert_eq!(latencies.summary("acme", t0).map(|s| s.samples), Some(KEEP));
    }
}
