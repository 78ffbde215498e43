//! `rollcall audit export`: the audit trail as JSON lines, one record per line as
//! `GET /admin/v1/audit` shows it (with what its hash covers), read page by page in trail
//! order. `rollcall audit verify`: the hash chain of each organization checked.

use std::io::Write;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use rollcall_store::AuditQuery;

use super::resolve_org;
use crate::cli::AuditCommand;

/// Records per read.
const PAGE: u32 = 1000;

fn time(text: Option<&str>) -> anyhow::Result<Option<DateTime<Utc>>> {
    text.map(|text| {
        DateTime::parse_from_rfc3339(text)
            .map(|time| time.with_timezone(&Utc))
            .map_err(|_| anyhow!("{text:?} is not an RFC 3339 date-time"))
    })
    .transpose()
}

/// Run an `audit` subcommand.
pub fn run(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Export {
            since,
            until,
            org,
            database,
        } => export(since, until, org, &database.database_url),
        AuditCommand::Verify { org, database } => verify(org, &database.database_url),
    }
}

/// `rollcall audit verify`: one line per organization; an error naming the first break.
fn verify(org: Option<String>, database_url: &str) -> anyhow::Result<()> {
    let store = super::open_store(database_url)?;
    let orgs = match org {
        Some(org) => {
            vec![resolve_org(&store, &org)?]
        }
        None => store
            .read(|tx| tx.orgs().list())?
            .into_iter()
            .map(|org| org.id)
            .collect(),
    };
    let mut broken = Vec::new();
    for org in orgs {
        let report = store
            .read(|tx| tx.audit().verify(&org))
            .context("cannot read the audit trail")?;
        match &report.first_break {
            None => println!(
                "{org}: the chain holds over {} records (head {})",
                report.records,
                if report.last_hash.is_empty() {
                    "empty"
                } else {
                    &report.last_hash
                }
            ),
            Some(at) => {
                let place = match (at.seq, &at.id) {
                    (Some(seq), Some(id)) => format!("at record seq {seq} (id {id})"),
                    _ => format!("at the head, after {} records", report.records),
                };
                println!("{org}: BROKEN {place}: {}", at.reason);
                broken.push(org);
            }
        }
    }
    if broken.is_empty() {
        Ok(())
    } else {
        Err(anyhow!(
            "the audit chain is broken for {} organization(s): {}",
            broken.len(),
            broken.join(", ")
        ))
    }
}

fn export(
    since: Option<String>,
    until: Option<String>,
    org: String,
    database_url: &str,
) -> anyhow::Result<()> {
    let store = super::open_store(database_url)?;
    let org = resolve_org(&store, &org)?;
    let mut query = AuditQuery {
        since: time(since.as_deref())?,
        until: time(until.as_deref())?,
        limit: PAGE,
        ..AuditQuery::default()
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    loop {
        let page = store
            .read(|tx| tx.audit().query(&org, &query))
            .context("cannot read the audit trail")?;
        for record in &page {
            writeln!(out, "{}", rollcall_app::audit_record_json(record))?;
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => query.after = Some(last.seq),
            _ => break,
        }
    }
    Ok(())
}
