//! `LIMIT`, `OFFSET` and `FETCH FIRST … ROWS ONLY` in the form Flink accepts, with PostgreSQL's
//! meaning.
//!
//! Flink's parser takes only an unsigned integer literal there, while PostgreSQL takes any
//! constant expression: SQLAlchemy renders `.limit(2)` as `LIMIT $1::INTEGER`, which flinkwire's
//! parameter inlining makes `CAST(2 AS INTEGER)`. Constant row counts are folded to the bare
//! literal. Flink also adds offset and limit in a 32-bit integer (Flink 2.3.0, measured: `LIMIT
//! 1099511627776` and `LIMIT 2147483647 OFFSET 3` return no rows at all), so larger counts are
//! brought within range:
//!
//! | PostgreSQL | sent to Flink | why |
//! |---|---|---|
//! | `LIMIT CAST(2 AS INT)`, `LIMIT '2'::int`, `FETCH FIRST 2::bigint ROWS ONLY` | `LIMIT 2`, `FETCH FIRST 2 ROWS ONLY` | Flink wants a literal |
//! | `LIMIT NULL`, `OFFSET NULL` | no limit, no offset | PostgreSQL's meaning of NULL |
//! | `LIMIT n` with n + offset > 2147483647, no offset | no limit | Flink would return nothing |
//! | `LIMIT n OFFSET m` with n + m > 2147483647 | `LIMIT 2147483647 - m OFFSET m` | Flink would return nothing |
//! | `LIMIT -1`, `OFFSET -1` | refused: 2201W, 2201X | PostgreSQL refuses them too |
//! | `OFFSET m` with m > 2147483647 | refused: 22003 | no Flink form skips that many rows |
//!
//! Treating a count of 2^31 rows or more as "no limit" changes an answer only for a result of
//! more than 2 147 483 647 rows, which at Flink's collect rate (~100 000 rows/s) takes six hours
//! to read. Anything that is not a constant (a column, a scalar subquery) is left for Flink to judge.

use sqlparser::ast::{DataType, Expr, LimitClause, OffsetRows, Query, UnaryOperator, Value};

use super::Refusal;
use flinkwire_protocol::sqlstate::SqlState;

/// The largest row count (offset + limit) Flink 2.3.0 handles.
const FLINK_MAX_ROWS: i128 = i32::MAX as i128;

/// A constant row count as PostgreSQL evaluates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowCount {
    Null,
    Count(i128),
}

