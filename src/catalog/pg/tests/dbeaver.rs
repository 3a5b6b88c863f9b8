//! DBeaver's PostgreSQL navigator (plugin `org.jkiss.dbeaver.ext.postgresql`): the SQL of
//! `PostgreExecutionContext`, `PostgreDataSource`, `PostgreDatabase` (databases, schemas, data
//! types) and `PostgreSchema` (tables, columns, constraints, indexes), under
//! `recorded/dbeaver_*.sql`. DBeaver binds the schema's and table's OIDs (`setLong`); the files
//! hold 99990001 (schema) and 99990002 (table) in their place.

use super::*;

const SCHEMA_OID: &str = "99990001";
const TABLE_OID: &str = "99990002";

/// Runs `sql` and returns, per row, the named columns as `a|b|c` (NULL as "NULL").
pub(super) async fn named(emulation: &Emulation, snapshot: &Arc<MetadataSnapshot>, facts: &SessionFacts, sql: &str, names: &[&str]) -> Vec<String> {
    let answer = emulation.query(snapshot, facts, sql, None).await.unwrap_or_else(|e| panic!("{sql}\n→ {e}"));
    let index: Vec<usize> = names
        .iter()
        .map(|n| {
            answer.columns.iter().position(|c| c.name == *n).unwrap_or_else(|| {
                panic!("no column {n} in {:?}", answer.columns.iter().map(|c| &c.name).collect::<Vec<_>>())
            })
        })
        .collect();
    answer.rows.iter().map(|r| row_text(index.iter().map(|&i| &r.fields[i]))).collect()
}

/// One DBeaver session: the emulation, the snapshot, and the OIDs DBeaver read before.
struct Session {
    emulation: Emulation,
    snapshot: Arc<MetadataSnapshot>,
    schema_oid: String,
    table_oid: String,
}

impl Session {
    async fn new() -> Self {
        let emulation = Emulation::new();
        let snapshot = Arc::new(demo_snapshot());
        // The schema's OID comes from the schema list (dbeaver_schemas.sql), the table's from the
        // table list (dbeaver_tables.sql).
        let schemas = named(&emulation, &snapshot, &facts(), include_str!("recorded/dbeaver_schemas.sql"), &["nspname", "oid"]).await;
        let schema_oid = schemas.iter().find_map(|r| r.strip_prefix("default_database|")).expect("default_database").to_owned();
        let tables = named(&emulation, &snapshot, &facts(), &include_str!("recorded/dbeaver_tables.sql").replace(SCHEMA_OID, &schema_oid), &["relname", "oid"]).await;
        let table_oid = tables.iter().find_map(|r| r.strip_prefix("orders|")).expect("orders").to_owned();
        Self { emulation, snapshot, schema_oid, table_oid }
    }

    async fn named(&self, file_sql: &str, names: &[&str]) -> Vec<String> {
        let sql = file_sql.replace(SCHEMA_OID, &self.schema_oid).replace(TABLE_OID, &self.table_oid);
        named(&self.emulation, &self.snapshot, &facts(), &sql, names).await
    }
}

#[tokio::test]
async fn dbeaver_connection_defaults_version_settings() {
    assert_eq!(run(include_str!("recorded/dbeaver_context_defaults.sql")).await, ["default_database|alice"]);
    assert_eq!(run(include_str!("recorded/dbeaver_current_database.sql")).await, ["default_catalog"]);
    let version = run(include_str!("recorded/dbeaver_version.sql")).await;
    assert_eq!(version.len(), 1, "{version:?}");
    assert!(version[0].starts_with("PostgreSQL 16.6"), "{version:?}");
    let s = Session::new().await;
    let setting = s.named(include_str!("recorded/dbeaver_setting.sql"), &["name", "setting"]).await;
    assert_eq!(setting, ["standard_conforming_strings|on"]);
}

#[tokio::test]
async fn dbeaver_databases() {
    let s = Session::new().await;
    let all = s.named(include_str!("recorded/dbeaver_databases.sql"), &["datname", "datallowconn", "datistemplate"]).await;
    assert!(all.contains(&"default_catalog|true|false".to_owned()), "{all:?}");
    assert!(all.contains(&"other_catalog|true|false".to_owned()), "{all:?}");
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "ORDER BY db.datname");
    let one = s.named(include_str!("recorded/dbeaver_database_info.sql"), &["datname", "oid", "encoding", "datistemplate"]).await;
    assert_eq!(one.len(), 1, "{one:?}");
    assert!(one[0].starts_with("default_catalog|") && one[0].ends_with("|6|false"), "{one:?}");
    // The same OID in the list and in the lookup.
    let oid = one[0].split('|').nth(1).unwrap();
    let listed = s.named(include_str!("recorded/dbeaver_databases.sql"), &["datname", "oid"]).await;
    assert!(listed.contains(&format!("default_catalog|{oid}")), "{listed:?}");
}

