//! Discovery documents: `/Schemas` (RFC 7643 §7), `/ResourceTypes` (§6) and
//! `/ServiceProviderConfig` (§5, with the RFC 9865 `pagination` object).
//!
//! Every attribute characteristic is spelled out (RFC 7643 §8.7.1 style):
//! strict clients build their models from these documents.

use serde_json::{Map, Value, json};

use crate::schema::{
    AttrType, AttributeDef, Mutability, ResourceType, Returned, Schema, SchemaRegistry, Uniqueness,
    urn,
};

/// The `/Schemas/{id}` document of one schema. `location_base` is the SCIM
/// base URL (e.g. `https://example.com/scim/v2`).
pub fn schema_document(schema: &Schema, location_base: &str) -> Value {
    json!({
        "schemas": [urn::SCHEMA],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": schema.attributes.iter().map(attribute_document).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{}", trim_base(location_base), schema.id),
        },
    })
}

/// Every schema of the registry (standard ones first, then custom extensions).
pub fn schemas_list(registry: &SchemaRegistry, location_base: &str) -> Vec<Value> {
    registry
        .schemas()
        .iter()
        .map(|schema| schema_document(schema, location_base))
        .collect()
}

/// The `/ResourceTypes/{id}` document of one resource type.
pub fn resource_type_document(rt: &ResourceType, location_base: &str) -> Value {
    let mut document = Map::new();
    document.insert("schemas".into(), json!([urn::RESOURCE_TYPE]));
    document.insert("id".into(), json!(rt.id));
    document.insert("name".into(), json!(rt.id));
    document.insert("endpoint".into(), json!(rt.endpoint));
    document.insert("description".into(), json!(rt.description));
    document.insert("schema".into(), json!(rt.schema));
    if !rt.schema_extensions.is_empty() {
        let extensions: Vec<Value> = rt
            .schema_extensions
            .iter()
            .map(|e| json!({"schema": e.schema, "required": e.required}))
            .collect();
        document.insert("schemaExtensions".into(), Value::Array(extensions));
    }
    document.insert(
        "meta".into(),
        json!({
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/{}", trim_base(location_base), rt.id),
        }),
    );
    Value::Object(document)
}

/// Every resource type of the registry.
pub fn resource_types_list(registry: &SchemaRegistry, location_base: &str) -> Vec<Value> {
    registry
        .resource_types()
        .iter()
        .map(|rt| resource_type_document(rt, location_base))
        .collect()
}

/// `/Bulk` limits, advertised and enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkLimits {
    /// The maximum number of operations in one bulk request.
    pub max_operations: u32,
    /// The maximum bulk request body, in bytes.
    pub max_payload_size: u64,
}

/// How a list is paged when the client names neither `startIndex` nor `cursor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PaginationMethod {
    /// `startIndex`/`count` (RFC 7644 §3.4.2.4).
    #[default]
    Index,
    /// `cursor`/`count` (RFC 9865).
    Cursor,
}

impl PaginationMethod {
    /// `"index"` or `"cursor"`.
    pub fn as_str(self) -> &'static str {
        match self {
            PaginationMethod::Index => "index",
            PaginationMethod::Cursor => "cursor",
        }
    }
}

/// RFC 9865 cursor pagination, advertised as the `pagination` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CursorPaging {
    /// Whether `startIndex` paging is offered too.
    pub index: bool,
    /// The method used when the request names none.
    pub default_pagination_method: PaginationMethod,
    /// The page size when the request has no `count`.
    pub default_page_size: u32,
    /// The largest page served.
    pub max_page_size: u32,
    /// How long a cursor stays valid, in seconds.
    pub cursor_timeout_seconds: u32,
}

impl Default for CursorPaging {
    fn default() -> Self {
        CursorPaging {
            index: true,
            default_pagination_method: PaginationMethod::Index,
            default_page_size: 100,
            max_page_size: 1000,
            cursor_timeout_seconds: 3600,
        }
    }
}

/// One entry of `authenticationSchemes` (RFC 7643 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationScheme {
    /// `oauthbearertoken`, `httpbasic`, `oauth2`...
    pub scheme_type: String,
    /// A human-readable name.
    pub name: String,
    /// A human-readable description.
    pub description: String,
    /// The specification's URL.
    pub spec_uri: Option<String>,
    /// The scheme's usage documentation URL.
    pub documentation_uri: Option<String>,
    /// Whether this is the preferred scheme.
    pub primary: bool,
}

