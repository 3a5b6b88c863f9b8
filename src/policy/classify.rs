//! What a statement does, for the policy: a Flink-aware scan of its tokens (the router's
//! lexer: literals, quoted identifiers, comments, hints), on top of the router's own
//! classification (PostgreSQL session commands parsed by sqlparser, transactions).
//!
//! sqlparser does not parse most Flink SQL (DDL with `WITH (…)`, `ADD JAR`, `STOP JOB`,
//! statement sets, backquoted identifiers in PostgreSQL mode), so the Flink forms are read by
//! keyword here. Anything the scanner does not recognize is [`Class::Unknown`], which the
//! policy refuses to every role but admins: fail closed.

use crate::router::{self, StatementKind, Token};

/// What a statement does, as far as the policy cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    /// Nothing but whitespace and comments.
    Empty,
    /// Reads only: SELECT, WITH, VALUES, TABLE, SHOW (but SHOW CREATE), DESCRIBE, EXPLAIN, bare `SET`.
    Read,
    /// `SHOW CREATE TABLE | VIEW | …`: may reveal credentials stored in table options.
    ShowCreate,
    /// Answered by flinkwire without Flink: PostgreSQL session commands, transaction control,
    /// savepoints, `FETCH`/`MOVE`/`CLOSE` of a cursor.
    Session,
    /// `DECLARE … CURSOR FOR query`: the query decides.
    Declare(Box<Class>),
    /// `COPY (query) TO STDOUT`, `COPY table TO STDOUT`: the query decides.
    Copy(Box<Class>),
    /// Flink's `SET 'key' = 'value'`.
    SetKey(String),
    /// Flink's `RESET` and `RESET 'key'`: back to the session's defaults.
    Reset,
    /// `USE CATALOG name`.
    UseCatalog(String),
    /// `USE [catalog.]database`.
    UseDatabase,
    /// Submits or runs a job that writes: INSERT, `EXECUTE INSERT`, statement sets, DELETE,
    /// UPDATE, TRUNCATE, ANALYZE.
    Job,
    /// `CREATE [TEMPORARY] TABLE` (also `… AS query` and `CREATE OR REPLACE TABLE … AS`).
    CreateTable { as_query: bool },
    /// Other DDL on tables, views and databases: CREATE VIEW/DATABASE, DROP/ALTER TABLE/VIEW/DATABASE.
    Ddl,
    /// `ALTER TABLE … SET (…)` / `RESET (…)`: changes a table's connector options (its path).
    TableOptions,
    /// CREATE/DROP/ALTER FUNCTION (with or without `USING JAR`).
    Function,
    /// `ADD JAR`, `REMOVE JAR`.
    Jar,
    /// `LOAD MODULE`, `UNLOAD MODULE`, `USE MODULES`.
    Module,
    /// `CALL procedure(…)`.
    Call,
    /// CREATE/DROP/ALTER CATALOG.
    Catalog,
    /// `COMPILE PLAN 'file'`, `EXECUTE PLAN 'file'`: read and write files.
    Plan,
    /// `STOP JOB 'id'`.
    StopJob(String),
    /// What the scanner does not understand: refused to every role but admins.
    Unknown,
}

impl Class {
    /// The short name written to the audit log (`statement_kind`).
    pub fn label(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Read => "query",
            Self::ShowCreate => "show_create",
            Self::Session => "session",
            Self::Declare(_) => "declare_cursor",
            Self::Copy(_) => "copy",
            Self::SetKey(_) => "set",
            Self::Reset => "reset",
            Self::UseCatalog(_) | Self::UseDatabase => "use",
            Self::Job => "job",
            Self::CreateTable { .. } => "create_table",
            Self::Ddl => "ddl",
            Self::TableOptions => "table_options",
            Self::Function => "function",
            Self::Jar => "jar",
            Self::Module => "module",
            Self::Call => "call",
            Self::Catalog => "catalog",
            Self::Plan => "plan",
            Self::StopJob(_) => "stop_job",
            Self::Unknown => "unknown",
        }
    }
}

