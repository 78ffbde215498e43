//! Passwords are never kept in clear (PRODUCT.md §1): the filter index never holds a
//! password, and the migration removes the clear passwords stored before it from user
//! rows, tombstones and the index, touching nothing else.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use chrono::Utc;
use rollcall_store::testing::TestDb;
use rollcall_store::{Backend, ResourceKind};
use serde_json::json;

const SQLITE_UP: &str = include_str!("../migrations/sqlite/2026-12-06-000001_passwords/up.sql");
const POSTGRES_UP: &str = include_str!("../migrations/postgres/2026-12-06-000001_passwords/up.sql");

fn index_rows(db: &TestDb, attr: &str) -> i64 {
    db.count(&format!(
        "SELECT COUNT(*) FROM resource_values WHERE attr = '{attr}'"
    ))
    .unwrap()
}

#[test]
fn the_index_never_holds_a_password() {
    for db in TestDb::all() {
        let store = db.open();
        let org = store
            .write(|tx| tx.orgs().create("a", Utc::now()))
            .unwrap()
            .id;
        let body = json!({"userName": "ann", "password": "$argon2id$v=19$m=19456,t=2,p=1$x$y", "nickName": "a"});
        store
            .write(|tx| {
                tx.resources(ResourceKind::User)
                    .create(&org, &body, Utc::now())
            })
            .unwrap();
        assert_eq!(index_rows(&db, "password"), 0, "{:?}", db.backend());
        assert_eq!(index_rows(&db, "nickname"), 1, "{:?}", db.backend());
    }
}

#[test]
fn the_migration_removes_every_clear_password_and_nothing_else() {
    for db in TestDb::all() {
        let backend = db.backend();
        let store = db.open();
        let org = store
            .write(|tx| tx.orgs().create("a", Utc::now()))
            .unwrap()
            .id;
        let users = ResourceKind::User;
        let mut ids = Vec::new();
        for (name, password) in [
            ("ann", Some("s3cret-pass")),
            ("bob", None),
            ("cy", Some("x")),
        ] {
            let mut body = json!({"userName": name, "nickName": format!("{name} says password")});
            if let Some(password) = password {
                body["password"] = json!(password);
            }
            let stored = store
                .write(|tx| tx.resources(users).create(&org, &body, Utc::now()))
                .unwrap();
            ids.push(stored.id);
        }
        // What releases before the migration left: clear passwords in the rows (stored
        // above), in the index, and in a tombstone.
        db.execute_raw(&format!(
            "INSERT INTO resource_values (org_id, resource_id, attr, elem, sub, present, v_text, v_lower) \
             VALUES ('{org}', '{}', 'password', 0, '', TRUE, 's3cret-pass', 's3cret-pass')",
            ids[0]
        ))
        .unwrap();
        store
            .write(|tx| tx.lifecycle().delete_user(&org, &ids[2], None, Utc::now()))
            .unwrap();
        // Today's deletes keep no password in the tombstone; an older release's did.
        let tombstoned: i64 = db
            .count("SELECT COUNT(*) FROM user_tombstones WHERE data LIKE '%\"password\"%'")
            .unwrap();
        assert_eq!(tombstoned, 0, "{backend:?}: a tombstone keeps no password");
        let old_tombstone = match backend {
            Backend::Sqlite => "json_set(data, '$.password', 'x')",
            Backend::Postgres => "jsonb_set(data::jsonb, '{password}', '\"x\"')::text",
        };
        db.execute_raw(&format!(
            "UPDATE user_tombstones SET data = {old_tombstone} WHERE id = '{}'",
            ids[2]
        ))
        .unwrap();
        let clear = |db: &TestDb| {
            db.count("SELECT COUNT(*) FROM scim_users WHERE data LIKE '%s3cret-pass%'")
                .unwrap()
                + db.count("SELECT COUNT(*) FROM user_tombstones WHERE data LIKE '%\"password\"%'")
                    .unwrap()
                + index_rows(db, "password")
        };
        assert_eq!(clear(&db), 3, "{backend:?}: the old state is set up");

        let up = match backend {
            Backend::Sqlite => SQLITE_UP,
            Backend::Postgres => POSTGRES_UP,
        };
        db.execute_raw(up).unwrap();
        assert_eq!(clear(&db), 0, "{backend:?}");
        for (id, name) in [(&ids[0], "ann"), (&ids[1], "bob")] {
            let stored = store
                .read(|tx| tx.resources(users).get(&org, id, false))
                .unwrap();
            assert_eq!(stored.resource.get("password"), None, "{backend:?}");
            assert_eq!(stored.resource["userName"], name, "{backend:?}");
            assert_eq!(
                stored.resource["nickName"],
                format!("{name} says password"),
                "{backend:?}: the rest is untouched"
            );
        }
        assert_eq!(index_rows(&db, "nickname"), 2, "{backend:?}");
        // Run twice, it changes nothing more.
        db.execute_raw(up).unwrap();
        assert_eq!(index_rows(&db, "nickname"), 2, "{backend:?}");
    }
}
