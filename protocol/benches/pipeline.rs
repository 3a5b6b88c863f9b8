//! Micro-benchmarks of the result pipeline's two translations, per column type, on pages of the
//! real gateway's size (5 000 rows):
//! - `page_to_arrow/<type>/{values,raw}`: a fetch-results body → an Arrow batch, through
//!   `serde_json::Value`s (`FetchResultsResponse` + `ResultSchema::batch`) and through the field
//!   texts (`RawPage` + `ResultSchema::raw_batch`);
//! - `arrow_to_datarows/<type>/{text,binary}`: that batch → DataRow field data, one buffer per
//!   page split into rows;
//! - `page_parse/{check_only,raw_page,to_arrow}`: a page of the rows `benches/run.sh` serves
//!   (`BIGINT, VARCHAR(16), DOUBLE, TIMESTAMP(3)`, from `benches/tools/src/rows.rs`): serde_json's
//!   check of the body and nothing else (the least any reader that rejects what serde_json
//!   rejects must spend), that check plus the row split (`RawPage::parse`), and the whole page →
//!   Arrow batch.
//!
//! `cargo bench -p flinkwire-protocol --bench pipeline [-- FILTER]`; throughput is in rows.

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flinkwire_protocol::encode::Format;
use flinkwire_protocol::json_arrow::ResultSchema;
use flinkwire_protocol::raw_page::RawPage;
use flinkwire_protocol::rest::FetchResultsResponse;

// The generator of the end-to-end benchmark's rows, included rather than copied so that
// `page_parse` measures exactly the rows `benches/run.sh` serves (it is plain std code; the
// flinkwire-bench crate around it is binaries with a server stack this bench does not need).
// Its own unit tests (`cfg(test)`) are not run by a criterion harness.
#[allow(dead_code, unused_imports)]
#[path = "../../benches/tools/src/rows.rs"]
mod rows;

const PAGE_ROWS: usize = 5000;

/// (name, Flink logical type JSON, value of row i as JSON text)
type Case = (&'static str, &'static str, fn(usize) -> String);

