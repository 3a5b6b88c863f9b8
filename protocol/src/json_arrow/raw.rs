//! Arrow columns read from a page's field texts ([`RawRows`]), without a `serde_json::Value`
//! per field.
//!
//! Scalar columns read a field straight from its text when the text has the common shape: a
//! plain JSON number, a string without escapes, `true`/`false`. Any other text (NULL, a string
//! with escapes, a number where a string was expected, `"NaN"`…) is parsed into a `Value` and
//! read by the same scalar readers as [`super::build`]; nested, binary, interval, RAW and
//! unknown columns go through [`super::build`] whole. A fast read is only taken where the
//! `Value` path would give the same value, so both paths give the same values and errors: the
//! fast path only decides how much work that takes.

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, PrimitiveBuilder, StringBuilder};
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, Time64MicrosecondType, Time64NanosecondType, TimestampMicrosecondType, TimestampNanosecondType,
};
use arrow_array::ArrayRef;
use arrow_schema::{DataType as ArrowType, TimeUnit};
use serde_json::Value;

use super::{
    build, json_bool, json_date, json_decimal, json_f32, json_f64, json_i64, json_time_nanos, int_in_range,
    parse_date, parse_decimal, parse_time, parse_timestamp, timestamp_micros, timestamp_nanos, json_timestamp,
    Cell, ConvertError, Ctx,
};
use crate::arrow_types::{time_unit, to_arrow};
use crate::logical_type::{DataType, LogicalType};
use crate::raw_page::RawRows;

/// Column `column` of `rows` as an Arrow array of type `ty`.
pub(super) fn raw_column(ty: &DataType, rows: &RawRows, column: usize, ctx: &Ctx<'_>) -> Result<ArrayRef, ConvertError> {
    let texts = Texts { rows, column };
    match &ty.ty {
        LogicalType::Boolean => {
            let mut b = BooleanBuilder::with_capacity(rows.len());
            for row in 0..rows.len() {
                match texts.get(row) {
                    "true" => b.append_value(true),
                    "false" => b.append_value(false),
                    text => match slow(ty, text, row, ctx, json_bool)? {
                        Some(v) => b.append_value(v),
                        None => b.append_null(),
                    },
                }
            }
            Ok(Arc::new(b.finish()))
        }
        LogicalType::TinyInt => primitive::<Int8Type>(ty, &texts, ctx, None, |t| fast_int(t), int_in_range),
        LogicalType::SmallInt => primitive::<Int16Type>(ty, &texts, ctx, None, |t| fast_int(t), int_in_range),
        LogicalType::Integer => primitive::<Int32Type>(ty, &texts, ctx, None, |t| fast_int(t), int_in_range),
        LogicalType::BigInt => primitive::<Int64Type>(ty, &texts, ctx, None, |t| fast_int(t), json_i64),
        LogicalType::Float => {
            primitive::<Float32Type>(ty, &texts, ctx, None, |t| number(t)?.parse().ok(), json_f32)
        }
        LogicalType::Double => {
            primitive::<Float64Type>(ty, &texts, ctx, None, |t| number(t)?.parse().ok(), json_f64)
        }
        LogicalType::Decimal { .. } => {
            let arrow = to_arrow(ty);
            let ArrowType::Decimal128(precision, scale) = arrow else { unreachable!("DECIMAL maps to Decimal128") };
            let scale = scale as u8;
            primitive::<Decimal128Type>(
                ty,
                &texts,
                ctx,
                Some(arrow),
                |t| parse_decimal(number(t)?, precision, scale).ok(),
                |v| json_decimal(v, precision, scale),
            )
        }
        LogicalType::Char { .. } | LogicalType::VarChar { .. } => {
            let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 16);
            for row in 0..rows.len() {
                let text = texts.get(row);
                if let Some(s) = plain_string(text) {
                    b.append_value(s);
                    continue;
                }
                match value(text, row, ctx, ty)? {
                    v if ctx.is_null(ty, row, &v)? => b.append_null(),
                    Value::String(s) => b.append_value(s),
                    // PLAIN_TEXT-like leniency, as in `build`: a scalar where a string was expected.
                    v => b.append_value(v.to_string()),
                }
            }
            Ok(Arc::new(b.finish()))
        }
        LogicalType::Date => primitive::<Date32Type>(
            ty,
            &texts,
            ctx,
            None,
            |t| i32::try_from(parse_date(plain_string(t)?)?).ok(),
            json_date,
        ),
        LogicalType::Time { precision } => match time_unit(*precision) {
            TimeUnit::Nanosecond => primitive::<Time64NanosecondType>(
                ty,
                &texts,
                ctx,
                None,
                |t| parse_time(plain_string(t)?).map(|ns| ns as i64),
                json_time_nanos,
            ),
            _ => primitive::<Time64MicrosecondType>(
                ty,
                &texts,
                ctx,
                None,
                |t| parse_time(plain_string(t)?).map(|ns| ns as i64 / 1000),
                |v| json_time_nanos(v).map(|ns| ns / 1000),
            ),
        },
        LogicalType::Timestamp { precision, .. }
        | LogicalType::TimestampLtz { precision, .. }
        | LogicalType::TimestampTz { precision } => {
            let arrow = Some(to_arrow(ty));
            match time_unit(*precision) {
                TimeUnit::Nanosecond => primitive::<TimestampNanosecondType>(
                    ty,
                    &texts,
                    ctx,
                    arrow,
                    |t| timestamp_nanos(parse_timestamp(plain_string(t)?)?).ok(),
                    |v| timestamp_nanos(json_timestamp(v)?),
                ),
                _ => primitive::<TimestampMicrosecondType>(
                    ty,
                    &texts,
                    ctx,
                    arrow,
                    |t| timestamp_micros(parse_timestamp(plain_string(t)?)?).ok(),
                    |v| timestamp_micros(json_timestamp(v)?),
                ),
            }
        }
        // Everything else through the `Value` builders, whole.
        _ => {
            let values =
                (0..rows.len()).map(|row| value(texts.get(row), row, ctx, ty)).collect::<Result<Vec<_>, _>>()?;
            let cells: Vec<Cell<'_>> = values.iter().enumerate().collect();
            build(ty, &cells, ctx)
        }
    }
}

