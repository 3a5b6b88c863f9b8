//! One (cluster, environment) pair: its pool of pre-warmed sessions, its environment's
//! validation status and its metadata snapshot.
//!
//! A pooled session was opened with the cluster's properties and has run the environment, and
//! no client has ever used it: [`Slot::acquire`] pops it, so a session is never handed to two
//! clients. The cluster's supervisor ([`super::Cluster::supervise`]) keeps the pool at its size,
//! heartbeats pooled sessions, replaces dead or idle ones, and reloads the snapshot.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tracing::{info, warn};

use super::environment::Environment;
use crate::backend::{BackendError, GatewayClient, GatewaySession};
use crate::catalog::{loader, MetadataSnapshot, SnapshotKey, SnapshotStore};

/// A statement of an environment failed on the cluster.
#[derive(Debug, Clone, thiserror::Error)]
#[error("environment {environment} is broken on cluster {cluster}: statement `{statement}` failed: {error}")]
pub struct EnvironmentError {
    pub cluster: String,
    pub environment: String,
    pub statement: String,
    pub error: String,
    /// The failing statement's SQLSTATE.
    pub sqlstate: &'static str,
}

/// Why a session could not be handed out.
#[derive(Debug, thiserror::Error)]
pub enum AcquireError {
    #[error(transparent)]
    Gateway(#[from] BackendError),
    #[error(transparent)]
    Environment(EnvironmentError),
    #[error("cluster {cluster} has reached its limit of {max} gateway sessions")]
    TooManySessions { cluster: String, max: usize },
}

/// A fresh session with the environment applied.
#[derive(Debug)]
pub struct PooledSession {
    pub session: GatewaySession,
    pub created: Instant,
}

/// Counts a cluster's sessions: in the pool, in use by clients, and being opened.
#[derive(Debug, Default)]
pub struct SessionCounts {
    pub pooled: AtomicUsize,
    pub active: AtomicUsize,
    pub total: AtomicUsize,
}

/// Decrements the counts when a client's session ends.
#[derive(Debug)]
pub struct ActiveGuard {
    counts: Arc<SessionCounts>,
    refill: Arc<Notify>,
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.counts.active.fetch_sub(1, Ordering::Relaxed);
        self.counts.total.fetch_sub(1, Ordering::Relaxed);
        self.refill.notify_one();
    }
}

/// Settings of one slot's pool.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub size: usize,
    pub idle_timeout: Duration,
    pub max_sessions: usize,
    pub heartbeat_interval: Duration,
    pub properties: std::collections::BTreeMap<String, String>,
}

/// A (cluster, environment) pair.
#[derive(Debug)]
pub struct Slot {
    pub cluster: String,
    pub environment: Arc<Environment>,
    pub key: SnapshotKey,
    gateway: GatewayClient,
    settings: PoolSettings,
    pool: Mutex<VecDeque<PooledSession>>,
    counts: Arc<SessionCounts>,
    /// Set when the environment failed on the cluster; cleared by a successful validation.
    broken: Mutex<Option<EnvironmentError>>,
    refill: Arc<Notify>,
    /// Set when the snapshot should be reloaded soon (after DDL through flinkwire).
    pub(super) stale: AtomicBool,
    pub(super) snapshot_loaded: Mutex<Option<Instant>>,
}

impl Slot {
    /// The Flink properties this slot's sessions are opened with (the cluster's, over
    /// `[session.properties]`).
    pub fn session_properties(&self) -> &std::collections::BTreeMap<String, String> {
        &self.settings.properties
    }

    pub fn new(
        cluster: &str,
        environment: Arc<Environment>,
        gateway: GatewayClient,
        settings: PoolSettings,
        counts: Arc<SessionCounts>,
        refill: Arc<Notify>,
    ) -> Self {
        Self {
            cluster: cluster.to_owned(),
            key: SnapshotKey::new(cluster, environment.name.clone()),
            environment,
            gateway,
            settings,
            pool: Mutex::new(VecDeque::new()),
            counts,
            broken: Mutex::new(None),
            refill,
            stale: AtomicBool::new(false),
            snapshot_loaded: Mutex::new(None),
        }
    }

