//! Prepared-statement parameters bound from Arrow (DoPut of `CommandPreparedStatementQuery`).
//!
//! Flink SQL has no server-side parameters; the PostgreSQL front end inlines `$n` values as
//! literals through `flinkwire_protocol::params`, whose rules make injection impossible. Flight
//! SQL clients write `?` and bind typed Arrow values; each value is turned into the text form and
//! PostgreSQL type it stands for, then goes through exactly that path (`inline_question_marks`, or
//! `inline_params` for a statement written with `$n`). Nothing here builds SQL itself.

use arrow_array::{Array, RecordBatch};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_schema::DataType;
use flinkwire_protocol::params::{self, oid, ParamValue};
use tonic::Status;

use super::error;

/// One bound value: its PostgreSQL type and text (`None` = NULL).
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    oid: u32,
    text: Option<String>,
}

/// The PostgreSQL type an Arrow type's values are inlined as.
fn oid_of(ty: &DataType) -> Result<u32, Status> {
    Ok(match ty {
        DataType::Null => oid::UNSPECIFIED,
        DataType::Boolean => oid::BOOL,
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => oid::INT2,
        DataType::Int32 | DataType::UInt16 => oid::INT4,
        DataType::Int64 | DataType::UInt32 => oid::INT8,
        // Beyond BIGINT: an exact number.
        DataType::UInt64 | DataType::Decimal128(..) | DataType::Decimal256(..) => oid::NUMERIC,
        DataType::Float16 | DataType::Float32 => oid::FLOAT4,
        DataType::Float64 => oid::FLOAT8,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => oid::TEXT,
        DataType::Date32 | DataType::Date64 => oid::DATE,
        DataType::Time32(_) | DataType::Time64(_) => oid::TIME,
        DataType::Timestamp(_, None) => oid::TIMESTAMP,
        DataType::Timestamp(_, Some(_)) => oid::TIMESTAMPTZ,
        other => return Err(error::unsupported(format!("parameters of Arrow type {other} are not supported"))),
    })
}

/// Text forms PostgreSQL's input functions (and so the inliner) read: no `T` in timestamps.
fn format_options() -> FormatOptions<'static> {
    FormatOptions::new()
        .with_null("")
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f"))
        .with_timestamp_tz_format(Some("%Y-%m-%d %H:%M:%S%.f%:z"))
        .with_datetime_format(Some("%Y-%m-%d %H:%M:%S%.f"))
}

/// The parameter rows of a bound batch, each value typed by its column.
pub fn rows(batch: &RecordBatch) -> Result<Vec<Vec<Bound>>, Status> {
    let options = format_options();
    let mut columns = Vec::with_capacity(batch.num_columns());
    for column in batch.columns() {
        let formatter = ArrayFormatter::try_new(column.as_ref(), &options).map_err(|e| error::protocol(format!("parameter batch: {e}")))?;
        columns.push((oid_of(column.data_type())?, column, formatter));
    }
    let mut out = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let values = columns
            .iter()
            .map(|(oid, column, formatter)| Bound {
                oid: *oid,
                text: (!column.is_null(row)).then(|| formatter.value(row).to_string()),
            })
            .collect();
        out.push(values);
    }
    Ok(out)
}

/// `sql` with `values` inlined: `?` placeholders if it has any, else `$n` ones.
pub fn inline(sql: &str, values: &[Bound]) -> Result<String, Status> {
    let values: Vec<ParamValue<'_>> = values
        .iter()
        .map(|v| match &v.text {
            Some(text) => ParamValue::text(v.oid, text),
            None => ParamValue::null(v.oid),
        })
        .collect();
    let marks = params::question_marks(sql).map_err(|e| error::param_error(&e))?;
    let inlined = if marks.list.is_empty() { params::inline_params(sql, &values) } else { params::inline_question_marks(sql, &values) };
    inlined.map_err(|e| error::param_error(&e))
}

/// How many parameters `sql` takes.
pub fn count(sql: &str) -> Result<usize, Status> {
    let marks = params::question_marks(sql).map_err(|e| error::param_error(&e))?;
    if !marks.list.is_empty() {
        return Ok(marks.list.len());
    }
    Ok(params::placeholders(sql).map_err(|e| error::param_error(&e))?.max_index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use arrow_array::{Float64Array, Int64Array, StringArray, TimestampMicrosecondArray};
    use arrow_schema::{Field, Schema, TimeUnit};

    #[test]
    fn arrow_values_are_inlined_as_typed_literals() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Utf8, true),
            Field::new("c", DataType::Float64, true),
            Field::new("d", DataType::Timestamp(TimeUnit::Microsecond, None), true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![Some(5), None])),
                Arc::new(StringArray::from(vec![Some("it's'; DROP TABLE x --"), Some("b")])),
                Arc::new(Float64Array::from(vec![1.5, 2.0])),
                Arc::new(TimestampMicrosecondArray::from(vec![1_700_000_000_000_000, 0])),
            ],
        )
        .unwrap();
        let rows = rows(&batch).unwrap();
        assert_eq!(rows.len(), 2);
        let sql = inline("SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d = ?", &rows[0]).unwrap();
        assert_eq!(
            sql,
            "SELECT * FROM t WHERE a = 5 AND b = 'it''s''; DROP TABLE x --' AND c = CAST(1.5 AS DOUBLE) AND d = TIMESTAMP '2023-11-14 22:13:20.000000'"
        );
        let sql = inline("SELECT $1", &rows[1]).unwrap();
        assert_eq!(sql, "SELECT CAST(NULL AS BIGINT)");
        assert_eq!(count("SELECT ?, '?', ?").unwrap(), 2);
        assert_eq!(count("SELECT $2").unwrap(), 2);
    }
}
