//! What the integration tests share: a flinkwire server in this process on an ephemeral port,
//! in front of the test gateway that `scripts/test.sh` starts (`FLINKWIRE_TEST_GATEWAY`).
#![allow(dead_code)] // each test crate uses a different part

pub mod raw_client;

use std::net::SocketAddr;
use std::sync::Arc;

use flinkwire::config::{Config, Overrides};
use flinkwire::server::{serve, ServerContext};
use tokio_postgres::{Client, NoTls};

/// The configuration of a test server against the test gateway.
pub fn test_config() -> Config {
    let gateway = std::env::var("FLINKWIRE_TEST_GATEWAY")
        .expect("FLINKWIRE_TEST_GATEWAY is not set: run scripts/test.sh (it starts Flink and the agent)");
    let overrides = Overrides { listen: Some("127.0.0.1:0".parse().unwrap()), gateway_url: Some(gateway) };
    Config::load(None, &overrides).unwrap()
}

/// Starts flinkwire with the default test configuration.
pub async fn start_server() -> SocketAddr {
    start_server_with(test_config()).await
}

/// Starts flinkwire with `config`, listening on an ephemeral port; returns its address.
pub async fn start_server_with(config: Config) -> SocketAddr {
    start_server_context(config).await.0
}

/// Like [`start_server_with`], also returning the server's context (metrics, clusters).
pub async fn start_server_context(config: Config) -> (SocketAddr, Arc<ServerContext>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let ctx = Arc::new(ServerContext::new(config).unwrap());
    let served = ctx.clone();
    tokio::spawn(async move {
        let (_keep, mut stop) = tokio::sync::watch::channel(false);
        serve(listener, served, &mut stop).await.unwrap();
    });
    (addr, ctx)
}

/// A tokio-postgres client of the server at `addr`; `extra` is appended to the connection string.
pub async fn connect_to(addr: SocketAddr, extra: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(
        &format!("host={} port={} user=test dbname=default_catalog {extra}", addr.ip(), addr.port()),
        NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    client
}

/// A client of a fresh default test server.
pub async fn connect() -> Client {
    connect_to(start_server().await, "").await
}
