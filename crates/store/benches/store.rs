//! Criterion benchmarks of the store's hot paths on SQLite: creating a user (what
//! `POST /Users` costs below HTTP) and Okta's `userName eq` lookup in a 20,000-user org;
//! cursor (keyset) pages 1 and 9,000 of a 10,000-user org at `count=1`, beside the
//! `startIndex` page 9,000 (`cargo bench -p rollcall-store --bench store -- cursor`).
//! Figures are recorded in `docs/benchmarks.md`.

#![allow(clippy::expect_used)] // fixed, known-good inputs

use std::hint::black_box;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use rollcall_store::testing::TestDb;
use rollcall_store::{Keyset, KeysetDirection, ListQuery, ResourceKind};
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

fn bench_cursor(c: &mut Criterion) {
    let db = TestDb::sqlite();
    let store = db.open();
    let t0 = Utc::now();
    let org = store.write(|tx| tx.create_org("bench", t0)).expect("org");
    store
        .write(|tx| {
            for k in 0..10_000i64 {
                let created = t0 + chrono::Duration::milliseconds(k);
                tx.create_resource(&org.id, ResourceKind::User, &user(k as u64), created)?;
            }
            Ok(())
        })
        .expect("seed");
    let query = |start_index, count| ListQuery {
        filter: None,
        sort: None,
        start_index,
        count,
        load_members: false,
    };
    // The position after page 8,999: what page 8,999's nextCursor names.
    let before = store
        .read(|tx| tx.list_keyset(&org.id, ResourceKind::User, &query(1, 8_999), None))
        .expect("pages 1 to 8,999");
    let page_9000 = Keyset {
        direction: KeysetDirection::After,
        position: before.last.expect("a last row"),
    };
    let page = store
        .read(|tx| tx.list_keyset(&org.id, ResourceKind::User, &query(1, 1), Some(&page_9000)))
        .expect("page 9,000");
    let offset = store
        .read(|tx| tx.list_resources(&org.id, ResourceKind::User, &query(9_000, 1)))
        .expect("startIndex 9,000");
    assert_eq!(page.resources, offset.resources, "the same row either way");

    c.bench_function("store/sqlite cursor page 1 of 10,000 (count=1)", |b| {
        b.iter(|| {
            let page = store
                .read(|tx| tx.list_keyset(&org.id, ResourceKind::User, &query(1, 1), None))
                .expect("page 1");
            black_box(page)
        })
    });
    c.bench_function("store/sqlite cursor page 9,000 of 10,000 (count=1)", |b| {
        b.iter(|| {
            let page = store
                .read(|tx| {
                    tx.list_keyset(&org.id, ResourceKind::User, &query(1, 1), Some(&page_9000))
                })
                .expect("page 9,000");
            black_box(page)
        })
    });
    c.bench_function(
        "store/sqlite cursor baseline: startIndex page 9,000 of 10,000 (count=1)",
        |b| {
            b.iter(|| {
                let page = store
                    .read(|tx| tx.list_resources(&org.id, ResourceKind::User, &query(9_000, 1)))
                    .expect("startIndex 9,000");
                black_box(page)
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = bench_store, bench_cursor
}
criterion_main!(benches);
