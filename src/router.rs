//! Per statement: where it goes and what kind of answer it gets.
//!
//! A simple-query string may hold several statements; [`split_statements`] cuts it where
//! PostgreSQL and Flink would, respecting string literals, quoted identifiers, comments and
//! Flink's `BEGIN STATEMENT SET; … END;` block. [`classify`] looks at the leading keywords only:
//! when in doubt a statement goes to Flink unchanged and the gateway's answer decides.

/// What kind of answer a statement produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementKind {
    /// Nothing but whitespace, semicolons and comments.
    Empty,
    /// Returns rows and has no side effects, so it may run at Describe time: SELECT, WITH,
    /// VALUES, SHOW, DESCRIBE, EXPLAIN, and `SET` without arguments (lists the configuration).
    Query,
    /// Submits a Flink job and answers with its id at once: INSERT, EXECUTE STATEMENT SET,
    /// statement-set blocks.
    Job,
    /// Transaction control, answered locally: Flink SQL has no transactions, but PostgreSQL
    /// clients (psycopg's default mode, PgJDBC with autocommit off) wrap statements in them.
    Transaction(TransactionCommand),
    /// A PostgreSQL session command answered by flinkwire (`SET x TO y`, `SHOW x`, `RESET x`,
    /// `DISCARD ALL`, `DEALLOCATE`…), see [`crate::local`].
    Local(crate::local::LocalCommand),
    /// Everything else (DDL, `SET 'k' = 'v'`, `USE`, `RESET`…): answered with a command tag.
    Command {
        /// The PostgreSQL command tag, e.g. `CREATE TABLE`.
        tag: String,
    },
}

/// Who answers a statement the session runs (a query, a command or a job), as
/// `ClientSession::destination` decides it; everything not named here goes to Flink.
#[derive(Debug)]
pub enum Destination {
    /// flinkwire's own `SHOW CLUSTERS`, from the cluster registry.
    Clusters,
    /// `SHOW CATALOGS` of a role limited to some catalogs: the allowed ones.
    AllowedCatalogs,
    /// pg_catalog / information_schema / client functions: the catalog emulation.
    Catalog,
    /// pg_catalog mixed with the named Flink table: refused (0A000).
    Mixed(String),
    /// A constant `SELECT` whose Flink answer flinkwire knows ([`crate::local::constant`]).
    Constant(crate::local::constant::ConstantSelect),
    /// An earlier identical answer, from the result cache ([`crate::results::cache`]).
    Cached(std::sync::Arc<crate::results::cache::Entry>),
    /// The SQL Gateway, its answer recorded into the result cache under this key.
    Cacheable(crate::results::cache::CacheKey),
    /// The SQL Gateway.
    Flink,
}

impl Destination {
    /// The engine counted in `flinkwire_queries_total` (a mixed query is refused on its way to
    /// Flink).
    pub fn metric_kind(&self) -> crate::admin::metrics::QueryKind {
        use crate::admin::metrics::QueryKind;
        match self {
            Self::Clusters | Self::AllowedCatalogs | Self::Constant(_) => QueryKind::Local,
            Self::Catalog => QueryKind::Catalog,
            Self::Cached(_) => QueryKind::Cache,
            Self::Mixed(_) | Self::Cacheable(_) | Self::Flink => QueryKind::Flink,
        }
    }
}

/// A transaction-control statement and what it does to the client's transaction state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionCommand {
    /// `BEGIN`, `START TRANSACTION`.
    Begin,
    /// `COMMIT`, `END`.
    Commit,
    /// `ROLLBACK`, `ABORT`.
    Rollback,
}

impl TransactionCommand {
    /// The command tag PostgreSQL answers with.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Begin => "BEGIN",
            Self::Commit => "COMMIT",
            Self::Rollback => "ROLLBACK",
        }
    }
}

impl StatementKind {
    /// Whether the statement answers with rows.
    pub fn returns_rows(&self) -> bool {
        match self {
            Self::Query | Self::Job => true,
            Self::Local(command) => command.returns_rows(),
            _ => false,
        }
    }
}

