//! Drives one client socket: TLS negotiation, the login timeout, the message size cap, and the
//! UTF-8 check of query text, around pgwire's own message processing.
//!
//! This is pgwire's `process_socket` loop (pgwire 0.41, `tokio/server.rs`) with three things it
//! does not do: its startup timeout is fixed at 60 s, it buffers a message of any claimed length
//! up to 1 GiB, and it decodes query text with `from_utf8_lossy` (invalid bytes would run as
//! U+FFFD). The byte stream goes through a [`FrameTracker`] before pgwire decodes it.
//!
//! pgwire reads the next message only when the current one is done, so a client that sends
//! Terminate or closes its socket in the middle of an endless streaming result would not be
//! noticed while rows keep flowing (tokio-postgres, for one, keeps reading until the server
//! closes). While it writes, the stream therefore also reads ahead what the client sent: on a
//! Terminate or end of stream it cancels the running statement, which ends the Flink job.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use flinkwire_protocol::framing::{FrameKind, FrameTracker, Observation};
use futures::{SinkExt, StreamExt};
use pgwire::api::{ClientInfo, PgWireConnectionState, PgWireServerHandlers};
use pgwire::api::ErrorHandler;
use pgwire::error::PgWireError;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::tokio::server::{negotiate_tls, process_error, process_message, MaybeTls};
use pgwire::tokio::TlsAcceptor;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::codec::{Framed, FramedParts};

use super::error::{fatal_error, user_error};
use crate::config::LimitsConfig;

/// Bytes read ahead while writing are kept up to this much; then the client waits (TCP
/// backpressure) until pgwire reads them.
const READ_AHEAD_LIMIT: usize = 64 * 1024;

/// Bytes of encoded messages gathered before they are written to the socket.
const WRITE_CHUNK: usize = 64 * 1024;

/// Called when the client is leaving (Terminate or end of stream) while a result is written.
type OnLeaving = std::sync::Arc<dyn Fn() + Send + Sync>;

/// The client's byte stream, followed frame by frame on its way to pgwire's decoder.
struct TrackedStream {
    io: MaybeTls,
    tracker: FrameTracker,
    /// Set when a frame header claims more than the limit: reading stops there.
    too_large: Option<(FrameKind, u64)>,
    /// Bytes read (and tracked) while writing, not yet handed to pgwire.
    ahead: bytes::BytesMut,
    /// The client's end of the stream (or a read error), seen while writing.
    ahead_ended: bool,
    on_leaving: OnLeaving,
    /// `flinkwire_bytes_sent_total`.
    bytes_sent: prometheus_client::metrics::counter::Counter,
}

impl TrackedStream {
    fn refusal() -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, "message exceeds flinkwire's limit")
    }

    /// Follows newly read `bytes`; returns how many of them pgwire may have (all of them, unless
    /// an oversized frame starts among them).
    fn observe(&mut self, bytes: &[u8]) -> usize {
        match self.tracker.observe(bytes) {
            Observation::Fine => bytes.len(),
            Observation::TooLarge { offset, kind, claimed } => {
                self.too_large = Some((kind, claimed));
                offset
            }
        }
    }

    /// Reads what the client has sent meanwhile, without waiting; tells `on_leaving` if that is
    /// a Terminate or the end of the stream.
    fn read_ahead(&mut self, cx: &mut Context<'_>) {
        if self.ahead_ended || self.too_large.is_some() || self.ahead.len() >= READ_AHEAD_LIMIT {
            return;
        }
        let mut chunk = [0u8; 4096];
        let mut buf = ReadBuf::new(&mut chunk);
        match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
            Poll::Pending => return,
            Poll::Ready(Ok(())) if buf.filled().is_empty() => self.ahead_ended = true,
            Poll::Ready(Ok(())) => {
                let filled = buf.filled();
                let keep = self.observe(filled);
                self.ahead.extend_from_slice(&filled[..keep]);
            }
            Poll::Ready(Err(_)) => self.ahead_ended = true,
        }
        if self.ahead_ended || self.tracker.terminate_seen() {
            (self.on_leaving)();
        }
    }
}

