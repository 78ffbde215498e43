//! The real binary delivering a webhook across a crash, on SQLite (and on PostgreSQL when a
//! server answers): an event whose receiver is down when the change is made, with the
//! server killed (SIGKILL) before it could deliver, reaches the receiver exactly once after
//! a restart on the same database, signed and in the PRODUCT.md §10 shape.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use rollcall_store::testing::TestDb;
use serde_json::Value;
use sha2::Sha256;
use support::{
    Serving, TempSqlite, agent, create_org, create_user, fast_webhook_config, free_port, rollcall,
};

/// `rollcall serve` with `config`. The deliveries these tests refuse on purpose are
/// retried, which the dispatcher logs at WARN: not a failure of the test, so not in its
/// output.
fn serve(database_url: &str, config: &std::path::Path) -> Serving {
    Serving::start(
        database_url,
        Some(config),
        &[("RUST_LOG", "warn,rollcall_app::events::dispatcher=error")],
    )
}

/// What the receiver got: the signature header and the body.
type Deliveries = Arc<Mutex<Vec<(String, String)>>>;

/// A loopback HTTP receiver on `port` answering 200 to everything.
fn receiver(port: u16) -> Deliveries {
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let deliveries: Deliveries = Arc::default();
    let log = Arc::clone(&deliveries);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut length, mut signature) = (0usize, String::new());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    let value = value.trim().to_owned();
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.parse().unwrap_or(0);
                    } else if name.eq_ignore_ascii_case("x-rollcall-signature") {
                        signature = value;
                    }
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            log.lock()
                .unwrap()
                .push((signature, String::from_utf8(body).unwrap()));
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    deliveries
}

fn webhook_list(database_url: &str, org_id: &str) -> Value {
    let listed = rollcall(
        database_url,
        &["webhook", "list", "--org", org_id, "--json"],
    );
    serde_json::from_str(&listed).unwrap()
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The scenario, on one database URL.
fn delivered_once_across_a_crash(database_url: &str) {
    let dir = TempSqlite::new();
    let config = fast_webhook_config(&dir, 3000);
    let org = create_org(database_url, "acme");
    // Where the receiver will listen, later: nothing does yet.
    let port = free_port();
    let secret = "e2e-webhook-secret";
    let created: Value = serde_json::from_str(&rollcall(
        database_url,
        &[
            "webhook",
            "create",
            "--org",
            &org.org_id,
            "--url",
            &format!("http://127.0.0.1:{port}/hooks/rollcall"),
            "--allow-private-address",
            "--secret",
            secret,
            "--events",
            "user.created",
            "--json",
        ],
    ))
    .unwrap();
    assert!(created.get("secret").is_none(), "{created}");
    let start_seq = created["delivery"]["delivered_seq"].as_i64().unwrap();

    let mut first = serve(database_url, &config);
    let user = create_user(&first.base_url, &org.scim_token, "ann@example.com");
    assert_eq!(user.status, 201, "{:?}", user.body);
    let user_id = user.body["id"].as_str().unwrap().to_owned();
    // The first server tries, meets a closed port, and schedules a retry: not delivered.
    wait_until("a failed attempt", Duration::from_secs(30), || {
        webhook_list(database_url, &org.org_id)["webhooks"][0]["delivery"]["attempts"]
            .as_u64()
            .unwrap_or(0)
            >= 1
    });
    first.kill();
    let state = webhook_list(database_url, &org.org_id);
    let delivery = &state["webhooks"][0]["delivery"];
    assert_eq!(
        delivery["delivered_seq"].as_i64(),
        Some(start_seq),
        "{state}"
    );
    assert!(delivery["last_error"].is_string(), "{state}");

    let deliveries = receiver(port);
    let second = serve(database_url, &config);
    wait_until("the delivery", Duration::from_secs(30), || {
        !deliveries.lock().unwrap().is_empty()
    });
    // No duplicate a while after the first delivery.
    std::thread::sleep(Duration::from_secs(3));
    let deliveries = deliveries.lock().unwrap().clone();
    assert_eq!(deliveries.len(), 1, "{deliveries:#?}");
    let (signature, body) = &deliveries[0];
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    assert_eq!(
        signature,
        &format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    );
    let event: Value = serde_json::from_str(body).unwrap();
    let mut keys: Vec<&str> = event
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["data", "id", "occurred_at", "org_id", "type"]);
    assert_eq!(event["type"], "user.created");
    assert_eq!(event["org_id"], org.org_id.as_str());
    assert_eq!(event["data"]["id"], user_id.as_str());
    assert_eq!(event["data"]["userName"], "ann@example.com");
    assert!(
        chrono::DateTime::parse_from_rfc3339(event["occurred_at"].as_str().unwrap()).is_ok(),
        "{event}"
    );
    // The acknowledgement is recorded.
    let state = webhook_list(database_url, &org.org_id);
    let delivery = &state["webhooks"][0]["delivery"];
    assert!(
        delivery["delivered_seq"].as_i64().unwrap() > start_seq,
        "{state}"
    );
    assert_eq!(delivery["attempts"], 0, "{state}");
    drop(second);
}

