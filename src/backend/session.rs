//! A gateway session: opened per client connection, kept alive by heartbeats, closed on drop.

use std::collections::BTreeMap;
use std::time::Duration;

use flinkwire_protocol::rest::{
    ExecuteStatementRequest, ExecuteStatementResponse, OpenSessionRequest, OpenSessionResponse,
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
        debug!(session = %handle, "opened SQL Gateway session");
        let heartbeat = tokio::spawn(heartbeat_loop(client.clone(), handle.clone(), heartbeat_interval));
        Ok(Self { client: client.clone(), handle, heartbeat, closed: false })
    }

    /// The gateway's session handle.
    pub fn handle(&self) -> &str {
        &self.handle
    }

    /// The client this session belongs to.
    pub fn client(&self) -> &GatewayClient {
        &self.client
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

    /// Closes the session on the gateway (which closes its operations and cancels their jobs).
    pub async fn close(mut self) -> Result<(), BackendError> {
        self.closed = true;
        self.heartbeat.abort();
        close_session(&self.client, &self.handle).await
    }
}

impl Drop for GatewaySession {
    fn drop(&mut self) {
        self.heartbeat.abort();
        if self.closed {
            return;
        }
        let (client, handle) = (self.client.clone(), self.handle.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(err) = close_session(&client, &handle).await {
                    warn!(session = %handle, cause = %err, "closing SQL Gateway session failed");
                }
            });
        }
    }
}

async fn close_session(client: &GatewayClient, handle: &str) -> Result<(), BackendError> {
    let path = client.versioned(&format!("/sessions/{handle}")).await?;
    let _: serde_json::Value = client.request(Method::DELETE, &path, None::<&()>).await?;
    debug!(session = %handle, "closed SQL Gateway session");
    Ok(())
}

/// Keeps the session from expiring on the gateway's idle timeout while the client is idle.
async fn heartbeat_loop(client: GatewayClient, handle: String, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.tick().await; // the first tick fires at once
    loop {
        ticker.tick().await;
        let path = match client.versioned(&format!("/sessions/{handle}/heartbeat")).await {
            Ok(p) => p,
            Err(err) => {
                warn!(session = %handle, cause = %err, "heartbeat failed");
                continue;
            }
        };
        if let Err(err) = client.request::<(), serde_json::Value>(Method::POST, &path, None).await {
            warn!(session = %handle, cause = %err, "heartbeat failed");
        }
    }
}
