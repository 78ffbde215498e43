//! Discovery documents for the standard registry and a custom extension.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use scim_core::discovery::{BulkLimits, CursorPaging, PaginationMethod};
use scim_core::schema::{AttrType, AttributeDef, Schema};
use scim_core::{
    SchemaRegistry, ServiceProviderFeatures, resource_type_document, resource_types_list,
    schema_document, schemas_list, service_provider_config,
};
use serde_json::{Value, json};

const BASE: &str = "https://example.com/scim/v2/";
const ACME: &str = "urn:example:params:scim:schemas:extension:acme:2.0:User";

const CHARACTERISTICS: &[&str] = &[
    "name",
    "type",
    "multiValued",
    "description",
    "required",
    "caseExact",
    "mutability",
    "returned",
    "uniqueness",
];

fn acme_registry() -> SchemaRegistry {
    let mut registry = SchemaRegistry::standard();
    let acme = Schema::new(
        ACME,
        "AcmeUser",
        "Acme extension",
        vec![
            AttributeDef::string("employeeType"),
            AttributeDef::new("clearanceLevel", AttrType::Integer),
            AttributeDef::string("costCenter"),
            AttributeDef::new("badgePhoto", AttrType::Reference),
        ],
    );
    registry.add_extension("User", acme, false).unwrap();
    registry
}

/// Every attribute (and sub-attribute) has every characteristic, with
/// values from the RFC 7643 §7 vocabularies.
fn assert_complete(attribute: &Value, path: &str) {
    for key in CHARACTERISTICS {
        assert!(attribute.get(key).is_some(), "{path} lacks {key}");
    }
    let one_of = |key: &str, allowed: &[&str]| {
        let value = attribute[key].as_str().unwrap();
        assert!(allowed.contains(&value), "{path}.{key} = {value}");
    };
    one_of(
        "type",
        &[
            "string",
            "boolean",
            "decimal",
            "integer",
            "dateTime",
            "reference",
            "binary",
            "complex",
        ],
    );
    one_of(
        "mutability",
        &["readOnly", "readWrite", "immutable", "writeOnly"],
    );
    one_of("returned", &["always", "never", "default", "request"]);
    one_of("uniqueness", &["none", "server", "global"]);
    for key in ["multiValued", "required", "caseExact"] {
        assert!(attribute[key].is_boolean(), "{path}.{key}");
    }
    let ty = attribute["type"].as_str().unwrap();
    assert_eq!(
        ty == "complex",
        attribute.get("subAttributes").is_some(),
        "{path} subAttributes"
    );
    if ty == "reference" {
        let types = attribute["referenceTypes"].as_array().unwrap();
        assert!(!types.is_empty(), "{path} referenceTypes");
    } else {
        assert!(
            attribute.get("referenceTypes").is_none(),
            "{path} referenceTypes"
        );
    }
    if let Some(values) = attribute.get("canonicalValues") {
        assert!(
            !values.as_array().unwrap().is_empty(),
            "{path} canonicalValues"
        );
    }
    for sub in attribute
        .get("subAttributes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = sub["name"].as_str().unwrap();
        assert!(sub.get("subAttributes").is_none(), "{path}.{name} nests");
        assert_complete(sub, &format!("{path}.{name}"));
    }
}

fn attribute<'d>(document: &'d Value, name: &str) -> &'d Value {
    document["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no attribute {name}"))
}

fn sub_attribute<'d>(attribute: &'d Value, name: &str) -> &'d Value {
    attribute["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no sub-attribute {name}"))
}

#[test]
fn schema_documents_are_complete() {
    let registry = acme_registry();
    let documents = schemas_list(&registry, BASE);
    let ids: Vec<&str> = documents
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            ACME,
        ]
    );
    for document in &documents {
        let id = document["id"].as_str().unwrap();
        assert_eq!(
            document["schemas"],
            json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"])
        );
        assert!(document["name"].is_string() && document["description"].is_string());
        assert_eq!(
            document["meta"],
            json!({"resourceType": "Schema", "location": format!("https://example.com/scim/v2/Schemas/{id}")})
        );
        for attribute in document["attributes"].as_array().unwrap() {
            assert_complete(attribute, attribute["name"].as_str().unwrap());
        }
    }
}

