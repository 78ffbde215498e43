//! The PATCH `path` (RFC 7644 §3.5.2):
//! `PATH = attrPath / valuePath [subAttr]`, where
//! `valuePath = attrPath "[" valFilter "]"`.
//!
//! A path is parsed once into a [`PatchPath`]; the filter in brackets is
//! parsed by the filter module. Resolution against the schemas happens when
//! the request is applied, because custom extensions vary per organization.

use std::fmt;
use std::ops::Range;

use crate::error::ScimError;
use crate::filter::{Filter, ResolvedFilter, parse as parse_filter, resolve_value_filter};
use crate::path::AttrPath;
use crate::schema::{AttrRef, ResourceType, Schema, SchemaRegistry};

/// A parsed PATCH path such as `name.givenName`, `members[value eq "2819c223"]`,
/// `emails[type eq "work"].value`, a URN-qualified attribute, or a bare
/// extension URN naming the whole extension.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    text: String,
    /// The attribute and the sub-attribute the path ends at. With a value
    /// filter, the sub-attribute is the one after `]` (as in
    /// `emails[type eq "work"].value`).
    pub attribute: AttrPath,
    /// The value filter between brackets, when the path has one.
    pub value_filter: Option<Filter>,
}

/// What a path names, resolved against a resource type.
#[derive(Debug, Clone)]
pub(crate) enum PathTarget<'r> {
    /// A bare extension URN: the whole extension object.
    Extension(&'r Schema),
    /// An attribute (maybe a sub-attribute), maybe of the elements a value
    /// filter selects.
    Attribute {
        attribute: AttrRef<'r>,
        filter: Option<ResolvedFilter>,
    },
}

impl PatchPath {
    /// Parse a path. Errors are 400 `invalidPath` with the byte range of the
    /// offending part, except a malformed value filter, which is 400
    /// `invalidFilter` (RFC 7644 §3.12 lists `invalidFilter` for PATCH path
    /// filters) with its span offset into the whole path.
    pub fn parse(text: &str) -> Result<PatchPath, ScimError> {
        let Some(open) = text.find('[') else {
            let attribute = parse_attr_path(text, 0..text.len())?;
            return Ok(PatchPath {
                text: text.to_owned(),
                attribute,
                value_filter: None,
            });
        };
        let head = text.get(..open).unwrap_or_default();
        let mut attribute = parse_attr_path(head, 0..open)?;
        if attribute.sub_attr.is_some() {
            return Err(invalid_path(
                text,
                "a value filter follows a multi-valued attribute, not a sub-attribute",
                0..open,
            ));
        }
        let close = closing_bracket(text, open)
            .ok_or_else(|| invalid_path(text, "\"[\" is never closed", open..text.len()))?;
        let inner = text.get(open + 1..close).unwrap_or_default();
        let filter = parse_filter(inner).map_err(|error| {
            let error = ScimError::from(error);
            let span = error
                .span
                .clone()
                .map_or(open + 1..close, |s| s.start + open + 1..s.end + open + 1);
            let detail = format!("path {text:?}: {}", error.detail);
            ScimError { detail, ..error }.with_span(span)
        })?;
        let rest = text.get(close + 1..).unwrap_or_default();
        if !rest.is_empty() {
            let sub_attr = rest
                .strip_prefix('.')
                .and_then(|name| AttrPath::parse(name).ok())
                .filter(|sub| sub.urn.is_none() && sub.sub_attr.is_none())
                .ok_or_else(|| {
                    invalid_path(
                        text,
                        "only \".subAttribute\" may follow \"]\"",
                        close + 1..text.len(),
                    )
                })?;
            attribute.sub_attr = Some(sub_attr.name);
        }
        Ok(PatchPath {
            text: text.to_owned(),
            attribute,
            value_filter: Some(filter),
        })
    }

