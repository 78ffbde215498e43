//! Lists: one filtered, sorted page and the total, as SQL.
//!
//! Order: the sort key, then `id`; without `sortBy`, creation time then `id` (the
//! `(org_id, created, id)` index). A sort key is a dedicated column or, for any other
//! attribute, a correlated subquery on the filter index picking the primary element's value,
//! else the first element's. Strings sort on their lower-cased copy unless caseExact, numbers
//! numerically, dateTimes as instants. Resources without a value sort **last in both
//! orders**. `groups`/`members`, `meta.resourceType` and `meta.location` give no key (every
//! resource ties; the order is then by `id`).

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use scim_core::filter::{AttributeLocation, ResolvedAttribute, ResolvedFilter};
use scim_core::schema::AttrType;

use crate::filter_sql::FilterSql;
use crate::resource::{ResourceRow, Resources, row_columns};
use crate::sql::{Bind, Sql};
use crate::values::attr_key;
use crate::version::version_sql;
use crate::{ListQuery, Page, ResourceKind, StoreError};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

impl Resources<'_, '_> {
    /// One page of resources matching a filter, run as SQL (never by loading the org).
    pub fn list(&mut self, org_id: &str, query: &ListQuery<'_>) -> Result<Page, StoreError> {
        let kind = self.kind;
        let (from, org) = filtered(self.tx.backend, org_id, kind, query.filter);
        let offset = query.start_index.saturating_sub(1);
        let mut rows: Vec<ResourceRow> = Vec::new();
        if query.count > 0 {
            rows = page_query(from.clone(), kind, query, &org).load(self.tx.conn)?;
        }
        // A short page that is not empty tells the total without counting.
        let fetched = u64::try_from(rows.len()).unwrap_or(u64::MAX);
        let total_results = if !rows.is_empty() && fetched < query.count {
            offset + fetched
        } else if rows.is_empty() && offset == 0 && query.count > 0 {
            // An empty first page: nothing matches (Okta's lookup before every create).
            0
        } else {
            let mut count = from;
            count.prepend("SELECT COUNT(*) AS total");
            let counted: Vec<Count> = count.load(self.tx.conn)?;
            counted
                .first()
                .map_or(0, |count| u64::try_from(count.total).unwrap_or(0))
        };
        let resources = self.tx.assemble(org_id, kind, rows, query.load_members)?;
        Ok(Page {
            total_results,
            resources,
        })
    }
}

/// ` FROM <table> r WHERE r.org_id = <org> AND <filter>`, shared by the page and the count,
/// and the placeholder of the org id.
pub(crate) fn filtered(
    backend: crate::Backend,
    org_id: &str,
    kind: ResourceKind,
    filter: Option<&ResolvedFilter>,
) -> (Sql, String) {
    let mut from = Sql::new(backend);
    // No filter or one comparison (attribute names and values are binds): a small, fixed set
    // of statement shapes, worth preparing once per connection (the IdPs' lookups).
    if matches!(
        filter,
        None | Some(ResolvedFilter::Compare(_) | ResolvedFilter::Present(_))
    ) {
        from.cacheable();
    }
    let org = from.bind(Bind::Text(org_id.to_owned()));
    let condition = match filter {
        Some(filter) => FilterSql::new(&mut from, kind, org.clone()).resource(filter, "r"),
        None => crate::sql::SQL_TRUE.to_owned(),
    };
    from.push(&format!(
        " FROM {} r WHERE r.org_id = {org} AND {condition}",
        kind.table()
    ));
    (from, org)
}

/// The page query: rows in order, `LIMIT count OFFSET startIndex - 1`.
fn page_query(mut page: Sql, kind: ResourceKind, query: &ListQuery<'_>, org: &str) -> Sql {
    let offset = query.start_index.saturating_sub(1);
    let order = order_by(&mut page, kind, query, org);
    let limit = page.bind(Bind::BigInt(to_i64(query.count)));
    let skip = page.bind(Bind::BigInt(to_i64(offset)));
    page.prepend(&format!("SELECT {}", row_columns(kind)));
    page.push(&format!(" ORDER BY {order} LIMIT {limit} OFFSET {skip}"));
    page
}

