//! The data migrations on every test database, from the state older builds left: identity
//! keys computed for every userName and group displayName (colliding rows suffixed and
//! listed), manager references that name no user of the organization cleared and listed.
//! Each runs once; its findings are listed on every later `migrate`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use chrono::Utc;
use rollcall_store::testing::TestDb;
use rollcall_store::{ResourceKind, Store, StoreError};
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Make `step` run again on the next migration, as on a database older builds wrote.
fn forget(db: &TestDb, step: &str) {
    db.execute_raw(&format!(
        "DELETE FROM data_migrations WHERE name = '{step}'"
    ))
    .unwrap();
}

#[test]
fn identity_keys_are_computed_and_collisions_suffixed_and_listed() {
    for db in TestDb::all() {
        let backend = db.backend();
        let store = db.open();
        let org = store
            .write(|tx| tx.orgs().create("a", Utc::now()))
            .unwrap()
            .id;
        let users = ResourceKind::User;
        let create = |name: &str| {
            store
                .write(|tx| {
                    tx.resources(users)
                        .create(&org, &json!({"userName": name}), Utc::now())
                })
                .unwrap()
                .id
        };
        // Written by an older build: keys were the lower case, so these were three users.
        let nfc = create("Jos\u{e9}");
        let nfd = create("placeholder-1");
        let full = create("placeholder-2");
        let plain = create("Full");
        let group = store
            .write(|tx| {
                tx.resources(ResourceKind::Group).create(
                    &org,
                    &json!({"displayName": "\u{ff25}ng"}),
                    Utc::now(),
                )
            })
            .unwrap()
            .id;
        db.execute_raw(&format!(
            "UPDATE scim_users SET user_name = 'Jose\u{301}', user_name_key = 'jose\u{301}' WHERE id = '{nfd}';
             UPDATE scim_users SET user_name = '\u{ff46}\u{ff55}\u{ff4c}\u{ff4c}', user_name_key = '\u{ff46}\u{ff55}\u{ff4c}\u{ff4c}' WHERE id = '{full}';
             UPDATE scim_groups SET display_name_key = '\u{ff45}ng' WHERE id = '{group}';"
        ))
        .unwrap();
        forget(&db, "identity_keys");

        let migrated = Store::migrate(db.url(), Utc::now()).unwrap();
        assert_eq!(migrated.applied, ["data:identity_keys"], "{backend:?}");
        let mut subjects: Vec<&str> = migrated
            .findings
            .iter()
            .map(|finding| finding.subject.as_str())
            .collect();
        subjects.sort_unstable();
        let mut expected = vec![nfd.as_str(), plain.as_str()];
        expected.sort_unstable();
        assert_eq!(subjects, expected, "{backend:?}: {:?}", migrated.findings);
        let about_nfd = migrated
            .findings
            .iter()
            .find(|finding| finding.subject == nfd)
            .unwrap();
        assert_eq!(about_nfd.migration, "identity_keys");
        assert_eq!(about_nfd.org_id, org);
        assert!(about_nfd.detail.contains(&nfc), "{}", about_nfd.detail);

        let count = |sql: &str| db.count(sql).unwrap();
        assert_eq!(
            count(&format!(
                "SELECT COUNT(*) FROM scim_users WHERE id = '{nfc}' AND user_name_key = 'jos\u{e9}'"
            )),
            1,
            "{backend:?}: the oldest keeps the key"
        );
        assert_eq!(
            count(&format!(
                "SELECT COUNT(*) FROM scim_users WHERE id = '{nfd}' AND user_name_key = 'jos\u{e9}\u{1f}{nfd}'"
            )),
            1,
            "{backend:?}: the later one is suffixed with its id"
        );
        assert_eq!(
            count(&format!(
                "SELECT COUNT(*) FROM scim_users WHERE id = '{full}' AND user_name_key = 'full'"
            )),
            1,
            "{backend:?}: fullwidth, and older than \"Full\""
        );
        assert_eq!(
            count(&format!(
                "SELECT COUNT(*) FROM scim_users WHERE id = '{plain}' AND user_name_key = 'full\u{1f}{plain}'"
            )),
            1,
            "{backend:?}"
        );
        assert_eq!(
            count(&format!(
                "SELECT COUNT(*) FROM scim_groups WHERE id = '{group}' AND display_name_key = 'eng'"
            )),
            1,
            "{backend:?}: groups too"
        );
        // The index holds: a third José is refused.
        let again = store.write(|tx| {
            tx.resources(users)
                .create(&org, &json!({"userName": "JOS\u{c9}"}), Utc::now())
        });
        assert!(
            matches!(again, Err(StoreError::Uniqueness(ref a)) if a == "userName"),
            "{backend:?}: {again:?}"
        );
        // A suffixed user can still be written, and renamed out of the collision.
        let write = |id: &str, body: Value| {
            store.write(|tx| {
                tx.resources(users)
                    .replace(&org, id, &body, None, Utc::now())
            })
        };
        write(&nfd, json!({"userName": "Jose\u{301}", "nickName": "j"})).unwrap();
        write(&nfd, json!({"userName": "Jos\u{e9} Two"})).unwrap();
        assert_eq!(
            count(&format!(
                "SELECT COUNT(*) FROM scim_users WHERE id = '{nfd}' AND user_name_key = 'jos\u{e9} two'"
            )),
            1,
            "{backend:?}"
        );
        // Findings stay listed; the step does not run again.
        let again = Store::migrate(db.url(), Utc::now()).unwrap();
        assert_eq!(again.applied, Vec::<String>::new(), "{backend:?}");
        assert_eq!(again.findings, migrated.findings, "{backend:?}");
    }
}

