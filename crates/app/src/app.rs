//! [`App`]: what every request shares, and the entry point of the request surface.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rollcall_store::Store;
use scim_core::SchemaRegistry;

use crate::clock::Clock;
use crate::config::ScimConfig;
use crate::counters::{CounterSnapshot, Counters};
use crate::credential::issuers::{IssuerRegistry, JwtIssuers};
use crate::credential::oauth::OAuthTokens;
use crate::credential::{Authenticator, Authenticators, OpaqueTokens};
use crate::latency::Latencies;
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::org_schemas::OrgSchemas;
use crate::request::Request;
use crate::transaction::Database;

/// Who `/Me` is for a request: the SCIM `id` of its user, or `None` when the request names
/// nobody (a 404).
pub type MeResolver = Arc<dyn Fn(&Request) -> Option<String> + Send + Sync>;

/// The application: the store, the schemas, the limits, the clock, the credentials it
/// accepts and what it counts. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct App {
    pub(crate) database: Database,
    /// The standard schemas.
    pub(crate) standard: Arc<SchemaRegistry>,
    pub(crate) config: Arc<ScimConfig>,
    /// The registries of organizations with custom extension schemas.
    pub(crate) org_schemas: Arc<OrgSchemas>,
    pub(crate) counters: Arc<Counters>,
    /// The Prometheus metrics, this instance's.
    pub(crate) metrics: Metrics,
    /// Recent SCIM request latencies per organization, this instance's.
    pub(crate) latencies: Arc<Latencies>,
    pub(crate) clock: Clock,
    pub(crate) authenticators: Arc<Authenticators>,
    /// The instance's rate limits.
    pub(crate) limits: Arc<Limits>,
    /// The trusted JWT issuers as this instance last read them.
    pub(crate) issuers: Arc<IssuerRegistry>,
    /// Who `/Me` is, when the embedder says.
    pub(crate) me: Option<MeResolver>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("store", &self.database.store)
            .field("config", &self.config)
            .field("authenticators", &self.authenticators)
            .field("me", &self.me.as_ref().map(|_| "resolver"))
            .finish_non_exhaustive()
    }
}

impl App {
    /// The application over `store`, with the standard schemas, and as its credentials
    /// the store's opaque tokens, the access tokens of its OAuth clients and JWTs of the
    /// issuers its organizations trust.
    pub fn new(store: Store, config: ScimConfig) -> App {
        let database = Database::new(store);
        let issuers = Arc::new(IssuerRegistry::default());
        let mut authenticators = Authenticators::new(OpaqueTokens);
        authenticators.push(OAuthTokens::default());
        authenticators.push(JwtIssuers::new(
            database.clone(),
            Arc::clone(&issuers),
            config.allow_private_webhook_addresses,
        ));
        let counters = Arc::<Counters>::default();
        let metrics = Metrics::new(Arc::clone(&counters), config.metrics_per_org);
        App {
            database,
            standard: Arc::new(SchemaRegistry::standard()),
            config: Arc::new(config),
            org_schemas: Arc::default(),
            counters,
            metrics,
            latencies: Arc::default(),
            clock: Clock::system(),
            authenticators: Arc::new(authenticators),
            limits: Arc::default(),
            issuers,
            me: None,
        }
    }

    /// Read the time from `clock` instead of the system clock: every timestamp written and
    /// every window checked (token expiry, cursor expiry, reactivation, purge) uses it.
    /// Tests use it to move time forward; clones share it.
    pub fn with_clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> App {
        self.clock = Clock::from_fn(clock);
        self
    }

    /// Accept one more kind of credential, asked after those already accepted.
    pub fn with_authenticator(mut self, authenticator: impl Authenticator) -> App {
        Arc::make_mut(&mut self.authenticators).push(authenticator);
        self
    }

    /// Let `/Me` (RFC 7644 §3.11) serve the user `resolver` names for a request: its SCIM
    /// `id`, from whatever the embedding service authenticates (a header its proxy sets, a
    /// session). The credential still names the organization. `None` from the resolver is
    /// a 404. Without a resolver, `/Me` answers 501.
    pub fn with_me(
        mut self,
        resolver: impl Fn(&Request) -> Option<String> + Send + Sync + 'static,
    ) -> App {
        self.me = Some(Arc::new(resolver));
        self
    }

    /// The current time, as the application's clock tells it.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The store this application serves.
    pub fn store(&self) -> &Store {
        &self.database.store
    }

    /// The limits this application enforces.
    pub fn config(&self) -> &ScimConfig {
        &self.config
    }

    /// This instance's Prometheus metrics (give them to the event dispatcher, so it counts
    /// webhook deliveries; [`App::scrape`] answers `/metrics`).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// What this instance counted since the application was made: tolerated IdP
    /// deviations by name, failed reads, refused credentials and limited requests.
    pub fn counters(&self) -> CounterSnapshot {
        self.counters.snapshot()
    }

    /// How many times each IdP deviation (PRODUCT.md §3) was tolerated in the lenient
    /// dialect since the application was made, by the deviation's metric name
    /// ([`scim_core::Deviation::name`]): one entry per deviation, zeros included, in the
    /// order of [`scim_core::Deviation::ALL`]. Only requests that were applied count; a
    /// deviation met twice in one request counts twice.
    pub fn deviation_counts(&self) -> Vec<(&'static str, u64)> {
        self.counters.snapshot().deviations
    }
}
