//! Attribute paths: `[URI ":"] ATTRNAME ["." subAttr]` (RFC 7644 §3.10).
//!
//! A path is parsed once into an [`AttrPath`] and passed around; nothing
//! downstream re-checks strings. Names keep the casing the client sent; the
//! registry resolves them case-insensitively to their definitions.

use std::fmt;

/// Why a string is not an attribute path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttrPathError {
    /// The path is empty.
    #[error("empty attribute path")]
    Empty,
    /// An attribute name is empty or has a character outside `ALPHA *(ALPHA / DIGIT / "-" / "_")`.
    #[error("invalid attribute name {0:?}")]
    InvalidName(String),
    /// More than one `.` after the attribute name.
    #[error("attribute path {0:?} nests deeper than one sub-attribute")]
    TooDeep(String),
}

/// A parsed attribute path such as `name.familyName` or
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URN prefix, when the path is URN-qualified.
    pub urn: Option<String>,
    /// The attribute name.
    pub name: String,
    /// The sub-attribute name, for `attr.sub`.
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// An unqualified path to a top-level attribute.
    pub fn new(name: impl Into<String>) -> Self {
        AttrPath {
            urn: None,
            name: name.into(),
            sub_attr: None,
        }
    }

    /// The same path with a sub-attribute.
    pub fn with_sub_attr(mut self, sub_attr: impl Into<String>) -> Self {
        self.sub_attr = Some(sub_attr.into());
        self
    }

    /// The same path with a schema URN prefix.
    pub fn with_urn(mut self, urn: impl Into<String>) -> Self {
        self.urn = Some(urn.into());
        self
    }

    /// Parse `[URI ":"] ATTRNAME ["." subAttr]`.
    ///
    /// A URN prefix is recognised by its `urn:` scheme; the attribute name is
    /// what follows its last `:`. Dots inside the URN (as in `2.0`) are part of it.
    pub fn parse(input: &str) -> Result<Self, AttrPathError> {
        if input.is_empty() {
            return Err(AttrPathError::Empty);
        }
        let (urn, rest) = split_urn(input);
        let mut parts = rest.split('.');
        let name = parts.next().unwrap_or_default();
        let sub_attr = parts.next();
        if parts.next().is_some() {
            return Err(AttrPathError::TooDeep(input.to_owned()));
        }
        check_name(name)?;
        if let Some(sub) = sub_attr {
            check_name(sub)?;
        }
        Ok(AttrPath {
            urn: urn.map(str::to_owned),
            name: name.to_owned(),
            sub_attr: sub_attr.map(str::to_owned),
        })
    }

    /// The same path without its sub-attribute.
    pub fn parent(&self) -> AttrPath {
        AttrPath {
            urn: self.urn.clone(),
            name: self.name.clone(),
            sub_attr: None,
        }
    }
}

/// Split a leading `urn:…:` prefix from the attribute part.
fn split_urn(input: &str) -> (Option<&str>, &str) {
    let is_urn = input
        .get(..4)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("urn:"));
    if !is_urn {
        return (None, input);
    }
    match input.rfind(':') {
        Some(colon) if colon >= 4 => (Some(&input[..colon]), &input[colon + 1..]),
        _ => (None, input),
    }
}

/// `ATTRNAME = ALPHA *(nameChar)`, plus the `$ref` sub-attribute of references.
fn check_name(name: &str) -> Result<(), AttrPathError> {
    if name == "$ref" {
        return Ok(());
    }
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(AttrPathError::InvalidName(name.to_owned()))
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<(Option<&str>, &str, Option<&str>), ()>) {
        let got = AttrPath::parse(input)
            .map(|p| (p.urn, p.name, p.sub_attr))
            .map_err(|_| ());
        let expected =
            expected.map(|(u, n, s)| (u.map(str::to_owned), n.to_owned(), s.map(str::to_owned)));
        assert_eq!(got, expected, "{input}");
    }

    #[test]
    fn parses_paths() {
        let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        check("userName", Ok((None, "userName", None)));
        check("name.familyName", Ok((None, "name", Some("familyName"))));
        check("members.$ref", Ok((None, "members", Some("$ref"))));
        check(
            &format!("{ent}:employeeNumber"),
            Ok((Some(ent), "employeeNumber", None)),
        );
        check(
            &format!("{ent}:manager.value"),
            Ok((Some(ent), "manager", Some("value"))),
        );
        check(
            "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
            Ok((
                Some("urn:ietf:params:scim:schemas:core:2.0:User"),
                "name",
                Some("givenName"),
            )),
        );
        check("x-y_z1", Ok((None, "x-y_z1", None)));
        check("", Err(()));
        check("1abc", Err(()));
        check("a.b.c", Err(()));
        check("a.", Err(()));
        check(".a", Err(()));
        check("a b", Err(()));
        check("urn:", Err(()));
    }

    #[test]
    fn display_round_trips() {
        for input in ["userName", "name.givenName", "urn:a:b:c:attr.sub"] {
            let path = AttrPath::parse(input).map(|p| p.to_string());
            assert_eq!(path.as_deref(), Ok(input));
        }
    }
}
