//! One statement's operation on the gateway and the pages of its result.

use std::time::Duration;

use flinkwire_protocol::raw_page::{RawPage, RawRows};
use flinkwire_protocol::rest::{ColumnInfo, ResultKind, ResultType};
use reqwest::Method;
use tracing::debug;

use super::client::GatewayClient;
use super::error::BackendError;

/// First wait after a `NOT_READY` or empty page; doubled up to [`MAX_POLL_DELAY`].
const MIN_POLL_DELAY: Duration = Duration::from_millis(2);
/// Longest wait between polls of a running operation with nothing new.
const MAX_POLL_DELAY: Duration = Duration::from_millis(100);

/// A page of rows the gateway delivered.
#[derive(Debug, Clone)]
pub struct Page {
    /// The result schema (repeated by the gateway on every page).
    pub columns: Vec<ColumnInfo>,
    /// The rows of this page (as JSON texts), possibly none while a job runs.
    pub rows: RawRows,
    /// `SUCCESS` (no rows of its own: DDL, SET…) or `SUCCESS_WITH_CONTENT`.
    pub result_kind: Option<ResultKind>,
    /// Whether the statement was a query (`isQueryResult`).
    pub is_query_result: bool,
    /// The Flink job behind the result, once submitted.
    pub job_id: Option<String>,
    /// Whether this is the last page (`EOS`).
    pub end_of_stream: bool,
}

/// A submitted statement. Dropping an unfinished operation closes it on the gateway in the
/// background, which cancels its Flink job: nothing a client started outlives it.
#[derive(Debug)]
pub struct Operation {
    client: GatewayClient,
    base_path: String,
    handle: String,
    /// Path (with query) of the next page, or `None` after `EOS`.
    next: Option<String>,
    closed: bool,
}

impl Operation {
    pub(super) async fn new(
        client: GatewayClient,
        session: String,
        handle: String,
    ) -> Result<Self, BackendError> {
        let version = client.version().await?;
        let base_path = format!("/{}/sessions/{session}/operations/{handle}", version.path_prefix());
        let first = if version.has_row_format() {
            format!("{base_path}/result/0?rowFormat=JSON")
        } else {
            format!("{base_path}/result/0")
        };
        Ok(Self { client, base_path, handle, next: Some(first), closed: false })
    }

    /// The gateway's operation handle.
    pub fn handle(&self) -> &str {
        &self.handle
    }

    /// Fetches the next page that carries news: rows, the schema on the first payload, or the
    /// end. `NOT_READY` is waited out with a growing delay. Returns `None` after the end.
    pub async fn next_page(&mut self) -> Result<Option<Page>, BackendError> {
        let mut delay = MIN_POLL_DELAY;
        loop {
            let Some(path) = self.next.take() else { return Ok(None) };
            let body = self.client.request_body(Method::GET, &path, None::<&()>).await?;
            // The rows stay JSON text here; they become Arrow column by column (`crate::results`).
            let resp = RawPage::parse(body).map_err(|e| BackendError::Protocol(format!("GET {path}: {e}")))?;
            match resp.result_type {
                ResultType::NotReady => {
                    // The gateway repeats the same token until the result is ready.
                    self.next = Some(resp.next_result_uri.unwrap_or(path));
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(MAX_POLL_DELAY);
                }
                ResultType::Payload | ResultType::Eos => {
                    let end_of_stream = resp.result_type == ResultType::Eos || resp.next_result_uri.is_none();
                    self.next = resp.next_result_uri;
                    let results = resp.results.ok_or_else(|| {
                        BackendError::Protocol(format!("{path}: a {:?} page without results", resp.result_type))
                    })?;
                    return Ok(Some(Page {
                        columns: results.columns,
                        rows: results.rows,
                        result_kind: resp.result_kind,
                        is_query_result: resp.is_query_result.unwrap_or(false),
                        job_id: resp.job_id,
                        end_of_stream,
                    }));
                }
            }
        }
    }

    /// Waits before fetching again after an empty page of a running job.
    pub async fn backoff(attempt: u32) {
        let delay = MIN_POLL_DELAY.saturating_mul(1 << attempt.min(6)).min(MAX_POLL_DELAY);
        tokio::time::sleep(delay).await;
    }

    /// Closes the operation on the gateway; for a running query this cancels its Flink job.
    /// If the gateway cannot be reached, the close is retried in the background.
    pub async fn close(mut self) -> Result<(), BackendError> {
        self.closed = true;
        let (what, attempt) = self.close_attempt();
        super::close_now_or_later(what, attempt).await
    }

    /// What to log, and a repeatable attempt to close this operation.
    fn close_attempt(&self) -> (String, impl Fn() -> super::CloseFuture + Send + 'static) {
        let (client, path) = (self.client.clone(), self.base_path.clone());
        let what = format!("SQL Gateway operation {path}");
        (what, move || -> super::CloseFuture {
            let (client, path) = (client.clone(), path.clone());
            Box::pin(async move { close_operation(&client, &path).await })
        })
    }
}

impl Drop for Operation {
    fn drop(&mut self) {
        if !self.closed {
            let (what, attempt) = self.close_attempt();
            super::close_in_background(what, attempt);
        }
    }
}

async fn close_operation(client: &GatewayClient, base_path: &str) -> Result<(), BackendError> {
    let _: serde_json::Value = client.request(Method::DELETE, &format!("{base_path}/close"), None::<&()>).await?;
    debug!(operation = %base_path, "closed SQL Gateway operation");
    Ok(())
}
