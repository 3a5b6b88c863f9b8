//! Configuration: a TOML file, overridden by `FLINKWIRE_…` environment variables, overridden by
//! command-line flags. Unknown keys are errors, so a typo never silently falls back to a default.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use flinkwire_protocol::rest::ApiVersion;
use serde::{Deserialize, Serialize};

/// The whole configuration of a flinkwire server.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the PostgreSQL listener binds to.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The Flink SQL Gateway behind flinkwire.
    #[serde(default)]
    pub gateway: GatewayConfig,
    /// How each client's gateway session is set up.
    #[serde(default)]
    pub session: SessionConfig,
    /// Password users. None configured = trust, allowed only on a loopback listener.
    #[serde(default)]
    pub users: Vec<UserConfig>,
    /// Named Flink session clusters, each a gateway endpoint plus session properties. None
    /// configured = one cluster called `default` made of `gateway.url` and `session.properties`.
    #[serde(default)]
    pub clusters: BTreeMap<String, ClusterConfig>,
    /// Named environments: init SQL and declarative catalogs applied to new sessions.
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentConfig>,
    /// The pre-warmed session pool and the metadata snapshot.
    #[serde(default)]
    pub pool: PoolConfig,
    /// What one client connection may send and how long it may take to log in.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Queries flinkwire answers itself instead of asking Flink.
    #[serde(default)]
    pub local: LocalConfig,
    /// The opt-in result cache (`crate::results::cache`, docs/result-cache.md).
    #[serde(default)]
    pub result_cache: crate::results::cache::CacheConfig,
    /// Roles and their statement policy and limits (`crate::policy`, docs/security.md).
    #[serde(default)]
    pub roles: BTreeMap<String, crate::policy::RoleConfig>,
    /// The audit log (`crate::audit`, docs/security.md "Audit log").
    #[serde(default)]
    pub audit: crate::audit::AuditConfig,
    /// TLS for client connections.
    #[serde(default)]
    pub tls: crate::tls::TlsConfig,
    /// The admin HTTP listener (`/livez`, `/readyz`, `/metrics`); off unless `listen` is set.
    #[serde(default)]
    pub admin: crate::admin::AdminConfig,
    /// The Arrow Flight SQL listener (`crate::flight`, docs/flight-sql.md); off unless `listen`
    /// is set.
    #[serde(default)]
    pub flight: crate::flight::FlightConfig,
    /// Cancel keys across replicas (`crate::peers`): this replica's number and its peers.
    #[serde(default)]
    pub cancel: crate::peers::CancelConfig,
    /// Seconds running statements get to finish after SIGTERM before they are cancelled and
    /// their clients get FATAL 57P01.
    #[serde(default = "default_shutdown_timeout")]
    pub shutdown_timeout_secs: u64,
    /// `text` (default, for people) or `json` (one object per line, for log pipelines).
    #[serde(default)]
    pub log_format: LogFormat,
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Replaces secret values in place (see [`Config::to_redacted_toml`]).
fn redact(value: &mut toml::Value, secret: bool) {
    const MARKERS: [&str; 5] = ["password", "secret", "token", "credential", "private"];
    match value {
        toml::Value::Table(table) => {
            for (key, v) in table.iter_mut() {
                let key = key.to_ascii_lowercase();
                redact(v, secret || MARKERS.iter().any(|m| key.contains(m)));
            }
        }
        toml::Value::Array(items) => items.iter_mut().for_each(|v| redact(v, secret)),
        v if secret => *v = toml::Value::String("<redacted>".to_owned()),
        _ => {}
    }
}

/// A SQL Gateway address must be an absolute `http` or `https` URL with a host: anything else
/// would only fail at the first connection, after the server has reported itself started.
fn gateway_url(key: &str, url: &str) -> Result<(), String> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        Ok(u) => Err(format!("{key} = {url:?}: not an http(s) URL with a host (scheme {:?})", u.scheme())),
        Err(e) => Err(format!("{key} = {url:?}: not a URL ({e})")),
    }
}

fn default_shutdown_timeout() -> u64 {
    30
}

