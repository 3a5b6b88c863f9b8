//! CancelRequest: stops the statement a connection is running, wherever it waits.
//!
//! pgwire's own `ConnectionManager` only interrupts `do_query`, which flinkwire does not use
//! (rows are streamed by its own `on_query`/`on_execute`). Instead each connection has a
//! [`QueryCanceller`]: every statement takes a fresh [`CancellationToken`] from it, and the row
//! loops (`RowSet::next_rows_until`) select on that token. A CancelRequest cancels the token of
//! the statement running at that moment; the loop then drops its result, which closes the
//! gateway operation (cancelling the Flink job), and the client gets 57014. A cancel that
//! arrives between statements does nothing, as in PostgreSQL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use bytes::Bytes;
use pgwire::api::cancel::CancelHandler;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;
use futures::{Sink, SinkExt};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::response::NoticeResponse;
use pgwire::messages::PgWireBackendMessage;
use std::fmt::Debug;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Connection;
use crate::results::{Outcome, ResultError};
use crate::router::StatementKind;

/// The cancel state of one connection.
#[derive(Debug, Default)]
pub struct QueryCanceller {
    current: Mutex<CancellationToken>,
}

impl QueryCanceller {
    /// A fresh token for the statement about to run.
    pub fn begin(&self) -> CancellationToken {
        let token = CancellationToken::new();
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = token.clone();
        token
    }

    /// Cancels the statement running now, if any.
    pub fn cancel(&self) {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).cancel();
    }
}

/// The server's `(pid, secret key) → connection` map, and pgwire's cancel handler.
#[derive(Debug, Default)]
pub struct CancelRegistry {
    connections: Mutex<HashMap<(i32, Bytes), Weak<QueryCanceller>>>,
}

impl CancelRegistry {
    /// Registers a connection under the key data it sent the client in BackendKeyData.
    pub fn register(&self, pid: i32, secret: &SecretKey, canceller: &Arc<QueryCanceller>) {
        let mut map = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, c| c.strong_count() > 0); // connections that ended
        map.insert((pid, secret.to_bytes()), Arc::downgrade(canceller));
    }

    /// Cancels the running statement of the connection with this key data; unknown keys are
    /// ignored (PostgreSQL answers nothing either way).
    pub fn cancel(&self, pid: i32, secret: &SecretKey) -> bool {
        let canceller = {
            let map = self.connections.lock().unwrap_or_else(|p| p.into_inner());
            map.get(&(pid, secret.to_bytes())).and_then(Weak::upgrade)
        };
        match canceller {
            Some(c) => {
                tracing::info!(pid, "cancel request");
                c.cancel();
                true
            }
            None => {
                tracing::debug!(pid, "cancel request for an unknown connection");
                false
            }
        }
    }
}

/// pgwire calls this for a CancelRequest on its own short connection.
#[derive(Debug)]
pub struct CancelHandlerImpl(pub Arc<CancelRegistry>);

#[async_trait]
impl CancelHandler for CancelHandlerImpl {
    async fn on_cancel_request(&self, request: CancelRequest) {
        self.0.cancel(request.pid, &request.secret_key);
    }
}

/// A NOTICE to the client (e.g. that a limit cut a result).
pub(super) async fn send_notice<C>(client: &mut C, message: &str) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let info = ErrorInfo::new("NOTICE".to_owned(), "00000".to_owned(), message.to_owned());
    client.feed(PgWireBackendMessage::NoticeResponse(NoticeResponse::from(info))).await?;
    Ok(())
}

impl Connection {
    /// Starts a statement's guard: a fresh cancel token and the `statement_timeout` deadline.
    pub(super) fn statement_guard(&self) -> PgWireResult<(Option<Instant>, CancellationToken)> {
        let timeout = self.session()?.settings().results().statement_timeout;
        Ok((timeout.map(|t| Instant::now() + t), self.canceller.begin()))
    }

    /// Runs a Flink statement under a fresh guard, with the session's result settings applied:
    /// a cancel or timeout while Flink plans and submits it (before the first page) closes the
    /// operation and answers 57014.
    pub(super) async fn run_guarded(&self, sql: &str, kind: &StatementKind) -> PgWireResult<Outcome> {
        let (deadline, token) = self.statement_guard()?;
        self.run_with(sql, kind, deadline, token).await
    }

    /// Like [`Connection::run_guarded`] with an existing guard.
    pub(super) async fn run_with(
        &self,
        sql: &str,
        kind: &StatementKind,
        deadline: Option<Instant>,
        token: CancellationToken,
    ) -> PgWireResult<Outcome> {
        let session = self.session()?;
        let started = tokio::select! {
            biased;
            _ = token.cancelled() => return Err(ResultError::Cancelled.into()),
            _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                return Err(ResultError::Timeout.into())
            }
            started = session.run(sql, kind) => started?,
        };
        match started {
            Outcome::Done => Ok(Outcome::Done),
            Outcome::Rows(mut rows) => {
                // Result modes are about query results; SHOW/EXPLAIN/DESCRIBE and job ids stay
                // plain.
                let word = crate::router::leading_words(sql, 1).pop().unwrap_or_default();
                if !rows.is_local() && matches!(word.as_str(), "SELECT" | "WITH" | "VALUES" | "TABLE") {
                    let settings = session.settings().results().clone();
                    rows.configure(&settings, session.runtime_mode().await)?;
                }
                rows.guard(deadline, Some(token));
                Ok(Outcome::Rows(rows))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancels_only_the_running_statement() {
        let registry = CancelRegistry::default();
        let conn = Arc::new(QueryCanceller::default());
        registry.register(7, &SecretKey::I32(42), &conn);
        let first = conn.begin();
        assert!(!registry.cancel(7, &SecretKey::I32(41)));
        assert!(registry.cancel(7, &SecretKey::Bytes(Bytes::copy_from_slice(&42i32.to_be_bytes()))));
        assert!(first.is_cancelled());
        let second = conn.begin();
        assert!(!second.is_cancelled());
        drop(conn);
        assert!(!registry.cancel(7, &SecretKey::I32(42)));
    }
}
