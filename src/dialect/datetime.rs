//! PostgreSQL's date/time formatting functions with PostgreSQL's meaning: `to_date(text, fmt)`,
//! `to_timestamp(text, fmt)`, `to_timestamp(epoch)`, `to_char(date | timestamp, fmt)`.
//!
//! Flink has functions of the same names, but their patterns are Java's (`YYYY` is the week
//! year, `DD` the day of the year), so a PostgreSQL template sent as it is gives a silently
//! different date (`TO_DATE('2024-01-04', 'YYYY-MM-DD')` is 2023-12-31 on Flink). Each template
//! is read here element by element:
//!
//! - **Both arguments constant** (what Superset's time filters send): the value is parsed here
//!   with PostgreSQL's rules and sent as a typed literal (`DATE '2024-01-04'`, `TIMESTAMP
//!   '2000-01-01 00:00:00.000000'`), microseconds kept; a value that is not a valid date is
//!   PostgreSQL's error (22007 / 22008), where Flink would roll `2024-02-30` over to March.
//! - **A column or expression** and a constant template: the template becomes the Java pattern
//!   Flink's `TO_DATE` / `TO_TIMESTAMP` / `DATE_FORMAT` read it with. (Flink parses leniently:
//!   an impossible date in the data rolls over where PostgreSQL errors.)
//! - `to_timestamp(epoch seconds)` → `TO_TIMESTAMP_LTZ(epoch * 1000, 3)` (milliseconds kept).
//!
//! Elements: `YYYY`, `YY` (to_char only), `MM`, `Mon`, `FMMonth`, `DD`, `DDD`, `Dy`, `FMDay`,
//! `HH24`, `HH`/`HH12` (with `AM`/`PM` when parsing), `MI`, `SS`, `MS`, `US` (constant values
//! and to_char only: Flink's `TO_TIMESTAMP` keeps milliseconds), `AM`/`PM`, `Q` (to_char only),
//! `FM` before a number (no padding), `"quoted text"` and punctuation. Anything else is refused
//! with 0A000 naming the element (`Month` and `Day` without `FM` pad to 9 characters, lower-case
//! and upper-case month and day names, `TZ`, `TH`, ISO weeks, `D`, `J`, `CC`, `RM`…): never a
//! different answer.

use chrono::format::{parse as chrono_parse, Parsed, StrftimeItems};
use chrono::{NaiveDate, NaiveDateTime};
use sqlparser::ast::{DataType, Expr, TimezoneInfo, TypedString, Value};

use super::{call, string_value, Refusal};
use flinkwire_protocol::sqlstate::SqlState;

/// One element of a PostgreSQL date/time template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Element {
    /// A field; `fill` is false after `FM` (no padding).
    Field { field: Field, fill: bool },
    /// Text copied as it is.
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Year,
    YearTwoDigits,
    Month,
    MonthAbbrev,
    MonthName,
    Day,
    DayOfYear,
    WeekdayAbbrev,
    WeekdayName,
    Hour24,
    Hour12,
    Minute,
    Second,
    Milli,
    Micro,
    Meridiem,
    Quarter,
}

/// What a template is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Read by Flink's `TO_DATE` / `TO_TIMESTAMP` (a column's values).
    FlinkParse,
    /// Written by Flink's `DATE_FORMAT`.
    Format,
}

fn refuse(template: &str, element: &str, why: &str) -> Refusal {
    Refusal::new(
        SqlState::FEATURE_NOT_SUPPORTED,
        format!("date/time template element \"{element}\" in '{template}' has no exact Flink equivalent: {why}"),
    )
}

/// The elements that may follow `FM` and the names they are matched by, longest first.
const FIELDS: &[(&str, Field)] = &[
    ("HH24", Field::Hour24),
    ("HH12", Field::Hour12),
    ("YYYY", Field::Year),
    ("Month", Field::MonthName),
    ("Mon", Field::MonthAbbrev),
    ("DDD", Field::DayOfYear),
    ("Day", Field::WeekdayName),
    ("Dy", Field::WeekdayAbbrev),
    ("HH", Field::Hour12),
    ("MI", Field::Minute),
    ("SS", Field::Second),
    ("MS", Field::Milli),
    ("US", Field::Micro),
    ("YY", Field::YearTwoDigits),
    ("MM", Field::Month),
    ("DD", Field::Day),
    ("AM", Field::Meridiem),
    ("PM", Field::Meridiem),
    ("Q", Field::Quarter),
];

