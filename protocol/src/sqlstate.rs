//! Gateway error bodies → SQLSTATE + a short, human message.
//!
//! The Flink SQL Gateway reports almost every failure as HTTP 500 with
//! `{"errors":["Internal server error.","<Exception on server side:\n…java stack…>"]}`; a bad
//! statement is even accepted with 200 and only fails when its results are fetched. A PostgreSQL
//! client needs a SQLSTATE it can act on (`42P01`, `22P02`, …) and one readable line, not 10 KiB
//! of Java frames. [`classify_error_body`] parses the body, walks the `Caused by:` chain and picks
//! the root cause; [`classify_java_trace`] does the same for a bare trace.
//!
//! Rules of thumb:
//! - The message is the root cause's own message, with Java class prefixes and Calcite position
//!   prefixes removed; the position goes to [`GatewayError::position`] and `detail`.
//! - Stack frames never reach `message`, `detail` or `hint` (the server logs the raw body itself).
//! - Failures of the *connection's Flink session* ([`GatewayErrorKind::SessionNotFound`], SQLSTATE
//!   `08003`) are distinguishable, so the server can tell the client its session is gone.

use std::fmt;

use crate::rest::ErrorResponse;

/// A PostgreSQL SQLSTATE code (five characters). The constants name the codes flinkwire emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SqlState(pub &'static str);

impl SqlState {
    pub const SUCCESSFUL_COMPLETION: Self = Self("00000");
    pub const CONNECTION_EXCEPTION: Self = Self("08000");
    /// `connection_does_not_exist`: used for a lost Flink session (see [`GatewayErrorKind::SessionNotFound`]).
    pub const CONNECTION_DOES_NOT_EXIST: Self = Self("08003");
    pub const SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION: Self = Self("08001");
    pub const CONNECTION_FAILURE: Self = Self("08006");
    pub const PROTOCOL_VIOLATION: Self = Self("08P01");
    pub const FEATURE_NOT_SUPPORTED: Self = Self("0A000");
    pub const DATA_EXCEPTION: Self = Self("22000");
    pub const STRING_DATA_RIGHT_TRUNCATION: Self = Self("22001");
    pub const NUMERIC_VALUE_OUT_OF_RANGE: Self = Self("22003");
    pub const INVALID_DATETIME_FORMAT: Self = Self("22007");
    pub const DATETIME_FIELD_OVERFLOW: Self = Self("22008");
    pub const DIVISION_BY_ZERO: Self = Self("22012");
    pub const CHARACTER_NOT_IN_REPERTOIRE: Self = Self("22021");
    pub const INVALID_PARAMETER_VALUE: Self = Self("22023");
    pub const ARRAY_SUBSCRIPT_ERROR: Self = Self("2202E");
    pub const INVALID_TEXT_REPRESENTATION: Self = Self("22P02");
    pub const INVALID_BINARY_REPRESENTATION: Self = Self("22P03");
    pub const NOT_NULL_VIOLATION: Self = Self("23502");
    pub const INVALID_TRANSACTION_STATE: Self = Self("25000");
    pub const ACTIVE_SQL_TRANSACTION: Self = Self("25001");
    pub const NO_ACTIVE_SQL_TRANSACTION: Self = Self("25P01");
    pub const INVALID_SQL_STATEMENT_NAME: Self = Self("26000");
    pub const INVALID_AUTHORIZATION_SPECIFICATION: Self = Self("28000");
    pub const INVALID_CURSOR_NAME: Self = Self("34000");
    pub const INVALID_CATALOG_NAME: Self = Self("3D000");
    pub const INVALID_SCHEMA_NAME: Self = Self("3F000");
    pub const SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION: Self = Self("42000");
    pub const SYNTAX_ERROR: Self = Self("42601");
    pub const AMBIGUOUS_COLUMN: Self = Self("42702");
    pub const UNDEFINED_COLUMN: Self = Self("42703");
    pub const UNDEFINED_OBJECT: Self = Self("42704");
    pub const DUPLICATE_OBJECT: Self = Self("42710");
    pub const DUPLICATE_FUNCTION: Self = Self("42723");
    pub const DATATYPE_MISMATCH: Self = Self("42804");
    pub const WRONG_OBJECT_TYPE: Self = Self("42809");
    pub const UNDEFINED_FUNCTION: Self = Self("42883");
    pub const UNDEFINED_TABLE: Self = Self("42P01");
    pub const UNDEFINED_PARAMETER: Self = Self("42P02");
    pub const DUPLICATE_SCHEMA: Self = Self("42P06");
    pub const DUPLICATE_TABLE: Self = Self("42P07");
    pub const INSUFFICIENT_RESOURCES: Self = Self("53000");
    pub const OUT_OF_MEMORY: Self = Self("53200");
    pub const OBJECT_NOT_IN_PREREQUISITE_STATE: Self = Self("55000");
    pub const OBJECT_IN_USE: Self = Self("55006");
    pub const QUERY_CANCELED: Self = Self("57014");
    pub const ADMIN_SHUTDOWN: Self = Self("57P01");
    pub const SYSTEM_ERROR: Self = Self("58000");
    pub const INTERNAL_ERROR: Self = Self("XX000");

    /// The five-character code.
    pub fn code(self) -> &'static str {
        self.0
    }

    /// True for class 08: drivers and pools (pgjdbc, HikariCP, …) discard such connections.
    pub fn is_connection_class(self) -> bool {
        self.0.starts_with("08")
    }
}

impl fmt::Display for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// What went wrong, coarsely: lets the server react (drop the session, retry, log a bug) without
/// matching SQLSTATEs or messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatewayErrorKind {
    /// Flink rejected the statement: parse, validation, planning or DDL failure.
    Statement,
    /// The statement's Flink job failed (or was cancelled) while running.
    JobFailed,
    /// The gateway does not know the session (expired, closed, gateway restarted). SQLSTATE
    /// `08003` (`connection_does_not_exist`): every session-scoped state of the client (SET,
    /// temporary tables, USE) is gone, and class 08 makes drivers and pools discard the
    /// connection instead of silently continuing on a fresh, different session.
    SessionNotFound,
    /// The gateway does not know the operation handle (closed, or never existed): `34000`, as
    /// for a portal that does not exist.
    OperationNotFound,
    /// A result token was fetched out of order ("Expecting token to be N or N-1"): a flinkwire
    /// paging bug, `XX000`.
    ResultTokenExpired,
    /// The operation is in the wrong state for the request, e.g. cancelling a FINISHED query
    /// operation: `55000`.
    OperationStateConflict,
    /// The gateway could not reach the Flink cluster (connection refused, unknown host), or the
    /// gateway itself is unavailable (HTTP 502/503/504): `08001`.
    ClusterUnavailable,
    /// HTTP 400: a request parameter was rejected: `22023`.
    BadRequest,
    /// HTTP 404: the endpoint does not exist in this gateway/API version: `0A000`.
    EndpointNotFound,
    /// Anything else: `XX000` unless a more specific SQLSTATE was recognised.
    Internal,
}

/// A 1-based line/column in the statement text as Flink reports it (`at line 1, column 9`,
/// `From line 1, column 15 to line 1, column 27`). Positions refer to the SQL flinkwire sent, so
/// after parameter inlining they may be shifted relative to the client's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlPosition {
    pub line: u32,
    pub column: u32,
    /// End of the range, when Flink gives one.
    pub end: Option<(u32, u32)>,
}

