//! Grafana's PostgreSQL data source (`public/app/plugins/datasource/grafana-postgresql-datasource`,
//! `postgresMetaQuery.ts`): the version check, the query builder's schema, table and column
//! lists, under `recorded/grafana_*.sql`. The table and column lists read
//! `current_setting('search_path')`.

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

/// The current schema's tables unqualified, the others qualified, and the builder's columns
/// of `orders`. The search path is `default_database` after `SET search_path = default_database`
/// (as DBeaver does), and also while it names no Flink database (PostgreSQL's default `"$user",
/// public`): then `ClientSession::catalog_facts` reports the current Flink database as the path.
#[tokio::test]
async fn grafana_tables_and_columns_with_search_path_set() {
    let facts = session("default_database");
    let tables = run_with(&facts, include_str!("recorded/grafana_tables.sql"), &["table"]).await;
    assert_eq!(tables, ["big_orders", "orders", "sales.customers"]);
    let mut columns = run_with(&facts, include_str!("recorded/grafana_columns.sql"), &["column", "type"]).await;
    columns.sort();
    assert_eq!(columns, ["amount|numeric", "order_id|bigint", "product|character varying", "ts|timestamp without time zone"]);
}
