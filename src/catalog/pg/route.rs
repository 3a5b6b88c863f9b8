//! Which queries the catalog emulation answers: those that read only `pg_catalog` /
//! `information_schema` relations, or no relation at all but call a client function
//! (`version()`, `current_schema()`, `format_type()`, `'t'::regclass`…). A query that reads
//! system relations *and* Flink tables cannot be answered by either side (0A000).

use std::collections::HashSet;
use std::ops::ControlFlow;

use sqlparser::ast::{DataType, Expr, ObjectName, Query, Statement, Visit, Visitor};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// Where a statement goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogRoute {
    /// Answered by the emulation.
    Catalog,
    /// Sent to Flink.
    Flink,
    /// Reads both: rejected; the string names a Flink table it reads.
    Mixed(String),
}

/// Table-valued helpers that belong to neither side.
const NEUTRAL_RELATIONS: &[&str] = &["generate_series", "unnest", "generate_subscripts"];

/// Functions only the emulation knows (besides every `pg_*` function).
const CLIENT_FUNCTIONS: &[&str] = &[
    "version",
    "current_database",
    "current_catalog",
    "current_schema",
    "current_schemas",
    "current_user",
    "session_user",
    "current_role",
    "current_setting",
    "set_config",
    "format_type",
    "obj_description",
    "col_description",
    "shobj_description",
    "quote_ident",
    "has_table_privilege",
    "has_schema_privilege",
    "has_database_privilege",
    "has_any_column_privilege",
    "has_column_privilege",
    "has_function_privilege",
    "array_upper",
    "array_lower",
    "inet_server_addr",
    "inet_server_port",
    "to_regtype",
    "to_regclass",
];

/// PostgreSQL types that exist only in the catalogs (`'t'::regclass`).
const CATALOG_TYPES: &[&str] = &["regclass", "regtype", "regproc", "regprocedure", "regnamespace", "regrole", "regoper", "oid", "name"];

/// Decides where a query goes (see the module doc). Statements other than queries go to Flink.
pub fn route(sql: &str) -> CatalogRoute {
    let words = crate::router::leading_words(sql, 1);
    if !matches!(words.first().map(String::as_str), Some("SELECT" | "WITH")) {
        return CatalogRoute::Flink;
    }
    let Ok(statements) = Parser::parse_sql(&PostgreSqlDialect {}, sql) else {
        // Not PostgreSQL: a system catalog name still means the emulation's error is the
        // more useful one.
        let lower = sql.to_ascii_lowercase();
        return if lower.contains("pg_catalog.") || lower.contains("information_schema.") {
            CatalogRoute::Catalog
        } else {
            CatalogRoute::Flink
        };
    };
    let [Statement::Query(_)] = statements.as_slice() else { return CatalogRoute::Flink };
    let mut finder = Finder::default();
    let _ = statements[0].visit(&mut finder);
    match (finder.system, finder.flink.first()) {
        (true, Some(flink)) => CatalogRoute::Mixed(flink.clone()),
        (true, None) => CatalogRoute::Catalog,
        (false, Some(_)) => CatalogRoute::Flink,
        (false, None) if finder.client_function => CatalogRoute::Catalog,
        (false, None) => CatalogRoute::Flink,
    }
}

#[derive(Default)]
struct Finder {
    ctes: HashSet<String>,
    system: bool,
    flink: Vec<String>,
    client_function: bool,
}

fn parts(name: &ObjectName) -> Vec<String> {
    name.0.iter().filter_map(|p| p.as_ident().map(|i| i.value.to_ascii_lowercase())).collect()
}

/// A name in `pg_catalog` (schema-qualified, or a bare `pg_*` name: pg_catalog is always first
/// on PostgreSQL's search path) or `information_schema`.
fn is_system_relation(parts: &[String]) -> bool {
    match parts {
        [name] => name.starts_with("pg_"),
        [.., schema, _] => schema == "pg_catalog" || schema == "information_schema",
        [] => false,
    }
}

impl Visitor for Finder {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                self.ctes.insert(cte.alias.name.value.to_ascii_lowercase());
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        let parts = parts(relation);
        match parts.as_slice() {
            [name] if self.ctes.contains(name) || NEUTRAL_RELATIONS.contains(&name.as_str()) => {}
            p if is_system_relation(p) => self.system = true,
            _ => self.flink.push(relation.to_string()),
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        match expr {
            Expr::Function(f) => {
                let parts = parts(&f.name);
                let client = match parts.as_slice() {
                    [name] | [_, name] => name.starts_with("pg_") || CLIENT_FUNCTIONS.contains(&name.as_str()),
                    _ => false,
                };
                self.client_function |= client;
            }
            Expr::Cast { data_type: DataType::Custom(name, _), .. } => {
                if parts(name).last().is_some_and(|t| CATALOG_TYPES.contains(&t.as_str())) {
                    self.client_function = true;
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_relations_and_functions() {
        assert_eq!(route("SELECT 1"), CatalogRoute::Flink);
        assert_eq!(route("SELECT * FROM orders"), CatalogRoute::Flink);
        assert_eq!(route("SELECT version()"), CatalogRoute::Catalog);
        assert_eq!(route("select current_schema()"), CatalogRoute::Catalog);
        assert_eq!(route("SELECT 'orders'::regclass::oid"), CatalogRoute::Catalog);
        assert_eq!(route("SELECT n.nspname FROM pg_catalog.pg_namespace n"), CatalogRoute::Catalog);
        assert_eq!(route("SELECT * FROM pg_type WHERE oid = 23"), CatalogRoute::Catalog);
        assert_eq!(route("SELECT table_name FROM information_schema.tables"), CatalogRoute::Catalog);
        assert_eq!(
            route("WITH t AS (SELECT oid FROM pg_class) SELECT * FROM t"),
            CatalogRoute::Catalog
        );
        assert_eq!(
            route("SELECT * FROM orders o JOIN pg_catalog.pg_class c ON c.relname = o.name"),
            CatalogRoute::Mixed("orders".into())
        );
        assert_eq!(route("INSERT INTO t SELECT * FROM pg_class"), CatalogRoute::Flink);
        assert_eq!(route("SELECT `a` FROM `t`"), CatalogRoute::Flink);
        assert_eq!(route("SELECT * FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTES))"), CatalogRoute::Flink);
    }
}
