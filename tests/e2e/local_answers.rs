//! Constant `SELECT`s answered without Flink (`src/local/constant.rs`, issue 14 item 3): the
//! proof that each shape flinkwire answers itself gets, byte for byte, the answer flinkwire gives
//! through real Flink, and that it submits no Flink job.
//!
//! Two servers on the same gateway: one with `local.constant_selects = false` (every query goes
//! to Flink), one with the default. The same SQL goes to both over raw protocol bytes, in the
//! simple protocol and the extended one (text and binary results, Describe of the portal and of
//! the statement), in every result mode; every message up to ReadyForQuery (RowDescription with
//! names, type OIDs, typmods and formats, DataRows, NOTICEs, CommandComplete's tag) must be equal.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use flinkwire::server::ServerContext;

use super::common::raw_client::{message, query, RawClient, Reply};
use super::common::{connect_to, start_server_context, test_config};

/// Every shape answered locally, as clients send them.
const SHAPES: &[&str] = &[
    "SELECT 1",
    "select 1",
    "  Select\n\t1  ",
    "SELECT 1 AS x",
    "SELECT 1 AS X",
    "SELECT 1 ok",
    "SELECT TRUE",
    "select false AS f",
    "SELECT 0, 1 AS n, TRUE, 999999999 big",
];

/// Session settings under which the answers are compared (a fresh connection each).
const SETUPS: &[&str] = &[
    "SET flinkwire.result_mode = 'changelog'",
    "SET flinkwire.result_mode = 'table'",
    "SET flinkwire.max_rows = 2",
    "SET 'execution.runtime-mode' = 'streaming'",
];

/// How a statement is sent.
#[derive(Debug, Clone, Copy)]
pub(super) enum Flow {
    /// A Query message.
    Simple,
    /// Parse, Bind, Describe portal, Execute, Sync; results in text or binary.
    Portal { binary: bool },
    /// Parse, Describe statement, Sync; then Bind, Execute, Sync (tokio-postgres, PgJDBC).
    Statement { binary: bool },
}

pub(super) const FLOWS: [Flow; 5] = [
    Flow::Simple,
    Flow::Portal { binary: false },
    Flow::Portal { binary: true },
    Flow::Statement { binary: false },
    Flow::Statement { binary: true },
];

fn cstr(s: &str) -> Vec<u8> {
    [s.as_bytes(), b"\0"].concat()
}

fn parse_unnamed(sql: &str) -> Vec<u8> {
    message(b'P', &[cstr(""), cstr(sql), vec![0, 0]].concat())
}

/// Bind of the unnamed statement to the unnamed portal, no parameters, all results in one format.
fn bind(binary: bool) -> Vec<u8> {
    let formats: &[u8] = if binary { &[0, 1, 0, 1] } else { &[0, 0] };
    message(b'B', &[cstr(""), cstr(""), vec![0, 0, 0, 0], formats.to_vec()].concat())
}

fn describe(kind: u8) -> Vec<u8> {
    message(b'D', &[vec![kind], cstr("")].concat())
}

fn execute() -> Vec<u8> {
    message(b'E', &[cstr(""), vec![0, 0, 0, 0]].concat())
}

fn sync() -> Vec<u8> {
    message(b'S', &[])
}

/// Every message the server answers `sql` with, sent as `flow`, up to the last ReadyForQuery.
pub(super) async fn exchange(client: &mut RawClient, sql: &str, flow: Flow) -> Vec<Reply> {
    match flow {
        Flow::Simple => {
            client.send(&query(sql.as_bytes())).await;
            client.until_ready().await
        }
        Flow::Portal { binary } => {
            client.send(&[parse_unnamed(sql), bind(binary), describe(b'P'), execute(), sync()].concat()).await;
            client.until_ready().await
        }
        Flow::Statement { binary } => {
            client.send(&[parse_unnamed(sql), describe(b'S'), sync()].concat()).await;
            let mut replies = client.until_ready().await;
            client.send(&[bind(binary), execute(), sync()].concat()).await;
            replies.extend(client.until_ready().await);
            replies
        }
    }
}

/// The messages as text for comparison: type, then the body as escaped bytes.
pub(super) fn transcript(replies: &[Reply]) -> Vec<String> {
    replies.iter().map(|r| format!("{} {}", r.kind as char, r.body.escape_ascii())).collect()
}

/// A logged-in raw connection with `setup` run (if any).
pub(super) async fn session(addr: SocketAddr, setup: Option<&str>) -> RawClient {
    let mut client = RawClient::logged_in(addr).await;
    if let Some(setup) = setup {
        client.send(&query(setup.as_bytes())).await;
        let replies = client.until_ready().await;
        assert!(replies.iter().all(|r| r.kind != b'E'), "{setup}: {:?}", transcript(&replies));
    }
    client
}

