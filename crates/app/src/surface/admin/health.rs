//! `GET /admin/v1/health?window_hours=` (PRODUCT.md §8, §10): the organization's SCIM
//! health over a window (default the last 24 hours; 1 to 720):
//!
//! - `requests` (`total`, `succeeded`, `failed`), `success_rate` and `error_rate`, `last_sync`
//!   (the last applied SCIM write, at any time) and `failed_operations` (the latest 20 failed
//!   SCIM writes): from the audit trail, so they count every instance sharing the database.
//!   They count SCIM *writes* (each bulk operation on its own): reads leave no record.
//! - `latency` (`p50_ms`, `p95_ms`, `p99_ms` of the last requests, reads included): measured
//!   by this instance only (`latency.rs`), kept in memory; `null` before any request.
//!
//! - `instance` (`refused_credentials` and `refused_credentials_by_reason`,
//!   `limited_requests`, `failed_reads`,
//!   `unrecorded_failures`): this instance's counters since it started, all organizations
//!   together (a refused credential names no organization).
//!
//! - `hourly`: the same SCIM writes by hour (UTC; `hour`, `total`, `failed`), oldest first,
//!   hours without writes left out: the console's chart.
//!
//! `scope` says which figure covers what.

use chrono::{Duration, SecondsFormat};
use serde_json::{Value, json};

use crate::error::Error;
use crate::response::Response;
use crate::surface::call::Call;
use crate::transaction::Access;

/// The window when none is asked for.
const DEFAULT_WINDOW_HOURS: u32 = 24;
/// The longest window (30 days).
const MAX_WINDOW_HOURS: u32 = 720;
/// Failed operations listed at most.
const FAILED_LISTED: u32 = 20;

/// The `window_hours` of the query string.
fn window_hours(query: &str) -> Result<u32, Error> {
    let query = crate::surface::path::query_map(query)?;
    match query.get("window_hours") {
        None => Ok(DEFAULT_WINDOW_HOURS),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|hours| (1..=MAX_WINDOW_HOURS).contains(hours))
            .ok_or_else(|| {
                Error::invalid_request(format!(
                    "window_hours must be a whole number from 1 to {MAX_WINDOW_HOURS}"
                ))
            }),
    }
}

/// A share with four decimals; `None` when there is nothing to share.
fn rate(part: u64, total: u64) -> Option<f64> {
    if total == 0 {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let share = part as f64 / total as f64;
    Some((share * 10_000.0).round() / 10_000.0)
}

/// `GET /admin/v1/health`.
pub(crate) async fn get(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let hours = window_hours(&call.request.query)?;
    let now = call.now();
    let since = now - Duration::hours(i64::from(hours));
    let (org_id, stats, failed, hourly) = call
        .admin(Access::Read, &credential, move |tx, caller| {
            let stats = tx.audit().scim_write_stats(&caller.org_id, since)?;
            let failed = tx
                .audit()
                .failed_scim_writes(&caller.org_id, since, FAILED_LISTED)?;
            let hourly = tx.audit().scim_writes_by_hour(&caller.org_id, since)?;
            Ok((caller.org_id.clone(), stats, failed, hourly))
        })
        .await?;
    let time = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let latency = call.app.latencies.summary(&org_id, since);
    let failed_operations: Vec<Value> = failed
        .iter()
        .map(|write| {
            json!({
                "time": time(write.occurred_at),
                "operation": write.operation,
                "target": write.target,
                "status": write.status,
                "error": write.detail.get("error").cloned().unwrap_or(Value::Null),
                "bulk": write.detail.get("bulk").cloned(),
                "request_id": write.request_id,
            })
        })
        .collect();
    let succeeded = stats.total.saturating_sub(stats.failed);
    let counters = call.app.counters.snapshot();
    let body = json!({
        "org_id": org_id,
        "window_hours": hours,
        "since": time(since),
        "until": time(now),
        "requests": {"total": stats.total, "succeeded": succeeded, "failed": stats.failed},
        "success_rate": rate(succeeded, stats.total),
        "error_rate": rate(stats.failed, stats.total),
        "latency": latency,
        "last_sync": stats.last_applied.map(time),
        "failed_operations": failed_operations,
        "hourly": hourly
            .iter()
            .map(|hour| json!({"hour": time(hour.hour), "total": hour.total, "failed": hour.failed}))
            .collect::<Vec<Value>>(),
        "instance": {
            "refused_credentials": counters.refused_credentials,
            "refused_credentials_by_reason": counters
                .refusal_reasons
                .iter()
                .map(|(reason, count)| ((*reason).to_owned(), json!(count)))
                .collect::<serde_json::Map<String, Value>>(),
            "limited_requests": counters.limited_requests,
            "failed_reads": counters.failed_reads,
            "unrecorded_failures": counters.unrecorded_failures,
        },
        "scope": {
            "requests": "scim_writes_all_instances",
            "success_rate": "scim_writes_all_instances",
            "error_rate": "scim_writes_all_instances",
            "last_sync": "all_instances",
            "failed_operations": "all_instances",
            "hourly": "scim_writes_all_instances",
            "latency": "this_instance",
            "instance": "this_instance_since_start_all_organizations",
        },
    });
    Ok(Response::json(200, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_checked() {
        let cases: [(&str, Result<u32, &str>); 8] = [
            ("", Ok(24)),
            ("window_hours=1", Ok(1)),
            ("window_hours=720", Ok(720)),
            ("window_hours=0", Err("invalid_request")),
            ("window_hours=721", Err("invalid_request")),
            ("window_hours=-3", Err("invalid_request")),
            ("window_hours=1.5", Err("invalid_request")),
            ("window_hours=day", Err("invalid_request")),
        ];
        for (query, expected) in cases {
            assert_eq!(
                window_hours(query).map_err(|error| error.code()),
                expected,
                "{query}"
            );
        }
    }

    #[test]
    fn rates_have_four_decimals_and_none_without_requests() {
        assert_eq!(rate(0, 0), None);
        assert_eq!(rate(2, 3), Some(0.6667));
        assert_eq!(rate(3, 3), Some(1.0));
    }
}
