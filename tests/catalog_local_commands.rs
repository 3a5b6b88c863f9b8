//! PostgreSQL session commands answered by flinkwire itself (`SET`/`SHOW`/`RESET`, `DISCARD`,
//! `DEALLOCATE`, `SET SESSION CHARACTERISTICS`), through the wire with tokio-postgres, next to
//! Flink's own `SET 'k' = 'v'`. Needs a gateway (the session opens one): `scripts/test.sh`, or
//! `FLINKWIRE_TEST_GATEWAY=http://127.0.0.1:48083 cargo test --test catalog_local_commands -- --include-ignored`.

mod common;

use tokio_postgres::{Client, SimpleQueryMessage};

async fn connect(extra: &str) -> Client {
    common::connect_to(common::start_server().await, extra).await
}

/// (rows as text, command tag) of one simple-query statement.
async fn simple(client: &Client, sql: &str) -> (Vec<Vec<Option<String>>>, Option<String>) {
    let mut rows = Vec::new();
    let mut tag = None;
    for message in client.simple_query(sql).await.unwrap() {
        match message {
            SimpleQueryMessage::Row(row) => rows.push((0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect()),
            SimpleQueryMessage::CommandComplete(n) => tag = Some(n.to_string()),
            _ => {}
        }
    }
    (rows, tag)
}

async fn show(client: &Client, name: &str) -> String {
    let (rows, _) = simple(client, &format!("SHOW {name}")).await;
    rows[0][0].clone().unwrap()
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn set_show_reset_locally() {
    let client = connect("application_name=tester options='-c statement_timeout=5s'").await;
    assert_eq!(show(&client, "application_name").await, "tester");
    assert_eq!(show(&client, "statement_timeout").await, "5s");
    client.batch_execute("SET extra_float_digits = 3; SET application_name = 'bi tool'").await.unwrap();
    assert_eq!(show(&client, "extra_float_digits").await, "3");
    assert_eq!(show(&client, "application_name").await, "bi tool");
    assert_eq!(show(&client, "DateStyle").await, "ISO, MDY");
    assert_eq!(show(&client, "TRANSACTION ISOLATION LEVEL").await, "read committed");
    client.batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE").await.unwrap();
    assert_eq!(show(&client, "default_transaction_isolation").await, "serializable");
    client.batch_execute("SET search_path TO \"$user\", public").await.unwrap();
    assert_eq!(show(&client, "search_path").await, "\"$user\", public");
    client.batch_execute("RESET application_name").await.unwrap();
    assert_eq!(show(&client, "application_name").await, "tester");
    client.batch_execute("SET statement_timeout = 0").await.unwrap();
    client.batch_execute("DISCARD ALL").await.unwrap();
    assert_eq!(show(&client, "statement_timeout").await, "5s");
    assert_eq!(show(&client, "extra_float_digits").await, "1");
    let (rows, tag) = simple(&client, "SHOW ALL").await;
    assert!(rows.len() > 30, "{rows:?}");
    assert_eq!(tag.as_deref(), Some("0"), "PostgreSQL's SHOW tag carries no row count");
}

async fn show_version(client: &Client) -> String {
    let (rows, _) = simple(client, "SELECT version()").await;
    rows[0][0].clone().unwrap()
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn extended_protocol_and_errors() {
    let client = connect("").await;
    // Extended protocol: prepare + execute a SHOW and a SET.
    let row = client.query_one("SHOW server_version", &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "16.6");
    client.execute("SET TimeZone = 'Europe/Berlin'", &[]).await.unwrap();
    assert_eq!(show(&client, "timezone").await, "Europe/Berlin");
    let err = client.batch_execute("SET client_encoding = 'LATIN1'").await.unwrap_err();
    assert_eq!(err.code().unwrap().code(), "0A000");
    let err = client.batch_execute("SET server_version = '1'").await.unwrap_err();
    assert_eq!(err.code().unwrap().code(), "55P02");
    let err = client.batch_execute("SET flinkwire.result_mode = 'sideways'").await.unwrap_err();
    assert_eq!(err.code().unwrap().code(), "22023");
    client.batch_execute("DEALLOCATE ALL").await.unwrap();
    // Flink's own SET still reaches Flink: it changes the Flink session configuration.
    client.batch_execute("SET 'table.local-time-zone' = 'Asia/Tokyo'").await.unwrap();
    let (rows, _) = simple(&client, "SET").await;
    assert!(
        rows.iter().any(|r| r[0].as_deref() == Some("table.local-time-zone") && r[1].as_deref() == Some("Asia/Tokyo")),
        "{rows:?}"
    );
    // Introspection is answered locally; mixing it with Flink tables is refused.
    assert!(show_version(&client).await.starts_with("PostgreSQL 16.6 (flinkwire"));
    let err = client
        .batch_execute("SELECT * FROM some_flink_table t JOIN pg_catalog.pg_class c ON c.relname = t.name")
        .await
        .unwrap_err();
    assert_eq!(err.code().unwrap().code(), "0A000");
    // Savepoints are accepted, and ROLLBACK TO makes a failed block usable again.
    client.batch_execute("BEGIN; SAVEPOINT a").await.unwrap();
    assert!(client.batch_execute("SELECT nope FROM nothing_here").await.is_err());
    client.batch_execute("ROLLBACK TO SAVEPOINT a; RELEASE SAVEPOINT a; COMMIT").await.unwrap();
    // SHOW of Flink objects goes to Flink.
    let (rows, _) = simple(&client, "SHOW CATALOGS").await;
    assert!(rows.iter().any(|r| r[0].as_deref() == Some("default_catalog")));
}
