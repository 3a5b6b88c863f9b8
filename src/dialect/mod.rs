//! PostgreSQL dialect → Flink SQL, for the queries BI tools and drivers generate.
//!
//! Each rewrite closes one gap between what PostgreSQL clients write and what Flink accepts
//! (verified against Flink 2.3):
//!
//! | PostgreSQL | Flink | rule |
//! |---|---|---|
//! | `"ident"` | `` `ident` `` | [`backtick_identifiers`] |
//! | `x::int4`, `CAST(x AS text)` | `CAST(x AS INT)`, `CAST(x AS STRING)` | [`flink_type`] |
//! | `a ILIKE b` | `LOWER(a) LIKE LOWER(b)` (Flink has no ILIKE) | `rewrite_expr` |
//! | `date_trunc('month', t)` | `FLOOR(t TO MONTH)`; weeks start on Monday as in PostgreSQL | `date_trunc` |
//! | `date_part('year', t)`, `EXTRACT(dow FROM t)` | `EXTRACT(YEAR FROM t)`; `dow` 0 = Sunday as in PostgreSQL | `extract` |
//! | `LIMIT ALL`, `OFFSET n ROWS` | no limit; `OFFSET n` | [`backtick_identifiers`], [`limit`] |
//! | `LIMIT CAST($1 AS INT)`, `LIMIT NULL`, counts beyond 2^31 | `LIMIT 2`, no limit, in range | [`limit`] |
//! | `length`, `strpos`, `string_agg`, `random`, `trunc`, `log(x)`, `split_part`, `now` | `CHAR_LENGTH`, `POSITION`, `LISTAGG`, `RAND`, `TRUNCATE`, `LOG10`, `SPLIT_INDEX`, `NOW` | `rename_function` |
//!
//! `COUNT(*) FILTER (WHERE …)`, `now()`, `current_date`, `LIMIT n OFFSET m` need nothing: Flink
//! has them. `OFFSET n` without a LIMIT is left to Flink: it runs in batch mode without ORDER BY
//! and is refused otherwise (Flink's sort-limit needs a bound and preallocates it: a huge LIMIT
//! runs out of memory, so none is invented).
//!
//! Where a rule cannot keep PostgreSQL's meaning the statement is refused ([`Refusal`]) rather
//! than sent: a wrong answer without an error is worse than an error.
//!
//! **When in doubt, do not rewrite.** Only queries (SELECT / WITH / VALUES) are considered; a
//! statement with backticks or `/*+ … */` hints is native Flink SQL and passes untouched, as
//! does anything the PostgreSQL parser does not accept (window TVFs, `CREATE TABLE … WITH`,
//! `EXECUTE STATEMENT SET` are never parsed here). A statement in which no rule fired is sent
//! as the client wrote it, byte for byte.

use std::borrow::Cow;
use std::ops::ControlFlow;

mod datetime;
mod interval;
mod limit;
pub mod names;
mod reserved;

use flinkwire_protocol::sqlstate::SqlState;
use sqlparser::ast::{
    CastKind, CeilFloorKind, CharacterLength, DataType, DateTimeField, ExactNumberInfo, Expr,
    Function, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident,
    ObjectName, Query, Statement, TimezoneInfo, Value, VisitMut, VisitorMut,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

/// A statement flinkwire will not send because Flink would answer it differently from
/// PostgreSQL (or not at all): the client gets this error instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub sqlstate: SqlState,
    pub message: String,
}

impl Refusal {
    fn new(sqlstate: SqlState, message: String) -> Self {
        Self { sqlstate, message }
    }
}

/// Whether Flink 2.3.0's parser reserves `word` (any case).
pub(crate) fn is_flink_reserved(word: &str) -> bool {
    reserved::is_reserved(word)
}

/// Translates one statement from PostgreSQL dialect to Flink SQL, or returns it unchanged.
pub fn to_flink(sql: &str) -> Result<Cow<'_, str>, Refusal> {
    Ok(match translate(sql)? {
        Some(flink) => {
            tracing::debug!(postgres = sql, flink = %flink, "translated PostgreSQL dialect");
            Cow::Owned(flink)
        }
        None => Cow::Borrowed(sql),
    })
}

/// `Some(flink_sql)` if a rule applied.
fn translate(sql: &str) -> Result<Option<String>, Refusal> {
    let words = crate::router::leading_words(sql, 1);
    if !matches!(words.first().map(String::as_str), Some("SELECT" | "WITH" | "VALUES")) {
        return Ok(None);
    }
    if sql.contains('`') || sql.contains("/*+") {
        return Ok(None);
    }
    let Ok(mut statements) = Parser::parse_sql(&PostgreSqlDialect {}, sql) else { return Ok(None) };
    if statements.len() != 1 || !matches!(statements[0], Statement::Query(_)) {
        return Ok(None);
    }
    let mut rewriter = Rewriter { changed: false };
    if let ControlFlow::Break(refusal) = statements[0].visit(&mut rewriter) {
        return Err(refusal);
    }
    let text = match rewriter.changed {
        true => match reprint(&mut statements[0]) {
            Some(text) => Cow::Owned(text),
            None => return Ok(backtick_identifiers(sql)),
        },
        false => Cow::Borrowed(sql),
    };
    let out = match backtick_identifiers(&text) {
        Some(quoted) => Some(quoted),
        None if rewriter.changed => Some(text.into_owned()),
        None => None,
    };
    // Belt and braces: a translation never moves where the router sees statements end (a
    // printing flaw like the ones `reprint` knows would show here first).
    if let Some(flink) = &out {
        if !crate::router::same_statement_count(sql, flink) {
            tracing::warn!(postgres = sql, flink = %flink, "translation changed the statement structure: sent untranslated");
            return Ok(None);
        }
    }
    Ok(out)
}

