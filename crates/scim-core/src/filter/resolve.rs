//! Resolving a parsed filter against the schemas of a resource type
//! (RFC 7644 §3.4.2.2): names to definitions, literals to typed values, and
//! every type rule checked once, so nothing downstream re-checks.
//!
//! Rules, each a 400 `invalidFilter` with the span of the offending part:
//! - an unknown attribute or sub-attribute is refused, naming it;
//! - `schemas` is a multi-valued, case-insensitive reference attribute of
//!   every resource (it is in no schema but the RFC filters on it);
//! - a comparison on a complex attribute without sub-attribute compares its
//!   `value` sub-attribute (`emails co "x"`, `members eq "id"`); a complex
//!   attribute without one can only be tested with `pr` (or `eq null`);
//! - `gt`, `ge`, `lt`, `le` on boolean or binary attributes are refused (RFC);
//! - `co`, `sw`, `ew` only apply to string, reference and binary attributes;
//! - the literal must suit the type: a string for string, reference and
//!   binary; `true`/`false` for boolean; an integer for integer; a number for
//!   decimal; a string holding an `xsd:dateTime` for dateTime;
//! - `null` only with `eq` (meaning `not (attr pr)`) and `ne` (meaning `attr pr`);
//! - a value path needs a complex attribute; its inner filter names
//!   sub-attributes of it (no URN, no further dot).

use super::ast::{CompareOp, Filter, Literal, Span};
use super::resolved::{
    AttributeLocation, AttributeScope, ResolvedAttribute, ResolvedComparison, ResolvedFilter,
    ResolvedValue, ResolvedValuePath, is_string_like, parse_date_time,
};
use crate::error::ScimError;
use crate::path::AttrPath;
use crate::schema::{AttrLocation, AttrType, AttributeDef, ResourceType, Returned, SchemaRegistry};

/// Resolve a filter on resources of type `rt` (a `filter` query parameter).
///
/// The result is resource-scoped; evaluate it with [`ResolvedFilter::matches`].
pub fn resolve(
    registry: &SchemaRegistry,
    rt: &ResourceType,
    filter: &Filter,
) -> Result<ResolvedFilter, ScimError> {
    Resolver::new(registry, rt).node(filter, None)
}

/// Resolve a filter whose attribute names are sub-attributes of `parent`, as
/// in the PATCH paths `emails[type eq "work"]` or `members[value eq "id"]`.
///
/// `parent` must be a complex attribute (single- or multi-valued) or a
/// multi-valued simple one, whose elements the name `value` then stands for.
/// An unknown or unsuitable `parent` is a 400 `invalidPath`; a problem in the
/// filter itself a 400 `invalidFilter`. The result is element-scoped; evaluate
/// it on one element with [`ResolvedFilter::matches_element`].
pub fn resolve_value_filter(
    registry: &SchemaRegistry,
    rt: &ResourceType,
    parent: &AttrPath,
    filter: &Filter,
) -> Result<ResolvedFilter, ScimError> {
    let resolver = Resolver::new(registry, rt);
    if parent.sub_attr.is_some() {
        return Err(ScimError::invalid_path(format!(
            "a value filter applies to an attribute, not to the sub-attribute \"{parent}\""
        )));
    }
    let (attribute, def) = resolver
        .lookup(parent)
        .ok_or_else(|| ScimError::invalid_path(format!("unknown attribute \"{parent}\"")))?;
    if def.ty != AttrType::Complex && !def.multi_valued {
        return Err(ScimError::invalid_path(format!(
            "\"{}\" is neither complex nor multi-valued; it takes no value filter",
            attribute.canonical_path()
        )));
    }
    let parent = Parent { attribute, def };
    resolver.node(filter, Some(&parent))
}

/// The attribute whose elements an element-scoped filter looks at.
struct Parent<'r> {
    attribute: ResolvedAttribute,
    def: &'r AttributeDef,
}

struct Resolver<'r> {
    registry: &'r SchemaRegistry,
    rt: &'r ResourceType,
    schemas: AttributeDef,
}

impl<'r> Resolver<'r> {
    fn new(registry: &'r SchemaRegistry, rt: &'r ResourceType) -> Self {
        Resolver {
            registry,
            rt,
            schemas: AttributeDef::new("schemas", AttrType::Reference).multi(),
        }
    }

