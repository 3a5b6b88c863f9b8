//! The listener: accepts PostgreSQL connections and runs each in its own task until shutdown.

use std::sync::Arc;

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
    /// What every logged-in connection is doing, by process id (`pg_stat_activity`, cancel
    /// keys, `pg_terminate_backend`).
    pub activity: Arc<crate::activity::Activity>,
    /// CancelRequests: to the connection here, or forwarded to the replica holding the key.
    pub cancels: Arc<crate::peers::CancelRouter>,
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
    /// Draining and terminating on SIGTERM (`crate::shutdown`).
    pub shutdown: crate::shutdown::Shutdown,
    /// Roles, statement policy and the audit log (`security.audit.reopen()` on SIGHUP).
    pub security: crate::policy::Security,
    /// The Prometheus metrics served on the admin listener (`crate::admin`).
    pub metrics: Arc<crate::admin::Metrics>,
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
        let security = crate::policy::Security::new(&config)?;
        let activity = Arc::new(crate::activity::Activity::new(config.cancel.replica()));
        let mut metrics = crate::admin::Metrics::new();
        metrics.register_result_cache(&clusters.result_cache.counters);
        let metrics = Arc::new(metrics);
        for cluster in clusters.all() {
            cluster
                .gateway
                .observe_with(metrics.gateway_observer(&cluster.name));
        }
        let cancels = Arc::new(crate::peers::CancelRouter::new(
            activity.clone(),
            &config.cancel,
        ));
        Ok(Self {
            security,
            config,
            gateway,
            activity,
            cancels,
            clusters,
            tls,
            accounts,
            auth_failures: Default::default(),
            admission,
            shutdown: Default::default(),
            metrics,
        })
    }

    /// SIGHUP: reads the TLS certificate and key again (new connections use them; open ones
    /// keep theirs; a file that cannot be used is logged and the old certificate stays) and
    /// reopens the audit log.
    pub fn reload(&self) {
        match self.tls.reload() {
            Ok(()) => info!(tls = self.tls.current().is_some(), "reloaded the TLS certificate"),
            Err(err) => error!(cause = %err, "reloading the TLS certificate failed; keeping the one in use"),
        }
        // Log rotation: the audit file is opened again under its name.
        if let Err(err) = self.security.audit.reopen() {
            error!(cause = %err, "reopening the audit log failed; writing to the old file");
        }
    }
}

/// Binds the listener and serves until SIGTERM or SIGINT: the first drains (see
/// [`crate::shutdown`]), a second ends what still runs at once. SIGHUP reloads the TLS
/// certificate ([`ServerContext::reload`]).
pub async fn run(config: Config) -> Result<(), ServerError> {
    use tokio::signal::unix::{signal, SignalKind};
    let ctx = Arc::new(ServerContext::new(config)?);
    let listener = TcpListener::bind(ctx.config.listen).await?;
    let (mut hangups, mut terms, mut ints) =
        (signal(SignalKind::hangup())?, signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?);
    let signals = {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = hangups.recv() => {
                        info!("SIGHUP: reloading");
                        ctx.reload();
                    }
                    _ = terms.recv() => stop_requested(&ctx, "SIGTERM"),
                    _ = ints.recv() => stop_requested(&ctx, "SIGINT"),
                }
            }
        })
    };
    let (_never, mut no_stop) = watch::channel(false);
    let served = serve(listener, ctx, &mut no_stop).await;
    signals.abort();
    served
}

/// The first stop signal drains, the next one terminates.
fn stop_requested(ctx: &ServerContext, signal: &str) {
    if ctx.shutdown.is_draining() {
        info!("{signal} again: ending the remaining connections now");
        ctx.shutdown.terminate();
    } else {
        info!(timeout_secs = ctx.config.shutdown_timeout_secs, "{signal}: draining (a second signal ends everything at once)");
        ctx.shutdown.drain();
    }
}

/// Serves on an already bound listener (tests bind port 0 and read the address first) until
/// `shutdown` changes or [`ServerContext::shutdown`] starts draining; then drains.
pub async fn serve(
    listener: TcpListener,
    ctx: Arc<ServerContext>,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), ServerError> {
    info!(listen = %listener.local_addr()?, gateway = %ctx.config.gateway.url, replica = ctx.activity.replica(), "flinkwire is ready");
    // Health checks, pool refills and snapshot loads; stopped when `serve` returns.
    let supervisors = ctx.clusters.start();
    // The admin listener outlives the drain (orchestrators must see /readyz fail); it is
    // aborted when this function returns.
    let admin = match ctx.config.admin.listen {
        Some(addr) => Some(AbortOnDrop(tokio::spawn(crate::admin::serve(TcpListener::bind(addr).await?, ctx.clone())))),
        None => None,
    };
    let mut connections = JoinSet::new();
    // The Flight SQL listener counts as one connection: the drain waits for its streams and
    // its sessions' closes like for PostgreSQL connections (it follows `ctx.shutdown` itself).
    if let Some(addr) = ctx.config.flight.listen {
        let flight = TcpListener::bind(addr).await?;
        connections.spawn(crate::flight::serve(flight, ctx.clone()).instrument(info_span!("flight")));
    }
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
            _ = ctx.shutdown.draining() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drain(listener, &ctx, supervisors, connections).await;
    drop(admin);
    Ok(())
}

/// Aborts a task when dropped, so every way out of `serve` stops the admin listener.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Shuts down: no new connections, running statements get `shutdown_timeout_secs`, then the rest
/// are ended (FATAL 57P01) and every gateway session is closed, waiting (bounded) for the closes.
async fn drain(listener: TcpListener, ctx: &ServerContext, mut supervisors: JoinSet<()>, mut connections: JoinSet<()>) {
    drop(listener);
    ctx.shutdown.drain();
    supervisors.abort_all();
    ctx.clusters.drain_pools();
    info!(connections = connections.len(), timeout_secs = ctx.config.shutdown_timeout_secs, "draining");
    let all_ended = |connections: &mut JoinSet<()>| {
        let mut connections = std::mem::take(connections);
        async move { while connections.join_next().await.is_some() {} }
    };
    let mut waiting = tokio::spawn(all_ended(&mut connections));
    // A JoinHandle must not be polled again once it has completed (tokio panics).
    let ended = tokio::select! {
        _ = &mut waiting => true,
        _ = tokio::time::sleep(ctx.config.shutdown_timeout()) => {
            info!("shutdown timeout: ending the remaining connections");
            false
        }
        _ = ctx.shutdown.terminating() => false,
    };
    ctx.shutdown.terminate();
    // Ended connections cancel their statement and close their gateway session; give that a
    // bounded time (a gateway that does not answer must not keep the process alive).
    if !ended && tokio::time::timeout(CLOSE_GRACE, &mut waiting).await.is_err() {
        error!("connections did not end in time; dropping them");
        waiting.abort();
    }
    let deadline = tokio::time::Instant::now() + CLOSE_GRACE;
    while ctx.clusters.open_sessions() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    match ctx.clusters.open_sessions() {
        0 => info!("shut down: every gateway session closed"),
        n => error!(sessions = n, "shut down with gateway sessions still open"),
    }
}

/// How long ended connections and gateway closes may take after the shutdown timeout.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

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
    let shutdown = connection.shutdown().clone();
    let bytes_sent = connection.metrics().bytes_sent().clone();
    let served = crate::frontend::socket::serve_socket(socket, acceptor, handlers, &limits, on_leaving, on_secured, &shutdown, bytes_sent).await;
    if let Err(err) = served {
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