#[test]
fn user_schema_matches_rfc_7643_8_7_1() {
    let registry = SchemaRegistry::standard();
    let user = schema_document(
        registry
            .schema("urn:ietf:params:scim:schemas:core:2.0:User")
            .unwrap(),
        BASE,
    );
    assert_eq!(user["name"], "User");
    let names: Vec<&str> = user["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "userName",
            "name",
            "displayName",
            "nickName",
            "profileUrl",
            "title",
            "userType",
            "preferredLanguage",
            "locale",
            "timezone",
            "active",
            "password",
            "emails",
            "phoneNumbers",
            "ims",
            "photos",
            "addresses",
            "groups",
            "entitlements",
            "roles",
            "x509Certificates",
        ]
    );
    // Rows: (attribute, sub-attribute, key, expected value).
    let rows: &[(&str, Option<&str>, &str, Value)] = &[
        ("userName", None, "required", json!(true)),
        ("userName", None, "uniqueness", json!("server")),
        ("userName", None, "caseExact", json!(false)),
        ("password", None, "mutability", json!("writeOnly")),
        ("password", None, "returned", json!("never")),
        ("emails", None, "multiValued", json!(true)),
        ("emails", None, "type", json!("complex")),
        (
            "emails",
            Some("type"),
            "canonicalValues",
            json!(["work", "home", "other"]),
        ),
        ("profileUrl", None, "referenceTypes", json!(["external"])),
        (
            "photos",
            Some("value"),
            "referenceTypes",
            json!(["external"]),
        ),
        ("groups", None, "mutability", json!("readOnly")),
        (
            "groups",
            Some("$ref"),
            "referenceTypes",
            json!(["User", "Group"]),
        ),
        (
            "groups",
            Some("type"),
            "canonicalValues",
            json!(["direct", "indirect"]),
        ),
        ("x509Certificates", Some("value"), "type", json!("binary")),
        ("active", None, "type", json!("boolean")),
    ];
    for (name, sub, key, expected) in rows {
        let attr = attribute(&user, name);
        let target = match sub {
            Some(sub) => sub_attribute(attr, sub),
            None => attr,
        };
        assert_eq!(&target[*key], expected, "{name} {sub:?} {key}");
    }
    let group = schema_document(
        registry
            .schema("urn:ietf:params:scim:schemas:core:2.0:Group")
            .unwrap(),
        BASE,
    );
    let members = attribute(&group, "members");
    assert_eq!(sub_attribute(members, "value")["mutability"], "immutable");
    assert_eq!(
        sub_attribute(members, "type")["canonicalValues"],
        json!(["User", "Group"])
    );
    assert_eq!(
        sub_attribute(members, "$ref")["referenceTypes"],
        json!(["User", "Group"])
    );
    let enterprise = schema_document(
        registry
            .schema("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
            .unwrap(),
        BASE,
    );
    let manager = attribute(&enterprise, "manager");
    assert_eq!(manager["type"], "complex");
    assert_eq!(
        sub_attribute(manager, "$ref")["referenceTypes"],
        json!(["User"])
    );
    assert_eq!(
        sub_attribute(manager, "displayName")["mutability"],
        "readOnly"
    );
}

