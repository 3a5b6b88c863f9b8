//! `COPY (query) TO STDOUT` of unbounded queries (what ADBC and ConnectorX read results with):
//! rows stream a page at a time, and a CancelRequest or a client that leaves stops the Flink job
//! even when the query has produced nothing yet.

use std::time::Duration;

use futures::StreamExt;
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

use super::{connect_raw, endless, job_states, start, unique, wait_jobs_stopped};

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn copy_out_streams_an_unbounded_query_until_a_cancel_request() {
    let (client, _) = super::connect(true).await;
    let table = unique("fw_copy_cancel");
    endless(&client, &table, 50).await;
    let stream = client.copy_out(&format!("COPY (SELECT id, label FROM {table}) TO STDOUT (FORMAT binary)")).await.unwrap();
    futures::pin_mut!(stream);
    // One CopyData per row, arriving while the job runs (it never ends by itself).
    for _ in 0..20 {
        let chunk = tokio::time::timeout(Duration::from_secs(60), stream.next()).await.expect("a row within 60 s");
        chunk.unwrap().unwrap();
    }
    client.cancel_token().cancel_query(NoTls).await.unwrap();
    let err = loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.next()).await.expect("cancelled within 10 s") {
            Some(Ok(_)) => continue,
            Some(Err(err)) => break err,
            None => panic!("the COPY ended instead of being cancelled"),
        }
    };
    assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err}");
    let took = wait_jobs_stopped(&table, Duration::from_secs(10)).await;
    assert!(job_states(&table).await.iter().all(|s| s == "CANCELED"), "took {took:?}");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn copy_out_of_a_query_with_no_rows_yet_is_cancelled_when_the_client_leaves() {
    let addr = start(true).await;
    let table = unique("fw_copy_gone");
    {
        let (client, _, connection) = connect_raw(addr).await;
        endless(&client, &table, 50).await;
        // Never a row: nothing is written to the client, so only the liveness check can see it go.
        // copy_out returns at CopyOutResponse, which is flushed before the first page.
        let sql = format!("COPY (SELECT id FROM {table} WHERE id IS NULL) TO STDOUT (FORMAT binary)");
        let stream = tokio::time::timeout(Duration::from_secs(60), client.copy_out(&sql)).await.expect("CopyOutResponse");
        drop(stream.unwrap());
        // Wait until the job runs, then vanish like a killed client (no Terminate).
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !job_states(&table).await.iter().any(|s| s == "RUNNING") {
            assert!(std::time::Instant::now() < deadline, "the job never ran");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        connection.abort();
    }
    let took = wait_jobs_stopped(&table, Duration::from_secs(5)).await;
    assert!(job_states(&table).await.iter().all(|s| s == "CANCELED"), "took {took:?}");
}