impl Config {
    /// The effective configuration as TOML, with every secret replaced by `"<redacted>"`: users'
    /// passwords and any key whose name says it holds one (`password`, `secret`, `token`,
    /// `credential`, `private`) in properties and catalog options.
    pub fn to_redacted_toml(&self) -> String {
        let mut value = toml::Value::try_from(self).unwrap_or_else(|e| toml::Value::String(format!("<cannot render: {e}>")));
        redact(&mut value, false);
        toml::to_string_pretty(&value).unwrap_or_else(|e| format!("# cannot render the configuration: {e}\n"))
    }

    /// See [`Config::shutdown_timeout_secs`].
    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }
}

/// Queries flinkwire answers itself, exactly as Flink would (`[local]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LocalConfig {
    /// Answer the constant `SELECT`s of connection checks (`SELECT 1`, `SELECT 1 AS ok`,
    /// `SELECT TRUE`) without a Flink job (`crate::local::constant`).
    #[serde(default = "default_true")]
    pub constant_selects: bool,
}

impl Default for LocalConfig {
    fn default() -> Self {
        Self { constant_selects: true }
    }
}

/// Per-connection limits on client input (PgBouncer's `max_packet_size` and
/// `client_login_timeout`, Odyssey's `client_login_timeout` and `query_size_limit`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest message a client may send (Query, Parse, Bind, CopyData…), in bytes, length field
    /// included. A longer one ends the connection with 54000 before any of it is buffered.
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: u64,
    /// Seconds a new connection has to finish TLS negotiation, startup and authentication.
    #[serde(default = "default_login_timeout")]
    pub login_timeout_secs: u64,
    /// Named prepared statements one connection may hold; Parse beyond it fails with 54000.
    #[serde(default = "default_max_prepared_statements")]
    pub max_prepared_statements: usize,
    /// Client connections the server accepts at once (0: no limit); one more is refused with
    /// 53300 "sorry, too many clients already" before authentication.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Connections one user may hold at once (0: no limit); 53300 "too many connections for
    /// role …" after authentication.
    #[serde(default)]
    pub max_connections_per_user: usize,
}

impl LimitsConfig {
    pub fn login_timeout(&self) -> Duration {
        Duration::from_secs(self.login_timeout_secs.max(1))
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_message_bytes: default_max_message_bytes(),
            login_timeout_secs: default_login_timeout(),
            max_prepared_statements: default_max_prepared_statements(),
            max_connections: default_max_connections(),
            max_connections_per_user: 0,
        }
    }
}

/// 8 MiB: a generous SQL text or Bind; PostgreSQL's own limit is 1 GiB.
fn default_max_message_bytes() -> u64 {
    8 << 20
}

/// PostgreSQL's `authentication_timeout` default.
fn default_login_timeout() -> u64 {
    60
}

fn default_max_prepared_statements() -> usize {
    10_000
}

/// PgBouncer's `max_client_conn` is 100; flinkwire's connections are cheap (≈ 30 KiB idle) but
/// each may hold a Flink job, so the cap is a guard against floods rather than a pool size.
fn default_max_connections() -> usize {
    1_000
}

/// One Flink session cluster as clients see it (`options='-c flinkwire.cluster=NAME'`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// SQL Gateway REST endpoint of this cluster; default `gateway.url`. Several clusters may
    /// share one gateway: the gateway binds each session to a cluster by its properties.
    #[serde(default)]
    pub gateway: Option<String>,
    /// Session properties binding a session to this cluster (`execution.target`, `rest.address`,
    /// `rest.port`, `yarn.application.id`, `kubernetes.cluster-id`, runtime mode, parallelism…),
    /// applied over `session.properties`.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// Whether this is the cluster of clients that name none (exactly one may be; with none
    /// marked, the only cluster or the one called `default`).
    #[serde(default)]
    pub default: bool,
    /// Pool size override for this cluster's (cluster, environment) pools.
    #[serde(default)]
    pub pool_size: Option<usize>,
    /// Most gateway sessions (pooled + in use) this cluster may have; default `pool.max_sessions`.
    #[serde(default)]
    pub max_sessions: Option<usize>,
}

