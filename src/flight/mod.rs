//! The Arrow Flight SQL front end (`[flight] listen`): the second door to the same core.
//!
//! Data tools (ADBC, pyarrow, Polars, DuckDB) want Arrow batches, and flinkwire already turns
//! every gateway page into one; here they leave as Arrow IPC over gRPC instead of PostgreSQL rows.
//! Everything behind the protocol is shared with the PostgreSQL front end: a Flight SQL client
//! gets a [`ClientSession`](crate::session::ClientSession) like a PostgreSQL connection (routing,
//! pool, environment, role, statement policy, result modes, limits, audit), its results are the
//! same [`RowSet`](crate::results::RowSet)s read as batches ([`RowSet::next_batch`](crate::results::RowSet::next_batch)).
//!
//! - [`auth`]: basic auth → bearer tokens, against the same users; trust as on the PostgreSQL
//!   listener.
//! - [`sessions`]: which client session a call belongs to (token or peer, `database`,
//!   `flinkwire.cluster`), its unread results and prepared statements, idle expiry.
//! - [`service`]: the Flight SQL commands.
//! - [`metadata`]: `GetCatalogs`, `GetDbSchemas`, `GetTables`, … from the metadata snapshot.
//! - [`params`]: prepared-statement parameters bound from Arrow, inlined through the same safe
//!   path as PostgreSQL's `$n`.
//! - [`types`]: the few Arrow types adjusted for Flight SQL clients.
//! - [`error`]: errors as gRPC statuses carrying the SQLSTATE.
//! - [`listener`]: the gRPC listener, TLS and shutdown.

mod auth;
mod error;
mod listener;
mod metadata;
mod params;
mod service;
mod sessions;
mod types;

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

pub use listener::serve;

/// `[flight]`: the Arrow Flight SQL listener; absent `listen` = off.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FlightConfig {
    /// Address of the Flight SQL (gRPC) listener, e.g. `127.0.0.1:5434`. A non-loopback
    /// address needs `[tls]` (the listener then serves TLS with the same certificate).
    #[serde(default)]
    pub listen: Option<SocketAddr>,
    /// Seconds a Flight SQL session (its gateway session, bearer token, prepared statements and
    /// unread results) lives without a call: gRPC has no disconnect to close it on.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout_secs: u64,
}

impl Default for FlightConfig {
    fn default() -> Self {
        Self { listen: None, idle_timeout_secs: default_idle_timeout() }
    }
}

fn default_idle_timeout() -> u64 {
    600
}

impl FlightConfig {
    /// Until TLS is configured the listener stays on loopback: bearer tokens and basic-auth
    /// passwords would otherwise cross the network in cleartext.
    pub fn validate(&self, tls: &crate::tls::TlsConfig) -> Result<(), String> {
        let Some(listen) = self.listen else { return Ok(()) };
        let tls_on = tls.cert.is_some() && tls.effective_mode() != crate::tls::TlsMode::Disable;
        if !listen.ip().is_loopback() && !tls_on {
            return Err(format!(
                "flight.listen = {listen} is not a loopback address: the Flight SQL listener needs [tls] cert and key \
                 for that (it serves TLS with them), or a loopback address such as 127.0.0.1:5434"
            ));
        }
        if self.idle_timeout_secs == 0 {
            return Err("flight.idle_timeout_secs must be at least 1".into());
        }
        Ok(())
    }

    pub fn idle_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.idle_timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_loopback_needs_tls() {
        let config = |listen: &str| FlightConfig { listen: Some(listen.parse().unwrap()), ..Default::default() };
        let no_tls = crate::tls::TlsConfig::default();
        assert!(config("127.0.0.1:5434").validate(&no_tls).is_ok());
        let err = config("0.0.0.0:5434").validate(&no_tls).unwrap_err();
        assert!(err.contains("needs [tls]"), "{err}");
        let tls = crate::tls::TlsConfig { cert: Some("c".into()), key: Some("k".into()), ..Default::default() };
        assert!(config("0.0.0.0:5434").validate(&tls).is_ok());
        assert!(FlightConfig::default().validate(&no_tls).is_ok());
    }
}
