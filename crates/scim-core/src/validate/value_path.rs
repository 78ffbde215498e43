//! Where a value sits in a resource, for error details only: built for free
//! while walking and printed (`emails[1].primary`) only when an error names it.

use std::fmt;

/// A canonical path to a value: an attribute (its canonical name, with the
/// extension URN when it has one), an element of a multi-valued attribute,
/// or a sub-attribute.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ValuePath<'a> {
    /// A top-level attribute such as `emails` or `urn:…:User:manager`.
    Attribute(&'a str),
    /// The element at this index of a multi-valued attribute.
    Element(&'a ValuePath<'a>, usize),
    /// A sub-attribute.
    Sub(&'a ValuePath<'a>, &'a str),
}

impl fmt::Display for ValuePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValuePath::Attribute(name) => f.write_str(name),
            ValuePath::Element(parent, index) => write!(f, "{parent}[{index}]"),
            ValuePath::Sub(parent, name) => write!(f, "{parent}.{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_canonical_paths() {
        let emails = ValuePath::Attribute("emails");
        let second = ValuePath::Element(&emails, 1);
        assert_eq!(
            ValuePath::Sub(&second, "primary").to_string(),
            "emails[1].primary"
        );
        let manager = ValuePath::Attribute("urn:x:User:manager");
        assert_eq!(
            ValuePath::Sub(&manager, "value").to_string(),
            "urn:x:User:manager.value"
        );
    }
}
