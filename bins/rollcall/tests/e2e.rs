//! The real binary serving SCIM on SQLite (and on PostgreSQL when a server answers):
//! create a user with the org's SCIM token, find it with a filter, and a revoked token is
//! refused on the next request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

mod support;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use rollcall_store::testing::TestDb;
use support::{Server, TempSqlite, agent, create_org, create_user, find_user, rollcall};

/// The scenario, on one database URL.
fn create_find_revoke(database_url: &str) {
    let org = create_org(database_url, "acme");
    let server = Server::start(database_url);

    let created = create_user(&server.base_url, &org.scim_token, "ann.smith@example.com");
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["userName"], "ann.smith@example.com");

    // Okta's lookup before a create, in another case: userName is case-insensitive.
    let found = find_user(&server.base_url, &org.scim_token, "ANN.SMITH@example.com");
    assert_eq!(found.status, 200, "{:?}", found.body);
    assert_eq!(found.body["totalResults"], 1);
    assert_eq!(found.body["Resources"][0]["id"], id.as_str());
    let missing = find_user(&server.base_url, &org.scim_token, "nobody@example.com");
    assert_eq!(missing.body["totalResults"], 0);

    // The same userName again is a conflict.
    let again = create_user(&server.base_url, &org.scim_token, "Ann.Smith@example.com");
    assert_eq!(again.status, 409, "{:?}", again.body);
    assert_eq!(again.body["scimType"], "uniqueness");

    // Another org neither sees the user nor is blocked by its userName.
    let other = create_org(database_url, "globex");
    let foreign = find_user(&server.base_url, &other.scim_token, "ann.smith@example.com");
    assert_eq!(foreign.body["totalResults"], 0);
    let theirs = create_user(&server.base_url, &other.scim_token, "ann.smith@example.com");
    assert_eq!(theirs.status, 201, "{:?}", theirs.body);

    // Revoke the SCIM token with the CLI while the server runs: the next request is 401.
    let tokens: serde_json::Value = serde_json::from_str(&rollcall(
        database_url,
        &["token", "list", "--org", &org.org_id, "--json"],
    ))
    .unwrap();
    let scim_token_ids: Vec<&str> = tokens
        .as_array()
        .unwrap()
        .iter()
        .filter(|token| token["kind"] == "scim")
        .map(|token| token["id"].as_str().unwrap())
        .collect();
    assert_eq!(scim_token_ids.len(), 1);
    rollcall(
        database_url,
        &["token", "revoke", "--org", &org.org_id, scim_token_ids[0]],
    );
    let refused = find_user(&server.base_url, &org.scim_token, "ann.smith@example.com");
    assert_eq!(refused.status, 401, "{:?}", refused.body);
    // The admin token is not a SCIM token either.
    let admin = find_user(&server.base_url, &org.admin_token, "ann.smith@example.com");
    assert_eq!(admin.status, 401, "{:?}", admin.body);
}

#[test]
fn sqlite_create_find_revoke() {
    let db = TempSqlite::new();
    create_find_revoke(&db.url);
}

#[test]
fn postgres_create_find_revoke() {
    let Some(db) = TestDb::postgres() else {
        eprintln!("postgres_create_find_revoke: skipped, PostgreSQL does not answer");
        return;
    };
    create_find_revoke(db.url());
}

