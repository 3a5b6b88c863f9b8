//! Inlining extended-protocol parameters (`$1 … $n`) into Flink SQL as typed literals.
//!
//! Flink SQL has no server-side parameters, so flinkwire substitutes each value as a literal.
//! Injection safety rests on three rules:
//! 1. **The scan follows Flink's lexer** (Calcite's): placeholders are recognised only outside
//!    `'…'` strings (quotes doubled, no backslash escapes), backtick and double-quoted
//!    identifiers, `-- …`/`// …` line comments (ending at `\n` or `\r`), `/* … */` comments
//!    (not nested: the first `*/` ends them) and `/*+ … */` hints. `$` after an identifier
//!    character is part of the identifier (`EXPR$0`, `a$1`; Calcite treats `$` as a letter), and
//!    `$1abc` is an identifier, not `$1` followed by `abc`. Where the lexers could disagree (a
//!    `/*` inside a block comment, nested in some dialects) and the statement has placeholders,
//!    [`placeholders`] refuses rather than guessing.
//! 2. **Every value is re-rendered from its decoded form**, never copied: numbers are parsed and
//!    printed back, so `1; DROP TABLE x` as an int4 is `22P02`; only text values become string
//!    literals, with `'` doubled and NUL rejected, so a value can never close its literal, and
//!    inside a literal `--`, `/*` and `\` mean nothing.
//! 3. **A literal never fuses with its neighbours**: a space is inserted when the placeholder
//!    touches a quote, `-`, `/`, `*`, `.` or identifier character (`-$1` with `-5` becomes
//!    `- -5`, not the comment `--5`).
//!
//! Typing choices (Flink infers literal types; see [`render_literal`]):
//! - int2/int4/int8/oid render as plain numbers (`5`, `-5`), because Flink requires a bare
//!   literal in `LIMIT`/`OFFSET`/`FETCH` and widens INT to BIGINT in comparisons and inserts.
//!   Calcite types an integer literal by magnitude (INT, else BIGINT), so `SELECT $1` with an
//!   int8 `5` yields INT.
//! - float4/float8 → `CAST(1.5 AS FLOAT|DOUBLE)` (a bare `1.5` would be DECIMAL); NaN and
//!   ±Infinity → `CAST('NaN' AS DOUBLE)`.
//! - numeric → exact decimal literal `-12.50` (DECIMAL(4,2)); NaN/Infinity are refused (Flink
//!   DECIMAL has none), more than 38 digits is `22003`.
//! - timestamp → `TIMESTAMP 'YYYY-MM-DD HH:MM:SS.ffffff'` (always TIMESTAMP(6)); time →
//!   `TIME 'HH:MM:SS[.fff]'` (Flink's TIME is millisecond-based: microseconds are truncated);
//!   timestamptz → `TO_TIMESTAMP_LTZ(<epoch millis>, 3)` (TIMESTAMP_LTZ(3), independent of the
//!   session time zone; microseconds are truncated toward the past).
//! - NULL → `CAST(NULL AS <type>)` when the OID is known (Flink rejects untyped NULL in many
//!   places), `CAST(NULL AS STRING)` when it is unspecified (OID 0 / `unknown`), as PostgreSQL
//!   resolves an unknown-typed NULL to text.
//! - Text-format values of unspecified type (OID 0, `unknown`) and of types without a Flink
//!   counterpart (arrays, interval, …) become string literals: Flink coerces them in
//!   comparisons or rejects them; they are quoted, so never a safety issue.

use std::ops::Range;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};

use crate::sqlstate::SqlState;

/// PostgreSQL type OIDs that parameters commonly carry.
pub mod oid {
    pub const UNSPECIFIED: u32 = 0;
    pub const BOOL: u32 = 16;
    pub const BYTEA: u32 = 17;
    pub const CHAR: u32 = 18;
    pub const NAME: u32 = 19;
    pub const INT8: u32 = 20;
    pub const INT2: u32 = 21;
    pub const INT4: u32 = 23;
    pub const TEXT: u32 = 25;
    pub const OID: u32 = 26;
    pub const JSON: u32 = 114;
    pub const FLOAT4: u32 = 700;
    pub const FLOAT8: u32 = 701;
    pub const UNKNOWN: u32 = 705;
    pub const BPCHAR: u32 = 1042;
    pub const VARCHAR: u32 = 1043;
    pub const DATE: u32 = 1082;
    pub const TIME: u32 = 1083;
    pub const TIMESTAMP: u32 = 1114;
    pub const TIMESTAMPTZ: u32 = 1184;
    pub const NUMERIC: u32 = 1700;
    pub const UUID: u32 = 2950;
    pub const JSONB: u32 = 3802;
}

/// The highest placeholder number accepted: the protocol counts parameters in an Int16.
pub const MAX_PARAMS: usize = u16::MAX as usize;

/// Wire format of a parameter value (Bind's format codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamFormat {
    Text,
    Binary,
}

impl ParamFormat {
    /// Bind format code: 0 = text, 1 = binary.
    pub fn from_code(code: i16) -> Result<Self, ParamError> {
        match code {
            0 => Ok(Self::Text),
            1 => Ok(Self::Binary),
            other => Err(ParamError::InvalidFormatCode(other)),
        }
    }
}

/// One bound parameter: its declared type (0 = unspecified), format and bytes (`None` = NULL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamValue<'a> {
    pub oid: u32,
    pub format: ParamFormat,
    pub bytes: Option<&'a [u8]>,
}

impl<'a> ParamValue<'a> {
    /// A text-format value.
    pub fn text(oid: u32, text: &'a str) -> Self {
        Self {
            oid,
            format: ParamFormat::Text,
            bytes: Some(text.as_bytes()),
        }
    }
    /// A binary-format value.
    pub fn binary(oid: u32, bytes: &'a [u8]) -> Self {
        Self {
            oid,
            format: ParamFormat::Binary,
            bytes: Some(bytes),
        }
    }
    /// SQL NULL of the given type.
    pub fn null(oid: u32) -> Self {
        Self {
            oid,
            format: ParamFormat::Text,
            bytes: None,
        }
    }
}

/// One `$n` found in the SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// The 1-based parameter number `n`.
    pub index: usize,
    /// Byte range of `$n` in the SQL.
    pub span: Range<usize>,
}

/// The placeholders of a statement, in text order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placeholders {
    /// The highest `n` (0 when there are none): the parameter count for ParameterDescription.
    pub max_index: usize,
    pub list: Vec<Placeholder>,
}

/// Why a statement's parameters could not be inlined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// `$0`, or a number beyond [`MAX_PARAMS`].
    #[error("there is no parameter ${0}")]
    NoSuchParameter(String),
    /// A placeholder without a bound value.
    #[error("bind message supplies {supplied} parameters, but the statement uses ${index}")]
    MissingValue { index: usize, supplied: usize },
    /// A `/*` inside a block comment: lexers disagree on nesting, so inlining is refused.
    #[error("nested block comments are not supported in statements with parameters")]
    AmbiguousComment,
    /// A Bind format code other than 0 or 1.
    #[error("invalid parameter format code {0}")]
    InvalidFormatCode(i16),
    /// A value that cannot be decoded or rendered.
    #[error("parameter ${index}: {source}")]
    Value {
        index: usize,
        #[source]
        source: ValueError,
    },
}

impl ParamError {
    /// The SQLSTATE to report.
    pub fn sqlstate(&self) -> SqlState {
        match self {
            Self::NoSuchParameter(_) => SqlState::UNDEFINED_PARAMETER,
            Self::MissingValue { .. } | Self::InvalidFormatCode(_) => SqlState::PROTOCOL_VIOLATION,
            Self::AmbiguousComment => SqlState::SYNTAX_ERROR,
            Self::Value { source, .. } => source.sqlstate(),
        }
    }
}

/// Why one value could not be rendered as a Flink literal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("invalid input syntax for type {type_name}: \"{value}\"")]
    InvalidText {
        type_name: &'static str,
        value: String,
    },
    #[error("value \"{value}\" is out of range for type {type_name}")]
    OutOfRange {
        type_name: &'static str,
        value: String,
    },
    #[error("invalid datetime format for type {type_name}: \"{value}\"")]
    InvalidDatetime {
        type_name: &'static str,
        value: String,
    },
    #[error("{type_name} value out of Flink's range (years 0000-9999): \"{value}\"")]
    DatetimeOutOfRange {
        type_name: &'static str,
        value: String,
    },
    #[error("incorrect binary data format for type {type_name}: {reason}")]
    InvalidBinary {
        type_name: &'static str,
        reason: String,
    },
    #[error("invalid byte sequence for encoding \"UTF8\"")]
    InvalidUtf8,
    #[error("invalid byte sequence for encoding \"UTF8\": 0x00")]
    NulByte,
    #[error("binary format for parameters of type OID {0} is not supported")]
    UnsupportedBinary(u32),
    #[error("{0}")]
    NotRepresentable(String),
}

