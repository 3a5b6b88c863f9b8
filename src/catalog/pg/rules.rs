//! Rewrites of client SQL that DataFusion cannot plan, applied after datafusion-pg-catalog's own
//! rules. Each rule names the client that needs it.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Statement, Value, VisitMut, VisitorMut};

/// Applies every rule.
pub fn rewrite(statement: &mut Statement) {
    let _ = statement.visit(&mut Rules);
}

struct Rules;

impl VisitorMut for Rules {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Like { pattern, escape_char, .. } | Expr::ILike { pattern, escape_char, .. } = expr {
            like_escape(pattern, escape_char);
        }
        if let Expr::Subquery(query) = expr {
            aggregate_scalar_subquery(query);
        }
        ControlFlow::Continue(())
    }
}

/// `(SELECT x FROM t WHERE <correlated>)` → `(SELECT max(x) FROM t WHERE …)`: DataFusion plans a
/// correlated scalar subquery only if it is aggregated (SQLAlchemy's column reflection, PgJDBC's
/// getTypeInfo). A scalar subquery returns at most one row in PostgreSQL (else it is an error),
/// so `max` changes nothing.
fn aggregate_scalar_subquery(query: &mut sqlparser::ast::Query) {
    use sqlparser::ast::{SelectItem, SetExpr};
    if query.limit_clause.is_some() || query.order_by.is_some() {
        return;
    }
    let SetExpr::Select(select) = query.body.as_mut() else { return };
    let no_group = matches!(&select.group_by, sqlparser::ast::GroupByExpr::Expressions(e, _) if e.is_empty());
    if !no_group || select.having.is_some() || select.distinct.is_some() || select.projection.len() != 1 {
        return;
    }
    let expr = match &mut select.projection[0] {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
        _ => return,
    };
    if let Expr::Function(f) = expr {
        let name = f.name.to_string().to_ascii_lowercase();
        if matches!(name.as_str(), "count" | "max" | "min" | "sum" | "avg" | "array_agg" | "string_agg" | "bool_and" | "bool_or" | "json_agg" | "every") {
            return;
        }
    }
    if matches!(expr, Expr::Value(_)) {
        return;
    }
    let inner = std::mem::replace(expr, Expr::value(Value::Null));
    *expr = Expr::Function(sqlparser::ast::Function {
        name: sqlparser::ast::ObjectName::from(vec![sqlparser::ast::Ident::new("max")]),
        uses_odbc_syntax: false,
        parameters: sqlparser::ast::FunctionArguments::None,
        args: sqlparser::ast::FunctionArguments::List(sqlparser::ast::FunctionArgumentList {
            duplicate_treatment: None,
            args: vec![sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(inner))],
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    });
}

/// `LIKE 'pg/_%' ESCAPE '/'` (SQLAlchemy's schema listing) → `LIKE 'pg\_%'`: DataFusion knows
/// only the backslash as escape character. The literals of the pattern are re-escaped.
fn like_escape(pattern: &mut Expr, escape_char: &mut Option<sqlparser::ast::ValueWithSpan>) {
    let Some(escape) = escape_char.as_ref().and_then(|e| match &e.value {
        Value::SingleQuotedString(s) if s.chars().count() == 1 => s.chars().next(),
        _ => None,
    }) else {
        return;
    };
    if escape == '\\' {
        return;
    }
    let _ = sqlparser::ast::visit_expressions_mut(pattern, |e| {
        if let Expr::Value(v) = e {
            if let Value::SingleQuotedString(s) = &mut v.value {
                let mut out = String::with_capacity(s.len());
                let mut chars = s.chars();
                while let Some(c) = chars.next() {
                    if c == escape {
                        out.push('\\');
                        out.extend(chars.next());
                    } else if c == '\\' {
                        out.push_str("\\\\");
                    } else {
                        out.push(c);
                    }
                }
                *s = out;
            }
        }
        ControlFlow::<()>::Continue(())
    });
    *escape_char = None;
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_escape_becomes_backslash() {
        let mut s = sqlparser::parser::Parser::parse_sql(
            &sqlparser::dialect::PostgreSqlDialect {},
            "SELECT 1 FROM t WHERE n NOT LIKE 'pg/_' || '%' ESCAPE '/'",
        )
        .unwrap()
        .remove(0);
        super::rewrite(&mut s);
        assert_eq!(s.to_string(), r"SELECT 1 FROM t WHERE n NOT LIKE 'pg\_' || '%'");
    }

    #[test]
    fn scalar_subqueries_are_aggregated() {
        let mut s = sqlparser::parser::Parser::parse_sql(
            &sqlparser::dialect::PostgreSqlDialect {},
            "SELECT (SELECT d.x AS y FROM d WHERE d.id = t.id), (SELECT count(*) FROM d) FROM t",
        )
        .unwrap()
        .remove(0);
        super::rewrite(&mut s);
        assert_eq!(s.to_string(), "SELECT (SELECT max(d.x) AS y FROM d WHERE d.id = t.id), (SELECT count(*) FROM d) FROM t");
    }
}
