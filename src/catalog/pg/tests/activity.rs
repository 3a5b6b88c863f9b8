//! `pg_stat_activity` and the signal functions against a server's activity: what each viewer
//! sees, who may signal whom, and that live answers are never served from the answer cache.

use crate::activity::{Activity, BackendInfo, QueryCanceller, Registration};
use crate::shutdown::Shutdown;

use super::*;

struct Connections {
    activity: Arc<Activity>,
    alice: (Registration, Arc<QueryCanceller>, Shutdown),
    bob: (Registration, Arc<QueryCanceller>, Shutdown),
}

fn connect(
    activity: &Arc<Activity>,
    user: &str,
    port: u16,
) -> (Registration, Arc<QueryCanceller>, Shutdown) {
    let info = BackendInfo {
        user: user.into(),
        database: Some("default_catalog".into()),
        client: format!("127.0.0.1:{port}").parse().unwrap(),
        started: chrono::Utc::now(),
        cluster: Some("default".into()),
        role: None,
    };
    let canceller = Arc::new(QueryCanceller::default());
    let shutdown = Shutdown::default();
    (
        activity.register(info, false, canceller.clone(), shutdown.clone()),
        canceller,
        shutdown,
    )
}

fn connections() -> Connections {
    let activity = Arc::new(Activity::new(5));
    let alice = connect(&activity, "alice", 40001);
    let bob = connect(&activity, "bob", 40002);
    bob.0
        .backend()
        .begin("SELECT * FROM orders", Some("DBeaver".into()));
    bob.0.backend().job("0123456789abcdef0123456789abcdef");
    Connections {
        activity,
        alice,
        bob,
    }
}

fn view(c: &Connections, user: &str, admin: bool) -> (LiveView, SessionFacts) {
    let me = if user == "alice" { &c.alice } else { &c.bob };
    let pid = me.0.backend().pid;
    let live = LiveView {
        activity: c.activity.clone(),
        viewer: Viewer {
            user: user.into(),
            pid,
            admin,
        },
    };
    (
        live,
        SessionFacts {
            user: user.into(),
            backend_pid: pid,
            ..facts()
        },
    )
}

async fn rows(
    emulation: &Emulation,
    live: &LiveView,
    facts: &SessionFacts,
    sql: &str,
    names: &[&str],
) -> Vec<String> {
    let snapshot = Arc::new(demo_snapshot());
    let answer = emulation
        .query(&snapshot, facts, sql, Some(live))
        .await
        .unwrap_or_else(|e| panic!("{sql}\n→ {e}"));
    let index: Vec<usize> = names
        .iter()
        .map(|n| answer.columns.iter().position(|c| c.name == *n).unwrap())
        .collect();
    answer
        .rows
        .iter()
        .map(|r| row_text(index.iter().map(|&i| &r.fields[i])))
        .collect()
}

#[tokio::test]
async fn each_viewer_sees_every_connection_and_the_details_of_its_own() {
    let c = connections();
    let emulation = Emulation::new();
    let (alice, alice_facts) = view(&c, "alice", false);
    let bob_pid = c.bob.0.backend().pid;
    let sql = "SELECT sa.* FROM pg_catalog.pg_stat_activity sa"; // DBeaver's session manager
    let seen = rows(
        &emulation,
        &alice,
        &alice_facts,
        sql,
        &[
            "usename",
            "state",
            "query",
            "client_port",
            "flink_job_id",
            "backend_type",
        ],
    )
    .await;
    assert_eq!(
        seen,
        [
            "alice|idle||40001|NULL|client backend",
            "bob|NULL|<insufficient privilege>|NULL|NULL|client backend"
        ]
    );

    let (admin, admin_facts) = view(&c, "alice", true);
    let names = [
        "pid",
        "usename",
        "application_name",
        "state",
        "query",
        "flink_job_id",
    ];
    let seen = rows(
        &emulation,
        &admin,
        &admin_facts,
        "SELECT * FROM pg_stat_activity WHERE pid <> pg_backend_pid()",
        &names,
    )
    .await;
    assert_eq!(
        seen,
        [format!(
            "{bob_pid}|bob|DBeaver|active|SELECT * FROM orders|0123456789abcdef0123456789abcdef"
        )]
    );

    // Live: the next query sees bob's new state, not a cached answer.
    c.bob.0.backend().idle(crate::activity::State::Idle);
    let seen = rows(
        &emulation,
        &admin,
        &admin_facts,
        "SELECT * FROM pg_stat_activity WHERE pid <> pg_backend_pid()",
        &["state"],
    )
    .await;
    assert_eq!(seen, ["idle"]);
    let typed = emulation
        .query(
            &Arc::new(demo_snapshot()),
            &admin_facts,
            "SELECT backend_start FROM pg_stat_activity",
            Some(&admin),
        )
        .await
        .unwrap();
    assert_eq!(
        typed.columns[0].logical_type["type"],
        "TIMESTAMP_WITH_LOCAL_TIME_ZONE"
    );
}