/// Classifies one statement by its leading keywords.
pub fn classify(sql: &str) -> StatementKind {
    let words = leading_words(sql, 6);
    let Some(first) = words.first() else { return StatementKind::Empty };
    let word = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    if let Some(command) = crate::local::recognize(sql, &words) {
        return StatementKind::Local(command);
    }
    match first.as_str() {
        "SELECT" | "WITH" | "VALUES" | "SHOW" | "DESCRIBE" | "DESC" | "EXPLAIN" | "TABLE" => {
            StatementKind::Query
        }
        // Only the bare `SET` lists the session configuration; `SET 'k' = 'v'` changes it.
        "SET" if words.len() == 1 => StatementKind::Query,
        "INSERT" => StatementKind::Job,
        "EXECUTE" if word(1) == "STATEMENT" || word(1) == "INSERT" => StatementKind::Job,
        "BEGIN" if word(1) == "STATEMENT" => StatementKind::Job,
        "BEGIN" | "START" => StatementKind::Transaction(TransactionCommand::Begin),
        "COMMIT" | "END" => StatementKind::Transaction(TransactionCommand::Commit),
        "ROLLBACK" | "ABORT" => StatementKind::Transaction(TransactionCommand::Rollback),
        "CREATE" | "DROP" | "ALTER" => {
            // `CREATE TEMPORARY SYSTEM FUNCTION f` → `CREATE FUNCTION`; `DROP TABLE` stays.
            let object = words[1..]
                .iter()
                .find(|w| !matches!(w.as_str(), "TEMPORARY" | "SYSTEM" | "OR" | "REPLACE"))
                .map(String::as_str)
                .unwrap_or("");
            if object.is_empty() {
                StatementKind::Command { tag: first.clone() }
            } else {
                StatementKind::Command { tag: format!("{first} {object}") }
            }
        }
        other => StatementKind::Command { tag: other.to_owned() },
    }
}

/// Whether a rewrite of `original` leaves the router seeing as many statements in it. Every
/// rewrite flinkwire makes of a client's text (dialect translation, backticking) must keep this:
/// a statement end that moves would let part of a literal or comment reach Flink as SQL.
pub fn same_statement_count(original: &str, rewritten: &str) -> bool {
    split_statements(original).len() == split_statements(rewritten).len()
}

/// Splits a query string into statements (without their terminating `;`), dropping empty ones.
pub fn split_statements(sql: &str) -> Vec<&str> {
    let mut out = Vec::new();
    // `start`: where the current statement began; `segment`: where the text after the last `;` began.
    let (mut start, mut segment) = (0, 0);
    let mut in_statement_set = false;
    for end in statement_ends(sql) {
        let words = leading_words(&sql[segment..end], 3);
        segment = end + 1;
        if words.len() >= 3 && words[0] == "BEGIN" && words[1] == "STATEMENT" && words[2] == "SET" {
            in_statement_set = true;
            continue;
        }
        if in_statement_set {
            // The block ends with a bare `END`; keep accumulating until then.
            if words.len() == 1 && words[0] == "END" {
                in_statement_set = false;
            } else {
                continue;
            }
        }
        push_nonempty(&mut out, &sql[start..end]);
        start = end + 1;
    }
    push_nonempty(&mut out, &sql[start.min(sql.len())..]);
    out
}

fn push_nonempty<'a>(out: &mut Vec<&'a str>, piece: &'a str) {
    if !leading_words(piece, 1).is_empty() {
        out.push(piece.trim());
    }
}

/// Byte offsets of every `;` that ends a statement (outside literals and comments).
fn statement_ends(sql: &str) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut lexer = Lexer::new(sql);
    while let Some(token) = lexer.next_token() {
        if let Token::Semicolon(at) = token {
            ends.push(at);
        }
    }
    ends
}

/// The first `n` words of a statement, upper-cased, skipping comments and opening parentheses.
pub fn leading_words(sql: &str, n: usize) -> Vec<String> {
    let mut words = Vec::with_capacity(n);
    let mut lexer = Lexer::new(sql);
    while words.len() < n {
        match lexer.next_token() {
            Some(Token::Word(w)) => words.push(w.to_ascii_uppercase()),
            Some(Token::Open) if words.is_empty() => continue,
            Some(Token::Hint(_)) => continue,
            Some(Token::Quoted(q)) if !words.is_empty() => words.push(q.to_owned()),
            Some(_) | None => break,
        }
    }
    words
}

/// Deepest nesting of function calls flinkwire hands to sqlparser. sqlparser 0.62 (pinned by
/// DataFusion 55) parses nested calls in time exponential in their depth on the PostgreSQL
/// dialect (each argument is parsed twice): `f(f(…1…))` takes ~1 s at 18 levels in a debug
/// build and doubles per level, so one query could hold a core for hours. Fixed upstream
/// (apache/datafusion-sqlparser-rs #2352, #2378, #2392), not in this version.
pub const MAX_CALL_NESTING: usize = 16;

