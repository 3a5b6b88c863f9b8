//! The back end: a client of the Flink SQL Gateway REST API.
//!
//! - [`GatewayClient`]: one per gateway endpoint; negotiates the REST API version once and shares
//!   one HTTP connection pool.
//! - [`GatewaySession`]: one per PostgreSQL connection; a gateway session kept alive by
//!   heartbeats and closed when the client goes away.
//! - [`Operation`]: one statement; its result pages are followed through `NOT_READY` /
//!   `PAYLOAD` / `EOS`, and the operation is closed (which cancels its Flink job) when dropped.

mod client;
mod error;
mod operation;
mod session;

pub use client::GatewayClient;
pub use error::BackendError;
pub use operation::{Operation, Page};
pub use session::GatewaySession;

/// Runs a close request in the background from a `Drop` (which cannot await), logging failure.
/// Outside a tokio runtime (process teardown) there is nothing left to close it with.
fn close_in_background<F>(what: String, close: F)
where
    F: std::future::Future<Output = Result<(), BackendError>> + Send + 'static,
{
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move {
            if let Err(err) = close.await {
                tracing::warn!(cause = %err, "closing {what} failed");
            }
        });
    }
}
