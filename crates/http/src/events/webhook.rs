//! One webhook delivery: a `POST` of the event's JSON with its signature, on the calling
//! (blocking) thread. Only a 2xx acknowledges it; redirects are not followed. An
//! `https://` receiver is reached over TLS (rustls) and its certificate is verified against
//! Mozilla's root certificates (bundled, not the platform's store): a receiver whose
//! certificate does not verify is a failed delivery, retried like any other.

use std::time::Duration;

use ureq::tls::{RootCerts, TlsConfig, TlsProvider};

use super::{Event, SIGNATURE_HEADER, signature};

/// An HTTP client for deliveries, with `timeout` for the whole exchange.
pub(super) fn agent(timeout: Duration) -> ureq::Agent {
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::WebPki)
        .disable_verification(false)
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(timeout))
        .user_agent(concat!("rollcall/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// POST `event` to `url`, signed with `secret`: `Ok` on a 2xx, otherwise what went wrong.
pub(super) fn deliver(
    agent: &ureq::Agent,
    url: &str,
    secret: &str,
    event: &Event,
) -> Result<(), String> {
    let body = event.to_json().to_string();
    let signed = signature(secret.as_bytes(), body.as_bytes());
    let response = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header(SIGNATURE_HEADER, &signed)
        .send(body.as_bytes())
        .map_err(|error| error.to_string())?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered HTTP {}", status.as_u16()))
    }
}