/// A classified statement with the facts the policy checks besides its class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub class: Class,
    /// Every `'connector' = 'x'` (and legacy `'connector.type'`) the statement names.
    pub connectors: Vec<String>,
    /// Whether a `/*+ OPTIONS(…) */` hint overrides table options (a path, a connector).
    pub options_hint: bool,
    /// Catalogs the statement names explicitly: first parts of `a.b.c` names, of `a.b` names
    /// where those mean catalog.database (`USE`, `… DATABASE`, `SHOW … FROM`), and `USE CATALOG`.
    pub catalogs: Vec<String>,
}

/// One name part, quotes removed.
fn ident(token: &Token<'_>) -> Option<String> {
    match token {
        Token::Word(w) => Some((*w).to_owned()),
        Token::Quoted(q) if q.starts_with('`') || q.starts_with('"') => {
            let quote = &q[..1];
            let inner = q.strip_prefix(quote)?.strip_suffix(quote).unwrap_or(&q[1..]);
            Some(inner.replace(&format!("{quote}{quote}"), quote))
        }
        _ => None,
    }
}

/// A string literal's value, quotes removed; `None` for anything else.
fn literal(token: &Token<'_>) -> Option<String> {
    match token {
        Token::Quoted(q) if q.starts_with('\'') && q.len() >= 2 && q.ends_with('\'') => Some(q[1..q.len() - 1].replace("''", "'")),
        _ => None,
    }
}

fn is_word(token: Option<&Token<'_>>, word: &str) -> bool {
    matches!(token, Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
}

/// The significant tokens (hints apart) with their parenthesis depth.
struct Scan<'a> {
    tokens: Vec<(Token<'a>, usize)>,
    hints: Vec<&'a str>,
}

impl<'a> Scan<'a> {
    fn new(sql: &'a str) -> Self {
        let mut depth = 0usize;
        let mut tokens = Vec::new();
        let mut hints = Vec::new();
        for token in router::tokens(sql) {
            match token {
                Token::Hint(h) => hints.push(h),
                Token::Open => {
                    tokens.push((token, depth));
                    depth += 1;
                }
                Token::Close => {
                    depth = depth.saturating_sub(1);
                    tokens.push((token, depth));
                }
                _ => tokens.push((token, depth)),
            }
        }
        Self { tokens, hints }
    }

    /// The upper-cased words at depth 0, in order (the statement's keywords and names).
    fn top_words(&self) -> Vec<String> {
        self.tokens
            .iter()
            .filter(|(_, d)| *d == 0)
            .filter_map(|(t, _)| match t {
                Token::Word(w) => Some(w.to_ascii_uppercase()),
                _ => None,
            })
            .collect()
    }

    /// Name chains (`a.b.c`, backquotes allowed), with where each starts.
    fn names(&self) -> Vec<(usize, Vec<String>)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.tokens.len() {
            let Some(first) = ident(&self.tokens[i].0) else {
                i += 1;
                continue;
            };
            // A name does not start right after a dot (that is the middle of a chain or a
            // field access on an expression).
            if i > 0 && self.tokens[i - 1].0 == Token::Dot {
                i += 1;
                continue;
            }
            let start = i;
            let mut chain = vec![first];
            while self.tokens.get(i + 1).map(|t| t.0) == Some(Token::Dot) {
                match self.tokens.get(i + 2).and_then(|t| ident(&t.0)) {
                    Some(part) => {
                        chain.push(part);
                        i += 2;
                    }
                    None => break,
                }
            }
            out.push((start, chain));
            i += 1;
        }
        out
    }

    /// Every `'connector' = 'x'` pair.
    fn connectors(&self) -> Vec<String> {
        let t = &self.tokens;
        (0..t.len().saturating_sub(2))
            .filter(|&i| {
                literal(&t[i].0).is_some_and(|k| {
                    let k = k.trim().to_ascii_lowercase();
                    k == "connector" || k == "connector.type"
                }) && t[i + 1].0 == Token::Equals
            })
            .map(|i| literal(&t[i + 2].0).unwrap_or_else(|| "<not a literal>".to_owned()).trim().to_owned())
            .collect()
    }

    /// Whether a word appears at depth 0 right before a query keyword (`CREATE TABLE t AS SELECT`).
    fn as_query_at_top(&self) -> bool {
        self.tokens.windows(2).any(|w| {
            w[0].1 == 0
                && is_word(Some(&w[0].0), "AS")
                && (w[1].0 == Token::Open || ["SELECT", "WITH", "VALUES", "TABLE"].iter().any(|k| is_word(Some(&w[1].0), k)))
        })
    }

    /// Whether a `;` separates statements inside this piece (outside a statement set).
    fn has_inner_semicolon(&self) -> bool {
        let last = self.tokens.iter().rposition(|(t, _)| !matches!(t, Token::Semicolon(_)));
        self.tokens.iter().enumerate().any(|(i, (t, _))| matches!(t, Token::Semicolon(_)) && last.is_some_and(|l| i < l))
    }
}

