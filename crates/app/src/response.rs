//! A response as the surface answers it: plain values that any HTTP server can write out.

use serde_json::Value;

/// The media type of every SCIM response.
pub const SCIM_JSON: &str = "application/scim+json";

/// The media type of admin API responses.
pub const JSON: &str = "application/json";

/// One HTTP response from [`crate::App::serve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-case.
    pub headers: Vec<(&'static str, String)>,
    /// The body (for a `HEAD` request too: the server leaves it out when it writes the
    /// response, as it does for any handler).
    pub body: Vec<u8>,
}

impl Response {
    /// A response without headers or body.
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
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