impl AsyncRead for TrackedStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.ahead.is_empty() {
            let n = this.ahead.len().min(buf.remaining());
            buf.put_slice(&this.ahead.split_to(n));
            return Poll::Ready(Ok(()));
        }
        if this.too_large.is_some() {
            return Poll::Ready(Err(Self::refusal()));
        }
        if this.ahead_ended {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
        let read = buf.filled().len() - before;
        let keep = this.observe(&buf.filled()[before..]);
        if keep < read {
            // Hand pgwire the whole frames before the oversized header; the header and what
            // follows are never buffered. Zero bytes would read as end of stream: fail instead.
            buf.set_filled(before + keep);
            if keep == 0 {
                return Poll::Ready(Err(Self::refusal()));
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.read_ahead(cx);
        let written = ready!(Pin::new(&mut this.io).poll_write(cx, buf))?;
        this.bytes_sent.inc_by(written as u64);
        Poll::Ready(Ok(written))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A flush with nothing to write is how a quiet result checks on its client (liveness.rs).
        let this = self.get_mut();
        this.read_ahead(cx);
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Serves one client socket until it disconnects, logs in too slowly, or sends too much.
/// `on_leaving` is called when the client sends Terminate or closes its socket while a result is
/// being written (see the module documentation); `on_secured` once a TLS handshake has
/// completed, with the client's certificate chain (empty when it sent none).
pub async fn serve_socket<H>(
    socket: TcpStream,
    tls: Option<TlsAcceptor>,
    handlers: H,
    limits: &LimitsConfig,
    on_leaving: impl Fn() + Send + Sync + 'static,
    on_secured: impl FnOnce(&[rustls::pki_types::CertificateDer<'static>]),
    shutdown: &crate::shutdown::Shutdown,
    bytes_sent: prometheus_client::metrics::counter::Counter,
) -> io::Result<()>
where
    H: PgWireServerHandlers,
{
    let on_leaving: OnLeaving = std::sync::Arc::new(on_leaving);
    let login = tokio::time::sleep(limits.login_timeout());
    tokio::pin!(login);
    let negotiated = tokio::select! {
        _ = &mut login => {
            tracing::info!(timeout_secs = limits.login_timeout_secs, "client did not log in in time");
            return Ok(());
        }
        negotiated = negotiate_tls(socket, tls) => negotiated?,
    };
    // A client that starts TLS directly when none is configured: nothing to answer.
    let Some(negotiated) = negotiated else { return Ok(()) };

    // pgwire may already hold the start of the startup packet: the tracker starts there.
    let parts = negotiated.into_parts();
    if let MaybeTls::Tls(tls) = &parts.io {
        on_secured(tls.get_ref().1.peer_certificates().unwrap_or_default());
    }
    let mut read_buf = parts.read_buf;
    let mut stream = TrackedStream {
        io: parts.io,
        tracker: FrameTracker::new(limits.max_message_bytes),
        too_large: None,
        ahead: bytes::BytesMut::new(),
        ahead_ended: false,
        on_leaving: on_leaving.clone(),
        bytes_sent,
    };
    let keep = stream.observe(&read_buf);
    read_buf.truncate(keep);
    let mut tracked = FramedParts::new::<PgWireBackendMessage>(stream, parts.codec);
    tracked.read_buf = read_buf;
    tracked.write_buf = parts.write_buf;
    let mut socket = Framed::from_parts(tracked);
    // Results are written in chunks of this size rather than tokio-util's default 8 KiB: a
    // fraction of the syscalls (each write also reads ahead, see `TrackedStream`).
    socket.set_backpressure_boundary(WRITE_CHUNK);

    let startup_handler = handlers.startup_handler();
    let simple_query_handler = handlers.simple_query_handler();
    let extended_query_handler = handlers.extended_query_handler();
    let copy_handler = handlers.copy_handler();
    let cancel_handler = handlers.cancel_handler();
    let error_handler = handlers.error_handler();

    // Messages decoded so far; message n is frame n of the tracker (0 = the startup packet).
    let mut frame: u64 = 0;
    loop {
        let logging_in = matches!(
            socket.state(),
            PgWireConnectionState::AwaitingStartup | PgWireConnectionState::AuthenticationInProgress
        );
        let next = if logging_in {
            tokio::select! {
                _ = &mut login => {
                    tracing::info!(timeout_secs = limits.login_timeout_secs, "client did not log in in time");
                    let err = fatal_error("08006", "canceling authentication due to timeout");
                    return send_fatal(&mut socket, err).await;
                }
                next = socket.next() => next,
                _ = shutdown.draining() => return send_fatal(&mut socket, admin_shutdown()).await,
            }
        } else {
            tokio::select! {
                next = socket.next() => next,
                // Draining: an idle connection is closed at once (a running statement was allowed
                // to finish first).
                _ = shutdown.draining() => return send_fatal(&mut socket, admin_shutdown()).await,
            }
        };
        let message = match next {
            Some(Ok(message)) => message,
            Some(Err(err)) => {
                if let Some((kind, claimed)) = socket.get_ref().too_large {
                    tracing::warn!(message = kind.name(), claimed, limit = limits.max_message_bytes, "client message too large");
                    let err = fatal_error(
                        "54000",
                        format!(
                            "{} message of {claimed} bytes exceeds the limit of {} bytes (limits.max_message_bytes)",
                            kind.name(),
                            limits.max_message_bytes
                        ),
                    );
                    return send_fatal(&mut socket, err).await;
                }
                tracing::debug!(cause = %err, "client sent what is not the PostgreSQL protocol");
                return Ok(());
            }
            None => return Ok(()),
        };
        let this_frame = frame;
        frame += 1;
        // Terminate: the client is leaving (asyncpg waits for the server to close the socket).
        if matches!(message, PgWireFrontendMessage::Terminate(_)) {
            return Ok(());
        }
        let is_extended_query = match socket.state() {
            PgWireConnectionState::CopyInProgress(is_extended_query) => is_extended_query,
            _ => message.is_extended_query(),
        };
        let text_is_invalid = socket.get_mut().tracker.take_invalid_text(this_frame)
            && matches!(message, PgWireFrontendMessage::Query(_) | PgWireFrontendMessage::Parse(_));
        let outcome = if text_is_invalid {
            Some(Err(user_error("22021", "invalid byte sequence for encoding \"UTF8\"", None, None)))
        } else {
            let processing = process_message(
                message,
                &mut socket,
                startup_handler.clone(),
                simple_query_handler.clone(),
                extended_query_handler.clone(),
                copy_handler.clone(),
                cancel_handler.clone(),
            );
            tokio::pin!(processing);
            let finished = tokio::select! {
                outcome = &mut processing => Some(outcome),
                _ = shutdown.terminating() => None,
            };
            if finished.is_none() {
                // The shutdown timeout passed with this statement still running: cancel it
                // (closing its gateway operation and Flink job), then end the connection.
                on_leaving();
                let _ = tokio::time::timeout(TERMINATE_GRACE, &mut processing).await;
            }
            finished
        };
        let Some(outcome) = outcome else { return send_fatal(&mut socket, admin_shutdown()).await };
        if let Err(mut err) = outcome {
            error_handler.on_error(&socket, &mut err);
            process_error(&mut socket, err, is_extended_query).await?;
        }
    }
}

/// How long a cancelled statement may take to wind down at shutdown before the connection is
/// closed anyway.
const TERMINATE_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// PostgreSQL's answer to a connection ended by a server shutdown.
fn admin_shutdown() -> PgWireError {
    fatal_error("57P01", "terminating connection due to administrator command")
}

/// Sends a FATAL ErrorResponse and closes the connection (no ReadyForQuery after it).
async fn send_fatal<S>(socket: &mut S, err: PgWireError) -> io::Result<()>
where
    S: futures::Sink<PgWireBackendMessage, Error = io::Error> + Unpin,
{
    let info: pgwire::error::ErrorInfo = err.into();
    socket.send(PgWireBackendMessage::ErrorResponse(info.into())).await?;
    socket.close().await
}
