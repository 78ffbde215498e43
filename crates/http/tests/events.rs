//! Events on every test database: each kind of SCIM write appends its event (with its data)
//! in its own transaction and a failed write appends none; the webhook admin endpoints
//! validate, never show a secret and keep to their organization; and the dispatcher
//! delivers to a loopback receiver (signed, in order, filtered by type, retried after a
//! 500) and to an in-process subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::Method;
use common::{Harness, admin, code, group, patch, request, user, wait_for, with_json};
use rollcall_app::events::{
    Dispatcher, DispatcherConfig, Event, EventSubscriber, StartAt, SubscriberError, signature,
};
use rollcall_store::testing::TestDb;
use rollcall_store::{AuditQuery, NewWebhook, TokenKind};
use serde_json::{Value, json};

/// The organization's events: (type, data).
fn events(h: &Harness, org_id: &str) -> Vec<(String, Value)> {
    h.store
        .read(|tx| tx.outbox().events_after(org_id, 0, 10_000))
        .unwrap()
        .into_iter()
        .map(|event| (event.event_type, event.data))
        .collect()
}

#[actix_web::test]
async fn every_scim_write_emits_its_events_with_their_data() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let label = h.label();
        let scim = h.a.token.clone();

        let ann = create!(app, &scim, "Users", user("ann"));
        let bob = create!(app, &scim, "Users", user("bob"));
        let uri = |kind: &str, id: &str| format!("/scim/v2/{kind}/{id}");
        // Okta's deactivation (a value object), then Entra's (a string "False") on bob.
        let okta_off = patch(json!([{"op": "replace", "value": {"active": false}}]));
        let reply = send!(
            app,
            with_json(Method::PATCH, &uri("Users", &ann), &scim, &okta_off)
        );
        assert_eq!(reply.status, 200, "{label} {}", reply.body);
        let entra_off = patch(json!([{"op": "Replace", "path": "active", "value": "False"}]));
        let reply = send!(
            app,
            with_json(Method::PATCH, &uri("Users", &bob), &scim, &entra_off)
        );
        assert_eq!(reply.status, 200, "{label} {}", reply.body);
        // A PUT reactivates ann (and renames her).
        let mut again = user("ann.smith");
        again["active"] = json!(true);
        let reply = send!(
            app,
            with_json(Method::PUT, &uri("Users", &ann), &scim, &again)
        );
        assert_eq!(reply.status, 200, "{label} {}", reply.body);
        // A PUT deactivates bob once more? No: he is inactive; a PUT with active=false
        // changes nothing about his lifecycle.
        let mut still_off = user("bob");
        still_off["active"] = json!(false);
        let reply = send!(
            app,
            with_json(Method::PUT, &uri("Users", &bob), &scim, &still_off)
        );
        assert_eq!(reply.status, 200, "{label} {}", reply.body);

        let eng = create!(app, &scim, "Groups", group("eng", &[&ann]));
        // Adding ann (already there) and bob: only bob was added.
        let add = patch(json!([{"op": "add", "path": "members",
                                "value": [{"value": ann}, {"value": bob}]}]));
        let reply = send!(
            app,
            with_json(Method::PATCH, &uri("Groups", &eng), &scim, &add)
        );
        assert_eq!(reply.status, 204, "{label} {}", reply.body);
        // Removing bob and a stranger: only bob was removed.
        let remove = patch(
            json!([{"op": "remove", "path": format!("members[value eq \"{bob}\"]")},
                                  {"op": "remove", "path": "members[value eq \"nobody\"]"}]),
        );
        let reply = send!(
            app,
            with_json(Method::PATCH, &uri("Groups", &eng), &scim, &remove)
        );
        assert_eq!(reply.status, 204, "{label} {}", reply.body);
        let rename =
            patch(json!([{"op": "replace", "path": "displayName", "value": "Engineering"}]));
        let reply = send!(
            app,
            with_json(Method::PATCH, &uri("Groups", &eng), &scim, &rename)
        );
        assert_eq!(reply.status, 204, "{label} {}", reply.body);
        // A PUT swaps ann for bob.
        let reply = send!(
            app,
            with_json(
                Method::PUT,
                &uri("Groups", &eng),
                &scim,
                &group("Engineering", &[&bob])
            )
        );
        assert_eq!(reply.status, 200, "{label} {}", reply.body);
        // Deleting a member of another group (a group, a user) leaves it first.
        let ops = create!(app, &scim, "Groups", group("ops", &[&ann, &eng]));
        let reply = send!(app, request(Method::DELETE, &uri("Groups", &eng), &scim));
        assert_eq!(reply.status, 204);
        let reply = send!(app, request(Method::DELETE, &uri("Users", &ann), &scim));
        assert_eq!(reply.status, 204);
        let mut ops_members = vec![ann.clone(), eng.clone()];
        ops_members.sort();

        let expected = vec![
            (
                "user.created",
                json!({"id": ann, "userName": "ann", "active": true}),
            ),
            (
                "user.created",
                json!({"id": bob, "userName": "bob", "active": true}),
            ),
            (
                "user.updated",
                json!({"id": ann, "userName": "ann", "active": false, "changed": ["active"]}),
            ),
            ("user.deactivated", json!({"id": ann, "userName": "ann"})),
            (
                "user.updated",
                json!({"id": bob, "userName": "bob", "active": false, "changed": ["active"]}),
            ),
            ("user.deactivated", json!({"id": bob, "userName": "bob"})),
            (
                "user.updated",
                json!({"id": ann, "userName": "ann.smith", "active": true,
                                    "changed": ["active", "emails", "name", "userName"]}),
            ),
            (
                "user.reactivated",
                json!({"id": ann, "userName": "ann.smith"}),
            ),
            ("group.created", json!({"id": eng, "displayName": "eng"})),
            (
                "group.member_added",
                json!({"group_id": eng, "members": [ann]}),
            ),
            (
                "group.member_added",
                json!({"group_id": eng, "members": [bob]}),
            ),
            (
                "group.member_removed",
                json!({"group_id": eng, "members": [bob]}),
            ),
            (
                "group.updated",
                json!({"id": eng, "displayName": "Engineering", "changed": ["displayName"]}),
            ),
            (
                "group.member_added",
                json!({"group_id": eng, "members": [bob]}),
            ),
            (
                "group.member_removed",
                json!({"group_id": eng, "members": [ann]}),
            ),
            ("group.created", json!({"id": ops, "displayName": "ops"})),
            (
                "group.member_added",
                json!({"group_id": ops, "members": ops_members}),
            ),
            (
                "group.member_removed",
                json!({"group_id": ops, "members": [eng]}),
            ),
            ("group.deleted", json!({"id": eng})),
            (
                "group.member_removed",
                json!({"group_id": ops, "members": [ann]}),
            ),
            ("user.deleted", json!({"id": ann})),
        ];
        let actual = events(&h, &h.a.org_id);
        let actual: Vec<(&str, Value)> = actual
            .iter()
            .map(|(event_type, data)| (event_type.as_str(), data.clone()))
            .collect();
        for (index, (want, got)) in expected.iter().zip(&actual).enumerate() {
            assert_eq!(want, got, "{label}: event {index}");
        }
        assert_eq!(actual.len(), expected.len(), "{label}: {actual:#?}");
        // The deletions' records name the groups they left.
        for (operation, id) in [("group.delete", &eng), ("user.delete", &ann)] {
            let records = h
                .store
                .read(|tx| {
                    tx.audit().query(
                        &h.a.org_id,
                        &AuditQuery {
                            operation: Some(operation.to_owned()),
                            limit: 10,
                            ..AuditQuery::default()
                        },
                    )
                })
                .unwrap();
            assert_eq!(records.len(), 1, "{label} {operation}");
            assert_eq!(
                records[0].target,
                format!("{}:{id}", &operation[..operation.len() - 7])
            );
            assert_eq!(
                records[0].detail["left_groups"],
                json!([ops]),
                "{label} {operation}"
            );
        }
        // Another organization's outbox is its own.
        let other = h.tenant("Globex");
        assert!(events(&h, &other.org_id).is_empty());
    }
}