fn cases() -> Vec<Case> {
    vec![
        ("bigint", r#"{"type":"BIGINT","nullable":true}"#, |i| (1_000_000_000 + i * 7919).to_string()),
        ("int", r#"{"type":"INTEGER","nullable":true}"#, |i| (i * 31).to_string()),
        ("double", r#"{"type":"DOUBLE","nullable":true}"#, |i| format!("{}", i as f64 * 1.37 + 0.01)),
        ("decimal_10_2", r#"{"type":"DECIMAL","nullable":true,"precision":10,"scale":2}"#, |i| {
            format!("{}.{:02}", i * 13, i % 100)
        }),
        ("varchar16", r#"{"type":"VARCHAR","nullable":true,"length":16}"#, |i| format!("\"label{i:011}\"")),
        ("timestamp3", r#"{"type":"TIMESTAMP_WITHOUT_TIME_ZONE","nullable":true,"precision":3}"#, |i| {
            format!("\"2024-01-{:02}T{:02}:{:02}:{:02}.{:03}\"", 1 + i % 28, i % 24, i % 60, (i / 7) % 60, i % 1000)
        }),
        ("boolean", r#"{"type":"BOOLEAN","nullable":true}"#, |i| (i % 3 == 0).to_string()),
        ("date", r#"{"type":"DATE","nullable":true}"#, |i| format!("\"2024-{:02}-{:02}\"", 1 + i % 12, 1 + i % 28)),
        ("array_int", r#"{"type":"ARRAY","nullable":true,"elementType":{"type":"INTEGER","nullable":true}}"#, |i| {
            format!("[{i},{},{}]", i + 1, i + 2)
        }),
    ]
}

/// A compact fetch-results body, as the gateway sends it: `columns` (a JSON array) and `data`
/// (the rows' JSON, comma-separated).
fn fetch_results_body(columns: &str, data: &str) -> Bytes {
    Bytes::from(format!(
        r#"{{"resultType":"PAYLOAD","isQueryResult":true,"jobID":"b4a6c2a5f0d1e3c7a9b8d6e4f2a0c1b3","resultKind":"SUCCESS_WITH_CONTENT","results":{{"columns":{columns},"rowFormat":"JSON","data":[{data}]}},"nextResultUri":"/v4/sessions/s/operations/o/result/2?rowFormat=JSON"}}"#
    ))
}

/// A page of one column.
fn page(logical_type: &str, value: fn(usize) -> String) -> Bytes {
    let rows: Vec<String> =
        (0..PAGE_ROWS).map(|i| format!(r#"{{"kind":"INSERT","fields":[{}]}}"#, value(i))).collect();
    fetch_results_body(&format!(r#"[{{"name":"c","logicalType":{logical_type},"comment":null}}]"#), &rows.join(","))
}

fn page_to_arrow(c: &mut Criterion) {
    let mut group = c.benchmark_group("page_to_arrow");
    group.throughput(Throughput::Elements(PAGE_ROWS as u64));
    for (name, ty, value) in cases() {
        let body = page(ty, value);
        let columns = serde_json::from_slice::<FetchResultsResponse>(&body).unwrap().results.unwrap().columns;
        let schema = ResultSchema::new(&columns).unwrap();
        group.bench_function(BenchmarkId::new(name, "values"), |b| {
            b.iter(|| {
                let page: FetchResultsResponse = serde_json::from_slice(&body).unwrap();
                schema.batch(&page.results.unwrap().data).unwrap()
            })
        });
        group.bench_function(BenchmarkId::new(name, "raw"), |b| {
            b.iter(|| {
                let page = RawPage::parse(body.to_vec()).unwrap();
                schema.raw_batch(&page.results.unwrap().rows).unwrap()
            })
        });
    }
    group.finish();
}

/// A page of the end-to-end benchmark's rows, as the replay gateway serves them.
fn benchmark_rows_page() -> Bytes {
    let mut data = String::new();
    for i in 0..PAGE_ROWS as u64 {
        if i > 0 {
            data.push(',');
        }
        rows::push_json(i, &mut data);
    }
    fetch_results_body(rows::COLUMNS_JSON, &data)
}

fn page_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("page_parse");
    group.throughput(Throughput::Elements(PAGE_ROWS as u64));
    let body = benchmark_rows_page();
    let columns = serde_json::from_slice::<FetchResultsResponse>(&body).unwrap().results.unwrap().columns;
    let schema = ResultSchema::new(&columns).unwrap();
    group.bench_function("check_only", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(&body).unwrap())
    });
    group.bench_function("raw_page", |b| b.iter(|| RawPage::parse(body.to_vec()).unwrap().results.unwrap().rows.len()));
    group.bench_function("to_arrow", |b| {
        b.iter(|| {
            let page = RawPage::parse(body.to_vec()).unwrap();
            schema.raw_batch(&page.results.unwrap().rows).unwrap()
        })
    });
    group.finish();
}

fn arrow_to_datarows(c: &mut Criterion) {
    let mut group = c.benchmark_group("arrow_to_datarows");
    group.throughput(Throughput::Elements(PAGE_ROWS as u64));
    for (name, ty, value) in cases() {
        let body = page(ty, value);
        let page = RawPage::parse(body.to_vec()).unwrap().results.unwrap();
        let schema = ResultSchema::new(&page.columns).unwrap();
        let batch = schema.raw_batch(&page.rows).unwrap().batch;
        for format in [Format::Text, Format::Binary] {
            let encoder = schema.row_encoder(&[format]).unwrap();
            let label = if format == Format::Text { "text" } else { "binary" };
            let mut buf = BytesMut::with_capacity(1 << 20);
            group.bench_function(BenchmarkId::new(name, label), |b| {
                b.iter(|| {
                    // As src/results/encode.rs does: one buffer, each row's fields split off it.
                    buf.clear();
                    let bound = encoder.bind(&batch).unwrap();
                    let mut rows = Vec::with_capacity(batch.num_rows());
                    for row in 0..batch.num_rows() {
                        bound.encode_row(row, &mut buf).unwrap();
                        rows.push(buf.split());
                    }
                    rows.len()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, page_parse, page_to_arrow, arrow_to_datarows);
criterion_main!(benches);
