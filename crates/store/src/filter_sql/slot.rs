//! What a leaf of a filter reads: the SQL expressions of one value in each typed form.

use crate::sql::{SQL_FALSE, SQL_TRUE};

/// What a leaf can read: SQL expressions for each typed form of one value (`None`: the
/// value never has that form) and whether it is present.
#[derive(Debug, Clone)]
pub(super) struct Slot {
    pub(super) text: Option<String>,
    pub(super) lower: Option<String>,
    /// The identity key of the text (`scim_core::identity::key`), for the values naming a
    /// resource (`userName`, a group's `displayName`): what their comparisons read.
    pub(super) key: Option<String>,
    pub(super) int: Option<String>,
    pub(super) num: Option<String>,
    pub(super) boolean: Option<String>,
    pub(super) time: Option<String>,
    pub(super) present: String,
    /// Whether it is a row of the filter index: its lower-cased text alone is indexed, on
    /// PostgreSQL by its first characters only ([`super::compare::INDEX_PREFIX`]).
    pub(super) prefix_indexed: bool,
}

impl Slot {
    pub(super) fn absent() -> Slot {
        Slot::constant_presence(SQL_FALSE)
    }

    pub(super) fn constant_presence(present: &str) -> Slot {
        Slot {
            text: None,
            lower: None,
            key: None,
            int: None,
            num: None,
            boolean: None,
            time: None,
            present: present.to_owned(),
            prefix_indexed: false,
        }
    }

    /// A text column (or expression) that is never null when the row exists.
    pub(super) fn text(text: String, lower: Option<String>, nullable: bool) -> Slot {
        let present = if nullable {
            format!("({text} IS NOT NULL AND {text} <> '')")
        } else {
            format!("({text} <> '')")
        };
        Slot {
            text: Some(text),
            lower,
            ..Slot::constant_presence(&present)
        }
    }

    /// A text column naming a resource, never null, with its identity key column.
    pub(super) fn identity(text: String, key: String) -> Slot {
        Slot {
            key: Some(key),
            ..Slot::text(text, None, false)
        }
    }

    /// A row of `resource_values` under `alias`.
    pub(super) fn index_row(alias: &str) -> Slot {
        Slot {
            text: Some(format!("{alias}.v_text")),
            lower: Some(format!("{alias}.v_lower")),
            key: None,
            int: Some(format!("{alias}.v_int")),
            num: Some(format!("{alias}.v_num")),
            boolean: Some(format!("{alias}.v_bool")),
            time: Some(format!("{alias}.v_time")),
            present: format!("{alias}.present"),
            prefix_indexed: true,
        }
    }
}

/// A `group_members` row as a member: `value` (the member id) and `type`; `$ref` and
/// `display` are not stored.
pub(super) fn member_slot(sub: Option<&str>, m: &str) -> Slot {
    let Some(sub) = sub else {
        return Slot::constant_presence(SQL_TRUE);
    };
    if sub.eq_ignore_ascii_case("value") {
        Slot::text(
            format!("{m}.member_id"),
            Some(format!("lower({m}.member_id)")),
            false,
        )
    } else if sub.eq_ignore_ascii_case("type") {
        Slot::text(
            format!("{m}.member_type"),
            Some(format!("lower({m}.member_type)")),
            false,
        )
    } else {
        Slot::absent()
    }
}
