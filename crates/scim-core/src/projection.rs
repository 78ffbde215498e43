//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) and the
//! `returned` characteristic (RFC 7643 §7).
//!
//! - `returned: always` (`id`; `schemas` is not an attribute but is always
//!   kept) survives every projection; `never` (`password`) never appears;
//!   `default` appears unless excluded, or unless `attributes` is given and
//!   names neither it, its parent nor one of its sub-attributes; `request`
//!   appears only when named in `attributes`.
//! - Naming a complex attribute (`name`) returns all of it; naming a
//!   sub-attribute (`name.givenName`, `emails.value`) returns only the named
//!   sub-attributes (of every element, for a multi-valued attribute).
//! - An extension URN alone names the whole extension; an extension is left
//!   out when nothing of it remains.
//!
//! Decisions the RFC leaves open:
//! - Names that are not attributes of the resource type are ignored (a client
//!   may ask for attributes this server does not have); an entry that is not
//!   an attribute path at all is a 400 `invalidValue`. Empty entries
//!   (`"a,,b"`, an empty parameter) are ignored.
//! - When both parameters are given, `attributes` wins and
//!   `excludedAttributes` is ignored: the RFC presents them as alternatives,
//!   and refusing the request would break clients that send both.

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::path::AttrPath;
use crate::schema::{AttrLocation, AttrType, AttributeDef, ResourceType, Returned, SchemaRegistry};

/// What a projection selects: a whole extension, or an attribute or
/// sub-attribute (canonical names; `urn` only for extension attributes).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Extension(String),
    Attribute {
        urn: Option<String>,
        name: String,
        sub: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    /// No parameter: everything but `never` and `request` attributes.
    Default,
    /// `attributes`: only these (and `always` attributes).
    Include(Vec<Target>),
    /// `excludedAttributes`: everything but these (and `request` attributes).
    Exclude(Vec<Target>),
}

/// The `returned` characteristic of one attribute or sub-attribute of the
/// resource type, as [`Projection::excludes`] looks it up.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ReturnedEntry {
    urn: Option<String>,
    name: String,
    sub: Option<String>,
    returned: Returned,
}

/// A parsed `attributes` / `excludedAttributes` pair for one resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    mode: Mode,
    core_urn: String,
}

impl Projection {
    /// Parse the comma-separated `attributes` and `excludedAttributes`
    /// parameters (attribute paths, URN-qualified or not, sub-attributes,
    /// whole extension URNs) for resources of type `rt`.
    ///
    /// # Errors
    /// 400 `invalidValue` when an entry is not an attribute path.
    pub fn parse(
        registry: &SchemaRegistry,
        rt: &ResourceType,
        attributes: Option<&str>,
        excluded_attributes: Option<&str>,
    ) -> Result<Self, ScimError> {
        let attributes = parse_list(registry, rt, attributes, "attributes")?;
        let excluded = parse_list(registry, rt, excluded_attributes, "excludedAttributes")?;
        let mode = match (attributes, excluded) {
            (Some(targets), _) => Mode::Include(targets),
            (None, Some(targets)) => Mode::Exclude(targets),
            (None, None) => Mode::Default,
        };
        Ok(Projection {
            mode,
            core_urn: rt.schema.clone(),
        })
    }

    /// The projection without parameters: strips `never` and `request`
    /// attributes, keeps the rest.
    pub fn default_for(_registry: &SchemaRegistry, rt: &ResourceType) -> Self {
        Projection {
            mode: Mode::Default,
            core_urn: rt.schema.clone(),
        }
    }

