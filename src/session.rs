//! A client's session: its gateway session and the statements it runs.

use std::collections::BTreeMap;

use std::sync::Arc;

use crate::admin::metrics::QueryOutcome;
use crate::backend::{BackendError, GatewaySession};
use crate::cluster::{AcquireError, ActiveGuard, Cluster, Clusters, Slot};
use crate::results::{Ending, Outcome, ResultError, RowSet, RuntimeMode};
use crate::local::constant::ConstantSelect;
use crate::router::{Destination, StatementKind};

/// Why a client session could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Gateway(#[from] BackendError),
    #[error(transparent)]
    UnknownCluster(#[from] crate::cluster::UnknownCluster),
    #[error("database \"{database}\" does not exist on cluster {cluster}: the databases are the cluster's Flink catalogs: {}", .valid.join(", "))]
    UnknownDatabase { database: String, cluster: String, valid: Vec<String> },
    #[error(transparent)]
    Environment(crate::cluster::EnvironmentError),
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Denied(#[from] crate::policy::Denied),
}

impl From<AcquireError> for OpenError {
    fn from(err: AcquireError) -> Self {
        match err {
            AcquireError::Gateway(e) => Self::Gateway(e),
            AcquireError::Environment(e) => Self::Environment(e),
            e @ AcquireError::TooManySessions { .. } => Self::Unavailable(e.to_string()),
        }
    }
}

impl OpenError {
    /// The SQLSTATE of a failed connection attempt: 08001 when the gateway is unreachable, the
    /// statement's own SQLSTATE when init SQL is broken.
    pub fn sqlstate(&self) -> flinkwire_protocol::sqlstate::SqlState {
        use flinkwire_protocol::sqlstate::SqlState;
        match self {
            Self::Gateway(e) if e.sqlstate().is_connection_class() => SqlState::SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
            Self::Gateway(e) => e.sqlstate(),
            Self::UnknownCluster(_) | Self::UnknownDatabase { .. } => SqlState::INVALID_CATALOG_NAME,
            Self::Environment(e) => SqlState(e.sqlstate),
            Self::Unavailable(_) => SqlState("53300"), // too_many_connections
            Self::Denied(_) => SqlState(crate::policy::Denied::SQLSTATE),
        }
    }
}

/// Per-connection state that outlives single statements.
#[derive(Debug)]
pub struct ClientSession {
    /// The gateway session, opened when the first statement needs Flink: catalog queries and
    /// PostgreSQL session commands never do, so connection-per-call clients (Superset,
    /// Metabase's sync) never wait for Flink. The guard counts it as active in `SHOW CLUSTERS`.
    gateway: tokio::sync::OnceCell<(GatewaySession, ActiveGuard)>,
    /// What the client asked for at startup (to open the gateway session later).
    request: ConnectRequest,
    /// The client's PostgreSQL parameters (`SET`/`SHOW`), see [`crate::local::Settings`].
    settings: std::sync::Mutex<crate::local::Settings>,
    /// The cluster and (cluster, environment) slot the connection was routed to; `None` for a
    /// session opened without the cluster registry ([`ClientSession::open`]).
    route: Option<Route>,
    /// The pg_catalog / information_schema emulation, see [`crate::catalog::pg`]: the server's,
    /// shared by every session (one context per snapshot, not per connection).
    pg_catalog: Arc<crate::catalog::pg::Emulation>,
    /// The gateway session's `execution.runtime-mode` as last read from the gateway; `None`
    /// until the first query needs it and again after a `SET`/`RESET` reached Flink.
    runtime_mode: std::sync::Mutex<Option<RuntimeMode>>,
    /// What the user's role allows (`crate::policy`); checked by [`ClientSession::run`].
    access: crate::policy::Access,
    /// The session's current Flink catalog as far as flinkwire saw it change (startup
    /// database, `USE CATALOG`), for the role's `catalogs`.
    current_catalog: std::sync::Mutex<Option<String>>,
    /// The policy's decision on the last statement, for its audit line.
    last_decision: std::sync::Mutex<Option<Decision>>,
    /// This connection's id in the audit log.
    connection_id: u64,
    /// Its process id (`pg_backend_pid()`), once the connection registered in the server's
    /// activity.
    backend_pid: std::sync::OnceLock<i32>,
    /// The statements that changed the gateway session's state, for result cache keys.
    gateway_log: std::sync::Mutex<crate::results::cache::SessionLog>,
}

/// The policy's decision on one statement (for the audit log).
#[derive(Debug, Clone)]
struct Decision {
    kind: &'static str,
    denied_by: Option<String>,
}

/// How a statement ended, for its audit line ([`ClientSession::audit_statement`]).
#[derive(Debug)]
pub struct StatementDone<'a> {
    /// The statement as the client sent it (`$n` placeholders for the extended protocol).
    pub text: &'a str,
    pub parameters: Vec<crate::audit::ParameterType>,
    pub started: std::time::Instant,
    /// `None` = ok, else the SQLSTATE.
    pub sqlstate: Option<String>,
    pub rows: u64,
    pub job_id: Option<String>,
}