/// A named, reusable set of init statements (the "FlinkSQLEnv").
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentConfig {
    /// The clusters this environment applies to; empty = every cluster.
    #[serde(default)]
    pub clusters: Vec<String>,
    /// Only these users get this environment; empty = every user.
    #[serde(default)]
    pub users: Vec<String>,
    /// Declarative catalogs, created first (`CREATE CATALOG name WITH ('type' = …, …)`).
    #[serde(default)]
    pub catalogs: Vec<CatalogConfig>,
    /// Files of Flink SQL statements (separated by `;`), run in order after the catalogs.
    /// Relative paths are relative to the working directory.
    #[serde(default)]
    pub files: Vec<std::path::PathBuf>,
    /// Inline statements, run after the files.
    #[serde(default)]
    pub init_sql: Vec<String>,
    /// Catalog to `USE` at the end, so it is the default database of clients that name none.
    #[serde(default)]
    pub default_catalog: Option<String>,
    /// Database to `USE` at the end (within the default catalog).
    #[serde(default)]
    pub default_database: Option<String>,
    /// Whether this environment's sessions start with `flinkwire.result_cache` on; default
    /// `result_cache.enabled`.
    #[serde(default)]
    pub result_cache: Option<bool>,
}

/// A catalog declared in configuration.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogConfig {
    /// Catalog name.
    pub name: String,
    /// Flink catalog type: `generic_in_memory`, `jdbc`, `hive`, `paimon`… (the cluster needs
    /// the jar).
    #[serde(rename = "type")]
    pub kind: String,
    /// Further catalog options (`'default-database'`, `'base-url'`, `'warehouse'`…).
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

/// The pre-warmed session pool and the metadata snapshot.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PoolConfig {
    /// Fresh, initialized sessions kept ready per (cluster, environment); 0 disables the pool.
    #[serde(default = "default_pool_size")]
    pub size: usize,
    /// A pooled session unused for this long is closed and replaced by a fresh one, in seconds.
    #[serde(default = "default_pool_idle")]
    pub idle_timeout_secs: u64,
    /// Most gateway sessions (pooled + in use) per cluster.
    #[serde(default = "default_max_sessions")]
    pub max_sessions: usize,
    /// Interval of cluster health checks, in seconds.
    #[serde(default = "default_health_interval")]
    pub health_check_interval_secs: u64,
    /// The metadata snapshot is reloaded after this many seconds; 0 = only after DDL.
    #[serde(default = "default_snapshot_ttl")]
    pub snapshot_ttl_secs: u64,
    /// Whether to load metadata snapshots at all.
    #[serde(default = "default_true")]
    pub snapshot: bool,
}

/// Where the SQL Gateway is and how to talk to it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// REST endpoint, e.g. `http://127.0.0.1:8083`.
    #[serde(default = "default_gateway_url")]
    pub url: String,
    /// Force a REST API version (`V1`…`V4`) instead of negotiating the highest common one.
    #[serde(default)]
    pub api_version: Option<String>,
    /// Timeout of one REST request, in seconds.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_secs: u64,
    /// Interval of session heartbeats, in seconds. Must stay below the gateway's
    /// `sql-gateway.session.idle-timeout` (10 minutes by default).
    #[serde(default = "default_heartbeat")]
    pub heartbeat_interval_secs: u64,
}

/// Properties of the gateway session opened for each client connection.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// Flink configuration for the session (`execution.runtime-mode`, `rest.address`, …).
    #[serde(default = "default_session_properties")]
    pub properties: BTreeMap<String, String>,
    /// Flink SQL run on every new session before the client's first statement (`CREATE TABLE`,
    /// `CREATE CATALOG`, `USE`, `SET 'k' = 'v'` …), so clients only have to write queries.
    #[serde(default)]
    pub init_sql: Vec<String>,
}

/// A user allowed to log in (see docs/security.md).
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub name: String,
    /// A SCRAM-SHA-256 verifier (`flinkwire passwd`), an `md5…` hash, or a plaintext password
    /// (turned into a verifier at load, with a warning).
    #[serde(default)]
    pub password: Option<String>,
    /// How the user authenticates; default `scram-sha-256` when a password is set.
    #[serde(default)]
    pub auth: Option<crate::auth::AuthMethod>,
    /// The user's cluster when the connection names none.
    #[serde(default)]
    pub cluster: Option<String>,
    /// The user's environment, overriding the cluster's choice.
    #[serde(default)]
    pub environment: Option<String>,
    /// The user's role (`[roles.NAME]`); none = the role called `default` when roles are
    /// configured, else full access (docs/security.md).
    #[serde(default)]
    pub role: Option<String>,
}

