//! DataFusion's Arrow answers → the gateway's JSON shape (Flink logical types + JSON values), so
//! they are typed and encoded by the same code as Flink's results.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use flinkwire_protocol::rest::{ColumnInfo, RowData, RowKind};
use serde_json::{json, Value};

use super::Answer;

const MAX_LENGTH: u64 = 2147483647;

/// The Flink logical type (gateway JSON) presenting an Arrow type.
fn logical_type(ty: &DataType) -> Value {
    match ty {
        DataType::Boolean => json!({"type": "BOOLEAN", "nullable": true}),
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => json!({"type": "SMALLINT", "nullable": true}),
        DataType::Int32 | DataType::UInt16 => json!({"type": "INTEGER", "nullable": true}),
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => json!({"type": "BIGINT", "nullable": true}),
        DataType::Float16 | DataType::Float32 => json!({"type": "FLOAT", "nullable": true}),
        DataType::Float64 => json!({"type": "DOUBLE", "nullable": true}),
        // `timestamptz` columns (pg_stat_activity's times).
        DataType::Timestamp(_, Some(_)) => {
            json!({"type": "TIMESTAMP_WITH_LOCAL_TIME_ZONE", "nullable": true, "precision": 6})
        }
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            json!({"type": "ARRAY", "nullable": true, "elementType": logical_type(f.data_type())})
        }
        // Strings, and everything else as its text form.
        _ => json!({"type": "VARCHAR", "nullable": true, "length": MAX_LENGTH}),
    }
}

/// One value of `array` at `row` as the gateway would send it.
fn value(array: &ArrayRef, row: usize) -> Result<Value, String> {
    // `is_null` looks at the null buffer only; a NullArray (`SELECT NULL AS x`) has none.
    if array.is_null(row) || array.logical_nulls().is_some_and(|n| n.is_null(row)) {
        return Ok(Value::Null);
    }
    let err = |e: datafusion::arrow::error::ArrowError| e.to_string();
    Ok(match array.data_type() {
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 | DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            let ints = cast(&array.slice(row, 1), &DataType::Int64).map_err(err)?;
            json!(ints.as_primitive::<datafusion::arrow::datatypes::Int64Type>().value(0))
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let floats = cast(&array.slice(row, 1), &DataType::Float64).map_err(err)?;
            json!(floats.as_primitive::<datafusion::arrow::datatypes::Float64Type>().value(0))
        }
        DataType::Timestamp(_, Some(_)) => {
            let micros = cast(
                &array.slice(row, 1),
                &DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, None),
            )
            .map_err(err)?;
            let micros = micros
                .as_primitive::<datafusion::arrow::datatypes::TimestampMicrosecondType>()
                .value(0);
            let at = chrono::DateTime::from_timestamp_micros(micros)
                .ok_or_else(|| format!("timestamp out of range: {micros} µs"))?;
            // The gateway's form of a TIMESTAMP_LTZ instant.
            Value::String(at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
        }
        DataType::List(_) => list(array.as_list::<i32>().value(row))?,
        DataType::LargeList(_) => list(array.as_list::<i64>().value(row))?,
        DataType::FixedSizeList(_, _) => list(array.as_fixed_size_list().value(row))?,
        _ => {
            let formatter = ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default()).map_err(err)?;
            Value::String(formatter.value(row).to_string())
        }
    })
}

fn list(items: ArrayRef) -> Result<Value, String> {
    (0..items.len()).map(|i| value(&items, i)).collect::<Result<Vec<_>, _>>().map(Value::Array)
}

/// Columns and rows of a DataFusion answer.
pub fn answer(schema: &Schema, batches: &[RecordBatch]) -> Result<Answer, String> {
    let columns = schema
        .fields()
        .iter()
        .map(|f| ColumnInfo { name: f.name().clone(), logical_type: logical_type(f.data_type()), comment: None })
        .collect();
    let mut rows = Vec::new();
    for batch in batches {
        for row in 0..batch.num_rows() {
            let fields = batch.columns().iter().map(|c| value(c, row)).collect::<Result<Vec<_>, _>>()?;
            rows.push(RowData { kind: RowKind::Insert, fields });
        }
    }
    Ok(Answer { columns, rows })
}
