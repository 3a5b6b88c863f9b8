//! Per-session result settings: result mode, row limit, statement timeout, result cache.
//!
//! One [`ResultSettings`] per client session (inside `crate::local::Settings`). `SET`/`SHOW`/`RESET`
//! of these names (and the startup `options='-c name=value'`) go through [`ResultSettings::set`] / [`ResultSettings::get`]
//! / [`ResultSettings::reset`], so the session-command handling only has to route the names in
//! [`ResultSettings::NAMES`] here.

use std::time::Duration;

/// How a result's changelog is shown to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultMode {
    /// `append` for a statement that runs in batch mode, `changelog` in streaming mode.
    Auto,
    /// Plain rows; an update or delete is an error (0A000), never shown as a new row.
    Append,
    /// A leading `op` column (`+I`, `-U`, `+U`, `-D`) and every change as it happens.
    Changelog,
    /// Changes applied; the resulting table is sent when the query ends (or a limit or timeout
    /// ends it).
    Table,
}

impl ResultMode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Append => "append",
            Self::Changelog => "changelog",
            Self::Table => "table",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        Some(match value.to_ascii_lowercase().as_str() {
            "auto" | "default" => Self::Auto,
            "append" => Self::Append,
            "changelog" => Self::Changelog,
            "table" => Self::Table,
            _ => return None,
        })
    }
}

/// A bad setting value.
#[derive(Debug, thiserror::Error)]
#[error("invalid value for parameter \"{name}\": \"{value}\"")]
pub struct SettingError {
    pub name: String,
    pub value: String,
    pub hint: &'static str,
    /// Set when the value is valid but above the role's limit (`max_statement_timeout`,
    /// `max_max_rows`): the client gets 42501 naming the limit instead.
    pub above_limit: Option<AboveLimit>,
}

/// A value above a role's limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("permission denied to set parameter \"{name}\" to \"{value}\": role \"{role}\" allows at most {max} ({rule})")]
pub struct AboveLimit {
    pub name: String,
    pub value: String,
    pub role: String,
    /// The limit as SHOW would print it.
    pub max: String,
    /// The configuration key of the limit, e.g. `roles.bi.max_statement_timeout`.
    pub rule: String,
}

/// A role's defaults and maxima for the result settings (`[roles.NAME]`, docs/security.md
/// "Limits per role"). `None` = no default / no maximum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingLimits {
    pub statement_timeout: Option<Duration>,
    pub max_statement_timeout: Option<Duration>,
    pub max_rows: Option<u64>,
    pub max_max_rows: Option<u64>,
}

/// The result settings of one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultSettings {
    /// `flinkwire.result_mode`.
    pub mode: ResultMode,
    /// `flinkwire.max_rows`: 0 = no limit.
    pub max_rows: u64,
    /// `statement_timeout`: `None` = no timeout (PostgreSQL's 0).
    pub statement_timeout: Option<Duration>,
    /// `flinkwire.result_cache`: answer repeated bounded queries from the result cache
    /// (`crate::results::cache`); the session's default comes from `[result_cache]` or its
    /// environment.
    pub result_cache: bool,
    /// The role's maxima, checked by [`ResultSettings::set`], and the name of the role.
    pub limits: Option<(String, SettingLimits)>,
}

impl Default for ResultSettings {
    fn default() -> Self {
        Self { mode: ResultMode::Auto, max_rows: 0, statement_timeout: None, result_cache: false, limits: None }
    }
}

/// Rounds to whole milliseconds, as PostgreSQL keeps `statement_timeout`.
pub fn whole_millis(d: Duration) -> Duration {
    Duration::from_millis(u64::try_from(d.as_micros().saturating_add(500) / 1000).unwrap_or(u64::MAX))
}

/// Flink's `execution.runtime-mode` of a gateway session, which decides what `auto` shows.
/// It can change with every `SET`/`RESET`, so it is read from the session, not fixed at connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeMode {
    Batch,
    Streaming,
}

impl RuntimeMode {
    /// The key in Flink's configuration.
    pub const KEY: &'static str = "execution.runtime-mode";

