//! The extended query protocol: Parse / Bind / Describe / Execute with parameters inlined as
//! Flink literals, portals that suspend and resume on the same Flink result.
//!
//! Flink cannot describe a query without running it, so Describe runs it and keeps what it
//! learned: a described portal keeps its running result for Execute, and a described statement
//! without parameters keeps its result for the first portal bound to it. Nothing runs twice.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use flinkwire_protocol::params::{self, ParamFormat, ParamValue};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::ExtendedQueryHandler;
use pgwire::api::results::{
    DescribePortalResponse, DescribeStatementResponse, FieldFormat, FieldInfo, Response,
};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState, Type, DEFAULT_NAME};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::data::RowDescription;
use pgwire::messages::extendedquery::{
    Close, CloseComplete, Describe, Execute, Parse, ParseComplete, PortalSuspended, Sync as PgSync, TARGET_TYPE_BYTE_PORTAL,
    TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::{EmptyQueryResponse, NoticeResponse, ReadyForQuery};
use pgwire::messages::PgWireBackendMessage;

use super::cursor_sql::{CopyCommand, CursorCommand};
use super::error::{cursor_syntax_error, param_error, user_error};
use super::{apply_transaction, completion_tag, Connection};
use crate::results::{Outcome, RowSet};
use crate::router::{classify, split_statements, StatementKind};

/// A parsed statement of the extended protocol.
#[derive(Debug)]
pub struct PreparedStatement {
    /// The Flink SQL with `$n` placeholders.
    pub sql: String,
    pub kind: StatementKind,
    /// The highest `$n` in the SQL.
    pub param_count: usize,
    /// A result started by Describe of a statement without parameters, kept for the first
    /// Execute so the query does not run twice.
    described: Mutex<Option<RowSet>>,
}

/// Turns Parse messages into [`PreparedStatement`]s.
#[derive(Debug)]
pub struct StatementParser;

#[async_trait]
impl QueryParser for StatementParser {
    type Statement = Arc<PreparedStatement>;

    async fn parse_sql<C>(&self, _client: &C, sql: &str, _types: &[Option<Type>]) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let statements = split_statements(sql);
        let sql = match statements.as_slice() {
            [] => return Ok(None),
            [one] => *one,
            _ => {
                return Err(user_error(
                    "42601",
                    "cannot insert multiple commands into a prepared statement",
                    None,
                    None,
                ))
            }
        };
        let param_count = params::placeholders(sql).map_err(param_error)?.max_index;
        Ok(Some(Arc::new(PreparedStatement {
            sql: sql.to_owned(),
            kind: classify(sql),
            param_count,
            described: Mutex::new(None),
        })))
    }

    fn get_parameter_types(&self, stmt: &Self::Statement) -> PgWireResult<Vec<Type>> {
        Ok(vec![Type::UNKNOWN; stmt.param_count])
    }

    fn get_result_schema(&self, _stmt: &Self::Statement, _format: Option<&Format>) -> PgWireResult<Vec<FieldInfo>> {
        // Never used: describe is implemented below, by running the query.
        Ok(vec![])
    }
}

/// A query that has `sql`'s columns and no rows, for learning the columns at Describe time: it
/// finishes at once, even over an unbounded source. Statements that cannot be a subquery
/// (SHOW, DESCRIBE, EXPLAIN) are returned unchanged.
fn schema_only(sql: &str) -> String {
    let first = crate::router::leading_words(sql, 1).pop().unwrap_or_default();
    if matches!(first.as_str(), "SELECT" | "WITH" | "VALUES") {
        // The newline keeps a trailing `-- comment` from swallowing the closing parenthesis.
        format!("SELECT * FROM (\n{sql}\n) AS flinkwire_describe WHERE FALSE")
    } else {
        sql.to_owned()
    }
}

/// A portal's bound parameters with their types and formats.
fn portal_values(portal: &Portal<Arc<PreparedStatement>>) -> Vec<ParamValue<'_>> {
    portal
        .parameters
        .iter()
        .enumerate()
        .map(|(i, value)| ParamValue {
            oid: portal.statement.parameter_types.get(i).cloned().flatten().map_or(0, |t| t.oid()),
            format: if portal.parameter_format.is_binary(i) { ParamFormat::Binary } else { ParamFormat::Text },
            bytes: value.as_deref(),
        })
        .collect()
}