/// Whether `sql` nests calls (`name(`, `name (`) deeper than [`MAX_CALL_NESTING`]. Quotes and
/// comments are not considered on purpose: PostgreSQL's literals (`E'\''`, `$$…$$`) end where
/// this lexer's would not, and a nesting hidden from the count would reach sqlparser anyway;
/// a literal that itself holds 17 nested calls is refused too, which no real query does.
pub fn nests_calls_too_deep(sql: &str) -> bool {
    let mut calls = Vec::new(); // per open parenthesis: whether it opened a call
    let mut depth = 0usize;
    let mut after_name = false;
    for b in sql.bytes() {
        match b {
            b'(' => {
                calls.push(after_name);
                if after_name {
                    depth += 1;
                    if depth > MAX_CALL_NESTING {
                        return true;
                    }
                }
                after_name = false;
            }
            b')' => {
                if calls.pop() == Some(true) {
                    depth -= 1;
                }
                after_name = false;
            }
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => after_name = b.is_ascii_alphanumeric() || b == b'_' || b == b'"' || b == b'`' || b >= 0x80,
        }
    }
    false
}

/// Flink's `RESET` (`Some(None)`) or `RESET 'key'` (`Some(Some(key))`); `None` for anything else.
pub fn flink_reset_key(sql: &str) -> Option<Option<String>> {
    let mut lexer = Lexer::new(sql);
    match lexer.next_token()? {
        Token::Word(w) if w.eq_ignore_ascii_case("RESET") => {}
        _ => return None,
    }
    match lexer.next_token() {
        None | Some(Token::Semicolon(_)) => Some(None),
        // Only a terminated literal (an even number of quotes: the opening one, doubled ones, the
        // closing one) is a key. Cutting the "closing quote" off an unterminated one cut its last
        // character in two (`RESET 'é`: a panic, found by fuzzing, fuzz/sql/fuzz_targets/router.rs).
        Some(Token::Quoted(q)) if q.starts_with('\'') && q.len() >= 2 && q.matches('\'').count() % 2 == 0 => {
            Some(Some(q[1..q.len() - 1].replace("''", "'").trim().to_owned()))
        }
        Some(_) => None,
    }
}

