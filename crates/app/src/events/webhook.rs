//! One webhook delivery: a `POST` of the event's JSON with its signature, on the calling
//! (blocking) thread. Only a 2xx acknowledges it; redirects are not followed. An
//! `https://` receiver is reached over TLS (rustls) and its certificate is verified against
//! Mozilla's root certificates (bundled, not the platform's store): a receiver whose
//! certificate does not verify is a failed delivery, retried like any other.
//!
//! Unless the dispatcher allows private addresses, a delivery reaches public addresses
//! only: the receiver's name is resolved, loopback, private, link-local (cloud metadata),
//! shared, multicast and other special-purpose addresses are dropped, and the connection
//! goes to what is left, so a name that resolves differently on a second lookup cannot
//! lead elsewhere. A receiver with no public address is a failed delivery that says why.
//! Such deliveries connect directly, without an HTTP proxy from the environment (the check
//! would otherwise apply to the proxy's address, not the receiver's).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::tls::{RootCerts, TlsConfig, TlsProvider};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use super::{Event, SIGNATURE_HEADER, signature};

/// An HTTP client for deliveries, with `timeout` for the whole exchange; to public
/// addresses only unless `private_addresses`.
pub(crate) fn agent(timeout: Duration, private_addresses: bool) -> ureq::Agent {
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::WebPki)
        .disable_verification(false)
        .build();
    let config = ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(timeout))
        .user_agent(concat!("rollcall/", env!("CARGO_PKG_VERSION")));
    if private_addresses {
        return config.build().into();
    }
    ureq::Agent::with_parts(
        config.proxy(None).build(),
        DefaultConnector::new(),
        PublicOnly(DefaultResolver::default()),
    )
}

/// A resolver that keeps the public addresses of a name.
#[derive(Debug)]
struct PublicOnly(DefaultResolver);

impl Resolver for PublicOnly {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let resolved = self.0.resolve(uri, config, timeout)?;
        let mut public = self.empty();
        for address in resolved.iter().filter(|address| is_public(address.ip())) {
            public.push(*address);
        }
        if public.is_empty() {
            return Err(ureq::Error::Io(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} has no public address (loopback, private and link-local addresses \
                     are refused unless webhook_allow_private_addresses is set)",
                    uri.host().unwrap_or_default()
                ),
            )));
        }
        Ok(public)
    }
}

/// Where a webhook URL's host leads, as delivery will resolve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WebhookHost {
    /// An IP address, in whatever notation it was written: `127.1`, `2130706433`,
    /// `0x7f000001`, `0177.0.0.1`, `[::ffff:127.0.0.1]` are all `127.0.0.1`, as the system
    /// resolver and the WHATWG URL standard read them.
    Ip(IpAddr),
    /// A name, lower-case, without a trailing dot.
    Name(String),
}

impl WebhookHost {
    /// The host of a URL (IPv6 in brackets), or `None` when it is no host.
    pub(crate) fn parse(host: &str) -> Option<WebhookHost> {
        match url::Host::parse(host).ok()? {
            url::Host::Ipv4(v4) => Some(WebhookHost::Ip(IpAddr::V4(v4))),
            url::Host::Ipv6(v6) => Some(WebhookHost::Ip(IpAddr::V6(v6))),
            url::Host::Domain(name) => Some(WebhookHost::Name(
                name.trim_end_matches('.').to_ascii_lowercase(),
            )),
        }
    }
}

/// Why a delivery could never reach `host` unless private addresses are allowed: an IP
/// address (in any notation) that is not public, a name under `localhost` (RFC 6761,
/// always loopback), or a name for which `resolved` (its addresses, when looked up) holds
/// addresses but no public one. `None` otherwise: what a name resolves to is checked again
/// on every delivery, since it may change.
pub(crate) fn private_host(host: &WebhookHost, resolved: &[IpAddr]) -> Option<&'static str> {
    match host {
        WebhookHost::Ip(ip) => (!is_public(*ip)).then_some("is not a public address"),
        WebhookHost::Name(name) if name == "localhost" || name.ends_with(".localhost") => {
            Some("is a loopback name")
        }
        WebhookHost::Name(_) => (!resolved.is_empty() && !resolved.iter().any(|ip| is_public(*ip)))
            .then_some("resolves to no public address"),
    }
}

/// The addresses of `name` (blocking; the system resolver, as delivery uses it), none when
/// it does not resolve.
pub(crate) fn resolve(name: &str) -> Vec<IpAddr> {
    use std::net::ToSocketAddrs;
    (name, 443)
        .to_socket_addrs()
        .map(|addresses| addresses.map(|address| address.ip()).collect())
        .unwrap_or_default()
}

