//! Named Flink session clusters: routing a connection to one, their health, and per
//! (cluster, environment) pair a pre-warmed session pool and a metadata snapshot.
//!
//! - [`Clusters`]: the registry built from configuration; [`Clusters::route`] picks a
//!   connection's cluster and environment.
//! - [`Cluster`]: a gateway endpoint + session properties, its health, its slots and a
//!   supervisor task (health checks, pool refills, snapshot loads).
//! - [`environment`]: environments resolved to statements.
//! - [`pool`]: one (cluster, environment) [`Slot`].

pub mod environment;
pub mod pool;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tracing::{info, warn, Instrument};

use crate::backend::{BackendError, GatewayClient};
use crate::catalog::SnapshotStore;
use crate::config::{Config, DEFAULT_CLUSTER};
pub use environment::Environment;
pub use pool::{AcquireError, ActiveGuard, EnvironmentError, Slot};

/// Whether a cluster's gateway answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Not checked yet.
    Unknown,
    Healthy,
    Unhealthy(String),
}

impl Health {
    pub fn label(&self) -> String {
        match self {
            Self::Unknown => "unknown".into(),
            Self::Healthy => "healthy".into(),
            Self::Unhealthy(reason) => format!("unhealthy: {reason}"),
        }
    }
}

/// One configured cluster.
#[derive(Debug)]
pub struct Cluster {
    pub name: String,
    pub gateway: GatewayClient,
    pub is_default: bool,
    health: RwLock<Health>,
    /// The Flink version the gateway reports (`GET /info`), once it has answered.
    flink_version: RwLock<Option<String>>,
    /// Slots by environment name (`None` = the implicit environment).
    pub slots: BTreeMap<Option<String>, Arc<Slot>>,
    counts: Arc<pool::SessionCounts>,
    refill: Arc<Notify>,
}

/// Routing failed: the connection names a cluster that does not exist.
#[derive(Debug, thiserror::Error)]
#[error("cluster \"{requested}\" does not exist; configured clusters: {}", .known.join(", "))]
pub struct UnknownCluster {
    pub requested: String,
    pub known: Vec<String>,
}

/// All clusters, with the snapshots of their (cluster, environment) pairs.
#[derive(Debug)]
pub struct Clusters {
    clusters: BTreeMap<String, Arc<Cluster>>,
    default: String,
    /// Every environment by name, for per-user choice.
    environments: BTreeMap<String, Arc<Environment>>,
    env_bindings: BTreeMap<String, (Vec<String>, Vec<String>)>,
    users: BTreeMap<String, (Option<String>, Option<String>)>,
    pub snapshots: Arc<SnapshotStore>,
    /// The pg_catalog emulation over the snapshots, shared by every client session.
    pub pg_catalog: Arc<crate::catalog::pg::Emulation>,
    health_interval: Duration,
    snapshot_ttl: Option<Duration>,
    load_snapshots: bool,
    /// `local.constant_selects`: sessions answer `SELECT 1` and friends without Flink.
    pub constant_selects: bool,
    /// The result cache every session of every cluster shares (its keys name the cluster).
    pub result_cache: Arc<crate::results::cache::ResultCache>,
}

