//! The command line of the real binary (PRODUCT.md §10) on SQLite: help, `org create`,
//! `token create|list|revoke`, `migrate`, and startup validation messages.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

mod support;

use rollcall_store::testing::TestDb;
use serde_json::Value;
use support::{TempSqlite, create_org, rollcall, rollcall_output};

#[test]
fn help_lists_every_subcommand() {
    let output = rollcall_output("sqlite://unused", &["--help"]);
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for subcommand in ["serve", "org", "token", "migrate", "purge"] {
        assert!(
            help.lines()
                .any(|line| line.trim_start().starts_with(subcommand)),
            "{subcommand} missing from:\n{help}"
        );
    }
    for (args, expected) in [
        (
            vec!["serve", "--help"],
            vec!["--config", "--database-url", "--bind", "--demo"],
        ),
        (
            vec!["org", "create", "--help"],
            vec!["--database-url", "--json"],
        ),
        (vec!["token", "--help"], vec!["create", "list", "revoke"]),
        (
            vec!["token", "create", "--help"],
            vec!["--org", "--kind", "--name", "--expires-in-days", "--json"],
        ),
        (vec!["migrate", "--help"], vec!["--database-url"]),
        (
            vec!["purge", "--help"],
            vec!["--database-url", "purge_after_days"],
        ),
    ] {
        let output = rollcall_output("sqlite://unused", &args);
        assert!(output.status.success(), "{args:?}");
        let help = String::from_utf8(output.stdout).unwrap();
        for word in expected {
            assert!(
                help.contains(word),
                "{args:?}: {word} missing from:\n{help}"
            );
        }
    }
}

#[test]
fn org_create_json_is_one_object_and_text_names_the_base_url() {
    let db = TempSqlite::new();
    let first = create_org(&db.url, "acme");
    let second = create_org(&db.url, "globex");
    assert_ne!(first.org_id, second.org_id);

    let text = rollcall(
        &db.url,
        &["org", "create", "initech", "--bind", "127.0.0.1:9999"],
    );
    assert!(text.contains("http://127.0.0.1:9999/scim/v2"), "{text}");
    assert!(text.contains("org id"), "{text}");
}

#[test]
fn migrate_is_idempotent() {
    for db in TestDb::all() {
        let first = rollcall(db.url(), &["migrate"]);
        assert!(first.contains("applied"), "{:?}: {first}", db.backend());
        let second = rollcall(db.url(), &["migrate"]);
        assert!(
            second.contains("up to date"),
            "{:?}: {second}",
            db.backend()
        );
        // The database works after both runs, and `org create` migrates nothing more.orgs().create(db.url(), "after-migrations");
        let third = rollcall(db.url(), &["migrate"]);
        assert!(third.contains("up to date"), "{:?}: {third}", db.backend());
    }
}

#[test]
fn processes_migrating_one_fresh_database_at_once_apply_each_migration_once() {
    for db in TestDb::all() {
        let label = format!("{:?}", db.backend());
        let url = db.url().to_owned();
        let runs: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                std::thread::spawn(move || rollcall(&url, &["migrate"]))
            })
            .collect();
        let outputs: Vec<String> = runs.into_iter().map(|run| run.join().unwrap()).collect();
        // Each migration applied by exactly one of them (data migrations each run in a
        // transaction of their own, so another process may take the later ones).
        let mut applied: Vec<&str> = outputs
            .iter()
            .flat_map(|output| output.lines())
            .filter_map(|line| line.strip_prefix("applied "))
            .collect();
        let count = applied.len();
        applied.sort_unstable();
        applied.dedup();
        assert_eq!(applied.len(), count, "{label}: each once: {outputs:?}");
        let sql = std::fs::read_dir(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../crates/store/migrations/sqlite"
        ))
        .unwrap()
        .count();
        assert_eq!(count, sql + 4, "{label}: all of them: {outputs:?}");
        assert!(
            outputs
                .iter()
                .any(|o| o.contains("applied data:identity_keys")),
            "{label}: {outputs:?}"
        );
    }
}

