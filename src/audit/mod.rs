//! The audit log: one JSON object per line for every connection and every statement
//! (docs/security.md, "Audit log"). Never a password or a parameter value: statement text has
//! the values of secret-looking options (`'password' = …`) replaced by `'***'`, and the
//! extended protocol's statements are logged with their `$n` placeholders and parameter types.
//!
//! [`AuditLog::reopen`] reopens the file (after log rotation moved it; the server calls it on
//! SIGHUP). A write that fails is reported in the server log and does not fail the statement.

mod redact;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

pub use redact::redact;

/// `[audit]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// The file the JSON lines are appended to; none = no audit log.
    #[serde(default)]
    pub file: Option<PathBuf>,
}

/// A login, successful or not.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionEvent {
    pub connection_id: u64,
    pub user: String,
    pub client_addr: String,
    pub tls: bool,
    /// `trust`, `password`, `scram-sha-256`, … (`None` when not known).
    pub auth_method: Option<String>,
    /// `ok`, `denied` (the policy refused it), `failed` (opening the session failed),
    /// `auth_failed` (wrong credentials, 28xxx) or `refused` (TLS required, a connection limit).
    pub outcome: &'static str,
    pub sqlstate: Option<String>,
    pub message: Option<String>,
    pub role: Option<String>,
    pub cluster: Option<String>,
}

/// One parameter of an extended-protocol statement: its placeholder and type, never its value.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ParameterType {
    pub placeholder: String,
    #[serde(rename = "type")]
    pub type_name: String,
}

/// One statement and how it ended.
#[derive(Debug, Clone, Serialize)]
pub struct StatementEvent {
    pub connection_id: u64,
    pub user: String,
    pub role: Option<String>,
    pub cluster: Option<String>,
    /// The statement, secrets redacted; with `$n` placeholders for the extended protocol.
    pub statement: String,
    pub parameters: Vec<ParameterType>,
    pub statement_kind: &'static str,
    /// `allowed` or `denied`.
    pub decision: &'static str,
    /// The rule that denied it.
    pub rule: Option<String>,
    /// `00000` when it succeeded.
    pub sqlstate: String,
    pub rows: u64,
    pub duration_ms: u64,
    pub job_id: Option<String>,
}

/// The audit log of one server.
#[derive(Debug, Default)]
pub struct AuditLog {
    file: Mutex<Option<(PathBuf, std::fs::File)>>,
    next_connection: AtomicU64,
}

impl AuditLog {
    /// Opens (appends to) the configured file; `Ok` with no file when none is configured.
    pub fn open(config: &AuditConfig) -> std::io::Result<Self> {
        let file = match &config.file {
            Some(path) => Some((path.clone(), open_append(path)?)),
            None => None,
        };
        Ok(Self { file: Mutex::new(file), next_connection: AtomicU64::new(0) })
    }

    /// Reopens the file at its configured path (log rotation). On failure the old handle is kept.
    pub fn reopen(&self) -> std::io::Result<()> {
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((path, file)) = guard.as_mut() {
            *file = open_append(path)?;
        }
        Ok(())
    }

    /// A new connection id (for [`ConnectionEvent::connection_id`] and the statements after it).
    pub fn next_connection_id(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn connection(&self, event: &ConnectionEvent) {
        self.write("connection", event);
    }

    pub fn statement(&self, event: &StatementEvent) {
        self.write("statement", event);
    }

    fn write<T: Serialize>(&self, kind: &str, event: &T) {
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let Some((path, file)) = guard.as_mut() else { return };
        let mut line = match serde_json::to_value(event) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => return,
        };
        line.insert("ts".into(), serde_json::Value::String(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
        line.insert("event".into(), serde_json::Value::String(kind.to_owned()));
        let mut text = serde_json::Value::Object(line).to_string();
        text.push('\n');
        // One write per line, so concurrent connections never interleave within a line.
        if let Err(err) = file.write_all(text.as_bytes()) {
            tracing::error!(cause = %err, path = %path.display(), "writing the audit log failed");
        }
    }
}

fn open_append(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().create(true).append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_json_lines_and_reopens_after_rotation() {
        let dir = std::env::temp_dir().join(format!("flinkwire-audit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.log");
        let _ = std::fs::remove_file(&path);
        let log = AuditLog::open(&AuditConfig { file: Some(path.clone()) }).unwrap();
        let id = log.next_connection_id();
        log.connection(&ConnectionEvent {
            connection_id: id,
            user: "ann".into(),
            client_addr: "127.0.0.1:1".into(),
            tls: false,
            auth_method: Some("password".into()),
            outcome: "ok",
            sqlstate: None,
            message: None,
            role: Some("bi".into()),
            cluster: Some("default".into()),
        });
        std::fs::rename(&path, dir.join("audit.log.1")).unwrap();
        log.reopen().unwrap();
        log.statement(&StatementEvent {
            connection_id: id,
            user: "ann".into(),
            role: None,
            cluster: None,
            statement: "SELECT $1".into(),
            parameters: vec![ParameterType { placeholder: "$1".into(), type_name: "int4".into() }],
            statement_kind: "query",
            decision: "allowed",
            rule: None,
            sqlstate: "00000".into(),
            rows: 1,
            duration_ms: 3,
            job_id: None,
        });
        let rotated = std::fs::read_to_string(dir.join("audit.log.1")).unwrap();
        let first: serde_json::Value = serde_json::from_str(rotated.trim()).unwrap();
        assert_eq!((first["event"].as_str(), first["user"].as_str(), first["tls"].as_bool()), (Some("connection"), Some("ann"), Some(false)));
        let fresh = std::fs::read_to_string(&path).unwrap();
        let second: serde_json::Value = serde_json::from_str(fresh.trim()).unwrap();
        assert_eq!(second["parameters"][0]["type"], "int4");
        assert_eq!(second["event"], "statement");
    }
}
