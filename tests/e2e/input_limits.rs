//! Bad input is contained: oversized messages, garbage, invalid UTF-8, slow logins and floods of
//! Parse messages, spoken in raw protocol bytes. Only SHOW and catalog statements run, but a
//! connection needs the metadata snapshot (so the test gateway) to log in.

use std::time::{Duration, Instant};

use flinkwire::config::Config;

use super::common::raw_client::{message, parse, query, startup_packet, RawClient, Reply};
use super::common::{start_server_with, test_config};

fn config(adjust: impl FnOnce(&mut Config)) -> Config {
    let mut config = test_config();
    config.pool.size = 1;
    adjust(&mut config);
    config
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn a_message_claiming_a_gibibyte_is_refused_at_its_header() {
    let addr = start_server_with(config(|c| c.limits.max_message_bytes = 1 << 20)).await;
    let mut client = RawClient::logged_in(addr).await;
    // A Query header that claims 1 GiB, and none of the body.
    client.send(&[b'Q', 0x40, 0, 0, 0]).await;
    let reply = client.next().await.expect("an ErrorResponse before the close");
    assert_eq!(reply.sqlstate().as_deref(), Some("54000"));
    assert_eq!(reply.field(b'S').as_deref(), Some("FATAL"));
    assert!(reply.field(b'M').unwrap().contains("limit of 1048576 bytes"), "{:?}", reply.field(b'M'));
    assert!(client.closed().await);

    // A message just under the limit is fine; the server still serves.
    let mut client = RawClient::logged_in(addr).await;
    let long = format!("SHOW server_version /* {} */", "x".repeat((1 << 20) - 100));
    client.send(&query(long.as_bytes())).await;
    let replies = client.until_ready().await;
    assert!(replies.iter().all(|r| r.kind != b'E'), "{:?}", replies.iter().find_map(Reply::sqlstate));
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn a_startup_packet_claiming_a_gibibyte_and_garbage_end_the_connection() {
    let addr = start_server_with(config(|_| {})).await;
    let mut client = RawClient::connect(addr).await;
    client.send(&[0x40, 0, 0, 0, 0, 3, 0, 0]).await;
    assert!(client.closed().await);

    let mut client = RawClient::connect(addr).await;
    client.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    assert!(client.closed().await);

    let mut client = RawClient::connect(addr).await;
    client.send(&[0, 0, 0, 9, 1, 2, 3, 4, 5]).await;
    assert!(client.closed().await);

    RawClient::logged_in(addr).await.still_usable().await;
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn invalid_utf8_in_a_query_is_22021_and_the_connection_stays_usable() {
    let addr = start_server_with(config(|_| {})).await;
    let mut client = RawClient::logged_in(addr).await;
    client.send(&query(b"SELECT 'caf\xe9'")).await;
    let replies = client.until_ready().await;
    assert_eq!(replies[0].sqlstate().as_deref(), Some("22021"));
    client.still_usable().await;

    // The extended protocol: the error, then everything up to Sync is skipped.
    client.send(&[parse("", b"SELECT '\xff\xfe'"), message(b'B', b"\0\0\0\0\0\0\0\0"), message(b'S', b"")].concat()).await;
    let replies = client.until_ready().await;
    assert_eq!(replies.iter().map(|r| r.kind).collect::<Vec<_>>(), vec![b'E', b'Z']);
    assert_eq!(replies[0].sqlstate().as_deref(), Some("22021"));
    client.still_usable().await;

    // Valid multi-byte text is not touched.
    client.send(&query("SHOW server_version /* 日本語 é */".as_bytes())).await;
    assert!(client.until_ready().await.iter().all(|r| r.kind != b'E'));
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn a_client_that_does_not_log_in_is_closed_after_the_login_timeout() {
    let addr = start_server_with(config(|c| c.limits.login_timeout_secs = 1)).await;
    let started = Instant::now();
    let mut silent = RawClient::connect(addr).await;
    let mut halfway = RawClient::connect(addr).await;
    halfway.send(&startup_packet()[..6]).await;
    assert!(silent.closed().await);
    assert!(halfway.closed().await);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(5), "closed after {waited:?}");

    // A client that logs in keeps its connection past the timeout.
    let mut client = RawClient::logged_in(addr).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    client.still_usable().await;
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn thousands_of_parse_messages_without_sync_are_answered_and_named_ones_are_capped() {
    let addr = start_server_with(config(|c| c.limits.max_prepared_statements = 100)).await;
    let mut client = RawClient::logged_in(addr).await;
    // 5 000 unnamed statements, each replacing the last, then one Sync.
    let flood: Vec<u8> = (0..5000).flat_map(|_| parse("", b"SHOW server_version")).collect();
    client.send(&[flood, message(b'S', b"")].concat()).await;
    let replies = client.until_ready().await;
    assert_eq!(replies.iter().filter(|r| r.kind == b'1').count(), 5000);
    assert_eq!(replies.len(), 5001);

    // Named statements: 100 fit, the 101st fails with 54000 and the rest is skipped to Sync.
    let named: Vec<u8> = (0..150).flat_map(|i| parse(&format!("s{i}"), b"SHOW server_version")).collect();
    client.send(&[named, message(b'S', b"")].concat()).await;
    let replies = client.until_ready().await;
    assert_eq!(replies.iter().filter(|r| r.kind == b'1').count(), 100);
    let error = replies.iter().find(|r| r.kind == b'E').expect("an error for the 101st");
    assert_eq!(error.sqlstate().as_deref(), Some("54000"));

    // Re-parsing a held name is fine; after DEALLOCATE there is room again.
    client.send(&[parse("s5", b"SHOW server_version"), message(b'S', b"")].concat()).await;
    assert!(client.until_ready().await.iter().all(|r| r.kind != b'E'));
    client.send(&query(b"DEALLOCATE s7")).await;
    assert!(client.until_ready().await.iter().all(|r| r.kind != b'E'));
    client.send(&[parse("fresh", b"SHOW server_version"), message(b'S', b"")].concat()).await;
    assert!(client.until_ready().await.iter().all(|r| r.kind != b'E'));
    client.still_usable().await;
}


#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn deeply_nested_calls_are_refused_before_any_parser_sees_them() {
    let addr = start_server_with(config(|_| {})).await;
    let mut client = RawClient::logged_in(addr).await;
    // sqlparser 0.62 would parse these for hours (exponential in the depth): refused at once,
    // wherever they go (a catalog query, a Flink query, a SET, the extended protocol).
    let depth = flinkwire::router::MAX_CALL_NESTING + 1;
    let calls = format!("{}1{}", "lower(".repeat(depth), ")".repeat(depth));
    for sql in [
        format!("SELECT {calls} FROM pg_catalog.pg_class"),
        format!("SELECT {calls} FROM orders"),
        format!("SELECT E'\\'', {calls} --'"),
    ] {
        let started = Instant::now();
        client.send(&query(sql.as_bytes())).await;
        let replies = client.until_ready().await;
        assert_eq!(replies[0].sqlstate().as_deref(), Some("54001"), "{sql}");
        assert!(started.elapsed() < Duration::from_secs(2), "{sql}: {:?}", started.elapsed());
        client.still_usable().await;
    }
    let started = Instant::now();
    // Parse only classifies; Describe plans the query (flinkwire runs it for its columns).
    client.send(&[parse("", format!("SELECT {calls}").as_bytes()), message(b'D', b"S\0"), message(b'S', b"")].concat()).await;
    let replies = client.until_ready().await;
    assert_eq!(replies.iter().find_map(Reply::sqlstate).as_deref(), Some("54001"), "{:?}", replies.iter().map(|r| r.kind as char).collect::<String>());
    assert!(started.elapsed() < Duration::from_secs(2));
    client.still_usable().await;
    // `SET x = …` goes to Flink untouched by flinkwire's parser, which refuses it there or here;
    // either way the answer comes at once.
    let started = Instant::now();
    client.send(&query(format!("SET application_name = {calls}").as_bytes())).await;
    client.until_ready().await;
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    client.still_usable().await;
}
