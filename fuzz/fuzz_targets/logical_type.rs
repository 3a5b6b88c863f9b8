//! Flink type descriptions from the gateway: `logical_type::parse_sql_type` (the type strings of
//! DESCRIBE / SHOW CREATE TABLE, read by the catalog loader) and `DataType::from_json` (the
//! `logicalType` objects of result columns), then the mappings to Arrow (`arrow_types`) and
//! PostgreSQL (`pg_types`).
//!
//! Invariants beyond "does not panic":
//! - The documented round trip: `parse_sql_type(&t.to_string()) == t` for every type that prints
//!   without loss (see `printable`: not RAW serializer snapshots, unknown names, hidden interval
//!   precisions), whether it was read by `parse_sql_type` or by `from_json`; and whatever
//!   `parse_sql_type` accepts prints as something it accepts again.
//! - `pg_type` is total and consistent: an array type's element OID is a known type,
//!   `pg_type_by_oid(oid)` finds the announced type.
#![no_main]

use flinkwire_protocol::arrow_types::to_field;
use flinkwire_protocol::logical_type::{parse_sql_type, DataType, LogicalType};
use flinkwire_protocol::pg_types::{pg_type, pg_type_by_oid};
use libfuzzer_sys::fuzz_target;

fn check_mappings(t: &DataType) {
    let field = to_field("c", t);
    assert_eq!(field.is_nullable(), t.nullable || t.ty == LogicalType::Null);
    let pg = pg_type(t);
    assert_eq!(pg_type_by_oid(pg.oid).map(|p| p.oid), Some(pg.oid), "pg_type {pg:?} not found by OID");
    if let Some(element) = pg.element_oid() {
        assert!(pg_type_by_oid(element).is_some(), "array of unknown element OID {element}");
    }
}

/// Whether `t` prints without loss, i.e. the round trip is promised. `from_json` is more lenient
/// than the SQL syntax in a few places where Flink itself never sends such types: unknown type
/// names, RAW serializer snapshots (printed as `?`), lengths beyond `MAX_LENGTH`, and the
/// precisions an interval's summary string does not show (`INTERVAL MONTH`, `INTERVAL HOUR`).
fn printable(t: &DataType) -> bool {
    use flinkwire_protocol::logical_type::{DayTimeResolution as R, YearMonthResolution, MAX_LENGTH};
    match &t.ty {
        LogicalType::Unknown(_) => false,
        LogicalType::Raw { serializer, .. } => serializer.is_none(),
        LogicalType::Char { length }
        | LogicalType::VarChar { length }
        | LogicalType::Binary { length }
        | LogicalType::VarBinary { length } => *length <= MAX_LENGTH,
        LogicalType::IntervalYearMonth { resolution: YearMonthResolution::Month, year_precision } => *year_precision == 2,
        LogicalType::IntervalDayTime { resolution, day_precision, fractional_precision } => {
            let (day_shown, fraction_shown) = match resolution {
                R::Day | R::DayToHour | R::DayToMinute => (true, false),
                R::DayToSecond => (true, true),
                R::Hour | R::HourToMinute | R::Minute => (false, false),
                R::HourToSecond | R::MinuteToSecond | R::Second => (false, true),
            };
            (day_shown || *day_precision == 2) && (fraction_shown || *fractional_precision == 6)
        }
        LogicalType::Array(e) | LogicalType::Multiset(e) => printable(e),
        LogicalType::Map { key, value } => printable(key) && printable(value),
        LogicalType::Row(fields) => fields.iter().all(|f| printable(&f.ty)),
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };

    if let Ok(t) = parse_sql_type(text) {
        let printed = t.to_string();
        match parse_sql_type(&printed) {
            Ok(back) if printable(&t) => assert_eq!(back, t, "round trip of {text:?} via {printed:?}"),
            Ok(_) => {}
            Err(e) => panic!("{text:?} parses, its print {printed:?} does not: {e}"),
        }
        check_mappings(&t);
    }

    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        if let Ok(t) = DataType::from_json(&json) {
            check_mappings(&t);
            if printable(&t) {
                let printed = t.to_string();
                match parse_sql_type(&printed) {
                    Ok(back) => assert_eq!(back, t, "round trip of {json} via {printed:?}"),
                    Err(e) => panic!("{json} reads as a type, its print {printed:?} does not parse: {e}"),
                }
            }
        }
    }
});