impl Clusters {
    /// Builds the registry; contacts no gateway.
    pub fn new(config: &Config) -> Result<Self, ClusterSetupError> {
        let forced = config.gateway.forced_api_version().ok().flatten();
        let mut environments = BTreeMap::new();
        let mut env_bindings = BTreeMap::new();
        for (name, env) in &config.environments {
            environments.insert(name.clone(), Arc::new(Environment::resolve(config, name, env)?));
            env_bindings.insert(name.clone(), (env.clusters.clone(), env.users.clone()));
        }
        let implicit = Arc::new(Environment::implicit(config));
        let mut clusters = BTreeMap::new();
        let mut default = None;
        for (name, c) in config.effective_clusters() {
            let url = c.gateway.clone().unwrap_or_else(|| config.gateway.url.clone());
            let gateway = GatewayClient::new(&url, config.gateway.request_timeout(), forced)?;
            let settings = pool::PoolSettings {
                size: c.pool_size.unwrap_or(config.pool.size),
                idle_timeout: config.pool.idle_timeout(),
                max_sessions: c.max_sessions.unwrap_or(config.pool.max_sessions),
                heartbeat_interval: config.gateway.heartbeat_interval(),
                properties: c.properties.clone(),
            };
            let counts = Arc::new(pool::SessionCounts::default());
            let refill = Arc::new(Notify::new());
            let mut slots = BTreeMap::new();
            let slot = |env: Arc<Environment>| {
                Arc::new(Slot::new(&name, env, gateway.clone(), settings.clone(), counts.clone(), refill.clone()))
            };
            slots.insert(None, slot(implicit.clone()));
            for (env_name, (bound, _)) in &env_bindings {
                if bound.is_empty() || bound.contains(&name) {
                    slots.insert(Some(env_name.clone()), slot(environments[env_name].clone()));
                }
            }
            if c.default {
                default = Some(name.clone());
            }
            let cluster = Cluster {
                name: name.clone(),
                gateway,
                is_default: c.default,
                health: RwLock::new(Health::Unknown),
                flink_version: RwLock::new(None),
                slots,
                counts,
                refill,
            };
            clusters.insert(name, Arc::new(cluster));
        }
        let default = default
            .or_else(|| clusters.contains_key(DEFAULT_CLUSTER).then(|| DEFAULT_CLUSTER.to_owned()))
            .ok_or(ClusterSetupError::NoDefault)?;
        let users = config
            .users
            .iter()
            .map(|u| (u.name.clone(), (u.cluster.clone(), u.environment.clone())))
            .collect();
        Ok(Self {
            clusters,
            default,
            environments,
            env_bindings,
            users,
            snapshots: Arc::new(SnapshotStore::new()),
            pg_catalog: Arc::new(crate::catalog::pg::Emulation::new()),
            health_interval: config.pool.health_check_interval(),
            snapshot_ttl: config.pool.snapshot_ttl(),
            load_snapshots: config.pool.snapshot,
            constant_selects: config.local.constant_selects,
            result_cache: Arc::new(crate::results::cache::ResultCache::new(&config.result_cache)),
        })
    }

    /// Every cluster, by name.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Cluster>> {
        self.clusters.values()
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Cluster>> {
        self.clusters.get(name)
    }

    /// Picks a connection's cluster and (cluster, environment) slot: the cluster named in the
    /// startup options, else the user's, else the default; the user's environment if it applies
    /// to that cluster, else the first environment bound to the cluster that lists the user,
    /// else the first that lists no users, else the implicit one.
    pub fn route(&self, requested: Option<&str>, user: &str) -> Result<(Arc<Cluster>, Arc<Slot>), UnknownCluster> {
        let (user_cluster, user_env) = self.users.get(user).cloned().unwrap_or_default();
        let name = requested.map(str::to_owned).or(user_cluster).unwrap_or_else(|| self.default.clone());
        let cluster = self.clusters.get(&name).cloned().ok_or_else(|| UnknownCluster {
            requested: name.clone(),
            known: self.clusters.keys().cloned().collect(),
        })?;
        let for_user = |env: &String| self.env_bindings.get(env).is_some_and(|(_, users)| users.iter().any(|u| u == user));
        let for_all = |env: &String| self.env_bindings.get(env).is_some_and(|(_, users)| users.is_empty());
        let named = |env: Option<String>| env.and_then(|e| cluster.slots.get(&Some(e)).cloned());
        let pick = |pred: &dyn Fn(&String) -> bool| {
            cluster.slots.iter().find(|(k, _)| k.as_ref().is_some_and(pred)).map(|(_, s)| s.clone())
        };
        let slot = named(user_env)
            .or_else(|| pick(&for_user))
            .or_else(|| pick(&for_all))
            .unwrap_or_else(|| cluster.slots[&None].clone());
        Ok((cluster, slot))
    }