/// The token-level rules: double-quoted identifiers re-quoted with backticks, and `LIMIT ALL`
/// dropped. Everything else, comments and whitespace included, is kept. `None` if no rule fired.
pub fn backtick_identifiers(sql: &str) -> Option<String> {
    // Queries only: `LIMIT ALL` dropped from the head of anything else could leave no statement.
    let words = crate::router::leading_words(sql, 1);
    if !matches!(words.first().map(String::as_str), Some("SELECT" | "WITH" | "VALUES")) {
        return None;
    }
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut changed = false;
    let mut out = String::with_capacity(sql.len());
    let is_word = |t: &Token, kw: &str| matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw));
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        if is_word(token, "LIMIT") {
            let next = (i + 1..tokens.len()).find(|&j| !matches!(tokens[j], Token::Whitespace(_)));
            if let Some(j) = next.filter(|&j| is_word(&tokens[j], "ALL")) {
                changed = true;
                i = j + 1;
                continue;
            }
        }
        match token {
            Token::Word(w) if w.quote_style == Some('"') => {
                changed = true;
                out.push('`');
                out.push_str(&w.value.replace('`', "``"));
                out.push('`');
            }
            // A token's Display writes a literal's value between quotes without doubling the
            // quotes in it: `'it''s'` came out as `'it's'`, which ends the literal early. A
            // client-side escaped value (`WHERE name = 'a'' OR ''1''=''1'`, as psycopg2 or PgJDBC
            // inline parameters) became `'a' OR '1'='1'`. Quotes are doubled again here; the
            // escape forms whose text cannot be rebuilt from the value leave the statement as it
            // is. Found by fuzzing (fuzz/sql/fuzz_targets/dialect.rs).
            Token::SingleQuotedString(v) => push_quoted(&mut out, "'", v),
            Token::NationalStringLiteral(v) => push_quoted(&mut out, "N'", v),
            Token::HexStringLiteral(v) => push_quoted(&mut out, "X'", v),
            Token::SingleQuotedByteStringLiteral(v) => push_quoted(&mut out, "B'", v),
            Token::EscapedStringLiteral(_) | Token::UnicodeStringLiteral(_) => return None,
            // A bare backtick is not PostgreSQL syntax, but in Flink it opens an identifier:
            // kept as is, it would swallow the text up to the next backtick, statement ends
            // included. Such text is left to fail as it was written. Found by fuzzing.
            Token::Char('`') => return None,
            other => out.push_str(&other.to_string()),
        }
        i += 1;
    }
    let out = out.trim_end();
    // PostgreSQL's tokenizer and Flink's (the router's) may disagree on where a quoted name, a
    // hint or a literal ends in odd text; a rewrite that moves where statements end is not one.
    if !changed || !crate::router::same_statement_count(sql, out) {
        return None;
    }
    Some(out.to_owned())
}

/// `prefix`, `value` with its quotes doubled, `'`: a literal as it was written.
fn push_quoted(out: &mut String, prefix: &str, value: &str) {
    out.push_str(prefix);
    out.push_str(&value.replace('\'', "''"));
    out.push('\'');
}

struct Rewriter {
    changed: bool,
}

