//! `rollcall migrate`: run pending migrations and say which ran.

use anyhow::Context;
use rollcall_store::Store;

use crate::cli::DatabaseArgs;
use crate::config;

/// Run the command.
pub fn run(args: DatabaseArgs) -> anyhow::Result<()> {
    config::prepare_database(&args.database_url)?;
    let applied = Store::migrate(&args.database_url).with_context(|| {
        format!(
            "cannot migrate the database {}",
            config::redact(&args.database_url)
        )
    })?;
    if applied.is_empty() {
        println!("the database is up to date: no migration to run");
    } else {
        for name in &applied {
            println!("applied {name}");
        }
        println!("{} migration(s) applied", applied.len());
    }
    Ok(())
}
