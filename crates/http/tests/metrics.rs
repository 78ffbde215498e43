//! `/metrics` (PRODUCT.md §8): Prometheus' text format, with route templates for labels,
//! and nothing of a request in any label: no id, user name, email, token or token id, and no
//! organization unless the operator asks for per-organization labels. Served on the main
//! address only when the operator allows it; webhook deliveries, the outbox backlog and the
//! pool are there too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use common::{Harness, admin, patch, request, user, with_json};
use rollcall_app::events::{Dispatcher, DispatcherConfig};
use rollcall_app::{App, ScimConfig};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::json;

/// One sample line: its metric name, labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parse Prometheus' text format (the subset the registry writes): comments skipped, each
/// sample line `name{label="value",…} number`. Fails the test on a line it cannot read.
fn parse(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect(line);
        let value: f64 = value.parse().expect(line);
        let (name, labels) = match series.split_once('{') {
            None => (series.to_owned(), BTreeMap::new()),
            Some((name, rest)) => {
                let rest = rest.strip_suffix('}').expect(line);
                let mut labels = BTreeMap::new();
                let mut chars = rest.chars().peekable();
                while chars.peek().is_some() {
                    let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
                    assert_eq!(chars.next(), Some('"'), "{line}");
                    let mut value = String::new();
                    while let Some(c) = chars.next() {
                        match c {
                            '\\' => value.push(chars.next().expect(line)),
                            '"' => break,
                            c => value.push(c),
                        }
                    }
                    if chars.peek() == Some(&',') {
                        chars.next();
                    }
                    labels.insert(key, value);
                }
                (name.to_owned(), labels)
            }
        };
        samples.push(Sample {
            name,
            labels,
            value,
        });
    }
    samples
}

/// The value of the sample named `name` whose labels include every one of `labels`
/// (summed over the rest); 0 without one.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|sample| sample.name == name)
        .filter(|sample| {
            labels
                .iter()
                .all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(*value))
        })
        .map(|sample| sample.value)
        .sum()
}

/// The harness' application, with per-organization labels when `per_org`.
fn app_of(h: &Harness, per_org: bool) -> App {
    App::new(
        h.store.clone(),
        ScimConfig {
            metrics_per_org: per_org,
            ..h.state.config().clone()
        },
    )
}

/// Scrape `/metrics` of `app`, mounted with `configure_metrics`.
async fn scrape(app: &App) -> (String, Vec<Sample>) {
    let state = app.clone();
    let service = actix_web::test::init_service(
        actix_web::App::new()
            .configure(move |config| rollcall_http::configure_metrics(config, state)),
    )
    .await;
    let response =
        actix_web::test::call_service(&service, TestRequest::get().uri("/metrics").to_request())
            .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        rollcall_app::METRICS_CONTENT_TYPE
    );
    let body = actix_web::test::read_body(response).await;
    let text = String::from_utf8(body.to_vec()).unwrap();
    let samples = parse(&text);
    (text, samples)
}