/// Classifies one statement (as [`router::split_statements`] cuts them).
pub fn classify(sql: &str) -> Statement {
    let scan = Scan::new(sql);
    let options_hint = scan.hints.iter().any(|h| {
        router::leading_words(h, 16).iter().any(|w| w == "OPTIONS") || h.to_ascii_uppercase().contains("OPTIONS")
    });
    let words = scan.top_words();
    let class = class_of(sql, &scan, &words);
    let catalogs = explicit_catalogs(&scan, &words, &class);
    Statement { class, connectors: scan.connectors(), options_hint, catalogs }
}

fn class_of(sql: &str, scan: &Scan<'_>, words: &[String]) -> Class {
    let word = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    let statement_set = (word(0) == "BEGIN" || word(0) == "EXECUTE" || word(0) == "EXPLAIN") && words.windows(2).take(3).any(|w| w[0] == "STATEMENT" && w[1] == "SET");
    if scan.has_inner_semicolon() && !statement_set {
        // Several statements in one piece the splitter did not cut: never guess.
        return Class::Unknown;
    }
    match router::classify(sql) {
        StatementKind::Empty => return Class::Empty,
        StatementKind::Transaction(_) | StatementKind::Local(_) => return Class::Session,
        _ => {}
    }
    let first = scan.tokens.first().map(|t| t.0);
    match word(0) {
        _ if first == Some(Token::Open) => Class::Read,
        "SELECT" | "WITH" | "VALUES" | "TABLE" | "DESCRIBE" | "DESC" | "EXPLAIN" => Class::Read,
        "SHOW" if word(1) == "CREATE" => Class::ShowCreate,
        "SHOW" => Class::Read,
        "SET" if words.len() == 1 && scan.tokens.iter().all(|(t, _)| matches!(t, Token::Word(_) | Token::Semicolon(_))) => Class::Read,
        "SET" => match scan.tokens.get(1).map(|t| t.0) {
            Some(t @ Token::Quoted(_)) if literal(&t).is_some() && scan.tokens.get(2).map(|t| t.0) == Some(Token::Equals) => {
                Class::SetKey(literal(&t).unwrap_or_default().trim().to_owned())
            }
            _ => Class::Unknown,
        },
        "RESET" if router::flink_reset_key(sql).is_some() => Class::Reset,
        "USE" if word(1) == "CATALOG" => match scan.tokens.get(2).and_then(|t| ident(&t.0)) {
            Some(name) if scan.tokens.len() <= 4 => Class::UseCatalog(name),
            _ => Class::Unknown,
        },
        "USE" if word(1) == "MODULES" => Class::Module,
        "USE" if scan.tokens.len() >= 2 => Class::UseDatabase,
        "INSERT" | "DELETE" | "UPDATE" | "TRUNCATE" | "ANALYZE" => Class::Job,
        "EXECUTE" if word(1) == "INSERT" || statement_set => Class::Job,
        "EXECUTE" if matches!(word(1), "SELECT" | "WITH" | "VALUES") => Class::Read,
        "BEGIN" if statement_set => statement_set_class(sql),
        "EXECUTE" | "COMPILE" if words.contains(&"PLAN".to_owned()) => Class::Plan,
        "CREATE" | "DROP" | "ALTER" => ddl_class(scan, words),
        "ADD" | "REMOVE" if word(1) == "JAR" => Class::Jar,
        "LOAD" | "UNLOAD" if word(1) == "MODULE" => Class::Module,
        "CALL" => Class::Call,
        "STOP" if word(1) == "JOB" => match scan.tokens.get(2).and_then(|t| literal(&t.0)) {
            Some(id) => Class::StopJob(id.trim().to_owned()),
            None => Class::Unknown,
        },
        "FETCH" | "MOVE" | "CLOSE" => Class::Session,
        "DECLARE" => {
            let after_for = router::tokens_at(sql)
                .into_iter()
                .find(|(_, t)| matches!(t, Token::Word(w) if w.eq_ignore_ascii_case("FOR")))
                .map(|(at, _)| &sql[at + 3..]);
            Class::Declare(Box::new(after_for.map(|q| classify(q).class).unwrap_or(Class::Unknown)))
        }
        "COPY" => {
            // `COPY (query) TO …` or `COPY table TO …`.
            if scan.tokens.get(1).map(|t| t.0) == Some(Token::Open) {
                let open = sql.find('(').unwrap_or(0);
                let close = scan_close(sql, open);
                Class::Copy(Box::new(close.map(|c| classify(&sql[open + 1..c]).class).unwrap_or(Class::Unknown)))
            } else {
                Class::Copy(Box::new(Class::Read))
            }
        }
        _ => Class::Unknown,
    }
}

