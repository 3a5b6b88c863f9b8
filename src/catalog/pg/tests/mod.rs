//! The emulation against a known snapshot, with the introspection SQL clients send: psql 15
//! (recorded with `psql -E`), PgJDBC and SQLAlchemy here; one module per other client, each with
//! its SQL under `recorded/` and where it came from.

mod activity;
mod adbc;
mod dbeaver;
mod grafana;
mod metabase;
mod oids;
mod pgcli;
mod npgsql;
mod psqlodbc;
mod psql_more;
mod pgjdbc_more;

use std::sync::Arc;

use flinkwire_protocol::logical_type::{DataType, LogicalType, TimestampKind};

use super::*;
use crate::catalog::snapshot::{CatalogMeta, ColumnKind, ColumnMeta, DatabaseMeta, TableMeta};

fn column(name: &str, ty: LogicalType, nullable: bool) -> ColumnMeta {
    ColumnMeta { name: name.into(), data_type: DataType::new(ty, nullable), comment: None, kind: ColumnKind::Physical }
}

fn table(name: &str, kind: TableKind, columns: Vec<ColumnMeta>, pk: &[&str]) -> TableMeta {
    TableMeta {
        name: name.into(),
        kind,
        columns,
        primary_key: pk.iter().map(|s| s.to_string()).collect(),
        comment: None,
        watermark: None,
        view_query: None,
    }
}

/// `default_catalog` (`default_database`: table `orders` with a primary key and comments on
/// the table and on `product`, view
/// `big_orders` with its query; `sales`: table `customers`) and an empty `other_catalog`.
pub(crate) fn demo_snapshot() -> MetadataSnapshot {
    let mut snapshot = MetadataSnapshot::empty("default", None);
    let orders = table(
        "orders",
        TableKind::Table,
        vec![
            column("order_id", LogicalType::BigInt, false),
            ColumnMeta { comment: Some("what was sold".into()), ..column("product", LogicalType::VarChar { length: 20 }, true) },
            column("amount", LogicalType::Decimal { precision: 10, scale: 2 }, true),
            column("ts", LogicalType::Timestamp { precision: 3, kind: TimestampKind::Regular }, true),
        ],
        &["order_id"],
    );
    let orders = TableMeta { comment: Some("one row per order".into()), ..orders };
    let big = table(
        "big_orders",
        TableKind::View,
        vec![column("order_id", LogicalType::BigInt, false), column("amount", LogicalType::Decimal { precision: 10, scale: 2 }, true)],
        &[],
    );
    let big = TableMeta { view_query: Some("SELECT order_id, amount FROM orders WHERE amount > 100".into()), ..big };
    let customers = table(
        "customers",
        TableKind::Table,
        vec![column("id", LogicalType::Integer, false), column("name", LogicalType::VarChar { length: u32::MAX >> 1 }, true)],
        &[],
    );
    snapshot.catalogs = vec![
        CatalogMeta {
            name: "default_catalog".into(),
            databases: vec![
                DatabaseMeta { name: "default_database".into(), tables: vec![big, orders] },
                DatabaseMeta { name: "sales".into(), tables: vec![customers] },
            ],
        },
        CatalogMeta { name: "other_catalog".into(), databases: vec![DatabaseMeta { name: "db1".into(), tables: vec![] }] },
    ];
    snapshot.current_catalog = "default_catalog".into();
    snapshot.current_database = "default_database".into();
    snapshot
}

pub(crate) fn facts() -> SessionFacts {
    SessionFacts {
        user: "alice".into(),
        catalog: "default_catalog".into(),
        database: "default_database".into(),
        settings: vec![("server_version_num".into(), "160006".into())],
        backend_pid: 7,
    }
}