/// A portal's parameters for the audit log: `$n` and the type, never the value.
fn parameter_types(portal: &Portal<Arc<PreparedStatement>>) -> Vec<crate::audit::ParameterType> {
    (0..portal.parameters.len())
        .map(|i| crate::audit::ParameterType {
            placeholder: format!("${}", i + 1),
            type_name: portal.statement.parameter_types.get(i).cloned().flatten().map_or_else(|| "unknown".to_owned(), |t| t.name().to_owned()),
        })
        .collect()
}

/// Whether Flink refused to compare or combine a string with a number.
fn is_string_number_mismatch(err: &PgWireError) -> bool {
    matches!(err, PgWireError::UserError(info)
        if info.message.contains("implicit type conversion") || info.message.contains("Cannot apply"))
}

/// The values with every untyped text parameter that is a number typed as one (`int8` for
/// integers, `numeric` otherwise); `None` when there is no such parameter.
fn untyped_numbers_as_numeric<'a>(values: &[ParamValue<'a>]) -> Option<Vec<ParamValue<'a>>> {
    let mut changed = false;
    let typed = values
        .iter()
        .map(|v| {
            let text = v.bytes.and_then(|b| std::str::from_utf8(b).ok()).map(str::trim);
            let oid = match text {
                Some(t)
                    if matches!(v.oid, params::oid::UNSPECIFIED | params::oid::UNKNOWN)
                        && v.format == ParamFormat::Text =>
                {
                    if t.parse::<i64>().is_ok() {
                        params::oid::INT8
                    } else if t.parse::<f64>().is_ok_and(f64::is_finite) && !t.contains(['e', 'E']) {
                        params::oid::NUMERIC
                    } else {
                        v.oid
                    }
                }
                _ => v.oid,
            };
            changed |= oid != v.oid;
            ParamValue { oid, ..*v }
        })
        .collect();
    changed.then_some(typed)
}

/// The one column a job-submitting statement answers with.
fn job_fields() -> Vec<FieldInfo> {
    vec![FieldInfo::new("job id".to_owned(), None, None, Type::TEXT, FieldFormat::Text)]
}

/// Tells the client which Flink job its statement started.
pub(super) async fn send_job_notice<C>(client: &mut C, job_id: &str) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let info = ErrorInfo::new("NOTICE".to_owned(), "00000".to_owned(), format!("Flink job {job_id} submitted"));
    client.feed(PgWireBackendMessage::NoticeResponse(NoticeResponse::from(info))).await?;
    Ok(())
}

impl Connection {
    /// Starts a portal's statement with its bound parameters inlined.
    async fn start_portal(&self, portal: &Portal<Arc<PreparedStatement>>) -> PgWireResult<Outcome> {
        let stmt = &portal.statement.statement;
        if portal.parameters.is_empty() {
            let described = stmt.described.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(rows) = described {
                return Ok(Outcome::Rows(rows));
            }
        }
        let values = portal_values(portal);
        let sql = params::inline_params(&stmt.sql, &values).map_err(param_error)?;
        match self.run_guarded(&sql, &stmt.kind).await {
            Err(err) if is_string_number_mismatch(&err) => {
                // PostgreSQL types an untyped parameter by its context (`id = $1` makes it an
                // integer); Flink does not compare strings with numbers. Untyped values that are
                // numbers are retried once as numeric literals.
                let Some(numeric) = untyped_numbers_as_numeric(&values) else { return Err(err) };
                let retry = params::inline_params(&stmt.sql, &numeric).map_err(param_error)?;
                tracing::debug!(sql = %retry, "retrying with untyped numeric parameters as numbers");
                self.run_guarded(&retry, &stmt.kind).await
            }
            other => other,
        }
    }

    /// A portal's SQL with its bound parameters inlined.
    fn portal_sql(&self, portal: &Portal<Arc<PreparedStatement>>) -> PgWireResult<String> {
        params::inline_params(&portal.statement.statement.sql, &portal_values(portal)).map_err(param_error)
    }

