//! Clusters, routing, environments, the session pool and the metadata snapshot, end to end.
//!
//! Two clusters in one run: **one gateway (the agent) with two property sets** pointing at the
//! same local Flink (`a`: parallelism 1, `b`: parallelism 2), each with its own environment, plus
//! a cluster `down` whose gateway does not exist and a cluster `broken` whose environment
//! fails. `scripts/test.sh` sets `FLINKWIRE_TEST_GATEWAY`; ignored in a plain `cargo test`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flinkwire::catalog::{ColumnKind, SnapshotKey, TableKind};
use flinkwire::config::{CatalogConfig, ClusterConfig, Config, EnvironmentConfig, Overrides, UserConfig};
use flinkwire::server::{serve, ServerContext};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

#[path = "clusters/load.rs"]
mod load;
#[path = "common/raw_client.rs"]
mod raw_client;

const PASSWORD: &str = "pw";

fn gateway() -> String {
    std::env::var("FLINKWIRE_TEST_GATEWAY")
        .expect("FLINKWIRE_TEST_GATEWAY is not set: run scripts/test.sh (it starts Flink and the agent)")
}

fn cluster(gateway: &str, parallelism: &str, default: bool) -> ClusterConfig {
    ClusterConfig {
        gateway: Some(gateway.to_owned()),
        properties: BTreeMap::from([("parallelism.default".to_owned(), parallelism.to_owned())]),
        default,
        pool_size: None,
        max_sessions: None,
    }
}

