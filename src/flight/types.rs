//! The Arrow types Flight SQL clients get: the JSON → Arrow decoder's (`protocol/src/arrow_types.rs`,
//! documented per Flink type in docs/flight-sql.md), with one change. `INTERVAL DAY TO SECOND` is
//! decoded as `Interval(DayTime)` (what the PostgreSQL encoder reads), which pyarrow, pandas and
//! ADBC's drivers cannot convert; `Interval(MonthDayNano)` is the interval type they all read,
//! and it holds every DayTime value exactly.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Fields, IntervalUnit, Schema, SchemaRef};

/// The type a Flight SQL client gets for `ty`.
fn flight_type(ty: &DataType) -> DataType {
    match ty {
        DataType::Interval(IntervalUnit::DayTime) => DataType::Interval(IntervalUnit::MonthDayNano),
        DataType::List(item) => DataType::List(Arc::new(flight_field(item))),
        DataType::Struct(fields) => DataType::Struct(flight_fields(fields)),
        DataType::Map(entries, sorted) => DataType::Map(Arc::new(flight_field(entries)), *sorted),
        other => other.clone(),
    }
}

fn flight_field(field: &Field) -> Field {
    field.clone().with_data_type(flight_type(field.data_type()))
}

fn flight_fields(fields: &Fields) -> Fields {
    fields.iter().map(|f| flight_field(f)).collect()
}

/// The schema a Flight SQL client gets for `schema`.
pub fn flight_schema(schema: &Schema) -> SchemaRef {
    Arc::new(Schema::new_with_metadata(flight_fields(schema.fields()), schema.metadata().clone()))
}

/// `batch` in the types of [`flight_schema`] (`target`); untouched when nothing changes, which is
/// every result without intervals.
pub fn flight_batch(batch: RecordBatch, target: &SchemaRef) -> Result<RecordBatch, ArrowError> {
    if batch.schema().fields() == target.fields() {
        return Ok(batch);
    }
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .zip(target.fields())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(column.clone())
            } else {
                arrow_cast::cast(column, field.data_type())
            }
        })
        .collect::<Result<_, _>>()?;
    RecordBatch::try_new(target.clone(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::types::IntervalDayTime;
    use arrow_array::{Array, IntervalDayTimeArray, IntervalMonthDayNanoArray, ListArray};

    #[test]
    fn day_time_intervals_become_month_day_nano_exactly() {
        let schema = Arc::new(Schema::new(vec![Field::new("i", DataType::Interval(IntervalUnit::DayTime), true)]));
        let values = IntervalDayTimeArray::from(vec![Some(IntervalDayTime::new(3, 1500)), None]);
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(values)]).unwrap();
        let target = flight_schema(&schema);
        let out = flight_batch(batch, &target).unwrap();
        let col = out.column(0).as_any().downcast_ref::<IntervalMonthDayNanoArray>().unwrap();
        let v = col.value(0);
        assert_eq!((v.months, v.days, v.nanoseconds), (0, 3, 1_500_000_000));
        assert!(col.is_null(1));
    }

    #[test]
    fn nested_intervals_and_other_types() {
        let item = Arc::new(Field::new("item", DataType::Interval(IntervalUnit::DayTime), true));
        let schema = Schema::new(vec![Field::new("l", DataType::List(item), true), Field::new("n", DataType::Int32, false)]);
        let target = flight_schema(&schema);
        let DataType::List(item) = target.field(0).data_type() else { panic!() };
        assert_eq!(item.data_type(), &DataType::Interval(IntervalUnit::MonthDayNano));
        assert_eq!(target.field(1), schema.field(1));
        let _ = ListArray::new_null(Arc::new(Field::new("item", DataType::Int32, true)), 1);
    }
}
