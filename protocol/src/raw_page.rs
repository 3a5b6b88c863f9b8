//! A fetched result page whose rows are kept as JSON text: `GET …/result/:token` parsed without
//! building a `serde_json::Value` per field.
//!
//! serde_json checks the whole body and splits `results.data` into rows and fields, each field a
//! range of the body ([`RawRows::field`]); [`crate::json_arrow::ResultSchema::raw_batch`] then reads
//! each column's texts straight into Arrow. Where a consumer needs values (the `table` result
//! mode, catalog queries), [`RawRows::to_row_data`] parses them as [`FetchResultsResponse`] would.
//!
//! [`FetchResultsResponse`]: crate::rest::FetchResultsResponse

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::rest::{ColumnInfo, ResultKind, ResultType, RowData, RowFormat, RowKind};

/// A fetched page: the answer's header and its rows as text.
#[derive(Debug, Clone)]
pub struct RawPage {
    pub result_type: ResultType,
    pub is_query_result: Option<bool>,
    pub job_id: Option<String>,
    pub result_kind: Option<ResultKind>,
    pub results: Option<RawResults>,
    pub next_result_uri: Option<String>,
}

/// The `results` object of a page: schema plus rows.
#[derive(Debug, Clone)]
pub struct RawResults {
    pub columns: Vec<ColumnInfo>,
    pub row_format: RowFormat,
    pub rows: RawRows,
}

/// A page's rows: each row's kind, and each field as the JSON text it had in the body.
#[derive(Debug, Clone, Default)]
pub struct RawRows {
    body: Arc<String>,
    kinds: Vec<RowKind>,
    /// Row `r`'s fields are `fields[row_starts[r]..row_starts[r + 1]]`.
    row_starts: Vec<u32>,
    /// Byte ranges of the body.
    fields: Vec<(u32, u32)>,
}

/// Why a page could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RawPageError {
    /// Not JSON of the expected shape; `start` is the beginning of the body.
    #[error("{source}: {start}")]
    Json { source: serde_json::Error, start: String },
    #[error("the answer is not UTF-8: {0}")]
    Utf8(#[from] std::string::FromUtf8Error),
    #[error("a result page of more than 4 GiB")]
    TooLarge,
}

impl RawPage {
    /// Parses a fetch-results answer. The body is checked as a whole (it must be valid JSON of
    /// the [`crate::rest::FetchResultsResponse`] shape); only the field values stay unparsed.
    pub fn parse(body: Vec<u8>) -> Result<Self, RawPageError> {
        if u32::try_from(body.len()).is_err() {
            return Err(RawPageError::TooLarge);
        }
        let body = Arc::new(String::from_utf8(body)?);
        let wire: WirePage<'_> = serde_json::from_str(&body).map_err(|source| {
            let mut end = body.len().min(200);
            while !body.is_char_boundary(end) {
                end -= 1;
            }
            RawPageError::Json { source, start: body[..end].to_owned() }
        })?;
        let base = body.as_ptr() as usize;
        let results = match wire.results {
            None => None,
            Some(r) => {
                let mut fields = Vec::with_capacity(r.data.fields.len());
                for raw in &r.data.fields {
                    let text = raw.get();
                    // RawValue borrows from the body: its position is its offset in the body.
                    let start = (text.as_ptr() as usize).checked_sub(base).ok_or(RawPageError::TooLarge)?;
                    let end = start + text.len();
                    if end > body.len() {
                        return Err(RawPageError::TooLarge);
                    }
                    fields.push((start as u32, end as u32));
                }
                Some(RawResults {
                    columns: r.columns,
                    row_format: r.row_format,
                    rows: RawRows { body: body.clone(), kinds: r.data.kinds, row_starts: r.data.row_starts, fields },
                })
            }
        };
        Ok(RawPage {
            result_type: wire.result_type,
            is_query_result: wire.is_query_result,
            job_id: wire.job_id,
            result_kind: wire.result_kind,
            results,
            next_result_uri: wire.next_result_uri,
        })
    }
}

impl RawRows {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// Each row's changelog kind.
    pub fn kinds(&self) -> &[RowKind] {
        &self.kinds
    }

    /// The rows' kinds, the texts dropped.
    pub fn into_kinds(self) -> Vec<RowKind> {
        self.kinds
    }

