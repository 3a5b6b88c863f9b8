//! The Arrow Flight SQL front end end to end: arrow-flight's own `FlightSqlServiceClient` →
//! flinkwire's Flight SQL listener (in this process) → the agent → real Flink. Queries and their
//! Arrow types, metadata from the snapshot, `?` parameters, an error's SQLSTATE, basic → bearer
//! auth, and cancellation (dropped stream, CancelFlightInfo) ending the Flink job.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::{Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::sql::{CommandGetDbSchemas, CommandGetTables, CommandStatementQuery, ProstMessageExt};
use arrow_flight::{Action, CancelFlightInfoRequest, FlightDescriptor, FlightInfo};
use arrow_schema::{DataType, IntervalUnit, TimeUnit};
use futures::TryStreamExt;
use prost::Message;
use tonic::transport::Channel;

use super::common::{start_server_with, test_config};
use super::flink_jobs::job_states;

/// A free loopback port for the Flight listener (the server binds it itself).
fn free_port() -> std::net::SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap()
}

/// Starts flinkwire with Flight SQL on; `users` as in `[[users]]` (none = trust).
async fn start(users: Vec<flinkwire::config::UserConfig>) -> std::net::SocketAddr {
    let mut config = test_config();
    let flight = free_port();
    config.flight.listen = Some(flight);
    config.users = users;
    start_server_with(config).await;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(flight).await.is_ok() {
            return flight;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the Flight SQL listener did not come up on {flight}");
}

async fn client(addr: std::net::SocketAddr) -> FlightSqlServiceClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    FlightSqlServiceClient::new(channel)
}

/// Every batch of a FlightInfo's (single) endpoint.
async fn fetch(client: &mut FlightSqlServiceClient<Channel>, info: FlightInfo) -> Vec<RecordBatch> {
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    client.do_get(ticket).await.unwrap().try_collect().await.unwrap()
}

