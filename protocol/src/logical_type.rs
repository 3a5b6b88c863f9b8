//! Flink SQL data types as the SQL Gateway describes them.
//!
//! The gateway serialises each result column's type as JSON (`columns[].logicalType`, written by
//! Flink's `LogicalTypeJsonSerializer`): `{"type": "<LogicalTypeRoot>", "nullable": bool, ...}` with
//! `length` (CHAR/VARCHAR/BINARY/VARBINARY), `precision`/`scale` (DECIMAL), `precision`
//! (TIME/TIMESTAMP*), `precision` + `resolution` (+ `fractionalPrecision`) for intervals,
//! `elementType` (ARRAY/MULTISET), `keyType`/`valueType` (MAP), `fields[]` with
//! `name`/`fieldType`/`description` (ROW), `class`/`serializer` (RAW). The `NULL` type has no
//! `nullable` field (it is always nullable).
//!
//! DESCRIBE and SHOW CREATE print types as Flink SQL strings instead (`INT NOT NULL`,
//! `TIMESTAMP(3) *ROWTIME*`, ``ROW<`a` INT>``); [`parse_sql_type`] reads those, and [`Display`]
//! writes them the way Flink's `asSummaryString` does, so `parse_sql_type(&t.to_string()) == t`.
//!
//! Nullability lives in [`DataType`] (a [`LogicalType`] plus `nullable`), because Flink attaches it
//! to every nested type too (`ARRAY<INT NOT NULL>`).

use std::fmt;

use serde_json::Value;
use thiserror::Error;

/// The length Flink uses for `STRING` (= `VARCHAR(2147483647)`) and `BYTES`.
pub const MAX_LENGTH: u32 = i32::MAX as u32;

/// Errors reading a Flink type from the gateway's JSON or from a SQL type string.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TypeError {
    /// The JSON is not an object with a string `type` field.
    #[error("logicalType is not an object with a \"type\" field: {0}")]
    NotAType(String),
    /// A field the type root requires is missing.
    #[error("logicalType {type_name} lacks field \"{field}\"")]
    MissingField { type_name: String, field: &'static str },
    /// A field has a value of the wrong kind or out of range.
    #[error("logicalType {type_name} has an invalid \"{field}\": {value}")]
    InvalidField { type_name: String, field: &'static str, value: String },
    /// A SQL type string could not be parsed.
    #[error("cannot parse type `{input}` at offset {offset}: {message}")]
    Syntax { input: String, offset: usize, message: String },
}

/// A Flink type with its nullability, at any nesting level.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataType {
    pub ty: LogicalType,
    pub nullable: bool,
}

/// Time attribute marker of a timestamp column (`*ROWTIME*`, `*PROCTIME*`). Result columns from
/// the gateway are always `Regular`; DESCRIBE shows the markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimestampKind {
    #[default]
    Regular,
    Rowtime,
    Proctime,
}

/// Fields of a year-month interval (Flink's `YearMonthResolution`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum YearMonthResolution {
    Year,
    YearToMonth,
    Month,
}

/// Fields of a day-time interval (Flink's `DayTimeResolution`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayTimeResolution {
    Day,
    DayToHour,
    DayToMinute,
    DayToSecond,
    Hour,
    HourToMinute,
    HourToSecond,
    Minute,
    MinuteToSecond,
    Second,
}

/// One field of a `ROW` type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RowField {
    pub name: String,
    pub ty: DataType,
    pub description: Option<String>,
}

/// Every Flink logical type root the gateway can describe. Types this crate does not know
/// (e.g. `STRUCTURED_TYPE`, `BITMAP`, a future root) parse as [`LogicalType::Unknown`] with the
/// root's name, so a new gateway never makes a whole result unreadable: such columns are carried
/// as JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LogicalType {
    Boolean,
    TinyInt,
    SmallInt,
    Integer,
    BigInt,
    Float,
    Double,
    Decimal { precision: u8, scale: u8 },
    Char { length: u32 },
    VarChar { length: u32 },
    Binary { length: u32 },
    VarBinary { length: u32 },
    Date,
    Time { precision: u8 },
    Timestamp { precision: u8, kind: TimestampKind },
    TimestampLtz { precision: u8, kind: TimestampKind },
    TimestampTz { precision: u8 },
    IntervalYearMonth { resolution: YearMonthResolution, year_precision: u8 },
    IntervalDayTime { resolution: DayTimeResolution, day_precision: u8, fractional_precision: u8 },
    Array(Box<DataType>),
    Multiset(Box<DataType>),
    Map { key: Box<DataType>, value: Box<DataType> },
    Row(Vec<RowField>),
    Null,
    /// `RAW('class', 'serializer snapshot')`.
    Raw { class: String, serializer: Option<String> },
    /// Flink 2.1+ semi-structured `VARIANT`.
    Variant,
    /// A type root this crate does not know, by name.
    Unknown(String),
}

impl DataType {
    pub fn new(ty: LogicalType, nullable: bool) -> Self {
        Self { ty, nullable }
    }

    /// A nullable `ty` (Flink's default).
    pub fn nullable(ty: LogicalType) -> Self {
        Self { ty, nullable: true }
    }

    /// `ty NOT NULL`.
    pub fn not_null(ty: LogicalType) -> Self {
        Self { ty, nullable: false }
    }

