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
        let json_error = |source| {
            let mut end = body.len().min(200);
            while !body.is_char_boundary(end) {
                end -= 1;
            }
            RawPageError::Json { source, start: body[..end].to_owned() }
        };
        let wire: WirePage<'_> = serde_json::from_str(&body).map_err(json_error)?;
        let base = body.as_ptr() as usize;
        let results = match wire.results {
            None => None,
            Some(r) => {
                let data = split_rows(r.data).map_err(json_error)?;
                let mut fields = Vec::with_capacity(data.fields.len());
                for text in &data.fields {
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
                    rows: RawRows { body: body.clone(), kinds: data.kinds, row_starts: data.row_starts, fields },
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
    /// Checked by serde_json as one JSON value, split into rows by [`split_rows`]; `None` when
    /// absent (a `null` is kept, to be refused as rows are).
    #[serde(default, borrow, deserialize_with = "present")]
    data: Option<&'a RawValue>,
}

fn present<'de, D: de::Deserializer<'de>>(deserializer: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&'de RawValue>::deserialize(deserializer).map(Some)
}

/// The rows of `data` (a whole JSON value, already checked by serde_json). The common shape,
/// `[{"kind":"INSERT","fields":[…]},…]` with no other keys and no escapes in keys, is split by
/// [`scan_rows`] in one pass over the text; anything else by the serde visitor below, which
/// gives the same rows or the error.
fn split_rows(data: Option<&RawValue>) -> Result<WireRows<'_>, serde_json::Error> {
    let Some(data) = data else { return Ok(WireRows::default()) };
    match scan_rows(data.get()) {
        Some(rows) => Ok(rows),
        None => serde_json::from_str(data.get()),
    }
}

/// Splits the text of a valid JSON array of rows, or `None` where it is not of the common shape.
/// The text is valid JSON (serde_json checked it), so only its structure is followed here.
fn scan_rows(text: &str) -> Option<WireRows<'_>> {
    let b = text.as_bytes();
    let mut rows = WireRows::default();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b']') {
        return Some(rows);
    }
    loop {
        i = scan_row(text, i, &mut rows)?;
        i = skip_ws(b, i);
        match b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            b']' => return Some(rows),
            _ => return None,
        }
    }
}

/// One row object at `i`; answers the position after it.
fn scan_row<'a>(text: &'a str, mut i: usize, rows: &mut WireRows<'a>) -> Option<usize> {
    let b = text.as_bytes();
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let (mut kind, mut fields) = (None, false);
    i = skip_ws(b, i + 1);
    loop {
        let key_end = string_end(b, i)?;
        let key = &b[i..key_end];
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        match key {
            b"\"kind\"" if kind.is_none() => {
                let end = string_end(b, i)?;
                kind = Some(match &b[i..end] {
                    b"\"INSERT\"" => RowKind::Insert,
                    b"\"UPDATE_BEFORE\"" => RowKind::UpdateBefore,
                    b"\"UPDATE_AFTER\"" => RowKind::UpdateAfter,
                    b"\"DELETE\"" => RowKind::Delete,
                    _ => return None,
                });
                i = end;
            }
            b"\"fields\"" if !fields => {
                i = scan_fields(text, i, &mut rows.fields)?;
                fields = true;
            }
            // Other keys, repeated keys, escaped keys: the serde path decides.
            _ => return None,
        }
        i = skip_ws(b, i);
        match b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            b'}' => break,
            _ => return None,
        }
    }
    let (Some(kind), true) = (kind, fields) else { return None };
    rows.kinds.push(kind);
    rows.row_starts.push(u32::try_from(rows.fields.len()).ok()?);
    Some(i + 1)
}

/// A row's `fields` array at `i`: each value's text appended; answers the position after it.
fn scan_fields<'a>(text: &'a str, mut i: usize, fields: &mut Vec<&'a str>) -> Option<usize> {
    let b = text.as_bytes();
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b']') {
        return Some(i + 1);
    }
    loop {
        let end = value_end(b, i)?;
        // The value's text without surrounding whitespace, as serde_json's RawValue borrows it.
        fields.push(text.get(i..end)?);
        i = skip_ws(b, end);
        match b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            b']' => return Some(i + 1),
            _ => return None,
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        i += 1;
    }
    i
}