    /// The path as the client sent it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Resolve against a resource type: 400 `invalidPath` for an unknown
    /// attribute or a value filter on a single-valued attribute; the filter
    /// module's error (`invalidFilter`) for a filter naming unknown
    /// sub-attributes.
    pub(crate) fn resolve<'r>(
        &self,
        registry: &'r SchemaRegistry,
        rt: &ResourceType,
    ) -> Result<PathTarget<'r>, ScimError> {
        let Some(filter) = &self.value_filter else {
            if let Some(extension) = registry.extension_named(rt, &self.attribute) {
                return Ok(PathTarget::Extension(extension));
            }
            let attribute = self.resolve_attribute(registry, rt)?;
            return Ok(PathTarget::Attribute {
                attribute,
                filter: None,
            });
        };
        let attribute = self.resolve_attribute(registry, rt)?;
        if !attribute.attribute.multi_valued {
            return Err(ScimError::invalid_path(format!(
                "path {:?}: a value filter needs a multi-valued attribute, and {:?} is single-valued",
                self.text, attribute.attribute.name
            )));
        }
        let resolved = resolve_value_filter(registry, rt, &self.attribute.parent(), filter)?;
        Ok(PathTarget::Attribute {
            attribute,
            filter: Some(resolved),
        })
    }

    fn resolve_attribute<'r>(
        &self,
        registry: &'r SchemaRegistry,
        rt: &ResourceType,
    ) -> Result<AttrRef<'r>, ScimError> {
        registry.resolve(rt, &self.attribute).ok_or_else(|| {
            ScimError::invalid_path(format!(
                "path {:?}: {} has no attribute {:?}",
                self.text,
                rt.id,
                self.attribute.to_string()
            ))
        })
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn parse_attr_path(text: &str, span: Range<usize>) -> Result<AttrPath, ScimError> {
    AttrPath::parse(text).map_err(|error| invalid_path(text, &error.to_string(), span))
}

fn invalid_path(text: &str, reason: &str, span: Range<usize>) -> ScimError {
    ScimError::invalid_path(format!("path {text:?}: {reason} (at byte {})", span.start))
        .with_span(span)
}

/// The `]` that closes the `[` at `open`, skipping `]` inside string literals.
fn closing_bracket(text: &str, open: usize) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (offset, c) in text.get(open + 1..)?.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ']' if !in_string => return Some(open + 1 + offset),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_closing_bracket_outside_strings() {
        let cases: &[(&str, Option<usize>)] = &[
            ("a[b]", Some(3)),
            (r#"a[v eq "]"]"#, Some(10)),
            (r#"a[v eq "\"]"]"#, Some(12)),
            ("a[b", None),
            (r#"a[v eq "]"#, None),
        ];
        for (text, expected) in cases {
            assert_eq!(closing_bracket(text, 1), *expected, "{text}");
        }
    }

    #[test]
    fn parses_paths_without_filters() {
        let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        type Expected = Result<&'static str, Option<Range<usize>>>;
        let cases: &[(&str, Expected)] = &[
            ("name.givenName", Ok("name.givenName")),
            ("members", Ok("members")),
            ("a.b.c", Err(Some(0..5))),
            ("", Err(Some(0..0))),
            ("1x", Err(Some(0..2))),
        ];
        for (text, expected) in cases {
            let got = PatchPath::parse(text);
            match expected {
                Ok(printed) => assert_eq!(
                    got.map(|p| p.attribute.to_string()).as_deref(),
                    Ok(*printed),
                    "{text}"
                ),
                Err(span) => {
                    let error = got.expect_err(text);
                    assert_eq!(error.scim_type, Some(crate::ScimType::InvalidPath));
                    assert_eq!(&error.span, span, "{text}");
                }
            }
        }
        let manager = PatchPath::parse(&format!("{ent}:manager.value")).map(|p| p.attribute);
        assert_eq!(
            manager,
            Ok(AttrPath::new("manager")
                .with_urn(ent)
                .with_sub_attr("value"))
        );
    }

    #[test]
    fn unclosed_bracket_and_bad_tail_are_invalid_paths() {
        let cases: &[(&str, Range<usize>)] = &[
            (r#"emails[type eq "work""#, 6..21),
            ("name.givenName[x]", 0..14),
        ];
        for (text, span) in cases {
            let error = PatchPath::parse(text).expect_err(text);
            assert_eq!(
                error.scim_type,
                Some(crate::ScimType::InvalidPath),
                "{text}"
            );
            assert_eq!(error.span.as_ref(), Some(span), "{text}");
        }
    }
}
