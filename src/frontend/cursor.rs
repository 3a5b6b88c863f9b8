//! SQL cursors over running Flink results: `DECLARE`, `FETCH`, `MOVE`, `CLOSE`.
//!
//! A cursor keeps its [`RowSet`], so every FETCH continues the same Flink result (nothing runs
//! twice) and memory stays bounded. `FETCH … WITH (timeout = '1s')` returns what arrived within
//! the timeout, so a client can poll an unbounded query. Cursors are forward-only (`NO
//! SCROLL`). `WITHOUT HOLD` cursors end with the transaction that declared them; `WITH HOLD`
//! cursors and cursors declared outside a transaction block live until `CLOSE` or disconnect.

use std::fmt::Debug;

use futures::{Sink, SinkExt};
use pgwire::api::portal::Format;
use pgwire::api::results::{FieldInfo, Tag};
use pgwire::api::ClientInfo;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::data::RowDescription;
use pgwire::messages::PgWireBackendMessage;
use tokio::time::Instant;

use super::cursor_sql::CursorCommand;
use super::error::user_error;
use super::Connection;
use crate::results::{Next, Outcome, RowSet};
use crate::router::classify;

/// An open cursor.
#[derive(Debug)]
pub(super) struct Cursor {
    rows: RowSet,
    binary: bool,
    hold: bool,
    /// Whether the client was told that a limit cut the result.
    notified: bool,
}

fn no_cursor(name: &str) -> PgWireError {
    user_error("34000", format!("cursor \"{name}\" does not exist"), None, None)
}

impl Connection {
    fn cursors(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Cursor>> {
        self.cursors.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The columns a FETCH from `name` returns, for Describe.
    pub(super) fn cursor_fields(&self, name: &str, formats: Option<&Format>) -> Option<Vec<FieldInfo>> {
        let cursors = self.cursors();
        let cursor = cursors.get(name)?;
        let default = if cursor.binary { Format::UnifiedBinary } else { Format::UnifiedText };
        Some(cursor.rows.fields(formats.unwrap_or(&default)))
    }

    /// The transaction ended: its `WITHOUT HOLD` cursors close (their Flink jobs are cancelled).
    pub(super) fn end_transaction_cursors(&self) {
        let closed: Vec<Cursor> = {
            let mut cursors = self.cursors();
            let names: Vec<String> = cursors.iter().filter(|(_, c)| !c.hold).map(|(n, _)| n.clone()).collect();
            names.iter().filter_map(|n| cursors.remove(n)).collect()
        };
        drop(closed);
    }

    /// Runs a cursor command. `formats`: the portal's result formats (extended protocol), or
    /// `None` for the cursor's own (text, or binary for `DECLARE … BINARY`). `describe`: send
    /// RowDescription before FETCH rows (simple protocol). Returns the rows FETCH sent.
    pub(super) async fn run_cursor<C>(
        &self,
        client: &mut C,
        command: &CursorCommand,
        formats: Option<&Format>,
        describe: bool,
    ) -> PgWireResult<u64>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut sent = 0u64;
        let tag = match command {
            CursorCommand::Declare { name, binary, hold, query } => {
                if self.cursors().contains_key(name) {
                    return Err(user_error("42P03", format!("cursor \"{name}\" already exists"), None, None));
                }
                let kind = classify(query);
                if !kind.returns_rows() {
                    return Err(user_error("42601", "DECLARE CURSOR needs a query (SELECT, VALUES, SHOW …)", None, None));
                }
                let rows = match self.run_guarded(query, &kind).await? {
                    Outcome::Rows(rows) => rows,
                    Outcome::Done => return Err(user_error("42601", "DECLARE CURSOR needs a query that returns rows", None, None)),
                };
                let cursor = Cursor { rows, binary: *binary, hold: *hold, notified: false };
                self.cursors().insert(name.clone(), cursor);
                Tag::new("DECLARE CURSOR")
            }
            CursorCommand::Close { name: None } => {
                let all = std::mem::take(&mut *self.cursors());
                drop(all);
                Tag::new("CLOSE CURSOR ALL")
            }
            CursorCommand::Close { name: Some(name) } => {
                let cursor = self.cursors().remove(name).ok_or_else(|| no_cursor(name))?;
                drop(cursor);
                Tag::new("CLOSE CURSOR")
            }
            CursorCommand::Fetch { name, count, timeout, is_move } => {
                let mut cursor = self.cursors().remove(name).ok_or_else(|| no_cursor(name))?;
                let default = if cursor.binary { Format::UnifiedBinary } else { Format::UnifiedText };
                let formats = formats.unwrap_or(&default);
                if describe && !is_move {
                    let fields = cursor.rows.fields(formats);
                    client
                        .feed(PgWireBackendMessage::RowDescription(RowDescription::new(
                            fields.iter().map(Into::into).collect(),
                        )))
                        .await?;
                }
                let (deadline, token) = self.statement_guard()?;
                cursor.rows.guard(deadline, Some(token));
                let poll_until = timeout.map(|t| Instant::now() + t);
                let mut got = 0usize;
                loop {
                    let want = match count {
                        Some(n) if got as u64 >= *n => break,
                        Some(n) => (*n - got as u64).min(usize::MAX as u64) as usize,
                        None => 0,
                    };
                    // An error (cancel, timeout, a failed job) drops the cursor and its job.
                    match cursor.rows.next_rows_until(want, formats, poll_until).await? {
                        Next::Rows(rows) => {
                            got += rows.len();
                            if !is_move {
                                for row in rows {
                                    client.feed(PgWireBackendMessage::DataRow(row)).await?;
                                }
                                client.flush().await?;
                            }
                        }
                        Next::Waiting | Next::End => break,
                    }
                }
                if let (Some(cut), false) = (cursor.rows.truncation(), cursor.notified) {
                    cursor.notified = true;
                    super::cancel::send_notice(client, &cut.message()).await?;
                }
                self.cursors().insert(name.clone(), cursor);
                if !is_move {
                    sent = got as u64;
                }
                Tag::new(if *is_move { "MOVE" } else { "FETCH" }).with_rows(got)
            }
        };
        client.feed(PgWireBackendMessage::CommandComplete(tag.into())).await?;
        Ok(sent)
    }
}
