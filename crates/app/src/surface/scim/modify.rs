//! `PUT` and `PATCH` of `/Users/{id}` and `/Groups/{id}` (RFC 7644 §3.5.1, §3.5.2): the
//! read-modify-writes (the writes themselves are `provisioning/replace.rs` and
//! `provisioning/patch.rs`, shared with `/Bulk`).
//!
//! Both answer 200 with the projected resource, but a group PATCH answers 204 No Content,
//! as Entra ID expects, unless `attributes` or `excludedAttributes` ask for a body (then
//! members are read only if the projection shows them).

use std::sync::Arc;

use rollcall_store::{ResourceKind, Tx};

use super::links::{resource_response, with_location};
use super::list::{QueryParams, needs_members};
use crate::credential::Credential;
use crate::error::{Error, Failure};
use crate::provisioning::preconditions::Preconditions;
use crate::provisioning::{self, ATTEMPTS, Applied, Context, load_for_write};
use crate::response::Response;
use crate::surface::body::Limit;
use crate::surface::call::Call;

/// How a read-modify-write changes the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Modification {
    /// `PUT`: the body is the new resource.
    Replace,
    /// `PATCH`: the body is a PatchOp.
    Patch,
}

/// `PUT` or `PATCH` of resource `id`.
pub(crate) async fn modify(
    call: &mut Call<'_>,
    kind: ResourceKind,
    id: String,
    modification: Modification,
) -> Result<Response, Error> {
    let credential = call.credential()?;
    let body = Arc::new(call.json(Limit::Body)?);
    let params = QueryParams::from_query(&call.request.query)?;
    let respond_with_body = modification == Modification::Replace
        || kind == ResourceKind::User
        || params.has_projection();
    let preconditions = Preconditions::from_headers(&call.request.headers)?;
    call.prehash_passwords(&credential, &body).await?;
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
            let applied = match modification {
                Modification::Replace => {
                    provisioning::replace(tx, context, kind, existing, &body, reload_members)?
                }
                Modification::Patch => {
                    provisioning::patch(tx, context, kind, existing, &body, reload_members)?
                }
            };
            Ok(applied.map(|stored| (stored, context.schemas_handle(), projection)))
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

/// A read-modify-write of one existing resource: `write` reads the resource, checks the
/// client's preconditions and writes over the version it read, so a concurrent change
/// makes it fail with a 412 instead of being lost. Without client preconditions that
/// conflict is the server's to resolve: the whole transaction is tried again, up to
/// [`ATTEMPTS`] times in all.
async fn write_existing<T, F>(
    call: &mut Call<'_>,
    credential: &Credential,
    client_preconditions: bool,
    write: F,
) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnMut(&mut Tx<'_>, &Context<'_>) -> Result<Applied<T>, Failure> + Clone + Send + 'static,
{
    for _ in 1..ATTEMPTS {
        match call.scim_write(credential, write.clone()).await {
            Err(error) if !client_preconditions && error.status() == 412 => {
                tracing::debug!("a concurrent write won; trying again");
            }
            other => return other,
        }
    }
    call.scim_write(credential, write).await
}