/// Where a connection was routed, see [`crate::cluster::Clusters::route`].
#[derive(Debug)]
pub struct Route {
    pub clusters: Arc<Clusters>,
    pub cluster: Arc<Cluster>,
    pub slot: Arc<Slot>,
}

/// What a client asked for at startup.
#[derive(Debug, Clone, Default)]
pub struct ConnectRequest {
    /// The PostgreSQL user.
    pub user: String,
    /// The startup `database` (a Flink catalog), if sent.
    pub database: Option<String>,
    /// `flinkwire.cluster` from the startup `options`, if given.
    pub cluster: Option<String>,
    /// The gateway session name (for the gateway's logs).
    pub session_name: String,
    /// The server's policy and audit log.
    pub security: crate::policy::Security,
    /// The `-c name=value` pairs of the startup `options` (checked against the role).
    pub startup_options: Vec<(String, String)>,
    /// For the audit log: the client's address, whether it uses TLS, how it authenticated.
    pub client_addr: String,
    pub tls: bool,
    pub auth_method: Option<String>,
    /// The server's Prometheus metrics (statements counted in [`ClientSession::run`]).
    pub metrics: Arc<crate::admin::Metrics>,
    /// The server's connections, for `pg_stat_activity` and the signal functions.
    pub activity: Arc<crate::activity::Activity>,
}

impl ConnectRequest {
    /// Reads `flinkwire.cluster` out of a startup `options` string (`-c flinkwire.cluster=x`).
    pub fn cluster_option(options: &str) -> Option<String> {
        crate::results::settings::parse_startup_options(options)
            .into_iter()
            .rev()
            .find(|(k, _)| k == "flinkwire.cluster")
            .map(|(_, v)| v)
    }
}

impl ClientSession {
    /// Opens the session of a new client through the cluster registry: routes it to a cluster
    /// and environment and checks the startup `database` (a Flink catalog). The gateway session
    /// (pre-warmed from the pool, or opened and initialized) is taken at the first statement
    /// that needs Flink, except when the startup can only be judged by the gateway: no
    /// metadata snapshot yet, a broken environment, or a database the snapshot does not know.
    ///
    /// The user's role is checked first (its clusters, catalogs and startup options), and the
    /// outcome is written to the audit log.
    pub async fn connect(
        clusters: &Arc<Clusters>,
        request: &ConnectRequest,
    ) -> Result<Self, OpenError> {
        let connection_id = request.security.audit.next_connection_id();
        let access = request.security.policy.access(&request.user);
        let result = match access {
            Ok(access) => Self::connect_as(clusters, request, access.clone(), connection_id).await.map_err(|e| (e, Some(access))),
            Err(denied) => Err((OpenError::Denied(denied), None)),
        };
        let (outcome, sqlstate, message, role, cluster) = match &result {
            Ok(session) => ("ok", None, None, session.role_name(), session.cluster().map(|c| c.name.clone())),
            Err((e, access)) => (
                if matches!(e, OpenError::Denied(_)) { "denied" } else { "failed" },
                Some(e.sqlstate().code().to_owned()),
                Some(e.to_string()),
                access.as_ref().and_then(|a| a.role().map(|r| r.name.clone())),
                request.cluster.clone(),
            ),
        };
        request.security.audit.connection(&crate::audit::ConnectionEvent {
            connection_id,
            user: request.user.clone(),
            client_addr: request.client_addr.clone(),
            tls: request.tls,
            auth_method: request.auth_method.clone(),
            outcome,
            sqlstate,
            message,
            role,
            cluster,
        });
        result.map_err(|(e, _)| e)
    }

    async fn connect_as(
        clusters: &Arc<Clusters>,
        request: &ConnectRequest,
        access: crate::policy::Access,
        connection_id: u64,
    ) -> Result<Self, OpenError> {
        let mut results = crate::results::ResultSettings::default();
        if let Some(role) = access.role() {
            results = crate::results::ResultSettings::for_role(&role.name, role.config.limits());
            for (name, value) in &request.startup_options {
                access.check_startup_option(name)?;
                // A startup value above the role's limits is refused, not silently dropped.
                if let Err(e) = results.clone().set(name, value) {
                    if let Some(above) = e.above_limit {
                        let message = format!("startup {} = {} is above the limit of role \"{}\" ({})", above.name, above.value, above.role, above.max);
                        return Err(crate::policy::Denied { rule: above.rule, message }.into());
                    }
                }
            }
        }
        let (cluster, slot) = clusters.route(request.cluster.as_deref(), &request.user)?;
        results.result_cache = clusters.result_cache.enabled_by_default(slot.environment.result_cache);
        access.check_cluster(&cluster.name)?;
        cluster.check_available()?;
        let mut request = request.clone();
        if let Some(first) = access.catalogs().first() {
            match &request.database {
                Some(db) if *db != request.user && !access.allows_catalog(db) => {
                    return Err(access
                        .decide(
                            &crate::policy::Statement {
                                class: crate::policy::Class::UseCatalog(db.clone()),
                                connectors: vec![],
                                options_hint: false,
                                catalogs: vec![db.clone()],
                            },
                            &crate::policy::Context { user: &request.user, current_catalog: None, emulated: false, jobs: &request.security.policy.jobs },
                        )
                        .err()
                        .unwrap_or_else(|| crate::policy::Denied { rule: "catalogs".into(), message: format!("catalog \"{db}\"") })
                        .into());
                }
                Some(db) if *db != request.user => {}
                // No database named: the role's first catalog, not the session's default one.
                _ => request.database = Some(first.clone()),
            }
        }
        let session = Self {
            gateway: tokio::sync::OnceCell::new(),
            current_catalog: std::sync::Mutex::new(request.database.clone().filter(|d| *d != request.user)),
            request,
            settings: std::sync::Mutex::new(crate::local::Settings::new(std::iter::empty::<(String, String)>(), results)),
            route: Some(Route { clusters: clusters.clone(), cluster, slot }),
            pg_catalog: clusters.pg_catalog.clone(),
            runtime_mode: Default::default(),
            access,
            last_decision: Default::default(),
            connection_id,
            backend_pid: Default::default(),
            gateway_log: Default::default(),
        };
        if session.gateway_decides_startup() {
            session.open_gateway().await?;
        }
        Ok(session)
    }