impl SqlPosition {
    /// The 1-based character offset into `sql` (PostgreSQL's ErrorResponse `P` field), if the
    /// position lies inside it. Columns count characters (Calcite uses tab size 1).
    pub fn char_offset(&self, sql: &str) -> Option<usize> {
        let line = usize::try_from(self.line).ok()?.checked_sub(1)?;
        let column = usize::try_from(self.column).ok()?.checked_sub(1)?;
        let mut offset = 0usize;
        for (i, text) in sql.split('\n').enumerate() {
            let len = text.chars().count();
            if i == line {
                return (column <= len).then_some(offset + column + 1);
            }
            offset += len + 1;
        }
        None
    }
}

/// A classified gateway error, ready to become a PostgreSQL ErrorResponse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct GatewayError {
    pub sqlstate: SqlState,
    pub kind: GatewayErrorKind,
    /// One short line: the root cause's message.
    pub message: String,
    /// Extra context without stack frames (position, job id, the rest of a multi-line message).
    pub detail: Option<String>,
    /// A suggestion, e.g. the first few tokens the parser expected.
    pub hint: Option<String>,
    /// Where in the statement the error is, when Flink says.
    pub position: Option<SqlPosition>,
    /// The fully qualified Java class of the root cause, for logs and tests.
    pub exception: Option<String>,
}

impl GatewayError {
    /// A bare error with no detail.
    pub fn new(sqlstate: SqlState, kind: GatewayErrorKind, message: impl Into<String>) -> Self {
        Self {
            sqlstate,
            kind,
            message: message.into(),
            detail: None,
            hint: None,
            position: None,
            exception: None,
        }
    }

    /// True when the client's Flink session is gone and the connection should be treated as lost.
    pub fn is_session_lost(&self) -> bool {
        self.kind == GatewayErrorKind::SessionNotFound
    }
}

const MAX_MESSAGE: usize = 1000;
const MAX_DETAIL: usize = 1500;
const MAX_EXPECTED_TOKENS: usize = 6;

/// Classifies a gateway error response: the HTTP status and the raw body, which is normally an
/// [`ErrorResponse`] but may be anything (a proxy's HTML page, plain text, nothing).
pub fn classify_error_body(http_status: u16, body: &str) -> GatewayError {
    let errors = match serde_json::from_str::<ErrorResponse>(body) {
        Ok(resp) => resp.errors,
        Err(_) => vec![body.to_owned()],
    };
    if let Some(trace) = errors.iter().find(|e| looks_like_trace(e)) {
        return adjust_for_status(http_status, classify_java_trace(trace));
    }
    let text: Vec<&str> = errors
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty() && *e != "Internal server error.")
        .collect();
    classify_plain(http_status, &text.join("; "))
}

/// Classifies a Java exception dump (`Class: message` + `\tat …` frames + `Caused by:` chain),
/// with or without the gateway's `<Exception on server side:` wrapper.
pub fn classify_java_trace(trace: &str) -> GatewayError {
    let chain = parse_chain(trace);
    if chain.is_empty() {
        return GatewayError::new(
            SqlState::INTERNAL_ERROR,
            GatewayErrorKind::Internal,
            "Flink SQL Gateway reported an error without a message",
        );
    }
    classify_chain(&chain)
}

// ---------------------------------------------------------------------------------------------
// Trace parsing

/// One exception of a `Caused by:` chain.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cause {
    class: String,
    message: String,
}

impl Cause {
    fn simple_class(&self) -> &str {
        self.class.rsplit('.').next().unwrap_or(&self.class)
    }
    fn class_is(&self, simple: &str) -> bool {
        self.simple_class() == simple
    }
}

fn looks_like_trace(s: &str) -> bool {
    s.contains("<Exception on server side:") || s.contains("\n\tat ") || s.contains("\nCaused by: ")
}

/// Splits a trace into its exceptions, outermost first. Frame lines (starting with a tab) are
/// dropped; other lines continue the current exception's message (multi-line messages such as
/// the parser's "Was expecting one of:" list).
fn parse_chain(trace: &str) -> Vec<Cause> {
    let mut chain: Vec<Cause> = Vec::new();
    let mut in_frames = false;
    for line in trace.lines() {
        let trimmed = line.trim_end();
        if trimmed.starts_with('\t') {
            in_frames = true;
            continue;
        }
        if trimmed.starts_with("<Exception on server side:")
            || trimmed.starts_with("End of exception on server side")
        {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("Caused by: ") {
            chain.push(parse_header(rest));
            in_frames = false;
            continue;
        }
        match chain.last_mut() {
            None if trimmed.trim().is_empty() => {}
            None => chain.push(parse_header(trimmed)),
            Some(_) if in_frames => {}
            Some(last) => {
                last.message.push('\n');
                last.message.push_str(trimmed);
            }
        }
    }
    for cause in &mut chain {
        cause.message = cause.message.trim_end().to_owned();
    }
    chain
}

/// `org.x.FooException: message` → class + message; a line without a class is all message.
fn parse_header(line: &str) -> Cause {
    let (head, message) = match line.split_once(": ") {
        Some((h, m)) => (h, m),
        None => (line, ""),
    };
    if is_java_class(head) {
        Cause {
            class: head.to_owned(),
            message: message.to_owned(),
        }
    } else {
        Cause {
            class: String::new(),
            message: line.to_owned(),
        }
    }
}

fn is_java_class(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
                && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        })
        && (s.contains('.') || s.ends_with("Exception") || s.ends_with("Error"))
}

// ---------------------------------------------------------------------------------------------
// Classification

fn classify_chain(chain: &[Cause]) -> GatewayError {
    if let Some(err) = classify_handle_errors(chain) {
        return err;
    }
    if let Some(err) = classify_parse_error(chain) {
        return err;
    }
    let job_failed = chain.iter().any(is_job_failure_marker);
    let Some(root) = root_cause(chain) else {
        return GatewayError::new(
            SqlState::INTERNAL_ERROR,
            GatewayErrorKind::Internal,
            "Flink SQL Gateway reported an empty error",
        );
    };
    let kind = if job_failed {
        GatewayErrorKind::JobFailed
    } else {
        GatewayErrorKind::Statement
    };

    if !job_failed && chain.iter().any(is_connection_failure) {
        let mut err = build(
            chain,
            root,
            SqlState::SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
            GatewayErrorKind::ClusterUnavailable,
        );
        err.message = format!(
            "Flink SQL Gateway could not reach the Flink cluster: {}",
            err.message
        );
        return err;
    }
    if chain.iter().any(is_cancellation) {
        return build(chain, root, SqlState::QUERY_CANCELED, kind);
    }
    if let Some(state) = data_exception_state(root) {
        let mut err = build(chain, root, state, kind);
        if job_failed || root.class.starts_with("java.") {
            err.message = format!("{}: {}", root.simple_class(), err.message);
        }
        if job_failed {
            err.detail = job_detail(chain, root);
        }
        return err;
    }
    if job_failed {
        let mut err = build(chain, root, runtime_fallback_state(chain), kind);
        err.message = format!("{}: {}", root.simple_class(), err.message);
        err.detail = job_detail(chain, root);
        return err;
    }
    // Deepest message that matches a known pattern wins; otherwise the root cause's class decides.
    for cause in chain.iter().rev() {
        if let Some(state) = message_state(&cause.message) {
            return build(chain, cause, state, kind);
        }
    }
    let state = class_fallback_state(chain);
    let kind = if state == SqlState::INTERNAL_ERROR {
        GatewayErrorKind::Internal
    } else {
        kind
    };
    build(chain, root, state, kind)
}

/// A message test and what a match means.
type HandleRule = (fn(&str) -> bool, SqlState, GatewayErrorKind);

