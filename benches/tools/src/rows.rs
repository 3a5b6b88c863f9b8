//! The benchmark rows. Row `i` of a result is generated from `i % CYCLE`, so a 10 M row result
//! repeats the first million: the replay gateway keeps one cycle of pages in memory, and the
//! PostgreSQL table is loaded from the same generator (see `csv`).

use std::fmt::Write as _;

/// Distinct rows before the result repeats.
pub const CYCLE: u64 = 1_000_000;

/// Every this many rows, `label` is NULL (NULLs take their own path in every encoder).
const NULL_EVERY: u64 = 997;

/// The result's `columns`, as the gateway describes them (Flink 2.3.0's JSON for these types).
pub const COLUMNS_JSON: &str = concat!(
    r#"[{"name":"id","logicalType":{"type":"BIGINT","nullable":true},"comment":null},"#,
    r#"{"name":"label","logicalType":{"type":"VARCHAR","nullable":true,"length":16},"comment":null},"#,
    r#"{"name":"amount","logicalType":{"type":"DOUBLE","nullable":true},"comment":null},"#,
    r#"{"name":"ts","logicalType":{"type":"TIMESTAMP_WITHOUT_TIME_ZONE","nullable":true,"precision":3},"comment":null}]"#
);

/// The same table in PostgreSQL.
pub const PG_TABLE_DDL: &str = "(id bigint, label varchar(16), amount double precision, ts timestamp(3))";

/// One generated row.
pub struct Row {
    pub id: i64,
    pub label: Option<String>,
    pub amount: f64,
    /// Milliseconds since 1970-01-01T00:00:00 (a TIMESTAMP without time zone).
    pub ts_millis: i64,
}

/// 2024-01-01T00:00:00 in milliseconds since the epoch.
const TS_BASE_MILLIS: i64 = 1_704_067_200_000;

pub fn row(i: u64) -> Row {
    let n = i % CYCLE;
    // A cheap mixing function so labels and amounts look random but are reproducible.
    let h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    let label = (n % NULL_EVERY != 0).then(|| {
        (0..16).map(|k| char::from(b'a' + ((h >> (k * 4)) % 26) as u8)).collect::<String>()
    });
    Row {
        id: 1_000_000_000 + n as i64,
        label,
        amount: (h % 1_000_000) as f64 / 100.0,
        ts_millis: TS_BASE_MILLIS + n as i64 * 1003,
    }
}

/// Java's `Double.toString` for the amounts generated here (0 ≤ v < 10⁴): Rust's shortest
/// digits, with `.0` for integral values.
fn java_double(v: f64, out: &mut String) {
    let start = out.len();
    let _ = write!(out, "{v}");
    if !out[start..].contains('.') {
        out.push_str(".0");
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]`: Flink's ISO-8601 JSON form, trailing fraction zeros dropped.
fn timestamp(millis: i64, separator: char, out: &mut String) {
    let days = millis.div_euclid(86_400_000);
    let ms_of_day = millis.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss, ms) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1000 % 60, ms_of_day % 1000);
    let _ = write!(out, "{y:04}-{m:02}-{d:02}{separator}{hh:02}:{mm:02}:{ss:02}");
    if ms != 0 {
        let frac = format!("{ms:03}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
}

/// Howard Hinnant's days → civil date.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Appends row `i` as a gateway JSON row: `{"kind":"INSERT","fields":[…]}` (compact, as the
/// gateway's Jackson writes it).
pub fn push_json(i: u64, out: &mut String) {
    let r = row(i);
    let _ = write!(out, r#"{{"kind":"INSERT","fields":[{},"#, r.id);
    match &r.label {
        Some(label) => {
            out.push('"');
            out.push_str(label);
            out.push('"');
        }
        None => out.push_str("null"),
    }
    out.push(',');
    java_double(r.amount, out);
    out.push_str(",\"");
    timestamp(r.ts_millis, 'T', out);
    out.push_str("\"]}");
}

/// Appends row `i` as a CSV line for PostgreSQL's `COPY … (FORMAT csv)` (empty = NULL).
pub fn push_csv(i: u64, out: &mut String) {
    let r = row(i);
    let _ = write!(out, "{},{},", r.id, r.label.as_deref().unwrap_or(""));
    java_double(r.amount, out);
    out.push(',');
    timestamp(r.ts_millis, ' ', out);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_csv_describe_the_same_row() {
        let mut json = String::new();
        push_json(1, &mut json);
        let mut csv = String::new();
        push_csv(1, &mut csv);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let fields = value["fields"].as_array().unwrap();
        let cells: Vec<&str> = csv.trim_end().split(',').collect();
        assert_eq!(fields[0].to_string(), cells[0]);
        assert_eq!(fields[1].as_str().unwrap(), cells[1]);
        assert_eq!(fields[2].to_string(), cells[2]);
        assert_eq!(fields[3].as_str().unwrap().replace('T', " "), cells[3]);
        assert_eq!(cells[3], "2024-01-01 00:00:01.003");
    }

    #[test]
    fn nulls_and_cycle() {
        assert!(row(0).label.is_none() && row(CYCLE).label.is_none() && row(1).label.is_some());
        assert_eq!(row(5).id, row(CYCLE + 5).id);
    }
}
