//! Tamper evidence for the audit trail (PRODUCT.md §6): every organization's records form a
//! hash chain over their stored form.
//!
//! - A record's `hash` is SHA-256 over its organization's previous record's hash
//!   (`prev_hash`, `""` before the first) and the record's stored fields ([`link`]). Both
//!   are stored with the record; `audit_heads` holds each organization's latest hash.
//! - Appends link under the organization's head: on PostgreSQL its `audit_heads` row is
//!   locked to the commit, so one organization's records are chained in `seq` order
//!   however many instances write; SQLite's single writer orders them already.
//! - Records written before the chain existed carry no hashes. The chain runs through them
//!   all the same: [`Audit::verify`](crate::Audit::verify) recomputes every link from the
//!   first record, and the data migration `audit_chain` set each head where they end. So
//!   an edit of an old record breaks the first stored `prev_hash` after it.
//! - A record changed, removed or inserted anywhere breaks the chain at the first record
//!   whose stored hashes disagree with the recomputed ones; records removed at the end
//!   leave the head naming a hash the trail no longer reaches.
//!
//! The message hashed is unambiguous and easy to rebuild in any language (`docs/audit.md`):
//! the ASCII tag `rollcall-audit-v1`, then for each field in order a one-byte marker, `S`
//! followed by the field's UTF-8 length as an 8-byte big-endian integer and the bytes, or
//! `N` for an absent field. The fields: `prev_hash`, `id`, `org_id`, `occurred_at` (as
//! stored), `actor`, `operation`, `target`, `status` (decimal), `detail` (the stored JSON
//! text), `request_id`.

use sha2::{Digest, Sha256};

/// The tag that starts every hashed message (the chain's version).
const TAG: &[u8] = b"rollcall-audit-v1";

/// A record's fields as stored, which its hash covers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stored<'a> {
    pub(crate) id: &'a str,
    pub(crate) org_id: &'a str,
    pub(crate) occurred_at: &'a str,
    pub(crate) actor: &'a str,
    pub(crate) operation: &'a str,
    pub(crate) target: &'a str,
    pub(crate) status: i64,
    pub(crate) detail: &'a str,
    pub(crate) request_id: Option<&'a str>,
    /// Covered when present; records without one hash as they did before it existed.
    pub(crate) actor_kind: Option<&'a str>,
}

/// The hash of `record` linked after `prev` (lower-case hex).
pub(crate) fn link(prev: &str, record: &Stored<'_>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(TAG);
    let status = record.status.to_string();
    let fields: [Option<&str>; 10] = [
        Some(prev),
        Some(record.id),
        Some(record.org_id),
        Some(record.occurred_at),
        Some(record.actor),
        Some(record.operation),
        Some(record.target),
        Some(&status),
        Some(record.detail),
        record.request_id,
    ];
    let kind = record.actor_kind.map(Some);
    for field in fields.into_iter().chain(kind) {
        match field {
            Some(text) => {
                hasher.update(b"S");
                hasher.update((text.len() as u64).to_be_bytes());
                hasher.update(text.as_bytes());
            }
            None => hasher.update(b"N"),
        }
    }
    hex::encode(hasher.finalize())
}

/// What a verification of one organization's chain found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainReport {
    /// The records read.
    pub records: u64,
    /// The hash of the last record, recomputed (`""`: no record).
    pub last_hash: String,
    /// The first place the chain breaks, if it does.
    pub first_break: Option<ChainBreak>,
}

impl ChainReport {
    /// Whether the chain holds from the first record to the head.
    pub fn holds(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Where and how a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The record's `seq` (`None`: the break is at the head, after the last record).
    pub seq: Option<i64>,
    /// The record's id (`None` at the head).
    pub id: Option<String>,
    /// What disagrees.
    pub reason: String,
}

/// A verification in progress: records fed in `seq` order.
#[derive(Debug, Default)]
pub(crate) struct Verifier {
    report: ChainReport,
}

impl Verifier {
    /// A verification that starts after a record whose hash is `hash` (`""`: from the
    /// first record).
    pub(crate) fn starting_at(hash: String) -> Verifier {
        Verifier {
            report: ChainReport {
                last_hash: hash,
                ..ChainReport::default()
            },
        }
    }

    /// Check the next record against the chain so far. `stored` carries the record's own
    /// `prev_hash` and `hash` (absent on records older than the chain).
    pub(crate) fn feed(
        &mut self,
        seq: i64,
        record: &Stored<'_>,
        stored: (Option<&str>, Option<&str>),
    ) {
        if self.report.first_break.is_some() {
            return;
        }
        self.report.records += 1;
        let (prev_hash, hash) = stored;
        let broken = |reason: &str| ChainBreak {
            seq: Some(seq),
            id: Some(record.id.to_owned()),
            reason: reason.to_owned(),
        };
        if prev_hash.is_some_and(|prev| prev != self.report.last_hash) {
            self.report.first_break = Some(broken(
                "its prev_hash is not the hash of the record before it: a record before it \
                 was changed, removed or inserted",
            ));
            return;
        }
        let recomputed = link(&self.report.last_hash, record);
        if hash.is_some_and(|hash| hash != recomputed) {
            self.report.first_break = Some(broken(
                "its hash does not match its stored form: the record was changed",
            ));
            return;
        }
        self.report.last_hash = recomputed;
    }

