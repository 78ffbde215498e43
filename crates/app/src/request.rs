//! A request as the surface reads it: plain values that any HTTP server can fill in.

/// An HTTP method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`: served as `GET`; the server leaves the body out (RFC 9110 §9.3.2).
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
    /// Any other method, as sent.
    Other(String),
}

impl Method {
    /// The method from its name (case-sensitive, as HTTP methods are).
    pub fn parse(name: &str) -> Method {
        match name {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            other => Method::Other(other.to_owned()),
        }
    }

    /// The method's name.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Other(name) => name,
            standard => standard.standard_name().unwrap_or_default(),
        }
    }

    /// The name of a standard method (`None` for [`Method::Other`]).
    pub fn standard_name(&self) -> Option<&'static str> {
        Some(match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Other(_) => return None,
        })
    }

    /// `GET` or `HEAD`.
    pub fn is_get(&self) -> bool {
        matches!(self, Method::Get | Method::Head)
    }
}

/// Request headers: names lower-cased, values as sent (not necessarily text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, Vec<u8>)>);

impl Headers {
    /// No headers.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// Add a header (a repeated name keeps every value, in order).
    pub fn append(&mut self, name: &str, value: impl Into<Vec<u8>>) {
        self.0.push((name.to_ascii_lowercase(), value.into()));
    }

    /// The same headers with one more.
    pub fn with(mut self, name: &str, value: impl Into<Vec<u8>>) -> Headers {
        self.append(name, value);
        self
    }

    /// The first value of `name` (lower-case).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_slice())
    }

    /// Every value of `name` (lower-case), in order.
    pub fn get_all<'h>(&'h self, name: &'h str) -> impl Iterator<Item = &'h [u8]> + 'h {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_slice())
    }

    /// The first value of `name` as text: `None` when absent, `Some(Err(()))` when it is not
    /// visible ASCII (as HTTP header values should be).
    pub fn text(&self, name: &str) -> Option<Result<&str, ()>> {
        self.get(name).map(header_text)
    }
}

/// A header value as text, when it is visible ASCII (spaces and tabs allowed).
pub(crate) fn header_text(value: &[u8]) -> Result<&str, ()> {
    if value
        .iter()
        .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b))
    {
        std::str::from_utf8(value).map_err(|_| ())
    } else {
        Err(())
    }
}

/// A request body, or why the server did not read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// The body as received (empty when there was none).
    Bytes(Vec<u8>),
    /// Longer than [`crate::App::body_limit`] allowed: the server stopped reading.
    TooLarge,
    /// The connection failed while the body was read.
    Unreadable,
}

/// One HTTP request for [`crate::App::serve`].
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path below the API's mount point, percent-encoded as it arrived:
    /// `/Users/2819c223`, or `/` for the mount point itself.
    pub path: String,
    /// The query string without `?`, percent-encoded as it arrived (`""` without one).
    pub query: String,
    /// The headers.
    pub headers: Headers,
    /// The body.
    pub body: Body,
    /// The absolute URL of the mount point as the client reached it, e.g.
    /// `https://idp-facing.example/scim/v2` (scheme and host as the server saw them, behind
    /// a proxy from its forwarding headers): `meta.location` and `Location` start with it.
    pub base_url: String,
    /// The address of the connection's peer, when the server knows it (the client, or the
    /// proxy in front of it: see [`crate::ScimConfig::trusted_proxies`]).
    pub peer: Option<std::net::IpAddr>,
}

impl Request {
    /// A request without headers or body.
    pub fn new(method: Method, path: &str, base_url: &str) -> Request {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        Request {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers: Headers::new(),
            body: Body::Bytes(Vec::new()),
            base_url: base_url.to_owned(),
            peer: None,
        }
    }

    /// The same request from a connection whose peer is `peer`.
    pub fn with_peer(mut self, peer: std::net::IpAddr) -> Request {
        self.peer = Some(peer);
        self
    }

    /// The same request with a header.
    pub fn with_header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Request {
        self.headers.append(name, value);
        self
    }

    /// The same request with a body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = Body::Bytes(body.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_found_by_lower_case_name_and_checked_for_text() {
        let headers = Headers::new()
            .with("X-Request-Id", "abc")
            .with("If-Match", "W/\"1\"")
            .with("if-match", "W/\"2\"")
            .with("Authorization", b"Bearer \xff".to_vec());
        assert_eq!(headers.text("x-request-id"), Some(Ok("abc")));
        assert_eq!(headers.get_all("if-match").count(), 2);
        assert_eq!(headers.text("authorization"), Some(Err(())));
        assert_eq!(headers.text("content-type"), None);
    }

    #[test]
    fn a_new_request_splits_its_query() {
        let request = Request::new(Method::Get, "/Users?filter=x", "http://h/scim/v2");
        assert_eq!(
            (request.path.as_str(), request.query.as_str()),
            ("/Users", "filter=x")
        );
        assert_eq!(Method::parse("PATCH"), Method::Patch);
        assert_eq!(Method::parse("TRACE").as_str(), "TRACE");
    }
}