/// The byte offset of the `)` closing the `(` at `open` (outside literals and comments).
fn scan_close(sql: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (at, token) in router::tokens_at(sql) {
        if at < open {
            continue;
        }
        match token {
            Token::Open => depth += 1,
            Token::Close => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(at);
                }
            }
            _ => {}
        }
    }
    None
}

/// `BEGIN STATEMENT SET; INSERT …; …; END`: a job when every inner statement is an INSERT.
fn statement_set_class(sql: &str) -> Class {
    // Cut at every `;` outside literals and comments.
    let mut pieces: Vec<&str> = Vec::new();
    let mut start = 0;
    for (at, token) in router::tokens_at(sql) {
        if let Token::Semicolon(_) = token {
            pieces.push(&sql[start..at]);
            start = at + 1;
        }
    }
    pieces.push(&sql[start..]);
    let mut inner = pieces.iter().map(|p| router::leading_words(p, 3)).filter(|w| !w.is_empty());
    let Some(head) = inner.next() else { return Class::Unknown };
    if head != ["BEGIN", "STATEMENT", "SET"] {
        return Class::Unknown;
    }
    let rest: Vec<Vec<String>> = inner.collect();
    let Some((end, inserts)) = rest.split_last() else { return Class::Unknown };
    if end.as_slice() != ["END"] || inserts.is_empty() || inserts.iter().any(|w| w[0] != "INSERT") {
        return Class::Unknown;
    }
    Class::Job
}

