//! Arrow values → PostgreSQL wire encodings (DataRow fields), text and binary.
//!
//! A [`ColumnEncoder`] is made once per result column from its Flink type and the client's
//! format for it; per batch it is bound to the column's array ([`ColumnEncoder::bind`]), which
//! checks the Arrow type and downcasts once, so encoding a value is a match and a few writes into
//! the caller's `BytesMut` with no allocation (quoted array elements aside). [`RowEncoder`] does the
//! same for a whole row and writes exactly the payload of pgwire's `DataRow { data, field_count }`:
//! each field as an `i32` length and its bytes, `-1` for NULL.
//!
//! Text forms are PostgreSQL's output with `DateStyle = ISO`, `IntervalStyle = postgres`, time zone
//! UTC and `extra_float_digits = 1`: `t`/`f`; shortest round-trip floats (`1.5`, `1e+20`, `NaN`,
//! `Infinity`); numerics with exactly their scale; bytea `\x0102`; `2024-01-02`; `12:34:56.5`;
//! `2024-01-02 03:04:05.123`; `1970-01-01 00:00:00+00`; `1 year 2 mons 3 days 04:05:06.789`;
//! arrays `{1,2,NULL}` with PostgreSQL's quoting (`{"a b","x\"y"}`). Binary forms are those of
//! PostgreSQL's `*send` functions (big-endian integers, IEEE floats, base-10000 numeric, dates as
//! days and timestamps as microseconds since 2000-01-01, intervals as µs/days/months, arrays with
//! a header).
//!
//! Columns that are `json` on the PostgreSQL side (MAP, ROW, MULTISET, nested or unmappable
//! arrays, RAW) are JSON text in both formats:
//! - ROW → object keyed by field name;
//! - MAP with CHAR/VARCHAR keys → object; with other keys → array of `{"key":…,"value":…}`;
//! - MULTISET → like a MAP from element to count (as Flink's own JSON has it);
//! - ARRAY → array; values inside as `to_json` would write them (numbers bare, `NaN` and infinities
//!   as strings, bytea `"\\x0102"`, timestamps `"2024-01-02T03:04:05.123"`, timestamptz
//!   `"…+00:00"`, intervals as their text).

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    IntervalDayTimeType, IntervalYearMonthType, Time64MicrosecondType, Time64NanosecondType,
    TimestampMicrosecondType, TimestampNanosecondType,
};
use arrow_array::{
    Array, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array,
    Int16Array, Int32Array, Int64Array, Int8Array, IntervalDayTimeArray, IntervalYearMonthArray,
    LargeStringArray, ListArray, MapArray, PrimitiveArray, RecordBatch, StringArray, StructArray,
    Time64MicrosecondArray, Time64NanosecondArray, TimestampMicrosecondArray, TimestampNanosecondArray,
};
use arrow_array::types::ArrowPrimitiveType;
use bytes::{BufMut, BytesMut};
use thiserror::Error;

use crate::logical_type::{DataType, LogicalType};
use crate::pg_types::{self, pg_type, PgType};

use calendar::{civil_from_days, PG_EPOCH_DAYS, PG_EPOCH_MICROS};

/// A result or parameter format code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    #[default]
    Text,
    Binary,
}

impl Format {
    /// The wire format code: 0 text, 1 binary.
    pub fn from_code(code: i16) -> Option<Self> {
        match code {
            0 => Some(Self::Text),
            1 => Some(Self::Binary),
            _ => None,
        }
    }

    pub fn code(self) -> i16 {
        match self {
            Self::Text => 0,
            Self::Binary => 1,
        }
    }

    /// The format of column `index` under Bind's rules: no codes → all text, one code → all
    /// columns, otherwise one code per column.
    pub fn for_column(formats: &[Format], index: usize) -> Format {
        match formats {
            [] => Format::Text,
            [one] => *one,
            many => many.get(index).copied().unwrap_or_default(),
        }
    }
}

/// Errors encoding values.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// The array does not hold what the Flink type maps to (see [`crate::arrow_types`]).
    #[error("Arrow array of type {found} cannot be encoded as Flink type {expected}")]
    ArrowType { expected: String, found: String },
    /// A value does not fit PostgreSQL's representation (e.g. a field over 2 GiB, a date beyond
    /// PostgreSQL's range).
    #[error("value out of PostgreSQL range: {0}")]
    OutOfRange(&'static str),
    /// Bind gave a number of result formats that is neither 0, 1 nor the column count.
    #[error("{formats} result formats for {columns} columns")]
    FormatCount { formats: usize, columns: usize },
    /// The batch does not have the encoder's columns.
    #[error("batch has {found} columns, expected {expected}")]
    ColumnCount { found: usize, expected: usize },
    /// An error of one column of a row.
    #[error("column {column}: {source}")]
    InColumn {
        column: usize,
        #[source]
        source: Box<EncodeError>,
    },
}

/// How a column is written, decided by its PostgreSQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Scalar,
    /// A one-dimensional PostgreSQL array of scalars.
    PgArray { element_oid: u32 },
    /// JSON text, in both formats.
    Json,
}

/// Encodes one column's values in one format. Build once per statement.
#[derive(Debug, Clone)]
pub struct ColumnEncoder {
    data_type: DataType,
    pg_type: PgType,
    format: Format,
    shape: Shape,
}

impl ColumnEncoder {
    pub fn new(data_type: &DataType, format: Format) -> Self {
        let pg = pg_type(data_type);
        let shape = if pg.oid == pg_types::JSON.oid {
            Shape::Json
        } else if let Some(element_oid) = pg.element_oid() {
            Shape::PgArray { element_oid }
        } else {
            Shape::Scalar
        };
        Self { data_type: data_type.clone(), pg_type: pg, format, shape }
    }

    /// What RowDescription announces for this column.
    pub fn pg_type(&self) -> PgType {
        self.pg_type
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn data_type(&self) -> &DataType {
        &self.data_type
    }

    /// Checks `array` against the Flink type and prepares it for encoding.
    pub fn bind<'a>(&'a self, array: &'a dyn Array) -> Result<BoundColumn<'a>, EncodeError> {
        Ok(BoundColumn { encoder: self, value: Bound::new(&self.data_type, array)? })
    }
}

/// A column encoder bound to one array.
pub struct BoundColumn<'a> {
    encoder: &'a ColumnEncoder,
    value: Bound<'a>,
}

impl BoundColumn<'_> {
    pub fn is_null(&self, row: usize) -> bool {
        self.value.is_null(row)
    }

    /// Appends the value's bytes (no length prefix). `Ok(false)` for NULL, with nothing written.
    pub fn encode_value(&self, row: usize, buf: &mut BytesMut) -> Result<bool, EncodeError> {
        if self.value.is_null(row) {
            return Ok(false);
        }
        match (self.encoder.shape, self.encoder.format) {
            (Shape::Json, _) => write_json(&self.value, row, buf),
            (Shape::Scalar, Format::Text) => write_text(&self.value, row, buf),
            (Shape::Scalar, Format::Binary) => write_binary(&self.value, row, buf)?,
            (Shape::PgArray { element_oid }, format) => {
                let Bound::List(list, elements) = &self.value else {
                    return Err(EncodeError::ArrowType {
                        expected: self.encoder.data_type.to_string(),
                        found: "non-list".into(),
                    });
                };
                let range = list.value_offsets()[row] as usize..list.value_offsets()[row + 1] as usize;
                match format {
                    Format::Text => write_array_text(elements, range, buf),
                    Format::Binary => write_array_binary(elements, range, element_oid, buf)?,
                }
            }
        }
        Ok(true)
    }

    /// Appends the value as a DataRow field: `i32` length then bytes, or `-1` for NULL.
    pub fn encode_field(&self, row: usize, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        buf.put_i32(-1);
        if self.encode_value(row, buf)? {
            patch_length(buf, start)?;
        }
        Ok(())
    }
}

/// Encodes whole rows: one [`ColumnEncoder`] per column.
#[derive(Debug, Clone)]
pub struct RowEncoder {
    columns: Vec<ColumnEncoder>,
}

impl RowEncoder {
    /// `formats` follows Bind's rules (none → all text, one → all, else one per column).
    pub fn new(types: &[DataType], formats: &[Format]) -> Result<Self, EncodeError> {
        if formats.len() > 1 && formats.len() != types.len() {
            return Err(EncodeError::FormatCount { formats: formats.len(), columns: types.len() });
        }
        let columns =
            types.iter().enumerate().map(|(i, t)| ColumnEncoder::new(t, Format::for_column(formats, i))).collect();
        Ok(Self { columns })
    }

    pub fn columns(&self) -> &[ColumnEncoder] {
        &self.columns
    }

    /// Binds every column of `batch`.
    pub fn bind<'a>(&'a self, batch: &'a RecordBatch) -> Result<BoundRows<'a>, EncodeError> {
        if batch.num_columns() != self.columns.len() {
            return Err(EncodeError::ColumnCount { found: batch.num_columns(), expected: self.columns.len() });
        }
        let columns = self
            .columns
            .iter()
            .zip(batch.columns())
            .enumerate()
            .map(|(column, (enc, array))| {
                enc.bind(array.as_ref()).map_err(|e| EncodeError::InColumn { column, source: Box::new(e) })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BoundRows { columns, num_rows: batch.num_rows() })
    }
}

/// A batch ready to encode row by row.
pub struct BoundRows<'a> {
    columns: Vec<BoundColumn<'a>>,
    num_rows: usize,
}

