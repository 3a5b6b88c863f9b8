//! Gateway JSON result rows → Arrow `RecordBatch`.
//!
//! A page's `columns` are parsed once into a [`ResultSchema`] (Flink types, Arrow schema and
//! PostgreSQL types side by side); [`ResultSchema::batch`] then turns each page's rows into one
//! batch, column by column, recursing into nested types.
//!
//! Value formats read (Flink's `RowDataToJsonConverters` with `TimestampFormat.ISO_8601`, as the
//! gateway's `ResultInfoSerializer` configures it; checked against a real 2.3.0 gateway):
//! - integers, FLOAT, DOUBLE, DECIMAL: JSON numbers (DECIMAL is a `BigDecimal`, possibly in
//!   exponent form such as `0E-10`); non-finite floats as the strings `"NaN"`, `"Infinity"`,
//!   `"-Infinity"`. Numeric strings are accepted too (PLAIN_TEXT pages).
//! - CHAR/VARCHAR: strings. BINARY/VARBINARY: base64 strings (`X'0102'` → `"AQI="`).
//! - DATE `"2024-01-02"`; TIME `"12:34:56"` (optional fraction); TIMESTAMP
//!   `"2024-01-02T03:04:05.123"` (a space instead of `T` is accepted); TIMESTAMP_LTZ
//!   `"1970-01-01T00:00:00Z"` (UTC; an explicit `±HH:MM` offset is honoured).
//! - INTERVAL YEAR TO MONTH: a number of months; INTERVAL DAY TO SECOND: a number of
//!   milliseconds.
//! - ARRAY: JSON array. ROW: object keyed by field name (a positional array is accepted too).
//! - MAP: object keyed by the key's string form (Flink only serialises string-keyed maps; other
//!   key types are parsed from the key string); an array of `{"key":…,"value":…}` objects or
//!   `[key, value]` pairs is accepted too. MULTISET: object element → count.
//! - RAW, VARIANT and unknown types: kept as their compact JSON text.
//!
//! The changelog kind of every row is kept: [`ResultBatch::kinds`] always, and optionally as a
//! leading `op` column (`+I`/`-U`/`+U`/`-D`, see [`ResultSchema::with_op_column`]) for clients that
//! should see a streaming query's changelog rather than only its inserts.
//!
//! DECIMAL values are read from the number's exact text: this crate enables serde_json's
//! `arbitrary_precision` so that `DECIMAL(38, 18)` survives the trip through `serde_json::Value`.
//!
//! Two inputs, one set of readers: [`ResultSchema::batch`] takes rows of `Value`s
//! ([`RowData`], flinkwire's own answers and the `table` mode), [`ResultSchema::raw_batch`] a
//! fetched page's field texts ([`RawRows`], the streaming path; see [`raw`] for how it avoids a
//! `Value` per field without reading anything differently).

mod raw;

use std::fmt::Write as _;
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, BooleanBuilder, PrimitiveBuilder, StringBuilder};
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type,
    Int64Type, Int8Type, IntervalDayTimeType, IntervalYearMonthType, Time64MicrosecondType,
    Time64NanosecondType, TimestampMicrosecondType, TimestampNanosecondType,
};
use arrow_array::{ArrayRef, ListArray, MapArray, NullArray, RecordBatch, RecordBatchOptions, StringArray, StructArray};
use arrow_buffer::{IntervalDayTime, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, DataType as ArrowType, Field, Schema, SchemaRef, TimeUnit};
use base64::Engine as _;
use serde_json::Value;
use thiserror::Error;

use crate::arrow_types::{map_entries_field, row_fields, time_unit, to_arrow, to_field, LIST_ITEM};
use crate::encode::calendar::days_from_civil;
use crate::encode::{EncodeError, Format, RowEncoder};
use crate::logical_type::{DataType, LogicalType, TypeError};
use crate::pg_types::{pg_type, PgType};
use crate::raw_page::RawRows;
use crate::rest::{ColumnInfo, RowData, RowKind};

/// Name of the optional changelog column.
pub const OP_COLUMN: &str = "op";

/// Errors turning a result page into Arrow. Each names the column (and the path inside a nested
/// value, e.g. `.address.zip` or `[]`) and the row, so a bad value can be found in the page.
#[derive(Debug, Error)]
pub enum ConvertError {
    #[error("column \"{column}\": {source}")]
    Type {
        column: String,
        #[source]
        source: TypeError,
    },
    #[error("row {row} has {found} fields but the result has {expected} columns")]
    FieldCount { row: usize, found: usize, expected: usize },
    #[error(transparent)]
    Value(Box<ValueError>),
    #[error("column \"{column}\"{path}, row {row}: NULL in a {expected} value")]
    UnexpectedNull { column: String, path: String, row: usize, expected: String },
    #[error("building the Arrow batch: {0}")]
    Arrow(#[from] ArrowError),
}

/// A value that could not be read as its column's type.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("column \"{column}\"{path}, row {row}: cannot read {found} as {expected}: {reason}")]
pub struct ValueError {
    pub column: String,
    /// Where inside a nested value: `.field`, `[]` (array element), `{key}`, `{value}`.
    pub path: String,
    pub row: usize,
    /// The Flink type expected.
    pub expected: String,
    /// The JSON found (shortened).
    pub found: String,
    pub reason: String,
}

/// One result column, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultColumn {
    pub name: String,
    pub data_type: DataType,
    /// What RowDescription announces for it.
    pub pg_type: PgType,
    pub comment: Option<String>,
}

/// The parsed schema of a result: build once per statement (columns do not change between pages)
/// and call [`ResultSchema::batch`] per page.
#[derive(Debug, Clone)]
pub struct ResultSchema {
    /// All columns in output order, including the `op` column when enabled.
    columns: Vec<ResultColumn>,
    arrow: SchemaRef,
    op_column: bool,
}

/// One page as Arrow, with the changelog kind of each row.
#[derive(Debug, Clone)]
pub struct ResultBatch {
    pub batch: RecordBatch,
    pub kinds: Vec<RowKind>,
}

impl ResultBatch {
    /// True when every row is an INSERT, i.e. the rows can be shown as a plain table.
    pub fn is_insert_only(&self) -> bool {
        self.kinds.iter().all(|k| *k == RowKind::Insert)
    }
}

impl ResultSchema {
    /// Parses the gateway's column descriptions.
    pub fn new(columns: &[ColumnInfo]) -> Result<Self, ConvertError> {
        let parsed = columns
            .iter()
            .map(|c| {
                let data_type = DataType::from_json(&c.logical_type)
                    .map_err(|source| ConvertError::Type { column: c.name.clone(), source })?;
                Ok(ResultColumn {
                    name: c.name.clone(),
                    pg_type: pg_type(&data_type),
                    data_type,
                    comment: c.comment.clone(),
                })
            })
            .collect::<Result<Vec<_>, ConvertError>>()?;
        Ok(Self::from_columns(parsed, false))
    }

