#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod bulk;
pub mod dialect;
pub mod discovery;
pub mod error;
pub mod filter;
pub mod identity;
pub mod patch;
pub mod path;
pub mod projection;
pub mod schema;
pub mod validate;

pub use dialect::{Deviation, Dialect, DialectContext};
pub use discovery::{
    ServiceProviderFeatures, resource_type_document, resource_types_list, schema_document,
    schemas_list, service_provider_config,
};
pub use error::{Result, ScimError, ScimType};
pub use path::{AttrPath, AttrPathError};
pub use projection::{Projection, REDACTED, project_default, redact_never_returned};
pub use schema::{SchemaRegistry, urn};
pub use validate::{Operation, validate_resource};
