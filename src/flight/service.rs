//! The Flight SQL service: each command on the shared core (`ClientSession::run`, `RowSet`).
//!
//! A query runs at GetFlightInfo, up to its first page (so a bad statement fails there, with its
//! SQLSTATE, and the FlightInfo carries the real schema); its rows wait in the session under a
//! ticket until DoGet streams them as Arrow batches, page by page as the gateway delivers them.
//! A dropped DoGet stream drops the result, which closes the gateway operation and so cancels
//! the Flink job; `CancelFlightInfo` (and Flight SQL's older `CancelQuery`) does the same from
//! another call.

use std::pin::Pin;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::server::{FlightSqlService, PeekableFlightDataStream};
use arrow_flight::sql::{
    ActionCancelQueryRequest, ActionCancelQueryResult, ActionClosePreparedStatementRequest,
    ActionCreatePreparedStatementRequest, ActionCreatePreparedStatementResult, Any, CommandGetCatalogs, CommandGetDbSchemas,
    CommandGetPrimaryKeys, CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables, CommandGetXdbcTypeInfo,
    CommandPreparedStatementQuery, CommandPreparedStatementUpdate, CommandStatementQuery, CommandStatementUpdate,
    DoPutPreparedStatementResult, ProstMessageExt, SqlInfo, TicketStatementQuery,
};
use arrow_flight::{
    Action, ActionType, CancelFlightInfoRequest, CancelFlightInfoResult, CancelStatus, FlightDescriptor, FlightEndpoint,
    FlightInfo, HandshakeRequest, HandshakeResponse, IpcMessage, SchemaAsIpc, Ticket,
};
use arrow_schema::{Schema, SchemaRef};
use futures::{Stream, StreamExt, TryStreamExt};
use prost::Message;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status, Streaming};

use super::auth::{self, Tokens};
use super::error;
use super::sessions::{FlightSession, Pending, SessionKey, Sessions};
use super::{metadata, params, types};
use crate::results::{Outcome, ResultError, RowSet};
use crate::router::StatementKind;
use crate::server::ServerContext;

/// The standard Flight action that cancels a FlightInfo's query.
const CANCEL_FLIGHT_INFO: &str = "CancelFlightInfo";

/// Parameter rows a prepared statement may bind at once (each row is one Flink statement).
const MAX_PARAMETER_ROWS: usize = 1024;

type DoGetStream = Pin<Box<dyn Stream<Item = Result<arrow_flight::FlightData, Status>> + Send + 'static>>;

/// The Flight SQL front end of one server.
pub struct FlightSqlFrontEnd {
    pub ctx: Arc<ServerContext>,
    pub sessions: Arc<Sessions>,
    pub tokens: Arc<Tokens>,
    /// Whether the listener serves TLS (for the audit log).
    pub tls: bool,
}

