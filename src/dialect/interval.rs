//! PostgreSQL interval literals (`INTERVAL '5 minutes'`, `'1 day 2 hours'::interval`) as Flink
//! interval literals with the same length.
//!
//! Flink (Calcite) takes only the SQL-standard form, a string of fields and a qualifier:
//! `INTERVAL '0 00:05:00' DAY TO SECOND(3)`, `INTERVAL '1-2' YEAR TO MONTH`. PostgreSQL's free
//! form is read here with PostgreSQL's rules and written in that form:
//!
//! | PostgreSQL | Flink |
//! |---|---|
//! | `'5 minutes'`, `'90 seconds'`, `'1.5 hours'`, `'1 day 02:00:00'`, `'-7 days'`, `'2 weeks'` | `INTERVAL '0 00:05:00.000' DAY (1) TO SECOND (3)` … |
//! | `'1 mon'`, `'1 year 2 months'`, `'1.5 years'` | `INTERVAL '0-1' YEAR (1) TO MONTH` … |
//! | 1000 days or more | `(INTERVAL '…' DAY TO SECOND + INTERVAL '1 00:00:00' DAY TO SECOND * n)` (Flink's day precision stops at 3 digits) |
//!
//! Refused (0A000), because Flink has no interval with the same meaning: months together with
//! days or times (`'1 mon 2 days'`: Flink keeps the two kinds apart and cannot add them), a
//! fraction of a month (`'1.5 months'`, which PostgreSQL turns into 15 days), microseconds
//! (Flink's intervals count milliseconds), `ago`, ISO 8601 (`P1D`) and `@` forms.

use sqlparser::ast::{BinaryOperator, DateTimeField, Expr, Interval, Value};

use super::Refusal;
use flinkwire_protocol::sqlstate::SqlState;

const MICROS_PER_MILLI: i128 = 1_000;
const MICROS_PER_SECOND: i128 = 1_000_000;
const MICROS_PER_MINUTE: i128 = 60 * MICROS_PER_SECOND;
const MICROS_PER_HOUR: i128 = 60 * MICROS_PER_MINUTE;
const MICROS_PER_DAY: i128 = 24 * MICROS_PER_HOUR;
/// Flink 2.3.0 plans `DAY(p)` only up to p = 3 (measured: "DAY_INTERVAL_TYPES precision is not
/// supported: 4"), and `YEAR(p)` up to 4.
const MAX_DAYS_IN_LITERAL: i128 = 999;
const MAX_YEARS: i128 = 9_999;

/// A PostgreSQL interval that Flink can represent: either months or an exact duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PgInterval {
    /// Years and months (Flink's INTERVAL YEAR TO MONTH).
    Months(i128),
    /// Days, hours, minutes, seconds and milliseconds (Flink's INTERVAL DAY TO SECOND).
    Millis(i128),
}

fn refuse(text: &str, why: &str) -> Refusal {
    Refusal::new(
        SqlState::FEATURE_NOT_SUPPORTED,
        format!("interval '{text}' cannot be sent to Flink unchanged in meaning: {why}"),
    )
}

fn invalid(text: &str) -> Refusal {
    Refusal::new(SqlState("22007"), format!("invalid input syntax for type interval: \"{text}\""))
}

/// PostgreSQL's answer to a field beyond its range (`interval_field_overflow`). Without it, huge
/// fields overflowed i128 (a panic in debug builds, a wrong interval sent to Flink in release;
/// found by fuzzing, fuzz/sql/fuzz_targets/dialect.rs).
fn out_of_range(text: &str) -> Refusal {
    Refusal::new(SqlState("22015"), format!("interval field value out of range: \"{text}\""))
}

/// A decimal number as an exact fraction: digits and the power of ten that divides them.
fn parse_decimal(token: &str) -> Option<(i128, u32)> {
    let (sign, digits) = match token.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, token.strip_prefix('+').unwrap_or(token)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if (whole.is_empty() && fraction.is_empty()) || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    if whole.len() + fraction.len() > 30 {
        return None;
    }
    let value: i128 = format!("{whole}{fraction}").parse().ok()?;
    Some((sign * value, fraction.len() as u32))
}

