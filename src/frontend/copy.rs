//! `COPY (query) TO STDOUT` in text, CSV and binary format, streamed a page at a time.
//!
//! The rows are encoded exactly like DataRows (text or binary per PostgreSQL's output and send
//! functions) and re-framed: one CopyData per row, as PostgreSQL sends them (psycopg's
//! `Copy.rows()` relies on it).

use std::fmt::Debug;

use bytes::{BufMut, Bytes, BytesMut};
use futures::{Sink, SinkExt};
use pgwire::api::portal::Format;
use pgwire::api::results::Tag;
use pgwire::api::ClientInfo;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::copy::{CopyData, CopyDone, CopyOutResponse};
use pgwire::messages::data::DataRow;
use pgwire::messages::PgWireBackendMessage;

use super::cursor_sql::{CopyCommand, CopyFormat, CopyOptions};
use super::Connection;
use crate::results::Outcome;
use crate::router::classify;

const BINARY_SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// The fields of an encoded DataRow: `None` for NULL.
fn fields(row: &DataRow) -> Vec<Option<&[u8]>> {
    let mut out = Vec::with_capacity(row.field_count.max(0) as usize);
    let data = &row.data[..];
    let mut at = 0;
    for _ in 0..row.field_count {
        let len = i32::from_be_bytes(data[at..at + 4].try_into().expect("4 bytes"));
        at += 4;
        if len < 0 {
            out.push(None);
        } else {
            out.push(Some(&data[at..at + len as usize]));
            at += len as usize;
        }
    }
    out
}

/// One line of COPY output (with its newline): fields joined by the delimiter, NULL as the null
/// string, every other value written by `write_value` (the text and CSV formats differ only there).
fn line<'a>(
    values: impl Iterator<Item = Option<&'a [u8]>>,
    o: &CopyOptions,
    out: &mut BytesMut,
    mut write_value: impl FnMut(&[u8], &CopyOptions, &mut BytesMut),
) {
    for (i, value) in values.enumerate() {
        if i > 0 {
            out.put_u8(o.delimiter);
        }
        match value {
            None => out.put_slice(o.null.as_bytes()),
            Some(value) => write_value(value, o, out),
        }
    }
    out.put_u8(b'\n');
}

/// One line of COPY text format (with its newline).
fn text_line<'a>(values: impl Iterator<Item = Option<&'a [u8]>>, o: &CopyOptions, out: &mut BytesMut) {
    line(values, o, out, |value, o, out| {
        for &b in value {
            match b {
                b'\\' => out.put_slice(b"\\\\"),
                b'\n' => out.put_slice(b"\\n"),
                b'\r' => out.put_slice(b"\\r"),
                b'\t' => out.put_slice(b"\\t"),
                0x08 => out.put_slice(b"\\b"),
                0x0c => out.put_slice(b"\\f"),
                0x0b => out.put_slice(b"\\v"),
                b if b == o.delimiter => {
                    out.put_u8(b'\\');
                    out.put_u8(b);
                }
                b => out.put_u8(b),
            }
        }
    });
}

/// One line of CSV (with its newline): quoted when needed, NULL as the (unquoted) null string.
fn csv_line<'a>(values: impl Iterator<Item = Option<&'a [u8]>>, o: &CopyOptions, out: &mut BytesMut) {
    line(values, o, out, |value, o, out| {
        let needs_quotes = value == o.null.as_bytes()
            || value == b"\\."
            || value.iter().any(|&b| b == o.delimiter || b == o.quote || b == b'\n' || b == b'\r' || b == o.escape);
        if !needs_quotes {
            out.put_slice(value);
            return;
        }
        out.put_u8(o.quote);
        for &b in value {
            if b == o.quote || b == o.escape {
                out.put_u8(o.escape);
            }
            out.put_u8(b);
        }
        out.put_u8(o.quote);
    });
}

/// Encodes one row for COPY in the given format.
fn copy_row(row: &DataRow, o: &CopyOptions) -> Bytes {
    match o.format {
        CopyFormat::Binary => {
            // A binary COPY tuple is a DataRow body: field count, then length-prefixed fields.
            let mut out = BytesMut::with_capacity(2 + row.data.len());
            out.put_i16(row.field_count);
            out.put_slice(&row.data);
            out.freeze()
        }
        CopyFormat::Text => {
            let mut out = BytesMut::with_capacity(row.data.len() + 8);
            text_line(fields(row).into_iter(), o, &mut out);
            out.freeze()
        }
        CopyFormat::Csv => {
            let mut out = BytesMut::with_capacity(row.data.len() + 8);
            csv_line(fields(row).into_iter(), o, &mut out);
            out.freeze()
        }
    }
}