/// Session/operation handle problems and paging/state conflicts of the gateway itself.
fn classify_handle_errors(chain: &[Cause]) -> Option<GatewayError> {
    let table: [HandleRule; 4] = [
        (
            |m| m.starts_with("Session '") && m.contains("' does not exist"),
            SqlState::CONNECTION_DOES_NOT_EXIST,
            GatewayErrorKind::SessionNotFound,
        ),
        (
            |m| m.contains("Can not find the submitted operation"),
            SqlState::INVALID_CURSOR_NAME,
            GatewayErrorKind::OperationNotFound,
        ),
        (
            |m| m.contains("Expecting token to be"),
            SqlState::INTERNAL_ERROR,
            GatewayErrorKind::ResultTokenExpired,
        ),
        (
            |m| m.contains("Failed to convert the Operation Status from"),
            SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
            GatewayErrorKind::OperationStateConflict,
        ),
    ];
    for cause in chain.iter().rev() {
        let msg = strip_class_prefixes(&cause.message);
        for (matches, state, kind) in &table {
            if matches(msg) {
                let mut err = build(chain, cause, *state, *kind);
                if *kind == GatewayErrorKind::SessionNotFound {
                    err.message = format!("Flink session lost: {}", err.message);
                    err.hint = Some("The Flink SQL Gateway no longer knows this connection's session (expired, closed or gateway restarted); reconnect.".to_owned());
                }
                return Some(err);
            }
        }
    }
    None
}

const PARSER_CLASSES: [&str; 5] = [
    "SqlParserException",
    "SqlParserEOFException",
    "SqlParseException",
    "ParseException",
    "TokenMgrError",
];

/// Parse errors: Flink's own `SqlParserException` message is the best formatted; Calcite's
/// `Was expecting one of:` list goes to the hint, shortened.
fn classify_parse_error(chain: &[Cause]) -> Option<GatewayError> {
    let cause = chain
        .iter()
        .find(|c| PARSER_CLASSES.iter().any(|p| c.class_is(p)))?;
    let text = strip_class_prefixes(&cause.message);
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let first = first.trim();
    let message = if first.starts_with("SQL parse failed.") {
        first.to_owned()
    } else {
        format!("SQL parse failed. {first}")
    };
    let mut err = GatewayError::new(
        SqlState::SYNTAX_ERROR,
        GatewayErrorKind::Statement,
        truncate(&message, MAX_MESSAGE),
    );
    err.hint = expected_tokens_hint(rest).or_else(|| {
        chain.iter().find_map(|c| {
            c.message
                .find("Was expecting")
                .and_then(|i| expected_tokens_hint(&c.message[i..]))
        })
    });
    err.position = chain.iter().find_map(|c| find_position(&c.message));
    err.exception = Some(cause.class.clone());
    Some(err)
}

/// `Was expecting one of:\n    "LATERAL" ...\n    "TABLE" ...` → `Expected one of: "LATERAL", "TABLE", …`.
fn expected_tokens_hint(rest: &str) -> Option<String> {
    let mut lines = rest.lines().map(str::trim).filter(|l| !l.is_empty());
    let header = lines.next()?;
    if !header.starts_with("Was expecting") {
        return None;
    }
    if let Some(single) = header.strip_prefix("Was expecting:") {
        let single = single.trim().trim_end_matches("...").trim();
        let single = if single.is_empty() {
            lines.next()?.trim_end_matches("...").trim()
        } else {
            single
        };
        return Some(format!("Expected: {single}"));
    }
    let tokens: Vec<&str> = lines
        .map(|l| l.trim_end_matches("...").trim())
        .filter(|l| !l.is_empty())
        .collect();
    if tokens.is_empty() {
        return None;
    }
    let shown = tokens
        .iter()
        .take(MAX_EXPECTED_TOKENS)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let more = if tokens.len() > MAX_EXPECTED_TOKENS {
        ", …"
    } else {
        ""
    };
    Some(format!("Expected one of: {shown}{more}"))
}

fn is_job_failure_marker(c: &Cause) -> bool {
    c.class_is("JobExecutionException")
        || c.class_is("JobException")
        || c.class_is("JobCancellationException")
        || (c.class_is("ProgramInvocationException") && c.message.contains("Job failed"))
        || c.message.contains("Job failed (JobID:")
}

fn is_connection_failure(c: &Cause) -> bool {
    [
        "ConnectException",
        "AnnotatedConnectException",
        "UnknownHostException",
        "NoRouteToHostException",
        "ConnectTimeoutException",
    ]
    .iter()
    .any(|k| c.class_is(k))
        || c.message.contains("Connection refused")
}

fn is_cancellation(c: &Cause) -> bool {
    c.class_is("JobCancellationException")
        || c.class_is("CancellationException")
        || c.message.contains("Job was cancelled")
}

/// The deepest exception with a message, skipping pure wrappers whose message is just the next
/// exception's `toString()`.
fn root_cause(chain: &[Cause]) -> Option<&Cause> {
    chain
        .iter()
        .rev()
        .find(|c| !strip_class_prefixes(&c.message).trim().is_empty())
        .or_else(|| chain.last())
}

/// Data exceptions, recognised by the root cause's class or message, wherever they happen
/// (job runtime, or constant folding during planning).
fn data_exception_state(root: &Cause) -> Option<SqlState> {
    let m = root.message.as_str();
    let state = match root.simple_class() {
        "NumberFormatException" => SqlState::INVALID_TEXT_REPRESENTATION,
        "ArithmeticException" if is_division_by_zero(m) => SqlState::DIVISION_BY_ZERO,
        "ArithmeticException" if m.to_ascii_lowercase().contains("overflow") => {
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        }
        "ArithmeticException" => SqlState::DATA_EXCEPTION,
        "DateTimeParseException" | "DateTimeException" => SqlState::INVALID_DATETIME_FORMAT,
        "ArrayIndexOutOfBoundsException" => SqlState::ARRAY_SUBSCRIPT_ERROR,
        "OutOfMemoryError" => SqlState::OUT_OF_MEMORY,
        "NoResourceAvailableException" => SqlState::INSUFFICIENT_RESOURCES,
        _ if m.contains("is NOT NULL, however, a null value is being written into it") => {
            SqlState::NOT_NULL_VIOLATION
        }
        _ if m.contains("however, a string of length") => SqlState::STRING_DATA_RIGHT_TRUNCATION,
        _ if is_division_by_zero(m) => SqlState::DIVISION_BY_ZERO,
        _ => return None,
    };
    Some(state)
}

fn is_division_by_zero(m: &str) -> bool {
    let lower = m.to_ascii_lowercase();
    lower.contains("/ by zero")
        || lower.contains("division by zero")
        || lower.contains("divide by zero")
}

/// A failed job whose root cause is not a recognised data error.
fn runtime_fallback_state(chain: &[Cause]) -> SqlState {
    if chain.iter().any(is_connection_failure) {
        // A source/sink could not reach its external system.
        SqlState::SYSTEM_ERROR
    } else if chain.iter().any(|c| {
        c.message
            .contains("Could not acquire the minimum required resources")
    }) {
        SqlState::INSUFFICIENT_RESOURCES
    } else {
        SqlState::INTERNAL_ERROR
    }
}