    fn node<'a>(
        &'a self,
        filter: &Filter,
        parent: Option<&Parent<'a>>,
    ) -> Result<ResolvedFilter, ScimError> {
        match filter {
            Filter::And { operands, .. } => Ok(ResolvedFilter::And(self.all(operands, parent)?)),
            Filter::Or { operands, .. } => Ok(ResolvedFilter::Or(self.all(operands, parent)?)),
            Filter::Not { filter, .. } => {
                Ok(ResolvedFilter::Not(Box::new(self.node(filter, parent)?)))
            }
            Filter::Present {
                path, path_span, ..
            } => {
                let (attribute, _) = self.attribute(path, *path_span, parent)?;
                refuse_never_returned(&attribute, *path_span)?;
                refuse_computed(&attribute, *path_span)?;
                Ok(ResolvedFilter::Present(attribute))
            }
            Filter::Compare {
                path,
                path_span,
                op,
                value,
                value_span,
                ..
            } => {
                let (attribute, def) = self.attribute(path, *path_span, parent)?;
                refuse_never_returned(&attribute, *path_span)?;
                refuse_computed(&attribute, *path_span)?;
                comparison(attribute, def, *op, value, *path_span, *value_span)
            }
            Filter::ValuePath {
                path,
                path_span,
                filter,
                ..
            } => {
                if parent.is_some() {
                    return Err(invalid(
                        *path_span,
                        format!("value path \"{path}\" inside a value filter"),
                    ));
                }
                let (attribute, def) = self.attribute(path, *path_span, None)?;
                if def.ty != AttrType::Complex || attribute.sub_attribute.is_some() {
                    return Err(invalid(
                        *path_span,
                        format!(
                            "\"{}\" is not a complex attribute; it takes no [filter]",
                            attribute.canonical_path()
                        ),
                    ));
                }
                let parent = Parent { attribute, def };
                let inner = self.node(filter, Some(&parent))?;
                Ok(ResolvedFilter::ValuePath(ResolvedValuePath {
                    attribute: parent.attribute,
                    filter: Box::new(inner),
                }))
            }
        }
    }

    fn all<'a>(
        &'a self,
        operands: &[Filter],
        parent: Option<&Parent<'a>>,
    ) -> Result<Vec<ResolvedFilter>, ScimError> {
        operands
            .iter()
            .map(|operand| self.node(operand, parent))
            .collect()
    }

    /// `path`, resolved in the resource or in `parent`'s elements, and its definition.
    fn attribute<'a>(
        &'a self,
        path: &AttrPath,
        span: Span,
        parent: Option<&Parent<'a>>,
    ) -> Result<(ResolvedAttribute, &'a AttributeDef), ScimError> {
        match parent {
            None => self
                .lookup(path)
                .ok_or_else(|| invalid(span, format!("unknown attribute \"{path}\""))),
            Some(parent) => element_attribute(parent, path, span),
        }
    }

    /// A resource-scoped attribute and the definition of what it ends at.
    fn lookup(&self, path: &AttrPath) -> Option<(ResolvedAttribute, &AttributeDef)> {
        let is_schemas = path.urn.is_none()
            && path.sub_attr.is_none()
            && path.name.eq_ignore_ascii_case("schemas");
        if is_schemas {
            return Some((
                resolved(AttributeLocation::Common, &self.schemas, None),
                &self.schemas,
            ));
        }
        let found = self.registry.resolve(self.rt, path)?;
        let location = match found.location {
            AttrLocation::Common => AttributeLocation::Common,
            AttrLocation::Core => AttributeLocation::Core,
            AttrLocation::Extension(urn) => AttributeLocation::Extension(urn.to_owned()),
        };
        let mut attribute = resolved(location, found.attribute, found.sub_attribute);
        attribute.identity = attribute.location == AttributeLocation::Core
            && attribute.sub_attribute.is_none()
            && crate::identity::identity_attribute(&self.rt.schema)
                == Some(attribute.name.as_str());
        Some((attribute, found.target()))
    }
}

fn resolved(
    location: AttributeLocation,
    attribute: &AttributeDef,
    sub: Option<&AttributeDef>,
) -> ResolvedAttribute {
    let target = sub.unwrap_or(attribute);
    ResolvedAttribute {
        scope: AttributeScope::Resource,
        location,
        name: attribute.name.clone(),
        sub_attribute: sub.map(|s| s.name.clone()),
        ty: target.ty,
        case_exact: target.case_exact || target.ty == AttrType::Binary,
        multi_valued: attribute.multi_valued,
        never_returned: attribute.returned == Returned::Never
            || sub.is_some_and(|sub| sub.returned == Returned::Never),
        identity: false,
    }
}

/// `path` inside `parent[...]`: a plain sub-attribute name, or `value` for
/// the element of a multi-valued simple attribute.
fn element_attribute<'p>(
    parent: &Parent<'p>,
    path: &AttrPath,
    span: Span,
) -> Result<(ResolvedAttribute, &'p AttributeDef), ScimError> {
    let parent_path = parent.attribute.canonical_path();
    if path.urn.is_some() || path.sub_attr.is_some() {
        return Err(invalid(
            span,
            format!("inside \"{parent_path}[...]\" name a sub-attribute of it, not \"{path}\""),
        ));
    }
    let mut attribute = parent.attribute.clone();
    attribute.scope = AttributeScope::Element;
    if parent.def.ty != AttrType::Complex {
        if !path.name.eq_ignore_ascii_case("value") {
            return Err(invalid(
                span,
                format!(
                    "\"{parent_path}\" has no sub-attributes; use \"value\" for its values, not \"{path}\""
                ),
            ));
        }
        return Ok((attribute, parent.def));
    }
    let sub = parent.def.sub_attribute(&path.name).ok_or_else(|| {
        invalid(
            span,
            format!("unknown attribute \"{path}\": not a sub-attribute of \"{parent_path}\""),
        )
    })?;
    attribute.sub_attribute = Some(sub.name.clone());
    attribute.ty = sub.ty;
    attribute.case_exact = sub.case_exact || sub.ty == AttrType::Binary;
    Ok((attribute, sub))
}

