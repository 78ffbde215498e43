//! The instance's Prometheus metrics (PRODUCT.md §8), through `prometheus-client`: its
//! registry is the application's own (no global state, so two embedded applications keep
//! two sets), and the text it writes is Prometheus' text format (0.0.4).
//!
//! - The request pipeline feeds [`Metrics::request`] once per request: requests by route
//!   template, method and status; their duration; SCIM operations by resource, operation
//!   and outcome. Routes are templates (`route.rs`), never raw paths, so no label holds an
//!   id, a name or a token.
//! - What [`crate::counters`] counts (deviations, refused credentials, limited requests) is
//!   read from it at each scrape, not counted twice.
//! - The dispatcher counts webhook deliveries ([`Metrics::webhook_delivery`]).
//! - The outbox backlog and the connection pool are read at each scrape
//!   ([`crate::App::metrics`]).
//!
//! Per-organization labels (`org`, the organization's id) are added to the request and
//! operation counters only when the operator turns them on
//! ([`crate::ScimConfig::metrics_per_org`]): each organization multiplies the series.

mod route;

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeMetric, LabelSetEncoder,
};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::api::Api;
use crate::counters::Counters;
use crate::request::Method;

pub(crate) use route::template;
pub use route::templates as route_templates;

/// The `Content-Type` of the text `/metrics` answers.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The request duration histogram's bucket bounds, in seconds: from half a millisecond
/// (a cached read) to ten seconds (a large bulk request).
const DURATION_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The metrics of one application (shared by its clones).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<DurationLabels, Histogram, fn() -> Histogram>,
    operations: Family<OperationLabels, Counter>,
    webhook_deliveries: Family<[(&'static str, &'static str); 1], Counter>,
    outbox_pending: Gauge,
    pool: Family<[(&'static str, &'static str); 1], Gauge>,
    per_org: bool,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("per_org", &self.inner.per_org)
            .finish_non_exhaustive()
    }
}

/// The labels of `rollcall_http_requests_total`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RequestLabels {
    route: &'static str,
    method: &'static str,
    status: u16,
    org: Option<Arc<str>>,
}

/// The labels of `rollcall_http_request_duration_seconds`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DurationLabels {
    route: &'static str,
    method: &'static str,
}

/// The labels of `rollcall_scim_operations_total`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct OperationLabels {
    resource: &'static str,
    operation: &'static str,
    outcome: &'static str,
    org: Option<Arc<str>>,
}

impl EncodeLabelSet for RequestLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> Result<(), std::fmt::Error> {
        [("route", self.route), ("method", self.method)].encode(encoder)?;
        [("status", self.status)].encode(encoder)?;
        encode_org(self.org.as_deref(), encoder)
    }
}

impl EncodeLabelSet for DurationLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> Result<(), std::fmt::Error> {
        [("route", self.route), ("method", self.method)].encode(encoder)
    }
}

impl EncodeLabelSet for OperationLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> Result<(), std::fmt::Error> {
        [
            ("resource", self.resource),
            ("operation", self.operation),
            ("outcome", self.outcome),
        ]
        .encode(encoder)?;
        encode_org(self.org.as_deref(), encoder)
    }
}

/// The `org` label, only when there is one (per-organization labels on).
fn encode_org(org: Option<&str>, encoder: &mut LabelSetEncoder<'_>) -> Result<(), std::fmt::Error> {
    match org {
        Some(org) => [("org", org)].encode(encoder),
        None => Ok(()),
    }
}

/// One request as the metrics see it ([`Metrics::request`]).
#[derive(Debug)]
pub(crate) struct Served<'a> {
    pub(crate) api: Api,
    pub(crate) method: &'a Method,
    /// The path below the API's mount.
    pub(crate) path: &'a str,
    pub(crate) status: u16,
    pub(crate) elapsed: Duration,
    /// The organization the credential named, if it was verified.
    pub(crate) org: Option<&'a str>,
}