    /// The resource as the client may see it under this projection.
    pub fn apply(&self, registry: &SchemaRegistry, rt: &ResourceType, resource: &Value) -> Value {
        let Some(object) = resource.as_object() else {
            return resource.clone();
        };
        let core = registry.schema(&rt.schema);
        let mut output = Map::new();
        for (key, value) in object {
            if key.eq_ignore_ascii_case("schemas") {
                output.insert(key.clone(), value.clone());
                continue;
            }
            let top_level = registry
                .common_attributes()
                .iter()
                .chain(core.map(|c| c.attributes.as_slice()).unwrap_or_default())
                .find(|a| a.name.eq_ignore_ascii_case(key));
            if let Some(attribute) = top_level {
                if let Some(value) = self.project_attribute(None, attribute, value) {
                    output.insert(key.clone(), value);
                }
                continue;
            }
            let extension = rt
                .schema_extensions
                .iter()
                .find(|e| e.schema.eq_ignore_ascii_case(key))
                .and_then(|e| registry.schema(&e.schema));
            if let (Some(schema), Some(attributes)) = (extension, value.as_object()) {
                let mut projected = Map::new();
                for (name, value) in attributes {
                    let Some(attribute) = schema.attribute(name) else {
                        continue;
                    };
                    if let Some(value) = self.project_attribute(Some(&schema.id), attribute, value)
                    {
                        projected.insert(name.clone(), value);
                    }
                }
                if !projected.is_empty() {
                    output.insert(key.clone(), Value::Object(projected));
                }
            }
        }
        Value::Object(output)
    }

    /// Whether the attribute or sub-attribute at `path` is certainly absent
    /// from every resource this projection returns, so a store may skip
    /// loading it (e.g. `members` under `excludedAttributes=members`).
    /// Paths that are not attributes of the resource type answer `false`.
    pub fn excludes(&self, registry: &SchemaRegistry, rt: &ResourceType, path: &AttrPath) -> bool {
        let table = returned_entries(registry, rt);
        if let Some(whole) = whole_extension(&table, path) {
            return match &self.mode {
                Mode::Default => false,
                Mode::Exclude(targets) => targets.contains(&Target::Extension(whole.clone())),
                Mode::Include(targets) => !targets.iter().any(|t| match t {
                    Target::Extension(urn) => urn == &whole,
                    Target::Attribute { urn, .. } => urn.as_deref() == Some(whole.as_str()),
                }),
            };
        }
        let urn = self.extension_urn(path);
        let Some(top) = entry(&table, urn.as_deref(), &path.name, None) else {
            return false;
        };
        let sub = match &path.sub_attr {
            Some(sub) => match entry(&table, urn.as_deref(), &path.name, Some(sub)) {
                Some(entry) => Some(entry),
                None => return false,
            },
            None => None,
        };
        if top.returned == Returned::Never || sub.is_some_and(|s| s.returned == Returned::Never) {
            return true;
        }
        if top.returned == Returned::Always || sub.is_some_and(|s| s.returned == Returned::Always) {
            return false;
        }
        let requested_only = top.returned == Returned::Request
            || sub.is_some_and(|s| s.returned == Returned::Request);
        let sub_name = sub.and_then(|s| s.sub.as_deref());
        match &self.mode {
            Mode::Default => requested_only,
            Mode::Exclude(targets) => {
                requested_only
                    || targets.iter().any(|t| match t {
                        Target::Extension(ext) => top.urn.as_deref() == Some(ext.as_str()),
                        Target::Attribute { urn, name, sub } => {
                            urn == &top.urn
                                && name == &top.name
                                && (sub.is_none()
                                    || sub.as_deref() == sub_name && sub_name.is_some())
                        }
                    })
            }
            Mode::Include(targets) => !targets.iter().any(|t| match t {
                Target::Extension(ext) => top.urn.as_deref() == Some(ext.as_str()),
                Target::Attribute { urn, name, sub } => {
                    urn == &top.urn
                        && name == &top.name
                        && (sub.is_none() || sub_name.is_none() || sub.as_deref() == sub_name)
                }
            }),
        }
    }

    /// The extension URN of `path` (`None` for the core schema or none).
    fn extension_urn(&self, path: &AttrPath) -> Option<String> {
        path.urn
            .as_deref()
            .filter(|urn| !urn.eq_ignore_ascii_case(&self.core_urn))
            .map(str::to_owned)
    }

