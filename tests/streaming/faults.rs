//! Faults between flinkwire and the gateway, with a stand-in gateway the test controls
//! (`gateway_proxy.rs`) in front of the real one: what clients see while it is down, hanging or
//! answering garbage, how fast flinkwire recovers by itself, and that no Flink job is left.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio_postgres::{Client, NoTls};

use super::gateway_proxy::{GatewayProxy, Mode};
use super::{config, endless, first_error, job_states, rows, start_with, unique, wait_jobs_stopped};

/// flinkwire in front of `proxy`, with short timeouts so faults show within seconds.
async fn start_behind(proxy: &GatewayProxy) -> SocketAddr {
    let mut config = config(true);
    config.gateway.url = proxy.url();
    config.gateway.request_timeout_secs = 3;
    config.pool.size = 2;
    config.pool.health_check_interval_secs = 1;
    // `SELECT 1` is these tests' probe of the gateway: not answered by flinkwire itself.
    config.local.constant_selects = false;
    start_with(config).await.0
}

async fn try_connect(addr: SocketAddr) -> Result<(Client, tokio::task::JoinHandle<()>), tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(
        &format!("host={} port={} user=test dbname=default_catalog connect_timeout=10", addr.ip(), addr.port()),
        NoTls,
    )
    .await?;
    let task = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok((client, task))
}

/// The SQLSTATE of a failed statement (or connection attempt).
fn code(err: &tokio_postgres::Error) -> String {
    err.code().map(|c| c.code().to_owned()).unwrap_or_else(|| format!("no SQLSTATE: {err}"))
}

/// SQLSTATE and message, for assertion failures (tokio-postgres displays only "db error").
fn described(err: &tokio_postgres::Error) -> String {
    format!("{} {}", code(err), err.as_db_error().map_or(String::new(), |e| e.message().to_owned()))
}

/// `SELECT 1` on a fresh connection: the SQLSTATE if the connection or the query fails.
async fn fresh_select_one(addr: SocketAddr) -> Result<(), String> {
    let (client, _task) = try_connect(addr).await.map_err(|e| code(&e))?;
    client.simple_query("SELECT 1").await.map(drop).map_err(|e| code(&e))
}

/// Waits until a fresh connection runs `SELECT 1`; returns how long that took.
async fn wait_recovered(addr: SocketAddr, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        match fresh_select_one(addr).await {
            Ok(()) => return start.elapsed(),
            Err(code) => assert!(start.elapsed() < limit, "not recovered after {limit:?}: {code}"),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn the_gateway_down_mid_stream_is_class_08_and_flinkwire_recovers_by_itself() {
    let proxy = GatewayProxy::start(&std::env::var("FLINKWIRE_TEST_GATEWAY").unwrap()).await;
    let addr = start_behind(&proxy).await;
    let table = unique("fw_fault");

    let (streaming, streaming_task) = try_connect(addr).await.unwrap();
    endless(&streaming, &table, 50).await;
    let (idle, _idle_task) = try_connect(addr).await.unwrap();
    assert_eq!(rows(&idle.simple_query("SELECT 1").await.unwrap()).len(), 1);

    let stream = streaming.query_raw(&format!("SELECT id FROM {table}"), Vec::<String>::new()).await.unwrap();
    futures::pin_mut!(stream);
    for _ in 0..5 {
        stream.next().await.unwrap().unwrap();
    }

    proxy.down();
    let down_at = Instant::now();
    // The streaming client: an error of class 08 within seconds, not a hang.
    let err = first_error(stream.as_mut(), Duration::from_secs(20), "the gateway went down").await;
    let streaming_error_after = down_at.elapsed();
    assert!(code(&err).starts_with("08"), "{}", described(&err));
    // The idle session's next statement fails cleanly, and so does a new connection's.
    let err = idle.simple_query("SELECT 1").await.unwrap_err();
    assert!(code(&err).starts_with("08"), "{}", described(&err));
    let started = Instant::now();
    assert_eq!(fresh_select_one(addr).await, Err("08001".into()));
    assert!(started.elapsed() < Duration::from_secs(5), "a new connection took {:?} to fail", started.elapsed());
    // The streaming client leaves while the gateway is down: its session cannot be closed yet.
    drop(stream);
    drop(streaming);
    streaming_task.abort();

    // Its close fails while the gateway is down; its job keeps running until the retry lands.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(job_states(&table).await, vec!["RUNNING".to_owned()]);
    proxy.up().await;
    let recovered_after = wait_recovered(addr, Duration::from_secs(30)).await;
    // The idle client's session is usable again, and the job of the client that left is gone.
    assert_eq!(rows(&idle.simple_query("SELECT 1").await.unwrap()).len(), 1);
    let jobs_gone_after = wait_jobs_stopped(&table, Duration::from_secs(30)).await;
    assert!(job_states(&table).await.iter().all(|s| s == "CANCELED"));
    eprintln!(
        "gateway down: streaming error after {streaming_error_after:?}; back: new connections work after \
         {recovered_after:?}, the orphaned job was cancelled after another {jobs_gone_after:?}"
    );
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn a_gateway_that_hangs_or_answers_garbage_gives_clear_errors() {
    let proxy = GatewayProxy::start(&std::env::var("FLINKWIRE_TEST_GATEWAY").unwrap()).await;
    let addr = start_behind(&proxy).await;
    let (client, _task) = try_connect(addr).await.unwrap();
    assert_eq!(rows(&client.simple_query("SELECT 1").await.unwrap()).len(), 1);

    let garbage: [(&str, Mode); 5] = [
        ("a 502 HTML page", Mode::Answer(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 46\r\n\r\n<html><body><h1>502 Bad Gateway</h1></body></html>")),
        ("truncated JSON", Mode::Answer(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"operationHandle\": \"ab")),
        ("HTML with 200", Mode::Answer(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n<html></html>")),
        ("not HTTP", Mode::Answer(b"\x00\x01\x02 garbage\r\n\r\n")),
        ("no answer", Mode::Hang),
    ];
    for (what, mode) in garbage {
        proxy.set_mode(mode);
        let started = Instant::now();
        let err = client.simple_query("SELECT 1").await.expect_err(what);
        let took = started.elapsed();
        let sqlstate = code(&err);
        assert!(!sqlstate.starts_with("no SQLSTATE"), "{what}: {err}");
        let message = err.as_db_error().map(|e| e.message().to_owned()).unwrap_or_default();
        assert!(message.to_lowercase().contains("gateway"), "{what}: the message names the gateway: {message}");
        assert!(took < Duration::from_secs(10), "{what}: the error took {took:?}");
        eprintln!("{what}: {sqlstate} after {took:?}: {message}");
        proxy.set_mode(Mode::Forward);
        // The same client works again once the gateway answers properly.
        let back = Instant::now();
        loop {
            match client.simple_query("SELECT 1").await {
                Ok(messages) => break assert_eq!(rows(&messages).len(), 1),
                Err(err) => assert!(back.elapsed() < Duration::from_secs(20), "{what}: still failing: {err}"),
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}
