#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod dialect;
pub mod error;
pub mod filter;
pub mod path;
pub mod schema;
pub mod validate;

pub use dialect::{Deviation, Dialect, DialectContext};
pub use error::{Result, ScimError, ScimType};
pub use path::{AttrPath, AttrPathError};
pub use schema::{SchemaRegistry, urn};
pub use validate::{Operation, validate_resource};