    /// Counts a new named statement against `limits.max_prepared_statements` (54000 beyond it).
    /// Statements leave the store by Close, DEALLOCATE or DISCARD ALL; rather than follow each,
    /// the names are checked against the store when the count reaches the limit.
    fn admit_named_statement<S: PortalStore>(&self, store: &S, name: &str) -> PgWireResult<()> {
        let limit = self.limits().max_prepared_statements;
        let mut names = self.statement_names.lock().unwrap_or_else(|p| p.into_inner());
        if names.contains(name) {
            return Ok(());
        }
        if names.len() >= limit {
            names.retain(|held| store.get_statement(held).is_some());
        }
        if names.len() >= limit {
            return Err(user_error(
                "54000",
                format!("too many prepared statements: this connection holds {limit}"),
                None,
                Some("DEALLOCATE statements that are no longer needed (limits.max_prepared_statements)"),
            ));
        }
        names.insert(name.to_owned());
        Ok(())
    }

    /// The columns of a `FETCH` statement (the cursor's), for Describe.
    fn fetch_fields(&self, sql: &str, formats: Option<&Format>) -> Option<Vec<FieldInfo>> {
        match CursorCommand::parse(sql)? {
            Ok(CursorCommand::Fetch { name, is_move: false, .. }) => self.cursor_fields(&name, formats),
            _ => None,
        }
    }
}

