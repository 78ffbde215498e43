//! The access review (PRODUCT.md §4) as a document: every user with a role, on one resource
//! or on the whole organization, the role and why, as CSV or JSON. The document is written
//! a page of users at a time ([`AccessReview::page`], each page read in a transaction of its
//! own by the caller), so a million rows never sit in memory: `GET
//! /admin/v1/access/review` streams the pages, `rollcall access review` writes them out.
//!
//! The review states when it started and how it was read: each page is consistent in itself;
//! a change made while the review runs shows only in the pages read after it. The JSON
//! document says so in its head; every row (CSV and JSON) carries the number of its page;
//! over HTTP the `review-started-at` header carries the start.
//!
//! CSV columns: `user_id,user_name,resource,resource_name,role,contributions,page`, where
//! `contributions` lists every contribution, the winner first and starred, separated by
//! `; `, each as `kind[:ids][ via chain| by attribute]=role` (as in `explain`). A cell that
//! a spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, a tab or a
//! carriage return: a userName comes from the IdP) is prefixed with `'`.

use chrono::{DateTime, SecondsFormat, Utc};
use org_model::{Contribution, ContributionKind, Explanation, GroupGraph, ResourceRef};
use rollcall_store::{ReviewRow, StoreError, Tx};
use serde_json::{Value, json};

/// Users per page: the default, and the most a caller may ask for.
pub const REVIEW_PAGE: usize = 500;
/// The largest page a caller may ask for.
pub const MAX_REVIEW_PAGE: usize = 5_000;

/// How a review is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewFormat {
    /// `text/csv`: a header line, then one line per row.
    Csv,
    /// `application/json`: `{"started_at", "resource", "consistency", "rows": [...],
    /// "complete": true}`.
    Json,
}

impl ReviewFormat {
    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            ReviewFormat::Csv => "text/csv; charset=utf-8",
            ReviewFormat::Json => crate::response::JSON,
        }
    }
}

/// One review being written.
#[derive(Debug, Clone)]
pub struct AccessReview {
    org_id: String,
    resource: Option<ResourceRef>,
    format: ReviewFormat,
    started_at: DateTime<Utc>,
    page_size: usize,
    /// Whether a JSON row was written (the next one needs a comma).
    wrote_row: bool,
    /// The pages read so far.
    pages: usize,
}

/// What the review says of how it was read.
const CONSISTENCY: &str = "read a page of users at a time, each page in one transaction: \
    each page is consistent in itself; a change made while the review ran shows only in \
    the pages read after it";

impl AccessReview {
    /// A review of `org_id` (of `resource` only, when given), started at `started_at`,
    /// reading `page_size` users a page (1 to [`MAX_REVIEW_PAGE`]).
    pub fn new(
        org_id: &str,
        resource: Option<ResourceRef>,
        format: ReviewFormat,
        started_at: DateTime<Utc>,
        page_size: usize,
    ) -> AccessReview {
        AccessReview {
            org_id: org_id.to_owned(),
            resource,
            format,
            started_at,
            page_size: page_size.clamp(1, MAX_REVIEW_PAGE),
            wrote_row: false,
            pages: 0,
        }
    }

