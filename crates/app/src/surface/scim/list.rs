//! Query parameters (`filter`, `startIndex`, `count`, `sortBy`, `sortOrder`,
//! `attributes`, `excludedAttributes`; names case-insensitive) and the ListResponse.
//!
//! Decisions (RFC 7644 §3.4.2):
//! - `startIndex` below 1 is 1; `count` below 0 is 0 and above the configured maximum
//!   is the maximum; without `count` the default page size applies. A value that is not
//!   an integer is a 400 `invalidValue`; an out-of-range integer saturates.
//! - `sortBy` is resolved like a filter attribute; an unknown attribute or a complex one
//!   without a `value` sub-attribute is a 400 `invalidValue`. `sortOrder` is
//!   `ascending` (default) or `descending`, case-insensitively; anything else is a 400
//!   `invalidValue`.
//! - A repeated parameter: the last one wins.
//! - `cursor` (RFC 9865; `cursor=` or `cursor` alone asks for the first page) pages by
//!   keyset (see `cursor.rs` and `rollcall_store::Tx::list_keyset`): the response carries
//!   `nextCursor` unless it is the last page and `previousCursor` unless it is the first,
//!   and no `startIndex`. `cursor` with `startIndex` is a 400 `invalidValue`; with a `count`
//!   below 1 a 400 `invalidCount` (above the maximum it is the maximum); with a `sortBy`
//!   that is not a column of its own (only `id`, `externalId`, `meta.created`,
//!   `meta.lastModified`, users' `userName` and groups' `displayName` are) a 400
//!   `invalidValue` naming those.

use rollcall_store::{
    KeysetPage, ListQuery, Page, ResourceKind, Sort, StoredResource, keyset_supported,
};
use scim_core::filter::{self, ResolvedAttribute, ResolvedFilter};
use scim_core::schema::{AttrType, ResourceType, urn};
use scim_core::{
    AttrPath, Deviation, Dialect, DialectContext, Projection, SchemaRegistry, ScimError, ScimType,
};
use serde_json::{Value, json};

use super::links::with_location;
use crate::config::ScimConfig;
use crate::error::Error;
use crate::surface::path::query_pairs;

/// The longest value of a query parameter other than `filter` (which has its own limit).
pub(crate) const MAX_PARAMETER_LENGTH: usize = 4096;

/// The raw parameters of a request, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct QueryParams {
    pub(crate) filter: Option<String>,
    pub(crate) start_index: Option<String>,
    pub(crate) count: Option<String>,
    pub(crate) sort_by: Option<String>,
    pub(crate) sort_order: Option<String>,
    pub(crate) attributes: Option<String>,
    pub(crate) excluded_attributes: Option<String>,
    pub(crate) cursor: Option<String>,
}

impl QueryParams {
    /// Parse a URL query string; unknown parameters are ignored.
    pub(crate) fn from_query(query: &str) -> Result<Self, Error> {
        let pairs = query_pairs(query)?;
        let mut params = QueryParams::default();
        for (name, value) in pairs {
            if let Some(slot) = params.slot(&name) {
                *slot = Some(value);
            }
        }
        params.check_lengths()?;
        Ok(params)
    }

    /// A 400 with a SCIM body for a parameter longer than this server reads, long before
    /// the HTTP layer's own limit (a URI over 64 KiB, answered without a body) could cut
    /// in. The filter's own limit ([`filter::MAX_FILTER_LENGTH`], `invalidFilter`) is the
    /// parser's.
    fn check_lengths(&self) -> Result<(), Error> {
        let named = [
            ("sortBy", &self.sort_by),
            ("sortOrder", &self.sort_order),
            ("attributes", &self.attributes),
            ("excludedAttributes", &self.excluded_attributes),
            ("cursor", &self.cursor),
            ("startIndex", &self.start_index),
            ("count", &self.count),
        ];
        for (name, value) in named {
            if let Some(value) = value
                && value.len() > MAX_PARAMETER_LENGTH
            {
                return Err(ScimError::invalid_value(format!(
                    "{name} is {} bytes long; the limit is {MAX_PARAMETER_LENGTH} bytes",
                    value.len()
                ))
                .into());
            }
        }
        Ok(())
    }

