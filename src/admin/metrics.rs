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
struct SnapshotLabels {
    cluster: String,
    environment: String,
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
    /// Answered by flinkwire itself (`SHOW CLUSTERS`, session commands).
    Local,
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
    gateway_sessions: Family<SessionLabels, Gauge>,
    snapshot_age: Family<SnapshotLabels, Gauge<f64, AtomicU64>>,
    /// Serialises scrapes: gauges are refreshed and then encoded as one step.
    scrape: Mutex<()>,
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
        let query_duration = Family::<KindLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(exponential_buckets(0.001, 4.0, 10))) as fn() -> Histogram,
        );
        let gateway_sessions = Family::<SessionLabels, Gauge>::default();
        let snapshot_age = Family::<SnapshotLabels, Gauge<f64, AtomicU64>>::default();
        // Counters get their `_total` suffix from the encoder.
        registry.register("flinkwire_client_connections", "Open client connections", client_connections.clone());
        registry.register("flinkwire_connections", "Client logins by outcome", connections.clone());
        registry.register("flinkwire_queries", "Statements by engine and outcome", queries.clone());
        registry.register("flinkwire_query_duration_seconds", "Statement run time until its result starts, by engine", query_duration.clone());
        registry.register("flinkwire_gateway_sessions", "SQL Gateway sessions by cluster and state", gateway_sessions.clone());
        registry.register("flinkwire_snapshot_age_seconds", "Age of the metadata snapshot per cluster and environment", snapshot_age.clone());
        for outcome in ["ok", "auth_failed", "refused"] {
            let _ = connections.get_or_create(&OutcomeLabels { outcome });
        }
        Self {
            registry,
            client_connections,
            connections,
            queries,
            query_duration,
            gateway_sessions,
            snapshot_age,
            scrape: Mutex::new(()),
        }
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
        let kind = match kind {
            QueryKind::Flink => "flink",
            QueryKind::Catalog => "catalog",
            QueryKind::Local => "local",
        };
        let outcome = match outcome {
            QueryOutcome::Ok => "ok",
            QueryOutcome::Error => "error",
            QueryOutcome::Cancelled => "cancelled",
            QueryOutcome::Timeout => "timeout",
            QueryOutcome::Denied => "denied",
        };
        self.queries.get_or_create(&QueryLabels { kind, outcome }).inc();
        self.query_duration.get_or_create(&KindLabels { kind }).observe(elapsed.as_secs_f64());
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
        // Connections are counted at admission, before routing: per cluster is not known there.
        self.client_connections.clear();
        self.client_connections
            .get_or_create(&ClusterLabels { cluster: "all".into() })
            .set(i64::try_from(ctx.admission.open()).unwrap_or(i64::MAX));
        self.gateway_sessions.clear();
        self.snapshot_age.clear();
        for cluster in ctx.clusters.all() {
            let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
            self.gateway_sessions
                .get_or_create(&SessionLabels { cluster: cluster.name.clone(), state: "pooled" })
                .set(count(cluster.pooled_sessions()));
            self.gateway_sessions
                .get_or_create(&SessionLabels { cluster: cluster.name.clone(), state: "active" })
                .set(count(cluster.active_sessions()));
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
