//! The PostgreSQL front end, on the `pgwire` crate.
//!
//! One [`Connection`] per client socket holds that client's state (its [`ClientSession`] and
//! its open portals) and implements pgwire's startup, simple-query and extended-query handlers.
//! pgwire does the protocol bookkeeping; flinkwire overrides the paths where pgwire would buffer
//! a whole result (simple query flushes per page; Execute streams and suspends portals itself).

pub mod admission;
pub mod cancel;
mod copy;
mod cursor;
mod cursor_sql;
mod error;
mod extended;
mod liveness;
mod simple;
pub mod socket;
mod startup;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pgwire::api::PgWireServerHandlers;
use pgwire::api::results::Tag;
use tokio::sync::OnceCell;

use crate::results::RowSet;
use crate::router::{StatementKind, TransactionCommand};
use crate::server::ServerContext;
use crate::session::ClientSession;

pub use extended::PreparedStatement;

/// The state and handlers of one client connection.
pub struct Connection {
    ctx: Arc<ServerContext>,
    /// Set once the client has authenticated and its gateway session is open.
    session: OnceCell<ClientSession>,
    /// Rows of portals that were described or suspended, by portal name; taken by Execute.
    portals: Mutex<HashMap<String, RowSet>>,
    parser: Arc<extended::StatementParser>,
    /// Cancels the running statement on a CancelRequest (`cancel.rs`).
    canceller: Arc<cancel::QueryCanceller>,
    /// Open SQL cursors by name (`cursor.rs`).
    cursors: Mutex<HashMap<String, cursor::Cursor>>,
    /// Names of the named prepared statements Parse has stored (`extended.rs`), for the limit.
    statement_names: Mutex<std::collections::HashSet<String>>,
    /// Where the client is in logging in (`startup.rs`).
    login: Mutex<startup::Login>,
    /// The connection's place under `limits.max_connections`; `None` when the server was full
    /// (the startup packet is answered 53300).
    server_slot: Option<admission::Slot>,
    /// The place under `limits.max_connections_per_user`, taken after authentication.
    user_slot: std::sync::OnceLock<admission::Slot>,
    /// `tls-server-end-point` data of the certificate this connection's TLS used (SCRAM-PLUS).
    tls_end_point: Option<Vec<u8>>,
    /// The client's verified certificate, if it sent one (`auth = "cert"`).
    client_certificate: std::sync::OnceLock<rustls::pki_types::CertificateDer<'static>>,
    /// The connection's own shutdown: the server's, or `pg_terminate_backend` of this one.
    shutdown: crate::shutdown::Shutdown,
    /// Its entry in `pg_stat_activity` (and its cancel key), once logged in.
    backend: std::sync::OnceLock<crate::activity::Registration>,
}

impl Connection {
    /// A connection that has not started up yet. `server_slot` is its place under
    /// `limits.max_connections` (`None`: refused at startup); `tls_end_point` the channel-binding
    /// data of the TLS certificate offered to it.
    pub fn new(ctx: Arc<ServerContext>, server_slot: Option<admission::Slot>, tls_end_point: Option<Vec<u8>>) -> Self {
        Self {
            login: Mutex::default(),
            server_slot,
            user_slot: Default::default(),
            tls_end_point,
            client_certificate: Default::default(),
            shutdown: ctx.shutdown.child(),
            backend: Default::default(),
            ctx,
            session: OnceCell::new(),
            portals: Mutex::new(HashMap::new()),
            parser: Arc::new(extended::StatementParser),
            canceller: Arc::default(),
            cursors: Mutex::new(HashMap::new()),
            statement_names: Mutex::default(),
        }
    }

    /// The connection's cancel state (a CancelRequest, or the client leaving mid-result).
    pub fn canceller(&self) -> Arc<cancel::QueryCanceller> {
        self.canceller.clone()
    }

    /// Records the certificate the client presented in the TLS handshake (already verified
    /// against `tls.client_ca` by rustls).
    pub fn set_client_certificate(&self, certificate: rustls::pki_types::CertificateDer<'static>) {
        let _ = self.client_certificate.set(certificate);
    }

