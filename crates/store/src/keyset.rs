//! Keyset pages (RFC 9865 cursors): the page after (or before) a position in the list order,
//! found by comparing keys, never by `OFFSET`, so page 9,000 costs what page 1 costs.
//!
//! The order is the one of [`Resources::list`]: without `sortBy` `(created, id)` (the
//! `(org_id, created, id)` index); with `sortBy` the sort key, then `id`, in the sort
//! direction, resources without a value **last in both directions**. A position is the last
//! (or first) row's key and id; the next page is `WHERE (key, id) > (last)` in that order.
//! Rows that exist for a whole walk are neither skipped nor repeated, whatever is inserted
//! or deleted meanwhile.
//!
//! Keysets are offered for the orders whose key is a column of the resource table: none
//! (creation order), `id`, `externalId`, `meta.created`, `meta.lastModified`, and
//! `userName` (users) or `displayName` (groups). Other `sortBy` attributes sort through a
//! correlated subquery on the filter index, with no index to seek; see [`keyset_supported`].

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};
use scim_core::filter::{AttributeLocation, ResolvedAttribute};

use crate::list::{filtered, to_i64};
use crate::resource::{ResourceRow, Resources, row_columns};
use crate::sql::Bind;
use crate::{ListQuery, ResourceKind, Sort, StoreError, StoredResource};

/// Where a keyset page starts: the key and id of a row (which need not exist any more).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysetPosition {
    /// The sort key as stored (`created` without `sortBy`); `None` when the row has no
    /// value (such rows sort last).
    pub key: Option<String>,
    /// The row's id, the tie-breaker.
    pub id: String,
}

/// Which side of the position a page lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysetDirection {
    /// The rows after the position (a `nextCursor`).
    After,
    /// The rows before the position (a `previousCursor`).
    Before,
}

/// A page request relative to a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    /// After or before.
    pub direction: KeysetDirection,
    /// The position.
    pub position: KeysetPosition,
}

/// One keyset page.
#[derive(Debug, Clone, PartialEq)]
pub struct KeysetPage {
    /// How many resources match the filter in all.
    pub total_results: u64,
    /// The page, in list order.
    pub resources: Vec<StoredResource>,
    /// The position of the page's first row (for the page before it).
    pub first: Option<KeysetPosition>,
    /// The position of the page's last row (for the page after it).
    pub last: Option<KeysetPosition>,
    /// Whether rows precede this page.
    pub more_before: bool,
    /// Whether rows follow this page.
    pub more_after: bool,
}

/// The column a keyset compares, and whether it may be NULL.
#[derive(Debug, Clone, Copy)]
struct KeyColumn {
    expression: &'static str,
    nullable: bool,
}

/// Whether keyset pages are offered for this order (see the module doc).
pub fn keyset_supported(kind: ResourceKind, sort: Option<Sort<'_>>) -> bool {
    key_column(kind, sort.map(|sort| sort.attribute)).is_some()
}

fn key_column(kind: ResourceKind, sort: Option<&ResolvedAttribute>) -> Option<KeyColumn> {
    let not_null = |expression| {
        Some(KeyColumn {
            expression,
            nullable: false,
        })
    };
    let Some(attribute) = sort else {
        return not_null("r.created");
    };
    let is = |canonical: &str| attribute.name.eq_ignore_ascii_case(canonical);
    let sub = attribute.sub_attribute.as_deref();
    let is_sub = |canonical: &str| sub.is_some_and(|s| s.eq_ignore_ascii_case(canonical));
    match &attribute.location {
        AttributeLocation::Common if is("id") => not_null("r.id"),
        AttributeLocation::Common if is("externalId") => Some(KeyColumn {
            expression: "r.external_id",
            nullable: true,
        }),
        AttributeLocation::Common if is("meta") && is_sub("created") => not_null("r.created"),
        AttributeLocation::Common if is("meta") && is_sub("lastModified") => {
            not_null("r.last_modified")
        }
        AttributeLocation::Core if kind == ResourceKind::User && is("userName") => {
            not_null("r.user_name_key")
        }
        AttributeLocation::Core if kind == ResourceKind::Group && is("displayName") => {
            not_null("r.display_name_key")
        }
        _ => None,
    }
}

