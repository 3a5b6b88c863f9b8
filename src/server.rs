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
    /// The listener's TLS certificate (reloaded by [`ServerContext::reload`]).
    pub tls: crate::tls::TlsStore,
    /// The configured users' credentials.
    pub accounts: crate::auth::Accounts,
    /// Delays for addresses that keep failing to log in.
    pub auth_failures: crate::auth::throttle::FailureThrottle,
    /// Open connections, against `limits.max_connections` and `max_connections_per_user`.
    pub admission: Arc<crate::frontend::admission::Admission>,
}

impl ServerContext {
    /// Builds the shared context; does not contact the gateway (a gateway that is down at
    /// startup must not stop flinkwire).
    pub fn new(config: Config) -> Result<Self, ServerError> {
        let forced = config.gateway.forced_api_version().ok().flatten();
        let gateway = GatewayClient::new(&config.gateway.url, config.gateway.request_timeout(), forced)?;
        let clusters = Arc::new(crate::cluster::Clusters::new(&config)?);
        let tls = crate::tls::TlsStore::new(&config.tls)?;
        let tls_on = tls.current().is_some();
        let accounts = crate::auth::Accounts::new(&config.users, tls_on, config.tls.client_ca.is_some() && tls_on)
            .map_err(ServerError::Users)?;
        let admission = crate::frontend::admission::Admission::new(
            config.limits.max_connections,
            config.limits.max_connections_per_user,
        );
        Ok(Self {
            config,
            gateway,
            pid_keys: RandomPidSecretKeyGenerator::default(),
            cancels: Arc::default(),
            clusters,
            tls,
            accounts,
            auth_failures: Default::default(),
            admission,
        })
    }

    /// SIGHUP: reads the TLS certificate and key again (new connections use them; open ones
    /// keep theirs). A file that cannot be used is logged and the old certificate stays.
    pub fn reload(&self) {
        match self.tls.reload() {
            Ok(()) => info!(tls = self.tls.current().is_some(), "reloaded the TLS certificate"),
            Err(err) => error!(cause = %err, "reloading the TLS certificate failed; keeping the one in use"),
        }
    }
}

/// Binds the listener and serves until `shutdown` turns true; then waits for connections to end
/// (closing their gateway sessions).
/// SIGHUP reloads the TLS certificate ([`ServerContext::reload`]).
pub async fn run(config: Config, mut shutdown: watch::Receiver<bool>) -> Result<(), ServerError> {
    let ctx = Arc::new(ServerContext::new(config)?);
    let listener = TcpListener::bind(ctx.config.listen).await?;
    let mut hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let reloader = {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                info!("SIGHUP: reloading");
                ctx.reload();
            }
        })
    };
    let served = serve(listener, ctx, &mut shutdown).await;
    reloader.abort();
    served
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
    let slot = ctx.admission.enter();
    // The certificate at accept time serves the whole connection, even across a reload.
    let tls = ctx.tls.current();
    let connection = Arc::new(Connection::new(ctx, slot, tls.as_ref().map(|t| t.end_point.clone())));
    let handlers = ConnectionHandlers(connection.clone());
    let limits = connection.limits().clone();
    // A client leaving in the middle of a result: stop the statement (and its Flink job).
    let canceller = connection.canceller();
    let on_leaving = move || canceller.cancel();
    let on_secured = {
        let connection = connection.clone();
        move |certificates: &[rustls::pki_types::CertificateDer<'static>]| {
            if let Some(leaf) = certificates.first() {
                connection.set_client_certificate(leaf.clone());
            }
        }
    };
    let acceptor = tls.map(|t| t.acceptor.clone());
    if let Err(err) = crate::frontend::socket::serve_socket(socket, acceptor, handlers, &limits, on_leaving, on_secured).await {
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
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    #[error("configuration: {0}")]
    Users(String),
}
