//! Criterion benchmarks of the store's hot paths on SQLite: creating a user (what
//! `POST /Users` costs below HTTP), Okta's `userName eq` lookup in a 20,000-user org,
//! group membership changes through `Members::patch_group` (what `PATCH /Groups/{id}` costs
//! below HTTP) in a 10-member and a 100,000-member group, and cursor (keyset) pages 1 and
//! 9,000 of a 10,000-user org at `count=1` beside the `startIndex` page 9,000. Figures are
//! recorded in `docs/benchmarks.md`; `cargo bench -p rollcall-store --bench store -- group`
//! (or `-- cursor`) runs one family alone.

#![allow(clippy::expect_used)] // fixed, known-good inputs
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use rollcall_store::testing::TestDb;
use rollcall_store::{Keyset, KeysetDirection, ListQuery, Store};
use scim_core::patch::{MemberChange, MemberRef};
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
        .write(|tx| tx.orgs().create("bench", Utc::now()))
        .expect("org");
    let mut k = 0u64;
    for _ in 0..20_000 {
        store
            .write(|tx| tx.users().create(&org.id, &user(k), Utc::now()))
            .expect("seed");
        k += 1;
    }

    c.bench_function("store/sqlite create user (one write transaction)", |b| {
        b.iter(|| {
            k += 1;
            store
                .write(|tx| tx.users().create(&org.id, &user(k), Utc::now()))
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
                    .read(|tx| tx.users().list(&org.id, &query))
                    .expect("list");
                black_box(page)
            })
        },
    );
}

/// Members of the large group.
const LARGE: usize = 100_000;
/// Members of the small group.
const SMALL: usize = 10;
/// Members added and removed in one PATCH.
const MANY: usize = 1_000;

fn member_refs(ids: &[String]) -> Vec<MemberRef> {
    ids.iter()
        .map(|id| MemberRef {
            value: id.clone(),
            type_: None,
            ref_: None,
        })
        .collect()
}

/// One group PATCH as `PATCH /Groups/{id}` runs it: one write transaction, the member
/// delta through `Members::patch_group` (members validated, rows inserted or deleted,
/// version bumped), no precondition.
fn patch_members(store: &Store, org_id: &str, group_id: &str, change: MemberChange) {
    store
        .write(|tx| {
            tx.members().patch_group(
                org_id,
                group_id,
                None,
                std::slice::from_ref(&change),
                None,
                Utc::now(),
            )
        })
        .expect("patch_group");
}

/// Time `measured` only; `undo` (untimed) puts the group back as it was, so every
/// iteration sees a group of the same size.
fn timed_with_undo(iters: u64, mut measured: impl FnMut(), mut undo: impl FnMut()) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        measured();
        total += start.elapsed();
        undo();
    }
    total
}

fn bench_groups(c: &mut Criterion) {
    let db = TestDb::sqlite();
    let store = db.open();
    let org = store
        .write(|tx| tx.orgs().create("bench", Utc::now()))
        .expect("org");
    let org_id = org.id.as_str();
    // Every user in one transaction: LARGE members, SMALL members, one single joiner and
    // MANY joiners.
    let ids: Vec<String> = store
        .write(|tx| {
            (0..LARGE + SMALL + 1 + MANY)
                .map(|k| {
                    let created = tx.users().create(org_id, &user(k as u64), Utc::now())?;
                    Ok::<String, rollcall_store::StoreError>(created.id)
                })
                .collect()
        })
        .expect("seed users");
    let (large_members, rest) = ids.split_at(LARGE);
    let (small_members, rest) = rest.split_at(SMALL);
    let (joiner, joiners) = rest.split_at(1);
    let group = |name: &str, members: &[String]| -> String {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": name
        });
        let created = store
            .write(|tx| tx.groups().create(org_id, &body, Utc::now()))
            .expect("group");
        patch_members(
            &store,
            org_id,
            &created.id,
            MemberChange::Add(member_refs(members)),
        );
        created.id
    };
    let small = group("small", small_members);
    let large = group("large", large_members);

    let one = member_refs(joiner);
    let one_id = joiner.to_vec();
    for (size, group_id) in [(SMALL, &small), (LARGE, &large)] {
        let add = || patch_members(&store, org_id, group_id, MemberChange::Add(one.clone()));
        let remove = || {
            patch_members(
                &store,
                org_id,
                group_id,
                MemberChange::Remove(one_id.clone()),
            )
        };
        c.bench_function(
            &format!("group/sqlite add one member ({size} members)"),
            |b| b.iter_custom(|iters| timed_with_undo(iters, add, remove)),
        );
        c.bench_function(
            &format!("group/sqlite remove one member ({size} members)"),
            |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        add();
                        let start = Instant::now();
                        remove();
                        total += start.elapsed();
                    }
                    total
                })
            },
        );
    }

    let many = member_refs(joiners);
    let many_ids = joiners.to_vec();
    let add_many = || patch_members(&store, org_id, &large, MemberChange::Add(many.clone()));
    let remove_many = || {
        patch_members(
            &store,
            org_id,
            &large,
            MemberChange::Remove(many_ids.clone()),
        )
    };
    let mut slow = c.benchmark_group("group/sqlite 1,000 members in one PATCH");
    slow.sample_size(20);
    slow.bench_function(format!("add to the {LARGE}-member group"), |b| {
        b.iter_custom(|iters| timed_with_undo(iters, add_many, remove_many))
    });
    slow.bench_function(
        format!("remove (Remove + value array) from the {LARGE}-member group"),
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    add_many();
                    let start = Instant::now();
                    remove_many();
                    total += start.elapsed();
                }
                total
            })
        },
    );
    slow.finish();
}

fn bench_cursor(c: &mut Criterion) {
    let db = TestDb::sqlite();
    let store = db.open();
    let t0 = Utc::now();
    let org = store
        .write(|tx| tx.orgs().create("bench", t0))
        .expect("org");
    store
        .write(|tx| {
            for k in 0..10_000i64 {
                let created = t0 + chrono::Duration::milliseconds(k);
                tx.users().create(&org.id, &user(k as u64), created)?;
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
        .read(|tx| tx.users().list_keyset(&org.id, &query(1, 8_999), None))
        .expect("pages 1 to 8,999");
    let page_9000 = Keyset {
        direction: KeysetDirection::After,
        position: before.last.expect("a last row"),
    };
    let page = store
        .read(|tx| {
            tx.users()
                .list_keyset(&org.id, &query(1, 1), Some(&page_9000))
        })
        .expect("page 9,000");
    let offset = store
        .read(|tx| tx.users().list(&org.id, &query(9_000, 1)))
        .expect("startIndex 9,000");
    assert_eq!(page.resources, offset.resources, "the same row either way");

    c.bench_function("store/sqlite cursor page 1 of 10,000 (count=1)", |b| {
        b.iter(|| {
            let page = store
                .read(|tx| tx.users().list_keyset(&org.id, &query(1, 1), None))
                .expect("page 1");
            black_box(page)
        })
    });
    c.bench_function("store/sqlite cursor page 9,000 of 10,000 (count=1)", |b| {
        b.iter(|| {
            let page = store
                .read(|tx| {
                    tx.users()
                        .list_keyset(&org.id, &query(1, 1), Some(&page_9000))
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
                    .read(|tx| tx.users().list(&org.id, &query(9_000, 1)))
                    .expect("startIndex 9,000");
                black_box(page)
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = bench_store, bench_groups, bench_cursor
}
criterion_main!(benches);
