//! `PATCH /Users/{id}` and `PATCH /Groups/{id}` (RFC 7644 §3.5.2; the write itself is
//! `provisioning/patch.rs`, shared with `/Bulk`). A user answers 200 with the projected
//! user. A group answers 204 No Content, as Entra ID expects, unless `attributes` or
//! `excludedAttributes` ask for a body: then 200 with the projected group (members read
//! only if the projection shows them).

use std::sync::Arc;

use rollcall_store::ResourceKind;

use super::links::{resource_response, with_location};
use super::list::{QueryParams, needs_members};
use super::resources::write_existing;
use crate::error::Error;
use crate::provisioning::preconditions::Preconditions;
use crate::provisioning::{self, load_for_write};
use crate::response::Response;
use crate::surface::body::Limit;
use crate::surface::call::Call;

/// `PATCH /Users/{id}`, `PATCH /Groups/{id}`.
pub(crate) async fn patch(
    call: &mut Call<'_>,
    kind: ResourceKind,
    id: String,
) -> Result<Response, Error> {
    let credential = call.credential()?;
    let body = Arc::new(call.json(Limit::Body)?);
    let params = QueryParams::from_query(&call.request.query);
    // A group answers 204 unless the client asks for attributes (Entra ID's expectation).
    let respond_with_body = kind == ResourceKind::User || params.has_projection();
    let preconditions = Preconditions::from_headers(&call.request.headers)?;
    let (stored, schemas, projection) = write_existing(
        call,
        &credential,
        !preconditions.is_empty(),
        move |tx, context| {
            let existing = load_for_write(tx, context, kind, &id, &preconditions)?;
            let rt = context.resource_type(kind)?;
            let projection = params.projection(context.schemas, rt)?;
            let reload_members =
                respond_with_body && needs_members(context.schemas, rt, kind, &projection);
            Ok(
                provisioning::patch(tx, context, kind, existing, &body, reload_members)?
                    .map(|stored| (stored, context.schemas_handle(), projection)),
            )
        },
    )
    .await?;
    if !respond_with_body {
        return Ok(Response::empty(204).with_header("etag", stored.etag()));
    }
    let rt = provisioning::resource_type(&schemas, kind)?;
    let body = projection.apply(&schemas, rt, &with_location(call.base_url(), kind, &stored));
    Ok(resource_response(200, &stored.etag(), &body))
}
