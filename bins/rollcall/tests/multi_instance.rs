//! Three real `rollcall serve` processes on one PostgreSQL database, as a deployment of N
//! stateless instances runs: users are created through all three while slow webhook
//! receivers take their events, and the instance delivering is SIGKILLed mid-delivery.
//! Every event still reaches each webhook, in order per organization; the only duplicates
//! are re-sends of an event whose first attempt's outcome was unknown (the one in flight
//! when its instance died), carrying the same event id, right after the first.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rollcall_store::testing::TestDb;
use serde_json::Value;
use support::{
    Serving, TempSqlite, create_org, create_user, fast_webhook_config, free_port, rollcall,
};

/// What the receiver got, per path: (event id, userName) in arrival order.
type Received = Arc<Mutex<BTreeMap<String, Vec<(String, String)>>>>;

/// A loopback HTTP receiver that takes `delay` over each delivery, then answers 200.
fn slow_receiver(port: u16, delay: Duration) -> Received {
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let received: Received = Arc::default();
    let log = Arc::clone(&received);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let log = Arc::clone(&log);
            std::thread::spawn(move || answer(stream, &log, delay));
        }
    });
    received
}

fn answer(mut stream: std::net::TcpStream, log: &Received, delay: Duration) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_owned();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    // Received: whatever happens to the sender now, the event got here.
    let event: Value = serde_json::from_slice(&body).unwrap();
    let id = event["id"].as_str().unwrap_or_default().to_owned();
    let user_name = event["data"]["userName"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    log.lock()
        .unwrap()
        .entry(path)
        .or_default()
        .push((id, user_name));
    std::thread::sleep(delay);
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

fn create_webhook(database_url: &str, org_id: &str, url: &str) {
    rollcall(
        database_url,
        &[
            "webhook",
            "create",
            "--org",
            org_id,
            "--url",
            url,
            "--allow-private-address",
            "--secret",
            "multi-instance-secret",
            "--events",
            "user.created",
            "--json",
        ],
    );
}

/// The arrivals with adjacent repeats of one event collapsed, and how many repeats there
/// were; panics if a repeat is of another event than the one just before (a duplicate out
/// of order) or carries another userName than its first delivery.
fn collapse(arrivals: &[(String, String)]) -> (Vec<String>, usize) {
    let mut names: Vec<String> = Vec::new();
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    let mut repeats = 0;
    let mut last: Option<&str> = None;
    for (id, name) in arrivals {
        if let Some(first_name) = seen.get(id.as_str()) {
            assert_eq!(
                last,
                Some(id.as_str()),
                "event {id} delivered again, but not right after itself: {arrivals:#?}"
            );
            assert_eq!(first_name, name, "a duplicate carries the same event");
            repeats += 1;
            continue;
        }
        seen.insert(id, name);
        names.push(name.clone());
        last = Some(id.as_str());
    }
    (names, repeats)
}

#[test]
fn three_instances_deliver_every_event_in_order_across_a_kill() {
    let Some(db) = TestDb::postgres() else {
        eprintln!(
            "three_instances_deliver_every_event_in_order_across_a_kill: skipped, PostgreSQL does not answer"
        );
        return;
    };
    let url = db.url().to_owned();
    let dir = TempSqlite::new();
    let config = fast_webhook_config(&dir, 1500);
    let port = free_port();
    let received = slow_receiver(port, Duration::from_millis(60));
    let (acme, globex) = (create_org(&url, "acme"), create_org(&url, "globex"));
    let hook = |path: &str| format!("http://127.0.0.1:{port}/{path}");
    create_webhook(&url, &acme.org_id, &hook("acme-1"));
    create_webhook(&url, &acme.org_id, &hook("acme-2"));
    create_webhook(&url, &globex.org_id, &hook("globex-1"));

    let mut instances: Vec<Serving> = (0..3)
        .map(|_| Serving::start(&url, Some(&config), &[("RUST_LOG", "error")]))
        .collect();
    let per_org = 24;
    let mut expected: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for k in 0..per_org {
        for (org, name) in [(&acme, "acme"), (&globex, "globex")] {
            let user_name = format!("{name}-{k:03}@example.com");
            let instance = &instances[k % instances.len()];
            let created = create_user(&instance.base_url, &org.scim_token, &user_name);
            assert_eq!(created.status, 201, "{:?}", created.body);
            expected.entry(name).or_default().push(user_name);
        }
    }

    // Wait for deliveries to be under way, then kill the instance holding a lease.
    let deadline = Instant::now() + Duration::from_secs(60);
    let killed = loop {
        assert!(Instant::now() < deadline, "no delivery started");
        let arrived: usize = received.lock().unwrap().values().map(Vec::len).sum();
        let holder = db
            .count(
                "SELECT COALESCE(MIN(split_part(lease_owner, '-', 1)::bigint), 0) \
                 FROM outbox_consumers WHERE lease_owner IS NOT NULL \
                 AND consumer LIKE 'webhook:%'",
            )
            .unwrap();
        if arrived >= 4
            && let Some(index) = instances
                .iter()
                .position(|instance| i64::from(instance.pid()) == holder)
        {
            instances[index].kill();
            break index;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let survivors: Vec<&Serving> = instances
        .iter()
        .enumerate()
        .filter(|(index, _)| *index != killed)
        .map(|(_, instance)| instance)
        .collect();
    assert_eq!(survivors.len(), 2);

    // Every event reaches each webhook.
    let paths = [
        ("/acme-1", "acme"),
        ("/acme-2", "acme"),
        ("/globex-1", "globex"),
    ];
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let done = {
            let received = received.lock().unwrap();
            paths.iter().all(|(path, org)| {
                let (names, _) = collapse(received.get(*path).map_or(&[][..], Vec::as_slice));
                names.len() >= expected[org].len()
            })
        };
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not every event arrived: {:#?}",
            received.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Nothing more trickles in afterwards.
    std::thread::sleep(Duration::from_secs(2));
    let received = received.lock().unwrap().clone();
    let mut repeats_in_all = 0;
    for (path, org) in paths {
        let arrivals = &received[path];
        let (names, repeats) = collapse(arrivals);
        assert_eq!(names, expected[org], "{path}: every event, in order");
        assert!(
            repeats <= 1,
            "{path}: only the delivery in flight at the kill may repeat: {arrivals:#?}"
        );
        repeats_in_all += repeats;
    }
    assert!(repeats_in_all <= 3, "{repeats_in_all}");
    // The survivors still serve.
    for instance in survivors {
        let reply = create_user(
            &instance.base_url,
            &acme.scim_token,
            &format!("late-{}", instance.pid()),
        );
        assert_eq!(reply.status, 201);
    }
}