#[test]
fn managers_naming_no_user_of_the_organization_are_cleared_and_listed() {
    for db in TestDb::all() {
        let backend = db.backend();
        let store = db.open();
        let (org, other) = store
            .write(|tx| {
                Ok((
                    tx.orgs().create("a", Utc::now())?.id,
                    tx.orgs().create("b", Utc::now())?.id,
                ))
            })
            .unwrap();
        let users = ResourceKind::User;
        let create = |org: &str, body: Value| {
            store
                .write(|tx| tx.resources(users).create(org, &body, Utc::now()))
                .unwrap()
        };
        let with_manager = |name: &str, manager: &str| {
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                "userName": name,
                ENTERPRISE: {"manager": {"value": manager}, "department": "R&D"}
            })
        };
        let boss = create(&org, json!({"userName": "boss"})).id;
        let foreign = create(&other, json!({"userName": "foreign"})).id;
        // An older build stored whatever it was sent.
        let kept = create(&org, with_manager("kept", &boss));
        let cross = create(&org, with_manager("cross", &foreign));
        let missing = create(
            &org,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                "userName": "missing",
                ENTERPRISE: {"manager": {"value": "no-such-user"}}
            }),
        );
        forget(&db, "manager_references");

        let migrated = Store::migrate(db.url(), Utc::now()).unwrap();
        assert_eq!(migrated.applied, ["data:manager_references"], "{backend:?}");
        let mut listed: Vec<(&str, &str)> = migrated
            .findings
            .iter()
            .map(|finding| (finding.subject.as_str(), finding.detail.as_str()))
            .collect();
        listed.sort_unstable();
        let mut expected = [
            (
                cross.id.as_str(),
                format!("manager.value {foreign:?} named no user of the organization: cleared"),
            ),
            (
                missing.id.as_str(),
                "manager.value \"no-such-user\" named no user of the organization: cleared"
                    .to_owned(),
            ),
        ];
        expected.sort_unstable();
        let expected: Vec<(&str, &str)> = expected.iter().map(|(a, b)| (*a, b.as_str())).collect();
        assert_eq!(listed, expected, "{backend:?}");

        let read = |id: &str| {
            store
                .read(|tx| tx.resources(users).get(&org, id, false))
                .unwrap()
        };
        let after = read(&kept.id);
        assert_eq!(after.version, kept.version, "{backend:?}: untouched");
        assert_eq!(after.resource[ENTERPRISE]["manager"]["value"], boss);
        let after = read(&cross.id);
        assert_eq!(
            after.version,
            cross.version + 1,
            "{backend:?}: a new version"
        );
        assert_eq!(
            after.resource[ENTERPRISE],
            json!({"department": "R&D"}),
            "{backend:?}: only the manager goes"
        );
        let after = read(&missing.id);
        assert_eq!(after.resource.get(ENTERPRISE), None, "{backend:?}");
        assert_eq!(
            after.resource["schemas"],
            json!(["urn:ietf:params:scim:schemas:core:2.0:User"]),
            "{backend:?}: an emptied extension leaves the schemas"
        );
        // The filter index agrees.
        assert_eq!(
            db.count(&format!(
                "SELECT COUNT(*) FROM resource_values WHERE resource_id IN ('{}', '{}') AND attr LIKE '%manager'",
                cross.id, missing.id
            ))
            .unwrap(),
            0,
            "{backend:?}"
        );
        assert_eq!(
            db.count(&format!(
                "SELECT COUNT(*) FROM resource_values WHERE resource_id = '{}' AND attr LIKE '%manager'",
                kept.id
            ))
            .unwrap(),
            2,
            "{backend:?}: the object row and its value row"
        );
    }
}
