//! A Flink SQL Gateway stand-in for benchmarks: serves the generated benchmark result from
//! memory in the JSON shape of a real Flink 2.3.0 gateway, so that a benchmark through it
//! measures only flinkwire's own pipeline.
//!
//! `replay_gateway serve ADDR [PAGE_ROWS]`: a statement naming `bench_<N>` (e.g.
//! `SELECT * FROM bench_1000000`) answers N rows in pages of PAGE_ROWS (default 5000, the real
//! gateway's `ResultFetcher` buffer); `SHOW CURRENT CATALOG` / `DATABASE` answer one row, other
//! `SHOW`s none, anything else is acknowledged like DDL (`SUCCESS`, one `OK` row).
//! `replay_gateway csv N`: prints the same N rows as CSV (for PostgreSQL's `COPY … FROM STDIN`);
//! `replay_gateway ddl`: the PostgreSQL column list for them.
//!
//! One cycle of pages ([`rows::CYCLE`] rows) is rendered at start-up, each page body is then
//! assembled from a header, a slice of those rows and a trailer: serving costs a copy.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{BufMut as _, Bytes, BytesMut};
use flinkwire_bench::rows;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};

/// Rows of the cycle, rendered: `text` holds every row's JSON, `starts[i]..starts[i + 1]` is row i.
struct RenderedRows {
    text: Bytes,
    starts: Vec<usize>,
}

impl RenderedRows {
    fn render() -> Self {
        let mut text = String::with_capacity(rows::CYCLE as usize * 96);
        let mut starts = Vec::with_capacity(rows::CYCLE as usize + 1);
        for i in 0..rows::CYCLE {
            starts.push(text.len());
            rows::push_json(i, &mut text);
        }
        starts.push(text.len());
        Self { text: Bytes::from(text), starts }
    }

    /// Appends rows `from..to` (result row numbers) comma-separated.
    fn push(&self, from: u64, to: u64, out: &mut BytesMut) {
        for i in from..to {
            let n = (i % rows::CYCLE) as usize;
            if i > from {
                out.extend_from_slice(b",");
            }
            out.extend_from_slice(&self.text[self.starts[n]..self.starts[n + 1]]);
        }
    }
}

/// What a statement answers.
#[derive(Clone)]
enum Answer {
    /// The benchmark result with this many rows.
    Bench(u64),
    /// A one-column VARCHAR result with these rows.
    Text(Vec<String>),
    /// DDL-like acknowledgement.
    Ok,
}

struct Gateway {
    rows: RenderedRows,
    page_rows: u64,
    operations: Mutex<HashMap<String, Answer>>,
    next_handle: AtomicU64,
}

impl Gateway {
    fn handle(&self) -> String {
        let n = self.next_handle.fetch_add(1, Ordering::Relaxed);
        format!("00000000-0000-0000-0000-{n:012x}")
    }
}

fn answer_for(statement: &str) -> Answer {
    let upper = statement.trim().to_ascii_uppercase();
    if let Some(at) = statement.find("bench_") {
        let digits: String = statement[at + 6..].chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse() {
            return Answer::Bench(n);
        }
    }
    if upper.starts_with("SHOW CURRENT CATALOG") {
        Answer::Text(vec!["default_catalog".into()])
    } else if upper.starts_with("SHOW CURRENT DATABASE") {
        Answer::Text(vec!["default_database".into()])
    } else if upper.starts_with("SHOW ") {
        Answer::Text(vec![])
    } else {
        Answer::Ok
    }
}

fn json(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    resp
}

const JOB_ID: &str = "b4a6c2a5f0d1e3c7a9b8d6e4f2a0c1b3";

