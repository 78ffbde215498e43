//! `rollcall serve`: open (and migrate) the store, mount the SCIM routes, start the event
//! dispatcher (webhook deliveries), listen, and shut down gracefully on SIGINT/SIGTERM
//! (in-flight requests get [`SHUTDOWN_TIMEOUT_SECS`]; the dispatcher stops after its
//! delivery in progress). Background jobs (the purge of deleted users, the expiry of
//! grants, the pruning of the outbox) run meanwhile (`maintenance.rs`).

use std::net::SocketAddr;

use actix_web::{HttpServer, web};
use anyhow::Context;
use rollcall_app::{App, ScimConfig};
use rollcall_store::{Store, StoreOptions};

use crate::commands::demo;
use crate::config::{self, Settings};
use crate::maintenance;
use crate::urls::scim_base_url;

/// How long in-flight requests may run after a shutdown signal.
const SHUTDOWN_TIMEOUT_SECS: u64 = 10;

/// malloc arenas, at most (unless `MALLOC_ARENA_MAX` is set): glibc's default, 8 per core,
/// each keeping the memory freed in it, about doubled resident memory under load
/// (docs/benchmarks.md, "What the resident memory is made of").
const MALLOC_ARENAS: u32 = 2;

/// Run the server until it is told to stop.
pub fn run(settings: Settings) -> anyhow::Result<()> {
    // Before any thread starts: arenas already made would stay.
    rollcall_heap::cap_arenas(MALLOC_ARENAS);
    config::prepare_database(&settings.database_url)?;
    let options = config::store_options(StoreOptions {
        statement_cache: settings.statement_cache,
        ..StoreOptions::default()
    })?;
    let store =
        Store::open(&settings.database_url, &options, crate::clock::now()).with_context(|| {
            format!(
                "cannot open the database {}",
                config::redact(&settings.database_url)
            )
        })?;
    let findings = store
        .migration_findings()
        .context("reading the migration findings")?;
    if !findings.is_empty() {
        tracing::warn!(
            findings = findings.len(),
            "data migrations found rows to look at: `rollcall migrate` lists them"
        );
    }
    tracing::info!(
        database = %config::redact(&settings.database_url),
        backend = ?store.backend(),
        "database ready (migrations applied)"
    );
    let demo_org = if settings.demo {
        demo::ensure(&store)?
    } else {
        None
    };
    let scim_config = ScimConfig {
        max_body_bytes: settings.max_body_bytes,
        allow_private_webhook_addresses: settings.events.private_addresses,
        trusted_proxies: settings.trusted_proxies.clone(),
        oauth_token_lifetime: settings.oauth_token_lifetime,
        metrics_per_org: settings.metrics_per_org,
        metrics_on_main_address: settings.metrics_on_main_address,
        ..ScimConfig::default()
    };
    let app = App::new(store.clone(), scim_config);
    let dispatcher = rollcall_app::events::Dispatcher::new(store)
        .with_config(settings.events.clone())
        .with_metrics(app.metrics().clone())
        .spawn();
    let served = actix_web::rt::System::new().block_on(listen(&settings, app, demo_org));
    dispatcher.stop();
    served
}

async fn listen(
    settings: &Settings,
    app: App,
    demo_org: Option<demo::DemoOrg>,
) -> anyhow::Result<()> {
    let bind = settings.bind;
    // Deleted users' personal data is scrubbed, ended grants recorded and acknowledged
    // events pruned, in the background.
    maintenance::spawn(app.store(), settings.event_retention);
    let metrics = match settings.metrics_bind {
        Some(address) => Some(metrics_server(address, app.clone())?),
        None => {
            if !settings.metrics_on_main_address {
                tracing::info!(
                    "/metrics is not served: set metrics_bind (or --metrics-bind) to give it an \
                     address of its own"
                );
            }
            None
        }
    };
    // One console for every worker: its sessions are shared.
    let console = rollcall_http::Console::new(app.clone());
    let server = HttpServer::new(move || {
        let (scim, admin, health, oauth) = (app.clone(), app.clone(), app.clone(), app.clone());
        let console = console.clone();
        actix_web::App::new()
            .configure(|config| rollcall_http::configure_console(config, console))
            .configure(|config| rollcall_http::configure(config, scim))
            .configure(|config| rollcall_http::configure_admin(config, admin))
            .configure(|config| rollcall_http::configure_oauth(config, oauth))
            .configure(|config| rollcall_http::configure_health(config, health))
            .default_service(web::to(rollcall_http::not_found))
    })
    .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
    .bind(bind)
    .with_context(|| format!("cannot listen on {bind}"))?;
    let addresses = server.addrs();
    for address in &addresses {
        tracing::info!(%address, scim_base_url = %scim_base_url(*address), "listening");
    }
    if let (Some(org), Some(address)) = (demo_org, addresses.first()) {
        demo::print(&org, &scim_base_url(*address));
    }
    // actix stops at once on SIGINT (Ctrl-C) and gracefully only on SIGTERM: both are
    // graceful here, in-flight requests getting the shutdown timeout.
    let server = server.disable_signals().run();
    let handle = server.handle();
    let metrics_handle = metrics.as_ref().map(actix_web::dev::Server::handle);
    actix_web::rt::spawn(async move {
        let signal = stop_signal().await;
        tracing::info!(
            signal,
            grace_seconds = SHUTDOWN_TIMEOUT_SECS,
            "stopping gracefully: in-flight requests may finish"
        );
        handle.stop(true).await;
        if let Some(metrics) = metrics_handle {
            metrics.stop(true).await;
        }
    });
    if let Some(metrics) = metrics {
        actix_web::rt::spawn(async move {
            if let Err(error) = metrics.await {
                tracing::error!(%error, "the metrics server failed");
            }
        });
    }
    server.await.context("the server failed")?;
    tracing::info!("stopped");
    Ok(())
}

/// A server of its own for `/metrics` at `address` (one worker: a scrape every few seconds).
fn metrics_server(address: SocketAddr, app: App) -> anyhow::Result<actix_web::dev::Server> {
    let server = HttpServer::new(move || {
        let app = app.clone();
        actix_web::App::new()
            .configure(|config| rollcall_http::configure_metrics(config, app))
            .default_service(web::to(rollcall_http::not_found))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
    .bind(address)
    .with_context(|| format!("cannot listen on {address} (metrics_bind)"))?;
    for address in server.addrs() {
        tracing::info!(%address, "serving /metrics");
    }
    Ok(server.run())
}

/// The first of SIGINT and SIGTERM, by name (SIGINT alone where SIGTERM cannot be awaited).
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    if let Ok(mut terminate) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        return tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
    }
    let _ = tokio::signal::ctrl_c().await;
    "SIGINT"
}