    /// The number of fields of row `row`.
    pub fn row_len(&self, row: usize) -> usize {
        (self.row_starts[row + 1] - self.row_starts[row]) as usize
    }

    /// The JSON text of field `column` of row `row` (which must exist).
    pub fn field(&self, row: usize, column: usize) -> &str {
        let (start, end) = self.fields[self.row_starts[row] as usize + column];
        // Every range is a whole JSON value of the body, so on character boundaries; were it not,
        // an empty text would make the value unreadable, never a wrong one.
        self.body.get(start as usize..end as usize).unwrap_or("")
    }

    /// The rows with their values parsed, as [`crate::rest::ResultInfo::data`] holds them.
    pub fn to_row_data(&self) -> Result<Vec<RowData>, serde_json::Error> {
        (0..self.len())
            .map(|row| {
                let fields = (0..self.row_len(row))
                    .map(|column| serde_json::from_str(self.field(row, column)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(RowData { kind: self.kinds[row], fields })
            })
            .collect()
    }
}

// ------------------------------------------------------------------------------------------------
// The wire shape, borrowed from the body
// ------------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePage<'a> {
    result_type: ResultType,
    #[serde(default)]
    is_query_result: Option<bool>,
    #[serde(rename = "jobID", default)]
    job_id: Option<String>,
    #[serde(default)]
    result_kind: Option<ResultKind>,
    #[serde(default, borrow)]
    results: Option<WireResults<'a>>,
    #[serde(default)]
    next_result_uri: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireResults<'a> {
    columns: Vec<ColumnInfo>,
    #[serde(default)]
    row_format: RowFormat,
    #[serde(default, borrow)]
    data: WireRows<'a>,
}

/// `data`: every row's kind and fields, flattened into three vectors (no allocation per row).
struct WireRows<'a> {
    kinds: Vec<RowKind>,
    row_starts: Vec<u32>,
    fields: Vec<&'a RawValue>,
}

impl Default for WireRows<'_> {
    fn default() -> Self {
        Self { kinds: Vec::new(), row_starts: vec![0], fields: Vec::new() }
    }
}

/// The keys of a row object (an identifier, so no key is allocated).
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum RowKey {
    Kind,
    Fields,
    #[serde(other)]
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for WireRows<'a> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(RowsVisitor)
    }
}

struct RowsVisitor;

impl<'de> Visitor<'de> for RowsVisitor {
    type Value = WireRows<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut rows = WireRows::default();
        while let Some(kind) = seq.next_element_seed(RowSeed { fields: &mut rows.fields })? {
            rows.kinds.push(kind);
            let end = u32::try_from(rows.fields.len()).map_err(|_| de::Error::custom("too many fields in one page"))?;
            rows.row_starts.push(end);
        }
        Ok(rows)
    }
}

/// One row `{"kind": …, "fields": […]}`: appends its fields, answers its kind.
struct RowSeed<'v, 'de> {
    fields: &'v mut Vec<&'de RawValue>,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_, 'de> {
    type Value = RowKind;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<RowKind, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_, 'de> {
    type Value = RowKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row object with kind and fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RowKind, A::Error> {
        let mut kind = None;
        let mut seen_fields = false;
        let start = self.fields.len();
        while let Some(key) = map.next_key::<RowKey>()? {
            match key {
                RowKey::Kind if kind.is_none() => kind = Some(map.next_value::<RowKind>()?),
                RowKey::Kind => return Err(de::Error::duplicate_field("kind")),
                RowKey::Fields if !seen_fields => {
                    map.next_value_seed(FieldsSeed { fields: self.fields })?;
                    seen_fields = true;
                }
                RowKey::Fields => return Err(de::Error::duplicate_field("fields")),
                RowKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !seen_fields {
            self.fields.truncate(start);
            return Err(de::Error::missing_field("fields"));
        }
        kind.ok_or_else(|| de::Error::missing_field("kind"))
    }
}

/// A row's `fields` array: each value appended as raw text.
struct FieldsSeed<'v, 'de> {
    fields: &'v mut Vec<&'de RawValue>,
}

impl<'de> DeserializeSeed<'de> for FieldsSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FieldsSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of field values")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<&'de RawValue>()? {
            self.fields.push(value);
        }
        Ok(())
    }
}
