//! PostgreSQL stopped hard (`pg_ctl stop -m immediate`, as a crash) and started again
//! under load, on a private cluster of this test's own (`initdb` and `pg_ctl` on a free
//! port; the shared server the other tests use is never touched). While it is down,
//! `rollcall serve` answers 503 with `Retry-After`, quickly; once it is back, it recovers
//! by itself, with no restart. No 2xx is lost (each user answered 201 is there) and no
//! write is half-applied (every stored user has its record and its event, and nothing
//! else is stored).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{ROLLCALL, agent, as_postgres, create_org, free_port, is_root};

/// PostgreSQL's programs (`initdb`, `pg_ctl`): `pg_config --bindir`, else the newest
/// `/usr/lib/postgresql/*/bin`.
fn postgres_bin() -> Option<PathBuf> {
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output()
        && output.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if dir.join("initdb").exists() {
            return Some(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

/// A private PostgreSQL cluster in a temporary directory, on a free port; stopped and
/// removed when dropped. As root (which PostgreSQL refuses to run as) its programs run
/// as the `postgres` user.
struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    fn create() -> Option<Cluster> {
        let Some(bin) = postgres_bin() else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true needs PostgreSQL's server programs (initdb, pg_ctl)"
            );
            eprintln!("pg_restart: skipped, no initdb/pg_ctl");
            return None;
        };
        let dir = std::env::temp_dir().join(format!(
            "rollcall-pg-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let cluster = Cluster {
            bin,
            dir,
            port: free_port(),
        };
        if is_root() {
            let owner = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&cluster.dir)
                .status()
                .unwrap();
            assert!(owner.success(), "chown postgres {}", cluster.dir.display());
        }
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data().display().to_string(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
            ],
        );
        cluster.start();
        Some(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Run one of PostgreSQL's programs (as `postgres` when this is root); panics unless
    /// it succeeds.
    fn run(&self, program: &str, args: &[&str]) {
        let mut command = as_postgres(self.bin.join(program));
        let output = command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=40 -c fsync=on \
             -c synchronous_commit=on",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("postgres.log").display().to_string();
        let data = self.data().display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-o", &options, "-w", "start"],
        );
    }

    /// A crash: no checkpoint, no goodbye to the clients.
    fn stop_immediately(&self) {
        let data = self.data().display().to_string();
        self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data().display().to_string();
        let mut command = as_postgres(self.bin.join("pg_ctl"));
        let _ = command
            .args(["-D", &data, "-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `rollcall serve` on `url`, killed when dropped.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One answer the load got.
#[derive(Debug, Clone)]
struct Answer {
    user_name: String,
    status: u16,
    retry_after: bool,
    took: Duration,
    after_restart: bool,
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn postgres_restarted_under_load_costs_503s_and_nothing_else() {
    let Some(cluster) = Cluster::create() else {
        return;
    };
    let url = cluster.url();
    let org = create_org(&url, "acme");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // Its errors, for the message of a failed assertion.
    let log_path = cluster.dir.join("rollcall.log");
    let serve = Serve(
        Command::new(ROLLCALL)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .unwrap(),
    );
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    wait_for("rollcall serve", Duration::from_secs(60), || {
        agent().get(&format!("{base}/healthz")).call().is_ok()
    });

    // Two clients creating users, one after another each, the whole time.
    let stop = Arc::new(AtomicBool::new(false));
    let restarted = Arc::new(AtomicBool::new(false));
    let answers: Arc<Mutex<Vec<Answer>>> = Arc::default();
    let clients: Vec<_> = (0..2)
        .map(|client| {
            let (stop, restarted, answers) = (stop.clone(), restarted.clone(), answers.clone());
            let (base, token) = (base.clone(), org.scim_token.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(30)))
                    .build()
                    .into();
                let mut k = 0;
                while !stop.load(Ordering::Relaxed) {
                    let user_name = format!("c{client}-{k:05}@example.com");
                    k += 1;
                    let body = serde_json::json!({
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": user_name,
                        "active": true
                    });
                    let after_restart = restarted.load(Ordering::Relaxed);
                    let started = Instant::now();
                    let response = agent
                        .post(&format!("{base}/scim/v2/Users"))
                        .header("Authorization", &format!("Bearer {token}"))
                        .header("Content-Type", "application/scim+json")
                        .send(body.to_string());
                    let took = started.elapsed();
                    let (status, retry_after) = match response {
                        Ok(response) => (
                            response.status().as_u16(),
                            response.headers().contains_key("retry-after"),
                        ),
                        Err(error) => panic!("{user_name}: no answer: {error}"),
                    };
                    answers.lock().unwrap().push(Answer {
                        user_name,
                        status,
                        retry_after,
                        took,
                        after_restart,
                    });
                    if status == 503 {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            })
        })
        .collect();
    let count = |status: u16| {
        answers
            .lock()
            .unwrap()
            .iter()
            .filter(|answer| answer.status == status)
            .count()
    };
    wait_for("creates before the crash", Duration::from_secs(30), || {
        count(201) >= 20
    });
    cluster.stop_immediately();
    wait_for("503s while down", Duration::from_secs(30), || {
        count(503) >= 5
    });
    let ready = agent().get(&format!("{base}/readyz")).call().unwrap();
    assert_eq!(
        ready.status().as_u16(),
        503,
        "not ready while the database is down"
    );
    cluster.start();
    restarted.store(true, Ordering::Relaxed);
    wait_for(
        "recovery without a restart",
        Duration::from_secs(60),
        || {
            answers
                .lock()
                .unwrap()
                .iter()
                .filter(|answer| answer.after_restart && answer.status == 201)
                .count()
                >= 20
        },
    );
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    let answers = answers.lock().unwrap().clone();

    let unexpected: Vec<&Answer> = answers
        .iter()
        .filter(|answer| answer.status != 201 && answer.status != 503)
        .collect();
    assert!(
        unexpected.is_empty(),
        "only 201 or 503: {unexpected:#?}\nrollcall's errors:\n{}",
        log()
    );
    let unavailable: Vec<&Answer> = answers.iter().filter(|a| a.status == 503).collect();
    assert!(
        unavailable.iter().all(|answer| answer.retry_after),
        "every 503 says Retry-After"
    );
    // Quick: after the first refusals, a 503 does not wait out the pool's timeout.
    let slow = unavailable
        .iter()
        .skip(4)
        .filter(|answer| answer.took > Duration::from_secs(2))
        .count();
    assert!(
        slow <= 2,
        "503s should be quick once the database is known down: {unavailable:#?}"
    );
    assert_eq!(
        agent()
            .get(&format!("{base}/readyz"))
            .call()
            .unwrap()
            .status()
            .as_u16(),
        200
    );

    // No 2xx lost: each user answered 201 is found.
    let created: Vec<&str> = answers
        .iter()
        .filter(|answer| answer.status == 201)
        .map(|answer| answer.user_name.as_str())
        .collect();
    for user_name in &created {
        let found = support::find_user(&format!("{base}/scim/v2"), &org.scim_token, user_name);
        assert_eq!(found.status, 200, "{user_name}: {:?}", found.body);
        assert_eq!(
            found.body["totalResults"], 1,
            "{user_name} was answered 201"
        );
    }
    // Nothing half-applied: every stored user has its record and its event. A user whose
    // answer was a 503 may be stored whole (the commit landed as the connection died) or
    // not at all.
    let scalar = |sql: &str| -> i64 {
        let output = Command::new("psql")
            .args([&url, "-tAc", sql])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .unwrap()
    };
    let users = scalar("SELECT COUNT(*) FROM scim_users");
    let records = scalar(
        "SELECT COUNT(*) FROM audit_events WHERE operation = 'user.create' AND status = 201",
    );
    let events = scalar("SELECT COUNT(*) FROM outbox_events WHERE type = 'user.created'");
    assert_eq!((records, events), (users, users), "whole writes only");
    let created = i64::try_from(created.len()).unwrap();
    let in_doubt = i64::try_from(unavailable.len()).unwrap();
    assert!(
        users >= created && users <= created + in_doubt,
        "{users} stored for {created} answered 201 and {in_doubt} answered 503"
    );
    drop(serve);
    drop(cluster);
}
