//! Gateway JSON values of one typed column → Arrow → PostgreSQL text and binary, with the column
//! type picked from a table of every Flink type the gateway sends (nested ones included). The
//! same pipeline as `fetch_results`, but the fuzzer mutates the values themselves instead of
//! having to keep a whole page body valid: this reaches the value parsers (decimals, dates,
//! times, timestamps with offsets, intervals, base64, maps, rows) far faster.
//!
//! Input: byte 0 picks the type, byte 1 the nullability, `op` column and row kinds; the rest is a
//! JSON array, one element per row (anything else is one row with that value).
#![no_main]

use flinkwire_protocol::json_arrow::ResultSchema;
use flinkwire_protocol::rest::{ColumnInfo, RowData, RowKind};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

#[path = "pipeline.rs"]
mod pipeline;

/// `logicalType` objects as the gateway writes them (nullability is set from the input).
const TYPES: &[&str] = &[
    r#"{"type":"BOOLEAN"}"#,
    r#"{"type":"TINYINT"}"#,
    r#"{"type":"SMALLINT"}"#,
    r#"{"type":"INTEGER"}"#,
    r#"{"type":"BIGINT"}"#,
    r#"{"type":"FLOAT"}"#,
    r#"{"type":"DOUBLE"}"#,
    r#"{"type":"DECIMAL","precision":10,"scale":2}"#,
    r#"{"type":"DECIMAL","precision":38,"scale":18}"#,
    r#"{"type":"DECIMAL","precision":38,"scale":0}"#,
    r#"{"type":"DECIMAL","precision":5,"scale":5}"#,
    r#"{"type":"DECIMAL","precision":1,"scale":0}"#,
    r#"{"type":"CHAR","length":3}"#,
    r#"{"type":"VARCHAR","length":2147483647}"#,
    r#"{"type":"BINARY","length":2}"#,
    r#"{"type":"VARBINARY","length":2147483647}"#,
    r#"{"type":"DATE"}"#,
    r#"{"type":"TIME_WITHOUT_TIME_ZONE","precision":0}"#,
    r#"{"type":"TIME_WITHOUT_TIME_ZONE","precision":3}"#,
    r#"{"type":"TIME_WITHOUT_TIME_ZONE","precision":9}"#,
    r#"{"type":"TIMESTAMP_WITHOUT_TIME_ZONE","precision":3}"#,
    r#"{"type":"TIMESTAMP_WITHOUT_TIME_ZONE","precision":6}"#,
    r#"{"type":"TIMESTAMP_WITHOUT_TIME_ZONE","precision":9}"#,
    r#"{"type":"TIMESTAMP_WITH_LOCAL_TIME_ZONE","precision":3}"#,
    r#"{"type":"TIMESTAMP_WITH_LOCAL_TIME_ZONE","precision":9}"#,
    r#"{"type":"TIMESTAMP_WITH_TIME_ZONE","precision":6}"#,
    r#"{"type":"INTERVAL_YEAR_MONTH","resolution":"YEAR_TO_MONTH","precision":2}"#,
    r#"{"type":"INTERVAL_YEAR_MONTH","resolution":"MONTH","precision":2}"#,
    r#"{"type":"INTERVAL_DAY_TIME","resolution":"DAY_TO_SECOND","precision":2,"fractionalPrecision":3}"#,
    r#"{"type":"INTERVAL_DAY_TIME","resolution":"HOUR","precision":2,"fractionalPrecision":6}"#,
    r#"{"type":"ARRAY","elementType":{"type":"INTEGER","nullable":true}}"#,
    r#"{"type":"ARRAY","elementType":{"type":"VARCHAR","nullable":true,"length":2147483647}}"#,
    r#"{"type":"ARRAY","elementType":{"type":"DOUBLE","nullable":false}}"#,
    r#"{"type":"ARRAY","elementType":{"type":"DECIMAL","nullable":true,"precision":10,"scale":2}}"#,
    r#"{"type":"ARRAY","elementType":{"type":"TIMESTAMP_WITHOUT_TIME_ZONE","nullable":true,"precision":3}}"#,
    r#"{"type":"ARRAY","elementType":{"type":"DATE","nullable":true}}"#,
    r#"{"type":"ARRAY","elementType":{"type":"VARBINARY","nullable":true,"length":2147483647}}"#,
    r#"{"type":"ARRAY","elementType":{"type":"ARRAY","nullable":true,"elementType":{"type":"BIGINT","nullable":true}}}"#,
    r#"{"type":"MAP","keyType":{"type":"VARCHAR","nullable":true,"length":2147483647},"valueType":{"type":"INTEGER","nullable":true}}"#,
    r#"{"type":"MAP","keyType":{"type":"INTEGER","nullable":false},"valueType":{"type":"VARCHAR","nullable":true,"length":10}}"#,
    r#"{"type":"MAP","keyType":{"type":"DATE","nullable":false},"valueType":{"type":"ARRAY","nullable":true,"elementType":{"type":"DOUBLE","nullable":true}}}"#,
    r#"{"type":"MULTISET","elementType":{"type":"VARCHAR","nullable":true,"length":2147483647}}"#,
    r#"{"type":"MULTISET","elementType":{"type":"BIGINT","nullable":false}}"#,
    r#"{"type":"ROW","fields":[{"name":"a","fieldType":{"type":"INTEGER","nullable":false}},{"name":"b","fieldType":{"type":"VARCHAR","nullable":true,"length":5}}]}"#,
    r#"{"type":"ROW","fields":[{"name":"ts","fieldType":{"type":"TIMESTAMP_WITH_LOCAL_TIME_ZONE","nullable":true,"precision":3}},{"name":"r","fieldType":{"type":"ROW","nullable":true,"fields":[{"name":"x","fieldType":{"type":"DECIMAL","nullable":false,"precision":5,"scale":1}}]}}]}"#,
    r#"{"type":"ROW","fields":[]}"#,
    r#"{"type":"NULL"}"#,
    r#"{"type":"RAW","class":"java.lang.Object","serializer":"AAA="}"#,
    r#"{"type":"VARIANT"}"#,
    r#"{"type":"BITMAP"}"#,
];

const KINDS: [RowKind; 4] = [RowKind::Insert, RowKind::UpdateBefore, RowKind::UpdateAfter, RowKind::Delete];

fuzz_target!(|data: &[u8]| {
    let [pick, flags, rest @ ..] = data else { return };
    let Ok(values) = serde_json::from_slice::<Value>(rest) else { return };
    let mut logical_type: Value = serde_json::from_str(TYPES[usize::from(*pick) % TYPES.len()]).expect("table");
    logical_type["nullable"] = Value::Bool(flags & 1 == 0);
    let columns = [ColumnInfo { name: "c".into(), logical_type, comment: None }];
    let values = match values {
        Value::Array(items) => items,
        other => vec![other],
    };
    let rows: Vec<RowData> = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| RowData { kind: KINDS[(usize::from(flags >> 2) + i) % 4], fields: vec![v] })
        .collect();

    let schema = ResultSchema::new(&columns).expect("every table type parses");
    let schema = if flags & 2 != 0 { schema.with_op_column() } else { schema };
    if let Ok(batch) = schema.batch(&rows) {
        pipeline::check_batch(&schema, &rows, &batch);
    }
});