#[test]
fn sqlite_webhook_delivered_once_across_a_crash() {
    let db = TempSqlite::new();
    delivered_once_across_a_crash(&db.url);
}

#[test]
fn postgres_webhook_delivered_once_across_a_crash() {
    let Some(db) = TestDb::postgres() else {
        eprintln!(
            "postgres_webhook_delivered_once_across_a_crash: skipped, PostgreSQL does not answer"
        );
        return;
    };
    delivered_once_across_a_crash(db.url());
}

#[test]
fn the_cli_checks_webhooks_as_the_api_does_and_deletes_them() {
    let db = TempSqlite::new();
    let org = create_org(&db.url, "acme");
    let create = |url: &str, events: &str| {
        support::rollcall_output(
            &db.url,
            &[
                "webhook",
                "create",
                "--org",
                &org.org_id,
                "--url",
                url,
                "--secret",
                "k",
                "--events",
                events,
                "--json",
            ],
        )
    };
    for (url, events, needle) in [
        ("ftp://example.com/x", "*", "http"),
        ("http://example.com/x", "user.exploded", "user.exploded"),
        (
            "http://127.0.0.1:9/x",
            "*",
            "--allow-private-address accepts it",
        ),
        (
            "http://localhost/x",
            "*",
            "--allow-private-address accepts it",
        ),
    ] {
        let output = create(url, events);
        assert!(!output.status.success(), "{url} {events}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(needle), "{stderr}");
    }
    let output = create("http://example.com/x", "user.deleted,user.deactivated");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let created: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        created["events"],
        serde_json::json!(["user.deleted", "user.deactivated"])
    );
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        webhook_list(&db.url, &org.org_id)["webhooks"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    rollcall(&db.url, &["webhook", "delete", "--org", &org.org_id, id]);
    assert_eq!(
        webhook_list(&db.url, &org.org_id)["webhooks"],
        serde_json::json!([])
    );
    let again = support::rollcall_output(&db.url, &["webhook", "delete", "--org", &org.org_id, id]);
    assert!(!again.status.success());
}

/// `POST /admin/v1/webhooks` on the real server with `config`: a loopback URL, then a
/// public one; the statuses.
fn admin_creates(database_url: &str, config: &std::path::Path) -> (u16, u16, Value) {
    let org = create_org(database_url, "acme");
    let server = serve(database_url, config);
    let webhooks = server.base_url.replace("/scim/v2", "/admin/v1/webhooks");
    let create = |url: &str| {
        let body = serde_json::json!({"url": url, "secret": "k", "events": ["*"]});
        let reply = support::reply(
            agent()
                .post(&webhooks)
                .header("Authorization", &format!("Bearer {}", org.admin_token))
                .header("Content-Type", "application/json")
                .send(body.to_string()),
        );
        (reply.status, reply.body)
    };
    let (private, refusal) = create("http://169.254.169.254/latest/meta-data");
    let (public, _) = create("https://hooks.example.com/rollcall");
    (private, public, refusal)
}

#[test]
fn the_server_takes_private_webhook_urls_only_when_its_config_allows_them() {
    let db = TempSqlite::new();
    let dir = std::path::PathBuf::from(db.url.trim_start_matches("sqlite://"));
    let default = dir.with_file_name("default.toml");
    std::fs::write(&default, "event_poll_interval_ms = 1000\n").unwrap();
    let (private, public, refusal) = admin_creates(&db.url, &default);
    assert_eq!((private, public), (400, 201), "{refusal}");
    let message = refusal["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("169.254.169.254") && message.contains("webhook_allow_private_addresses"),
        "{message}"
    );

    let other = TempSqlite::new();
    let allowing = dir.with_file_name("allowing.toml");
    std::fs::write(&allowing, "webhook_allow_private_addresses = true\n").unwrap();
    let (private, public, reply) = admin_creates(&other.url, &allowing);
    assert_eq!((private, public), (201, 201), "{reply}");
}