#[async_trait]
impl ExtendedQueryHandler for Connection {
    type Statement = Arc<PreparedStatement>;
    type QueryParser = StatementParser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        self.parser.clone()
    }

    async fn do_describe_statement<C>(
        &self,
        _client: &mut C,
        target: &StoredStatement<Self::Statement>,
    ) -> PgWireResult<DescribeStatementResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let stmt = &target.statement;
        let count = stmt.param_count.max(target.parameter_types.len());
        // Unspecified parameter types are reported as text: the client then sends text, which
        // is inlined as a Flink string literal that Flink coerces where it is compared.
        let param_types: Vec<Type> = (0..count)
            .map(|i| target.parameter_types.get(i).cloned().flatten().unwrap_or(Type::TEXT))
            .collect();
        let fields = match &stmt.kind {
            StatementKind::Query => {
                let oids: Vec<u32> = param_types.iter().map(Type::oid).collect();
                let sql = if count == 0 {
                    stmt.sql.clone()
                } else {
                    schema_only(&params::inline_typed_nulls(&stmt.sql, &oids).map_err(param_error)?)
                };
                match self.run_guarded(&sql, &stmt.kind).await? {
                    Outcome::Done => vec![],
                    Outcome::Rows(mut rows) => {
                        let fields = rows.fields(&Format::UnifiedText);
                        if count == 0 {
                            *stmt.described.lock().unwrap_or_else(|p| p.into_inner()) = Some(rows);
                        } else {
                            // Let the (empty, bounded) job finish rather than cancel it while it
                            // starts: Flink 2.3.0's collect sink can fail fatally when cancelled
                            // before it opened, taking its TaskManager down.
                            while rows.next_rows(0, &Format::UnifiedText).await?.is_some() {}
                        }
                        fields
                    }
                }
            }
            StatementKind::Job => job_fields(),
            StatementKind::Local(command) => self.local_fields(command, &Format::UnifiedText).await?,
            StatementKind::Command { .. } => self.fetch_fields(&stmt.sql, None).unwrap_or_default(),
            StatementKind::Transaction(_) | StatementKind::Empty => vec![],
        };
        Ok(DescribeStatementResponse::new(param_types, fields))
    }

    async fn do_describe_portal<C>(
        &self,
        _client: &mut C,
        portal: &Portal<Self::Statement>,
    ) -> PgWireResult<DescribePortalResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let fields = match &portal.statement.statement.kind {
            StatementKind::Query => match self.take_portal(&portal.name) {
                Some(rows) => {
                    let fields = rows.fields(&portal.result_column_format);
                    self.put_portal(&portal.name, rows);
                    fields
                }
                None => match self.start_portal(portal).await? {
                    Outcome::Done => vec![],
                    Outcome::Rows(rows) => {
                        let fields = rows.fields(&portal.result_column_format);
                        self.put_portal(&portal.name, rows);
                        fields
                    }
                },
            },
            StatementKind::Job => job_fields(),
            StatementKind::Local(command) => self.local_fields(command, &portal.result_column_format).await?,
            StatementKind::Command { .. } => self
                .fetch_fields(&portal.statement.statement.sql, Some(&portal.result_column_format))
                .unwrap_or_default(),
            StatementKind::Transaction(_) | StatementKind::Empty => vec![],
        };
        Ok(DescribePortalResponse::new(fields))
    }

    /// Replaces pgwire's default, which collects a whole result before sending it: rows are sent
    /// as they arrive, and a row limit suspends the portal on the same running Flink result.
    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let portal = match client.portal_store().get_portal(name) {
            Some(pgwire::api::store::Entry::Value(portal)) => portal,
            Some(pgwire::api::store::Entry::Empty) => {
                client.feed(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())).await?;
                return Ok(());
            }
            None => return Err(PgWireError::PortalNotFound(name.to_owned())),
        };
        client.set_state(PgWireConnectionState::QueryInProgress);
        let started = self.begin_audit();
        self.report_active(&portal.statement.statement.sql);
        let result = self.execute_portal(client, &portal, message.max_rows.max(0) as usize).await;
        self.audit(&portal.statement.statement.sql, parameter_types(&portal), started, result.as_ref());
        client.set_state(PgWireConnectionState::ReadyForQuery);
        result.map(drop)
    }

    async fn on_sync<C>(&self, client: &mut C, _message: PgSync) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // The unnamed portal ends at Sync (outside a transaction block): so does its Flink result.
        client.portal_store().rm_portal(DEFAULT_NAME);
        drop(self.take_portal(DEFAULT_NAME));
        let status = client.transaction_status();
        self.report_idle(status);
        client.send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(status))).await?;
        client.flush().await?;
        Ok(())
    }

    /// A DECLAREd cursor is also a portal (psycopg describes its named cursors that way).
    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if message.target_type == TARGET_TYPE_BYTE_PORTAL {
            let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
            if client.portal_store().get_portal(name).is_none() {
                if let Some(fields) = self.cursor_fields(name, None) {
                    client
                        .send(PgWireBackendMessage::RowDescription(RowDescription::new(
                            fields.iter().map(Into::into).collect(),
                        )))
                        .await?;
                    return Ok(());
                }
            }
        }
        // Describe runs queries (Flink cannot describe without running): a refusal here is the
        // statement's answer and gets its audit line.
        let started = self.begin_audit();
        let target = message.name.clone().unwrap_or_else(|| DEFAULT_NAME.to_owned());
        let sql = if message.target_type == TARGET_TYPE_BYTE_PORTAL {
            match client.portal_store().get_portal(&target) {
                Some(pgwire::api::store::Entry::Value(p)) => Some(p.statement.statement.sql.clone()),
                _ => None,
            }
        } else {
            match client.portal_store().get_statement(&target) {
                Some(pgwire::api::store::Entry::Value(s)) => Some(s.statement.sql.clone()),
                _ => None,
            }
        };
        let result = self._on_describe(client, message).await;
        if let (Err(err), Some(sql)) = (&result, sql) {
            self.audit(&sql, vec![], started, Err(err));
        }
        result
    }

    /// pgwire's Parse, with a cap on the named statements one connection may hold.
    async fn on_parse<C>(&self, client: &mut C, message: Parse) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.clone().unwrap_or_else(|| DEFAULT_NAME.to_owned());
        if name != DEFAULT_NAME {
            self.admit_named_statement(client.portal_store(), &name)?;
        }
        match StoredStatement::parse(client, &message, self.query_parser()).await? {
            Some(statement) => client.portal_store().put_statement(Arc::new(statement)),
            None => client.portal_store().put_empty_statement(&name),
        }
        client.send(PgWireBackendMessage::ParseComplete(ParseComplete::new())).await?;
        Ok(())
    }

    async fn on_close<C>(&self, client: &mut C, message: Close) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        match message.target_type {
            TARGET_TYPE_BYTE_PORTAL => {
                client.portal_store().rm_portal(name);
                drop(self.take_portal(name));
            }
            // Dropping a statement drops any result its Describe kept, closing the operation.
            TARGET_TYPE_BYTE_STATEMENT => client.portal_store().rm_statement(name),
            _ => {}
        }
        client.send(PgWireBackendMessage::CloseComplete(CloseComplete::new())).await?;
        Ok(())
    }

    /// Unused: `on_execute` above runs portals itself.
    async fn do_query<C>(&self, _client: &mut C, _portal: &Portal<Self::Statement>, _max_rows: usize) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        Ok(Response::EmptyQuery)
    }
}