#[actix_web::test]
async fn a_failed_write_emits_nothing_and_a_bulk_failure_only_loses_its_own() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let label = h.label();
        let scim = h.a.token.clone();
        let ann = create!(app, &scim, "Users", user("ann"));
        let before = events(&h, &h.a.org_id).len();

        let failures = [
            with_json(Method::POST, "/scim/v2/Users", &scim, &user("ANN")), // 409
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Users/{ann}"),
                &scim,
                &patch(json!([{"op": "jump", "path": "active", "value": false}])),
            ), // 400
            with_json(
                Method::PUT,
                &format!("/scim/v2/Users/{ann}"),
                &scim,
                &user("ann"),
            )
            .insert_header(("If-Match", "W/\"99\"")), // 412
            with_json(
                Method::POST,
                "/scim/v2/Groups",
                &scim,
                &group("eng", &["no-such-user"]),
            ), // 400
        ];
        for failure in failures {
            let reply = send!(app, failure);
            assert!(reply.status >= 400, "{label}: {}", reply.body);
        }
        assert_eq!(events(&h, &h.a.org_id).len(), before, "{label}");

        // A bulk request: the failing operation emits nothing, the other its event.
        let bulk = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "a", "data": user("ann")},
                {"method": "POST", "path": "/Users", "bulkId": "b", "data": user("bob")},
            ]
        });
        let reply = send!(app, with_json(Method::POST, "/scim/v2/Bulk", &scim, &bulk));
        assert_eq!(reply.status, 200, "{label} {}", reply.body);
        let after = events(&h, &h.a.org_id);
        let new: Vec<(&str, &Value)> = after[before..]
            .iter()
            .map(|(event_type, data)| (event_type.as_str(), &data["userName"]))
            .collect();
        assert_eq!(new, [("user.created", &json!("bob"))], "{label}");
    }
}

