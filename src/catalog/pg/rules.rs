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
        ControlFlow::Continue(())
    }
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
}
