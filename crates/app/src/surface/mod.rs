//! The framework-neutral request surface: [`crate::App::serve`] turns a
//! [`crate::Request`] into a [`crate::Response`] for either API. `pipeline.rs` serves one
//! request (id, route, failures settled, log line); `scim/` and `admin/` hold each API's
//! routes and handlers; `health.rs` the probes.

pub(crate) mod admin;
pub(crate) mod body;
pub(crate) mod call;
pub(crate) mod health;
pub(crate) mod oauth;
pub(crate) mod path;
mod pipeline;
pub(crate) mod request_id;
pub(crate) mod scim;
mod unique_keys;