impl std::fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password: configurations end up in logs and panic messages.
        f.debug_struct("UserConfig")
            .field("name", &self.name)
            .field("auth", &self.auth)
            .field("cluster", &self.cluster)
            .field("environment", &self.environment)
            .finish_non_exhaustive()
    }
}

/// Values given on the command line; each one overrides file and environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub gateway_url: Option<String>,
}

/// A configuration problem, reported before the server starts.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration: gateway.api_version must be one of V1, V2, V3, V4 (got {0:?})")]
    ApiVersion(String),
    #[error("configuration: {0}")]
    Invalid(String),
    #[error(
        "configuration: no users are configured, which means trust authentication; that is only \
         allowed when listening on a loopback address (listen = {0})"
    )]
    TrustOnNonLoopback(SocketAddr),
}

impl Config {
    /// Loads the configuration: defaults, then `file` (if any), then `FLINKWIRE_*` environment
    /// variables (`FLINKWIRE_GATEWAY__URL` sets `gateway.url`), then `overrides`.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder();
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).format(config::FileFormat::Toml));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("FLINKWIRE")
                .prefix_separator("_")
                .separator("__")
                .source(Some(config_environment())),
        );
        if let Some(listen) = overrides.listen {
            builder = builder.set_override("listen", listen.to_string())?;
        }
        if let Some(url) = &overrides.gateway_url {
            builder = builder.set_override("gateway.url", url.clone())?;
        }
        let config: Config = builder.build()?.try_deserialize()?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.gateway.forced_api_version()?;
        self.tls.validate().map_err(|e| ConfigError::Invalid(format!("tls: {e}")))?;
        self.cancel.validate().map_err(ConfigError::Invalid)?;
        self.flight.validate(&self.tls).map_err(ConfigError::Invalid)?;
        if self.users.is_empty() && !self.listen.ip().is_loopback() {
            return Err(ConfigError::TrustOnNonLoopback(self.listen));
        }
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        let defaults: Vec<_> = self.clusters.iter().filter(|(_, c)| c.default).map(|(n, _)| n).collect();
        if defaults.len() > 1 {
            return invalid(format!("several clusters are marked default: {defaults:?}"));
        }
        let cluster_known = |name: &str| self.clusters.is_empty() && name == DEFAULT_CLUSTER || self.clusters.contains_key(name);
        for user in &self.users {
            if let Some(c) = user.cluster.as_deref().filter(|c| !cluster_known(c)) {
                return invalid(format!("user {:?} has unknown cluster {c:?}", user.name));
            }
            if let Some(e) = user.environment.as_deref().filter(|e| !self.environments.contains_key(*e)) {
                return invalid(format!("user {:?} has unknown environment {e:?}", user.name));
            }
        }
        for user in &self.users {
            if let Some(r) = user.role.as_deref().filter(|r| !self.roles.contains_key(*r)) {
                return invalid(format!("user {:?} has unknown role {r:?}", user.name));
            }
        }
        for (name, role) in &self.roles {
            role.validate(name, cluster_known).map_err(ConfigError::Invalid)?;
        }
        gateway_url("gateway.url", &self.gateway.url).map_err(ConfigError::Invalid)?;
        for (name, cluster) in &self.clusters {
            if let Some(url) = &cluster.gateway {
                gateway_url(&format!("clusters.{name}.gateway"), url).map_err(ConfigError::Invalid)?;
            }
        }
        for (name, env) in &self.environments {
            if let Some(c) = env.clusters.iter().find(|c| !cluster_known(c)) {
                return invalid(format!("environment {name:?} names unknown cluster {c:?}"));
            }
        }
        Ok(())
    }

    /// The configured clusters, or the implicit `default` one made of `gateway.url` and
    /// `session.properties`; each cluster's properties already merged over `session.properties`.
    pub fn effective_clusters(&self) -> BTreeMap<String, ClusterConfig> {
        if self.clusters.is_empty() {
            let cluster = ClusterConfig {
                gateway: Some(self.gateway.url.clone()),
                properties: self.session.properties.clone(),
                default: true,
                pool_size: None,
                max_sessions: None,
            };
            return BTreeMap::from([(DEFAULT_CLUSTER.to_owned(), cluster)]);
        }
        let mut clusters = self.clusters.clone();
        let has_default = clusters.values().any(|c| c.default);
        let only = clusters.len() == 1;
        for (name, cluster) in &mut clusters {
            let mut props = self.session.properties.clone();
            props.extend(std::mem::take(&mut cluster.properties));
            cluster.properties = props;
            cluster.gateway.get_or_insert_with(|| self.gateway.url.clone());
            if !has_default && (only || name == DEFAULT_CLUSTER) {
                cluster.default = true;
            }
        }
        clusters
    }

    /// The user entry called `name`.
    pub fn user(&self, name: &str) -> Option<&UserConfig> {
        self.users.iter().find(|u| u.name == name)
    }
}

