//! Webhook deliveries to `https://` URLs go over TLS with the receiver's certificate
//! verified, on every test database: a loopback receiver presenting a self-signed
//! certificate (for 127.0.0.1, so only the issuer is wrong) is refused with a certificate
//! error, and one that is not a TLS server (it answers every request with 200) never sees
//! a plaintext request that it could acknowledge. Either way the failure is in the
//! webhook's `last_error` (`GET /admin/v1/webhooks`) and the event stays pending.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Harness, admin, user, wait_for};
use rollcall_app::events::{Dispatcher, DispatcherConfig};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};

/// A certificate for `127.0.0.1` (CN and subjectAltName), signed by its own key.
const SELF_SIGNED_CERT: &[u8] = include_bytes!("fixtures/self-signed.cert.pem");
/// Its private key (test-only, PKCS#8).
const SELF_SIGNED_KEY: &[u8] = include_bytes!("fixtures/self-signed.key.pem");

/// What a receiver made of one connection: `Ok` with the plaintext it read (an HTTP request
/// it answered with 200), or `Err` with why no request came through.
type Connections = Arc<Mutex<Vec<Result<String, String>>>>;

/// The kinds of loopback receiver at `https://127.0.0.1:PORT/hook`.
#[derive(Debug, Clone, Copy)]
enum Receiver {
    /// A TLS server with the self-signed certificate.
    SelfSigned,
    /// A plain HTTP server.
    PlainHttp,
}

/// Start `kind` on a loopback port: (port, what each connection came to).
fn receiver(kind: Receiver) -> (u16, Connections) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections: Connections = Arc::default();
    let log = Arc::clone(&connections);
    let config = match kind {
        Receiver::SelfSigned => Some(Arc::new(server_config())),
        Receiver::PlainHttp => None,
    };
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let outcome = match &config {
                Some(config) => serve_tls(stream, Arc::clone(config)),
                None => serve_plain(stream),
            };
            log.lock().unwrap().push(outcome);
        }
    });
    (port, connections)
}

/// A rustls server configuration presenting the self-signed certificate.
fn server_config() -> rustls::ServerConfig {
    let certificate = CertificateDer::from_pem_slice(SELF_SIGNED_CERT).unwrap();
    let key = PrivateKeyDer::from_pem_slice(SELF_SIGNED_KEY).unwrap();
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certificate], key)
        .unwrap()
}

/// Read a request's head from `stream` and answer 200: `Ok(head)`, or the read's error.
fn answer_ok(stream: &mut impl ReadWrite) -> Result<String, String> {
    let mut head = Vec::new();
    let mut buffer = [0; 4096];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream
            .read(&mut buffer)
            .map_err(|error| error.to_string())?;
        if read == 0 {
            return Err(format!("closed after {} bytes", head.len()));
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let _ = stream.flush();
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// `Read + Write`, for `answer_ok` over a TCP or a TLS stream.
trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// A TLS handshake, then (were it to succeed) a request answered with 200.
fn serve_tls(stream: TcpStream, config: Arc<rustls::ServerConfig>) -> Result<String, String> {
    let connection = rustls::ServerConnection::new(config).map_err(|error| error.to_string())?;
    let mut tls = rustls::StreamOwned::new(connection, stream);
    answer_ok(&mut tls)
}

/// A plain HTTP exchange: whatever arrives, a 200 once a request head has been read. A
/// TLS ClientHello is no request head, so the 200 it gets is no HTTP answer to it either.
fn serve_plain(mut stream: TcpStream) -> Result<String, String> {
    let mut first = [0; 1];
    stream
        .read_exact(&mut first)
        .map_err(|error| error.to_string())?;
    if first[0] == 0x16 {
        // A TLS handshake record: answer in plain HTTP, as a misconfigured receiver would.
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        let _ = stream.flush();
        return Err("a TLS ClientHello, answered in plain HTTP".to_owned());
    }
    let mut rest = first.to_vec();
    rest.extend(answer_ok(&mut stream)?.bytes());
    Ok(String::from_utf8_lossy(&rest).into_owned())
}

#[actix_web::test]
async fn https_deliveries_verify_the_receivers_certificate_and_stay_pending_on_failure() {
    // (receiver, what last_error must say)
    let cases = [
        (
            Receiver::SelfSigned,
            "invalid peer certificate: UnknownIssuer",
        ),
        (
            Receiver::PlainHttp,
            "received corrupt message of type InvalidContentType",
        ),
    ];
    for db in TestDb::all() {
        // The receivers listen on loopback.
        let h = Harness::new(db).allowing_private_webhooks();
        let app = app_with_admin!(h);
        let (_, token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let token = Some(token.as_str());
        for (kind, expected) in cases {
            let label = format!("{} {kind:?}", h.label());
            let (port, connections) = receiver(kind);
            let url = format!("https://127.0.0.1:{port}/hook");
            let body = json!({"url": url, "secret": "tls-secret", "events": ["*"]});
            let (status, created, _) =
                call!(app, admin("POST", "/admin/v1/webhooks", token, Some(body)));
            assert_eq!(status, 201, "{label}: {created}");
            let id = created["id"].as_str().unwrap().to_owned();
            let start = created["delivery"]["delivered_seq"].as_i64().unwrap();
            let _user = create!(app, &h.a.token, "Users", user(&format!("{kind:?}")));
            let hooks = h.store.read(|tx| tx.webhooks().list(&h.a.org_id)).unwrap();
            let hook = hooks.iter().find(|hook| hook.id == id).unwrap();
            let consumer = hook.consumer();

            let config = DispatcherConfig {
                poll_interval: Duration::from_millis(20),
                retry_base: Duration::from_millis(50),
                retry_max: Duration::from_millis(200),
                delivery_timeout: Duration::from_secs(5),
                // The receivers listen on loopback.
                private_addresses: true,
                ..DispatcherConfig::default()
            };
            let dispatcher = Dispatcher::new(h.store.clone()).with_config(config).spawn();
            // Two failed attempts: the failure is recorded and retried, not acknowledged.
            wait_for(&format!("{label}: two failed attempts"), || {
                h.store
                    .read(|tx| tx.consumers().state(&consumer, &h.a.org_id))
                    .unwrap()
                    .is_some_and(|state| state.attempts >= 2)
            });
            dispatcher.stop();

            let (status, listed, _) = call!(app, admin("GET", "/admin/v1/webhooks", token, None));
            assert_eq!(status, 200, "{label}");
            let listed: Vec<&Value> = listed["webhooks"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|webhook| webhook["id"] == id.as_str())
                .collect();
            let delivery = &listed[0]["delivery"];
            let error = delivery["last_error"].as_str().unwrap_or_default();
            assert!(error.contains(expected), "{label}: {delivery}");
            assert_eq!(delivery["delivered_seq"], start, "{label}: {delivery}");
            // The event is still there for the next attempt.
            let pending = h
                .store
                .read(|tx| tx.outbox().events_after(&h.a.org_id, start, 100))
                .unwrap();
            assert!(
                pending
                    .iter()
                    .any(|event| event.event_type == "user.created"),
                "{label}"
            );

            let connections = connections.lock().unwrap().clone();
            assert!(!connections.is_empty(), "{label}: the receiver was reached");
            assert!(
                connections.iter().all(Result::is_err),
                "{label}: no plaintext request got through: {connections:?}"
            );

            let path = format!("/admin/v1/webhooks/{id}");
            let (status, _, _) = call!(app, admin("DELETE", &path, token, None));
            assert_eq!(status, 204, "{label}");
        }
    }
}
