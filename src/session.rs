//! A client's session: its gateway session and the statements it runs.

use std::collections::BTreeMap;

use crate::backend::{BackendError, GatewayClient, GatewaySession};
use crate::config::Config;
use crate::results::{Outcome, ResultError, RowSet};
use crate::router::StatementKind;

/// Per-connection state that outlives single statements.
#[derive(Debug)]
pub struct ClientSession {
    gateway: GatewaySession,
}

impl ClientSession {
    /// Opens the gateway session of a new client, with the configured session properties.
    pub async fn open(
        gateway: &GatewayClient,
        config: &Config,
        session_name: &str,
    ) -> Result<Self, BackendError> {
        let gateway = GatewaySession::open(
            gateway,
            session_name,
            config.session.properties.clone(),
            config.gateway.heartbeat_interval(),
        )
        .await?;
        Ok(Self { gateway })
    }

    /// The gateway session handle (for logs).
    pub fn handle(&self) -> &str {
        self.gateway.handle()
    }

    /// Runs one Flink statement and returns its rows or its completion.
    pub async fn run(&self, sql: &str, kind: &StatementKind) -> Result<Outcome, ResultError> {
        tracing::debug!(session = %self.gateway.handle(), ?kind, sql, "executing");
        let operation = self.gateway.execute(sql, BTreeMap::new()).await?;
        RowSet::start(operation).await
    }

    /// Closes the gateway session and waits for the gateway to confirm.
    pub async fn close(self) -> Result<(), BackendError> {
        self.gateway.close().await
    }
}
