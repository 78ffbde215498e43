//! The route table under `/admin/v1`. Unknown paths answer 404 `not_found`, a known path
//! with the wrong method 405 `method_not_allowed` with `Allow`.

use crate::error::Error;
use crate::request::Method;
use crate::response::Response;
use crate::surface::call::Call;
use crate::surface::path::{names_nothing, segments};
use crate::surface::scim;
use rollcall_store::ResourceKind;

use super::{
    access, audit, events, grants, health, jwt_issuers, oauth_clients, org, review, schemas,
    tokens, webhooks, workspaces,
};

/// The SCIM API's mount beside the admin API's: where the directory's resources live, so
/// their `meta.location` and `$ref` point there.
fn scim_links(call: &mut Call<'_>) {
    let base = &call.request.base_url;
    let origin = base
        .strip_suffix(crate::api::Api::Admin.prefix())
        .unwrap_or(base);
    call.links_base = Some(format!("{origin}{}", crate::api::Api::Scim.prefix()));
}

/// A SCIM answer given by the admin API: plain JSON, as every admin answer is.
fn directory(answer: Result<Response, Error>) -> Result<Response, Error> {
    answer.map(|response| response.replacing_header("content-type", crate::response::JSON))
}

/// Route `call` to its handler.
pub(crate) async fn dispatch(call: &mut Call<'_>) -> Result<Response, Error> {
    // HEAD wherever GET (RFC 9110 §9.3.2): the same answer, whose body the server leaves out.
    let method = match &call.request.method {
        Method::Head => Method::Get,
        other => other.clone(),
    };
    let Some(segments) = segments(&call.request.path) else {
        return Err(not_found());
    };
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    if segments.iter().any(|segment| names_nothing(segment)) {
        // No id holds a NUL character: 404 for a valid credential, without asking the
        // database (PostgreSQL refuses NUL characters outright).
        call.credential()?;
        return Err(Error::admin(404, "not_found", "resource not found"));
    }
    if matches!(segments.first(), Some(&("users" | "groups"))) {
        scim_links(call);
    }
    use Method::{Delete, Get, Patch, Post};
    match (segments.as_slice(), &method) {
        (["org"], Get) => org::get(call).await,
        // The directory, read-only, as the SCIM API answers it (filters, paging, attributes).
        (["users"], Get) => directory(scim::resources::list(call, ResourceKind::User).await),
        (["users", id], Get) if !id.is_empty() => {
            directory(scim::resources::get(call, ResourceKind::User, (*id).to_owned()).await)
        }
        (["groups"], Get) => directory(scim::resources::list(call, ResourceKind::Group).await),
        (["groups", id], Get) if !id.is_empty() => {
            directory(scim::resources::get(call, ResourceKind::Group, (*id).to_owned()).await)
        }
        (["users" | "groups"], _) => not_allowed(&method, "GET"),
        (["users" | "groups", id], _) if !id.is_empty() => not_allowed(&method, "GET"),
        (["org"], Patch) => org::patch(call).await,
        (["org"], _) => not_allowed(&method, "GET, PATCH"),
        (["scim-tokens"], Get) => tokens::list(call).await,
        (["scim-tokens"], Post) => tokens::create(call).await,
        (["scim-tokens"], _) => not_allowed(&method, "GET, POST"),
        (["scim-tokens", id], Delete) if !id.is_empty() => tokens::delete(call, id).await,
        (["scim-tokens", id], _) if !id.is_empty() => not_allowed(&method, "DELETE"),
        (["oauth-clients"], Get) => oauth_clients::list(call).await,
        (["oauth-clients"], Post) => oauth_clients::create(call).await,
        (["oauth-clients"], _) => not_allowed(&method, "GET, POST"),
        (["oauth-clients", id], Delete) if !id.is_empty() => oauth_clients::delete(call, id).await,
        (["oauth-clients", id], _) if !id.is_empty() => not_allowed(&method, "DELETE"),
        (["jwt-issuers"], Get) => jwt_issuers::list(call).await,
        (["jwt-issuers"], Post) => jwt_issuers::create(call).await,
        (["jwt-issuers"], _) => not_allowed(&method, "GET, POST"),
        (["jwt-issuers", id], Delete) if !id.is_empty() => jwt_issuers::delete(call, id).await,
        (["jwt-issuers", id], _) if !id.is_empty() => not_allowed(&method, "DELETE"),
        (["workspaces"], Get) => workspaces::list(call).await,
        (["workspaces"], Post) => workspaces::create(call).await,
        (["workspaces"], _) => not_allowed(&method, "GET, POST"),
        (["workspaces", id], Get) if !id.is_empty() => workspaces::get(call, id).await,
        (["workspaces", id], Patch) if !id.is_empty() => workspaces::patch(call, id).await,
        (["workspaces", id], Delete) if !id.is_empty() => workspaces::delete(call, id).await,
        (["workspaces", id], _) if !id.is_empty() => not_allowed(&method, "GET, PATCH, DELETE"),
        (["workspaces", id, "folders"], Get) if !id.is_empty() => {
            workspaces::list_folders(call, id).await
        }
        (["workspaces", id, "folders"], Post) if !id.is_empty() => {
            workspaces::create_folder(call, id).await
        }
        (["workspaces", id, "folders"], _) if !id.is_empty() => not_allowed(&method, "GET, POST"),
        (["folders"], Get) => workspaces::all_folders(call).await,
        (["folders"], _) => not_allowed(&method, "GET"),
        (["folders", id], Get) if !id.is_empty() => workspaces::get_folder(call, id).await,
        (["folders", id], Patch) if !id.is_empty() => workspaces::patch_folder(call, id).await,
        (["folders", id], Delete) if !id.is_empty() => workspaces::delete_folder(call, id).await,
        (["folders", id], _) if !id.is_empty() => not_allowed(&method, "GET, PATCH, DELETE"),
        (["grants"], Get) => grants::list(call).await,
        (["grants"], Post) => grants::create(call).await,
        (["grants"], _) => not_allowed(&method, "GET, POST"),
        (["grants", id], Delete) if !id.is_empty() => grants::delete(call, id).await,
        (["grants", id], _) if !id.is_empty() => not_allowed(&method, "DELETE"),
        (["rules"], Get) => grants::list_rules(call).await,
        (["rules"], Post) => grants::create_rule(call).await,
        (["rules"], _) => not_allowed(&method, "GET, POST"),
        (["rules", id], Delete) if !id.is_empty() => grants::delete_rule(call, id).await,
        (["rules", id], _) if !id.is_empty() => not_allowed(&method, "DELETE"),
        (["events"], Get) => events::list(call).await,
        (["events"], _) => not_allowed(&method, "GET"),
        (["audit"], Get) => audit::list(call).await,
        (["audit"], _) => not_allowed(&method, "GET"),
        (["health"], Get) => health::get(call).await,
        (["health"], _) => not_allowed(&method, "GET"),
        (["access"], Get) => access::get(call).await,
        (["access"], _) => not_allowed(&method, "GET"),
        (["access", "join"], Post) => access::join(call).await,
        (["access", "review"], Get) => review::get(call).await,
        (["access", "review"], _) => not_allowed(&method, "GET"),
        (["access", "join"], _) => not_allowed(&method, "POST"),
        (["schemas"], Get) => schemas::list(call).await,
        (["schemas"], Post) => schemas::create(call).await,
        (["schemas"], _) => not_allowed(&method, "GET, POST"),
        (["schemas", urn], Delete) if !urn.is_empty() => schemas::delete(call, urn).await,
        (["schemas", urn], _) if !urn.is_empty() => not_allowed(&method, "DELETE"),
        (["webhooks"], Get) => webhooks::list(call).await,
        (["webhooks"], Post) => webhooks::create(call).await,
        (["webhooks"], _) => not_allowed(&method, "GET, POST"),
        (["webhooks", id], Delete) if !id.is_empty() => webhooks::delete(call, id).await,
        (["webhooks", id, "retry"], Post) if !id.is_empty() => webhooks::retry(call, id).await,
        (["webhooks", id, "retry"], _) if !id.is_empty() => not_allowed(&method, "POST"),
        (["webhooks", id], _) if !id.is_empty() => not_allowed(&method, "DELETE"),
        _ => Err(not_found()),
    }
}