    /// Starts one supervisor task per cluster; they run until the returned set is dropped.
    pub fn start(self: &Arc<Self>) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        for cluster in self.clusters.values() {
            let (cluster, clusters) = (cluster.clone(), self.clone());
            let span = tracing::info_span!("cluster", cluster = %cluster.name);
            tasks.spawn(async move { cluster.supervise(&clusters).await }.instrument(span));
        }
        tasks
    }

    /// Closes every pooled session of every cluster (the server stops).
    pub fn drain_pools(&self) {
        for cluster in self.clusters.values() {
            for slot in cluster.slots.values() {
                slot.drain();
            }
        }
    }

    /// Whether some cluster can take queries: healthy, and (when snapshots are loaded at all)
    /// with a metadata snapshot loaded for at least one of its environments.
    pub fn any_ready(&self) -> bool {
        self.clusters.values().any(|c| {
            c.health() == Health::Healthy
                && (!self.load_snapshots || c.slots.values().any(|slot| slot.snapshot_loaded_at().is_some()))
        })
    }

    /// Gateway sessions open or still closing, over all clusters.
    pub fn open_sessions(&self) -> usize {
        self.clusters.values().map(|c| c.gateway.open_sessions()).sum()
    }

    /// Marks a slot's snapshot for reload (after DDL through flinkwire) and wakes its cluster.
    pub fn invalidate(&self, slot: &Slot) {
        slot.stale.store(true, Ordering::Relaxed);
        if let Some(cluster) = self.clusters.get(&slot.cluster) {
            cluster.refill.notify_one();
        }
    }

    /// The environment called `name`, if configured.
    pub fn environment(&self, name: &str) -> Option<&Arc<Environment>> {
        self.environments.get(name)
    }

    /// Rows of `SHOW CLUSTERS`: name, gateway, health, default, pooled, active, environments.
    pub fn show_rows(&self) -> Vec<[String; 7]> {
        self.clusters
            .values()
            .map(|c| {
                let envs: Vec<String> = c
                    .slots
                    .values()
                    .filter_map(|s| {
                        let name = s.environment.name.clone()?;
                        Some(match s.broken() {
                            Some(err) => format!("{name} (broken: {})", err.error),
                            None => name,
                        })
                    })
                    .collect();
                [
                    c.name.clone(),
                    c.gateway.base_url().to_owned(),
                    c.health().label(),
                    c.is_default.to_string(),
                    c.counts.pooled.load(Ordering::Relaxed).to_string(),
                    c.counts.active.load(Ordering::Relaxed).to_string(),
                    envs.join(", "),
                ]
            })
            .collect()
    }
}

