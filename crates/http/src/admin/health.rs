//! `GET /admin/v1/health` (placeholder while it is written).

use actix_web::{HttpResponse, web};

use super::AdminError;
use crate::auth::BearerToken;
use crate::error::ApiError;
use crate::state::AppState;

/// `GET /admin/v1/health`.
pub(crate) async fn get(
    _state: web::Data<AppState>,
    _token: Result<BearerToken, ApiError>,
) -> Result<HttpResponse, AdminError> {
    Err(AdminError::new(501, "not_implemented", "not yet"))
}
