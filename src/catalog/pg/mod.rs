//! The PostgreSQL system catalogs (`pg_catalog`, `information_schema`) and the functions clients
//! call while introspecting, answered from the metadata snapshot without a Flink round trip.
//!
//! The engine is DataFusion with `datafusion-pg-catalog` (pg_catalog tables, `format_type`,
//! `has_*_privilege`, `::regclass` rewrites… see `docs/bi-compatibility.md` for why): each
//! snapshot becomes a DataFusion catalog of empty tables with the Flink tables' columns, and
//! client SQL runs on it as it is. flinkwire adds the functions the crate leaves out
//! ([`functions`]).
//!
//! Mapping: the session's current Flink catalog is the PostgreSQL database (other catalogs are
//! listed in `pg_database` only), each of its Flink databases a schema, each table or view a
//! relation. Their OIDs come from their names ([`oids`]), so they are the same in every
//! connection.

pub(crate) mod functions;
mod activity;
mod array_literal;
mod objects;
mod oids;
mod regtype;
mod route;
mod rules;
mod session;
mod tables;
mod values;

use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider, SchemaProvider, Session, TableProvider};
use datafusion::datasource::{MemTable, TableType};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_pg_catalog::pg_catalog::context::{PgCatalogContextProvider, Role};
use datafusion_pg_catalog::sql::PostgresCompatibilityParser;
use flinkwire_protocol::rest::{ColumnInfo, RowData};

pub use activity::{LiveView, SignalDenied, Viewer};
pub use route::{route, CatalogRoute};

use crate::catalog::snapshot::{MetadataSnapshot, TableKind};

/// Why an introspection query failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{0}")]
    Syntax(String),
    #[error("{0}")]
    Query(String),
    /// The statement mixes Flink tables with the system catalogs.
    #[error("a query cannot mix Flink tables with pg_catalog or information_schema: {0}")]
    Mixed(String),
    /// An array literal PostgreSQL would refuse, or one the emulation cannot read exactly.
    #[error("{0}")]
    MalformedArray(String),
    /// `pg_cancel_backend` / `pg_terminate_backend` of another user's connection.
    #[error("{0}")]
    Denied(activity::SignalDenied),
}

impl CatalogError {
    /// The SQLSTATE a client sees.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            Self::Syntax(_) => "42601",
            Self::Query(m) if m.contains("not found") && m.contains("table") => "42P01",
            Self::Query(m) if m.contains("Invalid function") || m.contains("function") && m.contains("not found") => "42883",
            Self::Query(m) if m.contains("No field named") || m.contains("Schema error") => "42703",
            Self::Query(m) if m.contains("invalid regular expression") => "2201B",
            Self::Query(_) => "XX000",
            Self::Mixed(_) => "0A000",
            Self::MalformedArray(_) => "22P02",
            Self::Denied(_) => "42501",
        }
    }
}

/// Per-session facts the functions answer with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SessionFacts {
    pub user: String,
    /// The current Flink catalog (the PostgreSQL database).
    pub catalog: String,
    /// The current Flink database (the first schema of the search path).
    pub database: String,
    /// `current_setting()` values, by lower-cased name.
    pub settings: Vec<(String, String)>,
    pub backend_pid: i32,
}

/// The emulation, shared by every client session of a server: one immutable DataFusion context
/// per (snapshot, current catalog, user), built at the first catalog query that needs it and
/// dropped once its snapshot is replaced and no session holds it any more. What is really per
/// session (the current schema, `current_setting()`, `current_user`) is laid over a cheap
/// copy of the context's state for each query.
///
/// A context per connection cost ~5 MiB and 20 ms (release) at every connection's first catalog
/// query; BI tools that open a connection per metadata call (Superset, Metabase's sync) paid it
/// every time.
#[derive(Default)]
pub struct Emulation {
    contexts: Mutex<Vec<Arc<SharedContext>>>,
    parser: PostgresCompatibilityParser,
}

/// Most contexts kept at once (snapshots × current catalogs × users in use).
const MAX_CONTEXTS: usize = 16;
/// Most answers kept per context before its answer cache starts over.
const MAX_CACHED_ANSWERS: usize = 512;

impl std::fmt::Debug for Emulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulation").finish_non_exhaustive()
    }
}

/// One built context and the answers given from it.
struct SharedContext {
    snapshot: Arc<MetadataSnapshot>,
    catalog: String,
    user: String,
    /// Never queried directly: each query runs on a copy with the session's overlay.
    state: datafusion::execution::SessionState,
    /// Answers by (SQL, facts): an answer depends only on the snapshot, the session facts and
    /// the SQL, and clients repeat the same introspection queries, connection after connection.
    answers: Mutex<std::collections::HashMap<(String, SessionFacts), Answer>>,
}

