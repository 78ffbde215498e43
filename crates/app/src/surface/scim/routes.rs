//! The route table under `/scim/v2`. Unknown paths answer a SCIM 404, a known path with
//! the wrong method a SCIM 405 with `Allow`; HEAD is answered wherever GET is; `/Me`
//! answers a SCIM 501 unless an embedder names the subject (`me.rs`).
//!
//! Every endpoint answers with or without a trailing slash (`/Users/`), in both dialects.
//! An endpoint named in another case (`/users`, as Microsoft's SCIM reference tests send
//! it) is `Deviation::EndpointCase`: served and counted in the lenient dialect, a 404 in
//! the strict one (the request's dialect is its organization's, known once its credential
//! is; discovery without a credential is served).

use rollcall_store::ResourceKind;
use scim_core::{Deviation, ScimError};

use crate::error::Error;
use crate::request::Method;
use crate::response::Response;
use crate::surface::call::Call;
use crate::surface::path::{names_nothing, segments};

use super::modify::{Modification, modify};
use super::{bulk, discovery, me, resources, search};

/// The endpoints, as RFC 7644 names them.
const ENDPOINTS: [&str; 8] = [
    "Users",
    "Groups",
    "Schemas",
    "ResourceTypes",
    "ServiceProviderConfig",
    "Bulk",
    "Me",
    ".search",
];

/// The segments of a path below the mount, routed: a trailing slash dropped, the endpoint
/// and a `.search` after it in their RFC spelling. `true` when one was written in another
/// case. `None` when a segment is not UTF-8 once decoded.
fn route(path: &str) -> Option<(Vec<String>, bool)> {
    let mut segments = segments(path)?;
    if segments.len() > 1 && segments.last().is_some_and(String::is_empty) {
        segments.pop();
    }
    let mut other_case = false;
    for index in 0..segments.len().min(2) {
        let Some(segment) = segments.get_mut(index) else {
            break;
        };
        if index == 1 && segment.as_str() != ".search" && !segment.eq_ignore_ascii_case(".search") {
            break;
        }
        if let Some(name) = ENDPOINTS
            .iter()
            .find(|name| name.eq_ignore_ascii_case(segment))
            && *name != segment.as_str()
        {
            other_case = true;
            *segment = (*name).to_owned();
        }
    }
    Some((segments, other_case))
}

/// Route `call` to its handler.
pub(crate) async fn dispatch(call: &mut Call<'_>) -> Result<Response, Error> {
    let method = call.request.method.clone();
    let Some((segments, other_case)) = route(&call.request.path) else {
        return Err(not_found());
    };
    if other_case {
        call.deviations.push(Deviation::EndpointCase);
    }
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let get = method.is_get();
    match segments.as_slice() {
        ["ServiceProviderConfig"] if get => discovery::service_provider_config(call).await,
        ["ResourceTypes"] if get => discovery::resource_types(call).await,
        ["ResourceTypes", id] if get && !id.is_empty() => discovery::resource_type(call, id).await,
        ["Schemas"] if get => discovery::schemas(call).await,
        ["Schemas", id] if get && !id.is_empty() => discovery::schema(call, id).await,
        ["ServiceProviderConfig" | "ResourceTypes" | "Schemas"] => {
            not_allowed(&method, "GET, HEAD")
        }
        ["ResourceTypes" | "Schemas", id] if !id.is_empty() => not_allowed(&method, "GET, HEAD"),
        [endpoint @ ("Users" | "Groups")] => {
            let kind = kind_of(endpoint);
            match method {
                _ if get => resources::list(call, kind).await,
                Method::Post => resources::create(call, kind).await,
                _ => not_allowed(&method, "GET, HEAD, POST"),
            }
        }
        [endpoint @ ("Users" | "Groups"), ".search"] => match method {
            Method::Post => resources::search(call, kind_of(endpoint)).await,
            _ => not_allowed(&method, "POST"),
        },
        ["Users" | "Groups", id] if names_nothing(id) => {
            // No resource can have this id: 404 for a valid credential, without asking the
            // database (PostgreSQL refuses NUL characters outright).
            call.credential()?;
            Err(Error::from(ScimError::not_found("resource not found")))
        }
        [endpoint @ ("Users" | "Groups"), id] if !id.is_empty() => {
            let (kind, id) = (kind_of(endpoint), (*id).to_owned());
            match method {
                _ if get => resources::get(call, kind, id).await,
                Method::Put => modify(call, kind, id, Modification::Replace).await,
                Method::Patch => modify(call, kind, id, Modification::Patch).await,
                Method::Delete => resources::delete(call, kind, id).await,
                _ => not_allowed(&method, "GET, HEAD, PUT, PATCH, DELETE"),
            }
        }
        [".search"] => match method {
            Method::Post => search::search_all(call).await,
            _ => not_allowed(&method, "POST"),
        },
        ["Bulk"] => match method {
            Method::Post => bulk::bulk(call).await,
            _ => not_allowed(&method, "POST"),
        },
        ["Me"] => me::me(call).await,
        _ => Err(not_found()),
    }
}

