//! Configuration of `rollcall serve`: flags and environment variables (through clap),
//! an optional TOML file, defaults; validated once at startup with messages that say what
//! to fix. The only place that reads a config file.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::cli::{DEFAULT_BIND, DEFAULT_DATABASE_URL, ServeArgs};

/// The smallest `max_body_bytes` accepted (a SCIM user is about a kilobyte).
const MIN_BODY_BYTES: usize = 4 * 1024;
/// The largest `max_body_bytes` accepted.
const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;
/// How many days the outbox keeps delivered events unless the file says otherwise.
pub const DEFAULT_EVENT_RETENTION_DAYS: u32 = 7;
/// The longest `event_retention_days` accepted (ten years).
const MAX_EVENT_RETENTION_DAYS: u32 = 3650;

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The config file: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    bind: Option<String>,
    max_body_bytes: Option<usize>,
    log_format: Option<LogFormat>,
    event_poll_interval_ms: Option<u64>,
    webhook_retry_base_ms: Option<u64>,
    webhook_retry_max_ms: Option<u64>,
    event_lease_ms: Option<u64>,
    event_retention_days: Option<u32>,
    webhook_allow_private_addresses: Option<bool>,
    trusted_proxies: Option<Vec<String>>,
    oauth_token_lifetime_seconds: Option<u64>,
    metrics_bind: Option<String>,
    metrics_on_main_address: Option<bool>,
    metrics_per_org: Option<bool>,
    database_statement_cache: Option<bool>,
}

/// What `serve` runs with, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The database URL (`sqlite://…` or `postgres://…`).
    pub database_url: String,
    /// The address to listen on.
    pub bind: SocketAddr,
    /// The request body limit.
    pub max_body_bytes: usize,
    /// The log format.
    pub log_format: LogFormat,
    /// Create a demo organization on an empty database.
    pub demo: bool,
    /// How events are polled and webhook deliveries retried.
    pub events: rollcall_app::events::DispatcherConfig,
    /// How long the outbox keeps an event every consumer has acknowledged.
    pub event_retention: chrono::Duration,
    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How long an access token from `POST /oauth/token` is valid.
    pub oauth_token_lifetime: std::time::Duration,
    /// Where `/metrics` gets a server of its own, if anywhere.
    pub metrics_bind: Option<SocketAddr>,
    /// Serve `/metrics` on the main address too.
    pub metrics_on_main_address: bool,
    /// Label request and operation metrics by organization.
    pub metrics_per_org: bool,
    /// PostgreSQL: keep prepared statements per connection (off behind a pooler in
    /// transaction mode; `ROLLCALL_DATABASE_STATEMENT_CACHE=off` turns it off too).
    pub statement_cache: bool,
}

