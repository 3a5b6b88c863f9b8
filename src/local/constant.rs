//! Constant `SELECT`s answered without Flink: the validation queries drivers, pools and BI tools
//! send to check a connection (`SELECT 1`, `select 1`, `SELECT 1 AS ok`, `SELECT TRUE`).
//!
//! Through Flink each costs a job submission (~250 ms). Only shapes whose Flink answer is known
//! exactly are recognized, on the raw text: `SELECT` and a list of items, each an unsigned integer
//! literal of at most nine digits or `TRUE`/`FALSE`, optionally with a plain alias (`AS x` or
//! `x`). For these Flink (Calcite) types an integer literal that fits in 32 bits as `INT NOT
//! NULL` and a boolean one as `BOOLEAN NOT NULL`, names an unaliased item `EXPR$<position>` and an
//! aliased one as written, and returns one row. [`ConstantSelect::columns`] and
//! [`ConstantSelect::row`] are that answer in the gateway's JSON shape; the session sends it
//! through the same pipeline as Flink's pages (PostgreSQL column names, result modes,
//! `flinkwire.max_rows`), so the client gets the same bytes. `tests/e2e/local_answers.rs` proves
//! it on the wire against a real Flink cluster, shape by shape.
//!
//! Everything else goes to Flink: signs, strings, casts, expressions, `FROM`, comments, hints,
//! parentheses, quoted identifiers, aliases that are keywords (PostgreSQL's or Flink's), two
//! aliases alike, a trailing `;`.

use flinkwire_protocol::rest::{ColumnInfo, RowData, RowKind};

/// Most items recognized in one select list (validation queries have one).
const MAX_ITEMS: usize = 32;
/// PostgreSQL truncates longer identifiers (`NAMEDATALEN` − 1); Flink does not.
const MAX_ALIAS: usize = 63;

/// A `SELECT` of constants whose Flink answer flinkwire knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstantSelect {
    items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    value: Literal,
    alias: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Literal {
    Int(i32),
    Bool(bool),
}

/// A token of the recognized shapes; anything else ends recognition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Word(&'a str),
    Number(&'a str),
    Comma,
}

/// The tokens of `sql`, or `None` at the first character outside the recognized shapes.
fn tokens(sql: &str) -> Option<Vec<Token<'_>>> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let start = i;
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b',' => {
                out.push(Token::Comma);
                i += 1;
            }
            b'0'..=b'9' => {
                while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                // `1x`, `1.5`, `1e3`, `1_000`: PostgreSQL and Flink lex these differently.
                if bytes.get(i).is_some_and(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b',')) {
                    return None;
                }
                out.push(Token::Number(&sql[start..i]));
            }
            b'A'..=b'Z' | b'a'..=b'z' | b'_' => {
                while bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
                    i += 1;
                }
                out.push(Token::Word(&sql[start..i]));
            }
            _ => return None,
        }
    }
    Some(out)
}

impl ConstantSelect {
    /// Recognizes `sql` (one statement as the router split it: no trailing `;`).
    pub fn parse(sql: &str) -> Option<Self> {
        let tokens = tokens(sql)?;
        let mut rest = match tokens.split_first()? {
            (Token::Word(w), rest) if w.eq_ignore_ascii_case("SELECT") => rest,
            _ => return None,
        };
        let mut items = Vec::new();
        loop {
            let (value, after) = match rest.split_first()? {
                (Token::Number(digits), after) => (Literal::Int(small_integer(digits)?), after),
                (Token::Word(w), after) if w.eq_ignore_ascii_case("TRUE") => (Literal::Bool(true), after),
                (Token::Word(w), after) if w.eq_ignore_ascii_case("FALSE") => (Literal::Bool(false), after),
                _ => return None,
            };
            rest = after;
            let alias = match rest {
                [Token::Word(as_), Token::Word(alias), after @ ..] if as_.eq_ignore_ascii_case("AS") => {
                    rest = after;
                    Some(plain_alias(alias)?)
                }
                [Token::Word(alias), after @ ..] => {
                    rest = after;
                    Some(plain_alias(alias)?)
                }
                _ => None,
            };
            items.push(Item { value, alias });
            match rest.split_first() {
                None => break,
                Some((Token::Comma, after)) if items.len() < MAX_ITEMS => rest = after,
                Some(_) => return None,
            }
        }
        let mut aliases: Vec<String> = items.iter().filter_map(|i| i.alias.as_ref().map(|a| a.to_ascii_lowercase())).collect();
        aliases.sort();
        if aliases.windows(2).any(|w| w[0] == w[1]) {
            // Calcite makes duplicate names unique (`a`, `a0`); not worth knowing exactly.
            return None;
        }
        Some(Self { items })
    }