#[tokio::test]
async fn dbeaver_schemas() {
    let s = Session::new().await;
    let schemas = s.named(include_str!("recorded/dbeaver_schemas.sql"), &["nspname", "description"]).await;
    assert_eq!(schemas, ["default_database|NULL", "information_schema|NULL", "pg_catalog|system catalog schema", "sales|NULL"]);
    // The schema OID DBeaver binds is the tables' relnamespace.
    let tables = s.named(include_str!("recorded/dbeaver_tables.sql"), &["relnamespace"]).await;
    assert_eq!(tables, [s.schema_oid.clone(), s.schema_oid.clone()]);
}

#[tokio::test]
async fn dbeaver_data_types() {
    let s = Session::new().await;
    let types = s.named(include_str!("recorded/dbeaver_data_types.sql"), &["typname", "oid", "typnamespace", "typtype", "relkind", "base_type_name"]).await;
    for expected in [
        "bool|16|11|b|NULL|NULL",
        "int4|23|11|b|NULL|NULL",
        "int8|20|11|b|NULL|NULL",
        "text|25|11|b|NULL|NULL",
        "varchar|1043|11|b|NULL|NULL",
        "numeric|1700|11|b|NULL|NULL",
        "timestamp|1114|11|b|NULL|NULL",
        "timestamptz|1184|11|b|NULL|NULL",
        "date|1082|11|b|NULL|NULL",
        "bytea|17|11|b|NULL|NULL",
    ] {
        assert_eq!(types.iter().filter(|r| r.split('|').next() == expected.split('|').next()).collect::<Vec<_>>(), [expected], "{expected}");
    }
    // Arrays of base types are loaded too (their element is not a composite).
    assert!(types.iter().any(|r| r.starts_with("_int4|1007|11|b|")), "{:?}", &types[..10]);
}

#[tokio::test]
async fn dbeaver_tables_of_a_schema() {
    let s = Session::new().await;
    let mut tables = s.named(include_str!("recorded/dbeaver_tables.sql"), &["relname", "relkind", "relnatts", "relhasindex", "relispartition"]).await;
    tables.sort();
    assert_eq!(tables, ["big_orders|v|2|false|false", "orders|r|4|true|false"]);
}

#[tokio::test]
async fn dbeaver_table_comment() {
    let s = Session::new().await;
    let mut tables = s.named(include_str!("recorded/dbeaver_tables.sql"), &["relname", "description"]).await;
    tables.sort();
    assert_eq!(tables, ["big_orders|NULL", "orders|one row per order"]);
}

#[tokio::test]
async fn dbeaver_columns_of_a_table() {
    let s = Session::new().await;
    let columns = s
        .named(include_str!("recorded/dbeaver_columns.sql"), &["relname", "attnum", "attname", "atttypid", "atttypmod", "attnotnull", "attisdropped", "description", "objid"])
        .await;
    let user: Vec<&String> = columns.iter().filter(|r| !r.split('|').nth(1).unwrap().starts_with('-')).collect();
    assert_eq!(
        user,
        [
            "orders|1|order_id|20|-1|true|false|NULL|NULL",
            "orders|2|product|1043|24|false|false|what was sold|NULL",
            "orders|3|amount|1700|655366|false|false|NULL|NULL",
            "orders|4|ts|1114|3|false|false|NULL|NULL"
        ]
    );
    // DBeaver resolves atttypid through its data type cache: each type is there.
    let types = s.named(include_str!("recorded/dbeaver_data_types.sql"), &["oid"]).await;
    for oid in ["20", "1043", "1700", "1114"] {
        assert!(types.iter().any(|t| t == oid), "{oid}");
    }
}

#[tokio::test]
async fn dbeaver_no_partitions_defaults_or_index_expressions() {
    let s = Session::new().await;
    let mut tables = s.named(include_str!("recorded/dbeaver_tables.sql"), &["relname", "partition_expr", "partition_key"]).await;
    tables.sort();
    assert_eq!(tables, ["big_orders|NULL|NULL", "orders|NULL|NULL"]);
    let defaults = s.named(include_str!("recorded/dbeaver_columns.sql"), &["attname", "def_value"]).await;
    assert_eq!(defaults, ["order_id|NULL", "product|NULL", "amount|NULL", "ts|NULL"]);
    let indexes = s.named(include_str!("recorded/dbeaver_indexes.sql"), &["relname", "pred_expr", "expr"]).await;
    assert_eq!(indexes, ["orders_pkey|NULL|NULL"]);
}

#[tokio::test]
async fn dbeaver_primary_key_constraint_and_index() {
    let s = Session::new().await;
    let constraints = s
        .named(include_str!("recorded/dbeaver_constraints.sql"), &["conname", "contype", "conkey", "conrelid", "tabrelname", "refnamespace", "description", "consrc_copy"])
        .await;
    assert_eq!(constraints, [format!("orders_pkey|p|[1]|{}|orders|NULL|NULL|NULL", s.table_oid)]);
    let conindid = s.named(include_str!("recorded/dbeaver_constraints.sql"), &["conindid"]).await;
    let indexes = s
        .named(include_str!("recorded/dbeaver_indexes.sql"), &["relname", "indexrelid", "indrelid", "indisprimary", "indisunique", "indnatts", "keys", "tabrelname", "relnamespace"])
        .await;
    assert_eq!(indexes, [format!("orders_pkey|{}|{}|true|true|1|[1]|orders|{}", conindid[0], s.table_oid, s.schema_oid)]);
}
