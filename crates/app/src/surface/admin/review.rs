//! `GET /admin/v1/access/review[?resource=workspace:<id>|folder:<id>][&page_size=N]`: every
//! user with a role and why (`crate::review`), as JSON, or CSV with `Accept: text/csv`,
//! streamed. The first page is read before the answer starts, so a bad request or an
//! unknown resource is a proper error; then each page is read in a short transaction of
//! its own and written as the client takes it (at most two pages wait in memory). A
//! failure after the first page ends the body early: the client sees a truncated answer
//! (and a JSON document without its closing `"complete": true`).

use bytes::Bytes;
use org_model::ResourceRef;

use crate::App;
use crate::error::Error;
use crate::response::{BodySender, BodyStream, Response};
use crate::review::{AccessReview, MAX_REVIEW_PAGE, REVIEW_PAGE, ReviewFormat};
use crate::surface::call::Call;
use crate::transaction::Access;

/// Pages produced and not yet written.
const PAGES_IN_FLIGHT: usize = 2;

/// `GET /admin/v1/access/review`.
pub(crate) async fn get(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let query = crate::surface::path::query_map(&call.request.query)?;
    if let Some(unknown) = query
        .keys()
        .find(|key| !matches!(key.as_str(), "resource" | "page_size"))
    {
        return Err(Error::invalid_request(format!(
            "unknown parameter {unknown}; expected resource, page_size"
        )));
    }
    let resource = query
        .get("resource")
        .map(|text| ResourceRef::parse(text))
        .transpose()
        .map_err(|error| Error::invalid_request(error.to_string()))?;
    let page_size = match query.get("page_size") {
        None => REVIEW_PAGE,
        Some(text) => (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<usize>().ok())
            .flatten()
            .filter(|size| (1..=MAX_REVIEW_PAGE).contains(size))
            .ok_or_else(|| {
                Error::invalid_request(format!("page_size must be 1 to {MAX_REVIEW_PAGE}"))
            })?,
    };
    let format = negotiate(accept_header(call.request))?;
    let started_at = call.now();
    let (review, first, next) = call
        .admin(Access::Read, &credential, move |tx, caller| {
            let mut review = AccessReview::new(
                &caller.org_id,
                resource.clone(),
                format,
                started_at,
                page_size,
            );
            let (rows, next) = review.page(tx, "", started_at)?;
            Ok((review, rows, next))
        })
        .await?;
    let (sender, stream) = BodyStream::channel(PAGES_IN_FLIGHT);
    let mut head = review.head();
    head.extend(first);
    let started = review.started_at();
    tokio::spawn(produce(call.app.clone(), review, head, next, sender));
    Ok(Response::streamed(200, format.media_type(), stream)
        .with_header("cache-control", "no-store")
        .with_header("review-started-at", started))
}

/// Write `head` (the head and the first page), then every page after `next`, each read in a
/// transaction of its own, then the tail; stop when the client is gone.
async fn produce(
    app: App,
    mut review: AccessReview,
    head: Vec<u8>,
    mut next: Option<String>,
    sender: BodySender,
) {
    if sender.send(Ok(Bytes::from(head))).await.is_err() {
        return;
    }
    while let Some(after) = next.take() {
        let now = app.now();
        let page = app
            .database
            .run(Access::Read, move |tx| {
                // A copy per attempt: a retried read starts from the same position.
                let mut attempt = review.clone();
                let (rows, next) = attempt.page(tx, &after, now)?;
                Ok((attempt, rows, next))
            })
            .await;
        let rows = match page {
            Ok((read, rows, following)) => {
                review = read;
                next = following;
                rows
            }
            Err(error) => {
                tracing::warn!(error = %error.detail(), "an access review ended early");
                let _ = sender
                    .send(Err(std::io::Error::other("the review could not be read")))
                    .await;
                return;
            }
        };
        if sender.send(Ok(Bytes::from(rows))).await.is_err() {
            return;
        }
    }
    let _ = sender.send(Ok(Bytes::from(review.tail()))).await;
}