impl Settings {
    /// Merge flags/environment (already in `args`), the config file and the defaults, and
    /// validate the result.
    pub fn resolve(args: &ServeArgs) -> anyhow::Result<Settings> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let events = dispatcher_config(&file)?;
        let database_url = args
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        check_database_url(&database_url)?;
        let bind_text = args
            .bind
            .clone()
            .or(file.bind)
            .unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let bind = parse_bind(&bind_text)?;
        let max_body_bytes = file
            .max_body_bytes
            .unwrap_or_else(|| rollcall_http::ScimConfig::default().max_body_bytes);
        if !(MIN_BODY_BYTES..=MAX_BODY_BYTES).contains(&max_body_bytes) {
            bail!(
                "max_body_bytes = {max_body_bytes} is out of range: use {MIN_BODY_BYTES}..={MAX_BODY_BYTES}"
            );
        }
        let retention_days = file
            .event_retention_days
            .unwrap_or(DEFAULT_EVENT_RETENTION_DAYS);
        if !(1..=MAX_EVENT_RETENTION_DAYS).contains(&retention_days) {
            bail!(
                "event_retention_days = {retention_days} is out of range: use 1..={MAX_EVENT_RETENTION_DAYS}"
            );
        }
        let trusted_proxies = file
            .trusted_proxies
            .unwrap_or_default()
            .iter()
            .map(|text| {
                text.trim()
                    .parse::<std::net::IpAddr>()
                    .map_err(|_| anyhow::anyhow!("trusted_proxies: {text:?} is not an IP address"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let lifetime = file.oauth_token_lifetime_seconds.unwrap_or(3600);
        if !(60..=86_400).contains(&lifetime) {
            bail!("oauth_token_lifetime_seconds = {lifetime} is out of range: use 60..=86400");
        }
        let metrics_bind = match args.metrics_bind.clone().or(file.metrics_bind) {
            Some(text) if text.trim().is_empty() => None,
            Some(text) => {
                Some(parse_bind(text.trim()).context("metrics_bind: the address of /metrics")?)
            }
            None => None,
        };
        if metrics_bind.is_some_and(|metrics| metrics == bind) {
            bail!(
                "metrics_bind = {bind} is the main address: to serve /metrics there, set \
                 metrics_on_main_address = true and leave metrics_bind out"
            );
        }
        Ok(Settings {
            metrics_bind,
            metrics_on_main_address: file.metrics_on_main_address.unwrap_or(false),
            metrics_per_org: file.metrics_per_org.unwrap_or(false),
            statement_cache: file.database_statement_cache.unwrap_or(true),
            oauth_token_lifetime: std::time::Duration::from_secs(lifetime),
            trusted_proxies,
            events,
            event_retention: chrono::Duration::days(i64::from(retention_days)),
            database_url,
            bind,
            max_body_bytes,
            log_format: file.log_format.unwrap_or(LogFormat::Text),
            demo: args.demo,
        })
    }
}

/// The dispatcher's timings from the file (milliseconds), over the defaults.
fn dispatcher_config(file: &FileConfig) -> anyhow::Result<rollcall_app::events::DispatcherConfig> {
    use std::time::Duration;
    let mut events = rollcall_app::events::DispatcherConfig::default();
    let checked = |key: &str, value: Option<u64>| -> anyhow::Result<Option<Duration>> {
        match value {
            Some(ms) if !(1..=86_400_000).contains(&ms) => {
                bail!("{key} = {ms} is out of range: use 1..=86400000 (milliseconds)")
            }
            other => Ok(other.map(Duration::from_millis)),
        }
    };
    if let Some(poll) = checked("event_poll_interval_ms", file.event_poll_interval_ms)? {
        events.poll_interval = poll;
    }
    if let Some(base) = checked("webhook_retry_base_ms", file.webhook_retry_base_ms)? {
        events.retry_base = base;
    }
    if let Some(max) = checked("webhook_retry_max_ms", file.webhook_retry_max_ms)? {
        events.retry_max = max;
    }
    if let Some(lease) = checked("event_lease_ms", file.event_lease_ms)? {
        events.lease = lease;
    }
    if let Some(allow) = file.webhook_allow_private_addresses {
        events.private_addresses = allow;
    }
    if events.retry_max < events.retry_base {
        bail!("webhook_retry_max_ms must not be below webhook_retry_base_ms");
    }
    Ok(events)
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| {
        format!(
            "invalid config file {} (keys: database_url, bind, max_body_bytes, log_format = \"text\"|\"json\", event_poll_interval_ms, webhook_retry_base_ms, webhook_retry_max_ms, event_lease_ms, event_retention_days, webhook_allow_private_addresses, trusted_proxies, oauth_token_lifetime_seconds, metrics_bind, metrics_on_main_address, metrics_per_org, database_statement_cache)",
            path.display()
        )
    })
}

/// Parse `IP:PORT` (or `host:PORT`, resolved to its first address).
pub fn parse_bind(text: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    let mut addresses = text.to_socket_addrs().with_context(|| {
        format!("invalid bind address {text:?}: expected IP:PORT, e.g. 127.0.0.1:8080")
    })?;
    addresses
        .next()
        .with_context(|| format!("bind address {text:?} resolves to no address"))
}

/// Refuse a URL that is neither SQLite nor PostgreSQL, before touching anything.
pub fn check_database_url(url: &str) -> anyhow::Result<()> {
    let supported = ["sqlite://", "postgres://", "postgresql://"];
    let Some(scheme) = supported.iter().find(|scheme| url.starts_with(**scheme)) else {
        bail!(
            "unsupported database URL {:?}: use sqlite://PATH (e.g. {DEFAULT_DATABASE_URL}) or postgres://USER@HOST:PORT/DB",
            redact(url)
        );
    };
    if url.len() == scheme.len() {
        bail!("database URL {url:?} names no database");
    }
    Ok(())
}

/// The environment variable that holds the operator's key-encryption key.
pub const KEY_ENCRYPTION_KEY_VAR: &str = "ROLLCALL_KEY_ENCRYPTION_KEY";

/// The store's options for this process: `base` with the key-encryption key from
/// `ROLLCALL_KEY_ENCRYPTION_KEY` (64 hexadecimal digits; users' data keys are stored
/// wrapped with it, PRODUCT.md §6), read from the environment only, as a secret should be,
/// and the statement cache turned off if `ROLLCALL_DATABASE_STATEMENT_CACHE=off`.
pub fn store_options(
    base: rollcall_store::StoreOptions,
) -> anyhow::Result<rollcall_store::StoreOptions> {
    let key = match std::env::var(KEY_ENCRYPTION_KEY_VAR) {
        Ok(text) if !text.trim().is_empty() => Some(
            rollcall_store::KeyEncryptionKey::from_hex(&text)
                .map_err(|error| anyhow::anyhow!("{KEY_ENCRYPTION_KEY_VAR}: {error}"))?,
        ),
        _ => None,
    };
    let statement_cache = match std::env::var(STATEMENT_CACHE_VAR) {
        Ok(text) => match text.trim().to_ascii_lowercase().as_str() {
            "" => base.statement_cache,
            "on" | "true" | "1" => true,
            "off" | "false" | "0" => false,
            other => bail!("{STATEMENT_CACHE_VAR}={other:?}: use on or off"),
        },
        Err(_) => base.statement_cache,
    };
    Ok(rollcall_store::StoreOptions {
        key_encryption_key: key,
        statement_cache,
        ..base
    })
}

/// The environment variable that turns PostgreSQL's per-connection statement cache off
/// (`off`) for every command, as a pooler in transaction mode needs (`docs/scaling.md`).
pub const STATEMENT_CACHE_VAR: &str = "ROLLCALL_DATABASE_STATEMENT_CACHE";

/// Create `./data` when the default SQLite URL is used and it does not exist yet.
pub fn prepare_database(url: &str) -> anyhow::Result<()> {
    check_database_url(url)?;
    if url == DEFAULT_DATABASE_URL {
        std::fs::create_dir_all("./data")
            .context("cannot create ./data for the default SQLite database")?;
    }
    Ok(())
}

/// A database URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{path}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_parses_and_sets_every_key() {
        let text = include_str!("../../../rollcall.example.toml");
        let file: FileConfig = toml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        // Destructured without `..`: a new key fails to compile here until it is added.
        let FileConfig {
            database_url,
            bind,
            max_body_bytes,
            log_format,
            event_poll_interval_ms,
            webhook_retry_base_ms,
            webhook_retry_max_ms,
            event_lease_ms,
            event_retention_days,
            webhook_allow_private_addresses,
            trusted_proxies,
            oauth_token_lifetime_seconds,
            metrics_bind,
            metrics_on_main_address,
            metrics_per_org,
            database_statement_cache,
        } = file;
        assert!(metrics_bind.is_some() && metrics_on_main_address.is_some());
        assert!(metrics_per_org.is_some());
        assert_eq!(
            database_statement_cache,
            Some(rollcall_store::StoreOptions::default().statement_cache)
        );
        assert!(database_url.is_some() && bind.is_some() && max_body_bytes.is_some());
        assert!(log_format.is_some() && event_poll_interval_ms.is_some());
        assert!(webhook_retry_base_ms.is_some() && webhook_retry_max_ms.is_some());
        assert!(event_lease_ms.is_some() && event_retention_days.is_some());
        assert!(webhook_allow_private_addresses.is_some() && trusted_proxies.is_some());
        assert!(oauth_token_lifetime_seconds.is_some());
        // And each is the default: the example changes nothing.
        let dispatcher = rollcall_app::events::DispatcherConfig::default();
        assert_eq!(database_url.as_deref(), Some(DEFAULT_DATABASE_URL));
        assert_eq!(bind.as_deref(), Some(DEFAULT_BIND));
        assert_eq!(
            max_body_bytes,
            Some(rollcall_http::ScimConfig::default().max_body_bytes)
        );
        assert_eq!(
            event_poll_interval_ms.map(std::time::Duration::from_millis),
            Some(dispatcher.poll_interval)
        );
        assert_eq!(
            webhook_retry_base_ms.map(std::time::Duration::from_millis),
            Some(dispatcher.retry_base)
        );
        assert_eq!(
            webhook_retry_max_ms.map(std::time::Duration::from_millis),
            Some(dispatcher.retry_max)
        );
        assert_eq!(
            event_lease_ms.map(std::time::Duration::from_millis),
            Some(dispatcher.lease)
        );
        assert_eq!(log_format, Some(LogFormat::Text));
        assert_eq!(event_retention_days, Some(DEFAULT_EVENT_RETENTION_DAYS));
        assert_eq!(webhook_allow_private_addresses, Some(false));
        assert_eq!(trusted_proxies, Some(Vec::new()));
        assert_eq!(oauth_token_lifetime_seconds, Some(3600));
    }