/// Rewrites the query's LIMIT / OFFSET / FETCH for Flink (and `LIMIT n OFFSET m ROWS` to
/// `LIMIT n OFFSET m`, which is all Flink parses). `Ok(true)` if anything changed.
pub(super) fn rewrite(query: &mut Query) -> Result<bool, Refusal> {
    if query.fetch.as_ref().is_some_and(|f| f.percent || f.with_ties) {
        return Ok(false);
    }
    let (mut limit, mut offset, mut changed) = match query.limit_clause.take() {
        None => (None, None, false),
        Some(LimitClause::LimitOffset { limit, offset, limit_by }) if limit_by.is_empty() => {
            // `LIMIT ALL` parses to neither.
            let all = limit.is_none() && offset.is_none();
            (limit, offset, all)
        }
        Some(other) => {
            query.limit_clause = Some(other);
            return Ok(false);
        }
    };
    let mut fetch = query.fetch.as_mut().and_then(|f| f.quantity.take());

    // OFFSET first: how many rows it skips bounds the limit.
    let skip = match offset.as_ref().map(|o| row_count(&o.value)) {
        None => Some(0),
        Some(None) => None, // not a constant: Flink judges it
        Some(Some(RowCount::Null)) => {
            // PostgreSQL: OFFSET NULL is OFFSET 0.
            offset = None;
            changed = true;
            Some(0)
        }
        Some(Some(RowCount::Count(n))) if n < 0 => return Err(negative("OFFSET", "2201X")),
        Some(Some(RowCount::Count(n))) if n > FLINK_MAX_ROWS => {
            return Err(Refusal::new(
                SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                format!("OFFSET {n} is out of range: Flink skips at most {FLINK_MAX_ROWS} rows"),
            ))
        }
        Some(Some(RowCount::Count(n))) => {
            if let Some(o) = offset.as_mut() {
                changed |= set_literal(&mut o.value, n);
            }
            Some(n)
        }
    };
    if let (Some(_), Some(o)) = (&limit, offset.as_mut()) {
        if o.rows != OffsetRows::None {
            o.rows = OffsetRows::None;
            changed = true;
        }
    }

    // Then the row count, spelled LIMIT or FETCH FIRST.
    let (count, clause) = match (&mut limit, &mut fetch) {
        (Some(l), _) => (Some(l), "LIMIT"),
        (None, Some(f)) => (Some(f), "FETCH FIRST"),
        (None, None) => (None, ""),
    };
    let mut drop_count = false;
    if let Some(expr) = count {
        match row_count(expr) {
            None => {}
            Some(RowCount::Count(n)) if n < 0 => return Err(negative(clause, "2201W")),
            Some(RowCount::Null) => drop_count = true,
            Some(RowCount::Count(n)) => match skip {
                Some(skip) if n + skip > FLINK_MAX_ROWS && skip == 0 => drop_count = true,
                Some(skip) if n + skip > FLINK_MAX_ROWS => changed |= set_literal(expr, FLINK_MAX_ROWS - skip),
                _ => changed |= set_literal(expr, n),
            },
        }
    }
    if drop_count {
        changed = true;
        limit = None;
        fetch = None;
        query.fetch = None;
        if skip == Some(0) {
            offset = None;
        }
    }

    if let Some(f) = query.fetch.as_mut() {
        f.quantity = fetch;
    }
    query.limit_clause =
        (limit.is_some() || offset.is_some()).then(|| LimitClause::LimitOffset { limit, offset, limit_by: vec![] });
    Ok(changed)
}

fn negative(clause: &str, code: &'static str) -> Refusal {
    Refusal::new(SqlState(code), format!("{clause} must not be negative"))
}

/// Replaces `expr` with the literal `n`; false if it already was that literal.
fn set_literal(expr: &mut Expr, n: i128) -> bool {
    let literal = Expr::value(Value::Number(n.to_string(), false));
    if *expr == literal {
        return false;
    }
    *expr = literal;
    true
}

/// The value of a constant row count: an integer literal, NULL, or a cast of either (of a
/// string literal too) to an integer or numeric type, parenthesised or negated.
fn row_count(expr: &Expr) -> Option<RowCount> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok().map(RowCount::Count),
            Value::Null => Some(RowCount::Null),
            _ => None,
        },
        Expr::Nested(inner) => row_count(inner),
        Expr::UnaryOp { op: UnaryOperator::Minus, expr } => match row_count(expr)? {
            RowCount::Count(n) => Some(RowCount::Count(-n)),
            RowCount::Null => Some(RowCount::Null),
        },
        Expr::UnaryOp { op: UnaryOperator::Plus, expr } => row_count(expr),
        // NULL cast to anything is NULL (Describe inlines parameters as typed NULLs:
        // `CAST(NULL AS STRING)::INTEGER`).
        Expr::Cast { expr, .. } if row_count(expr) == Some(RowCount::Null) => Some(RowCount::Null),
        Expr::Cast { expr, data_type, array: false, format: None, .. } if is_integer_type(data_type) => match super::string_value(expr) {
            Some(text) => text.trim().parse().ok().map(RowCount::Count),
            None => row_count(expr),
        },
        _ => None,
    }
}