impl Cluster {
    pub fn health(&self) -> Health {
        self.health.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set_health(&self, health: Health) {
        let mut current = self.health.write().unwrap_or_else(|p| p.into_inner());
        if *current != health {
            match &health {
                Health::Healthy => info!(cluster = %self.name, gateway = %self.gateway.base_url(), "cluster is healthy"),
                Health::Unhealthy(reason) => warn!(cluster = %self.name, %reason, "cluster is unhealthy"),
                Health::Unknown => {}
            }
        }
        *current = health;
    }

    /// The Flink version behind this cluster's gateway, once known.
    pub fn flink_version(&self) -> Option<String> {
        self.flink_version.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Sessions in use by clients.
    pub fn active_sessions(&self) -> usize {
        self.counts.active.load(Ordering::Relaxed)
    }

    /// Sessions ready in the pools.
    pub fn pooled_sessions(&self) -> usize {
        self.counts.pooled.load(Ordering::Relaxed)
    }

    /// Fails fast when the cluster is known to be down (08001 for the client).
    pub fn check_available(&self) -> Result<(), BackendError> {
        match self.health() {
            Health::Unhealthy(reason) => Err(BackendError::Unreachable {
                url: self.gateway.base_url().to_owned(),
                reason: format!("cluster {} is unavailable ({reason})", self.name),
            }),
            _ => Ok(()),
        }
    }

    /// Records the outcome of a gateway call made for a client: an unreachable gateway marks
    /// the cluster unhealthy at once.
    pub fn observe(&self, err: &BackendError) {
        if let BackendError::Unreachable { reason, .. } = err {
            self.set_health(Health::Unhealthy(reason.clone()));
            self.refill.notify_one();
        }
    }

    /// Health checks, snapshot loads and pool refills, forever.
    async fn supervise(self: Arc<Self>, clusters: &Clusters) {
        let mut was_healthy = false;
        loop {
            let healthy = match self.gateway.info().await {
                Ok(info) => {
                    *self.flink_version.write().unwrap_or_else(|p| p.into_inner()) = Some(info.version);
                    self.set_health(Health::Healthy);
                    true
                }
                Err(err) => {
                    self.set_health(Health::Unhealthy(err.to_string()));
                    false
                }
            };
            if !healthy {
                for slot in self.slots.values() {
                    slot.drain();
                }
            } else {
                // Snapshots of every slot in parallel; on recovery all are reloaded.
                let mut loads = JoinSet::new();
                for slot in self.slots.values() {
                    let due = !was_healthy
                        || slot.stale.load(Ordering::Relaxed)
                        || match (*slot.snapshot_loaded.lock().unwrap_or_else(|p| p.into_inner()), clusters.snapshot_ttl) {
                            (None, _) => true,
                            (Some(at), Some(ttl)) => at.elapsed() >= ttl,
                            (Some(_), None) => false,
                        };
                    if due && clusters.load_snapshots {
                        let (slot, store) = (slot.clone(), clusters.snapshots.clone());
                        loads.spawn(async move {
                            if let Err(err) = slot.load_snapshot(&store).await {
                                warn!(key = %slot.key, cause = %err, "metadata snapshot not loaded");
                            }
                        });
                    }
                }
                while loads.join_next().await.is_some() {}
                for slot in self.slots.values() {
                    if let Err(err) = slot.maintain().await {
                        if let AcquireError::Gateway(e) = &err {
                            self.observe(e);
                        }
                        warn!(key = %slot.key, cause = %err, "pool refill failed");
                    }
                }
            }
            was_healthy = healthy;
            let _ = tokio::time::timeout(clusters.health_interval, self.refill.notified()).await;
        }
    }
}

/// The cluster registry could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClusterSetupError {
    #[error(transparent)]
    Environment(#[from] environment::EnvironmentFileError),
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error("configuration: no default cluster; mark one cluster with default = true")]
    NoDefault,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;

    #[test]
    fn routes_by_option_then_user_then_default() {
        let path = std::env::temp_dir().join(format!("fw-clusters-{}.toml", std::process::id()));
        std::fs::write(
            &path,
            r#"
            [session.properties]
            "execution.runtime-mode" = "batch"
            [clusters.a]
            default = true
            [clusters.b]
            gateway = "http://127.0.0.1:1"
            properties = { "parallelism.default" = "2" }
            [environments.for_b]
            clusters = ["b"]
            init_sql = ["SET 'x' = 'y'"]
            [environments.carol_only]
            users = ["carol"]
            [[users]]
            name = "alice"
            password = "p"
            cluster = "b"
            [[users]]
            name = "carol"
            password = "p"
            "#,
        )
        .unwrap();
        let config = Config::load(Some(&path), &Overrides::default()).unwrap();
        std::fs::remove_file(&path).ok();
        let effective = config.effective_clusters();
        assert_eq!(effective["b"].properties["execution.runtime-mode"], "batch");
        assert_eq!(effective["b"].properties["parallelism.default"], "2");
        let clusters = Clusters::new(&config).unwrap();
        let route = |c: Option<&str>, u: &str| {
            clusters.route(c, u).map(|(c, s)| (c.name.clone(), s.environment.name.clone()))
        };
        assert_eq!(route(None, "bob").unwrap(), ("a".into(), None));
        assert_eq!(route(None, "alice").unwrap(), ("b".into(), Some("for_b".into())));
        assert_eq!(route(Some("a"), "alice").unwrap(), ("a".into(), None));
        assert_eq!(route(None, "carol").unwrap(), ("a".into(), Some("carol_only".into())));
        let err = route(Some("zz"), "bob").unwrap_err();
        assert_eq!(err.known, vec!["a", "b"]);
        assert_eq!(clusters.get("b").unwrap().gateway.base_url(), "http://127.0.0.1:1");
    }
}
