//! Operating flinkwire: graceful shutdown of the real `flinkwire serve` process (SIGTERM drains,
//! the shutdown timeout ends what still runs with FATAL 57P01, nothing is left on the cluster).
//! The admin listener's probes and metrics. Needs the test gateway and Flink (`scripts/test.sh`).

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/flink_jobs.rs"]
mod flink_jobs;
#[path = "streaming/gateway_proxy.rs"]
#[allow(dead_code)] // the fault tests use more of it
mod gateway_proxy;

use flink_jobs::job_states;
use gateway_proxy::GatewayProxy;
use futures::StreamExt;
use tokio_postgres::{Client, NoTls};

/// A `flinkwire serve` process on a free port, streaming mode, with an unbounded table.
struct Server {
    child: Child,
    addr: SocketAddr,
    /// The admin listener (`/livez`, `/readyz`, `/metrics`).
    admin: SocketAddr,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a test server differs in.
struct Launch<'a> {
    shutdown_timeout_secs: u64,
    /// The unbounded datagen table the session creates.
    table: &'a str,
    /// The gateway URL; the test gateway when `None`.
    gateway: Option<String>,
    /// The PostgreSQL listener's port; a free one when `None`.
    port: Option<u16>,
    /// More TOML at the end of the file (a `[cancel]` section, say).
    extra: String,
    /// Top-level keys (`log_format = "json"`, say).
    top: &'a str,
}

impl Server {
    fn start(shutdown_timeout_secs: u64, table: &str) -> Server {
        Server::launch(Launch { shutdown_timeout_secs, table, gateway: None, port: None, extra: String::new(), top: "" })
    }

