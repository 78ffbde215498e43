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

/// Open the store for a subcommand on one organization, which must exist; `org.org`, its
/// id or its name as given, becomes its id.
fn open_org(org: &mut crate::cli::OrgArgs) -> anyhow::Result<Store> {
    let store = open_store(&org.database.database_url)?;
    org.org = resolve_org(&store, &org.org)?;
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

/// The id of the organization `given` names: its id, or else its exact name when exactly
/// one organization has it. Fails, saying what there is, when none does or several do.
pub(crate) fn resolve_org(store: &Store, given: &str) -> anyhow::Result<String> {
    let by_id = store
        .read(|tx| tx.orgs().get(given))
        .context("cannot read the organization")?;
    if let Some(org) = by_id {
        return Ok(org.id);
    }
    let orgs = store
        .read(|tx| tx.orgs().list())
        .context("cannot read the organizations")?;
    let named: Vec<_> = orgs.iter().filter(|org| org.name == given).collect();
    match named.as_slice() {
        [org] => Ok(org.id.clone()),
        [] => {
            let names: Vec<String> = orgs
                .iter()
                .take(10)
                .map(|org| format!("{} ({})", org.name, org.id))
                .collect();
            if names.is_empty() {
                bail!(
                    "no organization with the id or name {given:?}: there is none yet (rollcall org create NAME)"
                )
            }
            bail!(
                "no organization with the id or name {given:?}; there are: {}{}",
                names.join(", "),
                if orgs.len() > 10 { ", …" } else { "" }
            )
        }
        several => bail!(
            "{} organizations are named {given:?}: name one by its id ({})",
            several.len(),
            several
                .iter()
                .map(|org| org.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
