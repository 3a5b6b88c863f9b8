//! Metabase's PostgreSQL sync (`src/metabase/driver/postgres.clj`): describe-database (tables
//! with their comments, then which of them the user may select from), describe-fields
//! (columns, types, primary key, column comments), foreign keys, indexes and enum types, under
//! `recorded/metabase_*.sql`. The steps Metabase runs through PgJDBC's DatabaseMetaData are in
//! mod.rs.

use super::dbeaver::named;
use super::*;

async fn columns(sql: &str, names: &[&str]) -> Vec<String> {
    named(&Emulation::new(), &Arc::new(demo_snapshot()), &facts(), sql, names).await
}

#[tokio::test]
async fn metabase_describe_database_tables() {
    let tables = columns(include_str!("recorded/metabase_tables.sql"), &["schema", "name", "type"]).await;
    assert_eq!(tables, ["default_database|orders|TABLE", "sales|customers|TABLE", "default_database|big_orders|VIEW"]);
    // No statistics for Flink tables: the estimate is unknown.
    let estimates = columns(include_str!("recorded/metabase_tables.sql"), &["estimated_row_count"]).await;
    assert_eq!(estimates, ["NULL", "NULL", "NULL"]);
}

#[tokio::test]
async fn metabase_describe_database_table_comments() {
    let tables = columns(include_str!("recorded/metabase_tables.sql"), &["name", "description"]).await;
    assert_eq!(tables, ["orders|one row per order", "customers|NULL", "big_orders|NULL"]);
}

#[tokio::test]
async fn metabase_table_privileges() {
    let mut privileges = run(include_str!("recorded/metabase_table_privileges.sql")).await;
    privileges.sort();
    // role|schema|table|update|select|insert|delete: Metabase syncs the tables it may select from.
    let selectable: Vec<String> =
        privileges.iter().map(|r| r.split('|').collect::<Vec<_>>()).map(|c| format!("{}|{}|{}|{}", c[0], c[1], c[2], c[4])).collect();
    assert_eq!(selectable, ["NULL|default_database|big_orders|true", "NULL|default_database|orders|true", "NULL|sales|customers|true"]);
}

#[tokio::test]
async fn metabase_describe_fields() {
    let fields = run(include_str!("recorded/metabase_fields.sql")).await;
    // name|database-type|database-position|table-schema|table-name|pk?|field-comment|database-required|database-is-auto-increment
    assert_eq!(
        fields,
        [
            "order_id|int8|0|default_database|orders|true|NULL|true|false",
            "product|varchar|1|default_database|orders|false|what was sold|false|false",
            "amount|numeric|2|default_database|orders|false|NULL|false|false",
            "ts|timestamp|3|default_database|orders|false|NULL|false|false"
        ]
    );
}

#[tokio::test]
async fn metabase_describe_fks_none() {
    let fks = run(include_str!("recorded/metabase_fks.sql")).await;
    assert_eq!(fks, Vec::<String>::new());
    let columns = columns(
        include_str!("recorded/metabase_fks.sql"),
        &["fk-table-schema", "fk-table-name", "fk-column-name", "pk-table-schema", "pk-table-name", "pk-column-name"],
    )
    .await;
    assert!(columns.is_empty());
}

#[tokio::test]
async fn metabase_describe_indexes() {
    let indexes = run(include_str!("recorded/metabase_indexes.sql")).await;
    assert_eq!(indexes, ["default_database|orders|order_id"]);
}

#[tokio::test]
async fn metabase_enum_types_none() {
    assert_eq!(columns(include_str!("recorded/metabase_enum_types.sql"), &["nspname", "typname"]).await, Vec::<String>::new());
}
