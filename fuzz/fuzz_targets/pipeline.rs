//! The decode → encode pipeline shared by `fetch_results` and `json_cell`: a decoded page is
//! checked against its rows and encoded in the text and binary formats.

use arrow_array::{Array, StringArray};
use bytes::BytesMut;
use flinkwire_protocol::encode::{EncodeError, Format, RowEncoder};
use flinkwire_protocol::json_arrow::{ResultBatch, ResultSchema};
use flinkwire_protocol::pg_types;
use flinkwire_protocol::rest::RowData;

/// Checks a decoded page against its rows and schema, then encodes it in both formats.
pub fn check_batch(schema: &ResultSchema, rows: &[RowData], out: &ResultBatch) {
    let extra = usize::from(schema.has_op_column());
    assert_eq!(out.batch.num_rows(), rows.len());
    assert_eq!(out.batch.num_columns(), schema.columns().len());
    assert_eq!(out.kinds, rows.iter().map(|r| r.kind).collect::<Vec<_>>());
    assert_eq!(out.batch.schema(), *schema.arrow_schema());
    if extra == 1 {
        let op = out.batch.column(0);
        let op = op.as_any().downcast_ref::<StringArray>().expect("op is Utf8");
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(op.value(i), r.kind.short_string());
        }
    }
    for format in [Format::Text, Format::Binary] {
        let encoder = schema.row_encoder(&[format]).expect("one format for all columns");
        encode_all(&encoder, out, format);
    }
}

/// Encodes every row; checks the DataRow framing, NULLs, UTF-8 text and JSON columns.
fn encode_all(encoder: &RowEncoder, out: &ResultBatch, format: Format) {
    let bound = match encoder.bind(&out.batch) {
        Ok(b) => b,
        Err(e) => panic!("the encoder rejects the decoder's batch: {e}"),
    };
    let mut buf = BytesMut::new();
    for row in 0..out.batch.num_rows() {
        buf.clear();
        match bound.encode_row(row, &mut buf) {
            Ok(()) => {}
            Err(EncodeError::InColumn { source, .. }) if matches!(*source, EncodeError::OutOfRange(_)) => continue,
            Err(e) => panic!("row {row}: unexpected encode error {e}"),
        }
        let mut at = 0usize;
        for (c, col) in encoder.columns().iter().enumerate() {
            let len = i32::from_be_bytes(buf[at..at + 4].try_into().expect("length"));
            at += 4;
            let array = out.batch.column(c);
            if len == -1 {
                assert!(array.is_null(row) || col.data_type().ty == flinkwire_protocol::logical_type::LogicalType::Null,
                    "column {c} row {row}: NULL written for a non-NULL value");
                continue;
            }
            assert!(!array.is_null(row), "column {c} row {row}: value written for NULL");
            let len = usize::try_from(len).expect("non-negative length");
            let value = &buf[at..at + len];
            at += len;
            let text = format == Format::Text || col.pg_type().oid == pg_types::JSON.oid;
            if text {
                let s = std::str::from_utf8(value).unwrap_or_else(|e| panic!("column {c} row {row}: not UTF-8: {e}"));
                if col.pg_type().oid == pg_types::JSON.oid {
                    if let Err(e) = serde_json::from_str::<serde_json::Value>(s) {
                        panic!("column {c} row {row}: invalid JSON {s:?}: {e}");
                    }
                }
            }
        }
        assert_eq!(at, buf.len(), "trailing bytes after the last field");
    }
}

