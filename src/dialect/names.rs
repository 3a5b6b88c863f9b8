//! Result column names as PostgreSQL gives them.
//!
//! PostgreSQL names an unaliased expression after the function, the cast type or `?column?`
//! (its `FigureColname`), duplicates allowed. The engines behind flinkwire do not:
//! - DataFusion (the catalog emulation) names it after the whole expression
//!   (`current_database()`, `NULL`) and refuses two alike (psqlODBC's SQLTables: `select NULL,
//!   nspname, NULL …`). [`name_columns`] aliases every unaliased expression of the outermost
//!   select list with a unique placeholder before planning; [`output_name`] turns a planned
//!   column name back into the client's.
//! - Flink names it `EXPR$<position>` (`SELECT customer, SUM(amount)` → `customer`, `EXPR$1`).
//!   [`ResultNames`] renames those, and only those, in the RowDescription: a name the user chose
//!   (an alias, a column) stays Flink's, and the SQL sent to Flink is not touched.

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
            SelectItem::UnnamedExpr(e) if !is_column(e) => Some(figure_name(e).unwrap_or_else(|| "?column?".into())),
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

/// PostgreSQL's names for the columns of a Flink query, by select-list item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultNames {
    items: Vec<ItemName>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ItemName {
    /// An unaliased expression: PostgreSQL's name for it.
    Figured(String),
    /// A column or an alias: the name Flink gives is the user's.
    Own,
    /// `*`, `t.*`: any number of columns.
    Wildcard,
}

impl ResultNames {
    /// The names for a query as the client wrote it (before translation); `None` when the
    /// PostgreSQL parser does not take it (native Flink SQL with backticks, window TVFs…) or no
    /// item needs a name.
    pub fn of(sql: &str) -> Option<Self> {
        let words = crate::router::leading_words(sql, 1);
        if !matches!(words.first().map(String::as_str), Some("SELECT" | "WITH" | "VALUES" | "TABLE")) {
            return None;
        }
        let mut statements = sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, sql).ok()?;
        if statements.len() != 1 {
            return None;
        }
        let statement = statements.remove(0);
        let items: Vec<ItemName> = outer_items(&statement)?
            .iter()
            .map(|item| match item {
                SelectItem::UnnamedExpr(e) if !is_column(e) => {
                    ItemName::Figured(figure_name(e).unwrap_or_else(|| "?column?".into()))
                }
                SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => ItemName::Wildcard,
                _ => ItemName::Own,
            })
            .collect();
        items.iter().any(|i| matches!(i, ItemName::Figured(_))).then_some(Self { items })
    }

    /// The name to show for result column `position` of `columns`, which Flink named `flink`;
    /// `None` to keep Flink's. Only Flink's generated names (`EXPR$n`) are replaced; items are
    /// matched to columns from the left up to the first `*` and from the right after the last.
    pub fn rename(&self, position: usize, columns: usize, flink: &str) -> Option<String> {
        if !is_generated(flink) {
            return None;
        }
        let first_wildcard = self.items.iter().position(|i| *i == ItemName::Wildcard);
        let item = match first_wildcard {
            None if columns == self.items.len() => self.items.get(position),
            None => None,
            Some(w) if position < w => self.items.get(position),
            Some(_) => {
                let last_wildcard = self.items.iter().rposition(|i| *i == ItemName::Wildcard)?;
                let from_right = columns.checked_sub(position)?;
                let index = self.items.len().checked_sub(from_right)?;
                (index > last_wildcard).then(|| self.items.get(index)).flatten()
            }
        };
        match item? {
            ItemName::Figured(name) => Some(name.clone()),
            _ => None,
        }
    }
}