/// Type-check `attribute op literal` and type the literal.
fn comparison(
    mut attribute: ResolvedAttribute,
    def: &AttributeDef,
    op: CompareOp,
    literal: &Literal,
    path_span: Span,
    value_span: Span,
) -> Result<ResolvedFilter, ScimError> {
    let path = attribute.canonical_path();
    if *literal == Literal::Null {
        return match op {
            CompareOp::Eq => Ok(ResolvedFilter::Not(Box::new(ResolvedFilter::Present(
                attribute,
            )))),
            CompareOp::Ne => Ok(ResolvedFilter::Present(attribute)),
            _ => Err(invalid(
                value_span,
                format!("null can only be compared with eq or ne, not {op}"),
            )),
        };
    }
    if attribute.ty == AttrType::Complex {
        let value = def.sub_attribute("value").ok_or_else(|| {
            invalid(
                path_span,
                format!(
                    "\"{path}\" is complex and has no \"value\"; compare one of its sub-attributes"
                ),
            )
        })?;
        attribute.sub_attribute = Some(value.name.clone());
        attribute.ty = value.ty;
        attribute.case_exact = value.case_exact || value.ty == AttrType::Binary;
    }
    let path = attribute.canonical_path();
    let ty = attribute.ty;
    if op.is_ordering() && matches!(ty, AttrType::Boolean | AttrType::Binary) {
        return Err(invalid(
            path_span,
            format!("{op} does not apply to \"{path}\" ({})", ty.as_str()),
        ));
    }
    if op.is_substring() && !is_string_like(ty) {
        return Err(invalid(
            path_span,
            format!("{op} does not apply to \"{path}\" ({})", ty.as_str()),
        ));
    }
    let mismatch = || {
        invalid(
            value_span,
            format!(
                "\"{path}\" is {}; the value {literal} does not fit",
                type_name_with_article(ty)
            ),
        )
    };
    let value = match (ty, literal) {
        (AttrType::String | AttrType::Reference | AttrType::Binary, Literal::String(text)) => {
            ResolvedValue::String(text.clone())
        }
        (AttrType::Boolean, Literal::Bool(flag)) => ResolvedValue::Boolean(*flag),
        (AttrType::Integer, Literal::Number(number)) => {
            ResolvedValue::Integer(number.as_i64().ok_or_else(mismatch)?)
        }
        (AttrType::Decimal, Literal::Number(number)) => {
            ResolvedValue::Decimal(number.as_f64().ok_or_else(mismatch)?)
        }
        (AttrType::DateTime, Literal::String(text)) => {
            ResolvedValue::DateTime(parse_date_time(text).ok_or_else(|| {
                invalid(
                    value_span,
                    format!("\"{path}\" is a dateTime; {literal} is not a valid xsd:dateTime"),
                )
            })?)
        }
        _ => return Err(mismatch()),
    };
    Ok(ResolvedFilter::Compare(ResolvedComparison {
        attribute,
        op,
        value,
    }))
}

fn type_name_with_article(ty: AttrType) -> String {
    match ty {
        AttrType::Integer => "an integer".to_owned(),
        other => format!("a {}", other.as_str()),
    }
}

/// No filter tests an attribute that is never returned (`password`): its presence or any
/// comparison would tell a client what it may not read (PRODUCT.md §1).
fn refuse_never_returned(attribute: &ResolvedAttribute, span: Span) -> Result<(), ScimError> {
    if !attribute.never_returned {
        return Ok(());
    }
    Err(invalid(
        span,
        format!(
            "\"{}\" is never returned: no filter may test it",
            attribute.canonical_path()
        ),
    ))
}

/// Whether an attribute is one a service provider fills in when it answers, from the URL
/// the client reached it by, and stores nowhere: `meta.location`, and the `$ref` of a
/// group's `members` and of a user's `groups`. A filter cannot test what no row holds,
/// and the answer would depend on the URL asked through.
fn is_computed(attribute: &ResolvedAttribute) -> bool {
    let sub = attribute.sub_attribute.as_deref().unwrap_or_default();
    match (&attribute.location, attribute.name.as_str()) {
        (AttributeLocation::Common, "meta") => sub == "location",
        (AttributeLocation::Core, "members" | "groups") => sub == "$ref",
        _ => false,
    }
}

/// No filter tests a computed attribute ([`is_computed`]): a 400 `invalidFilter`, not a
/// filter that silently never matches.
fn refuse_computed(attribute: &ResolvedAttribute, span: Span) -> Result<(), ScimError> {
    if !is_computed(attribute) {
        return Ok(());
    }
    Err(invalid(
        span,
        format!(
            "\"{}\" is computed from the request's URL when a resource is returned and \
             stored nowhere: no filter may test it",
            attribute.canonical_path()
        ),
    ))
}

fn invalid(span: Span, detail: String) -> ScimError {
    ScimError::invalid_filter(format!("{detail} (at byte {})", span.start)).with_span(span.range())
}