impl BoundRows<'_> {
    pub fn num_rows(&self) -> usize {
        self.num_rows
    }

    pub fn num_columns(&self) -> usize {
        self.columns.len()
    }

    /// Appends row `row` as DataRow field data (pgwire's `DataRow::data`).
    pub fn encode_row(&self, row: usize, buf: &mut BytesMut) -> Result<(), EncodeError> {
        for (i, column) in self.columns.iter().enumerate() {
            column
                .encode_field(row, buf)
                .map_err(|e| EncodeError::InColumn { column: i, source: Box::new(e) })?;
        }
        Ok(())
    }
}

/// One-off encoding of a single value (tests, parameters echo); prefer [`ColumnEncoder::bind`] in
/// loops. `Ok(false)` for NULL.
pub fn encode_value(
    array: &dyn Array,
    row: usize,
    ty: &DataType,
    format: Format,
    buf: &mut BytesMut,
) -> Result<bool, EncodeError> {
    ColumnEncoder::new(ty, format).bind(array)?.encode_value(row, buf)
}

fn patch_length(buf: &mut BytesMut, start: usize) -> Result<(), EncodeError> {
    let len = i32::try_from(buf.len() - start - 4).map_err(|_| EncodeError::OutOfRange("field longer than 2 GiB"))?;
    buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// Arrays bound to their Flink types
// ------------------------------------------------------------------------------------------------

enum Bound<'a> {
    Null,
    Bool(&'a BooleanArray),
    I8(&'a Int8Array),
    I16(&'a Int16Array),
    I32(&'a Int32Array),
    I64(&'a Int64Array),
    F32(&'a Float32Array),
    F64(&'a Float64Array),
    Decimal(&'a Decimal128Array, u32),
    Str(&'a StringArray),
    LargeStr(&'a LargeStringArray),
    /// A string column that already holds JSON text (RAW, VARIANT).
    RawJson(&'a StringArray),
    Bytes(&'a BinaryArray),
    Date(&'a Date32Array),
    TimeUs(&'a Time64MicrosecondArray),
    TimeNs(&'a Time64NanosecondArray),
    TsUs(&'a TimestampMicrosecondArray, bool),
    TsNs(&'a TimestampNanosecondArray, bool),
    YearMonth(&'a IntervalYearMonthArray),
    DayTime(&'a IntervalDayTimeArray),
    List(&'a ListArray, Box<Bound<'a>>),
    Struct(&'a StructArray, Vec<(&'a str, Bound<'a>)>),
    /// keys, values, whether keys are strings (→ JSON object)
    Map(&'a MapArray, Box<Bound<'a>>, Box<Bound<'a>>, bool),
}

/// The value type of a MULTISET's element → count map.
static MULTISET_COUNT: DataType = DataType { ty: LogicalType::Integer, nullable: false };

fn primitive<T: ArrowPrimitiveType>(array: &dyn Array) -> Option<&PrimitiveArray<T>> {
    array.as_primitive_opt::<T>()
}

impl<'a> Bound<'a> {
    fn new(ty: &'a DataType, array: &'a dyn Array) -> Result<Self, EncodeError> {
        let mismatch = || EncodeError::ArrowType { expected: ty.to_string(), found: array.data_type().to_string() };
        let bound = match &ty.ty {
            LogicalType::Null => Some(Bound::Null),
            LogicalType::Boolean => array.as_boolean_opt().map(Bound::Bool),
            LogicalType::TinyInt => primitive::<Int8Type>(array).map(Bound::I8),
            LogicalType::SmallInt => primitive::<Int16Type>(array).map(Bound::I16),
            LogicalType::Integer => primitive::<Int32Type>(array).map(Bound::I32),
            LogicalType::BigInt => primitive::<Int64Type>(array).map(Bound::I64),
            LogicalType::Float => primitive::<Float32Type>(array).map(Bound::F32),
            LogicalType::Double => primitive::<Float64Type>(array).map(Bound::F64),
            LogicalType::Decimal { .. } => primitive::<Decimal128Type>(array).and_then(|a| {
                u32::try_from(a.scale()).ok().map(|s| Bound::Decimal(a, s))
            }),
            LogicalType::Char { .. } | LogicalType::VarChar { .. } => array
                .as_string_opt::<i32>()
                .map(Bound::Str)
                .or_else(|| array.as_string_opt::<i64>().map(Bound::LargeStr)),
            LogicalType::Raw { .. } | LogicalType::Variant | LogicalType::Unknown(_) => {
                array.as_string_opt::<i32>().map(Bound::RawJson)
            }
            LogicalType::Binary { .. } | LogicalType::VarBinary { .. } => array.as_binary_opt::<i32>().map(Bound::Bytes),
            LogicalType::Date => primitive::<Date32Type>(array).map(Bound::Date),
            LogicalType::Time { .. } => primitive::<Time64MicrosecondType>(array)
                .map(Bound::TimeUs)
                .or_else(|| primitive::<Time64NanosecondType>(array).map(Bound::TimeNs)),
            LogicalType::Timestamp { .. } | LogicalType::TimestampLtz { .. } | LogicalType::TimestampTz { .. } => {
                let tz = !matches!(ty.ty, LogicalType::Timestamp { .. });
                primitive::<TimestampMicrosecondType>(array)
                    .map(|a| Bound::TsUs(a, tz))
                    .or_else(|| primitive::<TimestampNanosecondType>(array).map(|a| Bound::TsNs(a, tz)))
            }
            LogicalType::IntervalYearMonth { .. } => primitive::<IntervalYearMonthType>(array).map(Bound::YearMonth),
            LogicalType::IntervalDayTime { .. } => primitive::<IntervalDayTimeType>(array).map(Bound::DayTime),
            LogicalType::Array(elem) => match array.as_list_opt::<i32>() {
                Some(list) => Some(Bound::List(list, Box::new(Bound::new(elem, list.values().as_ref())?))),
                None => None,
            },
            LogicalType::Map { key, value } => match array.as_map_opt() {
                Some(map) => Some(Bound::Map(
                    map,
                    Box::new(Bound::new(key, map.keys().as_ref())?),
                    Box::new(Bound::new(value, map.values().as_ref())?),
                    key.ty.is_character_string(),
                )),
                None => None,
            },
            LogicalType::Multiset(elem) => match array.as_map_opt() {
                Some(map) => Some(Bound::Map(
                    map,
                    Box::new(Bound::new(elem, map.keys().as_ref())?),
                    Box::new(Bound::new(&MULTISET_COUNT, map.values().as_ref())?),
                    elem.ty.is_character_string(),
                )),
                None => None,
            },
            LogicalType::Row(fields) => match array.as_struct_opt() {
                Some(s) if s.num_columns() == fields.len() => {
                    let children = fields
                        .iter()
                        .zip(s.columns())
                        .map(|(f, c)| Ok((f.name.as_str(), Bound::new(&f.ty, c.as_ref())?)))
                        .collect::<Result<Vec<_>, EncodeError>>()?;
                    Some(Bound::Struct(s, children))
                }
                _ => None,
            },
        };
        bound.ok_or_else(mismatch)
    }

    fn is_null(&self, row: usize) -> bool {
        match self {
            Bound::Null => true,
            Bound::Bool(a) => a.is_null(row),
            Bound::I8(a) => a.is_null(row),
            Bound::I16(a) => a.is_null(row),
            Bound::I32(a) => a.is_null(row),
            Bound::I64(a) => a.is_null(row),
            Bound::F32(a) => a.is_null(row),
            Bound::F64(a) => a.is_null(row),
            Bound::Decimal(a, _) => a.is_null(row),
            Bound::Str(a) | Bound::RawJson(a) => a.is_null(row),
            Bound::LargeStr(a) => a.is_null(row),
            Bound::Bytes(a) => a.is_null(row),
            Bound::Date(a) => a.is_null(row),
            Bound::TimeUs(a) => a.is_null(row),
            Bound::TimeNs(a) => a.is_null(row),
            Bound::TsUs(a, _) => a.is_null(row),
            Bound::TsNs(a, _) => a.is_null(row),
            Bound::YearMonth(a) => a.is_null(row),
            Bound::DayTime(a) => a.is_null(row),
            Bound::List(a, _) => a.is_null(row),
            Bound::Struct(a, _) => a.is_null(row),
            Bound::Map(a, ..) => a.is_null(row),
        }
    }

    /// Microseconds of a TIME value.
    fn time_micros(&self, row: usize) -> Option<i64> {
        match self {
            Bound::TimeUs(a) => Some(a.value(row)),
            Bound::TimeNs(a) => Some(nanos_to_micros(a.value(row))),
            _ => None,
        }
    }

    /// Microseconds since the Unix epoch of a TIMESTAMP value, and whether it is an instant.
    fn timestamp_micros(&self, row: usize) -> Option<(i64, bool)> {
        match self {
            Bound::TsUs(a, tz) => Some((a.value(row), *tz)),
            Bound::TsNs(a, tz) => Some((nanos_to_micros(a.value(row)), *tz)),
            _ => None,
        }
    }

    /// (months, days, microseconds) of an interval value.
    fn interval(&self, row: usize) -> Option<(i32, i32, i64)> {
        match self {
            Bound::YearMonth(a) => Some((a.value(row), 0, 0)),
            Bound::DayTime(a) => {
                let v = a.value(row);
                Some((0, v.days, i64::from(v.milliseconds) * 1000))
            }
            _ => None,
        }
    }

    fn str_value(&self, row: usize) -> Option<&'a str> {
        match self {
            Bound::Str(a) | Bound::RawJson(a) => Some(a.value(row)),
            Bound::LargeStr(a) => Some(a.value(row)),
            _ => None,
        }
    }
}

/// Rounds nanoseconds to the microsecond PostgreSQL keeps (half up).
fn nanos_to_micros(ns: i64) -> i64 {
    ns.saturating_add(500).div_euclid(1000)
}

// ------------------------------------------------------------------------------------------------
// Text
// ------------------------------------------------------------------------------------------------

/// Writes a non-NULL value in PostgreSQL's text form. Containers reaching here are JSON.
fn write_text(b: &Bound<'_>, row: usize, buf: &mut BytesMut) {
    match b {
        Bound::Null => {}
        Bound::Bool(a) => buf.put_u8(if a.value(row) { b't' } else { b'f' }),
        Bound::I8(a) => put_int(buf, i64::from(a.value(row))),
        Bound::I16(a) => put_int(buf, i64::from(a.value(row))),
        Bound::I32(a) => put_int(buf, i64::from(a.value(row))),
        Bound::I64(a) => put_int(buf, a.value(row)),
        Bound::F32(a) => put_f32(buf, a.value(row)),
        Bound::F64(a) => put_f64(buf, a.value(row)),
        Bound::Decimal(a, scale) => put_numeric_text(buf, a.value(row), *scale),
        Bound::Str(_) | Bound::LargeStr(_) | Bound::RawJson(_) => {
            buf.put_slice(b.str_value(row).unwrap_or_default().as_bytes())
        }
        Bound::Bytes(a) => put_bytea_hex(buf, a.value(row)),
        Bound::Date(a) => put_date(buf, i64::from(a.value(row))),
        Bound::TimeUs(_) | Bound::TimeNs(_) => put_time(buf, b.time_micros(row).unwrap_or_default()),
        Bound::TsUs(..) | Bound::TsNs(..) => {
            let (micros, tz) = b.timestamp_micros(row).unwrap_or_default();
            put_timestamp(buf, micros, b' ', if tz { TzSuffix::Short } else { TzSuffix::None });
        }
        Bound::YearMonth(_) | Bound::DayTime(_) => {
            let (months, days, micros) = b.interval(row).unwrap_or_default();
            put_interval(buf, months, days, micros);
        }
        Bound::List(..) | Bound::Struct(..) | Bound::Map(..) => write_json(b, row, buf),
    }
}

fn put_int(buf: &mut BytesMut, v: i64) {
    // itoa: two digits per step in 64-bit arithmetic (a u128 division per digit cost more than
    // the rest of a BIGINT's encoding).
    buf.put_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Zero-padded to `width` digits.
fn put_padded(buf: &mut BytesMut, v: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut n = v;
    let mut i = tmp.len();
    while n > 0 {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let start = (tmp.len() - width.min(20)).min(i);
    buf.put_slice(&tmp[start..]);
}

/// `.ffffff` with trailing zeros removed; nothing when zero.
fn put_fraction_micros(buf: &mut BytesMut, micros: u64) {
    if micros == 0 {
        return;
    }
    let mut digits = 6;
    let mut v = micros;
    while v.is_multiple_of(10) {
        v /= 10;
        digits -= 1;
    }
    buf.put_u8(b'.');
    put_padded(buf, v, digits);
}

fn put_f64(buf: &mut BytesMut, v: f64) {
    if !v.is_finite() {
        return put_non_finite(buf, v.is_nan(), v > 0.0);
    }
    put_float(buf, ryu::Buffer::new().format_finite(v), 15);
}

fn put_f32(buf: &mut BytesMut, v: f32) {
    if !v.is_finite() {
        return put_non_finite(buf, v.is_nan(), v > 0.0);
    }
    put_float(buf, ryu::Buffer::new().format_finite(v), 6);
}

fn put_non_finite(buf: &mut BytesMut, nan: bool, positive: bool) {
    buf.put_slice(match (nan, positive) {
        (true, _) => b"NaN",
        (false, true) => b"Infinity",
        (false, false) => b"-Infinity",
    });
}

/// A finite float's shortest round-trip digits (no leading or trailing zeros; `0` for zero), the
/// decimal exponent of the first and the sign, read from a printed form: ryu's (`1.5e20`,
/// `0.001`, `100.0`) or `{:e}`'s (`1.5e20`), which carry the same digits.
struct FloatDigits {
    negative: bool,
    digits: [u8; 24],
    len: usize,
    exp: i32,
}

fn float_digits(text: &str) -> FloatDigits {
    let text = text.as_bytes();
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let e_pos = text.iter().position(|&c| c == b'e' || c == b'E').unwrap_or(text.len());
    let exp_part: i32 = std::str::from_utf8(&text[(e_pos + 1).min(text.len())..])
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let mut out = FloatDigits { negative, digits: [0; 24], len: 0, exp: 0 };
    // Digits before the point, and leading zeros before the first significant digit.
    let (mut seen, mut point, mut leading) = (0i32, None, 0i32);
    for &c in &text[..e_pos] {
        if c == b'.' {
            point = Some(seen);
            continue;
        }
        if !c.is_ascii_digit() {
            continue;
        }
        seen += 1;
        if out.len == 0 && c == b'0' {
            leading += 1;
        } else if out.len < out.digits.len() {
            out.digits[out.len] = c;
            out.len += 1;
        }
    }
    while out.len > 1 && out.digits[out.len - 1] == b'0' {
        out.len -= 1;
    }
    if out.len == 0 {
        out.digits[0] = b'0';
        out.len = 1;
    } else {
        out.exp = point.unwrap_or(seen) - leading - 1 + exp_part;
    }
    out
}

/// PostgreSQL's shortest-exact float output (`float8out` with `extra_float_digits > 0`) of a
/// finite float printed by ryu (the shortest digits): fixed notation when the decimal exponent
/// is in `-4..fixed_below` (15 for float8, 6 for float4), else `1.5e+20` with at least two
/// exponent digits.
fn put_float(buf: &mut BytesMut, printed: &str, fixed_below: i32) {
    let FloatDigits { negative, digits, len, exp } = float_digits(printed);
    let digits = &digits[..len];
    if negative {
        buf.put_u8(b'-');
    }
    if exp < -4 || exp >= fixed_below {
        buf.put_u8(digits[0]);
        if digits.len() > 1 {
            buf.put_u8(b'.');
            buf.put_slice(&digits[1..]);
        }
        buf.put_u8(b'e');
        buf.put_u8(if exp < 0 { b'-' } else { b'+' });
        put_padded(buf, u64::from(exp.unsigned_abs()), 2);
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            buf.put_slice(digits);
            buf.put_bytes(b'0', int_len - digits.len());
        } else {
            buf.put_slice(&digits[..int_len]);
            buf.put_u8(b'.');
            buf.put_slice(&digits[int_len..]);
        }
    } else {
        buf.put_slice(b"0.");
        buf.put_bytes(b'0', (-exp - 1) as usize);
        buf.put_slice(digits);
    }
}

/// Decimal digits of |unscaled|, left-padded with zeros to at least `scale + 1` digits.
/// Returns the buffer and the start of the digits.
fn decimal_digits(unscaled: i128, scale: u32) -> ([u8; 80], usize) {
    let mut tmp = [b'0'; 80];
    let mut n = unscaled.unsigned_abs();
    let mut i = tmp.len();
    // 128-bit division only while the value needs it; most DECIMALs fit 64 bits.
    while n > u128::from(u64::MAX) {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let mut n = n as u64;
    while n > 0 {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let min_len = (scale as usize + 1).min(tmp.len());
    (tmp, i.min(tmp.len() - min_len))
}

fn put_numeric_text(buf: &mut BytesMut, unscaled: i128, scale: u32) {
    let (digits, start) = decimal_digits(unscaled, scale);
    let digits = &digits[start..];
    if unscaled < 0 {
        buf.put_u8(b'-');
    }
    let int_len = digits.len() - scale as usize;
    buf.put_slice(&digits[..int_len]);
    if scale > 0 {
        buf.put_u8(b'.');
        buf.put_slice(&digits[int_len..]);
    }
}

fn put_bytea_hex(buf: &mut BytesMut, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    buf.reserve(2 + bytes.len() * 2);
    buf.put_slice(b"\\x");
    for &b in bytes {
        buf.put_u8(HEX[usize::from(b >> 4)]);
        buf.put_u8(HEX[usize::from(b & 15)]);
    }
}

/// `YYYY-MM-DD`, with ` BC` for years before 1 as PostgreSQL prints them. Returns whether the
/// date was BC (the caller appends the marker after any time part).
fn put_date_part(buf: &mut BytesMut, days: i64) -> bool {
    let (year, month, day) = civil_from_days(days);
    let bc = year <= 0;
    let shown = if bc { 1 - year } else { year };
    put_padded(buf, shown.unsigned_abs(), 4);
    buf.put_u8(b'-');
    put_padded(buf, u64::from(month), 2);
    buf.put_u8(b'-');
    put_padded(buf, u64::from(day), 2);
    bc
}

fn put_date(buf: &mut BytesMut, days: i64) {
    if put_date_part(buf, days) {
        buf.put_slice(b" BC");
    }
}

/// `HH:MM:SS[.ffffff]` of microseconds since midnight (hours may exceed 24 for intervals).
fn put_clock(buf: &mut BytesMut, micros: u64) {
    let secs = micros / 1_000_000;
    put_padded(buf, secs / 3600, 2);
    buf.put_u8(b':');
    put_padded(buf, secs / 60 % 60, 2);
    buf.put_u8(b':');
    put_padded(buf, secs % 60, 2);
    put_fraction_micros(buf, micros % 1_000_000);
}

fn put_time(buf: &mut BytesMut, micros: i64) {
    put_clock(buf, micros.max(0).unsigned_abs());
}

#[derive(Clone, Copy)]
enum TzSuffix {
    None,
    /// `+00` (text output)
    Short,
    /// `+00:00` (JSON, ISO 8601)
    Long,
}

fn put_timestamp(buf: &mut BytesMut, micros: i64, separator: u8, tz: TzSuffix) {
    let days = micros.div_euclid(86_400_000_000);
    let time = micros.rem_euclid(86_400_000_000);
    let bc = put_date_part(buf, days);
    buf.put_u8(separator);
    put_clock(buf, time.unsigned_abs());
    match tz {
        TzSuffix::None => {}
        TzSuffix::Short => buf.put_slice(b"+00"),
        TzSuffix::Long => buf.put_slice(b"+00:00"),
    }
    if bc {
        buf.put_slice(b" BC");
    }
}

/// PostgreSQL's `IntervalStyle = postgres` output (`EncodeInterval`): `1 year 2 mons`,
/// `-3 days -04:05:06.789`, `00:00:00`.
fn put_interval(buf: &mut BytesMut, months: i32, days: i32, micros: i64) {
    let mut is_zero = true;
    let mut is_before = false;
    let mut part = |buf: &mut BytesMut, value: i64, unit: &[u8]| {
        if value == 0 {
            return;
        }
        if !is_zero {
            buf.put_u8(b' ');
        }
        if is_before && value > 0 {
            buf.put_u8(b'+');
        }
        put_int(buf, value);
        buf.put_u8(b' ');
        buf.put_slice(unit);
        if value != 1 {
            buf.put_u8(b's');
        }
        is_before = value < 0;
        is_zero = false;
    };
    part(buf, i64::from(months / 12), b"year");
    part(buf, i64::from(months % 12), b"mon");
    part(buf, i64::from(days), b"day");
    if is_zero || micros != 0 {
        if !is_zero {
            buf.put_u8(b' ');
        }
        if micros < 0 {
            buf.put_u8(b'-');
        } else if is_before {
            buf.put_u8(b'+');
        }
        put_clock(buf, micros.unsigned_abs());
    }
}

/// `{a,b,NULL}` with PostgreSQL's element quoting.
fn write_array_text(elements: &Bound<'_>, range: std::ops::Range<usize>, buf: &mut BytesMut) {
    buf.put_u8(b'{');
    for (n, i) in range.enumerate() {
        if n > 0 {
            buf.put_u8(b',');
        }
        if elements.is_null(i) {
            buf.put_slice(b"NULL");
            continue;
        }
        let start = buf.len();
        write_text(elements, i, buf);
        if needs_array_quotes(&buf[start..]) {
            let raw = buf[start..].to_vec();
            buf.truncate(start);
            buf.put_u8(b'"');
            for c in raw {
                if c == b'"' || c == b'\\' {
                    buf.put_u8(b'\\');
                }
                buf.put_u8(c);
            }
            buf.put_u8(b'"');
        }
    }
    buf.put_u8(b'}');
}

/// `array_out`'s rule: quote empty strings, `NULL`, and anything with a delimiter, brace,
/// quote, backslash or white space.
fn needs_array_quotes(s: &[u8]) -> bool {
    s.is_empty()
        || s.eq_ignore_ascii_case(b"NULL")
        || s.iter().any(|c| matches!(c, b'{' | b'}' | b',' | b'"' | b'\\' | b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
}

// ------------------------------------------------------------------------------------------------
// Binary
// ------------------------------------------------------------------------------------------------

/// Writes a non-NULL value in PostgreSQL's binary form (the `*send` functions).
fn write_binary(b: &Bound<'_>, row: usize, buf: &mut BytesMut) -> Result<(), EncodeError> {
    match b {
        Bound::Null => {}
        Bound::Bool(a) => buf.put_u8(u8::from(a.value(row))),
        Bound::I8(a) => buf.put_i16(i16::from(a.value(row))),
        Bound::I16(a) => buf.put_i16(a.value(row)),
        Bound::I32(a) => buf.put_i32(a.value(row)),
        Bound::I64(a) => buf.put_i64(a.value(row)),
        Bound::F32(a) => buf.put_f32(a.value(row)),
        Bound::F64(a) => buf.put_f64(a.value(row)),
        Bound::Decimal(a, scale) => put_numeric_binary(buf, a.value(row), *scale),
        Bound::Str(_) | Bound::LargeStr(_) | Bound::RawJson(_) => {
            buf.put_slice(b.str_value(row).unwrap_or_default().as_bytes())
        }
        Bound::Bytes(a) => buf.put_slice(a.value(row)),
        Bound::Date(a) => {
            let days = i64::from(a.value(row)) - PG_EPOCH_DAYS;
            buf.put_i32(i32::try_from(days).map_err(|_| EncodeError::OutOfRange("date"))?);
        }
        Bound::TimeUs(_) | Bound::TimeNs(_) => buf.put_i64(b.time_micros(row).unwrap_or_default()),
        Bound::TsUs(..) | Bound::TsNs(..) => {
            let (micros, _) = b.timestamp_micros(row).unwrap_or_default();
            buf.put_i64(micros.checked_sub(PG_EPOCH_MICROS).ok_or(EncodeError::OutOfRange("timestamp"))?);
        }
        Bound::YearMonth(_) | Bound::DayTime(_) => {
            let (months, days, micros) = b.interval(row).unwrap_or_default();
            buf.put_i64(micros);
            buf.put_i32(days);
            buf.put_i32(months);
        }
        Bound::List(..) | Bound::Struct(..) | Bound::Map(..) => write_json(b, row, buf),
    }
    Ok(())
}

/// `numeric_send`: ndigits, weight, sign, dscale (all 16-bit), then base-10000 digits, most
/// significant first, without leading or trailing zero digits.
fn put_numeric_binary(buf: &mut BytesMut, unscaled: i128, scale: u32) {
    let (digits, start) = decimal_digits(unscaled, scale);
    let digits = &digits[start..];
    let int_len = digits.len() - scale as usize;
    // Pad the integer part on the left and the fraction on the right to whole groups of 4.
    let int_pad = (4 - int_len % 4) % 4;
    let frac_pad = (4 - scale as usize % 4) % 4;
    let mut groups = [0i16; 32];
    let mut count = 0;
    let mut acc = 0i16;
    let mut in_group = 0;
    let padded = std::iter::repeat_n(b'0', int_pad).chain(digits.iter().copied()).chain(std::iter::repeat_n(b'0', frac_pad));
    for d in padded {
        acc = acc * 10 + i16::from(d - b'0');
        in_group += 1;
        if in_group == 4 {
            groups[count] = acc;
            count += 1;
            acc = 0;
            in_group = 0;
        }
    }
    let mut weight = ((int_len + int_pad) / 4) as i16 - 1;
    let mut first = 0;
    while first < count && groups[first] == 0 {
        first += 1;
        weight -= 1;
    }
    let mut last = count;
    while last > first && groups[last - 1] == 0 {
        last -= 1;
    }
    let significant = &groups[first..last];
    if significant.is_empty() {
        weight = 0;
    }
    buf.put_i16(significant.len() as i16);
    buf.put_i16(weight);
    buf.put_u16(if unscaled < 0 { 0x4000 } else { 0 });
    buf.put_i16(scale as i16);
    for g in significant {
        buf.put_i16(*g);
    }
}

/// `array_send` for one dimension: ndim (0 when empty), has-null flag, element OID, then length
/// and lower bound 1, then each element length-prefixed (-1 for NULL).
fn write_array_binary(
    elements: &Bound<'_>,
    range: std::ops::Range<usize>,
    element_oid: u32,
    buf: &mut BytesMut,
) -> Result<(), EncodeError> {
    let len = i32::try_from(range.len()).map_err(|_| EncodeError::OutOfRange("array length"))?;
    buf.put_i32(i32::from(len > 0));
    buf.put_i32(i32::from(range.clone().any(|i| elements.is_null(i))));
    buf.put_u32(element_oid);
    if len > 0 {
        buf.put_i32(len);
        buf.put_i32(1);
    }
    for i in range {
        if elements.is_null(i) {
            buf.put_i32(-1);
            continue;
        }
        let start = buf.len();
        buf.put_i32(0);
        write_binary(elements, i, buf)?;
        patch_length(buf, start)?;
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// JSON
// ------------------------------------------------------------------------------------------------

/// Writes a value (NULL included) as JSON, the way PostgreSQL's `to_json` would.
fn write_json(b: &Bound<'_>, row: usize, buf: &mut BytesMut) {
    if b.is_null(row) {
        buf.put_slice(b"null");
        return;
    }
    match b {
        Bound::Null => buf.put_slice(b"null"),
        Bound::Bool(a) => buf.put_slice(if a.value(row) { b"true" } else { b"false" }),
        Bound::I8(_) | Bound::I16(_) | Bound::I32(_) | Bound::I64(_) | Bound::Decimal(..) => write_text(b, row, buf),
        Bound::F32(a) if a.value(row).is_finite() => write_text(b, row, buf),
        Bound::F64(a) if a.value(row).is_finite() => write_text(b, row, buf),
        Bound::Str(_) | Bound::LargeStr(_) => put_json_string(buf, b.str_value(row).unwrap_or_default().as_bytes()),
        Bound::RawJson(a) => buf.put_slice(a.value(row).as_bytes()),
        Bound::Bytes(a) => {
            // "\\x0102": the text form's backslash escaped.
            buf.put_slice(b"\"\\");
            put_bytea_hex(buf, a.value(row));
            buf.put_u8(b'"');
        }
        Bound::TsUs(..) | Bound::TsNs(..) => {
            let (micros, tz) = b.timestamp_micros(row).unwrap_or_default();
            buf.put_u8(b'"');
            put_timestamp(buf, micros, b'T', if tz { TzSuffix::Long } else { TzSuffix::None });
            buf.put_u8(b'"');
        }
        // Non-finite floats, dates, times, intervals: their text needs no escaping.
        Bound::F32(_) | Bound::F64(_) | Bound::Date(_) | Bound::TimeUs(_) | Bound::TimeNs(_) | Bound::YearMonth(_) | Bound::DayTime(_) => {
            buf.put_u8(b'"');
            write_text(b, row, buf);
            buf.put_u8(b'"');
        }
        Bound::List(list, elements) => {
            buf.put_u8(b'[');
            for (n, i) in list_range(list.value_offsets(), row).enumerate() {
                if n > 0 {
                    buf.put_u8(b',');
                }
                write_json(elements, i, buf);
            }
            buf.put_u8(b']');
        }
        Bound::Struct(_, fields) => {
            buf.put_u8(b'{');
            for (n, (name, child)) in fields.iter().enumerate() {
                if n > 0 {
                    buf.put_u8(b',');
                }
                put_json_string(buf, name.as_bytes());
                buf.put_u8(b':');
                write_json(child, row, buf);
            }
            buf.put_u8(b'}');
        }
        Bound::Map(map, keys, values, string_keys) => {
            buf.put_u8(if *string_keys { b'{' } else { b'[' });
            for (n, i) in list_range(map.value_offsets(), row).enumerate() {
                if n > 0 {
                    buf.put_u8(b',');
                }
                if *string_keys {
                    write_json(keys, i, buf);
                    buf.put_u8(b':');
                    write_json(values, i, buf);
                } else {
                    buf.put_slice(b"{\"key\":");
                    write_json(keys, i, buf);
                    buf.put_slice(b",\"value\":");
                    write_json(values, i, buf);
                    buf.put_u8(b'}');
                }
            }
            buf.put_u8(if *string_keys { b'}' } else { b']' });
        }
    }
}

fn list_range(offsets: &[i32], row: usize) -> std::ops::Range<usize> {
    offsets[row] as usize..offsets[row + 1] as usize
}

fn put_json_string(buf: &mut BytesMut, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    buf.put_u8(b'"');
    let mut run = 0;
    for (i, &c) in s.iter().enumerate() {
        let escape: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        buf.put_slice(&s[run..i]);
        run = i + 1;
        if escape.is_empty() {
            buf.put_slice(b"\\u00");
            buf.put_u8(HEX[usize::from(c >> 4)]);
            buf.put_u8(HEX[usize::from(c & 15)]);
        } else {
            buf.put_slice(escape);
        }
    }
    buf.put_slice(&s[run..]);
    buf.put_u8(b'"');
}

/// Proleptic Gregorian calendar arithmetic shared by the JSON reader and the encoders.
pub mod calendar {
    /// Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
    pub const PG_EPOCH_DAYS: i64 = 10_957;
    /// Microseconds from 1970-01-01 to 2000-01-01.
    pub const PG_EPOCH_MICROS: i64 = PG_EPOCH_DAYS * 86_400_000_000;

    /// Days since 1970-01-01 of a civil date (year 0 = 1 BC).
    pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (i64::from(month) + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The civil date (year, month, day) of days since 1970-01-01.
    pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month, day)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float32Array, Float64Array, Int32Array, ListArray, StringArray};
    use arrow_array::types::Int32Type as I32;
    use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
    use postgres_types::{FromSql, Type};
    use serde_json::{json, Value};

    use super::*;
    use crate::json_arrow::tests::{both_paths, col, row, rows_to_batch, transcript_page};
    use crate::json_arrow::ResultSchema;
    use crate::logical_type::parse_sql_type;
    use crate::rest::RowKind;

    fn ty(s: &str) -> DataType {
        parse_sql_type(s).unwrap()
    }

    fn encode(array: &dyn Array, row: usize, t: &DataType, format: Format) -> Option<Vec<u8>> {
        let mut buf = BytesMut::new();
        encode_value(array, row, t, format, &mut buf).unwrap().then(|| buf.to_vec())
    }

    fn text(array: &dyn Array, row: usize, t: &DataType) -> Option<String> {
        encode(array, row, t, Format::Text).map(|b| String::from_utf8(b).unwrap())
    }

    /// Decodes our binary encoding with postgres-types, given the PostgreSQL type we announce.
    fn decode<T: for<'a> FromSql<'a>>(array: &dyn Array, row: usize, t: &DataType) -> T {
        let oid = pg_type(t).oid;
        let pg = Type::from_oid(oid).unwrap_or_else(|| panic!("oid {oid}"));
        let raw = encode(array, row, t, Format::Binary);
        T::from_sql_nullable(&pg, raw.as_deref()).unwrap_or_else(|e| panic!("{t}: {e}"))
    }

    fn page(columns: &[(&str, Value)], rows: Vec<Vec<Value>>) -> (Vec<DataType>, RecordBatch) {
        let columns: Vec<_> = columns.iter().map(|(n, t)| col(n, t.clone())).collect();
        let rows: Vec<_> = rows.into_iter().map(|r| row(RowKind::Insert, r)).collect();
        let schema = ResultSchema::new(&columns).unwrap();
        let types = schema.columns().iter().map(|c| c.data_type.clone()).collect();
        (types, both_paths(&schema, &rows).unwrap().batch)
    }

    #[test]
    fn transcript_row_as_text() {
        let (columns, rows) = transcript_page();
        let schema = ResultSchema::new(&columns).unwrap();
        let batch = both_paths(&schema, &rows).unwrap().batch;
        let got: Vec<Option<String>> = schema
            .columns()
            .iter()
            .enumerate()
            .map(|(i, c)| text(batch.column(i).as_ref(), 0, &c.data_type))
            .collect();
        let want = [
            Some("1"),
            Some("2"),
            Some("abc"),
            Some("t"),
            Some("3.14"),
            Some("1.5"),
            Some("2024-01-02"),
            Some("2024-01-02 03:04:05.123"),
            Some("1970-01-01 00:00:00+00"),
            Some("{1,2,3}"),
            Some(r#"{"k":1}"#),
            Some(r#"{"EXPR$0":1,"EXPR$1":"x"}"#),
            None,
            Some(r"\x0102"),
            Some("12:34:56"),
        ];
        assert_eq!(got, want.map(|s| s.map(str::to_owned)));
    }

    #[test]
    fn transcript_row_as_binary_decodes_with_postgres_types() {
        let (columns, rows) = transcript_page();
        let schema = ResultSchema::new(&columns).unwrap();
        let batch = both_paths(&schema, &rows).unwrap().batch;
        let t = |i: usize| schema.columns()[i].data_type.clone();
        let c = |i: usize| batch.column(i).clone();
        assert_eq!(decode::<i32>(&c(0), 0, &t(0)), 1);
        assert_eq!(decode::<i64>(&c(1), 0, &t(1)), 2);
        assert_eq!(decode::<String>(&c(2), 0, &t(2)), "abc");
        assert!(decode::<bool>(&c(3), 0, &t(3)));
        assert_eq!(decode::<rust_decimal::Decimal>(&c(4), 0, &t(4)).to_string(), "3.14");
        assert_eq!(decode::<f64>(&c(5), 0, &t(5)), 1.5);
        assert_eq!(decode::<NaiveDate>(&c(6), 0, &t(6)), NaiveDate::from_ymd_opt(2024, 1, 2).unwrap());
        assert_eq!(
            decode::<NaiveDateTime>(&c(7), 0, &t(7)),
            NaiveDate::from_ymd_opt(2024, 1, 2).unwrap().and_hms_milli_opt(3, 4, 5, 123).unwrap()
        );
        assert_eq!(decode::<DateTime<Utc>>(&c(8), 0, &t(8)), DateTime::<Utc>::UNIX_EPOCH);
        assert_eq!(decode::<Vec<i32>>(&c(9), 0, &t(9)), [1, 2, 3]);
        assert_eq!(decode::<Value>(&c(10), 0, &t(10)), json!({"k": 1}));
        assert_eq!(decode::<Value>(&c(11), 0, &t(11)), json!({"EXPR$0": 1, "EXPR$1": "x"}));
        assert_eq!(decode::<Option<String>>(&c(12), 0, &t(12)), None);
        assert_eq!(decode::<Vec<u8>>(&c(13), 0, &t(13)), [1, 2]);
        assert_eq!(decode::<NaiveTime>(&c(14), 0, &t(14)), NaiveTime::from_hms_opt(12, 34, 56).unwrap());
    }

    #[test]
    fn flink_test_resource_row_as_text() {
        let Some(text_file) = crate::logical_type::tests::shared_file("test-resources/result_info_json_format.txt") else {
            return;
        };
        let info: crate::rest::ResultInfo = serde_json::from_str(&text_file).unwrap();
        let schema = ResultSchema::new(&info.columns).unwrap();
        let batch = both_paths(&schema, &info.data).unwrap().batch;
        let out: Vec<String> = schema
            .columns()
            .iter()
            .enumerate()
            .map(|(i, c)| text(batch.column(i).as_ref(), 0, &c.data_type).unwrap())
            .collect();
        assert_eq!(out[0], "t");
        assert_eq!(out[1], "99");
        assert_eq!(out[2], "128");
        assert_eq!(out[3], "45536");
        assert_eq!(out[4], "1238123899121");
        assert_eq!(out[5], "33.333");
        assert_eq!(out[6], "asdlkjasjkdla998y1122");
        assert!(out[7].starts_with(r"\xac22be0a"), "{}", &out[7][..10]);
        assert_eq!(out[8], "123.456789");
        assert_eq!(out[9], "{1.1,2.2,3.3}");
        assert_eq!(out[10], "1990-10-14");
        assert_eq!(out[11], "12:12:43");
        assert_eq!(out[12], "1990-10-14 12:12:43.123");
        assert_eq!(out[13], "1990-10-14 12:12:43.123457");
        assert_eq!(out[14], "1990-10-14 12:12:43.123457+00");
        assert_eq!(out[15], r#"{"element":123}"#);
        assert_eq!(out[16], r#"{"element":2}"#);
        assert_eq!(out[17], r#"{"inner_map":{"key":234}}"#);
        assert_eq!(out[18], "00:00:00.123");
        assert_eq!(out[19], "10 years 3 mons");
        // And every column decodes in binary with the type we announce.
        for (i, c) in schema.columns().iter().enumerate() {
            let raw = encode(batch.column(i).as_ref(), 0, &c.data_type, Format::Binary).unwrap();
            if c.pg_type.oid == pg_types::JSON.oid {
                serde_json::from_slice::<Value>(&raw).unwrap();
            }
        }
        assert_eq!(decode::<Vec<f64>>(batch.column(9).as_ref(), 0, &schema.columns()[9].data_type), [1.1, 2.2, 3.3]);
        assert_eq!(decode::<i16>(batch.column(1).as_ref(), 0, &schema.columns()[1].data_type), 99);
        assert_eq!(decode::<f32>(batch.column(5).as_ref(), 0, &schema.columns()[5].data_type), 33.333);
    }

    /// ryu's digits against `{:e}`'s (the encoder's reference before ryu), for spread-out bit
    /// patterns of both widths and the edges: as many digits, the same exponent, and the same
    /// digits except where the value lies exactly halfway between two shortest forms: there ryu
    /// rounds the last digit to even, as PostgreSQL does (its float output is ryu, since 12),
    /// and core::fmt rounds up (e.g. the float4 2567984.25: ryu and PostgreSQL 2.5679842e+06).
    #[test]
    fn ryu_gives_the_shortest_digits_of_core_fmt() {
        let same = |ryu: &str, fmt: &str| {
            let (a, b) = (float_digits(ryu), float_digits(fmt));
            assert_eq!((a.negative, a.len, a.exp), (b.negative, b.len, b.exp), "{ryu} vs {fmt}");
            let (a, b) = (&a.digits[..a.len], &b.digits[..b.len]);
            if a != b {
                let last = a.len() - 1;
                assert!(a[..last] == b[..last] && b[last] == a[last] + 1 && a[last] % 2 == 0, "{ryu} vs {fmt}");
            }
        };
        let mut bits = 0x9E37_79B9_7F4A_7C15_u64;
        let mut edges = vec![0.0, -0.0, 1.0, 0.1, 100.0, 1e15, 1e16, 123456789012345680.0, 1e-4, 1e-5, 5e-324, f64::MAX, f64::MIN_POSITIVE];
        edges.extend((0..200_000).map(|_| {
            bits ^= bits << 13;
            bits ^= bits >> 7;
            bits ^= bits << 17;
            f64::from_bits(bits)
        }));
        edges.extend((0..100_000).map(|i| f64::from(i) / 100.0));
        for v in edges.into_iter().filter(|v| v.is_finite()) {
            same(ryu::Buffer::new().format_finite(v), &format!("{v:e}"));
            let f = v as f32;
            if f.is_finite() {
                same(ryu::Buffer::new().format_finite(f), &format!("{f:e}"));
            }
        }
    }

    #[test]
    fn integers_and_decimals_print_every_digit() {
        let ints = arrow_array::Int64Array::from(vec![i64::MIN, i64::MAX, 0, -1, 1_000_000_007]);
        let got: Vec<String> = (0..ints.len()).map(|r| text(&ints, r, &ty("BIGINT")).unwrap()).collect();
        assert_eq!(got, ["-9223372036854775808", "9223372036854775807", "0", "-1", "1000000007"]);
        let max38 = 99_999_999_999_999_999_999_999_999_999_999_999_999_i128;
        let decimals = arrow_array::Decimal128Array::from(vec![max38, -max38, 0, -5, i128::from(u64::MAX) + 1])
            .with_precision_and_scale(38, 18)
            .unwrap();
        let got: Vec<String> =
            (0..decimals.len()).map(|r| text(&decimals, r, &ty("DECIMAL(38, 18)")).unwrap()).collect();
        assert_eq!(got, [
            "99999999999999999999.999999999999999999",
            "-99999999999999999999.999999999999999999",
            "0.000000000000000000",
            "-0.000000000000000005",
            "18.446744073709551616",
        ]);
    }

    #[test]
    fn known_postgres_binary_encodings() {
        let (types, batch) = page(
            &[
                ("d", json!({"type":"DECIMAL","nullable":true,"precision":10,"scale":2})),
                ("dt", json!({"type":"DATE","nullable":true})),
                ("ts", json!({"type":"TIMESTAMP_WITHOUT_TIME_ZONE","nullable":true,"precision":6})),
                ("iv", json!({"type":"INTERVAL_DAY_TIME","nullable":true,"precision":2,"fractionalPrecision":3,"resolution":"DAY_TO_SECOND"})),
                ("ym", json!({"type":"INTERVAL_YEAR_MONTH","nullable":true,"precision":2,"resolution":"YEAR_TO_MONTH"})),
                ("t", json!({"type":"TINYINT","nullable":true})),
            ],
            vec![vec![serde_json::from_str::<Value>("3.14").unwrap(), json!("2000-01-02"), json!("2000-01-01T00:00:01"), json!(90_061_001), json!(14), json!(-1)]],
        );
        let bin = |i: usize| encode(batch.column(i).as_ref(), 0, &types[i], Format::Binary).unwrap();
        assert_eq!(bin(0), [0, 2, 0, 0, 0, 0, 0, 2, 0, 3, 0x05, 0x78]);
        assert_eq!(bin(1), [0, 0, 0, 1]);
        assert_eq!(bin(2), 1_000_000i64.to_be_bytes());
        // 1 day 01:01:01.001 → µs 3_661_001_000, days 1, months 0
        let mut iv = 3_661_001_000i64.to_be_bytes().to_vec();
        iv.extend(1i32.to_be_bytes());
        iv.extend(0i32.to_be_bytes());
        assert_eq!(bin(3), iv);
        let mut ym = 0i64.to_be_bytes().to_vec();
        ym.extend(0i32.to_be_bytes());
        ym.extend(14i32.to_be_bytes());
        assert_eq!(bin(4), ym);
        assert_eq!(bin(5), [0xff, 0xff]);
    }

    #[test]
    fn numeric_round_trips_through_rust_decimal() {
        let t = ty("DECIMAL(38, 10)");
        let cases = [
            (0i128, 0u32, "0"),
            (0, 2, "0.00"),
            (-5, 1, "-0.5"),
            (123_456_789, 1, "12345678.9"),
            (10_000, 0, "10000"),
            (1, 10, "0.0000000001"),
            (-1_000_000_000_000, 4, "-100000000.0000"),
            (9_999_999_999_999_999_999_999_999_999, 0, "9999999999999999999999999999"),
            (12_345_000, 8, "0.12345000"),
        ];
        for (unscaled, scale, want) in cases {
            let array = Decimal128Array::from(vec![unscaled]).with_precision_and_scale(38, scale as i8).unwrap();
            let d = DataType::nullable(LogicalType::Decimal { precision: 38, scale: scale as u8 });
            assert_eq!(text(&array, 0, &d).unwrap(), want);
            let back: rust_decimal::Decimal = decode(&array, 0, &d);
            assert_eq!(back.to_string(), want, "binary of {want}");
        }
        let _ = t;
        // 38 digits, beyond rust_decimal: check the bytes. 1e37 = 10 * 10000^9 → one digit 10, weight 9.
        let array = Decimal128Array::from(vec![10i128.pow(37)]).with_precision_and_scale(38, 0).unwrap();
        let raw = encode(&array, 0, &ty("DECIMAL(38, 0)"), Format::Binary).unwrap();
        assert_eq!(raw, [0, 1, 0, 9, 0, 0, 0, 0, 0, 10]);
        assert_eq!(text(&array, 0, &ty("DECIMAL(38, 0)")).unwrap(), format!("1{}", "0".repeat(37)));
        // -1234.5678 at scale 4: digits 1234, 5678, weight 0, negative.
        let array = Decimal128Array::from(vec![-12_345_678i128]).with_precision_and_scale(38, 4).unwrap();
        let raw = encode(&array, 0, &ty("DECIMAL(38, 4)"), Format::Binary).unwrap();
        assert_eq!(raw, [0, 2, 0, 0, 0x40, 0, 0, 4, 0x04, 0xd2, 0x16, 0x2e]);
        assert_eq!(text(&array, 0, &ty("DECIMAL(38, 4)")).unwrap(), "-1234.5678");
    }

    #[test]
    fn floats_print_like_postgres() {
        let cases64 = [
            (1.5, "1.5"),
            (100.0, "100"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.3333333333333333"),
            (1e20, "1e+20"),
            (1e15, "1e+15"),
            (123_456_789_012_345.0, "123456789012345"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (-0.0, "-0"),
            (0.0, "0"),
            (-2.5, "-2.5"),
            (1.23456789e-300, "1.23456789e-300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        let t = ty("DOUBLE");
        for (v, want) in cases64 {
            let a = Float64Array::from(vec![v]);
            assert_eq!(text(&a, 0, &t).unwrap(), want);
            let back: f64 = decode(&a, 0, &t);
            assert!(back.to_bits() == v.to_bits() || (v.is_nan() && back.is_nan()));
        }
        let t = ty("FLOAT");
        for (v, want) in [(1e6f32, "1e+06"), (123_456.0, "123456"), (0.1, "0.1"), (33.333, "33.333"), (1.5e-5, "1.5e-05")] {
            assert_eq!(text(&Float32Array::from(vec![v]), 0, &t).unwrap(), want);
        }
    }

    #[test]
    fn dates_times_and_intervals_print_like_postgres() {
        let (types, batch) = page(
            &[
                ("d", json!({"type":"DATE","nullable":true})),
                ("t", json!({"type":"TIME_WITHOUT_TIME_ZONE","nullable":true,"precision":3})),
                ("ts", json!({"type":"TIMESTAMP_WITHOUT_TIME_ZONE","nullable":true,"precision":9})),
                ("ts6", json!({"type":"TIMESTAMP_WITHOUT_TIME_ZONE","nullable":true,"precision":6})),
                ("dt", json!({"type":"INTERVAL_DAY_TIME","nullable":true,"precision":2,"fractionalPrecision":3,"resolution":"DAY_TO_SECOND"})),
                ("ym", json!({"type":"INTERVAL_YEAR_MONTH","nullable":true,"precision":2,"resolution":"YEAR_TO_MONTH"})),
            ],
            vec![
                vec![json!("0001-01-01"), json!("12:34:56.5"), json!("1969-12-31T23:59:59.9999996"), json!("2024-01-02 03:04:05.000001"), json!(3 * 86_400_000 + 14_706_789), json!(14)],
                vec![json!("0000-12-31"), json!("00:00:00"), json!("2024-01-02T03:04:05.1234565"), json!("0000-01-01T00:00:00"), json!(-(3 * 86_400_000 + 14_706_789)), json!(-14)],
                vec![json!("+12345-01-01"), json!(null), json!(null), json!(null), json!(0), json!(1)],
                vec![json!(null), json!(null), json!(null), json!(null), json!(86_400_000), json!(12)],
                vec![json!(null), json!(null), json!(null), json!(null), json!(-1000), json!(0)],
            ],
        );
        let t = |c: usize, r: usize| text(batch.column(c).as_ref(), r, &types[c]);
        assert_eq!(t(0, 0).unwrap(), "0001-01-01");
        assert_eq!(t(0, 1).unwrap(), "0001-12-31 BC");
        assert_eq!(t(0, 2).unwrap(), "12345-01-01");
        assert_eq!(t(0, 3), None);
        assert_eq!(t(1, 0).unwrap(), "12:34:56.5");
        assert_eq!(t(1, 1).unwrap(), "00:00:00");
        assert_eq!(t(2, 0).unwrap(), "1970-01-01 00:00:00");
        assert_eq!(t(2, 1).unwrap(), "2024-01-02 03:04:05.123457");
        assert_eq!(t(3, 0).unwrap(), "2024-01-02 03:04:05.000001");
        assert_eq!(t(3, 1).unwrap(), "0001-01-01 00:00:00 BC");
        assert_eq!(t(4, 0).unwrap(), "3 days 04:05:06.789");
        assert_eq!(t(4, 1).unwrap(), "-3 days -04:05:06.789");
        assert_eq!(t(4, 2).unwrap(), "00:00:00");
        assert_eq!(t(4, 3).unwrap(), "1 day");
        assert_eq!(t(4, 4).unwrap(), "-00:00:01");
        assert_eq!(t(5, 0).unwrap(), "1 year 2 mons");
        assert_eq!(t(5, 1).unwrap(), "-1 years -2 mons");
        assert_eq!(t(5, 2).unwrap(), "1 mon");
        assert_eq!(t(5, 3).unwrap(), "1 year");
        assert_eq!(t(5, 4).unwrap(), "00:00:00");
        assert_eq!(decode::<NaiveDate>(batch.column(0).as_ref(), 0, &types[0]), NaiveDate::from_ymd_opt(1, 1, 1).unwrap());
        assert_eq!(
            decode::<NaiveTime>(batch.column(1).as_ref(), 0, &types[1]),
            NaiveTime::from_hms_milli_opt(12, 34, 56, 500).unwrap()
        );
        assert_eq!(
            decode::<NaiveDateTime>(batch.column(2).as_ref(), 0, &types[2]),
            NaiveDate::from_ymd_opt(1970, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
        );
        let columns = [col("ts", json!({"type":"TIMESTAMP_WITHOUT_TIME_ZONE","nullable":true,"precision":9}))];
        let err = rows_to_batch(&columns, &[row(RowKind::Insert, vec![json!("1500-01-01T00:00:00")])]).unwrap_err();
        assert!(err.to_string().contains("nanosecond range"), "{err}");
    }

    #[test]
    fn array_literals_quote_like_postgres() {
        let (types, batch) = page(
            &[("a", json!({"type":"ARRAY","nullable":true,"elementType":{"type":"VARCHAR","nullable":true,"length":2147483647}}))],
            vec![
                vec![json!(["a b", "x\"y", null, "", "NULL", "plain", "back\\slash", "{}", "a,b", "null"])],
                vec![json!([])],
                vec![json!(null)],
            ],
        );
        let a = batch.column(0).as_ref();
        assert_eq!(
            text(a, 0, &types[0]).unwrap(),
            r#"{"a b","x\"y",NULL,"","NULL",plain,"back\\slash","{}","a,b","null"}"#
        );
        assert_eq!(text(a, 1, &types[0]).unwrap(), "{}");
        assert_eq!(text(a, 2, &types[0]), None);
        let got: Vec<Option<String>> = decode(a, 0, &types[0]);
        assert_eq!(got[0].as_deref(), Some("a b"));
        assert_eq!(got[2], None);
        assert_eq!(got[6].as_deref(), Some("back\\slash"));
        let empty: Vec<String> = decode(a, 1, &types[0]);
        assert!(empty.is_empty());
        assert_eq!(decode::<Option<Vec<String>>>(a, 2, &types[0]), None);

        let (types, batch) = page(
            &[
                ("ts", json!({"type":"ARRAY","nullable":true,"elementType":{"type":"TIMESTAMP_WITHOUT_TIME_ZONE","nullable":true,"precision":3}})),
                ("b", json!({"type":"ARRAY","nullable":true,"elementType":{"type":"VARBINARY","nullable":true,"length":5}})),
                ("t", json!({"type":"ARRAY","nullable":true,"elementType":{"type":"TINYINT","nullable":true}})),
                ("d", json!({"type":"ARRAY","nullable":true,"elementType":{"type":"DECIMAL","nullable":true,"precision":5,"scale":2}})),
            ],
            vec![vec![json!(["2024-01-02T03:04:05", null]), json!(["AQI=", null]), json!([1, null, -3]), json!([1.5, null])]],
        );
        let c = |i: usize| batch.column(i).clone();
        assert_eq!(text(&c(0), 0, &types[0]).unwrap(), r#"{"2024-01-02 03:04:05",NULL}"#);
        assert_eq!(text(&c(1), 0, &types[1]).unwrap(), r#"{"\\x0102",NULL}"#);
        assert_eq!(text(&c(2), 0, &types[2]).unwrap(), "{1,NULL,-3}");
        assert_eq!(text(&c(3), 0, &types[3]).unwrap(), "{1.50,NULL}");
        assert_eq!(decode::<Vec<Option<Vec<u8>>>>(&c(1), 0, &types[1]), [Some(vec![1, 2]), None]);
        assert_eq!(decode::<Vec<Option<i16>>>(&c(2), 0, &types[2]), [Some(1), None, Some(-3)]);
        assert_eq!(
            decode::<Vec<Option<NaiveDateTime>>>(&c(0), 0, &types[0])[0],
            Some(NaiveDate::from_ymd_opt(2024, 1, 2).unwrap().and_hms_opt(3, 4, 5).unwrap())
        );
        let ds: Vec<Option<rust_decimal::Decimal>> = decode(&c(3), 0, &types[3]);
        assert_eq!(ds[0].map(|d| d.to_string()).as_deref(), Some("1.50"));
    }

    #[test]
    fn nested_values_are_json() {
        let (types, batch) = page(
            &[
                ("aa", json!({"type":"ARRAY","nullable":true,"elementType":{"type":"ARRAY","nullable":true,"elementType":{"type":"INTEGER","nullable":true}}})),
                ("mi", json!({"type":"MAP","nullable":true,"keyType":{"type":"INTEGER","nullable":false},"valueType":{"type":"VARCHAR","nullable":true,"length":3}})),
                ("ms", json!({"type":"MULTISET","nullable":true,"elementType":{"type":"VARCHAR","nullable":true,"length":2147483647}})),
                ("r", json!({"type":"ROW","nullable":true,"fields":[
                    {"name":"f","fieldType":{"type":"DOUBLE","nullable":true}},
                    {"name":"b","fieldType":{"type":"VARBINARY","nullable":true,"length":2147483647}},
                    {"name":"ts","fieldType":{"type":"TIMESTAMP_WITH_LOCAL_TIME_ZONE","nullable":true,"precision":3}},
                    {"name":"s","fieldType":{"type":"VARCHAR","nullable":true,"length":2147483647}},
                    {"name":"iv","fieldType":{"type":"INTERVAL_YEAR_MONTH","nullable":true,"precision":2,"resolution":"YEAR_TO_MONTH"}},
                    {"name":"n","fieldType":{"type":"ROW","nullable":true,"fields":[{"name":"x","fieldType":{"type":"INTEGER","nullable":false}}]}}]})),
                ("raw", json!({"type":"RAW","nullable":true,"class":"x","serializer":"y"})),
            ],
            vec![
                vec![
                    json!([[1, null], null, []]),
                    json!([{"key": 1, "value": "a"}, [2, null]]),
                    json!({"x": 2}),
                    json!({"f": "NaN", "b": "AQI=", "ts": "2024-01-02T03:04:05.5Z", "s": "q\"\n\u{1}é", "iv": 13, "n": null}),
                    json!({"k": [1, 2]}),
                ],
                vec![json!(null), json!(null), json!(null), json!(null), json!(null)],
            ],
        );
        let t = |c: usize, r: usize| text(batch.column(c).as_ref(), r, &types[c]);
        assert_eq!(t(0, 0).unwrap(), "[[1,null],null,[]]");
        assert_eq!(t(1, 0).unwrap(), r#"[{"key":1,"value":"a"},{"key":2,"value":null}]"#);
        assert_eq!(t(2, 0).unwrap(), r#"{"x":2}"#);
        let r = t(3, 0).unwrap();
        assert_eq!(
            r,
            r#"{"f":"NaN","b":"\\x0102","ts":"2024-01-02T03:04:05.5+00:00","s":"q\"\n\u0001é","iv":"1 year 1 mon","n":null}"#
        );
        let parsed: Value = serde_json::from_str(&r).unwrap();
        assert_eq!(parsed["s"], json!("q\"\n\u{1}é"));
        assert_eq!(t(4, 0).unwrap(), r#"{"k":[1,2]}"#);
        for (c, column_type) in types.iter().enumerate() {
            assert_eq!(t(c, 1), None);
            assert_eq!(pg_type(column_type).oid, 114);
            let binary = encode(batch.column(c).as_ref(), 0, column_type, Format::Binary).unwrap();
            assert_eq!(String::from_utf8(binary).unwrap(), t(c, 0).unwrap());
        }
    }

    #[test]
    fn row_encoder_writes_datarow_fields() {
        let (columns, rows) = transcript_page();
        let schema = ResultSchema::new(&columns).unwrap().with_op_column();
        let batch = both_paths(&schema, &rows).unwrap().batch;
        let types: Vec<DataType> = schema.columns().iter().map(|c| c.data_type.clone()).collect();
        let enc = RowEncoder::new(&types, &[Format::Text]).unwrap();
        let bound = enc.bind(&batch).unwrap();
        assert_eq!((bound.num_rows(), bound.num_columns()), (1, 16));
        let mut buf = BytesMut::new();
        bound.encode_row(0, &mut buf).unwrap();
        // op "+I", i "1", b "2", …
        assert_eq!(&buf[..14], &[0, 0, 0, 2, b'+', b'I', 0, 0, 0, 1, b'1', 0, 0, 0]);
        let mut fields = Vec::new();
        let mut rest = &buf[..];
        while !rest.is_empty() {
            let len = i32::from_be_bytes(rest[..4].try_into().unwrap());
            rest = &rest[4..];
            if len < 0 {
                fields.push(None);
            } else {
                fields.push(Some(std::str::from_utf8(&rest[..len as usize]).unwrap().to_owned()));
                rest = &rest[len as usize..];
            }
        }
        assert_eq!(fields.len(), 16);
        assert_eq!(fields[13], None);
        assert_eq!(fields[10].as_deref(), Some("{1,2,3}"));

        let mixed: Vec<Format> = (0..16).map(|i| if i % 2 == 0 { Format::Binary } else { Format::Text }).collect();
        let enc = RowEncoder::new(&types, &mixed).unwrap();
        assert_eq!(enc.columns()[1].format(), Format::Text);
        assert_eq!(enc.columns()[2].format(), Format::Binary);
        assert_eq!(enc.columns()[1].pg_type().oid, 23);
        enc.bind(&batch).unwrap().encode_row(0, &mut BytesMut::new()).unwrap();
        assert!(matches!(RowEncoder::new(&types, &[Format::Text, Format::Binary]), Err(EncodeError::FormatCount { .. })));
        let other = RowEncoder::new(&types[..2], &[]).unwrap();
        assert!(matches!(other.bind(&batch), Err(EncodeError::ColumnCount { .. })));
        let mut swapped = types.clone();
        swapped.swap(1, 3);
        let err = RowEncoder::new(&swapped, &[]).unwrap().bind(&batch).err().unwrap();
        assert_eq!(err.to_string(), "column 1: Arrow array of type Int32 cannot be encoded as Flink type CHAR(3) NOT NULL");
        let via_schema = schema.row_encoder(&[Format::Binary]).unwrap();
        assert_eq!(via_schema.columns().len(), 16);
    }

    #[test]
    fn rejects_mismatched_arrays() {
        let ints: ArrayRef = Arc::new(Int32Array::from(vec![1]));
        let err = ColumnEncoder::new(&ty("STRING"), Format::Text).bind(ints.as_ref()).err().unwrap();
        assert_eq!(err, EncodeError::ArrowType { expected: "STRING".into(), found: "Int32".into() });
        let strings = StringArray::from(vec!["x"]);
        assert!(ColumnEncoder::new(&ty("ARRAY<INT>"), Format::Text).bind(&strings).is_err());
        // The NULL type accepts any array: every value is NULL.
        assert_eq!(text(&strings, 0, &ty("NULL")), None);
        let list = ListArray::from_iter_primitive::<I32, _, _>(vec![Some(vec![Some(1)])]);
        assert!(ColumnEncoder::new(&ty("ARRAY<STRING>"), Format::Text).bind(&list).is_err());
    }

    #[test]
    fn encodes_every_json_page_of_the_transcript() {
        let Some(transcript) = crate::logical_type::tests::shared_file("transcripts-2.3.0.txt") else { return };
        let mut pages = 0;
        let mut rows = 0;
        let mut kinds = std::collections::HashSet::new();
        for (i, _) in transcript.match_indices("<<< HTTP 200") {
            let body = &transcript[i..];
            let Some(start) = body.find('\n') else { continue };
            let mut stream = serde_json::Deserializer::from_str(&body[start..]).into_iter::<crate::rest::FetchResultsResponse>();
            let Some(Ok(page)) = stream.next() else { continue };
            let Some(results) = page.results else { continue };
            if results.row_format != crate::rest::RowFormat::Json {
                continue;
            }
            let schema = ResultSchema::new(&results.columns).unwrap().with_op_column();
            let out = both_paths(&schema, &results.data).unwrap();
            kinds.extend(out.kinds.iter().copied());
            let types: Vec<DataType> = schema.columns().iter().map(|c| c.data_type.clone()).collect();
            for format in [Format::Text, Format::Binary] {
                let enc = RowEncoder::new(&types, &[format]).unwrap();
                let bound = enc.bind(&out.batch).unwrap();
                let mut buf = BytesMut::new();
                for r in 0..bound.num_rows() {
                    bound.encode_row(r, &mut buf).unwrap();
                }
            }
            pages += 1;
            rows += results.data.len();
        }
        assert!(pages > 20 && rows > 3000, "{pages} pages, {rows} rows");
        assert!(kinds.contains(&RowKind::UpdateBefore) && kinds.contains(&RowKind::UpdateAfter));
    }

    /// Rough throughput check: `cargo test -p flinkwire-protocol --release -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn throughput() {
        let (columns, page_rows) = transcript_page();
        let rows: Vec<_> = (0..100_000).map(|_| page_rows[0].clone()).collect();
        let started = std::time::Instant::now();
        let schema = ResultSchema::new(&columns).unwrap();
        let out = schema.batch(&rows).unwrap();
        let converted = started.elapsed();
        let types: Vec<DataType> = schema.columns().iter().map(|c| c.data_type.clone()).collect();
        for format in [Format::Text, Format::Binary] {
            let started = std::time::Instant::now();
            let enc = RowEncoder::new(&types, &[format]).unwrap();
            let bound = enc.bind(&out.batch).unwrap();
            let mut buf = BytesMut::with_capacity(1 << 20);
            for r in 0..bound.num_rows() {
                buf.clear();
                bound.encode_row(r, &mut buf).unwrap();
            }
            eprintln!("100k rows x 15 columns: JSON->Arrow {converted:?}, encode {format:?} {:?}", started.elapsed());
        }
    }

    #[test]
    fn encodes_changelog_of_the_transcript_stream() {
        // A few rows of the streaming GROUP BY in the transcript.
        let columns = vec![
            col("k", json!({"type":"INTEGER","nullable":true})),
            col("c", json!({"type":"BIGINT","nullable":false})),
        ];
        let rows = vec![
            row(RowKind::Insert, vec![json!(3), json!(1)]),
            row(RowKind::UpdateBefore, vec![json!(3), json!(1)]),
            row(RowKind::UpdateAfter, vec![json!(3), json!(2)]),
        ];
        let out = rows_to_batch(&columns, &rows).unwrap();
        assert_eq!(out.kinds[1].short_string(), "-U");
        assert_eq!(text(out.batch.column(1).as_ref(), 2, &ty("BIGINT NOT NULL")).unwrap(), "2");
    }
}
