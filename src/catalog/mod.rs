//! What flinkwire knows about the Flink objects behind each (cluster, environment) pair.
//!
//! - [`snapshot`]: the metadata snapshot data model (catalogs → databases → tables → columns,
//!   functions).
//! - [`SnapshotStore`]: the in-memory snapshots, one per [`SnapshotKey`], swapped atomically on
//!   refresh.

pub mod loader;
pub mod pg;
pub mod snapshot;

use std::sync::Arc;

use dashmap::DashMap;

pub use snapshot::{
    CatalogMeta, ColumnKind, ColumnMeta, DatabaseMeta, FunctionKind, FunctionMeta, LoadProblem,
    MetadataSnapshot, TableKind, TableMeta, WatermarkMeta,
};

/// Identifies a snapshot: the cluster name and the environment applied (`None` = none).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SnapshotKey {
    pub cluster: String,
    pub environment: Option<String>,
}

impl SnapshotKey {
    pub fn new(cluster: impl Into<String>, environment: Option<impl Into<String>>) -> Self {
        Self { cluster: cluster.into(), environment: environment.map(Into::into) }
    }
}

impl std::fmt::Display for SnapshotKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.environment {
            Some(env) => write!(f, "{}/{}", self.cluster, env),
            None => f.write_str(&self.cluster),
        }
    }
}

/// The latest snapshot of every (cluster, environment) pair. Readers get an `Arc` and keep a
/// consistent view while a refresh swaps in a new one.
#[derive(Debug, Default)]
pub struct SnapshotStore {
    snapshots: DashMap<SnapshotKey, Arc<MetadataSnapshot>>,
}

impl SnapshotStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The latest snapshot for `key`, if one was loaded.
    pub fn get(&self, key: &SnapshotKey) -> Option<Arc<MetadataSnapshot>> {
        self.snapshots.get(key).map(|s| s.value().clone())
    }

    /// Replaces the snapshot for `key`.
    pub fn put(&self, key: SnapshotKey, snapshot: MetadataSnapshot) {
        self.snapshots.insert(key, Arc::new(snapshot));
    }

    /// Every key with a snapshot.
    pub fn keys(&self) -> Vec<SnapshotKey> {
        let mut keys: Vec<_> = self.snapshots.iter().map(|e| e.key().clone()).collect();
        keys.sort();
        keys
    }
}