/// `value × unit / 10^scale` when that is a whole number.
fn scaled(value: i128, scale: u32, unit: i128) -> Option<i128> {
    let product = value.checked_mul(unit)?;
    let divisor = 10i128.checked_pow(scale)?;
    (product % divisor == 0).then(|| product / divisor)
}

/// The unit a PostgreSQL interval word names: micros per unit, or months per unit.
enum Unit {
    Micros(i128),
    Months(i128),
}

fn unit(word: &str) -> Option<Unit> {
    Some(match word.to_ascii_lowercase().as_str() {
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => Unit::Micros(1),
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" => Unit::Micros(MICROS_PER_MILLI),
        "second" | "seconds" | "s" | "sec" | "secs" => Unit::Micros(MICROS_PER_SECOND),
        "minute" | "minutes" | "m" | "min" | "mins" => Unit::Micros(MICROS_PER_MINUTE),
        "hour" | "hours" | "h" | "hr" | "hrs" => Unit::Micros(MICROS_PER_HOUR),
        "day" | "days" | "d" => Unit::Micros(MICROS_PER_DAY),
        "week" | "weeks" | "w" => Unit::Micros(7 * MICROS_PER_DAY),
        "month" | "months" | "mon" | "mons" => Unit::Months(1),
        "year" | "years" | "y" | "yr" | "yrs" => Unit::Months(12),
        "decade" | "decades" => Unit::Months(120),
        "century" | "centuries" => Unit::Months(1_200),
        "millennium" | "millennia" | "millenniums" => Unit::Months(12_000),
        _ => return None,
    })
}

/// `[-]hh:mm[:ss[.ffffff]]` in microseconds.
fn parse_clock(token: &str) -> Option<i128> {
    let (sign, body) = match token.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, token.strip_prefix('+').unwrap_or(token)),
    };
    let parts: Vec<&str> = body.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let whole = |s: &str| (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<i128>().ok()).flatten();
    let hours = whole(parts[0])?;
    let minutes = whole(parts[1])?;
    let seconds = match parts.get(2) {
        Some(s) => {
            let (value, scale) = parse_decimal(s).filter(|(v, _)| *v >= 0)?;
            scaled(value, scale, MICROS_PER_SECOND)?
        }
        None => 0,
    };
    // Checked: `'99999999999999999999999999999:00'` overflowed (see `out_of_range`).
    let total = hours.checked_mul(MICROS_PER_HOUR)?.checked_add(minutes.checked_mul(MICROS_PER_MINUTE)?)?.checked_add(seconds)?;
    Some(sign * total)
}

/// Reads a PostgreSQL interval string (the free form: `'1 day 2 hours'`, `'02:00:00'`, units
/// in any order, signs per field).
pub(super) fn parse(text: &str) -> Result<PgInterval, Refusal> {
    let lowered = text.trim().to_ascii_lowercase();
    if lowered.is_empty() {
        return Err(invalid(text));
    }
    if lowered.starts_with('@') || lowered.starts_with('p') || lowered.split_whitespace().any(|w| w == "ago") {
        return Err(refuse(text, "the '@', 'ago' and ISO 8601 forms are not translated"));
    }
    let tokens: Vec<&str> = lowered.split_whitespace().collect();
    let (mut months, mut micros) = (0i128, 0i128);
    let (mut saw_months, mut saw_time) = (false, false);
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        if token.contains(':') {
            micros = micros.checked_add(parse_clock(token).ok_or_else(|| invalid(text))?).ok_or_else(|| out_of_range(text))?;
            saw_time = true;
            i += 1;
            continue;
        }
        // A number and its unit, written apart (`5 minutes`) or together (`5min`).
        let split = token.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(token.len());
        let (number, attached) = token.split_at(split);
        let (word, step) = if attached.is_empty() { (tokens.get(i + 1).copied(), 2) } else { (Some(attached), 1) };
        let (value, scale) = parse_decimal(number).ok_or_else(|| invalid(text))?;
        let Some(word) = word else {
            // A bare number is seconds, as in PostgreSQL (`'90'::interval`).
            let seconds = scaled(value, scale, MICROS_PER_SECOND).ok_or_else(|| refuse(text, "Flink intervals count milliseconds"))?;
            micros = micros.checked_add(seconds).ok_or_else(|| out_of_range(text))?;
            saw_time = true;
            i += 1;
            continue;
        };
        match unit(word).ok_or_else(|| invalid(text))? {
            Unit::Micros(per) => {
                let field = scaled(value, scale, per).ok_or_else(|| refuse(text, "Flink intervals count milliseconds"))?;
                micros = micros.checked_add(field).ok_or_else(|| out_of_range(text))?;
                saw_time = true;
            }
            Unit::Months(per) => {
                let field = scaled(value, scale, per)
                    .ok_or_else(|| refuse(text, "PostgreSQL turns a fraction of a month into days, which Flink cannot add to months"))?;
                months = months.checked_add(field).ok_or_else(|| out_of_range(text))?;
                saw_months = true;
            }
        }
        i += step;
    }
    match (saw_months, saw_time) {
        (true, true) if months != 0 && micros != 0 => {
            Err(refuse(text, "it has months and days or times, which Flink keeps as two kinds of interval that cannot be added"))
        }
        (true, _) if micros == 0 => Ok(PgInterval::Months(months)),
        _ if micros % MICROS_PER_MILLI != 0 => Err(refuse(text, "Flink intervals count milliseconds, not microseconds")),
        _ => Ok(PgInterval::Millis(micros / MICROS_PER_MILLI)),
    }
}

