//! Latency and footprint figures for benchmarks, printed as one line of `key=value` pairs that
//! `benches/run.sh` reads (times in seconds):
//!
//! - `latency connect CONNINFO N`: N connections one after another, each timed from the TCP
//!   connect to the first ReadyForQuery (startup, authentication, parameter status), then closed.
//! - `latency query CONNINFO SQL N [--fresh]`: the query N times (simple protocol, rows read to
//!   CommandComplete) on one connection, after one untimed warm-up; with `--fresh`, each run on a
//!   new connection and only the query timed: the first query of a connection.
//! - `latency rest GATEWAY_URL SQL N [KEY=VALUE...]`: the same statement through the SQL Gateway
//!   REST API directly (v3: open a session once, with these session properties; per run submit,
//!   fetch pages until EOS, close the operation): what any gateway client pays, the baseline for
//!   flinkwire's own overhead. Give it the properties flinkwire opens its sessions with
//!   (`execution.runtime-mode=batch` by default), or it measures a different Flink job.
//! - `latency pair CONNINFO GATEWAY_URL SQL N [KEY=VALUE...]`: `rest` and `query` in turns (one
//!   run each per round, who goes first alternating), two lines: the REST client's, flinkwire's.
//! - `latency idle CONNINFO N PID`: opens N connections and keeps them open; prints the resident
//!   memory of process PID (the server) before and after, and per connection.
//!
//! Every line also has `p50`, `p99`, `min` and `max` (for `idle`: `rss_before_kib`,
//! `rss_after_kib`, `kib_per_connection`).

use std::time::{Duration, Instant};

use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["connect", conninfo, n] => connect(conninfo, count(n)).await,
        ["query", conninfo, sql, n] => query(conninfo, sql, count(n), false).await,
        ["query", conninfo, sql, n, "--fresh"] => query(conninfo, sql, count(n), true).await,
        ["rest", url, sql, n, properties @ ..] => rest(url, sql, count(n), properties).await,
        ["pair", conninfo, url, sql, n, properties @ ..] => pair(conninfo, url, sql, count(n), properties).await,
        ["idle", conninfo, n, pid] => idle(conninfo, count(n), pid).await,
        _ => {
            eprintln!("usage: latency connect CONNINFO N | query CONNINFO SQL N [--fresh] | rest GATEWAY_URL SQL N [KEY=VALUE...] | pair CONNINFO GATEWAY_URL SQL N [KEY=VALUE...] | idle CONNINFO N PID");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("latency: {e}");
        std::process::exit(1);
    }
}

fn count(n: &str) -> usize {
    match n.parse() {
        Ok(n) if n > 0 => n,
        _ => {
            eprintln!("latency: N must be a positive integer, not {n:?}");
            std::process::exit(2);
        }
    }
}

/// Prints the distribution of `times` (seconds) as `p50=… p99=… min=… max=…`.
fn report(mut times: Vec<Duration>) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize].as_secs_f64();
    println!("n={} p50={:.6} p99={:.6} min={:.6} max={:.6}", times.len(), at(0.5), at(0.99), at(0.0), at(1.0));
}

async fn open(conninfo: &str) -> Result<(Client, tokio::task::JoinHandle<()>), Error> {
    let (client, connection) = tokio_postgres::connect(conninfo, NoTls).await?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok((client, driver))
}

async fn close(client: Client, driver: tokio::task::JoinHandle<()>) {
    drop(client); // sends Terminate
    let _ = driver.await;
}

async fn connect(conninfo: &str, n: usize) -> Result<(), Error> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let (client, driver) = open(conninfo).await?;
        times.push(started.elapsed());
        close(client, driver).await;
    }
    report(times);
    Ok(())
}

/// Runs `sql` and reads every row; fails unless it completes.
async fn run(client: &Client, sql: &str) -> Result<(), Error> {
    let messages = client.simple_query(sql).await?;
    if !messages.iter().any(|m| matches!(m, SimpleQueryMessage::CommandComplete(_))) {
        return Err(format!("{sql}: no CommandComplete").into());
    }
    Ok(())
}

async fn query(conninfo: &str, sql: &str, n: usize, fresh: bool) -> Result<(), Error> {
    let mut times = Vec::with_capacity(n);
    if fresh {
        for _ in 0..n {
            let (client, driver) = open(conninfo).await?;
            let started = Instant::now();
            run(&client, sql).await?;
            times.push(started.elapsed());
            close(client, driver).await;
        }
    } else {
        let (client, driver) = open(conninfo).await?;
        run(&client, sql).await?;
        for _ in 0..n {
            let started = Instant::now();
            run(&client, sql).await?;
            times.push(started.elapsed());
        }
        close(client, driver).await;
    }
    report(times);
    Ok(())
}

/// A string field of a gateway answer.
fn field<'a>(answer: &'a serde_json::Value, name: &str) -> Result<&'a str, Error> {
    answer.get(name).and_then(serde_json::Value::as_str).ok_or_else(|| format!("the gateway's answer has no {name}: {answer}").into())
}