#[actix_web::test]
async fn webhook_endpoints_validate_hide_the_secret_and_keep_to_their_org() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let token = Some(token.as_str());
        let valid = json!({"url": "https://hooks.example.com/rollcall", "secret": "s3cr3t-value",
                           "events": ["user.deactivated", "user.deleted"]});
        let with = |key: &str, value: Value| {
            let mut body = valid.clone();
            body[key] = value;
            body
        };
        let without = |key: &str| {
            let mut body = valid.clone();
            body.as_object_mut().unwrap().remove(key);
            body
        };
        let invalid = [
            (without("url"), "url is required"),
            (with("url", json!("ftp://example.com/x")), "http"),
            (with("url", json!("http:///path-only")), "url"),
            (with("url", json!("not a url")), "url"),
            (with("url", json!(42)), "url"),
            (
                with("url", json!("http://example.com:99999/h")),
                "port 99999",
            ),
            (with("url", json!("http://example.com:0/h")), "port 0"),
            (
                with("url", json!("https://u:p@[2001:db8::1]:70000/h")),
                "port 70000",
            ),
            (without("secret"), "secret is required"),
            (with("secret", json!("")), "secret"),
            (without("events"), "events is required"),
            (with("events", json!([])), "events"),
            (with("events", json!("user.deleted")), "events"),
            (with("events", json!(["user.exploded"])), "user.exploded"),
            (with("events", json!([1])), "strings"),
            (with("extra", json!(true)), "extra"),
        ];
        // Hosts that can only be private: refused unless the server allows them.
        let private = [
            ("http://127.0.0.1:9/x", "host 127.0.0.1 is not a public"),
            ("http://10.1.2.3/x", "webhook_allow_private_addresses"),
            ("http://169.254.169.254/", "169.254.169.254"),
            ("http://[::1]:8080/x", "[::1]"),
            ("https://[::ffff:127.0.0.1]/x", "not a public"),
            ("http://localhost:8080/x", "loopback name"),
            ("http://Hooks.LOCALHOST./x", "loopback name"),
            // Other notations of private addresses, as resolvers read them.
            ("http://127.1/", "not a public"),
            ("http://2130706433/", "not a public"),
            ("http://0x7f000001/", "not a public"),
            ("http://0177.0.0.1/", "not a public"),
            ("http://0/", "not a public"),
            ("http://127.000.000.001/", "not a public"),
            ("http://[fc00::1]/", "not a public"),
            ("http://100.64.0.1/", "not a public"),
            // IPv6 forms that embed IPv4 or are not global unicast (found by probing).
            ("http://[::127.0.0.1]/", "not a public"),
            ("http://[2002:7f00:1::]/", "not a public"),
            ("http://[::ffff:0:127.0.0.1]/", "not a public"),
            ("http://[100::1]/", "not a public"),
            ("http://192.0.0.1/", "not a public"),
        ]
        .map(|(url, needle)| (with("url", json!(url)), needle));
        for (body, needle) in invalid.into_iter().chain(private) {
            let (status, reply, _) = call!(
                app,
                admin("POST", "/admin/v1/webhooks", token, Some(body.clone()))
            );
            assert_eq!(
                (status, code(&reply)),
                (400, "invalid_request"),
                "{label} {body}: {reply}"
            );
            let message = reply["error"]["message"].as_str().unwrap();
            assert!(message.contains(needle), "{label} {body}: {message}");
        }
        let (status, created, _) = call!(
            app,
            admin("POST", "/admin/v1/webhooks", token, Some(valid.clone()))
        );
        assert_eq!(status, 201, "{label} {created}");
        assert_eq!(created["url"], "https://hooks.example.com/rollcall");
        assert_eq!(
            created["events"],
            json!(["user.deactivated", "user.deleted"])
        );
        assert_eq!(created["delivery"]["attempts"], 0);
        let id = created["id"].as_str().unwrap().to_owned();
        let star = json!({"url": "http://203.0.114.9:9/x", "secret": "k", "events": ["*"]});
        let (status, _, _) = call!(app, admin("POST", "/admin/v1/webhooks", token, Some(star)));
        assert_eq!(status, 201);

        let (status, listed, _) = call!(app, admin("GET", "/admin/v1/webhooks", token, None));
        assert_eq!(status, 200);
        assert_eq!(listed["webhooks"].as_array().unwrap().len(), 2);
        for text in [created.to_string(), listed.to_string()] {
            assert!(
                !text.contains("s3cr3t") && !text.contains("\"secret\""),
                "{text}"
            );
        }

        // Another organization's admin sees none of them and cannot delete them.
        let other = h.tenant("Globex");
        let (_, other_token) = h.token(&other.org_id, TokenKind::Admin, None);
        let other_token = Some(other_token.as_str());
        let (_, theirs, _) = call!(app, admin("GET", "/admin/v1/webhooks", other_token, None));
        assert_eq!(theirs["webhooks"], json!([]));
        let path = format!("/admin/v1/webhooks/{id}");
        let (status, reply, _) = call!(app, admin("DELETE", &path, other_token, None));
        assert_eq!((status, code(&reply)), (404, "not_found"), "{label}");
        let (status, _, _) = call!(app, admin("DELETE", &path, token, None));
        assert_eq!(status, 204);
        let (status, _, _) = call!(app, admin("DELETE", &path, token, None));
        assert_eq!(status, 404);
        let (status, _, _) = call!(app, admin("GET", "/admin/v1/webhooks", None, None));
        assert_eq!(status, 401);
        let (status, _, allow) = call!(app, admin("PUT", "/admin/v1/webhooks", token, None));
        assert_eq!((status, allow.as_deref()), (405, Some("GET, POST")));

        // A server that allows private addresses takes them.
        let h = h.allowing_private_webhooks();
        let app = app_with_admin!(h);
        for url in ["http://127.0.0.1:9/x", "http://localhost:9/x"] {
            let local = json!({"url": url, "secret": "k", "events": ["*"]});
            let (status, created, _) =
                call!(app, admin("POST", "/admin/v1/webhooks", token, Some(local)));
            assert_eq!((status, &created["url"]), (201, &json!(url)), "{label}");
        }
    }
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    status: u16,
    content_type: String,
    signature: String,
    body: String,
}

