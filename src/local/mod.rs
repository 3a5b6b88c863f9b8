//! PostgreSQL session commands that flinkwire answers itself: `SET`/`SHOW`/`RESET` of client
//! parameters, `SET SESSION CHARACTERISTICS`/`SET TRANSACTION`, `SHOW TRANSACTION ISOLATION
//! LEVEL`, `SHOW ALL`, `DISCARD`, `DEALLOCATE`.
//!
//! Like datafusion-postgres's `set_show` hook, commands are recognized on the parsed statement
//! (sqlparser, PostgreSQL dialect). What is Flink's stays Flink's: `SET 'key' = 'value'`, bare
//! `SET`, bare `RESET` and `RESET 'key'` go to the gateway, as does any `SHOW` of something that
//! is not a PostgreSQL parameter (`SHOW TABLES`, `SHOW CATALOGS`, `SHOW JOBS`…).
//!
//! [`constant`] recognizes the constant `SELECT`s of connection checks (`SELECT 1`), which the
//! session answers itself exactly as Flink would.

pub mod constant;
pub mod settings;
mod session;

pub use session::{LocalError, LocalOutcome};

use sqlparser::ast::{
    DiscardObject, Expr, Reset, Set, Statement, TransactionIsolationLevel, TransactionMode, Value,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

pub use settings::{SettingError, Settings};

/// A value given to `SET`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetValue {
    /// `SET x TO DEFAULT`, `SET TIME ZONE LOCAL`.
    Default,
    /// The value as PostgreSQL shows it (a list joined with `, `).
    Value(String),
}

/// A PostgreSQL session command answered locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalCommand {
    /// `SET [SESSION | LOCAL] name {TO | =} value`, `SET TIME ZONE …`, `SET NAMES …`.
    Set { name: String, value: SetValue },
    /// `SET TRANSACTION …`, `SET SESSION CHARACTERISTICS AS TRANSACTION …`: accepted; Flink has
    /// no transactions. The isolation level, if given, is what SHOW reports afterwards.
    SetTransaction { isolation: Option<String>, session: bool },
    /// `RESET name`.
    Reset { name: String },
    /// `RESET ALL`.
    ResetAll,
    /// `SHOW name`, `SHOW TRANSACTION ISOLATION LEVEL` (= `transaction_isolation`).
    Show { name: String },
    /// `SHOW ALL`.
    ShowAll,
    /// `DISCARD ALL | PLANS | SEQUENCES | TEMP`: settings back to their defaults for ALL.
    Discard { all: bool, tag: &'static str },
    /// `DEALLOCATE [PREPARE] name | ALL`.
    Deallocate { name: Option<String> },
    /// `SAVEPOINT name`, `RELEASE [SAVEPOINT] name`, `ROLLBACK [WORK | TRANSACTION] TO
    /// [SAVEPOINT] name`: accepted like BEGIN (Flink has no transactions; psycopg's
    /// `conn.transaction()` inside a transaction uses them). Rolling back to a savepoint
    /// leaves a failed transaction block usable again, as in PostgreSQL.
    Savepoint { tag: &'static str },
}

impl LocalCommand {
    /// Whether the command answers with rows.
    pub fn returns_rows(&self) -> bool {
        matches!(self, Self::Show { .. } | Self::ShowAll)
    }

    /// The command tag PostgreSQL answers with.
    pub fn tag(&self) -> &'static str {
        match self {
            Self::Set { .. } | Self::SetTransaction { .. } => "SET",
            Self::Reset { .. } | Self::ResetAll => "RESET",
            Self::Show { .. } | Self::ShowAll => "SHOW",
            Self::Discard { tag, .. } => tag,
            Self::Deallocate { name: None } => "DEALLOCATE ALL",
            Self::Deallocate { name: Some(_) } => "DEALLOCATE",
            Self::Savepoint { tag } => tag,
        }
    }
}

