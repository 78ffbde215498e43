//! Webhooks: each one's URL and events, how far its deliveries got, its failures (attempts,
//! the last error, when it tries again) and a button to retry now.

use maud::html;
use rollcall_app::Response;
use serde_json::Value;

use super::{Ctx, text, when};
use crate::form::encode;
use crate::layout::{notice, redirect};

/// `GET /console/webhooks`.
pub(crate) async fn show(ctx: &Ctx<'_>) -> Response {
    let answer = ctx.admin.get("/webhooks").await;
    if !answer.ok() {
        return ctx.failed("/webhooks", "Webhooks", &answer);
    }
    let hooks: Vec<&Value> = answer.body["webhooks"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let content = html! {
        @if ctx.query.get("done") == "retry" { (notice("The next delivery attempt is due now.", false)) }
        p { "Webhooks are created with the admin API (" code { "POST /admin/v1/webhooks" } "); each receives its events in order, retried with backoff until it answers 2xx." }
        @if hooks.is_empty() { p { "No webhooks." } } @else {
            div class="table-wrap" { table {
                thead { tr { th scope="col" { "URL" } th scope="col" { "Events" } th scope="col" { "Delivered up to" }
                    th scope="col" { "Failed attempts" } th scope="col" { "Last error" } th scope="col" { "Next attempt" } th scope="col" { "Actions" } } }
                tbody { @for hook in &hooks {
                    @let delivery = &hook["delivery"];
                    @let failing = delivery["attempts"].as_u64().unwrap_or(0) > 0;
                    tr {
                        td class="mono" { (text(&hook["url"])) }
                        td { @for event in hook["events"].as_array().into_iter().flatten() { code { (text(event)) } " " } }
                        td { @if delivery.is_null() { "nothing yet" } @else { "event " (delivery["delivered_seq"]) } }
                        td { (delivery["attempts"].as_u64().unwrap_or(0)) }
                        td { (text(&delivery["last_error"])) }
                        td { @if delivery["next_attempt_at"].is_null() { "–" } @else { (when(&delivery["next_attempt_at"])) } }
                        td { @if failing {
                            (ctx.button(&format!("/webhooks/{}/retry", encode(text(&hook["id"]))), "Retry now", "secondary", &[]))
                        } }
                    }
                } }
            } }
        }
    };
    ctx.page(200, "/webhooks", "Webhooks", &content)
}

/// `POST /console/webhooks/{id}/retry`.
pub(crate) async fn retry(ctx: &Ctx<'_>, id: &str) -> Response {
    let answer = ctx
        .admin
        .post(&format!("/webhooks/{}/retry", encode(id)), &Value::Null)
        .await;
    if !answer.ok() {
        return ctx.failed("/webhooks", "Webhooks", &answer);
    }
    redirect("/webhooks?done=retry")
}
