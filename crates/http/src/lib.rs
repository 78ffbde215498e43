#![doc = include_str!("../README.md")]
//! API CONTRACT (written first so the binary can code against it; the implementation
//! keeps these names and signatures).

use std::sync::Arc;

use actix_web::web;
use rollcall_store::Store;
use scim_core::SchemaRegistry;

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

/// What the handlers share: the store, the schemas, the limits.
#[derive(Debug, Clone)]
pub struct AppState {
    store: Store,
    registry: Arc<SchemaRegistry>,
    config: Arc<ScimConfig>,
}

impl AppState {
    /// State over `store` with the standard schemas.
    pub fn new(store: Store, config: ScimConfig) -> Self {
        AppState {
            store,
            registry: Arc::new(SchemaRegistry::standard()),
            config: Arc::new(config),
        }
    }
}

/// Mount the SCIM routes under `/scim/v2` (its unknown paths and wrong methods answer
/// SCIM errors too).
pub fn configure(cfg: &mut web::ServiceConfig, state: AppState) {
    let _ = (cfg, state);
    todo!()
}

/// A SCIM 404 body for paths outside every mounted scope (`App::default_service`).
pub async fn not_found() -> actix_web::HttpResponse {
    todo!()
}
