//! The PostgreSQL run-time parameters of one client session (`SET`/`SHOW`/`RESET`).
//!
//! Flink has no such parameters; clients set them anyway (PgJDBC `extra_float_digits`,
//! psqlODBC `DateStyle`, DBeaver `search_path`, everyone `application_name`) and read them back
//! with `SHOW` or `current_setting()`. They live here, per connection, and never reach Flink.
//!
//! # For other modules
//! Read settings through the typed getters ([`Settings::statement_timeout`],
//! [`Settings::results`] (result mode, max rows, timeout: the result module's
//! [`ResultSettings`]), [`Settings::search_path`]) or [`Settings::get`]; the session keeps one
//! `Settings` per client (`ClientSession::settings()`). `SET`/`SHOW`/`RESET` of the names in
//! [`ResultSettings::NAMES`] are delegated to the result settings, so there is one truth.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::results::ResultSettings;

/// Whether a parameter is reported to the client in a ParameterStatus message when it changes
/// (PostgreSQL's `GUC_REPORT` parameters), and whether clients may change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Settable, reported with ParameterStatus on change.
    Reported,
    /// Settable, not reported.
    Plain,
    /// Read-only (SET fails with 55P02).
    ReadOnly,
}

/// One known parameter: its canonical name (as SHOW ALL spells it), default and description.
struct Known {
    name: &'static str,
    default: &'static str,
    kind: Kind,
    description: &'static str,
}

const fn known(name: &'static str, default: &'static str, kind: Kind, description: &'static str) -> Known {
    Known { name, default, kind, description }
}

/// The PostgreSQL version flinkwire reports (kept equal to the startup `server_version`).
pub const SERVER_VERSION: &str = "16.6";
/// `server_version_num` for [`SERVER_VERSION`].
pub const SERVER_VERSION_NUM: &str = "160006";

static KNOWN: &[Known] = &[
    known("application_name", "", Kind::Reported, "Sets the application name to be reported in statistics and logs."),
    known("backslash_quote", "safe_encoding", Kind::Plain, "Sets whether \"\\'\" is allowed in string literals."),
    known("block_size", "8192", Kind::ReadOnly, "Shows the size of a disk block."),
    known("bytea_output", "hex", Kind::Plain, "Sets the output format for bytea."),
    known("client_encoding", "UTF8", Kind::Reported, "Sets the client's character set encoding."),
    known("client_min_messages", "notice", Kind::Plain, "Sets the message levels that are sent to the client."),
    known("DateStyle", "ISO, MDY", Kind::Reported, "Sets the display format for date and time values."),
    known("default_transaction_isolation", "read committed", Kind::Plain, "Sets the transaction isolation level of each new transaction."),
    known("default_transaction_read_only", "off", Kind::Reported, "Sets the default read-only status of new transactions."),
    known("escape_string_warning", "on", Kind::Plain, "Warn about backslash escapes in ordinary string literals."),
    known("extra_float_digits", "1", Kind::Plain, "Sets the number of digits displayed for floating-point values."),
    known("idle_in_transaction_session_timeout", "0", Kind::Plain, "Sets the maximum allowed idle time between queries, when in a transaction."),
    known("in_hot_standby", "off", Kind::ReadOnly, "Shows whether hot standby is currently active."),
    known("integer_datetimes", "on", Kind::ReadOnly, "Shows whether datetimes are integer based."),
    known("IntervalStyle", "postgres", Kind::Reported, "Sets the display format for interval values."),
    known("is_superuser", "off", Kind::ReadOnly, "Shows whether the current user is a superuser."),
    known("jit", "off", Kind::Plain, "Allow JIT compilation."),
    known("lc_collate", "C", Kind::ReadOnly, "Shows the collation order locale."),
    known("lc_ctype", "C", Kind::ReadOnly, "Shows the character classification and case conversion locale."),
    known("lc_messages", "C", Kind::Plain, "Sets the language in which messages are displayed."),
    known("lc_monetary", "C", Kind::Plain, "Sets the locale for formatting monetary amounts."),
    known("lc_numeric", "C", Kind::Plain, "Sets the locale for formatting numbers."),
    known("lc_time", "C", Kind::Plain, "Sets the locale for formatting date and time values."),
    known("lock_timeout", "0", Kind::Plain, "Sets the maximum allowed duration of any wait for a lock."),
    known("max_identifier_length", "63", Kind::ReadOnly, "Shows the maximum identifier length."),
    known("max_index_keys", "32", Kind::ReadOnly, "Shows the maximum number of index keys."),
    known("row_security", "on", Kind::Plain, "Enable row security."),
    known("search_path", "\"$user\", public", Kind::Plain, "Sets the schema search order for names that are not schema-qualified."),
    known("server_encoding", "UTF8", Kind::ReadOnly, "Shows the server (database) character set encoding."),
    known("server_version", SERVER_VERSION, Kind::ReadOnly, "Shows the server version."),
    known("server_version_num", SERVER_VERSION_NUM, Kind::ReadOnly, "Shows the server version as an integer."),
    known("session_authorization", "", Kind::ReadOnly, "Sets the session user name."),
    known("ssl", "off", Kind::ReadOnly, "Enables SSL connections."),
    known("standard_conforming_strings", "on", Kind::Reported, "Causes '...' strings to treat backslashes literally."),
    known("TimeZone", "UTC", Kind::Reported, "Sets the time zone for displaying and interpreting time stamps."),
    known("transaction_isolation", "read committed", Kind::Plain, "Sets the current transaction's isolation level."),
    known("transaction_read_only", "off", Kind::Plain, "Sets the current transaction's read-only status."),
];

