//! PgJDBC 42.x DatabaseMetaData beyond the recorded getSchemas/getTables/getColumns/
//! getPrimaryKeys: getCatalogs, getTypeInfo (with the TypeInfoCache query it runs first) and
//! getIndexInfo, with the SQL taken from the driver's source.

use super::*;

const GET_CATALOGS: &str = include_str!("recorded/pgjdbc_get_catalogs.sql");
const GET_TYPE_INFO: &str = include_str!("recorded/pgjdbc_get_type_info.sql");
const TYPE_INFO_CACHE: &str = include_str!("recorded/pgjdbc_type_info_cache.sql");
const GET_INDEX_INFO: &str = include_str!("recorded/pgjdbc_get_index_info.sql");

#[tokio::test]
async fn pgjdbc_more_queries_route_to_the_emulation() {
    for sql in [GET_CATALOGS, GET_TYPE_INFO, TYPE_INFO_CACHE, GET_INDEX_INFO] {
        assert_eq!(route(recorded(sql)), CatalogRoute::Catalog, "{sql}");
    }
}

#[tokio::test]
async fn pgjdbc_get_catalogs() {
    // Every Flink catalog is a database that allows connections.
    assert_eq!(run(recorded(GET_CATALOGS)).await, ["default_catalog", "other_catalog"]);
}

#[tokio::test]
async fn pgjdbc_get_type_info() {
    let rows = run(recorded(GET_TYPE_INFO)).await;
    for expected in [
        "bool|16",
        "bytea|17",
        "int8|20",
        "int2|21",
        "int4|23",
        "text|25",
        "float4|700",
        "float8|701",
        "varchar|1043",
        "date|1082",
        "time|1083",
        "timestamp|1114",
        "timestamptz|1184",
        "interval|1186",
        "numeric|1700",
        "_int4|1007",
    ] {
        assert!(rows.iter().any(|r| r == expected), "missing {expected}: {rows:?}");
    }
    // Row types of tables and views are left out (typrelid of a relkind other than 'c').
    assert!(!rows.iter().any(|r| r.starts_with("orders|") || r.starts_with("big_orders|")), "{rows:?}");
}

#[tokio::test]
async fn pgjdbc_type_info_cache() {
    // is_array, typtype, typname, oid: what getSQLType() maps to java.sql.Types.
    let rows = run(recorded(TYPE_INFO_CACHE)).await;
    for expected in [
        "false|b|int4|23",
        "true|b|_int4|1007",
        "false|b|int8|20",
        "false|b|varchar|1043",
        "true|b|_varchar|1015",
        "false|b|numeric|1700",
        "false|b|timestamp|1114",
        "false|b|timestamptz|1184",
        "false|b|bool|16",
    ] {
        assert!(rows.iter().any(|r| r == expected), "missing {expected}: {rows:?}");
    }
}

#[tokio::test]
async fn pgjdbc_get_index_info() {
    let rows = run(recorded(GET_INDEX_INFO)).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    // TABLE_CAT … ASC_OR_DESC; CARDINALITY, PAGES are estimates, FILTER_CONDITION none.
    let f: Vec<&str> = rows[0].split('|').collect();
    assert_eq!(f.len(), 13, "{rows:?}");
    assert_eq!(f[..10].join("|"), "NULL|default_database|orders|false|NULL|orders_pkey|3|1|order_id|A", "{rows:?}");
    assert_eq!(f[12], "NULL", "{rows:?}");
}