/// The SQL of a recorded file without its leading source comment (up to the first blank line).
fn recorded(file: &'static str) -> &'static str {
    file.split_once("\n\n").map_or(file, |(_, sql)| sql)
}

/// Rows as `a|b|c` strings.
async fn run(sql: &str) -> Vec<String> {
    run_in(&Emulation::new(), &Arc::new(demo_snapshot()), sql).await
}

/// Rows as `a|b|c` strings, in a session that already ran other statements (the OIDs of
/// pg_class stay the same within one).
async fn run_in(emulation: &Emulation, snapshot: &Arc<MetadataSnapshot>, sql: &str) -> Vec<String> {
    let answer = emulation.query(snapshot, &facts(), sql, None).await.unwrap_or_else(|e| panic!("{sql}\n→ {e}"));
    answer.rows.iter().map(|r| row_text(r.fields.iter())).collect()
}

/// Values as `a|b|c` (NULL as "NULL").
fn row_text<'a>(values: impl Iterator<Item = &'a serde_json::Value>) -> String {
    values
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => "NULL".into(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("|")
}

pub(crate) const PSQL_DT: &str = r#"SELECT n.nspname as "Schema",
  c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2;"#;

#[tokio::test]
async fn psql_lists_tables_views_schemas_databases() {
    let tables = run(PSQL_DT).await;
    assert!(tables.iter().any(|r| r.starts_with("default_database|orders|table|")), "{tables:?}");
    assert!(!tables.iter().any(|r| r.contains("big_orders")), "{tables:?}");
    let views = run(&PSQL_DT.replace("c.relkind IN ('r','p','')", "c.relkind IN ('v','')")).await;
    assert!(views.iter().any(|r| r.starts_with("default_database|big_orders|view|")), "{views:?}");
    let schemas = run(
        r#"SELECT n.nspname AS "Name",
  pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
FROM pg_catalog.pg_namespace n
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY 1;"#,
    )
    .await;
    let names: Vec<&str> = schemas.iter().map(|r| r.split('|').next().unwrap()).collect();
    assert!(names.contains(&"default_database") && names.contains(&"sales"), "{schemas:?}");
    let databases = run(
        r#"SELECT d.datname as "Name",
       pg_catalog.pg_get_userbyid(d.datdba) as "Owner",
       pg_catalog.pg_encoding_to_char(d.encoding) as "Encoding",
       d.datcollate as "Collate",
       d.datctype as "Ctype",
       d.daticulocale as "ICU Locale",
       CASE d.datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' END AS "Locale Provider",
       pg_catalog.array_to_string(d.datacl, E'\n') AS "Access privileges"
FROM pg_catalog.pg_database d
ORDER BY 1;"#,
    )
    .await;
    let names: Vec<&str> = databases.iter().map(|r| r.split('|').next().unwrap()).collect();
    assert!(names.contains(&"default_catalog") && names.contains(&"other_catalog"), "{databases:?}");
}

#[tokio::test]
async fn psql_describe_table_finds_it() {
    let found = run(
        r#"SELECT c.oid,
  n.nspname,
  c.relname
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) '^(orders)$' COLLATE pg_catalog.default
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 2, 3;"#,
    )
    .await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].ends_with("|default_database|orders"), "{found:?}");
}

#[tokio::test]
async fn client_functions() {
    assert_eq!(run("SELECT current_database(), current_schema()").await, ["default_catalog|default_database"]);
    assert_eq!(run("SELECT current_user AS u, session_user AS s").await, ["alice|alice"]);
    assert_eq!(run("SELECT current_setting('server_version_num')").await, ["160006"]);
    let version = run("SELECT version()").await;
    assert!(version[0].starts_with("PostgreSQL 16.6 (flinkwire"), "{version:?}");
    assert_eq!(run("SELECT pg_catalog.format_type(23, NULL)").await, ["integer"]);
}

#[tokio::test]
async fn information_schema_lists_tables() {
    let rows = run(
        "SELECT table_schema, table_name, table_type FROM information_schema.tables \
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
    )
    .await;
    assert_eq!(
        rows,
        ["default_database|big_orders|VIEW", "default_database|orders|BASE TABLE", "sales|customers|BASE TABLE"]
    );
}

/// PgJDBC 42 DatabaseMetaData SQL, recorded from the Debian driver against flinkwire (schema
/// `shop` there; `default_database` in this snapshot).
fn pgjdbc(sql: &str) -> String {
    sql.replace("'shop'", "'default_database'").replace("E'shop'", "E'default_database'")
}

#[tokio::test]
async fn pgjdbc_get_schemas_tables_columns() {
    let schemas = run(&pgjdbc(include_str!("recorded/pgjdbc_get_schemas.sql"))).await;
    assert!(schemas.iter().any(|r| r.starts_with("default_database|")), "{schemas:?}");
    assert!(schemas.iter().any(|r| r.starts_with("sales|")), "{schemas:?}");
    let tables = run(&pgjdbc(include_str!("recorded/pgjdbc_get_tables.sql"))).await;
    let names: Vec<String> = tables.iter().map(|r| r.split('|').take(4).collect::<Vec<_>>().join("|")).collect();
    assert_eq!(names, ["NULL|default_database|orders|TABLE", "NULL|default_database|big_orders|VIEW"], "{tables:?}");
    let columns = run(&pgjdbc(include_str!("recorded/pgjdbc_get_columns.sql"))).await;
    assert_eq!(columns.len(), 4, "{columns:?}");
    assert!(columns[0].contains("order_id"), "{columns:?}");
}