/// Descriptions of the result settings for `SHOW ALL`.
fn result_setting_description(name: &str) -> &'static str {
    match name {
        "statement_timeout" => "Sets the maximum allowed duration of any statement.",
        "flinkwire.result_mode" => "flinkwire: how results that update earlier rows are shown (auto, append, changelog, table).",
        "flinkwire.max_rows" => "flinkwire: the most rows a query returns before it is ended (0 = no limit).",
        "flinkwire.result_cache" => "flinkwire: answer repeated bounded queries from the result cache (on, off).",
        _ => "",
    }
}

fn find_known(name: &str) -> Option<&'static Known> {
    KNOWN.iter().find(|k| k.name.eq_ignore_ascii_case(name))
}

/// Whether `name` is a parameter flinkwire answers locally: a known PostgreSQL parameter or a
/// dotted custom one (`flinkwire.result_mode`, `myapp.x`), as PostgreSQL allows.
pub fn is_local_parameter(name: &str) -> bool {
    find_known(name).is_some() || ResultSettings::handles(name) || (name.contains('.') && !name.starts_with('.') && !name.ends_with('.'))
}

/// The canonical spelling of a parameter name: `datestyle` → `DateStyle`; unknown names lower-cased.
pub fn canonical_name(name: &str) -> String {
    find_known(name).map_or_else(|| name.to_ascii_lowercase(), |k| k.name.to_owned())
}

/// A rejected `SET`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("parameter \"{0}\" cannot be changed")]
    ReadOnly(String),
    #[error("invalid value for parameter \"{name}\": \"{value}\"")]
    InvalidValue { name: String, value: String, hint: Option<&'static str> },
    #[error("{0}")]
    Unsupported(String),
    #[error("unrecognized configuration parameter \"{0}\"")]
    Unknown(String),
    /// A valid value above the role's limit (docs/security.md, "Limits per role").
    #[error(transparent)]
    AboveRoleLimit(crate::results::settings::AboveLimit),
}

impl SettingError {
    /// The SQLSTATE PostgreSQL uses for the same failure.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            Self::ReadOnly(_) => "55P02",
            Self::InvalidValue { .. } => "22023",
            Self::Unsupported(_) => "0A000",
            Self::Unknown(_) => "42704",
            Self::AboveRoleLimit(_) => "42501",
        }
    }

    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::InvalidValue { hint, .. } => *hint,
            _ => None,
        }
    }
}