#[actix_web::test]
async fn requests_operations_and_counters_by_template_with_nothing_personal_in_a_label() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let state = app_of(&h, false);
        let (scim, admin_state) = (state.clone(), state.clone());
        let service = actix_web::test::init_service(
            actix_web::App::new()
                .configure(move |config| rollcall_http::configure(config, scim))
                .configure(move |config| rollcall_http::configure_admin(config, admin_state))
                .default_service(actix_web::web::to(rollcall_http::not_found)),
        )
        .await;
        let email = "ann.private@example.com";
        let mut body = user("ann-private");
        body["emails"] = json!([{"value": email, "primary": true}]);
        let ann = create!(service, &h.a.token, "Users", body);
        let got = send!(
            service,
            request(Method::GET, &format!("/scim/v2/Users/{ann}"), &h.a.token)
        );
        assert_eq!(got.status, 200, "{label}");
        let filter = "/scim/v2/Users?filter=userName%20eq%20%22ann-private%22";
        assert_eq!(
            send!(service, request(Method::GET, filter, &h.a.token)).status,
            200
        );
        // Entra's capitalized `Replace`, tolerated and counted by name.
        let entra = patch(json!([{"op": "Replace", "path": "displayName", "value": "Ann"}]));
        let patched = send!(
            service,
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Users/{ann}"),
                &h.a.token,
                &entra
            )
        );
        assert_eq!(patched.status, 200, "{label}: {}", patched.body);
        // A missing user, a refused token, a path no route serves (holding a secret).
        let missing = send!(
            service,
            request(Method::GET, "/scim/v2/Users/no-such-user", &h.a.token)
        );
        assert_eq!(missing.status, 404);
        let refused = send!(
            service,
            request(Method::GET, "/scim/v2/Users", "rc_scim_not-a-real-token")
        );
        assert_eq!(refused.status, 401);
        let odd = send!(
            service,
            request(
                Method::GET,
                &format!("/scim/v2/{}/x", h.a.token),
                &h.a.token
            )
        );
        assert_eq!(odd.status, 404);
        let workspaces = actix_web::test::call_service(
            &service,
            admin(
                "GET",
                "/admin/v1/workspaces/some-id",
                Some(&h.a.token),
                None,
            )
            .to_request(),
        )
        .await;
        assert_eq!(
            workspaces.status().as_u16(),
            401,
            "a SCIM token is no admin token"
        );

        let (text, samples) = scrape(&state).await;
        let requests = "rollcall_http_requests_total";
        let cases: &[(&[(&str, &str)], f64)] = &[
            (
                &[
                    ("route", "/scim/v2/Users"),
                    ("method", "POST"),
                    ("status", "201"),
                ],
                1.0,
            ),
            (
                &[
                    ("route", "/scim/v2/Users/{id}"),
                    ("method", "GET"),
                    ("status", "200"),
                ],
                1.0,
            ),
            (
                &[
                    ("route", "/scim/v2/Users/{id}"),
                    ("method", "GET"),
                    ("status", "404"),
                ],
                1.0,
            ),
            (
                &[
                    ("route", "/scim/v2/Users"),
                    ("method", "GET"),
                    ("status", "200"),
                ],
                1.0,
            ),
            (
                &[
                    ("route", "/scim/v2/Users"),
                    ("method", "GET"),
                    ("status", "401"),
                ],
                1.0,
            ),
            (
                &[("route", "/scim/v2/Users/{id}"), ("method", "PATCH")],
                1.0,
            ),
            (&[("route", "unmatched"), ("status", "404")], 1.0),
            (
                &[("route", "/admin/v1/workspaces/{id}"), ("status", "401")],
                1.0,
            ),
        ];
        for (labels, expected) in cases {
            assert_eq!(
                value(&samples, requests, labels),
                *expected,
                "{label}: {labels:?}"
            );
        }
        let operations = "rollcall_scim_operations_total";
        for (labels, expected) in [
            (
                [
                    ("resource", "User"),
                    ("operation", "create"),
                    ("outcome", "success"),
                ],
                1.0,
            ),
            (
                [
                    ("resource", "User"),
                    ("operation", "get"),
                    ("outcome", "client_error"),
                ],
                1.0,
            ),
            (
                [
                    ("resource", "User"),
                    ("operation", "patch"),
                    ("outcome", "success"),
                ],
                1.0,
            ),
            (
                [
                    ("resource", "User"),
                    ("operation", "list"),
                    ("outcome", "success"),
                ],
                1.0,
            ),
        ] {
            assert_eq!(
                value(&samples, operations, &labels),
                expected,
                "{label}: {labels:?}"
            );
        }
        let deviation = [("deviation", "capitalized_operation")];
        assert_eq!(
            value(&samples, "rollcall_dialect_deviations_total", &deviation),
            1.0,
            "{label}"
        );
        assert!(value(&samples, "rollcall_auth_failures_total", &[]) >= 2.0);
        assert_eq!(value(&samples, "rollcall_rate_limited_total", &[]), 0.0);
        let histogram = [("route", "/scim/v2/Users/{id}"), ("method", "GET")];
        assert_eq!(
            value(
                &samples,
                "rollcall_http_request_duration_seconds_count",
                &histogram
            ),
            2.0
        );
        assert!(text.contains("rollcall_http_request_duration_seconds_bucket{"));
        assert!(text.contains("# TYPE rollcall_outbox_pending gauge"));
        let pool = |state| {
            value(
                &samples,
                "rollcall_db_pool_connections",
                &[("state", state)],
            )
        };
        assert!(pool("idle") + pool("in_use") >= 1.0, "{label}");

        // No label holds anything of a request: not the user's id, name or email, not the
        // token or its id, not the organization.
        let secrets = [
            ann.as_str(),
            "ann-private",
            email,
            "no-such-user",
            h.a.token.as_str(),
            h.a.token_id.as_str(),
            h.a.org_id.as_str(),
            "rc_scim_not-a-real-token",
            "some-id",
        ];
        for sample in &samples {
            for (key, value) in &sample.labels {
                assert!(
                    !secrets.iter().any(|secret| value.contains(secret)),
                    "{label}: {} has {key}={value:?}",
                    sample.name
                );
                assert_ne!(key, "org", "{label}: per-organization labels are off");
            }
        }
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{label}: the metrics hold {secret:?}"
            );
        }
    }
}

#[actix_web::test]
async fn per_organization_labels_only_when_turned_on() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let state = app_of(&h, true);
        let scim = state.clone();
        let service = actix_web::test::init_service(
            actix_web::App::new().configure(move |config| rollcall_http::configure(config, scim)),
        )
        .await;
        let _ = create!(service, &h.a.token, "Users", user("bob"));
        let (_, samples) = scrape(&state).await;
        let org = [("org", h.a.org_id.as_str()), ("route", "/scim/v2/Users")];
        assert_eq!(value(&samples, "rollcall_http_requests_total", &org), 1.0);
        let operation = [("org", h.a.org_id.as_str()), ("operation", "create")];
        assert_eq!(
            value(&samples, "rollcall_scim_operations_total", &operation),
            1.0
        );
    }
}