    fn launch(launch: Launch<'_>) -> Server {
        let gateway = launch
            .gateway
            .unwrap_or_else(|| std::env::var("FLINKWIRE_TEST_GATEWAY").expect("FLINKWIRE_TEST_GATEWAY"));
        let (port, admin_port) = (launch.port.unwrap_or_else(free_port), free_port());
        let (shutdown_timeout_secs, table, extra, top) = (launch.shutdown_timeout_secs, launch.table, launch.extra, launch.top);
        let dir = std::env::temp_dir().join(format!("flinkwire-ops-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("flinkwire.toml");
        std::fs::write(
            &config,
            format!(
                "{top}\nlisten = \"127.0.0.1:{port}\"\nshutdown_timeout_secs = {shutdown_timeout_secs}\n\
                 [gateway]\nurl = \"{gateway}\"\n[session.properties]\n\"execution.runtime-mode\" = \"streaming\"\n\
                 [admin]\nlisten = \"127.0.0.1:{admin_port}\"\n\
                 [session]\ninit_sql = [\"CREATE TEMPORARY TABLE {table} (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '50')\"]\n\
                 {extra}\n"
            ),
        )
        .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_flinkwire"))
            .args(["serve", "--config", config.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("flinkwire.log")).unwrap())
            .spawn()
            .unwrap();
        Server {
            child,
            addr: format!("127.0.0.1:{port}").parse().unwrap(),
            admin: format!("127.0.0.1:{admin_port}").parse().unwrap(),
            _dir: TempDir(dir),
        }
    }

    async fn client(&self) -> Client {
        self.client_as("ops").await
    }

    async fn client_as(&self, user: &str) -> Client {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let dsn = format!("host=127.0.0.1 port={} user={user} dbname=default_catalog", self.addr.port());
            match tokio_postgres::connect(&dsn, NoTls).await {
                Ok((client, connection)) => {
                    tokio::spawn(connection);
                    return client;
                }
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("flinkwire did not start: {e}"),
            }
        }
    }

    fn signal(&self, name: &str) {
        assert!(Command::new("kill").args([&format!("-{name}"), &self.child.id().to_string()]).status().unwrap().success());
    }

    /// Waits for the process to exit; its status code and how long it took.
    async fn exited(&mut self, limit: Duration) -> (Option<i32>, Duration) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.code(), start.elapsed());
            }
            assert!(start.elapsed() < limit, "flinkwire did not exit within {limit:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// An admin GET: status code and body.
    async fn admin_get(&self, path: &str) -> (u16, String) {
        let response = reqwest::get(format!("http://{}{path}", self.admin)).await.expect("the admin listener answers");
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Polls `/readyz` until it answers `status` (a fresh server waits for its first health
    /// check and snapshot).
    async fn await_readyz(&self, status: u16) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = reqwest::get(format!("http://{}/readyz", self.admin)).await {
                if response.status().as_u16() == status {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "/readyz never answered {status}; log:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The value of one sample line (`name{labels}`) in `/metrics`; 0 when absent.
    async fn metric(&self, sample: &str) -> f64 {
        let (_, body) = self.admin_get("/metrics").await;
        body.lines()
            .find_map(|line| line.strip_prefix(sample).and_then(|rest| rest.trim().parse().ok()))
            .unwrap_or(0.0)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.0.join("flinkwire.log")).unwrap_or_default()
    }
}

fn code(err: &tokio_postgres::Error) -> Option<&str> {
    err.code().map(|c| c.code())
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn sigterm_drains_then_ends_running_queries_with_57p01() {
    let table = format!("endless_ops_{}", std::process::id());
    let mut server = Server::start(3, &table);
    let streaming = server.client().await;
    let idle = server.client().await;
    idle.simple_query("SELECT current_user").await.unwrap();
    let stream = streaming.query_raw(&format!("SELECT id FROM {table}"), std::iter::empty::<i32>()).await.unwrap();
    futures::pin_mut!(stream);
    assert!(stream.next().await.unwrap().is_ok(), "the first row");

    server.signal("TERM");
    let started = Instant::now();
    // Draining: no new connections; the idle one is closed with 57P01 at once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let refused = tokio_postgres::connect(&format!("host=127.0.0.1 port={} user=x", server.addr.port()), NoTls).await;
    assert!(refused.is_err(), "no new connections while draining");
    let err = idle.simple_query("SELECT 1").await.err().expect("the idle connection is closed");
    assert!(code(&err) == Some("57P01") || err.is_closed(), "{err:?}");
    // The running query keeps streaming until the timeout, then ends with FATAL 57P01.
    let mut rows_during_drain = 0;
    let err = loop {
        match tokio::time::timeout(Duration::from_secs(20), stream.next()).await.expect("the stream ends") {
            Some(Ok(_)) => rows_during_drain += 1,
            Some(Err(e)) => break e,
            None => panic!("the unbounded query ended cleanly"),
        }
    };
    let ended_after = started.elapsed();
    assert_eq!(code(&err), Some("57P01"), "{err:?}");
    assert!(rows_during_drain > 0, "the query kept running while draining");
    assert!(ended_after >= Duration::from_millis(2500), "ended at the timeout, not before: {ended_after:?}");
    let (status, took) = server.exited(Duration::from_secs(20)).await;
    assert_eq!(status, Some(0), "exit status; log:\n{}", server.log());
    assert!(server.log().contains("every gateway session closed"), "{}", server.log());
    // Nothing left on the cluster.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let states = job_states(&table).await;
        if !states.is_empty() && states.iter().all(|s| matches!(s.as_str(), "CANCELED" | "FINISHED" | "FAILED")) {
            break;
        }
        assert!(Instant::now() < deadline, "jobs still alive after shutdown: {states:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("drain: the query ended {ended_after:?} after SIGTERM ({rows_during_drain} rows meanwhile); exit {took:?} later");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn a_second_sigterm_ends_everything_at_once() {
    let table = format!("endless_ops2_{}", std::process::id());
    let mut server = Server::start(600, &table);
    let client = server.client().await;
    let stream = client.query_raw(&format!("SELECT id FROM {table}"), std::iter::empty::<i32>()).await.unwrap();
    futures::pin_mut!(stream);
    assert!(stream.next().await.unwrap().is_ok());
    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(tokio_postgres::connect(&format!("host=127.0.0.1 port={} user=x", server.addr.port()), NoTls).await.is_err(),
        "no new connections while draining");
    let started = Instant::now();
    server.signal("TERM");
    let err = loop {
        match tokio::time::timeout(Duration::from_secs(20), stream.next()).await.expect("the stream ends") {
            Some(Ok(_)) => {}
            Some(Err(e)) => break e,
            None => panic!("ended cleanly"),
        }
    };
    assert_eq!(code(&err), Some("57P01"), "{err:?}");
    let (status, _) = server.exited(Duration::from_secs(20)).await;
    assert_eq!(status, Some(0), "{}", server.log());
    assert!(started.elapsed() < Duration::from_secs(15), "not the 600 s timeout: {:?}", started.elapsed());
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn admin_probes_and_metrics_follow_the_server() {
    let table = format!("endless_admin_{}", std::process::id());
    let mut server = Server::start(3, &table);
    server.await_readyz(200).await;
    assert_eq!(server.admin_get("/livez").await.0, 200);
    assert_eq!(server.admin_get("/nothing").await.0, 404);

    let ok_logins = "flinkwire_connections_total{outcome=\"ok\"}";
    let before = server.metric(ok_logins).await;
    let client = server.client().await;
    assert_eq!(server.metric(ok_logins).await, before + 1.0, "a login moves connections_total");
    client.simple_query("SELECT 1").await.unwrap();
    assert!(client.simple_query("SELECT * FROM no_such_table_anywhere").await.is_err());
    let (_, body) = server.admin_get("/metrics").await;
    let queries_ok = |body: &str| body.lines().any(|l| l.starts_with("flinkwire_queries_total{") && l.contains("outcome=\"ok\""));
    assert!(queries_ok(&body), "{body}");
    assert!(server.metric("flinkwire_queries_total{kind=\"flink\",outcome=\"error\"}").await >= 1.0, "{body}");
    assert!(server.metric("flinkwire_client_connections{cluster=\"default\"}").await >= 1.0, "{body}");
    assert!(body.contains("flinkwire_gateway_sessions{"), "{body}");
    assert!(body.contains("flinkwire_snapshot_age_seconds{"), "{body}");
    assert!(body.contains("flinkwire_query_duration_seconds_bucket{"), "{body}");

    // Draining: not ready at once, still alive, and the listener still answers.
    let stream = client.query_raw(&format!("SELECT id FROM {table}"), std::iter::empty::<i32>()).await.unwrap();
    futures::pin_mut!(stream);
    assert!(stream.next().await.unwrap().is_ok(), "the first row");
    server.signal("TERM");
    server.await_readyz(503).await;
    assert_eq!(server.admin_get("/livez").await.0, 200, "alive while draining");
    let (status, _) = server.exited(Duration::from_secs(30)).await;
    assert_eq!(status, Some(0), "{}", server.log());
}

/// Text cells of a simple query's rows.
async fn rows(client: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
        .into_iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => {
                Some((0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect())
            }
            _ => None,
        })
        .collect()
}

/// The next error of a result stream that must end with one.
async fn stream_error(stream: &mut (impl futures::Stream<Item = Result<tokio_postgres::Row, tokio_postgres::Error>> + Unpin)) -> tokio_postgres::Error {
    loop {
        match tokio::time::timeout(Duration::from_secs(20), stream.next()).await.expect("the stream ends within 20 s") {
            Some(Ok(_)) => {}
            Some(Err(e)) => return e,
            None => panic!("the unbounded query ended cleanly"),
        }
    }
}

/// Polls until every job of `table` on the cluster has ended.
async fn await_jobs_ended(table: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let states = job_states(table).await;
        if states.iter().all(|s| matches!(s.as_str(), "CANCELED" | "FINISHED" | "FAILED")) {
            return;
        }
        assert!(Instant::now() < deadline, "jobs still alive: {states:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn pg_stat_activity_shows_running_queries_and_the_signal_functions_stop_them() {
    let table = format!("endless_activity_{}", std::process::id());
    let server = Server::start(3, &table);
    let runner = server.client().await;
    let observer = server.client().await;
    let runner_pid = rows(&runner, "SELECT pg_backend_pid()").await[0][0].clone().unwrap();

    let stream = runner.query_raw(&format!("SELECT id FROM {table}"), std::iter::empty::<i32>()).await.unwrap();
    futures::pin_mut!(stream);
    assert!(stream.next().await.unwrap().is_ok(), "the first row");

    // The running query as another connection of the same user sees it, with its Flink job.
    let row = rows(
        &observer,
        &format!(
            "SELECT pid, usename, datname, state, query, cluster, flink_job_id, \
                    backend_start IS NOT NULL AND query_start >= backend_start, backend_type \
             FROM pg_stat_activity WHERE query LIKE '%FROM {table}%' AND pid <> pg_backend_pid()"
        ),
    )
    .await;
    assert_eq!(row.len(), 1, "{row:?}");
    let row = &row[0];
    assert_eq!(row[0].as_deref(), Some(runner_pid.as_str()));
    assert_eq!(row[1].as_deref(), Some("ops"));
    assert_eq!(row[2].as_deref(), Some("default_catalog"));
    assert_eq!(row[3].as_deref(), Some("active"));
    assert_eq!(row[4].as_deref(), Some(format!("SELECT id FROM {table}").as_str()));
    assert_eq!(row[5].as_deref(), Some("default"));
    assert_eq!(row[7].as_deref(), Some("t"), "{row:?}");
    assert_eq!(row[8].as_deref(), Some("client backend"));
    let job = row[6].clone().expect("the Flink job id of a running query");
    let rest = std::env::var("FLINKWIRE_TEST_FLINK_REST").unwrap();
    let state: serde_json::Value = reqwest::get(format!("{rest}/jobs/{job}")).await.unwrap().json().await.unwrap();
    assert_eq!(state["state"], "RUNNING", "the job pg_stat_activity names runs: {state}");
    // Its own row: active, running this very query.
    let own = rows(&observer, "SELECT state, query FROM pg_stat_activity WHERE pid = pg_backend_pid()").await;
    assert_eq!(own[0][0].as_deref(), Some("active"));
    assert!(own[0][1].as_deref().unwrap().contains("pg_backend_pid()"), "{own:?}");

    // Another user sees that the connection exists, not what it runs, and may not signal it.
    let stranger = server.client_as("stranger").await;
    let seen = rows(&stranger, &format!("SELECT usename, query, flink_job_id FROM pg_stat_activity WHERE pid = {runner_pid}")).await;
    assert_eq!(seen, vec![vec![Some("ops".to_owned()), Some("<insufficient privilege>".to_owned()), None]]);
    let denied = stranger.simple_query(&format!("SELECT pg_cancel_backend({runner_pid})")).await.unwrap_err();
    assert_eq!(code(&denied), Some("42501"), "{denied:?}");
    let denied = stranger.simple_query(&format!("SELECT pg_terminate_backend({runner_pid})")).await.unwrap_err();
    assert_eq!(code(&denied), Some("42501"), "{denied:?}");
    assert_eq!(rows(&observer, "SELECT pg_cancel_backend(2147483647)").await[0][0].as_deref(), Some("f"), "not a backend");

    // pg_cancel_backend: the query ends with 57014, the connection stays and goes idle.
    let cancelled = rows(&observer, &format!("SELECT pg_cancel_backend({runner_pid})")).await;
    assert_eq!(cancelled[0][0].as_deref(), Some("t"));
    let err = stream_error(&mut stream).await;
    assert_eq!(code(&err), Some("57014"), "{err:?}");
    // Idle, as PostgreSQL shows it: the last query (and its job) until the next one.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let state = rows(&observer, &format!("SELECT state, query, flink_job_id FROM pg_stat_activity WHERE pid = {runner_pid}")).await;
        if state[0][0].as_deref() == Some("idle") {
            assert_eq!(state[0][1].as_deref(), Some(format!("SELECT id FROM {table}").as_str()));
            assert_eq!(state[0][2].as_deref(), Some(job.as_str()));
            break;
        }
        assert!(Instant::now() < deadline, "the cancelled connection is not idle: {state:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(rows(&runner, "SELECT current_user").await[0][0].as_deref(), Some("ops"), "still usable");

    // pg_terminate_backend: FATAL 57P01, the connection is gone from the view.
    let stream = runner.query_raw(&format!("SELECT id FROM {table}"), std::iter::empty::<i32>()).await.unwrap();
    futures::pin_mut!(stream);
    assert!(stream.next().await.unwrap().is_ok());
    let terminated = rows(&observer, &format!("SELECT pg_terminate_backend({runner_pid})")).await;
    assert_eq!(terminated[0][0].as_deref(), Some("t"));
    let err = stream_error(&mut stream).await;
    assert_eq!(code(&err), Some("57P01"), "{err:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !rows(&observer, &format!("SELECT pid FROM pg_stat_activity WHERE pid = {runner_pid}")).await.is_empty() {
        assert!(Instant::now() < deadline, "the terminated connection stays in pg_stat_activity");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(runner.simple_query("SELECT 1").await.is_err(), "the terminated connection is closed");
    await_jobs_ended(&table).await;
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn a_cancel_request_sent_to_the_other_replica_cancels_the_query() {
    let (port_a, port_b) = (free_port(), free_port());
    let replica = |id: u16, port: u16, peer: u16, table: &str| {
        Server::launch(Launch {
            shutdown_timeout_secs: 3,
            table,
            gateway: None,
            port: Some(port),
            extra: format!("[cancel]\nreplica_id = {id}\npeers = [\"127.0.0.1:{peer}\"]"),
            top: "",
        })
    };
    let table = format!("endless_replicas_{}", std::process::id());
    let a = replica(1, port_a, port_b, &table);
    let b = replica(2, port_b, port_a, &table);
    let client = a.client().await;
    let _on_b = b.client().await;
    let pid: i64 = rows(&client, "SELECT pg_backend_pid()").await[0][0].as_deref().unwrap().parse().unwrap();
    assert_eq!(pid >> 19, 1, "the pid carries the replica: {pid}");

    let stream = client.query_raw(&format!("SELECT id FROM {table}"), std::iter::empty::<i32>()).await.unwrap();
    futures::pin_mut!(stream);
    assert!(stream.next().await.unwrap().is_ok(), "the first row");
    // What a load balancer does: the CancelRequest lands on the replica without the query.
    let socket = tokio::net::TcpStream::connect(b.addr).await.unwrap();
    let sent = Instant::now();
    client.cancel_token().cancel_query_raw(socket, NoTls).await.unwrap();
    let err = stream_error(&mut stream).await;
    assert_eq!(code(&err), Some("57014"), "{err:?}\nA:\n{}\nB:\n{}", a.log(), b.log());
    eprintln!("cancel via the other replica: 57014 {:?} after the CancelRequest", sent.elapsed());
    assert_eq!(rows(&client, "SELECT current_user").await[0][0].as_deref(), Some("ops"), "still usable");
    // Each replica lists its own connections.
    let on_b = rows(&_on_b, &format!("SELECT pid FROM pg_stat_activity WHERE pid = {pid}")).await;
    assert!(on_b.is_empty(), "{on_b:?}");
    await_jobs_ended(&table).await;
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn metrics_count_what_the_queries_did() {
    let table = format!("endless_metrics_{}", std::process::id());
    let server = Server::start(3, &table);
    server.await_readyz(200).await;
    let client = server.client().await;
    let rows_sent = "flinkwire_rows_sent_total ";
    let bytes_sent = "flinkwire_bytes_sent_total ";
    let (rows_before, bytes_before) = (server.metric(rows_sent).await, server.metric(bytes_sent).await);
    let flink_ok = "flinkwire_queries_total{kind=\"flink\",outcome=\"ok\"}";
    let catalog_ok = "flinkwire_queries_total{kind=\"catalog\",outcome=\"ok\"}";
    let (flink_before, catalog_before) = (server.metric(flink_ok).await, server.metric(catalog_ok).await);

    let values = rows(&client, "SELECT * FROM (VALUES (1), (2), (3)) AS t(x)").await;
    assert_eq!(values.len(), 3);
    rows(&client, "SELECT relname FROM pg_class LIMIT 2").await;
    let cancelled = client.query_raw(&format!("SELECT id FROM {table}"), std::iter::empty::<i32>()).await.unwrap();
    futures::pin_mut!(cancelled);
    assert!(cancelled.next().await.unwrap().is_ok());
    client.cancel_token().cancel_query(NoTls).await.unwrap();
    assert_eq!(code(&stream_error(&mut cancelled).await), Some("57014"));
    assert!(client.simple_query("SELECT * FROM no_such_table_anywhere").await.is_err());

    assert_eq!(server.metric(flink_ok).await, flink_before + 1.0, "the cancelled stream is not ok");
    assert_eq!(server.metric(catalog_ok).await, catalog_before + 1.0);
    assert_eq!(server.metric("flinkwire_queries_total{kind=\"flink\",outcome=\"cancelled\"}").await, 1.0, "cancelled after its first row");
    assert!(server.metric("flinkwire_queries_total{kind=\"flink\",outcome=\"error\"}").await >= 1.0);
    assert!(server.metric(rows_sent).await >= rows_before + 4.0, "3 values, 1+ streamed, catalog rows");
    assert!(server.metric(bytes_sent).await > bytes_before + 100.0);
    assert!(server.metric("flinkwire_first_row_seconds_count{kind=\"flink\"}").await >= 2.0);
    let statements = "flinkwire_gateway_requests_total{cluster=\"default\",endpoint=\"POST /sessions/{}/statements\",status=\"200\"}";
    assert!(server.metric(statements).await >= 3.0, "{}", server.admin_get("/metrics").await.1);
    let results = "flinkwire_gateway_request_duration_seconds_count{cluster=\"default\",endpoint=\"GET /sessions/{}/operations/{}/result/{}\"}";
    assert!(server.metric(results).await >= 3.0, "{}", server.admin_get("/metrics").await.1);
    let (_, body) = server.admin_get("/metrics").await;
    for state in ["pooled", "active", "closing"] {
        assert!(body.contains(&format!("flinkwire_gateway_sessions{{cluster=\"default\",state=\"{state}\"}}")), "{state}: {body}");
    }
    assert_eq!(server.metric("flinkwire_client_connections{cluster=\"default\"}").await, 1.0, "{body}");
    drop(client);
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.metric("flinkwire_client_connections{cluster=\"default\"}").await != 0.0 {
        assert!(Instant::now() < deadline, "a closed client still counts");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // No label grows with statements or users: every label value is from a short, fixed set.
    assert!(!body.contains(&table), "a statement's text in a label: {body}");
    assert!(!body.contains("\"ops\""), "a user name in a label");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn readyz_follows_the_gateway() {
    let proxy = GatewayProxy::start(&std::env::var("FLINKWIRE_TEST_GATEWAY").unwrap()).await;
    let server = Server::launch(Launch {
        shutdown_timeout_secs: 3,
        table: "unused_readyz",
        gateway: Some(proxy.url()),
        port: None,
        extra: "[pool]\nhealth_check_interval_secs = 1".to_owned(),
        top: "",
    });
    server.await_readyz(200).await;
    proxy.down();
    let down = Instant::now();
    server.await_readyz(503).await;
    assert_eq!(server.admin_get("/livez").await.0, 200, "alive without a gateway");
    let (_, reason) = server.admin_get("/readyz").await;
    assert!(reason.contains("no cluster is healthy"), "{reason}");
    let not_ready_after = down.elapsed();
    proxy.up().await;
    let up = Instant::now();
    server.await_readyz(200).await;
    eprintln!("readyz: 503 {not_ready_after:?} after the gateway went down, 200 {:?} after it came back", up.elapsed());
}

/// Without any gateway (so this runs in `cargo test` too): JSON logs are one object per line with
/// distinct keys, a client is refused with a clear FATAL, and SIGTERM on a server with nothing
/// running exits 0 at once (this once panicked: the drain polled a finished JoinHandle).
#[tokio::test]
async fn json_logs_and_a_clean_exit_without_a_gateway() {
    let dead = format!("http://127.0.0.1:{}", free_port());
    let mut server = Server::launch(Launch {
        shutdown_timeout_secs: 5,
        table: "unused_json_logs",
        gateway: Some(dead),
        port: None,
        extra: String::new(),
        top: "log_format = \"json\"",
    });
    server.await_readyz(503).await;
    let dsn = format!("host=127.0.0.1 port={} user=ops dbname=default_catalog", server.addr.port());
    let refused = tokio_postgres::connect(&dsn, NoTls).await.err().expect("no gateway, no session");
    let message = refused.as_db_error().map(|e| e.message().to_owned()).unwrap_or_else(|| refused.to_string());
    assert!(message.contains("Flink SQL Gateway"), "{message}");
    server.signal("TERM");
    let (status, took) = server.exited(Duration::from_secs(10)).await;
    let log = server.log();
    assert_eq!(status, Some(0), "exit status after SIGTERM; log:\n{log}");
    assert!(took < Duration::from_secs(5), "nothing ran, so no wait for the shutdown timeout: {took:?}");
    let mut clusters = 0;
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"));
        assert!(object.contains_key("level") && object.contains_key("fields"), "{line}");
        // serde_json keeps the last of duplicate keys; count the keys in the raw text too.
        if let Some(span) = object.get("span") {
            let keys = span.as_object().map_or(0, |m| m.len());
            let raw = line.split_once("\"span\":{").and_then(|(_, rest)| rest.split_once('}')).map_or("", |(s, _)| s);
            assert_eq!(raw.matches("\":").count(), keys, "duplicate keys in {line}");
            if line.contains("\"name\":\"cluster\"") && line.contains("\"cluster\":\"default\"") {
                clusters += 1;
            }
        }
    }
    assert!(clusters > 0, "a line in the cluster's span names it:\n{log}");
}
