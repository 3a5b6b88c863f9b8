//! A client's session: its gateway session and the statements it runs.

use std::collections::BTreeMap;

use crate::backend::{BackendError, GatewayClient, GatewaySession};
use crate::config::Config;
use crate::results::{Outcome, ResultError, RowSet};
use crate::router::StatementKind;

/// A statement of the session's init SQL failed: the session is not usable as configured.
#[derive(Debug, thiserror::Error)]
#[error("init SQL statement failed: {statement}: {source}")]
pub struct SessionInitError {
    pub statement: String,
    #[source]
    pub source: ResultError,
}

/// Why a client session could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Gateway(#[from] BackendError),
    #[error(transparent)]
    Init(#[from] SessionInitError),
}

impl OpenError {
    /// The SQLSTATE of a failed connection attempt: 08001 when the gateway is unreachable, the
    /// statement's own SQLSTATE when init SQL is broken.
    pub fn sqlstate(&self) -> flinkwire_protocol::sqlstate::SqlState {
        use flinkwire_protocol::sqlstate::SqlState;
        match self {
            Self::Gateway(e) if e.sqlstate().is_connection_class() => SqlState::SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
            Self::Gateway(e) => e.sqlstate(),
            Self::Init(e) => e.source.sqlstate(),
        }
    }
}

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
    ) -> Result<Self, OpenError> {
        let gateway = GatewaySession::open(
            gateway,
            session_name,
            config.session.properties.clone(),
            config.gateway.heartbeat_interval(),
        )
        .await?;
        let session = Self { gateway };
        for sql in &config.session.init_sql {
            session.run_init(sql).await?;
        }
        Ok(session)
    }

    /// Runs one statement of the configured init SQL to completion.
    async fn run_init(&self, sql: &str) -> Result<(), SessionInitError> {
        let failed = |source| SessionInitError { statement: sql.to_owned(), source };
        match self.run(sql, &crate::router::classify(sql)).await.map_err(failed)? {
            Outcome::Done => Ok(()),
            Outcome::Rows(mut rows) => {
                while rows.next_rows(0, &pgwire::api::portal::Format::UnifiedText).await.map_err(failed)?.is_some() {}
                Ok(())
            }
        }
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