/// `Job failed (JobID: …)` context for runtime failures.
fn job_detail(chain: &[Cause], root: &Cause) -> Option<String> {
    let job = chain.iter().find_map(|c| {
        let start = c.message.find("JobID: ")? + "JobID: ".len();
        let id: String = c.message[start..]
            .chars()
            .take_while(|ch| ch.is_ascii_hexdigit())
            .collect();
        (!id.is_empty()).then_some(id)
    });
    let class = &root.class;
    Some(match job {
        Some(id) => format!("Flink job {id} failed at runtime ({class})."),
        None => format!("The Flink job failed at runtime ({class})."),
    })
}

/// SQLSTATEs recognised from Flink/Calcite messages (catalog objects, functions, columns, …).
fn message_state(raw: &str) -> Option<SqlState> {
    let m = strip_class_prefixes(raw);
    let has = |s: &str| m.contains(s);
    let not_exists = has("does not exist") || has("doesn't exist") || has("not found");
    let state = if has("Statement Set") && has("is allowed in") {
        SqlState::ACTIVE_SQL_TRANSACTION
    } else if has("No Statement Set to submit") {
        SqlState::NO_ACTIVE_SQL_TRANSACTION
    } else if has("No match found for function signature") || has("Cannot apply '") {
        SqlState::UNDEFINED_FUNCTION
    } else if has("Column '") && has("' not found in") || has("Unknown identifier '") {
        SqlState::UNDEFINED_COLUMN
    } else if has("Column '") && has("' is ambiguous") {
        SqlState::AMBIGUOUS_COLUMN
    } else if has("Object '") && has("' not found") || has("Table '") && has("' not found") {
        SqlState::UNDEFINED_TABLE
    } else if (has("A catalog with name") || m.starts_with("Catalog ")) && not_exists {
        SqlState::INVALID_CATALOG_NAME
    } else if (has("A database with name") || m.starts_with("Database ")) && not_exists {
        SqlState::INVALID_SCHEMA_NAME
    } else if (has("Table") || has("table") || has("View") || has("view")) && not_exists {
        SqlState::UNDEFINED_TABLE
    } else if has("Function") && not_exists {
        SqlState::UNDEFINED_FUNCTION
    } else if has("already exist") {
        already_exists_state(m)
    } else if has("is currently in use") {
        SqlState::OBJECT_IN_USE
    } else if has("Could not find any factory for identifier") {
        SqlState::UNDEFINED_OBJECT
    } else if has("Unsupported options found for")
        || has("Missing required options")
        || has("No enum constant")
    {
        SqlState::INVALID_PARAMETER_VALUE
    } else if has("is only supported for") || has("cannot be enriched with new options") {
        SqlState::WRONG_OBJECT_TYPE
    } else if has("Column types of query result and sink")
        || has("Incompatible types for sink column")
        || has("Cast function cannot convert")
    {
        SqlState::DATATYPE_MISMATCH
    } else if has("not supported")
        || has("does not support")
        || has("doesn't support")
        || m.starts_with("Unsupported")
    {
        SqlState::FEATURE_NOT_SUPPORTED
    } else {
        return None;
    };
    Some(state)
}

fn already_exists_state(m: &str) -> SqlState {
    let lower = m.to_ascii_lowercase();
    if lower.starts_with("table")
        || lower.starts_with("temporary table")
        || lower.starts_with("view")
        || lower.starts_with("temporary view")
    {
        SqlState::DUPLICATE_TABLE
    } else if lower.starts_with("database") {
        SqlState::DUPLICATE_SCHEMA
    } else if lower.starts_with("function")
        || lower.starts_with("temporary function")
        || lower.starts_with("temporary system function")
    {
        SqlState::DUPLICATE_FUNCTION
    } else {
        SqlState::DUPLICATE_OBJECT
    }
}

/// When no message pattern matched: decide by the exception classes in the chain.
fn class_fallback_state(chain: &[Cause]) -> SqlState {
    let any = |name: &str| chain.iter().any(|c| c.class_is(name));
    if any("UnsupportedOperationException") {
        SqlState::FEATURE_NOT_SUPPORTED
    } else if [
        "ValidationException",
        "SqlValidatorException",
        "CalciteContextException",
        "TableException",
        "CatalogException",
    ]
    .iter()
    .any(|c| any(c))
    {
        // Flink rejected the statement for a reason without a more specific code.
        SqlState::SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION
    } else if any("IllegalArgumentException") {
        SqlState::INVALID_PARAMETER_VALUE
    } else {
        SqlState::INTERNAL_ERROR
    }
}

/// Errors without a Java trace: decided by HTTP status.
fn classify_plain(http_status: u16, text: &str) -> GatewayError {
    let first_line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let is_html = first_line.starts_with('<');
    let summary = if first_line.is_empty() || is_html {
        format!("Flink SQL Gateway answered HTTP {http_status}")
    } else {
        truncate(first_line, MAX_MESSAGE)
    };
    let (state, kind) = match http_status {
        400 => (
            SqlState::INVALID_PARAMETER_VALUE,
            GatewayErrorKind::BadRequest,
        ),
        401 | 403 => (
            SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
            GatewayErrorKind::Internal,
        ),
        404 => (
            SqlState::FEATURE_NOT_SUPPORTED,
            GatewayErrorKind::EndpointNotFound,
        ),
        408 | 504 => (
            SqlState::QUERY_CANCELED,
            GatewayErrorKind::ClusterUnavailable,
        ),
        429 => (SqlState::INSUFFICIENT_RESOURCES, GatewayErrorKind::Internal),
        502 | 503 => (
            SqlState::SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
            GatewayErrorKind::ClusterUnavailable,
        ),
        _ => (SqlState::INTERNAL_ERROR, GatewayErrorKind::Internal),
    };
    let mut err = GatewayError::new(state, kind, summary);
    if http_status == 404 {
        err.hint = Some("The Flink SQL Gateway does not offer this endpoint; check its version and the negotiated REST API version.".to_owned());
    }
    err
}

/// HTTP status refinements for trace-carrying bodies.
fn adjust_for_status(http_status: u16, mut err: GatewayError) -> GatewayError {
    let generic = matches!(
        err.kind,
        GatewayErrorKind::Internal | GatewayErrorKind::Statement
    );
    match http_status {
        400 if generic => {
            err.kind = GatewayErrorKind::BadRequest;
            err.sqlstate = SqlState::INVALID_PARAMETER_VALUE;
        }
        404 if generic => {
            err.kind = GatewayErrorKind::EndpointNotFound;
            err.sqlstate = SqlState::FEATURE_NOT_SUPPORTED;
        }
        _ => {}
    }
    err
}

// ---------------------------------------------------------------------------------------------
// Message cleaning

/// Builds the error from the chosen cause: cleaned first line as message, the rest as detail,
/// the position (from anywhere in the chain) as detail too.
fn build(
    chain: &[Cause],
    cause: &Cause,
    sqlstate: SqlState,
    kind: GatewayErrorKind,
) -> GatewayError {
    let cleaned = clean_message(&cause.message);
    let (first, rest) = cleaned.split_once('\n').unwrap_or((&cleaned, ""));
    // When cleaning leaves nothing, the class names the error; a classless cause that is only a
    // prefix (`SQL validation failed.`) keeps its text as sent, so the client never gets an
    // empty message (found by fuzzing: fuzz/fuzz_targets/gateway_error.rs).
    let message = [first, cause.simple_class(), cause.message.trim().lines().next().unwrap_or("")]
        .into_iter()
        .map(str::trim)
        .find(|m| !m.is_empty())
        .unwrap_or("Flink SQL Gateway reported an error without a message")
        .to_owned();
    let mut err = GatewayError::new(sqlstate, kind, truncate(&message, MAX_MESSAGE));
    err.exception = (!cause.class.is_empty()).then(|| cause.class.clone());
    let position = chain.iter().rev().find_map(|c| find_position(&c.message));
    let rest = condense(rest);
    let position_text = position.map(describe_position);
    err.detail = match (position_text, rest.is_empty()) {
        (Some(p), true) => Some(p),
        (Some(p), false) => Some(truncate(&format!("{p}. {rest}"), MAX_DETAIL)),
        (None, false) => Some(truncate(&rest, MAX_DETAIL)),
        (None, true) => None,
    };
    err.position = position;
    err
}