/// Calcite's name for an unaliased expression: `EXPR$` and its position.
fn is_generated(name: &str) -> bool {
    name.strip_prefix("EXPR$").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
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

/// PostgreSQL's `FigureColname`: a column's name, a function's (folded to lower case unless
/// quoted, as PostgreSQL folds it), a cast's type, `case`…
fn figure_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Identifier(i) => Some(i.value.clone()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.clone()),
        Expr::Function(f) => f.name.0.last().and_then(|p| p.as_ident()).map(|i| match i.quote_style {
            None => i.value.to_lowercase(),
            Some(_) => i.value.clone(),
        }),
        Expr::Cast { expr, data_type, .. } => figure_name(expr).or_else(|| cast_type_name(data_type).map(str::to_owned)),
        Expr::Nested(inner) => figure_name(inner),
        // `i.indkey[0]` is named `indkey`.
        Expr::CompoundFieldAccess { root, access_chain } => match access_chain.iter().rev().find_map(|a| match a {
            sqlparser::ast::AccessExpr::Dot(field) => Some(field),
            _ => None,
        }) {
            Some(field) => figure_name(field),
            None => figure_name(root),
        },
        Expr::Case { .. } => Some("case".into()),
        Expr::Exists { .. } => Some("exists".into()),
        Expr::Array(_) => Some("array".into()),
        Expr::Subquery(q) => subquery_name(q),
        // Special forms PostgreSQL names after their keyword.
        Expr::Extract { .. } => Some("extract".into()),
        Expr::Position { .. } => Some("position".into()),
        Expr::Substring { .. } => Some("substring".into()),
        Expr::Trim { .. } => Some("btrim".into()),
        Expr::Ceil { .. } => Some("ceil".into()),
        Expr::Floor { .. } => Some("floor".into()),
        Expr::TypedString(ts) => cast_type_name(&ts.data_type).map(str::to_owned),
        _ => None,
    }
}

fn subquery_name(query: &Query) -> Option<String> {
    let SetExpr::Select(select) = query.body.as_ref() else { return None };
    match select.projection.first()? {
        SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
        SelectItem::UnnamedExpr(e) => figure_name(e),
        _ => None,
    }
}

/// The internal name of a cast's type (`::integer` → `int4`, `::varchar(20)` → `varchar`), as
/// PostgreSQL reports it.
fn cast_type_name(ty: &sqlparser::ast::DataType) -> Option<&'static str> {
    let text = ty.to_string();
    crate::catalog::pg::functions::internal_type_name(text.split('(').next().unwrap_or(&text))
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

    fn flink_names(sql: &str, flink: &[&str]) -> Vec<String> {
        let names = ResultNames::of(sql);
        flink
            .iter()
            .enumerate()
            .map(|(i, f)| names.as_ref().and_then(|n| n.rename(i, flink.len(), f)).unwrap_or_else(|| f.to_string()))
            .collect()
    }

    #[test]
    fn flink_generated_names_become_postgres_names() {
        assert_eq!(
            flink_names("SELECT customer, SUM(amount), COUNT(*), a + b, max(x) AS m FROM orders GROUP BY customer", &["customer", "EXPR$1", "EXPR$2", "EXPR$3", "m"]),
            ["customer", "sum", "count", "?column?", "m"]
        );
        assert_eq!(
            flink_names("SELECT COALESCE(a, 0), CAST(a AS INT), a::text, CASE WHEN a THEN 1 END, EXTRACT(YEAR FROM ts), \"Upper\"(x) FROM t", &["EXPR$0", "EXPR$1", "EXPR$2", "EXPR$3", "EXPR$4", "EXPR$5"]),
            ["coalesce", "a", "a", "case", "extract", "Upper"]
        );
        // A name the user chose stays, even one that looks generated.
        assert_eq!(flink_names(r#"SELECT 1 AS "EXPR$0", 2"#, &["EXPR$0", "EXPR$1"]), ["EXPR$0", "?column?"]);
    }

    #[test]
    fn wildcards_match_from_both_ends() {
        assert_eq!(flink_names("SELECT 1, *, 2 FROM t", &["EXPR$0", "a", "b", "EXPR$3"]), ["?column?", "a", "b", "?column?"]);
        assert_eq!(flink_names("SELECT *, count(*) OVER () FROM t", &["a", "EXPR$1"]), ["a", "count"]);
        // Between two wildcards nothing can be placed.
        assert_eq!(flink_names("SELECT t.*, 1, s.* FROM t, s", &["a", "EXPR$1", "b"]), ["a", "EXPR$1", "b"]);
    }

    #[test]
    fn native_flink_keeps_its_names() {
        assert_eq!(flink_names("SELECT SUM(`amount`) FROM `orders`", &["EXPR$0"]), ["EXPR$0"]);
        assert_eq!(flink_names("SHOW TABLES", &["table name"]), ["table name"]);
        // A different number of columns than items (no wildcard): the mapping is unknown.
        assert_eq!(flink_names("SELECT SUM(a) FROM t", &["EXPR$0", "EXPR$1"]), ["EXPR$0", "EXPR$1"]);
    }
}
