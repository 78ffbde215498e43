//! `If-Match` and `If-None-Match` (RFC 7232, RFC 7644 §3.14). Entity tags are
//! `W/"<version>"`; they are compared by their opaque part, ignoring `W/`, as SCIM
//! clients send weak tags in `If-Match`.
//!
//! Decisions: a header that is not a list of entity tags is a 400 `invalidValue`;
//! an unquoted tag (`If-Match: 3`) is read as the quoted one; a tag that names no
//! version of ours simply never matches (412 for `If-Match`). For writes, the matched
//! version is passed to the store, which checks it and writes in one statement.

use rollcall_store::StoredResource;
use scim_core::ScimError;

use crate::request::{Headers, header_text};

/// One precondition header.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tags {
    /// `*`: any current representation.
    Any,
    /// The opaque parts of the listed tags.
    List(Vec<String>),
}

impl Tags {
    fn matches(&self, stored: &StoredResource) -> bool {
        match self {
            Tags::Any => true,
            Tags::List(tags) => {
                let version = stored.version.to_string();
                tags.contains(&version)
            }
        }
    }
}

/// The preconditions of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Preconditions {
    if_match: Option<Tags>,
    if_none_match: Option<Tags>,
}

impl Preconditions {
    /// Read `If-Match` and `If-None-Match`.
    pub(crate) fn from_headers(headers: &Headers) -> Result<Self, ScimError> {
        Ok(Preconditions {
            if_match: header_tags(headers, "if-match")?,
            if_none_match: header_tags(headers, "if-none-match")?,
        })
    }

    /// The precondition of a bulk operation's `version`: `If-Match` with that value (a
    /// value that is not a list of entity tags is a 400 `invalidValue`).
    pub(crate) fn if_match(value: &str) -> Result<Self, ScimError> {
        let tags = parse_tags(value).ok_or_else(|| {
            ScimError::invalid_value(format!("version {value:?} is not an entity tag"))
        })?;
        Ok(Preconditions {
            if_match: Some(tags),
            if_none_match: None,
        })
    }

    /// Whether the request has any precondition.
    pub(crate) fn is_empty(&self) -> bool {
        self.if_match.is_none() && self.if_none_match.is_none()
    }

    /// For a write on `current`: the version the store must still find (412 when a
    /// precondition already fails).
    pub(crate) fn expected_version(
        &self,
        current: &StoredResource,
    ) -> Result<Option<i64>, ScimError> {
        if let Some(tags) = &self.if_none_match
            && tags.matches(current)
        {
            return Err(precondition_failed(current));
        }
        match &self.if_match {
            None => Ok(None),
            Some(tags) if tags.matches(current) => Ok(Some(current.version)),
            Some(_) => Err(precondition_failed(current)),
        }
    }

    /// For a read of `current`: `Ok(true)` when `If-None-Match` matches (304), a 412 when
    /// `If-Match` does not.
    pub(crate) fn not_modified(&self, current: &StoredResource) -> Result<bool, ScimError> {
        if let Some(tags) = &self.if_match
            && !tags.matches(current)
        {
            return Err(precondition_failed(current));
        }
        Ok(self
            .if_none_match
            .as_ref()
            .is_some_and(|tags| tags.matches(current)))
    }
}

/// 412 naming the current version.
pub(crate) fn precondition_failed(current: &StoredResource) -> ScimError {
    ScimError {
        status: 412,
        scim_type: None,
        detail: format!(
            "precondition failed: the resource is at version {}",
            current.etag()
        ),
        span: None,
    }
}

/// The longest precondition header read: far more tags than any client sends.
const MAX_HEADER_LENGTH: usize = 4096;

fn header_tags(headers: &Headers, name: &str) -> Result<Option<Tags>, ScimError> {
    let mut combined: Option<Tags> = None;
    for value in headers.get_all(name) {
        if value.len() > MAX_HEADER_LENGTH {
            return Err(ScimError::invalid_value(format!(
                "{name} is longer than {MAX_HEADER_LENGTH} bytes"
            )));
        }
        let text = header_text(value)
            .map_err(|()| ScimError::invalid_value(format!("{name} is not valid text")))?;
        let tags = parse_tags(text).ok_or_else(|| {
            ScimError::invalid_value(format!("{name} is not a list of entity tags"))
        })?;
        combined = Some(match (combined, tags) {
            (Some(Tags::Any), _) | (_, Tags::Any) => Tags::Any,
            (Some(Tags::List(mut a)), Tags::List(b)) => {
                a.extend(b);
                Tags::List(a)
            }
            (None, tags) => tags,
        });
    }
    Ok(combined)
}

/// Parse `*` or a comma-separated list of (weak or strong, quoted or not) tags.
fn parse_tags(text: &str) -> Option<Tags> {
    let text = text.trim();
    if text == "*" {
        return Some(Tags::Any);
    }
    let mut tags = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            break;
        }
        if let Some(weak) = rest.strip_prefix("W/") {
            rest = weak;
        }
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"')?;
            tags.push(quoted[..end].to_owned());
            rest = &quoted[end + 1..];
            let next = rest.trim_start();
            if !(next.is_empty() || next.starts_with(',')) {
                return None;
            }
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            let tag = rest[..end].trim();
            if tag.is_empty() || tag.contains(|c: char| c == '"' || c.is_ascii_whitespace()) {
                return None;
            }
            tags.push(tag.to_owned());
            rest = &rest[end..];
        }
    }
    if tags.is_empty() {
        None
    } else {
        Some(Tags::List(tags))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(tags: &[&str]) -> Option<Tags> {
        Some(Tags::List(tags.iter().map(|t| (*t).to_owned()).collect()))
    }

    #[test]
    fn parses_entity_tag_lists() {
        let cases: [(&str, Option<Tags>); 10] = [
            ("*", Some(Tags::Any)),
            ("W/\"3\"", list(&["3"])),
            ("\"3\"", list(&["3"])),
            ("3", list(&["3"])),
            ("W/\"3\", \"4\",W/\"5\"", list(&["3", "4", "5"])),
            ("\"a,b\"", list(&["a,b"])),
            ("\"3", None),
            ("\"3\" x", None),
            ("", None),
            ("a b", None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_tags(input), expected, "{input:?}");
        }
    }
}