/// Name of the implicit cluster when none are configured.
pub const DEFAULT_CLUSTER: &str = "default";

impl CatalogConfig {
    /// The `CREATE CATALOG` statement for this catalog.
    pub fn create_statement(&self) -> String {
        let mut options = vec![format!("'type' = {}", sql_string(&self.kind))];
        options.extend(self.options.iter().map(|(k, v)| format!("{} = {}", sql_string(k), sql_string(v))));
        format!("CREATE CATALOG {} WITH ({})", quote_ident(&self.name), options.join(", "))
    }
}

/// A Flink SQL string literal.
pub fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A Flink SQL identifier in backquotes.
pub fn quote_ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

impl PoolConfig {
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs.max(1))
    }

    pub fn health_check_interval(&self) -> Duration {
        Duration::from_secs(self.health_check_interval_secs.max(1))
    }

    /// `None` = no TTL refresh.
    pub fn snapshot_ttl(&self) -> Option<Duration> {
        (self.snapshot_ttl_secs > 0).then(|| Duration::from_secs(self.snapshot_ttl_secs))
    }
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            size: default_pool_size(),
            idle_timeout_secs: default_pool_idle(),
            max_sessions: default_max_sessions(),
            health_check_interval_secs: default_health_interval(),
            snapshot_ttl_secs: default_snapshot_ttl(),
            snapshot: true,
        }
    }
}

fn default_pool_size() -> usize {
    2
}

fn default_pool_idle() -> u64 {
    300
}

fn default_max_sessions() -> usize {
    200
}

fn default_health_interval() -> u64 {
    5
}

fn default_snapshot_ttl() -> u64 {
    300
}

fn default_true() -> bool {
    true
}

/// The `FLINKWIRE_*` variables that name a configuration key. Other variables with the prefix
/// (`FLINKWIRE_TEST_GATEWAY`, a wrapper script's own settings) are not configuration.
fn config_environment() -> config::Map<String, String> {
    const KEYS: [&str; 13] = [
        "FLINKWIRE_LISTEN",
        "FLINKWIRE_SHUTDOWN_TIMEOUT_SECS",
        "FLINKWIRE_LOG_FORMAT",
        "FLINKWIRE_GATEWAY__",
        "FLINKWIRE_SESSION__",
        "FLINKWIRE_POOL__",
        "FLINKWIRE_LIMITS__",
        "FLINKWIRE_LOCAL__",
        "FLINKWIRE_RESULT_CACHE__",
        "FLINKWIRE_TLS__",
        "FLINKWIRE_AUDIT__",
        "FLINKWIRE_ADMIN__",
        "FLINKWIRE_CANCEL__",
    ];
    std::env::vars()
        .filter(|(k, _)| KEYS.iter().any(|key| k == key.trim_end_matches('_') || k.starts_with(key)))
        .collect()
}