    /// The report of the records fed, without comparing with any head (a walk that
    /// stops before the end of the trail).
    pub(crate) fn report(self) -> ChainReport {
        self.report
    }

    /// The report, checked against the organization's head (`None`: no head row).
    pub(crate) fn finish(mut self, head: Option<&str>) -> ChainReport {
        let head = head.unwrap_or_default();
        if self.report.first_break.is_none() && head != self.report.last_hash {
            self.report.first_break = Some(ChainBreak {
                seq: None,
                id: None,
                reason: "the head does not name the last record's hash: records were removed \
                         at the end of the trail, or the head was changed"
                    .to_owned(),
            });
        }
        self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> Stored<'_> {
        Stored {
            id,
            org_id: "o",
            occurred_at: "2026-12-06T00:00:00.000000Z",
            actor: "scim:t",
            operation: "user.create",
            target: "user:1",
            status: 201,
            detail: "{\"after\":{\"userName\":\"ann\"}}",
            request_id: None,
            actor_kind: None,
        }
    }

    #[test]
    fn a_link_covers_every_field_and_tells_absent_from_empty() {
        let base = record("a");
        let hash = link("", &base);
        assert_eq!(hash.len(), 64);
        assert_eq!(link("", &base), hash, "deterministic");
        let variants = [
            Stored { id: "b", ..base },
            Stored {
                org_id: "p",
                ..base
            },
            Stored {
                occurred_at: "2026-12-06T00:00:00.000001Z",
                ..base
            },
            Stored {
                actor: "admin:t",
                ..base
            },
            Stored {
                operation: "user.patch",
                ..base
            },
            Stored {
                target: "user:2",
                ..base
            },
            Stored {
                status: 200,
                ..base
            },
            Stored {
                detail: "{}",
                ..base
            },
            Stored {
                request_id: Some(""),
                ..base
            },
            Stored {
                actor_kind: Some("jwt"),
                ..base
            },
            Stored {
                actor_kind: Some(""),
                ..base
            },
        ];
        for variant in variants {
            assert_ne!(link("", &variant), hash, "{variant:?}");
        }
        assert_ne!(link("x", &base), hash, "the previous hash is covered");
        // Field boundaries cannot be shifted: "ab" + "c" is not "a" + "bc".
        let shifted = Stored {
            actor: "scim:",
            operation: "tuser.create",
            ..base
        };
        assert_ne!(link("", &shifted), hash);
    }

    #[test]
    fn the_verifier_names_the_first_break() {
        let records = [record("a"), record("b"), record("c")];
        let mut hashes = Vec::new();
        let mut prev = String::new();
        for record in &records {
            let hash = link(&prev, record);
            hashes.push((prev.clone(), hash.clone()));
            prev = hash;
        }
        let run = |stored: &[(Option<String>, Option<String>)], head: Option<&str>| {
            let mut verifier = Verifier::default();
            for (seq, (record, (prev, hash))) in records.iter().zip(stored).enumerate() {
                verifier.feed(seq as i64, record, (prev.as_deref(), hash.as_deref()));
            }
            verifier.finish(head)
        };
        let intact: Vec<(Option<String>, Option<String>)> = hashes
            .iter()
            .map(|(prev, hash)| (Some(prev.clone()), Some(hash.clone())))
            .collect();
        let report = run(&intact, Some(&prev));
        assert!(report.holds(), "{report:?}");
        assert_eq!(report.records, 3);
        // Records older than the chain carry no hashes and still verify.
        let mut old = intact.clone();
        old[0] = (None, None);
        old[1] = (None, None);
        assert!(run(&old, Some(&prev)).holds());
        // A stored hash that disagrees, a prev_hash that disagrees, a head past the end.
        let mut changed = intact.clone();
        changed[1].1 = Some("0".repeat(64));
        let report = run(&changed, Some(&prev));
        assert_eq!(report.first_break.map(|b| b.seq), Some(Some(1)));
        let mut relinked = intact.clone();
        relinked[2].0 = Some("f".repeat(64));
        let report = run(&relinked, Some(&prev));
        assert_eq!(report.first_break.map(|b| b.seq), Some(Some(2)));
        let report = run(&intact[..2], Some(&prev));
        assert_eq!(report.first_break.map(|b| b.seq), Some(None));
        assert!(run(&[], None).holds());
    }
}
