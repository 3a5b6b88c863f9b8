//! Streaming results end to end against real Flink: result modes, limits, cancel, disconnect,
//! cursors, COPY and job control. `scripts/test.sh` starts Flink and the agent and sets
//! `FLINKWIRE_TEST_GATEWAY` and `FLINKWIRE_TEST_FLINK_REST`; ignored in a plain `cargo test`.
//!
//! Every Flink job a test starts reads a table with a name unique to the test, so the test can
//! find its jobs on the JobManager (`/jobs/overview`) and check that none outlives its client.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flinkwire::config::{Config, Overrides};
use flinkwire::server::{serve, ServerContext};
#[path = "common/flink_jobs.rs"]
mod flink_jobs;

use flink_jobs::job_states;
use futures::StreamExt;
use tokio_postgres::error::SqlState;
use tokio_postgres::{AsyncMessage, Client, NoTls, SimpleQueryMessage};

#[path = "streaming/copy_out.rs"]
mod copy_out;
#[path = "streaming/endings.rs"]
mod endings;
#[path = "streaming/faults.rs"]
mod faults;
#[path = "streaming/gateway_proxy.rs"]
mod gateway_proxy;
#[path = "common/raw_client.rs"]
mod raw_client;
#[path = "streaming/taskmanager.rs"]
mod taskmanager;

fn config(streaming: bool) -> Config {
    let gateway = std::env::var("FLINKWIRE_TEST_GATEWAY")
        .expect("FLINKWIRE_TEST_GATEWAY is not set: run scripts/test.sh (it starts Flink and the agent)");
    let overrides = Overrides { listen: Some("127.0.0.1:0".parse().unwrap()), gateway_url: Some(gateway) };
    let mut config = Config::load(None, &overrides).unwrap();
    if streaming {
        config.session.properties.insert("execution.runtime-mode".into(), "streaming".into());
    }
    config
}

async fn start(streaming: bool) -> SocketAddr {
    start_with(config(streaming)).await.0
}

/// Starts flinkwire with `config`; returns its address and its shared state.
async fn start_with(config: Config) -> (SocketAddr, Arc<ServerContext>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let ctx = Arc::new(ServerContext::new(config).unwrap());
    let server = ctx.clone();
    tokio::spawn(async move {
        let (_keep, mut stop) = tokio::sync::watch::channel(false);
        serve(listener, server, &mut stop).await.unwrap();
    });
    (addr, ctx)
}

/// A client, and the notices the server sent it.
async fn connect_to(addr: SocketAddr) -> (Client, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let (client, notices, _connection) = connect_raw(addr).await;
    (client, notices)
}

/// A client, its notices, and its connection task (abort it to drop the socket).
async fn connect_raw(
    addr: SocketAddr,
) -> (Client, tokio::sync::mpsc::UnboundedReceiver<String>, tokio::task::JoinHandle<()>) {
    let (client, mut connection) = tokio_postgres::connect(
        &format!("host={} port={} user=test dbname=default_catalog", addr.ip(), addr.port()),
        NoTls,
    )
    .await
    .unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notice(notice) = message {
                let _ = tx.send(notice.message().to_owned());
            }
        }
    });
    (client, rx, task)
}

async fn connect(streaming: bool) -> (Client, tokio::sync::mpsc::UnboundedReceiver<String>) {
    connect_to(start(streaming).await).await
}

/// A table name unique to this test run.
fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}_{}_{nanos}", std::process::id())
}

/// Creates an unbounded datagen table `name` producing `rate` rows per second.
async fn endless(client: &Client, name: &str, rate: u32) {
    client
        .batch_execute(&format!(
            "CREATE TEMPORARY TABLE {name} (id BIGINT, label STRING) WITH ('connector' = 'datagen', \
             'rows-per-second' = '{rate}', 'fields.label.length' = '4')"
        ))
        .await
        .unwrap();
}

/// Waits until every job reading `table` has stopped (none RUNNING/CREATED/…); returns the time
/// it took. Panics after `limit`.
async fn wait_jobs_stopped(table: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let states = job_states(table).await;
        let live = states.iter().any(|s| !matches!(s.as_str(), "CANCELED" | "FINISHED" | "FAILED"));
        if !states.is_empty() && !live {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "jobs on {table} still alive after {limit:?}: {states:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Reads a row stream until it fails and returns the error; panics if the stream ends cleanly or
/// nothing fails within `limit` (`why` says what should have ended it).
async fn first_error(mut stream: std::pin::Pin<&mut tokio_postgres::RowStream>, limit: Duration, why: &str) -> tokio_postgres::Error {
    loop {
        match tokio::time::timeout(limit, stream.next()).await {
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(err))) => return err,
            Ok(None) => panic!("the stream ended without an error ({why})"),
            Err(_) => panic!("no error {limit:?} after {why}"),
        }
    }
}