    fn from_columns(columns: Vec<ResultColumn>, op_column: bool) -> Self {
        let arrow = Arc::new(Schema::new(
            columns.iter().map(|c| to_field(&c.name, &c.data_type)).collect::<Vec<Field>>(),
        ));
        Self { columns, arrow, op_column }
    }

    /// Adds a leading `op` column, `CHAR(2) NOT NULL` (PostgreSQL `bpchar(2)`), holding each
    /// row's changelog kind (`+I`, `-U`, `+U`, `-D`). Idempotent.
    pub fn with_op_column(self) -> Self {
        if self.op_column {
            return self;
        }
        let ty = DataType::not_null(LogicalType::Char { length: 2 });
        let mut columns = Vec::with_capacity(self.columns.len() + 1);
        columns.push(ResultColumn { name: OP_COLUMN.into(), pg_type: pg_type(&ty), data_type: ty, comment: None });
        columns.extend(self.columns);
        Self::from_columns(columns, true)
    }

    /// Whether the `op` column is present (as column 0).
    pub fn has_op_column(&self) -> bool {
        self.op_column
    }

    /// All output columns, `op` first when enabled.
    pub fn columns(&self) -> &[ResultColumn] {
        &self.columns
    }

    /// The Flink types of all output columns, in order.
    pub fn data_types(&self) -> Vec<DataType> {
        self.columns.iter().map(|c| c.data_type.clone()).collect()
    }

    /// An encoder for this schema's batches; `formats` follows Bind's rules (none → all text,
    /// one → all columns, else one per column).
    pub fn row_encoder(&self, formats: &[Format]) -> Result<RowEncoder, EncodeError> {
        RowEncoder::new(&self.data_types(), formats)
    }

    /// The Arrow schema of the batches.
    pub fn arrow_schema(&self) -> &SchemaRef {
        &self.arrow
    }

    /// Converts one page of rows.
    pub fn batch(&self, rows: &[RowData]) -> Result<ResultBatch, ConvertError> {
        self.check_field_counts(rows.iter().map(|r| r.fields.len()))?;
        let kinds = rows.iter().map(|r| r.kind).collect();
        let mut cells: Vec<Cell<'_>> = Vec::with_capacity(rows.len());
        self.assemble(kinds, |c, col, ctx| {
            cells.clear();
            cells.extend(rows.iter().enumerate().map(|(i, r)| (i, &r.fields[c])));
            build(&col.data_type, &cells, ctx)
        })
    }

    /// Converts one fetched page, reading each field from its JSON text (same values and errors
    /// as [`ResultSchema::batch`] on the parsed rows).
    pub fn raw_batch(&self, rows: &RawRows) -> Result<ResultBatch, ConvertError> {
        self.check_field_counts((0..rows.len()).map(|row| rows.row_len(row)))?;
        self.assemble(rows.kinds().to_vec(), |c, col, ctx| raw::raw_column(&col.data_type, rows, c, ctx))
    }

    fn check_field_counts(&self, counts: impl Iterator<Item = usize>) -> Result<(), ConvertError> {
        let expected = self.columns.len() - usize::from(self.op_column);
        for (row, found) in counts.enumerate() {
            if found != expected {
                return Err(ConvertError::FieldCount { row, found, expected });
            }
        }
        Ok(())
    }

    /// The batch of rows with these kinds: the `op` column if enabled, then `column(index, column,
    /// ctx)` for each data column.
    fn assemble(
        &self,
        kinds: Vec<RowKind>,
        mut column: impl FnMut(usize, &ResultColumn, &Ctx<'_>) -> Result<ArrayRef, ConvertError>,
    ) -> Result<ResultBatch, ConvertError> {
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.columns.len());
        if self.op_column {
            arrays.push(Arc::new(StringArray::from_iter_values(kinds.iter().map(|k| k.short_string()))));
        }
        for (c, col) in self.columns[usize::from(self.op_column)..].iter().enumerate() {
            let ctx = Ctx { column: &col.name, path: String::new() };
            arrays.push(column(c, col, &ctx)?);
        }
        let options = RecordBatchOptions::new().with_row_count(Some(kinds.len()));
        let batch = RecordBatch::try_new_with_options(self.arrow.clone(), arrays, &options)?;
        Ok(ResultBatch { batch, kinds })
    }
}

/// One-shot conversion of a page: parses `columns` and converts `rows` (no `op` column; the kinds
/// are in [`ResultBatch::kinds`]). Prefer a [`ResultSchema`] kept across pages.
pub fn rows_to_batch(columns: &[ColumnInfo], rows: &[RowData]) -> Result<ResultBatch, ConvertError> {
    ResultSchema::new(columns)?.batch(rows)
}

// ------------------------------------------------------------------------------------------------
// Column builders
// ------------------------------------------------------------------------------------------------

/// A value with the page row it belongs to (for error messages).
type Cell<'a> = (usize, &'a Value);

static NULL: Value = Value::Null;
/// Stands for the fields of a NULL row value: NULL there is not a NOT NULL violation.
static PARENT_NULL: Value = Value::Null;

struct Ctx<'a> {
    column: &'a str,
    path: String,
}

impl Ctx<'_> {
    fn child(&self, segment: &str) -> Ctx<'_> {
        Ctx { column: self.column, path: format!("{}{segment}", self.path) }
    }

    fn value_error(&self, ty: &DataType, row: usize, value: &Value, reason: impl Into<String>) -> ConvertError {
        let mut found = value.to_string();
        if found.len() > 100 {
            let mut end = 100;
            while !found.is_char_boundary(end) {
                end -= 1;
            }
            found.truncate(end);
            found.push('…');
        }
        ConvertError::Value(Box::new(ValueError {
            column: self.column.to_owned(),
            path: self.path.clone(),
            row,
            expected: ty.ty.to_string(),
            found,
            reason: reason.into(),
        }))
    }

    /// `Ok(true)` when `value` is NULL (and allowed to be).
    fn is_null(&self, ty: &DataType, row: usize, value: &Value) -> Result<bool, ConvertError> {
        if !value.is_null() {
            return Ok(false);
        }
        if ty.nullable || std::ptr::eq(value, &PARENT_NULL) {
            return Ok(true);
        }
        Err(ConvertError::UnexpectedNull {
            column: self.column.to_owned(),
            path: self.path.clone(),
            row,
            expected: ty.to_string(),
        })
    }
}