/// pg_catalog and information_schema hold the context's catalog list, which holds the catalog
/// that holds them: a cycle that would keep every dropped context alive forever (seen: ~5 MiB
/// per context). Deregistering them breaks it.
impl Drop for SharedContext {
    fn drop(&mut self) {
        break_catalog_cycle(&self.state);
    }
}

fn break_catalog_cycle(state: &datafusion::execution::SessionState) {
    let list = state.catalog_list();
    for name in list.catalog_names() {
        if let Some(provider) = list.catalog(&name) {
            for schema in ["pg_catalog", "information_schema"] {
                let _ = provider.deregister_schema(schema, true);
            }
        }
    }
}

impl SharedContext {
    fn serves(&self, snapshot: &Arc<MetadataSnapshot>, facts: &SessionFacts) -> bool {
        Arc::ptr_eq(&self.snapshot, snapshot) && self.catalog == facts.catalog && self.user == facts.user
    }
}

/// An answer: columns and rows in the gateway's JSON shape, for [`crate::results::RowSet::local`].
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub columns: Vec<ColumnInfo>,
    pub rows: Vec<RowData>,
}

impl Emulation {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs one introspection statement against `snapshot`; `live` is the server's connections
    /// and the asking one, for `pg_stat_activity` and the signal functions (absent: an empty
    /// `pg_stat_activity`).
    pub async fn query(&self, snapshot: &Arc<MetadataSnapshot>, facts: &SessionFacts, sql: &str, live: Option<&LiveView>) -> Result<Answer, CatalogError> {
        let shared = self.context(snapshot, facts).await?;
        // Live answers change from one moment to the next; the pid matters only to the queries
        // that ask for it, so the others are shared between connections.
        let cacheable = !activity::is_live(sql);
        let mut key_facts = facts.clone();
        if !activity::reads_backend_pid(sql) {
            key_facts.backend_pid = 0;
        }
        let key = (sql.to_owned(), key_facts);
        if cacheable {
            if let Some(answer) = shared.answers.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
                return Ok(answer.clone());
            }
        }
        let ctx = session_overlay(&shared, snapshot, facts, live);
        let original = sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, sql)
            .ok()
            .filter(|s| s.len() == 1)
            .map(|mut s| s.remove(0));
        // PostgreSQL's column names come from the SQL as the client wrote it.
        let column_names = original.as_ref().map(crate::dialect::names::postgres_names).unwrap_or_default();
        let rewritten = match original {
            // Re-printed only when it can be faithfully (`dialect::reprint`); else as written.
            Some(mut s) => rules::rewrite_before_crate(&mut s).map_err(CatalogError::MalformedArray)?.then(|| crate::dialect::reprint(&mut s)).flatten(),
            None => None,
        };
        let mut statements = self.parser.parse(rewritten.as_deref().unwrap_or(sql)).map_err(|e| CatalogError::Syntax(e.to_string()))?;
        if statements.len() != 1 {
            return Err(CatalogError::Syntax("expected exactly one statement".into()));
        }
        let mut statement = statements.remove(0);
        rules::rewrite(&mut statement);
        crate::dialect::names::name_columns(&mut statement, &column_names);
        let statement = datafusion::sql::parser::Statement::Statement(Box::new(statement));
        let state = ctx.state();
        let plan = state.statement_to_plan(statement).await.map_err(query_error)?;
        let frame = ctx.execute_logical_plan(plan).await.map_err(query_error)?;
        let schema = frame.schema().as_arrow().clone();
        let batches = frame.collect().await.map_err(query_error)?;
        let mut answer = values::answer(&schema, &batches).map_err(CatalogError::Query)?;
        for column in &mut answer.columns {
            column.name = crate::dialect::names::output_name(&column.name, &column_names);
        }
        if cacheable {
            let mut answers = shared.answers.lock().unwrap_or_else(|p| p.into_inner());
            if answers.len() >= MAX_CACHED_ANSWERS {
                answers.clear();
            }
            answers.insert(key, answer.clone());
        }
        Ok(answer)
    }

    /// The shared context for this snapshot and session, built if there is none yet.
    async fn context(&self, snapshot: &Arc<MetadataSnapshot>, facts: &SessionFacts) -> Result<Arc<SharedContext>, CatalogError> {
        if let Some(found) = self.find(snapshot, facts) {
            return Ok(found);
        }
        // Built outside the lock: two sessions that miss at once both build, one is kept.
        let ctx = build_context(snapshot, facts).await?;
        let built = Arc::new(SharedContext {
            snapshot: snapshot.clone(),
            catalog: facts.catalog.clone(),
            user: facts.user.clone(),
            state: ctx.state(),
            answers: Mutex::new(Default::default()),
        });
        let mut contexts = self.contexts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = contexts.iter().find(|c| c.serves(snapshot, facts)) {
            return Ok(found.clone());
        }
        // A replaced snapshot that no session holds any more: only the cache keeps it alive.
        let holders = |snapshot: &Arc<MetadataSnapshot>| contexts.iter().filter(|c| Arc::ptr_eq(&c.snapshot, snapshot)).count();
        let dead: Vec<bool> = contexts.iter().map(|c| Arc::strong_count(&c.snapshot) <= holders(&c.snapshot)).collect();
        let mut dead = dead.into_iter();
        contexts.retain(|_| !dead.next().unwrap_or(false));
        if contexts.len() >= MAX_CONTEXTS {
            contexts.remove(0);
        }
        contexts.push(built.clone());
        Ok(built)
    }

    fn find(&self, snapshot: &Arc<MetadataSnapshot>, facts: &SessionFacts) -> Option<Arc<SharedContext>> {
        let mut contexts = self.contexts.lock().unwrap_or_else(|p| p.into_inner());
        let at = contexts.iter().position(|c| c.serves(snapshot, facts))?;
        // Most recently used last, so the oldest goes first when the cache is full.
        let found = contexts.remove(at);
        contexts.push(found.clone());
        Some(found)
    }

    /// How many contexts are built (for tests and metrics).
    pub fn contexts(&self) -> usize {
        self.contexts.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    #[cfg(test)]
    fn catalog_list_of_first_context(&self) -> Option<std::sync::Weak<dyn datafusion::catalog::CatalogProviderList>> {
        let contexts = self.contexts.lock().unwrap_or_else(|p| p.into_inner());
        contexts.first().map(|c| Arc::downgrade(c.state.catalog_list()))
    }
}