/// Whether a delivery may go to `ip`. IPv4: not loopback, private (RFC 1918), link-local,
/// shared (RFC 6598), unspecified, broadcast, multicast, IETF protocol assignments
/// (192.0.0.0/24), documentation, benchmarking or reserved. IPv6: global unicast
/// (2000::/3) only, and not its special blocks (2001::/23: Teredo, benchmarking, ORCHID;
/// documentation 2001:db8::/32 and 3fff::/20); so every IPv4-compatible, IPv4-translated,
/// discard-only, unique-local, link-local or multicast address is refused. IPv4 inside IPv6
/// that a network routes to it (mapped, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged as
/// that IPv4.
pub(super) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_v4(v4),
            None => {
                let [first, second, ..] = v6.segments();
                first & 0xe000 == 0x2000
                    && !(first == 0x2001 && second < 0x0200)
                    && !(first == 0x2001 && second == 0x0db8)
                    && !(first == 0x3fff && second < 0x1000)
            }
        },
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, _, _] = v4.octets();
    !(v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || (a == 192 && b == 0 && v4.octets()[2] == 0)
        || a == 0
        || (a == 100 && b & 0xc0 == 64)
        || (a == 198 && b & 0xfe == 18)
        || a >= 240)
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`)
/// or 6to4 (`2002:aabb:ccdd::`) address.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let segments = v6.segments();
    if segments[0] == 0x2002 {
        let [_, _, a, b, c, d, ..] = v6.octets();
        return Some(Ipv4Addr::new(a, b, c, d));
    }
    (segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0]).then(|| {
        let [.., a, b, c, d] = v6.octets();
        Ipv4Addr::new(a, b, c, d)
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        let cases = [
            ("93.184.215.14", true),
            ("8.8.8.8", true),
            ("2606:4700:4700::1111", true),
            ("127.0.0.1", false),
            ("10.1.2.3", false),
            ("172.16.0.1", false),
            ("172.32.0.1", true),
            ("192.168.1.1", false),
            ("169.254.169.254", false),
            ("100.64.0.1", false),
            ("100.128.0.1", true),
            ("0.0.0.0", false),
            ("0.1.2.3", false),
            ("255.255.255.255", false),
            ("224.0.0.1", false),
            ("192.0.2.1", false),
            ("198.18.0.1", false),
            ("198.20.0.1", true),
            ("240.0.0.1", false),
            ("::1", false),
            ("::", false),
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("fe80::1", false),
            ("ff02::1", false),
            ("2001:db8::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:8.8.8.8", true),
            ("64:ff9b::a9fe:a9fe", false),
            ("64:ff9b::808:808", true),
            ("192.0.0.1", false),
            ("192.0.1.1", true),
            ("::127.0.0.1", false),
            ("::8.8.8.8", false),
            ("::ffff:0:127.0.0.1", false),
            ("2002:7f00:1::", false),
            ("2002:a00:1::", false),
            ("2002:808:808::", true),
            ("100::1", false),
            ("2001::1", false),
            ("2001:2::1", false),
            ("2001:1ff::1", false),
            ("2001:200::1", true),
            ("3fff::1", false),
            ("4000::1", false),
            ("64:ff9b:1::1", false),
        ];
        for (text, public) in cases {
            let ip: IpAddr = text.parse().unwrap();
            assert_eq!(is_public(ip), public, "{text}");
        }
    }

    /// Hosts in every notation, and whether delivery could reach them without private
    /// addresses allowed. Creation (`private_host`) and delivery (`PublicOnly`) must agree.
    const HOSTS: &[(&str, bool)] = &[
        ("127.0.0.1", true),
        ("127.1", true),
        ("2130706433", true),
        ("0x7f000001", true),
        ("0177.0.0.1", true),
        ("127.000.000.001", true),
        ("0", true),
        ("0x7f.1", true),
        ("10.0.0.7", true),
        ("012.0.0.7", true),
        ("169.254.169.254", true),
        ("2852039166", true),
        ("100.64.0.1", true),
        ("192.168.0.1", true),
        ("[::1]", true),
        ("[::ffff:127.0.0.1]", true),
        ("[::ffff:7f00:1]", true),
        ("[fc00::1]", true),
        ("[fd12:3456::1]", true),
        ("[fe80::1]", true),
        ("[64:ff9b::a9fe:a9fe]", true),
        ("[::127.0.0.1]", true),
        ("[2002:7f00:1::]", true),
        ("[::ffff:0:127.0.0.1]", true),
        ("192.0.0.1", true),
        ("[100::1]", true),
        ("[2001::7f00:1]", true),
        ("8.8.8.8", false),
        ("134744072", false),
        ("0x8.0x8.0x8.0x8", false),
        ("[2606:4700:4700::1111]", false),
        ("[::ffff:8.8.8.8]", false),
    ];

    #[test]
    fn creation_refuses_every_notation_of_a_private_address() {
        for (host, private) in HOSTS {
            let parsed = WebhookHost::parse(host).unwrap();
            assert_eq!(private_host(&parsed, &[]).is_some(), *private, "{host}");
        }
    }

    #[test]
    fn delivery_agrees_with_creation() {
        // IP literals in every notation: the system resolver reads them without asking a
        // name server, so this stays on the machine.
        let resolver = PublicOnly(DefaultResolver::default());
        let config = Config::default();
        for (host, private) in HOSTS {
            let uri: Uri = format!("http://{host}/hook").parse().unwrap();
            let outcome = resolver.resolve(&uri, &config, NextTimeout::default());
            assert_eq!(outcome.is_err(), *private, "{host}: {outcome:?}");
        }
    }

    #[test]
    fn names_are_judged_by_what_they_resolve_to() {
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let private: IpAddr = "10.1.2.3".parse().unwrap();
        let public: IpAddr = "8.8.8.8".parse().unwrap();
        let cases: [(&str, &[IpAddr], bool); 8] = [
            ("localhost", &[], true),
            ("LocalHost.", &[], true),
            ("api.localhost", &[], true),
            ("hooks.example.com", &[loopback], true),
            ("hooks.example.com", &[private, loopback], true),
            ("hooks.example.com", &[private, public], false),
            ("hooks.example.com", &[], false),
            ("localhost.example.com", &[public], false),
        ];
        for (host, resolved, refused) in cases {
            let parsed = WebhookHost::parse(host).unwrap();
            assert_eq!(
                private_host(&parsed, resolved).is_some(),
                refused,
                "{host} {resolved:?}"
            );
        }
    }
}