/// Recognizes a PostgreSQL session command; `None` for anything else (Flink's own `SET`,
/// `SHOW TABLES`, DML…), which then goes to Flink. `words` are the statement's leading words
/// upper-cased (as the router has them).
pub fn recognize(sql: &str, words: &[String]) -> Option<LocalCommand> {
    let first = words.first()?.as_str();
    match first {
        "SET" | "RESET" => {
            // Flink: bare `SET`/`RESET` and the quoted-key forms `SET 'k' = 'v'`, `RESET 'k'`.
            let second = words.get(1)?;
            if second.starts_with('\'') {
                return None;
            }
            parse_set_or_reset(sql)
        }
        "SHOW" => recognize_show(sql),
        "SAVEPOINT" if words.len() >= 2 => Some(LocalCommand::Savepoint { tag: "SAVEPOINT" }),
        "RELEASE" if words.len() >= 2 => Some(LocalCommand::Savepoint { tag: "RELEASE" }),
        "ROLLBACK" if words.iter().skip(1).take(2).any(|w| w == "TO") => Some(LocalCommand::Savepoint { tag: "ROLLBACK" }),
        "DISCARD" | "DEALLOCATE" => match parse_one(sql)? {
            Statement::Discard { object_type } => Some(match object_type {
                DiscardObject::ALL => LocalCommand::Discard { all: true, tag: "DISCARD ALL" },
                DiscardObject::PLANS => LocalCommand::Discard { all: false, tag: "DISCARD PLANS" },
                DiscardObject::SEQUENCES => LocalCommand::Discard { all: false, tag: "DISCARD SEQUENCES" },
                DiscardObject::TEMP => LocalCommand::Discard { all: false, tag: "DISCARD TEMP" },
            }),
            Statement::Deallocate { name, .. } => Some(LocalCommand::Deallocate {
                name: (!(name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all"))).then_some(name.value),
            }),
            _ => None,
        },
        _ => None,
    }
}

fn parse_one(sql: &str) -> Option<Statement> {
    if crate::router::nests_calls_too_deep(sql) {
        return None; // not a local command; see `router::MAX_CALL_NESTING`
    }
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    (statements.len() == 1).then(|| statements.remove(0))
}

fn parse_set_or_reset(sql: &str) -> Option<LocalCommand> {
    match parse_one(sql)? {
        Statement::Set(set) => match set {
            Set::SingleAssignment { variable, values, hivevar: false, .. } => {
                let name = variable.to_string();
                let name = if name.eq_ignore_ascii_case("timezone") { "TimeZone".to_owned() } else { name };
                Some(LocalCommand::Set { value: set_value(&name, &values)?, name })
            }
            Set::SetTimeZone { value, .. } => Some(LocalCommand::Set {
                name: "TimeZone".into(),
                value: set_value("TimeZone", std::slice::from_ref(&value))?,
            }),
            Set::SetNames { charset_name, .. } => Some(LocalCommand::Set {
                name: "client_encoding".into(),
                value: SetValue::Value(charset_name.value),
            }),
            Set::SetTransaction { modes, snapshot: None, session } => {
                let isolation = modes.iter().find_map(|m| match m {
                    TransactionMode::IsolationLevel(level) => Some(
                        match level {
                            TransactionIsolationLevel::ReadUncommitted => "read uncommitted",
                            TransactionIsolationLevel::ReadCommitted => "read committed",
                            TransactionIsolationLevel::RepeatableRead => "repeatable read",
                            TransactionIsolationLevel::Serializable => "serializable",
                            TransactionIsolationLevel::Snapshot => "serializable",
                        }
                        .to_owned(),
                    ),
                    TransactionMode::AccessMode(_) => None,
                });
                Some(LocalCommand::SetTransaction { isolation, session })
            }
            _ => None,
        },
        Statement::Reset(reset) => Some(match reset.reset {
            Reset::ALL => LocalCommand::ResetAll,
            Reset::ConfigurationParameter(name) => LocalCommand::Reset { name: name.to_string() },
        }),
        _ => None,
    }
}

/// The value of a `SET`, rendered as PostgreSQL shows it. `None` for shapes that are not plain
/// values (subqueries, function calls), which PostgreSQL rejects too.
fn set_value(name: &str, values: &[Expr]) -> Option<SetValue> {
    if let [Expr::Identifier(id)] = values {
        if id.quote_style.is_none() && (id.value.eq_ignore_ascii_case("default") || id.value.eq_ignore_ascii_case("local")) {
            return Some(SetValue::Default);
        }
    }
    let keep_quotes = name.eq_ignore_ascii_case("search_path");
    let parts: Option<Vec<String>> = values
        .iter()
        .map(|v| match v {
            Expr::Value(v) => match &v.value {
                Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s) => Some(s.clone()),
                Value::Number(n, _) => Some(n.to_string()),
                Value::Boolean(b) => Some(if *b { "on".into() } else { "off".into() }),
                _ => None,
            },
            Expr::Identifier(id) => Some(match id.quote_style {
                Some(_) if keep_quotes => format!("\"{}\"", id.value),
                Some(_) => id.value.clone(),
                None => id.value.to_ascii_lowercase(),
            }),
            Expr::UnaryOp { op: sqlparser::ast::UnaryOperator::Minus, expr } => match expr.as_ref() {
                Expr::Value(v) => match &v.value {
                    Value::Number(n, _) => Some(format!("-{n}")),
                    _ => None,
                },
                _ => None,
            },
            // `SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE` and the like: keep the text.
            other => Some(other.to_string()),
        })
        .collect();
    Some(SetValue::Value(parts?.join(", ")))
}

/// `SHOW ALL`, `SHOW TRANSACTION ISOLATION LEVEL`, `SHOW <parameter>` (known or dotted names
/// only: `SHOW TABLES` is Flink's).
fn recognize_show(sql: &str) -> Option<LocalCommand> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut words: Vec<String> = Vec::new();
    let mut name = String::new();
    for token in tokens {
        match token {
            Token::Whitespace(_) | Token::SemiColon => {}
            Token::Word(w) if words.is_empty() && name.is_empty() => words.push(w.value),
            Token::Word(w) => {
                if w.quote_style.is_some() || !name.is_empty() && !name.ends_with('.') {
                    // `SHOW "x"`, or two words in a row: the name ends; keep the rest as words.
                    if name.is_empty() {
                        name = w.value;
                    } else {
                        words.push(std::mem::take(&mut name));
                        name = w.value;
                    }
                } else {
                    name.push_str(&w.value);
                }
            }
            Token::Period if !name.is_empty() => name.push('.'),
            _ => return None,
        }
    }
    if !words.first().is_some_and(|w| w.eq_ignore_ascii_case("show")) {
        return None;
    }
    let rest: Vec<&str> = words[1..].iter().map(String::as_str).chain(std::iter::once(name.as_str())).collect();
    match rest.as_slice() {
        [all] if all.eq_ignore_ascii_case("all") => Some(LocalCommand::ShowAll),
        [a, b, c] if a.eq_ignore_ascii_case("transaction") && b.eq_ignore_ascii_case("isolation") && c.eq_ignore_ascii_case("level") => {
            Some(LocalCommand::Show { name: "transaction_isolation".into() })
        }
        [a, b] if a.eq_ignore_ascii_case("time") && b.eq_ignore_ascii_case("zone") => Some(LocalCommand::Show { name: "TimeZone".into() }),
        [param] if settings::is_local_parameter(param) => Some(LocalCommand::Show { name: settings::canonical_name(param) }),
        _ => None,
    }
}

