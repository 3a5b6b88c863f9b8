//! Parsing of the cursor statements (`DECLARE`, `FETCH`, `MOVE`, `CLOSE`) and of
//! `COPY … TO STDOUT`: statements flinkwire answers itself on top of a Flink query.

use std::time::Duration;

use crate::results::settings::parse_duration_ms;

/// A cursor statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorCommand {
    /// `DECLARE name [BINARY] [INSENSITIVE] [NO SCROLL] CURSOR [WITH[OUT] HOLD] FOR query`.
    Declare { name: String, binary: bool, hold: bool, query: String },
    /// `FETCH`/`MOVE [direction] [FROM|IN] name [WITH (timeout = '1s')]`; `count` `None` = ALL.
    Fetch { name: String, count: Option<u64>, timeout: Option<Duration>, is_move: bool },
    /// `CLOSE name`, or `CLOSE ALL` (`name` `None`).
    Close { name: Option<String> },
}

/// A statement that is a cursor command but cannot be run, with its SQLSTATE.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CursorSyntaxError {
    pub code: &'static str,
    pub message: String,
}

fn syntax(message: impl Into<String>) -> CursorSyntaxError {
    CursorSyntaxError { code: "42601", message: message.into() }
}

/// `COPY … TO STDOUT`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyCommand {
    /// The Flink query whose rows are copied.
    pub query: String,
    pub options: CopyOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    Text,
    Csv,
    Binary,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOptions {
    pub format: CopyFormat,
    pub header: bool,
    pub delimiter: u8,
    pub null: String,
    pub quote: u8,
    pub escape: u8,
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self { format: CopyFormat::Text, header: false, delimiter: b'\t', null: "\\N".into(), quote: b'"', escape: b'"' }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    /// A double-quoted identifier, unescaped.
    Ident(String),
    /// A single-quoted string, unescaped.
    Str(String),
    Num(String),
    Punct(char),
}