/// A loopback HTTP server answering the `statuses` in turn (then 200), recording every
/// request.
fn receiver(statuses: Vec<u16>) -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&received);
    std::thread::spawn(move || {
        for (index, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                headers.push(line.trim_end().to_owned());
            }
            let header = |name: &str| {
                headers
                    .iter()
                    .find_map(|line| {
                        let (key, value) = line.split_once(':')?;
                        key.eq_ignore_ascii_case(name)
                            .then(|| value.trim().to_owned())
                    })
                    .unwrap_or_default()
            };
            let length: usize = header("content-length").parse().unwrap_or(0);
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let status = statuses.get(index).copied().unwrap_or(200);
            log.lock().unwrap().push(Received {
                status,
                content_type: header("content-type"),
                signature: header("x-rollcall-signature"),
                body: String::from_utf8(body).unwrap(),
            });
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (port, received)
}

/// An in-process subscriber that fails its first call, then records.
struct Recorder {
    failed_once: Mutex<bool>,
    seen: Mutex<Vec<Event>>,
}

impl EventSubscriber for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }

    fn handle(&self, event: &Event) -> Result<(), SubscriberError> {
        let mut failed = self.failed_once.lock().unwrap();
        if !*failed {
            *failed = true;
            return Err("not yet".into());
        }
        self.seen.lock().unwrap().push(event.clone());
        Ok(())
    }
}

