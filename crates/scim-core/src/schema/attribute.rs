//! One attribute definition (RFC 7643 §2.2 and §7) and its characteristics.

use serde::{Deserialize, Serialize};

/// The data type of an attribute (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum AttrType {
    /// A Unicode string.
    #[default]
    String,
    /// `true` or `false`.
    Boolean,
    /// A real number.
    Decimal,
    /// A whole number.
    Integer,
    /// An `xsd:dateTime` string.
    DateTime,
    /// A URI reference.
    Reference,
    /// Base64-encoded bytes.
    Binary,
    /// A composition of sub-attributes.
    Complex,
}

impl AttrType {
    /// The type's name as RFC 7643 §7 spells it (`"dateTime"`, `"complex"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Reference => "reference",
            AttrType::Binary => "binary",
            AttrType::Complex => "complex",
        }
    }
}

/// Whether and when an attribute may be changed (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    /// Set by the service provider only; ignored on input.
    ReadOnly,
    /// May be updated and read.
    #[default]
    ReadWrite,
    /// May be set once, then never changed.
    Immutable,
    /// May be set, never returned.
    WriteOnly,
}

/// When an attribute is returned (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    /// Always returned, whatever `attributes`/`excludedAttributes` say.
    Always,
    /// Never returned.
    Never,
    /// Returned unless excluded.
    #[default]
    Default,
    /// Returned only when named in `attributes`.
    Request,
}

/// The uniqueness of an attribute's values (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    /// No uniqueness.
    #[default]
    None,
    /// Unique within the service provider's tenant.
    Server,
    /// Globally unique.
    Global,
}

/// One attribute definition: its name and characteristics, and for a complex
/// attribute its sub-attributes. Serialises to the RFC 7643 §7 representation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeDef {
    /// The attribute name as published (its canonical casing).
    pub name: String,
    /// The data type.
    #[serde(rename = "type", default)]
    pub ty: AttrType,
    /// Whether the attribute holds a list of values.
    #[serde(default)]
    pub multi_valued: bool,
    /// A human-readable description.
    #[serde(default)]
    pub description: String,
    /// Whether the attribute must be present on create and replace.
    #[serde(default)]
    pub required: bool,
    /// Allowed values, when the list is closed (compared case-insensitively).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<String>,
    /// Whether string comparisons are case-sensitive.
    #[serde(default)]
    pub case_exact: bool,
    /// Whether and when the attribute may change.
    #[serde(default)]
    pub mutability: Mutability,
    /// When the attribute is returned.
    #[serde(default)]
    pub returned: Returned,
    /// The uniqueness of the attribute's values.
    #[serde(default)]
    pub uniqueness: Uniqueness,
    /// For references, the resource types they may point at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_types: Vec<String>,
    /// For complex attributes, their sub-attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<AttributeDef>,
}

impl AttributeDef {
    /// An attribute with the RFC 7643 §2.2 defaults and the given type.
    pub fn new(name: impl Into<String>, ty: AttrType) -> Self {
        AttributeDef {
            name: name.into(),
            ty,
            multi_valued: false,
            description: String::new(),
            required: false,
            canonical_values: Vec::new(),
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            reference_types: Vec::new(),
            sub_attributes: Vec::new(),
        }
    }

    /// A string attribute.
    pub fn string(name: impl Into<String>) -> Self {
        Self::new(name, AttrType::String)
    }

    /// A boolean attribute.
    pub fn boolean(name: impl Into<String>) -> Self {
        Self::new(name, AttrType::Boolean)
    }

    /// A dateTime attribute.
    pub fn date_time(name: impl Into<String>) -> Self {
        Self::new(name, AttrType::DateTime)
    }

    /// A reference attribute pointing at the given resource types.
    pub fn reference(name: impl Into<String>, types: &[&str]) -> Self {
        Self::new(name, AttrType::Reference)
            .reference_types(types)
            .case_exact()
    }

    /// A complex attribute with these sub-attributes.
    pub fn complex(name: impl Into<String>, sub_attributes: Vec<AttributeDef>) -> Self {
        let mut def = Self::new(name, AttrType::Complex);
        def.sub_attributes = sub_attributes;
        def
    }

    /// Builder: set the description.
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Builder: multi-valued.
    pub fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    /// Builder: required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Builder: case-exact comparisons.
    pub fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    /// Builder: set the mutability.
    pub fn mutability(mut self, mutability: Mutability) -> Self {
        self.mutability = mutability;
        self
    }

    /// Builder: set when the attribute is returned.
    pub fn returned(mut self, returned: Returned) -> Self {
        self.returned = returned;
        self
    }

    /// Builder: set the uniqueness.
    pub fn uniqueness(mut self, uniqueness: Uniqueness) -> Self {
        self.uniqueness = uniqueness;
        self
    }

    /// Builder: set the canonical values.
    pub fn canonical(mut self, values: &[&str]) -> Self {
        self.canonical_values = values.iter().map(|v| (*v).to_owned()).collect();
        self
    }

    /// Builder: set the reference types.
    pub fn reference_types(mut self, types: &[&str]) -> Self {
        self.reference_types = types.iter().map(|v| (*v).to_owned()).collect();
        self
    }

    /// The sub-attribute with this name, compared case-insensitively.
    pub fn sub_attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_match_the_serialized_form() {
        use AttrType::*;
        for ty in [
            String, Boolean, Decimal, Integer, DateTime, Reference, Binary, Complex,
        ] {
            assert_eq!(serde_json::to_value(ty).ok(), Some(ty.as_str().into()));
        }
    }
}
