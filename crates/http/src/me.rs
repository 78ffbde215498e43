//! `/Me` (RFC 7644 §3.11): the resource of the user a request is about. A SCIM bearer
//! token names an organization, not a person, so Rollcall cannot know the subject by itself:
//! `/Me` answers 501 unless an embedding service says who the subject is
//! (`AppState::with_me`), from whatever it authenticates (a session, a header its proxy
//! sets). Then `GET`, `PUT`, `PATCH` and `DELETE /Me` are those of `/Users/{id}` for that
//! user, inside the token's organization (another organization's id is a 404); `POST /Me`
//! (self-registration) is not offered.

use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use crate::auth::BearerToken;
use crate::content::JsonBody;
use crate::error::{ApiError, status_error};
use crate::resources::{self, Users};
use crate::state::AppState;

/// Who `/Me` is for a request: the SCIM `id` of its user, or `None` when the request
/// authenticates nobody (a 404).
pub type MeResolver = Arc<dyn Fn(&HttpRequest) -> Option<String> + Send + Sync>;

/// The subject of a `/Me` request, for `resources::path_id`.
#[derive(Debug, Clone)]
pub(crate) struct MeSubject(pub(crate) String);

/// Resolve the subject and record it in the request, or answer 501 / 404.
fn subject(request: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let Some(resolver) = &state.me else {
        return Err(status_error(
            501,
            "/Me is not implemented: SCIM tokens name an organization, not a user",
        )
        .into());
    };
    let id = resolver(request).ok_or_else(|| {
        ApiError::from(scim_core::ScimError::not_found(
            "this request names no subject for /Me",
        ))
    })?;
    request.extensions_mut().insert(MeSubject(id));
    Ok(())
}

/// `GET /Me`.
pub(crate) async fn get(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
) -> Result<HttpResponse, ApiError> {
    subject(&request, &state)?;
    resources::get::<Users>(request, state, token).await
}

/// `PUT /Me`.
pub(crate) async fn replace(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    subject(&request, &state)?;
    resources::replace::<Users>(request, state, token, body).await
}

/// `PATCH /Me`.
pub(crate) async fn patch(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    subject(&request, &state)?;
    crate::patch::patch::<Users>(request, state, token, body).await
}

/// `DELETE /Me`.
pub(crate) async fn delete(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
) -> Result<HttpResponse, ApiError> {
    subject(&request, &state)?;
    resources::delete::<Users>(request, state, token).await
}

/// `POST /Me` and anything else: 501 (self-registration is not offered), after the token:
/// a request without a valid one learns only that it needs one.
pub(crate) async fn other(
    request: HttpRequest,
    _token: BearerToken,
) -> Result<HttpResponse, ApiError> {
    Err(status_error(
        501,
        format!("{} {} is not implemented", request.method(), request.path()),
    )
    .into())
}