fn env(clusters: &[&str], sql: &[&str]) -> EnvironmentConfig {
    EnvironmentConfig {
        clusters: clusters.iter().map(|c| c.to_string()).collect(),
        init_sql: sql.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn test_config(pool_size: usize) -> Config {
    let gw = gateway();
    let overrides = Overrides { listen: Some("127.0.0.1:0".parse().unwrap()), gateway_url: Some(gw.clone()) };
    let mut config = Config::load(None, &overrides).unwrap();
    config.pool.size = pool_size;
    config.pool.health_check_interval_secs = 1;
    config.clusters = BTreeMap::from([
        ("a".to_owned(), cluster(&gw, "1", true)),
        ("b".to_owned(), cluster(&gw, "2", false)),
        ("down".to_owned(), cluster("http://127.0.0.1:9", "1", false)),
        ("broken".to_owned(), cluster(&gw, "1", false)),
    ]);
    let mut sales = env(&["a"], &["CREATE TEMPORARY VIEW where_am_i AS SELECT 'a' AS c"]);
    sales.catalogs = vec![CatalogConfig {
        name: "mem".into(),
        kind: "generic_in_memory".into(),
        options: BTreeMap::new(),
    }];
    sales.files = vec![concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/env_sales.sql").into()];
    config.environments = BTreeMap::from([
        ("sales".to_owned(), sales),
        ("b_env".to_owned(), env(&["b"], &["CREATE TEMPORARY VIEW where_am_i AS SELECT 'b' AS c"])),
        ("bad".to_owned(), env(&["broken"], &["CREATE TEMPORARY VIEW oops AS SELECT * FROM no_such_table"])),
    ]);
    config.users = vec![
        UserConfig { name: "alice".into(), password: Some(PASSWORD.into()), cluster: Some("b".into()), environment: None, ..Default::default() },
        // md5: the raw-protocol client of the load test answers MD5 (SCRAM is alice's).
        UserConfig { name: "bob".into(), password: Some(PASSWORD.into()), auth: Some(flinkwire::auth::AuthMethod::Md5), ..Default::default() },
    ];
    config
}

async fn start(config: Config) -> (SocketAddr, Arc<ServerContext>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let ctx = Arc::new(ServerContext::new(config).unwrap());
    let serving = ctx.clone();
    tokio::spawn(async move {
        let (_keep, mut stop) = tokio::sync::watch::channel(false);
        serve(listener, serving, &mut stop).await.unwrap();
    });
    (addr, ctx)
}

async fn try_connect(addr: SocketAddr, user: &str, extra: &str) -> Result<Client, tokio_postgres::Error> {
    let dsn = format!("host={} port={} user={user} password={PASSWORD} {extra}", addr.ip(), addr.port());
    let (client, connection) = tokio_postgres::connect(&dsn, NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

async fn connect(addr: SocketAddr, user: &str, extra: &str) -> Client {
    try_connect(addr, user, extra).await.unwrap()
}

async fn rows(client: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let mut out = Vec::new();
    for message in client.simple_query(sql).await.unwrap() {
        if let SimpleQueryMessage::Row(row) = message {
            out.push((0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect());
        }
    }
    out
}

async fn first(client: &Client, sql: &str) -> String {
    rows(client, sql).await[0][0].clone().unwrap()
}

/// Waits until `check` holds (the supervisor works in the background).
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn routing_by_option_user_default_and_global_default() {
    let (addr, _ctx) = start(test_config(0)).await;
    // Global default: cluster a, whose environment defines the view.
    let bob = connect(addr, "bob", "").await;
    assert_eq!(first(&bob, "SELECT c FROM where_am_i").await, "a");
    // By option.
    let bob_b = connect(addr, "bob", "options='-c flinkwire.cluster=b'").await;
    assert_eq!(first(&bob_b, "SELECT c FROM where_am_i").await, "b");
    // By the user's default; the option wins over it.
    let alice = connect(addr, "alice", "").await;
    assert_eq!(first(&alice, "SELECT c FROM where_am_i").await, "b");
    let alice_a = connect(addr, "alice", "options='-c flinkwire.cluster=a'").await;
    assert_eq!(first(&alice_a, "SELECT c FROM where_am_i").await, "a");
    // The cluster's session properties are applied.
    let parallelism = rows(&bob_b, "SET").await;
    assert!(
        parallelism.iter().any(|r| r[0].as_deref() == Some("parallelism.default") && r[1].as_deref() == Some("2")),
        "{parallelism:?}"
    );
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn unknown_cluster_and_database_are_3d000() {
    let (addr, _ctx) = start(test_config(0)).await;
    let err = try_connect(addr, "bob", "options='-c flinkwire.cluster=nope'").await.err().unwrap();
    assert_eq!(err.code(), Some(&SqlState::INVALID_CATALOG_NAME), "{err:?}");
    let message = err.as_db_error().unwrap().message().to_owned();
    assert!(message.contains("\"nope\"") && message.contains("a, b, broken, down"), "{message}");

    let err = try_connect(addr, "bob", "dbname=no_such_catalog").await.err().unwrap();
    assert_eq!(err.code(), Some(&SqlState::INVALID_CATALOG_NAME), "{err:?}");
    let message = err.as_db_error().unwrap().message().to_owned();
    assert!(message.contains("default_catalog") && message.contains("mem"), "{message}");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn database_is_a_catalog_and_search_path_picks_the_flink_database() {
    let (addr, _ctx) = start(test_config(0)).await;
    let client = connect(addr, "bob", "dbname=mem").await;
    assert_eq!(first(&client, "SHOW CURRENT CATALOG").await, "mem");
    client.simple_query("SET search_path TO sales").await.unwrap();
    assert_eq!(first(&client, "SHOW CURRENT DATABASE").await, "sales");
    assert_eq!(first(&client, "SELECT total FROM totals").await, "42");
    assert_eq!(first(&client, "SELECT count(*) FROM orders").await, "3");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn broken_environment_and_down_cluster_do_not_stop_the_server() {
    let (addr, ctx) = start(test_config(0)).await;
    let err = try_connect(addr, "bob", "options='-c flinkwire.cluster=broken'").await.err().unwrap();
    let message = err.as_db_error().unwrap().message().to_owned();
    assert!(message.contains("environment bad") && message.contains("no_such_table"), "{message}");
    assert_eq!(err.code(), Some(&SqlState::UNDEFINED_TABLE), "{err:?}");

    eventually("cluster down reported unhealthy", || {
        ctx.clusters.get("down").is_some_and(|c| c.health() != flinkwire::cluster::Health::Unknown)
    })
    .await;
    let err = try_connect(addr, "bob", "options='-c flinkwire.cluster=down'").await.err().unwrap();
    assert_eq!(err.code(), Some(&SqlState::SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION), "{err:?}");
    assert!(err.as_db_error().unwrap().message().contains("cluster down is unavailable"), "{err:?}");

    // The server still serves, and SHOW CLUSTERS tells the operator what is wrong.
    let client = connect(addr, "bob", "").await;
    let clusters = rows(&client, "SHOW CLUSTERS").await;
    let by_name: BTreeMap<_, _> = clusters.iter().map(|r| (r[0].clone().unwrap(), r.clone())).collect();
    assert_eq!(by_name["a"][2].as_deref(), Some("healthy"), "{clusters:?}");
    assert!(by_name["down"][2].as_deref().unwrap().starts_with("unhealthy"), "{clusters:?}");
    assert!(by_name["broken"][6].as_deref().unwrap().contains("bad (broken"), "{clusters:?}");
    assert_eq!(by_name["a"][5].as_deref(), Some("1"), "{clusters:?}");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn pool_hands_out_initialized_sessions_and_snapshot_is_loaded() {
    let (addr, ctx) = start(test_config(1)).await;
    let a = ctx.clusters.get("a").unwrap().clone();
    eventually("a pooled session on cluster a", || a.pooled_sessions() >= 1).await;
    let started = Instant::now();
    let client = connect(addr, "bob", "").await;
    assert_eq!(first(&client, "SELECT c FROM where_am_i").await, "a");
    let elapsed = started.elapsed();
    assert_eq!(a.active_sessions(), 1);
    // The pool refills behind the handed-out session.
    eventually("the pool refilled", || a.pooled_sessions() >= 1).await;
    eprintln!("pooled connect-to-first-row: {elapsed:?}");

    let key = SnapshotKey::new("a", Some("sales"));
    eventually("the snapshot of a/sales", || ctx.clusters.snapshots.get(&key).is_some()).await;
    let snapshot = ctx.clusters.snapshots.get(&key).unwrap();
    assert!(snapshot.catalog_names().contains(&"mem"), "{:?}", snapshot.catalog_names());
    let orders = snapshot.table("mem", "sales", "orders").expect("orders in the snapshot");
    assert_eq!(orders.kind, TableKind::Table);
    assert_eq!(orders.primary_key, vec!["id"]);
    assert_eq!(orders.watermark.as_ref().unwrap().column, "ts");
    assert!(!orders.column("id").unwrap().data_type.nullable);
    assert!(matches!(orders.column("doubled").unwrap().kind, ColumnKind::Computed(_)));
    let totals = snapshot.table("mem", "sales", "totals").expect("totals in the snapshot");
    assert_eq!(totals.kind, TableKind::View);
    assert!(snapshot.functions.iter().any(|f| f.name.eq_ignore_ascii_case("upper")));
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn metadata_connections_do_not_wait_for_flink() {
    // No pool: every gateway session would have to be opened (and its environment run) first.
    let (addr, ctx) = start(test_config(0)).await;
    let a = ctx.clusters.get("a").unwrap().clone();
    let key = SnapshotKey::new("a", Some("sales"));
    eventually("the snapshot of a/sales", || ctx.clusters.snapshots.get(&key).is_some()).await;
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let started = Instant::now();
        let client = connect(addr, "bob", "").await;
        // Session commands and catalog queries: answered without a gateway session.
        client.batch_execute("SET application_name = 'superset'").await.unwrap();
        assert_eq!(first(&client, "SHOW application_name").await, "superset");
        let databases = rows(&client, "SELECT datname FROM pg_catalog.pg_database WHERE datname = 'mem'").await;
        assert_eq!(databases.len(), 1, "{databases:?}");
        assert_eq!(a.active_sessions(), 0, "a catalog-only connection took a gateway session");
        slowest = slowest.max(started.elapsed());
        drop(client);
    }
    eprintln!("connect + SET + SHOW + pg_database query without a pool, slowest of 5: {slowest:?}");
    // The first Flink statement opens it, with the startup catalog and search path in force.
    let client = connect(addr, "bob", "dbname=mem").await;
    client.batch_execute("SET search_path = sales").await.unwrap();
    assert_eq!(a.active_sessions(), 0);
    assert_eq!(first(&client, "SHOW CURRENT CATALOG").await, "mem");
    assert_eq!(first(&client, "SHOW CURRENT DATABASE").await, "sales");
    assert_eq!(first(&client, "SELECT count(*) FROM orders").await, "3");
    assert_eq!(a.active_sessions(), 1);
    // A database the snapshot does not know is still refused at connect.
    let err = try_connect(addr, "bob", "dbname=nope").await.err().unwrap();
    assert_eq!(err.code(), Some(&SqlState::INVALID_CATALOG_NAME));
    drop(client);
    eventually("the session released", || a.active_sessions() == 0).await;
}

/// This process's resident set size in MiB (the server runs in-process).
fn rss_mib() -> u64 {
    rss_kib() / 1024
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn connection_churn_keeps_memory_bounded() {
    // Each connection runs catalog queries and closes; before the catalog context was shared
    // (and its reference cycle broken) every connection kept ~5 MiB for good.
    let (addr, ctx) = start(test_config(0)).await;
    let key = SnapshotKey::new("a", Some("sales"));
    eventually("the snapshot of a/sales", || ctx.clusters.snapshots.get(&key).is_some()).await;
    let round = || async {
        for i in 0..200 {
            let client = connect(addr, "bob", "dbname=mem").await;
            rows(&client, "SELECT nspname FROM pg_catalog.pg_namespace").await;
            rows(&client, &format!("SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid > {}", i % 10)).await;
        }
    };
    round().await;
    let warm = rss_mib();
    for _ in 0..2 {
        round().await;
    }
    let after = rss_mib();
    eprintln!("RSS after 200 connections: {warm} MiB; after 400 more: {after} MiB; contexts: {}", ctx.clusters.pg_catalog.contexts());
    assert!(after <= warm + 64 || after <= warm * 5 / 4, "RSS grew from {warm} to {after} MiB over 400 connections");
    assert_eq!(ctx.clusters.pg_catalog.contexts(), 1);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn memory_per_connection_idle_and_after_catalog_queries() {
    // Goals of issue 11: idle ≤ 256 KiB, after catalog queries ≤ 1 MiB per open connection.
    const N: usize = 200;
    let (addr, ctx) = start(test_config(0)).await;
    let key = SnapshotKey::new("a", Some("sales"));
    eventually("the snapshot of a/sales", || ctx.clusters.snapshots.get(&key).is_some()).await;
    // Warm up: the shared catalog context and its answer cache exist before measuring.
    let warm = connect(addr, "bob", "dbname=mem").await;
    rows(&warm, "SELECT nspname FROM pg_catalog.pg_namespace").await;
    rows(&warm, "SELECT c.relname FROM pg_catalog.pg_class c").await;
    let base = rss_kib();
    let mut clients = Vec::new();
    for _ in 0..N {
        clients.push(connect(addr, "bob", "dbname=mem").await);
    }
    let idle = rss_kib();
    for client in &clients {
        rows(client, "SELECT nspname FROM pg_catalog.pg_namespace").await;
        rows(client, "SELECT c.relname FROM pg_catalog.pg_class c").await;
    }
    let queried = rss_kib();
    let per_idle = idle.saturating_sub(base) / N as u64;
    let per_queried = queried.saturating_sub(base) / N as u64;
    eprintln!("per connection (RSS of client + server in one process): idle {per_idle} KiB, after catalog queries {per_queried} KiB");
    assert!(per_idle <= 256, "idle connections cost {per_idle} KiB each");
    assert!(per_queried <= 1024, "connections after catalog queries cost {per_queried} KiB each");
}

/// This process's resident set size in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
}