#[actix_web::test]
async fn metrics_on_the_main_address_only_when_allowed() {
    let h = Harness::new(TestDb::sqlite());
    for (allowed, expected) in [(false, 404), (true, 200)] {
        let state = App::new(
            h.store.clone(),
            ScimConfig {
                metrics_on_main_address: allowed,
                ..h.state.config().clone()
            },
        );
        let service = actix_web::test::init_service(
            actix_web::App::new()
                .configure(move |config| rollcall_http::configure_health(config, state)),
        )
        .await;
        let response = actix_web::test::call_service(
            &service,
            TestRequest::get().uri("/metrics").to_request(),
        )
        .await;
        assert_eq!(response.status().as_u16(), expected, "allowed: {allowed}");
    }
}

/// A loopback receiver answering `statuses` in turn (then 200); how many it was sent.
fn receiver(statuses: Vec<u16>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for (index, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((key, value)) = line.split_once(':')
                    && key.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let status = statuses.get(index).copied().unwrap_or(200);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    port
}

#[actix_web::test]
async fn webhook_deliveries_and_the_outbox_backlog() {
    for db in TestDb::all() {
        let h = Harness::new(db).allowing_private_webhooks();
        let label = h.label();
        let state = h.state.clone();
        let (scim, admin_state) = (state.clone(), state.clone());
        let service = actix_web::test::init_service(
            actix_web::App::new()
                .configure(move |config| rollcall_http::configure(config, scim))
                .configure(move |config| rollcall_http::configure_admin(config, admin_state)),
        )
        .await;
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let port = receiver(vec![500]);
        let hook = json!({"url": format!("http://127.0.0.1:{port}/hook"), "secret": "s3cret-s3cret-s3cret", "events": ["user.created"]});
        let created = actix_web::test::call_service(
            &service,
            admin("POST", "/admin/v1/webhooks", Some(&admin_token), Some(hook)).to_request(),
        )
        .await;
        assert_eq!(created.status().as_u16(), 201, "{label}");
        let _ = create!(service, &h.a.token, "Users", user("carol"));
        let _ = create!(service, &h.a.token, "Users", user("dave"));
        let (_, samples) = scrape(&state).await;
        assert_eq!(
            value(&samples, "rollcall_outbox_pending", &[]),
            2.0,
            "{label}"
        );

        let config = DispatcherConfig {
            retry_base: Duration::from_millis(1),
            retry_max: Duration::from_millis(1),
            delivery_timeout: Duration::from_secs(5),
            private_addresses: true,
            ..DispatcherConfig::default()
        };
        let dispatcher = Dispatcher::new(h.store.clone())
            .with_config(config)
            .with_metrics(state.metrics().clone());
        // The first attempt is refused (500), the retry and the next event delivered.
        dispatcher.run_once().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        dispatcher.run_once().unwrap();
        let (_, samples) = scrape(&state).await;
        let outcome = |outcome| {
            value(
                &samples,
                "rollcall_webhook_deliveries_total",
                &[("outcome", outcome)],
            )
        };
        assert_eq!(
            (outcome("failed"), outcome("delivered")),
            (1.0, 2.0),
            "{label}"
        );
        assert_eq!(
            value(&samples, "rollcall_outbox_pending", &[]),
            0.0,
            "{label}"
        );
    }
}

#[actix_web::test]
async fn a_rate_limited_request_is_counted_by_route_and_in_total() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        h.store
            .write(|tx| {
                let mut settings = tx.orgs().settings(&h.a.org_id)?;
                settings.rate_limit_per_second = 1;
                settings.rate_limit_burst = 1;
                tx.orgs().set_settings(&h.a.org_id, &settings)
            })
            .unwrap();
        let state = app_of(&h, false);
        let scim = state.clone();
        let service = actix_web::test::init_service(
            actix_web::App::new().configure(move |config| rollcall_http::configure(config, scim)),
        )
        .await;
        let mut limited = 0;
        for _ in 0..5 {
            let reply = send!(service, request(Method::GET, "/scim/v2/Users", &h.a.token));
            if reply.status == 429 {
                limited += 1;
            }
        }
        assert!(limited >= 3, "{label}: {limited} of 5 limited");
        let (_, samples) = scrape(&state).await;
        assert_eq!(
            value(&samples, "rollcall_rate_limited_total", &[]),
            f64::from(limited),
            "{label}"
        );
        let by_route = [("route", "/scim/v2/Users"), ("status", "429")];
        assert_eq!(
            value(&samples, "rollcall_http_requests_total", &by_route),
            f64::from(limited)
        );
    }
}