    /// The mode a session with this configuration runs in. Without the key Flink runs
    /// STREAMING (its default); `AUTOMATIC` and bad values are not batch either (Flink refuses
    /// them when the statement is planned).
    pub fn of<'a>(mut configuration: impl Iterator<Item = (&'a String, &'a String)>) -> Self {
        match configuration.find(|(k, _)| k.as_str() == Self::KEY) {
            Some((_, v)) if v.trim().eq_ignore_ascii_case("batch") => Self::Batch,
            _ => Self::Streaming,
        }
    }
}

pub const RESULT_MODE: &str = "flinkwire.result_mode";
pub const MAX_ROWS: &str = "flinkwire.max_rows";
pub const STATEMENT_TIMEOUT: &str = "statement_timeout";
pub const RESULT_CACHE: &str = "flinkwire.result_cache";

impl ResultSettings {
    /// The setting names handled here (lower case).
    pub const NAMES: [&'static str; 4] = [RESULT_MODE, MAX_ROWS, STATEMENT_TIMEOUT, RESULT_CACHE];

    /// Whether `name` is one of these settings.
    pub fn handles(name: &str) -> bool {
        Self::NAMES.contains(&name.to_ascii_lowercase().as_str())
    }

    /// The settings a session of role `role` starts with: the role's defaults, its maxima
    /// enforced from then on.
    pub fn for_role(role: &str, limits: SettingLimits) -> Self {
        Self {
            max_rows: limits.max_rows.or(limits.max_max_rows).unwrap_or(0),
            statement_timeout: limits.statement_timeout.or(limits.max_statement_timeout),
            limits: Some((role.to_owned(), limits)),
            ..Self::default()
        }
    }

    /// Refuses values above the role's maxima; 0 (no limit) is above any maximum.
    fn check_limits(&self, name: &str, value: &str, timeout: Option<Option<Duration>>, rows: Option<u64>) -> Result<(), SettingError> {
        let Some((role, limits)) = &self.limits else { return Ok(()) };
        let above = |max: String, key: &str| SettingError {
            name: name.to_owned(),
            value: value.to_owned(),
            hint: "",
            above_limit: Some(AboveLimit {
                name: name.to_owned(),
                value: value.to_owned(),
                role: role.clone(),
                max,
                rule: format!("roles.{role}.{key}"),
            }),
        };
        if let (Some(timeout), Some(max)) = (timeout, limits.max_statement_timeout) {
            if timeout.is_none_or(|t| t > max) {
                let shown = Self { statement_timeout: Some(max), ..Self::default() }.get(STATEMENT_TIMEOUT).unwrap_or_default();
                return Err(above(shown, "max_statement_timeout"));
            }
        }
        if let (Some(rows), Some(max)) = (rows, limits.max_max_rows) {
            if rows == 0 || rows > max {
                return Err(above(max.to_string(), "max_max_rows"));
            }
        }
        Ok(())
    }

    /// Sets one setting. `Ok(false)`: not a result setting (leave it to someone else).
    pub fn set(&mut self, name: &str, value: &str) -> Result<bool, SettingError> {
        let value = value.trim();
        let bad = |hint| SettingError { name: name.to_owned(), value: value.to_owned(), hint, above_limit: None };
        match name.to_ascii_lowercase().as_str() {
            RESULT_MODE => {
                self.mode = ResultMode::parse(value).ok_or_else(|| bad("one of auto, append, changelog, table"))?;
            }
            MAX_ROWS => {
                let rows = value.parse().map_err(|_| bad("a number of rows, 0 for no limit"))?;
                self.check_limits(name, value, None, Some(rows))?;
                self.max_rows = rows;
            }
            STATEMENT_TIMEOUT => {
                let timeout = parse_duration_ms(value).ok_or_else(|| bad("milliseconds, or a number with a unit: ms, s, min, h"))?;
                // Whole milliseconds, rounded, as PostgreSQL keeps it: `5us` is 0 (no limit), not a
                // 5 µs limit that SHOW printed as `0s` (found by fuzzing, fuzz/sql session_settings).
                let timeout = whole_millis(timeout);
                let timeout = (!timeout.is_zero()).then_some(timeout);
                self.check_limits(name, value, Some(timeout), None)?;
                self.statement_timeout = timeout;
            }
            RESULT_CACHE => {
                self.result_cache = match value.trim_matches('\'').to_ascii_lowercase().as_str() {
                    "on" | "true" | "yes" | "1" => true,
                    "off" | "false" | "no" | "0" => false,
                    _ => return Err(bad("on or off")),
                };
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Resets one setting to its default (the role's, if any). `false`: not a result setting.
    pub fn reset(&mut self, name: &str) -> bool {
        let default = match &self.limits {
            Some((role, limits)) => Self::for_role(role, limits.clone()),
            None => Self::default(),
        };
        match name.to_ascii_lowercase().as_str() {
            RESULT_MODE => self.mode = default.mode,
            MAX_ROWS => self.max_rows = default.max_rows,
            STATEMENT_TIMEOUT => self.statement_timeout = default.statement_timeout,
            RESULT_CACHE => self.result_cache = default.result_cache,
            _ => return false,
        }
        true
    }

    /// The current value as `SHOW` prints it.
    pub fn get(&self, name: &str) -> Option<String> {
        Some(match name.to_ascii_lowercase().as_str() {
            RESULT_MODE => self.mode.name().to_owned(),
            MAX_ROWS => self.max_rows.to_string(),
            STATEMENT_TIMEOUT => match self.statement_timeout {
                None => "0".to_owned(),
                Some(d) if d.as_millis() % 1000 == 0 => format!("{}s", d.as_secs()),
                Some(d) => format!("{}ms", d.as_millis()),
            },
            RESULT_CACHE => if self.result_cache { "on" } else { "off" }.to_owned(),
            _ => return None,
        })
    }

    /// The mode in effect: `auto` resolved by the session's current runtime mode.
    pub fn effective_mode(&self, runtime: RuntimeMode) -> ResultMode {
        match self.mode {
            ResultMode::Auto if runtime == RuntimeMode::Streaming => ResultMode::Changelog,
            ResultMode::Auto => ResultMode::Append,
            other => other,
        }
    }
}

/// PostgreSQL's `statement_timeout` syntax: a bare number is milliseconds; units `us`, `ms`, `s`,
/// `min`, `h`, `d`.
pub fn parse_duration_ms(value: &str) -> Option<Duration> {
    let value = value.trim().trim_matches('\'').trim();
    let split = value.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    let ms = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" => number,
        "us" => number / 1000.0,
        "s" => number * 1000.0,
        "min" => number * 60_000.0,
        "h" => number * 3_600_000.0,
        "d" => number * 86_400_000.0,
        _ => return None,
    };
    (ms.is_finite() && ms >= 0.0).then(|| Duration::from_micros((ms * 1000.0) as u64))
}

/// Splits a startup `options` string (`-c name=value --name=value …`) into pairs.
pub fn parse_startup_options(options: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut words = options.split_whitespace();
    while let Some(word) = words.next() {
        // `-c name=value` is taken literally; `--name=value` spells `_` as `-`, like postgres.
        let (pair, dashes) = if word == "-c" {
            (words.next(), false)
        } else if let Some(p) = word.strip_prefix("--") {
            (Some(p), true)
        } else {
            (word.strip_prefix("-c"), false)
        };
        if let Some((k, v)) = pair.and_then(|p| p.split_once('=')) {
            let k = if dashes { k.replace('-', "_") } else { k.to_owned() };
            out.push((k, v.to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_values() {
        let mut s = ResultSettings::default();
        assert!(s.set("STATEMENT_TIMEOUT", "1.5s").unwrap());
        assert_eq!(s.statement_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(s.get(STATEMENT_TIMEOUT).unwrap(), "1500ms");
        assert!(s.set(STATEMENT_TIMEOUT, "0").unwrap());
        assert_eq!(s.statement_timeout, None);
        // Whole milliseconds, as PostgreSQL: `5us` showed as `0s` but cut every statement off
        // after 5 µs (found by fuzzing, fuzz/sql/fuzz_targets/session_settings.rs).
        assert!(s.set(STATEMENT_TIMEOUT, "5us").unwrap());
        assert_eq!((s.statement_timeout, s.get(STATEMENT_TIMEOUT).unwrap().as_str()), (None, "0"));
        assert!(s.set(STATEMENT_TIMEOUT, "1500us").unwrap());
        assert_eq!((s.statement_timeout, s.get(STATEMENT_TIMEOUT).unwrap().as_str()), (Some(Duration::from_millis(2)), "2ms"));
        assert!(s.set(RESULT_MODE, "bogus").is_err());
        assert!(!s.set("search_path", "x").unwrap());
        assert_eq!(s.effective_mode(RuntimeMode::Batch), ResultMode::Append);
        assert_eq!(s.effective_mode(RuntimeMode::Streaming), ResultMode::Changelog);
        s.set(RESULT_MODE, "table").unwrap();
        assert_eq!(s.effective_mode(RuntimeMode::Streaming), ResultMode::Table);
        assert_eq!(s.get(RESULT_CACHE).unwrap(), "off");
        for (value, on) in [("on", true), ("'OFF'", false), ("true", true), ("0", false)] {
            assert!(s.set("FLINKWIRE.RESULT_CACHE", value).unwrap());
            assert_eq!(s.result_cache, on, "{value}");
        }
        assert!(s.set(RESULT_CACHE, "sometimes").is_err());
        assert_eq!(s.get(RESULT_CACHE).unwrap(), "off");
    }

    #[test]
    fn role_limits_give_defaults_and_refuse_values_above_the_maxima() {
        let limits = SettingLimits {
            statement_timeout: Some(Duration::from_secs(10)),
            max_statement_timeout: Some(Duration::from_secs(60)),
            max_rows: None,
            max_max_rows: Some(1000),
        };
        let mut s = ResultSettings::for_role("bi", limits);
        assert_eq!((s.statement_timeout, s.max_rows), (Some(Duration::from_secs(10)), 1000));
        assert!(s.set(STATEMENT_TIMEOUT, "30s").unwrap());
        let err = s.set(STATEMENT_TIMEOUT, "0").unwrap_err();
        let above = err.above_limit.unwrap();
        assert_eq!((above.max.as_str(), above.rule.as_str()), ("60s", "roles.bi.max_statement_timeout"));
        assert!(s.set(STATEMENT_TIMEOUT, "2min").unwrap_err().above_limit.is_some());
        assert!(s.set(MAX_ROWS, "0").unwrap_err().above_limit.is_some());
        assert!(s.set(MAX_ROWS, "1001").unwrap_err().above_limit.is_some());
        assert!(s.set(MAX_ROWS, "10").unwrap());
        assert_eq!(s.statement_timeout, Some(Duration::from_secs(30)));
        assert!(s.reset(STATEMENT_TIMEOUT) && s.reset(MAX_ROWS));
        assert_eq!((s.statement_timeout, s.max_rows), (Some(Duration::from_secs(10)), 1000));
    }

    #[test]
    fn runtime_mode_follows_flink_defaults() {
        let of = |pairs: &[(&str, &str)]| {
            let map: std::collections::BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            RuntimeMode::of(map.iter())
        };
        assert_eq!(of(&[]), RuntimeMode::Streaming);
        assert_eq!(of(&[("execution.runtime-mode", "BATCH")]), RuntimeMode::Batch);
        assert_eq!(of(&[("execution.runtime-mode", "streaming"), ("parallelism.default", "2")]), RuntimeMode::Streaming);
        assert_eq!(of(&[("execution.runtime-mode", "automatic")]), RuntimeMode::Streaming);
    }

    #[test]
    fn startup_options() {
        assert_eq!(
            parse_startup_options("-c execution.runtime-mode=streaming -cflinkwire.result_mode=table --statement-timeout=5s"),
            vec![
                ("execution.runtime-mode".to_owned(), "streaming".to_owned()),
                ("flinkwire.result_mode".to_owned(), "table".to_owned()),
                ("statement_timeout".to_owned(), "5s".to_owned()),
            ]
        );
    }
}