/// A token of [`Lexer`]; comments are skipped, hints are kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Token<'a> {
    Word(&'a str),
    /// A string literal or quoted identifier, quotes included.
    Quoted(&'a str),
    Open,
    Close,
    Dot,
    Comma,
    Equals,
    Semicolon(usize),
    /// A hint comment `/*+ … */`, without its delimiters.
    Hint(&'a str),
    Other,
}

/// Every token of `sql` (the policy's scanner reads statements this way).
pub(crate) fn tokens(sql: &str) -> Vec<Token<'_>> {
    let mut lexer = Lexer::new(sql);
    std::iter::from_fn(|| lexer.next_token()).collect()
}

/// Every token of `sql` with the byte offset where it starts.
pub(crate) fn tokens_at(sql: &str) -> Vec<(usize, Token<'_>)> {
    let mut lexer = Lexer::new(sql);
    let mut out = Vec::new();
    loop {
        let before = lexer.skip_blanks();
        match lexer.next_token() {
            Some(token) => out.push((before, token)),
            None => return out,
        }
    }
}

/// Just enough of a SQL lexer to find statement boundaries, leading keywords and, for the
/// policy, names, literals and hints. Flink string literals double their quotes and know no
/// backslash escapes.
struct Lexer<'a> {
    sql: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(sql: &'a str) -> Self {
        Self { sql, pos: 0 }
    }

    fn next_token(&mut self) -> Option<Token<'a>> {
        let bytes = self.sql.as_bytes();
        loop {
            let c = *bytes.get(self.pos)?;
            let start = self.pos;
            match c {
                b if b.is_ascii_whitespace() => self.pos += 1,
                b'-' if bytes.get(self.pos + 1) == Some(&b'-') => self.pos = self.line_comment_end(),
                b'/' if bytes.get(self.pos + 1) == Some(&b'*') => {
                    let end = self.sql[self.pos + 2..].find("*/").map_or(self.sql.len(), |i| self.pos + 2 + i);
                    self.pos = (end + 2).min(self.sql.len());
                    if bytes.get(start + 2) == Some(&b'+') {
                        return Some(Token::Hint(&self.sql[(start + 3).min(end)..end]));
                    }
                }
                b'\'' | b'"' | b'`' => {
                    self.skip_quoted(c);
                    return Some(Token::Quoted(&self.sql[start..self.pos]));
                }
                b';' => {
                    self.pos += 1;
                    return Some(Token::Semicolon(start));
                }
                b'(' | b')' | b'.' | b',' | b'=' => {
                    self.pos += 1;
                    return Some(match c {
                        b'(' => Token::Open,
                        b')' => Token::Close,
                        b'.' => Token::Dot,
                        b',' => Token::Comma,
                        _ => Token::Equals,
                    });
                }
                b if b.is_ascii_alphabetic() || b == b'_' => {
                    while bytes.get(self.pos).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$') {
                        self.pos += 1;
                    }
                    return Some(Token::Word(&self.sql[start..self.pos]));
                }
                _ => {
                    // Advance one whole UTF-8 character.
                    self.pos += self.sql[self.pos..].chars().next().map_or(1, char::len_utf8);
                    return Some(Token::Other);
                }
            }
        }
    }

    /// Where the `--` comment at `pos` ends: after a line feed or a carriage return, in
    /// PostgreSQL's lexer, sqlparser's and Flink's (Calcite) alike: `-- x\rADD JAR …` is not all
    /// comment. (Both the token scanner and `skip_blanks` use this; fuzzing found `skip_blanks`
    /// still ending it at `\n` only after the scanner was fixed.)
    fn line_comment_end(&self) -> usize {
        self.sql[self.pos..].find(['\n', '\r']).map_or(self.sql.len(), |i| self.pos + i + 1)
    }

    /// Skips whitespace and plain comments; returns where the next token starts.
    fn skip_blanks(&mut self) -> usize {
        let bytes = self.sql.as_bytes();
        loop {
            match bytes.get(self.pos) {
                Some(b) if b.is_ascii_whitespace() => self.pos += 1,
                Some(b'-') if bytes.get(self.pos + 1) == Some(&b'-') => self.pos = self.line_comment_end(),
                Some(b'/') if bytes.get(self.pos + 1) == Some(&b'*') && bytes.get(self.pos + 2) != Some(&b'+') => {
                    self.pos = self.sql[self.pos + 2..].find("*/").map_or(self.sql.len(), |i| self.pos + 2 + i + 2);
                }
                _ => return self.pos,
            }
        }
    }

    /// Skips a quoted literal or identifier; a doubled quote is an escaped quote.
    fn skip_quoted(&mut self, quote: u8) {
        let bytes = self.sql.as_bytes();
        self.pos += 1;
        while let Some(&b) = bytes.get(self.pos) {
            self.pos += 1;
            if b == quote {
                if bytes.get(self.pos) == Some(&quote) {
                    self.pos += 1;
                } else {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_literals_and_comments() {
        let sql = "SELECT ';' AS a; -- c;\nSELECT `x;y` FROM t /* ; */; VALUES ('it''s;'); ;";
        assert_eq!(
            split_statements(sql),
            vec!["SELECT ';' AS a", "-- c;\nSELECT `x;y` FROM t /* ; */", "VALUES ('it''s;')"]
        );
        assert!(split_statements(" ; ;; -- nothing").is_empty());
        assert_eq!(split_statements("SELECT 1"), vec!["SELECT 1"]);
        // A carriage return ends a `--` comment, as in PostgreSQL and Flink (found by fuzzing:
        // the router saw no statement where Flink would run one).
        assert_eq!(split_statements("-- c\rADD JAR 'x'; SELECT 1"), vec!["-- c\rADD JAR 'x'", "SELECT 1"]);
        assert_eq!(tokens_at("-- c\rSELECT").first().map(|(at, _)| *at), Some(5));
        assert_eq!(classify("-- c\rINSERT INTO t VALUES (1)"), StatementKind::Job);
    }

    #[test]
    fn backslash_does_not_escape_in_flink_literals() {
        assert_eq!(split_statements(r"SELECT '\'; SELECT 2"), vec![r"SELECT '\'", "SELECT 2"]);
    }

    #[test]
    fn statement_set_block_stays_whole() {
        let sql = "BEGIN STATEMENT SET; INSERT INTO a SELECT 1; INSERT INTO b SELECT 2; END; SELECT 3";
        assert_eq!(
            split_statements(sql),
            vec!["BEGIN STATEMENT SET; INSERT INTO a SELECT 1; INSERT INTO b SELECT 2; END", "SELECT 3"]
        );
    }

    #[test]
    fn finds_the_key_of_a_flink_reset() {
        assert_eq!(flink_reset_key("RESET"), Some(None));
        assert_eq!(flink_reset_key(" reset ; "), Some(None));
        assert_eq!(flink_reset_key("RESET 'execution.runtime-mode'"), Some(Some("execution.runtime-mode".into())));
        assert_eq!(flink_reset_key("/* c */ RESET 'it''s'"), Some(Some("it's".into())));
        assert_eq!(flink_reset_key("RESET ALL"), None);
        assert_eq!(flink_reset_key("SET 'a' = 'b'"), None);
        // Unterminated literals are no key (`RESET 'é` panicked; found by fuzzing).
        assert_eq!(flink_reset_key("RESET 'é"), None);
        assert_eq!(flink_reset_key("RESET 'abc"), None);
        assert_eq!(flink_reset_key("RESET '''"), None);
        assert_eq!(flink_reset_key("RESET 'it''s'"), Some(Some("it's".into())));
        assert_eq!(flink_reset_key("RESET ''"), Some(Some(String::new())));
    }

    #[test]
    fn deep_call_nesting_is_found_wherever_it_hides() {
        let calls = |n: usize| format!("SELECT {}1{} FROM t", "f(".repeat(n), ")".repeat(n));
        assert!(!nests_calls_too_deep(&calls(MAX_CALL_NESTING)));
        assert!(nests_calls_too_deep(&calls(MAX_CALL_NESTING + 1)));
        // Grouping parentheses are cheap for sqlparser and do not count; calls inside them do.
        let grouped = format!("SELECT {}1{}", "((".repeat(40), "))".repeat(40));
        assert!(!nests_calls_too_deep(&grouped));
        let mixed = format!("SELECT {}1{}", "(f (".repeat(MAX_CALL_NESTING + 1), "))".repeat(MAX_CALL_NESTING + 1));
        assert!(nests_calls_too_deep(&mixed));
        // Sibling calls are not nesting.
        assert!(!nests_calls_too_deep(&format!("SELECT {}", vec!["f(g(1))"; 100].join(", "))));
        // A PostgreSQL literal this lexer would read differently hides nothing.
        assert!(nests_calls_too_deep(&format!("SELECT E'\\'', {} --'", calls(MAX_CALL_NESTING + 1))));
        // Unbalanced input neither underflows nor hides.
        assert!(!nests_calls_too_deep(")))) f(1"));
        assert!(nests_calls_too_deep(&format!("SELECT {}", "f(".repeat(MAX_CALL_NESTING + 1))));
    }

    #[test]
    fn classifies_by_leading_keywords() {
        assert_eq!(classify("  select 1"), StatementKind::Query);
        assert_eq!(classify("/* hi */ (SELECT 1) UNION (SELECT 2)"), StatementKind::Query);
        assert_eq!(classify("SHOW TABLES"), StatementKind::Query);
        assert_eq!(classify("EXPLAIN SELECT 1"), StatementKind::Query);
        assert_eq!(classify("SET"), StatementKind::Query);
        assert_eq!(classify("SET 'a' = 'b'"), StatementKind::Command { tag: "SET".into() });
        assert_eq!(classify("RESET"), StatementKind::Command { tag: "RESET".into() });
        assert_eq!(classify("USE CATALOG c"), StatementKind::Command { tag: "USE".into() });
        assert_eq!(classify("insert into t values (1)"), StatementKind::Job);
        assert_eq!(classify("EXECUTE STATEMENT SET BEGIN INSERT INTO t SELECT 1; END"), StatementKind::Job);
        assert_eq!(
            classify("CREATE TEMPORARY TABLE t (a INT)"),
            StatementKind::Command { tag: "CREATE TABLE".into() }
        );
        assert_eq!(
            classify("create or replace temporary view v as select 1"),
            StatementKind::Command { tag: "CREATE VIEW".into() }
        );
        assert_eq!(classify("DROP CATALOG c"), StatementKind::Command { tag: "DROP CATALOG".into() });
        assert_eq!(classify("-- only a comment"), StatementKind::Empty);
        assert_eq!(classify("begin"), StatementKind::Transaction(TransactionCommand::Begin));
        assert_eq!(
            classify("START TRANSACTION ISOLATION LEVEL READ COMMITTED"),
            StatementKind::Transaction(TransactionCommand::Begin)
        );
        assert_eq!(classify("COMMIT"), StatementKind::Transaction(TransactionCommand::Commit));
        assert_eq!(classify("rollback"), StatementKind::Transaction(TransactionCommand::Rollback));
    }
}