impl Connection {
    /// Sends up to `max_rows` rows of a portal (0 = all), then PortalSuspended or CommandComplete.
    async fn execute_portal<C>(
        &self,
        client: &mut C,
        portal: &Portal<Arc<PreparedStatement>>,
        max_rows: usize,
    ) -> PgWireResult<super::Completed>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let kind = &portal.statement.statement.kind;
        if let StatementKind::Command { .. } = kind {
            let sql = &portal.statement.statement.sql;
            if let Some(command) = CursorCommand::parse(sql) {
                command.map_err(cursor_syntax_error)?;
                let command = CursorCommand::parse(&self.portal_sql(portal)?).expect("still a cursor command");
                let command = command.map_err(cursor_syntax_error)?;
                return self.run_cursor(client, &command, Some(&portal.result_column_format), false).await.map(super::Completed::rows);
            }
            if let Some(copy) = CopyCommand::parse(sql) {
                copy.map_err(cursor_syntax_error)?;
                let copy = CopyCommand::parse(&self.portal_sql(portal)?).expect("still COPY");
                return self.run_copy(client, &copy.map_err(cursor_syntax_error)?).await.map(super::Completed::rows);
            }
        }
        if let StatementKind::Transaction(command) = kind {
            if *command != crate::router::TransactionCommand::Begin {
                self.end_transaction_cursors();
            }
            apply_transaction(client, *command);
            client.send(PgWireBackendMessage::CommandComplete(completion_tag(kind, 0).into())).await?;
            return Ok(super::Completed::default());
        }
        let mut rows = match self.take_portal(&portal.name) {
            Some(rows) => rows,
            None if matches!(kind, StatementKind::Local(_)) => {
                let StatementKind::Local(command) = kind else { unreachable!() };
                match self.run_local_command(client, command).await? {
                    Some(rows) => rows,
                    None => {
                        client.send(PgWireBackendMessage::CommandComplete(completion_tag(kind, 0).into())).await?;
                        return Ok(super::Completed::default());
                    }
                }
            }
            None => match self.start_portal(portal).await? {
                Outcome::Done => {
                    client.send(PgWireBackendMessage::CommandComplete(completion_tag(kind, 0).into())).await?;
                    return Ok(super::Completed::default());
                }
                Outcome::Rows(rows) => rows,
            },
        };
        if let (StatementKind::Job, Some(job)) = (kind, rows.job_id()) {
            send_job_notice(client, job).await?;
        }
        let formats = &portal.result_column_format;
        // Each Execute is a statement of its own for CancelRequest and statement_timeout.
        let (deadline, token) = self.statement_guard()?;
        rows.guard(deadline, Some(token));
        let mut sent = 0;
        loop {
            let want = if max_rows == 0 { 0 } else { max_rows - sent };
            let Some(page) = rows.next_rows(want, formats).await? else { break };
            sent += page.len();
            for row in page {
                client.feed(PgWireBackendMessage::DataRow(row)).await?;
            }
            client.flush().await?;
            if max_rows != 0 && sent >= max_rows {
                // Like PostgreSQL, suspend when the limit is reached even if nothing follows;
                // the next Execute then completes with no rows.
                self.put_portal(&portal.name, rows);
                client.send(PgWireBackendMessage::PortalSuspended(PortalSuspended::new())).await?;
                return Ok(super::Completed::rows(sent as u64));
            }
        }
        if let Some(cut) = rows.truncation() {
            super::cancel::send_notice(client, &cut.message()).await?;
        }
        client.send(PgWireBackendMessage::CommandComplete(completion_tag(kind, sent).into())).await?;
        Ok(super::Completed { rows: sent as u64, job_id: rows.job_id().map(str::to_owned) })
    }
}