/// One column's field texts.
struct Texts<'a> {
    rows: &'a RawRows,
    column: usize,
}

impl Texts<'_> {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn get(&self, row: usize) -> &str {
        self.rows.field(row, self.column)
    }
}

/// A primitive column: `fast` reads a text of the common shape, anything else (`None`) is read
/// as a `Value` by `read`, which also makes the error.
fn primitive<T: ArrowPrimitiveType>(
    ty: &DataType,
    texts: &Texts<'_>,
    ctx: &Ctx<'_>,
    arrow: Option<ArrowType>,
    fast: impl Fn(&str) -> Option<T::Native>,
    mut read: impl FnMut(&Value) -> Result<T::Native, String>,
) -> Result<ArrayRef, ConvertError> {
    let mut b = PrimitiveBuilder::<T>::with_capacity(texts.len()).with_data_type(arrow.unwrap_or(T::DATA_TYPE));
    for row in 0..texts.len() {
        let text = texts.get(row);
        if let Some(v) = fast(text) {
            b.append_value(v);
            continue;
        }
        match slow(ty, text, row, ctx, &mut read)? {
            Some(v) => b.append_value(v),
            None => b.append_null(),
        }
    }
    Ok(Arc::new(b.finish()))
}

/// The `Value` path for one field: `None` for an allowed NULL.
fn slow<N>(
    ty: &DataType,
    text: &str,
    row: usize,
    ctx: &Ctx<'_>,
    mut read: impl FnMut(&Value) -> Result<N, String>,
) -> Result<Option<N>, ConvertError> {
    let v = value(text, row, ctx, ty)?;
    if ctx.is_null(ty, row, &v)? {
        return Ok(None);
    }
    read(&v).map(Some).map_err(|e| ctx.value_error(ty, row, &v, e))
}

/// A field's text as a `Value` (it is one whole JSON value, checked when the page was parsed).
fn value(text: &str, row: usize, ctx: &Ctx<'_>, ty: &DataType) -> Result<Value, ConvertError> {
    if text == "null" {
        return Ok(Value::Null);
    }
    serde_json::from_str(text).map_err(|e| ctx.value_error(ty, row, &Value::String(text.to_owned()), e.to_string()))
}

/// A plain JSON integer (`-?[0-9]+`), as `json_i64` / `int_in_range` would read it.
fn fast_int<T: TryFrom<i64>>(text: &str) -> Option<T> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    T::try_from(text.parse::<i64>().ok()?).ok()
}

/// The text of a JSON number (not of a string holding one): what `number_text` gives for it.
fn number(text: &str) -> Option<&str> {
    matches!(text.as_bytes().first(), Some(b'-' | b'0'..=b'9')).then_some(text)
}

/// The contents of a JSON string without escapes: exactly the string's value.
fn plain_string(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('\\')).then_some(inner)
}

#[cfg(test)]
mod tests {
    use serde_json::value::RawValue;

    use crate::json_arrow::ResultSchema;
    use crate::raw_page::RawPage;
    use crate::rest::FetchResultsResponse;

