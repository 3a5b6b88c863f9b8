//! The catalog tables flinkwire fills from the snapshot itself, over datafusion-pg-catalog's:
//!
//! - `pg_attribute`: `atttypid`/`atttypmod`/`attnotnull` from the Flink type
//!   (`flinkwire_protocol::pg_types::pg_type`), so `format_type()` says `character varying(20)`,
//!   `numeric(10,2)`, `timestamp(3) without time zone`; plus the columns of primary-key indexes;
//! - `pg_class`: one index (relkind `i`, `<table>_pkey`) per primary key, `relhasindex` on its
//!   table; a NULL `reloptions`;
//! - `pg_index`, `pg_constraint` (contype `p`): the primary keys (the crate's are empty);
//! - `pg_description`: the table and column comments (next to the crate's rows for built-ins);
//! - `information_schema.columns` with PostgreSQL type names, lengths, precisions and the Flink
//!   nullability; `information_schema.views` with PostgreSQL's columns and the views' queries;
//!   `information_schema.table_constraints` and `key_column_usage`.
//!
//! Each is computed when a query scans it, from the [`CatalogView`] (the snapshot's relations
//! with their OIDs, built once per context) and the crate's own table for the rows flinkwire
//! does not own. The crate's `pg_class`, `pg_attribute`, `pg_namespace` and `pg_database` rows
//! get flinkwire's stable OIDs (`oids.rs`) in place of the crate's per-context ones.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{new_empty_array, Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use datafusion::arrow::compute::{cast, concat_batches, filter_record_batch};
use datafusion::arrow::datatypes::{DataType as ArrowType, Field, Schema, SchemaRef};
use datafusion::catalog::{SchemaProvider, Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::{MemTable, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use flinkwire_protocol::logical_type::{DataType, LogicalType};
use flinkwire_protocol::pg_types::pg_type;

use super::oids::{has_primary_key_index, ObjectKey, Oids, SystemRelation, SYSTEM_SCHEMAS};
use crate::catalog::snapshot::{MetadataSnapshot, TableKind, TableMeta};

/// A table of the current catalog with the OIDs clients see (`oids.rs`): its own, its schema's,
/// and its primary key's if it has one.
#[derive(Debug)]
pub struct Relation {
    pub schema: String,
    pub table: TableMeta,
    pub oid: i64,
    pub namespace_oid: i64,
    pub pkey_oids: Option<PkeyOids>,
}

/// The OIDs of a table's primary key: its index (`pg_class`, `pg_index.indexrelid`) and its
/// constraint (`pg_constraint.oid`).
#[derive(Debug, Clone, Copy)]
pub struct PkeyOids {
    pub index: i64,
    pub constraint: i64,
}

impl Relation {
    fn key_attnums(&self) -> Vec<i64> {
        self.table
            .primary_key
            .iter()
            .filter_map(|k| self.table.columns.iter().position(|c| c.name == *k).map(|p| p as i64 + 1))
            .collect()
    }

    pub(super) fn pkey_name(&self) -> String {
        format!("{}_pkey", self.table.name)
    }
}

/// The OID of `pg_class` itself (`pg_description.classoid` of relations and their columns).
const PG_CLASS_OID: i64 = 1259;

/// The current catalog as the emulation shows it, shared by its tables and functions (built
/// once per context).
#[derive(Debug)]
pub struct CatalogView {
    /// The current Flink catalog (the PostgreSQL database).
    pub catalog: String,
    pub relations: Vec<Relation>,
    /// Every Flink catalog (the databases of pg_database) → OID.
    databases: HashMap<String, i64>,
    /// The schemas of the current catalog and the system ones → OID.
    namespaces: HashMap<String, i64>,
    /// Every relation, system ones too: `(schema, name)` → OID.
    by_name: HashMap<(String, String), i64>,
    /// Table OID → index into `relations`.
    by_oid: HashMap<i64, usize>,
    /// Primary-key index OID → index into `relations`.
    by_index: HashMap<i64, usize>,
    /// Primary-key constraint OID → index into `relations`.
    by_constraint: HashMap<i64, usize>,
}

impl CatalogView {
    /// The relations of `snapshot`'s catalog `catalog` and the system relations `system`, with
    /// their stable OIDs.
    pub fn new(snapshot: &MetadataSnapshot, catalog: &str, system: &[SystemRelation]) -> Result<Self> {
        let oids = Oids::new(snapshot, catalog, system)?;
        let mut databases = HashMap::from([(catalog.to_owned(), oids.get(&ObjectKey::database(catalog))?)]);
        for c in &snapshot.catalogs {
            databases.insert(c.name.clone(), oids.get(&ObjectKey::database(&c.name))?);
        }
        let mut namespaces = HashMap::new();
        let mut by_name = HashMap::new();
        let mut relations = Vec::new();
        for database in snapshot.catalog(catalog).map(|c| c.databases.as_slice()).unwrap_or_default() {
            let namespace_oid = oids.get(&ObjectKey::schema(catalog, &database.name))?;
            namespaces.insert(database.name.clone(), namespace_oid);
            for table in &database.tables {
                let oid = oids.get(&ObjectKey::relation(catalog, &database.name, &table.name))?;
                let pkey_oids = if has_primary_key_index(table) {
                    Some(PkeyOids {
                        index: oids.get(&ObjectKey::primary_key_index(catalog, &database.name, &table.name))?,
                        constraint: oids.get(&ObjectKey::primary_key_constraint(catalog, &database.name, &table.name))?,
                    })
                } else {
                    None
                };
                by_name.insert((database.name.clone(), table.name.clone()), oid);
                relations.push(Relation { schema: database.name.clone(), table: table.clone(), oid, namespace_oid, pkey_oids });
            }
        }
        // System names last: the context's pg_catalog and information_schema replace Flink
        // databases of those names.
        for (schema, _) in SYSTEM_SCHEMAS {
            namespaces.insert(schema.to_owned(), oids.get(&ObjectKey::system_schema(schema))?);
        }
        for r in system {
            by_name.insert((r.schema.clone(), r.name.clone()), oids.get(&ObjectKey::system_relation(&r.schema, &r.name))?);
        }
        let by_oid = relations.iter().enumerate().map(|(i, r)| (r.oid, i)).collect();
        let pkeys = || relations.iter().enumerate().filter_map(|(i, r)| Some((i, r.pkey_oids?)));
        let by_index = pkeys().map(|(i, k)| (k.index, i)).collect();
        let by_constraint = pkeys().map(|(i, k)| (k.constraint, i)).collect();
        Ok(Self { catalog: catalog.to_owned(), relations, databases, namespaces, by_name, by_oid, by_index, by_constraint })
    }

    /// The table or view with this OID.
    pub fn relation(&self, oid: i64) -> Option<&Relation> {
        self.by_oid.get(&oid).map(|&i| &self.relations[i])
    }

    /// The table whose primary-key index has this OID.
    pub fn indexed(&self, index_oid: i64) -> Option<&Relation> {
        self.by_index.get(&index_oid).map(|&i| &self.relations[i])
    }

    /// The table whose primary-key constraint has this OID.
    pub fn constrained(&self, constraint_oid: i64) -> Option<&Relation> {
        self.by_constraint.get(&constraint_oid).map(|&i| &self.relations[i])
    }

    /// The OID of relation `name` in `schema`.
    pub fn oid_of(&self, schema: &str, name: &str) -> Option<i64> {
        self.by_name.get(&(schema.to_owned(), name.to_owned())).copied()
    }

    /// The OID of schema `name`.
    fn namespace_oid(&self, name: &str) -> Option<i64> {
        self.namespaces.get(name).copied()
    }

    /// The OID of the database (Flink catalog) `name`.
    fn database_oid(&self, name: &str) -> Option<i64> {
        self.databases.get(name).copied()
    }

    /// The tables with a primary key, with its OIDs.
    fn keyed(&self) -> impl Iterator<Item = (&Relation, PkeyOids)> {
        self.relations.iter().filter_map(|r| Some((r, r.pkey_oids?)))
    }
}

/// A value of a row built by column name.
#[derive(Debug, Clone)]
enum V {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
    /// An `int2[]` (`{1,2}` as text).
    Array(Vec<i64>),
    /// An `int2vector`/`oidvector` (`1 2` as text).
    Vector(Vec<i64>),
}

fn text(s: impl Into<String>) -> V {
    V::Text(s.into())
}

fn scalar(v: &V, ty: &ArrowType) -> Result<ScalarValue> {
    let ints = |xs: &[i64], f: &Field| -> Result<ScalarValue> {
        let values = xs.iter().map(|x| ScalarValue::Int64(Some(*x)).cast_to(f.data_type())).collect::<Result<Vec<_>>>()?;
        Ok(ScalarValue::List(ScalarValue::new_list_nullable(&values, f.data_type())))
    };
    match (v, ty) {
        (V::Null, t) => ScalarValue::try_from(t),
        (V::Array(xs) | V::Vector(xs), ArrowType::List(f)) => ints(xs, f),
        (V::Array(xs), t) => ScalarValue::Utf8(Some(format!("{{{}}}", join(xs, ",")))).cast_to(t),
        (V::Vector(xs), t) => ScalarValue::Utf8(Some(join(xs, " "))).cast_to(t),
        (V::Int(i), t) => ScalarValue::Int64(Some(*i)).cast_to(t),
        (V::Text(s), t) => ScalarValue::Utf8(Some(s.clone())).cast_to(t),
        (V::Bool(b), t) => ScalarValue::Boolean(Some(*b)).cast_to(t),
    }
}

fn join(xs: &[i64], sep: &str) -> String {
    xs.iter().map(i64::to_string).collect::<Vec<_>>().join(sep)
}

type Row = HashMap<&'static str, V>;

/// A batch of `rows` in `schema` (columns a row does not name are NULL).
fn batch(schema: &SchemaRef, rows: &[Row]) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            if rows.is_empty() {
                return Ok(new_empty_array(f.data_type()));
            }
            let values = rows.iter().map(|r| scalar(r.get(f.name().as_str()).unwrap_or(&V::Null), f.data_type())).collect::<Result<Vec<_>>>()?;
            ScalarValue::iter_to_array(values)
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// `schema` with every field nullable (and `extra` text fields added), so rows can leave
/// columns out.
fn nullable(schema: &Schema, extra: &[&str]) -> SchemaRef {
    // Key arrays are int2[] / int2vector: lists, so `unnest(conkey)` and `indoption[i]` work.
    let is_key_array = |n: &str| matches!(n, "conkey" | "confkey" | "indkey" | "indoption" | "indcollation" | "indclass");
    // aclitem[] as text[]: psql passes them to array_to_string() (`\dn+`, `\dp`).
    let text_array = || ArrowType::List(Arc::new(Field::new_list_field(ArrowType::Utf8, true)));
    let is_text_array = |n: &str| matches!(n, "reloptions" | "relacl" | "nspacl" | "attacl" | "attoptions");
    let mut fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let f = f.as_ref().clone().with_nullable(true);
            if is_key_array(f.name()) {
                f.with_data_type(ArrowType::List(Arc::new(Field::new_list_field(ArrowType::Int16, true))))
            } else if is_text_array(f.name()) {
                f.with_data_type(text_array())
            } else {
                f
            }
        })
        .collect();
    for name in extra {
        if schema.field_with_name(name).is_err() {
            let ty = if is_text_array(name) { text_array() } else { ArrowType::Utf8 };
            fields.push(Field::new(*name, ty, true));
        }
    }
    Arc::new(Schema::new(fields))
}

