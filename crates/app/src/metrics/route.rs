//! Route templates: the label a request's path gets (`/scim/v2/Users/{id}`), never the raw
//! path, so no label holds an id, a user name or a token, and the label's values are the
//! few routes there are. A path no route serves is `unmatched`.
//!
//! The tables mirror the routers (`surface/scim/routes.rs`, `surface/admin/routes.rs`);
//! the tests below walk every route of both.

use crate::api::Api;
use crate::request::Method;
use crate::surface::path::segments;

/// The label of a path no route serves.
pub(crate) const UNMATCHED: &str = "unmatched";

/// The SCIM routes under `/scim/v2`; `{id}` stands for any one non-empty segment.
const SCIM: [&str; 14] = [
    "/scim/v2/Users",
    "/scim/v2/Users/.search",
    "/scim/v2/Users/{id}",
    "/scim/v2/Groups",
    "/scim/v2/Groups/.search",
    "/scim/v2/Groups/{id}",
    "/scim/v2/.search",
    "/scim/v2/Bulk",
    "/scim/v2/Me",
    "/scim/v2/Schemas",
    "/scim/v2/Schemas/{id}",
    "/scim/v2/ResourceTypes",
    "/scim/v2/ResourceTypes/{id}",
    "/scim/v2/ServiceProviderConfig",
];

/// The admin routes under `/admin/v1`.
const ADMIN: [&str; 29] = [
    "/admin/v1/org",
    "/admin/v1/users",
    "/admin/v1/users/{id}",
    "/admin/v1/groups",
    "/admin/v1/groups/{id}",
    "/admin/v1/health",
    "/admin/v1/scim-tokens",
    "/admin/v1/scim-tokens/{id}",
    "/admin/v1/oauth-clients",
    "/admin/v1/oauth-clients/{id}",
    "/admin/v1/jwt-issuers",
    "/admin/v1/jwt-issuers/{id}",
    "/admin/v1/workspaces",
    "/admin/v1/workspaces/{id}",
    "/admin/v1/workspaces/{id}/folders",
    "/admin/v1/folders",
    "/admin/v1/folders/{id}",
    "/admin/v1/grants",
    "/admin/v1/grants/{id}",
    "/admin/v1/rules",
    "/admin/v1/rules/{id}",
    "/admin/v1/access",
    "/admin/v1/access/join",
    "/admin/v1/access/review",
    "/admin/v1/audit",
    "/admin/v1/events",
    "/admin/v1/webhooks",
    "/admin/v1/webhooks/{id}",
    "/admin/v1/webhooks/{id}/retry",
];

/// The admin schema routes (`{urn}` rather than `{id}`).
const ADMIN_SCHEMAS: [&str; 2] = ["/admin/v1/schemas", "/admin/v1/schemas/{urn}"];

/// Every route template of `api` (with its mount), as its router serves them.
pub fn templates(api: Api) -> Vec<&'static str> {
    match api {
        Api::Scim => SCIM.to_vec(),
        Api::Admin => ADMIN.iter().chain(&ADMIN_SCHEMAS).copied().collect(),
    }
}

/// The template of `path` (below `api`'s mount), or [`UNMATCHED`]. SCIM endpoints match in
/// any case, as the lenient dialect serves them; a trailing slash is dropped.
pub(crate) fn template(api: Api, path: &str) -> &'static str {
    let Some(mut segments) = segments(path) else {
        return UNMATCHED;
    };
    if segments.len() > 1 && segments.last().is_some_and(String::is_empty) {
        segments.pop();
    }
    let (table, prefix, any_case): (&[&'static str], &str, bool) = match api {
        Api::Scim => (&SCIM, "/scim/v2/", true),
        Api::Admin => (&ADMIN, "/admin/v1/", false),
    };
    let schemas: &[&'static str] = match api {
        Api::Scim => &[],
        Api::Admin => &ADMIN_SCHEMAS,
    };
    table
        .iter()
        .chain(schemas)
        .copied()
        .find(|route| {
            let parts = route.trim_start_matches(prefix).split('/');
            parts.clone().count() == segments.len()
                && parts.zip(&segments).all(|(part, segment)| match part {
                    "{id}" | "{urn}" => !segment.is_empty() && segment != ".search",
                    literal if any_case => literal.eq_ignore_ascii_case(segment),
                    literal => literal == segment,
                })
        })
        .unwrap_or(UNMATCHED)
}

