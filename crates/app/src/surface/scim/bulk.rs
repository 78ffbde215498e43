//! `POST /Bulk` (RFC 7644 §3.7). The body (within `maxPayloadSize`) is parsed and planned
//! by `scim_core::bulk` before anything runs: a malformed request is a 400, too many
//! operations a 413. Then one transaction authenticates the credential once and runs the
//! operations (`provisioning/bulk.rs`). The answer is a 200 BulkResponse; a database
//! failure (not a protocol error of one operation) rolls the whole request back and
//! answers 500 or 503.

use scim_core::bulk::BulkRequest;

use super::links::location;
use crate::error::Error;
use crate::provisioning::run_bulk;
use crate::response::Response;
use crate::surface::body::Limit;
use crate::surface::call::Call;

/// `POST /Bulk`: a BulkResponse.
pub(crate) async fn bulk(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let body = call.json(Limit::Bulk)?;
    let max_operations = usize::try_from(call.app.config.max_bulk_operations).unwrap_or(usize::MAX);
    let bulk = BulkRequest::parse(&body, max_operations)?;
    let steps = scim_core::bulk::plan(&bulk);
    call.prehash_passwords(&credential, &body).await?;
    let base = call.base_url().to_owned();
    let outcome = call
        .scim_write(&credential, move |tx, context| {
            let location = |kind, id: &str| location(&base, kind, id);
            run_bulk(tx, context, &bulk, steps.clone(), &location)
        })
        .await?;
    Ok(Response::scim(200, &outcome.to_json()))
}