/// flinkwire with its constant answers on or off.
async fn server(constant_selects: bool) -> (SocketAddr, std::sync::Arc<ServerContext>) {
    let mut config = test_config();
    config.local.constant_selects = constant_selects;
    start_server_context(config).await
}

pub(super) fn metric(ctx: &ServerContext, name: &str) -> f64 {
    let text = ctx.metrics.render(ctx);
    text.lines().find_map(|l| l.strip_prefix(name)?.trim().parse().ok()).unwrap_or(0.0)
}

pub(super) fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn constant_selects_answered_locally_are_byte_identical_to_flinks_answers() {
    let (through_flink, _) = server(false).await;
    let (local, ctx) = server(true).await;
    let local_ok = "flinkwire_queries_total{kind=\"local\",outcome=\"ok\"}";
    let before = metric(&ctx, local_ok);
    let mut compared = 0;
    let mut cases: Vec<(Option<&str>, &[&str])> = vec![(None, SHAPES)];
    cases.extend(SETUPS.iter().map(|setup| (Some(*setup), &["SELECT 1", "SELECT 1 AS x, TRUE"][..])));
    for (setup, shapes) in cases {
        let (mut flink_client, mut local_client) = (session(through_flink, setup).await, session(local, setup).await);
        for sql in shapes {
            for flow in FLOWS {
                let want = transcript(&exchange(&mut flink_client, sql, flow).await);
                let got = transcript(&exchange(&mut local_client, sql, flow).await);
                assert!(want.iter().any(|m| m.starts_with('D')), "{setup:?} {sql:?} {flow:?}: Flink answered {want:#?}");
                assert_eq!(got, want, "{setup:?} {sql:?} {flow:?}: the local answer differs from Flink's");
                compared += 1;
            }
        }
    }
    // Every one of them was answered locally, and counted as such.
    assert_eq!(metric(&ctx, local_ok), before + compared as f64);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn constant_selects_submit_no_flink_job_and_answer_in_milliseconds() {
    let (through_flink, _) = server(false).await;
    let (local, _) = server(true).await;
    let name = format!("fw_local_answers_{}", std::process::id());
    let client = connect_to(local, "").await;
    client.batch_execute(&format!("SET 'pipeline.name' = '{name}'")).await.unwrap();
    let mut local_times = vec![];
    for _ in 0..15 {
        let started = Instant::now();
        client.simple_query("SELECT 1").await.unwrap();
        local_times.push(started.elapsed());
    }
    let prepared = client.prepare("SELECT 1 AS ok, TRUE").await.unwrap();
    for _ in 0..3 {
        let row = client.query_one(&prepared, &[]).await.unwrap();
        assert_eq!((row.get::<_, i32>(0), row.get::<_, bool>(1)), (1, true));
    }
    assert_eq!(super::flink_jobs::job_states(&name).await, Vec::<String>::new(), "no Flink job was submitted");
    // The probe sees jobs of this session: a query Flink has to run shows up under the name.
    client.simple_query("SELECT 1 + 0").await.unwrap();
    assert_eq!(super::flink_jobs::job_states(&name).await.len(), 1, "the session's Flink queries are named {name}");

    let flink = connect_to(through_flink, "").await;
    let mut flink_times = vec![];
    for _ in 0..15 {
        let started = Instant::now();
        flink.simple_query("SELECT 1").await.unwrap();
        flink_times.push(started.elapsed());
    }
    let (local_p50, flink_p50) = (median(local_times), median(flink_times));
    eprintln!("SELECT 1, median of 15: answered locally {local_p50:?}, through Flink {flink_p50:?}");
    assert!(local_p50 < Duration::from_millis(50), "local answers take {local_p50:?}");
    assert!(local_p50 * 10 < flink_p50, "local {local_p50:?} vs Flink {flink_p50:?}");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn pg_stat_activity_shows_a_local_answer_without_a_flink_job() {
    let (local, _) = server(true).await;
    let client = connect_to(local, "application_name=fw_local_probe").await;
    client.simple_query("SELECT 1 AS ok").await.unwrap();
    let other = connect_to(local, "").await;
    let rows = other
        .simple_query("SELECT state, query, flink_job_id FROM pg_stat_activity WHERE application_name = 'fw_local_probe'")
        .await
        .unwrap();
    let row = rows
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => Some((0..3).map(|i| row.get(i).map(str::to_owned)).collect::<Vec<_>>()),
            _ => None,
        })
        .expect("the connection is listed");
    assert_eq!(row, vec![Some("idle".to_owned()), Some("SELECT 1 AS ok".to_owned()), None]);
}