impl Metrics {
    /// Empty metrics, with the counters of `counters` read at each scrape; an `org` label
    /// on requests and operations when `per_org`.
    pub(crate) fn new(counters: Arc<Counters>, per_org: bool) -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "rollcall_http_requests",
            "Requests answered, by route template, method and status",
            requests.clone(),
        );
        let durations: Family<DurationLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS));
        registry.register(
            "rollcall_http_request_duration_seconds",
            "How long requests took to answer, by route template and method",
            durations.clone(),
        );
        let operations = Family::<OperationLabels, Counter>::default();
        registry.register(
            "rollcall_scim_operations",
            "SCIM operations on resources, by resource type, operation and outcome \
             (success, client_error, server_error)",
            operations.clone(),
        );
        let webhook_deliveries = Family::default();
        registry.register(
            "rollcall_webhook_deliveries",
            "Webhook delivery attempts, by outcome (delivered, failed)",
            webhook_deliveries.clone(),
        );
        let outbox_pending = Gauge::default();
        registry.register(
            "rollcall_outbox_pending",
            "Events in the outbox that some consumer (a webhook, a subscriber) has yet to \
             acknowledge, as of the scrape",
            outbox_pending.clone(),
        );
        let pool = Family::default();
        registry.register(
            "rollcall_db_pool_connections",
            "Database connections of this instance's pool, by state (idle, in_use)",
            pool.clone(),
        );
        registry.register_collector(Box::new(CountersCollector(counters)));
        Metrics {
            inner: Arc::new(Inner {
                registry,
                requests,
                durations,
                operations,
                webhook_deliveries,
                outbox_pending,
                pool,
                per_org,
            }),
        }
    }

    /// Count one answered request.
    pub(crate) fn request(&self, served: &Served<'_>) {
        let route = template(served.api, served.path);
        let method = method_label(served.method);
        let org = match (self.inner.per_org, served.org) {
            (true, Some(org)) => Some(Arc::<str>::from(org)),
            _ => None,
        };
        self.inner
            .requests
            .get_or_create(&RequestLabels {
                route,
                method,
                status: served.status,
                org: org.clone(),
            })
            .inc();
        self.inner
            .durations
            .get_or_create(&DurationLabels { route, method })
            .observe(served.elapsed.as_secs_f64());
        if served.api == Api::Scim
            && let Some((resource, operation)) = route::operation(route, served.method)
        {
            let outcome = match served.status {
                ..400 => "success",
                400..500 => "client_error",
                _ => "server_error",
            };
            self.inner
                .operations
                .get_or_create(&OperationLabels {
                    resource,
                    operation,
                    outcome,
                    org,
                })
                .inc();
        }
    }

    /// Count one webhook delivery attempt: `true` when the receiver took it.
    pub fn webhook_delivery(&self, delivered: bool) {
        let outcome = if delivered { "delivered" } else { "failed" };
        self.inner
            .webhook_deliveries
            .get_or_create(&[("outcome", outcome)])
            .inc();
    }

    /// Set what is read at a scrape: the outbox backlog (`None` when it could not be read:
    /// the last value stays) and the pool's connections.
    pub(crate) fn observe(&self, outbox_pending: Option<i64>, pool: rollcall_store::PoolState) {
        if let Some(pending) = outbox_pending {
            self.inner.outbox_pending.set(pending);
        }
        let in_use = pool.open.saturating_sub(pool.idle);
        for (state, value) in [("idle", pool.idle), ("in_use", in_use)] {
            self.inner
                .pool
                .get_or_create(&[("state", state)])
                .set(i64::from(value));
        }
    }

    /// Every metric in Prometheus' text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String does not fail; an encoder error would leave a partial text.
        if let Err(error) =
            prometheus_client::encoding::prometheus_text::encode(&mut text, &self.inner.registry)
        {
            tracing::error!(%error, "cannot encode the metrics");
        }
        text
    }
}

/// A method as a label: the standard ones by name, anything else `other` (a client may
/// send any token as a method; the label's values stay few).
fn method_label(method: &Method) -> &'static str {
    method.standard_name().unwrap_or("other")
}

/// [`Counters`] read at each scrape.
#[derive(Debug)]
struct CountersCollector(Arc<Counters>);

impl Collector for CountersCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let snapshot = self.0.snapshot();
        let mut family = |name: &str,
                          help: &str,
                          label: &'static str,
                          values: &[(&'static str, u64)]|
         -> Result<(), std::fmt::Error> {
            let counter = ConstCounter::new(0u64);
            let mut metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            for (value, count) in values {
                let labels = [(label, *value)];
                ConstCounter::new(*count).encode(metric.encode_family(&labels)?)?;
            }
            Ok(())
        };
        family(
            "rollcall_dialect_deviations",
            "IdP requests the lenient dialect tolerated, by deviation",
            "deviation",
            &snapshot.deviations,
        )?;
        family(
            "rollcall_auth_failures",
            "Requests refused for their credential (401), by reason",
            "reason",
            &snapshot.refusal_reasons,
        )?;
        let mut single = |name: &str, help: &str, value: u64| -> Result<(), std::fmt::Error> {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)
        };
        single(
            "rollcall_rate_limited",
            "Requests refused for their rate (429)",
            snapshot.limited_requests,
        )?;
        single(
            "rollcall_failed_reads",
            "Reads (GET, HEAD, .search) answered with an error",
            snapshot.failed_reads,
        )?;
        single(
            "rollcall_unrecorded_failures",
            "Failed writes the audit trail could not take (logged instead)",
            snapshot.unrecorded_failures,
        )
    }
}