    /// Parses one `logicalType` object of the gateway's JSON.
    pub fn from_json(json: &Value) -> Result<Self, TypeError> {
        let obj = json.as_object().ok_or_else(|| TypeError::NotAType(compact(json)))?;
        let name = obj
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| TypeError::NotAType(compact(json)))?;
        let nullable = match obj.get("nullable") {
            None | Some(Value::Null) => true,
            Some(v) => v.as_bool().ok_or_else(|| invalid(name, "nullable", v))?,
        };
        let ty = LogicalType::from_json_fields(name, json)?;
        // NULL is nullable by definition whatever the JSON says.
        let nullable = nullable || ty == LogicalType::Null;
        Ok(Self { ty, nullable })
    }
}

impl LogicalType {
    /// Parses a `logicalType` object, ignoring its nullability (see [`DataType::from_json`]).
    pub fn from_json(json: &Value) -> Result<Self, TypeError> {
        DataType::from_json(json).map(|t| t.ty)
    }

    fn from_json_fields(name: &str, json: &Value) -> Result<Self, TypeError> {
        let int = |field: &'static str| -> Result<u32, TypeError> {
            let v = json.get(field).ok_or(TypeError::MissingField { type_name: name.into(), field })?;
            v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| invalid(name, field, v))
        };
        let small = |field: &'static str| -> Result<u8, TypeError> {
            let n = int(field)?;
            u8::try_from(n).map_err(|_| invalid(name, field, &Value::from(n)))
        };
        let nested = |field: &'static str| -> Result<Box<DataType>, TypeError> {
            let v = json.get(field).ok_or(TypeError::MissingField { type_name: name.into(), field })?;
            DataType::from_json(v).map(Box::new)
        };
        let text = |field: &'static str| json.get(field).and_then(Value::as_str).map(str::to_owned);
        Ok(match name {
            "BOOLEAN" => Self::Boolean,
            "TINYINT" => Self::TinyInt,
            "SMALLINT" => Self::SmallInt,
            "INTEGER" => Self::Integer,
            "BIGINT" => Self::BigInt,
            "FLOAT" => Self::Float,
            "DOUBLE" => Self::Double,
            "DECIMAL" => Self::Decimal { precision: small("precision")?, scale: small("scale")? },
            "CHAR" => Self::Char { length: int("length")? },
            "VARCHAR" => Self::VarChar { length: int("length")? },
            "BINARY" => Self::Binary { length: int("length")? },
            "VARBINARY" => Self::VarBinary { length: int("length")? },
            "DATE" => Self::Date,
            "TIME_WITHOUT_TIME_ZONE" => Self::Time { precision: small("precision")? },
            "TIMESTAMP_WITHOUT_TIME_ZONE" => {
                Self::Timestamp { precision: small("precision")?, kind: TimestampKind::Regular }
            }
            "TIMESTAMP_WITH_LOCAL_TIME_ZONE" => {
                Self::TimestampLtz { precision: small("precision")?, kind: TimestampKind::Regular }
            }
            "TIMESTAMP_WITH_TIME_ZONE" => Self::TimestampTz { precision: small("precision")? },
            "INTERVAL_YEAR_MONTH" => {
                let res = text("resolution").unwrap_or_default();
                Self::IntervalYearMonth {
                    resolution: YearMonthResolution::from_name(&res)
                        .ok_or_else(|| invalid(name, "resolution", &Value::from(res.clone())))?,
                    year_precision: small("precision")?,
                }
            }
            "INTERVAL_DAY_TIME" => {
                let res = text("resolution").unwrap_or_default();
                Self::IntervalDayTime {
                    resolution: DayTimeResolution::from_name(&res)
                        .ok_or_else(|| invalid(name, "resolution", &Value::from(res.clone())))?,
                    day_precision: small("precision")?,
                    fractional_precision: small("fractionalPrecision")?,
                }
            }
            "ARRAY" => Self::Array(nested("elementType")?),
            "MULTISET" => Self::Multiset(nested("elementType")?),
            "MAP" => Self::Map { key: nested("keyType")?, value: nested("valueType")? },
            "ROW" => {
                let fields = json
                    .get("fields")
                    .ok_or(TypeError::MissingField { type_name: name.into(), field: "fields" })?;
                let list = fields.as_array().ok_or_else(|| invalid(name, "fields", fields))?;
                let mut out = Vec::with_capacity(list.len());
                for f in list {
                    let fname = f.get("name").and_then(Value::as_str).ok_or_else(|| invalid(name, "fields", f))?;
                    let ftype = f.get("fieldType").ok_or_else(|| invalid(name, "fields", f))?;
                    out.push(RowField {
                        name: fname.to_owned(),
                        ty: DataType::from_json(ftype)?,
                        description: f.get("description").and_then(Value::as_str).map(str::to_owned),
                    });
                }
                Self::Row(out)
            }
            "NULL" => Self::Null,
            "RAW" => Self::Raw { class: text("class").unwrap_or_default(), serializer: text("serializer") },
            "VARIANT" => Self::Variant,
            other => Self::Unknown(other.to_owned()),
        })
    }

    /// `CHAR`/`VARCHAR`: Flink's `CHARACTER_STRING` family.
    pub fn is_character_string(&self) -> bool {
        matches!(self, Self::Char { .. } | Self::VarChar { .. })
    }

    /// Time attribute marker, for timestamps.
    pub fn timestamp_kind(&self) -> TimestampKind {
        match self {
            Self::Timestamp { kind, .. } | Self::TimestampLtz { kind, .. } => *kind,
            _ => TimestampKind::Regular,
        }
    }

    /// Writes the type without nullability and time-attribute marker.
    fn write_base(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Boolean => f.write_str("BOOLEAN"),
            Self::TinyInt => f.write_str("TINYINT"),
            Self::SmallInt => f.write_str("SMALLINT"),
            Self::Integer => f.write_str("INT"),
            Self::BigInt => f.write_str("BIGINT"),
            Self::Float => f.write_str("FLOAT"),
            Self::Double => f.write_str("DOUBLE"),
            Self::Decimal { precision, scale } => write!(f, "DECIMAL({precision}, {scale})"),
            Self::Char { length } => write!(f, "CHAR({length})"),
            Self::VarChar { length: MAX_LENGTH } => f.write_str("STRING"),
            Self::VarChar { length } => write!(f, "VARCHAR({length})"),
            Self::Binary { length } => write!(f, "BINARY({length})"),
            Self::VarBinary { length: MAX_LENGTH } => f.write_str("BYTES"),
            Self::VarBinary { length } => write!(f, "VARBINARY({length})"),
            Self::Date => f.write_str("DATE"),
            Self::Time { precision } => write!(f, "TIME({precision})"),
            Self::Timestamp { precision, .. } => write!(f, "TIMESTAMP({precision})"),
            Self::TimestampLtz { precision, .. } => write!(f, "TIMESTAMP_LTZ({precision})"),
            Self::TimestampTz { precision } => write!(f, "TIMESTAMP({precision}) WITH TIME ZONE"),
            Self::IntervalYearMonth { resolution, year_precision: p } => match resolution {
                YearMonthResolution::Year => write!(f, "INTERVAL YEAR({p})"),
                YearMonthResolution::YearToMonth => write!(f, "INTERVAL YEAR({p}) TO MONTH"),
                YearMonthResolution::Month => f.write_str("INTERVAL MONTH"),
            },
            Self::IntervalDayTime { resolution, day_precision: d, fractional_precision: s } => {
                use DayTimeResolution as R;
                match resolution {
                    R::Day => write!(f, "INTERVAL DAY({d})"),
                    R::DayToHour => write!(f, "INTERVAL DAY({d}) TO HOUR"),
                    R::DayToMinute => write!(f, "INTERVAL DAY({d}) TO MINUTE"),
                    R::DayToSecond => write!(f, "INTERVAL DAY({d}) TO SECOND({s})"),
                    R::Hour => f.write_str("INTERVAL HOUR"),
                    R::HourToMinute => f.write_str("INTERVAL HOUR TO MINUTE"),
                    R::HourToSecond => write!(f, "INTERVAL HOUR TO SECOND({s})"),
                    R::Minute => f.write_str("INTERVAL MINUTE"),
                    R::MinuteToSecond => write!(f, "INTERVAL MINUTE TO SECOND({s})"),
                    R::Second => write!(f, "INTERVAL SECOND({s})"),
                }
            }
            Self::Array(e) => write!(f, "ARRAY<{e}>"),
            Self::Multiset(e) => write!(f, "MULTISET<{e}>"),
            Self::Map { key, value } => write!(f, "MAP<{key}, {value}>"),
            Self::Row(fields) => {
                f.write_str("ROW<")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{}` {}", field.name.replace('`', "``"), field.ty)?;
                    if let Some(d) = &field.description {
                        write!(f, " '{}'", d.replace('\'', "''"))?;
                    }
                }
                f.write_str(">")
            }
            Self::Null => f.write_str("NULL"),
            Self::Raw { class, .. } => write!(f, "RAW('{}', ?)", class.replace('\'', "''")),
            Self::Variant => f.write_str("VARIANT"),
            Self::Unknown(name) => f.write_str(name),
        }
    }
}

