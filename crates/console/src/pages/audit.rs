//! Audit: the trail, filtered by time, actor, target and type, a page at a time; each
//! record's access delta in words; and an export of everything the filters select (JSON,
//! as the admin API answers each page).

use maud::html;
use rollcall_app::Response;
use serde_json::{Value, json};

use super::{Ctx, text, when};
use crate::form::encode;
use crate::layout::notice;

/// The filters the page passes on to `GET /admin/v1/audit`.
const FILTERS: [&str; 5] = ["since", "until", "actor", "target", "type"];
/// Records exported at most (held in memory while the document is built); past it the
/// export says it is incomplete, and `rollcall audit export` streams the whole trail.
const EXPORT_LIMIT: usize = 10_000;

/// The admin query of the page's filters (and `cursor`, when `with_cursor`).
fn query(ctx: &Ctx<'_>, with_cursor: bool) -> String {
    let mut pairs: Vec<String> = FILTERS
        .iter()
        .filter_map(|name| {
            ctx.query
                .non_empty(name)
                .map(|value| format!("{name}={}", encode(value)))
        })
        .collect();
    if with_cursor && let Some(cursor) = ctx.query.non_empty("cursor") {
        pairs.push(format!("cursor={}", encode(cursor)));
    }
    pairs.join("&")
}

/// `GET /console/audit`.
pub(crate) async fn show(ctx: &Ctx<'_>) -> Response {
    let answer = ctx.admin.get(&format!("/audit?{}", query(ctx, true))).await;
    let events: Vec<&Value> = answer.body["events"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let next = answer.body["next_cursor"].as_str();
    let filters = query(ctx, false);
    // The people and resources the page's access changes name, by name.
    let mut user_ids: Vec<String> = events
        .iter()
        .flat_map(|event| {
            event["detail"]["access"]
                .as_array()
                .into_iter()
                .flatten()
                .take(20)
        })
        .map(|change| text(&change["user"]).to_owned())
        .collect();
    user_ids.sort();
    user_ids.dedup();
    let users = super::user_names(&ctx.admin, &user_ids).await;
    let resources: std::collections::HashMap<String, String> = if user_ids.is_empty() {
        std::collections::HashMap::new()
    } else {
        super::resources(&ctx.admin).await.into_iter().collect()
    };
    let user = |change: &Value| {
        let id = text(&change["user"]).to_owned();
        users.get(&id).cloned().unwrap_or(id)
    };
    let resource = |change: &Value| {
        let id = text(&change["resource"]).to_owned();
        resources.get(&id).cloned().unwrap_or(id)
    };
    let content = html! {
        form method="get" action={ (crate::MOUNT) "/audit" } {
            fieldset {
                legend { "Filters" }
                label for="since" { "Since (RFC 3339)" }
                input id="since" name="since" type="text" value=(ctx.query.get("since")) placeholder="2026-12-01T00:00:00Z" spellcheck="false";
                label for="until" { "Until (RFC 3339)" }
                input id="until" name="until" type="text" value=(ctx.query.get("until")) spellcheck="false";
                label for="actor" { "Actor" }
                input id="actor" name="actor" type="text" value=(ctx.query.get("actor")) placeholder="admin:… or scim:…" spellcheck="false";
                label for="target" { "Target" }
                input id="target" name="target" type="text" value=(ctx.query.get("target")) placeholder="user:… or grant:…" spellcheck="false";
                label for="type" { "Type" }
                input id="type" name="type" type="text" value=(ctx.query.get("type")) placeholder="grant.create" spellcheck="false";
                button type="submit" { "Filter" }
            }
        }
        p { a href={ (crate::MOUNT) "/audit/export?" (filters) } download="rollcall-audit.json" { "Export these records (JSON)" } }
        @if !answer.ok() { (notice(&answer.message(), true)) } @else if events.is_empty() { p { "No records." } } @else {
            div class="table-wrap" { table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Actor" } th scope="col" { "Type" }
                    th scope="col" { "Target" } th scope="col" { "Status" } th scope="col" { "Access changed" } th scope="col" { "Request id" } } }
                tbody { @for event in &events { tr {
                    td { (when(&event["time"])) }
                    td class="mono" { (text(&event["actor"])) }
                    td { (text(&event["type"])) }
                    td class="mono" { (text(&event["target"])) }
                    td { (event["status"]) }
                    td {
                        @let changes: Vec<&Value> = event["detail"]["access"].as_array().into_iter().flatten().collect();
                        @if changes.is_empty() { "–" } @else {
                            ul { @for change in changes.iter().take(20) {
                                li { (user(change)) " on " (resource(change)) ": "
                                    (change["before"].as_str().unwrap_or("none")) " → " (change["after"].as_str().unwrap_or("none")) }
                            }
                            @if changes.len() > 20 { li { "and " (changes.len() - 20) " more (export to see all)" } } }
                        }
                    }
                    td class="mono" { (text(&event["request_id"])) }
                } } }
            } }
            @if let Some(next) = next {
                p { a rel="next" href={ (crate::MOUNT) "/audit?" (filters) @if !filters.is_empty() { "&" } "cursor=" (encode(next)) } { "Older records" } }
            }
        }
    };
    let status = if answer.ok() { 200 } else { answer.status };
    ctx.page(status, "/audit", "Audit", &content)
}

/// `GET /console/audit/export`: every record the filters select (up to
/// [`EXPORT_LIMIT`]), newest first, as one JSON document to download.
pub(crate) async fn export(ctx: &Ctx<'_>) -> Response {
    if ctx.query.non_empty("cursor").is_some() {
        // An export is of everything the filters select; a cursor would silently cut it.
        return ctx.refused(
            "/audit",
            "Audit",
            "An export takes the filters only, not a cursor.",
        );
    }
    let filters = query(ctx, false);
    let mut events: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/audit?{filters}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={}", encode(cursor)));
        }
        let answer = ctx.admin.get(&path).await;
        if !answer.ok() {
            return ctx.failed("/audit", "Audit", &answer);
        }
        events.extend(
            answer.body["events"]
                .as_array()
                .into_iter()
                .flatten()
                .cloned(),
        );
        match answer.body["next_cursor"].as_str() {
            Some(next) if events.len() < EXPORT_LIMIT => cursor = Some(next.to_owned()),
            _ => break,
        }
    }
    let complete = events.len() < EXPORT_LIMIT;
    let mut body = json!({"filters": ctx.query_filters(), "complete": complete, "events": events});
    if !complete {
        body["note"] = json!(format!(
            "the first {EXPORT_LIMIT} records only: narrow the filters, or use `rollcall audit export` for the whole trail"
        ));
    }
    Response::text(200, "application/json", body.to_string()).with_header(
        "content-disposition",
        "attachment; filename=\"rollcall-audit.json\"",
    )
}

impl Ctx<'_> {
    fn query_filters(&self) -> Value {
        FILTERS
            .iter()
            .filter_map(|name| {
                self.query
                    .non_empty(name)
                    .map(|value| (name.to_string(), json!(value)))
            })
            .collect::<serde_json::Map<String, Value>>()
            .into()
    }
}