/// Template elements PostgreSQL knows that are not translated, so they are named in the
/// refusal rather than copied as text.
const UNSUPPORTED: &[&str] = &[
    "MONTH", "month", "MON", "mon", "DAY", "day", "DY", "dy", "A.M.", "P.M.", "a.m.", "p.m.", "am", "pm", "TZH", "TZM",
    "TZ", "tz", "OF", "TH", "th", "IYYY", "IYY", "IY", "IDDD", "ID", "IW", "WW", "SSSSS", "SSSS", "FF1", "FF2", "FF3",
    "FF4", "FF5", "FF6", "Y,YYY", "YYY", "CC", "RM", "rm", "BC", "AD", "B.C.", "A.D.", "bc", "ad", "J", "W", "D", "I",
    "Y",
];

/// Splits a template into elements.
fn elements(template: &str) -> Result<Vec<Element>, Refusal> {
    let mut out = Vec::new();
    let mut rest = template;
    let mut text = String::new();
    let flush = |text: &mut String, out: &mut Vec<Element>| {
        if !text.is_empty() {
            out.push(Element::Text(std::mem::take(text)));
        }
    };
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            // Quoted text; a backslash escapes the next character.
            let mut chars = rest[1..].char_indices();
            let mut end = None;
            while let Some((i, ch)) = chars.next() {
                match ch {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            text.push(escaped);
                        }
                    }
                    '"' => {
                        end = Some(i + 2);
                        break;
                    }
                    other => text.push(other),
                }
            }
            rest = &rest[end.unwrap_or(rest.len())..];
            continue;
        }
        let fill = !rest.starts_with("FM");
        let body = if fill { rest } else { &rest[2..] };
        // The longest name wins: `SSSS` (seconds since midnight) is not `SS` twice.
        let supported = FIELDS.iter().find(|(name, _)| body.starts_with(name));
        let unsupported = UNSUPPORTED.iter().filter(|name| body.starts_with(**name)).max_by_key(|name| name.len());
        if let Some(name) = unsupported.filter(|u| supported.is_none_or(|(name, _)| u.len() > name.len())) {
            return Err(refuse(template, name, "not translated"));
        }
        if let Some((name, field)) = supported {
            if !fill && !matches!(field, Field::MonthName | Field::WeekdayName) && !is_number(*field) {
                return Err(refuse(template, &format!("FM{name}"), "FM changes only numbers and names"));
            }
            if fill && matches!(field, Field::MonthName | Field::WeekdayName) {
                return Err(refuse(template, name, "PostgreSQL pads the name to 9 characters (FMMonth / FMDay do not)"));
            }
            flush(&mut text, &mut out);
            out.push(Element::Field { field: *field, fill });
            rest = &body[name.len()..];
            continue;
        }
        if !fill {
            return Err(refuse(template, "FM", "FM must come before a number or a name"));
        }
        if c.is_ascii_alphabetic() {
            return Err(refuse(template, &c.to_string(), "letters outside double quotes are not copied as text"));
        }
        text.push(c);
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut text, &mut out);
    Ok(out)
}

fn is_number(field: Field) -> bool {
    !matches!(field, Field::MonthAbbrev | Field::MonthName | Field::WeekdayAbbrev | Field::WeekdayName | Field::Meridiem)
}