/// A context for one query of one session: a copy of the shared state (its catalogs, tables and
/// functions are shared, not copied) with the session's current schema and session functions.
fn session_overlay(shared: &SharedContext, snapshot: &MetadataSnapshot, facts: &SessionFacts, live: Option<&LiveView>) -> SessionContext {
    let mut state = shared.state.clone();
    let schema = if facts.database.is_empty() { snapshot.current_database.clone() } else { facts.database.clone() };
    state.config_mut().options_mut().catalog.default_schema = schema;
    if let Some(live) = live {
        state.config_mut().set_extension(Arc::new(live.clone()));
    }
    let ctx = SessionContext::new_with_state(state);
    functions::register_session_functions(&ctx, facts);
    if let Some(live) = live {
        activity::register_functions(&ctx, live);
    }
    ctx
}

fn query_error(e: datafusion::error::DataFusionError) -> CatalogError {
    use datafusion::error::DataFusionError;
    if let DataFusionError::External(inner) = e.find_root() {
        if let Some(denied) = inner.downcast_ref::<activity::SignalDenied>() {
            return CatalogError::Denied(denied.clone());
        }
    }
    match e {
        DataFusionError::SQL(e, _) => CatalogError::Syntax(e.to_string()),
        other => CatalogError::Query(other.to_string()),
    }
}

