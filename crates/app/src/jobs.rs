//! The jobs that run without a request, each recording what it changes with actor
//! [`SYSTEM_ACTOR`]: the expiry of grants ([`expire_grants`]) and the purge of deleted
//! users' personal data ([`purge_deleted_users`]).
//!
//! Grants that reach their end date (`expires_at`, PRODUCT.md §4). An ended grant gives no
//! role from that instant: access is worked out at the time it is asked for. What this
//! module adds is the trail (PRODUCT.md §6): [`expire_grants`] removes each ended grant in
//! a transaction that records it (`grant.expire`, actor [`SYSTEM_ACTOR`], with the
//! effective-role delta), emits `access.changed`, and, when it was a user's last `owner`
//! grant on a workspace with no other active owner, hands the workspace to the org's heir
//! (`workspace.owner_succession`, as for a suspended owner). `rollcall serve` runs it every
//! minute, so the record follows the expiry by at most that much.
//!
//! The delta compares the roles just before the grant ended (one nanosecond before
//! `expires_at`) with the roles at that instant once it is gone: the role it gave, not
//! what happened since. Several processes sharing a database may sweep at once: each
//! batch takes the organization's row lease of the job first (`Tx::job_leases`), so one
//! of them works on an organization at a time and the others move on, and each grant is
//! removed, and recorded, by one of them.

use chrono::{DateTime, Duration, Utc};
use org_model::{Grant, Principal, ResourceRef, Role};
use rollcall_store::{AccessScope, SYSTEM_ACTOR, Store, StoreError, Tx, jobs};
use serde_json::json;

use crate::access_delta;
use crate::trail::record_change;

/// Scrub the personal data of every organization's tombstones older than its
/// `purge_after_days` (PRODUCT.md §5), one transaction per organization, each purge
/// recorded there (`user.purge` on `user:<id>`, with `deleted_at` and `purge_after_days`);
/// how many in all. Blocking. Several processes may run it at once: a tombstone is purged,
/// and recorded, once.
pub fn purge_deleted_users(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let orgs = store.read(|tx| tx.orgs().list())?;
    let mut purged = 0;
    for org in orgs {
        purged += store.write(|tx| {
            if !tx.job_leases().take(jobs::PURGE, &org.id)? {
                return Ok(0);
            }
            let tombstones = tx.lifecycle().purge_tombstones(&org.id, now)?;
            for tombstone in &tombstones {
                let detail = json!({
                    "deleted_at": tombstone.deleted_at,
                    "purge_after_days": tombstone.purge_after_days,
                });
                let target = format!("user:{}", tombstone.id);
                record_change(
                    tx,
                    &org.id,
                    SYSTEM_ACTOR,
                    "user.purge",
                    &target,
                    &detail,
                    now,
                )?;
            }
            Ok(tombstones.len())
        })?;
    }
    Ok(purged)
}

/// Prune every organization's audit records older than its `audit_retention_days`
/// (PRODUCT.md §6; organizations without the setting keep everything), one transaction
/// per organization, each behind an `audit.checkpoint` record from which the hash chain
/// still verifies; how many records in all. Blocking. An organization whose chain does not
/// verify is not pruned: the error names the break (the other organizations are pruned
/// first).
pub fn prune_audit(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let orgs = store.read(|tx| tx.orgs().list())?;
    let mut pruned = 0;
    let mut broken = None;
    for org in orgs {
        let retention = store
            .read(|tx| tx.orgs().settings(&org.id))?
            .audit_retention_days;
        let Some(days) = retention else {
            continue;
        };
        let before = now - Duration::days(i64::from(days));
        let pruned_here = store.write(|tx| {
            if !tx.job_leases().take(jobs::AUDIT_RETENTION, &org.id)? {
                return Ok(None);
            }
            tx.audit().prune(&org.id, before, now)
        });
        match pruned_here {
            Ok(Some(done)) => pruned += usize::try_from(done.records).unwrap_or(usize::MAX),
            Ok(None) => {}
            Err(error) => broken = Some(error),
        }
    }
    match broken {
        Some(error) => Err(error),
        None => Ok(pruned),
    }
}

/// Grants handled per transaction.
const BATCH: i64 = 100;

/// Remove and record every grant of every organization that has ended at `now`; how many.
/// Blocking: one read finds the organizations concerned (a run with nothing to do writes
/// nothing), then each batch of an organization is one write transaction.
pub fn expire_grants(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let orgs = store.read(|tx| tx.grants().orgs_with_expired(now))?;
    let mut expired = 0;
    for org in orgs {
        loop {
            let (found, removed) = store.write(|tx| expire_batch(tx, &org, now))?;
            expired += removed;
            if found < BATCH as usize {
                break;
            }
        }
    }
    Ok(expired)
}

/// One batch of the organization's ended grants: how many were found and how many this
/// transaction removed.
fn expire_batch(
    tx: &mut Tx<'_>,
    org_id: &str,
    now: DateTime<Utc>,
) -> Result<(usize, usize), StoreError> {
    if !tx.job_leases().take(jobs::EXPIRY, org_id)? {
        return Ok((0, 0));
    }
    let due = tx.grants().expired(org_id, now, BATCH)?;
    let mut removed = 0;
    for grant in &due {
        if expire(tx, org_id, grant, now)? {
            removed += 1;
        }
    }
    Ok((due.len(), removed))
}

/// Remove one ended grant and record it; `false` when it was gone already.
fn expire(
    tx: &mut Tx<'_>,
    org_id: &str,
    grant: &Grant,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let Some(ended) = grant.expires_at else {
        return Ok(false);
    };
    let just_before = ended - Duration::nanoseconds(1);
    let scope = AccessScope::Resource(grant.resource.clone());
    let (outcome, access) = access_delta::around(tx, org_id, scope, just_before, |tx| {
        if !tx.grants().delete_expired(org_id, &grant.id, now)? {
            return Ok::<_, StoreError>(None);
        }
        let handed = match (&grant.role, &grant.principal, &grant.resource) {
            (Role::Owner, Principal::User(user), ResourceRef::Workspace(workspace)) => {
                tx.lifecycle().hand_over_workspaces(
                    org_id,
                    user,
                    std::slice::from_ref(workspace),
                    SYSTEM_ACTOR,
                    now,
                )?
            }
            _ => Vec::new(),
        };
        Ok(Some(handed))
    })?;
    let Some(handed) = outcome else {
        return Ok(false);
    };
    let target = format!("grant:{}", grant.id);
    let detail = json!({"before": grant, "after": null, "reason": "expired", "access": access});
    record_change(
        tx,
        org_id,
        SYSTEM_ACTOR,
        "grant.expire",
        &target,
        &detail,
        now,
    )?;
    for succession in handed {
        let detail = match &succession.grant {
            Some(heir) => json!({
                "from": grant.principal.id(),
                "reason": "grant_expired",
                "to": heir.principal.id(),
                "grant": heir.id,
                "no_active_owner": false,
            }),
            None => json!({
                "from": grant.principal.id(),
                "reason": "grant_expired",
                "to": null,
                "no_active_owner": true,
            }),
        };
        let target = format!("workspace:{}", succession.workspace_id);
        record_change(
            tx,
            org_id,
            SYSTEM_ACTOR,
            "workspace.owner_succession",
            &target,
            &detail,
            now,
        )?;
    }
    Ok(true)
}
