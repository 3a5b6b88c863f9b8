//! Graceful shutdown in two steps: **draining** (the listener is closed, `/readyz` fails, idle
//! connections are closed, running statements may finish) and **terminating** (what still runs
//! is cancelled; clients get FATAL 57P01). `server::serve` moves from one to the other after
//! `shutdown_timeout_secs`, or at once on a second signal.

use tokio_util::sync::CancellationToken;

/// The shutdown state shared by the server and its connections.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    draining: CancellationToken,
    terminating: CancellationToken,
}

impl Shutdown {
    /// The shutdown of one connection: it follows the server's, and terminating it
    /// (`pg_terminate_backend`) ends that connection alone.
    pub fn child(&self) -> Self {
        Self {
            draining: self.draining.child_token(),
            terminating: self.terminating.child_token(),
        }
    }

    /// Starts draining.
    pub fn drain(&self) {
        self.draining.cancel();
    }

    /// Ends what still runs (implies draining).
    pub fn terminate(&self) {
        self.draining.cancel();
        self.terminating.cancel();
    }

    pub fn is_draining(&self) -> bool {
        self.draining.is_cancelled()
    }

    pub fn is_terminating(&self) -> bool {
        self.terminating.is_cancelled()
    }

    /// Resolves when draining starts.
    pub async fn draining(&self) {
        self.draining.cancelled().await
    }

    /// Resolves when terminating starts.
    pub async fn terminating(&self) {
        self.terminating.cancelled().await
    }
}
