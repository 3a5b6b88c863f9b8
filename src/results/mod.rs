//! Results: gateway pages → Arrow batches → PostgreSQL rows, as they arrive.
//!
//! A [`RowSet`] reads the first page itself (statement errors surface there), then a background
//! *pump* task follows the operation's later pages into a channel of capacity one. The pump
//! blocks while the client is slow, so at most three pages of one query are in memory (the one
//! being sent, one in the channel, one fetched and waiting), whatever the result's length.
//!
//! Waiting for a page is the only await, and it is cancel-safe: a CancelRequest, a
//! `statement_timeout` or a FETCH timeout interrupts it without losing a page. Dropping a RowSet
//! stops the pump, which drops the [`Operation`], which closes it on the gateway: the Flink job is
//! cancelled.
//!
//! The [`ResultMode`] decides how the changelog is shown (see `docs/streaming.md`).
//!
//! Both front ends read the same RowSet: the PostgreSQL one as encoded `DataRow`s
//! ([`RowSet::next_rows`]), the Flight SQL one as Arrow batches ([`RowSet::next_batch`]); modes,
//! limits, cancellation and the result cache behave the same for both.

pub mod cache;
mod encode;
pub mod settings;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use flinkwire_protocol::raw_page::RawRows;
use flinkwire_protocol::rest::{ColumnInfo, ResultKind, RowData, RowKind};
use flinkwire_protocol::sqlstate::SqlState;
use pgwire::api::portal::Format;
use pgwire::api::results::FieldInfo;
use pgwire::messages::data::DataRow;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::backend::{BackendError, Operation, Page};
pub use encode::{PageRows, ResultSchema};
pub use settings::{ResultMode, ResultSettings, RuntimeMode, SettingError};

