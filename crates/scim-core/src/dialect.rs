//! Identity-provider dialects (PRODUCT.md §3).
//!
//! Real IdPs deviate from RFC 7644. In the [`Dialect::Lenient`] dialect each
//! known deviation is accepted and recorded by name, so operators can count
//! them; in [`Dialect::Strict`] the same input is a 400 that names the rule.
//! Either way nothing is ever answered 2xx without being applied.

use crate::error::{ScimError, ScimType};

/// How an organization wants deviations from RFC 7644 treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// Accept every known IdP deviation (the default).
    #[default]
    Lenient,
    /// RFC 7644 only.
    Strict,
}

impl Dialect {
    /// `"lenient"` or `"strict"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Lenient => "lenient",
            Dialect::Strict => "strict",
        }
    }

    /// Parse `"lenient"` or `"strict"` (case-insensitively).
    pub fn parse(input: &str) -> Option<Self> {
        if input.eq_ignore_ascii_case("lenient") {
            Some(Dialect::Lenient)
        } else if input.eq_ignore_ascii_case("strict") {
            Some(Dialect::Strict)
        } else {
            None
        }
    }
}

/// A known deviation from RFC 7644, named for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Deviation {
    /// PATCH `op` capitalised (`Add`, `Replace`, `Remove`), as Entra ID sends it.
    CapitalizedOperation,
    /// A boolean sent as the string `"True"` or `"False"` (Entra ID).
    BooleanAsString,
    /// `remove` on `members` with a `value` array, meaning "remove only these" (Entra ID).
    RemoveMembersByValue,
    /// A path-less `replace`/`add` whose value keys are attribute paths such as
    /// `name.givenName` or URN-qualified names (Entra ID).
    PathKeysInValue,
    /// `add` on a value-path filter that matches nothing creates the element
    /// (`emails[type eq "work"].value`, Entra ID).
    AddCreatesFilteredTarget,
    /// The enterprise `manager` sent as a bare id string, `""` clearing it (Entra ID).
    ManagerAsString,
    /// The non-standard Entra ID group schema URI in `schemas`.
    EntraGroupSchema,
    /// A filter comparing a sub-attribute after a value path,
    /// `emails[type eq "work"].value eq "…"` (Entra ID's work-email matching filter), read as
    /// `emails[type eq "work" and value eq "…"]`.
    ValuePathSubAttribute,
    /// A Bulk operation's `method` in another case (`post`).
    BulkMethodCase,
    /// An endpoint named in another case (`/scim/v2/users`), as Microsoft's SCIM
    /// reference tests send it; the strict dialect answers 404, the name being unknown.
    EndpointCase,
}

impl Deviation {
    /// Every deviation, in declaration order (for counters keyed by deviation). A new
    /// variant belongs here too.
    pub const ALL: [Deviation; 10] = [
        Deviation::CapitalizedOperation,
        Deviation::BooleanAsString,
        Deviation::RemoveMembersByValue,
        Deviation::PathKeysInValue,
        Deviation::AddCreatesFilteredTarget,
        Deviation::ManagerAsString,
        Deviation::EntraGroupSchema,
        Deviation::ValuePathSubAttribute,
        Deviation::BulkMethodCase,
        Deviation::EndpointCase,
    ];