    /// The connection's shutdown state: the server's, and its own termination.
    pub fn shutdown(&self) -> &crate::shutdown::Shutdown {
        &self.shutdown
    }

    /// The connection's `pg_stat_activity` entry, once logged in.
    fn backend(&self) -> Option<&std::sync::Arc<crate::activity::Backend>> {
        self.backend
            .get()
            .map(crate::activity::Registration::backend)
    }

    /// The server's metrics.
    pub fn metrics(&self) -> &crate::admin::Metrics {
        &self.ctx.metrics
    }

    /// The per-connection input limits.
    pub fn limits(&self) -> &crate::config::LimitsConfig {
        &self.ctx.config.limits
    }

    /// The client's session; pgwire only routes queries after startup, so it is always there.
    fn session(&self) -> Result<&ClientSession, pgwire::error::PgWireError> {
        self.session.get().ok_or(pgwire::error::PgWireError::NotReadyForQuery)
    }

    /// Closes the client's gateway session (and with it every operation and Flink job it has).
    pub async fn close(mut self) {
        drop(std::mem::take(&mut self.portals));
        drop(std::mem::take(&mut self.cursors));
        if let Some(session) = self.session.take() {
            let handle = session.handle().to_owned();
            if let Err(err) = session.close().await {
                tracing::warn!(session = %handle, cause = %err, "closing the gateway session failed");
            }
        }
    }

    fn take_portal(&self, name: &str) -> Option<RowSet> {
        self.portals.lock().unwrap_or_else(|p| p.into_inner()).remove(name)
    }

    fn put_portal(&self, name: &str, rows: RowSet) {
        self.portals.lock().unwrap_or_else(|p| p.into_inner()).insert(name.to_owned(), rows);
    }
}

/// What a statement sent, for its audit line.
#[derive(Debug, Default)]
struct Completed {
    rows: u64,
    job_id: Option<String>,
}

impl Completed {
    fn rows(rows: u64) -> Self {
        Self { rows, job_id: None }
    }
}

impl Connection {
    /// Writes the audit line of a statement that ended (`crate::audit`); `parameters` are the
    /// extended protocol's placeholders with their types, never their values.
    fn audit(&self, text: &str, parameters: Vec<crate::audit::ParameterType>, started: std::time::Instant, result: Result<&Completed, &pgwire::error::PgWireError>) {
        let Some(session) = self.session.get() else { return };
        let (sqlstate, rows, job_id) = match result {
            Ok(done) => {
                self.ctx.metrics.rows_sent(done.rows);
                (None, done.rows, done.job_id.clone())
            }
            Err(pgwire::error::PgWireError::UserError(info)) => (Some(info.code.clone()), 0, None),
            Err(_) => (Some("XX000".to_owned()), 0, None),
        };
        session.audit_statement(crate::session::StatementDone { text, parameters, started, sqlstate, rows, job_id });
    }

    /// `pg_stat_activity`: a statement starts.
    fn report_active(&self, sql: &str) {
        if let Some(backend) = self.backend() {
            let application_name = self
                .session
                .get()
                .and_then(|s| s.settings().get("application_name"));
            backend.begin(sql, application_name);
        }
    }

    /// `pg_stat_activity`: the connection waits for the client (ReadyForQuery).
    fn report_idle(&self, status: pgwire::messages::response::TransactionStatus) {
        use crate::activity::State;
        use pgwire::messages::response::TransactionStatus;
        if let Some(backend) = self.backend() {
            backend.idle(match status {
                TransactionStatus::Idle => State::Idle,
                TransactionStatus::Transaction => State::IdleInTransaction,
                TransactionStatus::Error => State::IdleInTransactionAborted,
            });
        }
    }

    /// A statement starts: the policy's decision on an earlier one no longer applies.
    fn begin_audit(&self) -> std::time::Instant {
        if let Some(session) = self.session.get() {
            session.begin_statement();
        }
        std::time::Instant::now()
    }
}