#[actix_web::test]
async fn the_dispatcher_delivers_signed_in_order_filtered_with_retries() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let label = h.label();
        let scim = h.a.token.clone();
        let (port, received) = receiver(vec![500]);
        let types = vec!["user.created".to_owned(), "user.deactivated".to_owned()];
        let secret = "loopback-secret";
        h.store
            .write(|tx| {
                tx.webhooks().create(
                    &h.a.org_id,
                    &NewWebhook {
                        url: &format!("http://127.0.0.1:{port}/hook"),
                        secret,
                        event_types: &types,
                    },
                    chrono::Utc::now(),
                )
            })
            .unwrap();
        // Another organization's webhook on the same receiver gets none of Acme's events.
        let globex = h.tenant("Globex");
        let all = vec!["*".to_owned()];
        h.store
            .write(|tx| {
                tx.webhooks().create(
                    &globex.org_id,
                    &NewWebhook {
                        url: &format!("http://127.0.0.1:{port}/other"),
                        secret: "other",
                        event_types: &all,
                    },
                    chrono::Utc::now(),
                )
            })
            .unwrap();

        let ann = create!(app, &scim, "Users", user("ann"));
        let _bob = create!(app, &scim, "Users", user("bob"));
        let off = patch(json!([{"op": "replace", "path": "active", "value": false}]));
        let reply = send!(
            app,
            with_json(Method::PATCH, &format!("/scim/v2/Users/{ann}"), &scim, &off)
        );
        assert_eq!(reply.status, 200);

        let recorder = Arc::new(Recorder {
            failed_once: Mutex::new(false),
            seen: Mutex::new(Vec::new()),
        });
        let config = DispatcherConfig {
            poll_interval: Duration::from_millis(20),
            retry_base: Duration::from_millis(50),
            retry_max: Duration::from_millis(200),
            delivery_timeout: Duration::from_secs(5),
            // The receiver listens on loopback.
            private_addresses: true,
            ..DispatcherConfig::default()
        };
        let dispatcher = Dispatcher::new(h.store.clone())
            .with_config(config)
            .subscribe(recorder.clone())
            .spawn();
        // 1 refused + 3 acknowledged deliveries; 4 events for the subscriber.
        wait_for("the deliveries", || received.lock().unwrap().len() >= 4);
        wait_for("the subscriber", || {
            recorder.seen.lock().unwrap().len() >= 4
        });
        // No more than that, even a little later.
        std::thread::sleep(Duration::from_millis(300));
        dispatcher.stop();

        let received = received.lock().unwrap().clone();
        assert_eq!(received.len(), 4, "{label}: {received:#?}");
        assert_eq!(received[0].status, 500);
        assert_eq!(
            received[0].body, received[1].body,
            "{label}: the refused event is retried"
        );
        let mut delivered = Vec::new();
        for request in &received {
            assert_eq!(request.content_type, "application/json");
            assert_eq!(
                request.signature,
                signature(secret.as_bytes(), request.body.as_bytes()),
                "{label}"
            );
            let event: Value = serde_json::from_str(&request.body).unwrap();
            let mut keys: Vec<&str> = event
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            assert_eq!(keys, ["data", "id", "occurred_at", "org_id", "type"]);
            assert_eq!(event["org_id"], h.a.org_id.as_str());
            if request.status == 200 {
                delivered.push((
                    event["type"].as_str().unwrap().to_owned(),
                    event["data"]["userName"].clone(),
                ));
            }
        }
        let expected = [
            ("user.created", json!("ann")),
            ("user.created", json!("bob")),
            ("user.deactivated", json!("ann")),
        ];
        let delivered: Vec<(&str, Value)> = delivered
            .iter()
            .map(|(t, n)| (t.as_str(), n.clone()))
            .collect();
        assert_eq!(
            delivered, expected,
            "{label}: in order, user.updated filtered out"
        );

        let seen: Vec<String> = recorder
            .seen
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.event_type.clone())
            .collect();
        assert_eq!(
            seen,
            [
                "user.created",
                "user.created",
                "user.updated",
                "user.deactivated"
            ],
            "{label}: the subscriber gets everything, in order, after its failure"
        );
        // The cursors are in the database.
        let last = h
            .store
            .read(|tx| tx.outbox().events_after(&h.a.org_id, 0, 100))
            .unwrap()
            .last()
            .unwrap()
            .seq;
        let hooks = h.store.read(|tx| tx.webhooks().list(&h.a.org_id)).unwrap();
        let state = h
            .store
            .read(|tx| tx.consumers().state(&hooks[0].consumer(), &h.a.org_id))
            .unwrap()
            .unwrap();
        assert_eq!(
            (state.delivered_seq, state.attempts, state.lease_owner),
            (last, 0, None)
        );
    }
}

