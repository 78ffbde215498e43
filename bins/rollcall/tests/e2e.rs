//! The real binary serving SCIM on SQLite (and on PostgreSQL when a server answers):
//! create a user with the org's SCIM token, find it with a filter, and a revoked token is
//! refused on the next request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{Server, TempSqlite, create_org, create_user, find_user, rollcall};

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
