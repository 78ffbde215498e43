//! Helpers of the end-to-end tests: run the real `rollcall` binary (one-shot commands and
//! servers on free loopback ports) and talk HTTP to it.

#![allow(dead_code)] // each test file uses a part

use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The binary under test.
pub const ROLLCALL: &str = env!("CARGO_BIN_EXE_rollcall");

/// `rollcall ARGS…` on `database_url`; panics unless it succeeds.
pub fn rollcall(database_url: &str, args: &[&str]) -> String {
    let output = rollcall_output(database_url, args);
    assert!(
        output.status.success(),
        "rollcall {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `rollcall ARGS…` on `database_url`, whatever its outcome.
pub fn rollcall_output(database_url: &str, args: &[&str]) -> Output {
    Command::new(ROLLCALL)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("ROLLCALL_BIND")
        .env_remove("ROLLCALL_CONFIG")
        .env_remove("ROLLCALL_ORG")
        .output()
        .unwrap()
}

/// An organization made by `rollcall org create --json`.
#[derive(Debug, Clone)]
pub struct OrgSecrets {
    pub org_id: String,
    pub scim_token: String,
    pub admin_token: String,
}

/// `rollcall org create NAME --json`, checking that stdout is exactly one JSON object with
/// the three keys.
pub fn create_org(database_url: &str, name: &str) -> OrgSecrets {
    let stdout = rollcall(database_url, &["org", "create", name, "--json"]);
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout:?}");
    let object: Value = serde_json::from_str(&stdout).unwrap();
    let map = object.as_object().unwrap();
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["admin_token", "org_id", "scim_token"]);
    let field = |key: &str| map[key].as_str().unwrap().to_owned();
    let secrets = OrgSecrets {
        org_id: field("org_id"),
        scim_token: field("scim_token"),
        admin_token: field("admin_token"),
    };
    assert!(!secrets.org_id.is_empty());
    assert_ne!(secrets.scim_token, secrets.admin_token);
    secrets
}

/// A free port on 127.0.0.1 (bound, then released for the server to take).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `rollcall serve`, killed when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT/scim/v2`.
    pub base_url: String,
}

impl Server {
    /// Start `rollcall serve` on `database_url` and a free port; wait until it answers.
    pub fn start(database_url: &str) -> Server {
        let port = free_port();
        let child = Command::new(ROLLCALL)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut server = Server {
            child,
            base_url: format!("http://127.0.0.1:{port}/scim/v2"),
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = format!("{}/ServiceProviderConfig", self.base_url);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("rollcall serve exited early: {status}");
            }
            if agent().get(&url).call().is_ok() {
                return;
            }
            assert!(Instant::now() < deadline, "rollcall serve never answered");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP agent that returns 4xx/5xx responses instead of errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A response: status and JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

/// A response read whole: its status and JSON body.
pub fn reply(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = response.unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Reply { status, body }
}

/// `POST {base}/Users` with a minimal user.
pub fn create_user(base_url: &str, token: &str, user_name: &str) -> Reply {
    let body = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": "Ann", "familyName": "Smith"},
        "active": true,
    });
    reply(
        agent()
            .post(&format!("{base_url}/Users"))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/scim+json")
            .send(body.to_string()),
    )
}

/// `GET {base}/Users?filter=userName eq "…"`.
pub fn find_user(base_url: &str, token: &str, user_name: &str) -> Reply {
    reply(
        agent()
            .get(&format!("{base_url}/Users"))
            .query("filter", format!("userName eq \"{user_name}\""))
            .header("Authorization", &format!("Bearer {token}"))
            .call(),
    )
}

/// A fresh SQLite database in its own temporary directory, removed when dropped.
#[derive(Debug)]
pub struct TempSqlite {
    dir: std::path::PathBuf,
    /// `sqlite:///tmp/…/rollcall.db`.
    pub url: String,
}

impl TempSqlite {
    /// A new, empty database location.
    pub fn new() -> TempSqlite {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rollcall-e2e-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("rollcall.db").display());
        TempSqlite { dir, url }
    }

    /// The directory the database lives in (removed with it).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

impl Drop for TempSqlite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether the tests run as root (which PostgreSQL's programs and PgBouncer refuse).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A command for `program` (one of PostgreSQL's programs, PgBouncer), run as the
/// `postgres` user when the tests run as root.
pub fn as_postgres(program: impl AsRef<std::ffi::OsStr>) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// `rollcall serve` on a free port with an optional config file and extra environment,
/// started once `/readyz` answers 200; SIGKILLed when dropped.
#[derive(Debug)]
pub struct Serving {
    child: Child,
    /// `http://127.0.0.1:PORT/scim/v2`.
    pub base_url: String,
}

impl Serving {
    /// Start it on `database_url`; `env` adds variables (`RUST_LOG` defaults to `warn`).
    pub fn start(
        database_url: &str,
        config: Option<&std::path::Path>,
        env: &[(&str, &str)],
    ) -> Serving {
        let port = free_port();
        let mut command = Command::new(ROLLCALL);
        command
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let mut serving = Serving {
            child: command.spawn().unwrap(),
            base_url: format!("http://127.0.0.1:{port}/scim/v2"),
        };
        let ready = format!("http://127.0.0.1:{port}/readyz");
        let deadline = Instant::now() + Duration::from_secs(60);
        while agent()
            .get(&ready)
            .call()
            .map(|response| response.status().as_u16() != 200)
            .unwrap_or(true)
        {
            if let Some(status) = serving.child.try_wait().unwrap() {
                panic!("rollcall serve exited early: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "rollcall serve never became ready"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        serving
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown of any kind.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A config file beside `dir`'s database for webhook tests: events polled every 50 ms,
/// retries from 100 ms to 500 ms, delivery leases of `event_lease_ms`, loopback receivers
/// allowed.
pub fn fast_webhook_config(dir: &TempSqlite, event_lease_ms: u64) -> std::path::PathBuf {
    let config = dir.dir().join("rollcall.toml");
    std::fs::write(
        &config,
        format!(
            "event_poll_interval_ms = 50\nwebhook_retry_base_ms = 100\n\
             webhook_retry_max_ms = 500\nevent_lease_ms = {event_lease_ms}\n\
             webhook_allow_private_addresses = true\n"
        ),
    )
    .unwrap();
    config
}