    /// The name of the user's role, if roles are configured.
    pub fn role_name(&self) -> Option<String> {
        self.access.role().map(|r| r.name.clone())
    }

    /// This connection's id in the audit log.
    pub fn connection_id(&self) -> u64 {
        self.connection_id
    }

    /// Records the connection's process id once it is registered in the server's activity.
    pub fn set_backend_pid(&self, pid: i32) {
        let _ = self.backend_pid.set(pid);
    }

    /// Who this session is to `pg_stat_activity` and the signal functions.
    pub fn live_view(&self) -> crate::catalog::pg::LiveView {
        crate::catalog::pg::LiveView {
            activity: self.request.activity.clone(),
            viewer: crate::catalog::pg::Viewer {
                user: self.request.user.clone(),
                pid: self.backend_pid(),
                admin: self.access.role().is_some_and(|r| r.config.admin),
            },
        }
    }

    /// The connection's process id (0 before it is registered).
    pub fn backend_pid(&self) -> i32 {
        self.backend_pid.get().copied().unwrap_or(0)
    }

    /// The current Flink catalog as far as flinkwire knows it.
    fn current_catalog(&self) -> Option<String> {
        let tracked = self.current_catalog.lock().unwrap_or_else(|p| p.into_inner()).clone();
        tracked.or_else(|| self.route.as_ref().and_then(|r| r.clusters.snapshots.get(&r.slot.key)).map(|s| s.current_catalog.clone()))
    }

    /// The policy gate: every statement that reaches Flink passes here, from every protocol
    /// path. Returns the role's concurrent-query permit for statements that produce results.
    fn gate(&self, sql: &str, kind: &StatementKind, emulated: bool) -> Result<crate::policy::QueryPermit, ResultError> {
        let statement = crate::policy::classify(sql);
        let current = self.current_catalog();
        let ctx = crate::policy::Context {
            user: &self.request.user,
            current_catalog: current.as_deref(),
            emulated,
            jobs: &self.request.security.policy.jobs,
        };
        let decision = self.access.decide(&statement, &ctx);
        *self.last_decision.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(Decision { kind: statement.class.label(), denied_by: decision.as_ref().err().map(|d| d.rule.clone()) });
        if let Err(denied) = decision {
            tracing::info!(user = %self.request.user, rule = %denied.rule, "statement denied by policy");
            return Err(ResultError::Refused(denied.into_refusal()));
        }
        if emulated || !matches!(kind, StatementKind::Query | StatementKind::Job) {
            return Ok(None);
        }
        self.access.begin_query().map_err(|e| {
            ResultError::Refused(crate::dialect::Refusal {
                sqlstate: flinkwire_protocol::sqlstate::SqlState("53400"),
                message: e.to_string(),
            })
        })
    }

    /// After a statement ran: who owns the job it started, which catalog is current now.
    fn after_statement(&self, sql: &str, outcome: &Outcome) {
        let statement = crate::policy::classify(sql);
        if let (Outcome::Rows(rows), crate::policy::Class::Job | crate::policy::Class::CreateTable { as_query: true }) = (outcome, &statement.class) {
            if let Some(job) = rows.job_id() {
                self.request.security.policy.jobs.record(job, &self.request.user);
            }
        }
        let catalog = match &statement.class {
            crate::policy::Class::UseCatalog(name) => Some(name.clone()),
            crate::policy::Class::UseDatabase => statement.catalogs.first().cloned(),
            _ => None,
        };
        if let Some(catalog) = catalog {
            *self.current_catalog.lock().unwrap_or_else(|p| p.into_inner()) = Some(catalog);
        }
    }