impl AuthenticationScheme {
    /// OAuth 2.0 bearer tokens (RFC 6750): SCIM tokens and JWTs alike.
    pub fn oauth_bearer_token() -> Self {
        AuthenticationScheme {
            scheme_type: "oauthbearertoken".into(),
            name: "OAuth Bearer Token".into(),
            description: "Authentication scheme using the OAuth Bearer Token Standard".into(),
            spec_uri: Some("https://www.rfc-editor.org/info/rfc6750".into()),
            documentation_uri: None,
            primary: true,
        }
    }

    /// OAuth 2.0 client credentials (RFC 6749 §4.4): tokens from the service provider's
    /// token endpoint, at `token_endpoint`.
    pub fn oauth2_client_credentials(token_endpoint: &str) -> Self {
        AuthenticationScheme {
            scheme_type: "oauth2".into(),
            name: "OAuth 2.0 Client Credentials".into(),
            description: format!(
                "Access tokens from the client credentials grant at {token_endpoint}"
            ),
            spec_uri: Some("https://www.rfc-editor.org/info/rfc6749".into()),
            documentation_uri: None,
            primary: false,
        }
    }

    /// JWTs (RFC 7519) from an issuer the organization trusts, sent as bearer tokens.
    pub fn jwt_bearer() -> Self {
        AuthenticationScheme {
            scheme_type: "oauthbearertoken".into(),
            name: "JWT Bearer Token".into(),
            description: "JSON Web Tokens from a trusted issuer, sent as bearer tokens".into(),
            spec_uri: Some("https://www.rfc-editor.org/info/rfc7519".into()),
            documentation_uri: None,
            primary: false,
        }
    }
}

/// What the service provider supports, for `/ServiceProviderConfig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceProviderFeatures {
    /// PATCH support.
    pub patch: bool,
    /// `/Bulk` support and its limits; `None` when unsupported.
    pub bulk: Option<BulkLimits>,
    /// The most resources a filtered list returns (filters are supported).
    pub filter_max_results: u32,
    /// Whether the password may be changed.
    pub change_password: bool,
    /// `sortBy`/`sortOrder` support.
    pub sort: bool,
    /// ETag and `If-Match`/`If-None-Match` support.
    pub etag: bool,
    /// RFC 9865 cursor pagination; `None` when only `startIndex` is offered.
    pub cursor_paging: Option<CursorPaging>,
    /// The accepted authentication schemes.
    pub authentication_schemes: Vec<AuthenticationScheme>,
    /// Human-readable documentation.
    pub documentation_uri: Option<String>,
}

impl Default for ServiceProviderFeatures {
    /// Everything Rollcall implements: PATCH, bulk (1,000 operations, 1 MiB),
    /// filters up to 1,000 results, sorting, ETags, cursors, bearer tokens.
    /// Rollcall authenticates nobody, and by default drops passwords, so
    /// `changePassword` is off (an organization that keeps argon2id hashes turns it on).
    fn default() -> Self {
        ServiceProviderFeatures {
            patch: true,
            bulk: Some(BulkLimits {
                max_operations: 1000,
                max_payload_size: 1_048_576,
            }),
            filter_max_results: 1000,
            change_password: false,
            sort: true,
            etag: true,
            cursor_paging: Some(CursorPaging::default()),
            authentication_schemes: vec![AuthenticationScheme::oauth_bearer_token()],
            documentation_uri: None,
        }
    }
}

