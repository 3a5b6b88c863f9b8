//! A TaskManager killed in the middle of a streaming query: the client gets Flink's reason, not a
//! hang, and no job is left. Kills the test cluster's only TaskManager (its supervisor restarts
//! it), so `scripts/test.sh` runs this alone, after every other Flink test; it needs
//! `FLINKWIRE_TEST_TM_PIDFILE` (the TaskManager JVM's pid file).

use std::time::{Duration, Instant};

use futures::StreamExt;

use super::{connect, endless, first_error, job_states, unique, wait_jobs_stopped};

/// Free task slots the JobManager reports.
async fn free_slots() -> u64 {
    let rest = std::env::var("FLINKWIRE_TEST_FLINK_REST").expect("FLINKWIRE_TEST_FLINK_REST is not set");
    let Ok(response) = reqwest::get(format!("{rest}/overview")).await else { return 0 };
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap_or_default()).unwrap_or_default();
    body["slots-available"].as_u64().unwrap_or(0)
}

#[tokio::test]
#[ignore = "kills the TaskManager: scripts/test.sh runs it alone"]
async fn a_taskmanager_killed_mid_query_gives_the_client_flinks_reason() {
    let pidfile = std::env::var("FLINKWIRE_TEST_TM_PIDFILE").expect("FLINKWIRE_TEST_TM_PIDFILE is not set");
    let (client, _) = connect(true).await;
    let table = unique("fw_tm");
    endless(&client, &table, 50).await;
    let stream = client.query_raw(&format!("SELECT id FROM {table}"), Vec::<String>::new()).await.unwrap();
    futures::pin_mut!(stream);
    for _ in 0..5 {
        stream.next().await.unwrap().unwrap();
    }

    let pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_owned();
    let killed = std::process::Command::new("kill").args(["-KILL", &pid]).status().unwrap();
    assert!(killed.success(), "kill -KILL {pid}");
    let killed_at = Instant::now();
    let err = first_error(stream, Duration::from_secs(120), "the TaskManager was killed").await;
    let took = killed_at.elapsed();
    let db = err.as_db_error().unwrap_or_else(|| panic!("not a server error: {err}"));
    eprintln!(
        "TaskManager killed: {} {} (detail: {:?}) after {took:?}",
        db.code().code(),
        db.message(),
        db.detail()
    );
    let text = format!("{} {}", db.message(), db.detail().unwrap_or_default());
    assert!(
        ["TaskManager", "TaskExecutor", "Restart", "restart", "unreachable", "lost"].iter().any(|w| text.contains(w)),
        "Flink's reason reaches the client: {text}"
    );
    wait_jobs_stopped(&table, Duration::from_secs(30)).await;
    assert!(job_states(&table).await.iter().all(|s| s == "FAILED" || s == "CANCELED"));

    // The supervisor restarts the TaskManager; wait for its slots so later steps find them.
    let back = Instant::now();
    while free_slots().await < 4 {
        assert!(back.elapsed() < Duration::from_secs(120), "the TaskManager did not come back");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The same connection runs the next query on Flink (`SELECT 1` alone flinkwire answers).
    let rows = client.simple_query("SELECT 1 + 0").await.unwrap();
    assert!(rows.len() >= 2);
}
