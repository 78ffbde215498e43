//! Criterion benchmarks of the protocol core: parsing a typical IdP filter,
//! evaluating one against a user, and applying a ten-operation PATCH.
//! Figures are recorded in `docs/benchmarks.md`.

#![allow(clippy::expect_used)] // fixed, known-good inputs

use criterion::{Criterion, criterion_group, criterion_main};
use scim_core::patch::{PatchRequest, apply_patch};
use scim_core::{Dialect, DialectContext, SchemaRegistry, filter};
use serde_json::{Value, json};
use std::hint::black_box;

const OKTA_FILTER: &str = r#"userName eq "ann.smith@example.com""#;
const ENTRA_FILTER: &str = r#"externalId eq "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d""#;
const COMPLEX_FILTER: &str = r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"] and not (title pr) or meta.lastModified gt "2011-05-13T04:42:34Z""#;

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "userName": "Ann.Smith@example.com",
        "name": {"givenName": "Ann", "familyName": "Smith", "formatted": "Ann Smith"},
        "displayName": "Ann Smith",
        "userType": "Employee",
        "active": true,
        "emails": [
            {"value": "ann.smith@example.com", "type": "work", "primary": true},
            {"value": "ann@home.example.org", "type": "home"}
        ],
        "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
        "meta": {"resourceType": "User", "created": "2024-01-02T03:04:05Z",
                 "lastModified": "2024-06-01T00:00:00Z", "version": "W/\"3\""},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984", "costCenter": "4130", "department": "Tour Operations"
        }
    })
}

fn ten_operation_patch() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "displayName", "value": "Ann Smith-Jones"},
            {"op": "Replace", "path": "name.familyName", "value": "Smith-Jones"},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "ann.sj@example.com"},
            {"op": "add", "path": "phoneNumbers", "value": [{"value": "+1 555 0199", "type": "mobile"}]},
            {"op": "Add", "path": "title", "value": "Tour Guide"},
            {"op": "replace", "path": "active", "value": "True"},
            {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "26118915-6090-4610-87e4-49d8ca9f808d"},
            {"op": "remove", "path": "emails[type eq \"home\"]"},
            {"op": "replace", "value": {"nickName": "Annie", "name.givenName": "Anne"}}
        ]
    })
}

fn bench_filters(c: &mut Criterion) {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_type("User").expect("User type");
    let resource = user();

    c.bench_function("filter/parse okta userName eq", |b| {
        b.iter(|| filter::parse(black_box(OKTA_FILTER)))
    });
    c.bench_function("filter/parse entra externalId eq", |b| {
        b.iter(|| filter::parse(black_box(ENTRA_FILTER)))
    });
    c.bench_function("filter/parse complex", |b| {
        b.iter(|| filter::parse(black_box(COMPLEX_FILTER)))
    });
    c.bench_function("filter/parse+resolve okta userName eq", |b| {
        b.iter(|| {
            let parsed = filter::parse(black_box(OKTA_FILTER)).expect("parses");
            filter::resolve(&registry, users, &parsed)
        })
    });
    for (name, text) in [
        ("okta userName eq", OKTA_FILTER),
        ("complex", COMPLEX_FILTER),
    ] {
        let parsed = filter::parse(text).expect("parses");
        let resolved = filter::resolve(&registry, users, &parsed).expect("resolves");
        c.bench_function(&format!("filter/evaluate {name}"), |b| {
            b.iter(|| resolved.matches(black_box(&resource)))
        });
    }
}

fn bench_patch(c: &mut Criterion) {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_type("User").expect("User type");
    let resource = user();
    let body = ten_operation_patch();
    c.bench_function("patch/parse+apply ten operations", |b| {
        b.iter(|| {
            let mut ctx = DialectContext::new(Dialect::Lenient);
            let request = PatchRequest::parse(black_box(&body), &mut ctx).expect("parses");
            apply_patch(&registry, users, &resource, &request, &mut ctx).expect("applies")
        })
    });
}

criterion_group!(benches, bench_filters, bench_patch);
criterion_main!(benches);
