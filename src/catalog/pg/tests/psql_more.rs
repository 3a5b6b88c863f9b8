//! psql 15: the whole `\d orders` sequence (describeTableDetails → describeOneTableDetails, for
//! a server reporting 16), `\d+ orders` columns, `\dv`, `\df` and `\dn`. The table lookup, `\dt`
//! and `\l` are also in mod.rs.

use std::sync::Arc;

use super::*;

/// The OID psql's recorded SQL carries for `orders`.
const RECORDED_OID: &str = "16386";

/// Runs a recorded `describeOneTableDetails` query as psql does: in a session that found the
/// OID of `orders` first, with that OID in place of the recorded one. Returns (OID, rows).
async fn describe(file: &'static str) -> (String, Vec<String>) {
    let emulation = Emulation::new();
    let snapshot = Arc::new(demo_snapshot());
    let found = run_in(&emulation, &snapshot, recorded(LOOKUP)).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let (oid, rest) = found[0].split_once('|').unwrap();
    assert_eq!(rest, "default_database|orders");
    let rows = run_in(&emulation, &snapshot, &recorded(file).replace(RECORDED_OID, oid)).await;
    (oid.to_string(), rows)
}

const LOOKUP: &str = include_str!("recorded/psql_describe_lookup.sql");
const TABLE_INFO: &str = include_str!("recorded/psql_describe_table_info.sql");
const COLUMNS: &str = include_str!("recorded/psql_describe_columns.sql");
const COLUMNS_VERBOSE: &str = include_str!("recorded/psql_describe_columns_verbose.sql");
const INDEXES: &str = include_str!("recorded/psql_describe_indexes.sql");
const CHECKS: &str = include_str!("recorded/psql_describe_check_constraints.sql");
const FOREIGN_KEYS: &str = include_str!("recorded/psql_describe_foreign_keys.sql");
const REFERENCED_BY: &str = include_str!("recorded/psql_describe_referenced_by.sql");
const POLICIES: &str = include_str!("recorded/psql_describe_policies.sql");
const STATISTICS: &str = include_str!("recorded/psql_describe_statistics.sql");
const PUBLICATIONS: &str = include_str!("recorded/psql_describe_publications.sql");
const INHERITS: &str = include_str!("recorded/psql_describe_inherits.sql");
const CHILD_TABLES: &str = include_str!("recorded/psql_describe_child_tables.sql");
const LIST_VIEWS: &str = include_str!("recorded/psql_list_views.sql");
const LIST_FUNCTIONS: &str = include_str!("recorded/psql_list_functions.sql");
const LIST_SCHEMAS: &str = include_str!("recorded/psql_list_schemas.sql");
const LIST_ROLES: &str = include_str!("recorded/psql_list_roles.sql");
const LIST_PRIVILEGES: &str = include_str!("recorded/psql_list_privileges.sql");

#[tokio::test]
async fn psql_more_queries_route_to_the_emulation() {
    for sql in [
        LOOKUP,
        TABLE_INFO,
        COLUMNS,
        COLUMNS_VERBOSE,
        INDEXES,
        CHECKS,
        FOREIGN_KEYS,
        REFERENCED_BY,
        POLICIES,
        STATISTICS,
        PUBLICATIONS,
        INHERITS,
        CHILD_TABLES,
        LIST_VIEWS,
        LIST_FUNCTIONS,
        LIST_SCHEMAS,
        LIST_ROLES,
        LIST_PRIVILEGES,
    ] {
        assert_eq!(route(&recorded(sql).replace(RECORDED_OID, "1")), CatalogRoute::Catalog, "{sql}");
    }
}

#[tokio::test]
async fn psql_describe_table_info() {
    // relchecks, relkind, relhasindex, relhasrules, relhastriggers, relrowsecurity,
    // relforcerowsecurity, relhasoids, relispartition, reloptions, reltablespace, reloftype,
    // relpersistence, relreplident, amname. relhasindex decides whether "Indexes:" is asked
    // for; relhastriggers whether the foreign-key queries are.
    // psql reads reloftype and amname with PQgetvalue (NULL reads as ''), and prints the access
    // method only for \d+: fields 11 and 14 are checked on their own below.
    let (_, rows) = describe(TABLE_INFO).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let f: Vec<&str> = rows[0].split('|').collect();
    assert_eq!(f.len(), 15, "{rows:?}");
    assert_eq!([&f[..11], &f[12..14]].concat().join("|"), "0|r|true|false|false|false|false|false|false||0|p|d", "{rows:?}");
}

#[tokio::test]
async fn psql_describe_table_info_as_postgresql() {
    let (_, rows) = describe(TABLE_INFO).await;
    assert_eq!(rows, ["0|r|true|false|false|false|false|false|false||0||p|d|heap"]);
}