    /// The result columns as the gateway describes them.
    pub fn columns(&self) -> Vec<ColumnInfo> {
        self.items
            .iter()
            .enumerate()
            .map(|(position, item)| ColumnInfo {
                name: item.alias.clone().unwrap_or_else(|| format!("EXPR${position}")),
                logical_type: match item.value {
                    Literal::Int(_) => serde_json::json!({"type": "INTEGER", "nullable": false}),
                    Literal::Bool(_) => serde_json::json!({"type": "BOOLEAN", "nullable": false}),
                },
                comment: None,
            })
            .collect()
    }

    /// The one result row, as the gateway sends it.
    pub fn row(&self) -> RowData {
        let fields = self
            .items
            .iter()
            .map(|item| match item.value {
                Literal::Int(n) => serde_json::Value::from(n),
                Literal::Bool(b) => serde_json::Value::Bool(b),
            })
            .collect();
        RowData { kind: RowKind::Insert, fields }
    }
}

/// A canonical unsigned integer literal of at most nine digits (always within `INT`).
fn small_integer(digits: &str) -> Option<i32> {
    if digits.len() > 9 || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    digits.parse().ok()
}

/// An alias both parsers read as the same plain name: no keyword of either.
fn plain_alias(word: &str) -> Option<String> {
    let upper = word.to_ascii_uppercase();
    let keyword = sqlparser::keywords::ALL_KEYWORDS.binary_search(&upper.as_str()).is_ok()
        || crate::dialect::is_flink_reserved(word);
    (!keyword && word.len() <= MAX_ALIAS && !upper.starts_with("EXPR")).then(|| word.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sql: &str) -> Vec<String> {
        ConstantSelect::parse(sql).unwrap().columns().into_iter().map(|c| c.name).collect()
    }

    #[test]
    fn validation_queries_are_recognized() {
        for sql in ["SELECT 1", "select 1", "Select\t1", "SELECT 1\n", "  SELECT  1  ", "SELECT 0", "SELECT 999999999"] {
            assert!(ConstantSelect::parse(sql).is_some(), "{sql:?}");
        }
        assert_eq!(names("SELECT 1"), ["EXPR$0"]);
        assert_eq!(names("SELECT 1 AS ok, 2 n, TRUE, false AS Flag"), ["ok", "n", "EXPR$2", "Flag"]);
        let select = ConstantSelect::parse("SELECT 42, TRUE").unwrap();
        assert_eq!(select.row().fields, vec![serde_json::json!(42), serde_json::json!(true)]);
        assert_eq!(select.columns()[0].logical_type, serde_json::json!({"type": "INTEGER", "nullable": false}));
        assert_eq!(select.columns()[1].logical_type, serde_json::json!({"type": "BOOLEAN", "nullable": false}));
    }

    #[test]
    fn anything_else_goes_to_flink() {
        for sql in [
            "SELECT 1;",
            "SELECT -1",
            "SELECT +1",
            "SELECT 1.0",
            "SELECT 1e3",
            "SELECT 01",
            "SELECT 1234567890",
            "SELECT 1x",
            "SELECT 'a'",
            "SELECT NULL",
            "SELECT 1 + 1",
            "SELECT (1)",
            "SELECT 1 FROM t",
            "SELECT 1 AS",
            "SELECT 1 AS \"x\"",
            "SELECT 1 AS `x`",
            "SELECT 1 AS count",
            "SELECT 1 AS value",
            "SELECT 1 AS from",
            "SELECT 1 AS one",
            "SELECT 1 limit",
            "SELECT 1 AS EXPR$0",
            "SELECT 1 AS expr0",
            "SELECT 1 AS a, 2 AS A",
            "SELECT 1 a b",
            "SELECT 1,",
            "SELECT , 1",
            "SELECT",
            "SELECT1",
            "SELECT TRUEx",
            "/* ping */ SELECT 1",
            "SELECT 1 -- ping",
            "SELECT /*+ hint */ 1",
            "VALUES (1)",
            "select 1 union select 2",
            "SELECT 1 AS é",
        ] {
            assert_eq!(ConstantSelect::parse(sql), None, "{sql:?}");
        }
        let long = format!("SELECT 1 AS {}", "a".repeat(64));
        assert_eq!(ConstantSelect::parse(&long), None);
        let many = format!("SELECT {}", vec!["1"; MAX_ITEMS + 1].join(", "));
        assert_eq!(ConstantSelect::parse(&many), None);
    }
}