    /// The metric name of the deviation.
    pub fn name(self) -> &'static str {
        match self {
            Deviation::CapitalizedOperation => "capitalized_operation",
            Deviation::BooleanAsString => "boolean_as_string",
            Deviation::RemoveMembersByValue => "remove_members_by_value",
            Deviation::PathKeysInValue => "path_keys_in_value",
            Deviation::AddCreatesFilteredTarget => "add_creates_filtered_target",
            Deviation::ManagerAsString => "manager_as_string",
            Deviation::EntraGroupSchema => "entra_group_schema",
            Deviation::ValuePathSubAttribute => "value_path_sub_attribute",
            Deviation::BulkMethodCase => "bulk_method_case",
            Deviation::EndpointCase => "endpoint_case",
        }
    }

    /// The `scimType` of the 400 the strict dialect answers.
    pub fn scim_type(self) -> ScimType {
        match self {
            Deviation::CapitalizedOperation | Deviation::PathKeysInValue => ScimType::InvalidSyntax,
            Deviation::EndpointCase => ScimType::InvalidPath,
            Deviation::RemoveMembersByValue | Deviation::AddCreatesFilteredTarget => {
                ScimType::NoTarget
            }
            Deviation::BooleanAsString
            | Deviation::ManagerAsString
            | Deviation::EntraGroupSchema
            | Deviation::BulkMethodCase => ScimType::InvalidValue,
            Deviation::ValuePathSubAttribute => ScimType::InvalidFilter,
        }
    }

    /// What the RFC requires instead, for the strict dialect's error detail.
    pub fn rule(self) -> &'static str {
        match self {
            Deviation::CapitalizedOperation => {
                "RFC 7644 §3.5.2: \"op\" must be one of \"add\", \"remove\" or \"replace\""
            }
            Deviation::BooleanAsString => {
                "RFC 7643 §2.3.2: a boolean is the JSON literal true or false"
            }
            Deviation::RemoveMembersByValue => {
                "RFC 7644 §3.5.2.2: \"remove\" selects members with a path filter, not a value"
            }
            Deviation::PathKeysInValue => {
                "RFC 7644 §3.5.2.3: without \"path\", the value's keys are attribute names, not paths"
            }
            Deviation::AddCreatesFilteredTarget => {
                "RFC 7644 §3.5.2.1: a value-path filter that matches nothing has no target"
            }
            Deviation::ManagerAsString => {
                "RFC 7643 §4.3: \"manager\" is a complex attribute with a \"value\" sub-attribute"
            }
            Deviation::EntraGroupSchema => {
                "RFC 7643 §4.2: a Group's schema is urn:ietf:params:scim:schemas:core:2.0:Group"
            }
            Deviation::ValuePathSubAttribute => {
                "RFC 7644 §3.4.2.2: a value path is attrPath[valFilter], compared inside the \
                 brackets, not followed by .subAttr op value"
            }
            Deviation::BulkMethodCase => {
                "RFC 7644 §3.7: a bulk operation's \"method\" is POST, PUT, PATCH or DELETE"
            }
            Deviation::EndpointCase => {
                "RFC 7644 §3.2: endpoints are named exactly (/Users, /Groups, /Schemas, …)"
            }
        }
    }
}

/// The dialect of one request and the deviations it tolerated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialectContext {
    /// The organization's dialect.
    pub dialect: Dialect,
    /// Every deviation tolerated so far, in order, repeated as often as met.
    pub tolerated: Vec<Deviation>,
}

impl DialectContext {
    /// A context for a request in `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        DialectContext {
            dialect,
            tolerated: Vec::new(),
        }
    }

    /// Meet a deviation: recorded in the lenient dialect, a 400 naming the
    /// rule (with `detail` saying where) in the strict one.
    pub fn tolerate(&mut self, deviation: Deviation, detail: &str) -> Result<(), ScimError> {
        match self.dialect {
            Dialect::Lenient => {
                self.tolerated.push(deviation);
                Ok(())
            }
            Dialect::Strict => Err(ScimError::bad_request(
                deviation.scim_type(),
                format!("{detail}: {} (strict dialect)", deviation.rule()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_records_and_strict_refuses() {
        let mut lenient = DialectContext::new(Dialect::Lenient);
        assert!(
            lenient
                .tolerate(Deviation::BooleanAsString, "active")
                .is_ok()
        );
        assert_eq!(lenient.tolerated, vec![Deviation::BooleanAsString]);

        let mut strict = DialectContext::new(Dialect::Strict);
        let err = strict
            .tolerate(Deviation::CapitalizedOperation, "operation 1")
            .expect_err("strict refuses");
        assert_eq!(err.status, 400);
        assert_eq!(err.scim_type, Some(ScimType::InvalidSyntax));
        assert!(err.detail.contains("operation 1") && err.detail.contains("§3.5.2"));
        assert!(strict.tolerated.is_empty());
    }

    #[test]
    fn all_lists_each_deviation_once_with_a_distinct_name() {
        let deviations: std::collections::HashSet<Deviation> = Deviation::ALL.into();
        let names: std::collections::HashSet<&str> =
            Deviation::ALL.iter().map(|d| d.name()).collect();
        assert_eq!(deviations.len(), Deviation::ALL.len());
        assert_eq!(names.len(), Deviation::ALL.len());
    }

    #[test]
    fn parses_dialect_names() {
        assert_eq!(Dialect::parse("STRICT"), Some(Dialect::Strict));
        assert_eq!(
            Dialect::parse(Dialect::Lenient.as_str()),
            Some(Dialect::Lenient)
        );
        assert_eq!(Dialect::parse("loose"), None);
    }
}