    /// Parse a `POST /.search` body (a SearchRequest, RFC 7644 §3.4.3).
    pub(crate) fn from_search_request(body: &Value) -> Result<Self, ScimError> {
        let Some(object) = body.as_object() else {
            return Err(ScimError::invalid_syntax(
                "a SearchRequest must be a JSON object",
            ));
        };
        let mut params = QueryParams::default();
        for (name, value) in object {
            if name.eq_ignore_ascii_case("schemas") {
                let ok = value.as_array().is_some_and(|schemas| {
                    schemas.iter().any(|s| {
                        s.as_str()
                            .is_some_and(|s| s.eq_ignore_ascii_case(urn::SEARCH_REQUEST))
                    })
                });
                if !ok {
                    return Err(ScimError::invalid_syntax(format!(
                        "a SearchRequest must list {} in schemas",
                        urn::SEARCH_REQUEST
                    )));
                }
                continue;
            }
            let text = match value {
                Value::Null => continue,
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                Value::Array(items) => {
                    let mut names = Vec::with_capacity(items.len());
                    for item in items {
                        let Some(item) = item.as_str() else {
                            return Err(ScimError::invalid_value(format!(
                                "{name} must list attribute names"
                            )));
                        };
                        names.push(item);
                    }
                    names.join(",")
                }
                _ => {
                    return Err(ScimError::invalid_value(format!(
                        "{name} has a value of the wrong type"
                    )));
                }
            };
            if let Some(slot) = params.slot(name) {
                *slot = Some(text);
            }
        }
        Ok(params)
    }

    fn slot(&mut self, name: &str) -> Option<&mut Option<String>> {
        let slot = match name.to_ascii_lowercase().as_str() {
            "filter" => &mut self.filter,
            "startindex" => &mut self.start_index,
            "count" => &mut self.count,
            "sortby" => &mut self.sort_by,
            "sortorder" => &mut self.sort_order,
            "attributes" => &mut self.attributes,
            "excludedattributes" => &mut self.excluded_attributes,
            "cursor" => &mut self.cursor,
            _ => return None,
        };
        Some(slot)
    }

    /// Whether the request names `attributes` or `excludedAttributes`.
    pub(crate) fn has_projection(&self) -> bool {
        self.attributes.is_some() || self.excluded_attributes.is_some()
    }

    /// The projection these parameters ask for.
    pub(crate) fn projection(
        &self,
        registry: &SchemaRegistry,
        rt: &ResourceType,
    ) -> Result<Projection, ScimError> {
        Projection::parse(
            registry,
            rt,
            self.attributes.as_deref(),
            self.excluded_attributes.as_deref(),
        )
    }
}

/// Whether a group's `members` must be read to answer under `projection`.
pub(crate) fn needs_members(
    registry: &SchemaRegistry,
    rt: &ResourceType,
    kind: ResourceKind,
    projection: &Projection,
) -> bool {
    kind == ResourceKind::Group && !projection.excludes(registry, rt, &AttrPath::new("members"))
}

/// A list request checked and resolved, ready for the store.
#[derive(Debug, Clone)]
pub(crate) struct ListPlan {
    filter: Option<ResolvedFilter>,
    sort: Option<(ResolvedAttribute, bool)>,
    start_index: u64,
    count: u64,
    load_members: bool,
    pub(crate) projection: Projection,
    /// Cursor paging: the cursor sent (`""` for the first page) and what it is bound to.
    pub(crate) cursor: Option<CursorPlan>,
    /// The IdP deviations the filter relied on (counted once the list is answered).
    pub(crate) tolerated: Vec<Deviation>,
}

