//! A gateway fetch-results body, end to end: the bytes go through serde_json into
//! `rest::FetchResultsResponse` (or a bare `rest::ResultInfo`, as in Flink's own
//! `result_info_json_format.txt`), the columns into `json_arrow::ResultSchema`, the rows into an
//! Arrow batch, and every row through the PostgreSQL text and binary row encoders.
//!
//! Invariants beyond "does not panic":
//! - `rows_to_batch` agrees with `ResultSchema::new(..).batch(..)`; a batch has one row per JSON
//!   row, one column per gateway column (plus `op` when enabled) and the rows' changelog kinds.
//! - The streaming path agrees with the value path: where `raw_page::RawPage` reads the body as
//!   `FetchResultsResponse` does, `ResultSchema::raw_batch` on its field texts gives the same
//!   batch and kinds as `ResultSchema::batch`, or the same error. A body that is not UTF-8 (which
//!   serde_json reads when the bad bytes sit in a key it skips) RawPage refuses.
//! - Whatever the decoder builds, the encoder accepts: binding a batch never fails on an Arrow
//!   type mismatch, and encoding a row can only fail with "out of PostgreSQL range".
//! - The encoded DataRow payload is well framed (one `i32` length + bytes per column, `-1` for
//!   NULL, exactly as many as columns), NULL exactly where the Arrow value is NULL, text-format
//!   values are valid UTF-8, and `json` columns hold valid JSON.
#![no_main]

use flinkwire_protocol::json_arrow::{rows_to_batch, ResultSchema};
use flinkwire_protocol::pg_types;
use flinkwire_protocol::raw_page::{RawPage, RawPageError};
use flinkwire_protocol::rest::{ColumnInfo, FetchResultsResponse, ResultInfo};
use libfuzzer_sys::fuzz_target;

#[path = "pipeline.rs"]
mod pipeline;
use pipeline::check_batch;

fn results(data: &[u8]) -> Option<ResultInfo> {
    match serde_json::from_slice::<FetchResultsResponse>(data) {
        Ok(page) => page.results,
        Err(_) => serde_json::from_slice::<ResultInfo>(data).ok(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(info) = results(data) else { return };
    let columns: &[ColumnInfo] = &info.columns;
    let one_shot = rows_to_batch(columns, &info.data);
    let Ok(schema) = ResultSchema::new(columns) else {
        assert!(one_shot.is_err(), "rows_to_batch succeeded where ResultSchema::new failed");
        return;
    };
    assert_eq!(schema.columns().len(), columns.len());
    for (parsed, raw) in schema.columns().iter().zip(columns) {
        assert_eq!(parsed.name, raw.name);
        assert_eq!(parsed.pg_type, pg_types::pg_type(&parsed.data_type));
    }
    let batch = schema.batch(&info.data);
    assert_eq!(batch.is_ok(), one_shot.is_ok(), "rows_to_batch and ResultSchema::batch disagree");
    raw_path_agrees(data, &schema.clone().with_op_column());
    let Ok(batch) = batch else { return };
    check_batch(&schema, &info.data, &batch);

    let with_op = schema.with_op_column();
    let again = with_op.clone().with_op_column();
    assert_eq!(again.columns().len(), with_op.columns().len(), "with_op_column is not idempotent");
    let batch = with_op.batch(&info.data).expect("the op column cannot make a page fail");
    check_batch(&with_op, &info.data, &batch);
});

/// The same body through `RawPage` and `raw_batch` (with the `op` column, so kinds count too).
fn raw_path_agrees(data: &[u8], schema: &ResultSchema) {
    let Ok(page) = serde_json::from_slice::<FetchResultsResponse>(data) else { return };
    if std::str::from_utf8(data).is_err() {
        // serde_json skips an unknown key's string without checking its UTF-8; RawPage keeps
        // the body as text, so it refuses any body that is not UTF-8 (as JSON must be).
        let refused = RawPage::parse(data.to_vec());
        assert!(matches!(refused, Err(RawPageError::Utf8(_))), "RawPage read a body that is not UTF-8");
        return;
    }
    let raw = RawPage::parse(data.to_vec()).expect("RawPage refused a UTF-8 body FetchResultsResponse reads");
    let (values, raw) = match (page.results, raw.results) {
        (Some(values), Some(raw)) => (values, raw),
        (None, None) => return,
        _ => panic!("RawPage and FetchResultsResponse disagree on whether there are results"),
    };
    let by_value = schema.batch(&values.data).map(|b| (b.batch, b.kinds)).map_err(|e| e.to_string());
    let by_text = schema.raw_batch(&raw.rows).map(|b| (b.batch, b.kinds)).map_err(|e| e.to_string());
    assert_eq!(by_value, by_text, "the value and text paths disagree");
}