    #[test]
    fn database_urls() {
        for (url, ok) in [
            ("sqlite://./data/rollcall.db", true),
            ("sqlite:///tmp/x.db", true),
            ("postgres://postgres@127.0.0.1:5432/test", true),
            ("postgresql://postgres@127.0.0.1/test", true),
            ("mysql://root@localhost/db", false),
            ("./data/rollcall.db", false),
            ("sqlite://", false),
        ] {
            assert_eq!(check_database_url(url).is_ok(), ok, "{url}");
        }
    }

    #[test]
    fn passwords_are_redacted() {
        for (url, expected) in [
            (
                "postgres://u:secret@h:5432/db",
                "postgres://u:***@h:5432/db",
            ),
            ("postgres://u@h/db", "postgres://u:***@h/db"),
            ("sqlite://./data/x.db", "sqlite://./data/x.db"),
        ] {
            assert_eq!(redact(url), expected);
        }
    }

    #[test]
    fn bind_addresses() {
        assert_eq!(
            parse_bind("127.0.0.1:8080").ok(),
            "127.0.0.1:8080".parse().ok()
        );
        assert!(parse_bind("localhost:0").is_ok());
        assert!(parse_bind("8080").is_err());
        assert!(parse_bind("127.0.0.1:99999").is_err());
    }