#[derive(QueryableByName)]
struct KeyedRow {
    #[diesel(embed)]
    resource: ResourceRow,
    #[diesel(sql_type = Nullable<Text>)]
    sort_key: Option<String>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

impl Resources<'_, '_> {
    /// The page after or before `from` (the first page when `None`), `query.count` rows at
    /// most, in list order; `query.start_index` is ignored. Fails with
    /// [`StoreError::Invalid`] for an order [`keyset_supported`] refuses.
    pub fn list_keyset(
        &mut self,
        org_id: &str,
        query: &ListQuery<'_>,
        from: Option<&Keyset>,
    ) -> Result<KeysetPage, StoreError> {
        let kind = self.kind;
        let sort = query.sort;
        let column = key_column(kind, sort.map(|sort| sort.attribute)).ok_or_else(|| {
            StoreError::Invalid("keyset pages are not offered for this sortBy".to_owned())
        })?;
        let descending = sort.is_some_and(|sort| sort.descending);
        let backwards = from.is_some_and(|keyset| keyset.direction == KeysetDirection::Before);
        // Walking backwards is walking the reversed order forwards.
        let reversed = descending != backwards;
        let (from_sql, _org) = filtered(self.tx.backend, org_id, kind, query.filter);

        let mut count = from_sql.clone();
        count.prepend("SELECT COUNT(*) AS total");
        let counted: Vec<Count> = count.load(self.tx.conn)?;
        let total_results = counted
            .first()
            .map_or(0, |count| u64::try_from(count.total).unwrap_or(0));

        let mut rows: Vec<KeyedRow> = Vec::new();
        if query.count > 0 {
            let mut page = from_sql;
            let key = column.expression;
            let op = if reversed { "<" } else { ">" };
            if let Some(keyset) = from {
                let id = page.bind(Bind::Text(keyset.position.id.clone()));
                let condition = match (&keyset.position.key, column.nullable) {
                    (Some(value), nullable) => {
                        let value = page.bind(Bind::Text(value.clone()));
                        let beyond = format!("({key}, r.id) {op} ({value}, {id})");
                        match (nullable, keyset.direction) {
                            (false, _) => beyond,
                            // Rows without a key come after every row with one.
                            (true, KeysetDirection::After) => {
                                format!("(({key} IS NOT NULL AND {beyond}) OR {key} IS NULL)")
                            }
                            (true, KeysetDirection::Before) => {
                                format!("({key} IS NOT NULL AND {beyond})")
                            }
                        }
                    }
                    (None, true) => match keyset.direction {
                        KeysetDirection::After => format!("({key} IS NULL AND r.id {op} {id})"),
                        KeysetDirection::Before => {
                            format!("({key} IS NOT NULL OR r.id {op} {id})")
                        }
                    },
                    (None, false) => {
                        return Err(StoreError::Invalid(
                            "a keyset position without a key for a key that is never null"
                                .to_owned(),
                        ));
                    }
                };
                page.push(&format!(" AND {condition}"));
            }
            let direction = if reversed { "DESC" } else { "ASC" };
            let nulls = if !column.nullable {
                String::new()
            } else if backwards {
                format!("CASE WHEN {key} IS NULL THEN 0 ELSE 1 END, ")
            } else {
                format!("CASE WHEN {key} IS NULL THEN 1 ELSE 0 END, ")
            };
            let limit = page.bind(Bind::BigInt(to_i64(query.count.saturating_add(1))));
            page.prepend(&format!("SELECT {}, {key} AS sort_key", row_columns(kind)));
            page.push(&format!(
                " ORDER BY {nulls}{key} {direction}, r.id {direction} LIMIT {limit}"
            ));
            rows = page.load(self.tx.conn)?;
        }
        let more = u64::try_from(rows.len()).unwrap_or(u64::MAX) > query.count;
        rows.truncate(usize::try_from(query.count).unwrap_or(usize::MAX));
        if backwards {
            rows.reverse();
        }
        let position = |row: &KeyedRow| KeysetPosition {
            key: row.sort_key.clone(),
            id: row.resource.id.clone(),
        };
        let first = rows.first().map(position);
        let last = rows.last().map(position);
        let (more_before, more_after) = if backwards {
            (more, from.is_some())
        } else {
            (from.is_some(), more)
        };
        let resources = self.tx.assemble(
            org_id,
            kind,
            rows.into_iter().map(|row| row.resource).collect(),
            query.load_members,
        )?;
        Ok(KeysetPage {
            total_results,
            resources,
            first,
            last,
            more_before,
            more_after,
        })
    }
}