/// The `/ServiceProviderConfig` document.
pub fn service_provider_config(features: &ServiceProviderFeatures, location_base: &str) -> Value {
    let mut document = Map::new();
    document.insert("schemas".into(), json!([urn::SERVICE_PROVIDER_CONFIG]));
    if let Some(uri) = &features.documentation_uri {
        document.insert("documentationUri".into(), json!(uri));
    }
    document.insert("patch".into(), json!({"supported": features.patch}));
    let bulk = match features.bulk {
        Some(limits) => json!({
            "supported": true,
            "maxOperations": limits.max_operations,
            "maxPayloadSize": limits.max_payload_size,
        }),
        None => json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 0}),
    };
    document.insert("bulk".into(), bulk);
    document.insert(
        "filter".into(),
        json!({"supported": true, "maxResults": features.filter_max_results}),
    );
    document.insert(
        "changePassword".into(),
        json!({"supported": features.change_password}),
    );
    document.insert("sort".into(), json!({"supported": features.sort}));
    document.insert("etag".into(), json!({"supported": features.etag}));
    let schemes: Vec<Value> = features
        .authentication_schemes
        .iter()
        .map(authentication_scheme_document)
        .collect();
    document.insert("authenticationSchemes".into(), Value::Array(schemes));
    if let Some(paging) = features.cursor_paging {
        document.insert(
            "pagination".into(),
            json!({
                "cursor": true,
                "index": paging.index,
                "defaultPaginationMethod": paging.default_pagination_method.as_str(),
                "defaultPageSize": paging.default_page_size,
                "maxPageSize": paging.max_page_size,
                "cursorTimeout": paging.cursor_timeout_seconds,
            }),
        );
    }
    document.insert(
        "meta".into(),
        json!({
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", trim_base(location_base)),
        }),
    );
    Value::Object(document)
}

fn authentication_scheme_document(scheme: &AuthenticationScheme) -> Value {
    let mut document = Map::new();
    document.insert("type".into(), json!(scheme.scheme_type));
    document.insert("name".into(), json!(scheme.name));
    document.insert("description".into(), json!(scheme.description));
    if let Some(uri) = &scheme.spec_uri {
        document.insert("specUri".into(), json!(uri));
    }
    if let Some(uri) = &scheme.documentation_uri {
        document.insert("documentationUri".into(), json!(uri));
    }
    document.insert("primary".into(), json!(scheme.primary));
    Value::Object(document)
}

/// One attribute with every characteristic of RFC 7643 §7;
/// `canonicalValues` when there are some, `referenceTypes` for references
/// and `subAttributes` for complex attributes.
fn attribute_document(attribute: &AttributeDef) -> Value {
    let mut document = Map::new();
    document.insert("name".into(), json!(attribute.name));
    document.insert("type".into(), json!(attribute.ty.as_str()));
    document.insert("multiValued".into(), json!(attribute.multi_valued));
    document.insert("description".into(), json!(attribute.description));
    document.insert("required".into(), json!(attribute.required));
    if !attribute.canonical_values.is_empty() {
        document.insert("canonicalValues".into(), json!(attribute.canonical_values));
    }
    document.insert("caseExact".into(), json!(attribute.case_exact));
    document.insert(
        "mutability".into(),
        json!(mutability_name(attribute.mutability)),
    );
    document.insert("returned".into(), json!(returned_name(attribute.returned)));
    document.insert(
        "uniqueness".into(),
        json!(uniqueness_name(attribute.uniqueness)),
    );
    if attribute.ty == AttrType::Reference {
        // Strict clients derive the reference's target from this list and
        // reject a reference without one; a custom reference that names no
        // type points outside the service provider.
        let types = if attribute.reference_types.is_empty() {
            vec!["external".to_owned()]
        } else {
            attribute.reference_types.clone()
        };
        document.insert("referenceTypes".into(), json!(types));
    }
    if attribute.ty == AttrType::Complex {
        let subs: Vec<Value> = attribute
            .sub_attributes
            .iter()
            .map(attribute_document)
            .collect();
        document.insert("subAttributes".into(), Value::Array(subs));
    }
    Value::Object(document)
}

fn mutability_name(mutability: Mutability) -> &'static str {
    match mutability {
        Mutability::ReadOnly => "readOnly",
        Mutability::ReadWrite => "readWrite",
        Mutability::Immutable => "immutable",
        Mutability::WriteOnly => "writeOnly",
    }
}

fn returned_name(returned: Returned) -> &'static str {
    match returned {
        Returned::Always => "always",
        Returned::Never => "never",
        Returned::Default => "default",
        Returned::Request => "request",
    }
}

fn uniqueness_name(uniqueness: Uniqueness) -> &'static str {
    match uniqueness {
        Uniqueness::None => "none",
        Uniqueness::Server => "server",
        Uniqueness::Global => "global",
    }
}

/// The base URL without trailing slashes.
fn trim_base(base: &str) -> &str {
    base.trim_end_matches('/')
}
