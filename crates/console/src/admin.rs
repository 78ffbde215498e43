//! The admin API as the console calls it: each call is a request to the admin surface of
//! the same application ([`rollcall_app::App::serve`] with [`Api::Admin`]), in process, with
//! the session's admin token as its credential. So every action of the console is validated,
//! recorded in the audit trail (the admin credential as actor) and emitted as an event
//! exactly as the same call over HTTP would be.

use std::sync::atomic::{AtomicBool, Ordering};

use rollcall_app::{Api, App, Body, Headers, Method, Request};
use serde_json::Value;

/// An admin answer: its status and JSON body (`Null` when empty).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Value,
    /// `Retry-After` of a 429.
    pub(crate) retry_after: Option<String>,
}

impl Answer {
    /// Whether it succeeded.
    pub(crate) fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The admin error's message, for the page.
    pub(crate) fn message(&self) -> String {
        self.body["error"]["message"].as_str().map_or_else(
            || format!("the request failed ({})", self.status),
            str::to_owned,
        )
    }
}

/// The admin API for one console request.
#[derive(Debug)]
pub(crate) struct Admin<'a> {
    app: &'a App,
    token: String,
    /// Set once an answer was 401: the token no longer signs anyone in.
    refused: AtomicBool,
    /// The console request's origin (`https://host`), so answers name the right URLs.
    origin: String,
    /// What the console request came with that the surface reads: its peer, and the
    /// headers that name the client and the request.
    incoming: &'a Request,
}

impl<'a> Admin<'a> {
    pub(crate) fn new(app: &'a App, token: String, incoming: &'a Request) -> Admin<'a> {
        Admin {
            app,
            token,
            refused: AtomicBool::new(false),
            origin: origin(incoming),
            incoming,
        }
    }

    /// `GET path` (below `/admin/v1`, with its query string).
    pub(crate) async fn get(&self, path_and_query: &str) -> Answer {
        self.call(Method::Get, path_and_query, None).await
    }

    /// `POST path` with a JSON body.
    pub(crate) async fn post(&self, path_and_query: &str, body: &Value) -> Answer {
        self.call(Method::Post, path_and_query, Some(body)).await
    }

    /// `DELETE path`.
    pub(crate) async fn delete(&self, path: &str) -> Answer {
        self.call(Method::Delete, path, None).await
    }

    async fn call(&self, method: Method, path_and_query: &str, body: Option<&Value>) -> Answer {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut headers = Headers::new()
            .with("authorization", format!("Bearer {}", self.token))
            .with("accept", "application/json");
        for name in ["x-request-id", "x-forwarded-for", "forwarded", "user-agent"] {
            for value in self.incoming.headers.get_all(name) {
                headers.append(name, value.to_vec());
            }
        }
        let body = match body {
            Some(body) => {
                headers.append("content-type", "application/json");
                Body::Bytes(body.to_string().into_bytes())
            }
            None => Body::Bytes(Vec::new()),
        };
        let request = Request {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body,
            base_url: format!("{}{}", self.origin, Api::Admin.prefix()),
            peer: self.incoming.peer,
        };
        let response = self.app.serve(Api::Admin, request).await;
        if response.status == 401 {
            self.refused.store(true, Ordering::Relaxed);
        }
        let body = if response.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&response.body).unwrap_or(Value::Null)
        };
        Answer {
            status: response.status,
            retry_after: response.header("retry-after").map(str::to_owned),
            body,
        }
    }
}

impl Admin<'_> {
    /// Whether an answer was 401 (the token revoked or expired since the sign-in).
    pub(crate) fn refused(&self) -> bool {
        self.refused.load(Ordering::Relaxed)
    }
}

/// `scheme://host` of a console request (its base URL without the mount).
pub(crate) fn origin(request: &Request) -> String {
    request
        .base_url
        .strip_suffix(crate::MOUNT)
        .unwrap_or(&request.base_url)
        .to_owned()
}