/// The cursor of a cursor-paged list and the query it must belong to.
#[derive(Debug, Clone)]
pub(crate) struct CursorPlan {
    /// The cursor as sent; empty for the first page.
    pub(crate) cursor: String,
    /// The filter as printed from its parsed form, `""` without one.
    pub(crate) filter: String,
    /// Lower-cased `sortBy` and the order, `""` without `sortBy`.
    pub(crate) sort: String,
}

impl ListPlan {
    /// Check and resolve the parameters of a list of `kind`, the filter read in `dialect`
    /// (the lenient dialect reads Entra ID's `attr[filter].sub op value`).
    pub(crate) fn new(
        registry: &SchemaRegistry,
        (rt, kind): (&ResourceType, ResourceKind),
        config: &ScimConfig,
        params: &QueryParams,
        dialect: Dialect,
    ) -> Result<Self, ScimError> {
        let mut printed_filter = String::new();
        let mut dialect = DialectContext::new(dialect);
        let filter = match params.filter.as_deref() {
            Some(text) if !text.trim().is_empty() => {
                let parsed = filter::parse_in(text, &mut dialect)?;
                printed_filter = parsed.to_string();
                Some(filter::resolve(registry, rt, &parsed)?)
            }
            _ => None,
        };
        let descending = match params.sort_order.as_deref().map(str::trim) {
            None | Some("") => false,
            Some(order) if order.eq_ignore_ascii_case("ascending") => false,
            Some(order) if order.eq_ignore_ascii_case("descending") => true,
            Some(order) => {
                return Err(ScimError::invalid_value(format!(
                    "sortOrder must be \"ascending\" or \"descending\", not {order:?}"
                )));
            }
        };
        let sort = match params.sort_by.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(name) => Some((sort_attribute(registry, rt, name)?, descending)),
        };
        let start_index = match params.start_index.as_deref() {
            None => 1,
            Some(text) => integer("startIndex", text)?.max(1).unsigned_abs(),
        };
        let count = match params.count.as_deref() {
            None => config.default_page_size.min(config.max_page_size),
            Some(text) => integer("count", text)?
                .max(0)
                .unsigned_abs()
                .min(config.max_page_size),
        };
        let projection = params.projection(registry, rt)?;
        let cursor = match &params.cursor {
            None => None,
            Some(cursor) => {
                if params.start_index.is_some() {
                    return Err(ScimError::invalid_value(
                        "startIndex and cursor cannot be combined: page by one or the other",
                    ));
                }
                if count < 1 {
                    return Err(ScimError::bad_request(
                        ScimType::InvalidCount,
                        format!(
                            "with a cursor, count must be between 1 and {}",
                            config.max_page_size
                        ),
                    ));
                }
                let sort_key = sort.as_ref().map(|(attribute, descending)| Sort {
                    attribute,
                    descending: *descending,
                });
                if !keyset_supported(kind, sort_key) {
                    return Err(ScimError::invalid_value(format!(
                        "cursor paging sorts only by id, externalId, meta.created, \
                         meta.lastModified and {}, not by {:?}; use startIndex to sort by it",
                        match kind {
                            ResourceKind::User => "userName",
                            ResourceKind::Group => "displayName",
                        },
                        params.sort_by.as_deref().unwrap_or_default()
                    )));
                }
                let sort = match (&sort, params.sort_by.as_deref()) {
                    (Some((_, descending)), Some(name)) => format!(
                        "{}:{}",
                        name.trim().to_ascii_lowercase(),
                        if *descending {
                            "descending"
                        } else {
                            "ascending"
                        }
                    ),
                    _ => String::new(),
                };
                Some(CursorPlan {
                    cursor: cursor.clone(),
                    filter: printed_filter,
                    sort,
                })
            }
        };
        Ok(ListPlan {
            filter,
            sort,
            start_index,
            count,
            load_members: needs_members(registry, rt, kind, &projection),
            projection,
            cursor,
            tolerated: dialect.tolerated,
        })
    }

    /// The 1-based index of the first result and the page size.
    pub(crate) fn window(&self) -> (u64, u64) {
        (self.start_index, self.count)
    }

    /// The same plan for another window.
    pub(crate) fn with_window(mut self, start_index: u64, count: u64) -> Self {
        self.start_index = start_index;
        self.count = count;
        self
    }

    /// The resources of a page, each with its location and projected.
    pub(crate) fn project_page(
        &self,
        registry: &SchemaRegistry,
        rt: &ResourceType,
        kind: ResourceKind,
        base: &str,
        resources: &[StoredResource],
    ) -> Vec<Value> {
        resources
            .iter()
            .map(|stored| {
                self.projection
                    .apply(registry, rt, &with_location(base, kind, stored))
            })
            .collect()
    }

    /// The store's view of the plan.
    pub(crate) fn query(&self) -> ListQuery<'_> {
        ListQuery {
            filter: self.filter.as_ref(),
            sort: self.sort.as_ref().map(|(attribute, descending)| Sort {
                attribute,
                descending: *descending,
            }),
            start_index: self.start_index,
            count: self.count,
            load_members: self.load_members,
        }
    }

    /// The ListResponse of a page, each resource with its location and projected.
    pub(crate) fn response(
        &self,
        registry: &SchemaRegistry,
        rt: &ResourceType,
        kind: ResourceKind,
        base: &str,
        page: &Page,
    ) -> Value {
        let resources = self.project_page(registry, rt, kind, base, &page.resources);
        list_response(page.total_results, self.start_index, resources)
    }
}

