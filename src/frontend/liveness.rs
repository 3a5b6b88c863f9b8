//! Waiting for the next page of a result while watching that the client is still there.
//!
//! The socket notices a client that closed its connection only while flinkwire writes to it
//! (`socket.rs` reads ahead in `poll_write`/`poll_flush`). A query that produces no rows for a
//! long time (a filter that never matches, a window that has not closed) writes nothing, so a
//! client that left would keep its Flink job running. While no page arrives, the wait below
//! flushes the (empty) output every [`WATCH_INTERVAL`]: that lets the socket read ahead, see
//! the end of the stream and cancel the statement, which ends the row wait with 57014 and closes
//! the gateway operation. An empty flush sends nothing to the client.

use std::fmt::Debug;
use std::time::Duration;

use futures::{Sink, SinkExt};
use pgwire::api::portal::Format;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::data::DataRow;
use pgwire::messages::PgWireBackendMessage;
use tokio::time::Instant;

use crate::results::{Next, RowSet};

/// How often a result that produces no rows checks that its client is still connected.
const WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// The rest of the current page (`None` once the result is exhausted), like
/// [`RowSet::next_rows`] with `max` 0, checking every [`WATCH_INTERVAL`] that the client is
/// still connected.
pub(super) async fn next_page<C>(rows: &mut RowSet, formats: &Format, client: &mut C) -> PgWireResult<Option<Vec<DataRow>>>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    loop {
        match rows.next_rows_until(0, formats, Some(Instant::now() + WATCH_INTERVAL)).await? {
            Next::Rows(page) => return Ok(Some(page)),
            Next::End => return Ok(None),
            Next::Waiting => client.flush().await?,
        }
    }
}
