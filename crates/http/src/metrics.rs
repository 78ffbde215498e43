//! Counters of the IdP deviations the lenient dialect tolerated (PRODUCT.md §3: "each
//! tolerated deviation is counted in metrics by name"), one per [`Deviation`].
//!
//! A request's deviations are counted once it succeeded: a write whose transaction failed,
//! or a read-modify-write tried again after losing a race, counts only what was applied.
//! Embedders read the counters through [`crate::AppState::deviation_counts`].

use std::sync::atomic::{AtomicU64, Ordering};

use scim_core::Deviation;

/// One counter per [`Deviation`], in the order of [`Deviation::ALL`].
#[derive(Debug, Default)]
pub(crate) struct DeviationCounters {
    counts: [AtomicU64; Deviation::ALL.len()],
}

impl DeviationCounters {
    /// Count each deviation of an applied request (repeats count each time) and log it.
    pub(crate) fn record(&self, tolerated: &[Deviation]) {
        for deviation in tolerated {
            tracing::debug!(deviation = deviation.name(), "tolerated an IdP deviation");
            let position = Deviation::ALL.iter().position(|d| d == deviation);
            if let Some(counter) = position.and_then(|p| self.counts.get(p)) {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Every deviation's name with its count so far, in the order of [`Deviation::ALL`].
    pub(crate) fn snapshot(&self) -> Vec<(&'static str, u64)> {
        Deviation::ALL
            .iter()
            .zip(&self.counts)
            .map(|(deviation, count)| (deviation.name(), count.load(Ordering::Relaxed)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_deviation_by_name() {
        let counters = DeviationCounters::default();
        counters.record(&[
            Deviation::BooleanAsString,
            Deviation::CapitalizedOperation,
            Deviation::BooleanAsString,
        ]);
        let counts = counters.snapshot();
        assert_eq!(counts.len(), Deviation::ALL.len());
        for (name, count) in counts {
            let expected = match name {
                "boolean_as_string" => 2,
                "capitalized_operation" => 1,
                _ => 0,
            };
            assert_eq!(count, expected, "{name}");
        }
    }
}