#[test]
fn migrate_lists_what_data_migrations_found_on_every_run() {
    for db in TestDb::all() {
        let label = format!("{:?}", db.backend());
        let store = db.open();
        let now = chrono::Utc::now();
        let org = store.write(|tx| tx.orgs().create("acme", now)).unwrap().id;
        let users = rollcall_store::ResourceKind::User;
        let ids: Vec<String> = ["Jos\u{e9}", "placeholder"]
            .into_iter()
            .map(|name| {
                store
                    .write(|tx| {
                        tx.resources(users).create(
                            &org,
                            &serde_json::json!({"userName": name}),
                            now,
                        )
                    })
                    .unwrap()
                    .id
            })
            .collect();
        // What an older build left: two users whose names differ only by normal form.
        db.execute_raw(&format!(
            "UPDATE scim_users SET user_name = 'Jose\u{301}', user_name_key = 'jose\u{301}' WHERE id = '{}';
             DELETE FROM data_migrations WHERE name = 'identity_keys';",
            ids[1]
        ))
        .unwrap();
        drop(store);
        for run in 0..2 {
            let output = rollcall(db.url(), &["migrate"]);
            if run == 0 {
                assert!(
                    output.contains("applied data:identity_keys"),
                    "{label}: {output}"
                );
            } else {
                assert!(output.contains("up to date"), "{label}: {output}");
            }
            assert!(output.contains("1 finding(s)"), "{label}: {output}");
            assert!(
                output.contains(&format!("[identity_keys] org {org} {}", ids[1])),
                "{label}: {output}"
            );
            assert!(
                output.contains(&ids[0]),
                "{label}: names the user it collides with"
            );
        }
    }
}

#[test]
fn purge_scrubs_deleted_users_past_purge_after_days_and_says_how_many() {
    for db in TestDb::all() {
        let label = format!("{:?}", db.backend());
        let store = db.open();
        let now = chrono::Utc::now();
        let org = store.write(|tx| tx.orgs().create("acme", now)).unwrap().id;
        // Deleted 31 and 29 days ago; the default purge_after_days is 30.
        for (name, days_ago) in [("old", 31), ("recent", 29)] {
            let at = now - chrono::Duration::days(days_ago);
            store
                .write(|tx| {
                    let user = tx.resources(rollcall_store::ResourceKind::User).create(
                        &org,
                        &serde_json::json!({"userName": name}),
                        at,
                    )?;
                    tx.lifecycle().delete_user(&org, &user.id, None, at)
                })
                .unwrap();
        }
        let first = rollcall(db.url(), &["purge"]);
        assert!(
            first.contains("purged 1 deleted user(s)"),
            "{label}: {first}"
        );
        let second = rollcall(db.url(), &["purge"]);
        assert!(
            second.contains("purged 0 deleted user(s)"),
            "{label}: {second}"
        );
    }
}

