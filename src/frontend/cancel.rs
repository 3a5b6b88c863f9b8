//! CancelRequest: stops the statement a connection is running, wherever it waits.
//!
//! pgwire's own `ConnectionManager` only interrupts `do_query`, which flinkwire does not use
//! (rows are streamed by its own `on_query`/`on_execute`). Instead each connection has a
//! [`QueryCanceller`]: every statement takes a fresh [`CancellationToken`] from it, and the row
//! loops (`RowSet::next_rows_until`) select on that token. A CancelRequest cancels the token of
//! the statement running at that moment; the loop then drops its result, which closes the
//! gateway operation (cancelling the Flink job), and the client gets 57014. A cancel that
//! arrives between statements does nothing, as in PostgreSQL.

use std::sync::Arc;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::api::cancel::CancelHandler;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::response::NoticeResponse;
use pgwire::messages::PgWireBackendMessage;
use std::fmt::Debug;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Connection;
use crate::results::{Outcome, ResultError};
use crate::router::StatementKind;

pub use crate::activity::QueryCanceller;

/// pgwire calls this for a CancelRequest on its own short connection.
#[derive(Debug)]
pub struct CancelHandlerImpl(pub Arc<crate::peers::CancelRouter>);

#[async_trait]
impl CancelHandler for CancelHandlerImpl {
    async fn on_cancel_request(&self, request: CancelRequest) {
        self.0.handle(request.pid, &request.secret_key);
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
        if let Some(backend) = self.backend() {
            backend.submitting();
        }
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
                if let Some(backend) = self.backend().cloned() {
                    rows.watch_job(Box::new(move |job| backend.job(job)));
                }
                session.configure_rows(sql, &mut rows).await?;
                rows.guard(deadline, Some(token));
                Ok(Outcome::Rows(rows))
            }
        }
    }
}
