//! Flink type → Arrow type.
//!
//! Result pages are turned into Arrow `RecordBatch`es ([`crate::json_arrow`]) so the rest of the
//! server works on typed columns. The mapping keeps every Flink value exactly:
//!
//! | Flink | Arrow |
//! |---|---|
//! | BOOLEAN | Boolean |
//! | TINYINT / SMALLINT / INT / BIGINT | Int8 / Int16 / Int32 / Int64 |
//! | FLOAT / DOUBLE | Float32 / Float64 |
//! | DECIMAL(p, s) | Decimal128(p, s) (Flink's maximum precision is 38, Arrow's too) |
//! | CHAR / VARCHAR / STRING | Utf8 |
//! | BINARY / VARBINARY / BYTES | Binary |
//! | DATE | Date32 |
//! | TIME(p) | Time64(µs) for p ≤ 6, Time64(ns) for p > 6 |
//! | TIMESTAMP(p) | Timestamp(µs, None) for p ≤ 6, Timestamp(ns, None) for p > 6 |
//! | TIMESTAMP_LTZ(p), TIMESTAMP(p) WITH TIME ZONE | Timestamp(µs or ns, "UTC") — the gateway sends instants in UTC |
//! | INTERVAL YEAR TO MONTH (months) | Interval(YearMonth) |
//! | INTERVAL DAY TO SECOND (milliseconds) | Interval(DayTime): days + milliseconds, split the way Flink prints it (`+3 04:05:06.789`) |
//! | ARRAY<T> | List(item: T) |
//! | MAP<K, V> | Map(entries: Struct(key: K not null, value: V)) |
//! | MULTISET<T> | Map(entries: Struct(key: T not null, value: Int32 not null)) — element → count, as Flink's JSON has it |
//! | ROW<…> | Struct(…) |
//! | NULL | Null |
//! | RAW, VARIANT, unknown roots | Utf8 holding the value's JSON text |
//!
//! Nanosecond timestamps only cover 1677–2262 in Arrow, so precision 7–9 values outside that
//! range fail conversion with a clear error rather than wrapping; µs covers ±290 000 years.
//! Nullability is kept on every field (a MAP key is always non-null in Arrow).

use std::sync::Arc;

use arrow_schema::{DataType as ArrowType, Field, Fields, IntervalUnit, Schema, TimeUnit};

use crate::logical_type::{DataType, LogicalType};

/// Name of a list's item field.
pub const LIST_ITEM: &str = "item";
/// Names of a map's entries struct and its two fields.
pub const MAP_ENTRIES: &str = "entries";
pub const MAP_KEY: &str = "key";
pub const MAP_VALUE: &str = "value";
/// Time zone of instant types (`TIMESTAMP_LTZ`).
pub const UTC: &str = "UTC";

/// Arrow time unit for a TIME/TIMESTAMP precision: microseconds up to 6 (what PostgreSQL
/// keeps), nanoseconds above.
pub fn time_unit(precision: u8) -> TimeUnit {
    if precision <= 6 {
        TimeUnit::Microsecond
    } else {
        TimeUnit::Nanosecond
    }
}

/// The Arrow type of a Flink type (see the module table).
pub fn to_arrow(ty: &DataType) -> ArrowType {
    match &ty.ty {
        LogicalType::Boolean => ArrowType::Boolean,
        LogicalType::TinyInt => ArrowType::Int8,
        LogicalType::SmallInt => ArrowType::Int16,
        LogicalType::Integer => ArrowType::Int32,
        LogicalType::BigInt => ArrowType::Int64,
        LogicalType::Float => ArrowType::Float32,
        LogicalType::Double => ArrowType::Float64,
        LogicalType::Decimal { precision, scale } => {
            let p = (*precision).clamp(1, 38);
            ArrowType::Decimal128(p, (*scale).min(p) as i8)
        }
        LogicalType::Char { .. }
        | LogicalType::VarChar { .. }
        | LogicalType::Raw { .. }
        | LogicalType::Variant
        | LogicalType::Unknown(_) => ArrowType::Utf8,
        LogicalType::Binary { .. } | LogicalType::VarBinary { .. } => ArrowType::Binary,
        LogicalType::Date => ArrowType::Date32,
        LogicalType::Time { precision } => ArrowType::Time64(time_unit(*precision)),
        LogicalType::Timestamp { precision, .. } => ArrowType::Timestamp(time_unit(*precision), None),
        LogicalType::TimestampLtz { precision, .. } | LogicalType::TimestampTz { precision } => {
            ArrowType::Timestamp(time_unit(*precision), Some(UTC.into()))
        }
        LogicalType::IntervalYearMonth { .. } => ArrowType::Interval(IntervalUnit::YearMonth),
        LogicalType::IntervalDayTime { .. } => ArrowType::Interval(IntervalUnit::DayTime),
        LogicalType::Array(elem) => ArrowType::List(Arc::new(to_field(LIST_ITEM, elem))),
        LogicalType::Multiset(elem) => {
            map_type(elem, &DataType::not_null(LogicalType::Integer))
        }
        LogicalType::Map { key, value } => map_type(key, value),
        LogicalType::Row(fields) => ArrowType::Struct(row_fields(fields)),
        LogicalType::Null => ArrowType::Null,
    }
}

