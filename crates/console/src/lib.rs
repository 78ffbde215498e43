#![doc = include_str!("../README.md")]

mod admin;
mod assets;
mod chart;
mod form;
mod layout;
mod pages;
mod routes;
mod session;

use std::sync::Arc;

use rollcall_app::{App, Request, Response};

pub use session::COOKIE;

/// Where the console is mounted.
pub const MOUNT: &str = "/console";

/// The largest form body the console reads.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The console over an application: its pages, and the sessions of those signed in to this
/// instance. Cheap to clone; clones share the sessions.
#[derive(Debug, Clone)]
pub struct Console {
    app: App,
    sessions: Arc<session::Sessions>,
}

impl Console {
    /// The console of `app`.
    pub fn new(app: App) -> Console {
        Console {
            app,
            sessions: Arc::default(),
        }
    }

    /// The application it serves.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// Answer one request below [`MOUNT`] (its body read up to [`BODY_LIMIT`]).
    pub async fn serve(&self, request: Request) -> Response {
        let response = routes::dispatch(self, &request).await;
        layout::secure(response)
    }
}