/// The Flink literal for a PostgreSQL interval string, or why there is none.
pub(super) fn translate(text: &str) -> Result<Expr, Refusal> {
    to_flink(parse(text)?, text)
}

/// The Flink literal for an interval.
fn to_flink(interval: PgInterval, text: &str) -> Result<Expr, Refusal> {
    match interval {
        PgInterval::Months(months) => {
            let (sign, months) = (if months < 0 { "-" } else { "" }, months.checked_abs().ok_or_else(|| out_of_range(text))?);
            let (years, rest) = (months / 12, months % 12);
            if years > MAX_YEARS {
                return Err(refuse(text, "Flink's year-month intervals stop at 9999 years"));
            }
            Ok(literal(format!("{sign}{years}-{rest}"), DateTimeField::Year, digits(years), DateTimeField::Month, None))
        }
        PgInterval::Millis(millis) => {
            let day_millis = MICROS_PER_DAY / MICROS_PER_MILLI;
            let (sign, millis) = (if millis < 0 { "-" } else { "" }, millis.checked_abs().ok_or_else(|| out_of_range(text))?);
            let days = millis / day_millis;
            let (shown_days, extra_days) = if days > MAX_DAYS_IN_LITERAL { (0, days) } else { (days, 0) };
            let rest = millis % day_millis;
            let clock = format!(
                "{sign}{shown_days} {:02}:{:02}:{:02}.{:03}",
                rest / 3_600_000,
                rest / 60_000 % 60,
                rest / 1_000 % 60,
                rest % 1_000
            );
            let base = literal(clock, DateTimeField::Day, digits(shown_days), DateTimeField::Second, Some(3));
            if extra_days == 0 {
                return Ok(base);
            }
            let one_day = literal(format!("{sign}1 00:00:00.000"), DateTimeField::Day, 1, DateTimeField::Second, Some(3));
            let many = Expr::BinaryOp {
                left: Box::new(one_day),
                op: BinaryOperator::Multiply,
                right: Box::new(Expr::value(Value::Number(extra_days.to_string(), false))),
            };
            Ok(Expr::Nested(Box::new(Expr::BinaryOp { left: Box::new(base), op: BinaryOperator::Plus, right: Box::new(many) })))
        }
    }
}

fn digits(n: i128) -> u64 {
    n.max(1).to_string().len() as u64
}

