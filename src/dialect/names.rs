//! Result column names as PostgreSQL gives them. DataFusion names an unaliased column after its
//! whole expression (`current_database()`, `NULL`) and refuses two alike (psqlODBC's SQLTables:
//! `select NULL, nspname, NULL …`); PostgreSQL names it after the function, the cast type or
//! `?column?`, duplicates allowed.
//!
//! [`name_columns`] aliases every unaliased expression of the outermost select list with a
//! unique placeholder before planning and returns PostgreSQL's names; [`output_name`] turns a
//! planned column name back into the client's.

use sqlparser::ast::{Expr, Ident, Query, SelectItem, SetExpr, Statement};

/// Prefix of the placeholder aliases; the position follows.
const PLACEHOLDER: &str = "__flinkwire_column_";
/// datafusion-pg-catalog's alias for a column that `*` repeats (`SELECT c.oid, c.*`).
const CRATE_ALIAS: &str = "__alias_";

/// PostgreSQL's names of the outermost select list of `statement` (before any rewrite), by
/// position; `None` where the item keeps its own name (a column, an alias, a wildcard).
pub fn postgres_names(statement: &Statement) -> Vec<Option<String>> {
    let Some(items) = outer_items(statement) else { return vec![] };
    items
        .iter()
        .map(|item| match item {
            SelectItem::UnnamedExpr(e) if !is_column(e) => Some(figure_name(e).unwrap_or("?column?").to_owned()),
            _ => None,
        })
        .collect()
}

/// Aliases the items `names` names with placeholders (when the rewritten select list still has
/// as many items).
pub fn name_columns(statement: &mut Statement, names: &[Option<String>]) {
    let Some(items) = outer_items_mut(statement) else { return };
    if items.len() != names.len() {
        return;
    }
    for (i, (item, name)) in items.iter_mut().zip(names).enumerate() {
        if name.is_none() {
            continue;
        }
        if let SelectItem::UnnamedExpr(e) = item {
            let expr = std::mem::replace(e, Expr::value(sqlparser::ast::Value::Null));
            *item = SelectItem::ExprWithAlias { expr, alias: Ident::new(format!("{PLACEHOLDER}{i}")) };
        }
    }
}

/// The name a client sees for a planned column.
pub fn output_name(planned: &str, names: &[Option<String>]) -> String {
    if let Some(i) = planned.strip_prefix(PLACEHOLDER).and_then(|i| i.parse::<usize>().ok()) {
        if let Some(Some(name)) = names.get(i) {
            return name.clone();
        }
    }
    planned.strip_prefix(CRATE_ALIAS).unwrap_or(planned).to_owned()
}

fn outer_items(statement: &Statement) -> Option<&Vec<SelectItem>> {
    let Statement::Query(query) = statement else { return None };
    let mut body = query.body.as_ref();
    loop {
        match body {
            SetExpr::Select(select) => return Some(&select.projection),
            SetExpr::SetOperation { left, .. } => body = left,
            SetExpr::Query(q) => body = q.body.as_ref(),
            _ => return None,
        }
    }
}

fn outer_items_mut(statement: &mut Statement) -> Option<&mut Vec<SelectItem>> {
    let Statement::Query(query) = statement else { return None };
    let mut body = query.body.as_mut();
    loop {
        match body {
            SetExpr::Select(select) => return Some(&mut select.projection),
            SetExpr::SetOperation { left, .. } => body = left,
            SetExpr::Query(q) => body = q.body.as_mut(),
            _ => return None,
        }
    }
}

fn is_column(e: &Expr) -> bool {
    matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
}

/// PostgreSQL's `FigureColname`: a column's name, a function's, a cast's type, `case`…
fn figure_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Identifier(i) => Some(i.value.as_str()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.as_str()),
        Expr::Function(f) => f.name.0.last().and_then(|p| p.as_ident()).map(|i| i.value.as_str()),
        Expr::Cast { expr, data_type, .. } => figure_name(expr).or_else(|| cast_type_name(data_type)),
        Expr::Nested(inner) => figure_name(inner),
        // `i.indkey[0]` is named `indkey`.
        Expr::CompoundFieldAccess { root, access_chain } => match access_chain.iter().rev().find_map(|a| match a {
            sqlparser::ast::AccessExpr::Dot(field) => Some(field),
            _ => None,
        }) {
            Some(field) => figure_name(field),
            None => figure_name(root),
        },
        Expr::Case { .. } => Some("case"),
        Expr::Exists { .. } => Some("exists"),
        Expr::Array(_) => Some("array"),
        Expr::Subquery(q) => subquery_name(q),
        _ => None,
    }
}

fn subquery_name(query: &Query) -> Option<&str> {
    let SetExpr::Select(select) = query.body.as_ref() else { return None };
    match select.projection.first()? {
        SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.as_str()),
        SelectItem::UnnamedExpr(e) => figure_name(e),
        _ => None,
    }
}

/// The internal name of a cast's type (`::integer` → `int4`, `::varchar(20)` → `varchar`), as
/// PostgreSQL reports it.
fn cast_type_name(ty: &sqlparser::ast::DataType) -> Option<&'static str> {
    let text = ty.to_string();
    super::functions::internal_type_name(text.split('(').next().unwrap_or(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(sql: &str) -> Statement {
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, sql).unwrap().remove(0)
    }

    #[test]
    fn names_follow_postgres() {
        let s = parse(
            "SELECT NULL, nspname, n.oid, current_database(), 'x'::text, a::int, CASE WHEN 1 = 1 THEN 1 END, 1 AS one, n.*, \
             'y'::character varying(3), 'z'::pg_catalog.regclass, 2::double precision FROM n",
        );
        let names = postgres_names(&s);
        let want = [
            Some("?column?"),
            None,
            None,
            Some("current_database"),
            Some("text"),
            Some("a"),
            Some("case"),
            None,
            None,
            Some("varchar"),
            Some("regclass"),
            Some("float8"),
        ];
        assert_eq!(names, want.map(|n| n.map(str::to_owned)));
    }

    #[test]
    fn placeholders_keep_duplicates_apart_and_come_back() {
        let mut s = parse("SELECT NULL, nspname, NULL FROM n UNION ALL SELECT 1, 2, 3");
        let names = postgres_names(&s);
        name_columns(&mut s, &names);
        assert_eq!(
            s.to_string(),
            "SELECT NULL AS __flinkwire_column_0, nspname, NULL AS __flinkwire_column_2 FROM n UNION ALL SELECT 1, 2, 3"
        );
        assert_eq!(output_name("__flinkwire_column_2", &names), "?column?");
        assert_eq!(output_name("nspname", &names), "nspname");
        assert_eq!(output_name("__alias_oid", &names), "oid");
    }
}
