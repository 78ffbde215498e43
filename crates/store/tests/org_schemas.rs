//! Custom extension schemas of an organization, on every test database: kept, listed,
//! unique per org by URN (case-insensitively), deleted, and every change visible to
//! authentication as a new `schemas_version`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use chrono::{Duration, Utc};
use rollcall_store::testing::TestDb;
use rollcall_store::{OrgSchema, StoreError, TokenKind};
use scim_core::schema::Schema;
use serde_json::json;

fn extension(urn: &str) -> OrgSchema {
    let schema: Schema = serde_json::from_value(json!({
        "id": urn,
        "name": "Acme",
        "attributes": [
            {"name": "costCenter", "type": "string"},
            {"name": "clearanceLevel", "type": "integer"}
        ]
    }))
    .unwrap();
    OrgSchema {
        resource_type: "User".into(),
        required: false,
        schema,
        created_at: Utc::now(),
    }
}

#[test]
fn schemas_are_kept_per_org_and_bump_the_version_authentication_reads() {
    for db in TestDb::all() {
        let store = db.open();
        let now = Utc::now();
        let (acme, beta, token) = store
            .write(|tx| {
                let acme = tx.orgs().create("Acme", now)?;
                let beta = tx.orgs().create("Beta", now)?;
                let token = tx
                    .tokens()
                    .create(&acme.id, TokenKind::Scim, None, None, now)?;
                Ok((acme, beta, token))
            })
            .unwrap();
        let version = || {
            store
                .read(|tx| {
                    tx.tokens()
                        .authenticate(&token.secret, TokenKind::Scim, now)
                })
                .unwrap()
                .unwrap()
                .schemas_version
        };
        assert_eq!(version(), 0, "{:?}", db.backend());

        let first = extension("urn:acme:params:scim:schemas:extension:hr:2.0:User");
        let mut second = extension("urn:acme:params:scim:schemas:extension:badge:2.0:User");
        second.created_at = first.created_at + Duration::seconds(1);
        second.required = true;
        store
            .write(|tx| {
                tx.schemas().add(&acme.id, &first)?;
                tx.schemas().add(&acme.id, &second)
            })
            .unwrap();
        assert_eq!(version(), 2);
        let listed = store.read(|tx| tx.schemas().list(&acme.id)).unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].schema, first.schema);
        assert_eq!(listed[1].schema, second.schema);
        assert!(listed[1].required);
        assert!(
            store
                .read(|tx| tx.schemas().list(&beta.id))
                .unwrap()
                .is_empty()
        );

        // Same URN in another case: taken. In another org: free.
        let shouted = extension("URN:ACME:PARAMS:SCIM:SCHEMAS:EXTENSION:HR:2.0:USER");
        assert!(matches!(
            store.write(|tx| tx.schemas().add(&acme.id, &shouted)),
            Err(StoreError::Uniqueness(attribute)) if attribute == "id"
        ));
        store
            .write(|tx| tx.schemas().add(&beta.id, &shouted))
            .unwrap();
        assert_eq!(version(), 2, "another org's change is not ours");

        store
            .write(|tx| tx.schemas().delete(&acme.id, &shouted.schema.id))
            .unwrap();
        assert_eq!(version(), 3);
        assert_eq!(
            store.read(|tx| tx.schemas().list(&acme.id)).unwrap().len(),
            1
        );
        assert!(matches!(
            store.write(|tx| tx.schemas().delete(&acme.id, &first.schema.id)),
            Err(StoreError::NotFound)
        ));
        assert!(
            store
                .write(|tx| tx.schemas().add("no-such-org", &first))
                .is_err()
        );
        assert_eq!(store.read(|tx| tx.schemas().version(&acme.id)).unwrap(), 3);
    }
}
