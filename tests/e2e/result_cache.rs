//! The opt-in result cache (`src/results/cache.rs`, docs/result-cache.md, issue 14 item 3)
//! against real Flink: a repeated bounded query is answered from memory with the bytes Flink's
//! answer had and no new Flink job; what must not be cached goes to Flink every time.
//!
//! Flink jobs are counted by name: each session sets `pipeline.name` to a name of its own.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flinkwire::server::ServerContext;
use tokio_postgres::Client;

use super::common::{connect_to, start_server_context, test_config};
use super::flink_jobs::job_states;
use super::local_answers::{exchange, median, metric, session, transcript, FLOWS};

/// A bounded query with several types and rows, as a dashboard tile would send.
const QUERY: &str = "SELECT x, CAST(x * 1.5 AS DOUBLE) AS d, CONCAT('row ', CAST(x AS STRING)) AS label \
                     FROM (VALUES (1), (2), (3)) AS t(x)";

async fn server(cache: bool, configure: impl FnOnce(&mut flinkwire::config::Config)) -> (SocketAddr, Arc<ServerContext>) {
    let mut config = test_config();
    config.result_cache.enabled = cache;
    configure(&mut config);
    let (addr, ctx) = start_server_context(config).await;
    // Keys name the metadata snapshot: wait for the first one, so it does not change mid-test.
    let started = Instant::now();
    while ctx.config.pool.snapshot && !ctx.clusters.any_ready() {
        assert!(started.elapsed() < Duration::from_secs(60), "no metadata snapshot after 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (addr, ctx)
}

fn unique(what: &str) -> String {
    format!("fw_cache_{what}_{}_{}", std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos() % 1_000_000)
}

/// A client whose Flink jobs are called `name`.
async fn named(addr: SocketAddr, name: &str) -> Client {
    let client = connect_to(addr, "").await;
    client.batch_execute(&format!("SET 'pipeline.name' = '{name}'")).await.unwrap();
    client
}

async fn jobs(name: &str) -> usize {
    job_states(name).await.len()
}

const HITS: &str = "flinkwire_result_cache_lookups_total{outcome=\"hit\"}";
const MISSES: &str = "flinkwire_result_cache_lookups_total{outcome=\"miss\"}";

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn a_repeated_bounded_query_is_answered_from_memory_byte_for_byte() {
    let (without, _) = server(false, |_| {}).await;
    let (with, ctx) = server(true, |_| {}).await;
    let name = unique("hits");
    let setup = format!("SET 'pipeline.name' = '{name}'");
    let (mut flink, mut cached) = (session(without, None).await, session(with, Some(&setup)).await);
    // The first answer comes from Flink and is kept; every later one, in every protocol flow and
    // format, is the cached batches encoded again: the same messages as Flink's answer.
    let first = transcript(&exchange(&mut cached, QUERY, FLOWS[0]).await);
    assert_eq!(jobs(&name).await, 1);
    assert_eq!(metric(&ctx, MISSES), 1.0);
    for flow in FLOWS {
        let want = transcript(&exchange(&mut flink, QUERY, flow).await);
        let got = transcript(&exchange(&mut cached, QUERY, flow).await);
        assert_eq!(got, want, "{flow:?}: the cached answer differs from Flink's");
    }
    assert_eq!(first, transcript(&exchange(&mut flink, QUERY, FLOWS[0]).await));
    assert_eq!(jobs(&name).await, 1, "no Flink job after the first");
    assert_eq!(metric(&ctx, HITS), FLOWS.len() as f64);
    assert!(metric(&ctx, "flinkwire_queries_total{kind=\"cache\",outcome=\"ok\"}") >= FLOWS.len() as f64);
    assert_eq!(metric(&ctx, "flinkwire_result_cache_entries"), 1.0);

    // How fast a hit is, against the same query through Flink.
    let client = named(with, &name).await;
    client.simple_query(QUERY).await.unwrap();
    let mut hits = vec![];
    for _ in 0..15 {
        let started = Instant::now();
        client.simple_query(QUERY).await.unwrap();
        hits.push(started.elapsed());
    }
    let other = connect_to(without, "").await;
    let mut misses = vec![];
    for _ in 0..5 {
        let started = Instant::now();
        other.simple_query(QUERY).await.unwrap();
        misses.push(started.elapsed());
    }
    let (hit, miss) = (median(hits), median(misses));
    eprintln!("result cache: hit p50 {hit:?} (15 runs), the same query through Flink p50 {miss:?} (5 runs)");
    assert!(hit < Duration::from_millis(20), "a hit took {hit:?}");
    assert_eq!(jobs(&name).await, 1, "the second session shares the first one's entry");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn the_cache_is_off_by_default_and_never_answers_now() {
    let (off, _) = server(false, |_| {}).await;
    let name = unique("off");
    let client = named(off, &name).await;
    let show = client.simple_query("SHOW flinkwire.result_cache").await.unwrap();
    assert!(show.iter().any(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(r) if r.get(0) == Some("off"))));
    client.simple_query(QUERY).await.unwrap();
    client.simple_query(QUERY).await.unwrap();
    assert_eq!(jobs(&name).await, 2, "off: every query runs on Flink");

    // On for one session; NOW() still runs every time, and is not even looked up.
    let (on, ctx) = server(false, |_| {}).await;
    let name = unique("now");
    let client = named(on, &name).await;
    client.batch_execute("SET flinkwire.result_cache = on").await.unwrap();
    for _ in 0..2 {
        client.simple_query("SELECT NOW() AS t, x FROM (VALUES (1)) AS v(x)").await.unwrap();
        client.simple_query("SELECT CURRENT_TIMESTAMP AS t").await.unwrap();
    }
    assert_eq!(jobs(&name).await, 4);
    assert_eq!(metric(&ctx, MISSES) + metric(&ctx, HITS), 0.0);
    client.simple_query(QUERY).await.unwrap();
    client.simple_query(QUERY).await.unwrap();
    assert_eq!(jobs(&name).await, 5, "the session's setting turned it on");
    assert_eq!(metric(&ctx, HITS), 1.0);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn ddl_invalidates_and_session_configuration_is_part_of_the_key() {
    // Without snapshots: the DDL below would reload the snapshot, which changes keys by itself.
    let (addr, ctx) = server(true, |c| c.pool.snapshot = false).await;
    let name = unique("keys");
    let (a, b) = (named(addr, &name).await, named(addr, &name).await);
    a.simple_query(QUERY).await.unwrap();
    b.simple_query(QUERY).await.unwrap();
    assert_eq!(jobs(&name).await, 1, "the same SQL and session state: one entry for both");

    // A different Flink configuration is a different key.
    b.batch_execute("SET 'table.local-time-zone' = 'Europe/Berlin'").await.unwrap();
    b.simple_query(QUERY).await.unwrap();
    assert_eq!(jobs(&name).await, 2);
    b.simple_query(QUERY).await.unwrap();
    a.simple_query(QUERY).await.unwrap();
    assert_eq!(jobs(&name).await, 2, "each key answers its own sessions");

    // DDL through flinkwire, from any session, drops every entry.
    b.batch_execute("CREATE TEMPORARY VIEW fw_cache_view AS SELECT 1 AS a").await.unwrap();
    assert_eq!(metric(&ctx, "flinkwire_result_cache_entries"), 0.0);
    assert!(metric(&ctx, "flinkwire_result_cache_evictions_total{reason=\"invalidated\"}") >= 2.0);
    a.simple_query(QUERY).await.unwrap();
    assert_eq!(jobs(&name).await, 3, "asked of Flink again after the DDL");
    a.simple_query(QUERY).await.unwrap();
    assert_eq!(jobs(&name).await, 3);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn an_answer_larger_than_max_entry_bytes_streams_whole_and_is_not_kept() {
    let (addr, ctx) = server(true, |c| c.result_cache.max_entry_bytes = 4096).await;
    let name = unique("large");
    let client = named(addr, &name).await;
    let sql = "SELECT x, CONCAT('padding padding padding ', CAST(x AS STRING)) AS s \
               FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)) AS t(x) \
               CROSS JOIN (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)) AS u(y) \
               CROSS JOIN (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)) AS v(z)";
    for _ in 0..2 {
        let messages = client.simple_query(sql).await.unwrap();
        let rows = messages.iter().filter(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_))).count();
        assert_eq!(rows, 1000, "every row reaches the client");
    }
    assert_eq!(jobs(&name).await, 2, "too large: asked of Flink each time");
    assert!(metric(&ctx, "flinkwire_result_cache_too_large_total") >= 2.0);
    assert_eq!(metric(&ctx, "flinkwire_result_cache_entries"), 0.0);
}