#[actix_web::test]
async fn two_dispatchers_on_one_database_deliver_each_event_once_in_order() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let label = h.label();
        let (port, received) = receiver(Vec::new());
        let all = vec!["*".to_owned()];
        h.store
            .write(|tx| {
                tx.webhooks().create(
                    &h.a.org_id,
                    &NewWebhook {
                        url: &format!("http://127.0.0.1:{port}/hook"),
                        secret: "shared",
                        event_types: &all,
                    },
                    chrono::Utc::now(),
                )
            })
            .unwrap();
        let names: Vec<String> = (0..12).map(|n| format!("user{n:02}")).collect();
        for name in &names {
            let _id = create!(app, &h.a.token, "Users", user(name));
        }
        let config = DispatcherConfig {
            poll_interval: Duration::from_millis(10),
            private_addresses: true,
            ..DispatcherConfig::default()
        };
        // Two "instances": each its own owner id, one database.
        let first = Dispatcher::new(h.store.clone())
            .with_config(config.clone())
            .spawn();
        let second = Dispatcher::new(h.store.clone()).with_config(config).spawn();
        wait_for("the deliveries", || {
            received.lock().unwrap().len() >= names.len()
        });
        std::thread::sleep(Duration::from_millis(300));
        first.stop();
        second.stop();
        let delivered: Vec<String> = received
            .lock()
            .unwrap()
            .iter()
            .map(|request| {
                let event: Value = serde_json::from_str(&request.body).unwrap();
                event["data"]["userName"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(delivered, names, "{label}: each once, in order");
    }
}

#[actix_web::test]
async fn a_change_of_effective_roles_emits_access_changed_with_its_delta() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app_with_admin!(h);
        let label = h.label();
        let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let adm = Some(admin_token.as_str());
        let scim = h.a.token.clone();

        let ann = create!(app, &scim, "Users", user("ann"));
        let eng = create!(app, &scim, "Groups", group("eng", &[]));
        let plain = create!(app, &scim, "Groups", group("plain", &[]));
        let (status, ws, _) = call!(
            app,
            admin(
                "POST",
                "/admin/v1/workspaces",
                adm,
                Some(json!({"name": "q3"}))
            )
        );
        assert_eq!(status, 201, "{label} {ws}");
        let ws = ws["id"].as_str().unwrap().to_owned();
        let grant = json!({"principal": {"type": "group", "id": eng},
                           "resource": {"type": "workspace", "id": ws}, "role": "editor"});
        let (status, body, _) = call!(app, admin("POST", "/admin/v1/grants", adm, Some(grant)));
        assert_eq!(status, 201, "{label} {body}");
        // A grant to an empty group changes nobody's role: no event.
        let changed = |h: &Harness| -> Vec<Value> {
            events(h, &h.a.org_id)
                .into_iter()
                .filter(|(kind, _)| kind == "access.changed")
                .map(|(_, data)| data)
                .collect()
        };
        assert_eq!(changed(&h), Vec::<Value>::new(), "{label}");

        // Joining a group without grants changes nothing either.
        let join = |group: &str| {
            with_json(
                Method::PATCH,
                &format!("/scim/v2/Groups/{group}"),
                &scim,
                &patch(json!([{"op": "add", "path": "members", "value": [{"value": ann}]}])),
            )
        };
        assert_eq!(send!(app, join(&plain)).status, 204, "{label}");
        assert_eq!(changed(&h), Vec::<Value>::new(), "{label}");

        // Joining eng makes ann an editor of q3; suspending her takes it away.
        assert_eq!(send!(app, join(&eng)).status, 204, "{label}");
        let off = patch(json!([{"op": "replace", "value": {"active": false}}]));
        let reply = send!(
            app,
            with_json(Method::PATCH, &format!("/scim/v2/Users/{ann}"), &scim, &off)
        );
        assert_eq!(reply.status, 200, "{label}");
        let resource = format!("workspace:{ws}");
        assert_eq!(
            changed(&h),
            vec![
                json!({"cause": "group.patch", "target": format!("group:{eng}"),
                       "changes": [{"user": ann, "resource": resource, "before": null, "after": "editor"}]}),
                json!({"cause": "user.patch", "target": format!("user:{ann}"),
                       "changes": [{"user": ann, "resource": resource, "before": "editor", "after": null}]}),
            ],
            "{label}"
        );
    }
}