/// The command tag PostgreSQL clients expect when a statement completes.
fn completion_tag(kind: &StatementKind, rows: usize) -> Tag {
    match kind {
        StatementKind::Query => Tag::new("SELECT").with_rows(rows),
        // A job's rows are its id, not inserted rows: Flink runs the insert asynchronously.
        StatementKind::Job => Tag::new("INSERT 0").with_rows(0),
        StatementKind::Command { tag } => Tag::new(tag),
        StatementKind::Transaction(command) => Tag::new(command.tag()),
        // PostgreSQL's SHOW completes with a bare `SHOW`, no row count.
        StatementKind::Local(command) => Tag::new(command.tag()),
        StatementKind::Empty => Tag::new(""),
    }
}

impl Connection {
    /// Runs a PostgreSQL session command locally: sends its ParameterStatus reports and
    /// returns its rows (SHOW), if any.
    async fn run_local_command<C>(&self, client: &mut C, command: &crate::local::LocalCommand) -> pgwire::error::PgWireResult<Option<RowSet>>
    where
        C: pgwire::api::ClientInfo + pgwire::api::ClientPortalStore + futures::Sink<pgwire::messages::PgWireBackendMessage> + Unpin + Send,
        C::PortalStore: pgwire::api::store::PortalStore,
        C::Error: std::fmt::Debug,
        pgwire::error::PgWireError: From<<C as futures::Sink<pgwire::messages::PgWireBackendMessage>>::Error>,
    {
        use futures::SinkExt;
        use pgwire::api::store::PortalStore;
        if let crate::local::LocalCommand::Deallocate { name: Some(name) } = command {
            // psycopg 3 deallocates the statements its cache evicts this way.
            let store = client.portal_store();
            if store.get_statement(name).is_none() {
                return Err(error::user_error("26000", format!("prepared statement \"{name}\" does not exist"), None, None));
            }
            store.rm_statement(name);
        }
        let outcome = self.session()?.run_local(command).await?;
        if let crate::local::LocalCommand::Savepoint { tag: "ROLLBACK" } = command {
            // ROLLBACK TO SAVEPOINT makes a failed transaction block usable again.
            if client.transaction_status() == pgwire::messages::response::TransactionStatus::Error {
                client.set_transaction_status(pgwire::messages::response::TransactionStatus::Transaction);
            }
        }
        for (name, value) in outcome.reports {
            let status = pgwire::messages::startup::ParameterStatus::new(name, value);
            client.feed(pgwire::messages::PgWireBackendMessage::ParameterStatus(status)).await?;
        }
        Ok(outcome.rows)
    }

    /// The RowDescription fields of a local command (SHOW is read-only, so it may run at
    /// Describe time).
    async fn local_fields(&self, command: &crate::local::LocalCommand, formats: &pgwire::api::portal::Format) -> pgwire::error::PgWireResult<Vec<pgwire::api::results::FieldInfo>> {
        if !command.returns_rows() {
            return Ok(vec![]);
        }
        Ok(self.session()?.run_local(command).await?.rows.map(|r| r.fields(formats)).unwrap_or_default())
    }
}

/// Applies a transaction-control statement to the client's transaction state.
fn apply_transaction<C: pgwire::api::ClientInfo>(client: &mut C, command: TransactionCommand) {
    let status = client.transaction_status();
    client.set_transaction_status(match command {
        TransactionCommand::Begin => status.to_in_transaction_state(),
        TransactionCommand::Commit | TransactionCommand::Rollback => status.to_idle_state(),
    });
}

/// Hands pgwire the per-connection handlers.
pub struct ConnectionHandlers(pub Arc<Connection>);

impl PgWireServerHandlers for ConnectionHandlers {
    fn simple_query_handler(&self) -> Arc<impl pgwire::api::query::SimpleQueryHandler> {
        self.0.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl pgwire::api::query::ExtendedQueryHandler> {
        self.0.clone()
    }

    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        self.0.clone()
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        Arc::new(cancel::CancelHandlerImpl(self.0.ctx.cancels.clone()))
    }
}