/// Rows of the final table of `table` mode encoded at a time.
const TABLE_CHUNK: usize = 1024;

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
        "the query produced an update ({kind}) to an earlier row, which result mode 'append' cannot show"
    )]
    NotAppendOnly { kind: &'static str },
    /// The gateway ended the operation without ever sending a result page.
    #[error("the Flink SQL Gateway ended the operation without a result")]
    NoResult,
    /// A CancelRequest stopped the statement.
    #[error("canceling statement due to user request")]
    Cancelled,
    /// `statement_timeout` stopped the statement.
    #[error("canceling statement due to statement timeout")]
    Timeout,
    /// flinkwire did not send the statement: Flink would not answer it as PostgreSQL does.
    #[error(transparent)]
    Refused(#[from] crate::dialect::Refusal),
    /// The client's gateway session, opened at its first Flink statement, could not be opened.
    #[error(transparent)]
    Open(Box<crate::session::OpenError>),
}

impl ResultError {
    /// The SQLSTATE a PostgreSQL client should see.
    pub fn sqlstate(&self) -> SqlState {
        match self {
            Self::Backend(e) => e.sqlstate(),
            Self::Convert(_) | Self::NoResult => SqlState::INTERNAL_ERROR,
            Self::NotAppendOnly { .. } => SqlState::FEATURE_NOT_SUPPORTED,
            Self::Cancelled | Self::Timeout => SqlState::QUERY_CANCELED,
            Self::Refused(refusal) => refusal.sqlstate,
            Self::Open(e) => e.sqlstate(),
        }
    }

    pub fn hint(&self) -> Option<&str> {
        match self {
            Self::Backend(e) => e.hint(),
            Self::NotAppendOnly { .. } => Some(
                "SET flinkwire.result_mode = 'changelog' to see every change with an op column, or 'table' \
                 to get the final rows; or run the query in batch mode",
            ),
            Self::Timeout => Some("the Flink job was cancelled; SET statement_timeout = 0 to run without a limit"),
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

/// Why a result ended before the query did. The client is always told (a NOTICE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truncation {
    /// `flinkwire.max_rows` rows (in `table` mode: changes) were read.
    MaxRows(u64),
    /// `statement_timeout` ended a `table`-mode query; the table so far was sent.
    Timeout,
}

impl Truncation {
    /// The NOTICE text.
    pub fn message(self) -> String {
        match self {
            Self::MaxRows(n) => format!(
                "result stopped at flinkwire.max_rows = {n}; the query was cancelled and further rows were not read"
            ),
            Self::Timeout => {
                "statement_timeout reached: the table as of now was sent and the query was cancelled".to_owned()
            }
        }
    }
}

/// What the client takes from a result: encoded rows in its formats, or Arrow batches.
#[derive(Clone, Copy)]
enum Take<'a> {
    Rows(&'a Format),
    Batch,
}

/// A piece of a result as [`Take`] asked for it (never empty).
enum Chunk {
    Rows(Vec<DataRow>),
    Batch(arrow_array::RecordBatch),
}

/// The next step of a result, inside.
enum Step {
    Chunk(Chunk),
    Waiting,
    End,
}

/// The next step of a result.
pub enum Next {
    /// Some rows (never empty).
    Rows(Vec<DataRow>),
    /// The poll deadline passed with no rows available.
    Waiting,
    /// No more rows.
    End,
}

/// A page's rows: as fetched (field texts, read straight into Arrow), already decoded by the
/// pump, or as values (flinkwire's own answers).
enum PageData {
    Fetched(RawRows),
    Decoded(Decoded),
    Values(Vec<RowData>),
}

/// A page the pump decoded with the result's schema: its rows' kinds and the batch (or why it
/// could not be decoded, reported when the page's turn comes, as if decoded then).
struct Decoded {
    kinds: Vec<RowKind>,
    rows: Result<PageRows, String>,
}

impl PageData {
    fn is_empty(&self) -> bool {
        match self {
            Self::Fetched(rows) => rows.is_empty(),
            Self::Decoded(decoded) => decoded.kinds.is_empty(),
            Self::Values(rows) => rows.is_empty(),
        }
    }

    /// The changelog kind of the first row that is not an insert.
    fn first_change(&self) -> Option<RowKind> {
        let not_insert = |k: &RowKind| *k != RowKind::Insert;
        match self {
            Self::Fetched(rows) => rows.kinds().iter().copied().find(not_insert),
            Self::Decoded(decoded) => decoded.kinds.iter().copied().find(not_insert),
            Self::Values(rows) => rows.iter().map(|r| r.kind).find(not_insert),
        }
    }

    /// The rows as values (`table` mode keys its rows by their JSON).
    fn into_values(self) -> Result<Vec<RowData>, ResultError> {
        match self {
            Self::Fetched(rows) => rows.to_row_data().map_err(|e| ResultError::Convert(e.to_string())),
            Self::Values(rows) => Ok(rows),
            // The pump decodes only once a mode that shows batches took the first page.
            Self::Decoded(_) => Err(ResultError::Convert("a decoded page where values were expected".into())),
        }
    }
}

/// The background task following an operation's pages. Dropping it aborts the task, which drops
/// (and so closes) the operation.
struct Pump {
    rx: mpsc::Receiver<Result<Fetched, BackendError>>,
    task: JoinHandle<()>,
    /// Set by the RowSet once it knows it shows pages as batches (not `table` mode), with the
    /// schema it sends: from then on the pump decodes each page into Arrow itself, so that
    /// decoding page n + 1 overlaps encoding and writing page n (another core's work).
    decode: Arc<OnceLock<Arc<ResultSchema>>>,
}

/// A page from the pump, decoded if the RowSet asked for that.
struct Fetched {
    page: Page,
    decoded: Option<Decoded>,
}

impl Drop for Pump {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Pump {
    fn spawn(operation: Operation) -> Self {
        let (tx, rx) = mpsc::channel(1);
        let decode = Arc::new(OnceLock::new());
        let task = tokio::spawn(pump(operation, tx, decode.clone()));
        Self { rx, task, decode }
    }
}

async fn pump(
    mut operation: Operation,
    tx: mpsc::Sender<Result<Fetched, BackendError>>,
    decode: Arc<OnceLock<Arc<ResultSchema>>>,
) {
    let mut idle_polls = 0;
    loop {
        match operation.next_page().await {
            Ok(None) => return,
            Ok(Some(mut page)) => {
                let end = page.end_of_stream;
                if page.rows.is_empty() && !end && page.job_id.is_none() {
                    // A running job with nothing new: wait a little before asking again.
                    Operation::backoff(idle_polls).await;
                    idle_polls += 1;
                    continue;
                }
                idle_polls = 0;
                let decoded = match decode.get() {
                    Some(schema) if !page.rows.is_empty() => {
                        let rows = std::mem::take(&mut page.rows);
                        // The body is dropped here: a page waits in the channel as Arrow only.
                        Some(Decoded { rows: schema.decode_fetched(&rows), kinds: rows.into_kinds() })
                    }
                    _ => None,
                };
                if tx.send(Ok(Fetched { page, decoded })).await.is_err() || end {
                    return; // the client is gone, or the result is complete
                }
            }
            Err(err) => {
                let _ = tx.send(Err(err)).await;
                return;
            }
        }
    }
}

/// `table` mode: the changes applied so far, in first-insertion order.
#[derive(Default)]
struct Table {
    rows: std::collections::BTreeMap<u64, Vec<serde_json::Value>>,
    /// Row (as JSON text) → the sequence numbers of its copies.
    index: HashMap<String, Vec<u64>>,
    next: u64,
}

impl Table {
    fn apply(&mut self, row: RowData) {
        let key = serde_json::Value::Array(row.fields.clone()).to_string();
        match row.kind {
            RowKind::Insert | RowKind::UpdateAfter => {
                self.rows.insert(self.next, row.fields);
                self.index.entry(key).or_default().push(self.next);
                self.next += 1;
            }
            RowKind::UpdateBefore | RowKind::Delete => {
                if let Some(copies) = self.index.get_mut(&key) {
                    if let Some(seq) = copies.pop() {
                        self.rows.remove(&seq);
                    }
                    if copies.is_empty() {
                        self.index.remove(&key);
                    }
                }
            }
        }
    }
}

/// The rows of one running statement.
pub struct RowSet {
    /// The gateway's columns (without `op`).
    columns: Vec<ColumnInfo>,
    /// The columns sent to the client (with `op` in changelog mode).
    schema: Arc<ResultSchema>,
    mode: ResultMode,
    /// Pages still to come; `None` once finished or stopped.
    pump: Option<Pump>,
    /// The first page's rows, read by [`RowSet::start`], not yet taken.
    first: Option<PageData>,
    /// The page being sent, with how far the client has got.
    current: Option<PageRows>,
    /// No more pages will come.
    finished: bool,
    job_id: Option<String>,
    /// `table` mode: the table being built, then the rows left to send.
    table: Option<Table>,
    table_out: Option<std::vec::IntoIter<Vec<serde_json::Value>>>,
    /// `flinkwire.max_rows` (0 = none) and how many rows (changes in table mode) were counted.
    max_rows: u64,
    counted: u64,
    truncated: Option<Truncation>,
    /// Per statement: when `statement_timeout` ends it, and the CancelRequest token.
    deadline: Option<Instant>,
    cancel: Option<CancellationToken>,
    /// Answered by flinkwire itself (catalog emulation, SHOW CLUSTERS …): a finished table, not
    /// a Flink changelog, so result modes do not apply.
    local: bool,
    /// Kept alive as long as the result is open: the role's concurrent-query permit
    /// (`crate::policy`), so a suspended portal or a cursor still counts.
    held: Option<Box<dyn std::any::Any + Send + Sync>>,
    /// Told the Flink job id when a page first names it (or names another).
    job_watcher: Option<JobWatcher>,
    /// Told how the result ended; taken when it does.
    end_watcher: Option<EndWatcher>,
    /// Keeps the batches as they are sent, for the result cache; stored when the result ends
    /// complete, dropped as soon as it grows too large.
    recorder: Option<cache::Recorder>,
    /// An answer from the result cache: its batches still to send.
    replay: std::collections::VecDeque<arrow_array::RecordBatch>,
}

/// Called with the Flink job id of a result once the gateway names it (`pg_stat_activity`).
pub type JobWatcher = Box<dyn Fn(&str) + Send + Sync>;

/// How a result ended, for whoever counts statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Every row was sent (or `flinkwire.max_rows` cut it as asked).
    Complete,
    Cancelled,
    Timeout,
    /// An error while the rows streamed (the gateway, the job, a conversion).
    Failed,
    /// Dropped before its end: the portal or cursor closed, the client left.
    Closed,
}

/// Called once with how a result ended.
pub type EndWatcher = Box<dyn FnOnce(Ending) + Send + Sync>;

impl std::fmt::Debug for RowSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowSet")
            .field("job_id", &self.job_id)
            .field("mode", &self.mode)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl Drop for RowSet {
    fn drop(&mut self) {
        self.ended(Ending::Closed);
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
        let pump = (!page.end_of_stream).then(|| Pump::spawn(operation));
        Ok(Outcome::Rows(Self::new(page.columns, PageData::Fetched(page.rows), pump, page.job_id, false)?))
    }

    /// Rows answered by flinkwire itself (no gateway operation behind them), in the gateway's
    /// JSON shape so they are typed and encoded exactly like Flink's.
    pub fn local(columns: &[ColumnInfo], rows: Vec<RowData>) -> Result<Self, ResultError> {
        Self::new(columns.to_vec(), PageData::Values(rows), None, None, true)
    }

    /// Rows flinkwire knows Flink would answer (a constant `SELECT`, see
    /// [`crate::local::constant`]), in the gateway's JSON shape: a finished Flink result, so
    /// result modes and `flinkwire.max_rows` apply as they do to Flink's.
    pub fn constant(columns: &[ColumnInfo], rows: Vec<RowData>) -> Result<Self, ResultError> {
        Self::new(columns.to_vec(), PageData::Values(rows), None, None, false)
    }

    /// A result whose first page is `first`; `pump` brings the rest (none: finished).
    fn new(
        columns: Vec<ColumnInfo>,
        first: PageData,
        pump: Option<Pump>,
        job_id: Option<String>,
        local: bool,
    ) -> Result<Self, ResultError> {
        let schema = Arc::new(ResultSchema::from_columns(&columns).map_err(ResultError::Convert)?);
        Ok(RowSet {
            columns,
            schema,
            mode: ResultMode::Append,
            finished: pump.is_none(),
            pump,
            first: Some(first),
            current: None,
            job_id,
            table: None,
            table_out: None,
            max_rows: 0,
            counted: 0,
            truncated: None,
            deadline: None,
            cancel: None,
            local,
            held: None,
            job_watcher: None,
            end_watcher: None,
            recorder: None,
            replay: Default::default(),
        })
    }

    /// An answer from the result cache: the batches and columns of an earlier identical
    /// answer, already in its result mode (so it is not configured again, like a local one).
    pub fn cached(entry: &cache::Entry) -> Result<Self, ResultError> {
        let mut rows = Self::new(Vec::new(), PageData::Values(Vec::new()), None, None, true)?;
        rows.schema = entry.schema.clone();
        rows.replay = entry.batches.iter().cloned().collect();
        Ok(rows)
    }

    /// Records the batches as they are sent into the result cache; call before the first rows
    /// are taken. Stored if the result ends complete (not cut, cancelled, timed out or failed).
    pub fn record(&mut self, recorder: cache::Recorder) {
        self.recorder = Some(recorder);
    }

    /// Calls `watcher` with the job id now if it is known, and whenever a later page names one:
    /// the gateway names a query's job on the page after its submission, often not the first.
    pub fn watch_job(&mut self, watcher: JobWatcher) {
        if let Some(job) = &self.job_id {
            watcher(job);
        }
        self.job_watcher = Some(watcher);
    }

    /// Calls `watcher` once when the result ends, with how ([`Ending::Closed`] when it is
    /// dropped first).
    pub fn watch_end(&mut self, watcher: EndWatcher) {
        self.end_watcher = Some(watcher);
    }

    fn ended(&mut self, ending: Ending) {
        if let Some(recorder) = self.recorder.take() {
            if ending == Ending::Complete && self.truncated.is_none() {
                recorder.finish(self.schema.clone());
            }
        }
        if let Some(watcher) = self.end_watcher.take() {
            watcher(ending);
        }
    }

    /// Keeps `value` alive until this result is dropped (see the `held` field).
    pub fn hold(&mut self, value: Box<dyn std::any::Any + Send + Sync>) {
        self.held = Some(value);
    }

    /// Renames result columns: `rename(position, count, name)` gives a column's new name, `None`
    /// to keep it. Call before the first rows or fields are taken.
    pub fn rename_columns(&mut self, rename: impl Fn(usize, usize, &str) -> Option<String>) -> Result<(), ResultError> {
        let count = self.columns.len();
        let mut changed = false;
        for (position, column) in self.columns.iter_mut().enumerate() {
            if let Some(name) = rename(position, count, &column.name) {
                column.name = name;
                changed = true;
            }
        }
        if changed {
            self.rebuild_schema()?;
        }
        Ok(())
    }

    /// The columns sent: the gateway's, with `op` first in changelog mode.
    fn rebuild_schema(&mut self) -> Result<(), ResultError> {
        let base = ResultSchema::from_columns(&self.columns).map_err(ResultError::Convert)?;
        self.schema = Arc::new(if self.mode == ResultMode::Changelog { base.with_op_column() } else { base });
        Ok(())
    }

    /// Applies the session's result mode and row limit; `runtime` is the Flink runtime mode the
    /// statement ran in (what `auto` follows). Call before the first rows or fields are taken.
    pub fn configure(&mut self, settings: &ResultSettings, runtime: RuntimeMode) -> Result<(), ResultError> {
        if self.local {
            return Ok(());
        }
        self.max_rows = settings.max_rows;
        let mode = settings.effective_mode(runtime);
        if mode == self.mode || self.counted > 0 {
            return Ok(());
        }
        self.mode = mode;
        self.rebuild_schema()?;
        self.table = (mode == ResultMode::Table).then(Table::default);
        Ok(())
    }

    /// Sets what may interrupt the next waits: the statement's deadline and its cancel token.
    pub fn guard(&mut self, deadline: Option<Instant>, cancel: Option<CancellationToken>) {
        self.deadline = deadline;
        self.cancel = cancel;
    }

    /// Whether flinkwire answered the statement itself (no Flink changelog behind it).
    pub fn is_local(&self) -> bool {
        self.local
    }

    /// The result's columns as sent.
    pub fn schema(&self) -> &Arc<ResultSchema> {
        &self.schema
    }

    /// The result mode in effect.
    pub fn mode(&self) -> ResultMode {
        self.mode
    }

    /// The Flink job behind the result, if the gateway named one.
    pub fn job_id(&self) -> Option<&str> {
        self.job_id.as_deref()
    }

    /// The RowDescription fields for the given result formats.
    pub fn fields(&self, formats: &Format) -> Vec<FieldInfo> {
        self.schema.fields(formats)
    }

    /// Set when a limit ended the result early; the client must be told.
    pub fn truncation(&self) -> Option<Truncation> {
        self.truncated
    }

    /// Encodes up to `max` rows (0 = the rest of the current page) in the given formats.
    /// `None` once the result is exhausted.
    pub async fn next_rows(&mut self, max: usize, formats: &Format) -> Result<Option<Vec<DataRow>>, ResultError> {
        loop {
            match self.next_rows_until(max, formats, None).await? {
                Next::Rows(rows) => return Ok(Some(rows)),
                Next::End => return Ok(None),
                Next::Waiting => {}
            }
        }
    }

    /// The next Arrow batch as sent (with `op` in changelog mode): the rest of the current page,
    /// within `flinkwire.max_rows`. `None` once the result is exhausted. For the Flight SQL
    /// front end, which streams batches as pages arrive.
    pub async fn next_batch(&mut self) -> Result<Option<arrow_array::RecordBatch>, ResultError> {
        loop {
            match self.next_chunk(0, Take::Batch, None).await? {
                Step::Chunk(Chunk::Batch(batch)) => return Ok(Some(batch)),
                Step::Chunk(Chunk::Rows(_)) => return Err(ResultError::Convert("rows where a batch was asked for".into())),
                Step::End => return Ok(None),
                Step::Waiting => {}
            }
        }
    }

    /// Like [`RowSet::next_rows`], but gives up with [`Next::Waiting`] at `poll_until` when no
    /// rows are there. Cancel-safe.
    pub async fn next_rows_until(
        &mut self,
        max: usize,
        formats: &Format,
        poll_until: Option<Instant>,
    ) -> Result<Next, ResultError> {
        Ok(match self.next_chunk(max, Take::Rows(formats), poll_until).await? {
            Step::Chunk(Chunk::Rows(rows)) => Next::Rows(rows),
            Step::Chunk(Chunk::Batch(_)) => return Err(ResultError::Convert("a batch where rows were asked for".into())),
            Step::Waiting => Next::Waiting,
            Step::End => Next::End,
        })
    }

    /// The next chunk as `take` asks, noting how the result ended when it does.
    async fn next_chunk(&mut self, max: usize, take: Take<'_>, poll_until: Option<Instant>) -> Result<Step, ResultError> {
        let next = self.next_chunk_or_wait(max, take, poll_until).await;
        match &next {
            Ok(Step::End) => self.ended(Ending::Complete),
            Ok(_) => {}
            Err(ResultError::Cancelled) => self.ended(Ending::Cancelled),
            Err(ResultError::Timeout) => self.ended(Ending::Timeout),
            Err(_) => self.ended(Ending::Failed),
        }
        next
    }

    async fn next_chunk_or_wait(&mut self, max: usize, take: Take<'_>, poll_until: Option<Instant>) -> Result<Step, ResultError> {
        loop {
            if let Some(chunk) = self.take_ready(max, take)? {
                return Ok(Step::Chunk(chunk));
            }
            if let Some(first) = self.first.take() {
                self.accept(first)?;
                continue;
            }
            if let Some(batch) = self.replay.pop_front() {
                self.current = Some(PageRows::from_batch(self.schema.clone(), batch));
                continue;
            }
            if self.table.is_some() && (self.finished || self.pump.is_none()) {
                // A bounded query ended: its table is final.
                self.finish_table(None)?;
                continue;
            }
            if self.finished {
                self.pump = None;
                return Ok(Step::End);
            }
            let Some(pump) = self.pump.as_mut() else {
                self.finished = true;
                continue;
            };
            let cancel = self.cancel.clone();
            let received = tokio::select! {
                biased;
                _ = async { cancel.as_ref().expect("guarded").cancelled().await }, if cancel.is_some() => {
                    self.stop();
                    return Err(ResultError::Cancelled);
                }
                _ = tokio::time::sleep_until(self.deadline.unwrap_or_else(Instant::now)), if self.deadline.is_some() => {
                    if self.mode == ResultMode::Table {
                        self.finish_table(Some(Truncation::Timeout))?;
                        continue;
                    }
                    self.stop();
                    return Err(ResultError::Timeout);
                }
                _ = tokio::time::sleep_until(poll_until.unwrap_or_else(Instant::now)), if poll_until.is_some() => {
                    return Ok(Step::Waiting);
                }
                page = pump.rx.recv() => page,
            };
            match received {
                None => {
                    self.pump = None;
                    self.finished = true;
                }
                Some(Err(err)) => {
                    self.stop();
                    return Err(err.into());
                }
                Some(Ok(Fetched { page, decoded })) => {
                    if page.job_id.is_some() && page.job_id != self.job_id {
                        self.job_id = page.job_id;
                        if let (Some(watcher), Some(job)) = (&self.job_watcher, &self.job_id) {
                            watcher(job);
                        }
                    }
                    if page.end_of_stream {
                        self.pump = None;
                    }
                    self.accept(decoded.map_or(PageData::Fetched(page.rows), PageData::Decoded))?;
                    if page.end_of_stream {
                        self.finished = true;
                    }
                }
            }
        }
    }

    /// Whether every row has been sent.
    pub fn is_finished(&self) -> bool {
        self.finished
            && self.first.is_none()
            && self.replay.is_empty()
            && self.current.as_ref().is_none_or(PageRows::is_exhausted)
            && self.table_out.as_ref().is_none_or(|t| t.len() == 0)
    }

    /// Rows that can be sent without waiting, within the row limit.
    fn take_ready(&mut self, max: usize, take: Take<'_>) -> Result<Option<Chunk>, ResultError> {
        loop {
            if let Some(current) = &mut self.current {
                if !current.is_exhausted() {
                    let mut want = if max == 0 { current.remaining() } else { max.min(current.remaining()) };
                    if self.max_rows > 0 && self.mode != ResultMode::Table {
                        let left = self.max_rows.saturating_sub(self.counted) as usize;
                        if left == 0 {
                            // More rows than the limit: stop here and say so.
                            self.truncated = Some(Truncation::MaxRows(self.max_rows));
                            self.stop();
                            return Ok(None);
                        }
                        want = want.min(left);
                    }
                    let (chunk, taken) = match take {
                        Take::Rows(formats) => {
                            let rows = current.encode_next(want, formats).map_err(ResultError::Convert)?;
                            let taken = rows.len();
                            (Chunk::Rows(rows), taken)
                        }
                        Take::Batch => {
                            let batch = current.take_batch(want);
                            let taken = batch.num_rows();
                            (Chunk::Batch(batch), taken)
                        }
                    };
                    if self.mode != ResultMode::Table {
                        self.counted += taken as u64;
                    }
                    return Ok(Some(chunk));
                }
                self.current = None;
            }
            // A limit reached exactly at a page end still has a running query behind it.
            if self.max_rows > 0
                && self.mode != ResultMode::Table
                && self.counted >= self.max_rows
                && !self.finished
            {
                self.truncated = Some(Truncation::MaxRows(self.max_rows));
                self.stop();
                return Ok(None);
            }
            let Some(out) = &mut self.table_out else { return Ok(None) };
            let chunk: Vec<RowData> =
                out.by_ref().take(TABLE_CHUNK).map(|fields| RowData { kind: RowKind::Insert, fields }).collect();
            if chunk.is_empty() {
                self.table_out = None;
                return Ok(None);
            }
            let page = self.schema.decode(&chunk).map_err(ResultError::Convert)?;
            self.show(page);
        }
    }

    /// Takes one page's rows according to the mode.
    fn accept(&mut self, rows: PageData) -> Result<(), ResultError> {
        match self.mode {
            ResultMode::Table => {
                let rows = rows.into_values()?;
                let table = self.table.get_or_insert_with(Table::default);
                for row in rows {
                    table.apply(row);
                    self.counted += 1;
                    if self.max_rows > 0 && self.counted >= self.max_rows {
                        return self.finish_table(Some(Truncation::MaxRows(self.max_rows)));
                    }
                }
                Ok(())
            }
            ResultMode::Append | ResultMode::Auto => {
                if let Some(kind) = rows.first_change() {
                    self.stop();
                    return Err(ResultError::NotAppendOnly { kind: kind.short_string() });
                }
                self.set_current(rows)
            }
            ResultMode::Changelog => self.set_current(rows),
        }
    }

    fn set_current(&mut self, rows: PageData) -> Result<(), ResultError> {
        if let Some(pump) = &self.pump {
            // The mode and schema are settled once rows are taken (`configure`, `rename_columns`).
            let _ = pump.decode.set(self.schema.clone());
        }
        if !rows.is_empty() {
            let decoded = match rows {
                PageData::Fetched(rows) => self.schema.decode_fetched(&rows),
                PageData::Decoded(decoded) => decoded.rows,
                PageData::Values(rows) => self.schema.decode(&rows),
            };
            self.show(decoded.map_err(ResultError::Convert)?);
        }
        Ok(())
    }

    /// Makes `page` the page being sent (the result cache's recorder keeps a copy).
    fn show(&mut self, page: PageRows) {
        if let Some(recorder) = &mut self.recorder {
            if !recorder.add(page.batch()) {
                self.recorder = None;
            }
        }
        self.current = Some(page);
    }

    /// `table` mode: ends the input and queues the table for sending.
    fn finish_table(&mut self, truncation: Option<Truncation>) -> Result<(), ResultError> {
        if let Some(table) = self.table.take() {
            if truncation.is_some() {
                self.truncated = truncation;
            }
            self.stop();
            self.table_out = Some(table.rows.into_values().collect::<Vec<_>>().into_iter());
        }
        Ok(())
    }

    /// Stops reading: the pump ends and the gateway operation is closed (its job cancelled).
    fn stop(&mut self) {
        self.pump = None;
        self.finished = true;
        self.first = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(kind: RowKind, fields: Vec<serde_json::Value>) -> RowData {
        RowData { kind, fields }
    }

    #[test]
    fn table_applies_changes() {
        let mut t = Table::default();
        t.apply(row(RowKind::Insert, vec![json!("a"), json!(1)]));
        t.apply(row(RowKind::Insert, vec![json!("b"), json!(1)]));
        t.apply(row(RowKind::UpdateBefore, vec![json!("a"), json!(1)]));
        t.apply(row(RowKind::UpdateAfter, vec![json!("a"), json!(2)]));
        t.apply(row(RowKind::Delete, vec![json!("b"), json!(1)]));
        t.apply(row(RowKind::Delete, vec![json!("zzz"), json!(1)]));
        let rows: Vec<_> = t.rows.into_values().collect();
        assert_eq!(rows, vec![vec![json!("a"), json!(2)]]);
    }

    fn columns() -> Vec<ColumnInfo> {
        serde_json::from_value(json!([
            {"name": "w", "logicalType": {"type": "VARCHAR", "nullable": true, "length": 10}, "comment": null},
            {"name": "n", "logicalType": {"type": "BIGINT", "nullable": false}, "comment": null}
        ]))
        .unwrap()
    }

    fn changes() -> Vec<RowData> {
        vec![
            row(RowKind::Insert, vec![json!("a"), json!(1)]),
            row(RowKind::UpdateBefore, vec![json!("a"), json!(1)]),
            row(RowKind::UpdateAfter, vec![json!("a"), json!(2)]),
        ]
    }

    /// Rows standing in for a Flink result (result modes apply), without a gateway.
    fn flink_rows(rows: Vec<RowData>) -> Result<RowSet, ResultError> {
        let mut set = RowSet::local(&columns(), rows)?;
        set.local = false;
        Ok(set)
    }

    #[tokio::test]
    async fn local_answers_are_plain_tables_in_every_mode() {
        let mut answer = RowSet::local(&columns(), vec![row(RowKind::Insert, vec![json!("a"), json!(1)])]).unwrap();
        answer.configure(&ResultSettings { mode: ResultMode::Changelog, max_rows: 0, ..ResultSettings::default() }, RuntimeMode::Batch).unwrap();
        assert_eq!(answer.schema().names(), vec!["w", "n"]);
        assert_eq!(texts(&mut answer).await.unwrap().len(), 1);
    }

    async fn texts(rows: &mut RowSet) -> Result<Vec<String>, ResultError> {
        let mut out = vec![];
        while let Some(page) = rows.next_rows(0, &Format::UnifiedText).await? {
            out.extend(page.into_iter().map(|r| String::from_utf8_lossy(&r.data).into_owned()));
        }
        Ok(out)
    }

    #[tokio::test]
    async fn modes_show_changelogs_honestly() {
        let settings = |mode| ResultSettings { mode, ..ResultSettings::default() };
        let mut append = flink_rows(changes()).unwrap();
        append.configure(&settings(ResultMode::Append), RuntimeMode::Batch).unwrap();
        assert!(matches!(texts(&mut append).await, Err(ResultError::NotAppendOnly { kind: "-U" })));

        let mut changelog = flink_rows(changes()).unwrap();
        changelog.configure(&settings(ResultMode::Changelog), RuntimeMode::Batch).unwrap();
        assert_eq!(changelog.schema().names(), vec!["op", "w", "n"]);
        let rows = texts(&mut changelog).await.unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows[1].contains("-U") && rows[2].contains("+U"));

        let mut table = flink_rows(changes()).unwrap();
        table.configure(&settings(ResultMode::Table), RuntimeMode::Batch).unwrap();
        let rows = texts(&mut table).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert!(rows[0].ends_with('2'));
        assert_eq!(table.truncation(), None);
    }

    fn cache_key(cache: &cache::ResultCache, sql: &str) -> cache::CacheKey {
        cache.key(cache::plain_parts(sql), &mut cache::SessionLog::default()).unwrap()
    }

    #[tokio::test]
    async fn complete_answers_are_recorded_and_replayed_as_they_were_sent() {
        let cache = Arc::new(cache::ResultCache::new(&cache::CacheConfig { enabled: true, ..Default::default() }));
        let many: Vec<RowData> = (0..10).map(|i| row(RowKind::Insert, vec![json!("x"), json!(i)])).collect();
        let mut first = flink_rows(many.clone()).unwrap();
        first.configure(&ResultSettings::default(), RuntimeMode::Streaming).unwrap();
        first.record(cache.recorder(cache_key(&cache, "SELECT complete")));
        let sent = texts(&mut first).await.unwrap();
        assert_eq!(sent.len(), 10);
        let entry = cache.get(&cache_key(&cache, "SELECT complete")).expect("stored when complete");
        let mut again = RowSet::cached(&entry).unwrap();
        assert!(again.is_local(), "not configured a second time");
        assert_eq!(again.schema().names(), vec!["op", "w", "n"], "the changelog mode it was sent in");
        assert_eq!(texts(&mut again).await.unwrap(), sent);

        // Cut by max_rows, or closed before its end: not stored.
        let mut cut = flink_rows(many.clone()).unwrap();
        cut.configure(&ResultSettings { max_rows: 4, ..ResultSettings::default() }, RuntimeMode::Batch).unwrap();
        cut.record(cache.recorder(cache_key(&cache, "SELECT cut")));
        assert_eq!(texts(&mut cut).await.unwrap().len(), 4);
        assert!(cache.get(&cache_key(&cache, "SELECT cut")).is_none());
        let mut closed = flink_rows(many).unwrap();
        closed.record(cache.recorder(cache_key(&cache, "SELECT closed")));
        assert_eq!(closed.next_rows(3, &Format::UnifiedText).await.unwrap().map(|r| r.len()), Some(3));
        drop(closed);
        assert!(cache.get(&cache_key(&cache, "SELECT closed")).is_none());
    }

    #[tokio::test]
    async fn batches_are_the_rows_as_sent() {
        // The Flight SQL front end's view: the same modes and limits, as Arrow batches.
        let mut changelog = flink_rows(changes()).unwrap();
        changelog.configure(&ResultSettings { mode: ResultMode::Changelog, ..ResultSettings::default() }, RuntimeMode::Batch).unwrap();
        let batch = changelog.next_batch().await.unwrap().expect("a batch");
        assert_eq!(batch.schema().field(0).name(), "op");
        assert_eq!(batch.num_rows(), 3);
        assert!(changelog.next_batch().await.unwrap().is_none());

        let many: Vec<RowData> = (0..10).map(|i| row(RowKind::Insert, vec![json!("x"), json!(i)])).collect();
        let mut cut = flink_rows(many).unwrap();
        cut.configure(&ResultSettings { max_rows: 4, ..ResultSettings::default() }, RuntimeMode::Batch).unwrap();
        assert_eq!(cut.next_batch().await.unwrap().map(|b| b.num_rows()), Some(4));
        assert!(cut.next_batch().await.unwrap().is_none());
        assert_eq!(cut.truncation(), Some(Truncation::MaxRows(4)));

        let mut append = flink_rows(changes()).unwrap();
        append.configure(&ResultSettings { mode: ResultMode::Append, ..ResultSettings::default() }, RuntimeMode::Batch).unwrap();
        assert!(matches!(append.next_batch().await, Err(ResultError::NotAppendOnly { .. })));
    }

    #[tokio::test]
    async fn max_rows_says_it_cut() {
        let many: Vec<RowData> = (0..10).map(|i| row(RowKind::Insert, vec![json!("x"), json!(i)])).collect();
        let mut rows = flink_rows(many.clone()).unwrap();
        rows.configure(&ResultSettings { max_rows: 4, ..ResultSettings::default() }, RuntimeMode::Batch).unwrap();
        assert_eq!(texts(&mut rows).await.unwrap().len(), 4);
        assert_eq!(rows.truncation(), Some(Truncation::MaxRows(4)));

        let mut exact = flink_rows(many).unwrap();
        exact.configure(&ResultSettings { max_rows: 10, ..ResultSettings::default() }, RuntimeMode::Batch).unwrap();
        assert_eq!(texts(&mut exact).await.unwrap().len(), 10);
        assert_eq!(exact.truncation(), None);
    }
}