async fn query(client: &mut FlightSqlServiceClient<Channel>, sql: &str) -> Vec<RecordBatch> {
    let info = client.execute(sql.to_owned(), None).await.unwrap();
    fetch(client, info).await
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}_{}_{nanos}", std::process::id())
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn flight_query_returns_arrow_types() {
    let mut client = client(start(vec![]).await).await;
    let batches = query(
        &mut client,
        "SELECT 1 AS n, CAST(12.30 AS DECIMAL(10, 2)) AS d, TO_TIMESTAMP_LTZ(0, 3) AS ltz, \
         INTERVAL '3' DAY AS i, 'x' AS s, TIMESTAMP '2024-01-02 03:04:05' AS ts",
    )
    .await;
    let batch = &batches[0];
    let schema = batch.schema();
    let types: Vec<&DataType> = schema.fields().iter().map(|f| f.data_type()).collect();
    assert_eq!(
        types,
        vec![
            &DataType::Int32,
            &DataType::Decimal128(10, 2),
            &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            &DataType::Interval(IntervalUnit::MonthDayNano),
            &DataType::Utf8,
            &DataType::Timestamp(TimeUnit::Microsecond, None),
        ]
    );
    assert_eq!(batch.column(0).as_any().downcast_ref::<Int32Array>().unwrap().value(0), 1);
    assert_eq!(batch.column(4).as_any().downcast_ref::<StringArray>().unwrap().value(0), "x");

    // A bounded Flink job with many rows arrives as several batches, all of them.
    let rows: usize = query(&mut client, "SELECT * FROM (VALUES (1), (2), (3)) AS t(x) CROSS JOIN UNNEST(ARRAY[1, 2]) AS u(y)")
        .await
        .iter()
        .map(RecordBatch::num_rows)
        .sum();
    assert_eq!(rows, 6);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn flight_metadata_from_the_snapshot() {
    let mut client = client(start(vec![]).await).await;
    let info = client.get_catalogs().await.unwrap();
    let catalogs = fetch(&mut client, info).await;
    let names = catalogs[0].column(0).as_any().downcast_ref::<StringArray>().unwrap();
    assert!((0..names.len()).any(|i| names.value(i) == "default_catalog"), "{names:?}");
    let info = client.get_db_schemas(CommandGetDbSchemas { catalog: Some("default_catalog".into()), db_schema_filter_pattern: None }).await.unwrap();
    let schemas = fetch(&mut client, info).await;
    assert!(schemas[0].num_rows() >= 1);
    let info = client
        .get_tables(CommandGetTables { catalog: None, db_schema_filter_pattern: None, table_name_filter_pattern: None, table_types: vec![], include_schema: true })
        .await
        .unwrap();
    // The test session has no tables of its own; the answer's schema has the table schemas.
    assert_eq!(info.clone().try_decode_schema().unwrap().fields().len(), 5);
    let tables = fetch(&mut client, info).await;
    assert!(tables.iter().all(|b| b.num_columns() == 5));
    let info = client.get_table_types().await.unwrap();
    assert_eq!(fetch(&mut client, info).await[0].num_rows(), 2);
    let info = client.get_sql_info(vec![]).await.unwrap();
    assert!(fetch(&mut client, info).await[0].num_rows() > 5);
    let info = client.get_xdbc_type_info(arrow_flight::sql::CommandGetXdbcTypeInfo { data_type: None }).await.unwrap();
    assert!(fetch(&mut client, info).await[0].num_rows() > 10);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn flight_prepared_statement_binds_arrow_parameters() {
    let mut client = client(start(vec![]).await).await;
    let mut prepared = client.prepare("SELECT ? + 1 AS n, ? AS s".to_owned(), None).await.unwrap();
    let params = RecordBatch::try_from_iter(vec![
        ("a", Arc::new(Int64Array::from(vec![41])) as Arc<dyn Array>),
        ("b", Arc::new(StringArray::from(vec!["it's'; DROP TABLE x --"])) as Arc<dyn Array>),
    ])
    .unwrap();
    prepared.set_parameters(params).unwrap();
    let info = prepared.execute().await.unwrap();
    let batches = fetch(&mut client, info).await;
    let n = batches[0].column(0);
    let n = arrow_cast::cast(n, &DataType::Int64).unwrap();
    assert_eq!(n.as_any().downcast_ref::<Int64Array>().unwrap().value(0), 42);
    assert_eq!(batches[0].column(1).as_any().downcast_ref::<StringArray>().unwrap().value(0), "it's'; DROP TABLE x --");
    prepared.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn flight_errors_carry_the_sqlstate() {
    let mut client = client(start(vec![]).await).await;
    let command = CommandStatementQuery { query: "SELECT * FROM no_such_table_here".into(), transaction_id: None };
    let descriptor = FlightDescriptor::new_cmd(command.as_any().encode_to_vec());
    let status = client.inner_mut().get_flight_info(descriptor).await.unwrap_err();
    let sqlstate = status.metadata().get("x-flinkwire-sqlstate").and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(sqlstate.as_deref(), Some("42P01"), "{status:?}");
    assert!(status.message().contains("no_such_table_here"), "{}", status.message());
    // The session is still usable.
    assert_eq!(query(&mut client, "SELECT 2").await[0].num_rows(), 1);

    // Routing headers: `database` is the Flink catalog, as the PostgreSQL startup database.
    client.set_header("database", "no_such_catalog");
    let err = client.execute("SELECT 1".into(), None).await.unwrap_err();
    assert!(err.to_string().contains("3D000"), "{err}");
    client.set_header("database", "default_catalog");
    assert_eq!(query(&mut client, "SELECT 3").await[0].num_rows(), 1);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn flight_basic_auth_gives_a_bearer_token() {
    let users: Vec<flinkwire::config::UserConfig> =
        serde_json::from_value(serde_json::json!([{"name": "alice", "password": "secret"}])).unwrap();
    let addr = start(users).await;
    let mut anonymous = client(addr).await;
    let err = anonymous.execute("SELECT 1".into(), None).await.unwrap_err();
    assert!(err.to_string().contains("28000"), "{err}");
    let mut wrong = client(addr).await;
    let err = wrong.handshake("alice", "nope").await.unwrap_err();
    assert!(err.to_string().contains("28P01"), "{err}");
    let mut alice = client(addr).await;
    alice.handshake("alice", "secret").await.unwrap();
    assert!(alice.token().is_some());
    assert_eq!(query(&mut alice, "SELECT 1").await[0].num_rows(), 1);
}

/// Waits until every job reading `table` stopped; all must be CANCELED.
async fn assert_cancelled(table: &str) {
    let start = Instant::now();
    loop {
        let states = job_states(table).await;
        if !states.is_empty() && states.iter().all(|s| matches!(s.as_str(), "CANCELED" | "FINISHED" | "FAILED")) {
            assert!(states.iter().all(|s| s == "CANCELED"), "{states:?}");
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "jobs on {table} still alive: {states:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn flight_cancel_ends_the_flink_job() {
    let mut client = client(start(vec![]).await).await;
    client.execute_update("SET 'execution.runtime-mode' = 'streaming'".into(), None).await.unwrap();
    let table = unique("fw_flight_endless");
    client
        .execute_update(
            format!(
                "CREATE TEMPORARY TABLE {table} (id BIGINT, label STRING) WITH ('connector' = 'datagen', \
                 'rows-per-second' = '50', 'fields.label.length' = '4')"
            ),
            None,
        )
        .await
        .unwrap();

    // Read part of an unbounded result, then drop the stream.
    let info = client.execute(format!("SELECT id FROM {table}"), None).await.unwrap();
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    let mut stream = client.do_get(ticket).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(60), stream.try_next()).await.unwrap().unwrap();
    assert!(first.is_some_and(|b| b.num_rows() > 0));
    drop(stream);
    assert_cancelled(&table).await;

    // CancelFlightInfo before any DoGet.
    let other = unique("fw_flight_cancelled");
    client
        .execute_update(format!("CREATE TEMPORARY TABLE {other} (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '5')"), None)
        .await
        .unwrap();
    let info = client.execute(format!("SELECT id FROM {other}"), None).await.unwrap();
    let body = CancelFlightInfoRequest { info: Some(info) }.encode_to_vec();
    let results: Vec<_> = client.do_action(Action { r#type: "CancelFlightInfo".into(), body: body.into() }).await.unwrap().try_collect().await.unwrap();
    let result = arrow_flight::CancelFlightInfoResult::decode(&*results[0].body).unwrap();
    assert_eq!(result.status, arrow_flight::CancelStatus::Cancelled as i32);
    // The job may not have been named yet when it was cancelled; give Flink a moment.
    tokio::time::sleep(Duration::from_secs(2)).await;
    if !job_states(&other).await.is_empty() {
        assert_cancelled(&other).await;
    }
}
