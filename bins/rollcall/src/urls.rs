//! The URLs the binary prints: where a listen address is reached.

use std::net::SocketAddr;

/// `http://HOST:PORT/scim/v2` for a listen address (an unspecified IP becomes loopback).
pub fn scim_base_url(address: SocketAddr) -> String {
    let mut address = address;
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{address}/scim/v2")
}

#[cfg(test)]
mod tests {
    use super::scim_base_url;

    #[test]
    fn base_urls() {
        for (address, expected) in [
            ("127.0.0.1:8080", "http://127.0.0.1:8080/scim/v2"),
            ("0.0.0.0:80", "http://127.0.0.1:80/scim/v2"),
            ("[::1]:8080", "http://[::1]:8080/scim/v2"),
        ] {
            assert_eq!(scim_base_url(address.parse().unwrap()), expected);
        }
    }
}
