//! Links in successful responses: absolute `meta.location` URLs and `$ref`s, `ETag` and
//! `Location` headers. Every URL starts with the request's base URL (the mount point as
//! the client reached it).

use rollcall_store::{ResourceKind, StoredResource};
use serde_json::Value;

use crate::response::Response;

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
pub(crate) fn resource_response(status: u16, etag: &str, body: &Value) -> Response {
    Response::scim(status, body).with_header("etag", etag)
}
