//! The background jobs of `rollcall serve`, each on a clock of its own and on a blocking
//! thread, so requests never wait for them; a failed run is logged and the next one tries
//! again. Every job is safe to run in several processes sharing one database.
//!
//! - the purge of deleted users' personal data (PRODUCT.md §5,
//!   `rollcall_app::purge_deleted_users`), every [`PURGE_INTERVAL`];
//! - the expiry of grants past their end date, recorded with their access delta
//!   (`rollcall_app::expire_grants`), every [`EXPIRY_INTERVAL`];
//! - the pruning of outbox events older than `event_retention_days` that every consumer
//!   has acknowledged (`Store::prune_outbox`), every [`PRUNE_INTERVAL`];
//! - the pruning of audit records older than an organization's `audit_retention_days`,
//!   behind a checkpoint (`rollcall_app::prune_audit`), every [`PRUNE_INTERVAL`];
//! - handing memory malloc keeps after it is freed back to the system
//!   (`rollcall_heap::trim`), every [`TRIM_INTERVAL`]: under load most of what resident
//!   memory grows by is such memory, not live data (docs/benchmarks.md).

use std::time::Duration;

use chrono::{DateTime, Utc};
use rollcall_store::{Store, StoreError};

/// How often deleted users are purged.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// How often ended grants are removed and recorded: the most a `grant.expire` record and
/// its `access.changed` event lag the expiry (which takes effect at once regardless).
pub const EXPIRY_INTERVAL: Duration = Duration::from_secs(60);

/// How often the outbox is pruned.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// How often freed memory is handed back to the system.
pub const TRIM_INTERVAL: Duration = Duration::from_secs(5);

/// Start every job (the first run of each at once); they stop with the server's runtime.
/// The outbox keeps acknowledged events for `event_retention`.
pub fn spawn(store: &Store, event_retention: chrono::Duration) {
    actix_web::rt::spawn(every(
        PURGE_INTERVAL,
        store.clone(),
        "purge of deleted users",
        rollcall_app::purge_deleted_users,
    ));
    actix_web::rt::spawn(every(
        EXPIRY_INTERVAL,
        store.clone(),
        "expiry of ended grants",
        rollcall_app::expire_grants,
    ));
    actix_web::rt::spawn(every(
        PRUNE_INTERVAL,
        store.clone(),
        "pruning of the outbox",
        move |store, now| store.prune_outbox(now - event_retention),
    ));
    actix_web::rt::spawn(every(
        PRUNE_INTERVAL,
        store.clone(),
        "pruning of the audit trail",
        rollcall_app::prune_audit,
    ));
    actix_web::rt::spawn(async {
        let mut ticks = actix_web::rt::time::interval(TRIM_INTERVAL);
        loop {
            ticks.tick().await;
            // Off the request threads; 2–25 ms per 100 MB of heap (rollcall_heap::trim).
            let _ = actix_web::rt::task::spawn_blocking(rollcall_heap::trim).await;
        }
    });
}

/// Run `job` every `interval` until the runtime stops; `job` answers how many things it did.
async fn every(
    interval: Duration,
    store: Store,
    name: &'static str,
    job: impl Fn(&Store, DateTime<Utc>) -> Result<usize, StoreError> + Send + Sync + Copy + 'static,
) {
    let mut ticks = actix_web::rt::time::interval(interval);
    loop {
        ticks.tick().await;
        let store = store.clone();
        let outcome =
            actix_web::rt::task::spawn_blocking(move || job(&store, crate::clock::now())).await;
        match outcome {
            Ok(Ok(0)) => {}
            Ok(Ok(done)) => tracing::info!(done, job = name, "background job done"),
            Ok(Err(error)) => tracing::error!(%error, job = name, "background job failed"),
            Err(error) => tracing::error!(%error, job = name, "background job panicked"),
        }
    }
}