fn ddl_class(scan: &Scan<'_>, words: &[String]) -> Class {
    let verb = words[0].as_str();
    let object: Vec<&str> = words[1..]
        .iter()
        .map(String::as_str)
        .filter(|w| !matches!(*w, "TEMPORARY" | "SYSTEM" | "OR" | "REPLACE" | "IF" | "NOT" | "EXISTS"))
        .take(2)
        .collect();
    match (verb, object.first().copied().unwrap_or("")) {
        (_, "FUNCTION") => Class::Function,
        (_, "CATALOG") => Class::Catalog,
        ("CREATE", "TABLE") => Class::CreateTable { as_query: scan.as_query_at_top() },
        ("ALTER", "TABLE") => {
            // `ALTER TABLE t SET (…)` / `RESET (…)` change the connector options.
            let options = scan.tokens.windows(2).any(|w| {
                w[0].1 == 0 && (is_word(Some(&w[0].0), "SET") || is_word(Some(&w[0].0), "RESET")) && w[1].0 == Token::Open
            });
            if options {
                Class::TableOptions
            } else if words.iter().any(|w| w == "COMPACT") {
                Class::Unknown
            } else {
                Class::Ddl
            }
        }
        (_, "TABLE" | "VIEW" | "DATABASE") => Class::Ddl,
        _ => Class::Unknown,
    }
}