/// What a local command answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAnswer {
    /// Column names and rows of text values (SHOW), empty for commands.
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// ParameterStatus messages to send before CommandComplete: (name, value).
    pub reports: Vec<(String, String)>,
    /// For `SET search_path`: the new search path, to switch the Flink current database.
    pub search_path: Option<Vec<String>>,
}

/// Runs a local command on the session's settings.
pub fn execute(command: &LocalCommand, settings: &mut Settings) -> Result<LocalAnswer, SettingError> {
    let mut answer = LocalAnswer { columns: vec![], rows: vec![], reports: vec![], search_path: None };
    let is_search_path = |name: &str| name.eq_ignore_ascii_case("search_path");
    match command {
        LocalCommand::Set { name, value } => {
            let report = match value {
                SetValue::Default => settings.reset(name)?,
                SetValue::Value(v) => settings.set(name, v)?,
            };
            answer.reports.extend(report);
            if is_search_path(name) {
                answer.search_path = Some(settings.search_path());
            }
        }
        LocalCommand::SetTransaction { isolation, session } => {
            if let Some(level) = isolation {
                let name = if *session { "default_transaction_isolation" } else { "transaction_isolation" };
                settings.set(name, level)?;
            }
        }
        LocalCommand::Reset { name } => {
            answer.reports.extend(settings.reset(name)?);
            if is_search_path(name) {
                answer.search_path = Some(settings.search_path());
            }
        }
        LocalCommand::ResetAll | LocalCommand::Discard { all: true, .. } => {
            let before = settings.search_path();
            answer.reports = settings.reset_all();
            if settings.search_path() != before {
                answer.search_path = Some(settings.search_path());
            }
        }
        LocalCommand::Discard { all: false, .. } | LocalCommand::Deallocate { .. } | LocalCommand::Savepoint { .. } => {}
        LocalCommand::Show { name } => {
            let value = settings.get(name).ok_or_else(|| SettingError::Unknown(name.clone()))?;
            answer.columns = vec![name.to_ascii_lowercase()];
            answer.rows = vec![vec![value]];
        }
        LocalCommand::ShowAll => {
            answer.columns = vec!["name".into(), "setting".into(), "description".into()];
            answer.rows = settings.all().into_iter().map(|(n, v, d)| vec![n, v, d]).collect();
        }
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::leading_words;

    fn rec(sql: &str) -> Option<LocalCommand> {
        recognize(sql, &leading_words(sql, 6))
    }

    fn set(name: &str, value: &str) -> Option<LocalCommand> {
        Some(LocalCommand::Set { name: name.into(), value: SetValue::Value(value.into()) })
    }

    #[test]
    fn flink_forms_are_not_local() {
        assert_eq!(rec("SET"), None);
        assert_eq!(rec("SET 'execution.runtime-mode' = 'batch'"), None);
        assert_eq!(rec("RESET"), None);
        assert_eq!(rec("RESET 'table.local-time-zone'"), None);
        assert_eq!(rec("SHOW TABLES"), None);
        assert_eq!(rec("SHOW CATALOGS"), None);
        assert_eq!(rec("SHOW CREATE TABLE t"), None);
        assert_eq!(rec("SHOW CURRENT DATABASE"), None);
        assert_eq!(rec("SHOW JOBS"), None);
        assert_eq!(rec("SHOW TABLES FROM cat.db"), None);
        assert_eq!(rec("SELECT 1"), None);
    }

    #[test]
    fn postgres_set_forms() {
        assert_eq!(rec("SET extra_float_digits = 3"), set("extra_float_digits", "3"));
        assert_eq!(rec("set application_name to 'PostgreSQL JDBC Driver'"), set("application_name", "PostgreSQL JDBC Driver"));
        assert_eq!(rec("SET SESSION statement_timeout TO '5s'"), set("statement_timeout", "5s"));
        assert_eq!(rec("SET search_path TO \"$user\", public"), set("search_path", "\"$user\", public"));
        assert_eq!(rec("SET search_path = 'db1'"), set("search_path", "db1"));
        assert_eq!(rec("SET TIME ZONE 'Europe/Berlin'"), set("TimeZone", "Europe/Berlin"));
        assert_eq!(rec("SET timezone TO 'UTC'"), set("TimeZone", "UTC"));
        assert_eq!(rec("SET DateStyle = ISO"), set("DateStyle", "iso"));
        assert_eq!(rec("SET extra_float_digits = -2"), set("extra_float_digits", "-2"));
        assert_eq!(rec("SET flinkwire.result_mode = 'changelog'"), set("flinkwire.result_mode", "changelog"));
        assert_eq!(rec("SET NAMES 'UTF8'"), set("client_encoding", "UTF8"));
        assert_eq!(rec("SET statement_timeout TO DEFAULT"), Some(LocalCommand::Set { name: "statement_timeout".into(), value: SetValue::Default }));
        assert_eq!(
            rec("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED"),
            Some(LocalCommand::SetTransaction { isolation: Some("read committed".into()), session: true })
        );
        assert_eq!(rec("SET TRANSACTION READ ONLY"), Some(LocalCommand::SetTransaction { isolation: None, session: false }));
        assert_eq!(rec("RESET ALL"), Some(LocalCommand::ResetAll));
        assert_eq!(rec("reset statement_timeout"), Some(LocalCommand::Reset { name: "statement_timeout".into() }));
    }

    #[test]
    fn show_discard_deallocate() {
        assert_eq!(rec("SHOW TRANSACTION ISOLATION LEVEL"), Some(LocalCommand::Show { name: "transaction_isolation".into() }));
        assert_eq!(rec("show datestyle"), Some(LocalCommand::Show { name: "DateStyle".into() }));
        assert_eq!(rec("SHOW ALL"), Some(LocalCommand::ShowAll));
        assert_eq!(rec("SHOW TIME ZONE"), Some(LocalCommand::Show { name: "TimeZone".into() }));
        assert_eq!(rec("SHOW flinkwire.result_mode;"), Some(LocalCommand::Show { name: "flinkwire.result_mode".into() }));
        assert_eq!(rec("DISCARD ALL"), Some(LocalCommand::Discard { all: true, tag: "DISCARD ALL" }));
        assert_eq!(rec("DEALLOCATE ALL"), Some(LocalCommand::Deallocate { name: None }));
        assert_eq!(rec("DEALLOCATE PREPARE s1"), Some(LocalCommand::Deallocate { name: Some("s1".into()) }));
        assert_eq!(rec("DEALLOCATE ALL").unwrap().tag(), "DEALLOCATE ALL");
        assert_eq!(rec("SAVEPOINT _pg3_1"), Some(LocalCommand::Savepoint { tag: "SAVEPOINT" }));
        assert_eq!(rec("RELEASE SAVEPOINT _pg3_1"), Some(LocalCommand::Savepoint { tag: "RELEASE" }));
        assert_eq!(rec("ROLLBACK TO SAVEPOINT _pg3_1"), Some(LocalCommand::Savepoint { tag: "ROLLBACK" }));
        assert_eq!(rec("ROLLBACK"), None);
    }

    #[test]
    fn execute_set_show_reset() {
        let mut s = Settings::default();
        let a = execute(&rec("SET application_name = 'bi'").unwrap(), &mut s).unwrap();
        assert_eq!(a.reports, vec![("application_name".to_owned(), "bi".to_owned())]);
        let a = execute(&rec("SHOW application_name").unwrap(), &mut s).unwrap();
        assert_eq!((a.columns, a.rows), (vec!["application_name".to_owned()], vec![vec!["bi".to_owned()]]));
        let a = execute(&rec("SET search_path TO db1, public").unwrap(), &mut s).unwrap();
        assert_eq!(a.search_path, Some(vec!["db1".to_owned(), "public".to_owned()]));
        let a = execute(&rec("DISCARD ALL").unwrap(), &mut s).unwrap();
        assert_eq!(a.reports, vec![("application_name".to_owned(), String::new())]);
        assert_eq!(a.search_path, Some(vec!["$user".to_owned(), "public".to_owned()]));
        execute(&rec("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE").unwrap(), &mut s).unwrap();
        let a = execute(&rec("SHOW default_transaction_isolation").unwrap(), &mut s).unwrap();
        assert_eq!(a.rows, vec![vec!["serializable".to_owned()]]);
        let err = execute(&rec("SET client_encoding = 'LATIN1'").unwrap(), &mut s).unwrap_err();
        assert_eq!(err.sqlstate(), "0A000");
        let a = execute(&LocalCommand::ShowAll, &mut s).unwrap();
        assert!(a.rows.len() > 30);
    }
}
