//! `rollcall serve` stops gracefully on SIGINT (Ctrl-C) as on SIGTERM: it says so, lets
//! in-flight requests finish, and exits successfully (actix alone stops SIGINT at once).
//! Without `RUST_LOG`, actix's own startup chatter stays out of the log (it landed in the
//! middle of the demo banner).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(unix)]

mod support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{ROLLCALL, TempSqlite, agent, free_port};

#[test]
fn sigint_and_sigterm_both_stop_the_server_gracefully() {
    for (signal, rust_log) in [("INT", Some("info")), ("TERM", Some("info")), ("INT", None)] {
        let db = TempSqlite::new();
        let port = free_port();
        let mut command = Command::new(ROLLCALL);
        command
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", &db.url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match rust_log {
            Some(filter) => command.env("RUST_LOG", filter),
            None => command.env_remove("RUST_LOG"),
        };
        let mut child = command.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while agent()
            .get(&format!("http://127.0.0.1:{port}/healthz"))
            .call()
            .is_err()
        {
            assert!(child.try_wait().unwrap().is_none(), "serve exited early");
            assert!(Instant::now() < deadline, "serve never answered");
            std::thread::sleep(Duration::from_millis(50));
        }
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "SIG{signal}: serve did not stop");
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut logs = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut logs)
            .unwrap();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut logs)
            .unwrap();
        assert!(status.success(), "SIG{signal}: {status}\n{logs}");
        assert!(
            logs.contains("stopping gracefully") && logs.contains(&format!("SIG{signal}")),
            "SIG{signal}: {logs}"
        );
        assert!(!logs.contains("forced shutdown"), "SIG{signal}: {logs}");
        assert!(logs.contains("stopped"), "SIG{signal}: {logs}");
        if rust_log.is_none() {
            assert!(logs.contains("listening"), "{logs}");
            assert!(!logs.contains("actix_server"), "{logs}");
        }
    }
}
