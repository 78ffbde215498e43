//! `rollcall serve --demo` (what `make run` does): the first run on an empty database creates
//! the organization "demo" and prints its SCIM base URL and token, which work at once; a
//! later run creates nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use support::{ROLLCALL, TempSqlite, create_user, find_user, free_port};

/// Start `serve --demo`, collect stdout up to the curl example, then stop the server.
fn demo_output(database_url: &str, port: u16) -> (String, Option<(String, String)>) {
    let mut child = Command::new(ROLLCALL)
        .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if sender.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let mut printed = String::new();
    let (mut base_url, mut token) = (None, None);
    // The demo text is printed once the server listens; without it, stdout stays silent.
    while let Ok(line) = receiver.recv_timeout(std::time::Duration::from_secs(5)) {
        if let Some(value) = line.trim().strip_prefix("SCIM base URL:") {
            base_url = Some(value.trim().to_owned());
        }
        if let Some(value) = line.trim().strip_prefix("SCIM token:") {
            token = Some(value.trim().to_owned());
        }
        printed.push_str(&line);
        printed.push('\n');
        if line.contains("--data-urlencode") {
            break;
        }
    }
    let reachable = base_url.zip(token).map(|(base_url, token)| {
        let created = create_user(&base_url, &token, "ann@example.com");
        assert_eq!(created.status, 201, "{:?}", created.body);
        let found = find_user(&base_url, &token, "ann@example.com");
        assert_eq!(found.body["totalResults"], 1);
        (base_url, token)
    });
    child.kill().unwrap();
    child.wait().unwrap();
    (printed, reachable)
}

#[test]
fn the_first_demo_run_prints_a_working_base_url_and_token() {
    let db = TempSqlite::new();
    let port = free_port();
    let (printed, reachable) = demo_output(&db.url, port);
    let (base_url, token) = reachable.unwrap_or_else(|| panic!("no URL and token in:\n{printed}"));
    assert_eq!(base_url, format!("http://127.0.0.1:{port}/scim/v2"));
    assert!(token.starts_with("rc_scim_"), "{token}");
    assert!(printed.contains("curl"), "{printed}");
    assert!(
        printed.contains(&format!("http://127.0.0.1:{port}/console")),
        "the console's address: {printed}"
    );

    let (printed, reachable) = demo_output(&db.url, free_port());
    assert!(
        reachable.is_none(),
        "a second run printed a token:\n{printed}"
    );
    assert!(!printed.contains("rc_scim_"), "{printed}");
}
