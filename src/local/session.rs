//! Running local commands on a client's session, and their answers as rows.

use flinkwire_protocol::rest::{ColumnInfo, RowData, RowKind};
use pgwire::error::PgWireError;

use super::{execute, LocalCommand, SettingError};
use crate::results::{ResultError, RowSet};
use crate::session::ClientSession;

/// Why a local command failed.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(transparent)]
    Setting(#[from] SettingError),
    #[error(transparent)]
    Result(#[from] ResultError),
}

impl From<LocalError> for PgWireError {
    fn from(err: LocalError) -> Self {
        match err {
            LocalError::Setting(e) => {
                let mut info = pgwire::error::ErrorInfo::new("ERROR".into(), e.sqlstate().into(), e.to_string());
                info.hint = e.hint().map(str::to_owned);
                PgWireError::UserError(Box::new(info))
            }
            LocalError::Result(e) => e.into(),
        }
    }
}

/// What a local command answered.
pub struct LocalOutcome {
    /// Rows for SHOW, `None` for commands.
    pub rows: Option<RowSet>,
    /// ParameterStatus messages the client must get before CommandComplete: (name, value).
    pub reports: Vec<(String, String)>,
}

/// A text column in the gateway's JSON shape.
fn text_column(name: &str) -> ColumnInfo {
    ColumnInfo {
        name: name.to_owned(),
        logical_type: serde_json::json!({"type": "VARCHAR", "nullable": true, "length": 2147483647}),
        comment: None,
    }
}

impl ClientSession {
    /// Runs a PostgreSQL session command locally (see [`crate::local`]).
    pub async fn run_local(&self, command: &LocalCommand) -> Result<LocalOutcome, LocalError> {
        let answer = execute(command, &mut self.settings())?;
        if let Some(path) = &answer.search_path {
            self.set_search_path(path).await?;
        }
        let rows = if command.returns_rows() {
            let columns: Vec<ColumnInfo> = answer.columns.iter().map(|c| text_column(c)).collect();
            let rows = answer
                .rows
                .into_iter()
                .map(|r| RowData { kind: RowKind::Insert, fields: r.into_iter().map(serde_json::Value::String).collect() })
                .collect();
            Some(RowSet::local(&columns, rows)?)
        } else {
            None
        };
        Ok(LocalOutcome { rows, reports: answer.reports })
    }
}