#[tokio::test]
async fn primary_keys_in_pg_constraint_pg_index_pg_class() {
    let constraints = run(
        "SELECT c.conname, c.contype, c.conkey, t.relname FROM pg_catalog.pg_constraint c \
         JOIN pg_catalog.pg_class t ON t.oid = c.conrelid WHERE c.contype = 'p'",
    )
    .await;
    assert_eq!(constraints.len(), 1, "{constraints:?}");
    assert!(constraints[0].starts_with("orders_pkey|p|") && constraints[0].ends_with("|orders"), "{constraints:?}");
    assert!(constraints[0].contains('1'), "{constraints:?}");
    let indexes = run(
        "SELECT ci.relname, ci.relkind, i.indisprimary, i.indisunique, t.relname FROM pg_catalog.pg_index i \
         JOIN pg_catalog.pg_class ci ON ci.oid = i.indexrelid JOIN pg_catalog.pg_class t ON t.oid = i.indrelid",
    )
    .await;
    assert_eq!(indexes, ["orders_pkey|i|true|true|orders"]);
    let keys = run(
        "SELECT constraint_name, constraint_type, table_schema, table_name FROM information_schema.table_constraints",
    )
    .await;
    assert_eq!(keys, ["orders_pkey|PRIMARY KEY|default_database|orders"]);
    let usage = run("SELECT constraint_name, column_name, ordinal_position FROM information_schema.key_column_usage").await;
    assert_eq!(usage, ["orders_pkey|order_id|1"]);
}

#[tokio::test]
async fn exact_column_types() {
    let types = run(
        "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull FROM pg_catalog.pg_attribute a \
         JOIN pg_catalog.pg_class c ON c.oid = a.attrelid WHERE c.relname = 'orders' AND a.attnum > 0 ORDER BY a.attnum",
    )
    .await;
    assert_eq!(
        types,
        [
            "order_id|bigint|true",
            "product|character varying(20)|false",
            "amount|numeric(10,2)|false",
            "ts|timestamp(3) without time zone|false"
        ]
    );
    let columns = run(
        "SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, is_nullable, udt_name \
         FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position",
    )
    .await;
    assert_eq!(
        columns,
        [
            "order_id|bigint|NULL|64|0|NO|int8",
            "product|character varying|20|NULL|NULL|YES|varchar",
            "amount|numeric|NULL|10|2|YES|numeric",
            "ts|timestamp without time zone|NULL|NULL|NULL|YES|timestamp"
        ]
    );
}

#[tokio::test]
async fn pgjdbc_get_primary_keys() {
    let keys = run(&pgjdbc(include_str!("recorded/pgjdbc_get_primary_keys.sql"))).await;
    assert_eq!(keys, ["NULL|default_database|orders|order_id|1|orders_pkey"]);
}

#[tokio::test]
async fn pgjdbc_type_lookups_by_regproc() {
    let arrays = run(
        "SELECT t.typname FROM pg_catalog.pg_type t WHERE t.typinput = 'array_in'::regproc AND t.typname = '_int4'",
    )
    .await;
    assert_eq!(arrays, ["_int4"]);
    let intervals = run("SELECT t.typname FROM pg_catalog.pg_type t WHERE t.typinput = 'interval_in'::regproc").await;
    assert_eq!(intervals, ["interval"]);
}

/// SQLAlchemy 2.0 PGDialect reflection SQL, recorded from psycopg 3 against flinkwire (schema
/// `shop` and the OID of `orders` there; `default_database` and this session's OID here), run in
/// one session.
async fn sqlalchemy(file_sql: &str) -> Vec<String> {
    let emulation = Emulation::new();
    let snapshot = Arc::new(demo_snapshot());
    let oid = run_in(&emulation, &snapshot, "SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relname = 'orders'").await.remove(0);
    run_in(&emulation, &snapshot, &pgjdbc(file_sql).replace("16465", &oid)).await
}