#[test]
fn custom_extension_is_published() {
    let registry = acme_registry();
    let acme = schemas_list(&registry, BASE)
        .into_iter()
        .find(|d| d["id"] == ACME)
        .unwrap();
    assert_eq!(acme["name"], "AcmeUser");
    assert_eq!(attribute(&acme, "clearanceLevel")["type"], "integer");
    assert_eq!(attribute(&acme, "employeeType")["type"], "string");
    // A reference naming no type is published as pointing outside.
    assert_eq!(
        attribute(&acme, "badgePhoto")["referenceTypes"],
        json!(["external"])
    );
    let types = resource_types_list(&registry, BASE);
    let user = types.iter().find(|t| t["id"] == "User").unwrap();
    assert_eq!(
        user["schemaExtensions"],
        json!([
            {"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false},
            {"schema": ACME, "required": false},
        ])
    );
    let mut registry = registry;
    registry.remove_extension(ACME).unwrap();
    assert!(
        schemas_list(&registry, BASE)
            .iter()
            .all(|d| d["id"] != ACME)
    );
    let types = resource_types_list(&registry, BASE);
    assert_eq!(types[0]["schemaExtensions"].as_array().unwrap().len(), 1);
}

#[test]
fn resource_type_documents() {
    let registry = SchemaRegistry::standard();
    let user = resource_type_document(registry.resource_type("User").unwrap(), "https://x/scim/v2");
    assert_eq!(
        user,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
            "schemaExtensions": [{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false}],
            "meta": {"resourceType": "ResourceType", "location": "https://x/scim/v2/ResourceTypes/User"},
        })
    );
    let group = resource_type_document(
        registry.resource_type("Group").unwrap(),
        "https://x/scim/v2",
    );
    assert_eq!(group["endpoint"], "/Groups");
    assert_eq!(
        group["schema"],
        "urn:ietf:params:scim:schemas:core:2.0:Group"
    );
    assert!(group.get("schemaExtensions").is_none());
    assert_eq!(resource_types_list(&registry, BASE).len(), 2);
}

#[test]
fn service_provider_config_defaults() {
    let document = service_provider_config(&ServiceProviderFeatures::default(), BASE);
    assert_eq!(
        document["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(document["patch"], json!({"supported": true}));
    assert_eq!(
        document["bulk"],
        json!({"supported": true, "maxOperations": 1000, "maxPayloadSize": 1048576})
    );
    assert_eq!(
        document["filter"],
        json!({"supported": true, "maxResults": 1000})
    );
    assert_eq!(document["changePassword"], json!({"supported": false}));
    assert_eq!(document["sort"], json!({"supported": true}));
    assert_eq!(document["etag"], json!({"supported": true}));
    assert_eq!(
        document["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );
    assert_eq!(document["authenticationSchemes"][0]["primary"], true);
    assert!(document["authenticationSchemes"][0]["specUri"].is_string());
    assert_eq!(
        document["pagination"],
        json!({"cursor": true, "index": true, "defaultPaginationMethod": "index",
               "defaultPageSize": 100, "maxPageSize": 1000, "cursorTimeout": 3600})
    );
    assert_eq!(
        document["meta"],
        json!({"resourceType": "ServiceProviderConfig", "location": "https://example.com/scim/v2/ServiceProviderConfig"})
    );
    assert!(document.get("documentationUri").is_none());
}

#[test]
fn service_provider_config_reflects_features() {
    let features = ServiceProviderFeatures {
        patch: false,
        bulk: None,
        filter_max_results: 50,
        change_password: true,
        sort: false,
        etag: false,
        cursor_paging: None,
        authentication_schemes: vec![],
        documentation_uri: Some("https://docs.example.com".into()),
    };
    let document = service_provider_config(&features, "https://x");
    assert_eq!(document["patch"], json!({"supported": false}));
    assert_eq!(
        document["bulk"],
        json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 0})
    );
    assert_eq!(document["filter"]["maxResults"], 50);
    assert_eq!(document["changePassword"], json!({"supported": true}));
    assert_eq!(document["authenticationSchemes"], json!([]));
    assert!(document.get("pagination").is_none());
    assert_eq!(document["documentationUri"], "https://docs.example.com");

    let features = ServiceProviderFeatures {
        bulk: Some(BulkLimits {
            max_operations: 5,
            max_payload_size: 10,
        }),
        cursor_paging: Some(CursorPaging {
            index: false,
            default_pagination_method: PaginationMethod::Cursor,
            default_page_size: 10,
            max_page_size: 20,
            cursor_timeout_seconds: 60,
        }),
        ..ServiceProviderFeatures::default()
    };
    let document = service_provider_config(&features, "https://x");
    assert_eq!(
        document["bulk"],
        json!({"supported": true, "maxOperations": 5, "maxPayloadSize": 10})
    );
    assert_eq!(
        document["pagination"],
        json!({"cursor": true, "index": false, "defaultPaginationMethod": "cursor",
               "defaultPageSize": 10, "maxPageSize": 20, "cursorTimeout": 60})
    );
}