/// Tokens with their byte offsets.
fn tokens(sql: &str) -> Vec<(Tok, usize)> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            // Ends at `\n` or `\r`, as in PostgreSQL's lexer (see `router`).
            i = sql[i..].find(['\n', '\r']).map_or(b.len(), |n| i + n + 1);
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = sql[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
        } else if c == b'"' || c == b'\'' || c == b'`' {
            let mut text = String::new();
            i += 1;
            loop {
                match sql[i..].find(c as char) {
                    None => {
                        text.push_str(&sql[i..]);
                        i = b.len();
                        break;
                    }
                    Some(n) => {
                        text.push_str(&sql[i..i + n]);
                        i += n + 1;
                        if b.get(i) == Some(&c) {
                            text.push(c as char);
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            out.push((if c == b'\'' { Tok::Str(text) } else { Tok::Ident(text) }, start));
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80) {
                i += 1;
            }
            out.push((Tok::Word(sql[start..i].to_owned()), start));
        } else if c.is_ascii_digit() || (c == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            i += 1;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            out.push((Tok::Num(sql[start..i].to_owned()), start));
        } else {
            out.push((Tok::Punct(c as char), start));
            i += 1;
        }
    }
    out
}

fn is_kw(tok: Option<&(Tok, usize)>, kw: &str) -> bool {
    matches!(tok, Some((Tok::Word(w), _)) if w.eq_ignore_ascii_case(kw))
}

/// An identifier: unquoted ones fold to lower case, as in PostgreSQL.
fn ident(tok: Option<&(Tok, usize)>) -> Option<String> {
    match tok {
        Some((Tok::Word(w), _)) => Some(w.to_lowercase()),
        Some((Tok::Ident(s), _)) => Some(s.clone()),
        _ => None,
    }
}

impl CursorCommand {
    /// Recognises a cursor statement; `None` for anything else.
    pub fn parse(sql: &str) -> Option<Result<Self, CursorSyntaxError>> {
        let toks = tokens(sql);
        let first = match toks.first() {
            Some((Tok::Word(w), _)) => w.to_ascii_uppercase(),
            _ => return None,
        };
        match first.as_str() {
            "DECLARE" => Some(parse_declare(sql, &toks)),
            "FETCH" => Some(parse_fetch(&toks, false)),
            "MOVE" => Some(parse_fetch(&toks, true)),
            "CLOSE" => Some(match (ident(toks.get(1)), toks.len()) {
                (Some(name), 2) if name == "all" && matches!(toks[1].0, Tok::Word(_)) => Ok(Self::Close { name: None }),
                (Some(name), 2) => Ok(Self::Close { name: Some(name) }),
                _ => Err(syntax("syntax error in CLOSE: expected CLOSE name | ALL")),
            }),
            _ => None,
        }
    }
}

fn parse_declare(sql: &str, toks: &[(Tok, usize)]) -> Result<CursorCommand, CursorSyntaxError> {
    let name = ident(toks.get(1)).ok_or_else(|| syntax("syntax error in DECLARE: expected a cursor name"))?;
    let (mut binary, mut hold) = (false, false);
    let mut i = 2;
    loop {
        let word = match toks.get(i) {
            Some((Tok::Word(w), _)) => w.to_ascii_uppercase(),
            _ => return Err(syntax("syntax error in DECLARE: expected CURSOR … FOR query")),
        };
        match word.as_str() {
            "BINARY" => binary = true,
            "INSENSITIVE" | "ASENSITIVE" => {}
            "NO" if is_kw(toks.get(i + 1), "SCROLL") => i += 1,
            "SCROLL" => {
                return Err(CursorSyntaxError {
                    code: "0A000",
                    message: "SCROLL cursors are not supported: a Flink result can only be read forward".into(),
                })
            }
            "CURSOR" => {}
            "WITH" if is_kw(toks.get(i + 1), "HOLD") => {
                hold = true;
                i += 1;
            }
            "WITHOUT" if is_kw(toks.get(i + 1), "HOLD") => i += 1,
            "FOR" => {
                let start = toks.get(i + 1).map(|t| t.1).ok_or_else(|| syntax("DECLARE … FOR needs a query"))?;
                let query = sql[start..].trim().trim_end_matches(';').trim().to_owned();
                return Ok(CursorCommand::Declare { name, binary, hold, query });
            }
            other => return Err(syntax(format!("syntax error in DECLARE at or near \"{other}\""))),
        }
        i += 1;
    }
}

fn count(tok: Option<&(Tok, usize)>) -> Option<u64> {
    match tok {
        Some((Tok::Num(n), _)) => n.parse().ok(),
        _ => None,
    }
}

fn parse_fetch(toks: &[(Tok, usize)], is_move: bool) -> Result<CursorCommand, CursorSyntaxError> {
    let verb = if is_move { "MOVE" } else { "FETCH" };
    let mut i = 1;
    let mut n: Option<u64> = Some(1);
    let backward = || CursorSyntaxError {
        code: "55000",
        message: "cursor can only scan forward: a Flink result cannot be read backward".into(),
    };
    if let Some((Tok::Num(text), _)) = toks.get(i) {
        if text.starts_with('-') {
            return Err(backward());
        }
        n = Some(text.parse().map_err(|_| syntax(format!("bad row count in {verb}")))?);
        i += 1;
    } else if let Some((Tok::Word(w), _)) = toks.get(i) {
        match w.to_ascii_uppercase().as_str() {
            "NEXT" => i += 1,
            "ALL" => {
                n = None;
                i += 1;
            }
            "FORWARD" => {
                i += 1;
                if is_kw(toks.get(i), "ALL") {
                    n = None;
                    i += 1;
                } else if let Some(c) = count(toks.get(i)) {
                    n = Some(c);
                    i += 1;
                } else if matches!(toks.get(i), Some((Tok::Num(_), _))) {
                    return Err(backward());
                }
            }
            "PRIOR" | "FIRST" | "LAST" | "ABSOLUTE" | "RELATIVE" | "BACKWARD" => return Err(backward()),
            _ => {}
        }
    }
    if is_kw(toks.get(i), "FROM") || is_kw(toks.get(i), "IN") {
        i += 1;
    }
    let name = ident(toks.get(i)).ok_or_else(|| syntax(format!("syntax error in {verb}: expected a cursor name")))?;
    i += 1;
    let mut timeout = None;
    if is_kw(toks.get(i), "WITH") {
        // WITH (timeout = '1s')
        let ok = matches!(toks.get(i + 1), Some((Tok::Punct('('), _)))
            && is_kw(toks.get(i + 2), "TIMEOUT")
            && matches!(toks.get(i + 3), Some((Tok::Punct('='), _)));
        let value = match toks.get(i + 4) {
            Some((Tok::Str(s), _)) | Some((Tok::Num(s), _)) => Some(s.clone()),
            _ => None,
        };
        let close = matches!(toks.get(i + 5), Some((Tok::Punct(')'), _)));
        match (ok, value, close) {
            (true, Some(v), true) => {
                timeout = Some(parse_duration_ms(&v).ok_or_else(|| CursorSyntaxError {
                    code: "22023",
                    message: format!("invalid FETCH timeout \"{v}\""),
                })?);
                i += 6;
            }
            _ => return Err(syntax(format!("syntax error in {verb}: expected WITH (timeout = '…')"))),
        }
    }
    if matches!(toks.get(i), Some((Tok::Punct(';'), _))) {
        i += 1;
    }
    if i != toks.len() {
        return Err(syntax(format!("syntax error in {verb}")));
    }
    Ok(CursorCommand::Fetch { name, count: n, timeout, is_move })
}

impl CopyCommand {
    /// Recognises `COPY …`; `None` for anything else.
    pub fn parse(sql: &str) -> Option<Result<Self, CursorSyntaxError>> {
        let toks = tokens(sql);
        if !is_kw(toks.first(), "COPY") {
            return None;
        }
        Some(parse_copy(sql, &toks))
    }
}

fn parse_copy(sql: &str, toks: &[(Tok, usize)]) -> Result<CopyCommand, CursorSyntaxError> {
    let unsupported = || CursorSyntaxError {
        code: "0A000",
        message: "flinkwire supports only COPY (query) TO STDOUT and COPY table TO STDOUT".into(),
    };
    let mut i = 1;
    let query = if matches!(toks.get(1), Some((Tok::Punct('('), _))) {
        let mut depth = 0;
        let mut end = None;
        for (j, (t, _)) in toks.iter().enumerate().skip(1) {
            match t {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(j);
                        break;
                    }
                }
                _ => {}
            }
        }
        let end = end.ok_or_else(|| syntax("COPY: unbalanced parentheses"))?;
        let query = sql[toks[1].1 + 1..toks[end].1].trim().to_owned();
        i = end + 1;
        query
    } else {
        // COPY table [(columns)] TO STDOUT
        let start = toks.get(1).ok_or_else(unsupported)?.1;
        while i < toks.len() && !is_kw(toks.get(i), "TO") && !is_kw(toks.get(i), "FROM") && !matches!(toks[i].0, Tok::Punct('(')) {
            i += 1;
        }
        let table = sql[start..toks.get(i).map_or(sql.len(), |t| t.1)].trim().to_owned();
        let mut columns = "*".to_owned();
        if matches!(toks.get(i), Some((Tok::Punct('('), _))) {
            let open = toks[i].1;
            let close = toks[i..].iter().find(|t| t.0 == Tok::Punct(')')).ok_or_else(|| syntax("COPY: unbalanced parentheses"))?.1;
            columns = sql[open + 1..close].trim().to_owned();
            while i < toks.len() && toks[i].0 != Tok::Punct(')') {
                i += 1;
            }
            i += 1;
        }
        format!("SELECT {columns} FROM {table}")
    };
    if !is_kw(toks.get(i), "TO") || !is_kw(toks.get(i + 1), "STDOUT") {
        return Err(unsupported());
    }
    i += 2;
    let mut options = CopyOptions::default();
    let mut csv_null = false;
    let char_opt = |tok: Option<&(Tok, usize)>, what: &str| -> Result<u8, CursorSyntaxError> {
        match tok {
            Some((Tok::Str(s), _)) if s.len() == 1 => Ok(s.as_bytes()[0]),
            _ => Err(syntax(format!("COPY {what} must be a single one-byte character"))),
        }
    };
    if is_kw(toks.get(i), "WITH") {
        i += 1;
    }
    if matches!(toks.get(i), Some((Tok::Punct('('), _))) {
        // New syntax: ( option [value] [, …] )
        i += 1;
        while i < toks.len() && toks[i].0 != Tok::Punct(')') {
            let name = match toks.get(i) {
                Some((Tok::Word(w), _)) => w.to_ascii_uppercase(),
                _ => return Err(syntax("COPY: expected an option name")),
            };
            i += 1;
            let value = match toks.get(i) {
                Some((Tok::Word(w), _)) | Some((Tok::Str(w), _)) | Some((Tok::Num(w), _)) | Some((Tok::Ident(w), _)) => {
                    i += 1;
                    Some(w.clone())
                }
                _ => None,
            };
            let value_tok = toks.get(i - 1);
            match name.as_str() {
                "FORMAT" => {
                    options.format = match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
                        Some("text") => CopyFormat::Text,
                        Some("csv") => CopyFormat::Csv,
                        Some("binary") => CopyFormat::Binary,
                        _ => return Err(syntax("COPY format must be text, csv or binary")),
                    }
                }
                "HEADER" => {
                    options.header = match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
                        None | Some("true") | Some("on") | Some("1") => true,
                        Some("false") | Some("off") | Some("0") => false,
                        Some(other) => return Err(syntax(format!("COPY HEADER: bad value {other}"))),
                    }
                }
                "DELIMITER" => options.delimiter = char_opt(value_tok, "delimiter")?,
                "QUOTE" => options.quote = char_opt(value_tok, "quote")?,
                "ESCAPE" => options.escape = char_opt(value_tok, "escape")?,
                "NULL" => {
                    options.null = value.ok_or_else(|| syntax("COPY NULL needs a string"))?;
                    csv_null = true;
                }
                other => return Err(CursorSyntaxError { code: "0A000", message: format!("COPY option {other} is not supported") }),
            }
            if matches!(toks.get(i), Some((Tok::Punct(','), _))) {
                i += 1;
            }
        }
        i += 1;
    } else {
        // Old syntax: [BINARY] [CSV [HEADER] [DELIMITER [AS] 'c'] [NULL [AS] 's'] [QUOTE [AS] 'q']]
        while let Some((Tok::Word(w), _)) = toks.get(i) {
            i += 1;
            let skip_as = |i: &mut usize| {
                if is_kw(toks.get(*i), "AS") {
                    *i += 1;
                }
            };
            match w.to_ascii_uppercase().as_str() {
                "BINARY" => options.format = CopyFormat::Binary,
                "CSV" => options.format = CopyFormat::Csv,
                "HEADER" => options.header = true,
                "DELIMITER" => {
                    skip_as(&mut i);
                    options.delimiter = char_opt(toks.get(i), "delimiter")?;
                    i += 1;
                }
                "QUOTE" => {
                    skip_as(&mut i);
                    options.quote = char_opt(toks.get(i), "quote")?;
                    i += 1;
                }
                "ESCAPE" => {
                    skip_as(&mut i);
                    options.escape = char_opt(toks.get(i), "escape")?;
                    i += 1;
                }
                "NULL" => {
                    skip_as(&mut i);
                    match toks.get(i) {
                        Some((Tok::Str(s), _)) => options.null = s.clone(),
                        _ => return Err(syntax("COPY NULL needs a string")),
                    }
                    csv_null = true;
                    i += 1;
                }
                other => return Err(CursorSyntaxError { code: "0A000", message: format!("COPY option {other} is not supported") }),
            }
        }
    }
    if matches!(toks.get(i), Some((Tok::Punct(';'), _))) {
        i += 1;
    }
    if i < toks.len() {
        return Err(syntax("syntax error at the end of COPY"));
    }
    if options.format == CopyFormat::Csv {
        if !csv_null {
            options.null = String::new();
        }
        if options.delimiter == b'\t' && !sql.to_ascii_uppercase().contains("DELIMITER") {
            options.delimiter = b',';
        }
        if options.escape == b'"' {
            options.escape = options.quote;
        }
    }
    Ok(CopyCommand { query, options })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(sql: &str) -> CursorCommand {
        CursorCommand::parse(sql).unwrap().unwrap()
    }

    #[test]
    fn declares() {
        assert_eq!(
            cur("DECLARE \"C_1\" NO SCROLL CURSOR WITH HOLD FOR SELECT * FROM t;"),
            CursorCommand::Declare { name: "C_1".into(), binary: false, hold: true, query: "SELECT * FROM t".into() }
        );
        assert_eq!(
            cur("declare Cur binary cursor without hold for (select 1)"),
            CursorCommand::Declare { name: "cur".into(), binary: true, hold: false, query: "(select 1)".into() }
        );
        assert_eq!(CursorCommand::parse("DECLARE c SCROLL CURSOR FOR SELECT 1").unwrap().unwrap_err().code, "0A000");
        assert!(CursorCommand::parse("SELECT 1").is_none());
    }

    #[test]
    fn fetches() {
        let fetch = |name: &str, count, timeout, is_move| CursorCommand::Fetch { name: name.into(), count, timeout, is_move };
        assert_eq!(cur("FETCH c"), fetch("c", Some(1), None, false));
        assert_eq!(cur("FETCH NEXT FROM c"), fetch("c", Some(1), None, false));
        assert_eq!(cur("FETCH 100 IN \"SQL_CUR0x1\""), fetch("SQL_CUR0x1", Some(100), None, false));
        assert_eq!(cur("FETCH FORWARD 5 FROM c"), fetch("c", Some(5), None, false));
        assert_eq!(cur("fetch forward all from c"), fetch("c", None, None, false));
        assert_eq!(cur("FETCH ALL c"), fetch("c", None, None, false));
        assert_eq!(cur("MOVE 10 IN c"), fetch("c", Some(10), None, true));
        assert_eq!(
            cur("FETCH 10 c WITH (timeout = '1s')"),
            fetch("c", Some(10), Some(Duration::from_secs(1)), false)
        );
        assert_eq!(CursorCommand::parse("FETCH PRIOR FROM c").unwrap().unwrap_err().code, "55000");
        assert_eq!(cur("CLOSE ALL"), CursorCommand::Close { name: None });
        assert_eq!(cur("close \"All\""), CursorCommand::Close { name: Some("All".into()) });
    }

    #[test]
    fn copies() {
        let c = CopyCommand::parse("COPY (SELECT ')' AS x FROM t) TO STDOUT WITH (FORMAT csv, HEADER)").unwrap().unwrap();
        assert_eq!(c.query, "SELECT ')' AS x FROM t");
        assert_eq!(c.options.format, CopyFormat::Csv);
        assert!(c.options.header);
        assert_eq!(c.options.delimiter, b',');
        assert_eq!(c.options.null, "");
        let c = CopyCommand::parse("copy orders (a, b) to stdout with csv header delimiter ';'").unwrap().unwrap();
        assert_eq!(c.query, "SELECT a, b FROM orders");
        assert_eq!(c.options.delimiter, b';');
        let c = CopyCommand::parse("COPY t TO STDOUT (FORMAT binary)").unwrap().unwrap();
        assert_eq!((c.query.as_str(), c.options.format), ("SELECT * FROM t", CopyFormat::Binary));
        let c = CopyCommand::parse("COPY (VALUES (1)) TO STDOUT").unwrap().unwrap();
        assert_eq!((c.options.format, c.options.null.as_str()), (CopyFormat::Text, "\\N"));
        assert_eq!(CopyCommand::parse("COPY t FROM STDIN").unwrap().unwrap_err().code, "0A000");
    }
}
