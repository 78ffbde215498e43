//! `rollcall purge`: scrub the personal data of deleted users whose organization's
//! `purge_after_days` have passed (PRODUCT.md §5), and say how many. `rollcall serve` runs
//! the same purge hourly on a background task (`maintenance.rs`).

use anyhow::Context;

use crate::cli::DatabaseArgs;

/// Run the command.
pub fn run(args: DatabaseArgs) -> anyhow::Result<()> {
    let store = super::open_store(&args.database_url)?;
    let purged = rollcall_app::purge_deleted_users(&store, crate::clock::now())
        .context("cannot purge deleted users")?;
    println!("purged {purged} deleted user(s)");
    Ok(())
}