#[tokio::test]
async fn psql_describe_columns() {
    // attname, type, default, attnotnull, collation (only when not the type's), attidentity,
    // attgenerated ('' = none).
    let (_, rows) = describe(COLUMNS).await;
    assert_eq!(
        rows,
        [
            "order_id|bigint|NULL|true|NULL||",
            "product|character varying(20)|NULL|false|NULL||",
            "amount|numeric(10,2)|NULL|false|NULL||",
            "ts|timestamp(3) without time zone|NULL|false|NULL||"
        ]
    );
}

#[tokio::test]
async fn psql_describe_columns_verbose_with_comments() {
    // … plus attstorage, attcompression ('' = default), attstattarget (NULL = default),
    // col_description.
    // attcompression: PostgreSQL has '' ("char" 0); psql reads NULL the same way.
    let (_, rows) = describe(COLUMNS_VERBOSE).await;
    let rows: Vec<String> = rows
        .into_iter()
        .map(|r| {
            let mut f: Vec<&str> = r.split('|').collect();
            if f.len() == 11 && f[8] == "NULL" {
                f[8] = "";
            }
            f.join("|")
        })
        .collect();
    assert_eq!(
        rows,
        [
            "order_id|bigint|NULL|true|NULL|||p||NULL|NULL",
            "product|character varying(20)|NULL|false|NULL|||x||NULL|what was sold",
            "amount|numeric(10,2)|NULL|false|NULL|||m||NULL|NULL",
            "ts|timestamp(3) without time zone|NULL|false|NULL|||p||NULL|NULL"
        ]
    );
}

#[tokio::test]
async fn psql_describe_indexes() {
    // "Indexes:\n    \"orders_pkey\" PRIMARY KEY, btree (order_id)": psql prints what follows
    // " USING " in pg_get_indexdef.
    let (_, rows) = describe(INDEXES).await;
    assert_eq!(
        rows,
        ["orders_pkey|true|true|false|true|CREATE UNIQUE INDEX orders_pkey ON default_database.orders USING btree (order_id)|PRIMARY KEY (order_id)|p|false|false|false|0"]
    );
}

#[tokio::test]
async fn psql_describe_constraint_footers_are_empty() {
    // No check or foreign-key constraints in Flink: the footers stay away.
    assert_eq!(describe(CHECKS).await.1, Vec::<String>::new());
    assert_eq!(describe(FOREIGN_KEYS).await.1, Vec::<String>::new());
}

#[tokio::test]
async fn psql_describe_referenced_by_is_empty() {
    assert_eq!(describe(REFERENCED_BY).await.1, Vec::<String>::new());
}

#[tokio::test]
async fn psql_describe_policies_and_statistics_are_empty() {
    assert_eq!(describe(POLICIES).await.1, Vec::<String>::new());
    assert_eq!(describe(STATISTICS).await.1, Vec::<String>::new());
}

#[tokio::test]
async fn psql_describe_publications_are_empty() {
    assert_eq!(describe(PUBLICATIONS).await.1, Vec::<String>::new());
}

#[tokio::test]
async fn psql_describe_inherits_and_children_are_empty() {
    assert_eq!(describe(INHERITS).await.1, Vec::<String>::new());
    assert_eq!(describe(CHILD_TABLES).await.1, Vec::<String>::new());
}

#[tokio::test]
async fn psql_list_views() {
    let rows = run(recorded(LIST_VIEWS)).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].starts_with("default_database|big_orders|view|"), "{rows:?}");
}

#[tokio::test]
async fn psql_list_functions_is_empty() {
    // Only functions outside pg_catalog / information_schema: Flink's functions are not
    // in pg_proc.
    assert_eq!(run(recorded(LIST_FUNCTIONS)).await, Vec::<String>::new());
}

#[tokio::test]
async fn psql_list_schemas() {
    let rows = run(recorded(LIST_SCHEMAS)).await;
    let names: Vec<&str> = rows.iter().map(|r| r.split('|').next().unwrap()).collect();
    assert!(names.contains(&"default_database") && names.contains(&"sales"), "{rows:?}");
    assert!(!names.iter().any(|n| n.starts_with("pg_") || *n == "information_schema"), "{rows:?}");
    assert!(rows.iter().all(|r| r.split('|').nth(1).is_some_and(|o| !o.is_empty() && o != "NULL")), "owner: {rows:?}");
}

#[tokio::test]
async fn psql_list_roles_shows_the_connected_user() {
    // rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolconnlimit,
    // rolvaliduntil, memberof (ARRAY(subquery): `{}`), rolreplication, rolbypassrls.
    assert_eq!(run(recorded(LIST_ROLES)).await, ["alice|false|true|false|false|true|-1|NULL|[]|false|NULL"]);
}

#[tokio::test]
async fn psql_list_privileges_has_no_acls() {
    // Schema, Name, Type, Access privileges, Column privileges (ARRAY(subquery) over
    // pg_attribute: '' as no column has an ACL), Policies ('').
    let rows = run(recorded(LIST_PRIVILEGES)).await;
    assert!(rows.contains(&"default_database|orders|table|NULL||".to_string()), "{rows:?}");
    assert!(rows.contains(&"default_database|big_orders|view|NULL||".to_string()), "{rows:?}");
}

