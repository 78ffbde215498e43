//! Health: the organization's SCIM success and error rates, latency, last sync, the failed
//! operations with their errors, and a chart of writes by hour (`GET /admin/v1/health`).

use maud::html;
use rollcall_app::Response;
use serde_json::Value;

use super::{Ctx, text, when};
use crate::chart::{Bar, writes_by_hour};

fn percent(value: &Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "–".to_owned(), |share| format!("{:.1}%", share * 100.0))
}

fn ms(value: &Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "–".to_owned(), |ms| format!("{ms:.1} ms"))
}

/// `GET /console/health?window_hours=`.
pub(crate) async fn show(ctx: &Ctx<'_>) -> Response {
    let hours = ctx.query.non_empty("window_hours").unwrap_or("24");
    let answer = ctx
        .admin
        .get(&format!(
            "/health?window_hours={}",
            crate::form::encode(hours)
        ))
        .await;
    if !answer.ok() {
        return ctx.failed("/health", "Health", &answer);
    }
    let body = &answer.body;
    let bars = hours_of(body);
    let failed: Vec<&Value> = body["failed_operations"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let content = html! {
        form method="get" action={ (crate::MOUNT) "/health" } {
            label for="window" { "Window" }
            select id="window" name="window_hours" {
                @for (value, name) in [("1", "last hour"), ("24", "last 24 hours"), ("168", "last 7 days"), ("720", "last 30 days")] {
                    option value=(value) selected[value == hours] { (name) }
                }
            }
            button type="submit" class="secondary" { "Show" }
        }
        ul class="figures" {
            li { "SCIM writes" strong { (body["requests"]["total"]) } }
            li { "Success rate" strong { (percent(&body["success_rate"])) } }
            li { "Error rate" strong { (percent(&body["error_rate"])) } }
            li { "Latency p50 / p99" strong { (ms(&body["latency"]["p50_ms"])) " / " (ms(&body["latency"]["p99_ms"])) } }
            li { "Last sync" strong { @if body["last_sync"].is_null() { "never" } @else { (when(&body["last_sync"])) } } }
        }
        p class="hint" { "Writes, rates and the last sync count every instance (from the audit trail); latency is this instance's." }
        h2 { "Writes by hour" }
        @if bars.iter().all(|bar| bar.total == 0) { p { "No SCIM writes in this window." } } @else {
            (writes_by_hour(&bars))
            details {
                summary { "The same figures as a table" }
                div class="table-wrap" { table {
                    thead { tr { th scope="col" { "Hour" } th scope="col" { "Writes" } th scope="col" { "Failed" } } }
                    tbody { @for bar in bars.iter().filter(|bar| bar.total > 0) { tr { td { (bar.label) } td { (bar.total) } td { (bar.failed) } } } }
                } }
            }
        }
        h2 { "Failed operations" }
        @if failed.is_empty() { p { "None in this window." } } @else {
            div class="table-wrap" { table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Operation" } th scope="col" { "Target" }
                    th scope="col" { "Status" } th scope="col" { "Error" } th scope="col" { "Request id" } } }
                tbody { @for operation in failed { tr {
                    td { (when(&operation["time"])) }
                    td { (text(&operation["operation"])) }
                    td class="mono" { (text(&operation["target"])) }
                    td { (operation["status"]) }
                    td { (text(&operation["error"]["detail"])) @if let Some(kind) = operation["error"]["scimType"].as_str() { " (" (kind) ")" } }
                    td class="mono" { (text(&operation["request_id"])) }
                } } }
            } }
        }
    };
    ctx.page(200, "/health", "Health", &content)
}

/// One bar per hour of the window, oldest first, hours without writes at zero (the health
/// report lists only the hours with writes).
fn hours_of(body: &Value) -> Vec<Bar> {
    let time = |value: &Value| {
        value
            .as_str()
            .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
            .map(|time| time.with_timezone(&chrono::Utc))
    };
    let (Some(since), Some(until)) = (time(&body["since"]), time(&body["until"])) else {
        return Vec::new();
    };
    let hour_of = |at: chrono::DateTime<chrono::Utc>| at.timestamp().div_euclid(3600);
    let first = hour_of(since);
    let last = hour_of(until);
    let mut bars: Vec<Bar> = (first..=last)
        .map(|hour| Bar {
            label: chrono::DateTime::from_timestamp(hour * 3600, 0)
                .map(|start| start.format("%Y-%m-%d %H:00 UTC").to_string())
                .unwrap_or_default(),
            total: 0,
            failed: 0,
        })
        .collect();
    for hour in body["hourly"].as_array().into_iter().flatten() {
        let Some(at) = time(&hour["hour"]) else {
            continue;
        };
        let index = usize::try_from(hour_of(at) - first).ok();
        if let Some(bar) = index.and_then(|index| bars.get_mut(index)) {
            bar.total = hour["total"].as_u64().unwrap_or(0);
            bar.failed = hour["failed"].as_u64().unwrap_or(0);
        }
    }
    bars
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::hours_of;

    #[test]
    fn every_hour_of_the_window_gets_a_bar_and_the_report_fills_its_own() {
        let body = json!({
            "since": "2026-12-06T21:30:00.000Z",
            "until": "2026-12-07T00:30:00.000Z",
            "hourly": [
                {"hour": "2026-12-06T23:00:00.000Z", "total": 7, "failed": 2},
                {"hour": "2026-12-06T12:00:00.000Z", "total": 9, "failed": 0},
            ],
        });
        let bars: Vec<(String, u64, u64)> = hours_of(&body)
            .into_iter()
            .map(|bar| (bar.label, bar.total, bar.failed))
            .collect();
        assert_eq!(
            bars,
            vec![
                ("2026-12-06 21:00 UTC".to_owned(), 0, 0),
                ("2026-12-06 22:00 UTC".to_owned(), 0, 0),
                ("2026-12-06 23:00 UTC".to_owned(), 7, 2),
                ("2026-12-07 00:00 UTC".to_owned(), 0, 0),
            ]
        );
        assert!(hours_of(&json!({"hourly": []})).is_empty());
    }
}
