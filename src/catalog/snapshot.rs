//! The metadata snapshot: what one (cluster, environment) pair looks like to a client — catalogs →
//! databases → tables/views → columns, plus functions — as plain data.
//!
//! A snapshot is loaded through the SQL Gateway by [`crate::catalog::loader`] and is immutable
//! once built: a refresh builds a new one and swaps the `Arc` in the
//! [`SnapshotStore`](crate::catalog::SnapshotStore). The pg_catalog emulation reads it; it never
//! talks to the gateway itself.
//!
//! Mapping to PostgreSQL: a Flink *catalog* is a PostgreSQL *database*, a Flink *database* is a
//! PostgreSQL *schema*, a Flink table or view is a PostgreSQL relation.
//!
//! Names are kept exactly as Flink reports them (Flink identifiers are case-sensitive); the
//! lookup helpers match exactly first, then ignoring ASCII case if that is unambiguous.

use std::time::SystemTime;

use flinkwire_protocol::logical_type::DataType;

/// Everything known about the objects visible in a gateway session of one (cluster,
/// environment) pair, at `loaded_at`.
#[derive(Debug, Clone)]
pub struct MetadataSnapshot {
    /// The configured cluster name.
    pub cluster: String,
    /// The environment applied before loading (`None` = no environment).
    pub environment: Option<String>,
    /// Every catalog of the session, in the order `SHOW CATALOGS` lists them.
    pub catalogs: Vec<CatalogMeta>,
    /// Functions callable in the session: system (built-in) and user (catalog + temporary).
    pub functions: Vec<FunctionMeta>,
    /// The session's current catalog right after the environment ran (`SHOW CURRENT CATALOG`).
    pub current_catalog: String,
    /// The session's current database right after the environment ran.
    pub current_database: String,
    /// When loading finished.
    pub loaded_at: SystemTime,
    /// Objects that could not be described (e.g. a table whose connector jar is missing); the
    /// rest of the snapshot is still usable.
    pub problems: Vec<LoadProblem>,
}

/// One Flink catalog (= a PostgreSQL database).
#[derive(Debug, Clone)]
pub struct CatalogMeta {
    pub name: String,
    /// Databases in the order `SHOW DATABASES` lists them.
    pub databases: Vec<DatabaseMeta>,
}

/// One Flink database (= a PostgreSQL schema).
#[derive(Debug, Clone)]
pub struct DatabaseMeta {
    pub name: String,
    /// Tables and views, sorted by name.
    pub tables: Vec<TableMeta>,
}

/// Whether a relation is a table or a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableKind {
    Table,
    View,
}

/// One table or view (temporary ones included: Flink lists them with the permanent ones).
#[derive(Debug, Clone)]
pub struct TableMeta {
    pub name: String,
    pub kind: TableKind,
    /// Columns in declaration order.
    pub columns: Vec<ColumnMeta>,
    /// Names of the primary key columns in key order; empty when there is no primary key.
    pub primary_key: Vec<String>,
    /// The table comment, when the loader could read one.
    pub comment: Option<String>,
    /// The watermark, if the table declares one.
    pub watermark: Option<WatermarkMeta>,
    /// For a view: its query (`SHOW CREATE VIEW`), when the loader could read it.
    pub view_query: Option<String>,
}

/// `WATERMARK FOR column AS expression`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatermarkMeta {
    /// The rowtime column.
    pub column: String,
    /// The watermark strategy expression as Flink prints it (`` `ts` - INTERVAL '1' SECOND ``).
    pub expression: String,
}

/// One column of a table or view.
#[derive(Debug, Clone)]
pub struct ColumnMeta {
    pub name: String,
    /// The Flink type with its nullability and time-attribute marker (`*ROWTIME*`).
    pub data_type: DataType,
    /// The column comment, when the loader could read one.
    pub comment: Option<String>,
    pub kind: ColumnKind,
}

/// How a column gets its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnKind {
    /// Stored / read from the connector.
    Physical,
    /// `name AS expression`; the expression as Flink prints it (`PROCTIME()`).
    Computed(String),
    /// `name type METADATA [FROM 'key'] [VIRTUAL]`.
    Metadata {
        /// The metadata key when it differs from the column name.
        key: Option<String>,
        /// Virtual columns are read-only (excluded from INSERT).
        is_virtual: bool,
    },
}

/// A function callable in the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionMeta {
    pub name: String,
    pub kind: FunctionKind,
}

/// Where a function comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FunctionKind {
    /// Built into Flink (listed by `SHOW FUNCTIONS` but not by `SHOW USER FUNCTIONS`).
    System,
    /// Created by a user (catalog or temporary function).
    User,
}

/// Something the loader could not describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    /// What was being loaded (`catalog.database.table`, or the statement).
    pub object: String,
    /// The gateway's error, shortened.
    pub error: String,
}

impl MetadataSnapshot {
    /// An empty snapshot (nothing loaded yet).
    pub fn empty(cluster: &str, environment: Option<&str>) -> Self {
        Self {
            cluster: cluster.to_owned(),
            environment: environment.map(str::to_owned),
            catalogs: Vec::new(),
            functions: Vec::new(),
            current_catalog: String::new(),
            current_database: String::new(),
            loaded_at: SystemTime::now(),
            problems: Vec::new(),
        }
    }

    /// The catalog called `name`.
    pub fn catalog(&self, name: &str) -> Option<&CatalogMeta> {
        find(&self.catalogs, name, |c| &c.name)
    }

    /// The database `catalog.database`.
    pub fn database(&self, catalog: &str, database: &str) -> Option<&DatabaseMeta> {
        self.catalog(catalog)?.database(database)
    }

    /// The table or view `catalog.database.table`.
    pub fn table(&self, catalog: &str, database: &str, table: &str) -> Option<&TableMeta> {
        self.database(catalog, database)?.table(table)
    }

    /// Names of all catalogs.
    pub fn catalog_names(&self) -> Vec<&str> {
        self.catalogs.iter().map(|c| c.name.as_str()).collect()
    }
}

impl CatalogMeta {
    pub fn database(&self, name: &str) -> Option<&DatabaseMeta> {
        find(&self.databases, name, |d| &d.name)
    }
}

impl DatabaseMeta {
    pub fn table(&self, name: &str) -> Option<&TableMeta> {
        find(&self.tables, name, |t| &t.name)
    }
}

impl TableMeta {
    pub fn column(&self, name: &str) -> Option<&ColumnMeta> {
        find(&self.columns, name, |c| &c.name)
    }
}

/// Exact match first, then a unique ASCII-case-insensitive match.
fn find<'a, T>(items: &'a [T], name: &str, key: impl Fn(&T) -> &String) -> Option<&'a T> {
    if let Some(item) = items.iter().find(|i| key(i) == name) {
        return Some(item);
    }
    let mut matches = items.iter().filter(|i| key(i).eq_ignore_ascii_case(name));
    match (matches.next(), matches.next()) {
        (Some(item), None) => Some(item),
        _ => None,
    }
}
