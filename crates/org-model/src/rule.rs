//! Group mapping rules: "group whose displayName matches `eng-*` → `editor` on every
//! workspace whose name matches `department_*`". Rules are data, evaluated by the same
//! resolver as grants (so they apply to workspaces created later too), and shown in
//! explanations.

use serde::{Deserialize, Serialize};

use crate::role::Role;

/// A group mapping rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Its id.
    pub id: String,
    /// A glob over group displayNames (`*` any run, `?` one character; case-insensitive).
    pub group: String,
    /// A glob over workspace names.
    pub workspaces: String,
    /// The role it gives; at most `maintainer` (it is a group grant).
    pub role: Role,
}

impl Rule {
    /// Whether the rule applies to `group_name` on `workspace_name`.
    pub fn matches(&self, group_name: &str, workspace_name: &str) -> bool {
        glob_matches(&self.group, group_name) && glob_matches(&self.workspaces, workspace_name)
    }
}

/// `*` matches any run of characters (also none), `?` exactly one; everything else itself,
/// compared case-insensitively. Linear in practice: the classic backtracking-to-the-last-star
/// algorithm, no recursion.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    let text: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
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
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(glob_matches(pattern, text), expected, "{pattern} ~ {text}");
        }
    }
}
