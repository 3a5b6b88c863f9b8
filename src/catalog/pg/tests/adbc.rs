//! adbc-driver-postgresql's type resolver (what pandas and Polars run over ADBC on every new
//! connection): the columns of record types, then the base types with a binary receive function,
//! under `recorded/adbc_*.sql`. The driver picks each result column's Arrow type from its type
//! OID through this table and decodes `COPY … (FORMAT binary)` by the row's `typreceive`; a type
//! OID it did not load makes it fail the read.

use std::collections::HashMap;

use super::*;

const TYPE_ATTRIBUTES: &str = include_str!("recorded/adbc_type_resolver_attributes.sql");
const TYPES: &str = include_str!("recorded/adbc_type_resolver_types.sql");

/// The types the driver learns, by OID: (typname, typreceive); an array type from its
/// element's `typarray`, as the driver adds it.
async fn resolved() -> HashMap<u32, (String, String)> {
    let mut known = HashMap::new();
    for row in run(recorded(TYPES)).await {
        let f: Vec<&str> = row.split('|').collect();
        assert_eq!(f.len(), 6, "{row}");
        let parse = |s: &str| s.parse::<u32>().unwrap_or_else(|e| panic!("{s:?}: {e} in {row}"));
        let (oid, name, receive, array) = (parse(f[0]), f[1], f[2], parse(f[5]));
        parse(f[3]);
        parse(f[4]);
        assert_ne!(receive, "array_recv", "{row}");
        assert_ne!(receive, "-", "a type without a receive function: {row}");
        known.insert(oid, (name.to_owned(), receive.to_owned()));
        if array != 0 {
            known.insert(array, (format!("_{name}"), "array_recv".to_owned()));
        }
    }
    known
}

#[tokio::test]
async fn adbc_queries_route_to_the_emulation() {
    for sql in [recorded(TYPE_ATTRIBUTES), recorded(TYPES)] {
        assert_eq!(route(sql), CatalogRoute::Catalog, "{sql}");
    }
}

#[tokio::test]
async fn adbc_attributes_are_numbers_and_names() {
    let rows = run(recorded(TYPE_ATTRIBUTES)).await;
    assert!(!rows.is_empty());
    for row in &rows {
        let f: Vec<&str> = row.split('|').collect();
        assert_eq!(f.len(), 3, "{row}");
        assert!(f[0].parse::<u32>().is_ok() && f[2].parse::<u32>().is_ok(), "{row}");
    }
}