/// pg_proc's `text[]` / `"char"[]` columns.
const PROC_TEXT_ARRAYS: [&str; 2] = ["proargnames", "proargmodes"];

/// `schema` with the `names` columns as text lists.
fn with_list_fields(schema: &SchemaRef, names: &[&str]) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let f = f.as_ref().clone();
            if names.contains(&f.name().as_str()) {
                f.with_data_type(ArrowType::List(Arc::new(Field::new_list_field(ArrowType::Utf8, true))))
            } else {
                f
            }
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// `batch` in `schema`, its `names` columns parsed from the crate's Python-style list text
/// (`['a', 'b']`) into lists. Text that is not such a list is an error, not a guess.
fn with_text_arrays(batch: &RecordBatch, schema: &SchemaRef, names: &[&str]) -> Result<RecordBatch> {
    use datafusion::arrow::array::{ListBuilder, StringBuilder};
    let mut columns = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        if !names.contains(&field.name().as_str()) {
            columns.push(cast(batch.column(batch.schema().index_of(field.name())?), field.data_type())?);
            continue;
        }
        let mut list = ListBuilder::new(StringBuilder::new());
        for text in column_str(batch, field.name())? {
            match text.as_deref().map(python_list) {
                None => list.append_null(),
                Some(Some(items)) => {
                    items.iter().for_each(|i| list.values().append_value(i));
                    list.append(true);
                }
                Some(None) => {
                    return Err(DataFusionError::Execution(format!("pg_proc.{}: unreadable list {text:?}", field.name())))
                }
            }
        }
        columns.push(Arc::new(list.finish()) as ArrayRef);
    }
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// The items of `['a', 'b']` (single-quoted, no quotes or commas inside); `[]` is empty.
fn python_list(text: &str) -> Option<Vec<String>> {
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    if inner.is_empty() {
        return Some(vec![]);
    }
    inner
        .split(',')
        .map(|item| {
            let item = item.trim().strip_prefix('\'')?.strip_suffix('\'')?;
            (!item.contains('\'')).then(|| item.to_owned())
        })
        .collect()
}

