#![doc = include_str!("../README.md")]

mod adapter;

use actix_web::{HttpResponse, web};
use rollcall_app::Api;

pub use rollcall_app::{App, ScimConfig};
pub use rollcall_console::Console;

/// Mount the SCIM routes under `/scim/v2` (its unknown paths and wrong methods answer
/// SCIM errors too).
pub fn configure(cfg: &mut web::ServiceConfig, app: App) {
    adapter::mount(cfg, Api::Scim, app);
}

/// Mount the admin API under `/admin/v1` (PRODUCT.md §10), authenticated with an
/// organization's admin token; errors are `{"error": {"code", "message"}}`.
pub fn configure_admin(cfg: &mut web::ServiceConfig, app: App) {
    adapter::mount(cfg, Api::Admin, app);
}

/// Mount the OAuth 2.0 token endpoint, `POST /oauth/token` (client credentials grant,
/// PRODUCT.md §1); errors in RFC 6749's shape.
pub fn configure_oauth(cfg: &mut web::ServiceConfig, app: App) {
    adapter::mount_token(cfg, app);
}

/// Mount `/healthz` (liveness) and `/readyz` (the database answers) at the root; no token.
/// `/metrics` too when [`ScimConfig::metrics_on_main_address`] says so (otherwise serve it
/// elsewhere with [`configure_metrics`]).
pub fn configure_health(cfg: &mut web::ServiceConfig, app: App) {
    if app.config().metrics_on_main_address {
        configure_metrics(cfg, app.clone());
    }
    let app = web::Data::new(app);
    cfg.service(web::resource("/healthz").app_data(app.clone()).route(
        web::get().to(|app: web::Data<App>| async move { adapter::respond(app.liveness()) }),
    ))
    .service(web::resource("/readyz").app_data(app).route(
        web::get().to(|app: web::Data<App>| async move { adapter::respond(app.readiness().await) }),
    ));
}

/// Mount `GET /metrics` (Prometheus' text format; no token): on a server of its own, bound
/// to an address only the monitoring reaches (`metrics_bind`), unless the operator allows
/// it on the main address.
pub fn configure_metrics(cfg: &mut web::ServiceConfig, app: App) {
    cfg.service(
        web::resource("/metrics")
            .app_data(web::Data::new(app))
            .route(
                web::get()
                    .to(|app: web::Data<App>| async move { adapter::respond(app.scrape().await) }),
            ),
    );
}

/// Mount the admin console at `/console` (PRODUCT.md §8): HTML pages over the admin API,
/// signed in with an organization's admin token. Make the [`Console`] once and clone it
/// into every worker's App: its clones share the sessions.
pub fn configure_console(cfg: &mut web::ServiceConfig, console: Console) {
    adapter::mount_console(cfg, console);
}

/// A SCIM 404 body for paths outside every mounted scope (`App::default_service`).
pub async fn not_found() -> HttpResponse {
    adapter::respond(rollcall_app::no_such_endpoint(Api::Scim))
}
