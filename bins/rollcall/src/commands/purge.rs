//! `rollcall purge`: scrub the personal data of deleted users whose organization's
//! `purge_after_days` have passed (PRODUCT.md §5), prune audit records past an
//! organization's `audit_retention_days` behind a checkpoint (§6), and say how many.
//! `rollcall serve` runs both hourly on background tasks (`maintenance.rs`).

use anyhow::Context;

use crate::cli::DatabaseArgs;

/// Run the command.
pub fn run(args: DatabaseArgs) -> anyhow::Result<()> {
    let store = super::open_store(&args.database_url)?;
    let purged = rollcall_app::purge_deleted_users(&store, crate::clock::now())
        .context("cannot purge deleted users")?;
    println!("purged {purged} deleted user(s)");
    let pruned = rollcall_app::prune_audit(&store, crate::clock::now())
        .context("cannot prune the audit trail")?;
    println!("pruned {pruned} audit record(s) past their organization's retention");
    Ok(())
}
