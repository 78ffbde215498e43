//! Filters use indexes: the SQLite query plans (`EXPLAIN QUERY PLAN`) of the hot filters
//! search an index and never scan the users table; on PostgreSQL (whose planner wants
//! statistics and more than a handful of rows before it prefers an index) the same holds for
//! an analyzed org of 1,000 users.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use chrono::Utc;
use rollcall_store::testing::TestDb;
use rollcall_store::{Backend, ListQuery, ResourceKind};
use scim_core::SchemaRegistry;
use scim_core::filter::{parse, resolve};
use serde_json::json;

#[test]
fn hot_filters_search_indexes() {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_type("User").unwrap();
    let groups = registry.resource_type("Group").unwrap();
    // (resource type, filter, index the plan must use). On SQLite without statistics, an
    // indexed-attribute filter searches `resource_values` by index and then walks the org's
    // users by `scim_users_created (org_id=?)` probing the subquery's list: an index range
    // of one org, never a scan of the table.
    let cases = [
        (
            "User",
            r#"userName eq "bjensen@example.com""#,
            "sqlite_autoindex_scim_users_2",
        ),
        (
            "User",
            r#"externalId eq "00u1""#,
            "scim_users_external_id (org_id=? AND external_id=?)",
        ),
        ("User", r#"id eq "x""#, "sqlite_autoindex_scim_users_1"),
        (
            "User",
            r#"title eq "Tour Guide""#,
            "resource_values_lower (org_id=? AND attr=? AND sub=? AND v_lower=?)",
        ),
        (
            "User",
            r#"emails[type eq "work" and value co "@example.com"]"#,
            "USING INDEX resource_values_",
        ),
        (
            "User",
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7""#,
            "resource_values_lower",
        ),
        // A case-exact attribute of the filter index searches the lower-cased index.
        (
            "User",
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "M7""#,
            "resource_values_lower (org_id=? AND attr=? AND sub=? AND v_lower=?)",
        ),
        (
            "User",
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value sw "M""#,
            "resource_values_lower (org_id=? AND attr=? AND sub=? AND v_lower>? AND v_lower<?)",
        ),
        (
            "User",
            r#"userName sw "bj""#,
            "sqlite_autoindex_scim_users_2",
        ),
        (
            "Group",
            r#"displayName eq "Engineering""#,
            "sqlite_autoindex_scim_groups_2",
        ),
        ("Group", r#"members.value eq "u1""#, "group_members_member"),
        // A user's groups, direct (membership rows) or through nesting: from the org's
        // groups (by name key when the filter names one) down their nested groups by index.
        (
            "User",
            r#"groups.value eq "g1""#,
            "group_members_nested (member_type=? AND group_id=?)",
        ),
        (
            "User",
            r#"groups[display eq "Engineering" and type eq "indirect"]"#,
            "sqlite_autoindex_scim_groups_2",
        ),
    ];
    for db in TestDb::all() {
        let store = db.open();
        let org = store
            .write(|tx| {
                let org = tx.orgs().create("acme", Utc::now())?;
                tx.users()
                    .create(&org.id, &json!({"userName": "a", "title": "t"}), Utc::now())?;
                Ok(org.id)
            })
            .unwrap();
        for (type_name, text, index) in cases {
            let (rt, kind) = if type_name == "User" {
                (users, ResourceKind::User)
            } else {
                (groups, ResourceKind::Group)
            };
            let filter = resolve(&registry, rt, &parse(text).unwrap()).unwrap();
            let query = ListQuery {
                filter: Some(&filter),
                sort: None,
                start_index: 1,
                count: 100,
                load_members: false,
            };
            let plan = store
                .read(|tx| tx.resources(kind).explain_list(&org, &query))
                .unwrap();
            eprintln!("{:?} {text}:\n  {}", db.backend(), plan.join("\n  "));
            if db.backend() == Backend::Sqlite {
                let table = kind_table(kind);
                assert!(
                    plan.iter().any(|step| step.contains(index)),
                    "{text}: expected {index} in {plan:?}"
                );
                assert!(
                    !plan.iter().any(|step| step.starts_with("SCAN r")
                        || step.starts_with(&format!("SCAN {table}"))),
                    "{text}: full scan in {plan:?}"
                );
            }
        }
    }
}

#[test]
fn postgres_plans_use_indexes_on_an_analyzed_org() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let store = db.open();
    let org = store
        .write(|tx| {
            let org = tx.orgs().create("acme", Utc::now())?;
            let mut members = Vec::new();
            for i in 0..1000 {
                let user = json!({
                    "userName": format!("user{i}@example.com"),
                    "externalId": format!("00u{i}"),
                    "title": format!("title {}", i % 100),
                    "emails": [{"value": format!("user{i}@example.com"), "type": "work"}],
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                        "manager": {"value": format!("M{i}")}
                    },
                });
                let id = tx.users().create(&org.id, &user, Utc::now())?.id;
                members.push(json!({"value": id}));
            }
            // Every user joined a group: each has a count of membership changes, read
            // with their version.
            let everyone = json!({"displayName": "everyone", "members": members});
            tx.groups().create(&org.id, &everyone, Utc::now())?;
            Ok(org.id)
        })
        .unwrap();
    let mut admin = <diesel::PgConnection as diesel::Connection>::establish(db.url()).unwrap();
    diesel::connection::SimpleConnection::batch_execute(&mut admin, "ANALYZE").unwrap();

    let registry = SchemaRegistry::standard();
    let users = registry.resource_type("User").unwrap();
    let cases = [
        (
            r#"userName eq "user5@example.com""#,
            "scim_users_user_name_key_key",
        ),
        (r#"externalId eq "00u5""#, "scim_users_external_id"),
        (r#"title eq "title 5""#, "resource_values_lower"),
        (
            r#"emails[type eq "work" and value sw "user5@"]"#,
            "resource_values_lower",
        ),
        (r#"nickName eq "nobody""#, "resource_values_lower"),
        // Case-exact, in the filter index: searched through its lower-cased index.
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "M5""#,
            "resource_values_lower",
        ),
        // The index holds a 256-character prefix (long values): ranges search it too (the
        // planner may then read the org's few users whole, which is its choice).
        (r#"title gt "title 98""#, "left\"(v_lower, 256) >="),
        (r#"title le "title 10""#, "left\"(v_lower, 256) <="),
    ];
    for (text, index) in cases {
        let filter = resolve(&registry, users, &parse(text).unwrap()).unwrap();
        let query = ListQuery {
            filter: Some(&filter),
            sort: None,
            start_index: 1,
            count: 100,
            load_members: false,
        };
        let plan = store
            .read(|tx| tx.users().explain_list(&org, &query))
            .unwrap()
            .join("\n");
        assert!(plan.contains(index), "{text}: expected {index} in\n{plan}");
        let values_scanned = plan
            .lines()
            .any(|line| line.contains("Seq Scan on resource_values"));
        assert!(
            !values_scanned && (index.starts_with("left") || !plan.contains("Seq Scan")),
            "{text}: sequential scan in\n{plan}"
        );
    }
}

fn kind_table(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::User => "scim_users",
        ResourceKind::Group => "scim_groups",
    }
}

#[test]
fn member_changes_use_primary_keys_not_org_wide_indexes() {
    // A PATCH adding many members checks them in chunks of 500 ids: on SQLite each id must
    // be a primary-key probe, never a walk of the org's users or groups (which, in a
    // 100,000-user org, made adding 1,000 members cost a scan of the org per chunk).
    for db in TestDb::all() {
        if db.backend() != Backend::Sqlite {
            continue; // PostgreSQL plans from statistics; the benchmark is on SQLite.
        }
        let store = db.open();
        let org = store
            .write(|tx| Ok(tx.orgs().create("acme", Utc::now())?.id))
            .unwrap();
        for count in [1, 2, 500] {
            let ids: Vec<String> = (0..count).map(|n| format!("id{n}")).collect();
            let plan = store
                .read(|tx| tx.members().explain_member_lookup(&org, &ids))
                .unwrap();
            for (table, primary_key) in [
                ("scim_users", "sqlite_autoindex_scim_users_1 (id=?)"),
                ("scim_groups", "sqlite_autoindex_scim_groups_1 (id=?)"),
            ] {
                assert!(
                    plan.iter()
                        .any(|step| step.contains(table) && step.contains(primary_key)),
                    "{count} ids: expected {primary_key} in {plan:?}"
                );
            }
            assert!(
                !plan
                    .iter()
                    .any(|step| step.contains("_created") || step.starts_with("SCAN")),
                "{count} ids: an org-wide walk in {plan:?}"
            );
        }
        // Removing all members walks the group's rows, not the org's memberships.
        let plan = store
            .read(|tx| tx.members().explain_remove_all_members(&org, "g1"))
            .unwrap();
        assert_eq!(
            plan,
            ["SEARCH group_members USING PRIMARY KEY (group_id=?)"],
            "remove all members"
        );
    }
}