/// Two `rollcall serve` processes on one PostgreSQL schema; N concurrent creates of the same
/// userName spread over both: the database decides, exactly one wins.
#[test]
fn postgres_two_servers_race_to_create_the_same_user_name() {
    const CONCURRENT: usize = 16;
    let Some(db) = TestDb::postgres() else {
        eprintln!("postgres_two_servers_race…: skipped, PostgreSQL does not answer");
        return;
    };
    let org = create_org(db.url(), "race");
    let servers = [Server::start(db.url()), Server::start(db.url())];
    let barrier = Arc::new(Barrier::new(CONCURRENT));
    let replies: Vec<_> = (0..CONCURRENT)
        .map(|index| {
            let base_url = servers[index % 2].base_url.clone();
            let token = org.scim_token.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                create_user(&base_url, &token, "racer@example.com")
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .collect();
    let created = replies.iter().filter(|reply| reply.status == 201).count();
    let conflicts = replies
        .iter()
        .filter(|reply| reply.status == 409 && reply.body["scimType"] == "uniqueness")
        .count();
    assert_eq!(
        (created, conflicts),
        (1, CONCURRENT - 1),
        "statuses: {:?}",
        replies.iter().map(|reply| reply.status).collect::<Vec<_>>()
    );
    // Both servers see the one user.
    for server in &servers {
        let found = find_user(&server.base_url, &org.scim_token, "racer@example.com");
        assert_eq!(found.body["totalResults"], 1, "{:?}", found.body);
    }
}

/// `serve` sweeps ended grants: one that ends while the server is down is removed and
/// recorded as `grant.expire` by the sweep the restarted server runs at once.
fn ended_grant_is_recorded(database_url: &str) {
    let org = create_org(database_url, "acme");
    let server = Server::start(database_url);
    let admin_url = server.base_url.replace("/scim/v2", "/admin/v1");
    let created = create_user(&server.base_url, &org.scim_token, "ann@example.com");
    assert_eq!(created.status, 201, "{:?}", created.body);
    let user = created.body["id"].as_str().unwrap().to_owned();
    let admin_post = |path: &str, body: serde_json::Value| -> serde_json::Value {
        let mut response = agent()
            .post(&format!("{admin_url}{path}"))
            .header("Authorization", &format!("Bearer {}", org.admin_token))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .unwrap();
        assert_eq!(response.status().as_u16(), 201, "{path}");
        serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
    };
    let workspace = admin_post("/workspaces", serde_json::json!({"name": "q3"}));
    let ends = chrono::Utc::now() + chrono::Duration::seconds(2);
    let grant = admin_post(
        "/grants",
        serde_json::json!({
            "principal": {"type": "user", "id": user},
            "resource": {"type": "workspace", "id": workspace["id"]},
            "role": "editor",
            "expires_at": ends.to_rfc3339(),
        }),
    );
    drop(server);
    while chrono::Utc::now() <= ends {
        std::thread::sleep(Duration::from_millis(100));
    }

    let server = Server::start(database_url);
    let admin_url = server.base_url.replace("/scim/v2", "/admin/v1");
    let deadline = Instant::now() + Duration::from_secs(30);
    let records = loop {
        let mut response = agent()
            .get(&format!("{admin_url}/audit"))
            .query("type", "grant.expire")
            .header("Authorization", &format!("Bearer {}", org.admin_token))
            .call()
            .unwrap();
        let body: serde_json::Value =
            serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        let records = body["events"].as_array().cloned().unwrap_or_default();
        if !records.is_empty() {
            break records;
        }
        assert!(Instant::now() < deadline, "no grant.expire record");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["actor"], "system");
    assert_eq!(
        records[0]["target"],
        format!("grant:{}", grant["id"].as_str().unwrap())
    );
    let listed = rollcall(
        database_url,
        &[
            "grant",
            "list",
            "--org",
            &org.org_id,
            "--principal",
            &format!("user:{user}"),
        ],
    );
    assert!(!listed.contains(grant["id"].as_str().unwrap()), "{listed}");
}

#[test]
fn sqlite_ended_grant_is_recorded() {
    let db = TempSqlite::new();
    ended_grant_is_recorded(&db.url);
}

#[test]
fn postgres_ended_grant_is_recorded() {
    let Some(db) = TestDb::postgres() else {
        eprintln!("postgres_ended_grant_is_recorded: skipped, PostgreSQL does not answer");
        return;
    };
    ended_grant_is_recorded(db.url());
}
