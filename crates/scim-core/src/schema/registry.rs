//! The schema registry: the standard schemas plus custom extensions added at
//! run time, and the resolution of attribute paths to their definitions.

use super::{
    AttributeDef, ResourceType, Schema, SchemaExtension, common_attributes, enterprise_user_schema,
    group_schema, user_schema,
};
use crate::path::AttrPath;

/// Why a schema cannot be added to or removed from the registry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The schema id is not a `urn:` URI.
    #[error("schema id {0:?} is not a URN")]
    InvalidUrn(String),
    /// A schema with this id is already registered.
    #[error("schema {0:?} is already registered")]
    DuplicateSchema(String),
    /// The resource type does not exist.
    #[error("unknown resource type {0:?}")]
    UnknownResourceType(String),
    /// The schema is not a removable extension.
    #[error("schema {0:?} is not a custom extension")]
    NotAnExtension(String),
    /// An attribute definition is unusable.
    #[error("attribute {name:?}: {reason}")]
    InvalidAttribute {
        /// The attribute's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Where a resolved attribute lives in a resource's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrLocation<'r> {
    /// `id`, `externalId` or `meta`: top level, in no schema.
    Common,
    /// An attribute of the resource type's core schema: top level.
    Core,
    /// An attribute of an extension: under the extension's URN key.
    Extension(&'r str),
}

/// An attribute path resolved against the registry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttrRef<'r> {
    /// Where the attribute lives.
    pub location: AttrLocation<'r>,
    /// The top-level attribute.
    pub attribute: &'r AttributeDef,
    /// The sub-attribute, for `attr.sub`.
    pub sub_attribute: Option<&'r AttributeDef>,
}

impl<'r> AttrRef<'r> {
    /// The definition the path ends at: the sub-attribute if any, else the attribute.
    pub fn target(&self) -> &'r AttributeDef {
        self.sub_attribute.unwrap_or(self.attribute)
    }

    /// The canonical path, with canonical casing and the URN of an extension.
    pub fn canonical_path(&self) -> AttrPath {
        let mut path = AttrPath::new(self.attribute.name.clone());
        if let AttrLocation::Extension(urn) = self.location {
            path.urn = Some(urn.to_owned());
        }
        if let Some(sub) = self.sub_attribute {
            path.sub_attr = Some(sub.name.clone());
        }
        path
    }
}

/// Every schema and resource type a service provider knows.
#[derive(Debug, Clone)]
pub struct SchemaRegistry {
    schemas: Vec<Schema>,
    resource_types: Vec<ResourceType>,
    common: Vec<AttributeDef>,
    standard_count: usize,
}

impl Default for SchemaRegistry {
    fn default() -> Self {
        Self::standard()
    }
}

impl SchemaRegistry {
    /// User (with the Enterprise extension) and Group.
    pub fn standard() -> Self {
        let schemas = vec![user_schema(), enterprise_user_schema(), group_schema()];
        SchemaRegistry {
            standard_count: schemas.len(),
            schemas,
            resource_types: vec![ResourceType::user(), ResourceType::group()],
            common: common_attributes(),
        }
    }

    /// Every schema, standard ones first.
    pub fn schemas(&self) -> &[Schema] {
        &self.schemas
    }

