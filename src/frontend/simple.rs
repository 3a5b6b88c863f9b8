//! The simple query protocol: one or more statements in one string, rows flushed per page.

use std::fmt::Debug;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::portal::Format;
use pgwire::api::query::SimpleQueryHandler;
use pgwire::api::results::{Response, Tag};
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::data::RowDescription;
use pgwire::messages::response::{EmptyQueryResponse, ReadyForQuery};
use pgwire::messages::simplequery::Query;
use pgwire::messages::PgWireBackendMessage;

use super::cursor_sql::{CopyCommand, CursorCommand};
use super::{apply_transaction, completion_tag, Completed, Connection};
use crate::results::Outcome;
use crate::router::{classify, split_statements, StatementKind};

#[async_trait]
impl SimpleQueryHandler for Connection {
    /// Replaces pgwire's default so rows leave per gateway page instead of when the write
    /// buffer fills, and so several statements run in order with the first error ending the rest.
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        client.set_state(PgWireConnectionState::QueryInProgress);
        let statements = split_statements(&query.query);
        if statements.is_empty() {
            client.feed(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())).await?;
        }
        for sql in statements {
            let started = self.begin_audit();
            self.report_active(sql);
            let result = self.run_simple(client, sql).await;
            self.audit(sql, vec![], started, result.as_ref());
            if let Err(err) = result {
                // Like PostgreSQL: report the error, skip the remaining statements.
                let info: ErrorInfo = err.into();
                client.feed(PgWireBackendMessage::ErrorResponse(info.into())).await?;
                let status = client.transaction_status().to_error_state();
                client.set_transaction_status(status);
                break;
            }
        }
        client.set_state(PgWireConnectionState::ReadyForQuery);
        let status = client.transaction_status();
        self.report_idle(status);
        client.send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(status))).await?;
        Ok(())
    }

    /// Unused: `on_query` above handles the whole message.
    async fn do_query<C>(&self, _client: &mut C, _query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        Ok(vec![])
    }
}

impl Connection {
    /// Runs one statement of a simple query and writes its whole answer.
    async fn run_simple<C>(&self, client: &mut C, sql: &str) -> PgWireResult<Completed>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if let Some(command) = CursorCommand::parse(sql) {
            let command = command.map_err(super::error::cursor_syntax_error)?;
            return self.run_cursor(client, &command, None, true).await.map(Completed::rows);
        }
        if let Some(copy) = CopyCommand::parse(sql) {
            let copy = copy.map_err(super::error::cursor_syntax_error)?;
            return self.run_copy(client, &copy).await.map(Completed::rows);
        }
        let kind = classify(sql);
        match kind {
            StatementKind::Empty => {
                client.feed(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())).await?;
                return Ok(Completed::default());
            }
            StatementKind::Transaction(command) => {
                if command != crate::router::TransactionCommand::Begin {
                    self.end_transaction_cursors();
                }
                apply_transaction(client, command);
                client.feed(PgWireBackendMessage::CommandComplete(completion_tag(&kind, 0).into())).await?;
                return Ok(Completed::default());
            }
            _ => {}
        }
        let outcome = match &kind {
            StatementKind::Local(command) => match self.run_local_command(client, command).await? {
                Some(rows) => Outcome::Rows(rows),
                None => Outcome::Done,
            },
            _ => self.run_guarded(sql, &kind).await?,
        };
        let mut rows = match outcome {
            Outcome::Done => {
                client.feed(PgWireBackendMessage::CommandComplete(completion_tag(&kind, 0).into())).await?;
                return Ok(Completed::default());
            }
            Outcome::Rows(rows) => rows,
        };
        let text = Format::UnifiedText;
        let fields = rows.fields(&text);
        client
            .feed(PgWireBackendMessage::RowDescription(RowDescription::new(
                fields.iter().map(Into::into).collect(),
            )))
            .await?;
        if let (StatementKind::Job, Some(job)) = (&kind, rows.job_id()) {
            super::extended::send_job_notice(client, job).await?;
        }
        let mut count = 0;
        while let Some(page) = rows.next_rows(0, &text).await? {
            count += page.len();
            for row in page {
                client.feed(PgWireBackendMessage::DataRow(row)).await?;
            }
            // A page at a time reaches the client as soon as the gateway delivered it.
            client.flush().await?;
        }
        if let Some(cut) = rows.truncation() {
            super::cancel::send_notice(client, &cut.message()).await?;
        }
        let tag: Tag = completion_tag(&kind, count);
        client.feed(PgWireBackendMessage::CommandComplete(tag.into())).await?;
        Ok(Completed { rows: count as u64, job_id: rows.job_id().map(str::to_owned) })
    }
}