/// The catalogs a statement names (see [`Statement::catalogs`]).
fn explicit_catalogs(scan: &Scan<'_>, words: &[String], class: &Class) -> Vec<String> {
    let mut out = Vec::new();
    if let Class::UseCatalog(name) = class {
        out.push(name.clone());
    }
    let keyword_before = |at: usize, kw: &[&str]| {
        at > 0 && kw.iter().any(|k| is_word(Some(&scan.tokens[at - 1].0), k))
    };
    let database_statement = words.iter().take(6).any(|w| w == "DATABASE" || w == "DATABASES");
    for (at, chain) in scan.names() {
        if chain.len() >= 3 {
            out.push(chain[0].clone());
        } else if chain.len() == 2
            && (matches!(class, Class::UseDatabase) || database_statement || keyword_before(at, &["FROM", "IN"]) && words.first().is_some_and(|w| w == "SHOW"))
        {
            out.push(chain[0].clone());
        } else if chain.len() == 1
            && words.first().is_some_and(|w| w == "SHOW")
            && words.get(1).is_some_and(|w| w == "DATABASES")
            && keyword_before(at, &["FROM", "IN"])
        {
            out.push(chain[0].clone());
        }
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(sql: &str) -> Class {
        classify(sql).class
    }

    #[test]
    fn flink_forms() {
        assert_eq!(class("select 1"), Class::Read);
        assert_eq!(class("/* x */ (SELECT 1) UNION (SELECT 2)"), Class::Read);
        assert_eq!(class("SHOW TABLES"), Class::Read);
        assert_eq!(class("show create table t"), Class::ShowCreate);
        assert_eq!(class("SET"), Class::Read);
        assert_eq!(class("SET 'pipeline.jars' = 'file:///x.jar'"), Class::SetKey("pipeline.jars".into()));
        assert_eq!(class("set statement_timeout = '5s'"), Class::Session);
        assert_eq!(class("RESET"), Class::Reset);
        assert_eq!(class("RESET 'a.b'"), Class::Reset);
        assert_eq!(class("USE CATALOG `my cat`"), Class::UseCatalog("my cat".into()));
        assert_eq!(class("USE MODULES core"), Class::Module);
        assert_eq!(class("use c.db"), Class::UseDatabase);
        assert_eq!(class("INSERT INTO t SELECT 1"), Class::Job);
        assert_eq!(class("EXECUTE INSERT INTO t SELECT 1"), Class::Job);
        assert_eq!(class("EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; INSERT INTO b SELECT 2; END"), Class::Job);
        assert_eq!(class("BEGIN STATEMENT SET; INSERT INTO a SELECT 1; END"), Class::Job);
        assert_eq!(class("BEGIN STATEMENT SET; ADD JAR 'x'; END"), Class::Unknown);
        assert_eq!(class("CREATE TABLE t (a INT, p AS PROCTIME()) WITH ('connector' = 'datagen')"), Class::CreateTable { as_query: false });
        assert_eq!(class("CREATE TABLE t WITH ('connector' = 'blackhole') AS SELECT 1"), Class::CreateTable { as_query: true });
        assert_eq!(class("create temporary system function f as 'a.B' using jar '/x.jar'"), Class::Function);
        assert_eq!(class("DROP TEMPORARY FUNCTION IF EXISTS f"), Class::Function);
        assert_eq!(class("ADD JAR '/tmp/x.jar'"), Class::Jar);
        assert_eq!(class("remove jar '/tmp/x.jar'"), Class::Jar);
        assert_eq!(class("SHOW JARS"), Class::Read);
        assert_eq!(class("LOAD MODULE hive WITH ('hive-version' = '3.1.2')"), Class::Module);
        assert_eq!(class("CALL `cat`.`sys`.`p`(1)"), Class::Call);
        assert_eq!(class("CREATE CATALOG c WITH ('type' = 'jdbc')"), Class::Catalog);
        assert_eq!(class("EXECUTE PLAN '/tmp/plan.json'"), Class::Plan);
        assert_eq!(class("COMPILE PLAN '/tmp/p.json' FOR INSERT INTO t SELECT 1"), Class::Plan);
        assert_eq!(class("STOP JOB 'abc' WITH SAVEPOINT"), Class::StopJob("abc".into()));
        assert_eq!(class("ALTER TABLE t SET ('path' = 'file:///etc')"), Class::TableOptions);
        assert_eq!(class("ALTER TABLE t RENAME TO u"), Class::Ddl);
        assert_eq!(class("CREATE VIEW v AS SELECT 1"), Class::Ddl);
        assert_eq!(class("DECLARE c CURSOR FOR SELECT 1"), Class::Declare(Box::new(Class::Read)));
        assert_eq!(class("COPY (SELECT 1) TO STDOUT"), Class::Copy(Box::new(Class::Read)));
        assert_eq!(class("COPY (INSERT INTO t SELECT 1) TO STDOUT"), Class::Copy(Box::new(Class::Job)));
        assert_eq!(class("BEGIN"), Class::Session);
        assert_eq!(class("frobnicate the cluster"), Class::Unknown);
    }

    #[test]
    fn smuggling_does_not_hide_the_class() {
        assert_eq!(class("/* SELECT */ ADD JAR 'x'"), Class::Jar);
        assert_eq!(class("-- SELECT\nadd   jar 'x'"), Class::Jar);
        assert_eq!(class("aDd JaR 'x'"), Class::Jar);
        // Two statements in one piece (the splitter would have cut them): never guessed.
        assert_eq!(class("SELECT 1; ADD JAR 'x'"), Class::Unknown);
        assert_eq!(class("SELECT 1;"), Class::Read);
        assert_eq!(class("SELECT ';ADD JAR' AS x"), Class::Read);
        let hinted = classify("SELECT * FROM t /*+ OPTIONS('path' = 'file:///etc/passwd') */");
        assert!(hinted.options_hint);
        assert!(!classify("SELECT /* OPTIONS */ 1").options_hint);
        assert_eq!(classify("CREATE TABLE t (a INT) WITH ('CONNECTOR' = 'filesystem', 'path' = '/')").connectors, vec!["filesystem"]);
    }

    #[test]
    fn finds_the_catalogs_a_statement_names() {
        assert_eq!(classify("SELECT * FROM hive.db.t JOIN `mem`.`d`.u ON TRUE").catalogs, vec!["hive", "mem"]);
        assert_eq!(classify("SELECT * FROM db.t").catalogs, Vec::<String>::new());
        assert_eq!(classify("USE hive.db").catalogs, vec!["hive"]);
        assert_eq!(classify("SHOW TABLES FROM hive.db").catalogs, vec!["hive"]);
        assert_eq!(classify("SHOW DATABASES IN hive").catalogs, vec!["hive"]);
        assert_eq!(classify("CREATE DATABASE hive.db").catalogs, vec!["hive"]);
        assert_eq!(classify("USE CATALOG hive").catalogs, vec!["hive"]);
    }
}