impl Connection {
    /// Runs `COPY … TO STDOUT`: CopyOutResponse, one CopyData per row, CopyDone, `COPY n`.
    /// Returns how many rows it sent.
    pub(super) async fn run_copy<C>(&self, client: &mut C, copy: &CopyCommand) -> PgWireResult<u64>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let options = &copy.options;
        let kind = classify(&copy.query);
        let mut rows = match self.run_guarded(&copy.query, &kind).await? {
            Outcome::Rows(rows) => rows,
            Outcome::Done => {
                return Err(super::error::user_error("0A000", "COPY needs a query that returns rows", None, None))
            }
        };
        let binary = options.format == CopyFormat::Binary;
        let columns = rows.schema().len();
        let code = i16::from(binary);
        client
            .feed(PgWireBackendMessage::CopyOutResponse(CopyOutResponse::new(
                code as i8,
                columns as i16,
                vec![code; columns],
            )))
            .await?;
        let mut prefix = BytesMut::new();
        if binary {
            prefix.put_slice(BINARY_SIGNATURE);
            prefix.put_i32(0); // flags
            prefix.put_i32(0); // header extension length
        } else if options.header {
            let names = rows.schema().names();
            let mut line = BytesMut::new();
            let values = names.iter().map(|n| Some(n.as_bytes()));
            match options.format {
                CopyFormat::Csv => csv_line(values, options, &mut line),
                _ => text_line(values, options, &mut line),
            }
            client.feed(PgWireBackendMessage::CopyData(CopyData::new(line.freeze()))).await?;
        }
        // The client learns at once that the COPY started, before the first page (a streaming
        // job can take seconds to produce one).
        client.flush().await?;
        let formats = if binary { Format::UnifiedBinary } else { Format::UnifiedText };
        let mut count = 0usize;
        while let Some(page) = super::liveness::next_page(&mut rows, &formats, client).await? {
            for row in &page {
                let data = copy_row(row, options);
                let data = if prefix.is_empty() {
                    data
                } else {
                    prefix.put_slice(&data);
                    prefix.split().freeze()
                };
                client.feed(PgWireBackendMessage::CopyData(CopyData::new(data))).await?;
            }
            count += page.len();
            client.flush().await?;
        }
        if binary {
            prefix.put_i16(-1); // trailer (after the header, when there were no rows)
            client.feed(PgWireBackendMessage::CopyData(CopyData::new(prefix.split().freeze()))).await?;
        }
        client.feed(PgWireBackendMessage::CopyDone(CopyDone::new())).await?;
        if let Some(cut) = rows.truncation() {
            super::cancel::send_notice(client, &cut.message()).await?;
        }
        client.feed(PgWireBackendMessage::CommandComplete(Tag::new("COPY").with_rows(count).into())).await?;
        Ok(count as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(values: &[Option<&str>]) -> DataRow {
        let mut data = BytesMut::new();
        for v in values {
            match v {
                None => data.put_i32(-1),
                Some(v) => {
                    data.put_i32(v.len() as i32);
                    data.put_slice(v.as_bytes());
                }
            }
        }
        DataRow::new(data, values.len() as i16)
    }

    #[test]
    fn text_and_csv_escaping() {
        let r = row(&[Some("a\tb\\c\nd"), None, Some(""), Some("x,\"y\"")]);
        let text = CopyOptions::default();
        assert_eq!(&copy_row(&r, &text)[..], b"a\\tb\\\\c\\nd\t\\N\t\tx,\"y\"\n");
        let csv = CopyCommand::parse("COPY t TO STDOUT (FORMAT csv)").unwrap().unwrap().options;
        assert_eq!(&copy_row(&r, &csv)[..], b"\"a\tb\\c\nd\",,\"\",\"x,\"\"y\"\"\"\n");
    }

    #[test]
    fn binary_tuple_is_the_datarow_body() {
        let r = row(&[Some("ab"), None]);
        let bin = CopyCommand::parse("COPY t TO STDOUT (FORMAT binary)").unwrap().unwrap().options;
        assert_eq!(&copy_row(&r, &bin)[..], b"\x00\x02\x00\x00\x00\x02ab\xff\xff\xff\xff");
    }
}