fn build(ty: &DataType, cells: &[Cell<'_>], ctx: &Ctx<'_>) -> Result<ArrayRef, ConvertError> {
    let mut text = String::new();
    match &ty.ty {
        LogicalType::Boolean => {
            let mut b = BooleanBuilder::with_capacity(cells.len());
            for &(row, v) in cells {
                if ctx.is_null(ty, row, v)? {
                    b.append_null();
                } else {
                    b.append_value(json_bool(v).map_err(|e| ctx.value_error(ty, row, v, e))?);
                }
            }
            Ok(Arc::new(b.finish()))
        }
        LogicalType::TinyInt => primitive::<Int8Type>(ty, cells, ctx, int_in_range),
        LogicalType::SmallInt => primitive::<Int16Type>(ty, cells, ctx, int_in_range),
        LogicalType::Integer => primitive::<Int32Type>(ty, cells, ctx, int_in_range),
        LogicalType::BigInt => primitive::<Int64Type>(ty, cells, ctx, json_i64),
        LogicalType::Float => primitive::<Float32Type>(ty, cells, ctx, json_f32),
        LogicalType::Double => primitive::<Float64Type>(ty, cells, ctx, json_f64),
        LogicalType::Decimal { .. } => {
            let arrow = to_arrow(ty);
            let ArrowType::Decimal128(precision, scale) = arrow else {
                unreachable!("DECIMAL maps to Decimal128")
            };
            let scale = scale as u8;
            primitive_typed::<Decimal128Type>(ty, cells, ctx, arrow, |v| json_decimal(v, precision, scale))
        }
        LogicalType::Char { .. } | LogicalType::VarChar { .. } => {
            let mut b = StringBuilder::with_capacity(cells.len(), cells.len() * 16);
            for &(row, v) in cells {
                if ctx.is_null(ty, row, v)? {
                    b.append_null();
                } else if let Value::String(s) = v {
                    b.append_value(s);
                } else {
                    // PLAIN_TEXT-like leniency: a scalar where a string was expected.
                    b.append_value(v.to_string());
                }
            }
            Ok(Arc::new(b.finish()))
        }
        LogicalType::Raw { .. } | LogicalType::Variant | LogicalType::Unknown(_) => {
            let mut b = StringBuilder::with_capacity(cells.len(), cells.len() * 16);
            for &(row, v) in cells {
                if ctx.is_null(ty, row, v)? {
                    b.append_null();
                } else {
                    text.clear();
                    let _ = write!(text, "{v}");
                    b.append_value(&text);
                }
            }
            Ok(Arc::new(b.finish()))
        }
        LogicalType::Binary { .. } | LogicalType::VarBinary { .. } => {
            let mut b = BinaryBuilder::with_capacity(cells.len(), cells.len() * 16);
            let mut bytes = Vec::new();
            for &(row, v) in cells {
                if ctx.is_null(ty, row, v)? {
                    b.append_null();
                    continue;
                }
                let Value::String(s) = v else {
                    return Err(ctx.value_error(ty, row, v, "expected a base64 string"));
                };
                bytes.clear();
                base64::engine::general_purpose::STANDARD
                    .decode_vec(s.as_bytes(), &mut bytes)
                    .map_err(|e| ctx.value_error(ty, row, v, e.to_string()))?;
                b.append_value(&bytes);
            }
            Ok(Arc::new(b.finish()))
        }
        LogicalType::Date => primitive::<Date32Type>(ty, cells, ctx, json_date),
        LogicalType::Time { precision } => match time_unit(*precision) {
            TimeUnit::Nanosecond => primitive::<Time64NanosecondType>(ty, cells, ctx, json_time_nanos),
            _ => primitive::<Time64MicrosecondType>(ty, cells, ctx, |v| json_time_nanos(v).map(|ns| ns / 1000)),
        },
        LogicalType::Timestamp { precision, .. }
        | LogicalType::TimestampLtz { precision, .. }
        | LogicalType::TimestampTz { precision } => {
            let arrow = to_arrow(ty);
            match time_unit(*precision) {
                TimeUnit::Nanosecond => primitive_typed::<TimestampNanosecondType>(ty, cells, ctx, arrow, |v| {
                    timestamp_nanos(json_timestamp(v)?)
                }),
                _ => primitive_typed::<TimestampMicrosecondType>(ty, cells, ctx, arrow, |v| {
                    timestamp_micros(json_timestamp(v)?)
                }),
            }
        }
        LogicalType::IntervalYearMonth { .. } => primitive::<IntervalYearMonthType>(ty, cells, ctx, int_in_range),
        LogicalType::IntervalDayTime { .. } => primitive::<IntervalDayTimeType>(ty, cells, ctx, |v| {
            let ms = json_i64(v)?;
            let days = i32::try_from(ms / 86_400_000).map_err(|_| "interval out of range".to_owned())?;
            Ok(IntervalDayTime::new(days, (ms % 86_400_000) as i32))
        }),
        LogicalType::Array(elem) => build_list(ty, elem, cells, ctx),
        LogicalType::Map { key, value } => build_map(ty, key, value, cells, ctx),
        LogicalType::Multiset(elem) => build_map(ty, elem, &DataType::not_null(LogicalType::Integer), cells, ctx),
        LogicalType::Row(fields) => build_struct(ty, fields, cells, ctx),
        LogicalType::Null => Ok(Arc::new(NullArray::new(cells.len()))),
    }
}

fn primitive<T: ArrowPrimitiveType>(
    ty: &DataType,
    cells: &[Cell<'_>],
    ctx: &Ctx<'_>,
    parse: impl FnMut(&Value) -> Result<T::Native, String>,
) -> Result<ArrayRef, ConvertError> {
    primitive_typed::<T>(ty, cells, ctx, T::DATA_TYPE, parse)
}

/// Like [`primitive`] with an explicit Arrow type (decimal precision/scale, time zone).
fn primitive_typed<T: ArrowPrimitiveType>(
    ty: &DataType,
    cells: &[Cell<'_>],
    ctx: &Ctx<'_>,
    arrow: ArrowType,
    mut parse: impl FnMut(&Value) -> Result<T::Native, String>,
) -> Result<ArrayRef, ConvertError> {
    let mut b = PrimitiveBuilder::<T>::with_capacity(cells.len()).with_data_type(arrow);
    for &(row, v) in cells {
        if ctx.is_null(ty, row, v)? {
            b.append_null();
        } else {
            b.append_value(parse(v).map_err(|e| ctx.value_error(ty, row, v, e))?);
        }
    }
    Ok(Arc::new(b.finish()))
}

fn offset(n: usize) -> Result<i32, ConvertError> {
    i32::try_from(n).map_err(|_| ArrowError::ComputeError("more than 2^31 nested values in one page".into()).into())
}

fn build_list(ty: &DataType, elem: &DataType, cells: &[Cell<'_>], ctx: &Ctx<'_>) -> Result<ArrayRef, ConvertError> {
    let mut offsets = Vec::with_capacity(cells.len() + 1);
    offsets.push(0i32);
    let mut validity = Vec::with_capacity(cells.len());
    let mut children: Vec<Cell<'_>> = Vec::new();
    for &(row, v) in cells {
        match v {
            Value::Array(items) => {
                children.extend(items.iter().map(|item| (row, item)));
                validity.push(true);
            }
            _ if ctx.is_null(ty, row, v)? => validity.push(false),
            _ => return Err(ctx.value_error(ty, row, v, "expected a JSON array")),
        }
        offsets.push(offset(children.len())?);
    }
    let values = build(elem, &children, &ctx.child("[]"))?;
    let list = ListArray::try_new(
        Arc::new(to_field(LIST_ITEM, elem)),
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        values,
        nulls(validity),
    )?;
    Ok(Arc::new(list))
}

fn build_map(
    ty: &DataType,
    key_ty: &DataType,
    value_ty: &DataType,
    cells: &[Cell<'_>],
    ctx: &Ctx<'_>,
) -> Result<ArrayRef, ConvertError> {
    let mut offsets = Vec::with_capacity(cells.len() + 1);
    offsets.push(0i32);
    let mut validity = Vec::with_capacity(cells.len());
    // Object keys are `String`s, not `Value`s: hold owned key values for the key column.
    let mut keys: Vec<(usize, Value)> = Vec::new();
    let mut values: Vec<Cell<'_>> = Vec::new();
    for &(row, v) in cells {
        match v {
            Value::Object(entries) => {
                for (k, val) in entries {
                    keys.push((row, Value::String(k.clone())));
                    values.push((row, val));
                }
                validity.push(true);
            }
            Value::Array(entries) => {
                for e in entries {
                    let (k, val) = match e {
                        Value::Object(o) if o.contains_key("key") => {
                            (o.get("key").unwrap_or(&NULL), o.get("value").unwrap_or(&NULL))
                        }
                        Value::Array(pair) if pair.len() == 2 => (&pair[0], &pair[1]),
                        _ => return Err(ctx.value_error(ty, row, v, "expected {\"key\", \"value\"} entries")),
                    };
                    keys.push((row, k.clone()));
                    values.push((row, val));
                }
                validity.push(true);
            }
            _ if ctx.is_null(ty, row, v)? => validity.push(false),
            _ => return Err(ctx.value_error(ty, row, v, "expected a JSON object")),
        }
        offsets.push(offset(keys.len())?);
    }
    let key_cells: Vec<Cell<'_>> = keys.iter().map(|(row, k)| (*row, k)).collect();
    // Arrow map keys cannot be NULL.
    let key_not_null = DataType::not_null(key_ty.ty.clone());
    let key_array = build(&key_not_null, &key_cells, &ctx.child("{key}"))?;
    let value_array = build(value_ty, &values, &ctx.child("{value}"))?;
    let entries_field = map_entries_field(key_ty, value_ty);
    let ArrowType::Struct(kv_fields) = entries_field.data_type().clone() else {
        unreachable!("map entries are a struct")
    };
    let entries = StructArray::try_new(kv_fields, vec![key_array, value_array], None)?;
    let map = MapArray::try_new(
        Arc::new(entries_field),
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        entries,
        nulls(validity),
        false,
    )?;
    Ok(Arc::new(map))
}

fn build_struct(
    ty: &DataType,
    fields: &[crate::logical_type::RowField],
    cells: &[Cell<'_>],
    ctx: &Ctx<'_>,
) -> Result<ArrayRef, ConvertError> {
    let mut validity = Vec::with_capacity(cells.len());
    let mut children: Vec<Vec<Cell<'_>>> = fields.iter().map(|_| Vec::with_capacity(cells.len())).collect();
    for &(row, v) in cells {
        match v {
            Value::Object(obj) => {
                for (f, child) in fields.iter().zip(children.iter_mut()) {
                    child.push((row, obj.get(&f.name).unwrap_or(&NULL)));
                }
                validity.push(true);
            }
            Value::Array(items) => {
                for (i, child) in children.iter_mut().enumerate() {
                    child.push((row, items.get(i).unwrap_or(&NULL)));
                }
                validity.push(true);
            }
            _ if ctx.is_null(ty, row, v)? => {
                for child in children.iter_mut() {
                    child.push((row, &PARENT_NULL));
                }
                validity.push(false);
            }
            _ => return Err(ctx.value_error(ty, row, v, "expected a JSON object")),
        }
    }
    let arrow_fields = row_fields(fields);
    let nulls = nulls(validity);
    if fields.is_empty() {
        return Ok(Arc::new(StructArray::new_empty_fields(cells.len(), nulls)));
    }
    let arrays = fields
        .iter()
        .zip(&children)
        .map(|(f, c)| build(&f.ty, c, &ctx.child(&format!(".{}", f.name))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Arc::new(StructArray::try_new(arrow_fields, arrays, nulls)?))
}

fn nulls(validity: Vec<bool>) -> Option<NullBuffer> {
    if validity.iter().all(|v| *v) {
        None
    } else {
        Some(NullBuffer::from(validity))
    }
}

// ------------------------------------------------------------------------------------------------
// Scalar parsers
// ------------------------------------------------------------------------------------------------

fn json_bool(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

fn json_i64(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n.as_i64().ok_or_else(|| "not a 64-bit integer".into()),
        Value::String(s) => s.trim().parse().map_err(|_| "not an integer".into()),
        _ => Err("expected a number".into()),
    }
}

fn int_in_range<T: TryFrom<i64>>(v: &Value) -> Result<T, String> {
    T::try_from(json_i64(v)?).map_err(|_| "out of range".into())
}

fn json_f32(v: &Value) -> Result<f32, String> {
    number_text(v)?.parse().map_err(|e: std::num::ParseFloatError| e.to_string())
}

fn json_f64(v: &Value) -> Result<f64, String> {
    number_text(v)?.parse().map_err(|e: std::num::ParseFloatError| e.to_string())
}

fn json_decimal(v: &Value, precision: u8, scale: u8) -> Result<i128, String> {
    parse_decimal(number_text(v)?, precision, scale)
}

fn json_date(v: &Value) -> Result<i32, String> {
    let s = v.as_str().ok_or("expected a date string")?;
    let days = parse_date(s).ok_or("expected YYYY-MM-DD")?;
    i32::try_from(days).map_err(|_| "date out of range".to_owned())
}

/// A TIME value in nanoseconds of the day.
fn json_time_nanos(v: &Value) -> Result<i64, String> {
    let s = v.as_str().ok_or("expected a time string")?;
    parse_time(s).map(|ns| ns as i64).ok_or_else(|| "expected HH:MM:SS[.fraction]".to_owned())
}

/// A TIMESTAMP value as (seconds since the epoch, nanoseconds).
fn json_timestamp(v: &Value) -> Result<(i64, u32), String> {
    let s = v.as_str().ok_or("expected a timestamp string")?;
    parse_timestamp(s).ok_or_else(|| "expected YYYY-MM-DDTHH:MM:SS[.fraction][Z]".to_owned())
}

fn timestamp_nanos((secs, nanos): (i64, u32)) -> Result<i64, String> {
    secs.checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(i64::from(nanos)))
        .ok_or_else(|| "outside the nanosecond range 1677-09-21..2262-04-11".to_owned())
}

fn timestamp_micros((secs, nanos): (i64, u32)) -> Result<i64, String> {
    secs.checked_mul(1_000_000)
        .and_then(|n| n.checked_add(i64::from(nanos / 1000)))
        .ok_or_else(|| "timestamp out of range".to_owned())
}

/// The text of a JSON number (exact with `arbitrary_precision`) or of a string.
fn number_text(v: &Value) -> Result<&str, String> {
    match v {
        Value::Number(n) => Ok(n.as_str()),
        Value::String(s) => Ok(s.trim()),
        _ => Err("expected a number".into()),
    }
}

/// Parses a decimal literal (`-12.345`, `1.2E+3`, `0E-10`) into an unscaled `i128` with `scale`
/// fractional digits, rounding half away from zero like Java's `HALF_UP`, and checks that it
/// fits `precision` digits.
pub(crate) fn parse_decimal(s: &str, precision: u8, scale: u8) -> Result<i128, String> {
    let bad = || format!("not a decimal number: {s}");
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], body[i + 1..].parse::<i32>().map_err(|_| bad())?),
        None => (body, 0),
    };
    let mut unscaled: i128 = 0;
    let mut frac_digits: i32 = 0;
    let mut seen_dot = false;
    let mut digits = 0;
    for c in mantissa.bytes() {
        match c {
            b'0'..=b'9' => {
                unscaled = unscaled
                    .checked_mul(10)
                    .and_then(|u| u.checked_add(i128::from(c - b'0')))
                    .ok_or_else(|| format!("too many digits: {s}"))?;
                digits += 1;
                if seen_dot {
                    frac_digits += 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return Err(bad()),
        }
    }
    if digits == 0 {
        return Err(bad());
    }
    // value = unscaled * 10^(exponent - frac_digits); we want value * 10^scale. In i64: an
    // exponent near i32::MAX/MIN overflowed i32 here (found by fuzzing, fuzz/fuzz_targets/
    // fetch_results.rs).
    let shift = i64::from(exponent) - i64::from(frac_digits) + i64::from(scale);
    let mut v = unscaled;
    // Zero stays zero: without this check `0E2000000000` multiplied 0 by 10 two billion times.
    if shift >= 0 && v != 0 {
        for _ in 0..shift {
            v = v.checked_mul(10).ok_or_else(|| format!("{s} does not fit DECIMAL({precision}, {scale})"))?;
        }
    } else {
        let mut remainder_half_up = false;
        for i in 0..(-shift) {
            if v == 0 {
                break;
            }
            let digit = v % 10;
            v /= 10;
            if i == -shift - 1 {
                remainder_half_up = digit >= 5;
            }
        }
        if remainder_half_up {
            v += 1;
        }
    }
    if v >= 10i128.pow(u32::from(precision.min(38))) {
        return Err(format!("{s} does not fit DECIMAL({precision}, {scale})"));
    }
    Ok(if negative { -v } else { v })
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [a @ b'0'..=b'9', c @ b'0'..=b'9'] => Some(u32::from(a - b'0') * 10 + u32::from(c - b'0')),
        _ => None,
    }
}

/// The largest year [`parse_date`] reads: beyond Arrow's Date32 (±5.8 million years), so every
/// representable date is read, and small enough that days and seconds stay far from overflow.
const MAX_YEAR: i64 = 9_999_999;

/// `[+-]YYYY-MM-DD` → days since 1970-01-01.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let (sign, body) = match s.as_bytes().first()? {
        b'-' => (-1, &s[1..]),
        b'+' => (1, &s[1..]),
        _ => (1, s),
    };
    let dash = body.find('-')?;
    // Years beyond MAX_YEAR fit no Arrow date or timestamp, and overflowed the day arithmetic
    // (`days_from_civil`, then `days * 86_400` for timestamps; found by fuzzing,
    // fuzz/fuzz_targets/fetch_results.rs).
    let year: i64 = body[..dash].parse().ok().filter(|y: &i64| dash >= 4 && y.abs() <= MAX_YEAR)?;
    let rest = &body.as_bytes()[dash..];
    if rest.len() != 6 || rest[0] != b'-' || rest[3] != b'-' {
        return None;
    }
    let month = two_digits(&rest[1..3])?;
    let day = two_digits(&rest[4..6])?;
    let year = sign * year;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `HH:MM[:SS[.fffffffff]]` → nanoseconds since midnight.
pub(crate) fn parse_time(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 5 || b[2] != b':' {
        return None;
    }
    let h = two_digits(&b[0..2])?;
    let m = two_digits(&b[3..5])?;
    let mut sec = 0;
    let mut nanos = 0u64;
    if b.len() > 5 {
        if b[5] != b':' || b.len() < 8 {
            return None;
        }
        sec = two_digits(&b[6..8])?;
        if b.len() > 8 {
            if b[8] != b'.' || b.len() == 9 || b.len() > 18 {
                return None;
            }
            let frac = &b[9..];
            for (i, d) in frac.iter().enumerate() {
                if !d.is_ascii_digit() {
                    return None;
                }
                nanos += u64::from(d - b'0') * 10u64.pow(8 - i as u32);
            }
        }
    }
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    Some((u64::from(h) * 3600 + u64::from(m) * 60 + u64::from(sec)) * 1_000_000_000 + nanos)
}

/// `DATE[T ]TIME[Z|±HH:MM]` → (seconds since the epoch, nanoseconds), in UTC when an offset is
/// given, as written otherwise.
pub(crate) fn parse_timestamp(s: &str) -> Option<(i64, u32)> {
    // The date may start with a sign; the separator is the first 'T' or ' ' after it.
    let sep = s.get(1..)?.find(['T', ' '])? + 1;
    let days = parse_date(&s[..sep])?;
    let time = &s[sep + 1..];
    let (time, offset_secs) = if let Some(t) = time.strip_suffix('Z') {
        (t, 0i64)
    } else if let Some(i) = time.find(['+', '-']) {
        let off = &time.as_bytes()[i + 1..];
        let (oh, om) = match off.len() {
            2 => (two_digits(off)?, 0),
            5 if off[2] == b':' => (two_digits(&off[..2])?, two_digits(&off[3..])?),
            4 => (two_digits(&off[..2])?, two_digits(&off[2..])?),
            _ => return None,
        };
        let secs = i64::from(oh * 3600 + om * 60);
        (&time[..i], if time.as_bytes()[i] == b'-' { -secs } else { secs })
    } else {
        (time, 0)
    };
    let nanos_of_day = parse_time(time)?;
    let secs = days * 86_400 + (nanos_of_day / 1_000_000_000) as i64 - offset_secs;
    Some((secs, (nanos_of_day % 1_000_000_000) as u32))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::Array;
    use serde_json::json;

    pub(crate) fn col(name: &str, ty: Value) -> ColumnInfo {
        ColumnInfo { name: name.into(), logical_type: ty, comment: None }
    }

    pub(crate) fn row(kind: RowKind, fields: Vec<Value>) -> RowData {
        RowData { kind, fields }
    }

    /// `schema.batch(rows)`, checked against the streaming path: the same rows serialised into a
    /// page body, read by `RawPage` and `raw_batch`, must give the same batch and kinds, or the
    /// same error. So every golden test below (and the encoder's) covers both decoders.
    pub(crate) fn both_paths(schema: &ResultSchema, rows: &[RowData]) -> Result<ResultBatch, ConvertError> {
        let by_value = schema.batch(rows);
        let body = json!({"resultType": "PAYLOAD", "results": {"columns": [], "data": rows}}).to_string();
        let page = crate::raw_page::RawPage::parse(body.clone().into_bytes()).expect("a page of serialised rows");
        let by_text = schema.raw_batch(&page.results.expect("the page has results").rows);
        match (&by_value, &by_text) {
            (Ok(v), Ok(t)) => assert_eq!((&v.batch, &v.kinds), (&t.batch, &t.kinds), "{body}"),
            (Err(v), Err(t)) => assert_eq!(v.to_string(), t.to_string(), "{body}"),
            (v, t) => panic!("the paths disagree on {body}: {:?} vs {:?}", v.as_ref().err(), t.as_ref().err()),
        }
        by_value
    }

    /// `super::rows_to_batch` through [`both_paths`], with and without the `op` column.
    pub(crate) fn rows_to_batch(columns: &[ColumnInfo], rows: &[RowData]) -> Result<ResultBatch, ConvertError> {
        let schema = ResultSchema::new(columns)?;
        let _ = both_paths(&schema.clone().with_op_column(), rows);
        both_paths(&schema, rows)
    }

    /// The typed-literal query of the transcript, its columns and its one row, copied inline so
    /// this test does not depend on the shared file.
    pub(crate) fn transcript_page() -> (Vec<ColumnInfo>, Vec<RowData>) {
        let columns = vec![
            col("i", json!({"type":"INTEGER","nullable":false})),
            col("b", json!({"type":"BIGINT","nullable":false})),
            col("s", json!({"type":"CHAR","nullable":false,"length":3})),
            col("flag", json!({"type":"BOOLEAN","nullable":false})),
            col("d", json!({"type":"DECIMAL","nullable":false,"precision":10,"scale":2})),
            col("dbl", json!({"type":"DOUBLE","nullable":false})),
            col("dt", json!({"type":"DATE","nullable":false})),
            col("ts", json!({"type":"TIMESTAMP_WITHOUT_TIME_ZONE","nullable":false,"precision":3})),
            col("ltz", json!({"type":"TIMESTAMP_WITH_LOCAL_TIME_ZONE","nullable":true,"precision":3})),
            col("arr", json!({"type":"ARRAY","nullable":false,"elementType":{"type":"INTEGER","nullable":false}})),
            col("m", json!({"type":"MAP","nullable":false,"keyType":{"type":"CHAR","nullable":false,"length":1},"valueType":{"type":"INTEGER","nullable":false}})),
            col("r", json!({"type":"ROW","nullable":false,"fields":[{"name":"EXPR$0","fieldType":{"type":"INTEGER","nullable":false}},{"name":"EXPR$1","fieldType":{"type":"CHAR","nullable":false,"length":1}}]})),
            col("n", json!({"type":"VARCHAR","nullable":true,"length":2147483647})),
            col("bin", json!({"type":"BINARY","nullable":false,"length":2})),
            col("tm", json!({"type":"TIME_WITHOUT_TIME_ZONE","nullable":false,"precision":0})),
        ];
        let data: Value = serde_json::from_str(
            r#"[1, 2, "abc", true, 3.14, 1.5, "2024-01-02", "2024-01-02T03:04:05.123", "1970-01-01T00:00:00Z", [1, 2, 3], {"k": 1}, {"EXPR$0": 1, "EXPR$1": "x"}, null, "AQI=", "12:34:56"]"#,
        )
        .unwrap();
        let Value::Array(fields) = data else { unreachable!() };
        (columns, vec![row(RowKind::Insert, fields)])
    }

    #[test]
    fn converts_the_transcript_row() {
        let (columns, rows) = transcript_page();
        let out = rows_to_batch(&columns, &rows).unwrap();
        let b = &out.batch;
        assert_eq!(b.num_rows(), 1);
        assert_eq!(b.column(0).as_primitive::<Int32Type>().value(0), 1);
        assert_eq!(b.column(1).as_primitive::<Int64Type>().value(0), 2);
        assert_eq!(b.column(2).as_string::<i32>().value(0), "abc");
        assert!(b.column(3).as_boolean().value(0));
        assert_eq!(b.column(4).as_primitive::<Decimal128Type>().value(0), 314);
        assert_eq!(b.column(5).as_primitive::<Float64Type>().value(0), 1.5);
        assert_eq!(b.column(6).as_primitive::<Date32Type>().value(0), 19724);
        assert_eq!(b.column(7).as_primitive::<TimestampMicrosecondType>().value(0), 1_704_164_645_123_000);
        assert_eq!(b.column(8).as_primitive::<TimestampMicrosecondType>().value(0), 0);
        assert_eq!(b.column(9).as_list::<i32>().value(0).as_primitive::<Int32Type>().values(), &[1, 2, 3]);
        let m = b.column(10).as_map();
        assert_eq!(m.keys().as_string::<i32>().value(0), "k");
        assert_eq!(m.values().as_primitive::<Int32Type>().value(0), 1);
        let r = b.column(11).as_struct();
        assert_eq!(r.column(1).as_string::<i32>().value(0), "x");
        assert!(b.column(12).is_null(0));
        assert_eq!(b.column(13).as_binary::<i32>().value(0), &[1, 2]);
        assert_eq!(b.column(14).as_primitive::<Time64MicrosecondType>().value(0), 45_296_000_000);
        assert!(out.is_insert_only());
    }

    #[test]
    fn converts_flink_test_resource_row() {
        let Some(text) = crate::logical_type::tests::shared_file("test-resources/result_info_json_format.txt") else {
            return;
        };
        let info: crate::rest::ResultInfo = serde_json::from_str(&text).unwrap();
        let out = rows_to_batch(&info.columns, &info.data).unwrap();
        let b = &out.batch;
        assert_eq!(b.num_columns(), 20);
        assert_eq!(b.column(1).as_primitive::<Int8Type>().value(0), 99);
        assert_eq!(b.column(5).as_primitive::<Float32Type>().value(0), 33.333f32);
        assert_eq!(b.column(8).as_primitive::<Decimal128Type>().value(0), 123_456_789);
        assert_eq!(b.column(13).as_primitive::<TimestampNanosecondType>().value(0), 655_906_363_123_456_789);
        assert_eq!(b.column(14).as_primitive::<TimestampNanosecondType>().value(0), 655_906_363_123_456_789);
        let ms = b.column(16).as_map();
        assert_eq!(ms.keys().as_string::<i32>().value(0), "element");
        assert_eq!(ms.values().as_primitive::<Int32Type>().value(0), 2);
        assert_eq!(b.column(18).as_primitive::<IntervalDayTimeType>().value(0), IntervalDayTime::new(0, 123));
        assert_eq!(b.column(19).as_primitive::<IntervalYearMonthType>().value(0), 123);
    }

    #[test]
    fn keeps_changelog_kinds_and_op_column() {
        let columns = vec![col("k", json!({"type":"INTEGER","nullable":true}))];
        let rows = vec![
            row(RowKind::Insert, vec![json!(1)]),
            row(RowKind::UpdateBefore, vec![json!(1)]),
            row(RowKind::UpdateAfter, vec![json!(2)]),
            row(RowKind::Delete, vec![json!(null)]),
        ];
        let schema = ResultSchema::new(&columns).unwrap().with_op_column();
        assert_eq!(schema.columns()[0].name, "op");
        assert_eq!(schema.columns()[0].pg_type.oid, 1042);
        let out = both_paths(&schema, &rows).unwrap();
        assert_eq!(out.kinds, [RowKind::Insert, RowKind::UpdateBefore, RowKind::UpdateAfter, RowKind::Delete]);
        let ops: Vec<&str> = out.batch.column(0).as_string::<i32>().iter().flatten().collect();
        assert_eq!(ops, ["+I", "-U", "+U", "-D"]);
        assert!(!out.is_insert_only());
        assert!(out.batch.column(1).is_null(3));
    }

    #[test]
    fn converts_nested_types_with_nulls() {
        let columns = vec![
            col("people", json!({"type":"ARRAY","nullable":true,"elementType":{"type":"ROW","nullable":true,"fields":[
                {"name":"name","fieldType":{"type":"VARCHAR","nullable":false,"length":10}},
                {"name":"tags","fieldType":{"type":"ARRAY","nullable":true,"elementType":{"type":"VARCHAR","nullable":true,"length":2147483647}}}]}})),
            col("m", json!({"type":"MAP","nullable":true,"keyType":{"type":"VARCHAR","nullable":false,"length":2147483647},
                "valueType":{"type":"ARRAY","nullable":true,"elementType":{"type":"BIGINT","nullable":true}}})),
            col("null_typed", json!({"type":"NULL"})),
            col("raw", json!({"type":"RAW","nullable":true,"class":"x.Y","serializer":"AA=="})),
        ];
        let rows = vec![
            row(RowKind::Insert, vec![
                json!([{"name": "ann", "tags": ["a", null]}, null, {"name": "bob", "tags": null}]),
                json!({"x": [1, null], "y": null, "z": []}),
                json!(null),
                json!({"any": [1, "json"]}),
            ]),
            row(RowKind::Insert, vec![json!(null), json!(null), json!(null), json!(null)]),
            row(RowKind::Insert, vec![json!([]), json!({}), json!(null), json!("s")]),
        ];
        let out = rows_to_batch(&columns, &rows).unwrap();
        let b = &out.batch;
        let people = b.column(0).as_list::<i32>();
        assert!(people.is_null(1));
        assert_eq!(people.value_length(0), 3);
        let structs = people.values().as_struct();
        assert!(structs.is_null(1));
        assert_eq!(structs.column(0).as_string::<i32>().value(2), "bob");
        let tags = structs.column(1).as_list::<i32>();
        assert!(tags.values().is_null(1));
        assert!(tags.is_null(2));
        let m = b.column(1).as_map();
        assert_eq!(m.value_length(0), 3);
        assert!(m.is_null(1));
        assert_eq!(m.value_length(2), 0);
        assert_eq!(b.column(2).logical_null_count(), 3);
        assert_eq!(b.column(3).as_string::<i32>().value(0), r#"{"any":[1,"json"]}"#);
        assert_eq!(b.column(3).as_string::<i32>().value(2), r#""s""#);
        assert!(b.column(3).is_null(1));
    }

    #[test]
    fn reports_column_row_and_value() {
        let columns = vec![
            col("a", json!({"type":"INTEGER","nullable":true})),
            col("r", json!({"type":"ROW","nullable":true,"fields":[{"name":"x","fieldType":{"type":"DATE","nullable":false}}]})),
        ];
        let err = rows_to_batch(&columns, &[row(RowKind::Insert, vec![json!(1), json!({"x": "2024-13-01"})])]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("column \"r\".x, row 0") && msg.contains("2024-13-01"), "{msg}");

        let err = rows_to_batch(&columns, &[row(RowKind::Insert, vec![json!(1), json!({"x": null})])]).unwrap_err();
        assert!(matches!(err, ConvertError::UnexpectedNull { .. }), "{err}");
        // NULL row: its NOT NULL field may be NULL.
        rows_to_batch(&columns, &[row(RowKind::Insert, vec![json!(1), json!(null)])]).unwrap();

        let err = rows_to_batch(&columns, &[row(RowKind::Insert, vec![json!(1e10), json!(null)])]).unwrap_err();
        assert!(err.to_string().contains("column \"a\", row 0"), "{err}");
        let err = rows_to_batch(&columns, &[row(RowKind::Insert, vec![json!(1)])]).unwrap_err();
        assert!(matches!(err, ConvertError::FieldCount { row: 0, found: 1, expected: 2 }));
        let err = ResultSchema::new(&[col("bad", json!({"type":"DECIMAL"}))]).unwrap_err();
        assert!(err.to_string().contains("bad"));
    }

    #[test]
    fn parses_scalars() {
        assert_eq!(parse_decimal("3.14", 10, 2), Ok(314));
        assert_eq!(parse_decimal("-3.145", 10, 2), Ok(-315));
        assert_eq!(parse_decimal("0E-10", 38, 10), Ok(0));
        assert_eq!(parse_decimal("1.2E+3", 10, 1), Ok(12000));
        assert_eq!(parse_decimal("12345678901234567890.123456789012345678", 38, 18), Ok(12345678901234567890123456789012345678));
        assert!(parse_decimal("1000", 3, 0).is_err());
        assert!(parse_decimal("1.2.3", 3, 0).is_err());
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-01-01"), Some(10957));
        assert_eq!(parse_date("2024-02-29"), Some(19782));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("-0001-01-01").map(|d| d < 0), Some(true));
        assert_eq!(parse_time("12:34:56"), Some(45_296_000_000_000));
        assert_eq!(parse_time("12:34:56.5"), Some(45_296_500_000_000));
        assert_eq!(parse_time("00:00"), Some(0));
        assert_eq!(parse_time("24:00:00"), None);
        assert_eq!(parse_timestamp("1970-01-01T00:00:01.000000001Z"), Some((1, 1)));
        assert_eq!(parse_timestamp("1970-01-01 01:00:00+01:00"), Some((0, 0)));
        assert_eq!(parse_timestamp("1969-12-31T23:59:59.5"), Some((-1, 500_000_000)));
        assert_eq!(parse_timestamp("1970-01-01T00:00"), Some((0, 0)));
        assert_eq!(parse_timestamp("garbage"), None);
    }

    /// Crash inputs found by fuzzing (fuzz/fuzz_targets/fetch_results.rs): overflow panics in
    /// debug builds (silently wrong values in release) and a two-billion-step loop.
    #[test]
    fn extreme_exponents_and_years() {
        assert!(parse_decimal("0e2147483647", 10, 2) == Ok(0));
        assert!(parse_decimal("1e2147483647", 10, 2).is_err());
        assert_eq!(parse_decimal("1e-2147483648", 10, 2), Ok(0));
        assert_eq!(parse_decimal("0E2000000000", 38, 0), Ok(0));
        assert_eq!(parse_decimal("-5e-1", 10, 0), Ok(-1));
        assert_eq!(parse_date("100000000000000000-01-01"), None);
        assert_eq!(parse_date("-100000000000000000-01-01"), None);
        assert_eq!(parse_date("9999999-12-31").map(|d| d > 0), Some(true));
        assert_eq!(parse_timestamp("100000000000000-01-01T00:00:00"), None);
        let columns = vec![
            col("d", json!({"type":"DATE","nullable":true})),
            col("n", json!({"type":"DECIMAL","nullable":true,"precision":10,"scale":2})),
        ];
        let rows: Vec<RowData> =
            serde_json::from_str(r#"[{"kind":"INSERT","fields":["100000000000000000-01-01", "0e2147483647"]}]"#).unwrap();
        assert!(rows_to_batch(&columns, &rows).is_err());
    }

    /// Every Flink type the value decoder reads, each with a NULL row, through both decoders
    /// (`both_paths`), in every changelog kind; DECIMAL(38, s) digit for digit on the text path.
    #[test]
    fn text_path_reads_every_type_like_the_value_path() {
        let columns = vec![
            col("d38", json!({"type":"DECIMAL","nullable":true,"precision":38,"scale":18})),
            col("d38_0", json!({"type":"DECIMAL","nullable":true,"precision":38,"scale":0})),
            col("d38_38", json!({"type":"DECIMAL","nullable":true,"precision":38,"scale":38})),
            col("ltz3", json!({"type":"TIMESTAMP_WITH_LOCAL_TIME_ZONE","nullable":true,"precision":3})),
            col("ltz9", json!({"type":"TIMESTAMP_WITH_LOCAL_TIME_ZONE","nullable":true,"precision":9})),
            col("ts9", json!({"type":"TIMESTAMP_WITHOUT_TIME_ZONE","nullable":true,"precision":9})),
            col("t3", json!({"type":"TIME_WITHOUT_TIME_ZONE","nullable":true,"precision":3})),
            col("dt", json!({"type":"DATE","nullable":true})),
            col("ti", json!({"type":"TINYINT","nullable":true})),
            col("si", json!({"type":"SMALLINT","nullable":true})),
            col("f", json!({"type":"FLOAT","nullable":true})),
            col("vb", json!({"type":"VARBINARY","nullable":true,"length":10})),
            col("ym", json!({"type":"INTERVAL_YEAR_MONTH","nullable":true,"precision":2,"resolution":"YEAR_TO_MONTH"})),
            col("arr", json!({"type":"ARRAY","nullable":true,"elementType":{"type":"DECIMAL","nullable":true,"precision":38,"scale":2}})),
            col("m", json!({"type":"MAP","nullable":true,"keyType":{"type":"INTEGER","nullable":false},"valueType":{"type":"VARCHAR","nullable":true,"length":5}})),
            col("ms", json!({"type":"MULTISET","nullable":true,"elementType":{"type":"VARCHAR","nullable":true,"length":5}})),
            col("r", json!({"type":"ROW","nullable":true,"fields":[
                {"name":"a","fieldType":{"type":"TIMESTAMP_WITH_LOCAL_TIME_ZONE","nullable":false,"precision":6}},
                {"name":"b","fieldType":{"type":"ROW","nullable":true,"fields":[{"name":"c","fieldType":{"type":"BIGINT","nullable":true}}]}}]})),
            col("raw", json!({"type":"RAW","nullable":true,"class":"x.Y","serializer":"AA=="})),
            col("n", json!({"type":"NULL"})),
        ];
        // Text, not `json!`: the DECIMAL numbers must reach the decoders with all their digits.
        let text = r#"[
            [-99999999999999999999.999999999999999999, 99999999999999999999999999999999999999,
             0.00000000000000000000000000000000000001, "1970-01-01T00:00:00Z", "2024-01-02T03:04:05.123456789Z",
             "2024-01-02T03:04:05.123456789", "12:34:56.789", "2024-02-29", -128, 32767, 3.4028235e38, "AQID", 27,
             [1.5, null], {"1": "a", "2": null}, {"x": 2}, {"a": "2024-01-02T03:04:05.123456Z", "b": {"c": 9}},
             {"any": [1]}, null],
            [null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null]
        ]"#;
        let Value::Array(rows) = serde_json::from_str::<Value>(text).unwrap() else { unreachable!() };
        let kinds = [RowKind::Insert, RowKind::UpdateBefore, RowKind::UpdateAfter, RowKind::Delete];
        let rows: Vec<RowData> = kinds
            .iter()
            .flat_map(|k| rows.iter().map(move |r| row(*k, r.as_array().unwrap().clone())))
            .collect();
        let schema = ResultSchema::new(&columns).unwrap();
        let out = both_paths(&schema, &rows).unwrap();
        let with_op = both_paths(&schema.clone().with_op_column(), &rows).unwrap();
        assert_eq!(with_op.batch.num_columns(), columns.len() + 1);
        assert_eq!(out.kinds.len(), 8);
        assert_eq!(out.kinds[7], RowKind::Delete);
        let d = out.batch.column(0).as_primitive::<Decimal128Type>();
        assert_eq!(d.value(0), -99999999999999999999999999999999999999);
        assert_eq!(out.batch.column(1).as_primitive::<Decimal128Type>().value(0), 99999999999999999999999999999999999999);
        assert_eq!(out.batch.column(2).as_primitive::<Decimal128Type>().value(0), 1);
        assert_eq!(out.batch.column(4).as_primitive::<TimestampNanosecondType>().value(0), 1_704_164_645_123_456_789);
        for c in 0..columns.len() {
            assert!(out.batch.column(c).logical_nulls().is_some_and(|n| n.is_null(1)), "column {c}");
        }
    }

    #[test]
    fn decimal_keeps_38_digits() {
        let columns = vec![col("d", json!({"type":"DECIMAL","nullable":true,"precision":38,"scale":18}))];
        let rows: Vec<RowData> = serde_json::from_str(r#"[{"kind":"INSERT","fields":[12345678901234567890.123456789012345678]}]"#).unwrap();
        let out = rows_to_batch(&columns, &rows).unwrap();
        assert_eq!(out.batch.column(0).as_primitive::<Decimal128Type>().value(0), 12345678901234567890123456789012345678);
    }
}