fn rows(messages: &[SimpleQueryMessage]) -> Vec<Vec<Option<String>>> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect()),
            _ => None,
        })
        .collect()
}

const COUNTS: &str = "SELECT w, COUNT(*) AS n FROM (VALUES ('a'), ('b'), ('a'), ('a')) AS t(w) GROUP BY w";

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn changelog_and_table_modes_of_a_streaming_group_by() {
    let (client, _) = connect(true).await;
    assert_eq!(rows(&client.simple_query("SHOW flinkwire.result_mode").await.unwrap()), vec![vec![Some("auto".into())]]);

    // Streaming default (auto = changelog): an `op` column and -U/+U pairs.
    let changes = rows(&client.simple_query(COUNTS).await.unwrap());
    let ops: Vec<&str> = changes.iter().map(|r| r[0].as_deref().unwrap()).collect();
    assert!(ops.contains(&"-U") && ops.contains(&"+U"), "{changes:?}");
    assert_eq!(changes.last().unwrap().len(), 3);

    // Table mode: the changes applied, the final counts.
    client.batch_execute("SET flinkwire.result_mode = 'table'").await.unwrap();
    let mut table = rows(&client.simple_query(COUNTS).await.unwrap());
    table.sort();
    assert_eq!(table, vec![vec![Some("a".into()), Some("3".into())], vec![Some("b".into()), Some("1".into())]]);
    // Also through the extended protocol (typed).
    let typed = client.query(COUNTS, &[]).await.unwrap();
    assert_eq!(typed.len(), 2);
    assert_eq!(typed[0].columns().len(), 2);

    // Append mode refuses updates clearly.
    client.batch_execute("SET flinkwire.result_mode = 'append'").await.unwrap();
    let err = client.simple_query(COUNTS).await.unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::FEATURE_NOT_SUPPORTED), "{err}");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn runtime_mode_switches_mid_session_and_auto_follows() {
    // A batch-default session (flinkwire's default `session.properties`).
    let (client, _) = connect(false).await;
    let table = unique("fw_mode");
    endless(&client, &table, 100).await;
    client
        .batch_execute(&format!(
            "CREATE TEMPORARY TABLE {table}_b (w STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '20', \
             'fields.w.length' = '1')"
        ))
        .await
        .unwrap();
    let err = client.simple_query(&format!("SELECT id FROM {table}")).await.unwrap_err();
    assert!(err.as_db_error().is_some_and(|e| e.message().contains("batch mode is not allowed")), "{err:?}");

    client.batch_execute("SET 'execution.runtime-mode' = 'streaming'").await.unwrap();
    // auto = changelog now: a server-side cursor over the unbounded table, rows with `op`.
    client.batch_execute("BEGIN").await.unwrap();
    client.batch_execute(&format!("DECLARE c NO SCROLL CURSOR FOR SELECT id, label FROM {table}")).await.unwrap();
    let fetched = rows(&client.simple_query("FETCH 5 FROM c").await.unwrap());
    assert_eq!(fetched.len(), 5);
    assert!(fetched.iter().all(|r| r.len() == 3 && r[0].as_deref() == Some("+I")), "{fetched:?}");
    client.batch_execute("CLOSE c").await.unwrap();
    client.batch_execute("COMMIT").await.unwrap();
    wait_jobs_stopped(&table, Duration::from_secs(10)).await;
    let changes = rows(&client.simple_query(COUNTS).await.unwrap());
    let ops: Vec<&str> = changes.iter().map(|r| r[0].as_deref().unwrap()).collect();
    assert!(ops.contains(&"-U") && ops.contains(&"+U"), "{changes:?}");
    client.batch_execute("SET flinkwire.result_mode = 'table'").await.unwrap();
    let mut table_rows = rows(&client.simple_query(COUNTS).await.unwrap());
    table_rows.sort();
    assert_eq!(table_rows, vec![vec![Some("a".into()), Some("3".into())], vec![Some("b".into()), Some("1".into())]]);
    client.batch_execute("RESET flinkwire.result_mode").await.unwrap();
    // The temporary table made in batch mode is still there.
    let streamed = rows(&client.simple_query(&format!("SELECT COUNT(*) FROM {table}_b")).await.unwrap());
    assert_eq!(streamed.last().map(|r| (r[0].as_deref(), r[1].as_deref())), Some((Some("+U"), Some("20"))), "{streamed:?}");

    // RESET 'key' and RESET go back to the configured batch default (not Flink's streaming).
    client.batch_execute("RESET 'execution.runtime-mode'").await.unwrap();
    assert_eq!(rows(&client.simple_query(&format!("SELECT COUNT(*) FROM {table}_b")).await.unwrap()), vec![vec![Some("20".into())]]);
    let err = client.simple_query(&format!("SELECT id FROM {table}")).await.unwrap_err();
    assert!(err.as_db_error().is_some_and(|e| e.message().contains("batch mode is not allowed")), "{err:?}");
    client.batch_execute("SET 'execution.runtime-mode' = 'streaming'").await.unwrap();
    client.batch_execute("RESET").await.unwrap();
    let mut batch = rows(&client.simple_query(COUNTS).await.unwrap());
    batch.sort();
    assert_eq!(batch, vec![vec![Some("a".into()), Some("3".into())], vec![Some("b".into()), Some("1".into())]]);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn max_rows_cuts_with_a_notice_and_cancels_the_job() {
    let (client, mut notices) = connect(true).await;
    let table = unique("fw_maxrows");
    endless(&client, &table, 200).await;
    client.batch_execute("SET flinkwire.result_mode = 'append'; SET flinkwire.max_rows = 25").await.unwrap();
    let got = rows(&client.simple_query(&format!("SELECT id FROM {table}")).await.unwrap());
    assert_eq!(got.len(), 25);
    let notice = tokio::time::timeout(Duration::from_secs(5), notices.recv()).await.unwrap().unwrap();
    assert!(notice.contains("flinkwire.max_rows = 25"), "{notice}");
    wait_jobs_stopped(&table, Duration::from_secs(10)).await;
    assert!(job_states(&table).await.iter().all(|s| s == "CANCELED"));
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn statement_timeout_is_57014_and_cancels_the_job() {
    let (client, _) = connect(true).await;
    let table = unique("fw_timeout");
    endless(&client, &table, 5).await;
    client.batch_execute("SET statement_timeout = '3s'").await.unwrap();
    let started = Instant::now();
    let err = client.simple_query(&format!("SELECT id FROM {table}")).await.unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err}");
    assert!(started.elapsed() < Duration::from_secs(15));
    wait_jobs_stopped(&table, Duration::from_secs(10)).await;
    // The connection stays usable, its gateway session too (`SELECT 1` alone flinkwire answers).
    client.batch_execute("SET statement_timeout = 0").await.unwrap();
    assert_eq!(rows(&client.simple_query("SELECT 1 + 0").await.unwrap()).len(), 1);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn cancel_request_stops_a_streaming_query() {
    let (client, _) = connect(true).await;
    let table = unique("fw_cancel");
    endless(&client, &table, 5).await;
    let token = client.cancel_token();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        token.cancel_query(NoTls).await.unwrap();
    });
    let err = client.simple_query(&format!("SELECT id FROM {table}")).await.unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err}");
    canceller.await.unwrap();
    let took = wait_jobs_stopped(&table, Duration::from_secs(10)).await;
    assert!(job_states(&table).await.iter().all(|s| s == "CANCELED"), "took {took:?}");
    assert_eq!(rows(&client.simple_query("SELECT 1 + 0").await.unwrap()).len(), 1);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn a_client_gone_mid_stream_has_its_job_cancelled_within_5s() {
    let addr = start(true).await;
    let table = unique("fw_gone");
    {
        let (client, _, connection) = connect_raw(addr).await;
        endless(&client, &table, 100).await;
        let stream = client.query_raw(&format!("SELECT id FROM {table}"), Vec::<String>::new()).await.unwrap();
        futures::pin_mut!(stream);
        for _ in 0..10 {
            stream.next().await.unwrap().unwrap();
        }
        // Like a killed client: the socket closes mid-stream, without Terminate.
        connection.abort();
    }
    let took = wait_jobs_stopped(&table, Duration::from_secs(5)).await;
    assert!(job_states(&table).await.iter().all(|s| s == "CANCELED"), "took {took:?}");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn cursors_declare_fetch_move_close() {
    let (client, _) = connect(true).await;
    let table = unique("fw_cursor");
    endless(&client, &table, 100).await;
    client.batch_execute("SET flinkwire.result_mode = 'append'").await.unwrap();
    client.batch_execute("BEGIN").await.unwrap();
    client.batch_execute(&format!("DECLARE c NO SCROLL CURSOR FOR SELECT id, label FROM {table}")).await.unwrap();
    assert_eq!(rows(&client.simple_query("FETCH 5 FROM c").await.unwrap()).len(), 5);
    assert_eq!(rows(&client.simple_query("FETCH NEXT IN c").await.unwrap()).len(), 1);
    let moved = client.simple_query("MOVE FORWARD 3 IN c").await.unwrap();
    assert!(matches!(moved.last(), Some(SimpleQueryMessage::CommandComplete(3))));
    // Polling: at most what arrives within the timeout.
    let started = Instant::now();
    let polled = rows(&client.simple_query("FETCH 100000 c WITH (timeout = '500ms')").await.unwrap());
    assert!(!polled.is_empty() && polled.len() < 100000);
    assert!(started.elapsed() < Duration::from_secs(5));
    // Through the extended protocol too (typed rows).
    let typed = client.query("FETCH FORWARD 2 FROM c", &[]).await.unwrap();
    assert_eq!(typed.len(), 2);
    let _: i64 = typed[0].get(0);
    client.batch_execute("CLOSE c").await.unwrap();
    wait_jobs_stopped(&table, Duration::from_secs(10)).await;
    let err = client.simple_query("FETCH 1 FROM c").await.unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INVALID_CURSOR_NAME));
    client.batch_execute("ROLLBACK").await.unwrap();

    // WITH HOLD survives the transaction; WITHOUT HOLD does not.
    client.batch_execute("BEGIN").await.unwrap();
    client.batch_execute("DECLARE held CURSOR WITH HOLD FOR VALUES (1), (2), (3)").await.unwrap();
    client.batch_execute("DECLARE gone CURSOR FOR VALUES (1)").await.unwrap();
    client.batch_execute("COMMIT").await.unwrap();
    assert_eq!(rows(&client.simple_query("FETCH ALL FROM held").await.unwrap()).len(), 3);
    assert_eq!(rows(&client.simple_query("FETCH ALL FROM held").await.unwrap()).len(), 0);
    let err = client.simple_query("FETCH gone").await.unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INVALID_CURSOR_NAME));
    client.batch_execute("CLOSE ALL").await.unwrap();
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn copy_to_stdout_csv_text_binary() {
    let (client, _) = connect(false).await;
    let query = "SELECT * FROM (VALUES (1, 'plain', CAST(NULL AS STRING)), (2, 'a,b \"q\"', ''), \
                 (3, 'line\nbreak', 'tab\there')) AS t(id, s, e) ORDER BY id";
    let copy = |format: &str| format!("COPY ({query}) TO STDOUT WITH ({format})");
    let read = |sql: String| {
        let client = &client;
        async move {
            let stream = client.copy_out(sql.as_str()).await.unwrap();
            futures::pin_mut!(stream);
            let mut out = Vec::new();
            while let Some(chunk) = stream.next().await {
                out.extend_from_slice(&chunk.unwrap());
            }
            out
        }
    };
    let csv = read(copy("FORMAT csv, HEADER")).await;
    let expected = "id,s,e\n1,plain,\n2,\"a,b \"\"q\"\"\",\"\"\n3,\"line\nbreak\",tab\there\n";
    assert_eq!(String::from_utf8(csv).unwrap(), expected);
    let text = String::from_utf8(read(copy("FORMAT text")).await).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines, vec!["1\tplain\t\\N", "2\ta,b \"q\"\t", "3\tline\\nbreak\ttab\\there"]);
    let binary = read(copy("FORMAT binary")).await;
    assert!(binary.starts_with(b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0"));
    assert!(binary.ends_with(&[0xff, 0xff]));
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn jobs_insert_show_stop() {
    let (client, notices) = connect(true).await;
    drop(notices);
    let source = unique("fw_jobsrc");
    endless(&client, &source, 5).await;
    let sink = unique("fw_jobsink");
    client
        .batch_execute(&format!("CREATE TEMPORARY TABLE {sink} (id BIGINT, label STRING) WITH ('connector' = 'blackhole')"))
        .await
        .unwrap();
    let started = Instant::now();
    let answer = rows(&client.simple_query(&format!("INSERT INTO {sink} SELECT * FROM {source}")).await.unwrap());
    assert!(started.elapsed() < Duration::from_secs(30));
    let job_id = answer[0][0].clone().unwrap();
    assert_eq!(job_id.len(), 32, "{answer:?}");

    let jobs = rows(&client.simple_query("SHOW JOBS").await.unwrap());
    let ours = jobs.iter().find(|r| r[0].as_deref() == Some(job_id.as_str())).expect("job in SHOW JOBS");
    assert!(ours.iter().any(|v| v.as_deref() == Some("RUNNING")), "{ours:?}");

    let stop = client.simple_query(&format!("STOP JOB '{job_id}'")).await.unwrap();
    assert!(stop.iter().any(|m| matches!(m, SimpleQueryMessage::CommandComplete(_))));
    wait_jobs_stopped(&sink, Duration::from_secs(15)).await;
}