    /// A new statement starts (for its audit line).
    pub fn begin_statement(&self) {
        self.last_decision.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    /// Writes a statement's audit line: the policy's decision on it (if it reached the gate),
    /// how it ended.
    pub fn audit_statement(&self, done: StatementDone<'_>) {
        let decision = self.last_decision.lock().unwrap_or_else(|p| p.into_inner()).take();
        let decision = decision.unwrap_or_else(|| Decision { kind: crate::policy::classify(done.text).class.label(), denied_by: None });
        self.request.security.audit.statement(&crate::audit::StatementEvent {
            connection_id: self.connection_id,
            user: self.request.user.clone(),
            role: self.role_name(),
            cluster: self.cluster().map(|c| c.name.clone()),
            statement: crate::audit::redact(done.text),
            parameters: done.parameters,
            statement_kind: decision.kind,
            decision: if decision.denied_by.is_some() { "denied" } else { "allowed" },
            rule: decision.denied_by,
            sqlstate: done.sqlstate.unwrap_or_else(|| "00000".to_owned()),
            rows: done.rows,
            duration_ms: u64::try_from(done.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            job_id: done.job_id,
        });
    }

    /// Whether only the gateway can tell if this startup succeeds.
    fn gateway_decides_startup(&self) -> bool {
        let Some(route) = &self.route else { return true };
        if route.slot.broken().is_some() {
            return true;
        }
        let Some(snapshot) = self.snapshot() else { return true };
        match &self.request.database {
            None => false,
            Some(database) => snapshot.catalog(database).is_none() && *database != self.request.user,
        }
    }

    /// The gateway session, opened on first use: from the slot's pool (or a new one with the
    /// environment applied), with the startup catalog and the search path in force.
    async fn open_gateway(&self) -> Result<&GatewaySession, OpenError> {
        let (gateway, _) = self
            .gateway
            .get_or_try_init(|| async {
                let route = self.route.as_ref().ok_or_else(|| OpenError::Unavailable("no cluster".into()))?;
                let (gateway, active) = match route.slot.acquire(&self.request.session_name).await {
                    Ok(pair) => pair,
                    Err(AcquireError::Gateway(e)) => {
                        route.cluster.observe(&e);
                        return Err(OpenError::Gateway(e));
                    }
                    Err(e) => return Err(OpenError::from(e)),
                };
                tracing::debug!(session = %gateway.handle(), user = %self.request.user, "gateway session taken");
                if let Some(database) = &self.request.database {
                    self.use_startup_catalog(&gateway, database).await?;
                }
                // A search path the client set before its first Flink statement.
                let path = self.settings().search_path();
                if path != crate::local::Settings::default().search_path() {
                    self.apply_search_path(&gateway, &path).await?;
                }
                Ok((gateway, active))
            })
            .await?;
        Ok(gateway)
    }

    /// The gateway session for a statement that needs Flink.
    async fn gateway(&self) -> Result<&GatewaySession, ResultError> {
        self.open_gateway().await.map_err(|e| ResultError::Open(Box::new(e)))
    }

    /// `USE CATALOG` for the startup `database`. A database the cluster does not have fails
    /// with 3D000 naming the valid ones, except the user's own name, which libpq-based clients
    /// send when no database is given: that one means "the default catalog".
    async fn use_startup_catalog(&self, gateway: &GatewaySession, database: &str) -> Result<(), OpenError> {
        let user = &self.request.user;
        let snapshot = self.snapshot();
        let known = snapshot.as_ref().map(|s| s.catalog(database).map(|c| c.name.clone()));
        let catalog = match known {
            Some(Some(name)) => name,
            // Not in the snapshot: the environment may create catalogs the snapshot lacks
            // (it is loaded once); ask the session.
            _ => database.to_owned(),
        };
        if snapshot.as_ref().is_some_and(|s| s.current_catalog == catalog) {
            return Ok(());
        }
        let sql = format!("USE CATALOG {}", crate::config::quote_ident(&catalog));
        match gateway.query_text(&sql).await {
            Ok(_) => Ok(()),
            Err(e) if crate::catalog::loader::is_session_failure(&e) => Err(e.into()),
            Err(_) if database == user => Ok(()),
            Err(_) => {
                let valid = match gateway.query_text("SHOW CATALOGS").await {
                    Ok(rows) => rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect(),
                    Err(_) => snapshot.map(|s| s.catalog_names().iter().map(|n| n.to_string()).collect()).unwrap_or_default(),
                };
                let cluster = self.route.as_ref().map(|r| r.cluster.name.clone()).unwrap_or_default();
                Err(OpenError::UnknownDatabase { database: database.to_owned(), cluster, valid })
            }
        }
    }

    /// The cluster the connection was routed to.
    pub fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.route.as_ref().map(|r| &r.cluster)
    }

    /// The cluster registry (for `SHOW CLUSTERS` and the snapshots).
    pub fn clusters(&self) -> Option<&Arc<Clusters>> {
        self.route.as_ref().map(|r| &r.clusters)
    }

    /// The name of the environment applied to this session (`None` = none configured).
    pub fn environment(&self) -> Option<&str> {
        self.route.as_ref().and_then(|r| r.slot.environment.name.as_deref())
    }

    /// The latest metadata snapshot of this session's (cluster, environment), if loaded. It
    /// does not show the session's own temporary objects or catalog changes made since.
    ///
    /// For a role limited to some catalogs, the others are not in it: pg_catalog,
    /// information_schema and the search path never see them.
    pub fn snapshot(&self) -> Option<Arc<crate::catalog::MetadataSnapshot>> {
        let route = self.route.as_ref()?;
        let snapshot = route.clusters.snapshots.get(&route.slot.key)?;
        if self.access.catalogs().is_empty() {
            return Some(snapshot);
        }
        let mut visible = (*snapshot).clone();
        visible.catalogs.retain(|c| self.access.allows_catalog(&c.name));
        if !self.access.allows_catalog(&visible.current_catalog) {
            visible.current_catalog = self.current_catalog().filter(|c| self.access.allows_catalog(c)).unwrap_or_default();
        }
        Some(Arc::new(visible))
    }

    /// `SHOW CATALOGS` for a role limited to some catalogs: the allowed ones the snapshot
    /// knows (all allowed ones before it is loaded), so the others stay invisible.
    fn show_allowed_catalogs(&self) -> Result<Outcome, ResultError> {
        use flinkwire_protocol::rest::{ColumnInfo, RowData, RowKind};
        let names: Vec<String> = match self.snapshot() {
            Some(snapshot) => snapshot.catalogs.iter().map(|c| c.name.clone()).collect(),
            None => self.access.catalogs().to_vec(),
        };
        let column = ColumnInfo {
            name: "catalog name".to_owned(),
            logical_type: serde_json::json!({"type": "VARCHAR", "nullable": false, "length": 2147483647}),
            comment: None,
        };
        let rows = names.into_iter().map(|n| RowData { kind: RowKind::Insert, fields: vec![serde_json::Value::String(n)] }).collect();
        Ok(Outcome::Rows(RowSet::local(&[column], rows)?))
    }

    /// Answers flinkwire's own `SHOW CLUSTERS`.
    fn show_clusters(&self) -> Result<Outcome, ResultError> {
        use flinkwire_protocol::rest::{ColumnInfo, RowData, RowKind};
        let column = |name: &str| ColumnInfo {
            name: name.to_owned(),
            logical_type: serde_json::json!({"type": "VARCHAR", "nullable": true, "length": 2147483647}),
            comment: None,
        };
        let names = ["name", "gateway", "health", "default", "pooled", "active", "environments"];
        let columns: Vec<ColumnInfo> = names.iter().map(|n| column(n)).collect();
        let rows = self
            .clusters()
            .map(|c| c.show_rows())
            .unwrap_or_default()
            .into_iter()
            .map(|r| RowData { kind: RowKind::Insert, fields: r.into_iter().map(serde_json::Value::String).collect() })
            .collect();
        Ok(Outcome::Rows(RowSet::local(&columns, rows)?))
    }

    /// The client's PostgreSQL parameters, including the result settings
    /// (`settings().results()`, `settings().statement_timeout()`). Do not hold the guard across
    /// an `.await`.
    pub fn settings(&self) -> std::sync::MutexGuard<'_, crate::local::Settings> {
        self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hook for `SET search_path` / `RESET search_path` (answered locally by [`crate::local`]):
    /// `schemas` is the new search path, quotes removed (`$user`, `public` by default).
    /// PostgreSQL schemas are the Flink databases of the current catalog, so the first schema
    /// that is one becomes the Flink current database (`USE`). Schemas that are not (`public`,
    /// `pg_catalog`, `$user`) are skipped, like PostgreSQL skips missing ones.
    pub async fn set_search_path(&self, schemas: &[String]) -> Result<(), ResultError> {
        // Before the gateway session is open there is nothing to change: it is opened with the
        // search path in force.
        let Some((gateway, _)) = self.gateway.get() else { return Ok(()) };
        Ok(self.apply_search_path(gateway, schemas).await?)
    }

    async fn apply_search_path(&self, gateway: &GatewaySession, schemas: &[String]) -> Result<(), BackendError> {
        tracing::debug!(session = %gateway.handle(), ?schemas, "search_path changed");
        let catalog = gateway.query_text("SHOW CURRENT CATALOG").await?;
        let catalog = catalog.into_iter().next().and_then(|r| r.into_iter().next().flatten()).unwrap_or_default();
        let known = self.snapshot().and_then(|s| {
            s.catalog(&catalog).map(|c| c.databases.iter().map(|d| d.name.clone()).collect::<Vec<_>>())
        });
        for schema in schemas {
            if is_system_schema(schema) {
                continue;
            }
            // Known databases from the snapshot; for a catalog the snapshot lacks, try each.
            let name = match &known {
                Some(dbs) => match dbs.iter().find(|d| *d == schema).or_else(|| dbs.iter().find(|d| d.eq_ignore_ascii_case(schema))) {
                    Some(d) => d.clone(),
                    None => continue,
                },
                None => schema.clone(),
            };
            let sql = format!("USE {}", crate::config::quote_ident(&name));
            match gateway.query_text(&sql).await {
                Ok(_) => return Ok(()),
                Err(e) if crate::catalog::loader::is_session_failure(&e) => return Err(e.into()),
                Err(_) => continue,
            }
        }
        Ok(())
    }

    /// The session's pg_catalog emulation (answers from [`ClientSession::snapshot`]).
    pub fn pg_catalog(&self) -> &crate::catalog::pg::Emulation {
        &self.pg_catalog
    }

    /// The gateway session handle (for logs); `-` until the session is opened.
    pub fn handle(&self) -> &str {
        self.gateway.get().map_or("-", |(g, _)| g.handle())
    }

    /// Runs one Flink statement and returns its rows or its completion.
    pub async fn run(&self, sql: &str, kind: &StatementKind) -> Result<Outcome, ResultError> {
        tracing::debug!(session = %self.handle(), ?kind, sql, "executing");
        if crate::router::nests_calls_too_deep(sql) {
            // Before any parsing: see `MAX_CALL_NESTING`.
            return Err(ResultError::Refused(crate::dialect::Refusal {
                sqlstate: flinkwire_protocol::sqlstate::SqlState("54001"),
                message: format!(
                    "statement too complex: function calls nested more than {} levels deep",
                    crate::router::MAX_CALL_NESTING
                ),
            }));
        }
        let destination = self.destination(sql, kind);
        let started = std::time::Instant::now();
        let metric_kind = destination.metric_kind();
        let metrics = &self.request.metrics;
        // Only the catalog emulation is judged as emulated: a constant answer passes the gate as
        // the Flink query it stands for (same rules, same concurrent-query permit).
        let permit = self.gate(sql, kind, matches!(destination, Destination::Catalog)).inspect_err(|_| {
            metrics.statement(metric_kind, QueryOutcome::Denied, started.elapsed());
        })?;
        let mut outcome = self.run_admitted(sql, kind, destination).await;
        metrics.statement_ready(metric_kind, started.elapsed());
        match &mut outcome {
            Ok(Outcome::Rows(rows)) => {
                // The first page is in hand (or the result is known to be empty); the statement
                // is counted when its rows end, so a stream cancelled or failing midway counts
                // as such.
                metrics.first_row(metric_kind, started.elapsed());
                let metrics = metrics.clone();
                rows.watch_end(Box::new(move |ending| {
                    let outcome = match ending {
                        Ending::Complete | Ending::Closed => QueryOutcome::Ok,
                        Ending::Cancelled => QueryOutcome::Cancelled,
                        Ending::Timeout => QueryOutcome::Timeout,
                        Ending::Failed => QueryOutcome::Error,
                    };
                    metrics.statement_ended(metric_kind, outcome);
                }));
            }
            Ok(_) => metrics.statement_ended(metric_kind, QueryOutcome::Ok),
            Err(ResultError::Cancelled) => metrics.statement_ended(metric_kind, QueryOutcome::Cancelled),
            Err(ResultError::Timeout) => metrics.statement_ended(metric_kind, QueryOutcome::Timeout),
            Err(_) => metrics.statement_ended(metric_kind, QueryOutcome::Error),
        }
        if let Ok(outcome) = &mut outcome {
            self.after_statement(sql, outcome);
            if let (Outcome::Rows(rows), Some(permit)) = (outcome, permit) {
                rows.hold(Box::new(permit));
            }
        }
        outcome
    }

    /// Applies the session's result mode and row limit to the rows of `sql`, for every front
    /// end. Result modes are about query results; SHOW/EXPLAIN/DESCRIBE and job ids stay plain.
    pub async fn configure_rows(&self, sql: &str, rows: &mut RowSet) -> Result<(), ResultError> {
        let word = crate::router::leading_words(sql, 1).pop().unwrap_or_default();
        if rows.is_local() || !matches!(word.as_str(), "SELECT" | "WITH" | "VALUES" | "TABLE") {
            return Ok(());
        }
        let settings = self.settings().results().clone();
        // Only `auto` depends on the runtime mode, which may take a gateway request to learn (a
        // constant answer needs no gateway session otherwise).
        let runtime = match settings.mode {
            crate::results::ResultMode::Auto => self.runtime_mode().await,
            _ => RuntimeMode::Batch,
        };
        rows.configure(&settings, runtime)
    }

    /// Who answers `sql`: flinkwire's own commands, the catalog emulation, a constant answer,
    /// the result cache (a hit, or Flink with its answer recorded), or Flink.
    fn destination(&self, sql: &str, kind: &StatementKind) -> Destination {
        let words = crate::router::leading_words(sql, 3);
        if self.route.is_some() && words == ["SHOW", "CLUSTERS"] {
            return Destination::Clusters;
        }
        if !self.access.catalogs().is_empty() && words == ["SHOW", "CATALOGS"] {
            return Destination::AllowedCatalogs;
        }
        if *kind != StatementKind::Query {
            return Destination::Flink;
        }
        // Introspection (pg_catalog, information_schema, client functions) is answered locally.
        match crate::catalog::pg::route(sql) {
            crate::catalog::pg::CatalogRoute::Catalog => return Destination::Catalog,
            crate::catalog::pg::CatalogRoute::Mixed(table) => return Destination::Mixed(table),
            crate::catalog::pg::CatalogRoute::Flink => {}
        }
        if let Some(select) = self.constant_select(sql) {
            return Destination::Constant(select);
        }
        let Some((cache, key)) = self.cache_key(sql) else { return Destination::Flink };
        match cache.get(&key) {
            Some(entry) => Destination::Cached(entry),
            None => Destination::Cacheable(key),
        }
    }

    /// The result cache and the key of `sql`, when this session has the cache on and `sql` may
    /// be cached (see [`crate::results::cache`]).
    fn cache_key(&self, sql: &str) -> Option<(&Arc<crate::results::cache::ResultCache>, crate::results::cache::CacheKey)> {
        let route = self.route.as_ref()?;
        let cache = &route.clusters.result_cache;
        let (results, search_path) = {
            let settings = self.settings();
            (settings.results().clone(), settings.search_path())
        };
        if !results.result_cache || !cache.is_usable() {
            return None;
        }
        // The snapshot as loaded (a role's view of it is a copy; the tables are the same).
        let snapshot = route.clusters.snapshots.get(&route.slot.key);
        let role = self.role_name();
        let parts = crate::results::cache::KeyParts {
            sql,
            cluster: &route.cluster.name,
            environment: route.slot.environment.name.as_deref(),
            environment_generated: &route.slot.environment.generated_tables,
            database: self.request.database.as_deref(),
            search_path,
            result_mode: results.mode.name(),
            max_rows: results.max_rows,
            role: role.as_deref(),
            snapshot: snapshot.as_deref(),
        };
        let key = cache.key(parts, &mut self.gateway_log.lock().unwrap_or_else(|p| p.into_inner()));
        match key {
            Ok(key) => Some((cache, key)),
            Err(refusal) => {
                tracing::debug!(?refusal, "not for the result cache");
                None
            }
        }
    }

    /// `sql` as a constant `SELECT` this session can answer exactly as Flink would: the shape is
    /// one [`ConstantSelect`] knows, the dialect leaves it as it is (Flink would get this very
    /// text), the cluster is not known to be down (Flink would fail with 08001), and
    /// `flinkwire.max_rows` cannot cut its one row (whether Flink's answer then carries a NOTICE
    /// depends on how its pages fall).
    fn constant_select(&self, sql: &str) -> Option<ConstantSelect> {
        let route = self.route.as_ref()?;
        if !route.clusters.constant_selects || route.cluster.check_available().is_err() {
            return None;
        }
        let max_rows = self.settings().results().max_rows;
        if max_rows == 1 {
            return None;
        }
        let select = ConstantSelect::parse(sql)?;
        matches!(crate::dialect::to_flink(sql), Ok(std::borrow::Cow::Borrowed(_))).then_some(select)
    }

    /// Runs a statement the gate admitted.
    async fn run_admitted(&self, sql: &str, kind: &StatementKind, destination: Destination) -> Result<Outcome, ResultError> {
        let cache = self.route.as_ref().map(|r| &r.clusters.result_cache);
        let cache_key = match destination {
            Destination::Clusters => return self.show_clusters(),
            Destination::AllowedCatalogs => return self.show_allowed_catalogs(),
            Destination::Catalog => return self.run_catalog(sql).await,
            Destination::Mixed(table) => return Err(crate::catalog::pg::CatalogError::Mixed(table).into_result_error()),
            Destination::Constant(select) => {
                // The gateway's columns and row for this query, renamed as Flink's are.
                let mut rows = RowSet::constant(&select.columns(), vec![select.row()])?;
                rename_generated(&mut rows, crate::dialect::names::ResultNames::of(sql).as_ref())?;
                return Ok(Outcome::Rows(rows));
            }
            Destination::Cached(entry) => {
                cache.inspect(|c| c.counters.lookup(true));
                return Ok(Outcome::Rows(RowSet::cached(&entry)?));
            }
            Destination::Cacheable(key) => {
                cache.inspect(|c| c.counters.lookup(false));
                Some(key)
            }
            Destination::Flink => None,
        };
        // PostgreSQL dialect of BI tools → Flink SQL; native Flink SQL passes untouched. The
        // result columns get PostgreSQL's names for what Flink calls `EXPR$n`.
        let (flink_sql, names) = match kind {
            StatementKind::Query => (crate::dialect::to_flink(sql)?, crate::dialect::names::ResultNames::of(sql)),
            _ => (std::borrow::Cow::Borrowed(sql), None),
        };
        let outcome = self.gateway().await?.execute(&flink_sql, BTreeMap::new()).await.map_err(ResultError::from);
        let mut outcome = match outcome {
            Ok(operation) => RowSet::start(operation).await,
            Err(e) => Err(e),
        };
        if let Ok(Outcome::Rows(rows)) = &mut outcome {
            rename_generated(rows, names.as_ref())?;
        }
        self.after_flink(kind, &flink_sql, cache_key, &mut outcome);
        if let Some(route) = &self.route {
            match &outcome {
                Err(ResultError::Backend(e)) => route.cluster.observe(e),
                // DDL through flinkwire: the snapshot may be out of date now.
                Ok(_) if matches!(kind, StatementKind::Command { tag } if is_ddl(tag)) => {
                    route.clusters.invalidate(&route.slot)
                }
                _ => {}
            }
        }
        if outcome.is_ok() {
            if let StatementKind::Command { tag } = kind {
                if tag == "SET" || tag == "RESET" {
                    self.configuration_changed(sql).await?;
                }
            }
        }
        outcome
    }

    /// The result cache's part after a statement went to Flink: a query's answer is recorded
    /// under its key; a command is logged as a change of the session's state (keys of later
    /// queries include it), and one that may change tables or data (DDL, `ADD JAR`, a job, …:
    /// anything but `SET`, `RESET`, `USE`) drops every entry.
    fn after_flink(&self, kind: &StatementKind, flink_sql: &str, key: Option<crate::results::cache::CacheKey>, outcome: &mut Result<Outcome, ResultError>) {
        let Some(route) = &self.route else { return };
        let cache = &route.clusters.result_cache;
        if let Some(key) = key {
            match (outcome, crate::results::cache::translation_refusal(flink_sql)) {
                (Ok(Outcome::Rows(rows)), None) => rows.record(cache.recorder(key)),
                (_, refusal) => tracing::debug!(?refusal, "answer not recorded"),
            }
            return;
        }
        match kind {
            StatementKind::Command { tag } => {
                self.gateway_log.lock().unwrap_or_else(|p| p.into_inner()).record(flink_sql);
                if !matches!(tag.as_str(), "SET" | "RESET" | "USE") {
                    cache.invalidate();
                }
            }
            StatementKind::Job => cache.invalidate(),
            _ => {}
        }
    }

    /// After a Flink `SET 'k' = 'v'` or `RESET ['k']`. The gateway resets to its own defaults,
    /// dropping the properties flinkwire opened the session with (`[session.properties]`, the
    /// cluster's): they are the session's defaults here, so they are set again. The runtime
    /// mode is read again before the next query.
    async fn configuration_changed(&self, sql: &str) -> Result<(), ResultError> {
        *self.runtime_mode.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let (Some(reset), Some(route)) = (crate::router::flink_reset_key(sql), &self.route) else { return Ok(()) };
        for (key, value) in route.slot.session_properties() {
            if reset.as_ref().is_some_and(|k| k != key) {
                continue;
            }
            let literal = |s: &str| flinkwire_protocol::params::string_literal(s).map_err(|e| ResultError::Convert(e.to_string()));
            let set = format!("SET {} = {}", literal(key)?, literal(value)?);
            self.gateway().await?.query_text(&set).await?;
        }
        Ok(())
    }

    /// The runtime mode the session's next statement runs in (what result mode `auto` follows),
    /// read from the gateway once and again after each `SET`/`RESET`. If the gateway cannot
    /// say, the configured session properties decide.
    pub async fn runtime_mode(&self) -> RuntimeMode {
        if let Some(mode) = *self.runtime_mode.lock().unwrap_or_else(|p| p.into_inner()) {
            return mode;
        }
        let configuration = match self.gateway().await {
            Ok(gateway) => gateway.configuration().await.map_err(ResultError::from),
            Err(e) => Err(e),
        };
        let mode = match configuration {
            Ok(configuration) => RuntimeMode::of(configuration.iter()),
            Err(e) => {
                tracing::warn!(session = %self.handle(), error = %e, "could not read the session configuration");
                let configured = self.route.as_ref().map(|r| r.slot.session_properties().clone()).unwrap_or_default();
                return RuntimeMode::of(configured.iter());
            }
        };
        *self.runtime_mode.lock().unwrap_or_else(|p| p.into_inner()) = Some(mode);
        mode
    }

    /// Closes the gateway session (if one was opened) and waits for the gateway to confirm. The
    /// client's place in the cluster's session limit is freed first: a session still closing on
    /// the gateway must not keep a new client out.
    pub async fn close(self) -> Result<(), BackendError> {
        match self.gateway.into_inner() {
            Some((gateway, active)) => {
                drop(active);
                gateway.close().await
            }
            None => Ok(()),
        }
    }
}

/// Gives result columns Flink named `EXPR$n` their PostgreSQL names (see
/// [`crate::dialect::names::ResultNames`]).
fn rename_generated(rows: &mut RowSet, names: Option<&crate::dialect::names::ResultNames>) -> Result<(), ResultError> {
    match names {
        Some(names) => rows.rename_columns(|position, count, flink| names.rename(position, count, flink)),
        None => Ok(()),
    }
}

/// Search-path entries that are never Flink databases (`$user` and the system schemas).
fn is_system_schema(schema: &str) -> bool {
    schema.starts_with('$') || schema.eq_ignore_ascii_case("pg_catalog") || schema.eq_ignore_ascii_case("information_schema")
}

/// Whether a command tag is DDL that can change the metadata snapshot.
fn is_ddl(tag: &str) -> bool {
    ["CREATE", "DROP", "ALTER"].iter().any(|w| tag.starts_with(w))
}