/// `batch` in `schema` (same names, maybe more columns: NULL there).
fn widen(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|f| match batch.schema().index_of(f.name()) {
            Ok(i) => {
                let source = batch.column(i);
                let column = cast(source, f.data_type())?;
                // A scalar cast to a list wraps NULL as `{NULL}`: a NULL acl stays NULL.
                match f.data_type() {
                    ArrowType::List(item) if !matches!(source.data_type(), ArrowType::List(_)) && source.null_count() > 0 => {
                        use datafusion::arrow::array::{Array, AsArray, ListArray};
                        let list = column.as_list::<i32>();
                        Ok(Arc::new(ListArray::try_new(item.clone(), list.offsets().clone(), list.values().clone(), source.logical_nulls())?) as ArrayRef)
                    }
                    _ => Ok(column),
                }
            }
            Err(_) => Ok(datafusion::arrow::array::new_null_array(f.data_type(), batch.num_rows())),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

async fn collect(provider: &Arc<dyn TableProvider>, state: &dyn Session) -> Result<Vec<RecordBatch>> {
    let plan = provider.scan(state, None, &[], None).await?;
    datafusion::physical_plan::collect(plan, state.task_ctx()).await
}

fn column_i64(batch: &RecordBatch, name: &str) -> Result<Vec<Option<i64>>> {
    let column = cast(batch.column(batch.schema().index_of(name)?), &ArrowType::Int64)?;
    let ints = column.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
    Ok((0..ints.len()).map(|i| (!ints.is_null(i)).then(|| ints.value(i))).collect())
}

fn column_str(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>> {
    let column = cast(batch.column(batch.schema().index_of(name)?), &ArrowType::Utf8)?;
    let strings = column.as_string::<i32>();
    Ok((0..strings.len()).map(|i| (!strings.is_null(i)).then(|| strings.value(i).to_owned())).collect())
}

/// The system relations: the ones the context lists (`listed`, by schema) and PostgreSQL's
/// whose row types the crate's static `pg_type` has, with their OIDs (`typrelid`). The latter
/// include relations the crate does not list, which `::regclass` finds all the same, as in
/// PostgreSQL.
pub async fn system_relations(crate_pg_catalog: &Arc<dyn SchemaProvider>, state: &dyn Session, listed: &[(&str, Vec<String>)]) -> Result<Vec<SystemRelation>> {
    let mut relations: Vec<SystemRelation> = listed
        .iter()
        .flat_map(|(schema, names)| names.iter().map(|name| SystemRelation { schema: (*schema).to_owned(), name: name.clone(), oid: None }))
        .collect();
    for b in scan_crate_table(crate_pg_catalog, "pg_type", state).await? {
        let rows = column_str(&b, "typname")?.into_iter().zip(column_i64(&b, "typrelid")?).zip(column_i64(&b, "typnamespace")?);
        for ((name, relid), namespace) in rows {
            let schema = SYSTEM_SCHEMAS.iter().find(|(_, oid)| Some(*oid) == namespace).map(|(schema, _)| *schema);
            if let (Some(name), Some(relid @ 1..), Some(schema)) = (name, relid, schema) {
                relations.push(SystemRelation { schema: schema.to_owned(), name, oid: Some(relid) });
            }
        }
    }
    Ok(relations)
}

/// The crate's `pg_type` rows by OID: name and array element (for `regtype` names).
pub async fn type_rows(crate_pg_catalog: &Arc<dyn SchemaProvider>, state: &dyn Session) -> Result<HashMap<i64, super::regtype::TypeRow>> {
    let mut rows = HashMap::new();
    for b in scan_crate_table(crate_pg_catalog, "pg_type", state).await? {
        let columns = column_i64(&b, "oid")?.into_iter().zip(column_str(&b, "typname")?).zip(column_i64(&b, "typelem")?);
        for ((oid, name), element) in columns {
            if let (Some(oid), Some(name)) = (oid, name) {
                rows.insert(oid, super::regtype::TypeRow { name, element: element.filter(|e| *e != 0) });
            }
        }
    }
    Ok(rows)
}

/// The rows of the crate's `pg_catalog.{name}`.
async fn scan_crate_table(crate_pg_catalog: &Arc<dyn SchemaProvider>, name: &str, state: &dyn Session) -> Result<Vec<RecordBatch>> {
    let table = crate_pg_catalog.table(name).await?.ok_or_else(|| DataFusionError::Internal(format!("pg_catalog.{name} is missing")))?;
    collect(&table, state).await
}

/// The crate's namespace OIDs → schema names, as its `pg_namespace` has them in this context.
/// The crate counts OIDs per context (see `oids.rs`), so its rows are matched to flinkwire's OIDs
/// by name, on every scan.
async fn crate_namespaces(crate_pg_catalog: &Arc<dyn SchemaProvider>, state: &dyn Session) -> Result<HashMap<i64, String>> {
    let mut names = HashMap::new();
    for b in scan_crate_table(crate_pg_catalog, "pg_namespace", state).await? {
        for (oid, name) in column_i64(&b, "oid")?.into_iter().zip(column_str(&b, "nspname")?) {
            if let (Some(oid), Some(name)) = (oid, name) {
                names.insert(oid, name);
            }
        }
    }
    Ok(names)
}

/// flinkwire's `(oid, relnamespace)` for each row of the crate's `pg_class` batch `b`, given
/// the crate's namespace names (None for a relation the view does not know).
fn class_oids(b: &RecordBatch, namespaces: &HashMap<i64, String>, view: &CatalogView) -> Result<(Vec<Option<i64>>, Vec<Option<i64>>)> {
    let schemas = column_i64(b, "relnamespace")?.into_iter().map(|ns| ns.and_then(|ns| namespaces.get(&ns)));
    Ok(schemas
        .zip(column_str(b, "relname")?)
        .map(|(schema, name)| match (schema, name) {
            (Some(schema), Some(name)) => (view.oid_of(schema, &name), view.namespace_oid(schema)),
            _ => (None, None),
        })
        .unzip())
}

/// The crate's relation OIDs → flinkwire's, as its `pg_class` has them in this context.
async fn crate_relations(crate_pg_catalog: &Arc<dyn SchemaProvider>, state: &dyn Session, view: &CatalogView) -> Result<HashMap<i64, i64>> {
    let namespaces = crate_namespaces(crate_pg_catalog, state).await?;
    let mut oids = HashMap::new();
    for b in scan_crate_table(crate_pg_catalog, "pg_class", state).await? {
        let (ours, _) = class_oids(&b, &namespaces, view)?;
        for (theirs, ours) in column_i64(&b, "oid")?.into_iter().zip(ours) {
            if let (Some(theirs), Some(ours)) = (theirs, ours) {
                oids.insert(theirs, ours);
            }
        }
    }
    Ok(oids)
}

/// `b` with flinkwire's OIDs in the named `columns`, without the rows that have none. Those
/// rows would keep the crate's counter values, which can be another object's OID. There are
/// none today: the view knows every schema and relation the context registers.
fn with_oids(b: &RecordBatch, columns: &[(&str, &[Option<i64>])]) -> Result<RecordBatch> {
    let schema = b.schema();
    let mut arrays = b.columns().to_vec();
    for (name, oids) in columns {
        let i = schema.index_of(name)?;
        let array: ArrayRef = Arc::new(datafusion::arrow::array::Int64Array::from(oids.to_vec()));
        arrays[i] = cast(&array, schema.field(i).data_type())?;
    }
    let known: BooleanArray = (0..b.num_rows()).map(|row| Some(columns.iter().all(|(_, oids)| oids[row].is_some()))).collect();
    Ok(filter_record_batch(&RecordBatch::try_new(schema, arrays)?, &known)?)
}

/// Which table is patched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    PgClass,
    PgAttribute,
    PgIndex,
    PgConstraint,
    PgDescription,
    /// The crate's rows with `nspacl` as an array and stable OIDs.
    PgNamespace,
    /// The crate's rows of Flink catalogs only (it adds a `postgres` database), with stable OIDs.
    PgDatabase,
    /// The crate's rows with `proargnames` / `proargmodes` as arrays: the crate holds them as
    /// Python-style text (`['min', 'max']`), which clients would read as one string.
    PgProc,
    Columns,
    /// DataFusion's rows without its own views (`df_settings`).
    Tables,
    Views,
    TableConstraints,
    KeyColumnUsage,
}

/// A catalog table computed at scan time from the crate's table (`base`) and the snapshot.
#[derive(Debug)]
struct Patched {
    kind: Kind,
    base: Option<Arc<dyn TableProvider>>,
    /// The crate's pg_catalog, whose OIDs `pg_class` and `pg_attribute` translate (pg_catalog
    /// tables only).
    crate_pg_catalog: Option<Arc<dyn SchemaProvider>>,
    schema: SchemaRef,
    view: Arc<CatalogView>,
}

#[async_trait::async_trait]
impl TableProvider for Patched {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batches = self.compute(state).await?;
        let table = MemTable::try_new(self.schema.clone(), vec![batches])?;
        table.scan(state, projection, filters, limit).await
    }
}

impl Patched {
    async fn compute(&self, state: &dyn Session) -> Result<Vec<RecordBatch>> {
        let base = match &self.base {
            // pg_proc's list columns are parsed from the crate's text (`with_text_arrays`), not
            // cast: a cast would wrap the whole text in a one-element list.
            Some(b) if self.kind == Kind::PgProc => collect(b, state).await?,
            Some(b) => collect(b, state).await?.iter().map(|b| widen(b, &self.schema)).collect::<Result<Vec<_>>>()?,
            None => vec![],
        };
        let view = &self.view;
        let crate_pg_catalog = || self.crate_pg_catalog.as_ref().ok_or_else(|| DataFusionError::Internal(format!("{:?} without pg_catalog", self.kind)));
        let mut out = Vec::new();
        match self.kind {
            Kind::PgClass => {
                let indexed: std::collections::HashSet<i64> = view.keyed().map(|(r, _)| r.oid).collect();
                let namespaces = crate_namespaces(crate_pg_catalog()?, state).await?;
                for b in base {
                    let (oids, relnamespaces) = class_oids(&b, &namespaces, view)?;
                    let b = with_oids(&b, &[("oid", &oids), ("relfilenode", &oids), ("relnamespace", &relnamespaces)])?;
                    out.push(patch_classes(&b, &indexed)?);
                }
                let rows: Vec<Row> = view.keyed()
                    .map(|(r, key)| {
                        Row::from([
                            ("oid", V::Int(key.index)),
                            ("relname", text(r.pkey_name())),
                            ("relnamespace", V::Int(r.namespace_oid)),
                            ("reltype", V::Int(0)),
                            ("reloftype", V::Int(0)),
                            ("relowner", V::Int(10)),
                            ("relam", V::Int(403)),
                            ("relfilenode", V::Int(key.index)),
                            ("reltablespace", V::Int(0)),
                            ("relpages", V::Int(0)),
                            ("reltuples", V::Int(0)),
                            ("relallvisible", V::Int(0)),
                            ("reltoastrelid", V::Int(0)),
                            ("relhasindex", V::Bool(false)),
                            ("relisshared", V::Bool(false)),
                            ("relpersistence", text("p")),
                            ("relkind", text("i")),
                            ("relnatts", V::Int(r.key_attnums().len() as i64)),
                            ("relchecks", V::Int(0)),
                            ("relhasrules", V::Bool(false)),
                            ("relhastriggers", V::Bool(false)),
                            ("relhassubclass", V::Bool(false)),
                            ("relrowsecurity", V::Bool(false)),
                            ("relforcerowsecurity", V::Bool(false)),
                            ("relispopulated", V::Bool(true)),
                            ("relreplident", text("n")),
                            ("relispartition", V::Bool(false)),
                            ("relrewrite", V::Int(0)),
                            ("relfrozenxid", V::Int(0)),
                            ("relminmxid", V::Int(0)),
                        ])
                    })
                    .collect();
                out.push(batch(&self.schema, &rows)?);
            }
            Kind::PgAttribute => {
                // Types of the crate's rows replaced by the Flink ones.
                let relations = crate_relations(crate_pg_catalog()?, state, view).await?;
                for b in base {
                    let relids: Vec<Option<i64>> = column_i64(&b, "attrelid")?.into_iter().map(|o| relations.get(&o?).copied()).collect();
                    out.push(patch_attributes(&with_oids(&b, &[("attrelid", &relids)])?, view)?);
                }
                let mut rows = Vec::new();
                for (r, key) in view.keyed() {
                    for (n, attnum) in r.key_attnums().into_iter().enumerate() {
                        let column = &r.table.columns[attnum as usize - 1];
                        let pg = pg_type(&column.data_type);
                        let mut row = attribute_defaults();
                        row.extend([
                            ("attrelid", V::Int(key.index)),
                            ("attname", text(column.name.clone())),
                            ("atttypid", V::Int(pg.oid as i64)),
                            ("attlen", V::Int(pg.typlen as i64)),
                            ("attnum", V::Int(n as i64 + 1)),
                            ("atttypmod", V::Int(pg.typmod as i64)),
                            ("attnotnull", V::Bool(!column.data_type.nullable)),
                        ]);
                        rows.push(row);
                    }
                }
                out.push(batch(&self.schema, &rows)?);
            }
            Kind::PgIndex => {
                let rows: Vec<Row> = view.keyed()
                    .map(|(r, key)| {
                        let keys = r.key_attnums();
                        let zeros = vec![0; keys.len()];
                        Row::from([
                            ("indexrelid", V::Int(key.index)),
                            ("indrelid", V::Int(r.oid)),
                            ("indnatts", V::Int(keys.len() as i64)),
                            ("indnkeyatts", V::Int(keys.len() as i64)),
                            ("indisunique", V::Bool(true)),
                            ("indnullsnotdistinct", V::Bool(false)),
                            ("indisprimary", V::Bool(true)),
                            ("indisexclusion", V::Bool(false)),
                            ("indimmediate", V::Bool(true)),
                            ("indisclustered", V::Bool(false)),
                            ("indisvalid", V::Bool(true)),
                            ("indcheckxmin", V::Bool(false)),
                            ("indisready", V::Bool(true)),
                            ("indislive", V::Bool(true)),
                            ("indisreplident", V::Bool(false)),
                            ("indkey", V::Vector(keys.clone())),
                            ("indcollation", V::Vector(zeros.clone())),
                            ("indclass", V::Vector(zeros.clone())),
                            ("indoption", V::Vector(zeros)),
                        ])
                    })
                    .collect();
                out.push(batch(&self.schema, &rows)?);
            }
            Kind::PgConstraint => {
                let rows: Vec<Row> = view.keyed()
                    .map(|(r, key)| {
                        Row::from([
                            ("oid", V::Int(key.constraint)),
                            ("conname", text(r.pkey_name())),
                            ("connamespace", V::Int(r.namespace_oid)),
                            ("contype", text("p")),
                            ("condeferrable", V::Bool(false)),
                            ("condeferred", V::Bool(false)),
                            ("convalidated", V::Bool(true)),
                            ("conrelid", V::Int(r.oid)),
                            ("contypid", V::Int(0)),
                            ("conindid", V::Int(key.index)),
                            ("conparentid", V::Int(0)),
                            ("confrelid", V::Int(0)),
                            ("confupdtype", text(" ")),
                            ("confdeltype", text(" ")),
                            ("confmatchtype", text(" ")),
                            ("conislocal", V::Bool(true)),
                            ("coninhcount", V::Int(0)),
                            ("connoinherit", V::Bool(true)),
                            ("conkey", V::Array(r.key_attnums())),
                        ])
                    })
                    .collect();
                out.push(batch(&self.schema, &rows)?);
            }
            Kind::PgNamespace => {
                for b in base {
                    let oids: Vec<Option<i64>> = column_str(&b, "nspname")?.iter().map(|n| view.namespace_oid(n.as_deref()?)).collect();
                    out.push(with_oids(&b, &[("oid", &oids)])?);
                }
            }
            Kind::PgProc => {
                for b in base {
                    out.push(with_text_arrays(&b, &self.schema, &PROC_TEXT_ARRAYS)?);
                }
            }
            Kind::PgDatabase => {
                // Only the Flink catalogs have OIDs: the crate's `postgres` database goes.
                for b in base {
                    let oids: Vec<Option<i64>> = column_str(&b, "datname")?.iter().map(|n| view.database_oid(n.as_deref()?)).collect();
                    out.push(with_oids(&b, &[("oid", &oids)])?);
                }
            }
            Kind::PgDescription => {
                out.extend(base);
                let mut rows = Vec::new();
                for r in &view.relations {
                    let oid = r.oid;
                    let described = std::iter::once((0, &r.table.comment))
                        .chain(r.table.columns.iter().enumerate().map(|(i, c)| (i as i64 + 1, &c.comment)));
                    for (objsubid, comment) in described {
                        if let Some(comment) = comment {
                            rows.push(Row::from([
                                ("objoid", V::Int(oid)),
                                ("classoid", V::Int(PG_CLASS_OID)),
                                ("objsubid", V::Int(objsubid)),
                                ("description", text(comment.clone())),
                            ]));
                        }
                    }
                }
                out.push(batch(&self.schema, &rows)?);
            }
            Kind::Tables => {
                for b in base {
                    out.push(without_datafusion_tables(&b)?);
                }
            }
            Kind::Columns => {
                let ours: std::collections::HashSet<&str> = view.relations.iter().map(|r| r.schema.as_str()).collect();
                for b in base {
                    let keep: BooleanArray = column_str(&b, "table_schema")?.iter().map(|s| Some(!s.as_deref().is_some_and(|s| ours.contains(s)))).collect();
                    out.push(postgres_data_types(&without_datafusion_tables(&filter_record_batch(&b, &keep)?)?)?);
                }
                let mut rows = Vec::new();
                for r in view.relations.iter() {
                    for (i, c) in r.table.columns.iter().enumerate() {
                        let mut row = column_facts(&c.data_type);
                        row.extend([
                            ("table_catalog", text(view.catalog.clone())),
                            ("table_schema", text(r.schema.clone())),
                            ("table_name", text(r.table.name.clone())),
                            ("column_name", text(c.name.clone())),
                            ("ordinal_position", V::Int(i as i64 + 1)),
                            ("is_nullable", text(if c.data_type.nullable { "YES" } else { "NO" })),
                            ("udt_catalog", text(view.catalog.clone())),
                            ("udt_schema", text("pg_catalog")),
                            ("udt_name", text(pg_type(&c.data_type).name)),
                            ("dtd_identifier", text((i + 1).to_string())),
                            ("is_self_referencing", text("NO")),
                            ("is_identity", text("NO")),
                            ("is_generated", text("NEVER")),
                            ("is_updatable", text("NO")),
                        ]);
                        rows.push(row);
                    }
                }
                out.push(batch(&self.schema, &rows)?);
            }
            Kind::Views => {
                let rows: Vec<Row> = view
                    .relations
                    .iter()
                    .filter(|r| r.table.kind == TableKind::View)
                    .map(|r| {
                        Row::from([
                            ("table_catalog", text(view.catalog.clone())),
                            ("table_schema", text(r.schema.clone())),
                            ("table_name", text(r.table.name.clone())),
                            ("view_definition", r.table.view_query.clone().map_or(V::Null, V::Text)),
                            ("check_option", text("NONE")),
                            ("is_updatable", text("NO")),
                            ("is_insertable_into", text("NO")),
                            ("is_trigger_updatable", text("NO")),
                            ("is_trigger_deletable", text("NO")),
                            ("is_trigger_insertable_into", text("NO")),
                        ])
                    })
                    .collect();
                out.push(batch(&self.schema, &rows)?);
            }
            Kind::TableConstraints | Kind::KeyColumnUsage => {
                let mut rows = Vec::new();
                for (r, _) in view.keyed() {
                    let base = Row::from([
                        ("constraint_catalog", text(view.catalog.clone())),
                        ("constraint_schema", text(r.schema.clone())),
                        ("constraint_name", text(r.pkey_name())),
                        ("table_catalog", text(view.catalog.clone())),
                        ("table_schema", text(r.schema.clone())),
                        ("table_name", text(r.table.name.clone())),
                    ]);
                    if self.kind == Kind::TableConstraints {
                        let mut row = base;
                        row.extend([
                            ("constraint_type", text("PRIMARY KEY")),
                            ("is_deferrable", text("NO")),
                            ("initially_deferred", text("NO")),
                            ("enforced", text("YES")),
                            ("nulls_distinct", V::Null),
                        ]);
                        rows.push(row);
                    } else {
                        for (n, key) in r.table.primary_key.iter().enumerate() {
                            let mut row = base.clone();
                            row.extend([("column_name", text(key.clone())), ("ordinal_position", V::Int(n as i64 + 1))]);
                            rows.push(row);
                        }
                    }
                }
                out.push(batch(&self.schema, &rows)?);
            }
        }
        let merged = concat_batches(&self.schema, &out)?;
        Ok(vec![merged])
    }
}

/// `b` without the rows of DataFusion's own information_schema views (`table_name` `df_…`).
fn without_datafusion_tables(b: &RecordBatch) -> Result<RecordBatch> {
    let keep: BooleanArray = column_str(b, "table_name")?.iter().map(|n| Some(!n.as_deref().is_some_and(is_datafusion_view))).collect();
    Ok(filter_record_batch(b, &keep)?)
}

/// The system catalogs' columns in `information_schema.columns` with PostgreSQL's `data_type`
/// where DataFusion writes its Arrow type (`Utf8`, `Int32`, `List(Utf8)`).
fn postgres_data_types(b: &RecordBatch) -> Result<RecordBatch> {
    let Some(at) = b.schema().index_of("data_type").ok() else { return Ok(b.clone()) };
    let names: datafusion::arrow::array::StringArray = column_str(b, "data_type")?.iter().map(|t| t.as_deref().map(postgres_data_type)).collect();
    let mut columns = b.columns().to_vec();
    columns[at] = Arc::new(names);
    Ok(RecordBatch::try_new(b.schema(), columns)?)
}

/// PostgreSQL's `data_type` for an Arrow type as DataFusion names it; a type without a
/// PostgreSQL counterpart is `USER-DEFINED`, as PostgreSQL says of types it has no standard name
/// for.
fn postgres_data_type(arrow: &str) -> &'static str {
    match arrow {
        a if a.starts_with("List(") || a.starts_with("LargeList(") || a.starts_with("FixedSizeList(") => "ARRAY",
        "Utf8" | "LargeUtf8" | "Utf8View" => "text",
        "Boolean" => "boolean",
        "Int8" | "Int16" | "UInt8" => "smallint",
        "Int32" | "UInt16" => "integer",
        "Int64" | "UInt32" => "bigint",
        "Float32" => "real",
        "Float64" => "double precision",
        "Binary" | "LargeBinary" | "BinaryView" => "bytea",
        "Date32" | "Date64" => "date",
        a if a.starts_with("Timestamp(") && a.contains(',') => "timestamp with time zone",
        a if a.starts_with("Timestamp(") => "timestamp without time zone",
        a if a.starts_with("Decimal") => "numeric",
        _ => "USER-DEFINED",
    }
}

