//! Grafana's PostgreSQL data source (`public/app/plugins/datasource/grafana-postgresql-datasource`,
//! `postgresMetaQuery.ts`): the version check, the query builder's schema, table and column
//! lists, under `recorded/grafana_*.sql`. The table and column lists read
//! `current_setting('search_path')`; a flinkwire session starts with PostgreSQL's default
//! `"$user", public`.

use super::dbeaver::named;
use super::*;

/// The facts of a session with `search_path` as it starts (`"$user", public`), or as set.
fn session(search_path: &str) -> SessionFacts {
    let mut facts = facts();
    facts.settings.push(("search_path".into(), search_path.into()));
    facts
}

async fn run_with(facts: &SessionFacts, sql: &str, names: &[&str]) -> Vec<String> {
    named(&Emulation::new(), &Arc::new(demo_snapshot()), facts, sql, names).await
}

#[tokio::test]
async fn grafana_version_and_timescaledb() {
    assert_eq!(run(include_str!("recorded/grafana_version.sql")).await, ["1600"]);
    assert_eq!(run(include_str!("recorded/grafana_timescaledb_version.sql")).await, Vec::<String>::new());
}

#[tokio::test]
async fn grafana_schemas() {
    assert_eq!(run(include_str!("recorded/grafana_schemas.sql")).await, ["default_database", "sales"]);
}

#[tokio::test]
async fn grafana_tables_of_a_schema() {
    assert_eq!(run(include_str!("recorded/grafana_tables_in_schema.sql")).await, ["big_orders", "orders"]);
}

#[tokio::test]
async fn grafana_columns_of_a_qualified_table() {
    let facts = session("\"$user\", public");
    let mut columns = run_with(&facts, include_str!("recorded/grafana_columns_qualified.sql"), &["column", "type"]).await;
    columns.sort();
    assert_eq!(columns, ["id|integer", "name|text"]);
}

/// The current schema (`current_schema()` is default_database) lists its tables unqualified,
/// the others qualified, and the builder's columns of `orders` come back.
#[tokio::test]
#[ignore = "emulation: current_setting('search_path') is '\"$user\", public' while current_schema() is default_database, so every table is schema-qualified and getSchema('orders') finds no column"]
async fn grafana_tables_and_columns_in_the_current_schema() {
    let facts = session("\"$user\", public");
    let tables = run_with(&facts, include_str!("recorded/grafana_tables.sql"), &["table"]).await;
    assert_eq!(tables, ["big_orders", "orders", "sales.customers"]);
    let mut columns = run_with(&facts, include_str!("recorded/grafana_columns.sql"), &["column", "type"]).await;
    columns.sort();
    assert_eq!(columns, ["amount|numeric", "order_id|bigint", "product|character varying", "ts|timestamp without time zone"]);
}

/// After `SET search_path = default_database` (as DBeaver does), PostgreSQL answers the same.
#[tokio::test]
#[ignore = "emulation: Grafana's search-path subquery cannot be planned (`SELECT s FROM string_to_array('a,b', ',') s` → table function 'string_to_array' not found; `SELECT i FROM generate_series(1, 2) AS i` → Schema error: No field named i) and inside the full query the IN (…) silently matches nothing"]
async fn grafana_tables_and_columns_with_search_path_set() {
    let facts = session("default_database");
    let tables = run_with(&facts, include_str!("recorded/grafana_tables.sql"), &["table"]).await;
    assert_eq!(tables, ["big_orders", "orders", "sales.customers"]);
    let mut columns = run_with(&facts, include_str!("recorded/grafana_columns.sql"), &["column", "type"]).await;
    columns.sort();
    assert_eq!(columns, ["amount|numeric", "order_id|bigint", "product|character varying", "ts|timestamp without time zone"]);
}