/// The ListResponse of a keyset page with its cursors (RFC 9865: no `startIndex`).
pub(crate) fn cursor_list_response(
    page: &KeysetPage,
    resources: Vec<Value>,
    next_cursor: Option<String>,
    previous_cursor: Option<String>,
) -> Value {
    let mut body = json!({
        "schemas": [urn::LIST_RESPONSE],
        "totalResults": page.total_results,
        "itemsPerPage": resources.len(),
    });
    if let Some(next) = next_cursor {
        body["nextCursor"] = json!(next);
    }
    if let Some(previous) = previous_cursor {
        body["previousCursor"] = json!(previous);
    }
    body["Resources"] = Value::Array(resources);
    body
}

/// A ListResponse.
pub(crate) fn list_response(total_results: u64, start_index: u64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [urn::LIST_RESPONSE],
        "totalResults": total_results,
        "itemsPerPage": resources.len(),
        "startIndex": start_index,
        "Resources": resources,
    })
}

/// `sortBy` resolved as a filter attribute would be.
fn sort_attribute(
    registry: &SchemaRegistry,
    rt: &ResourceType,
    name: &str,
) -> Result<ResolvedAttribute, ScimError> {
    let invalid =
        || ScimError::invalid_value(format!("sortBy {name:?} is not a sortable attribute"));
    let path = AttrPath::parse(name).map_err(|_| invalid())?;
    let resolve = |path: &AttrPath| {
        let parsed = filter::parse(&format!("{path} pr")).ok()?;
        match filter::resolve(registry, rt, &parsed) {
            Ok(ResolvedFilter::Present(attribute)) => Some(attribute),
            _ => None,
        }
    };
    let attribute = resolve(&path).ok_or_else(invalid)?;
    if attribute.never_returned {
        // An order by it would tell its value (RFC 7643 §4.1.1).
        return Err(ScimError::invalid_value(format!(
            "sortBy {name:?}: the attribute is never returned, so nothing sorts by it"
        )));
    }
    if attribute.ty != AttrType::Complex {
        return Ok(attribute);
    }
    // A complex attribute sorts by its `value` sub-attribute (`emails` is `emails.value`).
    if path.sub_attr.is_none() {
        let value = path.clone().with_sub_attr("value");
        if let Some(attribute) = resolve(&value).filter(|a| a.ty != AttrType::Complex) {
            return Ok(attribute);
        }
    }
    Err(invalid())
}