fn write_kind(kind: TimestampKind, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match kind {
        TimestampKind::Regular => Ok(()),
        TimestampKind::Rowtime => f.write_str(" *ROWTIME*"),
        TimestampKind::Proctime => f.write_str(" *PROCTIME*"),
    }
}

/// Flink's summary syntax without nullability: `STRING`, `DECIMAL(10, 2)`, `TIMESTAMP(3)`,
/// `ARRAY<INT>`, ``ROW<`a` INT>``.
impl fmt::Display for LogicalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_base(f)?;
        write_kind(self.timestamp_kind(), f)
    }
}

/// Flink's summary syntax with ` NOT NULL` for non-nullable types (`TIMESTAMP(3) NOT NULL *ROWTIME*`).
impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.ty.write_base(f)?;
        if !self.nullable && self.ty != LogicalType::Null {
            f.write_str(" NOT NULL")?;
        }
        write_kind(self.ty.timestamp_kind(), f)
    }
}

impl YearMonthResolution {
    fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "YEAR" => Self::Year,
            "YEAR_TO_MONTH" => Self::YearToMonth,
            "MONTH" => Self::Month,
            _ => return None,
        })
    }
}

impl DayTimeResolution {
    fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "DAY" => Self::Day,
            "DAY_TO_HOUR" => Self::DayToHour,
            "DAY_TO_MINUTE" => Self::DayToMinute,
            "DAY_TO_SECOND" => Self::DayToSecond,
            "HOUR" => Self::Hour,
            "HOUR_TO_MINUTE" => Self::HourToMinute,
            "HOUR_TO_SECOND" => Self::HourToSecond,
            "MINUTE" => Self::Minute,
            "MINUTE_TO_SECOND" => Self::MinuteToSecond,
            "SECOND" => Self::Second,
            _ => return None,
        })
    }
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 200 {
        let mut end = 200;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    } else {
        s
    }
}

fn invalid(type_name: &str, field: &'static str, v: &Value) -> TypeError {
    TypeError::InvalidField { type_name: type_name.to_owned(), field, value: compact(v) }
}

// ------------------------------------------------------------------------------------------------
// SQL type strings
// ------------------------------------------------------------------------------------------------