/// A DataFusion context holding the snapshot's current catalog as a database of empty tables,
/// with pg_catalog, information_schema and the client functions installed.
pub async fn build_context(snapshot: &MetadataSnapshot, facts: &SessionFacts) -> Result<SessionContext, CatalogError> {
    let catalog_name = if facts.catalog.is_empty() { snapshot.current_catalog.clone() } else { facts.catalog.clone() };
    let schema_name = if facts.database.is_empty() { snapshot.current_database.clone() } else { facts.database.clone() };
    let config = SessionConfig::new()
        // flinkwire registers its own information_schema (over DataFusion's) in the catalog.
        .with_information_schema(false)
        .with_create_default_catalog_and_schema(false)
        .with_default_catalog_and_schema(&catalog_name, &schema_name);
    let ctx = SessionContext::new_with_config(config);
    let internal = |e: datafusion::error::DataFusionError| CatalogError::Query(e.to_string());
    for catalog in &snapshot.catalogs {
        let provider = Arc::new(MemoryCatalogProvider::new());
        // Only the current catalog's schemas are visible, like the schemas of a PostgreSQL
        // database; the other catalogs are just names in pg_database.
        if catalog.name == catalog_name {
            for database in &catalog.databases {
                let schema = Arc::new(MemorySchemaProvider::new());
                for table in &database.tables {
                    let arrow = flinkwire_protocol::arrow_types::to_schema(table.columns.iter().map(|c| (c.name.as_str(), &c.data_type)));
                    let relation = FlinkRelation::new(Arc::new(arrow), table.kind).map_err(internal)?;
                    schema.register_table(table.name.clone(), Arc::new(relation)).map_err(internal)?;
                }
                provider.register_schema(&database.name, schema).map_err(internal)?;
            }
        }
        ctx.register_catalog(&catalog.name, provider);
    }
    if ctx.catalog(&catalog_name).is_none() {
        ctx.register_catalog(&catalog_name, Arc::new(MemoryCatalogProvider::new()));
    }
    let roles = SessionRoles { user: facts.user.clone() };
    datafusion_pg_catalog::pg_catalog::setup_pg_catalog(&ctx, &catalog_name, roles)
        .map_err(|e| CatalogError::Query(e.to_string()))?;
    let catalog = ctx.catalog(&catalog_name).ok_or_else(|| CatalogError::Query(format!("catalog {catalog_name} is missing")))?;
    let crate_pg_catalog = catalog.schema("pg_catalog").ok_or_else(|| CatalogError::Query("pg_catalog is missing".into()))?;
    let datafusion_information_schema: Arc<dyn SchemaProvider> =
        Arc::new(datafusion::catalog::information_schema::InformationSchemaProvider::new(ctx.state().catalog_list().clone()));
    let listed = [
        ("pg_catalog", crate_pg_catalog.table_names()),
        ("information_schema", tables::information_schema_names(datafusion_information_schema.as_ref())),
    ];
    let system = tables::system_relations(&crate_pg_catalog, &ctx.state(), &listed).await.map_err(internal)?;
    let types = tables::type_rows(&crate_pg_catalog, &ctx.state()).await.map_err(internal)?;
    regtype::register(&ctx, Arc::new(regtype::TypeNames::new(&types)));
    let view = Arc::new(tables::CatalogView::new(snapshot, &catalog_name, &system).map_err(internal)?);
    let pg_catalog: Arc<dyn SchemaProvider> = Arc::new(tables::PgCatalog { inner: crate_pg_catalog, view: view.clone() });
    catalog.register_schema("pg_catalog", pg_catalog).map_err(internal)?;
    let information_schema = tables::InformationSchema { inner: datafusion_information_schema, view: view.clone() };
    catalog.register_schema("information_schema", Arc::new(information_schema)).map_err(internal)?;
    functions::register_static_functions(&ctx, snapshot);
    objects::register(&ctx, Arc::new(objects::Objects::new(view)));
    Ok(ctx)
}

/// The roles `pg_roles` lists (psql `\du`, DBeaver's role browser): the connected user, who
/// can log in and holds no PostgreSQL privileges (flinkwire has no roles of its own yet; Flink
/// has none at all).
#[derive(Debug, Clone)]
struct SessionRoles {
    user: String,
}

#[async_trait::async_trait]
impl PgCatalogContextProvider for SessionRoles {
    async fn roles(&self) -> Vec<String> {
        vec![self.user.clone()]
    }

    async fn role(&self, name: &str) -> Option<Role> {
        (name == self.user).then(|| Role {
            name: self.user.clone(),
            is_superuser: false,
            can_login: true,
            can_create_db: false,
            can_create_role: false,
            can_create_user: false,
            can_replication: false,
            grants: vec![],
            inherited_roles: vec![],
        })
    }
}

/// A Flink table or view as DataFusion sees it: its columns, no rows.
#[derive(Debug)]
struct FlinkRelation {
    table: MemTable,
    kind: TableKind,
}

impl FlinkRelation {
    fn new(schema: SchemaRef, kind: TableKind) -> datafusion::error::Result<Self> {
        Ok(Self { table: MemTable::try_new(schema, vec![vec![]])?, kind })
    }
}

#[async_trait::async_trait]
impl TableProvider for FlinkRelation {
    fn schema(&self) -> SchemaRef {
        self.table.schema()
    }

    fn table_type(&self) -> TableType {
        match self.kind {
            TableKind::Table => TableType::Base,
            TableKind::View => TableType::View,
        }
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        self.table.scan(state, projection, filters, limit).await
    }
}

#[cfg(test)]
pub(crate) mod tests;
