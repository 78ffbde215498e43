//! Bulk requests (RFC 7644 §3.7): parsing, `bulkId` references and the order operations
//! run in. Pure: the HTTP layer runs the operations against the store.
//!
//! - [`BulkRequest::parse`] checks the envelope (schema, `Operations`, `failOnErrors`) and
//!   each operation (method, `bulkId`, `path`, `version`, `data`). A malformed request is
//!   refused whole, before anything runs; more than `maxOperations` operations is a 413.
//! - [`plan`] orders the operations: request order, except that an operation referring to
//!   `bulkId:x` runs after the POST that creates `x` (RFC 7644 §3.7.2). A reference to a
//!   `bulkId` no POST of the request defines, and references that go round in a circle
//!   (RFC 7644 §3.7.1), fail that operation and never hang.
//! - [`BulkOperation::resolve`] replaces each `bulkId:x` (in the path and anywhere in
//!   `data`) with the id the POST of `x` was given.

mod plan;
mod references;
mod request;

pub use plan::{Step, plan};
pub use references::BULK_ID_PREFIX;
pub use request::{BulkMethod, BulkOperation, BulkRequest, Endpoint, ResolvedOperation};