impl ValueError {
    /// The SQLSTATE to report.
    pub fn sqlstate(&self) -> SqlState {
        match self {
            Self::InvalidText { .. } => SqlState::INVALID_TEXT_REPRESENTATION,
            Self::OutOfRange { .. } => SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            Self::InvalidDatetime { .. } => SqlState::INVALID_DATETIME_FORMAT,
            Self::DatetimeOutOfRange { .. } => SqlState::DATETIME_FIELD_OVERFLOW,
            Self::InvalidBinary { .. } => SqlState::INVALID_BINARY_REPRESENTATION,
            Self::InvalidUtf8 | Self::NulByte => SqlState::CHARACTER_NOT_IN_REPERTOIRE,
            Self::UnsupportedBinary(_) | Self::NotRepresentable(_) => {
                SqlState::FEATURE_NOT_SUPPORTED
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Public entry points

/// Finds the `$n` placeholders of a statement (see the module doc for the lexical rules).
pub fn placeholders(sql: &str) -> Result<Placeholders, ParamError> {
    scan(sql, Marker::Dollar)
}

/// Finds the `?` placeholders of a statement (JDBC, ODBC and Flight SQL clients write these), with
/// the same lexical rules as `$n`: the first `?` is parameter 1, the next 2, and so on.
pub fn question_marks(sql: &str) -> Result<Placeholders, ParamError> {
    scan(sql, Marker::QuestionMark)
}

/// Replaces every `?` by the literal of the next value, as [`inline_params`] does for `$n`.
pub fn inline_question_marks(sql: &str, params: &[ParamValue<'_>]) -> Result<String, ParamError> {
    substitute_found(sql, question_marks(sql)?, |index| {
        let value = params.get(index - 1).ok_or(ParamError::MissingValue {
            index,
            supplied: params.len(),
        })?;
        render_literal(value).map_err(|source| ParamError::Value { index, source })
    })
}

/// Which placeholders a scan looks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Marker {
    Dollar,
    QuestionMark,
}

fn scan(sql: &str, marker: Marker) -> Result<Placeholders, ParamError> {
    let mut scanner = Scanner {
        sql,
        bytes: sql.as_bytes(),
        pos: 0,
        found: Vec::new(),
        nested_comment: false,
        marker,
    };
    scanner.scan_code()?;
    if scanner.nested_comment && !scanner.found.is_empty() {
        return Err(ParamError::AmbiguousComment);
    }
    let max_index = scanner.found.iter().map(|p| p.index).max().unwrap_or(0);
    Ok(Placeholders {
        max_index,
        list: scanner.found,
    })
}

/// Replaces every `$n` by the literal of `params[n-1]`. A placeholder without a value is
/// [`ParamError::MissingValue`] (`08P01`, as PostgreSQL answers a short Bind); extra values are
/// ignored.
pub fn inline_params(sql: &str, params: &[ParamValue<'_>]) -> Result<String, ParamError> {
    substitute(sql, |index| {
        let value = params.get(index - 1).ok_or(ParamError::MissingValue {
            index,
            supplied: params.len(),
        })?;
        render_literal(value).map_err(|source| ParamError::Value { index, source })
    })
}

/// Replaces every `$n` by `CAST(NULL AS <Flink type of param_oids[n-1]>)`, for describing a
/// statement before its values are known. Unknown, unspecified or missing OIDs give
/// `CAST(NULL AS STRING)`.
pub fn inline_typed_nulls(sql: &str, param_oids: &[u32]) -> Result<String, ParamError> {
    substitute(sql, |index| {
        let ty = param_oids
            .get(index - 1)
            .and_then(|o| flink_type_name(*o))
            .unwrap_or("STRING");
        Ok(format!("CAST(NULL AS {ty})"))
    })
}

/// Replaces each placeholder by `render(n)`, padding with a space where the literal would
/// otherwise touch a character it could fuse with.
pub fn substitute(
    sql: &str,
    render: impl FnMut(usize) -> Result<String, ParamError>,
) -> Result<String, ParamError> {
    substitute_found(sql, placeholders(sql)?, render)
}

fn substitute_found(
    sql: &str,
    found: Placeholders,
    mut render: impl FnMut(usize) -> Result<String, ParamError>,
) -> Result<String, ParamError> {
    let mut out = String::with_capacity(sql.len() + 16 * found.list.len());
    let mut last = 0;
    for p in &found.list {
        let before = &sql[last..p.span.start];
        out.push_str(before);
        let literal = render(p.index)?;
        if sql[..p.span.start].chars().next_back().is_some_and(fuses) {
            out.push(' ');
        }
        out.push_str(&literal);
        if sql[p.span.end..].chars().next().is_some_and(fuses) {
            out.push(' ');
        }
        last = p.span.end;
    }
    out.push_str(&sql[last..]);
    Ok(out)
}

/// The Flink SQL type used for a PostgreSQL OID in `CAST(NULL AS …)`; `None` when there is no
/// counterpart (or the type is unspecified).
pub fn flink_type_name(type_oid: u32) -> Option<&'static str> {
    Some(match type_oid {
        oid::BOOL => "BOOLEAN",
        oid::INT2 => "SMALLINT",
        oid::INT4 => "INT",
        oid::INT8 | oid::OID => "BIGINT",
        oid::FLOAT4 => "FLOAT",
        oid::FLOAT8 => "DOUBLE",
        oid::NUMERIC => "DECIMAL(38, 18)",
        oid::TEXT
        | oid::VARCHAR
        | oid::BPCHAR
        | oid::NAME
        | oid::CHAR
        | oid::JSON
        | oid::JSONB
        | oid::UUID => "STRING",
        oid::BYTEA => "BYTES",
        oid::DATE => "DATE",
        oid::TIME => "TIME(3)",
        oid::TIMESTAMP => "TIMESTAMP(6)",
        oid::TIMESTAMPTZ => "TIMESTAMP_LTZ(3)",
        _ => return None,
    })
}

/// Renders one value as a Flink SQL literal (see the module doc for the typing choices).
pub fn render_literal(value: &ParamValue<'_>) -> Result<String, ValueError> {
    let Some(bytes) = value.bytes else {
        return Ok(match flink_type_name(value.oid) {
            Some(ty) => format!("CAST(NULL AS {ty})"),
            // Flink rejects an untyped NULL in most places ("Illegal use of 'NULL'"); PostgreSQL
            // resolves an unknown-typed NULL to text, so do the same.
            None => "CAST(NULL AS STRING)".to_owned(),
        });
    };
    match value.format {
        ParamFormat::Text => render_text(value.oid, utf8(bytes)?),
        ParamFormat::Binary => render_binary(value.oid, bytes),
    }
}

// ---------------------------------------------------------------------------------------------
// Lexical scan

/// Characters a rendered literal could fuse with into another token (`--`, `/*`, `''`, names).
fn fuses(c: char) -> bool {
    matches!(c, '\'' | '"' | '`' | '-' | '/' | '*' | '.') || is_ident_char(c)
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

struct Scanner<'s> {
    sql: &'s str,
    bytes: &'s [u8],
    pos: usize,
    found: Vec<Placeholder>,
    nested_comment: bool,
    marker: Marker,
}

impl Scanner<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    /// Scans code to the end. A `/*+` hint ends at its own `*/` (a `/*+` inside one opens a
    /// nested hint); placeholders are only recorded outside hints.
    ///
    /// The nesting is a counter, not recursion: one stack frame per `/*+` let a statement of
    /// `/*+` repeated (600 KB, under the 8 MiB message limit) overflow the stack and abort the
    /// whole server (found by fuzzing, fuzz/fuzz_targets/params.rs with a large input).
    fn scan_code(&mut self) -> Result<(), ParamError> {
        let mut hint_depth = 0usize;
        while let Some(b) = self.peek(0) {
            match (b, self.peek(1)) {
                (b'\'' | b'"' | b'`', _) => self.skip_quoted(b),
                (b'-', Some(b'-')) | (b'/', Some(b'/')) => self.skip_line_comment(),
                (b'/', Some(b'*')) if self.peek(2) == Some(b'+') => {
                    self.pos += 3;
                    hint_depth += 1;
                }
                (b'/', Some(b'*')) => self.skip_block_comment(),
                (b'*', Some(b'/')) if hint_depth > 0 => {
                    self.pos += 2;
                    hint_depth -= 1;
                }
                (b'$', _) if self.marker == Marker::Dollar => self.scan_dollar(hint_depth > 0)?,
                (b'?', _) if self.marker == Marker::QuestionMark => {
                    if hint_depth == 0 {
                        let index = self.found.len() + 1;
                        if index > MAX_PARAMS {
                            return Err(ParamError::NoSuchParameter(index.to_string()));
                        }
                        self.found.push(Placeholder { index, span: self.pos..self.pos + 1 });
                    }
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
        Ok(())
    }

    /// `'…'`, `"…"` or `` `…` ``, the delimiter doubled inside. Unterminated: to the end.
    fn skip_quoted(&mut self, quote: u8) {
        self.pos += 1;
        while let Some(b) = self.peek(0) {
            self.pos += 1;
            if b == quote {
                if self.peek(0) == Some(quote) {
                    self.pos += 1;
                } else {
                    return;
                }
            }
        }
    }

    fn skip_line_comment(&mut self) {
        while let Some(b) = self.peek(0) {
            if b == b'\n' || b == b'\r' {
                return;
            }
            self.pos += 1;
        }
    }

    /// `/* … */`, ended by the first `*/` (Calcite does not nest); a `/*` inside is noted.
    fn skip_block_comment(&mut self) {
        self.pos += 2;
        while let Some(b) = self.peek(0) {
            match (b, self.peek(1)) {
                (b'*', Some(b'/')) => {
                    self.pos += 2;
                    return;
                }
                (b'/', Some(b'*')) => {
                    self.nested_comment = true;
                    self.pos += 2;
                }
                _ => self.pos += 1,
            }
        }
    }

    /// A `$`: a placeholder if not preceded by an identifier character, followed by digits, and
    /// the digits not followed by an identifier character. Otherwise part of an identifier.
    fn scan_dollar(&mut self, in_hint: bool) -> Result<(), ParamError> {
        let start = self.pos;
        let preceded = self.sql[..start]
            .chars()
            .next_back()
            .is_some_and(is_ident_char);
        let digits = self.bytes[start + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let end = start + 1 + digits;
        let followed = self.sql[end..].chars().next().is_some_and(is_ident_char);
        if preceded || digits == 0 || followed {
            self.skip_identifier();
            return Ok(());
        }
        self.pos = end;
        if in_hint {
            return Ok(());
        }
        let text = &self.sql[start + 1..end];
        let index = text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PARAMS).contains(n))
            .ok_or_else(|| ParamError::NoSuchParameter(text.to_owned()))?;
        self.found.push(Placeholder {
            index,
            span: start..end,
        });
        Ok(())
    }

    fn skip_identifier(&mut self) {
        let len: usize = self.sql[self.pos..]
            .chars()
            .take_while(|c| is_ident_char(*c))
            .map(char::len_utf8)
            .sum();
        self.pos += len.max(1);
    }
}

// ---------------------------------------------------------------------------------------------
// Text format

fn utf8(bytes: &[u8]) -> Result<&str, ValueError> {
    std::str::from_utf8(bytes).map_err(|_| ValueError::InvalidUtf8)
}

/// Renders a text-format value, validating it strictly for every non-string type.
fn render_text(type_oid: u32, text: &str) -> Result<String, ValueError> {
    match type_oid {
        oid::BOOL => parse_bool(text).map(render_bool),
        oid::INT2 => parse_int::<i16>(text, "smallint").map(|v| v.to_string()),
        oid::INT4 => parse_int::<i32>(text, "integer").map(|v| v.to_string()),
        oid::INT8 => parse_int::<i64>(text, "bigint").map(|v| v.to_string()),
        oid::OID => parse_int::<u32>(text, "oid").map(|v| v.to_string()),
        oid::FLOAT4 => parse_f32(text).map(render_f32),
        oid::FLOAT8 => parse_f64(text).map(render_f64),
        oid::NUMERIC => parse_numeric_text(text)?.render(),
        oid::DATE => parse_date(text).and_then(render_date),
        oid::TIME => parse_time(text).map(render_time),
        oid::TIMESTAMP => parse_timestamp(text, "timestamp").and_then(render_timestamp),
        oid::TIMESTAMPTZ => parse_timestamptz(text).and_then(render_timestamptz_micros),
        oid::UUID => parse_uuid_text(text).map(|u| string_literal_unchecked(&format_uuid(&u))),
        oid::BYTEA => parse_bytea_text(text).map(|b| render_bytes(&b)),
        _ => string_literal(text),
    }
}

/// A Flink string literal: `'` doubled, NUL refused (PostgreSQL text cannot hold it either).
pub fn string_literal(text: &str) -> Result<String, ValueError> {
    if text.contains('\0') {
        return Err(ValueError::NulByte);
    }
    Ok(string_literal_unchecked(text))
}

fn string_literal_unchecked(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn shorten(text: &str) -> String {
    const MAX: usize = 64;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        text.chars().take(MAX).chain(std::iter::once('…')).collect()
    }
}

fn invalid(type_name: &'static str, text: &str) -> ValueError {
    ValueError::InvalidText {
        type_name,
        value: shorten(text),
    }
}

fn parse_bool(text: &str) -> Result<bool, ValueError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "on" | "1" => Ok(true),
        "f" | "false" | "n" | "no" | "off" | "0" => Ok(false),
        _ => Err(invalid("boolean", text)),
    }
}

fn render_bool(v: bool) -> String {
    if v { "TRUE" } else { "FALSE" }.to_owned()
}

/// Strict integer syntax (optional sign, ASCII digits, surrounding whitespace); overflow is
/// `22003`, anything else `22P02`.
fn parse_int<T: std::str::FromStr>(text: &str, type_name: &'static str) -> Result<T, ValueError> {
    let t = text.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(type_name, text));
    }
    t.parse::<T>().map_err(|_| ValueError::OutOfRange {
        type_name,
        value: shorten(text),
    })
}

fn parse_f64(text: &str) -> Result<f64, ValueError> {
    let t = text.trim();
    let v: f64 = t.parse().map_err(|_| invalid("double precision", text))?;
    if v.is_infinite() && !t.to_ascii_lowercase().contains("inf") {
        return Err(ValueError::OutOfRange {
            type_name: "double precision",
            value: shorten(text),
        });
    }
    Ok(v)
}

fn parse_f32(text: &str) -> Result<f32, ValueError> {
    let t = text.trim();
    let v: f32 = t.parse().map_err(|_| invalid("real", text))?;
    if v.is_infinite() && !t.to_ascii_lowercase().contains("inf") {
        return Err(ValueError::OutOfRange {
            type_name: "real",
            value: shorten(text),
        });
    }
    Ok(v)
}

/// `CAST(<shortest round-trip repr> AS DOUBLE)`; NaN/Infinity through a string cast.
fn render_f64(v: f64) -> String {
    render_float(
        v.is_nan(),
        v.is_infinite(),
        v.is_sign_negative(),
        &format!("{v:?}"),
        "DOUBLE",
    )
}

fn render_f32(v: f32) -> String {
    render_float(
        v.is_nan(),
        v.is_infinite(),
        v.is_sign_negative(),
        &format!("{v:?}"),
        "FLOAT",
    )
}

fn render_float(nan: bool, inf: bool, negative: bool, repr: &str, ty: &str) -> String {
    if nan {
        format!("CAST('NaN' AS {ty})")
    } else if inf && negative {
        format!("CAST('-Infinity' AS {ty})")
    } else if inf {
        format!("CAST('Infinity' AS {ty})")
    } else {
        format!("CAST({repr} AS {ty})")
    }
}

/// An exact decimal as digit strings, rendered as a Flink DECIMAL literal.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    int_digits: String,
    frac_digits: String,
}

