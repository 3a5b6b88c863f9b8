//! The back end: a client of the Flink SQL Gateway REST API.
//!
//! - [`GatewayClient`]: one per gateway endpoint; negotiates the REST API version once and shares
//!   one HTTP connection pool.
//! - [`GatewaySession`]: one per PostgreSQL connection; a gateway session kept alive by
//!   heartbeats and closed when the client goes away.
//! - [`Operation`]: one statement; its result pages are followed through `NOT_READY` /
//!   `PAYLOAD` / `EOS`, and the operation is closed (which cancels its Flink job) when dropped.

use std::time::Duration;

mod client;
mod error;
mod operation;
mod session;

pub use client::{endpoint_template, GatewayClient, RequestObserver};
pub use error::BackendError;
pub use operation::{Operation, Page};
pub use session::GatewaySession;

/// How long a close that cannot reach the gateway is retried. A real gateway expires an idle
/// session after `sql-gateway.session.idle-timeout` (10 minutes by default) and cancels its jobs
/// then; retrying as long means a gateway that comes back sooner has them cancelled at once.
const CLOSE_RETRY_FOR: Duration = Duration::from_secs(600);
/// The longest wait between two attempts: how late a returning gateway hears of the close.
const CLOSE_RETRY_MAX_DELAY: Duration = Duration::from_secs(5);

/// One attempt at closing something on the gateway; repeatable.
type CloseFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), BackendError>> + Send>>;

/// Closes something on the gateway: one attempt now and, if the gateway cannot be reached, more
/// in the background (see [`close_in_background`]); returns the first attempt's outcome.
async fn close_now_or_later<F>(what: String, attempt: F) -> Result<(), BackendError>
where
    F: Fn() -> CloseFuture + Send + 'static,
{
    let outcome = attempt().await;
    if matches!(&outcome, Err(err) if err.is_transient()) {
        close_in_background(what, attempt);
    }
    outcome
}

/// Runs a close request in the background (from a `Drop`, which cannot await, or after a first
/// attempt failed), retrying while the gateway cannot be reached, logging the outcome. Outside a
/// tokio runtime (process teardown) there is nothing left to close it with.
fn close_in_background<F>(what: String, attempt: F)
where
    F: Fn() -> CloseFuture + Send + 'static,
{
    let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
    rt.spawn(async move {
        let started = tokio::time::Instant::now();
        let mut delay = Duration::from_millis(250);
        loop {
            match attempt().await {
                Ok(()) => return,
                Err(err) if err.is_transient() && started.elapsed() < CLOSE_RETRY_FOR => {
                    tracing::debug!(cause = %err, "closing {what} failed; retrying in {delay:?}");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(CLOSE_RETRY_MAX_DELAY);
                }
                Err(err) => {
                    tracing::warn!(cause = %err, "closing {what} failed");
                    return;
                }
            }
        }
    });
}
