//! `rollcall audit export`: the audit trail as JSON lines, one record per line as
//! `GET /admin/v1/audit` shows it, read page by page in trail order.

use std::io::Write;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use rollcall_store::AuditQuery;

use super::require_org;
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
    let AuditCommand::Export {
        since,
        until,
        org,
        database,
    } = command;
    let store = super::open_store(&database.database_url)?;
    require_org(&store, &org)?;
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
