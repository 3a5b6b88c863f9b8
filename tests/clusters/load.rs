//! Load: bursts of reconnects at the session limit, many clients running mixed catalog and Flink
//! statements at once, and a client that stops reading a big result while the others go on.
//!
//! `FW_TEST_LOAD_CLIENTS` (default 100) and `FW_TEST_LOAD_STATEMENTS` (default 20) size the
//! mixed load; every fifth statement runs on Flink (a job on the four-slot test cluster), the
//! rest are catalog queries, session commands and Flink `SET`s.

use std::time::{Duration, Instant};

use futures::future::join_all;
use tokio::io::AsyncWriteExt;

use super::{connect, eventually, rss_mib, start, test_config, try_connect};

/// A Flink statement that needs the client's gateway session but starts no job.
const NEEDS_SESSION: &str = "SET 'pipeline.name' = 'flinkwire load test'";

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn a_burst_of_reconnects_at_the_session_limit_all_succeed() {
    let mut config = test_config(2);
    config.clusters.get_mut("a").unwrap().max_sessions = Some(20);
    let (addr, ctx) = start(config).await;
    let cluster = ctx.clusters.get("a").unwrap().clone();
    for round in 0..3 {
        // 20 clients hold a gateway session each (the limit), then all leave at once and 20 new
        // ones arrive at once, while the old sessions are still closing on the gateway.
        let clients = join_all((0..20).map(|_| async move {
            let client = connect(addr, "bob", "").await;
            client.simple_query(NEEDS_SESSION).await.map(|_| client)
        }))
        .await;
        let failed: Vec<_> = clients.iter().filter_map(|c| c.as_ref().err()).map(|e| e.to_string()).collect();
        assert!(failed.is_empty(), "round {round}: {} of 20 failed: {failed:?}", failed.len());
        assert_eq!(cluster.active_sessions(), 20);
        drop(clients);
    }
    eventually("every session released", || cluster.active_sessions() == 0).await;
}

/// One client's share of the mixed load; returns the errors it saw.
async fn mixed_client(addr: std::net::SocketAddr, id: usize, statements: usize) -> Vec<String> {
    let client = match try_connect(addr, "bob", "").await {
        Ok(client) => client,
        Err(err) => return vec![format!("client {id}: connect: {err}")],
    };
    let catalog = [
        "SELECT nspname FROM pg_catalog.pg_namespace ORDER BY 1",
        "SELECT c.relname, c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'default_database'",
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
        "SHOW search_path",
        NEEDS_SESSION,
        "SELECT current_database(), current_schema(), version()",
    ];
    let mut errors = Vec::new();
    for i in 0..statements {
        let sql = if i % 5 == 4 { format!("SELECT {id} + {i} AS n") } else { catalog[(id + i) % catalog.len()].to_owned() };
        if let Err(err) = client.simple_query(&sql).await {
            errors.push(format!("client {id}: {sql}: {err}"));
        }
    }
    errors
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn many_clients_run_mixed_statements_while_one_stops_reading() {
    let clients: usize = std::env::var("FW_TEST_LOAD_CLIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let statements: usize = std::env::var("FW_TEST_LOAD_STATEMENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let (addr, ctx) = start(test_config(4)).await;
    let cluster = ctx.clusters.get("a").unwrap().clone();
    eventually("the pool filled", || cluster.pooled_sessions() > 0).await;
    let rss_before = rss_mib();

    // A client that asks for two million rows and never reads them: the server must block on
    // its socket alone, with bounded memory.
    let stalled = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut stalled = super::raw_client::RawClient { socket: stalled };
    stalled.send(&super::raw_client::startup_packet_for("bob")).await;
    stalled.until_ready_with_md5("bob", super::PASSWORD).await;
    let big = "CREATE TEMPORARY TABLE big (id BIGINT, s STRING) WITH ('connector' = 'datagen', \
               'number-of-rows' = '2000000', 'rows-per-second' = '1000000', 'fields.s.length' = '100')";
    stalled.send(&super::raw_client::query(big.as_bytes())).await;
    stalled.until_ready().await;
    stalled.send(&super::raw_client::query(b"SELECT id, s FROM big")).await;

    let started = Instant::now();
    let errors: Vec<String> = join_all((0..clients).map(|id| mixed_client(addr, id, statements))).await.concat();
    let took = started.elapsed();
    let rss_during = rss_mib();
    assert!(errors.is_empty(), "{} errors, first: {:?}", errors.len(), &errors[..errors.len().min(5)]);
    eprintln!(
        "{clients} clients × {statements} statements: 0 errors in {took:?}; RSS {rss_before} → {rss_during} MiB \
         with one client not reading two million rows"
    );
    assert!(rss_during < rss_before + 512, "RSS grew from {rss_before} to {rss_during} MiB");

    // The stalled client leaves; its query's job ends and its session is released.
    stalled.socket.shutdown().await.unwrap();
    drop(stalled);
    eventually("every session released", || cluster.active_sessions() == 0).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
}
