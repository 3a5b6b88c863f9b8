//! Configuration: a TOML file, overridden by `FLINKWIRE_…` environment variables, overridden by
//! command-line flags. Unknown keys are errors, so a typo never silently falls back to a default.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use flinkwire_protocol::rest::ApiVersion;
use serde::Deserialize;

/// The whole configuration of a flinkwire server.
#[derive(Debug, Clone, Deserialize)]
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
}

/// Where the SQL Gateway is and how to talk to it.
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
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

/// A user allowed to log in with a password.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub name: String,
    pub password: String,
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
        if self.users.is_empty() && !self.listen.ip().is_loopback() {
            return Err(ConfigError::TrustOnNonLoopback(self.listen));
        }
        Ok(())
    }
}

/// The `FLINKWIRE_*` variables that name a configuration key. Other variables with the prefix
/// (`FLINKWIRE_TEST_GATEWAY`, a wrapper script's own settings) are not configuration.
fn config_environment() -> config::Map<String, String> {
    const KEYS: [&str; 3] = ["FLINKWIRE_LISTEN", "FLINKWIRE_GATEWAY__", "FLINKWIRE_SESSION__"];
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