    /// Both paths over one body: the same batch (with the `op` column), or the same error.
    fn assert_paths_agree(body: &str) {
        let values: FetchResultsResponse = serde_json::from_str(body).unwrap();
        let raw = RawPage::parse(body.as_bytes().to_vec()).unwrap();
        let (Some(values), Some(raw)) = (values.results, raw.results) else { return };
        let schema = match ResultSchema::new(&values.columns) {
            Ok(schema) => schema.with_op_column(),
            Err(_) => return,
        };
        let by_value = schema.batch(&values.data).map(|b| (b.batch, b.kinds)).map_err(|e| e.to_string());
        let by_text = schema.raw_batch(&raw.rows).map(|b| (b.batch, b.kinds)).map_err(|e| e.to_string());
        assert_eq!(by_value, by_text, "{body}");
    }

    fn page(columns: &str, rows: &[&str]) -> String {
        let data: Vec<String> = rows.iter().map(|r| format!(r#"{{"kind":"INSERT","fields":{r}}}"#)).collect();
        format!(
            r#"{{"resultType":"PAYLOAD","results":{{"columns":{columns},"rowFormat":"JSON","data":[{}]}},"nextResultUri":"/x"}}"#,
            data.join(",")
        )
    }

    fn column(ty: &str) -> String {
        format!(r#"[{{"name":"c","logicalType":{ty},"comment":null}}]"#)
    }

    #[test]
    fn agrees_with_the_value_path_on_every_transcript_page() {
        let Some(transcript) = crate::logical_type::tests::shared_file("transcripts-2.3.0.txt") else { return };
        let mut pages = 0;
        for (i, _) in transcript.match_indices("<<< HTTP 200") {
            let rest = &transcript[i..];
            let Some(start) = rest.find('\n') else { continue };
            let mut stream = serde_json::Deserializer::from_str(&rest[start..]).into_iter::<&RawValue>();
            let Some(Ok(body)) = stream.next() else { continue };
            if serde_json::from_str::<FetchResultsResponse>(body.get()).is_ok_and(|p| p.results.is_some()) {
                assert_paths_agree(body.get());
                pages += 1;
            }
        }
        assert!(pages > 20, "{pages} pages");
    }

    #[test]
    fn agrees_with_the_value_path_on_unusual_values() {
        let cases: &[(&str, &[&str])] = &[
            (r#"{"type":"BIGINT","nullable":true}"#, &[
                "[1]", "[-0]", "[null]", "[\"42\"]", "[\" 7 \"]", "[1.0]", "[1e3]", "[9223372036854775807]",
                "[9223372036854775808]", "[-9223372036854775808]", "[true]", "[\"x\"]",
            ]),
            (r#"{"type":"BIGINT","nullable":false}"#, &["[1]", "[null]"]),
            (r#"{"type":"INTEGER","nullable":true}"#, &["[2147483647]", "[2147483648]", "[-5]", "[\"12\"]"]),
            (r#"{"type":"TINYINT","nullable":true}"#, &["[127]", "[128]", "[-128]"]),
            (r#"{"type":"SMALLINT","nullable":true}"#, &["[32767]", "[32768]"]),
            (r#"{"type":"DOUBLE","nullable":true}"#, &[
                "[1.5]", "[-0.0]", "[1E308]", "[1e400]", "[\"NaN\"]", "[\"Infinity\"]", "[\"-Infinity\"]",
                "[0.1000000000000000055511151231257827]", "[3]", "[null]", "[\"abc\"]", "[[]]",
            ]),
            (r#"{"type":"FLOAT","nullable":true}"#, &["[33.333]", "[\"NaN\"]", "[3.4e39]"]),
            (r#"{"type":"DECIMAL","nullable":true,"precision":38,"scale":18}"#, &[
                "[12345678901234567890.123456789012345678]", "[0E-10]", "[-1.5E+3]", "[\"2.5\"]",
                "[1e30]", "[0.0000000000000000005]", "[null]",
            ]),
            (r#"{"type":"DECIMAL","nullable":true,"precision":5,"scale":2}"#, &["[999.994]", "[999.995]", "[1234]"]),
            (r#"{"type":"VARCHAR","nullable":true,"length":10}"#, &[
                "[\"abc\"]", "[\"\"]", "[\"a\\\"b\"]", "[\"\\u00e9\\n\"]", "[\"é日本\"]", "[12]", "[1.50]", "[true]",
                "[null]", "[{\"a\":1}]", "[[1,2]]",
            ]),
            (r#"{"type":"CHAR","nullable":false,"length":1}"#, &["[\"x\"]", "[null]"]),
            (r#"{"type":"BOOLEAN","nullable":true}"#, &["[true]", "[false]", "[\"TRUE\"]", "[\"no\"]", "[1]", "[null]"]),
            (r#"{"type":"DATE","nullable":true}"#, &["[\"2024-01-02\"]", "[\"2024-02-30\"]", "[\"2024-01-02x\"]", "[19724]", "[\"\\u0032024-01-02\"]"]),
            (r#"{"type":"TIME_WITHOUT_TIME_ZONE","nullable":true,"precision":9}"#, &["[\"12:34:56.123456789\"]", "[\"25:00:00\"]"]),
            (r#"{"type":"TIME_WITHOUT_TIME_ZONE","nullable":true,"precision":0}"#, &["[\"12:34:56\"]", "[\"12:34\"]"]),
            (r#"{"type":"TIMESTAMP_WITHOUT_TIME_ZONE","nullable":true,"precision":3}"#, &[
                "[\"2024-01-02T03:04:05.123\"]", "[\"2024-01-02 03:04:05\"]", "[\"2024-01-02T03:04:05.1234567\"]",
                "[\"9999999-12-31T23:59:59\"]", "[\"bad\"]", "[1]", "[null]",
            ]),
            (r#"{"type":"TIMESTAMP_WITHOUT_TIME_ZONE","nullable":true,"precision":9}"#, &["[\"2300-01-01T00:00:00\"]", "[\"2024-01-02T03:04:05.123456789\"]"]),
            (r#"{"type":"TIMESTAMP_WITH_LOCAL_TIME_ZONE","nullable":true,"precision":3}"#, &[
                "[\"1970-01-01T00:00:00Z\"]", "[\"2024-01-02T03:04:05.5+02:00\"]", "[\"2024-01-02T03:04:05-01:30\"]",
            ]),
            (r#"{"type":"ARRAY","nullable":true,"elementType":{"type":"INTEGER","nullable":true}}"#, &["[[1,null,3]]", "[null]", "[\"x\"]"]),
            (r#"{"type":"MAP","nullable":true,"keyType":{"type":"VARCHAR","nullable":false,"length":5},"valueType":{"type":"BIGINT","nullable":true}}"#, &["[{\"k\":1,\"k2\":null}]", "[[[\"a\",1]]]"]),
            (r#"{"type":"BINARY","nullable":true,"length":2}"#, &["[\"AQI=\"]", "[\"!!\"]"]),
            (r#"{"type":"INTERVAL_DAY_TIME","nullable":true,"resolution":"DAY_TO_SECOND","fractionalPrecision":3,"dayPrecision":2}"#, &["[86400123]"]),
        ];
        for (ty, rows) in cases {
            // Each value alone (so one error does not hide the others) and all together.
            for row in *rows {
                assert_paths_agree(&page(&column(ty), &[row]));
            }
            assert_paths_agree(&page(&column(ty), rows));
        }
        // Field count mismatches and several columns.
        let two = r#"[{"name":"a","logicalType":{"type":"BIGINT","nullable":true}},{"name":"b","logicalType":{"type":"VARCHAR","nullable":true,"length":3}}]"#;
        assert_paths_agree(&page(two, &["[1,\"x\"]", "[2]"]));
        assert_paths_agree(&page(two, &["[1,\"x\"]", "[2,\"y\",3]"]));
        assert_paths_agree(&page(two, &["[1,\"x\"]", "[null,null]", "[3,\"z\"]"]));
    }

    #[test]
    fn keeps_kinds_in_any_key_order_and_ignores_unknown_keys() {
        let body = r#"{"resultType":"PAYLOAD","results":{"columns":[{"name":"c","logicalType":{"type":"INTEGER","nullable":true}}],"data":[
            {"fields":[1],"kind":"UPDATE_BEFORE"},{"kind":"DELETE","extra":{"x":[1]},"fields":[2]}]}}"#;
        let page = RawPage::parse(body.as_bytes().to_vec()).unwrap();
        let rows = &page.results.as_ref().unwrap().rows;
        assert_eq!(rows.kinds(), [crate::rest::RowKind::UpdateBefore, crate::rest::RowKind::Delete]);
        assert_eq!(rows.field(1, 0), "2");
        assert_paths_agree(body);
        for bad in [
            r#"{"resultType":"PAYLOAD","results":{"columns":[],"data":[{"fields":[1]}]}}"#,
            r#"{"resultType":"PAYLOAD","results":{"columns":[],"data":[{"kind":"INSERT"}]}}"#,
            r#"{"resultType":"PAYLOAD","results":{"columns":[],"data":[{"kind":"INSERT","kind":"INSERT","fields":[]}]}}"#,
            r#"{"resultType":"PAYLOAD","results":{"columns":[],"data":[{"kind":"INSERT","fields":[1,]}]}}"#,
        ] {
            assert!(RawPage::parse(bad.as_bytes().to_vec()).is_err(), "{bad}");
            assert!(serde_json::from_str::<FetchResultsResponse>(bad).is_err(), "{bad}");
        }
        assert!(RawPage::parse(b"{\"resultType\":\"EOS\",\"x\":\"\xff\"}".to_vec()).is_err());
    }
}
