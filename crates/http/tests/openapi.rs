//! `docs/openapi.yaml`, the admin API's reference, and the routes actually mounted: every
//! path and method it documents answers (a method it does not serve there is a 405 whose
//! `Allow` names exactly the documented ones), and every route the admin router serves
//! (`rollcall_app::route_templates`, which a unit test holds to the router's own table) is
//! documented. schemathesis checks the bodies against the schemas on a live server
//! (`scripts/admin_fuzz.sh`, run by `make conformance`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use std::collections::{BTreeMap, BTreeSet};

use actix_web::test::TestRequest;
use common::Harness;
use rollcall_app::Api;
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The paths of the document with their methods (upper case), read from its `paths:` block
/// (path keys indented two spaces, methods four).
fn documented() -> BTreeMap<String, BTreeSet<String>> {
    let text = include_str!("../../../docs/openapi.yaml");
    let mut paths: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut in_paths = false;
    let mut current: Option<String> = None;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() && !line.starts_with('#') {
            in_paths = line.trim_end() == "paths:";
            current = None;
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(key) = line
            .strip_prefix("  ")
            .filter(|rest| !rest.starts_with(' '))
        {
            let key = key
                .trim_end()
                .trim_end_matches(':')
                .trim_matches(|c| c == '"' || c == '\'');
            if key.starts_with('/') {
                current = Some(key.to_owned());
                paths.entry(key.to_owned()).or_default();
            }
        } else if let (Some(path), Some(key)) = (
            &current,
            line.strip_prefix("    ")
                .filter(|rest| !rest.starts_with(' ')),
        ) {
            let key = key.trim_end().trim_end_matches(':');
            if METHODS.contains(&key) {
                paths.get_mut(path).unwrap().insert(key.to_uppercase());
            }
        }
    }
    paths
}

#[actix_web::test]
async fn every_documented_route_answers_and_every_mounted_route_is_documented() {
    let documented = documented();
    assert!(documented.len() > 20, "{documented:?}");
    // Mounted and documented: the admin router's routes and the token endpoint.
    let mounted: BTreeSet<String> = rollcall_app::route_templates(Api::Admin)
        .into_iter()
        .map(str::to_owned)
        .chain(["/oauth/token".to_owned()])
        .collect();
    let listed: BTreeSet<String> = documented.keys().cloned().collect();
    assert_eq!(
        mounted.difference(&listed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "mounted but not in docs/openapi.yaml"
    );
    assert_eq!(
        listed.difference(&mounted).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "in docs/openapi.yaml but not mounted"
    );

    let h = Harness::new(TestDb::sqlite());
    let app = app_with_admin!(h);
    let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
    for (path, methods) in &documented {
        let uri = path
            .replace("{id}", "no-such-id")
            .replace("{urn}", "urn:x:no-such");
        // A method nothing serves: 405, and the route's Allow is what the document says.
        let response = actix_web::test::call_service(
            &app,
            TestRequest::default()
                .method(actix_web::http::Method::from_bytes(b"PURGE").unwrap())
                .uri(&uri)
                .insert_header(("authorization", format!("Bearer {admin_token}")))
                .to_request(),
        )
        .await;
        assert_eq!(response.status().as_u16(), 405, "{path}: not mounted?");
        if path.starts_with("/admin/v1") {
            let allow: BTreeSet<String> = response
                .headers()
                .get("allow")
                .map(|value| value.to_str().unwrap())
                .unwrap_or_default()
                .split(',')
                .map(|method| method.trim().to_owned())
                .filter(|method| !method.is_empty() && method != "HEAD")
                .collect();
            assert_eq!(&allow, methods, "{path}: Allow vs the document");
        }
        // Each documented method is served there (whatever the answer, never a 405).
        for method in methods {
            let response = actix_web::test::call_service(
                &app,
                TestRequest::default()
                    .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap())
                    .uri(&uri)
                    .insert_header(("authorization", format!("Bearer {admin_token}")))
                    .insert_header(("content-type", "application/json"))
                    .set_payload("{}")
                    .to_request(),
            )
            .await;
            let status = response.status().as_u16();
            assert!(status != 405 && status < 500, "{method} {path}: {status}");
        }
    }
}