    /// One top-level attribute's value under the projection, `None` to drop it.
    fn project_attribute(
        &self,
        urn: Option<&str>,
        attribute: &AttributeDef,
        value: &Value,
    ) -> Option<Value> {
        let named = |t: &Target, sub: Option<&str>| match t {
            Target::Extension(ext) => sub.is_none() && urn == Some(ext.as_str()),
            Target::Attribute {
                urn: u,
                name,
                sub: s,
            } => u.as_deref() == urn && name == &attribute.name && s.as_deref() == sub,
        };
        let whole = |targets: &[Target]| targets.iter().any(|t| named(t, None));
        let keep_all = |sub: &AttributeDef| sub.returned != Returned::Never;
        match attribute.returned {
            Returned::Never => return None,
            Returned::Always => return project_sub_attributes(attribute, value, keep_all),
            Returned::Default | Returned::Request => {}
        }
        match &self.mode {
            Mode::Default => {
                if attribute.returned == Returned::Request {
                    return None;
                }
                project_sub_attributes(attribute, value, |sub| {
                    matches!(sub.returned, Returned::Always | Returned::Default)
                })
            }
            Mode::Exclude(targets) => {
                if attribute.returned == Returned::Request || whole(targets) {
                    return None;
                }
                project_sub_attributes(attribute, value, |sub| match sub.returned {
                    Returned::Always => true,
                    Returned::Never | Returned::Request => false,
                    Returned::Default => !targets.iter().any(|t| named(t, Some(&sub.name))),
                })
            }
            Mode::Include(targets) => {
                if whole(targets) {
                    return project_sub_attributes(attribute, value, keep_all);
                }
                let any_sub = attribute
                    .sub_attributes
                    .iter()
                    .any(|sub| targets.iter().any(|t| named(t, Some(&sub.name))));
                if !any_sub {
                    return None;
                }
                project_sub_attributes(attribute, value, |sub| match sub.returned {
                    Returned::Always => true,
                    Returned::Never => false,
                    Returned::Default | Returned::Request => {
                        targets.iter().any(|t| named(t, Some(&sub.name)))
                    }
                })
            }
        }
    }
}

/// What stands for the value of an attribute that is never returned (`password`) where a
/// record must say that it was set or changed, never to what.
pub const REDACTED: &str = "[redacted]";

/// Replace in `resource` every value of an attribute that is never returned (`password`; a
/// sub-attribute so defined, in each element) by [`REDACTED`]: what an audit trail may
/// keep. Everything else stays as it is, `request` attributes included.
pub fn redact_never_returned(registry: &SchemaRegistry, rt: &ResourceType, resource: &mut Value) {
    let Some(object) = resource.as_object_mut() else {
        return;
    };
    let core = registry.schema(&rt.schema);
    for (key, value) in object.iter_mut() {
        let top_level = registry
            .common_attributes()
            .iter()
            .chain(core.map(|c| c.attributes.as_slice()).unwrap_or_default())
            .find(|a| a.name.eq_ignore_ascii_case(key));
        if let Some(attribute) = top_level {
            redact_attribute(attribute, value);
            continue;
        }
        let extension = rt
            .schema_extensions
            .iter()
            .find(|e| e.schema.eq_ignore_ascii_case(key))
            .and_then(|e| registry.schema(&e.schema));
        if let (Some(schema), Some(attributes)) = (extension, value.as_object_mut()) {
            for (name, value) in attributes.iter_mut() {
                if let Some(attribute) = schema.attribute(name) {
                    redact_attribute(attribute, value);
                }
            }
        }
    }
}

/// Redact one attribute's value where it is never returned.
fn redact_attribute(attribute: &AttributeDef, value: &mut Value) {
    let redact = |value: &mut Value| {
        if !value.is_null() {
            *value = Value::String(REDACTED.to_owned());
        }
    };
    if attribute.returned == Returned::Never {
        redact(value);
        return;
    }
    if attribute.ty != AttrType::Complex {
        return;
    }
    let elements: &mut [Value] = match value {
        Value::Array(elements) => elements,
        other => std::slice::from_mut(other),
    };
    for element in elements {
        let Some(fields) = element.as_object_mut() else {
            continue;
        };
        for (name, value) in fields.iter_mut() {
            let never = attribute
                .sub_attributes
                .iter()
                .any(|sub| sub.returned == Returned::Never && sub.name.eq_ignore_ascii_case(name));
            if never {
                redact(value);
            }
        }
    }
}

/// The resource under the default projection: `never` and `request`
/// attributes stripped (the representation of a write response or a GET
/// without parameters).
pub fn project_default(registry: &SchemaRegistry, rt: &ResourceType, resource: &Value) -> Value {
    Projection::default_for(registry, rt).apply(registry, rt, resource)
}

