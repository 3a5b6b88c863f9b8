//! `[roles.NAME]`: what the users of a role may run (see docs/security.md, "Roles and statement
//! policy" and "Limits per role").

use serde::{Deserialize, Serialize};

/// One role of `[roles.NAME]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RoleConfig {
    /// Everything, with no check (the other keys except the limits are ignored).
    #[serde(default)]
    pub admin: bool,
    /// Queries only (SELECT/WITH/VALUES/SHOW/DESCRIBE/EXPLAIN, PostgreSQL session commands,
    /// pg_catalog), plus `SET` of the keys in `set_keys`.
    #[serde(default)]
    pub read_only: bool,
    /// Connectors the role may name in `CREATE TABLE … WITH ('connector' = …)`; `"*"` = any,
    /// including tables that name none (`LIKE`, catalog-managed tables). Empty = none.
    #[serde(default)]
    pub connectors: Vec<String>,
    /// Glob patterns (`*`, `?`) of the Flink keys the role may `SET 'key' = …`. The keys in
    /// [`crate::policy::NEVER_SET`] are refused to a non-admin whatever this says.
    #[serde(default)]
    pub set_keys: Vec<String>,
    /// The clusters the role may connect to; empty = every cluster.
    #[serde(default)]
    pub clusters: Vec<String>,
    /// The Flink catalogs the role may use; empty = every catalog. Others are invisible in
    /// pg_catalog / information_schema and refused in statements.
    #[serde(default)]
    pub catalogs: Vec<String>,
    /// INSERT, statement sets, CTAS, DELETE/UPDATE/TRUNCATE, ANALYZE, and `STOP JOB` of the jobs
    /// the same user started.
    #[serde(default)]
    pub allow_jobs: bool,
    /// Statements (queries, jobs being submitted) the role's users may run at once, over all
    /// their connections; a result counts while it is open (streaming, a suspended portal, a
    /// cursor). Beyond it: 53400.
    #[serde(default)]
    pub max_concurrent_queries: Option<usize>,
    /// `statement_timeout` a session of this role starts with (PostgreSQL syntax: `30s`, `5min`).
    #[serde(default)]
    pub statement_timeout: Option<String>,
    /// The largest `statement_timeout` a client may set; 0 (no limit) is then refused too.
    #[serde(default)]
    pub max_statement_timeout: Option<String>,
    /// `flinkwire.max_rows` a session of this role starts with.
    #[serde(default)]
    pub max_rows: Option<u64>,
    /// The largest `flinkwire.max_rows` a client may set; 0 (no limit) is then refused too.
    #[serde(default)]
    pub max_max_rows: Option<u64>,
}

impl RoleConfig {
    /// Checks the role against the configured cluster names; `Err` is the message.
    pub fn validate(&self, name: &str, cluster_known: impl Fn(&str) -> bool) -> Result<(), String> {
        if let Some(c) = self.clusters.iter().find(|c| !cluster_known(c)) {
            return Err(format!("role {name:?} names unknown cluster {c:?}"));
        }
        for (key, value) in [("statement_timeout", &self.statement_timeout), ("max_statement_timeout", &self.max_statement_timeout)] {
            if let Some(v) = value {
                if crate::results::settings::parse_duration_ms(v).is_none() {
                    return Err(format!("role {name:?}: {key} = {v:?} is not a duration (e.g. \"30s\", \"5min\")"));
                }
            }
        }
        let limits = self.limits();
        if let (Some(default), Some(max)) = (self.statement_timeout.as_ref().map(|_| limits.statement_timeout), limits.max_statement_timeout) {
            if default.is_none_or(|d| d > max) {
                return Err(format!("role {name:?}: statement_timeout exceeds max_statement_timeout"));
            }
        }
        if let (Some(default), Some(max)) = (self.max_rows, self.max_max_rows) {
            if default == 0 || default > max {
                return Err(format!("role {name:?}: max_rows exceeds max_max_rows"));
            }
        }
        if self.max_concurrent_queries == Some(0) {
            return Err(format!("role {name:?}: max_concurrent_queries must be at least 1"));
        }
        Ok(())
    }

    /// The role's limits on the result settings.
    pub fn limits(&self) -> crate::results::settings::SettingLimits {
        let duration = |v: &Option<String>| {
            v.as_deref().and_then(crate::results::settings::parse_duration_ms).map(crate::results::settings::whole_millis)
        };
        crate::results::settings::SettingLimits {
            statement_timeout: duration(&self.statement_timeout).filter(|d| !d.is_zero()),
            max_statement_timeout: duration(&self.max_statement_timeout).filter(|d| !d.is_zero()),
            max_rows: self.max_rows.filter(|n| *n > 0),
            max_max_rows: self.max_max_rows.filter(|n| *n > 0),
        }
    }
}
