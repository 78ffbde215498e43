//! `/metrics` of a real `rollcall serve`: not on the main address unless the operator
//! allows it, and on `--metrics-bind`'s address of its own, which serves nothing else.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{ROLLCALL, TempSqlite, agent, create_org, create_user, free_port};

/// A server killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `rollcall serve` with `args` and wait until `ready` answers.
fn serve(db: &TempSqlite, args: &[String], ready: &str) -> Running {
    let child = Command::new(ROLLCALL)
        .arg("serve")
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while agent().get(ready).call().is_err() {
        assert!(
            running.0.try_wait().unwrap().is_none(),
            "rollcall serve exited early"
        );
        assert!(Instant::now() < deadline, "rollcall serve never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
    running
}

fn status(url: &str) -> (u16, String) {
    let mut response = agent().get(url).call().unwrap();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    (response.status().as_u16(), body)
}

#[test]
fn metrics_get_an_address_of_their_own_unless_allowed_on_the_main_one() {
    let db = TempSqlite::new();
    let org = create_org(&db.url, "metrics");
    let (main, metrics) = (free_port(), free_port());
    let main_url = format!("http://127.0.0.1:{main}");
    let metrics_url = format!("http://127.0.0.1:{metrics}");
    let args = [
        "--bind".to_owned(),
        format!("127.0.0.1:{main}"),
        "--metrics-bind".to_owned(),
        format!("127.0.0.1:{metrics}"),
    ];
    let server = serve(&db, &args, &format!("{main_url}/healthz"));
    let created = create_user(&format!("{main_url}/scim/v2"), &org.scim_token, "zoe");
    assert_eq!(created.status, 201);
    // Not on the main address; on its own, which serves nothing but /metrics.
    assert_eq!(status(&format!("{main_url}/metrics")).0, 404);
    let (code, text) = status(&format!("{metrics_url}/metrics"));
    assert_eq!(code, 200);
    assert!(
        text.contains(
            "rollcall_http_requests_total{route=\"/scim/v2/Users\",method=\"POST\",status=\"201\"} 1"
        ),
        "{text}"
    );
    assert!(!text.contains("zoe") && !text.contains(&org.scim_token));
    assert_eq!(status(&format!("{metrics_url}/scim/v2/Users")).0, 404);
    assert_eq!(status(&format!("{metrics_url}/healthz")).0, 404);
    drop(server);

    // Allowed on the main address by the config file.
    let config = db.dir().join("rollcall.toml");
    std::fs::write(&config, "metrics_on_main_address = true\n").unwrap();
    let args = [
        "--bind".to_owned(),
        format!("127.0.0.1:{main}"),
        "--config".to_owned(),
        config.display().to_string(),
    ];
    let _server = serve(&db, &args, &format!("{main_url}/healthz"));
    let (code, text) = status(&format!("{main_url}/metrics"));
    assert_eq!(code, 200);
    assert!(
        text.contains("# TYPE rollcall_outbox_pending gauge"),
        "{text}"
    );

    // The same address twice is refused at startup, with a message saying what to do.
    let output = Command::new(ROLLCALL)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:18080",
            "--metrics-bind",
            "127.0.0.1:18080",
        ])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("metrics_on_main_address"), "{stderr}");
}
