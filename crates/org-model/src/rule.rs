//! Mapping rules: "group whose displayName matches `eng-*` → `editor` on every workspace
//! whose name matches `department_*`" (a group rule), or "users whose department is Sales →
//! `viewer` on `sales-*`" (an attribute rule, whose subject is a SCIM filter over the user's
//! own attributes). Rules are data, evaluated by the same resolver as grants (so they apply
//! to workspaces created later too), and shown in explanations.
//!
//! This crate does not read filters: whether a user matches an attribute rule is decided by
//! the caller (with the SCIM filter evaluator, against the stored user) and handed to the
//! resolver as [`AttributeMatch`]es.

use serde::{Deserialize, Serialize};

use crate::role::Role;

/// Whom a rule gives its role to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleSubject {
    /// The members of the groups whose displayName matches this glob (`*` any run, `?` one
    /// character; case-insensitive).
    Group(String),
    /// The users matching this SCIM filter over their own attributes (as stored: parsed,
    /// checked against the organization's schemas and printed canonically when written).
    Filter(String),
}

/// A mapping rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Its id.
    pub id: String,
    /// Whom it gives its role to: serialized as `"group": "eng-*"` or `"filter": "…"`.
    #[serde(flatten)]
    pub subject: RuleSubject,
    /// A glob over workspace names.
    pub workspaces: String,
    /// The role it gives; at most `maintainer` (like a group grant).
    pub role: Role,
}

impl Rule {
    /// A group rule.
    pub fn for_groups(group: &str, workspaces: &str, role: Role) -> Rule {
        Rule {
            id: String::new(),
            subject: RuleSubject::Group(group.to_owned()),
            workspaces: workspaces.to_owned(),
            role,
        }
    }

    /// An attribute rule.
    pub fn for_filter(filter: &str, workspaces: &str, role: Role) -> Rule {
        Rule {
            id: String::new(),
            subject: RuleSubject::Filter(filter.to_owned()),
            workspaces: workspaces.to_owned(),
            role,
        }
    }

    /// The group glob of a group rule.
    pub fn group_glob(&self) -> Option<&str> {
        match &self.subject {
            RuleSubject::Group(glob) => Some(glob),
            RuleSubject::Filter(_) => None,
        }
    }

    /// The filter of an attribute rule.
    pub fn filter(&self) -> Option<&str> {
        match &self.subject {
            RuleSubject::Filter(filter) => Some(filter),
            RuleSubject::Group(_) => None,
        }
    }

    /// Whether this is a group rule whose glob matches `group_name`.
    pub fn matches_group(&self, group_name: &str) -> bool {
        self.group_glob()
            .is_some_and(|glob| glob_matches(glob, group_name))
    }

    /// Whether this is a group rule that applies to `group_name` on `workspace_name`.
    pub fn matches(&self, group_name: &str, workspace_name: &str) -> bool {
        self.matches_group(group_name) && glob_matches(&self.workspaces, workspace_name)
    }
}

/// A user matching an attribute rule, as the caller found it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AttributeMatch {
    /// The rule.
    pub rule_id: String,
    /// The attribute whose value made the filter true (its canonical path), e.g.
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`.
    pub attribute: String,
}

/// `*` matches any run of characters (also none), `?` exactly one; everything else itself,
/// compared case-insensitively. Linear in practice: the classic backtracking-to-the-last-star
/// algorithm, no recursion. ASCII pattern and text (the usual case) are compared in place;
/// anything else is lower-cased into characters first.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        return matches_lowered(pattern.as_bytes(), text.as_bytes(), |a, b| {
            a.eq_ignore_ascii_case(&b)
        });
    }
    let pattern: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    let text: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    matches_lowered(&pattern, &text, |a, b| a == b)
}

/// The glob algorithm over units (bytes or characters) that `same` compares.
fn matches_lowered<T: Copy + PartialEq + Wildcards>(
    pattern: &[T],
    text: &[T],
    same: impl Fn(T, T) -> bool,
) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(&c) if c.is_star() => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c.is_any() || same(c, text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c.is_star())
}

/// The units of a glob: which are `*` and `?`.
trait Wildcards {
    fn is_star(&self) -> bool;
    fn is_any(&self) -> bool;
}

impl Wildcards for u8 {
    fn is_star(&self) -> bool {
        *self == b'*'
    }
    fn is_any(&self) -> bool {
        *self == b'?'
    }
}

impl Wildcards for char {
    fn is_star(&self) -> bool {
        *self == '*'
    }
    fn is_any(&self) -> bool {
        *self == '?'
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn ascii_is_matched_as_the_character_path_would(
            pattern in "[a-cA-C*?_-]{0,8}",
            text in "[a-cA-C_-]{0,10}",
        ) {
            let lowered = |s: &str| -> Vec<char> { s.chars().flat_map(char::to_lowercase).collect() };
            let by_characters = matches_lowered(&lowered(&pattern), &lowered(&text), |a, b| a == b);
            prop_assert_eq!(glob_matches(&pattern, &text), by_characters);
        }
    }

    #[test]
    fn globs_match_as_a_shell_would_but_case_insensitively() {
        let cases = [
            ("eng-*", "eng-backend", true),
            ("eng-*", "ENG-", true),
            ("eng-*", "engineering", false),
            ("*", "", true),
            ("", "", true),
            ("", "x", false),
            ("department_?", "department_a", true),
            ("department_?", "department_ab", false),
            ("*_team_*", "core_team_eu", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("org-admins", "Org-Admins", true),
            ("**", "anything", true),
            ("ÉQUIPE-*", "équipe-paris", true),
            ("équipe-?", "ÉQUIPE-B", true),
            ("straße", "STRASSE", false),
            ("caf?", "café", true),
            ("*é", "CAFÉ", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(glob_matches(pattern, text), expected, "{pattern} ~ {text}");
        }
    }
}
