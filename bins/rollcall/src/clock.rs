//! The binary's one reading of the system time: every command and background job asks
//! here, and passes `now` on (`clippy.toml` forbids reading the clock anywhere else).

use chrono::{DateTime, Utc};

/// The current time.
pub fn now() -> DateTime<Utc> {
    #[allow(clippy::disallowed_methods)] // the binary's clock
    Utc::now()
}
