//! Organizations and tokens, on every test database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use chrono::{Duration, Utc};
use rollcall_store::testing::TestDb;
use rollcall_store::{Backend, Store, StoreError, TokenKind};
use scim_core::Dialect;

#[test]
fn orgs_are_created_listed_and_configured() {
    for db in TestDb::all() {
        let store = db.open();
        let now = Utc::now();
        let (a, b) = store
            .write(|tx| {
                Ok((
                    tx.orgs().create("Acme", now)?,
                    tx.orgs().create("Beta", now + Duration::seconds(1))?,
                ))
            })
            .unwrap();
        assert_eq!(a.name, "Acme");
        assert_eq!(a.dialect, Dialect::Lenient);
        let orgs = store.read(|tx| tx.orgs().list()).unwrap();
        assert_eq!(orgs, vec![a.clone(), b.clone()], "{:?}", db.backend());
        store
            .write(|tx| tx.orgs().set_dialect(&b.id, Dialect::Strict))
            .unwrap();
        assert_eq!(
            store
                .read(|tx| tx.orgs().get(&b.id))
                .unwrap()
                .unwrap()
                .dialect,
            Dialect::Strict
        );
        store.write(|tx| tx.orgs().rename(&b.id, "Beta 2")).unwrap();
        assert_eq!(
            store.read(|tx| tx.orgs().get(&b.id)).unwrap().unwrap().name,
            "Beta 2"
        );
        assert!(matches!(
            store.write(|tx| tx.orgs().rename("nope", "x")),
            Err(StoreError::NotFound)
        ));
        assert_eq!(store.read(|tx| tx.orgs().get("nope")).unwrap(), None);
        assert!(matches!(
            store.write(|tx| tx.orgs().set_dialect("nope", Dialect::Strict)),
            Err(StoreError::NotFound)
        ));
    }
}

#[test]
fn tokens_authenticate_until_revoked_or_expired() {
    for db in TestDb::all() {
        let store = db.open();
        let now = Utc::now();
        let org = store.write(|tx| tx.orgs().create("Acme", now)).unwrap();
        let scim = store
            .write(|tx| {
                tx.tokens()
                    .create(&org.id, TokenKind::Scim, Some("okta"), None, now)
            })
            .unwrap();
        let admin = store
            .write(|tx| {
                tx.tokens()
                    .create(&org.id, TokenKind::Admin, None, None, now)
            })
            .unwrap();
        let expiring = store
            .write(|tx| {
                tx.tokens().create(
                    &org.id,
                    TokenKind::Scim,
                    None,
                    Some(now + Duration::hours(1)),
                    now,
                )
            })
            .unwrap();
        assert!(
            scim.secret
                .starts_with(&format!("rc_scim_{}_", scim.info.id))
        );
        assert!(admin.secret.starts_with("rc_admin_"));

        let auth = |secret: &str, kind, at| {
            store
                .read(|tx| tx.tokens().authenticate(secret, kind, at))
                .unwrap()
        };
        let who = auth(&scim.secret, TokenKind::Scim, now).unwrap();
        assert_eq!(
            (who.org_id.as_str(), who.token_id.as_str()),
            (org.id.as_str(), scim.info.id.as_str())
        );
        assert_eq!(who.dialect, Dialect::Lenient);
        // wrong kind, either way
        assert_eq!(auth(&scim.secret, TokenKind::Admin, now), None);
        assert_eq!(auth(&admin.secret, TokenKind::Scim, now), None);
        assert!(auth(&admin.secret, TokenKind::Admin, now).is_some());
        // a tampered secret with a known id
        let mut tampered = scim.secret.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == '0' { '1' } else { '0' });
        assert_eq!(auth(&tampered, TokenKind::Scim, now), None);
        assert_eq!(auth("rc_scim_nobody_00", TokenKind::Scim, now), None);
        assert_eq!(auth("", TokenKind::Scim, now), None);
        // expiry
        assert!(
            auth(
                &expiring.secret,
                TokenKind::Scim,
                now + Duration::minutes(59)
            )
            .is_some()
        );
        assert_eq!(
            auth(&expiring.secret, TokenKind::Scim, now + Duration::hours(1)),
            None
        );

        // listing: oldest first, by kind, never a secret
        let all = store.read(|tx| tx.tokens().list(&org.id, None)).unwrap();
        assert_eq!(all.len(), 3);
        let scim_only = store
            .read(|tx| tx.tokens().list(&org.id, Some(TokenKind::Scim)))
            .unwrap();
        assert_eq!(
            scim_only.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
            vec![scim.info.id.clone(), expiring.info.id.clone()]
        );
        assert_eq!(scim_only[0].name.as_deref(), Some("okta"));

        // revocation takes effect on the next call; another org cannot revoke it
        let other = store.write(|tx| tx.orgs().create("Other", now)).unwrap();
        assert!(
            !store
                .write(|tx| tx.tokens().revoke(&other.id, &scim.info.id, now))
                .unwrap()
        );
        assert!(auth(&scim.secret, TokenKind::Scim, now).is_some());
        assert!(
            store
                .write(|tx| tx.tokens().revoke(&org.id, &scim.info.id, now))
                .unwrap()
        );
        assert_eq!(auth(&scim.secret, TokenKind::Scim, now), None);
        assert!(
            !store
                .write(|tx| tx.tokens().revoke(&org.id, "nope", now))
                .unwrap()
        );
        let listed = store
            .read(|tx| tx.tokens().list(&org.id, Some(TokenKind::Scim)))
            .unwrap();
        assert!(listed[0].revoked_at.is_some());
        assert!(matches!(
            store.write(|tx| tx.tokens().create("nope", TokenKind::Scim, None, None, now)),
            Err(StoreError::NotFound)
        ));
    }
}