/// An integer parameter; out-of-range integers saturate.
fn integer(name: &str, text: &str) -> Result<i64, ScimError> {
    let text = text.trim();
    if let Ok(value) = text.parse::<i64>() {
        return Ok(value);
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(if text.starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        });
    }
    Err(ScimError::invalid_value(format!(
        "{name} must be an integer, not {text:?}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(query: &str) -> Result<ListPlan, ScimError> {
        let registry = SchemaRegistry::standard();
        let rt = registry
            .resource_type("User")
            .cloned()
            .unwrap_or_else(ResourceType::user);
        let config = ScimConfig {
            max_body_bytes: 1024,
            default_page_size: 10,
            max_page_size: 50,
            ..ScimConfig::default()
        };
        let params = QueryParams::from_query(query).map_err(|error| error.as_scim().clone())?;
        ListPlan::new(
            &registry,
            (&rt, ResourceKind::User),
            &config,
            &params,
            Dialect::Lenient,
        )
    }

    #[test]
    fn paging_is_clamped() {
        let cases = [
            ("", 1, 10),
            ("startIndex=0&count=-5", 1, 0),
            ("startIndex=-7&count=7", 1, 7),
            ("STARTINDEX=3&Count=500", 3, 50),
            (
                "startIndex=99999999999999999999999&count=99999999999999999999",
                u64::MAX >> 1,
                50,
            ),
            ("count=0", 1, 0),
        ];
        for (query, start, count) in cases {
            let plan = plan(query).unwrap();
            assert_eq!(plan.start_index, start, "{query}");
            assert_eq!(plan.count, count, "{query}");
        }
    }

    #[test]
    fn bad_parameters_are_400s() {
        let cases = [
            ("startIndex=one", "invalidValue"),
            ("count=1.5", "invalidValue"),
            ("sortOrder=sideways", "invalidValue"),
            ("sortBy=nosuch", "invalidValue"),
            ("sortBy=name", "invalidValue"),
            ("sortBy=userName%20pr", "invalidValue"),
            ("filter=userName%20eq", "invalidFilter"),
            ("filter=nosuch%20eq%20%22x%22", "invalidFilter"),
            ("attributes=%5B%5D", "invalidValue"),
        ];
        for (query, scim_type) in cases {
            let error = plan(query).unwrap_err();
            assert_eq!(error.status, 400, "{query}");
            assert_eq!(
                error.scim_type.map(|t| t.as_str()),
                Some(scim_type),
                "{query}"
            );
        }
    }

    #[test]
    fn sort_by_resolves_like_a_filter_attribute() {
        for (name, expected) in [
            ("userName", "userName"),
            ("NAME.familyName", "name"),
            ("emails", "emails"),
            ("meta.lastModified", "meta"),
        ] {
            let plan = plan(&format!("sortBy={name}&sortOrder=Descending")).unwrap();
            let (attribute, descending) = plan.sort.unwrap();
            assert_eq!(attribute.name, expected);
            assert!(descending);
        }
    }

    #[test]
    fn nothing_sorts_by_an_attribute_never_returned() {
        for name in [
            "password",
            "PASSWORD",
            "urn:ietf:params:scim:schemas:core:2.0:User:password",
        ] {
            let Err(error) = plan(&format!("sortBy={name}")) else {
                panic!("sortBy={name} was accepted");
            };
            assert_eq!(error.status, 400, "{name}");
            assert_eq!(error.scim_type, Some(ScimType::InvalidValue), "{name}");
        }
    }

    #[test]
    fn nothing_sorts_by_an_attribute_computed_when_returned() {
        for name in ["meta.location", "groups.$ref"] {
            let Err(error) = plan(&format!("sortBy={name}")) else {
                panic!("sortBy={name} was accepted");
            };
            assert_eq!(error.status, 400, "{name}");
            assert_eq!(error.scim_type, Some(ScimType::InvalidValue), "{name}");
        }
        assert!(plan("sortBy=meta.lastModified").is_ok());
    }
}