#[tokio::test]
async fn sqlalchemy_get_pk_constraint_and_indexes() {
    // generate_subscripts(indkey, 1) next to unnest(indkey): the key columns in order.
    assert_eq!(run("SELECT generate_subscripts(indkey, 1) AS i, unnest(indkey) AS k FROM pg_catalog.pg_index").await, ["1|1"]);
    let pk = sqlalchemy(include_str!("recorded/sqlalchemy_get_pk_constraint.sql")).await;
    assert_eq!(pk.len(), 1, "{pk:?}");
    assert!(pk[0].ends_with(r#"|["order_id"]|orders_pkey|NULL|1|false"#), "{pk:?}");
    // The primary key's index is left out (`NOT indisprimary`): no other index.
    let indexes = sqlalchemy(include_str!("recorded/sqlalchemy_get_indexes.sql")).await;
    assert_eq!(indexes, Vec::<String>::new());
}

#[tokio::test]
async fn sqlalchemy_get_columns() {
    // Correlated scalar subqueries inside CASE (defaults, identity, collation): no defaults,
    // identity columns or column collations in Flink.
    let columns = sqlalchemy(include_str!("recorded/sqlalchemy_get_columns.sql")).await;
    assert_eq!(
        columns,
        [
            "order_id|bigint|NULL|true|orders|NULL||NULL|NULL",
            "product|character varying(20)|NULL|false|orders|what was sold||NULL|NULL",
            "amount|numeric(10,2)|NULL|false|orders|NULL||NULL|NULL",
            "ts|timestamp(3) without time zone|NULL|false|orders|NULL||NULL|NULL"
        ]
    );
}

#[tokio::test]
async fn comments_and_definitions_by_oid() {
    let emulation = Emulation::new();
    let snapshot = Arc::new(demo_snapshot());
    let q = |sql: &'static str| {
        let (emulation, snapshot) = (&emulation, &snapshot);
        async move { run_in(emulation, snapshot, sql).await }
    };
    assert_eq!(
        q("SELECT c.relname, obj_description(c.oid, 'pg_class'), obj_description(c.oid), col_description(c.oid, 2), col_description(c.oid, 1) \
           FROM pg_catalog.pg_class c WHERE c.relname IN ('orders', 'customers') ORDER BY 1")
        .await,
        ["customers|NULL|NULL|NULL|NULL", "orders|one row per order|one row per order|what was sold|NULL"]
    );
    assert_eq!(q("SELECT obj_description(c.oid, 'pg_namespace') FROM pg_catalog.pg_class c WHERE c.relname = 'orders'").await, ["NULL"]);
    assert_eq!(
        q("SELECT d.objsubid, d.description FROM pg_catalog.pg_description d JOIN pg_catalog.pg_class c ON c.oid = d.objoid \
           WHERE c.relname = 'orders' ORDER BY 1")
        .await,
        ["0|one row per order", "2|what was sold"]
    );
    assert_eq!(
        q("SELECT pg_catalog.pg_get_indexdef(i.indexrelid, 0, true), pg_catalog.pg_get_indexdef(i.indexrelid), \
           pg_catalog.pg_get_indexdef(i.indexrelid, 1, true) FROM pg_catalog.pg_index i")
        .await,
        ["CREATE UNIQUE INDEX orders_pkey ON default_database.orders USING btree (order_id)|\
          CREATE UNIQUE INDEX orders_pkey ON default_database.orders USING btree (order_id)|order_id"]
    );
    assert_eq!(
        q("SELECT conname, pg_catalog.pg_get_constraintdef(oid, true) FROM pg_catalog.pg_constraint").await,
        ["orders_pkey|PRIMARY KEY (order_id)"]
    );
    assert_eq!(
        q("SELECT pg_catalog.pg_get_viewdef(c.oid, true) FROM pg_catalog.pg_class c WHERE c.relname = 'big_orders'").await,
        ["SELECT order_id, amount FROM orders WHERE amount > 100"]
    );
    assert_eq!(
        q("SELECT table_name, view_definition FROM information_schema.views WHERE table_schema = 'default_database'").await,
        ["big_orders|SELECT order_id, amount FROM orders WHERE amount > 100"]
    );
}

/// Functions of constants over many rows answer every row (DataFusion hands them scalars).
#[tokio::test]
async fn constant_arguments_over_many_rows() {
    let rows = run(
        "SELECT format('%s.%I', 'a', 'B'), pg_size_pretty(20480), to_regtype('int4'), current_setting('server_version_num') \
         FROM pg_catalog.pg_type WHERE typname IN ('int4', 'text', 'bool')",
    )
    .await;
    assert_eq!(rows, ["a.\"B\"|20 kB|23|160006"; 3]);
}

/// `::regclass` of literals and computed names: in the session's current schema (which can
/// change while the context stays cached), system catalogs by their fixed OIDs, numbers as OIDs.
#[tokio::test]
async fn regclass_resolves_like_postgres() {
    let emulation = Emulation::new();
    let snapshot = Arc::new(demo_snapshot());
    let ask = |database: &str, sql: &str| {
        let facts = SessionFacts { database: database.into(), ..facts() };
        let (emulation, snapshot, sql) = (&emulation, &snapshot, sql.to_owned());
        async move {
            let answer = emulation.query(snapshot, &facts, &sql, None).await.unwrap_or_else(|e| panic!("{sql}\n→ {e}"));
            row_text(answer.rows[0].fields.iter())
        }
    };
    let sql = "SELECT format('%s', 'customers')::regclass IS NOT NULL, 'customers'::regclass IS NOT NULL, \
               'pg_class'::regclass, 'pg_catalog.pg_description'::regclass, '16417'::regclass, 'sales.customers'::regclass IS NOT NULL";
    assert_eq!(ask("default_database", sql).await, "false|false|1259|2609|16417|true");
    assert_eq!(ask("sales", sql).await, "true|true|1259|2609|16417|true");
}

#[tokio::test]
async fn sessions_share_one_context_per_snapshot_with_their_own_schema() {
    let emulation = Emulation::new();
    let snapshot = Arc::new(demo_snapshot());
    let in_sales = SessionFacts { database: "sales".into(), ..facts() };
    for facts in [facts(), in_sales.clone(), facts(), in_sales.clone()] {
        let answer = emulation.query(&snapshot, &facts, "SELECT current_schema()", None).await.unwrap();
        assert_eq!(row_text(answer.rows[0].fields.iter()), facts.database);
    }
    assert_eq!(emulation.contexts(), 1, "one context for both sessions");
    // Another user (pg_roles differs) gets its own; a replaced snapshot's context goes once no
    // session holds the old snapshot.
    let bob = SessionFacts { user: "bob".into(), ..facts() };
    emulation.query(&snapshot, &bob, "SELECT rolname FROM pg_catalog.pg_roles", None).await.unwrap();
    assert_eq!(emulation.contexts(), 2);
    let replaced = Arc::new(demo_snapshot());
    drop(snapshot);
    emulation.query(&replaced, &facts(), "SELECT 1 FROM pg_catalog.pg_class LIMIT 1", None).await.unwrap();
    assert_eq!(emulation.contexts(), 1, "the old snapshot's contexts were dropped");
}

#[tokio::test]
async fn a_dropped_context_is_freed() {
    let emulation = Emulation::new();
    let snapshot = Arc::new(demo_snapshot());
    emulation.query(&snapshot, &facts(), "SELECT relname FROM pg_catalog.pg_class LIMIT 1", None).await.unwrap();
    let catalogs = emulation.catalog_list_of_first_context().expect("a context");
    drop(snapshot);
    // Replacing the snapshot drops the old context; nothing may keep its catalogs alive.
    emulation.query(&Arc::new(demo_snapshot()), &facts(), "SELECT 1 FROM pg_catalog.pg_class LIMIT 1", None).await.unwrap();
    assert!(catalogs.upgrade().is_none(), "the old context's catalog list is still alive (a reference cycle)");
}

/// Nothing of DataFusion shows through: no `df_settings`, `routines` (DataFusion's functions) or
/// `parameters` in information_schema (listed or queried), and the system catalogs' columns typed in PostgreSQL's names.
#[tokio::test]
async fn the_engine_underneath_is_hidden() {
    let listed = run("SELECT table_name FROM information_schema.tables WHERE table_schema = 'information_schema'").await;
    assert!(!listed.iter().any(|t| t.starts_with("df_")), "{listed:?}");
    let classes = run("SELECT relname FROM pg_catalog.pg_class WHERE relname LIKE 'df\\_%' OR relname IN ('routines', 'parameters')").await;
    assert_eq!(classes, Vec::<String>::new());
    for view in ["df_settings", "routines", "parameters"] {
        let err = Emulation::new()
            .query(&Arc::new(demo_snapshot()), &facts(), &format!("SELECT * FROM information_schema.{view}"), None)
            .await
            .expect_err("DataFusion's own view");
        assert_eq!(err.sqlstate(), "42P01", "{view}: {err}");
        assert!(!listed.contains(&view.to_string()), "{view} in {listed:?}");
    }
    let types = run(
        "SELECT DISTINCT data_type FROM information_schema.columns \
         WHERE table_schema IN ('pg_catalog', 'information_schema') ORDER BY 1",
    )
    .await;
    let postgres = ["ARRAY", "bigint", "boolean", "bytea", "double precision", "integer", "real", "smallint", "text", "timestamp with time zone", "timestamp without time zone"];
    let foreign: Vec<&String> = types.iter().filter(|t| !postgres.contains(&t.as_str())).collect();
    assert!(foreign.is_empty(), "{foreign:?} in {types:?}");
}
