//! What every handler shares: the store, the schemas, the limits and the semaphore that
//! keeps blocking work within the pool size.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use rollcall_store::{ResourceKind, Store};
use scim_core::discovery::{BulkLimits, CursorPaging, PaginationMethod};
use scim_core::schema::ResourceType;
use scim_core::{SchemaRegistry, ScimError, ServiceProviderFeatures};
use tokio::sync::Semaphore;

use crate::ScimConfig;
use crate::me::MeResolver;
use crate::metrics::DeviationCounters;
use crate::org_registry::OrgRegistries;

/// What the handlers share: the store, the schemas, the limits.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Store,
    pub(crate) registry: Arc<SchemaRegistry>,
    pub(crate) config: Arc<ScimConfig>,
    /// One permit per pooled connection: blocking work waits here (asynchronously)
    /// instead of tying up a blocking thread while it waits for a connection.
    pub(crate) permits: Arc<Semaphore>,
    /// The registries of organizations with custom extension schemas.
    pub(crate) org_registries: Arc<OrgRegistries>,
    /// How often each IdP deviation was tolerated (shared by every clone of the state).
    pub(crate) deviations: Arc<DeviationCounters>,
    /// Who `/Me` is, when the embedder says (`with_me`).
    pub(crate) me: Option<MeResolver>,
    /// The time every write and every check of a window reads (`with_clock`).
    pub(crate) clock: Clock,
    /// Recent SCIM request latencies per organization, this instance's (`latency.rs`).
    pub(crate) latencies: Arc<crate::latency::Latencies>,
}

/// Where the state reads the time.
pub(crate) type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("config", &self.config)
            .field("me", &self.me.as_ref().map(|_| "resolver"))
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over `store` with the standard schemas.
    pub fn new(store: Store, config: ScimConfig) -> Self {
        let permits = usize::try_from(store.max_connections()).unwrap_or(1).max(1);
        AppState {
            store,
            registry: Arc::new(SchemaRegistry::standard()),
            config: Arc::new(config),
            permits: Arc::new(Semaphore::new(permits)),
            org_registries: Arc::default(),
            deviations: Arc::new(DeviationCounters::default()),
            me: None,
            clock: Arc::new(Utc::now),
            latencies: Arc::default(),
        }
    }

    /// Read the time from `clock` instead of the system clock: every timestamp written and
    /// every window checked (token expiry, cursor expiry, reactivation, purge) uses it.
    /// Tests use it to move time forward; clones of the state share it.
    pub fn with_clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The current time, as the state's clock tells it.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Let `/Me` (RFC 7644 §3.11) serve the user `resolver` names for a request: its SCIM
    /// `id`, from whatever the embedding service authenticates (the bearer token still
    /// names the organization). `None` from the resolver is a 404. Without a resolver,
    /// `/Me` answers 501.
    pub fn with_me(
        mut self,
        resolver: impl Fn(&actix_web::HttpRequest) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.me = Some(Arc::new(resolver));
        self
    }

    /// The store this state serves.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The limits this state enforces.
    pub fn config(&self) -> &ScimConfig {
        &self.config
    }

    /// How many times each IdP deviation (PRODUCT.md §3) was tolerated in the lenient
    /// dialect since this state was made, by the deviation's metric name
    /// ([`scim_core::Deviation::name`]): one entry per deviation, zeros included, in the
    /// order of [`scim_core::Deviation::ALL`]. Only requests that were applied count; a
    /// deviation met twice in one request counts twice. Clones of the state share the
    /// counters.
    pub fn deviation_counts(&self) -> Vec<(&'static str, u64)> {
        self.deviations.snapshot()
    }

    /// What `/ServiceProviderConfig` advertises: exactly what this crate implements.
    pub(crate) fn features(&self) -> ServiceProviderFeatures {
        ServiceProviderFeatures {
            bulk: Some(BulkLimits {
                max_operations: self.config.max_bulk_operations,
                max_payload_size: u64::try_from(self.config.max_bulk_payload_bytes)
                    .unwrap_or(u64::MAX),
            }),
            // RFC 9865: cursors and startIndex both; startIndex when the request names
            // neither (what clients written before RFC 9865 expect).
            cursor_paging: Some(CursorPaging {
                index: true,
                default_pagination_method: PaginationMethod::Index,
                default_page_size: page_size(
                    self.config.default_page_size.min(self.config.max_page_size),
                ),
                max_page_size: page_size(self.config.max_page_size),
                cursor_timeout_seconds: crate::cursor::CURSOR_TIMEOUT_SECONDS,
            }),
            filter_max_results: u32::try_from(self.config.max_page_size).unwrap_or(u32::MAX),
            ..ServiceProviderFeatures::default()
        }
    }
}

/// A page size as advertised.
fn page_size(size: u64) -> u32 {
    u32::try_from(size).unwrap_or(u32::MAX)
}

/// The resource type definition of `kind`.
pub(crate) fn resource_type(
    registry: &SchemaRegistry,
    kind: ResourceKind,
) -> Result<&ResourceType, ScimError> {
    let id = match kind {
        ResourceKind::User => "User",
        ResourceKind::Group => "Group",
    };
    registry
        .resource_type(id)
        .ok_or_else(|| internal(format!("the registry has no {id} resource type")))
}

/// A 500 whose detail is logged, never sent (see `error.rs`).
pub(crate) fn internal(detail: impl Into<String>) -> ScimError {
    ScimError {
        status: 500,
        scim_type: None,
        detail: detail.into(),
        span: None,
    }
}