/// The format `accept` (every `Accept` header, joined) prefers (RFC 9110 §12.5.1): each
/// format takes the quality of the most specific range that matches it (`text/csv`, then
/// `text/*`, then `*/*`; for JSON `application/json`, `application/*`, `*/*`), and the
/// highest quality above 0 wins; between equals, the one whose range comes first. No
/// `Accept`: JSON. Nothing acceptable: a 406.
fn negotiate(accept: Option<Result<String, ()>>) -> Result<ReviewFormat, Error> {
    let Some(accept) = accept else {
        return Ok(ReviewFormat::Json);
    };
    let refused = || {
        Error::admin(
            406,
            "not_acceptable",
            "the review is served as application/json or text/csv",
        )
    };
    let accept = accept.map_err(|()| refused())?;
    // (specificity, quality, position) of the best range for each format.
    let mut csv: Option<(u8, u16, usize)> = None;
    let mut json: Option<(u8, u16, usize)> = None;
    for (position, range) in accept.split(',').enumerate() {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        if media.is_empty() {
            continue;
        }
        let mut quality = 1000u16;
        for parameter in parts {
            let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
            if name.trim().eq_ignore_ascii_case("q") {
                quality = parse_quality(value.trim()).ok_or_else(|| {
                    Error::invalid_request(format!("Accept has a bad quality {value:?}"))
                })?;
            }
        }
        let (for_csv, for_json) = match media.as_str() {
            "text/csv" => (Some(2), None),
            "text/*" => (Some(1), None),
            "application/json" => (None, Some(2)),
            "application/*" => (None, Some(1)),
            "*/*" => (Some(0), Some(0)),
            _ => (None, None),
        };
        for (specificity, best) in [(for_csv, &mut csv), (for_json, &mut json)] {
            if let Some(specificity) = specificity
                && best.is_none_or(|(kept, _, _)| specificity > kept)
            {
                *best = Some((specificity, quality, position));
            }
        }
    }
    let rank = |best: Option<(u8, u16, usize)>| {
        best.filter(|(_, quality, _)| *quality > 0)
            .map(|(_, quality, position)| (quality, std::cmp::Reverse(position)))
    };
    match (rank(csv), rank(json)) {
        (None, None) => Err(refused()),
        (Some(_), None) => Ok(ReviewFormat::Csv),
        (None, Some(_)) => Ok(ReviewFormat::Json),
        (Some(csv), Some(json)) if csv > json => Ok(ReviewFormat::Csv),
        _ => Ok(ReviewFormat::Json),
    }
}

/// Every `Accept` header of the request, joined with commas (RFC 9110 §5.3); `Err` when one
/// is not text.
fn accept_header(request: &crate::request::Request) -> Option<Result<String, ()>> {
    let values: Vec<&[u8]> = request.headers.get_all("accept").collect();
    if values.is_empty() {
        return None;
    }
    let texts: Result<Vec<&str>, ()> = values
        .into_iter()
        .map(|value| std::str::from_utf8(value).map_err(|_| ()))
        .collect();
    Some(texts.map(|texts| texts.join(",")))
}

/// An HTTP quality value (`0` to `1`, at most three decimals) in thousandths.
fn parse_quality(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_follows_accept() {
        use ReviewFormat::{Csv, Json};
        let cases: &[(Option<&str>, Option<ReviewFormat>)] = &[
            (None, Some(Json)),
            (Some("*/*"), Some(Json)),
            (Some("application/json"), Some(Json)),
            (Some("text/csv"), Some(Csv)),
            (Some("TEXT/CSV; charset=utf-8"), Some(Csv)),
            (Some("text/*"), Some(Csv)),
            (Some("application/json;q=0.5, text/csv"), Some(Csv)),
            (Some("text/csv;q=0.2, application/json;q=0.9"), Some(Json)),
            (Some("text/csv, application/json"), Some(Csv)),
            (Some("application/json, text/csv"), Some(Json)),
            (Some("application/json;q=0, */*"), Some(Csv)),
            (Some("text/*;q=0.9, text/csv;q=0"), None),
            (Some("text/*;q=0.9, text/csv;q=0, */*;q=0.1"), Some(Json)),
            (Some("text/html,text/csv"), Some(Csv)),
            (Some("text/html"), None),
            (Some("text/csv;q=0"), None),
            (Some("text/csv;q=2"), None),
            (Some("text/csv;q=0.1234"), None),
            (Some(""), None),
        ];
        for (accept, expected) in cases {
            let found = negotiate(accept.map(|text| Ok(text.to_owned()))).ok();
            assert_eq!(found, *expected, "{accept:?}");
        }
        assert!(negotiate(Some(Err(()))).is_err());
    }
}
