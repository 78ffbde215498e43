//! Resource types (RFC 7643 §6): a name, an endpoint, a core schema and its extensions.

use serde::{Deserialize, Serialize};

/// An extension schema attached to a resource type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaExtension {
    /// The extension's URN.
    pub schema: String,
    /// Whether every resource of the type must carry it.
    pub required: bool,
}

/// A resource type such as `User` or `Group`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceType {
    /// The type's id and name, e.g. `User`.
    pub id: String,
    /// The endpoint relative to the SCIM base, e.g. `/Users`.
    pub endpoint: String,
    /// A human-readable description.
    pub description: String,
    /// The URN of the core schema.
    pub schema: String,
    /// The extension schemas.
    pub schema_extensions: Vec<SchemaExtension>,
}

impl ResourceType {
    /// The User resource type with the Enterprise User extension.
    pub fn user() -> Self {
        ResourceType {
            id: "User".into(),
            endpoint: "/Users".into(),
            description: "User Account".into(),
            schema: super::urn::USER.into(),
            schema_extensions: vec![SchemaExtension {
                schema: super::urn::ENTERPRISE_USER.into(),
                required: false,
            }],
        }
    }

    /// The Group resource type.
    pub fn group() -> Self {
        ResourceType {
            id: "Group".into(),
            endpoint: "/Groups".into(),
            description: "Group".into(),
            schema: super::urn::GROUP.into(),
            schema_extensions: Vec::new(),
        }
    }

    /// Whether `urn` is this type's core schema or one of its extensions
    /// (case-insensitively).
    pub fn has_schema(&self, urn: &str) -> bool {
        self.schema.eq_ignore_ascii_case(urn)
            || self
                .schema_extensions
                .iter()
                .any(|e| e.schema.eq_ignore_ascii_case(urn))
    }
}