/// A random handle for tickets and prepared statements.
fn new_handle() -> Result<String, Status> {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).map_err(|_| error::internal("no randomness for a handle"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn handle_text(bytes: &[u8]) -> Result<String, Status> {
    String::from_utf8(bytes.to_vec()).map_err(|_| error::protocol("a handle that flinkwire did not issue"))
}

fn encoded_schema(schema: &Schema) -> Result<bytes::Bytes, Status> {
    let IpcMessage(bytes) = SchemaAsIpc::new(schema, &Default::default()).try_into().map_err(error::internal)?;
    Ok(bytes)
}

/// A one-batch answer (metadata commands).
fn one_batch(schema: SchemaRef, batch: RecordBatch) -> Response<DoGetStream> {
    let stream = FlightDataEncoderBuilder::new()
        .with_schema(schema)
        .build(futures::stream::once(async { Ok(batch) }))
        .map_err(Status::from);
    Response::new(Box::pin(stream))
}

/// A FlightInfo whose one endpoint's ticket is the command itself (metadata commands).
fn command_info(command: &impl ProstMessageExt, schema: &Schema, descriptor: FlightDescriptor) -> Result<Response<FlightInfo>, Status> {
    let endpoint = FlightEndpoint::new().with_ticket(Ticket::new(command.as_any().encode_to_vec()));
    let info = FlightInfo::new().try_with_schema(schema).map_err(error::internal)?.with_endpoint(endpoint).with_descriptor(descriptor);
    Ok(Response::new(info))
}

impl FlightSqlFrontEnd {
    /// The caller's session: who it is (auth) and where it routes (`database`,
    /// `flinkwire.cluster` headers).
    async fn session<T>(&self, request: &Request<T>) -> Result<Arc<FlightSession>, Status> {
        let peer = request.remote_addr().map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        let identified = auth::identify(request.metadata(), &peer, &self.ctx.accounts, &self.tokens);
        let (user, caller) = self.throttled(request.remote_addr(), identified).await?;
        let header = |name: &str| {
            request.metadata().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned).filter(|s| !s.is_empty())
        };
        let key = SessionKey { caller, database: header("database"), cluster: header("flinkwire.cluster") };
        if self.ctx.shutdown.is_draining() {
            return Err(error::status("57P01", "terminating connection due to administrator command", None));
        }
        self.sessions.get(&self.ctx, key, &user, &peer, self.tls).await
    }

    /// Wrong passwords are answered late, later for each further one from the same address, as on
    /// the PostgreSQL listener (`crate::auth::throttle`).
    async fn throttled<T>(&self, peer: Option<std::net::SocketAddr>, outcome: Result<T, Status>) -> Result<T, Status> {
        let Some(ip) = peer.map(|p| p.ip()) else { return outcome };
        match &outcome {
            Ok(_) => self.ctx.auth_failures.succeeded(ip),
            Err(status) if status.metadata().get(error::SQLSTATE_HEADER).is_some_and(|v| v == "28P01") => {
                tokio::time::sleep(self.ctx.auth_failures.failed(ip)).await;
            }
            Err(_) => {}
        }
        outcome
    }

    /// Runs one statement up to its first page, as the PostgreSQL front end does: PostgreSQL
    /// session commands locally, the rest through the session's gate, under the session's
    /// `statement_timeout` and a fresh cancel token. `None`: a statement without rows.
    async fn start(&self, session: &FlightSession, sql: &str, cancel: &CancellationToken) -> Result<Option<RowSet>, Status> {
        let client = &session.session;
        client.begin_statement();
        let started = std::time::Instant::now();
        let result = self.start_admitted(client, sql, cancel).await;
        if let Err(status) = &result {
            audit(client, sql, started, Some(status), 0, None);
        }
        result
    }

    async fn start_admitted(&self, client: &crate::session::ClientSession, sql: &str, cancel: &CancellationToken) -> Result<Option<RowSet>, Status> {
        let kind = crate::router::classify(sql);
        match &kind {
            StatementKind::Empty => return Err(error::status("42601", "empty statement", None)),
            // Flink has no transactions; the PostgreSQL front end answers these locally too.
            StatementKind::Transaction(_) => return Ok(None),
            StatementKind::Local(command) => {
                return client.run_local(command).await.map(|outcome| outcome.rows).map_err(|e| error::local_error(&e));
            }
            _ => {}
        }
        let deadline = client.settings().results().statement_timeout.map(|t| Instant::now() + t);
        let outcome = tokio::select! {
            biased;
            _ = cancel.cancelled() => Err(ResultError::Cancelled),
            _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => Err(ResultError::Timeout),
            outcome = client.run(sql, &kind) => outcome,
        };
        match outcome.map_err(|e| error::result_error(&e))? {
            Outcome::Done => Ok(None),
            Outcome::Rows(mut rows) => {
                client.configure_rows(sql, &mut rows).await.map_err(|e| error::result_error(&e))?;
                rows.guard(deadline, Some(cancel.clone()));
                Ok(Some(rows))
            }
        }
    }

    /// Starts a query and answers its FlightInfo; the rows wait for DoGet under a new ticket.
    async fn query_info(&self, session: &Arc<FlightSession>, sql: &str, descriptor: FlightDescriptor) -> Result<Response<FlightInfo>, Status> {
        let cancel = CancellationToken::new();
        let started = std::time::Instant::now();
        let rows = self.start(session, sql, &cancel).await?;
        let schema = match &rows {
            Some(rows) => types::flight_schema(rows.schema().arrow_schema()),
            None => Arc::new(Schema::empty()),
        };
        let job = rows.as_ref().and_then(|r| r.job_id()).map(str::to_owned);
        let handle = new_handle()?;
        session.park(&handle, Pending { rows, sql: sql.to_owned(), started }, cancel);
        let ticket = TicketStatementQuery { statement_handle: handle.into_bytes().into() };
        let endpoint = FlightEndpoint::new().with_ticket(Ticket::new(ticket.as_any().encode_to_vec()));
        let mut info = FlightInfo::new()
            .try_with_schema(&schema)
            .map_err(error::internal)?
            .with_endpoint(endpoint)
            .with_descriptor(descriptor)
            .with_total_records(-1)
            .with_total_bytes(-1);
        if let Some(job) = job {
            // A job-submitting statement (INSERT …): which Flink job it started.
            info = info.with_app_metadata(serde_json::json!({ "job_id": job }).to_string().into_bytes());
        }
        Ok(Response::new(info))
    }

    /// Runs a statement for its effect (DoPut updates): a job's id row is read (the job keeps
    /// running in Flink), any other rows are dropped. Flink runs inserts asynchronously, so the
    /// affected row count is unknown: -1, as Flight SQL has it; 0 for DDL and `SET`.
    async fn update(&self, session: &FlightSession, sql: &str) -> Result<i64, Status> {
        let started = std::time::Instant::now();
        let Some(mut rows) = self.start(session, sql, &CancellationToken::new()).await? else {
            audit(&session.session, sql, started, None, 0, None);
            return Ok(0);
        };
        if crate::router::classify(sql) != StatementKind::Job {
            audit(&session.session, sql, started, None, 0, None);
            return Ok(0);
        }
        while rows.job_id().is_none() {
            match rows.next_batch().await {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    let status = error::result_error(&e);
                    audit(&session.session, sql, started, Some(&status), 0, None);
                    return Err(status);
                }
            }
        }
        let job = rows.job_id().map(str::to_owned);
        tracing::info!(user = %session.user, job = ?job, "Flight SQL update submitted a Flink job");
        audit(&session.session, sql, started, None, 0, job);
        Ok(-1)
    }

    /// Cancels the statements behind a FlightInfo's tickets (of the caller's session).
    fn cancel_info(&self, session: &FlightSession, info: &FlightInfo) -> bool {
        let mut any = false;
        for endpoint in &info.endpoint {
            let Some(ticket) = &endpoint.ticket else { continue };
            let Ok(any_message) = Any::decode(&*ticket.ticket) else { continue };
            if let Ok(Some(query)) = any_message.unpack::<TicketStatementQuery>() {
                if let Ok(handle) = handle_text(&query.statement_handle) {
                    any |= session.cancel(&handle);
                }
            }
        }
        any
    }

    /// A metadata command's FlightInfo: its ticket is the command, answered by DoGet.
    async fn describe(&self, request: Request<FlightDescriptor>, command: &impl ProstMessageExt, schema: &Schema) -> Result<Response<FlightInfo>, Status> {
        self.session(&request).await?;
        command_info(command, schema, request.into_inner())
    }

    /// A metadata command's answer from the caller's snapshot.
    async fn answer_from_snapshot<T>(
        &self,
        request: &Request<T>,
        answer: impl FnOnce(&crate::catalog::MetadataSnapshot) -> Result<RecordBatch, Status>,
    ) -> Result<Response<DoGetStream>, Status> {
        let snapshot = self.snapshot(&*self.session(request).await?).await?;
        let batch = answer(&snapshot)?;
        Ok(one_batch(batch.schema(), batch))
    }

    /// The caller's snapshot; loaded at startup, so waited for a little on the first calls.
    async fn snapshot(&self, session: &FlightSession) -> Result<Arc<crate::catalog::MetadataSnapshot>, Status> {
        let until = Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(snapshot) = session.session.snapshot() {
                return Ok(snapshot);
            }
            if Instant::now() >= until {
                return Err(error::status("57P03", "the metadata snapshot is not loaded yet (is the gateway up?); retry", None));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// Writes a statement's audit line, as the PostgreSQL front end does.
fn audit(client: &crate::session::ClientSession, sql: &str, started: std::time::Instant, status: Option<&Status>, rows: u64, job_id: Option<String>) {
    let sqlstate = status.map(|s| {
        s.metadata().get(error::SQLSTATE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("XX000").to_owned()
    });
    client.audit_statement(crate::session::StatementDone { text: sql, parameters: vec![], started, sqlstate, rows, job_id });
}

/// A result streaming to a DoGet: ends its statement (audit, running entry) however the stream
/// ends, also when the client drops it.
struct Delivery {
    session: Arc<FlightSession>,
    ctx: Arc<ServerContext>,
    handle: String,
    pending: Pending,
    schema: SchemaRef,
    sent: u64,
    failed: Option<Status>,
    done: bool,
}

impl Delivery {
    fn finish(&mut self) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        self.session.finished(&self.handle);
        self.ctx.metrics.rows_sent(self.sent);
        let job = self.pending.rows.as_ref().and_then(|r| r.job_id()).map(str::to_owned);
        audit(&self.session.session, &self.pending.sql, self.pending.started, self.failed.as_ref(), self.sent, job);
    }

    async fn next(&mut self) -> Option<Result<RecordBatch, FlightError>> {
        if self.done {
            return None;
        }
        let Some(rows) = self.pending.rows.as_mut() else {
            self.finish();
            return None;
        };
        let failed = match rows.next_batch().await {
            Ok(Some(batch)) => match types::flight_batch(batch, &self.schema) {
                Ok(batch) => {
                    self.sent += batch.num_rows() as u64;
                    return Some(Ok(batch));
                }
                Err(e) => error::internal(format!("converting a result batch: {e}")),
            },
            Ok(None) => {
                if let Some(cut) = rows.truncation() {
                    // Flight has no notices: the log says why the stream ended early.
                    tracing::info!(user = %self.session.user, "{}", cut.message());
                }
                self.finish();
                return None;
            }
            // Cancelled by the shutdown, not by the client: say so, as PostgreSQL's FATAL does.
            Err(ResultError::Cancelled) if self.ctx.shutdown.is_terminating() => {
                error::status("57P01", "terminating connection due to administrator command", None)
            }
            Err(e) => error::result_error(&e),
        };
        // The result is dropped at once (its gateway operation closed, the job cancelled).
        self.pending.rows = None;
        self.failed = Some(failed.clone());
        self.finish();
        Some(Err(FlightError::from(failed)))
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        if !self.done {
            self.failed = Some(error::status("57014", "the client closed the stream", None));
            self.finish();
        }
    }
}

#[tonic::async_trait]
impl FlightSqlService for FlightSqlFrontEnd {
    type FlightService = FlightSqlFrontEnd;

    async fn do_handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>>, Status> {
        let shaken = auth::handshake(request.metadata(), &self.ctx.accounts, &self.tokens);
        let (user, token) = self.throttled(request.remote_addr(), shaken).await?;
        tracing::info!(%user, "Flight SQL handshake");
        let reply = HandshakeResponse { protocol_version: 0, payload: token.clone().into_bytes().into() };
        let stream: Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>> = Box::pin(futures::stream::iter([Ok(reply)]));
        let mut response = Response::new(stream);
        let bearer = MetadataValue::try_from(format!("Bearer {token}")).map_err(error::internal)?;
        response.metadata_mut().insert("authorization", bearer);
        Ok(response)
    }

    async fn get_flight_info_statement(&self, query: CommandStatementQuery, request: Request<FlightDescriptor>) -> Result<Response<FlightInfo>, Status> {
        let session = self.session(&request).await?;
        self.query_info(&session, &query.query, request.into_inner()).await
    }

    async fn get_flight_info_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let session = self.session(&request).await?;
        let prepared = session.prepared(&handle_text(&query.prepared_statement_handle)?)?;
        let sql = match prepared.bound.as_slice() {
            [] if params::count(&prepared.sql)? == 0 => prepared.sql.clone(),
            [] => params::inline(&prepared.sql, &[])?,
            [row] => params::inline(&prepared.sql, row)?,
            _ => return Err(error::unsupported("a query with several parameter rows: bind one row")),
        };
        self.query_info(&session, &sql, request.into_inner()).await
    }

    async fn do_get_statement(&self, ticket: TicketStatementQuery, request: Request<Ticket>) -> Result<Response<DoGetStream>, Status> {
        let session = self.session(&request).await?;
        let handle = handle_text(&ticket.statement_handle)?;
        let pending = session.take(&handle)?;
        let schema = match &pending.rows {
            Some(rows) => types::flight_schema(rows.schema().arrow_schema()),
            None => Arc::new(Schema::empty()),
        };
        let state = Delivery { session, ctx: self.ctx.clone(), handle, pending, schema: schema.clone(), sent: 0, failed: None, done: false };
        let batches = futures::stream::unfold(state, |mut state| async move { state.next().await.map(|item| (item, state)) });
        let stream = FlightDataEncoderBuilder::new().with_schema(schema).build(batches).map_err(Status::from);
        Ok(Response::new(Box::pin(stream)))
    }

    async fn get_flight_info_catalogs(&self, query: CommandGetCatalogs, request: Request<FlightDescriptor>) -> Result<Response<FlightInfo>, Status> {
        self.describe(request, &query, &query.into_builder().schema()).await
    }

    async fn do_get_catalogs(&self, query: CommandGetCatalogs, request: Request<Ticket>) -> Result<Response<DoGetStream>, Status> {
        self.answer_from_snapshot(&request, |snapshot| metadata::catalogs(snapshot, query)).await
    }

    async fn get_flight_info_schemas(&self, query: CommandGetDbSchemas, request: Request<FlightDescriptor>) -> Result<Response<FlightInfo>, Status> {
        self.describe(request, &query, &query.clone().into_builder().schema()).await
    }

    async fn do_get_schemas(&self, query: CommandGetDbSchemas, request: Request<Ticket>) -> Result<Response<DoGetStream>, Status> {
        self.answer_from_snapshot(&request, |snapshot| metadata::schemas(snapshot, query)).await
    }

    async fn get_flight_info_tables(&self, query: CommandGetTables, request: Request<FlightDescriptor>) -> Result<Response<FlightInfo>, Status> {
        self.describe(request, &query, &query.clone().into_builder().schema()).await
    }

    async fn do_get_tables(&self, query: CommandGetTables, request: Request<Ticket>) -> Result<Response<DoGetStream>, Status> {
        self.answer_from_snapshot(&request, |snapshot| metadata::tables(snapshot, query)).await
    }

    async fn get_flight_info_table_types(&self, query: CommandGetTableTypes, request: Request<FlightDescriptor>) -> Result<Response<FlightInfo>, Status> {
        self.describe(request, &query, &query.into_builder().schema()).await
    }

    async fn do_get_table_types(&self, query: CommandGetTableTypes, request: Request<Ticket>) -> Result<Response<DoGetStream>, Status> {
        self.session(&request).await?;
        let mut builder = query.into_builder();
        for kind in metadata::TABLE_TYPES {
            builder.append(kind);
        }
        let batch = builder.build().map_err(error::internal)?;
        Ok(one_batch(batch.schema(), batch))
    }

    async fn get_flight_info_primary_keys(&self, query: CommandGetPrimaryKeys, request: Request<FlightDescriptor>) -> Result<Response<FlightInfo>, Status> {
        self.describe(request, &query, &metadata::primary_keys_schema()).await
    }

    async fn do_get_primary_keys(&self, query: CommandGetPrimaryKeys, request: Request<Ticket>) -> Result<Response<DoGetStream>, Status> {
        self.answer_from_snapshot(&request, |snapshot| metadata::primary_keys(snapshot, &query)).await
    }

    async fn get_flight_info_sql_info(&self, query: CommandGetSqlInfo, request: Request<FlightDescriptor>) -> Result<Response<FlightInfo>, Status> {
        self.describe(request, &query, &query.clone().into_builder(metadata::sql_info()?).schema()).await
    }

    async fn do_get_sql_info(&self, query: CommandGetSqlInfo, request: Request<Ticket>) -> Result<Response<DoGetStream>, Status> {
        self.session(&request).await?;
        let batch = query.into_builder(metadata::sql_info()?).build().map_err(error::internal)?;
        Ok(one_batch(batch.schema(), batch))
    }

    async fn get_flight_info_xdbc_type_info(&self, query: CommandGetXdbcTypeInfo, request: Request<FlightDescriptor>) -> Result<Response<FlightInfo>, Status> {
        self.describe(request, &query, &query.into_builder(metadata::xdbc_type_info()?).schema()).await
    }

    async fn do_get_xdbc_type_info(&self, query: CommandGetXdbcTypeInfo, request: Request<Ticket>) -> Result<Response<DoGetStream>, Status> {
        self.session(&request).await?;
        let batch = query.into_builder(metadata::xdbc_type_info()?).build().map_err(error::internal)?;
        Ok(one_batch(batch.schema(), batch))
    }

    async fn do_put_statement_update(&self, command: CommandStatementUpdate, request: Request<PeekableFlightDataStream>) -> Result<i64, Status> {
        let session = self.session(&request).await?;
        self.update(&session, &command.query).await
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let session = self.session(&request).await?;
        // The parameter count is checked now (a malformed placeholder fails here); the result
        // schema is only known once Flink runs the statement, so it comes with the FlightInfo.
        params::count(&query.query)?;
        let handle = new_handle()?;
        session.prepare(&handle, query.query, self.ctx.config.limits.max_prepared_statements)?;
        let empty = encoded_schema(&Schema::empty())?;
        Ok(ActionCreatePreparedStatementResult {
            prepared_statement_handle: handle.into_bytes().into(),
            dataset_schema: empty.clone(),
            parameter_schema: empty,
        })
    }

    async fn do_put_prepared_statement_query(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        let session = self.session(&request).await?;
        let handle = handle_text(&query.prepared_statement_handle)?;
        session.prepared(&handle)?;
        let rows = bound_rows(request.into_inner()).await?;
        session.bind(&handle, rows)?;
        Ok(DoPutPreparedStatementResult { prepared_statement_handle: Some(handle.into_bytes().into()) })
    }

    async fn do_put_prepared_statement_update(
        &self,
        query: CommandPreparedStatementUpdate,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        let session = self.session(&request).await?;
        let prepared = session.prepared(&handle_text(&query.prepared_statement_handle)?)?;
        let mut rows = bound_rows(request.into_inner()).await?;
        if rows.is_empty() {
            rows = prepared.bound.clone();
        }
        if rows.is_empty() {
            let sql = if params::count(&prepared.sql)? == 0 { prepared.sql.clone() } else { params::inline(&prepared.sql, &[])? };
            return self.update(&session, &sql).await;
        }
        let mut total = 0i64;
        for row in &rows {
            let count = self.update(&session, &params::inline(&prepared.sql, row)?).await?;
            total = if count < 0 || total < 0 { -1 } else { total + count };
        }
        Ok(total)
    }

    async fn do_action_close_prepared_statement(&self, query: ActionClosePreparedStatementRequest, request: Request<Action>) -> Result<(), Status> {
        let session = self.session(&request).await?;
        session.unprepare(&handle_text(&query.prepared_statement_handle)?);
        Ok(())
    }

    async fn do_action_cancel_query(&self, query: ActionCancelQueryRequest, request: Request<Action>) -> Result<ActionCancelQueryResult, Status> {
        let session = self.session(&request).await?;
        let info = FlightInfo::decode(&*query.info).map_err(|e| error::protocol(format!("CancelQuery: {e}")))?;
        // arrow-flight does not export the CancelResult enum; FlightSql.proto's values.
        const CANCELLED: i32 = 1;
        const NOT_CANCELLABLE: i32 = 3;
        let result = if self.cancel_info(&session, &info) { CANCELLED } else { NOT_CANCELLABLE };
        Ok(ActionCancelQueryResult { result })
    }

    async fn do_action_fallback(&self, request: Request<Action>) -> Result<Response<<Self as FlightService>::DoActionStream>, Status> {
        if request.get_ref().r#type != CANCEL_FLIGHT_INFO {
            return Err(error::unsupported(format!("action {:?} is not supported", request.get_ref().r#type)));
        }
        let session = self.session(&request).await?;
        let cancel = CancelFlightInfoRequest::decode(&*request.get_ref().body).map_err(|e| error::protocol(format!("CancelFlightInfo: {e}")))?;
        let status = match &cancel.info {
            Some(info) if self.cancel_info(&session, info) => CancelStatus::Cancelled,
            _ => CancelStatus::NotCancellable,
        };
        let body = CancelFlightInfoResult { status: status as i32 }.encode_to_vec();
        let result = arrow_flight::Result { body: body.into() };
        Ok(Response::new(Box::pin(futures::stream::iter([Ok(result)]))))
    }

    async fn list_custom_actions(&self) -> Option<Vec<Result<ActionType, Status>>> {
        Some(vec![Ok(ActionType { r#type: CANCEL_FLIGHT_INFO.to_owned(), description: "Cancel the query of a FlightInfo (its Flink job)".to_owned() })])
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

/// The parameter rows of a DoPut (at most [`MAX_PARAMETER_ROWS`]).
async fn bound_rows(stream: PeekableFlightDataStream) -> Result<Vec<Vec<params::Bound>>, Status> {
    let mut batches = arrow_flight::decode::FlightRecordBatchStream::new_from_flight_data(stream.map_err(FlightError::from));
    let mut rows = Vec::new();
    while let Some(batch) = batches.next().await {
        let batch = batch.map_err(|e| error::protocol(format!("parameter batch: {e}")))?;
        if rows.len() + batch.num_rows() > MAX_PARAMETER_ROWS {
            return Err(error::status("54000", format!("more than {MAX_PARAMETER_ROWS} parameter rows in one bind"), None));
        }
        rows.extend(params::rows(&batch)?);
    }
    Ok(rows)
}