/// A 405 listing what the path answers.
fn not_allowed(method: &Method, allow: &'static str) -> Result<Response, Error> {
    Err(Error::method_not_allowed(method.as_str(), allow))
}

/// The 404 of a path that names no endpoint.
fn not_found() -> Error {
    Error::admin(404, "not_found", "no such endpoint")
}

/// The operation and target of an admin write request, from its method and path; `None`
/// for reads and unknown paths. A failed creation has only the kind as its target.
pub(crate) fn write_of(method: &Method, path: &str) -> Option<(String, String)> {
    let segments = segments(path)?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let id = |kind: &str, id: &str| format!("{kind}:{id}");
    let found = match (method.as_str(), segments.as_slice()) {
        ("PATCH", ["org"]) => ("org.update", "org".to_owned()),
        ("POST", ["scim-tokens"]) => ("scim_token.create", "scim_token".to_owned()),
        ("DELETE", ["scim-tokens", token]) => ("scim_token.revoke", id("scim_token", token)),
        ("POST", ["oauth-clients"]) => ("oauth_client.create", "oauth_client".to_owned()),
        ("DELETE", ["oauth-clients", client]) => {
            ("oauth_client.revoke", id("oauth_client", client))
        }
        ("POST", ["jwt-issuers"]) => ("jwt_issuer.create", "jwt_issuer".to_owned()),
        ("DELETE", ["jwt-issuers", issuer]) => ("jwt_issuer.delete", id("jwt_issuer", issuer)),
        ("POST", ["workspaces"]) => ("workspace.create", "workspace".to_owned()),
        ("PATCH", ["workspaces", ws]) => ("workspace.update", id("workspace", ws)),
        ("DELETE", ["workspaces", ws]) => ("workspace.delete", id("workspace", ws)),
        ("POST", ["workspaces", ws, "folders"]) => ("folder.create", id("workspace", ws)),
        ("PATCH", ["folders", folder]) => ("folder.update", id("folder", folder)),
        ("DELETE", ["folders", folder]) => ("folder.delete", id("folder", folder)),
        ("POST", ["grants"]) => ("grant.create", "grant".to_owned()),
        ("DELETE", ["grants", grant]) => ("grant.delete", id("grant", grant)),
        ("POST", ["rules"]) => ("rule.create", "rule".to_owned()),
        ("DELETE", ["rules", rule]) => ("rule.delete", id("rule", rule)),
        ("POST", ["access", "join"]) => ("access.join", "access".to_owned()),
        ("POST", ["schemas"]) => ("schema.create", "schema".to_owned()),
        ("DELETE", ["schemas", urn]) => ("schema.delete", id("schema", urn)),
        ("POST", ["webhooks"]) => ("webhook.create", "webhook".to_owned()),
        ("DELETE", ["webhooks", hook]) => ("webhook.delete", id("webhook", hook)),
        ("POST", ["webhooks", hook, "retry"]) => ("webhook.retry", id("webhook", hook)),
        _ => return None,
    };
    Some((found.0.to_owned(), found.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_writes_are_named_from_method_and_path() {
        let cases = [
            ("PATCH", "/admin/v1/org", Some(("org.update", "org"))),
            ("GET", "/admin/v1/org", None),
            (
                "DELETE",
                "/admin/v1/scim-tokens/t1",
                Some(("scim_token.revoke", "scim_token:t1")),
            ),
            (
                "POST",
                "/admin/v1/workspaces/w1/folders",
                Some(("folder.create", "workspace:w1")),
            ),
            (
                "PATCH",
                "/admin/v1/folders/f1",
                Some(("folder.update", "folder:f1")),
            ),
            ("POST", "/admin/v1/grants", Some(("grant.create", "grant"))),
            (
                "DELETE",
                "/admin/v1/rules/r1",
                Some(("rule.delete", "rule:r1")),
            ),
            (
                "POST",
                "/admin/v1/access/join",
                Some(("access.join", "access")),
            ),
            ("GET", "/admin/v1/access", None),
            ("POST", "/admin/v1/nothing", None),
            ("POST", "/scim/v2/Users", None),
        ];
        for (method, path, expected) in cases {
            let path = path.strip_prefix("/admin/v1").unwrap_or("/elsewhere");
            let expected = expected.map(|(o, t)| (o.to_owned(), t.to_owned()));
            assert_eq!(
                write_of(&Method::parse(method), path),
                expected,
                "{method} {path}"
            );
        }
    }
}