/// Keep the sub-attributes `keep` accepts, in a complex value or in each
/// element of a multi-valued one; empty results disappear. Values of other
/// types are returned as they are.
fn project_sub_attributes(
    attribute: &AttributeDef,
    value: &Value,
    keep: impl Fn(&AttributeDef) -> bool,
) -> Option<Value> {
    if attribute.ty != AttrType::Complex {
        return Some(value.clone());
    }
    let project_object = |object: &Map<String, Value>| -> Option<Value> {
        let projected: Map<String, Value> = object
            .iter()
            .filter(|(name, _)| attribute.sub_attribute(name).is_some_and(&keep))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        (!projected.is_empty()).then_some(Value::Object(projected))
    };
    match value {
        Value::Object(object) => project_object(object),
        Value::Array(elements) => {
            let projected: Vec<Value> = elements
                .iter()
                .filter_map(|element| match element {
                    Value::Object(object) => project_object(object),
                    other => Some(other.clone()),
                })
                .collect();
            (!projected.is_empty()).then_some(Value::Array(projected))
        }
        other => Some(other.clone()),
    }
}

/// Parse one comma-separated parameter; `None` when absent or empty.
fn parse_list(
    registry: &SchemaRegistry,
    rt: &ResourceType,
    list: Option<&str>,
    parameter: &str,
) -> Result<Option<Vec<Target>>, ScimError> {
    let Some(list) = list.filter(|l| !l.trim().is_empty()) else {
        return Ok(None);
    };
    let mut targets = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let path = AttrPath::parse(entry).map_err(|error| {
            ScimError::invalid_value(format!(
                "{parameter}: {entry:?} is not an attribute path ({error})"
            ))
        })?;
        if let Some(schema) = registry.extension_named(rt, &path) {
            targets.push(Target::Extension(schema.id.clone()));
            continue;
        }
        let Some(resolved) = registry.resolve(rt, &path) else {
            continue;
        };
        let urn = match resolved.location {
            AttrLocation::Extension(urn) => Some(urn.to_owned()),
            AttrLocation::Common | AttrLocation::Core => None,
        };
        targets.push(Target::Attribute {
            urn,
            name: resolved.attribute.name.clone(),
            sub: resolved.sub_attribute.map(|s| s.name.clone()),
        });
    }
    Ok(Some(targets))
}

/// If `path` is a whole extension URN, its canonical form.
fn whole_extension(table: &[ReturnedEntry], path: &AttrPath) -> Option<String> {
    let urn = path.urn.as_deref()?;
    if path.sub_attr.is_some() {
        return None;
    }
    let full = format!("{urn}:{}", path.name);
    table
        .iter()
        .filter_map(|e| e.urn.as_ref())
        .find(|e| e.eq_ignore_ascii_case(&full))
        .cloned()
}

fn entry<'t>(
    table: &'t [ReturnedEntry],
    urn: Option<&str>,
    name: &str,
    sub: Option<&str>,
) -> Option<&'t ReturnedEntry> {
    table.iter().find(|e| {
        eq_ci_opt(e.urn.as_deref(), urn)
            && e.name.eq_ignore_ascii_case(name)
            && eq_ci_opt(e.sub.as_deref(), sub)
    })
}

/// Every attribute and sub-attribute of `rt` with its `returned`.
fn returned_entries(registry: &SchemaRegistry, rt: &ResourceType) -> Vec<ReturnedEntry> {
    let mut entries = Vec::new();
    let mut add = |urn: Option<&str>, attribute: &AttributeDef| {
        entries.push(ReturnedEntry {
            urn: urn.map(str::to_owned),
            name: attribute.name.clone(),
            sub: None,
            returned: attribute.returned,
        });
        for sub in &attribute.sub_attributes {
            entries.push(ReturnedEntry {
                urn: urn.map(str::to_owned),
                name: attribute.name.clone(),
                sub: Some(sub.name.clone()),
                returned: sub.returned,
            });
        }
    };
    for attribute in registry.common_attributes() {
        add(None, attribute);
    }
    if let Some(core) = registry.schema(&rt.schema) {
        for attribute in &core.attributes {
            add(None, attribute);
        }
    }
    for extension in &rt.schema_extensions {
        if let Some(schema) = registry.schema(&extension.schema) {
            for attribute in &schema.attributes {
                add(Some(&schema.id), attribute);
            }
        }
    }
    entries
}

fn eq_ci_opt(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}
