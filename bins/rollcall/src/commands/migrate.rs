//! `rollcall migrate`: run pending migrations, say which ran, and list what data migrations
//! found for the operator to look at (on every run: a server start may have run them).

use anyhow::Context;
use rollcall_store::Store;

use crate::cli::DatabaseArgs;
use crate::config;

/// Run the command.
pub fn run(args: DatabaseArgs) -> anyhow::Result<()> {
    config::prepare_database(&args.database_url)?;
    let options = config::store_options(rollcall_store::StoreOptions::default())?;
    let migrated = Store::migrate_with(&args.database_url, &options, crate::clock::now())
        .with_context(|| {
            format!(
                "cannot migrate the database {}",
                config::redact(&args.database_url)
            )
        })?;
    let applied = &migrated.applied;
    if applied.is_empty() {
        println!("the database is up to date: no migration to run");
    } else {
        for name in applied {
            println!("applied {name}");
        }
        println!("{} migration(s) applied", applied.len());
    }
    if !migrated.findings.is_empty() {
        println!(
            "\n{} finding(s) of data migrations to look at:",
            migrated.findings.len()
        );
        for finding in &migrated.findings {
            println!(
                "  [{}] org {} {}: {}",
                finding.migration, finding.org_id, finding.subject, finding.detail
            );
        }
    }
    Ok(())
}