    /// The environment's failure on this cluster, if it is broken.
    pub fn broken(&self) -> Option<EnvironmentError> {
        self.broken.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Sessions ready in the pool.
    /// When the slot's metadata snapshot was last loaded; `None` until the first load.
    pub fn snapshot_loaded_at(&self) -> Option<Instant> {
        *self.snapshot_loaded.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn pooled(&self) -> usize {
        self.lock_pool().len()
    }

    fn lock_pool(&self) -> std::sync::MutexGuard<'_, VecDeque<PooledSession>> {
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hands out a session with the environment applied: a pooled one if there is a live one,
    /// else a new one. The guard keeps the session counted as active.
    pub async fn acquire(&self, name: &str) -> Result<(GatewaySession, ActiveGuard), AcquireError> {
        // A broken environment is retried by every new connection (opening a fresh session),
        // so a fixed dependency heals it; the pool stays empty meanwhile.
        loop {
            let pooled = self.lock_pool().pop_front();
            let Some(pooled) = pooled else { break };
            self.counts.pooled.fetch_sub(1, Ordering::Relaxed);
            self.refill.notify_one();
            // One round trip to be sure the gateway still knows the session (it may have
            // restarted since the last supervisor pass).
            if !pooled.session.is_lost() && pooled.session.heartbeat().await.is_ok() {
                self.counts.active.fetch_add(1, Ordering::Relaxed);
                return Ok((pooled.session, self.guard()));
            }
            self.counts.total.fetch_sub(1, Ordering::Relaxed);
            drop(pooled);
        }
        let session = self.open_initialized(name).await?;
        self.counts.active.fetch_add(1, Ordering::Relaxed);
        Ok((session, self.guard()))
    }

    fn guard(&self) -> ActiveGuard {
        ActiveGuard { counts: self.counts.clone(), refill: self.refill.clone() }
    }

    /// Opens a session and runs the environment; counts it in `total` (the caller owns it).
    async fn open_initialized(&self, name: &str) -> Result<GatewaySession, AcquireError> {
        let total = self.counts.total.fetch_add(1, Ordering::Relaxed);
        if total >= self.settings.max_sessions {
            self.counts.total.fetch_sub(1, Ordering::Relaxed);
            return Err(AcquireError::TooManySessions { cluster: self.cluster.clone(), max: self.settings.max_sessions });
        }
        match self.open_and_apply(name).await {
            Ok(session) => Ok(session),
            Err(err) => {
                self.counts.total.fetch_sub(1, Ordering::Relaxed);
                Err(err)
            }
        }
    }

    async fn open_and_apply(&self, name: &str) -> Result<GatewaySession, AcquireError> {
        let session = GatewaySession::open(
            &self.gateway,
            name,
            self.settings.properties.clone(),
            self.settings.heartbeat_interval,
        )
        .await?;
        for statement in &self.environment.statements {
            if let Err(err) = session.query_text(statement).await {
                if loader::is_session_failure(&err) {
                    return Err(err.into());
                }
                let failure = EnvironmentError {
                    cluster: self.cluster.clone(),
                    environment: self.environment.display_name().to_owned(),
                    statement: statement.clone(),
                    error: err.to_string().lines().next().unwrap_or_default().to_owned(),
                    sqlstate: err.sqlstate().code(),
                };
                warn!(cluster = %self.cluster, environment = %self.environment.display_name(),
                      statement = %statement, cause = %err, "environment statement failed");
                *self.broken.lock().unwrap_or_else(|p| p.into_inner()) = Some(failure.clone());
                return Err(AcquireError::Environment(failure));
            }
        }
        *self.broken.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(session)
    }

    /// Validates the environment and (re)loads the snapshot in a dedicated loader session.
    pub async fn load_snapshot(&self, store: &SnapshotStore) -> Result<(), AcquireError> {
        let started = Instant::now();
        let session = self.open_and_apply(&format!("flinkwire:loader:{}", self.key)).await?;
        let result = loader::load(&session, &self.cluster, self.environment.name.as_deref()).await;
        let _ = session.close().await;
        let snapshot: MetadataSnapshot = result?;
        let tables: usize = snapshot.catalogs.iter().flat_map(|c| &c.databases).map(|d| d.tables.len()).sum();
        info!(key = %self.key, catalogs = snapshot.catalogs.len(), tables, functions = snapshot.functions.len(),
              problems = snapshot.problems.len(), ms = started.elapsed().as_millis() as u64, "metadata snapshot loaded");
        for p in &snapshot.problems {
            warn!(key = %self.key, object = %p.object, error = %p.error, "metadata snapshot: object not described");
        }
        store.put(self.key.clone(), snapshot);
        *self.snapshot_loaded.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        self.stale.store(false, Ordering::Relaxed);
        Ok(())
    }

    /// One maintenance pass: drops dead and idle pooled sessions (heartbeating the others) and
    /// opens sessions until the pool is full. Stops at the first failure.
    pub async fn maintain(&self) -> Result<(), AcquireError> {
        let sessions: Vec<PooledSession> = self.lock_pool().drain(..).collect();
        for pooled in sessions {
            let keep = !pooled.session.is_lost()
                && pooled.created.elapsed() < self.settings.idle_timeout
                && pooled.session.heartbeat().await.is_ok();
            if keep {
                self.lock_pool().push_back(pooled);
            } else {
                self.counts.pooled.fetch_sub(1, Ordering::Relaxed);
                self.counts.total.fetch_sub(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    let _ = pooled.session.close().await;
                });
            }
        }
        while self.pooled() < self.settings.size && self.broken().is_none() {
            let session = self.open_initialized(&format!("flinkwire:pool:{}", self.key)).await?;
            self.lock_pool().push_back(PooledSession { session, created: Instant::now() });
            self.counts.pooled.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Closes every pooled session (the cluster went down or the server stops).
    pub fn drain(&self) {
        let sessions: Vec<PooledSession> = self.lock_pool().drain(..).collect();
        for pooled in sessions {
            self.counts.pooled.fetch_sub(1, Ordering::Relaxed);
            self.counts.total.fetch_sub(1, Ordering::Relaxed);
            drop(pooled); // closes on the gateway in the background
        }
    }
}
