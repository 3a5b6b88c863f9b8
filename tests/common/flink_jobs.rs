//! The Flink cluster's jobs, from the JobManager's REST API (`FLINKWIRE_TEST_FLINK_REST`): what
//! the tests check so that nothing a client started outlives it.

/// The states of the JobManager's jobs whose name mentions `table`.
pub async fn job_states(table: &str) -> Vec<String> {
    let rest = std::env::var("FLINKWIRE_TEST_FLINK_REST").expect("FLINKWIRE_TEST_FLINK_REST is not set");
    let body: serde_json::Value =
        serde_json::from_str(&reqwest::get(format!("{rest}/jobs/overview")).await.unwrap().text().await.unwrap())
            .unwrap();
    body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["name"].as_str().is_some_and(|n| n.contains(table)))
        .map(|j| j["state"].as_str().unwrap().to_owned())
        .collect()
}
