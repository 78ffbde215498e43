//! Schemas as data: RFC 7643 attribute definitions, the User, Group and
//! Enterprise User schemas, resource types, and a registry that also takes
//! custom extension schemas at run time.

mod attribute;
mod common;
mod enterprise;
mod group;
mod registry;
mod resource_type;
mod user;

pub use attribute::{AttrType, AttributeDef, Mutability, Returned, Uniqueness};
pub use common::common_attributes;
pub use enterprise::enterprise_user_schema;
pub use group::group_schema;
pub use registry::{AttrLocation, AttrRef, RegistryError, SchemaRegistry};
pub use resource_type::{ResourceType, SchemaExtension};
pub use user::user_schema;

use serde::{Deserialize, Serialize};

/// Schema and message URNs defined by RFC 7643 and RFC 7644.
pub mod urn {
    /// The core User schema.
    pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
    /// The core Group schema.
    pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
    /// The Enterprise User extension.
    pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    /// The schema of `/Schemas` entries.
    pub const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
    /// The schema of `/ResourceTypes` entries.
    pub const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
    /// The `/ServiceProviderConfig` schema.
    pub const SERVICE_PROVIDER_CONFIG: &str =
        "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
    /// A list response.
    pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    /// A PATCH request.
    pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    /// A `/.search` request.
    pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
    /// A bulk request.
    pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
    /// A bulk response.
    pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
    /// An error response.
    pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
    /// The group schema URI that Microsoft Entra ID sends (PRODUCT.md §3).
    pub const ENTRA_GROUP: &str =
        "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
}

/// A schema: a URN, a name and its attributes (RFC 7643 §7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    /// The schema URN, e.g. `urn:ietf:params:scim:schemas:core:2.0:User`.
    pub id: String,
    /// A human-readable name.
    #[serde(default)]
    pub name: String,
    /// A human-readable description.
    #[serde(default)]
    pub description: String,
    /// The top-level attributes.
    #[serde(default)]
    pub attributes: Vec<AttributeDef>,
}

impl Schema {
    /// A schema with the given URN, name, description and attributes.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        description: impl Into<String>,
        attributes: Vec<AttributeDef>,
    ) -> Self {
        Schema {
            id: id.into(),
            name: name.into(),
            description: description.into(),
            attributes,
        }
    }

    /// The top-level attribute with this name, compared case-insensitively.
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}