/// The page query of a list, for `EXPLAIN` in tests.
#[cfg(feature = "testing")]
pub(crate) fn list_sql(
    backend: crate::Backend,
    org_id: &str,
    kind: ResourceKind,
    query: &ListQuery<'_>,
) -> Sql {
    let (from, org) = filtered(backend, org_id, kind, query.filter);
    page_query(from, kind, query, &org)
}

pub(crate) fn to_i64(number: u64) -> i64 {
    i64::try_from(number).unwrap_or(i64::MAX)
}

/// The ORDER BY list for the query.
fn order_by(sql: &mut Sql, kind: ResourceKind, query: &ListQuery<'_>, org: &str) -> String {
    let _ = org;
    let Some(sort) = query.sort else {
        return "r.created, r.id".to_owned();
    };
    let direction = if sort.descending { "DESC" } else { "ASC" };
    match sort_key(sql, kind, sort.attribute) {
        Some(key) => format!(
            "CASE WHEN {key} IS NULL THEN 1 ELSE 0 END, {key} {direction}, r.id {direction}"
        ),
        None => format!("r.id {direction}"),
    }
}

/// The SQL expression a resource sorts by, if the attribute gives one.
fn sort_key(sql: &mut Sql, kind: ResourceKind, attribute: &ResolvedAttribute) -> Option<String> {
    let name = attribute.name.as_str();
    let is = |canonical: &str| name.eq_ignore_ascii_case(canonical);
    let sub = attribute.sub_attribute.as_deref();
    let is_sub = |canonical: &str| sub.is_some_and(|s| s.eq_ignore_ascii_case(canonical));
    match &attribute.location {
        AttributeLocation::Common if is("id") => return Some("r.id".to_owned()),
        AttributeLocation::Common if is("externalId") => return Some("r.external_id".to_owned()),
        AttributeLocation::Common if is("meta") => {
            return if is_sub("created") {
                Some("r.created".to_owned())
            } else if is_sub("lastModified") {
                Some("r.last_modified".to_owned())
            } else if is_sub("version") {
                Some(version_sql(kind, "r"))
            } else {
                None
            };
        }
        AttributeLocation::Core if kind == ResourceKind::User && is("userName") => {
            return Some("r.user_name_key".to_owned());
        }
        AttributeLocation::Core if kind == ResourceKind::Group && is("displayName") => {
            return Some("r.display_name_key".to_owned());
        }
        AttributeLocation::Core
            if (kind == ResourceKind::User && is("groups"))
                || (kind == ResourceKind::Group && is("members")) =>
        {
            return None;
        }
        _ => {}
    }
    let key = match &attribute.location {
        AttributeLocation::Extension(urn) => attr_key(Some(urn), name),
        _ => attr_key(None, name),
    };
    // A complex attribute sorts by its `value`.
    let sub = match (sub, attribute.ty) {
        (Some(sub), _) => sub.to_lowercase(),
        (None, AttrType::Complex) => "value".to_owned(),
        (None, _) => String::new(),
    };
    let column = match attribute.ty {
        AttrType::Integer | AttrType::Decimal => "v_num",
        AttrType::Boolean => "v_bool",
        AttrType::DateTime => "v_time",
        _ if attribute.case_exact => "v_text",
        _ => "v_lower",
    };
    let key = sql.bind(Bind::Text(key));
    let sub = sql.bind(Bind::Text(sub));
    let primary = sql.bind(Bind::Bool(true));
    Some(format!(
        "(SELECT k.{column} FROM resource_values k WHERE k.resource_id = r.id AND k.attr = {key} \
         AND k.sub = {sub} AND k.{column} IS NOT NULL ORDER BY CASE WHEN EXISTS (SELECT 1 FROM \
         resource_values p WHERE p.resource_id = k.resource_id AND p.attr = k.attr AND p.elem = k.elem \
         AND p.sub = 'primary' AND p.v_bool = {primary}) THEN 0 ELSE 1 END, k.elem LIMIT 1)"
    ))
}