impl GatewayConfig {
    /// The configured REST API version, if one is forced.
    pub fn forced_api_version(&self) -> Result<Option<ApiVersion>, ConfigError> {
        match &self.api_version {
            None => Ok(None),
            Some(v) => ApiVersion::parse(&v.to_ascii_uppercase())
                .map(Some)
                .ok_or_else(|| ConfigError::ApiVersion(v.clone())),
        }
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_secs(self.heartbeat_interval_secs.max(1))
    }
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            url: default_gateway_url(),
            api_version: None,
            request_timeout_secs: default_request_timeout(),
            heartbeat_interval_secs: default_heartbeat(),
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self { properties: default_session_properties(), init_sql: Vec::new() }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 5433))
}

fn default_gateway_url() -> String {
    "http://127.0.0.1:8083".to_owned()
}

fn default_request_timeout() -> u64 {
    60
}

fn default_heartbeat() -> u64 {
    60
}

/// Batch mode by default: PostgreSQL clients expect a finite table, and a bounded query in batch
/// mode answers with final rows instead of a changelog.
fn default_session_properties() -> BTreeMap<String, String> {
    BTreeMap::from([("execution.runtime-mode".to_owned(), "batch".to_owned())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn file_then_flags() {
        let mut file = tempfile_with(
            r#"
            listen = "127.0.0.1:6000"
            [gateway]
            url = "http://127.0.0.1:9999"
            api_version = "v3"
            [session.properties]
            "execution.runtime-mode" = "streaming"
            "#,
        );
        file.flush().unwrap();
        let overrides = Overrides { listen: Some("127.0.0.1:7000".parse().unwrap()), gateway_url: None };
        let config = Config::load(Some(file.path()), &overrides).unwrap();
        assert_eq!(config.listen.port(), 7000);
        assert_eq!(config.gateway.url, "http://127.0.0.1:9999");
        assert_eq!(config.gateway.forced_api_version().unwrap(), Some(ApiVersion::V3));
        assert_eq!(config.session.properties["execution.runtime-mode"], "streaming");
    }

    #[test]
    fn unknown_keys_and_unsafe_trust_are_rejected() {
        let file = tempfile_with("listn = \"127.0.0.1:1\"");
        assert!(Config::load(Some(file.path()), &Overrides::default()).is_err());
        let overrides = Overrides { listen: Some("0.0.0.0:5433".parse().unwrap()), gateway_url: None };
        assert!(matches!(
            Config::load(None, &overrides),
            Err(ConfigError::TrustOnNonLoopback(_))
        ));
    }

    #[test]
    fn roles_are_validated() {
        let file = tempfile_with(
            r#"
            [roles.bi]
            read_only = true
            set_keys = ["table.exec.*"]
            [[users]]
            name = "ann"
            password = "x"
            role = "bi"
            "#,
        );
        let config = Config::load(Some(file.path()), &Overrides::default()).unwrap();
        assert!(config.roles["bi"].read_only);
        assert_eq!(config.user("ann").unwrap().role.as_deref(), Some("bi"));
        let unknown = tempfile_with("[[users]]\nname = \"ann\"\npassword = \"x\"\nrole = \"nope\"\n");
        let err = Config::load(Some(unknown.path()), &Overrides::default()).unwrap_err().to_string();
        assert!(err.contains("unknown role \"nope\""), "{err}");
        let bad = tempfile_with("[roles.r]\nclusters = [\"elsewhere\"]\n");
        assert!(Config::load(Some(bad.path()), &Overrides::default()).unwrap_err().to_string().contains("unknown cluster"));
        let bad = tempfile_with("[roles.r]\nstatement_timeout = \"1min\"\nmax_statement_timeout = \"10s\"\n");
        assert!(Config::load(Some(bad.path()), &Overrides::default()).unwrap_err().to_string().contains("exceeds"));
        let typo = tempfile_with("[roles.r]\nread_olny = true\n");
        assert!(Config::load(Some(typo.path()), &Overrides::default()).is_err());
    }

    struct TempFile(std::path::PathBuf, std::fs::File);
    impl TempFile {
        fn path(&self) -> &Path {
            &self.0
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.1.flush()
        }
    }

    fn tempfile_with(contents: &str) -> TempFile {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("flinkwire-config-{}-{n}.toml", std::process::id()));
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(contents.as_bytes()).unwrap();
        TempFile(path, file)
    }
}
