//! Building successful responses: `application/scim+json` bodies, absolute
//! `meta.location` URLs, `ETag` and `Location` headers.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use rollcall_store::{ResourceKind, StoredResource};
use serde_json::Value;

/// The media type of every SCIM response.
pub(crate) const SCIM_JSON: &str = "application/scim+json";

/// Where the SCIM routes are mounted.
pub(crate) const SCIM_PREFIX: &str = "/scim/v2";

/// A JSON body with the SCIM media type.
pub(crate) fn scim_json(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, SCIM_JSON))
        .body(body.to_string())
}

/// The absolute SCIM base URL of this request, e.g. `http://127.0.0.1:8080/scim/v2`
/// (scheme and host from the connection info, which honours `Forwarded` headers; the
/// path up to the mount point, so a nested mount keeps its prefix).
pub(crate) fn base_url(request: &HttpRequest) -> String {
    let info = request.connection_info();
    let path = request.path();
    let mount = match path.find(SCIM_PREFIX) {
        Some(at) => &path[..at + SCIM_PREFIX.len()],
        None => SCIM_PREFIX,
    };
    format!("{}://{}{}", info.scheme(), info.host(), mount)
}

/// The endpoint of a resource kind, relative to the base URL.
pub(crate) fn endpoint(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::User => "/Users",
        ResourceKind::Group => "/Groups",
    }
}

/// The absolute URL of one resource.
pub(crate) fn location(base: &str, kind: ResourceKind, id: &str) -> String {
    format!("{base}{}/{id}", endpoint(kind))
}

/// The stored resource with `meta.location` and the `$ref` URLs of its members or groups
/// filled in.
pub(crate) fn with_location(base: &str, kind: ResourceKind, stored: &StoredResource) -> Value {
    let mut resource = stored.resource.clone();
    if let Some(object) = resource.as_object_mut() {
        let meta = object
            .entry("meta")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert(
                "location".into(),
                Value::String(location(base, kind, &stored.id)),
            );
            meta.entry("version")
                .or_insert_with(|| Value::String(stored.etag()));
        }
        for key in ["members", "groups"] {
            if let Some(Value::Array(references)) = object.get_mut(key) {
                for reference in references {
                    add_reference_url(base, key, reference);
                }
            }
        }
    }
    resource
}

/// Fill `$ref` of a group member (by its `type`) or of a user's group with the absolute
/// URL of the resource it names (the store knows ids, not URLs).
fn add_reference_url(base: &str, attribute: &str, reference: &mut Value) {
    let Some(object) = reference.as_object_mut() else {
        return;
    };
    let Some(id) = object.get("value").and_then(Value::as_str) else {
        return;
    };
    let kind = match (attribute, object.get("type").and_then(Value::as_str)) {
        ("groups", _) => ResourceKind::Group,
        (_, Some(kind)) if kind.eq_ignore_ascii_case("Group") => ResourceKind::Group,
        (_, Some(kind)) if kind.eq_ignore_ascii_case("User") => ResourceKind::User,
        _ => return,
    };
    let url = location(base, kind, id);
    object.insert("$ref".into(), Value::String(url));
}

/// A single-resource response: the (projected) body with its `ETag`.
pub(crate) fn resource_response(status: StatusCode, etag: &str, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, SCIM_JSON))
        .insert_header((header::ETAG, etag.to_owned()))
        .body(body.to_string())
}
