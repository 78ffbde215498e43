//! Rollcall served from axum through the framework-neutral surface, driven over real HTTP
//! on loopback as Okta drives a SCIM app: look the user up by `userName`, create it when
//! it is not there, find it again, deactivate it with a path-less `replace`, and push a
//! group with it as a member. Every step must answer what it answers on actix.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

#[path = "../examples/axum.rs"]
#[allow(dead_code)]
mod example;

use std::time::Duration;

use chrono::Utc;
use rollcall_app::{App, ScimConfig};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

/// One exchange: status, `Content-Type`, body.
fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, String, Value) {
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/scim+json");
    let request = match body {
        Some(body) => request.body(body.to_string()).unwrap(),
        None => request.body(String::new()).unwrap(),
    };
    let mut response = agent.run(request).unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, content_type, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_create_and_match_through_axum() {
    for db in TestDb::all() {
        let label = format!("{:?}", db.backend());
        let store = db.open();
        let token = store
            .write(|tx| {
                let org = tx.orgs().create("Okta tenant", Utc::now())?;
                Ok(tx
                    .tokens()
                    .create(&org.id, TokenKind::Scim, None, None, Utc::now())?
                    .secret)
            })
            .unwrap();
        let app = App::new(store, ScimConfig::default());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let base = format!("http://{}/scim/v2", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, example::router(app)).await.unwrap();
        });

        let steps = tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(10)))
                .build()
                .into();
            let filter =
                "/Users?filter=userName%20eq%20%22ann%40example.com%22&startIndex=1&count=100";
            // 1. Okta looks the user up before creating it: an empty list.
            let (status, content_type, body) =
                send(&agent, "GET", &format!("{base}{filter}"), &token, None);
            assert_eq!(
                (status, content_type.as_str()),
                (200, "application/scim+json")
            );
            assert_eq!(body["totalResults"], 0, "{body}");
            assert_eq!(body["startIndex"], 1);
            // 2. Not there: created.
            let user = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "ann@example.com",
                "name": {"givenName": "Ann", "familyName": "Lee"},
                "emails": [{"primary": true, "value": "ann@example.com", "type": "work"}],
                "displayName": "Ann Lee",
                "locale": "en-US",
                "externalId": "00u1abcd",
                "groups": [],
                "password": "Sup3r-secret",
                "active": true
            });
            let (status, _, created) = send(
                &agent,
                "POST",
                &format!("{base}/Users"),
                &token,
                Some(&user),
            );
            assert_eq!(status, 201, "{created}");
            let id = created["id"].as_str().unwrap().to_owned();
            assert_eq!(
                created["meta"]["location"],
                json!(format!("{base}/Users/{id}")),
                "locations start with the base URL the client reached"
            );
            assert!(created.get("password").is_none(), "{created}");
            // 3. The same lookup finds it now.
            let (status, _, body) = send(&agent, "GET", &format!("{base}{filter}"), &token, None);
            assert_eq!(status, 200);
            assert_eq!(body["totalResults"], 1, "{body}");
            assert_eq!(body["Resources"][0]["id"], json!(id));
            // 4. A second create of the same userName is a 409 uniqueness.
            let (status, _, body) = send(
                &agent,
                "POST",
                &format!("{base}/Users"),
                &token,
                Some(&user),
            );
            assert_eq!(
                (status, &body["scimType"]),
                (409, &json!("uniqueness")),
                "{body}"
            );
            // 5. Okta deactivates with a path-less replace.
            let deactivate = json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"active": false}}]
            });
            let (status, _, body) = send(
                &agent,
                "PATCH",
                &format!("{base}/Users/{id}"),
                &token,
                Some(&deactivate),
            );
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["active"], false);
            // 6. Group Push: a group with Ann, found again by displayName.
            let group = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Engineering",
                "members": [{"value": id}]
            });
            let (status, _, body) = send(
                &agent,
                "POST",
                &format!("{base}/Groups"),
                &token,
                Some(&group),
            );
            assert_eq!(status, 201, "{body}");
            let (status, _, body) = send(
                &agent,
                "GET",
                &format!("{base}/Groups?filter=displayName%20eq%20%22Engineering%22"),
                &token,
                None,
            );
            assert_eq!((status, body["totalResults"].clone()), (200, json!(1)));
            assert_eq!(body["Resources"][0]["members"][0]["value"], json!(id));
            // 7. A wrong token is a SCIM 401, an unknown path a SCIM 404.
            let (status, _, body) = send(&agent, "GET", &format!("{base}/Users"), "nope", None);
            assert_eq!((status, &body["status"]), (401, &json!("401")));
            let (status, _, body) = send(&agent, "GET", &format!("{base}/Nothing"), &token, None);
            assert_eq!((status, &body["status"]), (404, &json!("404")));
        });
        let outcome = steps.await;
        server.abort();
        if let Err(error) = outcome {
            panic!("{label}: {error}");
        }
    }
}