fn kind_of(endpoint: &str) -> ResourceKind {
    if endpoint == "Groups" {
        ResourceKind::Group
    } else {
        ResourceKind::User
    }
}

/// A 405 listing what the path answers.
fn not_allowed(method: &Method, allow: &'static str) -> Result<Response, Error> {
    Err(Error::method_not_allowed(method.as_str(), allow))
}

/// The SCIM 404 for a path that names no endpoint.
pub(crate) fn not_found() -> Error {
    Error::from(ScimError::not_found("no such endpoint"))
}

/// The operation and target of a SCIM write request, from its method and path below the
/// mount; `None` for reads (including `POST …/.search`).
pub(crate) fn write_of(method: &Method, path: &str) -> Option<(String, String)> {
    let verb = match method {
        Method::Post => "create",
        Method::Put => "replace",
        Method::Patch => "patch",
        Method::Delete => "delete",
        _ => return None,
    };
    let (segments, _) = route(path)?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        ["Bulk"] if verb == "create" => Some(("bulk".to_owned(), "bulk".to_owned())),
        ["Users"] if verb == "create" => Some(("user.create".to_owned(), "user".to_owned())),
        ["Groups"] if verb == "create" => Some(("group.create".to_owned(), "group".to_owned())),
        ["Users", id] if *id != ".search" && verb != "create" => {
            Some((format!("user.{verb}"), format!("user:{id}")))
        }
        ["Groups", id] if *id != ".search" && verb != "create" => {
            Some((format!("group.{verb}"), format!("group:{id}")))
        }
        ["Me"] if verb != "create" => Some((format!("user.{verb}"), "user:me".to_owned())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_drop_a_trailing_slash_and_know_endpoints_in_any_case() {
        let cases: [(&str, &[&str], bool); 9] = [
            ("/Users", &["Users"], false),
            ("/Users/", &["Users"], false),
            ("/Users/u1/", &["Users", "u1"], false),
            ("/users", &["Users"], true),
            ("/SCHEMAS/urn:x", &["Schemas", "urn:x"], true),
            ("/groups/.Search", &["Groups", ".search"], true),
            ("/Users/ab%43", &["Users", "abC"], false),
            ("/serviceproviderconfig/", &["ServiceProviderConfig"], true),
            ("/", &[""], false),
        ];
        for (path, segments, other_case) in cases {
            let (got, case) = route(path).unwrap_or_default();
            assert_eq!(
                (got.as_slice(), case),
                (
                    segments
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect::<Vec<_>>()
                        .as_slice(),
                    other_case
                ),
                "{path}"
            );
        }
    }

    #[test]
    fn writes_are_named_from_method_and_path() {
        let cases = [
            (Method::Post, "/Users", Some(("user.create", "user"))),
            (Method::Put, "/Users/u1", Some(("user.replace", "user:u1"))),
            (
                Method::Patch,
                "/Groups/g1",
                Some(("group.patch", "group:g1")),
            ),
            (
                Method::Delete,
                "/Groups/g1",
                Some(("group.delete", "group:g1")),
            ),
            (Method::Post, "/Bulk", Some(("bulk", "bulk"))),
            (Method::Post, "/Users/.search", None),
            (Method::Post, "/.search", None),
            (Method::Get, "/Users/u1", None),
            (Method::Patch, "/Me", Some(("user.patch", "user:me"))),
            (Method::Put, "/users/u1/", Some(("user.replace", "user:u1"))),
            (Method::Post, "/Users/", Some(("user.create", "user"))),
            (Method::Post, "/users/.SEARCH", None),
        ];
        for (method, path, expected) in cases {
            let got = write_of(&method, path);
            let expected = expected.map(|(o, t)| (o.to_owned(), t.to_owned()));
            assert_eq!(got, expected, "{method:?} {path}");
        }
    }
}
