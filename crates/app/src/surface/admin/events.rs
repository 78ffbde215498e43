//! `GET /admin/v1/events?after=<seq>&limit=` (PRODUCT.md §10): the organization's events
//! as a pull feed, for consumers that poll rather than receive webhooks. Events come in
//! `seq` order, each once: a reader passes the last `seq` it has as `after` (the answer's
//! `next_after`). Retention is the outbox's; a reader positioned before what retention
//! removed gets a 410 `gone` naming the oldest `seq` still kept and where to resume.

use serde_json::{Value, json};

use crate::error::Error;
use crate::events::Event;
use crate::response::Response;
use crate::surface::call::Call;
use crate::transaction::Access;

/// The default and largest page.
const PAGE: u32 = 100;
const MAX_PAGE: u32 = 1000;

/// `after` and `limit`, checked.
fn params(query: &str) -> Result<(i64, u32), Error> {
    let params = crate::surface::path::query_map(query)?;
    let (mut after, mut limit) = (0, PAGE);
    for (key, value) in params.iter() {
        match key.as_str() {
            "after" => {
                after = value
                    .parse::<i64>()
                    .ok()
                    .filter(|after| *after >= 0)
                    .ok_or_else(|| {
                        Error::invalid_request("after must be a seq: a whole number from 0")
                    })?;
            }
            "limit" => {
                limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|limit| (1..=MAX_PAGE).contains(limit))
                    .ok_or_else(|| Error::invalid_request("limit must be 1 to 1000"))?;
            }
            other => {
                return Err(Error::invalid_request(format!(
                    "unknown parameter {other:?}; expected after, limit"
                )));
            }
        }
    }
    Ok((after, limit))
}

/// What a page came to.
enum Page {
    Events {
        events: Vec<Event>,
        more: bool,
    },
    Gone {
        pruned_through: i64,
        oldest: Option<i64>,
    },
}

/// `GET /admin/v1/events`: `{"events": [...], "next_after", "more"}`, or 410 `gone`.
pub(crate) async fn list(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let (after, limit) = params(&call.request.query)?;
    let page = call
        .admin(Access::Read, &credential, move |tx, caller| {
            let pruned_through = tx.outbox().pruned_through(&caller.org_id)?;
            if after < pruned_through {
                let oldest = tx
                    .outbox()
                    .events_after(&caller.org_id, pruned_through, 1)?
                    .first()
                    .map(|event| event.seq);
                return Ok(Page::Gone {
                    pruned_through,
                    oldest,
                });
            }
            let mut events = tx.outbox().events_after(&caller.org_id, after, limit + 1)?;
            let more = events.len() > limit as usize;
            events.truncate(limit as usize);
            Ok(Page::Events {
                events: events.into_iter().map(Event::from).collect(),
                more,
            })
        })
        .await?;
    match page {
        Page::Gone {
            pruned_through,
            oldest,
        } => Ok(Response::json(
            410,
            &json!({"error": {
                "code": "gone",
                "message": format!(
                    "events through seq {pruned_through} were removed by retention; read again \
                     from after={pruned_through}"
                ),
                "oldest_seq": oldest,
                "resume_after": pruned_through,
            }}),
        )),
        Page::Events { events, more } => {
            let next_after = events.last().map_or(after, |event| event.seq);
            let documents: Vec<Value> = events
                .iter()
                .map(|event| {
                    let mut document = event.to_json();
                    document["seq"] = json!(event.seq);
                    document
                })
                .collect();
            Ok(Response::json(
                200,
                &json!({"events": documents, "next_after": next_after, "more": more}),
            ))
        }
    }
}
