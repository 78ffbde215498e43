//! `ResolvedFilter` → one SQL boolean expression with bound parameters, with the semantics of
//! the in-memory evaluator (`scim_core::filter`, pinned by `tests/corpus/`):
//!
//! - attributes in dedicated columns (`id`, `externalId`, `userName` of users, `displayName`
//!   of groups, `meta.*`) compare on the column, so equality hits the unique/primary index;
//! - every other attribute is read from the filter index (`values.rs`): a resource-scoped
//!   comparison is `r.id IN (SELECT resource_id FROM resource_values WHERE org_id = ? AND
//!   attr = ? AND sub = ? AND <typed comparison>)` — any value may match, `ne` included —
//!   served by the `(org_id, attr, sub, v_…)` indexes;
//! - a value path `attr[inner]` is one subquery over the element rows of `attr` whose
//!   `WHERE` is `inner`, each leaf of `inner` correlated on the element (`elem`);
//! - group `members` read `group_members`; a user's `groups` read the membership rows
//!   naming the user (and the group's `displayName`);
//! - every fragment is two-valued (never SQL NULL), so `NOT` is the evaluator's `not`: a
//!   missing attribute makes a comparison false and its negation true;
//! - strings compare on the Rust-lower-cased copy unless the attribute is caseExact, ordered
//!   by code point (SQLite's BINARY collation; `COLLATE "C"` on PostgreSQL); `sw` is a range
//!   on the index, `co`/`ew` use `instr`/`strpos` and suffixes (no LIKE, nothing to escape);
//!   numbers compare numerically (exactly for integers), dateTimes as instants.

use scim_core::filter::{AttributeLocation, AttributeScope, ResolvedAttribute, ResolvedFilter};

use crate::sql::{Bind, SQL_FALSE, SQL_TRUE, Sql};
use crate::values::attr_key;
use crate::{Backend, ResourceKind};

mod compare;
mod slot;

use slot::{Slot, member_slot};

/// Where a top-level attribute's values come from.
enum Source {
    /// A single-valued dedicated column of the resource row.
    Column(Slot),
    /// `meta`, from the resource row's columns.
    Meta,
    /// The filter index, under this `attr` key.
    Index(String),
    /// A group's `members` (`group_members` rows of the group).
    Members,
    /// A user's `groups` (`group_members` rows naming the user).
    UserGroups,
}

/// The element a value path (or a PATCH member filter) is looking at.
#[derive(Debug, Clone)]
pub(crate) enum Element {
    /// An element row of `resource_values` under this alias.
    Index(String),
    /// A `group_members` row under this alias, as a group's member.
    Member(String),
    /// A `group_members` row under this alias, as one of a user's direct groups.
    UserGroup(String),
    /// A `scim_groups` row under this alias, as one of a user's indirect groups (one
    /// they are in through nesting only).
    IndirectGroup(String),
    /// The `meta` of the resource row under this alias.
    Meta(String),
}

/// Translates filters into one statement's text and binds.
pub(crate) struct FilterSql<'s> {
    sql: &'s mut Sql,
    kind: ResourceKind,
    /// The placeholder of the org id.
    org: String,
    aliases: usize,
}

