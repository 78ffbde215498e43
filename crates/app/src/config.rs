//! The limits and defaults of the request surface.

/// Limits and defaults of the SCIM endpoints, and what the admin API accepts as a webhook.
#[derive(Debug, Clone)]
pub struct ScimConfig {
    /// The largest request body accepted (413 beyond).
    pub max_body_bytes: usize,
    /// `count` when the client gives none.
    pub default_page_size: u64,
    /// The largest `count` honoured (larger ones are clamped).
    pub max_page_size: u64,
    /// `/Bulk`: the most operations in one request (`maxOperations`; 413 beyond).
    pub max_bulk_operations: u32,
    /// `/Bulk`: the largest request body (`maxPayloadSize`; 413 beyond).
    pub max_bulk_payload_bytes: usize,
    /// `POST /admin/v1/webhooks` accepts URLs whose host is a private IP address or a
    /// `localhost` name. Off by default: an organization's admin may not point deliveries
    /// at the server's own network. Set it together with
    /// [`crate::events::DispatcherConfig::private_addresses`], which governs delivery.
    pub allow_private_webhook_addresses: bool,
    /// The reverse proxies in front of the server: a request whose connection comes from
    /// one of them is from the client `X-Forwarded-For` names (the last address in it that
    /// is not a trusted proxy). Used to limit failed authentications per client address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How long an access token from `POST /oauth/token` is valid (default one hour; at
    /// most [`rollcall_store::MAX_TOKEN_LIFETIME`]).
    pub oauth_token_lifetime: std::time::Duration,
    /// Add an `org` label (the organization's id) to the request and operation metrics.
    /// Off by default: every organization multiplies those series.
    pub metrics_per_org: bool,
    /// Serve `/metrics` on the main address, where `rollcall_http::configure_health` mounts
    /// the health checks. Off by default, so the metrics are not public by accident; an
    /// operator who leaves it off serves them on an address of their own
    /// (`rollcall_http::configure_metrics`, `metrics_bind` in `rollcall serve`).
    pub metrics_on_main_address: bool,
}

impl Default for ScimConfig {
    fn default() -> Self {
        ScimConfig {
            max_body_bytes: 1024 * 1024,
            default_page_size: 100,
            max_page_size: 1000,
            max_bulk_operations: 1000,
            max_bulk_payload_bytes: 1024 * 1024,
            allow_private_webhook_addresses: false,
            trusted_proxies: Vec::new(),
            oauth_token_lifetime: std::time::Duration::from_secs(3600),
            metrics_per_org: false,
            metrics_on_main_address: false,
        }
    }
}
