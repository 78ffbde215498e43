//! `rollcall` behind PgBouncer in transaction mode (Debian's 1.18, which does not carry
//! prepared statements across transactions), with `ROLLCALL_DATABASE_STATEMENT_CACHE=off`:
//! migrations (a lock row inside their transaction, no session lock), then two servers on
//! the one pooler doing the SCIM work an IdP does, every answer what it should be.
//! PgBouncer's server pool is smaller than the two servers' pools together, so their
//! transactions really do share server connections.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{
    ROLLCALL, Serving, agent, as_postgres, create_user, find_user, free_port, is_root, reply,
};

const PGBOUNCER: &str = "/usr/sbin/pgbouncer";
const SHARED: &str = "postgres://postgres@127.0.0.1:5432";

fn psql(database: &str, sql: &str) {
    let output = Command::new("psql")
        .args([
            &format!("{SHARED}/{database}"),
            "-v",
            "ON_ERROR_STOP=1",
            "-qc",
            sql,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A database of its own on the shared server (PgBouncer passes no `search_path`, so a
/// schema per test will not do), dropped with its connections when this is dropped.
struct Database(String);

impl Drop for Database {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                &format!("{SHARED}/postgres"),
                "-qc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.0),
            ])
            .output();
    }
}

/// PgBouncer on a free port, in transaction mode; stopped when dropped.
struct Bouncer {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Bouncer {
    fn start(database: &str) -> Bouncer {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("rollcall-pgb-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("users.txt"), "\"postgres\" \"\"\n").unwrap();
        std::fs::write(
            dir.join("pgbouncer.ini"),
            format!(
                "[databases]\n\
                 rollcall = host=127.0.0.1 port=5432 dbname={database} user=postgres\n\
                 [pgbouncer]\n\
                 listen_addr = 127.0.0.1\n\
                 listen_port = {port}\n\
                 unix_socket_dir =\n\
                 auth_type = trust\n\
                 auth_file = {users}\n\
                 pool_mode = transaction\n\
                 default_pool_size = 4\n\
                 max_client_conn = 200\n\
                 server_reset_query =\n\
                 ignore_startup_parameters = extra_float_digits\n\
                 logfile = {log}\n",
                users = dir.join("users.txt").display(),
                log = dir.join("pgbouncer.log").display(),
            ),
        )
        .unwrap();
        let ini = dir.join("pgbouncer.ini");
        if is_root() {
            // PgBouncer refuses to run as root.
            let owner = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(owner.success());
        }
        let mut command = as_postgres(PGBOUNCER);
        command.arg("-q");
        let child = command
            .arg(&ini)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let bouncer = Bouncer { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "pgbouncer never listened");
            std::thread::sleep(Duration::from_millis(50));
        }
        bouncer
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/rollcall", self.port)
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        // runuser passes the signal on to pgbouncer.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn send(method: &str, url: &str, token: &str, body: &Value) -> support::Reply {
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/scim+json")
        .body(body.to_string())
        .unwrap();
    reply(agent().run(request))
}

#[test]
fn rollcall_works_behind_pgbouncer_in_transaction_mode() {
    if !Path::new(PGBOUNCER).exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true needs pgbouncer (.ci/run installs it)"
        );
        eprintln!("pgbouncer: skipped, {PGBOUNCER} is not installed");
        return;
    }
    if std::net::TcpStream::connect("127.0.0.1:5432").is_err() {
        assert!(std::env::var("CI").as_deref() != Ok("true"));
        return;
    }
    let database = Database(format!(
        "rollcall_pgb_{}_{}",
        std::process::id(),
        free_port()
    ));
    psql("postgres", &format!("CREATE DATABASE {}", database.0));
    let bouncer = Bouncer::start(&database.0);
    let url = bouncer.url();

    // Migrations and the CLI through the pooler.
    let created = Command::new(ROLLCALL)
        .args(["org", "create", "acme", "--json"])
        .env("DATABASE_URL", &url)
        .env("ROLLCALL_DATABASE_STATEMENT_CACHE", "off")
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let org: Value = serde_json::from_slice(&created.stdout).unwrap();
    let token = org["scim_token"].as_str().unwrap().to_owned();

    let off = [("ROLLCALL_DATABASE_STATEMENT_CACHE", "off")];
    let servers = [
        Serving::start(&url, None, &off),
        Serving::start(&url, None, &off),
    ];
    let users: Vec<String> = (0..30)
        .map(|k| {
            let server = &servers[k % 2];
            let created = create_user(&server.base_url, &token, &format!("u{k:02}@example.com"));
            assert_eq!(created.status, 201, "{:?}", created.body);
            created.body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let group = send(
        "POST",
        &format!("{}/Groups", servers[0].base_url),
        &token,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Engineering",
            "members": [{"value": users[0]}]
        }),
    );
    assert_eq!(group.status, 201, "{:?}", group.body);
    let group_id = group.body["id"].as_str().unwrap().to_owned();
    for (k, user) in users.iter().enumerate().skip(1) {
        let server = &servers[k % 2];
        let patched = send(
            "PATCH",
            &format!("{}/Groups/{group_id}", server.base_url),
            &token,
            &json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": user}]}]
            }),
        );
        assert!(
            patched.status == 200 || patched.status == 204,
            "{} {:?}",
            patched.status,
            patched.body
        );
        let found = find_user(
            &servers[(k + 1) % 2].base_url,
            &token,
            &format!("u{k:02}@example.com"),
        );
        assert_eq!(found.status, 200);
        assert_eq!(found.body["totalResults"], 1);
    }
    let read = send(
        "GET",
        &format!("{}/Groups/{group_id}", servers[1].base_url),
        &token,
        &Value::Null,
    );
    assert_eq!(read.status, 200);
    assert_eq!(read.body["members"].as_array().unwrap().len(), users.len());
    let deactivated = send(
        "PATCH",
        &format!("{}/Users/{}", servers[1].base_url, users[3]),
        &token,
        &json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": false}]
        }),
    );
    assert_eq!(deactivated.status, 200, "{:?}", deactivated.body);
    drop(servers);
    drop(bouncer);
}
