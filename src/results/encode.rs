//! The bridge from the protocol crate's Arrow batches and encoders to pgwire's messages.

use std::sync::Arc;

use arrow_array::RecordBatch;
use bytes::BytesMut;
use flinkwire_protocol::encode::{Format as WireFormat, RowEncoder};
use flinkwire_protocol::json_arrow;
use flinkwire_protocol::raw_page::RawRows;
use flinkwire_protocol::logical_type::DataType;
use flinkwire_protocol::rest::{ColumnInfo, RowData};
use pgwire::api::portal::Format;
use pgwire::api::results::{FieldFormat, FieldInfo};
use pgwire::api::Type;
use pgwire::messages::data::DataRow;

/// A result's columns: names, Flink types and the PostgreSQL types announced for them.
#[derive(Debug)]
pub struct ResultSchema {
    inner: json_arrow::ResultSchema,
    types: Vec<DataType>,
}

impl ResultSchema {
    /// Parses the gateway's column descriptions.
    pub fn from_columns(columns: &[ColumnInfo]) -> Result<Self, String> {
        let inner = json_arrow::ResultSchema::new(columns).map_err(|e| e.to_string())?;
        let types = inner.columns().iter().map(|c| c.data_type.clone()).collect();
        Ok(Self { inner, types })
    }

    /// The same columns behind a leading `op` column holding each row's changelog kind.
    pub fn with_op_column(&self) -> Self {
        let inner = self.inner.clone().with_op_column();
        let types = inner.columns().iter().map(|c| c.data_type.clone()).collect();
        Self { inner, types }
    }

    /// The Arrow schema of the batches (with `op` in changelog mode).
    pub fn arrow_schema(&self) -> &arrow_schema::SchemaRef {
        self.inner.arrow_schema()
    }

    /// The column names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.inner.columns().iter().map(|c| c.name.as_str()).collect()
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether the result has no columns.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// RowDescription fields, with each column's format taken from the Bind message.
    pub fn fields(&self, formats: &Format) -> Vec<FieldInfo> {
        self.inner
            .columns()
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let pg = column.pg_type;
                let datatype = Type::from_oid(pg.oid).unwrap_or(Type::TEXT);
                FieldInfo::new(column.name.clone(), None, None, datatype, field_format(formats, i))
                    .with_type_size(pg.typlen)
                    .with_type_modifier(pg.typmod)
            })
            .collect()
    }

    /// Decodes rows given as values (flinkwire's own answers, `table` mode).
    pub fn decode(self: &Arc<Self>, rows: &[RowData]) -> Result<PageRows, String> {
        let batch = self.inner.batch(rows).map_err(|e| e.to_string())?.batch;
        Ok(PageRows { schema: self.clone(), batch, next: 0 })
    }

    /// Decodes one fetched gateway page.
    pub fn decode_fetched(self: &Arc<Self>, rows: &RawRows) -> Result<PageRows, String> {
        let batch = self.inner.raw_batch(rows).map_err(|e| e.to_string())?.batch;
        Ok(PageRows { schema: self.clone(), batch, next: 0 })
    }
}

/// A decoded page and how many of its rows were sent.
pub struct PageRows {
    schema: Arc<ResultSchema>,
    batch: RecordBatch,
    next: usize,
}

impl PageRows {
    /// A page of `batch`, none of it sent yet.
    pub fn from_batch(schema: Arc<ResultSchema>, batch: RecordBatch) -> Self {
        Self { schema, batch, next: 0 }
    }

    /// The page's batch.
    pub fn batch(&self) -> &RecordBatch {
        &self.batch
    }

    /// Rows of the page not sent yet.
    pub fn remaining(&self) -> usize {
        self.batch.num_rows().saturating_sub(self.next)
    }

    /// Whether every row of the page was sent.
    pub fn is_exhausted(&self) -> bool {
        self.next >= self.batch.num_rows()
    }

    /// The next `max` rows (0 = all remaining) as a batch: a zero-copy slice of the page.
    pub fn take_batch(&mut self, max: usize) -> RecordBatch {
        let end = if max == 0 { self.batch.num_rows() } else { (self.next + max).min(self.batch.num_rows()) };
        let batch = self.batch.slice(self.next, end - self.next);
        self.next = end;
        batch
    }

    /// Encodes the next `max` rows (0 = all remaining) as DataRows in the client's formats.
    pub fn encode_next(&mut self, max: usize, formats: &Format) -> Result<Vec<DataRow>, String> {
        let columns = self.schema.types.len();
        let wire: Vec<WireFormat> = (0..columns)
            .map(|i| match field_format(formats, i) {
                FieldFormat::Binary => WireFormat::Binary,
                FieldFormat::Text => WireFormat::Text,
            })
            .collect();
        let encoder = RowEncoder::new(&self.schema.types, &wire).map_err(|e| e.to_string())?;
        let bound = encoder.bind(&self.batch).map_err(|e| e.to_string())?;
        let end = if max == 0 { bound.num_rows() } else { (self.next + max).min(bound.num_rows()) };
        // One allocation per chunk; each row is split off it, sharing the buffer.
        let mut buf = BytesMut::with_capacity((end - self.next) * 16 * columns.max(1));
        let mut rows = Vec::with_capacity(end - self.next);
        for row in self.next..end {
            bound.encode_row(row, &mut buf).map_err(|e| e.to_string())?;
            rows.push(DataRow::new(buf.split(), columns as i16));
        }
        self.next = end;
        Ok(rows)
    }
}

/// The format of column `i`: pgwire's `Format` panics on a short per-column list, PostgreSQL
/// treats a missing entry as an error we already rejected at Bind; text is the safe answer.
fn field_format(formats: &Format, i: usize) -> FieldFormat {
    match formats {
        Format::Individual(codes) if i >= codes.len() => FieldFormat::Text,
        other => other.format_for(i),
    }
}