/// Parses a Flink SQL type string as DESCRIBE, SHOW CREATE TABLE or [`DataType`]'s `Display`
/// print it: `INT NOT NULL`, `VARCHAR(5)`, `STRING`, `TIMESTAMP(3) *ROWTIME*`,
/// `TIMESTAMP_LTZ(3) NOT NULL *PROCTIME*`, `TIMESTAMP(3) WITH LOCAL TIME ZONE`,
/// ``ROW<`a` INT, `b` STRING 'comment'>``, `ROW(a INT)`, `MAP<STRING, INT>`, `ARRAY<BIGINT>`,
/// `INT ARRAY`, `INTERVAL DAY(2) TO SECOND(3)`, `RAW('cls', ?)`. Keywords are case-insensitive;
/// omitted lengths and precisions take Flink's defaults (`VARCHAR` = `VARCHAR(1)`,
/// `DECIMAL` = `DECIMAL(10, 0)`, `TIMESTAMP` = `TIMESTAMP(6)`, `TIME` = `TIME(0)`).
/// A type name it does not know is an error; callers that must not fail can fall back to
/// `LogicalType::Unknown(text)`.
pub fn parse_sql_type(input: &str) -> Result<DataType, TypeError> {
    let mut p = Parser { input, tokens: tokenize(input)?, pos: 0, depth: 0, deepest: 0 };
    let ty = p.data_type()?;
    if let Some(t) = p.peek() {
        return Err(p.error_at(t.offset, "unexpected trailing input"));
    }
    Ok(ty)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Str(String),
    Num(u64),
    Punct(char),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    offset: usize,
}

fn tokenize(input: &str) -> Result<Vec<Token>, TypeError> {
    let err = |offset: usize, message: &str| TypeError::Syntax {
        input: input.to_owned(),
        offset,
        message: message.to_owned(),
    };
    let mut out = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_digit() {
            let mut n: u64 = 0;
            while let Some(&(_, d)) = chars.peek() {
                let Some(v) = d.to_digit(10) else { break };
                n = n.checked_mul(10).and_then(|n| n.checked_add(u64::from(v))).ok_or_else(|| err(i, "number too large"))?;
                chars.next();
            }
            out.push(Token { tok: Tok::Num(n), offset: i });
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let mut w = String::new();
            while let Some(&(_, d)) = chars.peek() {
                if d.is_alphanumeric() || d == '_' || d == '$' || d == '.' {
                    w.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Token { tok: Tok::Word(w), offset: i });
        } else if c == '`' || c == '\'' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next() {
                    None => return Err(err(i, "unterminated quote")),
                    Some((_, d)) if d == c => {
                        if chars.peek().map(|&(_, n)| n) == Some(c) {
                            s.push(c);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    Some((_, d)) => s.push(d),
                }
            }
            out.push(Token { tok: if c == '`' { Tok::Quoted(s) } else { Tok::Str(s) }, offset: i });
        } else if "()<>,*?".contains(c) {
            chars.next();
            out.push(Token { tok: Tok::Punct(c), offset: i });
        } else {
            return Err(err(i, "unexpected character"));
        }
    }
    Ok(out)
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    /// Nesting level of the [`Parser::data_type`] being read (ARRAY/MAP/MULTISET/ROW recurse).
    depth: usize,
    /// The deepest nesting level of the type being read so far, postfix `ARRAY`/`MULTISET`
    /// included (each wraps what is before it in one more level).
    deepest: usize,
}

