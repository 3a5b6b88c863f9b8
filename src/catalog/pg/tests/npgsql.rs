//! Npgsql's type loading (`PostgresDatabaseInfo.LoadBackendTypes`, what Power BI runs on every
//! new connection pool), with the query text Npgsql builds for a server reporting 16. The three
//! queries travel in one simple-query batch after `SELECT version();`; each is answered here on
//! its own. The rows are fed to a copy of Npgsql's loader loop, which skips an array, range,
//! multirange or domain whose element it has not seen in an earlier row, and throws on an
//! unknown `typtype`.

use std::collections::HashMap;

use super::*;

const LOAD_TYPES: &str = include_str!("recorded/npgsql_load_types.sql");
const LOAD_COMPOSITES: &str = include_str!("recorded/npgsql_load_composite_fields.sql");
const LOAD_ENUMS: &str = include_str!("recorded/npgsql_load_enum_fields.sql");

/// What Npgsql's loader keeps of one row: (schema, name, kind, element OID).
#[derive(Debug, Clone, PartialEq)]
struct Loaded {
    schema: String,
    name: String,
    kind: char,
    elem: Option<u32>,
}

/// Npgsql's loop over the type rows (`nspname, oid, typname, typtype, typnotnull, elemtypoid`):
/// the types it ends up knowing by OID, or the error it would throw.
fn npgsql_load(rows: &[String]) -> Result<HashMap<u32, Loaded>, String> {
    let mut by_oid: HashMap<u32, Loaded> = HashMap::new();
    for row in rows {
        let f: Vec<&str> = row.split('|').collect();
        if f.len() != 6 {
            return Err(format!("expected 6 columns: {row}"));
        }
        let oid: u32 = f[1].parse().map_err(|e| format!("oid {:?}: {e} in {row}", f[1]))?;
        if oid == 0 {
            return Err(format!("oid 0 in {row}"));
        }
        let kind = f[3].chars().next().ok_or_else(|| format!("empty typtype in {row}"))?;
        if f[3].chars().count() != 1 {
            return Err(format!("typtype {:?} is not one character in {row}", f[3]));
        }
        // typnotnull: Npgsql reads the first character and compares with 't'.
        if !matches!(f[4], "true" | "false" | "t" | "f") {
            return Err(format!("typnotnull {:?} in {row}", f[4]));
        }
        let elem = if f[5] == "NULL" { None } else { Some(f[5].parse::<u32>().map_err(|e| format!("elemtypoid {:?}: {e}", f[5]))?) };
        let loaded = Loaded { schema: f[0].into(), name: f[2].into(), kind, elem };
        match kind {
            'b' | 'e' | 'c' | 'p' => {}
            'a' | 'r' | 'd' => match elem {
                Some(e) if by_oid.contains_key(&e) => {}
                _ => continue, // "refers to unknown element …, skipping"
            },
            'm' => match elem.and_then(|e| by_oid.get(&e)) {
                Some(range) if range.kind == 'r' => {}
                _ => continue,
            },
            other => return Err(format!("Unknown typtype for type '{}' in pg_type: {other}", f[2])),
        }
        by_oid.insert(oid, loaded);
    }
    Ok(by_oid)
}

#[tokio::test]
async fn npgsql_queries_route_to_the_emulation() {
    // Two of the three begin with a `--` comment line.
    for sql in [recorded(LOAD_TYPES), recorded(LOAD_COMPOSITES), recorded(LOAD_ENUMS)] {
        assert_eq!(route(sql), CatalogRoute::Catalog, "{sql}");
    }
}