/// The end (past the closing quote) of the string starting at `i`.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    loop {
        match b.get(j)? {
            b'"' => return Some(j + 1),
            // Valid JSON: an escape is a backslash and at least one more byte.
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// The end of the JSON value starting at `i`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'[' | b'{' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            // A number or a literal: up to the next delimiter.
            let mut j = i;
            while !matches!(b.get(j), None | Some(b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t')) {
                j += 1;
            }
            Some(j)
        }
    }
}

/// `data`: every row's kind and fields, flattened into three vectors (no allocation per row).
#[derive(Debug, PartialEq)]
struct WireRows<'a> {
    kinds: Vec<RowKind>,
    row_starts: Vec<u32>,
    /// Each field's text, borrowed from the body.
    fields: Vec<&'a str>,
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
    fields: &'v mut Vec<&'de str>,
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
    fields: &'v mut Vec<&'de str>,
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
            self.fields.push(value.get());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass split agrees with the serde visitor wherever it answers, and answers for the
    /// common shape however it is spaced or whatever the values hold.
    #[test]
    fn scan_agrees_with_the_visitor() {
        let common = [
            "[]",
            " [ ] ",
            r#"[{"kind":"INSERT","fields":[]}]"#,
            r#"[{"kind":"INSERT","fields":[1,"a",null,true,false,-1.5e-3]}]"#,
            "[ {\n \"fields\" : [ 1 , \"x\" ] ,\t\"kind\" : \"DELETE\" } ,{\"kind\":\"UPDATE_AFTER\",\"fields\":[2,\"y\"]}\r\n]",
            r#"[{"kind":"UPDATE_BEFORE","fields":["a\"b\\","\u00e9\n","日本",{"k":[1,{"x":"]}"}]},[[],{}],"[{\"]"]}]"#,
            r#"[{"kind":"INSERT","fields":[{"a":"}"},[1,[2,[3]]]]},{"kind":"INSERT","fields":[0]}]"#,
        ];
        for text in common {
            let scanned = scan_rows(text).unwrap_or_else(|| panic!("not scanned: {text}"));
            let visited: WireRows<'_> = serde_json::from_str(text).unwrap();
            assert_eq!(scanned, visited, "{text}");
        }
        // Left to the visitor: what it reads differently or refuses.
        let other = [
            r#"[{"kind":"INSERT","fields":[1],"extra":2}]"#,
            r#"[{"kind":"INSERT"}]"#,
            r#"[{"fields":[1]}]"#,
            r#"[{"kind":"INSERT","kind":"DELETE","fields":[1]}]"#,
            r#"[{"kind":"INSERT","fields":[1],"fields":[2]}]"#,
            r#"[{"\u006bind":"INSERT","fields":[1]}]"#,
            r#"[{"kind":"UPSERT","fields":[1]}]"#,
            r#"[{"kind":"INS\u0045RT","fields":[1]}]"#,
            r#"[{"kind":1,"fields":[1]}]"#,
            r#"[{"kind":"INSERT","fields":{}}]"#,
            r#"[1]"#,
            "null",
            "{}",
        ];
        for text in other {
            assert!(scan_rows(text).is_none(), "scanned: {text}");
            let visited: Result<WireRows<'_>, _> = serde_json::from_str(text);
            let page = format!(r#"{{"resultType":"PAYLOAD","results":{{"columns":[],"data":{text}}}}}"#);
            let values = serde_json::from_str::<crate::rest::FetchResultsResponse>(&page);
            assert_eq!(visited.is_ok(), values.is_ok(), "{text}");
            assert_eq!(RawPage::parse(page.into_bytes()).is_ok(), values.is_ok(), "{text}");
        }
    }
}
