//! Reading a form body (`application/x-www-form-urlencoded`) and a query string.

use std::collections::HashMap;

use rollcall_app::{Body, Request};

/// The fields of a form or query string (a repeated field: its last value).
#[derive(Debug, Default)]
pub(crate) struct Form(HashMap<String, String>);

impl Form {
    /// The request's form body; empty when it has none or it is not a form.
    pub(crate) fn body(request: &Request) -> Form {
        match &request.body {
            Body::Bytes(bytes) => Form::parse(bytes),
            _ => Form::default(),
        }
    }

    /// The request's query string.
    pub(crate) fn query(request: &Request) -> Form {
        Form::parse(request.query.as_bytes())
    }

    fn parse(bytes: &[u8]) -> Form {
        Form(url::form_urlencoded::parse(bytes).into_owned().collect())
    }

    /// Field `name`, trimmed; `""` when absent.
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", |value| value.trim())
    }

    /// Field `name` when present and not blank.
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        Some(self.get(name)).filter(|value| !value.is_empty())
    }
}

/// `text` percent-encoded for a query string.
pub(crate) fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
