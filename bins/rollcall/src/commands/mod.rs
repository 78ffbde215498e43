//! The admin subcommands. Each opens the store itself (which runs pending migrations).

pub mod access;
pub mod audit;
pub mod audited;
pub mod credentials;
pub mod demo;
pub mod migrate;
pub mod org;
pub mod purge;
pub mod token;
pub mod webhook;

use anyhow::{Context, bail};
use rollcall_store::{Store, StoreOptions, TokenKind};

use crate::config;

/// Open the store for a one-shot command: a small pool, migrations applied.
fn open_store(database_url: &str) -> anyhow::Result<Store> {
    config::prepare_database(database_url)?;
    let options = config::store_options(StoreOptions {
        max_connections: 1,
        ..StoreOptions::default()
    })?;
    Store::open(database_url, &options, crate::clock::now())
        .with_context(|| format!("cannot open the database {}", config::redact(database_url)))
}

/// Open the store for a subcommand on one organization, which must exist.
fn open_org(org: &crate::cli::OrgArgs) -> anyhow::Result<Store> {
    let store = open_store(&org.database.database_url)?;
    require_org(&store, &org.org)?;
    Ok(store)
}

/// Print `value` as JSON with `--json`, else `text()`.
fn print(json_output: bool, value: &serde_json::Value, text: impl FnOnce() -> String) {
    if json_output {
        println!("{value}");
    } else {
        println!("{}", text());
    }
}

/// `scim` or `admin`.
fn kind_name(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Scim => "scim",
        TokenKind::Admin => "admin",
    }
}

/// Fail unless the organization exists.
pub(crate) fn require_org(store: &Store, org_id: &str) -> anyhow::Result<()> {
    let org = store
        .read(|tx| tx.orgs().get(org_id))
        .context("cannot read the organization")?;
    match org {
        Some(_) => Ok(()),
        None => bail!("no organization with id {org_id}"),
    }
}