/// The crate's pg_class rows as PostgreSQL has them: `relhasindex` for the tables in `indexed`
/// (psql's `\d` lists indexes only then), `relam` heap (2) for tables (`\d+`: "Access
/// method: heap"), `reloftype` 0 rather than NULL.
fn patch_classes(b: &RecordBatch, indexed: &std::collections::HashSet<i64>) -> Result<RecordBatch> {
    const HEAP: i64 = 2;
    let schema = b.schema();
    let oids = column_i64(b, "oid")?;
    let kinds = column_str(b, "relkind")?;
    let hasindex = b.column(schema.index_of("relhasindex")?).as_boolean().clone();
    let hasindex: BooleanArray = (0..b.num_rows())
        .map(|row| if oids[row].is_some_and(|o| indexed.contains(&o)) { Some(true) } else { (!hasindex.is_null(row)).then(|| hasindex.value(row)) })
        .collect();
    let relam = column_i64(b, "relam")?
        .into_iter()
        .zip(&kinds)
        .map(|(am, kind)| if kind.as_deref() == Some("r") && am.unwrap_or(0) == 0 { Some(HEAP) } else { am });
    let relam: ArrayRef = Arc::new(datafusion::arrow::array::Int64Array::from_iter(relam));
    let reloftype: ArrayRef = Arc::new(datafusion::arrow::array::Int64Array::from_iter(column_i64(b, "reloftype")?.into_iter().map(|t| Some(t.unwrap_or(0)))));
    let mut columns = b.columns().to_vec();
    columns[schema.index_of("relhasindex")?] = Arc::new(hasindex);
    for (name, values) in [("relam", relam), ("reloftype", reloftype)] {
        let i = schema.index_of(name)?;
        columns[i] = cast(&values, schema.field(i).data_type())?;
    }
    Ok(RecordBatch::try_new(schema, columns)?)
}

