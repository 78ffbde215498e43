//! The SCIM 2.0 protocol under `/scim/v2` (RFC 7643, RFC 7644, RFC 9865): routes, lists,
//! cursors, links and one handler per action.

mod bulk;
pub(crate) mod cursor;
mod discovery;
mod links;
mod list;
mod me;
mod modify;
pub(crate) mod resources;
pub(crate) mod routes;
mod search;
