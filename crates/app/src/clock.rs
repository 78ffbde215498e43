//! Where the application reads the time: the system clock unless an embedder or a test
//! gives another ([`crate::App::with_clock`]). Every timestamp written and every window
//! checked (token and cursor expiry, reactivation, purge, latency windows) reads it, so this
//! is the one place the system time is read (`clippy.toml` forbids it elsewhere).

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// A source of the current time, shared by every clone of the application.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        #[allow(clippy::disallowed_methods)] // the one reading of the system time
        Clock(Arc::new(Utc::now))
    }

    /// A clock that asks `now`.
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}
