//! End to end: tokio-postgres → flinkwire (in this process) → SQL Gateway (the agent) → a real
//! Flink session cluster. `scripts/test.sh` starts Flink and the agent and sets
//! `FLINKWIRE_TEST_GATEWAY`; these tests are ignored in a plain `cargo test`.

mod common;
#[path = "common/flink_jobs.rs"]
mod flink_jobs;
#[path = "e2e/flight_sql.rs"]
mod flight_sql;
#[path = "e2e/input_limits.rs"]
mod input_limits;
#[path = "e2e/local_answers.rs"]
mod local_answers;
#[path = "e2e/policy.rs"]
mod policy;
#[path = "e2e/result_cache.rs"]
mod result_cache;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use common::{connect, start_server_with, test_config};
use flinkwire::config::UserConfig;
use rust_decimal::Decimal;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

/// The text values of the first row of a simple query.
async fn simple_row(client: &Client, sql: &str) -> Vec<Option<String>> {
    for message in client.simple_query(sql).await.unwrap() {
        if let SimpleQueryMessage::Row(row) = message {
            return (0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect();
        }
    }
    panic!("no row from {sql}");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn select_one() {
    let client = connect().await;
    assert_eq!(simple_row(&client, "SELECT 1").await, vec![Some("1".to_owned())]);
    let row = client.query_one("SELECT 1 AS n", &[]).await.unwrap();
    assert_eq!(row.columns()[0].name(), "n");
    assert_eq!(row.columns()[0].type_(), &Type::INT4);
    assert_eq!(row.get::<_, i32>(0), 1);
}

const EVERY_TYPE: &str = "SELECT TRUE AS b, CAST(1 AS TINYINT) AS ti, CAST(2 AS SMALLINT) AS si, 3 AS i, \
     CAST(4 AS BIGINT) AS bi, CAST(1.5 AS FLOAT) AS f, CAST(2.25 AS DOUBLE) AS d, \
     CAST(12.30 AS DECIMAL(10, 2)) AS dc, CAST('ab' AS CHAR(3)) AS c, CAST('xyz' AS VARCHAR(5)) AS vc, \
     CAST('str' AS STRING) AS s, X'0102' AS bin, DATE '2024-01-02' AS dt, TIME '12:34:56' AS tm, \
     TIMESTAMP '2024-01-02 03:04:05.123' AS ts, TO_TIMESTAMP_LTZ(0, 3) AS ltz, \
     INTERVAL '2' YEAR AS iym, INTERVAL '3' DAY AS idt, ARRAY[1, 2, 3] AS arr, \
     MAP['k', 1] AS m, ROW(1, 'x') AS r, CAST(NULL AS STRING) AS n";

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn every_type_in_text() {
    let client = connect().await;
    let row = simple_row(&client, EVERY_TYPE).await;
    let text: Vec<Option<&str>> = row.iter().map(Option::as_deref).collect();
    assert_eq!(
        text,
        vec![
            Some("t"),
            Some("1"),
            Some("2"),
            Some("3"),
            Some("4"),
            Some("1.5"),
            Some("2.25"),
            Some("12.30"),
            Some("ab "),
            Some("xyz"),
            Some("str"),
            Some("\\x0102"),
            Some("2024-01-02"),
            Some("12:34:56"),
            Some("2024-01-02 03:04:05.123"),
            Some("1970-01-01 00:00:00+00"),
            Some("2 years"),
            Some("3 days"),
            Some("{1,2,3}"),
            Some("{\"k\":1}"),
            Some("{\"EXPR$0\":1,\"EXPR$1\":\"x\"}"),
            None,
        ]
    );
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn every_type_in_binary() {
    let client = connect().await;
    let row = client.query_one(EVERY_TYPE, &[]).await.unwrap();
    let types: Vec<&Type> = row.columns().iter().map(|c| c.type_()).collect();
    assert_eq!(
        types,
        vec![
            &Type::BOOL, &Type::INT2, &Type::INT2, &Type::INT4, &Type::INT8, &Type::FLOAT4,
            &Type::FLOAT8, &Type::NUMERIC, &Type::BPCHAR, &Type::VARCHAR, &Type::TEXT, &Type::BYTEA,
            &Type::DATE, &Type::TIME, &Type::TIMESTAMP, &Type::TIMESTAMPTZ, &Type::INTERVAL,
            &Type::INTERVAL, &Type::INT4_ARRAY, &Type::JSON, &Type::JSON, &Type::TEXT,
        ]
    );
    assert!(row.get::<_, bool>("b"));
    assert_eq!(row.get::<_, i16>("ti"), 1);
    assert_eq!(row.get::<_, i16>("si"), 2);
    assert_eq!(row.get::<_, i32>("i"), 3);
    assert_eq!(row.get::<_, i64>("bi"), 4);
    assert_eq!(row.get::<_, f32>("f"), 1.5);
    assert_eq!(row.get::<_, f64>("d"), 2.25);
    assert_eq!(row.get::<_, Decimal>("dc"), Decimal::new(1230, 2));
    assert_eq!(row.get::<_, String>("c"), "ab ");
    assert_eq!(row.get::<_, String>("vc"), "xyz");
    assert_eq!(row.get::<_, String>("s"), "str");
    assert_eq!(row.get::<_, Vec<u8>>("bin"), vec![1, 2]);
    assert_eq!(row.get::<_, NaiveDate>("dt"), NaiveDate::from_ymd_opt(2024, 1, 2).unwrap());
    assert_eq!(row.get::<_, NaiveTime>("tm"), NaiveTime::from_hms_opt(12, 34, 56).unwrap());
    assert_eq!(
        row.get::<_, NaiveDateTime>("ts"),
        NaiveDate::from_ymd_opt(2024, 1, 2).unwrap().and_hms_milli_opt(3, 4, 5, 123).unwrap()
    );
    assert_eq!(row.get::<_, chrono::DateTime<chrono::Utc>>("ltz").timestamp(), 0);
    assert_eq!(row.get::<_, Vec<i32>>("arr"), vec![1, 2, 3]);
    assert_eq!(row.get::<_, serde_json::Value>("m"), serde_json::json!({"k": 1}));
    assert_eq!(row.get::<_, Option<String>>("n"), None);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn count_over_bounded_datagen() {
    let client = connect().await;
    client
        .batch_execute(
            "CREATE TEMPORARY TABLE gen (id BIGINT, name STRING) WITH ('connector' = 'datagen', \
             'number-of-rows' = '100000', 'rows-per-second' = '1000000', \
             'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '100000')",
        )
        .await
        .unwrap();
    let row = client.query_one("SELECT COUNT(*) AS c, MAX(id) AS m FROM gen", &[]).await.unwrap();
    assert_eq!(row.get::<_, i64>("c"), 100_000);
    assert_eq!(row.get::<_, i64>("m"), 100_000);
    // Many pages, streamed.
    let rows = client.query("SELECT id FROM gen WHERE id <= 5000", &[]).await.unwrap();
    assert_eq!(rows.len(), 5000);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn errors_have_sqlstates_and_keep_the_connection() {
    let client = connect().await;
    let err = client.simple_query("SELEC 1 FRM nowhere").await.unwrap_err();
    let db = err.as_db_error().expect("a server error");
    assert_eq!(db.code(), &SqlState::SYNTAX_ERROR, "{db:?}");
    assert!(!db.message().contains("Exception on server side"), "{}", db.message());

    let err = client.query("SELECT * FROM no_such_table", &[]).await.unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::UNDEFINED_TABLE), "{err:?}");

    assert_eq!(simple_row(&client, "SELECT 'alive'").await, vec![Some("alive".to_owned())]);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn ddl_and_insert_into_blackhole_returns_job_id() {
    let client = connect().await;
    let messages = client
        .simple_query("CREATE TEMPORARY TABLE sink (id INT) WITH ('connector' = 'blackhole')")
        .await
        .unwrap();
    assert!(matches!(messages.last(), Some(SimpleQueryMessage::CommandComplete(0))));
    let rows = client.query("INSERT INTO sink VALUES (1), (2)", &[]).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].columns()[0].name(), "job id");
    let job: String = rows[0].get(0);
    assert_eq!(job.len(), 32, "a Flink job id: {job}");
    assert!(job.chars().all(|c| c.is_ascii_hexdigit()));
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn prepared_statement_with_parameters() {
    let client = connect().await;
    let stmt = client
        .prepare_typed("SELECT CAST($1 AS INT) + 1 AS n, $2 AS s, $3 AS d", &[Type::INT4, Type::TEXT, Type::DATE])
        .await
        .unwrap();
    assert_eq!(stmt.params(), &[Type::INT4, Type::TEXT, Type::DATE]);
    assert_eq!(stmt.columns()[0].type_(), &Type::INT4);
    let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    for (n, s) in [(41, "it's"), (1, "'; DROP TABLE x; --")] {
        let row = client.query_one(&stmt, &[&n, &s, &date]).await.unwrap();
        assert_eq!(row.get::<_, i32>("n"), n + 1);
        assert_eq!(row.get::<_, String>("s"), s);
        assert_eq!(row.get::<_, NaiveDate>("d"), date);
    }
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn portal_suspends_and_resumes_on_one_result() {
    let mut client = connect().await;
    let tx = client.transaction().await.unwrap();
    let stmt = tx.prepare("SELECT * FROM (VALUES (1), (2), (3), (4), (5)) AS t(x)").await.unwrap();
    let portal = tx.bind(&stmt, &[]).await.unwrap();
    let first = tx.query_portal(&portal, 2).await.unwrap();
    let rest = tx.query_portal(&portal, 10).await.unwrap();
    let got: Vec<i32> = first.iter().chain(rest.iter()).map(|r| r.get(0)).collect();
    assert_eq!(got, vec![1, 2, 3, 4, 5]);
    tx.commit().await.unwrap();
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn password_authentication() {
    let mut config = test_config();
    config.users.push(UserConfig { name: "alice".into(), password: Some("s3cret".into()), ..Default::default() });
    let addr = start_server_with(config).await;
    let dsn = |password: &str| {
        format!("host={} port={} user=alice password={password} dbname=default_catalog", addr.ip(), addr.port())
    };
    let err = tokio_postgres::connect(&dsn("wrong"), NoTls).await.err().expect("wrong password rejected");
    assert_eq!(err.code(), Some(&SqlState::INVALID_PASSWORD), "{err:?}");
    let (client, connection) = tokio_postgres::connect(&dsn("s3cret"), NoTls).await.unwrap();
    tokio::spawn(connection);
    assert_eq!(simple_row(&client, "SELECT 1").await, vec![Some("1".to_owned())]);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn init_sql_preloads_tables_and_unreachable_gateway_is_08001() {
    let mut config = test_config();
    config.session.init_sql.push("CREATE TEMPORARY VIEW preloaded AS SELECT 42 AS answer".into());
    let addr = start_server_with(config).await;
    let (client, connection) = tokio_postgres::connect(
        &format!("host={} port={} user=test", addr.ip(), addr.port()),
        NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    assert_eq!(simple_row(&client, "SELECT answer FROM preloaded").await, vec![Some("42".to_owned())]);

    // A gateway that is down: the server runs, the connection fails with 08001.
    let mut config = test_config();
    config.gateway.url = "http://127.0.0.1:9".into();
    let addr = start_server_with(config).await;
    let err = tokio_postgres::connect(&format!("host={} port={} user=test", addr.ip(), addr.port()), NoTls)
        .await
        .err()
        .expect("no gateway, no connection");
    assert_eq!(err.code(), Some(&SqlState::SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION), "{err:?}");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn untyped_parameters_take_their_type_from_the_context() {
    let client = connect().await;
    // node-postgres style: no parameter types, text values. As a string the value would be
    // refused by Flink (INTEGER = CHAR); like PostgreSQL, the comparison makes it a number.
    let stmt = client
        .prepare_typed("SELECT COUNT(*) AS c FROM (VALUES (1), (2), (3)) AS t(x) WHERE x >= $1", &[Type::UNKNOWN])
        .await
        .unwrap();
    let row = client.query_one(&stmt, &[&"2"]).await.unwrap();
    assert_eq!(row.get::<_, i64>("c"), 2);
    // In a string context the value stays a string, quotes and all.
    let stmt = client.prepare_typed("SELECT CONCAT('<', $1, '>') AS s", &[Type::UNKNOWN]).await.unwrap();
    let row = client.query_one(&stmt, &[&"0'7"]).await.unwrap();
    assert_eq!(row.get::<_, String>("s"), "<0'7>");
}
