//! `/Me` (RFC 7644 §3.11): the resource of the user a request is about. A SCIM credential
//! names an organization, not a person, so Rollcall cannot know the subject by itself:
//! `/Me` answers 501 unless an embedding service says who the subject is
//! (`App::with_me`), from whatever it authenticates (a session, a header its proxy sets).
//! Then `GET`, `PUT`, `PATCH` and `DELETE /Me` are those of `/Users/{id}` for that user,
//! inside the credential's organization (another organization's id is a 404); `POST /Me`
//! (self-registration) is not offered.

use rollcall_store::ResourceKind;
use scim_core::ScimError;

use super::modify::{Modification, modify};
use super::resources;
use crate::error::Error;
use crate::request::Method;
use crate::response::Response;
use crate::surface::call::Call;

/// Any request to `/Me`: the credential first (a request without one is a 401), then the
/// subject.
pub(crate) async fn me(call: &mut Call<'_>) -> Result<Response, Error> {
    let user = ResourceKind::User;
    call.credential()?;
    match call.request.method {
        Method::Get | Method::Head => {
            let id = subject(call)?;
            resources::get(call, user, id).await
        }
        Method::Put => {
            let id = subject(call)?;
            modify(call, user, id, Modification::Replace).await
        }
        Method::Patch => {
            let id = subject(call)?;
            modify(call, user, id, Modification::Patch).await
        }
        Method::Delete => {
            let id = subject(call)?;
            resources::delete(call, user, id).await
        }
        _ => other(call),
    }
}

/// The subject's id, or 501 / 404.
fn subject(call: &Call<'_>) -> Result<String, Error> {
    let Some(resolver) = &call.app.me else {
        return Err(Error::new(
            501,
            "/Me is not implemented: SCIM tokens name an organization, not a user",
        ));
    };
    resolver(call.request)
        .filter(|id| !crate::surface::path::names_nothing(id))
        .ok_or_else(|| ScimError::not_found("this request names no subject for /Me").into())
}

/// `POST /Me` and anything else: 501 (self-registration is not offered), after the
/// credential: a request without a valid one learns only that it needs one.
fn other(call: &Call<'_>) -> Result<Response, Error> {
    Err(Error::new(
        501,
        format!(
            "{} {} is not implemented",
            call.request.method.as_str(),
            call.full_path()
        ),
    ))
}
