//! The credential seam: a new kind of credential is one `Authenticator` plus
//! `App::with_authenticator`. Here a made-up kind, `Bearer key:<org id>:<secret>`, checked
//! before the transaction (the secret) and inside it (the organization exists), serves
//! SCIM requests beside the store's opaque tokens, on both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use chrono::{DateTime, Utc};
use rollcall_app::credential::{Authenticator, Credential, Refusal, Verification};
use rollcall_app::{Actor, Api, App, CredentialKind, Method, Request, ScimConfig};
use rollcall_store::testing::TestDb;
use rollcall_store::{AuditQuery, StoreError, TokenKind, Tx};
use serde_json::{Value, json};

/// `key:<org id>:<secret>`, with one secret for every organization.
struct SharedKeys {
    secret: &'static str,
}

impl Authenticator for SharedKeys {
    /// The organization the key names.
    type Verified = String;

    async fn verify(
        &self,
        credential: &Credential,
        _api: Api,
        _now: DateTime<Utc>,
    ) -> Verification<String> {
        let Some(rest) = credential.token().strip_prefix("key:") else {
            return Verification::NotMine;
        };
        match rest.rsplit_once(':') {
            Some((org, secret)) if secret == self.secret => Verification::Verified(org.to_owned()),
            _ => Verification::Refused(Refusal {
                reason: "bad_secret",
            }),
        }
    }

    fn resolve(
        &self,
        tx: &mut Tx<'_>,
        org_id: &String,
        api: Api,
        _now: DateTime<Utc>,
    ) -> Result<Option<Actor>, StoreError> {
        if api != Api::Scim {
            return Ok(None);
        }
        let Some(org) = tx.orgs().get(org_id)? else {
            return Ok(None);
        };
        Ok(Some(Actor {
            schemas_version: tx.schemas().version(&org.id)?,
            org_id: org.id,
            credential_kind: CredentialKind::Other("key"),
            credential_id: "shared".to_owned(),
            dialect: org.dialect,
            request_id: None,
        }))
    }
}

async fn create_user(app: &App, token: &str, user_name: &str) -> (u16, Value) {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
    });
    let request = Request::new(Method::Post, "/Users", "http://rollcall.test/scim/v2")
        .with_header("Authorization", format!("Bearer {token}"))
        .with_header("Content-Type", "application/scim+json")
        .with_body(body.to_string());
    let response = app.serve(Api::Scim, request).await;
    let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response.status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_credential_kind_is_one_authenticator() {
    for db in TestDb::all() {
        let label = format!("{:?}", db.backend());
        let store = db.open();
        let (org_id, scim_token) = store
            .write(|tx| {
                let org = tx.orgs().create("Acme", Utc::now())?;
                let token = tx
                    .tokens()
                    .create(&org.id, TokenKind::Scim, None, None, Utc::now())?;
                Ok((org.id, token.secret))
            })
            .unwrap();
        let app = App::new(store.clone(), ScimConfig::default())
            .with_authenticator(SharedKeys { secret: "s3cret" });

        // The new kind authenticates, and the trail names it.
        let (status, body) = create_user(&app, &format!("key:{org_id}:s3cret"), "ann").await;
        assert_eq!(status, 201, "{label}: {body}");
        let records = store
            .read(|tx| {
                tx.audit().query(
                    &org_id,
                    &AuditQuery {
                        limit: 100,
                        ..AuditQuery::default()
                    },
                )
            })
            .unwrap();
        let created = records
            .iter()
            .find(|r| r.operation == "user.create")
            .unwrap();
        assert_eq!(created.actor, "key:shared", "{label}");

        // Refused before the transaction (bad secret) or inside it (no such organization):
        // a 401, counted, nothing stored.
        let refused = app.counters().refused_credentials;
        for token in [
            format!("key:{org_id}:wrong"),
            "key:no-such-org:s3cret".to_owned(),
        ] {
            let (status, body) = create_user(&app, &token, "bo").await;
            assert_eq!(status, 401, "{label} {token}: {body}");
            assert_eq!(
                body["detail"], "invalid, expired or revoked token",
                "{label}"
            );
        }
        assert_eq!(app.counters().refused_credentials, refused + 2, "{label}");

        // The store's tokens still work beside it; what no authenticator claims is a 401.
        let (status, body) = create_user(&app, &scim_token, "cy").await;
        assert_eq!(status, 201, "{label}: {body}");
        let (status, _) = create_user(&app, "neither-kind", "di").await;
        assert_eq!(status, 401, "{label}");
        let users = store
            .read(|tx| {
                let page = tx.users().list(
                    &org_id,
                    &rollcall_store::ListQuery {
                        filter: None,
                        sort: None,
                        start_index: 1,
                        count: 10,
                        load_members: false,
                    },
                )?;
                Ok(page.total_results)
            })
            .unwrap();
        assert_eq!(users, 2, "{label}: ann and cy only");
    }
}
