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