    fn args(config: Option<std::path::PathBuf>) -> ServeArgs {
        ServeArgs {
            config,
            database_url: None,
            bind: None,
            metrics_bind: None,
            demo: false,
        }
    }

    #[test]
    fn defaults_without_a_file() {
        let settings = Settings::resolve(&args(None)).unwrap();
        assert_eq!(settings.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(settings.bind.to_string(), DEFAULT_BIND);
        assert_eq!(settings.log_format, LogFormat::Text);
        assert_eq!(settings.event_retention, chrono::Duration::days(7));
        assert!(!settings.events.private_addresses);
    }

    #[test]
    fn config_files() {
        let dir = std::env::temp_dir().join(format!("rollcall-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cases = [
            (
                "database_url = \"sqlite:///tmp/a.db\"\nbind = \"127.0.0.1:9000\"\nmax_body_bytes = 65536\nlog_format = \"json\"\nevent_retention_days = 30\nwebhook_allow_private_addresses = true\noauth_token_lifetime_seconds = 600\n",
                Ok(()),
            ),
            ("event_retention_days = 0", Err("out of range")),
            ("event_retention_days = 3651", Err("out of range")),
            ("oauth_token_lifetime_seconds = 59", Err("out of range")),
            ("oauth_token_lifetime_seconds = 86401", Err("out of range")),
            ("bind = \"nowhere\"", Err("invalid bind address")),
            ("max_body_bytes = 10", Err("out of range")),
            ("log_format = \"xml\"", Err("invalid config file")),
            ("colour = true", Err("invalid config file")),
            (
                "database_url = \"mysql://x\"",
                Err("unsupported database URL"),
            ),
        ];
        for (index, (text, expected)) in cases.into_iter().enumerate() {
            let path = dir.join(format!("{index}.toml"));
            std::fs::write(&path, text).unwrap();
            let result = Settings::resolve(&args(Some(path)));
            match (result, expected) {
                (Ok(settings), Ok(())) => {
                    assert_eq!(settings.database_url, "sqlite:///tmp/a.db");
                    assert_eq!(settings.bind.port(), 9000);
                    assert_eq!(settings.max_body_bytes, 65536);
                    assert_eq!(settings.log_format, LogFormat::Json);
                    assert_eq!(settings.event_retention, chrono::Duration::days(30));
                    assert!(settings.events.private_addresses);
                    assert_eq!(settings.oauth_token_lifetime.as_secs(), 600);
                }
                (Err(error), Err(message)) => {
                    let text = format!("{error:#}");
                    assert!(text.contains(message), "{text:?} lacks {message:?}");
                }
                (result, expected) => panic!("{text}: {result:?} vs {expected:?}"),
            }
        }
        let missing = Settings::resolve(&args(Some(dir.join("missing.toml"))));
        assert!(format!("{:#}", missing.unwrap_err()).contains("cannot read the config file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