/// A client's parameters. Values are kept as PostgreSQL shows them.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Changed values by lower-cased name; everything else has its default.
    values: BTreeMap<String, String>,
    /// Values given at startup (`options=-c …`, `application_name`), which RESET returns to.
    startup: BTreeMap<String, String>,
    /// The result module's settings (`statement_timeout`, `flinkwire.result_mode`, …).
    results: ResultSettings,
    /// `results` as they were after startup, for RESET.
    startup_results: ResultSettings,
    /// The startup `database` (a Flink catalog), if the client sent one.
    database: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self::new(std::iter::empty::<(String, String)>(), ResultSettings::default())
    }
}

impl Settings {
    /// Settings with the given startup values (user, application_name, `-c` options); values
    /// that are invalid or read-only are ignored.
    pub fn new<I, K, V>(startup: I, results: ResultSettings) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut settings =
            Self { values: BTreeMap::new(), startup: BTreeMap::new(), startup_results: results.clone(), results, database: None };
        for (name, value) in startup {
            let (name, value) = (name.as_ref(), value.as_ref());
            if name.eq_ignore_ascii_case("user") {
                settings.startup.insert("session_authorization".into(), value.to_owned());
                continue;
            }
            if ResultSettings::handles(name) {
                if settings.results.set(name, value).is_ok() {
                    settings.startup_results = settings.results.clone();
                }
                continue;
            }
            if let Ok(value) = settings.validate(name, value) {
                settings.startup.insert(name.to_ascii_lowercase(), value);
            }
        }
        settings
    }

    /// Takes the client's startup parameters (`user`, `application_name`, and `-c name=value` /
    /// `--name=value` in `options`) as the values RESET returns to. Bad values are ignored.
    pub fn apply_startup(&mut self, startup: &std::collections::HashMap<String, String>) {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, value) in startup {
            match name.as_str() {
                "options" => pairs.extend(parse_options(value)),
                "user" | "application_name" | "client_encoding" | "DateStyle" | "TimeZone" | "search_path" => {
                    pairs.push((name.clone(), value.clone()))
                }
                _ => {}
            }
        }
        self.database = startup.get("database").cloned();
        let fresh = Self::new(pairs, self.startup_results.clone());
        self.startup = fresh.startup;
        self.results = fresh.results;
        self.startup_results = fresh.startup_results;
    }

    /// The startup `database` (a Flink catalog name), if the client sent one.
    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// The current value of a parameter, `None` if it is neither known nor was set.
    pub fn get(&self, name: &str) -> Option<String> {
        if ResultSettings::handles(name) {
            return self.results.get(name);
        }
        let key = name.to_ascii_lowercase();
        self.values
            .get(&key)
            .or_else(|| self.startup.get(&key))
            .cloned()
            .or_else(|| find_known(name).map(|k| k.default.to_owned()))
    }

    /// `statement_timeout`: `None` when 0 (no limit). PostgreSQL units (`ms`, `s`, `min`, `h`,
    /// `d`; a bare number is milliseconds).
    pub fn statement_timeout(&self) -> Option<Duration> {
        self.results.statement_timeout
    }

    /// The result settings (`flinkwire.result_mode`, `flinkwire.max_rows`, `statement_timeout`).
    pub fn results(&self) -> &ResultSettings {
        &self.results
    }

    /// `search_path` split into schema names, quotes removed (`"$user", public` → `$user`, `public`).
    pub fn search_path(&self) -> Vec<String> {
        self.get("search_path")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().trim_matches('"').to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Sets a parameter. Returns the canonical name and value to report in a ParameterStatus,
    /// if PostgreSQL reports this parameter.
    pub fn set(&mut self, name: &str, value: &str) -> Result<Option<(String, String)>, SettingError> {
        if ResultSettings::handles(name) {
            self.results.set(name, value).map_err(|e| match e.above_limit {
                Some(above) => SettingError::AboveRoleLimit(above),
                None => SettingError::InvalidValue { name: e.name, value: e.value, hint: Some(e.hint) },
            })?;
            return Ok(None);
        }
        let value = self.validate(name, value)?;
        self.values.insert(name.to_ascii_lowercase(), value.clone());
        Ok(self.report(name, value))
    }

    /// Resets one parameter to its startup value or default; same report as [`Settings::set`].
    pub fn reset(&mut self, name: &str) -> Result<Option<(String, String)>, SettingError> {
        if let Some(k) = find_known(name) {
            if k.kind == Kind::ReadOnly {
                return Err(SettingError::ReadOnly(k.name.to_owned()));
            }
        }
        if ResultSettings::handles(name) {
            let value = self.startup_results.get(name).unwrap_or_default();
            let _ = self.results.set(name, &value);
            return Ok(None);
        }
        self.values.remove(&name.to_ascii_lowercase());
        Ok(self.get(name).and_then(|v| self.report(name, v)))
    }

    /// `RESET ALL` (and `DISCARD ALL`): every parameter back to its startup value or default.
    /// Returns the ParameterStatus reports of the reported parameters that changed.
    pub fn reset_all(&mut self) -> Vec<(String, String)> {
        self.results = self.startup_results.clone();
        let changed: Vec<String> = std::mem::take(&mut self.values).into_keys().collect();
        changed.iter().filter_map(|name| self.get(name).and_then(|v| self.report(name, v))).collect()
    }

    /// Every parameter for `SHOW ALL`: (name, setting, description), sorted by name.
    pub fn all(&self) -> Vec<(String, String, String)> {
        let mut rows: Vec<(String, String, String)> =
            KNOWN.iter().map(|k| (k.name.to_owned(), self.get(k.name).unwrap_or_default(), k.description.to_owned())).collect();
        for name in ResultSettings::NAMES {
            rows.push((name.to_owned(), self.get(name).unwrap_or_default(), result_setting_description(name).to_owned()));
        }
        for name in self.values.keys().chain(self.startup.keys()) {
            if find_known(name).is_none() && !rows.iter().any(|r| &r.0 == name) {
                rows.push((name.clone(), self.get(name).unwrap_or_default(), String::new()));
            }
        }
        rows.sort_by_key(|r| r.0.to_ascii_lowercase());
        rows
    }

    fn report(&self, name: &str, value: String) -> Option<(String, String)> {
        find_known(name).filter(|k| k.kind == Kind::Reported).map(|k| (k.name.to_owned(), value))
    }

    /// Checks a value and brings it to the form SHOW returns.
    fn validate(&self, name: &str, value: &str) -> Result<String, SettingError> {
        let invalid = |hint| SettingError::InvalidValue { name: canonical_name(name), value: value.to_owned(), hint };
        let Some(k) = find_known(name) else {
            if !is_local_parameter(name) {
                // PostgreSQL rejects unknown undotted names; clients send many that flinkwire has
                // no use for, so they are kept rather than failing the client's connection.
                tracing::debug!(parameter = name, "setting an unknown PostgreSQL parameter");
            }
            return Ok(value.to_owned());
        };
        if k.kind == Kind::ReadOnly {
            return Err(SettingError::ReadOnly(k.name.to_owned()));
        }
        let lower = value.trim().to_ascii_lowercase();
        Ok(match k.name {
            "client_encoding" => {
                if !matches!(lower.as_str(), "utf8" | "utf-8" | "unicode") {
                    return Err(SettingError::Unsupported(format!(
                        "flinkwire supports only the UTF8 client encoding, not \"{value}\""
                    )));
                }
                "UTF8".to_owned()
            }
            "DateStyle" => {
                // PostgreSQL merges "ISO" / "MDY" parts with the current value; output is ISO only.
                let parts: Vec<&str> = lower.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
                if parts.iter().any(|p| matches!(*p, "sql" | "postgres" | "german")) {
                    return Err(SettingError::Unsupported(format!(
                        "flinkwire writes dates in ISO style only, not \"{value}\""
                    )));
                }
                let order = parts.iter().find_map(|p| match *p {
                    "mdy" | "us" | "noneuropean" => Some("MDY"),
                    "dmy" | "euro" | "european" => Some("DMY"),
                    "ymd" => Some("YMD"),
                    _ => None,
                });
                if parts.iter().any(|p| !matches!(*p, "iso" | "mdy" | "us" | "noneuropean" | "dmy" | "euro" | "european" | "ymd")) {
                    return Err(invalid(None));
                }
                let current = self.get("DateStyle").unwrap_or_default();
                let current_order = current.split(',').nth(1).map(str::trim).unwrap_or("MDY").to_owned();
                format!("ISO, {}", order.map_or(current_order, str::to_owned))
            }
            "IntervalStyle" => {
                if lower != "postgres" {
                    return Err(SettingError::Unsupported(format!(
                        "flinkwire writes intervals in the postgres style only, not \"{value}\""
                    )));
                }
                lower
            }
            "bytea_output" => {
                if lower != "hex" {
                    return Err(SettingError::Unsupported(format!(
                        "flinkwire writes bytea in hex only, not \"{value}\""
                    )));
                }
                lower
            }
            "extra_float_digits" => match lower.parse::<i32>() {
                Ok(n) if (-15..=3).contains(&n) => n.to_string(),
                _ => return Err(invalid(Some("extra_float_digits is an integer from -15 to 3"))),
            },
            "lock_timeout" | "idle_in_transaction_session_timeout" => {
                match parse_duration_ms(&lower) {
                    Some(ms) => format_duration_ms(ms),
                    None => return Err(invalid(Some("valid units for this parameter are \"ms\", \"s\", \"min\", \"h\", and \"d\""))),
                }
            }
            "transaction_isolation" | "default_transaction_isolation" => {
                let normalized = lower.split_whitespace().collect::<Vec<_>>().join(" ");
                if !matches!(normalized.as_str(), "read uncommitted" | "read committed" | "repeatable read" | "serializable") {
                    return Err(invalid(None));
                }
                normalized
            }
            "default_transaction_read_only" | "transaction_read_only" | "jit" | "escape_string_warning" | "row_security"
            | "standard_conforming_strings" => match lower.as_str() {
                "on" | "true" | "yes" | "1" => "on".to_owned(),
                "off" | "false" | "no" | "0" => {
                    if k.name == "standard_conforming_strings" {
                        return Err(SettingError::Unsupported(
                            "flinkwire needs standard_conforming_strings = on (Flink string literals know no backslash escapes)".into(),
                        ));
                    }
                    "off".to_owned()
                }
                _ => return Err(invalid(None)),
            },
            _ => value.to_owned(),
        })
    }
}

