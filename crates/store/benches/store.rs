//! Criterion benchmarks of the store's hot paths on SQLite: creating a user (what
//! `POST /Users` costs below HTTP) and Okta's `userName eq` lookup in a 20,000-user org.
//! Figures are recorded in `docs/benchmarks.md`.

#![allow(clippy::expect_used)] // fixed, known-good inputs

use std::hint::black_box;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use rollcall_store::testing::TestDb;
use rollcall_store::{ListQuery, ResourceKind};
use scim_core::{SchemaRegistry, filter};
use serde_json::{Value, json};

fn user(k: u64) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("user{k}@bench.example"),
        "name": {"givenName": "Bench", "familyName": format!("User {k}")},
        "emails": [{"value": format!("user{k}@bench.example"), "type": "work", "primary": true}],
        "active": true
    })
}

fn bench_store(c: &mut Criterion) {
    let db = TestDb::sqlite();
    let store = db.open();
    let org = store
        .write(|tx| tx.create_org("bench", Utc::now()))
        .expect("org");
    let mut k = 0u64;
    for _ in 0..20_000 {
        store
            .write(|tx| tx.create_resource(&org.id, ResourceKind::User, &user(k), Utc::now()))
            .expect("seed");
        k += 1;
    }

    c.bench_function("store/sqlite create user (one write transaction)", |b| {
        b.iter(|| {
            k += 1;
            store
                .write(|tx| tx.create_resource(&org.id, ResourceKind::User, &user(k), Utc::now()))
                .expect("create")
        })
    });

    let registry = SchemaRegistry::standard();
    let users = registry.resource_type("User").expect("User type");
    let mut n = 0u64;
    c.bench_function(
        "store/sqlite list userName eq (20k users, one read transaction)",
        |b| {
            b.iter(|| {
                n = (n + 7919) % 20_000;
                let text = format!("userName eq \"user{n}@bench.example\"");
                let parsed = filter::parse(&text).expect("filter");
                let resolved = filter::resolve(&registry, users, &parsed).expect("resolves");
                let query = ListQuery {
                    filter: Some(&resolved),
                    sort: None,
                    start_index: 1,
                    count: 100,
                    load_members: false,
                };
                let page = store
                    .read(|tx| tx.list_resources(&org.id, ResourceKind::User, &query))
                    .expect("list");
                black_box(page)
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = bench_store
}
criterion_main!(benches);
