//! The Prometheus metrics (`/metrics`), one [`Metrics`] per server in `ServerContext`.
//! Counters move where things happen (logins in `frontend::startup`, statements in
//! `ClientSession::run`); gauges are read from the clusters and admission at scrape time, so
//! they can never drift from the state they describe. Labels are bounded sets (cluster,
//! environment, fixed outcomes): never a user or a statement.

use std::sync::atomic::AtomicU64;
use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::server::ServerContext;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueryLabels {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClusterLabels {
    cluster: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SessionLabels {
    cluster: String,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GatewayRequestLabels {
    cluster: String,
    /// Method and path template (`GET /sessions/{}/operations/{}/result/{}`).
    endpoint: String,
    /// The HTTP status, or `error` when no answer came.
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GatewayEndpointLabels {
    cluster: String,
    endpoint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SnapshotLabels {
    cluster: String,
    environment: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// The result cache's counters (`crate::results::cache`): the cache moves them, `/metrics`
/// shows them ([`Metrics::register_result_cache`]).
#[derive(Debug, Clone, Default)]
pub struct CacheCounters {
    lookups: Family<OutcomeLabels, Counter>,
    stored: Counter,
    too_large: Counter,
    evicted: Family<ReasonLabels, Counter>,
}

impl CacheCounters {
    /// A statement the cache may answer was answered from it (`true`) or sent to Flink.
    pub fn lookup(&self, hit: bool) {
        self.lookups.get_or_create(&OutcomeLabels { outcome: if hit { "hit" } else { "miss" } }).inc();
    }

    /// A complete answer was stored.
    pub fn stored(&self) {
        self.stored.inc();
    }

    /// An answer grew past `max_entry_bytes` while it was sent, so it is not stored.
    pub fn too_large(&self) {
        self.too_large.inc();
    }

    /// `n` entries were dropped: `lru` (for room), `expired` (ttl), `invalidated` (DDL, jobs).
    pub fn evicted(&self, reason: &'static str, n: u64) {
        self.evicted.get_or_create(&ReasonLabels { reason }).inc_by(n);
    }

    /// Hits and misses so far.
    pub fn lookups(&self) -> (u64, u64) {
        let get = |outcome| self.lookups.get_or_create(&OutcomeLabels { outcome }).get();
        (get("hit"), get("miss"))
    }

    /// Answers stored, too large to store, and entries dropped for `reason`, so far.
    pub fn counts(&self, reason: &'static str) -> (u64, u64, u64) {
        (self.stored.get(), self.too_large.get(), self.evicted.get_or_create(&ReasonLabels { reason }).get())
    }
}

/// How a login ended, for `flinkwire_connections_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    Ok,
    AuthFailed,
    Refused,
}

/// Which engine answered a statement, for `flinkwire_queries_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryKind {
    /// Sent to the SQL Gateway.
    Flink,
    /// pg_catalog / information_schema, answered from the snapshot.
    Catalog,
    /// Answered by flinkwire itself (`SHOW CLUSTERS`, session commands, constant `SELECT`s).
    Local,
    /// Answered from the result cache.
    Cache,
}

impl QueryKind {
    fn label(self) -> &'static str {
        match self {
            QueryKind::Flink => "flink",
            QueryKind::Catalog => "catalog",
            QueryKind::Local => "local",
            QueryKind::Cache => "cache",
        }
    }
}

/// Counts one cluster's gateway requests.
struct GatewayRequests {
    cluster: String,
    requests: Family<GatewayRequestLabels, Counter>,
    durations: Family<GatewayEndpointLabels, Histogram>,
}

impl std::fmt::Debug for GatewayRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayRequests")
            .field("cluster", &self.cluster)
            .finish_non_exhaustive()
    }
}

impl crate::backend::RequestObserver for GatewayRequests {
    fn observe(&self, endpoint: &str, status: Option<u16>, elapsed: std::time::Duration) {
        let status = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
        let labels = GatewayRequestLabels {
            cluster: self.cluster.clone(),
            endpoint: endpoint.to_owned(),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        let labels = GatewayEndpointLabels {
            cluster: self.cluster.clone(),
            endpoint: endpoint.to_owned(),
        };
        self.durations
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }
}

/// How a statement ended, for `flinkwire_queries_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryOutcome {
    Ok,
    Error,
    Cancelled,
    Timeout,
    Denied,
}

/// The server's metric families and the registry that renders them.
pub struct Metrics {
    registry: Registry,
    client_connections: Family<ClusterLabels, Gauge>,
    connections: Family<OutcomeLabels, Counter>,
    queries: Family<QueryLabels, Counter>,
    query_duration: Family<KindLabels, Histogram>,
    first_row: Family<KindLabels, Histogram>,
    rows_sent: Counter,
    bytes_sent: Counter,
    gateway_requests: Family<GatewayRequestLabels, Counter>,
    gateway_request_duration: Family<GatewayEndpointLabels, Histogram>,
    gateway_sessions: Family<SessionLabels, Gauge>,
    snapshot_age: Family<SnapshotLabels, Gauge<f64, AtomicU64>>,
    result_cache_entries: Gauge,
    result_cache_bytes: Gauge,
    /// Serialises scrapes: gauges are refreshed and then encoded as one step.
    scrape: Mutex<()>,
}

/// Buckets of every latency histogram: 1 ms × 4ⁿ, up to ~4.4 min.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 4.0, 10))
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let client_connections = Family::<ClusterLabels, Gauge>::default();
        let connections = Family::<OutcomeLabels, Counter>::default();
        let queries = Family::<QueryLabels, Counter>::default();
        let query_duration = Family::<KindLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let first_row = Family::<KindLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let rows_sent = Counter::default();
        let bytes_sent = Counter::default();
        let gateway_requests = Family::<GatewayRequestLabels, Counter>::default();
        let gateway_request_duration =
            Family::<GatewayEndpointLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let gateway_sessions = Family::<SessionLabels, Gauge>::default();
        let snapshot_age = Family::<SnapshotLabels, Gauge<f64, AtomicU64>>::default();
        // Counters get their `_total` suffix from the encoder.
        registry.register("flinkwire_client_connections", "Open client connections", client_connections.clone());
        registry.register("flinkwire_connections", "Client logins by outcome", connections.clone());
        registry.register("flinkwire_queries", "Statements by engine and outcome", queries.clone());
        registry.register("flinkwire_query_duration_seconds", "Statement run time until its result starts, by engine", query_duration.clone());
        registry.register("flinkwire_first_row_seconds", "Time from a statement's start to its first row, by engine", first_row.clone());
        registry.register("flinkwire_rows_sent", "Result rows sent to clients", rows_sent.clone());
        registry.register("flinkwire_bytes_sent", "Bytes written to client connections", bytes_sent.clone());
        registry.register("flinkwire_gateway_requests", "SQL Gateway REST requests by cluster, endpoint and status", gateway_requests.clone());
        registry.register("flinkwire_gateway_request_duration_seconds", "SQL Gateway REST request time by cluster and endpoint", gateway_request_duration.clone());
        registry.register("flinkwire_gateway_sessions", "SQL Gateway sessions by cluster and state", gateway_sessions.clone());
        registry.register("flinkwire_snapshot_age_seconds", "Age of the metadata snapshot per cluster and environment", snapshot_age.clone());
        let result_cache_entries = Gauge::default();
        let result_cache_bytes = Gauge::default();
        registry.register("flinkwire_result_cache_entries", "Answers held by the result cache", result_cache_entries.clone());
        registry.register("flinkwire_result_cache_bytes", "Bytes the result cache's answers take", result_cache_bytes.clone());
        for outcome in ["ok", "auth_failed", "refused"] {
            let _ = connections.get_or_create(&OutcomeLabels { outcome });
        }
        Self {
            registry,
            client_connections,
            connections,
            queries,
            query_duration,
            first_row,
            rows_sent,
            bytes_sent,
            gateway_requests,
            gateway_request_duration,
            gateway_sessions,
            snapshot_age,
            result_cache_entries,
            result_cache_bytes,
            scrape: Mutex::new(()),
        }
    }

    /// Shows the result cache's counters (call before the metrics are shared).
    pub fn register_result_cache(&mut self, counters: &CacheCounters) {
        for outcome in ["hit", "miss"] {
            let _ = counters.lookups.get_or_create(&OutcomeLabels { outcome });
        }
        self.registry.register("flinkwire_result_cache_lookups", "Statements the result cache may answer, by outcome (hit, miss)", counters.lookups.clone());
        self.registry.register("flinkwire_result_cache_stored", "Complete answers stored in the result cache", counters.stored.clone());
        self.registry.register("flinkwire_result_cache_too_large", "Answers not cached because they outgrew result_cache.max_entry_bytes", counters.too_large.clone());
        self.registry.register("flinkwire_result_cache_evictions", "Result cache entries dropped, by reason (lru, expired, invalidated)", counters.evicted.clone());
    }

    /// A login was admitted or refused.
    pub fn login(&self, outcome: LoginOutcome) {
        let outcome = match outcome {
            LoginOutcome::Ok => "ok",
            LoginOutcome::AuthFailed => "auth_failed",
            LoginOutcome::Refused => "refused",
        };
        self.connections.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// A statement passed the gate and ended (its result may still be streaming).
    pub fn statement(&self, kind: QueryKind, outcome: QueryOutcome, elapsed: std::time::Duration) {
        self.statement_ready(kind, elapsed);
        self.statement_ended(kind, outcome);
    }

    /// A statement's outcome or result is ready, `elapsed` after it started.
    pub fn statement_ready(&self, kind: QueryKind, elapsed: std::time::Duration) {
        self.query_duration.get_or_create(&KindLabels { kind: kind.label() }).observe(elapsed.as_secs_f64());
    }

    /// A statement ended: at once for a command, when its last row was sent (or it was cut) for
    /// a query.
    pub fn statement_ended(&self, kind: QueryKind, outcome: QueryOutcome) {
        let kind = kind.label();
        let outcome = match outcome {
            QueryOutcome::Ok => "ok",
            QueryOutcome::Error => "error",
            QueryOutcome::Cancelled => "cancelled",
            QueryOutcome::Timeout => "timeout",
            QueryOutcome::Denied => "denied",
        };
        self.queries.get_or_create(&QueryLabels { kind, outcome }).inc();
    }

    /// A statement's first row is ready to be sent, `elapsed` after it started.
    pub fn first_row(&self, kind: QueryKind, elapsed: std::time::Duration) {
        self.first_row
            .get_or_create(&KindLabels { kind: kind.label() })
            .observe(elapsed.as_secs_f64());
    }

    /// A statement sent `rows` result rows.
    pub fn rows_sent(&self, rows: u64) {
        self.rows_sent.inc_by(rows);
    }

    /// The counter of bytes written to clients (the socket layer adds to it directly).
    pub fn bytes_sent(&self) -> &Counter {
        &self.bytes_sent
    }

    /// The observer of one cluster's gateway requests.
    pub fn gateway_observer(
        &self,
        cluster: &str,
    ) -> std::sync::Arc<dyn crate::backend::RequestObserver> {
        std::sync::Arc::new(GatewayRequests {
            cluster: cluster.to_owned(),
            requests: self.gateway_requests.clone(),
            durations: self.gateway_request_duration.clone(),
        })
    }

    /// The text exposition, with the gauges read from `ctx` now.
    pub fn render(&self, ctx: &ServerContext) -> String {
        let _scrape = self.scrape.lock().unwrap_or_else(|p| p.into_inner());
        self.refresh(ctx);
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    fn refresh(&self, ctx: &ServerContext) {
        // Logged-in connections by the cluster they were routed to; those still logging in (or
        // refused, on their way out) under `none`, so the sum is every open connection.
        self.client_connections.clear();
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let backends = ctx.activity.backends();
        for cluster in ctx.clusters.all() {
            let _ = self.client_connections.get_or_create(&ClusterLabels {
                cluster: cluster.name.clone(),
            });
        }
        for backend in &backends {
            let cluster = backend
                .info
                .cluster
                .clone()
                .unwrap_or_else(|| "none".into());
            self.client_connections
                .get_or_create(&ClusterLabels { cluster })
                .inc();
        }
        self.client_connections
            .get_or_create(&ClusterLabels { cluster: "none".into() })
            .inc_by(count(ctx.admission.open().saturating_sub(backends.len())));
        let (entries, bytes) = ctx.clusters.result_cache.size();
        self.result_cache_entries.set(count(entries));
        self.result_cache_bytes.set(count(bytes));
        self.gateway_sessions.clear();
        self.snapshot_age.clear();
        for cluster in ctx.clusters.all() {
            let (pooled, active) = (cluster.pooled_sessions(), cluster.active_sessions());
            // Open on the gateway but neither pooled nor in use: being closed (or retried).
            let closing = cluster
                .gateway
                .open_sessions()
                .saturating_sub(pooled + active);
            self.gateway_sessions
                .get_or_create(&SessionLabels {
                    cluster: cluster.name.clone(),
                    state: "closing",
                })
                .set(count(closing));
            self.gateway_sessions
                .get_or_create(&SessionLabels { cluster: cluster.name.clone(), state: "pooled" })
                .set(count(pooled));
            self.gateway_sessions
                .get_or_create(&SessionLabels { cluster: cluster.name.clone(), state: "active" })
                .set(count(active));
            for (environment, slot) in &cluster.slots {
                if let Some(loaded) = slot.snapshot_loaded_at() {
                    let labels = SnapshotLabels {
                        cluster: cluster.name.clone(),
                        environment: environment.clone().unwrap_or_else(|| "default".into()),
                    };
                    self.snapshot_age.get_or_create(&labels).set(loaded.elapsed().as_secs_f64());
                }
            }
        }
    }
}
