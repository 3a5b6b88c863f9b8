//! A gateway session: opened per client connection, kept alive by heartbeats, closed on drop.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use flinkwire_protocol::rest::{
    ExecuteStatementRequest, ExecuteStatementResponse, GetSessionConfigResponse, OpenSessionRequest,
    OpenSessionResponse,
};
use reqwest::Method;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use super::client::GatewayClient;
use super::error::BackendError;
use super::operation::Operation;

/// One SQL Gateway session. Dropping it stops the heartbeat and closes the session in the
/// background; call [`GatewaySession::close`] to close it and wait.
#[derive(Debug)]
pub struct GatewaySession {
    client: GatewayClient,
    handle: String,
    heartbeat: JoinHandle<()>,
    closed: bool,
    /// Set when a heartbeat learns that the gateway no longer knows the session (it restarted
    /// or expired the session).
    lost: Arc<AtomicBool>,
}

impl GatewaySession {
    /// Opens a session with the given session properties and starts its heartbeat.
    pub async fn open(
        client: &GatewayClient,
        name: &str,
        properties: BTreeMap<String, String>,
        heartbeat_interval: Duration,
    ) -> Result<Self, BackendError> {
        let path = client.versioned("/sessions").await?;
        let req = OpenSessionRequest { session_name: Some(name.to_owned()), properties };
        let resp: OpenSessionResponse = client.request(Method::POST, &path, Some(&req)).await?;
        let handle = resp.session_handle;
        client.session_opened();
        debug!(session = %handle, "opened SQL Gateway session");
        let lost = Arc::new(AtomicBool::new(false));
        let heartbeat =
            tokio::spawn(heartbeat_loop(client.clone(), handle.clone(), heartbeat_interval, lost.clone()));
        Ok(Self { client: client.clone(), handle, heartbeat, closed: false, lost })
    }

    /// Whether a heartbeat found the session gone from the gateway.
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }

    /// Sends one heartbeat now; an error means the session (or the gateway) is gone.
    pub async fn heartbeat(&self) -> Result<(), BackendError> {
        let result = send_heartbeat(&self.client, &self.handle).await;
        if let Err(BackendError::Gateway(e)) = &result {
            if e.is_session_lost() {
                self.lost.store(true, Ordering::Relaxed);
            }
        }
        result
    }

    /// The gateway's session handle.
    pub fn handle(&self) -> &str {
        &self.handle
    }

    /// The client this session belongs to.
    pub fn client(&self) -> &GatewayClient {
        &self.client
    }

    /// The session's current Flink configuration (`GET /sessions/:handle`): the gateway's
    /// defaults, the properties it was opened with, and every `SET`/`RESET` since.
    pub async fn configuration(&self) -> Result<BTreeMap<String, String>, BackendError> {
        let path = self.client.versioned(&format!("/sessions/{}", self.handle)).await?;
        let resp: GetSessionConfigResponse = self.client.request::<(), _>(Method::GET, &path, None).await?;
        Ok(resp.properties)
    }

    /// Submits one statement. The gateway accepts even bad SQL here; errors surface when the
    /// first result page is fetched.
    pub async fn execute(
        &self,
        statement: &str,
        execution_config: BTreeMap<String, String>,
    ) -> Result<Operation, BackendError> {
        let path = self.client.versioned(&format!("/sessions/{}/statements", self.handle)).await?;
        let req = ExecuteStatementRequest {
            statement: statement.to_owned(),
            execution_timeout: None,
            execution_config,
        };
        let resp: ExecuteStatementResponse =
            self.client.request(Method::POST, &path, Some(&req)).await?;
        Operation::new(self.client.clone(), self.handle.clone(), resp.operation_handle).await
    }

    /// Runs one statement to its end and returns every row as text (JSON strings unquoted, other
    /// values as JSON, NULL as `None`): for flinkwire's own bookkeeping statements (`SHOW …`,
    /// `DESCRIBE …`, environment DDL), never for client results.
    pub async fn query_text(&self, statement: &str) -> Result<Vec<Vec<Option<String>>>, BackendError> {
        let mut operation = self.execute(statement, BTreeMap::new()).await?;
        let mut rows = Vec::new();
        while let Some(page) = operation.next_page().await? {
            let values = page.rows.to_row_data().map_err(|e| BackendError::Protocol(format!("a result row: {e}")))?;
            rows.extend(values.into_iter().map(|row| {
                row.fields
                    .into_iter()
                    .map(|v| match v {
                        serde_json::Value::Null => None,
                        serde_json::Value::String(s) => Some(s),
                        other => Some(other.to_string()),
                    })
                    .collect()
            }));
            if page.end_of_stream {
                break;
            }
        }
        operation.close().await?;
        Ok(rows)
    }

    /// Closes the session on the gateway (which closes its operations and cancels their jobs).
    /// If the gateway cannot be reached, the close is retried in the background and the first
    /// failure is returned.
    pub async fn close(mut self) -> Result<(), BackendError> {
        self.closed = true;
        self.heartbeat.abort();
        let (what, attempt) = self.close_attempt();
        super::close_now_or_later(what, attempt).await
    }

    /// What to log, and a repeatable attempt to close this session.
    fn close_attempt(&self) -> (String, impl Fn() -> super::CloseFuture + Send + 'static) {
        let (client, handle) = (self.client.clone(), self.handle.clone());
        let what = format!("SQL Gateway session {handle}");
        (what, move || -> super::CloseFuture {
            let (client, handle) = (client.clone(), handle.clone());
            Box::pin(async move { close_session(&client, &handle).await })
        })
    }
}

impl Drop for GatewaySession {
    fn drop(&mut self) {
        self.heartbeat.abort();
        if !self.closed {
            let (what, attempt) = self.close_attempt();
            super::close_in_background(what, attempt);
        }
    }
}

/// Closes the session; once it is closed, or the gateway says it cannot be (it no longer knows
/// it), the session no longer counts as open.
async fn close_session(client: &GatewayClient, handle: &str) -> Result<(), BackendError> {
    let outcome = async {
        let path = client.versioned(&format!("/sessions/{handle}")).await?;
        client.request::<(), serde_json::Value>(Method::DELETE, &path, None).await.map(drop)
    }
    .await;
    match &outcome {
        Ok(()) => debug!(session = %handle, "closed SQL Gateway session"),
        Err(err) if err.is_transient() => return outcome,
        Err(_) => {}
    }
    client.session_gone();
    outcome
}

async fn send_heartbeat(client: &GatewayClient, handle: &str) -> Result<(), BackendError> {
    let path = client.versioned(&format!("/sessions/{handle}/heartbeat")).await?;
    client.request::<(), serde_json::Value>(Method::POST, &path, None).await.map(|_| ())
}

/// Keeps the session from expiring on the gateway's idle timeout while the client is idle.
/// Stops once the gateway says the session is gone (marking it lost).
async fn heartbeat_loop(client: GatewayClient, handle: String, interval: Duration, lost: Arc<AtomicBool>) {
    let mut ticker = tokio::time::interval(interval);
    ticker.tick().await; // the first tick fires at once
    loop {
        ticker.tick().await;
        match send_heartbeat(&client, &handle).await {
            Ok(()) => {}
            Err(BackendError::Gateway(e)) if e.is_session_lost() => {
                warn!(session = %handle, "the SQL Gateway lost the session");
                lost.store(true, Ordering::Relaxed);
                return;
            }
            Err(err) => warn!(session = %handle, cause = %err, "heartbeat failed"),
        }
    }
}