/// `-c name=value --name=value` pairs of the startup `options` parameter (`\ ` escapes a space).
fn parse_options(options: &str) -> Vec<(String, String)> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = options.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.extend(chars.next()),
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut pairs = Vec::new();
    let mut iter = words.into_iter();
    while let Some(w) = iter.next() {
        let setting = if w == "-c" { iter.next() } else { w.strip_prefix("--").or_else(|| w.strip_prefix("-c")).map(str::to_owned) };
        if let Some((name, value)) = setting.as_deref().and_then(|s| s.split_once('=')) {
            pairs.push((name.replace('-', "_"), value.to_owned()));
        }
    }
    pairs
}

/// PostgreSQL's time units: a bare number is milliseconds.
pub fn parse_duration_ms(value: &str) -> Option<u64> {
    let v = value.trim().trim_matches('\'').trim();
    let split = v.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" => 1.0,
        "us" => 0.001,
        "s" => 1_000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return None,
    };
    (number >= 0.0).then(|| (number * factor).round() as u64)
}

/// How PostgreSQL shows a duration in milliseconds: `0`, `500ms`, `5s`, `2min`, `1h`, `1d`.
fn format_duration_ms(ms: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(86_400_000, "d"), (3_600_000, "h"), (60_000, "min"), (1_000, "s")];
    if ms == 0 {
        return "0".into();
    }
    UNITS
        .iter()
        .find(|(size, _)| ms % size == 0)
        .map_or_else(|| format!("{ms}ms"), |(size, unit)| format!("{}{unit}", ms / size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_canonical_names() {
        let s = Settings::new([("user", "alice"), ("application_name", "psql")], ResultSettings::default());
        assert_eq!(s.get("datestyle").as_deref(), Some("ISO, MDY"));
        assert_eq!(s.get("APPLICATION_NAME").as_deref(), Some("psql"));
        assert_eq!(s.get("session_authorization").as_deref(), Some("alice"));
        assert_eq!(canonical_name("timezone"), "TimeZone");
        assert_eq!(s.get("nonsense"), None);
        assert_eq!(s.search_path(), vec!["$user", "public"]);
    }

    #[test]
    fn set_reports_only_reported_parameters() {
        let mut s = Settings::default();
        assert_eq!(s.set("application_name", "x").unwrap(), Some(("application_name".into(), "x".into())));
        assert_eq!(s.set("extra_float_digits", "3").unwrap(), None);
        assert_eq!(s.set("datestyle", "iso").unwrap(), Some(("DateStyle".into(), "ISO, MDY".into())));
        assert_eq!(s.set("DateStyle", "ISO, DMY").unwrap(), Some(("DateStyle".into(), "ISO, DMY".into())));
        assert_eq!(s.reset_all().len(), 2);
        assert_eq!(s.get("DateStyle").as_deref(), Some("ISO, MDY"));
        assert_eq!(s.get("extra_float_digits").as_deref(), Some("1"));
    }

    #[test]
    fn rejects_what_flinkwire_cannot_honour() {
        let mut s = Settings::default();
        assert_eq!(s.set("client_encoding", "LATIN1").unwrap_err().sqlstate(), "0A000");
        assert!(s.set("client_encoding", "utf-8").is_ok());
        assert_eq!(s.set("DateStyle", "SQL, DMY").unwrap_err().sqlstate(), "0A000");
        assert_eq!(s.set("server_version", "1").unwrap_err().sqlstate(), "55P02");
        assert_eq!(s.set("extra_float_digits", "9").unwrap_err().sqlstate(), "22023");
        assert_eq!(s.set("statement_timeout", "soon").unwrap_err().sqlstate(), "22023");
    }

    #[test]
    fn startup_options() {
        let mut s = Settings::default();
        let startup = [
            ("user".to_owned(), "bob".to_owned()),
            ("options".to_owned(), "-c statement_timeout=5s --application-name=my\\ app -c flinkwire.cluster=c2".to_owned()),
        ];
        s.apply_startup(&startup.into_iter().collect());
        assert_eq!(s.statement_timeout(), Some(Duration::from_secs(5)));
        assert_eq!(s.get("application_name").as_deref(), Some("my app"));
        assert_eq!(s.get("flinkwire.cluster").as_deref(), Some("c2"));
        assert_eq!(s.get("session_authorization").as_deref(), Some("bob"));
        s.set("statement_timeout", "1s").unwrap();
        s.reset_all();
        assert_eq!(s.statement_timeout(), Some(Duration::from_secs(5)));
    }

    #[test]
    fn statement_timeout_units() {
        let mut s = Settings::default();
        assert_eq!(s.statement_timeout(), None);
        s.set("statement_timeout", "1500").unwrap();
        assert_eq!(s.get("statement_timeout").as_deref(), Some("1500ms"));
        assert!(s.all().iter().any(|(n, v, _)| n == "statement_timeout" && v == "1500ms"));
        assert_eq!(s.statement_timeout(), Some(Duration::from_millis(1500)));
        s.set("statement_timeout", "2min").unwrap();
        assert_eq!(s.statement_timeout(), Some(Duration::from_secs(120)));
        s.set("statement_timeout", "0").unwrap();
        assert_eq!(s.statement_timeout(), None);
    }

    #[test]
    fn custom_and_result_mode() {
        let mut s = Settings::default();
        s.set("flinkwire.result_mode", "Changelog").unwrap();
        assert_eq!(s.get("flinkwire.result_mode").as_deref(), Some("changelog"));
        assert_eq!(s.set("flinkwire.result_mode", "sideways").unwrap_err().sqlstate(), "22023");
        s.reset_all();
        assert_eq!(s.get("flinkwire.result_mode").as_deref(), Some("auto"));
        s.set("myapp.x", "1").unwrap();
        assert!(s.all().iter().any(|(n, v, _)| n == "myapp.x" && v == "1"));
        assert!(is_local_parameter("myapp.x"));
        assert!(!is_local_parameter("catalogs"));
    }
}