/// One page of an operation's result: `token` counts pages from 0, as the gateway's does.
fn result_page(gw: &Gateway, path: &str, answer: &Answer, token: u64) -> Bytes {
    let base = path.split("/result/").next().unwrap_or(path);
    let (columns, kind, mut data, more): (&str, &str, BytesMut, bool) = match answer {
        Answer::Bench(total) => {
            let from = token.saturating_mul(gw.page_rows).min(*total);
            let to = from.saturating_add(gw.page_rows).min(*total);
            let mut data = BytesMut::with_capacity(((to - from) * 100) as usize + 2);
            gw.rows.push(from, to, &mut data);
            (rows::COLUMNS_JSON, "SUCCESS_WITH_CONTENT", data, from < to)
        }
        Answer::Text(values) => {
            let mut data = BytesMut::new();
            if token == 0 {
                let rendered: Vec<String> = values
                    .iter()
                    .map(|v| format!(r#"{{"kind":"INSERT","fields":[{}]}}"#, serde_json::Value::from(v.as_str())))
                    .collect();
                data.extend_from_slice(rendered.join(",").as_bytes());
            }
            let columns = r#"[{"name":"result","logicalType":{"type":"VARCHAR","nullable":false,"length":2147483647},"comment":null}]"#;
            (columns, "SUCCESS_WITH_CONTENT", data, token == 0)
        }
        Answer::Ok => {
            let mut data = BytesMut::new();
            if token == 0 {
                data.extend_from_slice(br#"{"kind":"INSERT","fields":["OK"]}"#);
            }
            let columns = r#"[{"name":"result","logicalType":{"type":"VARCHAR","nullable":true,"length":2147483647},"comment":null}]"#;
            (columns, "SUCCESS", data, token == 0)
        }
    };
    let query = matches!(answer, Answer::Bench(_));
    let mut out = BytesMut::with_capacity(data.len() + 1024);
    let result_type = if more { "PAYLOAD" } else { "EOS" };
    let _ = write!(
        (&mut out).writer(),
        r#"{{"resultType":"{result_type}","isQueryResult":{query},"jobID":"{JOB_ID}","resultKind":"{kind}","results":{{"columns":{columns},"rowFormat":"JSON","data":["#
    );
    out.extend_from_slice(&data.split());
    out.extend_from_slice(b"]}");
    if more {
        let _ = write!((&mut out).writer(), r#","nextResultUri":"{base}/result/{}?rowFormat=JSON""#, token + 1);
    }
    out.extend_from_slice(b"}");
    out.freeze()
}

async fn route(gw: Arc<Gateway>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    // Paths are /v{n}/… (or unversioned); only the part after the version matters.
    let rest = match path.strip_prefix('/') {
        Some(p) if p.starts_with('v') && p.as_bytes().get(1).is_some_and(u8::is_ascii_digit) => {
            p.split_once('/').map_or("", |(_, r)| r)
        }
        Some(p) => p,
        None => "",
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let ok = |body: &'static str| json(StatusCode::OK, body);
    let resp = match (&method, parts.as_slice()) {
        (&Method::GET, ["api_versions"]) => ok(r#"{"versions":["V1","V2","V3","V4"]}"#),
        (&Method::GET, ["info"]) => ok(r#"{"productName":"Apache Flink","version":"2.3.0"}"#),
        (&Method::POST, ["sessions"]) => json(StatusCode::OK, format!(r#"{{"sessionHandle":"{}"}}"#, gw.handle())),
        // A batch session, as flinkwire opens by default: every row is an insert, and result
        // mode `auto` shows plain rows (with no properties flinkwire would follow Flink's
        // streaming default and add the changelog `op` column).
        (&Method::GET, ["sessions", _]) => ok(r#"{"properties":{"execution.runtime-mode":"batch"}}"#),
        (&Method::DELETE, ["sessions", _]) => ok(r#"{"status":"CLOSED"}"#),
        (&Method::POST, ["sessions", _, "heartbeat"]) => ok("{}"),
        (&Method::POST, ["sessions", _, "configure-session"]) => ok("{}"),
        (&Method::POST, ["sessions", _, "statements"]) => {
            let statement = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("statement").and_then(|s| s.as_str()).map(str::to_owned))
                .unwrap_or_default();
            let handle = gw.handle();
            gw.operations.lock().unwrap_or_else(|e| e.into_inner()).insert(handle.clone(), answer_for(&statement));
            json(StatusCode::OK, format!(r#"{{"operationHandle":"{handle}"}}"#))
        }
        (&Method::GET, ["sessions", _, "operations", _, "status"]) => ok(r#"{"status":"FINISHED"}"#),
        (&Method::POST, ["sessions", _, "operations", _, "cancel"]) => ok(r#"{"status":"CANCELED"}"#),
        (&Method::DELETE, ["sessions", _, "operations", op, "close"]) => {
            gw.operations.lock().unwrap_or_else(|e| e.into_inner()).remove(*op);
            ok(r#"{"status":"CLOSED"}"#)
        }
        (&Method::GET, ["sessions", _, "operations", op, "result", token]) => {
            let answer = gw.operations.lock().unwrap_or_else(|e| e.into_inner()).get(*op).cloned();
            match (answer, token.parse::<u64>()) {
                (Some(answer), Ok(token)) => json(StatusCode::OK, result_page(&gw, &path, &answer, token)),
                _ => json(StatusCode::NOT_FOUND, r#"{"errors":["Operation not found."]}"#),
            }
        }
        _ => json(StatusCode::NOT_FOUND, format!(r#"{{"errors":["Not found: {path}"]}}"#)),
    };
    Ok(resp)
}

async fn serve(addr: SocketAddr, page_rows: u64) -> std::io::Result<()> {
    let gw = Arc::new(Gateway {
        rows: RenderedRows::render(),
        page_rows,
        operations: Mutex::new(HashMap::new()),
        next_handle: AtomicU64::new(1),
    });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("replay gateway on {addr}, {page_rows} rows per page");
    loop {
        let (socket, _) = listener.accept().await?;
        let _ = socket.set_nodelay(true);
        let gw = gw.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| route(gw.clone(), req));
            let io = hyper_util::rt::TokioIo::new(socket);
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
        });
    }
}

fn print_csv(n: u64) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut line = String::new();
    for i in 0..n {
        line.clear();
        rows::push_csv(i, &mut line);
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

fn usage() -> ! {
    eprintln!("usage: replay_gateway serve ADDR [PAGE_ROWS] | replay_gateway csv ROWS | replay_gateway ddl");
    std::process::exit(2)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["csv", n] => print_csv(n.parse().unwrap_or_else(|_| usage())),
        ["ddl"] => {
            println!("{}", rows::PG_TABLE_DDL);
            Ok(())
        }
        ["serve", addr, rest @ ..] => {
            let addr: SocketAddr = addr.parse().unwrap_or_else(|_| usage());
            let page_rows = rest.first().map_or(Ok(5000), |p| p.parse()).unwrap_or_else(|_| usage());
            // One worker thread: the gateway should take as little of the machine as it can.
            tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(serve(addr, page_rows.max(1)))
        }
        _ => usage(),
    }
}