#[actix_web::test]
async fn webhooks_reach_no_private_address_by_default() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let label = h.label();
        // A listener nothing may connect to.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let all = vec!["*".to_owned()];
        for url in [
            format!("http://127.0.0.1:{port}/hook"),
            format!("http://localhost:{port}/hook"),
            format!("http://[::ffff:127.0.0.1]:{port}/hook"),
            "http://169.254.169.254/latest/meta-data".to_owned(),
            "http://10.0.0.1/hook".to_owned(),
        ] {
            let hook = h
                .store
                .write(|tx| {
                    tx.webhooks().create(
                        &h.a.org_id,
                        &NewWebhook {
                            url: &url,
                            secret: "s",
                            event_types: &all,
                        },
                        chrono::Utc::now(),
                    )
                })
                .unwrap();
            let _user = create!(app, &h.a.token, "Users", user(&format!("u{}", hook.id)));
            Dispatcher::new(h.store.clone()).run_once().unwrap();
            let state = h
                .store
                .read(|tx| tx.consumers().state(&hook.consumer(), &h.a.org_id))
                .unwrap()
                .unwrap();
            let error = state.last_error.unwrap_or_default();
            assert!(
                error.contains("has no public address"),
                "{label} {url}: {error:?}"
            );
            assert_eq!(state.attempts, 1, "{label} {url}");
            assert!(
                listener.accept().is_err(),
                "{label} {url}: a connection reached the listener"
            );
            h.store
                .write(|tx| tx.webhooks().delete(&h.a.org_id, &hook.id))
                .unwrap();
        }
    }
}

/// A subscriber that records the `userName`s it is told were created, starting where
/// it asks.
struct Starter {
    name: &'static str,
    start: StartAt,
    seen: Mutex<Vec<String>>,
}

impl EventSubscriber for Starter {
    fn name(&self) -> &str {
        self.name
    }

    fn start_at(&self) -> StartAt {
        self.start
    }

    fn handle(&self, event: &Event) -> Result<(), SubscriberError> {
        if event.event_type == "user.created" {
            let name = event.data["userName"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            self.seen.lock().unwrap().push(name);
        }
        Ok(())
    }
}

#[actix_web::test]
async fn a_new_subscriber_starts_at_the_oldest_retained_event_or_from_now() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let app = app!(h);
        let label = h.label();
        let scim = h.a.token.clone();
        let _before = create!(app, &scim, "Users", user("before"));
        let starter = |name, start| {
            Arc::new(Starter {
                name,
                start,
                seen: Mutex::new(Vec::new()),
            })
        };
        let oldest = starter("oldest", StartAt::OldestRetained);
        let now = starter("now", StartAt::Now);
        let config = DispatcherConfig {
            poll_interval: Duration::from_millis(20),
            ..DispatcherConfig::default()
        };
        // `now` first: one pass serves the subscribers in order, so by the time `oldest`
        // has seen "before", `now` has met the organization.
        let dispatcher = Dispatcher::new(h.store.clone())
            .with_config(config)
            .subscribe(now.clone())
            .subscribe(oldest.clone())
            .spawn();
        wait_for("the first pass", || !oldest.seen.lock().unwrap().is_empty());
        let _after = create!(app, &scim, "Users", user("after"));
        wait_for("both", || {
            oldest.seen.lock().unwrap().len() >= 2 && !now.seen.lock().unwrap().is_empty()
        });
        dispatcher.stop();
        assert_eq!(*oldest.seen.lock().unwrap(), ["before", "after"], "{label}");
        assert_eq!(
            *now.seen.lock().unwrap(),
            ["after"],
            "{label}: what happened before its first pass is not delivered"
        );
    }
}