    /// The schema with this URN, compared case-insensitively.
    pub fn schema(&self, urn: &str) -> Option<&Schema> {
        self.schemas.iter().find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Every resource type.
    pub fn resource_types(&self) -> &[ResourceType] {
        &self.resource_types
    }

    /// The resource type with this id (`User`, `Group`), case-insensitively.
    pub fn resource_type(&self, id: &str) -> Option<&ResourceType> {
        self.resource_types
            .iter()
            .find(|rt| rt.id.eq_ignore_ascii_case(id))
    }

    /// The common attributes `id`, `externalId` and `meta`.
    pub fn common_attributes(&self) -> &[AttributeDef] {
        &self.common
    }

    /// Whether `urn` names a custom extension added at run time.
    pub fn is_custom(&self, urn: &str) -> bool {
        self.schemas[self.standard_count..]
            .iter()
            .any(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Add a custom extension schema to a resource type.
    pub fn add_extension(
        &mut self,
        resource_type: &str,
        schema: Schema,
        required: bool,
    ) -> Result<(), RegistryError> {
        if !schema
            .id
            .get(..4)
            .is_some_and(|s| s.eq_ignore_ascii_case("urn:"))
            || schema.id.len() < 5
        {
            return Err(RegistryError::InvalidUrn(schema.id));
        }
        if self.schema(&schema.id).is_some() {
            return Err(RegistryError::DuplicateSchema(schema.id));
        }
        check_attributes(&schema.attributes, true)?;
        let rt = self
            .resource_types
            .iter_mut()
            .find(|rt| rt.id.eq_ignore_ascii_case(resource_type))
            .ok_or_else(|| RegistryError::UnknownResourceType(resource_type.to_owned()))?;
        rt.schema_extensions.push(SchemaExtension {
            schema: schema.id.clone(),
            required,
        });
        self.schemas.push(schema);
        Ok(())
    }

    /// Remove a custom extension schema (standard schemas cannot be removed).
    pub fn remove_extension(&mut self, urn: &str) -> Result<Schema, RegistryError> {
        let index = self.schemas[self.standard_count..]
            .iter()
            .position(|s| s.id.eq_ignore_ascii_case(urn))
            .ok_or_else(|| RegistryError::NotAnExtension(urn.to_owned()))?;
        let schema = self.schemas.remove(self.standard_count + index);
        for rt in &mut self.resource_types {
            rt.schema_extensions
                .retain(|e| !e.schema.eq_ignore_ascii_case(&schema.id));
        }
        Ok(schema)
    }

    /// If `path` names a whole extension of `rt` (its URN with no attribute,
    /// which parses as URN prefix + last segment), that extension's schema.
    pub fn extension_named(&self, rt: &ResourceType, path: &AttrPath) -> Option<&Schema> {
        let urn = path.urn.as_deref()?;
        if path.sub_attr.is_some() {
            return None;
        }
        let full = format!("{urn}:{}", path.name);
        let ext = rt
            .schema_extensions
            .iter()
            .find(|e| e.schema.eq_ignore_ascii_case(&full))?;
        self.schema(&ext.schema)
    }

    /// Resolve a path against a resource type, case-insensitively. An
    /// unqualified name is looked up among the common attributes and then the
    /// core schema; a URN-qualified one in the schema it names. `None` when
    /// the path names no attribute of the type.
    pub fn resolve<'r>(&'r self, rt: &ResourceType, path: &AttrPath) -> Option<AttrRef<'r>> {
        let (location, attribute) = match path.urn.as_deref() {
            None => self.resolve_unqualified(rt, &path.name)?,
            Some(urn) if rt.schema.eq_ignore_ascii_case(urn) => {
                self.resolve_unqualified(rt, &path.name)?
            }
            Some(urn) => {
                let ext = rt
                    .schema_extensions
                    .iter()
                    .find(|e| e.schema.eq_ignore_ascii_case(urn))?;
                let schema = self.schema(&ext.schema)?;
                (
                    AttrLocation::Extension(schema.id.as_str()),
                    schema.attribute(&path.name)?,
                )
            }
        };
        let sub_attribute = match &path.sub_attr {
            None => None,
            Some(sub) => Some(attribute.sub_attribute(sub)?),
        };
        Some(AttrRef {
            location,
            attribute,
            sub_attribute,
        })
    }

    fn resolve_unqualified<'r>(
        &'r self,
        rt: &ResourceType,
        name: &str,
    ) -> Option<(AttrLocation<'r>, &'r AttributeDef)> {
        if let Some(common) = self
            .common
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
        {
            return Some((AttrLocation::Common, common));
        }
        let core = self.schema(&rt.schema)?;
        Some((AttrLocation::Core, core.attribute(name)?))
    }
}

