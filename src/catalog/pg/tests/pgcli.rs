//! pgcli 4.7's completion refresh (`pgcli/completion_refresher.py` calling `PGExecute`'s
//! queries in `pgcli/pgexecute.py`), under `recorded/pgcli_*.sql`: the search path, schemas,
//! tables and views with their columns, foreign keys, types, databases, functions and the casing
//! of names in function bodies. pgcli fills its completer from these rows; a query that fails
//! leaves that kind of completion empty.

use super::*;

async fn rows(file: &'static str) -> Vec<String> {
    run(recorded(file)).await
}

#[tokio::test]
async fn pgcli_queries_route_to_the_emulation() {
    for sql in [
        include_str!("recorded/pgcli_search_path.sql"),
        include_str!("recorded/pgcli_schemata.sql"),
        include_str!("recorded/pgcli_tables.sql"),
        include_str!("recorded/pgcli_columns.sql"),
        include_str!("recorded/pgcli_foreign_keys.sql"),
        include_str!("recorded/pgcli_datatypes.sql"),
        include_str!("recorded/pgcli_databases.sql"),
        include_str!("recorded/pgcli_functions.sql"),
        include_str!("recorded/pgcli_casing.sql"),
    ] {
        assert_eq!(route(recorded(sql)), CatalogRoute::Catalog, "{sql}");
    }
}

#[tokio::test]
async fn pgcli_schemas_tables_columns_databases() {
    let path = rows(include_str!("recorded/pgcli_search_path.sql")).await;
    assert!(path.contains(&"default_database".to_owned()) && path.contains(&"pg_catalog".to_owned()), "{path:?}");
    let schemas = rows(include_str!("recorded/pgcli_schemata.sql")).await;
    assert!(schemas.contains(&"default_database".to_owned()) && schemas.contains(&"sales".to_owned()), "{schemas:?}");
    let tables = rows(include_str!("recorded/pgcli_tables.sql")).await;
    for t in ["default_database|orders", "sales|customers"] {
        assert!(tables.contains(&t.to_owned()), "{t} in {tables:?}");
    }
    assert!(!tables.iter().any(|t| t.ends_with("|big_orders")), "{tables:?}");
    let columns = rows(include_str!("recorded/pgcli_columns.sql")).await;
    let orders: Vec<&String> = columns.iter().filter(|c| c.starts_with("default_database|orders|")).collect();
    assert_eq!(
        orders,
        [
            "default_database|orders|order_id|bigint|false|NULL",
            "default_database|orders|product|character varying|false|NULL",
            "default_database|orders|amount|numeric|false|NULL",
            "default_database|orders|ts|timestamp without time zone|false|NULL",
        ],
        "{columns:?}"
    );
    assert_eq!(rows(include_str!("recorded/pgcli_databases.sql")).await, ["default_catalog", "other_catalog"]);
    assert_eq!(rows(include_str!("recorded/pgcli_foreign_keys.sql")).await, Vec::<String>::new());
}

/// Types outside pg_catalog and information_schema: none, as Flink has no user-defined types.
#[tokio::test]
async fn pgcli_datatypes() {
    assert_eq!(rows(include_str!("recorded/pgcli_datatypes.sql")).await, Vec::<String>::new());
}

/// The functions with their argument types as `regtype` names (`COALESCE(proallargtypes::regtype[],
/// proargtypes::regtype[])::text[]`) and their return type.
#[tokio::test]
async fn pgcli_functions_with_argument_types() {
    let functions = rows(include_str!("recorded/pgcli_functions.sql")).await;
    assert!(functions.len() > 1000, "{}", functions.len());
    let upper: Vec<&String> = functions.iter().filter(|f| f.starts_with("pg_catalog|upper|")).collect();
    assert!(!upper.is_empty(), "no upper");
    assert!(upper.iter().any(|f| f.starts_with("pg_catalog|upper|NULL|[\"text\"]|NULL|text|false|false|false|")), "{upper:?}");
}

/// Words of SQL and PL/pgSQL function bodies (only with `generate_casing_file`, off by
/// default): `regexp_split_to_table` under GROUP BY and a window plan, and `unnest(proargnames)`
/// now that `proargnames` is an array. The emulated pg_proc has no SQL-language functions, so no
/// words come back (PostgreSQL would list the words of its own SQL-language built-ins).
#[tokio::test]
async fn pgcli_casing_runs() {
    let rows = rows(include_str!("recorded/pgcli_casing.sql")).await;
    assert!(rows.iter().all(|w| !w.contains('[') && !w.contains('\'')), "{rows:?}");
}

#[tokio::test]
async fn regexp_split_to_table_is_a_set() {
    assert_eq!(run("SELECT regexp_split_to_table('hello big world', '\\s+') AS w").await, ["hello", "big", "world"]);
    let err = Emulation::new()
        .query(&Arc::new(demo_snapshot()), &facts(), "SELECT regexp_split_to_table('a', '(a)\\1')", None)
        .await
        .expect_err("a backreference");
    assert_eq!(err.sqlstate(), "2201B", "{err}");
}


/// `proargnames` / `proargmodes` are arrays (`text[]`, `"char"[]`), not the crate's text form
/// `['min', 'max']` that a client would read as one string.
#[tokio::test]
async fn proc_argument_names_and_modes_are_arrays() {
    let rows = run("SELECT array_length(proargnames, 1), proargnames[1], proargmodes[2] FROM pg_catalog.pg_proc WHERE proname = 'aclexplode'").await;
    assert_eq!(rows, ["5|acl|o"]);
    // random(min, max) for integer, bigint and numeric, as in PostgreSQL 17.
    let rows = run("SELECT count(*) FROM pg_catalog.pg_proc WHERE proname = 'random' AND 'max' = ANY(proargnames)").await;
    assert_eq!(rows, ["3"]);
}
