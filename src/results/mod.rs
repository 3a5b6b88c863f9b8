//! Results: gateway pages → Arrow batches → PostgreSQL rows, as they arrive.
//!
//! A [`RowSet`] holds at most one decoded page at a time and fetches the next page only when the
//! client has taken the current one, so memory stays bounded by the gateway's page size however
//! long the result is, and a slow client slows the fetching.

mod encode;

use std::sync::Arc;

use flinkwire_protocol::rest::{ResultKind, RowKind};
use flinkwire_protocol::sqlstate::SqlState;
use pgwire::api::portal::Format;
use pgwire::api::results::FieldInfo;
use pgwire::messages::data::DataRow;

use crate::backend::{BackendError, Operation, Page};
pub use encode::{PageRows, ResultSchema};

/// Why a result could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum ResultError {
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// A gateway value that does not fit its declared column type.
    #[error("cannot convert a result value: {0}")]
    Convert(String),
    /// An update or delete arrived in a result that is shown as a plain table.
    #[error(
        "the query produced an update ({kind}) to an earlier row; flinkwire shows only insert-only \
         results as plain rows"
    )]
    NotAppendOnly { kind: &'static str },
    /// The gateway ended the operation without ever sending a result page.
    #[error("the Flink SQL Gateway ended the operation without a result")]
    NoResult,
}

impl ResultError {
    /// The SQLSTATE a PostgreSQL client should see.
    pub fn sqlstate(&self) -> SqlState {
        match self {
            Self::Backend(e) => e.sqlstate(),
            Self::Convert(_) | Self::NoResult => SqlState::INTERNAL_ERROR,
            Self::NotAppendOnly { .. } => SqlState::FEATURE_NOT_SUPPORTED,
        }
    }

    pub fn hint(&self) -> Option<&str> {
        match self {
            Self::Backend(e) => e.hint(),
            Self::NotAppendOnly { .. } => Some(
                "run the query in batch mode (SET 'execution.runtime-mode' = 'batch') to get final rows",
            ),
            _ => None,
        }
    }
}

/// What a statement answered.
pub enum Outcome {
    /// A statement without rows of its own (DDL, SET …), finished.
    Done,
    /// Rows, to be streamed to the client.
    Rows(RowSet),
}

/// The rows of one running statement.
pub struct RowSet {
    operation: Option<Operation>,
    schema: Arc<ResultSchema>,
    /// The page being sent, with how far the client has got.
    current: Option<PageRows>,
    finished: bool,
    job_id: Option<String>,
    /// Empty pages in a row, for the polling delay.
    idle_polls: u32,
}

impl std::fmt::Debug for RowSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowSet").field("job_id", &self.job_id).field("finished", &self.finished).finish_non_exhaustive()
    }
}

impl RowSet {
    /// Reads the operation up to its first result page, which tells whether it has rows and
    /// their schema. Errors of the statement itself (bad SQL, unknown table) surface here.
    pub async fn start(mut operation: Operation) -> Result<Outcome, ResultError> {
        let page = operation.next_page().await?.ok_or(ResultError::NoResult)?;
        if page.result_kind == Some(ResultKind::Success) {
            // DDL and friends: a single `OK` row that is not the client's business.
            drop(operation);
            return Ok(Outcome::Done);
        }
        let schema = Arc::new(ResultSchema::from_columns(&page.columns).map_err(ResultError::Convert)?);
        let mut rows = RowSet {
            operation: Some(operation),
            schema,
            current: None,
            finished: false,
            job_id: page.job_id.clone(),
            idle_polls: 0,
        };
        rows.accept(page)?;
        Ok(Outcome::Rows(rows))
    }

    /// Rows answered by flinkwire itself (no gateway operation behind them), in the gateway's
    /// JSON shape so they are typed and encoded exactly like Flink's.
    pub fn local(columns: &[flinkwire_protocol::rest::ColumnInfo], rows: Vec<flinkwire_protocol::rest::RowData>) -> Result<Self, ResultError> {
        let schema = Arc::new(ResultSchema::from_columns(columns).map_err(ResultError::Convert)?);
        let current = if rows.is_empty() { None } else { Some(schema.decode(&rows).map_err(ResultError::Convert)?) };
        Ok(RowSet { operation: None, schema, current, finished: true, job_id: None, idle_polls: 0 })
    }

    /// The result's columns.
    pub fn schema(&self) -> &Arc<ResultSchema> {
        &self.schema
    }

    /// The Flink job behind the result, if the gateway named one.
    pub fn job_id(&self) -> Option<&str> {
        self.job_id.as_deref()
    }

    /// The RowDescription fields for the given result formats.
    pub fn fields(&self, formats: &Format) -> Vec<FieldInfo> {
        self.schema.fields(formats)
    }

    /// Encodes up to `max` rows (0 = the rest of the current page) in the given formats.
    /// `None` once the result is exhausted.
    pub async fn next_rows(&mut self, max: usize, formats: &Format) -> Result<Option<Vec<DataRow>>, ResultError> {
        loop {
            if let Some(current) = &mut self.current {
                if !current.is_exhausted() {
                    return current.encode_next(max, formats).map(Some).map_err(ResultError::Convert);
                }
                self.current = None;
            }
            if self.finished {
                self.operation = None; // closes the gateway operation in the background
                return Ok(None);
            }
            let operation = self.operation.as_mut().ok_or(ResultError::NoResult)?;
            match operation.next_page().await? {
                None => self.finished = true,
                Some(page) => {
                    let empty = page.rows.is_empty() && !page.end_of_stream;
                    self.accept(page)?;
                    if empty {
                        // A running job with nothing new: wait a little before asking again.
                        Operation::backoff(self.idle_polls).await;
                        self.idle_polls += 1;
                    } else {
                        self.idle_polls = 0;
                    }
                }
            }
        }
    }

    /// Whether every row has been sent.
    pub fn is_finished(&self) -> bool {
        self.finished && self.current.as_ref().is_none_or(PageRows::is_exhausted)
    }

    fn accept(&mut self, page: Page) -> Result<(), ResultError> {
        if page.job_id.is_some() {
            self.job_id = page.job_id.clone();
        }
        self.finished |= page.end_of_stream;
        if let Some(row) = page.rows.iter().find(|r| r.kind != RowKind::Insert) {
            return Err(ResultError::NotAppendOnly { kind: row.kind.short_string() });
        }
        if !page.rows.is_empty() {
            self.current = Some(self.schema.decode(&page.rows).map_err(ResultError::Convert)?);
        }
        Ok(())
    }
}