/// Names are valid attribute names, unique (case-insensitively) per level,
/// and only complex attributes have sub-attributes, one level deep.
fn check_attributes(attributes: &[AttributeDef], top_level: bool) -> Result<(), RegistryError> {
    for (i, attr) in attributes.iter().enumerate() {
        let invalid = |reason: &str| RegistryError::InvalidAttribute {
            name: attr.name.clone(),
            reason: reason.to_owned(),
        };
        if AttrPath::parse(&attr.name).map(|p| p.urn.is_none() && p.sub_attr.is_none()) != Ok(true)
        {
            return Err(invalid("not a valid attribute name"));
        }
        if attributes[..i]
            .iter()
            .any(|other| other.name.eq_ignore_ascii_case(&attr.name))
        {
            return Err(invalid("defined twice"));
        }
        let complex = attr.ty == super::AttrType::Complex;
        if complex && !top_level {
            return Err(invalid("complex sub-attributes are not allowed"));
        }
        if complex && attr.sub_attributes.is_empty() {
            return Err(invalid("a complex attribute needs sub-attributes"));
        }
        if !complex && !attr.sub_attributes.is_empty() {
            return Err(invalid("only complex attributes have sub-attributes"));
        }
        check_attributes(&attr.sub_attributes, false)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{AttrType, urn};

    fn resolved(path: &str, rt: &str) -> Option<String> {
        let registry = SchemaRegistry::standard();
        let rt = registry.resource_type(rt)?;
        let path = AttrPath::parse(path).ok()?;
        registry
            .resolve(rt, &path)
            .map(|r| r.canonical_path().to_string())
    }

    #[test]
    fn resolves_case_insensitively() {
        let ent = urn::ENTERPRISE_USER;
        let cases: &[(&str, &str, Option<String>)] = &[
            ("userName", "User", Some("userName".into())),
            ("USERNAME", "User", Some("userName".into())),
            ("name.GIVENNAME", "User", Some("name.givenName".into())),
            ("emails.value", "User", Some("emails.value".into())),
            ("id", "User", Some("id".into())),
            (
                "meta.lastModified",
                "Group",
                Some("meta.lastModified".into()),
            ),
            (
                "urn:ietf:params:scim:schemas:core:2.0:User:userName",
                "User",
                Some("userName".into()),
            ),
            (
                &format!("{}:Manager.Value", ent.to_uppercase()),
                "User",
                Some(format!("{ent}:manager.value")),
            ),
            (
                &format!("{ent}:employeeNumber"),
                "User",
                Some(format!("{ent}:employeeNumber")),
            ),
            (&format!("{ent}:employeeNumber"), "Group", None),
            ("employeeNumber", "User", None),
            ("members.value", "Group", Some("members.value".into())),
            ("members.value", "User", None),
            ("userName.value", "User", None),
            ("nope", "User", None),
        ];
        for (path, rt, expected) in cases {
            assert_eq!(&resolved(path, rt), expected, "{path} on {rt}");
        }
    }

    #[test]
    fn custom_extensions_come_and_go() {
        let mut registry = SchemaRegistry::standard();
        let urn = "urn:example:params:scim:schemas:extension:acme:2.0:User";
        let schema = Schema::new(
            urn,
            "AcmeUser",
            "",
            vec![
                AttributeDef::string("employeeType"),
                AttributeDef::new("clearanceLevel", AttrType::Integer),
            ],
        );
        registry
            .add_extension("User", schema.clone(), false)
            .expect("valid extension");
        assert!(registry.is_custom(urn));
        assert_eq!(
            registry.add_extension("User", schema, false),
            Err(RegistryError::DuplicateSchema(urn.into()))
        );
        assert_eq!(resolved("userName", "User"), Some("userName".into()));
        let rt = registry.resource_type("user").cloned();
        let path = AttrPath::parse(&format!("{urn}:EMPLOYEETYPE")).ok();
        let found = rt
            .as_ref()
            .zip(path.as_ref())
            .and_then(|(rt, p)| registry.resolve(rt, p));
        assert_eq!(
            found.map(|r| r.attribute.name.as_str()),
            Some("employeeType")
        );
        assert!(registry.remove_extension(urn).is_ok());
        assert!(registry.remove_extension(urn::USER).is_err());
        assert!(
            registry
                .resource_type("User")
                .is_some_and(|rt| !rt.has_schema(urn))
        );
    }

    #[test]
    fn rejects_bad_extensions() {
        let mut registry = SchemaRegistry::standard();
        let bad = |attrs| Schema::new("urn:x:ext", "", "", attrs);
        assert!(
            registry
                .add_extension("User", bad(vec![AttributeDef::string("1x")]), false)
                .is_err()
        );
        assert!(
            registry
                .add_extension(
                    "User",
                    bad(vec![AttributeDef::string("a"), AttributeDef::string("A")]),
                    false
                )
                .is_err()
        );
        assert!(
            registry
                .add_extension("User", Schema::new("not-a-urn", "", "", vec![]), false)
                .is_err()
        );
        assert!(
            registry
                .add_extension("Widget", bad(vec![]), false)
                .is_err()
        );
    }
}