/// The SCIM operation a route and method make: its resource type and the operation's
/// name; `None` for discovery and for methods the route does not serve.
pub(crate) fn operation(route: &str, method: &Method) -> Option<(&'static str, &'static str)> {
    let (resource, rest) = match route.strip_prefix("/scim/v2/")? {
        "Users" => ("User", ""),
        "Users/.search" => ("User", ".search"),
        "Users/{id}" => ("User", "{id}"),
        "Groups" => ("Group", ""),
        "Groups/.search" => ("Group", ".search"),
        "Groups/{id}" => ("Group", "{id}"),
        ".search" => ("any", ".search"),
        "Bulk" => ("Bulk", "bulk"),
        "Me" => ("User", "{id}"),
        _ => return None,
    };
    let operation = match (rest, method) {
        ("", Method::Post) => "create",
        ("", Method::Get | Method::Head) => "list",
        (".search", Method::Post) => "search",
        ("bulk", Method::Post) => "bulk",
        ("{id}", Method::Get | Method::Head) => "get",
        ("{id}", Method::Put) => "replace",
        ("{id}", Method::Patch) => "patch",
        ("{id}", Method::Delete) => "delete",
        _ => return None,
    };
    Some((resource, operation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_gets_its_template_and_nothing_of_the_path_leaks() {
        let cases: &[(Api, &str, &str)] = &[
            (Api::Scim, "/Users", "/scim/v2/Users"),
            (Api::Scim, "/Users/", "/scim/v2/Users"),
            (Api::Scim, "/users", "/scim/v2/Users"),
            (Api::Scim, "/Users/2819c223-7f76", "/scim/v2/Users/{id}"),
            (
                Api::Scim,
                "/Users/ann%40example.com/",
                "/scim/v2/Users/{id}",
            ),
            (Api::Scim, "/Users/.search", "/scim/v2/Users/.search"),
            (Api::Scim, "/Groups/g1", "/scim/v2/Groups/{id}"),
            (Api::Scim, "/Groups/.search", "/scim/v2/Groups/.search"),
            (Api::Scim, "/.search", "/scim/v2/.search"),
            (Api::Scim, "/Bulk", "/scim/v2/Bulk"),
            (Api::Scim, "/Me", "/scim/v2/Me"),
            (Api::Scim, "/Schemas", "/scim/v2/Schemas"),
            (
                Api::Scim,
                "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
                "/scim/v2/Schemas/{id}",
            ),
            (
                Api::Scim,
                "/ResourceTypes/User",
                "/scim/v2/ResourceTypes/{id}",
            ),
            (
                Api::Scim,
                "/ServiceProviderConfig",
                "/scim/v2/ServiceProviderConfig",
            ),
            (Api::Scim, "/Users/u1/extra", UNMATCHED),
            (Api::Scim, "/secret-token-abc", UNMATCHED),
            (Api::Scim, "/", UNMATCHED),
            (Api::Scim, "/Users/%FF", UNMATCHED),
            (Api::Admin, "/org", "/admin/v1/org"),
            (Api::Admin, "/health", "/admin/v1/health"),
            (
                Api::Admin,
                "/scim-tokens/tok_1",
                "/admin/v1/scim-tokens/{id}",
            ),
            (Api::Admin, "/oauth-clients", "/admin/v1/oauth-clients"),
            (Api::Admin, "/jwt-issuers/j", "/admin/v1/jwt-issuers/{id}"),
            (Api::Admin, "/workspaces/w1", "/admin/v1/workspaces/{id}"),
            (
                Api::Admin,
                "/workspaces/w1/folders",
                "/admin/v1/workspaces/{id}/folders",
            ),
            (Api::Admin, "/folders/f1", "/admin/v1/folders/{id}"),
            (Api::Admin, "/grants/g", "/admin/v1/grants/{id}"),
            (Api::Admin, "/rules", "/admin/v1/rules"),
            (Api::Admin, "/access", "/admin/v1/access"),
            (Api::Admin, "/access/join", "/admin/v1/access/join"),
            (Api::Admin, "/access/review", "/admin/v1/access/review"),
            (Api::Admin, "/audit", "/admin/v1/audit"),
            (Api::Admin, "/events", "/admin/v1/events"),
            (Api::Admin, "/webhooks/w", "/admin/v1/webhooks/{id}"),
            (Api::Admin, "/schemas/urn:x:y", "/admin/v1/schemas/{urn}"),
            (Api::Admin, "/Org", UNMATCHED),
            (Api::Admin, "/users/ann@example.com", "/admin/v1/users/{id}"),
            (Api::Admin, "/groups", "/admin/v1/groups"),
            (Api::Admin, "/users/a/b", UNMATCHED),
        ];
        for (api, path, expected) in cases {
            assert_eq!(template(*api, path), *expected, "{api:?} {path}");
        }
    }

    /// The admin router's own patterns (`(["workspaces", id, "folders"], Get)` in
    /// `surface/admin/routes.rs`) are exactly this table's templates.
    #[test]
    fn the_admin_table_is_the_admin_router() {
        let source = include_str!("../surface/admin/routes.rs");
        let dispatch = source
            .split("pub(crate) async fn dispatch")
            .nth(1)
            .and_then(|rest| rest.split("\n}\n").next())
            .unwrap_or_default();
        let mut routed: Vec<String> = dispatch
            .lines()
            .filter_map(|line| {
                let start = line.find("([")? + 2;
                let end = start + line[start..].find(']')?;
                let parts: Vec<String> = line[start..end]
                    .split(", ")
                    .map(|part| match part.trim_matches('"') {
                        "id" => "{id}".to_owned(),
                        "urn" => "{urn}".to_owned(),
                        literal => literal.to_owned(),
                    })
                    .collect();
                // `"users" | "groups"` arms are the 405s of routes listed on their own.
                (!parts.iter().any(|part| part.contains('|')))
                    .then(|| format!("/admin/v1/{}", parts.join("/")))
            })
            .collect();
        routed.sort();
        routed.dedup();
        let mut table: Vec<String> = templates(Api::Admin)
            .iter()
            .map(|t| (*t).to_owned())
            .collect();
        table.sort();
        assert_eq!(routed, table);
    }

    #[test]
    fn operations_by_route_and_method() {
        type Case = (&'static str, Method, Option<(&'static str, &'static str)>);
        let cases: &[Case] = &[
            ("/scim/v2/Users", Method::Post, Some(("User", "create"))),
            ("/scim/v2/Users", Method::Get, Some(("User", "list"))),
            ("/scim/v2/Users/{id}", Method::Get, Some(("User", "get"))),
            (
                "/scim/v2/Users/{id}",
                Method::Put,
                Some(("User", "replace")),
            ),
            (
                "/scim/v2/Groups/{id}",
                Method::Patch,
                Some(("Group", "patch")),
            ),
            (
                "/scim/v2/Groups/{id}",
                Method::Delete,
                Some(("Group", "delete")),
            ),
            (
                "/scim/v2/Groups/.search",
                Method::Post,
                Some(("Group", "search")),
            ),
            ("/scim/v2/.search", Method::Post, Some(("any", "search"))),
            ("/scim/v2/Bulk", Method::Post, Some(("Bulk", "bulk"))),
            ("/scim/v2/Me", Method::Get, Some(("User", "get"))),
            ("/scim/v2/Users", Method::Delete, None),
            ("/scim/v2/Schemas", Method::Get, None),
            ("/admin/v1/grants", Method::Post, None),
            (UNMATCHED, Method::Get, None),
        ];
        for (route, method, expected) in cases {
            assert_eq!(operation(route, method), *expected, "{route} {method:?}");
        }
    }
}