/// `statement` printed as SQL that means the same, or `None` when sqlparser cannot print it
/// faithfully. sqlparser prints `N'…'`, `X'…'` and `B'…'` literals without doubling the quotes
/// inside them, so a quote there would end the literal early and the rest of it would become
/// SQL (found by fuzzing). `N'…'` is a character string in PostgreSQL as in Flink and
/// DataFusion, so it is printed as the equal plain literal; a quote in a hex or bit string is
/// invalid anyway, and such a statement is not re-printed. Likewise a type whose modifiers
/// were string literals (`x::t('a; b')`): sqlparser keeps them without their quotes.
pub fn reprint(statement: &mut Statement) -> Option<String> {
    struct Literals {
        unprintable: bool,
    }
    fn prints_faithfully(data_type: &DataType) -> bool {
        use sqlparser::ast::ArrayElemTypeDef;
        match data_type {
            DataType::Custom(_, modifiers) => modifiers
                .iter()
                .all(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'+'))),
            DataType::Array(ArrayElemTypeDef::AngleBracket(inner) | ArrayElemTypeDef::SquareBracket(inner, _) | ArrayElemTypeDef::Parenthesis(inner)) => {
                prints_faithfully(inner)
            }
            _ => true,
        }
    }
    impl VisitorMut for Literals {
        type Break = ();
        fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            if let Expr::Cast { data_type, .. } | Expr::TypedString(sqlparser::ast::TypedString { data_type, .. }) = expr {
                if !prints_faithfully(data_type) {
                    self.unprintable = true;
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        }
        fn post_visit_value(&mut self, value: &mut sqlparser::ast::ValueWithSpan) -> ControlFlow<()> {
            match &mut value.value {
                Value::NationalStringLiteral(text) if text.contains('\'') => {
                    value.value = Value::SingleQuotedString(std::mem::take(text));
                }
                Value::HexStringLiteral(text) | Value::SingleQuotedByteStringLiteral(text) | Value::DoubleQuotedByteStringLiteral(text)
                    if text.contains(['\'', '"']) =>
                {
                    self.unprintable = true;
                    return ControlFlow::Break(());
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut literals = Literals { unprintable: false };
    let _ = statement.visit(&mut literals);
    (!literals.unprintable).then(|| statement.to_string())
}

impl VisitorMut for Rewriter {
    type Break = Refusal;

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<Refusal> {
        match limit::rewrite(query) {
            Ok(changed) => self.changed |= changed,
            Err(refusal) => return ControlFlow::Break(refusal),
        }
        // Names Flink reserves: CTE names and their column lists.
        for cte in query.with.iter_mut().flat_map(|w| w.cte_tables.iter_mut()) {
            self.changed |= reserved::quote(&mut cte.alias.name);
            for column in &mut cte.alias.columns {
                self.changed |= reserved::quote(&mut column.name);
            }
        }
        ControlFlow::Continue(())
    }

    /// Select-list aliases (`COUNT(*) AS count`).
    fn post_visit_select(&mut self, select: &mut sqlparser::ast::Select) -> ControlFlow<Refusal> {
        for item in &mut select.projection {
            if let sqlparser::ast::SelectItem::ExprWithAlias { alias, .. } = item {
                self.changed |= reserved::quote(alias);
            }
        }
        ControlFlow::Continue(())
    }

    /// Table names and table aliases with their column lists (`AS t(value)`).
    fn post_visit_table_factor(&mut self, factor: &mut sqlparser::ast::TableFactor) -> ControlFlow<Refusal> {
        use sqlparser::ast::TableFactor;
        let alias = match factor {
            TableFactor::Table { alias, .. } | TableFactor::Derived { alias, .. } | TableFactor::UNNEST { alias, .. } => alias,
            _ => return ControlFlow::Continue(()),
        };
        if let Some(alias) = alias {
            self.changed |= reserved::quote(&mut alias.name);
            for column in &mut alias.columns {
                self.changed |= reserved::quote(&mut column.name);
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_relation(&mut self, relation: &mut ObjectName) -> ControlFlow<Refusal> {
        for part in &mut relation.0 {
            if let sqlparser::ast::ObjectNamePart::Identifier(ident) = part {
                self.changed |= reserved::quote(ident);
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<Refusal> {
        // Column references (`value`, `t.year`).
        match expr {
            Expr::Identifier(ident) => self.changed |= reserved::quote(ident),
            Expr::CompoundIdentifier(parts) => {
                for ident in parts {
                    self.changed |= reserved::quote(ident);
                }
            }
            _ => {}
        }
        match rewrite_expr(expr) {
            Ok(Some(new)) => {
                *expr = new;
                self.changed = true;
            }
            Ok(None) => {}
            Err(refusal) => return ControlFlow::Break(refusal),
        }
        ControlFlow::Continue(())
    }
}

fn rewrite_expr(expr: &Expr) -> Result<Option<Expr>, Refusal> {
    Ok(match expr {
        // `'5 minutes'::interval`, `CAST('1 day' AS interval)`.
        Expr::Cast { expr: inner, data_type: DataType::Interval { fields: None, precision: None }, array: false, format: None, .. } => {
            string_value(inner).map(interval::translate).transpose()?
        }
        // `INTERVAL '5 minutes'` (PostgreSQL's free form; `INTERVAL '5' MINUTE` is Flink's already).
        Expr::Interval(sqlparser::ast::Interval { value, leading_field: None, last_field: None, .. }) => {
            string_value(value).map(interval::translate).transpose()?
        }
        Expr::Cast { kind, expr: inner, data_type, array: false, format: None } => {
            let mapped = flink_type(data_type);
            if mapped.is_none() && *kind != CastKind::DoubleColon {
                return Ok(None);
            }
            let data_type = mapped.unwrap_or_else(|| data_type.clone());
            let kind = if *kind == CastKind::DoubleColon { CastKind::Cast } else { kind.clone() };
            Some(Expr::Cast { kind, expr: inner.clone(), data_type, array: false, format: None })
        }
        Expr::ILike { negated, any: false, expr, pattern, escape_char } => Some(Expr::Like {
            negated: *negated,
            any: false,
            expr: Box::new(call("LOWER", vec![(**expr).clone()])),
            pattern: Box::new(call("LOWER", vec![(**pattern).clone()])),
            escape_char: escape_char.clone(),
        }),
        Expr::Extract { field, expr, .. } => extract(field, expr, false),
        Expr::Function(f) => rewrite_function(f)?,
        // Grafana's `$__timeFilter(ts)`: `ts BETWEEN '2024-01-01T00:00:00Z' AND '…Z'`.
        Expr::Between { expr: subject, negated, low, high } => {
            let (new_low, new_high) = (utc_timestamp_literal(low), utc_timestamp_literal(high));
            (new_low.is_some() || new_high.is_some()).then(|| Expr::Between {
                expr: subject.clone(),
                negated: *negated,
                low: Box::new(new_low.unwrap_or_else(|| (**low).clone())),
                high: Box::new(new_high.unwrap_or_else(|| (**high).clone())),
            })
        }
        Expr::BinaryOp { left, op, right } if is_comparison(op) => {
            let (new_left, new_right) = (utc_timestamp_literal(left), utc_timestamp_literal(right));
            (new_left.is_some() || new_right.is_some()).then(|| Expr::BinaryOp {
                left: Box::new(new_left.unwrap_or_else(|| (**left).clone())),
                op: op.clone(),
                right: Box::new(new_right.unwrap_or_else(|| (**right).clone())),
            })
        }
        _ => None,
    })
}

fn is_comparison(op: &sqlparser::ast::BinaryOperator) -> bool {
    use sqlparser::ast::BinaryOperator::*;
    matches!(op, Eq | NotEq | Lt | LtEq | Gt | GtEq)
}

/// An RFC 3339 UTC string compared with something (`'2024-01-01T00:00:00Z'`, Grafana's time
/// range) → `TIMESTAMP '2024-01-01 00:00:00'`. PostgreSQL casts it to the other side's type:
/// for a `timestamp` column it drops the `Z`, which this literal does too; against a Flink
/// TIMESTAMP_LTZ column it is the same instant when Flink's `table.local-time-zone` is UTC.
/// Flink itself cannot cast such a string (DateTimeParseException at run time). Offsets other
/// than `Z` / `+00:00` are left alone.
fn utc_timestamp_literal(e: &Expr) -> Option<Expr> {
    let text = string_value(e)?;
    let wall = text.strip_suffix('Z').or_else(|| text.strip_suffix("+00:00"))?;
    let at = chrono::NaiveDateTime::parse_from_str(wall, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(datetime::typed_literal(DataType::Timestamp(None, TimezoneInfo::None), at.format("%Y-%m-%d %H:%M:%S%.f").to_string()))
}

/// A string literal's text, as written (case kept).
fn string_value(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// A plain function call `NAME(args)` (also the catalog emulation's rewrites).
pub(crate) fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args.into_iter().map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e))).collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

/// The function's unqualified (or `pg_catalog.`-qualified) name, lower-cased.
fn function_name(f: &Function) -> Option<String> {
    let parts: Vec<String> = f.name.0.iter().map(|p| p.as_ident().map(|i| i.value.to_ascii_lowercase())).collect::<Option<_>>()?;
    match parts.as_slice() {
        [name] => Some(name.clone()),
        [schema, name] if schema == "pg_catalog" => Some(name.clone()),
        _ => None,
    }
}

/// Plain positional arguments, `None` if there are named args, `*`, DISTINCT or clauses.
fn plain_args(f: &Function) -> Option<Vec<Expr>> {
    match &f.args {
        FunctionArguments::List(list) if list.duplicate_treatment.is_none() && list.clauses.is_empty() => list
            .args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
                _ => None,
            })
            .collect(),
        FunctionArguments::List(_) => None,
        FunctionArguments::None | FunctionArguments::Subquery(_) => None,
    }
}

/// A string literal's text in lower case (units and field names: `'HOUR'`, `'month'`).
fn string_literal(e: &Expr) -> Option<String> {
    string_value(e).map(str::to_ascii_lowercase)
}

fn rewrite_function(f: &Function) -> Result<Option<Expr>, Refusal> {
    if f.over.is_some() || f.filter.is_some() || !f.within_group.is_empty() {
        // Aggregates with FILTER and window functions: only the name may change.
        return Ok(rename_only(f));
    }
    let (Some(name), Some(args)) = (function_name(f), plain_args(f)) else { return Ok(None) };
    Ok(match (name.as_str(), args.as_slice()) {
        ("to_date", [value, template]) => datetime::to_date(value, template)?,
        ("to_timestamp", [value, template]) => datetime::to_timestamp(value, template)?,
        ("to_timestamp", [epoch]) => Some(datetime::from_epoch(epoch)),
        ("to_char", [value, template]) => datetime::to_char(value, template)?,
        _ => rewrite_plain_function(f, &name, &args),
    })
}

fn rewrite_plain_function(f: &Function, name: &str, args: &[Expr]) -> Option<Expr> {
    match (name, args) {
        ("date_trunc", [unit, value]) => date_trunc(&string_literal(unit)?, value),
        ("date_part", [unit, value]) => {
            let field = datetime_field(&string_literal(unit)?)?;
            extract(&field, value, true)
        }
        ("strpos", [string, sub]) => Some(Expr::Position { expr: Box::new(sub.clone()), r#in: Box::new(string.clone()) }),
        ("log", [x]) => Some(call("LOG10", vec![x.clone()])),
        ("split_part", [string, delimiter, n]) => {
            let index = match n {
                Expr::Value(v) => match &v.value {
                    Value::Number(n, _) => Expr::value(Value::Number((n.parse::<i64>().ok()? - 1).to_string(), false)),
                    _ => return None,
                },
                other => Expr::BinaryOp {
                    left: Box::new(Expr::Nested(Box::new(other.clone()))),
                    op: sqlparser::ast::BinaryOperator::Minus,
                    right: Box::new(Expr::value(Value::Number("1".into(), false))),
                },
            };
            Some(call("SPLIT_INDEX", vec![string.clone(), delimiter.clone(), index]))
        }
        _ => rename_only(f),
    }
}

/// Functions that differ only by name.
fn rename_function(name: &str) -> Option<&'static str> {
    Some(match name {
        "length" => "CHAR_LENGTH",
        "string_agg" => "LISTAGG",
        "random" => "RAND",
        "trunc" => "TRUNCATE",
        "ceiling" => "CEIL",
        _ => return None,
    })
}

fn rename_only(f: &Function) -> Option<Expr> {
    let new = rename_function(&function_name(f)?)?;
    let mut f = f.clone();
    f.name = ObjectName::from(vec![Ident::new(new)]);
    Some(Expr::Function(f))
}

fn datetime_field(unit: &str) -> Option<DateTimeField> {
    Some(match unit {
        "year" | "years" => DateTimeField::Year,
        "quarter" => DateTimeField::Quarter,
        "month" | "months" => DateTimeField::Month,
        "week" | "weeks" => DateTimeField::Week(None),
        "day" | "days" => DateTimeField::Day,
        "hour" | "hours" => DateTimeField::Hour,
        "minute" | "minutes" => DateTimeField::Minute,
        "second" | "seconds" => DateTimeField::Second,
        "dow" => DateTimeField::Dow,
        "isodow" => DateTimeField::Isodow,
        "doy" => DateTimeField::Doy,
        "epoch" => DateTimeField::Epoch,
        "decade" => DateTimeField::Decade,
        "century" => DateTimeField::Century,
        "millennium" => DateTimeField::Millennium,
        _ => return None,
    })
}

/// `date_trunc('unit', t)` → `FLOOR(t TO UNIT)`. Flink's weeks start on Sunday, PostgreSQL's on
/// Monday: `FLOOR(t - INTERVAL '1' DAY TO WEEK) + INTERVAL '1' DAY`.
fn date_trunc(unit: &str, value: &Expr) -> Option<Expr> {
    let field = datetime_field(unit)?;
    if !matches!(
        field,
        DateTimeField::Year
            | DateTimeField::Quarter
            | DateTimeField::Month
            | DateTimeField::Week(_)
            | DateTimeField::Day
            | DateTimeField::Hour
            | DateTimeField::Minute
            | DateTimeField::Second
    ) {
        return None;
    }
    let floor = |e: Expr| Expr::Floor { expr: Box::new(e), field: CeilFloorKind::DateTimeField(field.clone()) };
    if matches!(field, DateTimeField::Week(_)) {
        let one_day = || interval_one_day();
        let shifted = Expr::BinaryOp { left: Box::new(value.clone()), op: sqlparser::ast::BinaryOperator::Minus, right: Box::new(one_day()) };
        return Some(Expr::Nested(Box::new(Expr::BinaryOp {
            left: Box::new(floor(shifted)),
            op: sqlparser::ast::BinaryOperator::Plus,
            right: Box::new(one_day()),
        })));
    }
    Some(floor(value.clone()))
}

fn interval_one_day() -> Expr {
    Expr::Interval(sqlparser::ast::Interval {
        value: Box::new(Expr::value(Value::SingleQuotedString("1".into()))),
        leading_field: Some(DateTimeField::Day),
        leading_precision: None,
        last_field: None,
        fractional_seconds_precision: None,
    })
}

/// `EXTRACT(field FROM t)` in Flink terms. PostgreSQL's `dow` counts from 0 = Sunday, Flink's
/// from 1 = Sunday. `always`: build the EXTRACT even if nothing differs (for `date_part`).
fn extract(field: &DateTimeField, value: &Expr, always: bool) -> Option<Expr> {
    let make = |field: DateTimeField| Expr::Extract {
        field,
        syntax: sqlparser::ast::ExtractSyntax::From,
        expr: Box::new(value.clone()),
    };
    match field {
        DateTimeField::Dow => Some(Expr::Nested(Box::new(Expr::BinaryOp {
            left: Box::new(make(DateTimeField::Dow)),
            op: sqlparser::ast::BinaryOperator::Minus,
            right: Box::new(Expr::value(Value::Number("1".into(), false))),
        }))),
        other if always => Some(make(other.clone())),
        _ => None,
    }
}

/// The Flink type for a PostgreSQL type name, `None` if it is already Flink's spelling (or
/// unknown: it is then left for Flink to judge).
pub fn flink_type(data_type: &DataType) -> Option<DataType> {
    let named = |name: &str| DataType::Custom(ObjectName::from(vec![Ident::new(name)]), vec![]);
    let with = |name: &str, mods: Vec<String>| DataType::Custom(ObjectName::from(vec![Ident::new(name)]), mods);
    let length = |len: &Option<CharacterLength>| match len {
        Some(CharacterLength::IntegerLength { length, .. }) => Some(*length),
        _ => None,
    };
    Some(match data_type {
        DataType::Int2(_) => named("SMALLINT"),
        DataType::Int4(_) => named("INT"),
        DataType::Int8(_) => named("BIGINT"),
        DataType::Float4 => named("FLOAT"),
        DataType::Float8 | DataType::DoublePrecision => named("DOUBLE"),
        DataType::Text => named("STRING"),
        DataType::Varchar(len) | DataType::CharacterVarying(len) | DataType::CharVarying(len) => match length(len) {
            Some(n) => with("VARCHAR", vec![n.to_string()]),
            None => named("STRING"),
        },
        DataType::Bool => named("BOOLEAN"),
        DataType::Bytea => named("BYTES"),
        DataType::JSON | DataType::JSONB | DataType::Uuid => named("STRING"),
        // PostgreSQL's unconstrained numeric keeps every digit; Flink's DECIMAL defaults to (10, 0).
        DataType::Numeric(ExactNumberInfo::None) | DataType::Decimal(ExactNumberInfo::None) => {
            with("DECIMAL", vec!["38".into(), "18".into()])
        }
        DataType::Numeric(ExactNumberInfo::Precision(p)) => with("DECIMAL", vec![p.to_string(), "0".into()]),
        DataType::Numeric(ExactNumberInfo::PrecisionAndScale(p, s)) => with("DECIMAL", vec![p.to_string(), s.to_string()]),
        DataType::Timestamp(precision, TimezoneInfo::Tz | TimezoneInfo::WithTimeZone) => match precision {
            Some(p) => with("TIMESTAMP_LTZ", vec![p.to_string()]),
            None => with("TIMESTAMP_LTZ", vec!["6".into()]),
        },
        DataType::Timestamp(precision, TimezoneInfo::WithoutTimeZone) => match precision {
            Some(p) => with("TIMESTAMP", vec![p.to_string()]),
            None => named("TIMESTAMP"),
        },
        DataType::Custom(name, mods) if mods.is_empty() => {
            let last = name.0.last()?.as_ident()?.value.to_ascii_lowercase();
            match last.as_str() {
                "bpchar" => named("STRING"),
                "name" | "citext" => named("STRING"),
                "timestamptz" => with("TIMESTAMP_LTZ", vec!["6".into()]),
                _ => return None,
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(sql: &str) -> String {
        to_flink(sql).unwrap().into_owned()
    }

    #[test]
    fn native_flink_passes_untouched() {
        for sql in [
            "SELECT `a` FROM `t`",
            "SELECT * FROM t /*+ OPTIONS('scan.startup.mode'='earliest-offset') */",
            "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTES)) GROUP BY window_start",
            "SET 'execution.runtime-mode' = 'batch'",
            "CREATE TABLE t (a INT) WITH ('connector' = 'datagen')",
            "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; END",
            "INSERT INTO t SELECT * FROM s",
            "SELECT COUNT(*) FILTER (WHERE x > 1) FROM t",
            "SELECT now(), current_date, a FROM t LIMIT 10 OFFSET 5",
            "SELECT CAST(a AS INT) FROM t  -- comment kept",
            "SELECT a FROM t WHERE b LIKE 'x%'",
            "SHOW TABLES",
        ] {
            assert_eq!(t(sql), sql, "{sql}");
        }
    }

    #[test]
    fn double_quoted_identifiers_become_backticks() {
        assert_eq!(t(r#"SELECT "Name", "a""b" FROM "orders" -- "c""#), r#"SELECT `Name`, `a"b` FROM `orders` -- "c""#);
        // A backtick anywhere: native Flink SQL, or too odd to rewrite safely.
        assert_eq!(t(r#"SELECT "x`y" FROM t"#), r#"SELECT "x`y" FROM t"#);
    }

    /// Found by fuzzing (fuzz/sql/fuzz_targets/dialect.rs): rewriting identifiers lost the
    /// doubled quotes of string literals, so an escaped value could end its literal and become
    /// SQL (`'a'' OR ''1''=''1'` → `'a' OR '1'='1'`), or one statement two.
    #[test]
    fn literals_keep_their_doubled_quotes() {
        assert_eq!(
            t(r#"SELECT * FROM "t" WHERE name = 'a'' OR ''1''=''1'"#),
            "SELECT * FROM `t` WHERE name = 'a'' OR ''1''=''1'"
        );
        assert_eq!(t(r#"SELECT "a", 'x'';DROP TABLE t;--'"#), "SELECT `a`, 'x'';DROP TABLE t;--'");
        assert_eq!(t(r#"SELECT "a", N'it''s', '''' FROM t LIMIT ALL"#), "SELECT `a`, N'it''s', '''' FROM t");
        // Escape-string forms cannot be rebuilt from their value: left as written.
        assert_eq!(backtick_identifiers(r#"SELECT "a", E'it\'s', E'\n'"#), None);
        assert_eq!(backtick_identifiers(r#"SELECT "a", U&'d\0061t'"#), None);
        // A stray backtick would open a Flink identifier that hides the rest of the text.
        let stray = r#"SELECT "a" FROM "publ`c"."t" WHERE x`; DROP TABLE t; SELECT "b""#;
        assert_eq!(backtick_identifiers(stray), None);
        assert_eq!(backtick_identifiers(r#"SELECT "a`b", 'c`d'"#).as_deref(), Some("SELECT `a``b`, 'c`d'"));
    }

    #[test]
    fn casts_map_postgres_type_names() {
        assert_eq!(t("SELECT a::int4, b::int8, c::float8, d::text FROM t"), "SELECT CAST(a AS INT), CAST(b AS BIGINT), CAST(c AS DOUBLE), CAST(d AS STRING) FROM t");
        assert_eq!(t("SELECT a::varchar(10), a::varchar, a::numeric, a::numeric(10,2), a::bool FROM t"),
            "SELECT CAST(a AS VARCHAR(10)), CAST(a AS STRING), CAST(a AS DECIMAL(38, 18)), CAST(a AS DECIMAL(10, 2)), CAST(a AS BOOLEAN) FROM t");
        assert_eq!(t("SELECT a::timestamptz, a::timestamp, a::date, a::int2, a::float4 FROM t"),
            "SELECT CAST(a AS TIMESTAMP_LTZ(6)), CAST(a AS TIMESTAMP), CAST(a AS DATE), CAST(a AS SMALLINT), CAST(a AS FLOAT) FROM t");
        assert_eq!(t("SELECT CAST(a AS text) FROM t"), "SELECT CAST(a AS STRING) FROM t");
        assert_eq!(t("SELECT '1'::integer"), "SELECT CAST('1' AS INTEGER)");
    }

    #[test]
    fn ilike_becomes_lower_like() {
        assert_eq!(t("SELECT a FROM t WHERE a ILIKE '%x%'"), "SELECT a FROM t WHERE LOWER(a) LIKE LOWER('%x%')");
        assert_eq!(t("SELECT a FROM t WHERE a NOT ILIKE 'x'"), "SELECT a FROM t WHERE LOWER(a) NOT LIKE LOWER('x')");
    }

    #[test]
    fn date_trunc_and_extract() {
        assert_eq!(t("SELECT date_trunc('month', ts) FROM t"), "SELECT FLOOR(ts TO MONTH) FROM t");
        assert_eq!(t("SELECT date_trunc('week', ts) FROM t"), "SELECT (FLOOR(ts - INTERVAL '1' DAY TO WEEK) + INTERVAL '1' DAY) FROM t");
        assert_eq!(t("SELECT date_trunc('milliseconds', ts) FROM t"), "SELECT date_trunc('milliseconds', ts) FROM t");
        assert_eq!(t("SELECT date_part('year', ts) FROM t"), "SELECT EXTRACT(YEAR FROM ts) FROM t");
        assert_eq!(t("SELECT EXTRACT(dow FROM ts) FROM t"), "SELECT (EXTRACT(DOW FROM ts) - 1) FROM t");
        assert_eq!(t("SELECT EXTRACT(year FROM ts) FROM t"), "SELECT EXTRACT(year FROM ts) FROM t");
    }

    #[test]
    fn limit_all_and_bare_offset() {
        assert_eq!(t("SELECT a FROM t LIMIT ALL"), "SELECT a FROM t");
        assert_eq!(t("SELECT a FROM t ORDER BY a OFFSET 5"), "SELECT a FROM t ORDER BY a OFFSET 5");
        assert_eq!(t("SELECT a FROM t ORDER BY a LIMIT 3 OFFSET 5 ROWS"), "SELECT a FROM t ORDER BY a LIMIT 3 OFFSET 5");
    }

    #[test]
    fn renamed_functions() {
        assert_eq!(t("SELECT length(s), strpos(s, 'b'), random() FROM t"), "SELECT CHAR_LENGTH(s), POSITION('b' IN s), RAND() FROM t");
        assert_eq!(t("SELECT string_agg(s, ',') FROM t"), "SELECT LISTAGG(s, ',') FROM t");
        assert_eq!(t("SELECT trunc(x, 1), log(x), split_part(s, ',', 2) FROM t"), "SELECT TRUNCATE(x, 1), LOG10(x), SPLIT_INDEX(s, ',', 1) FROM t");
        assert_eq!(t("SELECT pg_catalog.length(s) FROM t"), "SELECT CHAR_LENGTH(s) FROM t");
    }

    #[test]
    fn superset_time_filters_and_grains() {
        assert_eq!(
            t("SELECT order_date FROM orders WHERE order_date >= TO_DATE('2024-01-04', 'YYYY-MM-DD') AND order_date < TO_DATE('2024-01-06', 'YYYY-MM-DD')"),
            "SELECT order_date FROM orders WHERE order_date >= DATE '2024-01-04' AND order_date < DATE '2024-01-06'"
        );
        assert_eq!(
            t("SELECT ts FROM clicks WHERE ts >= TO_TIMESTAMP('2000-01-01 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US')"),
            "SELECT ts FROM clicks WHERE ts >= TIMESTAMP '2000-01-01 00:00:00.000000'"
        );
        assert_eq!(
            t("SELECT DATE_TRUNC('HOUR', ts) + INTERVAL '5 minutes' * FLOOR(EXTRACT(MINUTE FROM ts) / 5) FROM clicks"),
            "SELECT FLOOR(ts TO HOUR) + INTERVAL '0 00:05:00.000' DAY (1) TO SECOND (3) * FLOOR(EXTRACT(MINUTE FROM ts) / 5) FROM clicks"
        );
        assert_eq!(t("SELECT now() - '7 days'::interval"), "SELECT now() - INTERVAL '7 00:00:00.000' DAY (1) TO SECOND (3)");
        assert_eq!(t("SELECT ts FROM t WHERE ts > now() - INTERVAL '1' DAY"), "SELECT ts FROM t WHERE ts > now() - INTERVAL '1' DAY");
        assert_eq!(to_flink("SELECT INTERVAL '1 mon 2 days'").unwrap_err().sqlstate.0, "0A000");
        assert_eq!(to_flink("SELECT to_char(ts, 'Month') FROM t").unwrap_err().sqlstate.0, "0A000");
    }

    #[test]
    fn flink_reserved_names_are_quoted() {
        assert_eq!(t("SELECT COUNT(*) AS count FROM orders"), "SELECT COUNT(*) AS `count` FROM orders");
        assert_eq!(
            t("SELECT value, t.year, SUM(amount) AS sum FROM (SELECT 1 AS value, 2024 AS year, 3 AS amount) AS t GROUP BY value, t.year ORDER BY count(*)"),
            "SELECT `value`, t.`year`, SUM(amount) AS `sum` FROM (SELECT 1 AS `value`, 2024 AS `year`, 3 AS amount) AS t GROUP BY `value`, t.`year` ORDER BY count(*)"
        );
        assert_eq!(t("SELECT x FROM (VALUES (1)) AS v(user)"), "SELECT x FROM (VALUES (1)) AS v (`user`)");
        assert_eq!(t("WITH value AS (SELECT 1 AS a) SELECT a FROM value"), "WITH `value` AS (SELECT 1 AS a) SELECT a FROM `value`");
        // Names that are not reserved, functions and quoted names stay.
        assert_eq!(t("SELECT customer, count(*) FROM orders GROUP BY customer"), "SELECT customer, count(*) FROM orders GROUP BY customer");
        assert_eq!(t("SELECT `value` FROM t"), "SELECT `value` FROM t");
    }

    #[test]
    fn quotes_inside_national_hex_and_bit_strings_stay_inside() {
        // sqlparser prints N'it''s' as N'it's': the rest would have become SQL (fuzzing).
        let sql = "SELECT N'it''s; DROP TABLE t; --', x::int4 FROM t";
        assert_eq!(t(sql), "SELECT 'it''s; DROP TABLE t; --', CAST(x AS INT) FROM t");
        assert_eq!(crate::router::split_statements(&t(sql)).len(), 1);
        // No rule fired: byte for byte.
        assert!(matches!(to_flink("SELECT N'it''s'"), Ok(Cow::Borrowed(_))));
        // Invalid hex and bit strings are Flink's to refuse, as the client wrote them.
        for sql in ["SELECT X'a''b', x::int4 FROM t", "SELECT B'0''1', x::int4 FROM t"] {
            assert!(matches!(to_flink(sql), Ok(Cow::Borrowed(_))), "{sql}");
        }
        assert_eq!(t("SELECT X'0a', B'01', N'n', x::int4 FROM t"), "SELECT X'0a', B'01', N'n', CAST(x AS INT) FROM t");
        // The catalog emulation re-prints through the same function.
        let parse = |sql: &str| Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0);
        assert_eq!(reprint(&mut parse("SELECT N'a''b'")).as_deref(), Some("SELECT 'a''b'"));
        assert_eq!(reprint(&mut parse("SELECT X'a''b'")), None);
        // A type modifier that was a string literal is printed without its quotes.
        assert_eq!(reprint(&mut parse("SELECT x::t('a; DROP TABLE t')")), None);
        assert_eq!(reprint(&mut parse("SELECT x::t(10, 2)")).as_deref(), Some("SELECT x::t(10, 2)"));
        let sql = "SELECT to_date('2024-01-04', 'YYYY-MM-DD'), x::t('a; b')";
        assert!(matches!(to_flink(sql), Ok(Cow::Borrowed(_))), "untranslated: {:?}", to_flink(sql));
    }

    #[test]
    fn backticking_never_moves_statement_ends() {
        // Found by fuzzing (fuzz/regressions/dialect/backtick-split): PostgreSQL's and
        // Flink's lexers read this text's quotes and hint differently.
        let sql = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions/dialect/backtick-split"))
            .expect("the regression input");
        let sql = sql.trim();
        if crate::router::split_statements(sql) == [sql] {
            if let Some(out) = backtick_identifiers(sql) {
                assert_eq!(crate::router::split_statements(&out).len(), 1, "{out}");
            }
        }
    }

    #[test]
    fn grafana_time_filter() {
        assert_eq!(
            t("SELECT ts FROM t WHERE ts BETWEEN '2024-01-01T00:00:00Z' AND '2024-01-02T00:00:00.5Z'"),
            "SELECT ts FROM t WHERE ts BETWEEN TIMESTAMP '2024-01-01 00:00:00' AND TIMESTAMP '2024-01-02 00:00:00.500'"
        );
        assert_eq!(t("SELECT ts FROM t WHERE ts >= '2024-01-01T00:00:00Z'"), "SELECT ts FROM t WHERE ts >= TIMESTAMP '2024-01-01 00:00:00'");
        // `$__timeGroup(ts, '5m')` runs as it is (Flink has EXTRACT(EPOCH)); `time` is reserved.
        assert_eq!(t("SELECT floor(extract(epoch from ts)/300)*300 AS time FROM t"), "SELECT FLOOR(EXTRACT(EPOCH FROM ts) / 300) * 300 AS `time` FROM t");
        // Other strings and offsets stay.
        assert_eq!(t("SELECT a FROM t WHERE a > '2024-01-01'"), "SELECT a FROM t WHERE a > '2024-01-01'");
        assert_eq!(t("SELECT a FROM t WHERE a > '2024-01-01T00:00:00+02:00'"), "SELECT a FROM t WHERE a > '2024-01-01T00:00:00+02:00'");
    }

    #[test]
    fn combined_bi_query() {
        let sql = r#"SELECT date_trunc('day', "public"."orders"."ts") AS "ts", count(*) AS "count" FROM "public"."orders" WHERE "public"."orders"."product" ILIKE '%a%' GROUP BY date_trunc('day', "public"."orders"."ts") ORDER BY "ts" ASC LIMIT ALL"#;
        assert_eq!(
            t(sql),
            "SELECT FLOOR(`public`.`orders`.`ts` TO DAY) AS `ts`, count(*) AS `count` FROM `public`.`orders` WHERE LOWER(`public`.`orders`.`product`) LIKE LOWER('%a%') GROUP BY FLOOR(`public`.`orders`.`ts` TO DAY) ORDER BY `ts` ASC"
        );
    }
}