/// The Java (DateTimeFormatter) pattern for a template, as Flink's functions read it.
fn java_pattern(template: &str, elements: &[Element], purpose: Use) -> Result<String, Refusal> {
    let mut out = String::new();
    for element in elements {
        match element {
            Element::Text(text) => {
                for c in text.chars() {
                    match c {
                        '\'' => out.push_str("''"),
                        c if c.is_ascii_alphabetic() || "[]{}#".contains(c) => {
                            out.push('\'');
                            out.push(c);
                            out.push('\'');
                        }
                        c => out.push(c),
                    }
                }
            }
            Element::Field { field, fill } => {
                let parse_only_refusal = |what: &str, why: &str| Err(refuse(template, what, why));
                let letters = match (field, fill) {
                    (Field::Year, true) => "yyyy",
                    (Field::Year, false) => "y",
                    (Field::YearTwoDigits, _) if purpose != Use::Format => {
                        return parse_only_refusal("YY", "PostgreSQL picks the century nearest 2020, Java a fixed one")
                    }
                    (Field::YearTwoDigits, _) => "yy",
                    (Field::Month, true) => "MM",
                    (Field::Month, false) => "M",
                    (Field::MonthAbbrev, _) => "MMM",
                    (Field::MonthName, _) => "MMMM",
                    (Field::Day, true) => "dd",
                    (Field::Day, false) => "d",
                    (Field::DayOfYear, true) => "DDD",
                    (Field::DayOfYear, false) => "D",
                    (Field::WeekdayAbbrev, _) => "EEE",
                    (Field::WeekdayName, _) => "EEEE",
                    (Field::Hour24, true) => "HH",
                    (Field::Hour24, false) => "H",
                    (Field::Hour12, true) => "hh",
                    (Field::Hour12, false) => "h",
                    (Field::Minute, true) => "mm",
                    (Field::Minute, false) => "m",
                    (Field::Second, true) => "ss",
                    (Field::Second, false) => "s",
                    (Field::Milli, _) => "SSS",
                    (Field::Micro, _) if purpose == Use::FlinkParse => {
                        return parse_only_refusal("US", "Flink's TO_TIMESTAMP keeps milliseconds only")
                    }
                    (Field::Micro, _) => "SSSSSS",
                    (Field::Meridiem, _) => "a",
                    (Field::Quarter, _) if purpose != Use::Format => return parse_only_refusal("Q", "PostgreSQL ignores it when parsing"),
                    (Field::Quarter, _) => "Q",
                };
                out.push_str(letters);
            }
        }
    }
    if purpose != Use::Format {
        check_parse_fields(template, elements)?;
    }
    Ok(out)
}

/// A template used for parsing: a 12-hour clock needs its AM/PM (PostgreSQL assumes AM,
/// Java refuses the value), and names of weekdays are not read by PostgreSQL.
fn check_parse_fields(template: &str, elements: &[Element]) -> Result<(), Refusal> {
    let has = |f: Field| elements.iter().any(|e| matches!(e, Element::Field { field, .. } if *field == f));
    if has(Field::Hour12) && !has(Field::Meridiem) {
        return Err(refuse(template, "HH12", "without AM/PM PostgreSQL reads a morning hour, Flink nothing"));
    }
    if has(Field::WeekdayAbbrev) || has(Field::WeekdayName) {
        return Err(refuse(template, "Dy", "PostgreSQL ignores weekday names when parsing"));
    }
    if has(Field::DayOfYear) {
        return Err(refuse(template, "DDD", "day-of-year parsing is not translated"));
    }
    Ok(())
}

/// The strftime items chrono parses a constant value with.
fn strftime(template: &str, elements: &[Element]) -> Result<String, Refusal> {
    check_parse_fields(template, elements)?;
    let mut out = String::new();
    for element in elements {
        match element {
            Element::Text(text) => out.push_str(&text.replace('%', "%%")),
            Element::Field { field, .. } => out.push_str(match field {
                Field::Year => "%Y",
                Field::Month => "%m",
                Field::MonthAbbrev => "%b",
                Field::MonthName => "%B",
                Field::Day => "%d",
                Field::Hour24 => "%H",
                Field::Hour12 => "%I",
                Field::Minute => "%M",
                Field::Second => "%S",
                Field::Milli => "%3f",
                Field::Micro => "%6f",
                Field::Meridiem => "%p",
                Field::YearTwoDigits => return Err(refuse(template, "YY", "PostgreSQL picks the century nearest 2020")),
                Field::Quarter => return Err(refuse(template, "Q", "PostgreSQL ignores it when parsing")),
                Field::DayOfYear | Field::WeekdayAbbrev | Field::WeekdayName => unreachable!("refused by check_parse_fields"),
            }),
        }
    }
    Ok(out)
}