/// Removes leading `org.x.SomeException: ` prefixes (wrappers repeat their cause's toString),
/// Flink's `SQL validation failed. ` and Calcite's `From line …: ` / `At line …: ` prefixes.
fn clean_message(raw: &str) -> String {
    let mut m = strip_class_prefixes(raw).trim();
    loop {
        let before = m;
        m = m
            .strip_prefix("SQL validation failed.")
            .map(str::trim_start)
            .unwrap_or(m);
        m = strip_position_prefix(m);
        m = strip_class_prefixes(m).trim_start();
        if m == before {
            break;
        }
    }
    m.to_owned()
}

fn strip_class_prefixes(mut m: &str) -> &str {
    while let Some((head, rest)) = m.split_once(": ") {
        if head.contains('\n') || !is_java_class(head) {
            break;
        }
        m = rest;
    }
    m
}

fn strip_position_prefix(m: &str) -> &str {
    if m.starts_with("From line ") || m.starts_with("At line ") {
        if let Some((head, rest)) = m.split_once(": ") {
            if find_position(head).is_some() {
                return rest;
            }
        }
    }
    m
}

/// Finds `line N, column M` (and `to line N2, column M2`) in a message.
fn find_position(m: &str) -> Option<SqlPosition> {
    m.match_indices("line ").find_map(|(idx, _)| {
        if m[..idx]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
        {
            return None; // e.g. "pipeline 1"
        }
        let (line, rest) = parse_line_column(&m[idx..])?;
        let end = rest.find("to line ").and_then(|i| {
            let after = &rest[i + "to ".len()..];
            (i < 4)
                .then_some(after)
                .and_then(parse_line_column)
                .map(|(lc, _)| lc)
        });
        Some(SqlPosition {
            line: line.0,
            column: line.1,
            end,
        })
    })
}

/// `line 1, column 9…` → ((1, 9), rest).
fn parse_line_column(s: &str) -> Option<((u32, u32), &str)> {
    let s = s.strip_prefix("line ")?;
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    let line: u32 = s[..digits].parse().ok()?;
    let s = s[digits..].strip_prefix(", column ")?;
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    let column: u32 = s[..digits].parse().ok()?;
    Some(((line, column), &s[digits..]))
}

fn describe_position(p: SqlPosition) -> String {
    match p.end {
        Some((l, c)) if (l, c) != (p.line, p.column) => {
            format!(
                "From line {}, column {} to line {l}, column {c}",
                p.line, p.column
            )
        }
        _ => format!("At line {}, column {}", p.line, p.column),
    }
}