/// The deepest type nesting read, the way `Display` prints it (`INT ARRAY` is `ARRAY<INT>`, two
/// levels), so whatever parses prints as something that parses again. 100 000 nested `ARRAY<`,
/// or `INT` followed by 100 000 ` ARRAY`, overflowed the stack while parsing, printing or dropping
/// the type (found by fuzzing, fuzz/fuzz_targets/logical_type.rs with a large input). The
/// gateway's JSON form is bounded by serde_json's nesting limit of 128.
const MAX_TYPE_DEPTH: usize = 128;

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn offset(&self) -> usize {
        self.peek().map_or(self.input.len(), |t| t.offset)
    }

    fn error_at(&self, offset: usize, message: &str) -> TypeError {
        TypeError::Syntax { input: self.input.to_owned(), offset, message: message.to_owned() }
    }

    fn error(&self, message: &str) -> TypeError {
        self.error_at(self.offset(), message)
    }

    /// Consumes the keyword `kw` (case-insensitive) if it is next.
    fn eat_kw(&mut self, kw: &str) -> bool {
        match self.peek() {
            Some(Token { tok: Tok::Word(w), .. }) if w.eq_ignore_ascii_case(kw) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), TypeError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.error(&format!("expected {kw}")))
        }
    }

    fn eat_punct(&mut self, c: char) -> bool {
        if matches!(self.peek(), Some(Token { tok: Tok::Punct(p), .. }) if *p == c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_punct(&mut self, c: char) -> Result<(), TypeError> {
        if self.eat_punct(c) {
            Ok(())
        } else {
            Err(self.error(&format!("expected `{c}`")))
        }
    }

    fn number(&mut self) -> Result<u64, TypeError> {
        match self.peek() {
            Some(Token { tok: Tok::Num(n), .. }) => {
                let n = *n;
                self.pos += 1;
                Ok(n)
            }
            _ => Err(self.error("expected a number")),
        }
    }

    fn small(&mut self) -> Result<u8, TypeError> {
        let at = self.offset();
        let n = self.number()?;
        u8::try_from(n).map_err(|_| self.error_at(at, "precision out of range"))
    }

    fn length(&mut self) -> Result<u32, TypeError> {
        let at = self.offset();
        let n = self.number()?;
        u32::try_from(n).ok().filter(|&n| n <= MAX_LENGTH).ok_or_else(|| self.error_at(at, "length out of range"))
    }

    /// `( n )` if present, else `default`.
    fn opt_paren<T>(&mut self, default: T, f: impl FnOnce(&mut Self) -> Result<T, TypeError>) -> Result<T, TypeError> {
        if self.eat_punct('(') {
            let v = f(self)?;
            self.expect_punct(')')?;
            Ok(v)
        } else {
            Ok(default)
        }
    }

    fn data_type(&mut self) -> Result<DataType, TypeError> {
        if self.depth >= MAX_TYPE_DEPTH {
            return Err(self.error("type nested too deeply"));
        }
        self.depth += 1;
        // What this type's own postfix collections add to is the nesting of this type only.
        let outer = std::mem::replace(&mut self.deepest, self.depth);
        let ty = self.nested_data_type();
        self.deepest = self.deepest.max(outer);
        self.depth -= 1;
        ty
    }

    fn nested_data_type(&mut self) -> Result<DataType, TypeError> {
        let mut ty = self.base_type()?;
        // Postfix collection syntax: `INT ARRAY`, `STRING MULTISET`, each with its own nullability.
        // NULL is nullable whatever the text says, as in `DataType::from_json` (`NULL NOT NULL`
        // printed as `NULL` and did not round-trip; found by fuzz/fuzz_targets/logical_type.rs).
        let mut nullable = self.nullability() || ty == LogicalType::Null;
        loop {
            let at = self.offset();
            if self.eat_kw("ARRAY") {
                ty = LogicalType::Array(Box::new(DataType::new(ty, nullable)));
            } else if self.eat_kw("MULTISET") {
                ty = LogicalType::Multiset(Box::new(DataType::new(ty, nullable)));
            } else {
                break;
            }
            self.deepest += 1;
            if self.deepest > MAX_TYPE_DEPTH {
                return Err(self.error_at(at, "type nested too deeply"));
            }
            nullable = self.nullability();
        }
        if self.eat_punct('*') {
            let kind = if self.eat_kw("ROWTIME") {
                TimestampKind::Rowtime
            } else if self.eat_kw("PROCTIME") {
                TimestampKind::Proctime
            } else {
                return Err(self.error("expected ROWTIME or PROCTIME"));
            };
            self.expect_punct('*')?;
            match &mut ty {
                LogicalType::Timestamp { kind: k, .. } | LogicalType::TimestampLtz { kind: k, .. } => *k = kind,
                _ => return Err(self.error("time attribute on a non-timestamp type")),
            }
        }
        Ok(DataType::new(ty, nullable))
    }

    /// `NOT NULL` → false, `NULL` or nothing → true.
    fn nullability(&mut self) -> bool {
        if self.eat_kw("NOT") {
            // `NOT` is only ever followed by NULL in a type.
            self.eat_kw("NULL");
            false
        } else {
            self.eat_kw("NULL");
            true
        }
    }

    fn base_type(&mut self) -> Result<LogicalType, TypeError> {
        let at = self.offset();
        let word = match self.peek() {
            Some(Token { tok: Tok::Word(w), .. }) => w.to_ascii_uppercase(),
            _ => return Err(self.error("expected a type name")),
        };
        self.pos += 1;
        Ok(match word.as_str() {
            "BOOLEAN" => LogicalType::Boolean,
            "TINYINT" => LogicalType::TinyInt,
            "SMALLINT" => LogicalType::SmallInt,
            "INT" | "INTEGER" => LogicalType::Integer,
            "BIGINT" => LogicalType::BigInt,
            "FLOAT" | "REAL" => LogicalType::Float,
            "DOUBLE" => {
                self.eat_kw("PRECISION");
                LogicalType::Double
            }
            "DECIMAL" | "DEC" | "NUMERIC" => {
                let (precision, scale) = self.opt_paren((10, 0), |p| {
                    let precision = p.small()?;
                    let scale = if p.eat_punct(',') { p.small()? } else { 0 };
                    Ok((precision, scale))
                })?;
                LogicalType::Decimal { precision, scale }
            }
            "CHAR" | "CHARACTER" => {
                if self.eat_kw("VARYING") {
                    LogicalType::VarChar { length: self.opt_paren(1, Self::length)? }
                } else {
                    LogicalType::Char { length: self.opt_paren(1, Self::length)? }
                }
            }
            "VARCHAR" => LogicalType::VarChar { length: self.opt_paren(1, Self::length)? },
            "STRING" => LogicalType::VarChar { length: MAX_LENGTH },
            "BINARY" => {
                if self.eat_kw("VARYING") {
                    LogicalType::VarBinary { length: self.opt_paren(1, Self::length)? }
                } else {
                    LogicalType::Binary { length: self.opt_paren(1, Self::length)? }
                }
            }
            "VARBINARY" => LogicalType::VarBinary { length: self.opt_paren(1, Self::length)? },
            "BYTES" => LogicalType::VarBinary { length: MAX_LENGTH },
            "DATE" => LogicalType::Date,
            "TIME" => {
                let precision = self.opt_paren(0, Self::small)?;
                if self.eat_kw("WITHOUT") {
                    self.expect_kw("TIME")?;
                    self.expect_kw("ZONE")?;
                }
                LogicalType::Time { precision }
            }
            "TIMESTAMP" => {
                let precision = self.opt_paren(6, Self::small)?;
                if self.eat_kw("WITHOUT") {
                    self.expect_kw("TIME")?;
                    self.expect_kw("ZONE")?;
                    LogicalType::Timestamp { precision, kind: TimestampKind::Regular }
                } else if self.eat_kw("WITH") {
                    let local = self.eat_kw("LOCAL");
                    self.expect_kw("TIME")?;
                    self.expect_kw("ZONE")?;
                    if local {
                        LogicalType::TimestampLtz { precision, kind: TimestampKind::Regular }
                    } else {
                        LogicalType::TimestampTz { precision }
                    }
                } else {
                    LogicalType::Timestamp { precision, kind: TimestampKind::Regular }
                }
            }
            "TIMESTAMP_LTZ" => {
                LogicalType::TimestampLtz { precision: self.opt_paren(6, Self::small)?, kind: TimestampKind::Regular }
            }
            "INTERVAL" => self.interval()?,
            "ARRAY" => {
                let e = self.angle_one()?;
                LogicalType::Array(Box::new(e))
            }
            "MULTISET" => {
                let e = self.angle_one()?;
                LogicalType::Multiset(Box::new(e))
            }
            "MAP" => {
                self.expect_punct('<')?;
                let key = self.data_type()?;
                self.expect_punct(',')?;
                let value = self.data_type()?;
                self.expect_punct('>')?;
                LogicalType::Map { key: Box::new(key), value: Box::new(value) }
            }
            "ROW" => self.row()?,
            "NULL" => LogicalType::Null,
            "VARIANT" => LogicalType::Variant,
            "RAW" => {
                self.expect_punct('(')?;
                let class = match self.peek() {
                    Some(Token { tok: Tok::Str(s), .. }) => s.clone(),
                    _ => return Err(self.error("expected a quoted class name")),
                };
                self.pos += 1;
                let mut serializer = None;
                if self.eat_punct(',') {
                    match self.peek().map(|t| t.tok.clone()) {
                        Some(Tok::Str(s)) => serializer = Some(s),
                        Some(Tok::Punct('?')) => {}
                        _ => return Err(self.error("expected a serializer snapshot or ?")),
                    }
                    self.pos += 1;
                }
                self.expect_punct(')')?;
                LogicalType::Raw { class, serializer }
            }
            _ => return Err(self.error_at(at, "unknown type name")),
        })
    }

    fn angle_one(&mut self) -> Result<DataType, TypeError> {
        let close = if self.eat_punct('<') {
            '>'
        } else if self.eat_punct('(') {
            ')'
        } else {
            return Err(self.error("expected `<`"));
        };
        let t = self.data_type()?;
        self.expect_punct(close)?;
        Ok(t)
    }

    fn row(&mut self) -> Result<LogicalType, TypeError> {
        let close = if self.eat_punct('<') {
            '>'
        } else if self.eat_punct('(') {
            ')'
        } else {
            return Err(self.error("expected `<` or `(`"));
        };
        let mut fields = Vec::new();
        if self.eat_punct(close) {
            return Ok(LogicalType::Row(fields));
        }
        loop {
            let name = match self.peek().map(|t| t.tok.clone()) {
                Some(Tok::Quoted(s)) | Some(Tok::Word(s)) => s,
                _ => return Err(self.error("expected a field name")),
            };
            self.pos += 1;
            let ty = self.data_type()?;
            let description = match self.peek().map(|t| t.tok.clone()) {
                Some(Tok::Str(s)) => {
                    self.pos += 1;
                    Some(s)
                }
                _ => None,
            };
            fields.push(RowField { name, ty, description });
            if self.eat_punct(',') {
                continue;
            }
            self.expect_punct(close)?;
            return Ok(LogicalType::Row(fields));
        }
    }

    fn interval(&mut self) -> Result<LogicalType, TypeError> {
        use DayTimeResolution as R;
        if self.eat_kw("YEAR") {
            let year_precision = self.opt_paren(2, Self::small)?;
            let resolution = if self.eat_kw("TO") {
                self.expect_kw("MONTH")?;
                YearMonthResolution::YearToMonth
            } else {
                YearMonthResolution::Year
            };
            return Ok(LogicalType::IntervalYearMonth { resolution, year_precision });
        }
        if self.eat_kw("MONTH") {
            return Ok(LogicalType::IntervalYearMonth { resolution: YearMonthResolution::Month, year_precision: 2 });
        }
        let mut day_precision = 2;
        let mut fractional_precision = 6;
        let resolution = if self.eat_kw("DAY") {
            day_precision = self.opt_paren(2, Self::small)?;
            if self.eat_kw("TO") {
                if self.eat_kw("HOUR") {
                    R::DayToHour
                } else if self.eat_kw("MINUTE") {
                    R::DayToMinute
                } else {
                    self.expect_kw("SECOND")?;
                    fractional_precision = self.opt_paren(6, Self::small)?;
                    R::DayToSecond
                }
            } else {
                R::Day
            }
        } else if self.eat_kw("HOUR") {
            if self.eat_kw("TO") {
                if self.eat_kw("MINUTE") {
                    R::HourToMinute
                } else {
                    self.expect_kw("SECOND")?;
                    fractional_precision = self.opt_paren(6, Self::small)?;
                    R::HourToSecond
                }
            } else {
                R::Hour
            }
        } else if self.eat_kw("MINUTE") {
            if self.eat_kw("TO") {
                self.expect_kw("SECOND")?;
                fractional_precision = self.opt_paren(6, Self::small)?;
                R::MinuteToSecond
            } else {
                R::Minute
            }
        } else if self.eat_kw("SECOND") {
            fractional_precision = self.opt_paren(6, Self::small)?;
            R::Second
        } else {
            return Err(self.error("expected an interval field"));
        };
        Ok(LogicalType::IntervalDayTime { resolution, day_precision, fractional_precision })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// Every `logicalType` object in a text file (the transcript is not one JSON document, so
    /// scan for the key and parse the value that follows).
    pub(crate) fn logical_types_in(text: &str) -> Vec<Value> {
        let key = "\"logicalType\"";
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find(key) {
            rest = &rest[i + key.len()..];
            let after_colon = rest.trim_start().trim_start_matches(':');
            let mut it = serde_json::Deserializer::from_str(after_colon).into_iter::<Value>();
            if let Some(Ok(v)) = it.next() {
                out.push(v);
            }
        }
        out
    }

    /// A file of the vendored gateway reference material (`testdata/flink-sql-gateway`). Always
    /// `Some`: a missing file fails the test rather than letting it pass without checking.
    pub(crate) fn shared_file(name: &str) -> Option<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/flink-sql-gateway").join(name);
        Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
    }

    fn check_all(types: &[Value]) {
        for json in types {
            let t = DataType::from_json(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert!(!matches!(t.ty, LogicalType::Unknown(_)), "{json}");
            let printed = t.to_string();
            assert_eq!(parse_sql_type(&printed).unwrap(), t, "round trip of {printed}");
        }
    }

    #[test]
    fn parses_every_logical_type_of_the_transcript() {
        let Some(text) = shared_file("transcripts-2.3.0.txt") else { return };
        let types = logical_types_in(&text);
        assert!(types.len() > 50, "found {}", types.len());
        check_all(&types);
    }

    #[test]
    fn parses_every_logical_type_of_flink_test_resource() {
        let Some(text) = shared_file("test-resources/result_info_json_format.txt") else { return };
        let types = logical_types_in(&text);
        assert_eq!(types.len(), 20);
        check_all(&types);
        let printed: Vec<String> = types.iter().map(|j| DataType::from_json(j).unwrap().to_string()).collect();
        assert_eq!(
            printed,
            [
                "BOOLEAN",
                "TINYINT",
                "SMALLINT",
                "INT",
                "BIGINT",
                "FLOAT",
                "STRING",
                "BYTES",
                "DECIMAL(9, 6)",
                "ARRAY<DOUBLE>",
                "DATE",
                "TIME(0)",
                "TIMESTAMP(3)",
                "TIMESTAMP(9)",
                "TIMESTAMP_LTZ(9)",
                "MAP<STRING, BIGINT>",
                "MULTISET<STRING>",
                "MAP<STRING, MAP<STRING, INT>>",
                "INTERVAL DAY(3) TO SECOND(3)",
                "INTERVAL YEAR(3) TO MONTH",
            ]
        );
    }

    #[test]
    fn parses_inline_gateway_json() {
        let row = json!({"type":"ROW","nullable":false,"fields":[
            {"name":"EXPR$0","fieldType":{"type":"INTEGER","nullable":false}},
            {"name":"EXPR$1","fieldType":{"type":"CHAR","nullable":false,"length":1},"description":"d'x"}]});
        let t = DataType::from_json(&row).unwrap();
        assert_eq!(t.to_string(), "ROW<`EXPR$0` INT NOT NULL, `EXPR$1` CHAR(1) NOT NULL 'd''x'> NOT NULL");
        assert_eq!(parse_sql_type(&t.to_string()).unwrap(), t);

        let cases = [
            (json!({"type":"VARCHAR","nullable":true,"length":2147483647}), "STRING"),
            (json!({"type":"VARCHAR","nullable":false,"length":5}), "VARCHAR(5) NOT NULL"),
            (json!({"type":"DECIMAL","nullable":false,"precision":10,"scale":2}), "DECIMAL(10, 2) NOT NULL"),
            (json!({"type":"TIMESTAMP_WITHOUT_TIME_ZONE","nullable":true,"precision":3}), "TIMESTAMP(3)"),
            (json!({"type":"TIMESTAMP_WITH_LOCAL_TIME_ZONE","nullable":true,"precision":3}), "TIMESTAMP_LTZ(3)"),
            (json!({"type":"TIMESTAMP_WITH_TIME_ZONE","nullable":true,"precision":6}), "TIMESTAMP(6) WITH TIME ZONE"),
            (json!({"type":"ARRAY","nullable":false,"elementType":{"type":"INTEGER","nullable":false}}), "ARRAY<INT NOT NULL> NOT NULL"),
            (json!({"type":"NULL"}), "NULL"),
            (json!({"type":"BINARY","nullable":false,"length":2}), "BINARY(2) NOT NULL"),
            (json!({"type":"VARBINARY","nullable":true,"length":2147483647}), "BYTES"),
            (json!({"type":"INTERVAL_YEAR_MONTH","nullable":true,"precision":2,"resolution":"MONTH"}), "INTERVAL MONTH"),
            (json!({"type":"INTERVAL_DAY_TIME","nullable":true,"precision":2,"fractionalPrecision":6,"resolution":"HOUR_TO_SECOND"}), "INTERVAL HOUR TO SECOND(6)"),
            (json!({"type":"RAW","nullable":true,"class":"java.lang.Object","serializer":"AAA="}), "RAW('java.lang.Object', ?)"),
            (json!({"type":"VARIANT","nullable":true}), "VARIANT"),
        ];
        for (json, want) in cases {
            let t = DataType::from_json(&json).unwrap();
            assert_eq!(t.to_string(), want);
            let back = parse_sql_type(want).unwrap();
            if !matches!(t.ty, LogicalType::Raw { .. }) {
                assert_eq!(back, t, "{want}");
            }
        }
        assert_eq!(DataType::from_json(&json!({"type":"BITMAP","nullable":true})).unwrap().ty, LogicalType::Unknown("BITMAP".into()));
        assert!(DataType::from_json(&json!({"type":"DECIMAL","nullable":true})).is_err());
        assert!(DataType::from_json(&json!("INTEGER")).is_err());
    }

    #[test]
    fn parses_describe_strings() {
        let p = |s: &str| parse_sql_type(s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p("INT NOT NULL"), DataType::not_null(LogicalType::Integer));
        assert_eq!(p("varchar(5)"), DataType::nullable(LogicalType::VarChar { length: 5 }));
        assert_eq!(
            p("TIMESTAMP(3) *ROWTIME*"),
            DataType::nullable(LogicalType::Timestamp { precision: 3, kind: TimestampKind::Rowtime })
        );
        assert_eq!(
            p("TIMESTAMP_LTZ(3) NOT NULL *PROCTIME*"),
            DataType::not_null(LogicalType::TimestampLtz { precision: 3, kind: TimestampKind::Proctime })
        );
        assert_eq!(p("TIMESTAMP(3) WITH LOCAL TIME ZONE"), p("TIMESTAMP_LTZ(3)"));
        assert_eq!(p("TIMESTAMP"), p("TIMESTAMP(6) WITHOUT TIME ZONE"));
        assert_eq!(
            p("ROW<`a` INT, `b` STRING>"),
            DataType::nullable(LogicalType::Row(vec![
                RowField { name: "a".into(), ty: DataType::nullable(LogicalType::Integer), description: None },
                RowField { name: "b".into(), ty: DataType::nullable(LogicalType::VarChar { length: MAX_LENGTH }), description: None },
            ]))
        );
        assert_eq!(p("ROW(a INT, b STRING)"), p("ROW<`a` INT, `b` STRING>"));
        assert_eq!(
            p("MAP<STRING, INT>"),
            DataType::nullable(LogicalType::Map {
                key: Box::new(DataType::nullable(LogicalType::VarChar { length: MAX_LENGTH })),
                value: Box::new(DataType::nullable(LogicalType::Integer)),
            })
        );
        assert_eq!(p("ARRAY<BIGINT>"), p("BIGINT ARRAY"));
        assert_eq!(p("DECIMAL"), DataType::nullable(LogicalType::Decimal { precision: 10, scale: 0 }));
        assert_eq!(p("DECIMAL(5)").to_string(), "DECIMAL(5, 0)");
        assert_eq!(p("INTERVAL DAY TO SECOND(3)").to_string(), "INTERVAL DAY(2) TO SECOND(3)");
        assert_eq!(p("INTERVAL YEAR TO MONTH").to_string(), "INTERVAL YEAR(2) TO MONTH");
        assert_eq!(p("ROW<`we``ird` INT 'it''s'>").to_string(), "ROW<`we``ird` INT 'it''s'>");
        assert_eq!(p("RAW('java.lang.Object', ?)").ty, LogicalType::Raw { class: "java.lang.Object".into(), serializer: None });
        assert!(parse_sql_type("INT NOT NULL garbage").is_err());
        assert!(parse_sql_type("FOO").is_err());
        assert!(parse_sql_type("MAP<INT>").is_err());
        assert!(parse_sql_type("INT *ROWTIME*").is_err());
    }

    /// Found by fuzzing (fuzz/fuzz_targets/logical_type.rs): `NULL NOT NULL` did not round-trip.
    #[test]
    fn null_type_is_always_nullable() {
        let t = parse_sql_type("ROW<`a` NULL NOT NULL> NOT NULL").unwrap();
        assert_eq!(t, parse_sql_type(&t.to_string()).unwrap());
        assert!(parse_sql_type("NULL NOT NULL").unwrap().nullable);
        assert!(!parse_sql_type("NULL NOT NULL ARRAY NOT NULL").unwrap().nullable);
        assert_eq!(parse_sql_type("NULL NOT NULL").unwrap(), DataType::from_json(&serde_json::json!({"type":"NULL","nullable":false})).unwrap());
    }

    /// Found by fuzzing (fuzz/fuzz_targets/logical_type.rs with large inputs): deeply nested
    /// types overflowed the stack. Now they are an error, on a tokio worker's 2 MiB stack too.
    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = |n: usize| format!("{}INT{}", "ARRAY<".repeat(n), ">".repeat(n));
        assert!(parse_sql_type(&deep(100)).is_ok());
        let postfix = |n: usize| format!("INT{}", " ARRAY".repeat(n));
        assert!(parse_sql_type(&postfix(100)).is_ok());
        // The limit is on the printed nesting: what parses prints as something that parses.
        for text in [deep(127), postfix(127), format!("ARRAY<{}>", postfix(126)), format!("MAP<{}, INT> ARRAY", deep(125))] {
            let t = parse_sql_type(&text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(parse_sql_type(&t.to_string()), Ok(t));
        }
        for text in [deep(128), postfix(128), format!("ARRAY<{}>", postfix(127)), format!("MAP<INT, {}> ARRAY", deep(126))] {
            assert!(parse_sql_type(&text).is_err(), "{text}");
        }
        let out = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let errors = [deep(100_000), postfix(100_000), format!("{}INT{}", "ROW<a ".repeat(50_000), ">".repeat(50_000))]
                    .iter()
                    .map(|s| parse_sql_type(s).unwrap_err().to_string())
                    .collect::<Vec<_>>();
                errors.iter().all(|e| e.contains("nested too deeply"))
            })
            .expect("thread")
            .join()
            .expect("no stack overflow");
        assert!(out);
    }
}
