//! The Flight SQL listener: tonic's gRPC server on the bound address, plaintext on loopback or
//! TLS with the PostgreSQL listener's certificate (`[tls]`, read at startup; ALPN `h2`).
//!
//! Shutdown follows the server's (`crate::shutdown`): draining stops accepting and lets running
//! streams finish; terminating drops what still runs (each dropped result cancels its Flink job);
//! then every Flight SQL session's gateway session is closed.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use arrow_flight::flight_service_server::FlightServiceServer;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::transport::server::{Connected, TcpConnectInfo};
use tracing::{debug, error, info};

use super::auth::Tokens;
use super::service::FlightSqlFrontEnd;
use super::sessions::Sessions;
use crate::server::ServerContext;

/// How long a TLS handshake may take before the connection is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves Flight SQL on `listener` until the server shuts down.
pub async fn serve(listener: TcpListener, ctx: Arc<ServerContext>) {
    let local = listener.local_addr().ok();
    let sessions = Arc::new(Sessions::default());
    let tokens = Arc::new(Tokens::default());
    let tls = ctx.tls.current();
    let front = FlightSqlFrontEnd { ctx: ctx.clone(), sessions: sessions.clone(), tokens: tokens.clone(), tls: tls.is_some() };
    let max_message = usize::try_from(ctx.config.limits.max_message_bytes).unwrap_or(usize::MAX);
    let service = FlightServiceServer::new(front).max_decoding_message_size(max_message);
    let idle = ctx.config.flight.idle_timeout();
    let expiry = {
        let (sessions, tokens) = (sessions.clone(), tokens.clone());
        tokio::spawn(async move {
            let every = (idle / 4).clamp(Duration::from_secs(1), Duration::from_secs(30));
            loop {
                tokio::time::sleep(every).await;
                sessions.expire(idle).await;
                tokens.expire(idle);
            }
        })
    };
    info!(flight = ?local, tls = tls.is_some(), "Flight SQL listener is ready");
    let draining = {
        let shutdown = ctx.shutdown.clone();
        async move { shutdown.draining().await }
    };
    let router = tonic::transport::Server::builder().add_service(service);
    let mut accept_task = None;
    let served = async {
        match &tls {
            None => router.serve_with_incoming_shutdown(TcpListenerStream::new(listener), draining).await,
            Some(identity) => {
                let (incoming, task) = tls_incoming(listener, identity.grpc_acceptor.clone());
                accept_task = Some(task);
                router.serve_with_incoming_shutdown(incoming, draining).await
            }
        }
    };
    tokio::select! {
        served = served => {
            if let Err(err) = served {
                error!(cause = %err, "the Flight SQL listener failed");
            }
        }
        _ = ctx.shutdown.terminating() => info!("ending the remaining Flight SQL streams"),
    }
    if let Some(task) = accept_task {
        task.abort();
    }
    expiry.abort();
    sessions.close_all().await;
    debug!("Flight SQL listener stopped");
}

/// Accepted connections after their TLS handshake; handshakes run in their own tasks so a slow
/// client does not hold up the others.
fn tls_incoming(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
) -> (ReceiverStream<Result<TlsConnection, std::io::Error>>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let task = tokio::spawn(async move {
        loop {
            let (socket, peer) = match listener.accept().await {
                Ok(pair) => pair,
                Err(err) => {
                    error!(cause = %err, "Flight SQL accept failed");
                    continue;
                }
            };
            let _ = socket.set_nodelay(true);
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                let info = TcpConnectInfo { local_addr: socket.local_addr().ok(), remote_addr: Some(peer) };
                match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(socket)).await {
                    Ok(Ok(stream)) => {
                        let _ = tx.send(Ok(TlsConnection { stream, info })).await;
                    }
                    Ok(Err(err)) => debug!(%peer, cause = %err, "Flight SQL TLS handshake failed"),
                    Err(_) => debug!(%peer, "Flight SQL TLS handshake timed out"),
                }
            });
        }
    });
    (ReceiverStream::new(rx), task)
}

/// A TLS connection with the peer address tonic hands to requests (`Request::remote_addr`).
struct TlsConnection {
    stream: tokio_rustls::server::TlsStream<TcpStream>,
    info: TcpConnectInfo,
}

impl Connected for TlsConnection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.info.clone()
    }
}

impl AsyncRead for TlsConnection {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConnection {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