/// Parses a constant the way PostgreSQL's to_date / to_timestamp do (for the elements above).
fn parse_constant(value: &str, template: &str, elements: &[Element]) -> Result<NaiveDateTime, Refusal> {
    let format = strftime(template, elements)?;
    let mut parsed = Parsed::new();
    let invalid = || Refusal::new(SqlState("22007"), format!("invalid value \"{value}\" for the template '{template}'"));
    chrono_parse(&mut parsed, value.trim(), StrftimeItems::new(&format)).map_err(|_| invalid())?;
    // Fields the template does not have are PostgreSQL's defaults: January, the 1st, midnight.
    if parsed.month().is_none() {
        let _ = parsed.set_month(1);
    }
    if parsed.day().is_none() {
        let _ = parsed.set_day(1);
    }
    if parsed.hour_div_12().is_none() && parsed.hour_mod_12().is_none() {
        let _ = parsed.set_hour(0);
    }
    if parsed.minute().is_none() {
        let _ = parsed.set_minute(0);
    }
    if parsed.second().is_none() {
        let _ = parsed.set_second(0);
    }
    let out_of_range = || Refusal::new(SqlState("22008"), format!("date/time field value out of range: \"{value}\""));
    let date = parsed.to_naive_date().map_err(|_| out_of_range())?;
    let time = parsed.to_naive_time().map_err(|_| out_of_range())?;
    Ok(NaiveDateTime::new(date, time))
}

/// `DATE '…'`, `TIMESTAMP '…'`.
pub(super) fn typed_literal(data_type: DataType, value: String) -> Expr {
    Expr::TypedString(TypedString {
        data_type,
        value: Value::SingleQuotedString(value).with_empty_span(),
        uses_odbc_syntax: false,
    })
}


/// `to_date(value, template)`.
pub(super) fn to_date(value: &Expr, template: &Expr) -> Result<Option<Expr>, Refusal> {
    let Some(template_text) = string_value(template) else { return Ok(None) };
    let elements = elements(template_text)?;
    if let Some(text) = string_value(value) {
        let date: NaiveDate = parse_constant(text, template_text, &elements)?.date();
        return Ok(Some(typed_literal(DataType::Date, date.format("%Y-%m-%d").to_string())));
    }
    let java = java_pattern(template_text, &elements, Use::FlinkParse)?;
    Ok(Some(call("TO_DATE", vec![value.clone(), Expr::value(Value::SingleQuotedString(java))])))
}

/// `to_timestamp(value, template)`. PostgreSQL's result is a timestamptz in the session's time
/// zone; Flink's (and this literal) is the same wall-clock TIMESTAMP, which compares with
/// TIMESTAMP columns exactly as PostgreSQL's does.
pub(super) fn to_timestamp(value: &Expr, template: &Expr) -> Result<Option<Expr>, Refusal> {
    let Some(template_text) = string_value(template) else { return Ok(None) };
    let elements = elements(template_text)?;
    if let Some(text) = string_value(value) {
        let at = parse_constant(text, template_text, &elements)?;
        return Ok(Some(typed_literal(DataType::Timestamp(None, TimezoneInfo::None), at.format("%Y-%m-%d %H:%M:%S%.6f").to_string())));
    }
    let java = java_pattern(template_text, &elements, Use::FlinkParse)?;
    Ok(Some(call("TO_TIMESTAMP", vec![value.clone(), Expr::value(Value::SingleQuotedString(java))])))
}