/// Flink's DECIMAL maximum precision.
const MAX_DECIMAL_PRECISION: usize = 38;

impl Decimal {
    fn render(&self) -> Result<String, ValueError> {
        let int = self.int_digits.trim_start_matches('0');
        let precision = int.len() + self.frac_digits.len();
        if precision > MAX_DECIMAL_PRECISION || self.frac_digits.len() > MAX_DECIMAL_PRECISION {
            return Err(ValueError::OutOfRange {
                type_name: "numeric (Flink DECIMAL(38))",
                value: shorten(&self.plain()),
            });
        }
        Ok(self.plain())
    }

    fn plain(&self) -> String {
        let int = self.int_digits.trim_start_matches('0');
        let int = if int.is_empty() { "0" } else { int };
        let is_zero = int == "0" && self.frac_digits.bytes().all(|b| b == b'0');
        let sign = if self.negative && !is_zero { "-" } else { "" };
        if self.frac_digits.is_empty() {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{}", self.frac_digits)
        }
    }
}

fn numeric_special(text: &str) -> ValueError {
    ValueError::NotRepresentable(format!(
        "numeric value {} is not supported by Flink DECIMAL",
        shorten(text)
    ))
}

/// `[+-]digits[.digits][e[+-]digits]`, exponent applied exactly.
fn parse_numeric_text(text: &str) -> Result<Decimal, ValueError> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    if matches!(
        lower.trim_start_matches(['+', '-']),
        "nan" | "infinity" | "inf"
    ) {
        return Err(numeric_special(t));
    }
    let negative = t.starts_with('-');
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
        return Err(invalid("numeric", text));
    }
    let exp: i64 = match exponent {
        None => 0,
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !all_digits(digits) {
                return Err(invalid("numeric", text));
            }
            e.parse::<i64>()
                .ok()
                .filter(|v| v.abs() <= 1000)
                .ok_or_else(|| ValueError::OutOfRange {
                    type_name: "numeric",
                    value: shorten(text),
                })?
        }
    };
    Ok(shift_decimal(negative, int, frac, exp))
}