#[tokio::test]
async fn npgsql_load_types_finds_the_mapped_base_types_and_their_arrays() {
    let rows = run(recorded(LOAD_TYPES)).await;
    let types = npgsql_load(&rows).unwrap_or_else(|e| panic!("{e}\n{rows:#?}"));
    // (OID, name, array OID, array name): the types Npgsql maps for the values Flink returns.
    let expected = [
        (16, "bool", 1000, "_bool"),
        (17, "bytea", 1001, "_bytea"),
        (18, "char", 1002, "_char"),
        (20, "int8", 1016, "_int8"),
        (21, "int2", 1005, "_int2"),
        (23, "int4", 1007, "_int4"),
        (25, "text", 1009, "_text"),
        (26, "oid", 1028, "_oid"),
        (114, "json", 199, "_json"),
        (700, "float4", 1021, "_float4"),
        (701, "float8", 1022, "_float8"),
        (1042, "bpchar", 1014, "_bpchar"),
        (1043, "varchar", 1015, "_varchar"),
        (1082, "date", 1182, "_date"),
        (1083, "time", 1183, "_time"),
        (1114, "timestamp", 1115, "_timestamp"),
        (1184, "timestamptz", 1185, "_timestamptz"),
        (1186, "interval", 1187, "_interval"),
        (1700, "numeric", 1231, "_numeric"),
        (2950, "uuid", 2951, "_uuid"),
        (3802, "jsonb", 3807, "_jsonb"),
    ];
    let mut missing = Vec::new();
    for (oid, name, array_oid, array_name) in expected {
        let base = Loaded { schema: "pg_catalog".into(), name: name.into(), kind: 'b', elem: None };
        if types.get(&oid) != Some(&base) {
            missing.push(format!("{oid} {name}: {:?}", types.get(&oid)));
        }
        let array = Loaded { schema: "pg_catalog".into(), name: array_name.into(), kind: 'a', elem: Some(oid) };
        if types.get(&array_oid) != Some(&array) {
            missing.push(format!("{array_oid} {array_name}: {:?}", types.get(&array_oid)));
        }
    }
    assert!(missing.is_empty(), "not loaded as PostgreSQL has them: {missing:#?}\nrows: {rows:#?}");
    // The pseudo-types Npgsql asks for, as base types.
    for (oid, name) in [(2249, "record"), (2278, "void")] {
        assert_eq!(types.get(&oid).map(|t| (t.name.as_str(), t.kind)), Some((name, 'p')), "{rows:#?}");
    }
    // Table row types are not free-standing composites: left out by `relkind='c'`.
    assert!(!types.values().any(|t| t.name == "orders" || t.name == "_orders"), "{rows:#?}");
}

#[tokio::test]
async fn npgsql_load_types_finds_ranges_and_multiranges() {
    let rows = run(recorded(LOAD_TYPES)).await;
    let types = npgsql_load(&rows).unwrap_or_else(|e| panic!("{e}\n{rows:#?}"));
    // (range OID, name, subtype, multirange OID, name) as in PostgreSQL 16's pg_range.
    let expected = [
        (3904, "int4range", 23, 4451, "int4multirange"),
        (3926, "int8range", 20, 4536, "int8multirange"),
        (3906, "numrange", 1700, 4532, "nummultirange"),
        (3908, "tsrange", 1114, 4533, "tsmultirange"),
        (3910, "tstzrange", 1184, 4534, "tstzmultirange"),
        (3912, "daterange", 1082, 4535, "datemultirange"),
    ];
    for (oid, name, subtype, multi_oid, multi_name) in expected {
        assert_eq!(
            types.get(&oid),
            Some(&Loaded { schema: "pg_catalog".into(), name: name.into(), kind: 'r', elem: Some(subtype) }),
            "{rows:#?}"
        );
        assert_eq!(
            types.get(&multi_oid),
            Some(&Loaded { schema: "pg_catalog".into(), name: multi_name.into(), kind: 'm', elem: Some(oid) }),
            "{rows:#?}"
        );
    }
}

#[tokio::test]
async fn npgsql_load_composite_and_enum_fields_are_empty() {
    // No free-standing composite types (tables are relkind 'r'/'v') and no enums in Flink.
    assert_eq!(run(recorded(LOAD_COMPOSITES)).await, Vec::<String>::new());
    assert_eq!(run(recorded(LOAD_ENUMS)).await, Vec::<String>::new());
}