/// `to_timestamp(epoch seconds)` → a TIMESTAMP_LTZ, like PostgreSQL's timestamptz. The seconds
/// become DOUBLE first: `1704067200 * 1000` overflows Flink's INT arithmetic.
pub(super) fn from_epoch(seconds: &Expr) -> Expr {
    let as_double = Expr::Cast {
        kind: sqlparser::ast::CastKind::Cast,
        expr: Box::new(seconds.clone()),
        data_type: DataType::Double(sqlparser::ast::ExactNumberInfo::None),
        array: false,
        format: None,
    };
    let millis = Expr::BinaryOp {
        left: Box::new(as_double),
        op: sqlparser::ast::BinaryOperator::Multiply,
        right: Box::new(Expr::value(Value::Number("1000".into(), false))),
    };
    call("TO_TIMESTAMP_LTZ", vec![millis, Expr::value(Value::Number("3".into(), false))])
}

/// `to_char(date | timestamp, template)` → `DATE_FORMAT(CAST(x AS TIMESTAMP), pattern)`.
/// Number templates (`9`, `0`, `FM999`…) are refused.
pub(super) fn to_char(value: &Expr, template: &Expr) -> Result<Option<Expr>, Refusal> {
    let Some(template_text) = string_value(template) else { return Ok(None) };
    let elements = elements(template_text).map_err(|e| {
        if template_text.contains('9') || template_text.contains('0') {
            Refusal::new(SqlState::FEATURE_NOT_SUPPORTED, format!("to_char with the number template '{template_text}' is not translated to Flink"))
        } else {
            e
        }
    })?;
    if !elements.iter().any(|e| matches!(e, Element::Field { .. })) {
        return Err(Refusal::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            format!("to_char with the template '{template_text}' is not translated to Flink (no date/time element)"),
        ));
    }
    let java = java_pattern(template_text, &elements, Use::Format)?;
    let timestamp = Expr::Cast {
        kind: sqlparser::ast::CastKind::Cast,
        expr: Box::new(value.clone()),
        data_type: DataType::Timestamp(None, TimezoneInfo::None),
        array: false,
        format: None,
    };
    Ok(Some(call("DATE_FORMAT", vec![timestamp, Expr::value(Value::SingleQuotedString(java))])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Expr {
        Expr::value(Value::SingleQuotedString(s.into()))
    }

    fn col() -> Expr {
        Expr::Identifier(sqlparser::ast::Ident::new("c"))
    }

    fn date(v: &str, t: &str) -> String {
        to_date(&lit(v), &lit(t)).unwrap().unwrap().to_string()
    }

    fn ts(v: &str, t: &str) -> String {
        to_timestamp(&lit(v), &lit(t)).unwrap().unwrap().to_string()
    }

    fn refused(r: Result<Option<Expr>, Refusal>) -> String {
        let e = r.unwrap_err();
        format!("{} {}", e.sqlstate.0, e.message)
    }

    #[test]
    fn constants_are_parsed_as_postgres_does() {
        // PostgreSQL 16: to_date('2024-01-04', 'YYYY-MM-DD') = 2024-01-04 (Flink: 2023-12-31).
        assert_eq!(date("2024-01-04", "YYYY-MM-DD"), "DATE '2024-01-04'");
        assert_eq!(date("04.01.2024", "DD.MM.YYYY"), "DATE '2024-01-04'");
        assert_eq!(date("2024-1-4", "YYYY-MM-DD"), "DATE '2024-01-04'");
        assert_eq!(date("20240104", "YYYYMMDD"), "DATE '2024-01-04'");
        assert_eq!(date("Jan 4 2024", "Mon DD YYYY"), "DATE '2024-01-04'");
        assert_eq!(date("2024", "YYYY"), "DATE '2024-01-01'");
        assert_eq!(ts("2000-01-01 00:00:00.000000", "YYYY-MM-DD HH24:MI:SS.US"), "TIMESTAMP '2000-01-01 00:00:00.000000'");
        assert_eq!(ts("2024-01-04 15:04:05.123456", "YYYY-MM-DD HH24:MI:SS.US"), "TIMESTAMP '2024-01-04 15:04:05.123456'");
        assert_eq!(ts("2024-01-04 03:04:05 PM", "YYYY-MM-DD HH12:MI:SS AM"), "TIMESTAMP '2024-01-04 15:04:05.000000'");
        assert_eq!(ts("2024-01-04T10:00:00.250", "YYYY-MM-DD\"T\"HH24:MI:SS.MS"), "TIMESTAMP '2024-01-04 10:00:00.250000'");
        assert_eq!(ts("2024-01-04", "YYYY-MM-DD"), "TIMESTAMP '2024-01-04 00:00:00.000000'");
    }

    #[test]
    fn impossible_constants_are_postgres_errors() {
        // PostgreSQL: ERROR: date/time field value out of range: "2024-02-30" (Flink: 2024-03-01).
        assert!(refused(to_date(&lit("2024-02-30"), &lit("YYYY-MM-DD"))).starts_with("22008"));
        assert!(refused(to_date(&lit("yesterday"), &lit("YYYY-MM-DD"))).starts_with("22007"));
    }

    #[test]
    fn column_values_use_java_patterns() {
        let flink = |f: Result<Option<Expr>, Refusal>| f.unwrap().unwrap().to_string();
        assert_eq!(flink(to_date(&col(), &lit("YYYY-MM-DD"))), "TO_DATE(c, 'yyyy-MM-dd')");
        assert_eq!(flink(to_timestamp(&col(), &lit("YYYY-MM-DD HH24:MI:SS.MS"))), "TO_TIMESTAMP(c, 'yyyy-MM-dd HH:mm:ss.SSS')");
        assert_eq!(flink(to_timestamp(&col(), &lit("DD/MM/YYYY HH12:MI AM"))), "TO_TIMESTAMP(c, 'dd/MM/yyyy hh:mm a')");
        assert_eq!(flink(to_timestamp(&col(), &lit("YYYY-MM-DD\"T\"HH24:MI"))), "TO_TIMESTAMP(c, 'yyyy-MM-dd''T''HH:mm')");
        assert_eq!(
            flink(to_char(&col(), &lit("YYYY-MM-DD HH24:MI:SS.US"))),
            "DATE_FORMAT(CAST(c AS TIMESTAMP), 'yyyy-MM-dd HH:mm:ss.SSSSSS')"
        );
        assert_eq!(flink(to_char(&col(), &lit("Dy, DD Mon YYYY"))), "DATE_FORMAT(CAST(c AS TIMESTAMP), 'EEE, dd MMM yyyy')");
        assert_eq!(flink(to_char(&col(), &lit("FMMonth FMDD, YYYY Q"))), "DATE_FORMAT(CAST(c AS TIMESTAMP), 'MMMM d, yyyy Q')");
        assert_eq!(flink(to_char(&col(), &lit("YYYY\"Q\"Q"))), "DATE_FORMAT(CAST(c AS TIMESTAMP), 'yyyy''Q''Q')");
        assert_eq!(from_epoch(&col()).to_string(), "TO_TIMESTAMP_LTZ(CAST(c AS DOUBLE) * 1000, 3)");
    }

    #[test]
    fn elements_without_an_exact_equivalent_are_refused() {
        for (f, element) in [
            (to_char(&col(), &lit("Month")), "\"Month\""),
            (to_char(&col(), &lit("MON")), "\"MON\""),
            (to_char(&col(), &lit("YYYY-MM-DD TZ")), "\"TZ\""),
            (to_char(&col(), &lit("DDth")), "\"th\""),
            (to_char(&col(), &lit("IYYY-IW")), "\"IYYY\""),
            (to_char(&col(), &lit("D")), "\"D\""),
            (to_date(&col(), &lit("YY-MM-DD")), "\"YY\""),
            (to_timestamp(&col(), &lit("YYYY-MM-DD HH24:MI:SS.US")), "\"US\""),
            (to_timestamp(&col(), &lit("HH12:MI")), "\"HH12\""),
            (to_char(&col(), &lit("999D99")), "number template"),
            (to_char(&col(), &lit("YYYY xx")), "\"x\""),
            (to_char(&col(), &lit("SSSS")), "\"SSSS\""),
        ] {
            let message = refused(f);
            assert!(message.starts_with("0A000") && message.contains(element), "{message}");
        }
    }
}