/// Integer types in PostgreSQL's and Flink's spellings (numeric too: `LIMIT 5::numeric` is
/// valid PostgreSQL when the value is whole).
fn is_integer_type(data_type: &DataType) -> bool {
    let name = data_type.to_string().to_ascii_lowercase();
    let base = name.split('(').next().unwrap_or(&name).trim();
    matches!(
        base,
        "int" | "integer" | "bigint" | "smallint" | "tinyint" | "int2" | "int4" | "int8" | "numeric" | "decimal"
    )
}

#[cfg(test)]
mod tests {
    use super::super::to_flink;

    fn t(sql: &str) -> String {
        to_flink(sql).unwrap().into_owned()
    }

    fn refused(sql: &str) -> (&'static str, String) {
        let e = to_flink(sql).unwrap_err();
        (e.sqlstate.0, e.message)
    }

    #[test]
    fn casts_of_constants_fold_to_literals() {
        assert_eq!(t("SELECT a FROM t LIMIT CAST(2 AS INTEGER)"), "SELECT a FROM t LIMIT 2");
        assert_eq!(t("SELECT a FROM t LIMIT 2::INTEGER"), "SELECT a FROM t LIMIT 2");
        assert_eq!(t("SELECT a FROM t LIMIT '2'::int OFFSET CAST(3 AS BIGINT)"), "SELECT a FROM t LIMIT 2 OFFSET 3");
        assert_eq!(t("SELECT a FROM t LIMIT (5::int8)"), "SELECT a FROM t LIMIT 5");
        // sqlparser takes only a literal after FETCH FIRST; the clause is kept as written.
        assert_eq!(t("SELECT a FROM t OFFSET 1 ROWS FETCH NEXT 2 ROWS ONLY"), "SELECT a FROM t OFFSET 1 ROWS FETCH NEXT 2 ROWS ONLY");
    }

    #[test]
    fn literals_and_expressions_stay() {
        for sql in ["SELECT a FROM t LIMIT 10", "SELECT a FROM t LIMIT 10 OFFSET 5", "SELECT a FROM t LIMIT (SELECT 1)"] {
            assert_eq!(t(sql), sql);
        }
    }

    #[test]
    fn null_means_no_limit() {
        assert_eq!(t("SELECT a FROM t LIMIT CAST(NULL AS INT)"), "SELECT a FROM t");
        assert_eq!(t("SELECT a FROM t LIMIT 3 OFFSET NULL"), "SELECT a FROM t LIMIT 3");
        assert_eq!(t("SELECT a FROM t LIMIT CAST(NULL AS STRING)::INTEGER"), "SELECT a FROM t");
    }

    #[test]
    fn counts_beyond_flink_are_brought_in_range() {
        assert_eq!(t("SELECT a FROM t LIMIT 1099511627776"), "SELECT a FROM t");
        assert_eq!(t("SELECT a FROM t LIMIT 2147483647"), "SELECT a FROM t LIMIT 2147483647");
        assert_eq!(t("SELECT a FROM t LIMIT 2147483647 OFFSET 3"), "SELECT a FROM t LIMIT 2147483644 OFFSET 3");
        assert_eq!(t("SELECT a FROM t LIMIT 9223372036854775807 OFFSET 0"), "SELECT a FROM t");
        assert_eq!(t("SELECT a FROM t FETCH FIRST 4294967296 ROWS ONLY"), "SELECT a FROM t");
    }

    #[test]
    fn negative_and_unreachable_counts_are_refused() {
        assert_eq!(refused("SELECT a FROM t LIMIT -1").0, "2201W");
        assert_eq!(refused("SELECT a FROM t LIMIT CAST(-1 AS INT)").0, "2201W");
        assert_eq!(refused("SELECT a FROM t LIMIT 1 OFFSET -1").0, "2201X");
        let (code, message) = refused("SELECT a FROM t LIMIT 1 OFFSET 2147483648");
        assert_eq!(code, "22003");
        assert!(message.contains("2147483647"), "{message}");
    }
}
