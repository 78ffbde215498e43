#![doc = include_str!("../README.md")]

mod auth;
mod blocking;
mod content;
mod cursor;
mod discovery;
mod error;
mod etag;
mod list;
mod logging;
mod patch;
mod resources;
mod response;
mod root_search;
mod routes;
mod state;

use actix_web::web;

pub use state::AppState;

/// Limits and defaults of the SCIM endpoints.
#[derive(Debug, Clone)]
pub struct ScimConfig {
    /// The largest request body accepted (413 beyond).
    pub max_body_bytes: usize,
    /// `count` when the client gives none.
    pub default_page_size: u64,
    /// The largest `count` honoured (larger ones are clamped).
    pub max_page_size: u64,
}

impl Default for ScimConfig {
    fn default() -> Self {
        ScimConfig {
            max_body_bytes: 1024 * 1024,
            default_page_size: 100,
            max_page_size: 1000,
        }
    }
}

/// Mount the SCIM routes under `/scim/v2` (its unknown paths and wrong methods answer
/// SCIM errors too).
pub fn configure(cfg: &mut web::ServiceConfig, state: AppState) {
    routes::configure(cfg, state);
}

/// A SCIM 404 body for paths outside every mounted scope (`App::default_service`).
pub async fn not_found() -> actix_web::HttpResponse {
    routes::not_found_response()
}