    /// When the review started, as it states it.
    pub fn started_at(&self) -> String {
        self.started_at.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// What comes before the rows.
    pub fn head(&self) -> Vec<u8> {
        match self.format {
            ReviewFormat::Csv => csv_line(&[
                "user_id",
                "user_name",
                "resource",
                "resource_name",
                "role",
                "contributions",
                "page",
            ]),
            ReviewFormat::Json => {
                let head = json!({
                    "started_at": self.started_at(),
                    "resource": self.resource.as_ref().map(ToString::to_string),
                    "consistency": CONSISTENCY,
                });
                let mut text = head.to_string();
                // Reopen the object for the rows: `{..., "rows": [`.
                text.pop();
                text.push_str(",\"rows\":[");
                text.into_bytes()
            }
        }
    }

    /// The rows of the users after `after` (`""`: the first page), read in `tx`, and the
    /// user to read the next page after (`None`: done). [`StoreError::NotFound`] when the
    /// resource reviewed is not the organization's.
    pub fn page(
        &mut self,
        tx: &mut Tx<'_>,
        after: &str,
        now: DateTime<Utc>,
    ) -> Result<(Vec<u8>, Option<String>), StoreError> {
        let page = tx.access().review_page(
            &self.org_id,
            self.resource.as_ref(),
            after,
            self.page_size,
            now,
        )?;
        self.pages += 1;
        let mut out = Vec::new();
        for row in &page.rows {
            match self.format {
                ReviewFormat::Csv => out.extend(csv_row(row, self.pages)),
                ReviewFormat::Json => {
                    if self.wrote_row {
                        out.push(b',');
                    }
                    self.wrote_row = true;
                    let mut document = json_row(row, &page.groups);
                    document["page"] = json!(self.pages);
                    out.extend(document.to_string().into_bytes());
                }
            }
        }
        Ok((out, page.next_after))
    }

    /// What comes after the last row.
    pub fn tail(&self) -> Vec<u8> {
        match self.format {
            ReviewFormat::Csv => Vec::new(),
            ReviewFormat::Json => b"],\"complete\":true}\n".to_vec(),
        }
    }
}

/// The explanation as the API shows it: each contribution with `kind`, `role`, `on`,
/// `winner`, its ids, and `via`: the groups (id and displayName) from the user's direct
/// group to the one that holds the grant or matched the rule.
pub(crate) fn explanation_document(explanation: &Explanation, groups: &GroupGraph) -> Value {
    let contributions: Vec<Value> = explanation
        .contributions
        .iter()
        .map(|contribution| {
            let mut document = json!(contribution);
            let via: Vec<Value> = match &contribution.kind {
                ContributionKind::Group { chain, .. } | ContributionKind::Rule { chain, .. } => {
                    chain
                        .iter()
                        .map(|id| json!({"type": "group", "id": id, "display": groups.name(id)}))
                        .collect()
                }
                _ => Vec::new(),
            };
            if let Some(object) = document.as_object_mut() {
                object.insert("via".into(), Value::Array(via));
            }
            document
        })
        .collect();
    json!({"role": explanation.role, "contributions": contributions})
}

fn json_row(row: &ReviewRow, groups: &GroupGraph) -> Value {
    let why = explanation_document(&row.explanation, groups);
    json!({
        "user": row.user_id,
        "user_name": row.user_name,
        "resource": row.resource.to_string(),
        "resource_name": row.resource_name,
        "role": row.explanation.role,
        "contributions": why["contributions"],
    })
}

fn csv_row(row: &ReviewRow, page: usize) -> Vec<u8> {
    let role = row
        .explanation
        .role
        .map(|role| role.as_str())
        .unwrap_or_default();
    let contributions: Vec<String> = row
        .explanation
        .contributions
        .iter()
        .map(contribution_text)
        .collect();
    csv_line(&[
        &row.user_id,
        &row.user_name,
        &row.resource.to_string(),
        &row.resource_name,
        role,
        &contributions.join("; "),
        &page.to_string(),
    ])
}

/// One contribution as the CSV writes it, e.g. `*group:<grant> via <g1>><g2>=editor`.
pub fn contribution_text(contribution: &Contribution) -> String {
    let star = if contribution.winner { "*" } else { "" };
    let what = match &contribution.kind {
        ContributionKind::Direct { grant_id } => format!("direct:{grant_id}"),
        ContributionKind::Group {
            grant_id, chain, ..
        } => format!("group:{grant_id} via {}", chain.join(">")),
        ContributionKind::Rule { rule_id, chain, .. } => {
            format!("rule:{rule_id} via {}", chain.join(">"))
        }
        ContributionKind::AttributeRule { rule_id, attribute } => {
            format!("attribute_rule:{rule_id} by {attribute}")
        }
        ContributionKind::TeamAccess {
            team_access,
            workspace_role,
        } => format!("team_access:{team_access}({workspace_role})"),
        ContributionKind::OrgOwner => "org_owner".to_owned(),
    };
    format!("{star}{what}={}", contribution.role)
}

/// One CSV record (RFC 4180 quoting by the `csv` crate), formula-like cells defused.
fn csv_line(cells: &[&str]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let defused: Vec<String> = cells.iter().map(|cell| defuse(cell)).collect();
    // Writing to memory fails only on a bug of the writer; an empty line is then the answer.
    if writer.write_record(&defused).is_err() {
        return Vec::new();
    }
    writer.into_inner().unwrap_or_default()
}

/// `'` before a cell a spreadsheet would evaluate.
fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        let line = String::from_utf8(csv_line(&["a,b", "say \"hi\"", "=cmd()", "-1", "plain"]))
            .unwrap_or_default();
        assert_eq!(line, "\"a,b\",\"say \"\"hi\"\"\",'=cmd(),'-1,plain\r\n");
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes());
        let parsed: Vec<String> = reader
            .records()
            .next()
            .and_then(Result::ok)
            .map(|record| record.iter().map(str::to_owned).collect())
            .unwrap_or_default();
        assert_eq!(parsed, ["a,b", "say \"hi\"", "'=cmd()", "'-1", "plain"]);
    }
}