/// Moves the decimal point of `int.frac` by `exp` places (|exp| ≤ 1000).
fn shift_decimal(negative: bool, int: &str, frac: &str, exp: i64) -> Decimal {
    let digits = format!("{int}{frac}");
    let point = int.len() as i64 + exp;
    let (int_digits, frac_digits) = if point <= 0 {
        (
            "0".to_owned(),
            format!("{}{digits}", "0".repeat(point.unsigned_abs() as usize)),
        )
    } else if point as usize >= digits.len() {
        (
            format!("{digits}{}", "0".repeat(point as usize - digits.len())),
            String::new(),
        )
    } else {
        let (i, f) = digits.split_at(point as usize);
        (i.to_owned(), f.to_owned())
    };
    Decimal {
        negative,
        int_digits,
        frac_digits,
    }
}

fn parse_date(text: &str) -> Result<NaiveDate, ValueError> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| ValueError::InvalidDatetime {
        type_name: "date",
        value: shorten(text),
    })
}

fn parse_time(text: &str) -> Result<NaiveTime, ValueError> {
    let t = text.trim();
    NaiveTime::parse_from_str(t, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
        .map_err(|_| ValueError::InvalidDatetime {
            type_name: "time",
            value: shorten(text),
        })
}

fn parse_timestamp(text: &str, type_name: &'static str) -> Result<NaiveDateTime, ValueError> {
    let t = text.trim();
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
    .ok_or_else(|| ValueError::InvalidDatetime {
        type_name,
        value: shorten(text),
    })
}

/// `2024-01-02 03:04:05.123+02[:00]`, `…Z`: microseconds since 1970-01-01 UTC. An offset is
/// required: without one PostgreSQL would use its session time zone, which flinkwire does not
/// know.
fn parse_timestamptz(text: &str) -> Result<i64, ValueError> {
    let bad = || ValueError::InvalidDatetime {
        type_name: "timestamp with time zone",
        value: shorten(text),
    };
    let t = text.trim();
    let (local, offset_secs) = if let Some(local) = t.strip_suffix(['Z', 'z']) {
        (local, 0)
    } else {
        // The offset sign comes after the time part (the date has '-' too).
        let time_start = t.find([' ', 'T']).ok_or_else(bad)?;
        let sign_at = t[time_start..]
            .rfind(['+', '-'])
            .map(|i| i + time_start)
            .ok_or_else(bad)?;
        (&t[..sign_at], parse_offset(&t[sign_at..]).ok_or_else(bad)?)
    };
    let naive = parse_timestamp(local.trim_end(), "timestamp with time zone")?;
    let micros = naive.and_utc().timestamp_micros();
    micros.checked_sub(offset_secs * 1_000_000).ok_or_else(bad)
}

/// `+HH`, `+HH:MM`, `+HHMM`, `+HH:MM:SS` → seconds east of UTC.
fn parse_offset(s: &str) -> Option<i64> {
    let negative = s.starts_with('-');
    if !s.is_ascii() {
        return None;
    }
    let body = s.get(1..)?;
    let parts: Vec<&str> = if body.contains(':') {
        body.split(':').collect()
    } else if body.len() == 4 {
        vec![&body[..2], &body[2..]]
    } else {
        vec![body]
    };
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let mut secs = 0i64;
    for (i, p) in parts.iter().enumerate() {
        let v: i64 = p.parse().ok()?;
        secs += v * [3600, 60, 1][i];
    }
    (secs <= 16 * 3600).then_some(if negative { -secs } else { secs })
}

fn parse_uuid_text(text: &str) -> Result<[u8; 16], ValueError> {
    let t = text.trim();
    let t = t
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(t);
    let hex: String = t.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || t.starts_with('-') || t.ends_with('-') || t.contains("--") {
        return Err(invalid("uuid", text));
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(
            hex.get(2 * i..2 * i + 2)
                .ok_or_else(|| invalid("uuid", text))?,
            16,
        )
        .map_err(|_| invalid("uuid", text))?;
    }
    Ok(out)
}

fn format_uuid(b: &[u8; 16]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// bytea text: hex (`\x0102`) or escape format (`a\000\\b`).
fn parse_bytea_text(text: &str) -> Result<Vec<u8>, ValueError> {
    if let Some(hex) = text.strip_prefix("\\x") {
        let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        if !digits.len().is_multiple_of(2) {
            return Err(invalid("bytea", text));
        }
        return digits
            .chunks(2)
            .map(|pair| {
                std::str::from_utf8(pair)
                    .ok()
                    .and_then(|s| u8::from_str_radix(s, 16).ok())
                    .ok_or_else(|| invalid("bytea", text))
            })
            .collect();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
        } else if bytes.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else {
            let octal = bytes
                .get(i + 1..i + 4)
                .filter(|o| o.iter().all(|b| (b'0'..=b'7').contains(b)))
                .ok_or_else(|| invalid("bytea", text))?;
            let v = octal
                .iter()
                .fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'));
            out.push(u8::try_from(v).map_err(|_| invalid("bytea", text))?);
            i += 4;
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Binary format

fn bad_binary(type_name: &'static str, reason: impl Into<String>) -> ValueError {
    ValueError::InvalidBinary {
        type_name,
        reason: reason.into(),
    }
}

fn fixed<const N: usize>(bytes: &[u8], type_name: &'static str) -> Result<[u8; N], ValueError> {
    bytes.try_into().map_err(|_| {
        bad_binary(
            type_name,
            format!("expected {N} bytes, got {}", bytes.len()),
        )
    })
}

/// Renders a binary-format value of the common types; others are refused (`0A000`).
fn render_binary(type_oid: u32, bytes: &[u8]) -> Result<String, ValueError> {
    match type_oid {
        oid::BOOL => match fixed::<1>(bytes, "boolean")? {
            [0] => Ok(render_bool(false)),
            [1] => Ok(render_bool(true)),
            _ => Err(bad_binary("boolean", "not 0 or 1")),
        },
        oid::INT2 => Ok(i16::from_be_bytes(fixed(bytes, "smallint")?).to_string()),
        oid::INT4 => Ok(i32::from_be_bytes(fixed(bytes, "integer")?).to_string()),
        oid::INT8 => Ok(i64::from_be_bytes(fixed(bytes, "bigint")?).to_string()),
        oid::OID => Ok(u32::from_be_bytes(fixed(bytes, "oid")?).to_string()),
        oid::FLOAT4 => Ok(render_f32(f32::from_be_bytes(fixed(bytes, "real")?))),
        oid::FLOAT8 => Ok(render_f64(f64::from_be_bytes(fixed(
            bytes,
            "double precision",
        )?))),
        oid::NUMERIC => decode_numeric(bytes)?.render(),
        oid::TEXT
        | oid::VARCHAR
        | oid::BPCHAR
        | oid::NAME
        | oid::CHAR
        | oid::UNKNOWN
        | oid::UNSPECIFIED
        | oid::JSON => string_literal(utf8(bytes)?),
        oid::JSONB => match bytes.split_first() {
            Some((1, json)) => string_literal(utf8(json)?),
            _ => Err(bad_binary("jsonb", "unsupported jsonb version")),
        },
        oid::BYTEA => Ok(render_bytes(bytes)),
        oid::UUID => Ok(string_literal_unchecked(&format_uuid(&fixed::<16>(
            bytes, "uuid",
        )?))),
        oid::DATE => decode_date(i32::from_be_bytes(fixed(bytes, "date")?)).and_then(render_date),
        oid::TIME => decode_time(i64::from_be_bytes(fixed(bytes, "time")?)).map(render_time),
        oid::TIMESTAMP => decode_timestamp(i64::from_be_bytes(fixed(bytes, "timestamp")?))
            .and_then(render_timestamp),
        oid::TIMESTAMPTZ => {
            let micros = i64::from_be_bytes(fixed(bytes, "timestamp with time zone")?);
            if micros == i64::MAX || micros == i64::MIN {
                return Err(infinite("timestamp with time zone"));
            }
            render_timestamptz_micros(micros.saturating_add(PG_EPOCH_UNIX_MICROS))
        }
        other => Err(ValueError::UnsupportedBinary(other)),
    }
}

/// `X'0102'`: hex digits only, nothing to escape.
fn render_bytes(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    format!("X'{hex}'")
}

const NUMERIC_POS: u16 = 0x0000;
const NUMERIC_NEG: u16 = 0x4000;
const NUMERIC_NAN: u16 = 0xC000;
const NUMERIC_PINF: u16 = 0xD000;
const NUMERIC_NINF: u16 = 0xF000;

/// PostgreSQL binary numeric: ndigits, weight, sign, dscale (each 16 bit), then base-10000 digits.
fn decode_numeric(bytes: &[u8]) -> Result<Decimal, ValueError> {
    let word = |i: usize| -> Result<u16, ValueError> {
        let b = bytes
            .get(2 * i..2 * i + 2)
            .ok_or_else(|| bad_binary("numeric", "truncated"))?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    };
    let ndigits = usize::from(word(0)?);
    let weight = i64::from(word(1)? as i16);
    let sign = word(2)?;
    let dscale = usize::from(word(3)?);
    match sign {
        NUMERIC_POS | NUMERIC_NEG => {}
        NUMERIC_NAN => return Err(numeric_special("NaN")),
        NUMERIC_PINF | NUMERIC_NINF => return Err(numeric_special("Infinity")),
        _ => return Err(bad_binary("numeric", "invalid sign")),
    }
    if bytes.len() != 8 + 2 * ndigits {
        return Err(bad_binary("numeric", "length does not match digit count"));
    }
    let digits: Vec<u16> = (0..ndigits)
        .map(|i| word(4 + i))
        .collect::<Result<_, _>>()?;
    if digits.iter().any(|d| *d > 9999) {
        return Err(bad_binary("numeric", "digit out of range"));
    }
    if weight > 20 || dscale > 1000 {
        return Err(ValueError::OutOfRange {
            type_name: "numeric (Flink DECIMAL(38))",
            value: "(binary)".to_owned(),
        });
    }
    let group = |k: i64| -> u16 {
        usize::try_from(k)
            .ok()
            .and_then(|k| digits.get(k))
            .copied()
            .unwrap_or(0)
    };
    let int_digits: String = (0..=weight).map(|k| format!("{:04}", group(k))).collect();
    let frac_groups = dscale.div_ceil(4) as i64;
    let mut frac_digits: String = (1..=frac_groups)
        .map(|j| format!("{:04}", group(weight + j)))
        .collect();
    frac_digits.truncate(dscale);
    Ok(Decimal {
        negative: sign == NUMERIC_NEG,
        int_digits,
        frac_digits,
    })
}

/// Microseconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01.
const PG_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

fn pg_epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

fn infinite(type_name: &'static str) -> ValueError {
    ValueError::NotRepresentable(format!("{type_name} infinity is not supported by Flink"))
}

fn decode_date(days: i32) -> Result<NaiveDate, ValueError> {
    if days == i32::MAX || days == i32::MIN {
        return Err(infinite("date"));
    }
    TimeDelta::try_days(i64::from(days))
        .and_then(|d| pg_epoch().date().checked_add_signed(d))
        .ok_or_else(|| ValueError::DatetimeOutOfRange {
            type_name: "date",
            value: days.to_string(),
        })
}

fn decode_time(micros: i64) -> Result<NaiveTime, ValueError> {
    let secs = u32::try_from(micros.div_euclid(1_000_000)).ok();
    let nanos = (micros.rem_euclid(1_000_000) * 1000) as u32;
    secs.and_then(|s| NaiveTime::from_num_seconds_from_midnight_opt(s, nanos))
        .ok_or_else(|| bad_binary("time", "out of range"))
}

fn decode_timestamp(micros: i64) -> Result<NaiveDateTime, ValueError> {
    if micros == i64::MAX || micros == i64::MIN {
        return Err(infinite("timestamp"));
    }
    pg_epoch()
        .checked_add_signed(TimeDelta::microseconds(micros))
        .ok_or_else(|| ValueError::DatetimeOutOfRange {
            type_name: "timestamp",
            value: micros.to_string(),
        })
}

// ---------------------------------------------------------------------------------------------
// Date/time rendering

fn check_year(
    type_name: &'static str,
    year: i32,
    shown: impl FnOnce() -> String,
) -> Result<(), ValueError> {
    if (0..=9999).contains(&year) {
        Ok(())
    } else {
        Err(ValueError::DatetimeOutOfRange {
            type_name,
            value: shown(),
        })
    }
}

fn render_date(d: NaiveDate) -> Result<String, ValueError> {
    check_year("date", d.year(), || d.to_string())?;
    Ok(format!(
        "DATE '{:04}-{:02}-{:02}'",
        d.year(),
        d.month(),
        d.day()
    ))
}

/// Millisecond precision (Flink's TIME runtime representation); zero fractions omitted.
fn render_time(t: NaiveTime) -> String {
    let millis = (t.nanosecond() / 1_000_000).min(999);
    let base = format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    if millis == 0 {
        format!("TIME '{base}'")
    } else {
        format!("TIME '{base}.{millis:03}'")
    }
}

fn render_timestamp(ts: NaiveDateTime) -> Result<String, ValueError> {
    check_year("timestamp", ts.year(), || ts.to_string())?;
    let micros = (ts.nanosecond() / 1000).min(999_999);
    Ok(format!(
        "TIMESTAMP '{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{micros:06}'",
        ts.year(),
        ts.month(),
        ts.day(),
        ts.hour(),
        ts.minute(),
        ts.second()
    ))
}

/// `TO_TIMESTAMP_LTZ(<epoch millis>, 3)`: an instant, independent of the session time zone.
fn render_timestamptz_micros(unix_micros: i64) -> Result<String, ValueError> {
    let millis = unix_micros.div_euclid(1000);
    let year = chrono::DateTime::from_timestamp_millis(millis).map_or(i32::MAX, |t| t.year());
    check_year("timestamp with time zone", year, || {
        format!("{millis} ms since 1970")
    })?;
    Ok(format!("TO_TIMESTAMP_LTZ({millis}, 3)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_marks_follow_the_same_lexer() {
        let sql = "SELECT '?', `a?`, \"b?\" /* ? */ -- ?\n, ?, x /*+ HINT(?) */ FROM t WHERE y = ?";
        let found = question_marks(sql).unwrap();
        assert_eq!(found.list.iter().map(|p| p.index).collect::<Vec<_>>(), vec![1, 2]);
        let out = inline_question_marks("SELECT ? FROM t WHERE s = ?", &[ParamValue::text(oid::INT8, "5"), ParamValue::text(oid::TEXT, "it's")]).unwrap();
        assert_eq!(out, "SELECT 5 FROM t WHERE s = 'it''s'");
        let injection = inline_question_marks("SELECT ?", &[ParamValue::text(oid::INT8, "1; DROP TABLE x")]);
        assert!(injection.is_err());
        assert!(matches!(inline_question_marks("SELECT ?, ?", &[ParamValue::text(oid::INT4, "1")]), Err(ParamError::MissingValue { index: 2, .. })));
        // `$1` is not a placeholder here.
        assert_eq!(inline_question_marks("SELECT '$1', a$1 FROM t", &[]).unwrap(), "SELECT '$1', a$1 FROM t");
    }

    fn text(oid: u32, v: &str) -> String {
        inline_params("SELECT $1", &[ParamValue::text(oid, v)])
            .map(|s| s["SELECT ".len()..].to_owned())
            .unwrap_or_else(|e| panic!("{v:?}: {e}"))
    }

    fn text_err(oid: u32, v: &str) -> ParamError {
        inline_params("SELECT $1", &[ParamValue::text(oid, v)]).expect_err(v)
    }

    fn bin(oid: u32, v: &[u8]) -> String {
        inline_params("SELECT $1", &[ParamValue::binary(oid, v)])
            .map(|s| s["SELECT ".len()..].to_owned())
            .unwrap_or_else(|e| panic!("{v:?}: {e}"))
    }

    fn bin_err(oid: u32, v: &[u8]) -> ParamError {
        inline_params("SELECT $1", &[ParamValue::binary(oid, v)]).expect_err("should fail")
    }

    fn indexes(sql: &str) -> Vec<usize> {
        placeholders(sql)
            .expect("scan")
            .list
            .iter()
            .map(|p| p.index)
            .collect()
    }

    // ---- lexical scan ------------------------------------------------------------------------

    #[test]
    fn finds_placeholders_and_max_index() {
        let p =
            placeholders("SELECT * FROM t WHERE a = $1 AND b IN ($3, $1) LIMIT $10").expect("scan");
        assert_eq!(p.max_index, 10);
        assert_eq!(
            p.list.iter().map(|p| p.index).collect::<Vec<_>>(),
            vec![1, 3, 1, 10]
        );
        assert_eq!(p.list[0].span, 26..28);
        assert_eq!(
            placeholders("SELECT 1").expect("scan"),
            Placeholders::default()
        );
    }

    #[test]
    fn ignores_dollars_in_strings_identifiers_and_comments() {
        assert!(indexes("SELECT '$1', 'it''s $2', `a$3`, `x``$4`, \"$5\", \"q\"\"$6\"").is_empty());
        assert!(indexes("SELECT 1 -- $1\n").is_empty());
        assert!(indexes("SELECT 1 // $1").is_empty());
        assert!(indexes("SELECT 1 /* $1 */").is_empty());
        assert!(indexes("SELECT 1 /*+ OPTIONS('k'='$1') */").is_empty());
        assert!(indexes("SELECT EXPR$0, a$1, $$, $$1, _$2, é$3, $1abc, $x FROM t").is_empty());
        // A backslash does not escape in Flink: '\' is a complete literal.
        assert_eq!(indexes(r"SELECT '\', $1"), vec![1]);
        // Line comments end at \r as well as \n.
        assert_eq!(indexes("SELECT 1 -- c\r$1"), vec![1]);
        assert_eq!(indexes("SELECT 1 /* a */ $1 /* $2 */"), vec![1]);
        // A hint ends at its `*/`, but not at one inside a string of the hint.
        assert_eq!(indexes("SELECT /*+ OPTIONS('a'='*/ $9') */ $2"), vec![2]);
        assert_eq!(indexes("SELECT /*+*/ $1"), vec![1]);
        // Unterminated string or comment: nothing after it is a placeholder.
        assert!(indexes("SELECT 'abc $1").is_empty());
        assert!(indexes("SELECT /* abc $1").is_empty());
        assert_eq!(indexes("SELECT -$1, ($2), x=$3;"), vec![1, 2, 3]);
    }

    /// Found by fuzzing (fuzz/fuzz_targets/params.rs with a large input): `/*+` repeated used
    /// one stack frame each and overflowed the stack. Nested hints still end one `*/` each.
    #[test]
    fn deeply_nested_hints_do_not_overflow_the_stack() {
        let sql = format!("SELECT 1 {} $1 {} $2", "/*+".repeat(1_000_000), "*/".repeat(1_000_000));
        assert_eq!(indexes(&sql), vec![2]);
        assert_eq!(indexes("SELECT /*+ /*+ $1 */ $2 */ $3"), vec![3]);
        // Run where the server runs: on a tokio worker thread's 2 MiB stack.
        let out = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || placeholders(&sql).map(|p| p.max_index))
            .expect("thread")
            .join()
            .expect("no stack overflow");
        assert_eq!(out, Ok(2));
    }

    #[test]
    fn rejects_bad_placeholder_numbers_and_nested_comments() {
        assert_eq!(
            placeholders("SELECT $0").expect_err("$0"),
            ParamError::NoSuchParameter("0".into())
        );
        assert_eq!(
            placeholders("SELECT $65536").expect_err("big").sqlstate(),
            SqlState::UNDEFINED_PARAMETER
        );
        assert!(placeholders("SELECT $99999999999999999999999").is_err());
        assert_eq!(placeholders("SELECT $65535").expect("max").max_index, 65535);
        // Calcite ends the comment at the first `*/`; a nesting lexer would still be inside it.
        let err = placeholders("SELECT /* /* */ $1 */").expect_err("ambiguous");
        assert_eq!(err, ParamError::AmbiguousComment);
        assert_eq!(err.sqlstate(), SqlState::SYNTAX_ERROR);
        // Without placeholders a nested opener is harmless: nothing is substituted.
        assert!(placeholders("SELECT /* /* */ 1")
            .expect("ok")
            .list
            .is_empty());
    }

    #[test]
    fn ten_is_not_one() {
        let params: Vec<ParamValue> = (1..=10).map(|_| ParamValue::text(oid::INT4, "1")).collect();
        let mut params = params;
        params[9] = ParamValue::text(oid::INT4, "10");
        assert_eq!(
            inline_params("SELECT $1, $10", &params).expect("ok"),
            "SELECT 1, 10"
        );
    }

    #[test]
    fn missing_value_is_protocol_violation() {
        let err = inline_params("SELECT $1, $2", &[ParamValue::text(oid::INT4, "1")])
            .expect_err("missing");
        assert_eq!(
            err,
            ParamError::MissingValue {
                index: 2,
                supplied: 1
            }
        );
        assert_eq!(err.sqlstate(), SqlState::PROTOCOL_VIOLATION);
    }

    #[test]
    fn only_real_placeholders_are_replaced() {
        let sql = "SELECT '$1' AS s, `$1`, EXPR$1, $1 -- $1\n/* $1 */ FROM t";
        let out = inline_params(sql, &[ParamValue::text(oid::INT4, "7")]).expect("ok");
        assert_eq!(
            out,
            "SELECT '$1' AS s, `$1`, EXPR$1, 7 -- $1\n/* $1 */ FROM t"
        );
    }

    // ---- injection attempts ------------------------------------------------------------------

    /// After inlining, the statement must lex to exactly the same shape: one string token where
    /// the placeholder was and nothing else new.
    fn assert_single_string(value: &str) {
        let sql = "SELECT * FROM t WHERE name = $1 AND id = 1";
        let out = inline_params(sql, &[ParamValue::text(oid::TEXT, value)]).expect("ok");
        let literal = &out["SELECT * FROM t WHERE name = ".len()..out.len() - " AND id = 1".len()];
        assert!(
            literal.starts_with('\'') && literal.ends_with('\''),
            "{literal}"
        );
        // Inside, every quote is doubled: the literal cannot end early.
        assert!(
            !literal[1..literal.len() - 1]
                .replace("''", "")
                .contains('\''),
            "{literal}"
        );
        assert!(out.ends_with(" AND id = 1"));
        // Re-scanning finds no placeholder, comment or string boundary outside the literal.
        assert!(placeholders(&out).expect("rescan").list.is_empty());
    }

    #[test]
    fn text_values_cannot_escape_their_literal() {
        for v in [
            "'; DROP TABLE t; --",
            "' OR '1'='1",
            "\\'; DROP TABLE t; --",
            "\\",
            "*/ DROP TABLE t; /*",
            "-- comment",
            "/* open",
            "$2 $$ `x` \"y\"",
            "line1\nline2\r\n-- x",
            "日本語 'ü' 😀",
            "''''",
            "",
        ] {
            assert_single_string(v);
        }
        assert_eq!(text(oid::TEXT, "' OR '1'='1"), "''' OR ''1''=''1'");
        assert_eq!(text(oid::VARCHAR, "it's"), "'it''s'");
        assert_eq!(text(oid::UNSPECIFIED, "\\'"), r"'\'''");
    }

    #[test]
    fn nul_and_invalid_utf8_are_refused() {
        let err = text_err(oid::TEXT, "a\0b");
        assert_eq!(err.sqlstate(), SqlState::CHARACTER_NOT_IN_REPERTOIRE);
        let err = bin_err(oid::TEXT, b"a\0b");
        assert_eq!(err.sqlstate(), SqlState::CHARACTER_NOT_IN_REPERTOIRE);
        let err = bin_err(oid::TEXT, &[0xff, 0xfe]);
        assert!(matches!(
            err,
            ParamError::Value {
                index: 1,
                source: ValueError::InvalidUtf8
            }
        ));
    }

    #[test]
    fn numeric_types_validate_text_strictly() {
        for (oid, v) in [
            (oid::INT4, "1; DROP TABLE x"),
            (oid::INT4, "1 OR 1=1"),
            (oid::INT4, "0x10"),
            (oid::INT4, ""),
            (oid::INT8, "1e3"),
            (oid::INT2, "--1"),
            (oid::NUMERIC, "1.5; DROP TABLE x"),
            (oid::NUMERIC, "1..5"),
            (oid::NUMERIC, "."),
            (oid::FLOAT8, "1.5 OR 1=1"),
            (oid::BOOL, "true OR 1=1"),
            (oid::DATE, "2024-01-02' OR '1'='1"),
            (oid::TIMESTAMP, "2024-01-02 03:04:05'); DROP TABLE t; --"),
            (oid::UUID, "not-a-uuid"),
        ] {
            let err = text_err(oid, v);
            assert!(
                matches!(err.sqlstate().code(), "22P02" | "22007"),
                "{oid} {v:?} gave {err:?}"
            );
        }
        assert_eq!(
            text_err(oid::INT4, "1; DROP TABLE x").sqlstate(),
            SqlState::INVALID_TEXT_REPRESENTATION
        );
        assert_eq!(
            text_err(oid::INT2, "40000").sqlstate(),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(
            text_err(oid::INT4, "2147483648").sqlstate(),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(
            text_err(oid::FLOAT4, "1e40").sqlstate(),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
    }

    #[test]
    fn negative_numbers_never_form_a_comment() {
        let out = inline_params(
            "SELECT 1-$1 AND x = 'a'",
            &[ParamValue::text(oid::INT4, "-5")],
        )
        .expect("ok");
        assert_eq!(out, "SELECT 1- -5 AND x = 'a'");
        let out = inline_params(
            "SELECT 1-$1",
            &[ParamValue::binary(oid::FLOAT8, &(-1.5f64).to_be_bytes())],
        )
        .expect("ok");
        assert_eq!(out, "SELECT 1- CAST(-1.5 AS DOUBLE)");
        let out =
            inline_params("SELECT 'a'$1'b'", &[ParamValue::text(oid::TEXT, "x")]).expect("ok");
        assert_eq!(out, "SELECT 'a' 'x' 'b'");
        let out = inline_params("SELECT /$1*", &[ParamValue::text(oid::INT4, "2")]).expect("ok");
        assert_eq!(out, "SELECT / 2 *");
    }

    // ---- text format -------------------------------------------------------------------------

    #[test]
    fn text_format_rendering() {
        assert_eq!(text(oid::INT4, " 42 "), "42");
        assert_eq!(text(oid::INT4, "-2147483648"), "-2147483648");
        assert_eq!(
            text(oid::INT8, "+9223372036854775807"),
            "9223372036854775807"
        );
        assert_eq!(text(oid::INT2, "-7"), "-7");
        assert_eq!(text(oid::OID, "4294967295"), "4294967295");
        assert_eq!(text(oid::BOOL, "t"), "TRUE");
        assert_eq!(text(oid::BOOL, "OFF"), "FALSE");
        assert_eq!(text(oid::FLOAT8, "1.5"), "CAST(1.5 AS DOUBLE)");
        assert_eq!(text(oid::FLOAT8, "1e300"), "CAST(1e300 AS DOUBLE)");
        assert_eq!(text(oid::FLOAT8, "NaN"), "CAST('NaN' AS DOUBLE)");
        assert_eq!(
            text(oid::FLOAT8, "-Infinity"),
            "CAST('-Infinity' AS DOUBLE)"
        );
        assert_eq!(text(oid::FLOAT4, "Infinity"), "CAST('Infinity' AS FLOAT)");
        assert_eq!(text(oid::FLOAT4, "0.1"), "CAST(0.1 AS FLOAT)");
        assert_eq!(text(oid::NUMERIC, "12.50"), "12.50");
        assert_eq!(text(oid::NUMERIC, "-0.001"), "-0.001");
        assert_eq!(text(oid::NUMERIC, "1.5e3"), "1500");
        assert_eq!(text(oid::NUMERIC, "15e-4"), "0.0015");
        assert_eq!(text(oid::NUMERIC, "007"), "7");
        assert_eq!(text(oid::NUMERIC, "-0"), "0");
        assert_eq!(text(oid::NUMERIC, ".5"), "0.5");
        assert_eq!(
            text_err(oid::NUMERIC, "NaN").sqlstate(),
            SqlState::FEATURE_NOT_SUPPORTED
        );
        assert_eq!(
            text_err(oid::NUMERIC, &"9".repeat(39)).sqlstate(),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(text(oid::NUMERIC, &"9".repeat(38)), "9".repeat(38));
        assert_eq!(text(oid::DATE, "2024-01-02"), "DATE '2024-01-02'");
        assert_eq!(text(oid::TIME, "12:34:56.789123"), "TIME '12:34:56.789'");
        assert_eq!(text(oid::TIME, "12:34"), "TIME '12:34:00'");
        assert_eq!(
            text(oid::TIMESTAMP, "2024-01-02 03:04:05.123"),
            "TIMESTAMP '2024-01-02 03:04:05.123000'"
        );
        assert_eq!(
            text(oid::TIMESTAMP, "2024-01-02T03:04:05"),
            "TIMESTAMP '2024-01-02 03:04:05.000000'"
        );
        assert_eq!(
            text(oid::TIMESTAMP, "2024-01-02"),
            "TIMESTAMP '2024-01-02 00:00:00.000000'"
        );
        assert_eq!(
            text(oid::TIMESTAMPTZ, "1970-01-01 00:00:01.5+00"),
            "TO_TIMESTAMP_LTZ(1500, 3)"
        );
        assert_eq!(
            text(oid::TIMESTAMPTZ, "1970-01-01 02:00:00+02:00"),
            "TO_TIMESTAMP_LTZ(0, 3)"
        );
        assert_eq!(
            text(oid::TIMESTAMPTZ, "1970-01-01 00:00:00-0130"),
            "TO_TIMESTAMP_LTZ(5400000, 3)"
        );
        assert_eq!(
            text(oid::TIMESTAMPTZ, "1970-01-01T00:00:00Z"),
            "TO_TIMESTAMP_LTZ(0, 3)"
        );
        assert_eq!(
            text_err(oid::TIMESTAMPTZ, "2024-01-02 03:04:05").sqlstate(),
            SqlState::INVALID_DATETIME_FORMAT
        );
        assert_eq!(
            text(oid::UUID, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"),
            "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"
        );
        assert_eq!(
            text(oid::UUID, "{a0eebc999c0b4ef8bb6d6bb9bd380a11}"),
            "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"
        );
        assert_eq!(text(oid::BYTEA, "\\x01ff"), "X'01FF'");
        assert_eq!(text(oid::BYTEA, "a\\000\\\\"), "X'61005C'");
        assert_eq!(
            text_err(oid::BYTEA, "\\x0").sqlstate(),
            SqlState::INVALID_TEXT_REPRESENTATION
        );
        assert_eq!(text(oid::JSON, "{\"a\":\"it's\"}"), "'{\"a\":\"it''s\"}'");
        // Types without a Flink counterpart stay quoted strings.
        assert_eq!(text(1007, "{1,2}"), "'{1,2}'");
    }

    #[test]
    fn odd_timestamptz_offsets_are_errors_not_panics() {
        for v in [
            "2024-01-02 03:04:05+aé1",
            "2024-01-02 03:04:05+",
            "2024-01-02 03:04:05+123",
            "x-y z",
        ] {
            assert_eq!(
                text_err(oid::TIMESTAMPTZ, v).sqlstate(),
                SqlState::INVALID_DATETIME_FORMAT,
                "{v}"
            );
        }
    }

    #[test]
    fn datetime_ranges() {
        assert_eq!(
            text_err(oid::DATE, "2024-02-30").sqlstate(),
            SqlState::INVALID_DATETIME_FORMAT
        );
        assert_eq!(
            bin_err(oid::DATE, &3_000_000i32.to_be_bytes()).sqlstate(),
            SqlState::DATETIME_FIELD_OVERFLOW
        );
        assert_eq!(
            bin_err(oid::TIMESTAMP, &(-70_000_000_000_000_000i64).to_be_bytes()).sqlstate(),
            SqlState::DATETIME_FIELD_OVERFLOW
        );
        assert_eq!(
            text_err(oid::TIMESTAMPTZ, "9999-12-31 23:00:00-05").sqlstate(),
            SqlState::DATETIME_FIELD_OVERFLOW
        );
    }

    // ---- binary format -----------------------------------------------------------------------

    #[test]
    fn binary_integers_and_bool() {
        assert_eq!(bin(oid::INT4, &[0, 0, 0, 42]), "42");
        assert_eq!(bin(oid::INT4, &[0xff, 0xff, 0xff, 0xfe]), "-2");
        assert_eq!(
            bin(oid::INT8, &5_000_000_000i64.to_be_bytes()),
            "5000000000"
        );
        assert_eq!(bin(oid::INT2, &[0x80, 0x00]), "-32768");
        assert_eq!(bin(oid::BOOL, &[1]), "TRUE");
        assert_eq!(bin(oid::BOOL, &[0]), "FALSE");
        assert_eq!(
            bin_err(oid::BOOL, &[2]).sqlstate(),
            SqlState::INVALID_BINARY_REPRESENTATION
        );
        assert_eq!(
            bin_err(oid::INT4, &[0, 0, 1]).sqlstate(),
            SqlState::INVALID_BINARY_REPRESENTATION
        );
        assert_eq!(
            bin_err(oid::INT8, &[0; 4]).sqlstate(),
            SqlState::INVALID_BINARY_REPRESENTATION
        );
    }

    #[test]
    fn binary_floats() {
        assert_eq!(
            bin(oid::FLOAT8, &[0x3f, 0xf8, 0, 0, 0, 0, 0, 0]),
            "CAST(1.5 AS DOUBLE)"
        );
        assert_eq!(
            bin(oid::FLOAT8, &f64::NAN.to_be_bytes()),
            "CAST('NaN' AS DOUBLE)"
        );
        assert_eq!(
            bin(oid::FLOAT8, &f64::INFINITY.to_be_bytes()),
            "CAST('Infinity' AS DOUBLE)"
        );
        assert_eq!(
            bin(oid::FLOAT8, &f64::NEG_INFINITY.to_be_bytes()),
            "CAST('-Infinity' AS DOUBLE)"
        );
        assert_eq!(
            bin(oid::FLOAT8, &1e-7f64.to_be_bytes()),
            "CAST(1e-7 AS DOUBLE)"
        );
        assert_eq!(
            bin(oid::FLOAT4, &0.1f32.to_be_bytes()),
            "CAST(0.1 AS FLOAT)"
        );
        assert_eq!(
            bin(oid::FLOAT4, &f32::NAN.to_be_bytes()),
            "CAST('NaN' AS FLOAT)"
        );
    }

    /// PostgreSQL's binary numeric: ndigits, weight, sign, dscale, base-10000 digits.
    fn numeric(weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(digits.len() as u16).to_be_bytes());
        out.extend_from_slice(&weight.to_be_bytes());
        out.extend_from_slice(&sign.to_be_bytes());
        out.extend_from_slice(&dscale.to_be_bytes());
        for d in digits {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out
    }

    #[test]
    fn binary_numeric() {
        // 12345.678 = [1, 2345, 6780], weight 1, dscale 3
        assert_eq!(
            bin(oid::NUMERIC, &numeric(1, 0, 3, &[1, 2345, 6780])),
            "12345.678"
        );
        assert_eq!(
            bin(oid::NUMERIC, &numeric(1, 0x4000, 3, &[1, 2345, 6780])),
            "-12345.678"
        );
        // 0.0012 = [12], weight -1, dscale 4
        assert_eq!(bin(oid::NUMERIC, &numeric(-1, 0, 4, &[12])), "0.0012");
        // 0.00000005 = [5], weight -2 (second group after the point: 0000 0005)
        assert_eq!(bin(oid::NUMERIC, &numeric(-2, 0, 8, &[5])), "0.00000005");
        assert_eq!(bin(oid::NUMERIC, &numeric(-2, 0, 8, &[500])), "0.00000500");
        // 1000000 = [100], weight 1, dscale 0
        assert_eq!(bin(oid::NUMERIC, &numeric(1, 0, 0, &[100])), "1000000");
        // 20000 = [2], weight 1 (trailing zero groups omitted)
        assert_eq!(bin(oid::NUMERIC, &numeric(1, 0, 0, &[2])), "20000");
        // 0 with scale 2
        assert_eq!(bin(oid::NUMERIC, &numeric(0, 0, 2, &[])), "0.00");
        assert_eq!(bin(oid::NUMERIC, &numeric(0, 0, 2, &[1, 5000])), "1.50");
        assert_eq!(
            bin_err(oid::NUMERIC, &numeric(0, 0xC000, 0, &[])).sqlstate(),
            SqlState::FEATURE_NOT_SUPPORTED
        );
        assert_eq!(
            bin_err(oid::NUMERIC, &numeric(0, 0, 0, &[10000])).sqlstate(),
            SqlState::INVALID_BINARY_REPRESENTATION
        );
        assert_eq!(
            bin_err(oid::NUMERIC, &numeric(0, 0x1234, 0, &[1])).sqlstate(),
            SqlState::INVALID_BINARY_REPRESENTATION
        );
        assert_eq!(
            bin_err(oid::NUMERIC, &[0, 1]).sqlstate(),
            SqlState::INVALID_BINARY_REPRESENTATION
        );
        assert_eq!(
            bin_err(oid::NUMERIC, &numeric(10, 0, 0, &[1])).sqlstate(),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
    }

    #[test]
    fn binary_datetimes() {
        // 2024-01-02 is 8767 days after 2000-01-01.
        assert_eq!(bin(oid::DATE, &8767i32.to_be_bytes()), "DATE '2024-01-02'");
        assert_eq!(bin(oid::DATE, &(-1i32).to_be_bytes()), "DATE '1999-12-31'");
        assert_eq!(
            bin_err(oid::DATE, &i32::MAX.to_be_bytes()).sqlstate(),
            SqlState::FEATURE_NOT_SUPPORTED
        );
        let time = ((12 * 3600 + 34 * 60 + 56) * 1_000_000i64) + 789_123;
        assert_eq!(bin(oid::TIME, &time.to_be_bytes()), "TIME '12:34:56.789'");
        assert_eq!(
            bin_err(oid::TIME, &(-1i64).to_be_bytes()).sqlstate(),
            SqlState::INVALID_BINARY_REPRESENTATION
        );
        // 2024-01-02 03:04:05.123 = 8767 days + 11045.123 s after the PG epoch.
        let ts = 8767i64 * 86_400_000_000 + 11_045_123_000;
        assert_eq!(
            bin(oid::TIMESTAMP, &ts.to_be_bytes()),
            "TIMESTAMP '2024-01-02 03:04:05.123000'"
        );
        assert_eq!(
            bin(oid::TIMESTAMP, &(-1i64).to_be_bytes()),
            "TIMESTAMP '1999-12-31 23:59:59.999999'"
        );
        assert_eq!(
            bin_err(oid::TIMESTAMP, &i64::MAX.to_be_bytes()).sqlstate(),
            SqlState::FEATURE_NOT_SUPPORTED
        );
        // timestamptz 0 = 2000-01-01 00:00:00 UTC = 946684800000 ms since 1970.
        assert_eq!(
            bin(oid::TIMESTAMPTZ, &0i64.to_be_bytes()),
            "TO_TIMESTAMP_LTZ(946684800000, 3)"
        );
        assert_eq!(
            bin(oid::TIMESTAMPTZ, &(-946_684_800_000_001i64).to_be_bytes()),
            "TO_TIMESTAMP_LTZ(-1, 3)"
        );
    }

    #[test]
    fn binary_strings_bytes_uuid() {
        assert_eq!(bin(oid::TEXT, "it's".as_bytes()), "'it''s'");
        assert_eq!(bin(oid::UNSPECIFIED, b"x"), "'x'");
        assert_eq!(bin(oid::BYTEA, &[0x01, 0x02, 0xab]), "X'0102AB'");
        assert_eq!(bin(oid::BYTEA, &[]), "X''");
        let uuid = [
            0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38,
            0x0a, 0x11,
        ];
        assert_eq!(
            bin(oid::UUID, &uuid),
            "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"
        );
        assert_eq!(bin(oid::JSONB, b"\x01{\"a\":1}"), "'{\"a\":1}'");
        assert_eq!(
            bin_err(oid::JSONB, b"\x02{}").sqlstate(),
            SqlState::INVALID_BINARY_REPRESENTATION
        );
        assert_eq!(
            bin_err(1186, &[0; 16]).sqlstate(),
            SqlState::FEATURE_NOT_SUPPORTED
        );
    }

    // ---- NULLs and describe-time typing ------------------------------------------------------

    #[test]
    fn nulls_are_typed_when_the_type_is_known() {
        let out = inline_params(
            "INSERT INTO t VALUES ($1, $2, $3, $4)",
            &[
                ParamValue::null(oid::INT8),
                ParamValue::null(oid::UNSPECIFIED),
                ParamValue::null(oid::TIMESTAMP),
                ParamValue::null(1007),
            ],
        )
        .expect("ok");
        assert_eq!(
            out,
            "INSERT INTO t VALUES (CAST(NULL AS BIGINT), CAST(NULL AS STRING), CAST(NULL AS TIMESTAMP(6)), CAST(NULL AS STRING))"
        );
    }

    #[test]
    fn typed_nulls_for_describe() {
        let out = inline_typed_nulls("SELECT $1, $2, $3 FROM t WHERE x = '$1'", &[oid::INT4, 0])
            .expect("ok");
        assert_eq!(out, "SELECT CAST(NULL AS INT), CAST(NULL AS STRING), CAST(NULL AS STRING) FROM t WHERE x = '$1'");
        assert_eq!(
            inline_typed_nulls("SELECT a-$1", &[oid::NUMERIC]).expect("ok"),
            "SELECT a- CAST(NULL AS DECIMAL(38, 18))"
        );
    }

    #[test]
    fn format_codes() {
        assert_eq!(ParamFormat::from_code(0), Ok(ParamFormat::Text));
        assert_eq!(ParamFormat::from_code(1), Ok(ParamFormat::Binary));
        assert_eq!(
            ParamFormat::from_code(2).expect_err("bad").sqlstate(),
            SqlState::PROTOCOL_VIOLATION
        );
    }

    #[test]
    fn error_messages_name_the_parameter() {
        let err = inline_params(
            "SELECT $1, $2",
            &[
                ParamValue::text(oid::INT4, "1"),
                ParamValue::text(oid::INT4, "x'y"),
            ],
        )
        .expect_err("bad");
        assert_eq!(
            err.to_string(),
            "parameter $2: invalid input syntax for type integer: \"x'y\""
        );
    }
}
