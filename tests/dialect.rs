//! PostgreSQL-dialect SQL, as BI tools write it, run against real Flink through flinkwire: each
//! query needs a rewrite of `flinkwire::dialect` and must answer what PostgreSQL answers.
//! `FLINKWIRE_TEST_GATEWAY=http://127.0.0.1:48083 cargo test --test dialect -- --include-ignored`.

mod common;

use common::connect;
use tokio_postgres::{Client, SimpleQueryMessage};

/// Every row of a simple query as text values joined by `|`.
async fn rows(client: &Client, sql: &str) -> Vec<String> {
    let messages = client.simple_query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => {
                Some((0..row.len()).map(|i| row.get(i).unwrap_or("NULL").to_owned()).collect::<Vec<_>>().join("|"))
            }
            _ => None,
        })
        .collect()
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn postgres_dialect_runs_on_flink() {
    let client = connect().await;
    let cases: &[(&str, &[&str])] = &[
        (r#"SELECT "x" AS "X" FROM (VALUES (1), (2)) AS "t"("x") ORDER BY "x" LIMIT ALL"#, &["1", "2"]),
        ("SELECT '42'::int4 + 1, '7'::int8, 1.5::float8, 12::text, 'ab'::varchar(5), 1.25::numeric(10,2), 't'::bool", &["43|7|1.5|12|ab|1.25|t"]),
        ("SELECT 'aBc' ILIKE '%B%', 'aBc' NOT ILIKE 'x%'", &["t|t"]),
        (
            "SELECT date_trunc('week', TIMESTAMP '2024-01-03 05:06:07'), date_trunc('week', TIMESTAMP '2024-01-07 05:06:07'), \
             date_trunc('month', TIMESTAMP '2024-01-03 05:06:07'), date_trunc('hour', TIMESTAMP '2024-01-03 05:06:07')",
            &["2024-01-01 00:00:00|2024-01-01 00:00:00|2024-01-01 00:00:00|2024-01-03 05:00:00"],
        ),
        ("SELECT EXTRACT(dow FROM DATE '2024-01-07'), EXTRACT(isodow FROM DATE '2024-01-07'), date_part('year', DATE '2024-01-07')", &["0|7|2024"]),
        ("SELECT x FROM (VALUES (1), (2), (3)) AS t(x) ORDER BY x LIMIT 5 OFFSET 1 ROWS", &["2", "3"]),
        ("SELECT length('abc'), strpos('abc', 'c'), split_part('a,b,c', ',', 2), log(100.0), trunc(1.57, 1)", &["3|3|b|2|1.5"]),
        ("SELECT string_agg(s, ',') FROM (VALUES ('a'), ('b')) AS t(s)", &["a,b"]),
        ("SELECT COUNT(*) FILTER (WHERE x > 1) FROM (VALUES (1), (2), (3)) AS t(x)", &["2"]),
        ("SELECT now() IS NOT NULL, current_date IS NOT NULL", &["t|t"]),
    ];
    for (sql, expected) in cases {
        assert_eq!(rows(&client, sql).await, *expected, "{sql}");
    }
    // Extended protocol: the placeholder is inlined, then the cast rewritten.
    let row = client.query_one("SELECT $1::int4 + 1 AS \"n\"", &[&"41"]).await.unwrap();
    assert_eq!(row.columns()[0].name(), "n");
    assert_eq!(row.get::<_, i32>(0), 42);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn native_flink_sql_is_untouched() {
    let client = connect().await;
    client
        .batch_execute(
            "CREATE TEMPORARY TABLE dialect_src (id INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) \
             WITH ('connector' = 'datagen', 'number-of-rows' = '5', 'fields.id.kind' = 'sequence', \
             'fields.id.start' = '1', 'fields.id.end' = '5')",
        )
        .await
        .unwrap();
    assert_eq!(rows(&client, "SELECT `id` FROM dialect_src /*+ OPTIONS('rows-per-second'='100') */ ORDER BY `id` LIMIT 2").await, ["1", "2"]);
    let windows = rows(
        &client,
        "SELECT COUNT(*) FROM TABLE(TUMBLE(TABLE dialect_src, DESCRIPTOR(ts), INTERVAL '10' DAYS)) GROUP BY window_start, window_end",
    )
    .await;
    assert!(!windows.is_empty());
    client.batch_execute("SET 'table.exec.resource.default-parallelism' = '1'").await.unwrap();
}

/// The column names of a query's RowDescription.
async fn column_names(client: &Client, sql: &str) -> Vec<String> {
    let statement = client.prepare(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    statement.columns().iter().map(|c| c.name().to_owned()).collect()
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn limits_take_postgres_forms() {
    let client = connect().await;
    let values = "(VALUES (1), (2), (3), (4), (5)) AS t(x)";
    let cases: Vec<(String, Vec<&str>)> = vec![
        (format!("SELECT x FROM {values} LIMIT CAST(2 AS INTEGER)"), vec!["1", "2"]),
        (format!("SELECT x FROM {values} LIMIT '2'::int OFFSET 1::bigint"), vec!["2", "3"]),
        (format!("SELECT x FROM {values} LIMIT NULL"), vec!["1", "2", "3", "4", "5"]),
        // Flink 2.3.0 answers these with no rows at all (32-bit overflow).
        (format!("SELECT x FROM {values} LIMIT 1099511627776"), vec!["1", "2", "3", "4", "5"]),
        (format!("SELECT x FROM {values} LIMIT 2147483647 OFFSET 3"), vec!["4", "5"]),
    ];
    for (sql, expected) in &cases {
        assert_eq!(rows(&client, sql).await, *expected, "{sql}");
    }
    // SQLAlchemy + psycopg 3 renders `.limit(2)` as `LIMIT %(param_1)s::INTEGER`.
    // Typed as psycopg 3 sends Python ints, and untyped (text), as most drivers do.
    let sql = format!("SELECT x FROM {values} LIMIT $1::INTEGER OFFSET $2::INTEGER");
    let typed = client.prepare_typed(&sql, &[tokio_postgres::types::Type::INT2, tokio_postgres::types::Type::INT8]).await.unwrap();
    let got = client.query(&typed, &[&2i16, &1i64]).await.unwrap();
    assert_eq!(got.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>(), [2, 3]);
    let got = client.query(&sql, &[&"2", &"1"]).await.unwrap();
    assert_eq!(got.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>(), [2, 3]);
    for (sql, code) in [
        (format!("SELECT x FROM {values} LIMIT -1"), "2201W"),
        (format!("SELECT x FROM {values} LIMIT 1 OFFSET -1"), "2201X"),
        (format!("SELECT x FROM {values} LIMIT 1 OFFSET 2147483648"), "22003"),
    ] {
        let err = client.simple_query(&sql).await.expect_err(&sql);
        assert_eq!(err.code().map(|c| c.code()), Some(code), "{sql}: {err}");
    }
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn unnamed_columns_get_postgres_names() {
    let client = connect().await;
    let values = "(VALUES ('a', 1, 2), ('b', 3, 4)) AS t(customer, a, b)";
    assert_eq!(
        column_names(&client, &format!("SELECT customer, SUM(a), COUNT(*), a + b, MAX(b) AS biggest, CAST(a AS BIGINT) FROM {values} GROUP BY customer, a, b")).await,
        ["customer", "sum", "count", "?column?", "biggest", "a"]
    );
    // Native Flink SQL (backticks) keeps Flink's names, generated or chosen.
    let messages = client.simple_query(&format!("SELECT SUM(`a`), `b` AS `mine` FROM {values} GROUP BY `b`")).await.unwrap();
    let names: Vec<String> = messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::RowDescription(cols) => Some(cols.iter().map(|c| c.name().to_owned()).collect()),
            _ => None,
        })
        .unwrap_or_default();
    assert_eq!(names, ["EXPR$0", "mine"], "native Flink SQL keeps Flink's names");
    assert_eq!(column_names(&client, &format!("SELECT coalesce(a, 0), 1 FROM {values}")).await, ["coalesce", "?column?"]);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn dashboard_time_queries_answer_as_postgres() {
    let client = connect().await;
    let dates = "(VALUES (DATE '2024-01-03'), (DATE '2024-01-04'), (DATE '2024-01-05'), (DATE '2024-01-06')) AS t(d)";
    let stamps = "(VALUES (TIMESTAMP '2024-01-04 10:17:47.123456'), (TIMESTAMP '2024-01-04 10:03:00'), (TIMESTAMP '2024-01-05 23:59:59')) AS t(ts)";
    let cases: Vec<(String, Vec<&str>)> = vec![
        // Superset's time-range filters (Flink alone answers 0 rows and NULL).
        (format!("SELECT COUNT(*) AS count FROM {dates} WHERE d >= TO_DATE('2024-01-04', 'YYYY-MM-DD') AND d < TO_DATE('2024-01-06', 'YYYY-MM-DD')"), vec!["2"]),
        (format!("SELECT COUNT(*) AS count FROM {stamps} WHERE ts >= TO_TIMESTAMP('2024-01-04 10:17:47.123456', 'YYYY-MM-DD HH24:MI:SS.US')"), vec!["2"]),
        ("SELECT TO_DATE('2024-01-04', 'YYYY-MM-DD'), TO_TIMESTAMP('2000-01-01 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US') IS NOT NULL".into(), vec!["2024-01-04|t"]),
        // Superset's 5-minute and 30-second grains.
        (
            format!("SELECT DATE_TRUNC('HOUR', ts) + INTERVAL '5 minutes' * FLOOR(EXTRACT(MINUTE FROM ts) / 5) AS bucket FROM {stamps} ORDER BY bucket"),
            vec!["2024-01-04 10:00:00", "2024-01-04 10:15:00", "2024-01-05 23:55:00"],
        ),
        (
            format!("SELECT DATE_TRUNC('minute', ts) + INTERVAL '30 seconds' * FLOOR(EXTRACT(SECOND FROM ts) / 30) AS bucket FROM {stamps} ORDER BY bucket"),
            vec!["2024-01-04 10:03:00", "2024-01-04 10:17:30", "2024-01-05 23:59:30"],
        ),
        // Interval literals and arithmetic.
        (
            "SELECT TIMESTAMP '2024-01-31 10:00:00' + INTERVAL '1 mon', TIMESTAMP '2024-01-04 10:00:00' - '1 day 2 hours'::interval, TIMESTAMP '2024-01-04 10:00:00' + INTERVAL '90 seconds'".into(),
            vec!["2024-02-29 10:00:00|2024-01-03 08:00:00|2024-01-04 10:01:30"],
        ),
        // to_char.
        (
            format!("SELECT to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US'), to_char(ts, 'Dy, DD Mon YYYY HH12:MI AM'), to_char(ts, 'FMMonth FMDD \"Q\"Q') FROM {stamps} ORDER BY ts LIMIT 1"),
            vec!["2024-01-04 10:03:00.000000|Thu, 04 Jan 2024 10:03 AM|January 4 Q1"],
        ),
        ("SELECT to_timestamp(1704067200)".into(), vec!["2024-01-01 00:00:00+00"]),
        // Names Flink reserves, as Superset's default metric and BI aliases use them.
        (format!("SELECT d AS value, COUNT(*) AS count FROM {dates} GROUP BY d ORDER BY count DESC, value LIMIT 1"), vec!["2024-01-03|1"]),
        // Grafana's $__timeFilter.
        (format!("SELECT COUNT(*) FROM {stamps} WHERE ts BETWEEN '2024-01-04T10:00:00Z' AND '2024-01-04T23:00:00Z'"), vec!["2"]),
    ];
    for (sql, expected) in &cases {
        assert_eq!(rows(&client, sql).await, *expected, "{sql}");
    }
    for (sql, code) in [
        ("SELECT TO_DATE('2024-02-30', 'YYYY-MM-DD')", "22008"),
        ("SELECT to_char(TIMESTAMP '2024-01-04 10:00:00', 'Month')", "0A000"),
        ("SELECT TIMESTAMP '2024-01-04 10:00:00' + INTERVAL '1 mon 2 days'", "0A000"),
    ] {
        let err = client.simple_query(sql).await.expect_err(sql);
        assert_eq!(err.code().map(|c| c.code()), Some(code), "{sql}: {err:?}");
    }
}