/// Joins the remaining lines of a multi-line message into one line.
fn condense(rest: &str) -> String {
    rest.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max_chars).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRANSCRIPT: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/flink-sql-gateway/transcripts-2.3.0.txt"
    ));

    /// One recorded error: the `# comment` (or request line) that introduces it, status, body.
    struct Recorded {
        title: String,
        status: u16,
        body: String,
    }

    /// Every error body of the transcript, with the heading of its section.
    fn recorded_errors() -> Vec<Recorded> {
        let mut out = Vec::new();
        for block in TRANSCRIPT.split("\n====================") {
            let Some(start) = block.find("{\n  \"errors\"") else {
                continue;
            };
            let Some(len) = block[start..].find("\n}") else {
                continue;
            };
            let body = block[start..start + len + 2].to_owned();
            let title = block
                .lines()
                .map(|l| l.trim_start_matches('='))
                .find(|l| l.starts_with("# ") || l.starts_with(">>> "))
                .unwrap_or("")
                .to_owned();
            let status = block
                .lines()
                .find_map(|l| {
                    let rest = l
                        .strip_prefix("<<< HTTP ")
                        .or_else(|| l.strip_prefix("HTTP/1.1 "))?;
                    rest.get(..3)?.parse().ok()
                })
                .unwrap_or(0);
            out.push(Recorded {
                title,
                status,
                body,
            });
        }
        out
    }

    fn recorded(title_part: &str) -> Vec<GatewayError> {
        let found: Vec<GatewayError> = recorded_errors()
            .into_iter()
            .filter(|r| r.title.contains(title_part))
            .map(|r| classify_error_body(r.status, &r.body))
            .collect();
        assert!(
            !found.is_empty(),
            "no transcript error titled {title_part:?}"
        );
        found
    }

    fn assert_clean(err: &GatewayError) {
        for text in [Some(&err.message), err.detail.as_ref(), err.hint.as_ref()]
            .into_iter()
            .flatten()
        {
            assert!(!text.contains("\tat "), "stack frame leaked: {text}");
            assert!(
                !text.contains("at org.apache"),
                "stack frame leaked: {text}"
            );
            assert!(
                !text.contains("Exception on server side"),
                "wrapper leaked: {text}"
            );
            assert!(!text.contains('\n'), "multi-line text: {text:?}");
        }
    }

    fn trace(causes: &[&str]) -> String {
        let mut s = String::from("<Exception on server side:\n");
        for (i, c) in causes.iter().enumerate() {
            if i > 0 {
                s.push_str("Caused by: ");
            }
            s.push_str(c);
            s.push_str("\n\tat org.apache.flink.Some.frame(Some.java:1)\n\t... 3 more\n");
        }
        s.push_str("\nEnd of exception on server side>");
        s
    }

    fn body(causes: &[&str]) -> String {
        serde_json::json!({ "errors": ["Internal server error.", trace(causes)] }).to_string()
    }

    const FETCH_WRAPPERS: [&str; 3] = [
        "org.apache.flink.table.gateway.api.utils.SqlGatewayException: org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.",
        "org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.",
        "org.apache.flink.table.gateway.service.utils.SqlExecutionException: Failed to execute the operation c31f5ad4-b7aa-499b-a2c4-e646bf049ae0.",
    ];

    fn fetch_body(root: &[&str]) -> String {
        let mut all: Vec<&str> = FETCH_WRAPPERS.to_vec();
        all.extend_from_slice(root);
        body(&all)
    }

    // ---- every error of the transcript -------------------------------------------------------

    #[test]
    fn transcript_has_all_expected_errors_and_none_leaks_frames() {
        let all = recorded_errors();
        assert!(all.len() >= 17, "found only {} error bodies", all.len());
        for r in &all {
            let err = classify_error_body(r.status, &r.body);
            assert_clean(&err);
            assert!(!err.message.is_empty(), "{}", r.title);
            assert!(err.message.chars().count() <= MAX_MESSAGE + 1);
        }
    }

    #[test]
    fn transcript_parse_error_non_query_expression() {
        for err in recorded("fetch result of parse-error operation") {
            assert_eq!(err.sqlstate, SqlState::SYNTAX_ERROR);
            assert_eq!(err.kind, GatewayErrorKind::Statement);
            assert_eq!(
                err.message,
                "SQL parse failed. Non-query expression encountered in illegal context"
            );
            assert_eq!(
                err.exception.as_deref(),
                Some("org.apache.flink.table.api.SqlParserException")
            );
        }
        // The curl section's `SELEC 1` fails the same way.
        for err in recorded("013b9a6c-0301-4a05-aa4d-4d691295623f/result/0") {
            assert_eq!(err.sqlstate, SqlState::SYNTAX_ERROR);
        }
    }

    #[test]
    fn transcript_incomplete_statement_eof() {
        for err in recorded("fetch result of parser-error operation") {
            assert_eq!(err.sqlstate, SqlState::SYNTAX_ERROR);
            assert_eq!(
                err.message,
                r#"SQL parse failed. Encountered "<EOF>" at line 1, column 13."#
            );
            assert_eq!(
                err.hint.as_deref(),
                Some(
                    r#"Expected one of: "LATERAL", "TABLE", <IDENTIFIER>, <HYPHENATED_IDENTIFIER>, <QUOTED_IDENTIFIER>, <BACK_QUOTED_IDENTIFIER>, …"#
                )
            );
            let pos = err.position.expect("position");
            assert_eq!((pos.line, pos.column), (1, 13));
            assert_eq!(pos.char_offset("SELECT * FROM"), Some(13));
        }
    }

    #[test]
    fn transcript_unknown_table() {
        for err in recorded("fetch result of failed operation") {
            assert_eq!(err.sqlstate, SqlState::UNDEFINED_TABLE);
            assert_eq!(err.kind, GatewayErrorKind::Statement);
            assert_eq!(err.message, "Object 'no_such_table' not found");
            assert_eq!(
                err.detail.as_deref(),
                Some("From line 1, column 15 to line 1, column 27")
            );
            assert_eq!(
                err.position,
                Some(SqlPosition {
                    line: 1,
                    column: 15,
                    end: Some((1, 27))
                })
            );
            assert_eq!(
                err.position
                    .and_then(|p| p.char_offset("SELECT * FROM no_such_table")),
                Some(15)
            );
        }
    }

    #[test]
    fn transcript_runtime_cast_failure() {
        for err in recorded("runtime-error query: page 1") {
            assert_eq!(err.sqlstate, SqlState::INVALID_TEXT_REPRESENTATION);
            assert_eq!(err.kind, GatewayErrorKind::JobFailed);
            assert_eq!(
                err.message,
                "NumberFormatException: For input string: '64dc0'. Invalid character found."
            );
            assert_eq!(
                err.detail.as_deref(),
                Some("Flink job 04cbea43e8d8c7332a218b566b3d7cbd failed at runtime (java.lang.NumberFormatException).")
            );
        }
    }

    #[test]
    fn transcript_expired_result_token() {
        let errs = [recorded("re-fetch token 0"), recorded("fetch after cancel")].concat();
        for err in errs {
            assert_eq!(err.kind, GatewayErrorKind::ResultTokenExpired);
            assert_eq!(err.sqlstate, SqlState::INTERNAL_ERROR);
            assert!(
                err.message.starts_with("Expecting token to be "),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn transcript_unknown_operation() {
        let errs = [
            recorded("unknown operation handle"),
            recorded("cancel unknown operation"),
        ]
        .concat();
        for err in errs {
            assert_eq!(err.kind, GatewayErrorKind::OperationNotFound);
            assert_eq!(err.sqlstate, SqlState::INVALID_CURSOR_NAME);
            assert_eq!(
                err.message,
                "Can not find the submitted operation in the OperationManager with the 00000000-0000-0000-0000-000000000000."
            );
        }
    }

    #[test]
    fn transcript_unknown_or_closed_session() {
        let errs = [
            recorded("unknown session handle"),
            recorded("get closed session"),
        ]
        .concat();
        for err in errs {
            assert!(err.is_session_lost());
            assert_eq!(err.sqlstate, SqlState::CONNECTION_DOES_NOT_EXIST);
            assert!(err.sqlstate.is_connection_class());
            assert!(
                err.message.starts_with("Flink session lost: Session '"),
                "{}",
                err.message
            );
            assert!(err.hint.is_some());
        }
    }

    #[test]
    fn transcript_invalid_row_format_is_bad_request() {
        for err in recorded("v3 fetch with invalid rowFormat") {
            assert_eq!(err.kind, GatewayErrorKind::BadRequest);
            assert_eq!(err.sqlstate, SqlState::INVALID_PARAMETER_VALUE);
            assert_eq!(
                err.message,
                r#"Cannot resolve query parameter (rowFormat) from value "XML"."#
            );
        }
    }

    #[test]
    fn transcript_unknown_paths() {
        let errs = [
            recorded("unsupported version prefix"),
            recorded("unknown path"),
            recorded("configure session on v1"),
        ]
        .concat();
        for err in errs {
            assert_eq!(err.kind, GatewayErrorKind::EndpointNotFound);
            assert_eq!(err.sqlstate, SqlState::FEATURE_NOT_SUPPORTED);
            assert!(err.message.starts_with("Not found: /v"), "{}", err.message);
        }
    }

    #[test]
    fn transcript_configure_session_with_query() {
        for err in recorded("configure session with a non-config statement") {
            assert_eq!(err.sqlstate, SqlState::FEATURE_NOT_SUPPORTED);
            assert_eq!(
                err.message,
                "Unsupported statement for configuring session: SELECT 1"
            );
            let detail = err.detail.expect("detail");
            assert!(
                detail.starts_with("The configureSession API only supports"),
                "{detail}"
            );
        }
    }

    #[test]
    fn transcript_cancel_finished_operation() {
        for err in recorded("cancel running operation") {
            assert_eq!(err.kind, GatewayErrorKind::OperationStateConflict);
            assert_eq!(err.sqlstate, SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE);
        }
    }

    // ---- inline excerpts (meaningful without the transcript) ---------------------------------

    #[test]
    fn parse_error_with_expected_tokens() {
        let err = classify_error_body(
            500,
            &fetch_body(&[
                "org.apache.flink.table.api.SqlParserException: SQL parse failed. Encountered \"FRM\" at line 1, column 9.\nWas expecting one of:\n    <EOF> \n    \"EXCEPT\" ...\n    \"FETCH\" ...\n    \"FROM\" ...\n    \"GROUP\" ...\n    \"HAVING\" ...\n    \"INTERSECT\" ...\n    \"LIMIT\" ...\n    ",
                "org.apache.calcite.sql.parser.SqlParseException: Encountered \"FRM\" at line 1, column 9.",
            ]),
        );
        assert_eq!(err.sqlstate, SqlState::SYNTAX_ERROR);
        assert_eq!(
            err.message,
            r#"SQL parse failed. Encountered "FRM" at line 1, column 9."#
        );
        assert_eq!(
            err.hint.as_deref(),
            Some(r#"Expected one of: <EOF>, "EXCEPT", "FETCH", "FROM", "GROUP", "HAVING", …"#)
        );
        assert_eq!(
            err.position.and_then(|p| p.char_offset("SELEC 1 FRM x")),
            Some(9)
        );
        assert_clean(&err);
    }

    #[test]
    fn unknown_column_and_function() {
        let err = classify_error_body(
            500,
            &fetch_body(&[
                "org.apache.flink.table.api.ValidationException: SQL validation failed. From line 1, column 8 to line 1, column 8: Column 'c' not found in any table",
                "org.apache.calcite.runtime.CalciteContextException: From line 1, column 8 to line 1, column 8: Column 'c' not found in any table",
                "org.apache.calcite.sql.validate.SqlValidatorException: Column 'c' not found in any table",
            ]),
        );
        assert_eq!(err.sqlstate, SqlState::UNDEFINED_COLUMN);
        assert_eq!(err.message, "Column 'c' not found in any table");
        assert_eq!(err.detail.as_deref(), Some("At line 1, column 8"));

        let err = classify_java_trace(&trace(&[
            "org.apache.flink.table.api.ValidationException: SQL validation failed. From line 1, column 8 to line 1, column 14: No match found for function signature f(<NUMERIC>)",
            "org.apache.calcite.sql.validate.SqlValidatorException: No match found for function signature f(<NUMERIC>)",
        ]));
        assert_eq!(err.sqlstate, SqlState::UNDEFINED_FUNCTION);
        assert_eq!(
            err.message,
            "No match found for function signature f(<NUMERIC>)"
        );

        let err = classify_java_trace(&trace(&[
            "org.apache.calcite.sql.validate.SqlValidatorException: Cannot apply '+' to arguments of type '<INTEGER> + <BOOLEAN>'. Supported form(s): '<NUMERIC> + <NUMERIC>'",
        ]));
        assert_eq!(err.sqlstate, SqlState::UNDEFINED_FUNCTION);
    }

    #[test]
    fn catalog_objects() {
        let cases: [(&str, SqlState); 9] = [
            ("org.apache.flink.table.api.ValidationException: Catalog my does not exist", SqlState::INVALID_CATALOG_NAME),
            ("org.apache.flink.table.catalog.exceptions.CatalogException: A catalog with name [non_existing_catalog] does not exist.", SqlState::INVALID_CATALOG_NAME),
            ("org.apache.flink.table.catalog.exceptions.DatabaseNotExistException: Database db does not exist in Catalog c.", SqlState::INVALID_SCHEMA_NAME),
            ("org.apache.flink.table.catalog.exceptions.TableNotExistException: Table (or view) db.t does not exist in Catalog c.", SqlState::UNDEFINED_TABLE),
            ("org.apache.flink.table.api.ValidationException: Table `a`.`b`.`c` doesn't exist or is a temporary table.", SqlState::UNDEFINED_TABLE),
            ("org.apache.flink.table.catalog.exceptions.DatabaseAlreadyExistException: Database db already exists in Catalog c.", SqlState::DUPLICATE_SCHEMA),
            ("org.apache.flink.table.catalog.exceptions.FunctionAlreadyExistException: Function db.f already exists in Catalog c.", SqlState::DUPLICATE_FUNCTION),
            ("org.apache.flink.table.catalog.exceptions.FunctionNotExistException: Function db.f does not exist in Catalog c.", SqlState::UNDEFINED_FUNCTION),
            ("org.apache.flink.table.api.ValidationException: Could not find any factory for identifier 'kafka' that implements 'org.apache.flink.table.factories.DynamicTableFactory' in the classpath.\n\nAvailable factory identifiers are:\n\nblackhole\ndatagen", SqlState::UNDEFINED_OBJECT),
        ];
        for (text, state) in cases {
            let err = classify_error_body(500, &fetch_body(&[text]));
            assert_eq!(err.sqlstate, state, "{text}");
            assert_eq!(err.kind, GatewayErrorKind::Statement);
            assert_clean(&err);
        }
    }

    #[test]
    fn runtime_failures_pick_the_deepest_cause() {
        let job = [
            "org.apache.flink.table.gateway.service.utils.SqlExecutionException: Error while retrieving result.",
            "java.util.concurrent.ExecutionException: org.apache.flink.client.program.ProgramInvocationException: Job failed (JobID: 0123456789abcdef0123456789abcdef)",
            "org.apache.flink.client.program.ProgramInvocationException: Job failed (JobID: 0123456789abcdef0123456789abcdef)",
            "org.apache.flink.runtime.client.JobExecutionException: Job execution failed.",
            "org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy",
        ];
        let with = |root: &str| {
            let mut all = job.to_vec();
            all.push(root);
            classify_error_body(500, &body(&all))
        };
        let err = with("java.lang.NumberFormatException: For input string: \"abcde\"");
        assert_eq!(err.sqlstate, SqlState::INVALID_TEXT_REPRESENTATION);
        assert_eq!(
            err.message,
            "NumberFormatException: For input string: \"abcde\""
        );
        assert_eq!(
            with("java.lang.ArithmeticException: / by zero").sqlstate,
            SqlState::DIVISION_BY_ZERO
        );
        assert_eq!(
            with(
                "java.time.format.DateTimeParseException: Text 'x' could not be parsed at index 0"
            )
            .sqlstate,
            SqlState::INVALID_DATETIME_FORMAT
        );
        assert_eq!(
            with("org.apache.flink.table.api.TableRuntimeException: Column 'id' is NOT NULL, however, a null value is being written into it. You can set job configuration 'table.exec.sink.not-null-enforcer'='DROP' to suppress this exception and drop such records silently.").sqlstate,
            SqlState::NOT_NULL_VIOLATION
        );
        let err = with("java.lang.IllegalStateException: boom");
        assert_eq!(
            (err.sqlstate, err.kind),
            (SqlState::INTERNAL_ERROR, GatewayErrorKind::JobFailed)
        );
        assert_eq!(err.message, "IllegalStateException: boom");
        // A source that cannot reach Kafka is an external-system failure, not a lost cluster.
        let err = with("java.net.ConnectException: Connection refused");
        assert_eq!(
            (err.sqlstate, err.kind),
            (SqlState::SYSTEM_ERROR, GatewayErrorKind::JobFailed)
        );
        let err =
            with("org.apache.flink.runtime.client.JobCancellationException: Job was cancelled.");
        assert_eq!(err.sqlstate, SqlState::QUERY_CANCELED);
    }

    #[test]
    fn cluster_unreachable() {
        let err = classify_error_body(
            500,
            &fetch_body(&[
                "org.apache.flink.util.FlinkException: Failed to execute job 'collect'.",
                "java.lang.RuntimeException: org.apache.flink.runtime.client.JobSubmissionException: Failed to submit JobGraph.",
                "org.apache.flink.runtime.client.JobSubmissionException: Failed to submit JobGraph.",
                "org.apache.flink.util.concurrent.FutureUtils$RetryException: Could not complete the operation. Number of retries has been exhausted.",
                "java.util.concurrent.CompletionException: org.apache.flink.shaded.netty4.io.netty.channel.AbstractChannel$AnnotatedConnectException: Connection refused: localhost/127.0.0.1:8081",
                "org.apache.flink.shaded.netty4.io.netty.channel.AbstractChannel$AnnotatedConnectException: Connection refused: localhost/127.0.0.1:8081",
                "java.net.ConnectException: Connection refused",
            ]),
        );
        assert_eq!(err.kind, GatewayErrorKind::ClusterUnavailable);
        assert_eq!(
            err.sqlstate,
            SqlState::SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION
        );
        assert!(
            err.message
                .starts_with("Flink SQL Gateway could not reach the Flink cluster: "),
            "{}",
            err.message
        );
    }

    #[test]
    fn session_lost_is_recognised_behind_operation_wrappers() {
        let err = classify_error_body(
            500,
            &serde_json::json!({"errors": [
                "org.apache.flink.runtime.rest.handler.RestHandlerException: Failed to getOperationInfo.\n\tat x.y(Z.java:1)\nCaused by: org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to getOperationInfo.\n\tat x.y(Z.java:1)\nCaused by: org.apache.flink.table.gateway.api.utils.SqlGatewayException: Session '3a2f' does not exist.\n\tat x.y(Z.java:1)\n"
            ]})
            .to_string(),
        );
        assert!(err.is_session_lost());
        assert_eq!(
            err.message,
            "Flink session lost: Session '3a2f' does not exist."
        );
    }

    #[test]
    fn non_json_bodies() {
        let err = classify_error_body(502, "<html><body>Bad Gateway</body></html>");
        assert_eq!(err.kind, GatewayErrorKind::ClusterUnavailable);
        assert_eq!(err.message, "Flink SQL Gateway answered HTTP 502");
        let err = classify_error_body(500, "");
        assert_eq!(err.sqlstate, SqlState::INTERNAL_ERROR);
        let err = classify_error_body(
            500,
            "java.lang.IllegalStateException: odd\n\tat a.b(C.java:1)\n",
        );
        assert_eq!(err.message, "odd");
        assert_clean(&err);
        let err = classify_error_body(500, r#"{"errors":["Internal server error."]}"#);
        assert_eq!(err.message, "Flink SQL Gateway answered HTTP 500");
    }

    #[test]
    fn wrapper_with_empty_root_message_uses_class_name() {
        let err = classify_java_trace(&trace(&[
            "org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.",
            "java.lang.NullPointerException",
        ]));
        assert_eq!(err.sqlstate, SqlState::INTERNAL_ERROR);
        assert_eq!(err.message, "Failed to fetchResults.");
    }

    #[test]
    fn positions_need_a_word_boundary() {
        assert_eq!(find_position("pipeline 1, column 2"), None);
        assert_eq!(
            find_position("pipeline 1, and at line 3, column 4").map(|p| (p.line, p.column)),
            Some((3, 4))
        );
    }

    #[test]
    fn char_offsets() {
        let p = SqlPosition {
            line: 2,
            column: 3,
            end: None,
        };
        assert_eq!(p.char_offset("ab\ncdef"), Some(6));
        assert_eq!(
            SqlPosition {
                line: 0,
                column: 23,
                end: None
            }
            .char_offset("x"),
            None
        );
        assert_eq!(
            SqlPosition {
                line: 3,
                column: 1,
                end: None
            }
            .char_offset("x"),
            None
        );
        assert_eq!(
            SqlPosition {
                line: 1,
                column: 2,
                end: None
            }
            .char_offset("é€x"),
            Some(2)
        );
    }

    // ---- expected errors of Flink's own SQL Gateway .q tests ---------------------------------

    const Q_DIR: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/flink-sql-gateway/test-resources/sql"
    );

    /// `(statement, error text)` pairs: the text between `!output` and `!error`.
    fn q_errors() -> Vec<(String, String)> {
        let mut out = Vec::new();
        let Ok(dir) = std::fs::read_dir(Q_DIR) else {
            return out;
        };
        for entry in dir.flatten() {
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            for chunk in text.split("!error").filter(|c| c.contains("!output")) {
                let Some((stmt_part, err)) = chunk.rsplit_once("!output") else {
                    continue;
                };
                let stmt = stmt_part
                    .rsplit("\n\n")
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_owned();
                out.push((stmt, err.trim().to_owned()));
            }
        }
        out
    }

    #[test]
    fn q_file_errors() {
        let all = q_errors();
        assert!(all.len() >= 25, "only {} .q errors found", all.len());
        let expect = |text: &str| -> Option<SqlState> {
            let cases: [(&str, SqlState); 18] = [
                (
                    "Only 'INSERT/CREATE TABLE AS' statement is allowed",
                    SqlState::ACTIVE_SQL_TRANSACTION,
                ),
                (
                    "No Statement Set to submit",
                    SqlState::NO_ACTIVE_SQL_TRANSACTION,
                ),
                ("A database with name [", SqlState::INVALID_SCHEMA_NAME),
                ("A catalog with name [", SqlState::INVALID_CATALOG_NAME),
                ("ParseException: Encountered", SqlState::SYNTAX_ERROR),
                ("Catalog my does not exist", SqlState::INVALID_CATALOG_NAME),
                (
                    "Catalog cat_comment already exists",
                    SqlState::DUPLICATE_OBJECT,
                ),
                (
                    "ALTER CATALOG RESET does not support",
                    SqlState::FEATURE_NOT_SUPPORTED,
                ),
                ("which is currently in use", SqlState::OBJECT_IN_USE),
                ("No enum constant", SqlState::INVALID_PARAMETER_VALUE),
                (
                    "No match found for function signature",
                    SqlState::UNDEFINED_FUNCTION,
                ),
                ("does not exist.", SqlState::UNDEFINED_TABLE),
                ("doesn't exist", SqlState::UNDEFINED_TABLE),
                ("is only supported for", SqlState::WRONG_OBJECT_TYPE),
                (
                    "Unsupported options found",
                    SqlState::INVALID_PARAMETER_VALUE,
                ),
                (
                    "ALTER TABLE RESET does not support empty key",
                    SqlState::FEATURE_NOT_SUPPORTED,
                ),
                ("already exists", SqlState::DUPLICATE_TABLE),
                (
                    "cannot be enriched with new options",
                    SqlState::WRONG_OBJECT_TYPE,
                ),
            ];
            cases
                .iter()
                .find(|(needle, _)| text.contains(needle))
                .map(|(_, s)| *s)
        };
        let mut checked = 0;
        for (stmt, text) in &all {
            let err = classify_java_trace(text);
            assert_clean(&err);
            assert!(
                !err.message.starts_with("org.apache"),
                "class prefix left in {:?}",
                err.message
            );
            if let Some(state) = expect(text) {
                assert_eq!(err.sqlstate, state, "{stmt}\n{text}\n=> {err:?}");
                checked += 1;
            }
        }
        assert!(checked >= 25, "only {checked} .q errors checked");
    }

    #[test]
    fn q_parse_error_hint_and_position() {
        let err = classify_java_trace(
            "org.apache.flink.sql.parser.impl.ParseException: Encountered \".\" at line 0, column 23.\nWas expecting one of:\n    <EOF> \n    \"WITH\" ...\n    \"COMMENT\" ...\n    \";\" ...\n    ",
        );
        assert_eq!(
            err.message,
            r#"SQL parse failed. Encountered "." at line 0, column 23."#
        );
        assert_eq!(
            err.hint.as_deref(),
            Some(r#"Expected one of: <EOF>, "WITH", "COMMENT", ";""#)
        );
        assert_eq!(err.position.map(|p| (p.line, p.column)), Some((0, 23)));
    }

    /// Fuzzing (fuzz/fuzz_targets/gateway_error.rs) found that a classless cause which is only a
    /// prefix `clean_message` removes gave an empty message.
    #[test]
    fn message_is_never_empty() {
        for body in ["SQL validation failed.", " lin\0SQL validation failed.", "Caused by: \nCaused by: From line 1, column 2: "] {
            let err = classify_java_trace(body);
            assert!(!err.message.is_empty(), "{body:?}");
            let err = classify_error_body(500, body);
            assert!(!err.message.is_empty(), "{body:?}");
        }
        assert_eq!(classify_java_trace("SQL validation failed.").message, "SQL validation failed.");
    }

    #[test]
    fn q_duplicate_view_and_temporary_table() {
        let err = classify_java_trace("org.apache.flink.table.catalog.exceptions.TableAlreadyExistException: Table (or view) default_database.v1 already exists in Catalog default_catalog.");
        assert_eq!(err.sqlstate, SqlState::DUPLICATE_TABLE);
        assert_eq!(
            err.message,
            "Table (or view) default_database.v1 already exists in Catalog default_catalog."
        );
        let err = classify_java_trace("org.apache.flink.table.api.ValidationException: Temporary table '`default_catalog`.`default_database`.`v1`' already exists");
        assert_eq!(err.sqlstate, SqlState::DUPLICATE_TABLE);
    }
}