fn literal(value: String, leading: DateTimeField, precision: u64, last: DateTimeField, fraction: Option<u64>) -> Expr {
    Expr::Interval(Interval {
        value: Box::new(Expr::value(Value::SingleQuotedString(value))),
        leading_field: Some(leading),
        leading_precision: Some(precision),
        last_field: Some(last),
        fractional_seconds_precision: fraction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flink(text: &str) -> String {
        translate(text).unwrap().to_string()
    }

    fn refused(text: &str) -> String {
        match translate(text) {
            Ok(e) => panic!("{text} was translated: {e}"),
            Err(r) => format!("{} {}", r.sqlstate.0, r.message),
        }
    }

    #[test]
    fn durations_become_day_to_second() {
        assert_eq!(flink("5 minutes"), "INTERVAL '0 00:05:00.000' DAY (1) TO SECOND (3)");
        assert_eq!(flink("90 seconds"), "INTERVAL '0 00:01:30.000' DAY (1) TO SECOND (3)");
        assert_eq!(flink("1 day 2 hours"), "INTERVAL '1 02:00:00.000' DAY (1) TO SECOND (3)");
        assert_eq!(flink("1 day 02:00:00"), "INTERVAL '1 02:00:00.000' DAY (1) TO SECOND (3)");
        assert_eq!(flink("1.5 hours"), "INTERVAL '0 01:30:00.000' DAY (1) TO SECOND (3)");
        assert_eq!(flink("-7 days"), "INTERVAL '-7 00:00:00.000' DAY (1) TO SECOND (3)");
        assert_eq!(flink("2 weeks"), "INTERVAL '14 00:00:00.000' DAY (2) TO SECOND (3)");
        assert_eq!(flink("100 days"), "INTERVAL '100 00:00:00.000' DAY (3) TO SECOND (3)");
        assert_eq!(flink("250 ms"), "INTERVAL '0 00:00:00.250' DAY (1) TO SECOND (3)");
        assert_eq!(flink("1 hour -30 minutes"), "INTERVAL '0 00:30:00.000' DAY (1) TO SECOND (3)");
        assert_eq!(flink("10min"), "INTERVAL '0 00:10:00.000' DAY (1) TO SECOND (3)");
        assert_eq!(flink("90"), "INTERVAL '0 00:01:30.000' DAY (1) TO SECOND (3)");
        assert_eq!(
            flink("1500 days"),
            "(INTERVAL '0 00:00:00.000' DAY (1) TO SECOND (3) + INTERVAL '1 00:00:00.000' DAY (1) TO SECOND (3) * 1500)"
        );
    }

    #[test]
    fn months_become_year_to_month() {
        assert_eq!(flink("1 mon"), "INTERVAL '0-1' YEAR (1) TO MONTH");
        assert_eq!(flink("1 year 2 months"), "INTERVAL '1-2' YEAR (1) TO MONTH");
        assert_eq!(flink("14 months"), "INTERVAL '1-2' YEAR (1) TO MONTH");
        assert_eq!(flink("1.5 years"), "INTERVAL '1-6' YEAR (1) TO MONTH");
        assert_eq!(flink("-2 years"), "INTERVAL '-2-0' YEAR (1) TO MONTH");
        assert_eq!(flink("1 decade"), "INTERVAL '10-0' YEAR (2) TO MONTH");
    }

    #[test]
    fn what_flink_cannot_mean_is_refused() {
        assert!(refused("1 mon 2 days").starts_with("0A000"), "{}", refused("1 mon 2 days"));
        assert!(refused("1.5 months").contains("fraction of a month"));
        assert!(refused("1 microsecond").contains("milliseconds"));
        assert!(refused("1 day ago").starts_with("0A000"));
        assert!(refused("P1D").starts_with("0A000"));
        assert!(refused("five minutes").starts_with("22007"));
        assert!(refused("5 fortnights").starts_with("22007"));
    }

    /// Found by fuzzing (fuzz/sql/fuzz_targets/dialect.rs): these overflowed i128.
    #[test]
    fn huge_fields_are_out_of_range_not_an_overflow() {
        assert!(refused("99999999999999999999999999999:00").starts_with("22007"));
        assert!(refused(&["99999999999999999999999999 days"; 30].join(" ")).starts_with("22015"));
        assert!(refused(&["999999999999999999999999999999 millennia"; 20_000].join(" ")).starts_with("22015"));
        assert!(refused(&["-9999999999999999999999999 hours"; 60_000].join(" ")).starts_with("22015"));
        assert!(super::super::to_flink("SELECT INTERVAL '99999999999999999999999999999:00'").is_err());
    }
}
