//! `rollcall purge`: scrub the personal data of deleted users whose organization's
//! `purge_after_days` have passed (PRODUCT.md §5), and say how many. `rollcall serve` runs
//! the same purge every [`PURGE_INTERVAL`] on a background task.

use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use rollcall_store::Store;

use crate::cli::DatabaseArgs;

/// How often `serve` runs the purge.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Run the command.
pub fn run(args: DatabaseArgs) -> anyhow::Result<()> {
    let store = super::open_store(&args.database_url)?;
    let purged = store
        .purge_all(Utc::now())
        .context("cannot purge deleted users")?;
    println!("purged {purged} deleted user(s)");
    Ok(())
}

/// Purge every [`PURGE_INTERVAL`] (the first time at once) until the server stops. Each run
/// is on a blocking thread, so requests never wait for it; a failed run is logged and the
/// next one tries again.
pub async fn periodically(store: Store) {
    let mut ticks = actix_web::rt::time::interval(PURGE_INTERVAL);
    loop {
        ticks.tick().await;
        let store = store.clone();
        let outcome =
            actix_web::rt::task::spawn_blocking(move || store.purge_all(Utc::now())).await;
        match outcome {
            Ok(Ok(0)) => {}
            Ok(Ok(purged)) => tracing::info!(purged, "purged deleted users"),
            Ok(Err(error)) => tracing::error!(%error, "the purge of deleted users failed"),
            Err(error) => tracing::error!(%error, "the purge of deleted users panicked"),
        }
    }
}