/// An Arrow field named `name` of Flink type `ty`, nullable as `ty` is.
pub fn to_field(name: &str, ty: &DataType) -> Field {
    Field::new(name, to_arrow(ty), ty.nullable || ty.ty == LogicalType::Null)
}

/// An Arrow schema of named Flink columns.
pub fn to_schema<'a>(columns: impl IntoIterator<Item = (&'a str, &'a DataType)>) -> Schema {
    Schema::new(columns.into_iter().map(|(name, ty)| to_field(name, ty)).collect::<Vec<_>>())
}

/// The struct fields of a ROW type.
pub fn row_fields(fields: &[crate::logical_type::RowField]) -> Fields {
    fields.iter().map(|f| to_field(&f.name, &f.ty)).collect()
}

/// The entries field of a MAP (or MULTISET) type; keys are always non-null in Arrow.
pub fn map_entries_field(key: &DataType, value: &DataType) -> Field {
    let key_field = Field::new(MAP_KEY, to_arrow(key), false);
    let value_field = to_field(MAP_VALUE, value);
    Field::new(MAP_ENTRIES, ArrowType::Struct(Fields::from(vec![key_field, value_field])), false)
}

fn map_type(key: &DataType, value: &DataType) -> ArrowType {
    ArrowType::Map(Arc::new(map_entries_field(key, value)), false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logical_type::parse_sql_type;

    fn arrow_of(s: &str) -> ArrowType {
        to_arrow(&parse_sql_type(s).unwrap())
    }

    #[test]
    fn maps_scalars() {
        assert_eq!(arrow_of("TINYINT"), ArrowType::Int8);
        assert_eq!(arrow_of("DECIMAL(10, 2)"), ArrowType::Decimal128(10, 2));
        assert_eq!(arrow_of("STRING"), ArrowType::Utf8);
        assert_eq!(arrow_of("CHAR(3)"), ArrowType::Utf8);
        assert_eq!(arrow_of("BYTES"), ArrowType::Binary);
        assert_eq!(arrow_of("DATE"), ArrowType::Date32);
        assert_eq!(arrow_of("TIME(0)"), ArrowType::Time64(TimeUnit::Microsecond));
        assert_eq!(arrow_of("TIMESTAMP(3)"), ArrowType::Timestamp(TimeUnit::Microsecond, None));
        assert_eq!(arrow_of("TIMESTAMP(9)"), ArrowType::Timestamp(TimeUnit::Nanosecond, None));
        assert_eq!(arrow_of("TIMESTAMP_LTZ(3)"), ArrowType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())));
        assert_eq!(arrow_of("INTERVAL YEAR TO MONTH"), ArrowType::Interval(IntervalUnit::YearMonth));
        assert_eq!(arrow_of("INTERVAL DAY TO SECOND(3)"), ArrowType::Interval(IntervalUnit::DayTime));
        assert_eq!(arrow_of("NULL"), ArrowType::Null);
        assert_eq!(arrow_of("RAW('x', ?)"), ArrowType::Utf8);
    }

    #[test]
    fn maps_nested_with_nullability() {
        let t = arrow_of("ARRAY<INT NOT NULL>");
        assert_eq!(t, ArrowType::List(Arc::new(Field::new("item", ArrowType::Int32, false))));
        let t = arrow_of("MAP<STRING, ARRAY<BIGINT>>");
        let ArrowType::Map(entries, false) = t else { panic!("{t:?}") };
        let ArrowType::Struct(kv) = entries.data_type() else { panic!() };
        assert_eq!(kv[0].as_ref(), &Field::new("key", ArrowType::Utf8, false));
        assert!(matches!(kv[1].data_type(), ArrowType::List(_)));
        let t = arrow_of("MULTISET<STRING>");
        let ArrowType::Map(entries, _) = t else { panic!() };
        let ArrowType::Struct(kv) = entries.data_type() else { panic!() };
        assert_eq!(kv[1].as_ref(), &Field::new("value", ArrowType::Int32, false));
        let t = arrow_of("ROW<`a` INT NOT NULL, `b` STRING>");
        assert_eq!(
            t,
            ArrowType::Struct(Fields::from(vec![
                Field::new("a", ArrowType::Int32, false),
                Field::new("b", ArrowType::Utf8, true)
            ]))
        );
        let f = to_field("n", &parse_sql_type("NULL").unwrap());
        assert!(f.is_nullable());
    }
}
