//! The listener: accepts PostgreSQL connections and runs each in its own task until shutdown.

use std::sync::Arc;

use pgwire::api::RandomPidSecretKeyGenerator;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{error, info, info_span, Instrument};

use crate::backend::GatewayClient;
use crate::config::Config;
use crate::frontend::{Connection, ConnectionHandlers};

/// What every connection shares: configuration and the gateway client.
pub struct ServerContext {
    pub config: Config,
    pub gateway: GatewayClient,
    /// Process ids and cancel keys for BackendKeyData, unique per server.
    pub pid_keys: RandomPidSecretKeyGenerator,
    /// Connections by cancel key, for CancelRequest (`frontend/cancel.rs`).
    pub cancels: Arc<crate::frontend::cancel::CancelRegistry>,
    /// The configured clusters, their session pools and metadata snapshots.
    pub clusters: Arc<crate::cluster::Clusters>,
    /// Roles, statement policy and the audit log (`security.audit.reopen()` on SIGHUP).
    pub security: crate::policy::Security,
}

impl ServerContext {
    /// Builds the shared context; does not contact the gateway (a gateway that is down at
    /// startup must not stop flinkwire).
    pub fn new(config: Config) -> Result<Self, ServerError> {
        let forced = config.gateway.forced_api_version().ok().flatten();
        let gateway = GatewayClient::new(&config.gateway.url, config.gateway.request_timeout(), forced)?;
        let clusters = Arc::new(crate::cluster::Clusters::new(&config)?);
        let security = crate::policy::Security::new(&config)?;
        Ok(Self {
            security,
            config,
            gateway,
            pid_keys: RandomPidSecretKeyGenerator::default(),
            cancels: Arc::default(),
            clusters,
        })
    }
}

/// Binds the listener and serves until `shutdown` turns true; then waits for connections to end
/// (closing their gateway sessions).
pub async fn run(config: Config, mut shutdown: watch::Receiver<bool>) -> Result<(), ServerError> {
    let listener = TcpListener::bind(config.listen).await?;
    serve(listener, Arc::new(ServerContext::new(config)?), &mut shutdown).await
}

/// Serves on an already bound listener (tests bind port 0 and read the address first).
pub async fn serve(
    listener: TcpListener,
    ctx: Arc<ServerContext>,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), ServerError> {
    info!(listen = %listener.local_addr()?, gateway = %ctx.config.gateway.url, "flinkwire is ready");
    // Health checks, pool refills and snapshot loads; stopped when `serve` returns.
    let mut supervisors = ctx.clusters.start();
    let mut connections = JoinSet::new();
    let mut next_id: u64 = 0;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (socket, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(err) => { error!(cause = %err, "accept failed"); continue; }
                };
                next_id += 1;
                let _ = socket.set_nodelay(true);
                let ctx = ctx.clone();
                let span = info_span!("conn", id = next_id, %peer);
                connections.spawn(async move { serve_connection(ctx, socket).await }.instrument(span));
            }
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    info!("shutting down: closing {} connection(s)", connections.len());
    supervisors.abort_all();
    connections.abort_all();
    while connections.join_next().await.is_some() {}
    Ok(())
}

async fn serve_connection(ctx: Arc<ServerContext>, socket: tokio::net::TcpStream) {
    let connection = Arc::new(Connection::new(ctx));
    let handlers = ConnectionHandlers(connection.clone());
    let limits = connection.limits().clone();
    // A client leaving in the middle of a result: stop the statement (and its Flink job).
    let canceller = connection.canceller();
    let on_leaving = move || canceller.cancel();
    if let Err(err) = crate::frontend::socket::serve_socket(socket, None, handlers, &limits, on_leaving).await {
        tracing::debug!(cause = %err, "connection ended with an error");
    }
    // pgwire has dropped its handlers, so this is the last reference: close the gateway session.
    if let Ok(connection) = Arc::try_unwrap(connection) {
        connection.close().await;
    }
    tracing::debug!("client disconnected");
}

/// Why the server could not start or keep serving.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Backend(#[from] crate::backend::BackendError),
    #[error(transparent)]
    Clusters(#[from] crate::cluster::ClusterSetupError),
}
