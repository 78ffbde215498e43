//! The request log: one line per request with the caller's org and token ids, never the
//! token or what the query string holds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::http::Method;
use common::{Harness, request};
use rollcall_store::testing::TestDb;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[actix_web::test]
async fn one_line_per_request_with_ids_and_without_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    for db in TestDb::all() {
        let h = Harness::new(db);
        captured.0.lock().unwrap().clear();
        let app = app_with_admin!(h);
        let uri = "/scim/v2/Users?filter=userName%20eq%20%22ann.secret%40example.com%22";
        let reply = send!(app, request(Method::GET, uri, &h.a.token));
        assert_eq!(reply.status, 200);
        let reply = send!(
            app,
            request(Method::GET, "/scim/v2/Users", "rc_scim_x_wrong")
        );
        assert_eq!(reply.status, 401);

        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = log.lines().filter(|l| l.contains("scim request")).collect();
        assert_eq!(lines.len(), 2, "{log}");
        assert!(lines[0].contains("method=GET"), "{log}");
        assert!(lines[0].contains("path=/scim/v2/Users"), "{log}");
        assert!(lines[0].contains("status=200"), "{log}");
        assert!(lines[0].contains("latency_ms="), "{log}");
        assert!(lines[0].contains(&h.a.org_id), "{log}");
        assert!(lines[0].contains(&h.a.token_id), "{log}");
        assert!(lines[1].contains("status=401"), "{log}");
        // Microseconds at most: no float noise.
        for line in &lines {
            let latency = line
                .split("latency_ms=")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .unwrap_or_default();
            let decimals = latency.split('.').nth(1).map_or(0, str::len);
            assert!(decimals <= 3, "{line}");
        }
        // An admin request is logged as one, with its organization.
        let (admin_id, admin) = h.token(&h.a.org_id, rollcall_store::TokenKind::Admin, None);
        let (status, _, _) = call!(
            app,
            common::admin("GET", "/admin/v1/org", Some(&admin), None)
        );
        assert_eq!(status, 200);
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let admin_line = log
            .lines()
            .find(|line| line.contains("admin request"))
            .unwrap_or_else(|| panic!("{log}"));
        assert!(admin_line.contains(&h.a.org_id), "{admin_line}");
        assert!(admin_line.contains(&admin_id), "{admin_line}");
        assert!(!log.contains(&admin), "the admin token leaked: {log}");
        for secret in [
            h.a.token.as_str(),
            "rc_scim_x_wrong",
            "ann.secret",
            "filter",
        ] {
            assert!(!log.contains(secret), "{secret} leaked: {log}");
        }
    }
}
