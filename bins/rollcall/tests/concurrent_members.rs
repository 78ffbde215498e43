//! A real `rollcall serve` (a debug build: the cached access delta is asserted against one
//! read afresh) taking member changes of a group that gives a role from many clients at
//! once, as an IdP's parallel workers send them: every one is applied (204), and the group
//! ends with exactly the members the last change of each user left. On PostgreSQL the
//! writes run on four writer threads; before a write locked its group first, a change
//! committed by another between the delta's two reads made it a 500.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;

use rollcall_store::testing::TestDb;
use serde_json::{Value, json};
use support::{Server, agent, create_org, create_user, reply};

const USERS: usize = 6;
const CLIENTS: usize = 8;
const ROUNDS: usize = 30;

/// `method` (`POST` or `PATCH`) with a JSON body (SCIM takes `application/json` too).
fn send(method: &str, url: &str, token: &str, body: &Value) -> support::Reply {
    let request = match method {
        "POST" => agent().post(url),
        "PATCH" => agent().patch(url),
        _ => unreachable!("{method}"),
    };
    reply(
        request
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .send(body.to_string()),
    )
}

/// The `n`th number of a fixed pseudo-random sequence (SplitMix64).
fn random(n: usize) -> usize {
    let mut z = (n as u64)
        .wrapping_add(1)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    usize::try_from((z ^ (z >> 31)) >> 33).unwrap()
}

#[test]
fn parallel_member_changes_of_a_granted_group_all_apply() {
    for db in TestDb::all() {
        let label = format!("{:?}", db.backend());
        let org = create_org(db.url(), "parallel");
        let server = Server::start(db.url());
        let scim = server.base_url.clone();
        let admin = scim.replace("/scim/v2", "/admin/v1");

        let group = send(
            "POST",
            &format!("{scim}/Groups"),
            &org.scim_token,
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "granted"}),
        );
        assert_eq!(group.status, 201, "{label} {:?}", group.body);
        let group = group.body["id"].as_str().unwrap().to_owned();
        let workspace = send(
            "POST",
            &format!("{admin}/workspaces"),
            &org.admin_token,
            &json!({"name": "granted"}),
        );
        assert_eq!(workspace.status, 201, "{label} {:?}", workspace.body);
        let grant = send(
            "POST",
            &format!("{admin}/grants"),
            &org.admin_token,
            &json!({"principal": {"type": "group", "id": group},
                    "resource": {"type": "workspace", "id": workspace.body["id"]},
                    "role": "editor"}),
        );
        assert_eq!(grant.status, 201, "{label} {:?}", grant.body);
        let users: Vec<String> = (0..USERS)
            .map(|n| {
                let created = create_user(&scim, &org.scim_token, &format!("member{n}"));
                assert_eq!(created.status, 201, "{label}");
                created.body["id"].as_str().unwrap().to_owned()
            })
            .collect();

        let url = format!("{scim}/Groups/{group}");
        let mut failures = Vec::new();
        for round in 0..ROUNDS {
            // Users and operations drawn at random (a fixed sequence): the same user added
            // twice at once, added and removed at once, and so on. Entra's remove names the
            // member in `value`, as an add does.
            let replies: Vec<(String, u16)> = std::thread::scope(|scope| {
                let workers: Vec<_> = (0..CLIENTS)
                    .map(|n| {
                        let draw = random(round * CLIENTS + n);
                        let member = &users[draw % USERS];
                        let op = if (draw / USERS).is_multiple_of(2) { "add" } else { "remove" };
                        let body = json!({
                            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                            "Operations": [{"op": op, "path": "members", "value": [{"value": member}]}],
                        });
                        let (url, token) = (&url, &org.scim_token);
                        scope.spawn(move || {
                            let reply = send("PATCH", url, token, &body);
                            (format!("{op} {member}: {:?}", reply.body), reply.status)
                        })
                    })
                    .collect();
                workers.into_iter().map(|w| w.join().unwrap()).collect()
            });
            failures.extend(replies.into_iter().filter(|(_, status)| *status != 204));
        }
        assert!(failures.is_empty(), "{label}: {failures:?}");

        // The members are real users of the org, each once.
        let read = reply(
            agent()
                .get(&url)
                .header("Authorization", &format!("Bearer {}", org.scim_token))
                .call(),
        );
        let members: Vec<String> = read.body["members"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|member| member["value"].as_str().unwrap().to_owned())
            .collect();
        let distinct: BTreeSet<&String> = members.iter().collect();
        assert_eq!(distinct.len(), members.len(), "{label}: {members:?}");
        assert!(
            members.iter().all(|member| users.contains(member)),
            "{label}"
        );
    }
}
