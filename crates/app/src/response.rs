//! A response as the surface answers it: plain values that any HTTP server can write out.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::mpsc;

/// The media type of every SCIM response.
pub const SCIM_JSON: &str = "application/scim+json";

/// The media type of admin API responses.
pub const JSON: &str = "application/json";

/// One HTTP response from [`crate::App::serve`].
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-case.
    pub headers: Vec<(&'static str, String)>,
    /// The body (for a `HEAD` request too: the server leaves it out when it writes the
    /// response, as it does for any handler).
    pub body: Vec<u8>,
    /// A body written piece by piece as it is produced, instead of `body` (which is then
    /// empty): the access review.
    pub stream: Option<BodyStream>,
}

/// A body produced piece by piece (a `futures_core::Stream` of chunks), so a large answer
/// never sits in memory: the producer waits while the client reads. An `Err` chunk ends the
/// response early: the server closes the connection without finishing the body, which the
/// client sees as a truncated response.
pub struct BodyStream {
    chunks: mpsc::Receiver<Result<Bytes, std::io::Error>>,
}

/// Where a producer writes a [`BodyStream`]'s chunks; sending fails once the client is gone.
pub(crate) type BodySender = mpsc::Sender<Result<Bytes, std::io::Error>>;

impl BodyStream {
    /// A stream and its sender, holding at most `capacity` chunks not yet written.
    pub(crate) fn channel(capacity: usize) -> (BodySender, BodyStream) {
        let (sender, chunks) = mpsc::channel(capacity.max(1));
        (sender, BodyStream { chunks })
    }
}

impl futures_core::Stream for BodyStream {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.chunks.poll_recv(cx)
    }
}

impl std::fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BodyStream")
    }
}

impl Response {
    /// A response without headers or body.
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            stream: None,
        }
    }

    /// A body written as `stream` produces it, of media type `content_type`.
    pub fn streamed(status: u16, content_type: &str, stream: BodyStream) -> Response {
        let mut response = Response::empty(status).with_header("content-type", content_type);
        response.stream = Some(stream);
        response
    }

    /// A body of media type `content_type`.
    pub fn text(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response::empty(status)
            .with_header("content-type", content_type)
            .with_body(body)
    }

    /// A JSON body with the SCIM media type.
    pub fn scim(status: u16, body: &Value) -> Response {
        Response::empty(status)
            .with_header("content-type", SCIM_JSON)
            .with_body(body.to_string())
    }

    /// A JSON body with the plain JSON media type (the admin API).
    pub fn json(status: u16, body: &Value) -> Response {
        Response::empty(status)
            .with_header("content-type", JSON)
            .with_body(body.to_string())
    }

    /// The same response with one more header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    /// The same response with header `name` set to `value` alone (any value it had gone).
    pub fn replacing_header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers
            .retain(|(header, _)| !header.eq_ignore_ascii_case(name));
        self.with_header(name, value)
    }

    /// The same response with this body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }

    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }
}