impl<'s> FilterSql<'s> {
    /// A translator writing binds into `sql`; `org` is the placeholder bound to the org id.
    pub(crate) fn new(sql: &'s mut Sql, kind: ResourceKind, org: String) -> FilterSql<'s> {
        FilterSql {
            sql,
            kind,
            org,
            aliases: 0,
        }
    }

    fn alias(&mut self, prefix: &str) -> String {
        self.aliases += 1;
        format!("{prefix}{}", self.aliases)
    }

    fn backend(&self) -> Backend {
        self.sql.backend()
    }

    fn bind(&mut self, value: Bind) -> String {
        self.sql.bind(value)
    }

    /// A resource-scoped filter on the resource row under `row`.
    pub(crate) fn resource(&mut self, filter: &ResolvedFilter, row: &str) -> String {
        self.node(filter, row, None)
    }

    /// An element-scoped filter (a PATCH `members[…]` filter) on `element`; `row` is the
    /// resource row alias.
    pub(crate) fn element(
        &mut self,
        filter: &ResolvedFilter,
        row: &str,
        element: &Element,
    ) -> String {
        self.node(filter, row, Some(element))
    }

    fn node(&mut self, filter: &ResolvedFilter, row: &str, element: Option<&Element>) -> String {
        match filter {
            ResolvedFilter::And(operands) => {
                self.junction(operands, row, element, " AND ", SQL_TRUE)
            }
            ResolvedFilter::Or(operands) => {
                self.junction(operands, row, element, " OR ", SQL_FALSE)
            }
            ResolvedFilter::Not(operand) => format!("(NOT {})", self.node(operand, row, element)),
            ResolvedFilter::Present(attribute) => {
                self.leaf(attribute, row, element, &|_, slot| slot.present.clone())
            }
            ResolvedFilter::Compare(comparison) => {
                self.leaf(&comparison.attribute, row, element, &|this, slot| {
                    this.compare(slot, comparison)
                })
            }
            ResolvedFilter::ValuePath(value_path) => {
                let attribute = &value_path.attribute;
                let inner = &value_path.filter;
                match self.source(attribute, row) {
                    Source::Index(key) => {
                        let e = self.alias("e");
                        let key = self.bind(Bind::Text(key));
                        let inner = self.node(inner, row, Some(&Element::Index(e.clone())));
                        format!(
                            "({row}.id IN (SELECT {e}.resource_id FROM resource_values {e} \
                             WHERE {e}.org_id = {org} AND {e}.attr = {key} AND {e}.sub = '' AND {inner}))",
                            org = self.org
                        )
                    }
                    Source::Members => {
                        let m = self.alias("m");
                        let inner = self.node(inner, row, Some(&Element::Member(m.clone())));
                        format!(
                            "({row}.id IN (SELECT {m}.group_id FROM group_members {m} \
                             WHERE {m}.org_id = {org} AND {inner}))",
                            org = self.org
                        )
                    }
                    Source::UserGroups => self.user_groups(row, &mut |this, element| {
                        this.node(inner, row, Some(element))
                    }),
                    Source::Meta => self.node(inner, row, Some(&Element::Meta(row.to_owned()))),
                    // A value path needs a complex attribute; dedicated columns are simple.
                    Source::Column(_) => SQL_FALSE.to_owned(),
                }
            }
        }
    }

    fn junction(
        &mut self,
        operands: &[ResolvedFilter],
        row: &str,
        element: Option<&Element>,
        separator: &str,
        empty: &str,
    ) -> String {
        if operands.is_empty() {
            return empty.to_owned();
        }
        let parts: Vec<String> = operands
            .iter()
            .map(|operand| self.node(operand, row, element))
            .collect();
        format!("({})", parts.join(separator))
    }

    /// A comparison or presence test (`test` turns a slot into SQL) on `attribute`.
    fn leaf(
        &mut self,
        attribute: &ResolvedAttribute,
        row: &str,
        element: Option<&Element>,
        test: &dyn Fn(&mut Self, &Slot) -> String,
    ) -> String {
        let sub = attribute.sub_attribute.as_deref();
        match (attribute.scope, element) {
            (AttributeScope::Element, Some(element)) => match element {
                Element::Index(e) => match sub {
                    None => test(self, &Slot::index_row(e)),
                    Some(sub) => {
                        let s = self.alias("s");
                        let sub = self.bind(Bind::Text(sub.to_lowercase()));
                        let condition = test(self, &Slot::index_row(&s));
                        format!(
                            "(EXISTS (SELECT 1 FROM resource_values {s} WHERE {s}.org_id = {e}.org_id AND {s}.resource_id = {e}.resource_id \
                             AND {s}.attr = {e}.attr AND {s}.elem = {e}.elem AND {s}.sub = {sub} AND {condition}))"
                        )
                    }
                },
                Element::Member(m) => test(self, &member_slot(sub, m)),
                Element::UserGroup(m) => {
                    let slot = self.user_group_slot(sub, m);
                    test(self, &slot)
                }
                Element::IndirectGroup(g) => test(self, &indirect_group_slot(sub, g)),
                Element::Meta(meta_row) => test(self, &self.meta_slot(sub, meta_row)),
            },
            // An element-scoped attribute outside a value path has no element: no values.
            (AttributeScope::Element, None) => test(self, &Slot::absent()),
            (AttributeScope::Resource, _) => match self.source(attribute, row) {
                Source::Column(slot) => test(self, &slot),
                Source::Meta => test(self, &self.meta_slot(sub, row)),
                Source::Index(key) => {
                    let v = self.alias("v");
                    let key = self.bind(Bind::Text(key));
                    let sub = self.bind(Bind::Text(sub.map(str::to_lowercase).unwrap_or_default()));
                    let condition = test(self, &Slot::index_row(&v));
                    format!(
                        "({row}.id IN (SELECT {v}.resource_id FROM resource_values {v} WHERE {v}.org_id = {org} \
                         AND {v}.attr = {key} AND {v}.sub = {sub} AND {condition}))",
                        org = self.org
                    )
                }
                Source::Members => {
                    let m = self.alias("m");
                    let condition = test(self, &member_slot(sub, &m));
                    format!(
                        "({row}.id IN (SELECT {m}.group_id FROM group_members {m} \
                         WHERE {m}.org_id = {org} AND {condition}))",
                        org = self.org
                    )
                }
                Source::UserGroups => self.user_groups(row, &mut |this, element| {
                    let slot = match element {
                        Element::UserGroup(m) => this.user_group_slot(sub, m),
                        Element::IndirectGroup(g) => indirect_group_slot(sub, g),
                        _ => Slot::absent(),
                    };
                    test(this, &slot)
                }),
            },
        }
    }

    /// Users having one of their `groups` for which `condition` (built for an element)
    /// holds. A user's groups are the direct ones (their `group_members` rows) and the
    /// indirect ones: groups they are in only through nesting (RFC 7643 §4.1.2). The
    /// direct branch reads membership rows as before. The indirect branch starts from the
    /// groups for which the condition holds as indirect (by primary key or name key when
    /// it names one) and walks down the nested groups below them, so it costs in
    /// proportion to those groups' subtrees, never to the org. `CROSS JOIN` keeps SQLite
    /// (which has no statistics) to that order; PostgreSQL reads it as a plain join.
    fn user_groups(
        &mut self,
        row: &str,
        condition: &mut dyn FnMut(&mut Self, &Element) -> String,
    ) -> String {
        let org = self.org.clone();
        let m = self.alias("m");
        let direct = condition(self, &Element::UserGroup(m.clone()));
        let g = self.alias("g");
        let indirect = condition(self, &Element::IndirectGroup(g.clone()));
        let [below, n, b, u, d] = ["below", "n", "b", "u", "d"].map(|prefix| self.alias(prefix));
        format!(
            "({row}.id IN (SELECT {m}.member_id FROM group_members {m} \
             WHERE {m}.org_id = {org} AND {direct}) \
             OR {row}.id IN (WITH RECURSIVE {below}(top, grp) AS ( \
               SELECT {g}.id, {n}.member_id FROM scim_groups {g} CROSS JOIN group_members {n} \
               WHERE {g}.org_id = {org} AND {indirect} \
               AND {n}.member_type = 'Group' AND {n}.group_id = {g}.id \
               UNION \
               SELECT {b}.top, {n}.member_id FROM {below} {b} CROSS JOIN group_members {n} \
               WHERE {n}.member_type = 'Group' AND {n}.group_id = {b}.grp) \
             SELECT {u}.member_id FROM {below} {b} CROSS JOIN group_members {u} \
             WHERE {u}.group_id = {b}.grp AND NOT EXISTS (SELECT 1 FROM group_members {d} \
               WHERE {d}.group_id = {b}.top AND {d}.member_id = {u}.member_id)))"
        )
    }

    /// Where the values of a resource-scoped top-level attribute are.
    fn source(&self, attribute: &ResolvedAttribute, row: &str) -> Source {
        let name = attribute.name.as_str();
        let is = |canonical: &str| name.eq_ignore_ascii_case(canonical);
        match &attribute.location {
            AttributeLocation::Common if is("id") => {
                Source::Column(Slot::text(format!("{row}.id"), None, false))
            }
            AttributeLocation::Common if is("externalId") => {
                Source::Column(Slot::text(format!("{row}.external_id"), None, true))
            }
            AttributeLocation::Common if is("meta") => Source::Meta,
            AttributeLocation::Core if self.kind == ResourceKind::User && is("userName") => {
                Source::Column(Slot::identity(
                    format!("{row}.user_name"),
                    format!("{row}.user_name_key"),
                ))
            }
            AttributeLocation::Core if self.kind == ResourceKind::User && is("groups") => {
                Source::UserGroups
            }
            AttributeLocation::Core if self.kind == ResourceKind::Group && is("displayName") => {
                Source::Column(Slot::identity(
                    format!("{row}.display_name"),
                    format!("{row}.display_name_key"),
                ))
            }
            AttributeLocation::Core if self.kind == ResourceKind::Group && is("members") => {
                Source::Members
            }
            AttributeLocation::Extension(urn) => Source::Index(attr_key(Some(urn), name)),
            AttributeLocation::Common | AttributeLocation::Core => {
                Source::Index(attr_key(None, name))
            }
        }
    }

    /// `meta` and its sub-attributes, from the row's columns. `location` is not stored (the
    /// HTTP layer adds it), so it is absent.
    fn meta_slot(&self, sub: Option<&str>, row: &str) -> Slot {
        let Some(sub) = sub else {
            return Slot::constant_presence(SQL_TRUE);
        };
        let is = |canonical: &str| sub.eq_ignore_ascii_case(canonical);
        if is("resourceType") {
            let name = match self.kind {
                ResourceKind::User => "'User'",
                ResourceKind::Group => "'Group'",
            };
            Slot::text(name.to_owned(), Some(name.to_lowercase()), false)
        } else if is("created") || is("lastModified") {
            let column = if is("created") {
                "created"
            } else {
                "last_modified"
            };
            Slot {
                time: Some(format!("{row}.{column}")),
                ..Slot::constant_presence(SQL_TRUE)
            }
        } else if is("version") {
            Slot::text(
                format!(
                    "('W/\"' || CAST({} AS TEXT) || '\"')",
                    crate::version::version_sql(self.kind, row)
                ),
                None,
                false,
            )
        } else {
            Slot::absent()
        }
    }

    /// One of a user's direct groups: `value` (the group id), `display` (its
    /// displayName), `type` (`direct`); `$ref` is not stored.
    fn user_group_slot(&mut self, sub: Option<&str>, m: &str) -> Slot {
        let Some(sub) = sub else {
            return Slot::constant_presence(SQL_TRUE);
        };
        let is = |canonical: &str| sub.eq_ignore_ascii_case(canonical);
        if is("value") {
            Slot::text(
                format!("{m}.group_id"),
                Some(format!("lower({m}.group_id)")),
                false,
            )
        } else if is("display") {
            let g = self.alias("g");
            let g2 = self.alias("g");
            Slot {
                key: Some(format!(
                    "(SELECT {g2}.display_name_key FROM scim_groups {g2} WHERE {g2}.id = {m}.group_id)"
                )),
                ..Slot::text(
                    format!(
                        "(SELECT {g}.display_name FROM scim_groups {g} WHERE {g}.id = {m}.group_id)"
                    ),
                    None,
                    true,
                )
            }
        } else if is("type") {
            Slot::text("'direct'".to_owned(), Some("'direct'".to_owned()), false)
        } else {
            Slot::absent()
        }
    }
}

/// One of a user's indirect groups, the `scim_groups` row `g`: `value`, `display`, `type`
/// (`indirect`); `$ref` is not stored.
fn indirect_group_slot(sub: Option<&str>, g: &str) -> Slot {
    let Some(sub) = sub else {
        return Slot::constant_presence(SQL_TRUE);
    };
    let is = |canonical: &str| sub.eq_ignore_ascii_case(canonical);
    if is("value") {
        Slot::text(format!("{g}.id"), Some(format!("lower({g}.id)")), false)
    } else if is("display") {
        Slot::identity(format!("{g}.display_name"), format!("{g}.display_name_key"))
    } else if is("type") {
        Slot::text(
            "'indirect'".to_owned(),
            Some("'indirect'".to_owned()),
            false,
        )
    } else {
        Slot::absent()
    }
}