#[tokio::test]
async fn users_signal_their_own_connections_and_admins_any() {
    let c = connections();
    let emulation = Emulation::new();
    let snapshot = Arc::new(demo_snapshot());
    let bob_pid = c.bob.0.backend().pid;
    let bob_running = c.bob.1.begin();

    let (alice, alice_facts) = view(&c, "alice", false);
    let err = emulation
        .query(
            &snapshot,
            &alice_facts,
            &format!("SELECT pg_cancel_backend({bob_pid})"),
            Some(&alice),
        )
        .await
        .unwrap_err();
    assert_eq!(err.sqlstate(), "42501", "{err}");
    assert_eq!(err.to_string(), "permission denied to cancel query");
    let err = emulation
        .query(
            &snapshot,
            &alice_facts,
            &format!("SELECT pg_terminate_backend({bob_pid})"),
            Some(&alice),
        )
        .await
        .unwrap_err();
    assert_eq!(err.sqlstate(), "42501", "{err}");
    assert!(!bob_running.is_cancelled() && !c.bob.2.is_terminating());
    // Not a connection: false, like PostgreSQL (which also warns).
    assert_eq!(
        rows(
            &emulation,
            &alice,
            &alice_facts,
            "SELECT pg_cancel_backend(12345) AS r",
            &["r"]
        )
        .await,
        ["false"]
    );

    let (bob, bob_facts) = view(&c, "bob", false);
    assert_eq!(
        rows(
            &emulation,
            &bob,
            &bob_facts,
            &format!("SELECT pg_cancel_backend({bob_pid}) AS r"),
            &["r"]
        )
        .await,
        ["true"]
    );
    assert!(bob_running.is_cancelled());

    let (admin, admin_facts) = view(&c, "alice", true);
    let sql = "SELECT pg_terminate_backend(pid) AS r FROM pg_stat_activity WHERE usename = 'bob'";
    assert_eq!(
        rows(&emulation, &admin, &admin_facts, sql, &["r"]).await,
        ["true"]
    );
    assert!(c.bob.2.is_terminating());
    assert!(!c.alice.2.is_terminating());
    // Each call signals again: the answer is never cached.
    let bob_again = c.bob.1.begin();
    assert_eq!(
        rows(
            &emulation,
            &bob,
            &bob_facts,
            &format!("SELECT pg_cancel_backend({bob_pid}) AS r"),
            &["r"]
        )
        .await,
        ["true"]
    );
    assert!(bob_again.is_cancelled());
}

#[tokio::test]
async fn pg_backend_pid_is_the_connections_own() {
    let c = connections();
    let emulation = Emulation::new();
    let (alice, alice_facts) = view(&c, "alice", false);
    let (bob, bob_facts) = view(&c, "bob", false);
    let a = rows(
        &emulation,
        &alice,
        &alice_facts,
        "SELECT pg_backend_pid() AS p",
        &["p"],
    )
    .await;
    let b = rows(
        &emulation,
        &bob,
        &bob_facts,
        "SELECT pg_backend_pid() AS p",
        &["p"],
    )
    .await;
    assert_eq!(a, [c.alice.0.backend().pid.to_string()]);
    assert_eq!(b, [c.bob.0.backend().pid.to_string()]);
    assert_eq!(crate::activity::replica_of(c.alice.0.backend().pid), 5);
}

#[tokio::test]
async fn pgadmins_dashboard_reads_the_sessions() {
    let c = connections();
    let emulation = Emulation::new();
    let (bob, bob_facts) = view(&c, "bob", false);
    // pgAdmin 4's dashboard (templates/dashboard/sql/10_plus/activity.sql, current version).
    let sql = "/*pga4dash*/
SELECT
    pid,
    datname,
    usename,
    application_name,
    client_addr,
    pg_catalog.to_char(backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') AS backend_start,
    state,
    wait_event_type || ': ' || wait_event AS wait_event,
    pg_catalog.pg_blocking_pids(pid) AS blocking_pids,
    query,
    pg_catalog.to_char(state_change, 'YYYY-MM-DD HH24:MI:SS TZ') AS state_change,
    pg_catalog.to_char(query_start, 'YYYY-MM-DD HH24:MI:SS TZ') AS query_start,
    pg_catalog.to_char(xact_start, 'YYYY-MM-DD HH24:MI:SS TZ') AS xact_start,
    backend_type,
    CASE WHEN state = 'active' THEN ROUND((extract(epoch from now() - query_start) / 60)::numeric, 2) ELSE 0 END AS active_since
FROM
    pg_catalog.pg_stat_activity
WHERE
    datname = (SELECT datname FROM pg_catalog.pg_database WHERE oid = {did})
ORDER BY pid";
    // The database's oid, as pgAdmin has it from its object tree.
    let did = rows(&emulation, &bob, &bob_facts, "SELECT oid FROM pg_database WHERE datname = 'default_catalog'", &["oid"]).await;
    let sql = sql.replace("{did}", &did[0]);
    let seen = rows(&emulation, &bob, &bob_facts, &sql, &["usename", "state", "query", "application_name"]).await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen.iter().any(|r| r == "bob|active|SELECT * FROM orders|DBeaver"), "{seen:?}");
}