#[test]
fn migrations_run_once_and_urls_are_checked() {
    for db in TestDb::all() {
        let _store = db.open();
        let migrated = Store::migrate(db.url(), Utc::now()).unwrap();
        assert_eq!(migrated.applied, Vec::<String>::new());
        assert_eq!(migrated.findings, Vec::new());
        let reopened = db.open();
        assert_eq!(reopened.backend(), db.backend());
        assert_eq!(reopened.max_connections(), 8);
    }
    assert!(matches!(
        Store::open("mysql://x", &Default::default(), Utc::now()),
        Err(StoreError::InvalidUrl(_))
    ));
    // the directory of a SQLite file is created
    let dir = std::env::temp_dir().join(format!("rollcall-dir-{}", std::process::id()));
    let nested = format!("sqlite://{}/data/x.db", dir.display());
    Store::open(&nested, &Default::default(), Utc::now()).unwrap();
    assert!(dir.join("data/x.db").exists());
    std::fs::remove_dir_all(&dir).unwrap();
    let fresh = TestDb::sqlite();
    let applied = Store::migrate(fresh.url(), Utc::now()).unwrap().applied;
    // Every SQL migration of the tree, then the four data migrations.
    let sql = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .count();
    assert_eq!(applied.len(), sql + 4, "{applied:?}");
    assert_eq!(
        applied[sql..],
        [
            "data:identity_keys",
            "data:manager_references",
            "data:audit_personal_values",
            "data:audit_chain"
        ]
    );
    assert_eq!(fresh.backend(), Backend::Sqlite);
}

#[test]
fn a_failed_write_rolls_back() {
    for db in TestDb::all() {
        let store = db.open();
        let result: Result<(), StoreError> = store.write(|tx| {
            tx.orgs().create("Ghost", Utc::now())?;
            Err(StoreError::NotFound)
        });
        assert!(result.is_err());
        assert!(store.read(|tx| tx.orgs().list()).unwrap().is_empty());
    }
}

#[test]
fn an_unreachable_database_is_unavailable() {
    let options = rollcall_store::StoreOptions {
        max_connections: 1,
        connection_timeout: std::time::Duration::from_millis(300),
        ..rollcall_store::StoreOptions::default()
    };
    let result = Store::open(
        "postgres://postgres@127.0.0.1:1/nothing",
        &options,
        Utc::now(),
    );
    match result {
        Err(StoreError::Unavailable(message)) => assert!(!message.is_empty()),
        other => panic!("{other:?}"),
    }
}