/// Every type flinkwire sends for a Flink type, with PostgreSQL's receive function (the name the
/// driver decodes by) and its array type.
#[tokio::test]
async fn adbc_learns_every_type_flinkwire_sends() {
    let known = resolved().await;
    let expected: &[(u32, &str, &str)] = &[
        (16, "bool", "boolrecv"),
        (17, "bytea", "bytearecv"),
        (20, "int8", "int8recv"),
        (21, "int2", "int2recv"),
        (23, "int4", "int4recv"),
        (25, "text", "textrecv"),
        (114, "json", "json_recv"),
        (700, "float4", "float4recv"),
        (701, "float8", "float8recv"),
        (1042, "bpchar", "bpcharrecv"),
        (1043, "varchar", "varcharrecv"),
        (1082, "date", "date_recv"),
        (1083, "time", "time_recv"),
        (1114, "timestamp", "timestamp_recv"),
        (1184, "timestamptz", "timestamptz_recv"),
        (1186, "interval", "interval_recv"),
        (1700, "numeric", "numeric_recv"),
    ];
    let mut wrong = vec![];
    for (oid, name, receive) in expected {
        match known.get(oid) {
            Some((n, r)) if n == name && r == receive => {}
            other => wrong.push(format!("{oid} {name} {receive}: {other:?}")),
        }
    }
    for array in [1000, 1001, 1005, 1007, 1009, 1015, 1016, 1021, 1022, 1115, 1182, 1185, 1231] {
        if known.get(&array).map(|(_, r)| r.as_str()) != Some("array_recv") {
            wrong.push(format!("array {array}: {:?}", known.get(&array)));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// `regproc` compared with 0 is "has / has no function" (`-`), as in PostgreSQL, whichever side
/// the 0 is on.
#[tokio::test]
async fn regproc_compared_with_zero() {
    let without_receive = run("SELECT count(*) FROM pg_catalog.pg_type WHERE typreceive = 0").await;
    let dash = run("SELECT count(*) FROM pg_catalog.pg_type WHERE typreceive::text = '-'").await;
    assert_eq!(without_receive, dash);
    let with_receive = run("SELECT count(*) FROM pg_catalog.pg_type WHERE 0 <> typreceive").await;
    let all = run("SELECT count(*) FROM pg_catalog.pg_type").await;
    let n = |v: &[String]| v[0].parse::<i64>().unwrap();
    assert_eq!(n(&with_receive) + n(&without_receive), n(&all));
    assert!(n(&with_receive) > 20, "{with_receive:?}");
}

const GET_OBJECTS_SCHEMAS: &str = include_str!("recorded/adbc_get_objects_schemas.sql");
const GET_OBJECTS_TABLES: &str = include_str!("recorded/adbc_get_objects_tables.sql");

/// `adbc_get_objects()`: the schemas of the current database, then each schema's tables and
/// views with their type, matched against a PostgreSQL array literal of relkinds.
#[tokio::test]
async fn adbc_get_objects_lists_schemas_and_tables() {
    for sql in [GET_OBJECTS_SCHEMAS, GET_OBJECTS_TABLES] {
        assert_eq!(route(recorded(sql)), CatalogRoute::Catalog, "{sql}");
    }
    let mut schemas = run(recorded(GET_OBJECTS_SCHEMAS)).await;
    schemas.sort();
    assert_eq!(schemas, ["default_database", "sales"]);
    let mut tables = run(recorded(GET_OBJECTS_TABLES)).await;
    tables.sort();
    assert_eq!(tables, ["big_orders|view", "orders|table"]);
    let only_views = recorded(GET_OBJECTS_TABLES).replace(r#"'{"p", "f", "t", "m", "v", "r"}'"#, r#"'{"v"}'"#);
    assert_eq!(run(&only_views).await, ["big_orders|view"]);
    // A literal PostgreSQL would refuse is refused, never matched some other way.
    let malformed = recorded(GET_OBJECTS_TABLES).replace(r#"'{"p", "f", "t", "m", "v", "r"}'"#, "'{{v},{r}}'");
    let err = Emulation::new().query(&Arc::new(demo_snapshot()), &facts(), &malformed, None).await.unwrap_err();
    assert_eq!(err.sqlstate(), "22P02", "{err}");
}


const GET_OBJECTS_COLUMNS: &str = include_str!("recorded/adbc_get_objects_columns.sql");
const GET_OBJECTS_CONSTRAINTS: &str = include_str!("recorded/adbc_get_objects_constraints.sql");

/// `adbc_get_objects(depth="all")`, per table: its columns (name, position, comment, type name)
/// and its constraints (the primary key; Flink has no foreign keys).
#[tokio::test]
async fn adbc_get_objects_lists_columns_and_constraints() {
    for sql in [GET_OBJECTS_COLUMNS, GET_OBJECTS_CONSTRAINTS] {
        assert_eq!(route(recorded(sql)), CatalogRoute::Catalog, "{sql}");
    }
    let mut columns = run(recorded(GET_OBJECTS_COLUMNS)).await;
    columns.sort();
    assert_eq!(
        columns,
        ["amount|3|NULL|numeric", "order_id|1|NULL|int8", "product|2|what was sold|varchar", "ts|4|NULL|timestamp"]
    );
    let constraints = run(recorded(GET_OBJECTS_CONSTRAINTS)).await;
    assert_eq!(constraints.len(), 1, "{constraints:?}");
    let c: Vec<&str> = constraints[0].split('|').collect();
    assert_eq!((c[1], c[2], c[3]), ("PRIMARY KEY", r#"["order_id"]"#, "NULL"), "{constraints:?}");
}