/// A session of the SQL Gateway REST API (v3), used directly as any gateway client would.
struct RestSession {
    http: reqwest::Client,
    url: String,
    session: String,
}

impl RestSession {
    /// Opens a session with these `KEY=VALUE` session properties.
    async fn open(url: &str, properties: &[&str]) -> Result<Self, Error> {
        let properties: serde_json::Map<String, serde_json::Value> = properties
            .iter()
            .map(|p| match p.split_once('=') {
                Some((key, value)) => Ok((key.to_owned(), serde_json::Value::from(value))),
                None => Err(format!("a session property must be KEY=VALUE, not {p}")),
            })
            .collect::<Result<_, _>>()?;
        let http = reqwest::Client::new();
        let url = url.trim_end_matches('/').to_owned();
        let session: serde_json::Value =
            http.post(format!("{url}/v3/sessions")).json(&serde_json::json!({"properties": properties})).send().await?.error_for_status()?.json().await?;
        let session = field(&session, "sessionHandle")?.to_owned();
        Ok(Self { http, url, session })
    }

    /// Submits `sql` and fetches pages until EOS; the time that took (the close is not timed).
    async fn once(&self, sql: &str) -> Result<Duration, Error> {
        let (http, url, session) = (&self.http, &self.url, &self.session);
        let started = Instant::now();
        let submitted: serde_json::Value = http
            .post(format!("{url}/v3/sessions/{session}/statements"))
            .json(&serde_json::json!({"statement": sql}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let operation = field(&submitted, "operationHandle")?.to_owned();
        let mut next = format!("/v3/sessions/{session}/operations/{operation}/result/0?rowFormat=JSON");
        // Polls a running operation as flinkwire does (src/backend/operation.rs: 2 ms, doubling
        // to 100 ms): a client that polls without pausing takes CPU from Flink on a small
        // machine and measures slower than it is.
        let mut delay = Duration::from_millis(2);
        loop {
            let page: serde_json::Value = http.get(format!("{url}{next}")).send().await?.error_for_status()?.json().await?;
            let result_type = field(&page, "resultType")?;
            if result_type == "EOS" {
                break;
            }
            let rows = page.pointer("/results/data").and_then(serde_json::Value::as_array).map_or(0, Vec::len);
            if result_type == "NOT_READY" || rows == 0 {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_millis(100));
            } else {
                delay = Duration::from_millis(2);
            }
            match page.get("nextResultUri").and_then(serde_json::Value::as_str) {
                Some(uri) => next = uri.to_owned(),
                None => break,
            }
        }
        let elapsed = started.elapsed();
        http.delete(format!("{url}/v3/sessions/{session}/operations/{operation}/close")).send().await?.error_for_status()?;
        Ok(elapsed)
    }

    async fn close(self) -> Result<(), Error> {
        self.http.delete(format!("{}/v3/sessions/{}", self.url, self.session)).send().await?.error_for_status()?;
        Ok(())
    }
}

async fn rest(url: &str, sql: &str, n: usize, properties: &[&str]) -> Result<(), Error> {
    let session = RestSession::open(url, properties).await?;
    session.once(sql).await?; // warm-up, as `query` has
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        times.push(session.once(sql).await?);
    }
    session.close().await?;
    report(times);
    Ok(())
}

/// `rest` and `query` in turns on one REST session and one flinkwire connection, so that both
/// meet the same cluster state (warm-up, other load) run for run: two lines, the REST client's
/// first.
async fn pair(conninfo: &str, url: &str, sql: &str, n: usize, properties: &[&str]) -> Result<(), Error> {
    let session = RestSession::open(url, properties).await?;
    let (client, driver) = open(conninfo).await?;
    session.once(sql).await?;
    run(&client, sql).await?;
    let timed_query = || async {
        let started = Instant::now();
        run(&client, sql).await?;
        Ok::<_, Error>(started.elapsed())
    };
    let (mut base, mut ours) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        // Who goes first alternates too: a run right after the other's may find Flink busier.
        if i % 2 == 0 {
            base.push(session.once(sql).await?);
            ours.push(timed_query().await?);
        } else {
            ours.push(timed_query().await?);
            base.push(session.once(sql).await?);
        }
    }
    close(client, driver).await;
    session.close().await?;
    report(base);
    report(ours);
    Ok(())
}

/// VmRSS of process `pid` in KiB.
fn rss_kib(pid: &str) -> Result<u64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmRSS in /proc/{pid}/status").into())
}

async fn idle(conninfo: &str, n: usize, pid: &str) -> Result<(), Error> {
    // One connection first, so what a server allocates once (pools, caches) is not counted.
    let (first, first_driver) = open(conninfo).await?;
    run(&first, "SHOW server_version").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid)?;
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        held.push(open(conninfo).await?);
    }
    // Every connection idle and logged in; let the server settle.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_kib(pid)?;
    let per = after.saturating_sub(before) as f64 / n as f64;
    println!("n={n} rss_before_kib={before} rss_after_kib={after} kib_per_connection={per:.1}");
    for (client, driver) in held {
        close(client, driver).await;
    }
    close(first, first_driver).await;
    Ok(())
}
