//! Operating flinkwire: graceful shutdown of the real `flinkwire serve` process (SIGTERM drains,
//! the shutdown timeout ends what still runs with FATAL 57P01, nothing is left on the cluster).
//! The admin listener's probes and metrics. Needs the test gateway and Flink (`scripts/test.sh`).

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/flink_jobs.rs"]
mod flink_jobs;

use flink_jobs::job_states;
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

impl Server {
    fn start(shutdown_timeout_secs: u64, table: &str) -> Server {
        let gateway = std::env::var("FLINKWIRE_TEST_GATEWAY").expect("FLINKWIRE_TEST_GATEWAY");
        let free_port = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (port, admin_port) = (free_port(), free_port());
        let dir = std::env::temp_dir().join(format!("flinkwire-ops-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("flinkwire.toml");
        std::fs::write(
            &config,
            format!(
                "listen = \"127.0.0.1:{port}\"\nshutdown_timeout_secs = {shutdown_timeout_secs}\n\
                 [gateway]\nurl = \"{gateway}\"\n[session.properties]\n\"execution.runtime-mode\" = \"streaming\"\n\
                 [admin]\nlisten = \"127.0.0.1:{admin_port}\"\n\
                 [session]\ninit_sql = [\"CREATE TEMPORARY TABLE {table} (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '50')\"]\n"
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
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let dsn = format!("host=127.0.0.1 port={} user=ops dbname=default_catalog", self.addr.port());
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
    assert!(server.metric("flinkwire_client_connections{cluster=\"all\"}").await >= 1.0, "{body}");
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