#[test]
fn tokens_are_created_listed_and_revoked() {
    let db = TempSqlite::new();
    let org = create_org(&db.url, "acme");
    let created: Value = serde_json::from_str(&rollcall(
        &db.url,
        &[
            "token",
            "create",
            "--org",
            &org.org_id,
            "--kind",
            "scim",
            "--name",
            "okta",
            "--expires-in-days",
            "30",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(created["kind"], "scim");
    assert_eq!(created["name"], "okta");
    assert!(created["expires_at"].is_string());
    let secret = created["token"].as_str().unwrap();
    let token_id = created["id"].as_str().unwrap();

    let listed: Value = serde_json::from_str(&rollcall(
        &db.url,
        &["token", "list", "--org", &org.org_id, "--json"],
    ))
    .unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 3, "{listed:?}"); // the initial SCIM and admin tokens, and this one
    let text = serde_json::to_string(listed).unwrap();
    assert!(!text.contains(secret), "a listing never shows a secret");
    assert!(!text.contains(&org.scim_token));
    let entry = listed.iter().find(|token| token["id"] == token_id).unwrap();
    assert_eq!(entry["status"], "active");

    let revoked = rollcall(
        &db.url,
        &["token", "revoke", "--org", &org.org_id, token_id],
    );
    assert!(revoked.contains(token_id));
    let listed: Value = serde_json::from_str(&rollcall(
        &db.url,
        &["token", "list", "--org", &org.org_id, "--json"],
    ))
    .unwrap();
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|token| token["id"] == token_id)
        .unwrap()
        .clone();
    assert_eq!(entry["status"], "revoked");
    let table = rollcall(&db.url, &["token", "list", "--org", &org.org_id]);
    assert!(
        table.contains("revoked") && table.contains("okta"),
        "{table}"
    );

    // Another org cannot revoke it, and an unknown id is an error.
    let other = create_org(&db.url, "globex");
    let output = rollcall_output(
        &db.url,
        &["token", "revoke", "--org", &other.org_id, token_id],
    );
    assert!(!output.status.success());
    let output = rollcall_output(&db.url, &["token", "list", "--org", "no-such-org"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no organization"));
}

#[test]
fn startup_errors_are_clear() {
    let db = TempSqlite::new();
    for (args, url, message) in [
        (
            vec!["serve"],
            "mysql://root@localhost/db",
            "unsupported database URL",
        ),
        (
            vec!["migrate"],
            "./data/rollcall.db",
            "unsupported database URL",
        ),
        (
            vec!["serve", "--bind", "nowhere"],
            db.url.as_str(),
            "invalid bind address",
        ),
        (
            vec!["serve", "--config", "/nonexistent/rollcall.toml"],
            db.url.as_str(),
            "cannot read the config file",
        ),
        (
            vec!["token", "create", "--org", "x", "--kind", "root"],
            db.url.as_str(),
            "root",
        ),
    ] {
        // A user's mistake is a message, never a backtrace, whatever RUST_BACKTRACE says.
        let output = std::process::Command::new(support::ROLLCALL)
            .args(&args)
            .env("DATABASE_URL", url)
            .env("RUST_BACKTRACE", "1")
            .env_remove("ROLLCALL_BIND")
            .env_remove("ROLLCALL_CONFIG")
            .output()
            .unwrap();
        // 1 for a failure of ours, 2 for clap's usage errors.
        assert!(
            matches!(output.status.code(), Some(1 | 2)),
            "{args:?}: {:?}",
            output.status
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(
            stderr.contains("error: ") && !stderr.to_lowercase().contains("backtrace"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn workspace_grant_rule_and_access_subcommands_mirror_the_admin_api() {
    for db in TestDb::all() {
        let org = create_org(db.url(), "acme");
        let label = format!("{:?}", db.backend());
        // A SCIM user and group, as an identity provider would push them.
        let (ann, eng) = db
            .open()
            .write(|tx| {
                let now = chrono::Utc::now();
                let ann = tx.resources(rollcall_store::ResourceKind::User).create(&org.org_id, &serde_json::json!({"userName": "ann"}), now)?;
                let eng = tx.resources(rollcall_store::ResourceKind::Group).create(&org.org_id, &serde_json::json!({"displayName": "eng-backend", "members": [{"value": ann.id}]}), now)?;
                Ok((ann.id, eng.id))
            })
            .unwrap();
        let run = |args: &[&str]| -> Value {
            let mut all = args.to_vec();
            all.extend(["--org", &org.org_id, "--json"]);
            serde_json::from_str(rollcall(db.url(), &all).trim()).unwrap()
        };
        let workspace = run(&["workspace", "create", "department_sales"]);
        let ws = workspace["id"].as_str().unwrap().to_owned();
        let folder = run(&["workspace", "add-folder", "--workspace", &ws, "Q3 Plans"]);
        assert_eq!(folder["team_access"], "invite_only", "{label}");
        // A dry run prints the delta and changes nothing, in the trail either.
        let records = |db: &TestDb| rollcall_store::testing::trail(&db.open(), &org.org_id).len();
        let recorded = records(&db);
        let preview = run(&[
            "grant",
            "create",
            "--principal",
            &format!("user:{ann}"),
            "--resource",
            &format!("workspace:{ws}"),
            "--role",
            "commenter",
            "--dry-run",
        ]);
        assert_eq!(preview["dry_run"], true, "{label}");
        assert_eq!(
            preview["changes"],
            serde_json::json!([{"user": ann, "resource": format!("workspace:{ws}"), "before": null, "after": "commenter"}]),
            "{label}"
        );
        assert_eq!(records(&db), recorded, "{label}: nothing recorded");
        let listed = run(&["grant", "list"]);
        assert_eq!(
            listed["grants"],
            serde_json::json!([]),
            "{label}: nothing granted"
        );
        let grant = run(&[
            "grant",
            "create",
            "--principal",
            &format!("user:{ann}"),
            "--resource",
            &format!("workspace:{ws}"),
            "--role",
            "commenter",
        ]);
        assert_eq!(grant["role"], "commenter");
        let rule = run(&[
            "rule",
            "create",
            "--group",
            "eng-*",
            "--workspaces",
            "department_*",
            "--role",
            "member",
        ]);
        assert_eq!(rule["role"], "editor", "the alias is stored as its tier");

        let why = run(&[
            "access",
            "explain",
            "--user",
            &ann,
            "--resource",
            &format!("workspace:{ws}"),
        ]);
        assert_eq!(why["role"], "editor", "{label} {why}");
        let winner = why["contributions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["winner"] == true)
            .unwrap();
        assert_eq!(
            (winner["kind"].as_str(), winner["group"].as_str()),
            (Some("rule"), Some(eng.as_str()))
        );
        let who = run(&["access", "who", "--resource", &format!("workspace:{ws}")]);
        assert_eq!(
            who["users"],
            serde_json::json!([{"user": ann, "user_name": "ann", "role": "editor"}])
        );

        // The text form says it in a sentence and stars the winner.
        let text = rollcall(
            db.url(),
            &[
                "access",
                "explain",
                "--org",
                &org.org_id,
                "--user",
                &ann,
                "--resource",
                &format!("workspace:{ws}"),
            ],
        );
        assert!(
            text.contains(&format!("ann ({ann}) has editor on workspace:{ws}")),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|line| line.trim_start().starts_with("* editor")),
            "{text}"
        );

        let listed = run(&["grant", "list", "--principal", &format!("user:{ann}")]);
        assert_eq!(listed["grants"].as_array().unwrap().len(), 1);
        let revoked = run(&["grant", "revoke", grant["id"].as_str().unwrap()]);
        assert_eq!(revoked["revoked"], grant["id"]);
        let rules = run(&["rule", "list"]);
        assert_eq!(rules["rules"].as_array().unwrap().len(), 1);

        // Every change is in the trail, by `cli`, with the access delta of access changes.
        let trail = db
            .open()
            .read(|tx| {
                tx.audit().query(
                    &org.org_id,
                    &rollcall_store::AuditQuery {
                        actor: Some("cli".into()),
                        limit: 100,
                        ..Default::default()
                    },
                )
            })
            .unwrap();
        let operations: Vec<&str> = trail.iter().map(|r| r.operation.as_str()).collect();
        assert_eq!(
            operations,
            [
                "org.create",
                "scim_token.create",
                "admin_token.create",
                "workspace.create",
                "folder.create",
                "grant.create",
                "rule.create",
                "grant.delete"
            ],
            "{label}"
        );
        // `org create` is on the trail from the first moment, never with a secret.
        assert_eq!(trail[0].target, format!("org:{}", org.org_id), "{label}");
        assert_eq!(trail[0].detail["after"]["name"], "acme", "{label}");
        for (record, secret) in trail[1..3].iter().zip([&org.scim_token, &org.admin_token]) {
            let text = record.detail.to_string();
            assert!(!text.contains(secret.as_str()), "{label}: {text}");
            assert!(
                record
                    .target
                    .ends_with(record.detail["after"]["id"].as_str().unwrap())
            );
        }
        let trail = &trail[3..];
        let resource = format!("workspace:{ws}");
        let delta = |before: Value, after: Value| serde_json::json!([{"user": ann, "resource": resource, "before": before, "after": after}]);
        assert_eq!(
            trail[2].detail["access"],
            delta(Value::Null, "commenter".into())
        );
        assert_eq!(
            trail[3].detail["access"],
            delta("commenter".into(), "editor".into())
        );
        // The rule gives editor anyway: revoking the commenter grant changes no role.
        assert_eq!(trail[4].detail["access"], serde_json::json!([]));
        assert_eq!(trail[0].target, resource);
    }
}

#[test]
fn audit_export_writes_the_trail_as_json_lines() {
    for db in TestDb::all() {
        let org = create_org(db.url(), "acme");
        let t0 = chrono::Utc::now();
        let detail = serde_json::json!({"after": {"userName": "ann"}});
        db.open()
            .write(|tx| {
                for k in 0..3 {
                    tx.audit().record(
                        &org.org_id,
                        &rollcall_store::NewAuditRecord {
                            occurred_at: t0 + chrono::Duration::seconds(k),
                            actor: "scim:t",
                            actor_kind: None,
                            operation: "user.create",
                            target: "user:x",
                            status: 201,
                            detail: &detail,
                            request_id: None,
                            subject: None,
                        },
                    )?;
                }
                Ok(())
            })
            .unwrap();
        let lines = |extra: &[&str]| -> Vec<Value> {
            let mut args = vec!["audit", "export", "--org", &org.org_id];
            args.extend(extra);
            rollcall(db.url(), &args)
                .lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect()
        };
        // The organization's creation and its two tokens, then the three records.
        let all = lines(&[]);
        assert_eq!(all.len(), 6, "{:?}", db.backend());
        let types: Vec<&str> = all.iter().map(|r| r["type"].as_str().unwrap()).collect();
        assert_eq!(
            types[..3],
            ["org.create", "scim_token.create", "admin_token.create"]
        );
        assert_eq!(all[3]["type"], "user.create");
        assert_eq!(all[3]["detail"], detail);
        let since = (t0 + chrono::Duration::seconds(1)).to_rfc3339();
        assert_eq!(lines(&["--since", &since]).len(), 2);
    }
}

/// The chain's hash of one exported record, recomputed from the export alone as a third
/// party would (docs/audit.md).
fn exported_link(prev: &str, line: &Value) -> String {
    use sha2::{Digest, Sha256};
    let chain = &line["chain"];
    let status = line["status"].as_u64().unwrap().to_string();
    let text = |value: &Value| value.as_str().map(str::to_owned);
    let fields = [
        Some(prev.to_owned()),
        text(&line["id"]),
        text(&line["org"]),
        text(&chain["stored_time"]),
        text(&line["actor"]),
        text(&line["type"]),
        text(&line["target"]),
        Some(status),
        text(&chain["stored_detail"]),
        text(&line["request_id"]),
    ];
    // `actor_kind` is covered only when present (docs/audit.md).
    let kind = text(&line["actor_kind"]).map(Some);
    let mut hasher = Sha256::new();
    hasher.update(b"rollcall-audit-v1");
    for field in fields.into_iter().chain(kind) {
        match field {
            Some(text) => {
                hasher.update(b"S");
                hasher.update((text.len() as u64).to_be_bytes());
                hasher.update(text.as_bytes());
            }
            None => hasher.update(b"N"),
        }
    }
    hex::encode(hasher.finalize())
}

#[test]
fn an_export_verifies_on_its_own_and_audit_verify_names_the_first_break() {
    for db in TestDb::all() {
        let label = format!("{:?}", db.backend());
        let org = create_org(db.url(), "acme");
        let run = |args: &[&str]| -> Value {
            let mut all = args.to_vec();
            all.extend(["--org", &org.org_id, "--json"]);
            serde_json::from_str(&rollcall(db.url(), &all)).unwrap()
        };
        run(&["workspace", "create", "plans"]);
        run(&["workspace", "create", "q3"]);
        let lines: Vec<Value> = rollcall(db.url(), &["audit", "export", "--org", &org.org_id])
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 5, "{label}: org, two tokens, two workspaces");
        let mut prev = String::new();
        for line in &lines {
            assert_eq!(line["chain"]["prev_hash"], prev.as_str(), "{label}");
            let hash = exported_link(&prev, line);
            assert_eq!(line["chain"]["hash"], hash.as_str(), "{label}: {line}");
            prev = hash;
        }
        let holds = rollcall(db.url(), &["audit", "verify", "--org", &org.org_id]);
        assert!(holds.contains("holds over 5 records"), "{label}: {holds}");
        assert!(holds.contains(&prev), "{label}: the head is shown: {holds}");

        // Edited behind the store's back: the command fails and names the record.
        let guard = match db.backend() {
            rollcall_store::Backend::Sqlite => "DROP TRIGGER audit_events_no_update",
            rollcall_store::Backend::Postgres => {
                "DROP TRIGGER audit_events_no_change ON audit_events"
            }
        };
        db.execute_raw(guard).unwrap();
        let seq = lines[3]["seq"].as_i64().unwrap();
        db.execute_raw(&format!(
            "UPDATE audit_events SET actor = 'admin:someone' WHERE seq = {seq}"
        ))
        .unwrap();
        let output = rollcall_output(db.url(), &["audit", "verify"]);
        assert!(!output.status.success(), "{label}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains(&format!("BROKEN at record seq {seq}")),
            "{label}: {stdout}"
        );
    }
}

#[test]
fn the_organization_may_come_from_rollcall_org() {
    let db = TempSqlite::new();
    let org = create_org(&db.url, "acme");
    let with_env = |args: &[&str], org_id: Option<&str>| {
        let mut command = std::process::Command::new(support::ROLLCALL);
        command.args(args).env("DATABASE_URL", &db.url);
        match org_id {
            Some(id) => command.env("ROLLCALL_ORG", id),
            None => command.env_remove("ROLLCALL_ORG"),
        };
        command.output().unwrap()
    };
    let output = with_env(
        &["workspace", "create", "Sales", "--json"],
        Some(&org.org_id),
    );
    assert!(output.status.success(), "{output:?}");
    let listed = with_env(&["workspace", "list", "--json"], Some(&org.org_id));
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("Sales"),
        "{listed:?}"
    );
    // Without it (and without --org), the command says what it needs.
    let output = with_env(&["workspace", "list"], None);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--org"),
        "{output:?}"
    );
}

#[test]
fn an_organization_may_be_named_by_its_name_when_no_other_has_it() {
    let db = TempSqlite::new();
    let acme = create_org(&db.url, "acme");
    let _twin = create_org(&db.url, "twin");
    let _twin_again = create_org(&db.url, "twin");
    let run = |args: &[&str]| {
        std::process::Command::new(support::ROLLCALL)
            .args(args)
            .env("DATABASE_URL", &db.url)
            .env_remove("ROLLCALL_ORG")
            .output()
            .unwrap()
    };
    let cases: &[(&[&str], bool, &str)] = &[
        // By name: the same as by id.
        (
            &["workspace", "create", "Sales", "--org", "acme", "--json"],
            true,
            "Sales",
        ),
        (
            &["workspace", "list", "--org", &acme.org_id, "--json"],
            true,
            "Sales",
        ),
        (&["token", "list", "--org", "acme"], true, ""),
        (
            &["audit", "export", "--org", "acme"],
            true,
            "workspace.create",
        ),
        (&["audit", "verify", "--org", "acme"], true, ""),
        // An unknown name says which organizations there are.
        (&["workspace", "list", "--org", "nope"], false, "acme ("),
        // A name several organizations share asks for the id.
        (
            &["workspace", "list", "--org", "twin"],
            false,
            "2 organizations are named \"twin\"",
        ),
    ];
    for (args, succeeds, expected) in cases {
        let output = run(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.status.success(), *succeeds, "{args:?}: {text}");
        assert!(text.contains(expected), "{args:?}: {text}");
    }
}
