//! Structured logs on stderr (stdout stays for command output such as `org create --json`).
//! `RUST_LOG` filters (default `info`, with actix's own startup and shutdown chatter at
//! `warn`: "starting 2 workers" would land in the middle of the demo banner; our own
//! `listening` and `stopped` lines say what matters). Nothing here or anywhere in the binary
//! logs a token.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// The filter when `RUST_LOG` is unset.
const DEFAULT_FILTER: &str = "info,actix_server=warn";

/// Install the global subscriber.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