fn attribute_defaults() -> Row {
    Row::from([
        ("attstattarget", V::Int(-1)),
        ("attndims", V::Int(0)),
        ("attcacheoff", V::Int(-1)),
        ("attbyval", V::Bool(false)),
        ("attalign", text("i")),
        ("attstorage", text("p")),
        ("atthasdef", V::Bool(false)),
        ("atthasmissing", V::Bool(false)),
        ("attidentity", text("")),
        ("attgenerated", text("")),
        ("attisdropped", V::Bool(false)),
        ("attislocal", V::Bool(true)),
        ("attinhcount", V::Int(0)),
        ("attcollation", V::Int(0)),
    ])
}

/// The crate's pg_attribute rows with the Flink types of the snapshot's columns.
fn patch_attributes(b: &RecordBatch, view: &CatalogView) -> Result<RecordBatch> {
    let relids = column_i64(b, "attrelid")?;
    let names = column_str(b, "attname")?;
    let schema = b.schema();
    let mut columns: Vec<ArrayRef> = b.columns().to_vec();
    let mut typid = Vec::with_capacity(b.num_rows());
    let mut typmod = Vec::with_capacity(b.num_rows());
    let mut notnull = Vec::with_capacity(b.num_rows());
    let mut len = Vec::with_capacity(b.num_rows());
    let old_typid = column_i64(b, "atttypid")?;
    let old_typmod = column_i64(b, "atttypmod")?;
    let old_len = column_i64(b, "attlen")?;
    let old_notnull = b.column(schema.index_of("attnotnull")?).as_boolean().clone();
    for i in 0..b.num_rows() {
        let column = relids[i]
            .and_then(|oid| view.relation(oid))
            .and_then(|r| names[i].as_deref().and_then(|n| r.table.columns.iter().find(|c| c.name == n)));
        match column {
            Some(c) => {
                let pg = pg_type(&c.data_type);
                typid.push(Some(pg.oid as i64));
                typmod.push(Some(pg.typmod as i64));
                len.push(Some(pg.typlen as i64));
                notnull.push(Some(!c.data_type.nullable));
            }
            None => {
                typid.push(old_typid[i]);
                typmod.push(old_typmod[i]);
                len.push(old_len[i]);
                notnull.push((!old_notnull.is_null(i)).then(|| old_notnull.value(i)));
            }
        }
    }
    let ints = |name: &str, values: Vec<Option<i64>>, columns: &mut Vec<ArrayRef>| -> Result<()> {
        let idx = schema.index_of(name)?;
        let array: ArrayRef = Arc::new(datafusion::arrow::array::Int64Array::from(values));
        columns[idx] = cast(&array, schema.field(idx).data_type())?;
        Ok(())
    };
    ints("atttypid", typid, &mut columns)?;
    ints("atttypmod", typmod, &mut columns)?;
    ints("attlen", len, &mut columns)?;
    let idx = schema.index_of("attnotnull")?;
    columns[idx] = Arc::new(BooleanArray::from(notnull));
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// `information_schema.columns` facts of a Flink type, as PostgreSQL reports its PostgreSQL type.
fn column_facts(ty: &DataType) -> Row {
    let pg = pg_type(ty);
    let data_type = match pg.name {
        "int2" => "smallint",
        "int4" => "integer",
        "int8" => "bigint",
        "float4" => "real",
        "float8" => "double precision",
        "bool" => "boolean",
        "varchar" => "character varying",
        "bpchar" => "character",
        "timestamp" => "timestamp without time zone",
        "timestamptz" => "timestamp with time zone",
        "time" => "time without time zone",
        name if pg.is_array() || name.starts_with('_') => "ARRAY",
        name => name,
    };
    let mut row = Row::from([("data_type", text(data_type))]);
    let precision = |bits: i64, radix: i64| [("numeric_precision", V::Int(bits)), ("numeric_precision_radix", V::Int(radix)), ("numeric_scale", V::Int(0))];
    match &ty.ty {
        LogicalType::Char { .. } | LogicalType::VarChar { .. } if pg.typmod >= 4 => {
            let n = pg.typmod as i64 - 4;
            row.extend([("character_maximum_length", V::Int(n)), ("character_octet_length", V::Int(n * 4))]);
        }
        LogicalType::Char { .. } | LogicalType::VarChar { .. } => {
            row.insert("character_octet_length", V::Int(1073741824));
        }
        LogicalType::TinyInt | LogicalType::SmallInt => row.extend(precision(16, 2)),
        LogicalType::Integer => row.extend(precision(32, 2)),
        LogicalType::BigInt => row.extend(precision(64, 2)),
        LogicalType::Float => row.extend([("numeric_precision", V::Int(24)), ("numeric_precision_radix", V::Int(2))]),
        LogicalType::Double => row.extend([("numeric_precision", V::Int(53)), ("numeric_precision_radix", V::Int(2))]),
        LogicalType::Decimal { precision, scale } => row.extend([
            ("numeric_precision", V::Int(*precision as i64)),
            ("numeric_precision_radix", V::Int(10)),
            ("numeric_scale", V::Int(*scale as i64)),
        ]),
        LogicalType::Date => {
            row.insert("datetime_precision", V::Int(0));
        }
        LogicalType::Time { .. } | LogicalType::Timestamp { .. } | LogicalType::TimestampLtz { .. } | LogicalType::TimestampTz { .. } => {
            row.insert("datetime_precision", V::Int(pg.typmod.max(0) as i64));
        }
        _ => {}
    }
    row
}

/// `pg_catalog` with the patched tables over the crate's schema provider.
#[derive(Debug)]
pub struct PgCatalog {
    pub inner: Arc<dyn SchemaProvider>,
    pub view: Arc<CatalogView>,
}

#[async_trait::async_trait]
impl SchemaProvider for PgCatalog {
    fn table_names(&self) -> Vec<String> {
        let mut names = self.inner.table_names();
        names.push("pg_stat_activity".to_owned());
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let kind = match name.to_ascii_lowercase().as_str() {
            "pg_stat_activity" => {
                return Ok(Some(Arc::new(super::activity::StatActivity::default())))
            }
            "pg_class" => Kind::PgClass,
            "pg_attribute" => Kind::PgAttribute,
            "pg_index" => Kind::PgIndex,
            "pg_constraint" => Kind::PgConstraint,
            "pg_description" => Kind::PgDescription,
            "pg_namespace" => Kind::PgNamespace,
            "pg_database" => Kind::PgDatabase,
            "pg_proc" => Kind::PgProc,
            _ => return self.inner.table(name).await,
        };
        let Some(base) = self.inner.table(name).await? else { return Ok(None) };
        // SQLAlchemy's get_indexes reads pg_class.reloptions (NULL: no storage options).
        let extra: &[&str] = if kind == Kind::PgClass { &["reloptions", "relacl"] } else { &[] };
        let mut schema = nullable(&base.schema(), extra);
        if kind == Kind::PgProc {
            schema = with_list_fields(&schema, &PROC_TEXT_ARRAYS);
        }
        // pg_index and pg_constraint are the crate's static (empty) tables: only the schema is
        // kept.
        let base = matches!(kind, Kind::PgClass | Kind::PgAttribute | Kind::PgDescription | Kind::PgNamespace | Kind::PgDatabase | Kind::PgProc)
            .then_some(base);
        Ok(Some(Arc::new(Patched {
            kind,
            base,
            crate_pg_catalog: Some(self.inner.clone()),
            schema,
            view: self.view.clone(),
        })))
    }

    fn table_exist(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case("pg_stat_activity") || self.inner.table_exist(name)
    }
}

/// `information_schema`: DataFusion's, with `columns` in PostgreSQL's terms and the primary
/// keys in `table_constraints` / `key_column_usage`.
#[derive(Debug)]
pub struct InformationSchema {
    pub inner: Arc<dyn SchemaProvider>,
    pub view: Arc<CatalogView>,
}

/// PostgreSQL's `information_schema.columns` columns DataFusion's table does not have
/// (Metabase reads `is_identity`, DBeaver `is_generated`).
const COLUMNS_EXTRA: [&str; 21] = [
    "interval_precision",
    "character_set_catalog",
    "character_set_schema",
    "character_set_name",
    "collation_catalog",
    "collation_schema",
    "collation_name",
    "domain_catalog",
    "domain_schema",
    "domain_name",
    "udt_catalog",
    "udt_schema",
    "udt_name",
    "dtd_identifier",
    "is_self_referencing",
    "is_identity",
    "identity_generation",
    "is_generated",
    "generation_expression",
    "is_updatable",
    "scope_name",
];

const CONSTRAINT_COLUMNS: [&str; 6] = ["constraint_catalog", "constraint_schema", "constraint_name", "table_catalog", "table_schema", "table_name"];

/// The relations of `information_schema` over DataFusion's `inner`: its own and the two
/// flinkwire adds.
pub fn information_schema_names(inner: &dyn SchemaProvider) -> Vec<String> {
    let mut names = inner.table_names();
    names.retain(|n| !is_datafusion_view(n));
    names.extend(INFORMATION_SCHEMA_ADDED.map(str::to_owned));
    names
}

/// DataFusion's `information_schema` views about the engine itself: those PostgreSQL does not
/// have (`df_settings`: the engine's configuration) and `routines` and `parameters`, which list
/// DataFusion's functions, not Flink's (the functions a Flink query can call are in pg_proc).
/// Hidden, as if they did not exist (42P01 when queried), so a client listing or querying
/// information_schema sees no trace of the engine underneath.
fn is_datafusion_view(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("df_") || matches!(name.as_str(), "routines" | "parameters")
}

/// The `information_schema` tables DataFusion does not have.
const INFORMATION_SCHEMA_ADDED: [&str; 2] = ["table_constraints", "key_column_usage"];

#[async_trait::async_trait]
impl SchemaProvider for InformationSchema {
    fn table_names(&self) -> Vec<String> {
        information_schema_names(self.inner.as_ref())
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let utf8 = |names: &[&str]| Arc::new(Schema::new(names.iter().map(|n| Field::new(*n, ArrowType::Utf8, true)).collect::<Vec<_>>()));
        let (kind, base, schema) = match name.to_ascii_lowercase().as_str() {
            "columns" => {
                let Some(base) = self.inner.table(name).await? else { return Ok(None) };
                let schema = nullable(&base.schema(), &COLUMNS_EXTRA);
                (Kind::Columns, Some(base), schema)
            }
            "views" => {
                let names = [
                    "table_catalog", "table_schema", "table_name", "view_definition", "check_option", "is_updatable",
                    "is_insertable_into", "is_trigger_updatable", "is_trigger_deletable", "is_trigger_insertable_into",
                ];
                (Kind::Views, None, utf8(&names))
            }
            "table_constraints" => {
                let mut names = CONSTRAINT_COLUMNS.to_vec();
                names.extend(["constraint_type", "is_deferrable", "initially_deferred", "enforced", "nulls_distinct"]);
                (Kind::TableConstraints, None, utf8(&names))
            }
            "key_column_usage" => {
                let mut fields: Vec<Field> = CONSTRAINT_COLUMNS.iter().map(|n| Field::new(*n, ArrowType::Utf8, true)).collect();
                fields.push(Field::new("column_name", ArrowType::Utf8, true));
                fields.push(Field::new("ordinal_position", ArrowType::Int32, true));
                fields.push(Field::new("position_in_unique_constraint", ArrowType::Int32, true));
                (Kind::KeyColumnUsage, None, Arc::new(Schema::new(fields)))
            }
            "tables" => {
                let Some(base) = self.inner.table(name).await? else { return Ok(None) };
                let schema = base.schema();
                (Kind::Tables, Some(base), schema)
            }
            lower if is_datafusion_view(lower) => return Ok(None),
            _ => return self.inner.table(name).await,
        };
        Ok(Some(Arc::new(Patched {
            kind,
            base,
            crate_pg_catalog: None,
            schema,
            view: self.view.clone(),
        })))
    }

    fn table_exist(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        INFORMATION_SCHEMA_ADDED.contains(&name.as_str()) || !is_datafusion_view(&name) && self.inner.table_exist(&name)
    }
}
