//! Roles, statement policy, per-role limits and the audit log, through tokio-postgres against
//! real Flink (issue 12 items 3–5; docs/security.md).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use flinkwire::config::{CatalogConfig, Config, EnvironmentConfig, UserConfig};
use flinkwire::policy::RoleConfig;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

use super::common::{start_server_with, test_config};

const PASSWORD: &str = "pw-Secr3t-never-logged";

fn user(name: &str, role: Option<&str>) -> UserConfig {
    UserConfig { name: name.into(), password: Some(PASSWORD.into()), role: role.map(Into::into), ..Default::default() }
}

/// Roles `bi` (read-only), `analyst` (datagen/blackhole tables, jobs), `admin`; users ann (bi),
/// carl and dora (analyst), root (admin), nobody (no role).
fn policy_config(audit: Option<&std::path::Path>) -> Config {
    let mut config = test_config();
    config.roles = BTreeMap::from([
        ("bi".to_owned(), RoleConfig { read_only: true, set_keys: vec!["table.exec.*".into()], ..Default::default() }),
        (
            "analyst".to_owned(),
            RoleConfig {
                connectors: vec!["datagen".into(), "blackhole".into()],
                set_keys: vec!["table.*".into(), "execution.runtime-mode".into()],
                allow_jobs: true,
                ..Default::default()
            },
        ),
        ("admin".to_owned(), RoleConfig { admin: true, ..Default::default() }),
    ]);
    config.users = vec![user("ann", Some("bi")), user("carl", Some("analyst")), user("dora", Some("analyst")), user("root", Some("admin")), user("nobody", None)];
    config.audit.file = audit.map(Into::into);
    config
}

async fn connect_as(addr: SocketAddr, user: &str, extra: &str) -> Result<Client, tokio_postgres::Error> {
    let dsn = format!("host={} port={} user={user} password={PASSWORD} dbname=default_catalog {extra}", addr.ip(), addr.port());
    let (client, connection) = tokio_postgres::connect(&dsn, NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// The first column of every row of a simple query.
async fn column(client: &Client, sql: &str) -> Vec<String> {
    let messages = client.simple_query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or_default().to_owned()),
            _ => None,
        })
        .collect()
}

/// Asserts a 42501 whose message names `rule`.
fn assert_denied(result: Result<impl std::fmt::Debug, tokio_postgres::Error>, rule: &str, what: &str) {
    let err = result.expect_err(&format!("{what}: should be denied"));
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{what}: {err:?}");
    let message = err.as_db_error().map(|e| e.message().to_owned()).unwrap_or_default();
    // Statements answer `permission denied: …`; a refused startup says it could not open the session first.
    assert!(message.contains("permission denied") && message.contains(rule), "{what}: {message}");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn read_only_role_is_refused_every_writing_kind_including_smuggled_ones() {
    let addr = start_server_with(policy_config(None)).await;
    let bi = connect_as(addr, "ann", "").await.unwrap();
    // Reads work.
    assert_eq!(column(&bi, "SELECT 1").await, vec!["1"]);
    assert!(bi.simple_query("SHOW TABLES").await.is_ok());
    assert!(bi.simple_query("SET 'table.exec.resource.default-parallelism' = '1'").await.is_ok());
    assert!(bi.simple_query("SET statement_timeout = '30s'").await.is_ok());
    let cases = [
        ("ADD JAR '/tmp/evil.jar'", "roles.bi.admin"),
        ("REMOVE JAR '/tmp/evil.jar'", "roles.bi.admin"),
        ("CREATE TEMPORARY FUNCTION f AS 'x.Evil' USING JAR '/tmp/evil.jar'", "roles.bi.admin"),
        ("CREATE TEMPORARY TABLE etc (line STRING) WITH ('connector' = 'filesystem', 'path' = 'file:///etc', 'format' = 'raw')", "roles.bi.read_only"),
        ("CREATE CATALOG j WITH ('type' = 'generic_in_memory')", "roles.bi.admin"),
        ("INSERT INTO t SELECT 1", "roles.bi.read_only"),
        ("EXECUTE INSERT INTO t SELECT 1", "roles.bi.read_only"),
        ("EXECUTE STATEMENT SET BEGIN INSERT INTO t SELECT 1; END", "roles.bi.read_only"),
        ("BEGIN STATEMENT SET; INSERT INTO t SELECT 1; END", "roles.bi.read_only"),
        ("LOAD MODULE core", "roles.bi.admin"),
        ("CALL `default_catalog`.`system`.`p`()", "roles.bi.admin"),
        ("STOP JOB '00000000000000000000000000000000'", "roles.bi.read_only"),
        ("SET 'pipeline.jars' = 'file:///tmp/evil.jar'", "policy.never_set"),
        ("SET 'parallelism.default' = '64'", "roles.bi.set_keys"),
        ("SHOW CREATE TABLE t", "roles.bi.admin"),
        ("EXECUTE PLAN '/tmp/plan.json'", "roles.bi.admin"),
        // Smuggling: comments, case, hints, unknown syntax.
        ("/* SELECT */ ADD JAR '/tmp/evil.jar'", "roles.bi.admin"),
        ("-- SELECT 1\naDd   JaR '/tmp/evil.jar'", "roles.bi.admin"),
        ("SELECT * FROM (VALUES (1)) AS t(x) /*+ OPTIONS('path' = 'file:///etc/passwd') */", "roles.bi.admin"),
        ("FROBNICATE EVERYTHING", "policy.unrecognized"),
    ];
    for (sql, rule) in cases {
        assert_denied(bi.simple_query(sql).await, rule, sql);
    }
    // A read followed by ADD JAR in one simple query: the read answers, the jar is refused,
    // and nothing was added.
    let err = bi.simple_query("SELECT 1; ADD JAR '/tmp/evil.jar'").await;
    assert_denied(err, "roles.bi.admin", "read then ADD JAR");
    let root = connect_as(addr, "root", "").await.unwrap();
    assert!(column(&bi, "SHOW JARS").await.is_empty());
    // Extended protocol: Parse is accepted, Execute refused.
    assert_denied(bi.execute("ADD JAR '/tmp/evil.jar'", &[]).await, "roles.bi.admin", "extended ADD JAR");
    assert_denied(bi.query("INSERT INTO t SELECT 1", &[]).await, "roles.bi.read_only", "extended INSERT");
    // A parameter carrying SQL is a string literal, not SQL.
    let smuggled = "x'; ADD JAR '/tmp/evil.jar'; --";
    let row = bi.query_one("SELECT $1::text AS s", &[&smuggled]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), smuggled);
    // Cursor and COPY paths.
    assert_denied(bi.simple_query("BEGIN; DECLARE c CURSOR FOR INSERT INTO t SELECT 1").await, "roles.bi.read_only", "DECLARE of an INSERT");
    bi.simple_query("ROLLBACK").await.unwrap();
    let copy = bi.copy_out("COPY (INSERT INTO t SELECT 1) TO STDOUT").await;
    assert_denied(copy.map(|_| ()), "roles.bi.read_only", "COPY of an INSERT");
    // Admins may.
    assert!(root.simple_query("SET 'parallelism.default' = '1'").await.is_ok());
    assert!(root.simple_query("SHOW JARS").await.is_ok());
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn startup_options_and_role_less_users_are_refused() {
    let addr = start_server_with(policy_config(None)).await;
    let err = connect_as(addr, "ann", "options='-c pipeline.jars=file:///tmp/evil.jar'").await;
    assert_denied(err.map(|_| ()), "roles.bi.startup_options", "startup option pipeline.jars");
    let err = connect_as(addr, "ann", "options='-c execution.runtime-mode=streaming'").await;
    assert_denied(err.map(|_| ()), "roles.bi.startup_options", "startup option runtime mode");
    assert!(connect_as(addr, "ann", "options='-c statement_timeout=5s -c flinkwire.result_mode=table'").await.is_ok());
    // Roles are configured and `nobody` has none (and there is no `default` role): refused.
    assert_denied(connect_as(addr, "nobody", "").await.map(|_| ()), "users.role", "role-less user");
    // Unrestricted admin may send anything a client sends today.
    assert!(connect_as(addr, "root", "options='-c execution.runtime-mode=streaming'").await.is_ok());
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn analyst_connector_and_set_allowlists() {
    let addr = start_server_with(policy_config(None)).await;
    let carl = connect_as(addr, "carl", "").await.unwrap();
    carl.simple_query("CREATE TEMPORARY TABLE g (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3')").await.unwrap();
    assert_eq!(column(&carl, "SELECT COUNT(*) FROM g").await, vec!["3"]);
    let err = carl.simple_query("CREATE TEMPORARY TABLE f (line STRING) WITH ('connector' = 'filesystem', 'path' = 'file:///etc', 'format' = 'raw')").await;
    assert_denied(err, "roles.analyst.connectors", "filesystem table");
    let err = carl.simple_query("CREATE TEMPORARY TABLE l (line STRING) WITH ('CONNECTOR' = 'FileSystem', 'path' = 'file:///etc', 'format' = 'raw')").await;
    assert_denied(err, "roles.analyst.connectors", "filesystem table in other case");
    assert!(carl.simple_query("SET 'table.exec.mini-batch.enabled' = 'true'").await.is_ok());
    assert_denied(carl.simple_query("SET 'parallelism.default' = '8'").await, "roles.analyst.set_keys", "SET outside set_keys");
    assert_denied(carl.simple_query("SET 'python.executable' = '/bin/sh'").await, "policy.never_set", "SET python");
    assert_denied(carl.simple_query("SET 'rest.address' = 'elsewhere'").await, "policy.never_set", "SET rest");
    assert_denied(carl.simple_query("ALTER TABLE g SET ('connector' = 'filesystem')").await, "roles.analyst.admin", "ALTER TABLE SET options");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn stop_job_only_for_the_jobs_the_user_started() {
    let addr = start_server_with(policy_config(None)).await;
    let carl = connect_as(addr, "carl", "").await.unwrap();
    carl.simple_query(
        "SET 'execution.runtime-mode' = 'streaming'; \
         CREATE TEMPORARY TABLE src (a INT) WITH ('connector' = 'datagen', 'rows-per-second' = '1'); \
         CREATE TEMPORARY TABLE sink (a INT) WITH ('connector' = 'blackhole')",
    )
    .await
    .unwrap();
    let job = column(&carl, "INSERT INTO sink SELECT a FROM src").await.pop().expect("a job id");
    let dora = connect_as(addr, "dora", "").await.unwrap();
    let stop = format!("STOP JOB '{job}'");
    let err = dora.simple_query(&stop).await;
    let cancel = || async {
        if let Ok(rest) = std::env::var("FLINKWIRE_TEST_FLINK_REST") {
            let _ = std::process::Command::new("curl").args(["-s", "-X", "PATCH", &format!("{rest}/jobs/{job}?mode=cancel")]).output();
        }
    };
    if err.is_ok() {
        cancel().await;
    }
    assert_denied(err, "only the jobs it started", "dora stops carl's job");
    let own = carl.simple_query(&stop).await;
    if own.is_err() {
        cancel().await;
    }
    own.expect("carl stops his own job");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn catalogs_outside_the_list_are_invisible_and_refused() {
    let mut config = policy_config(None);
    config.environments.insert(
        "two_catalogs".into(),
        EnvironmentConfig {
            catalogs: vec![CatalogConfig { name: "hidden".into(), kind: "generic_in_memory".into(), options: BTreeMap::new() }],
            default_catalog: Some("default_catalog".into()),
            ..Default::default()
        },
    );
    config.roles.get_mut("bi").unwrap().catalogs = vec!["default_catalog".into()];
    let addr = start_server_with(config).await;
    let root = connect_as(addr, "root", "").await.unwrap();
    // Wait for the metadata snapshot: the admin sees both catalogs as databases.
    let mut databases = Vec::new();
    for _ in 0..60 {
        databases = column(&root, "SELECT datname FROM pg_catalog.pg_database ORDER BY datname").await;
        if databases.contains(&"hidden".to_owned()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(databases.contains(&"hidden".to_owned()), "the admin sees the catalog: {databases:?}");
    let bi = connect_as(addr, "ann", "").await.unwrap();
    let visible = column(&bi, "SELECT datname FROM pg_catalog.pg_database ORDER BY datname").await;
    assert_eq!(visible, vec!["default_catalog"]);
    let schemas = column(&bi, "SELECT DISTINCT table_catalog FROM information_schema.tables").await;
    assert!(!schemas.contains(&"hidden".to_owned()), "{schemas:?}");
    assert_eq!(column(&bi, "SHOW CATALOGS").await, vec!["default_catalog"]);
    assert!(column(&root, "SHOW CATALOGS").await.contains(&"hidden".to_owned()));
    assert_denied(bi.simple_query("SELECT * FROM hidden.`default`.t").await, "roles.bi.catalogs", "3-part name");
    assert_denied(bi.simple_query("USE CATALOG hidden").await, "roles.bi.catalogs", "USE CATALOG");
    assert_denied(bi.simple_query("SHOW TABLES FROM hidden.`default`").await, "roles.bi.catalogs", "SHOW TABLES FROM");
    let err = tokio_postgres::connect(&format!("host={} port={} user=ann password={PASSWORD} dbname=hidden", addr.ip(), addr.port()), NoTls).await;
    assert_denied(err.map(|_| ()), "roles.bi.catalogs", "dbname=hidden");
    assert_eq!(column(&bi, "SELECT 1").await, vec!["1"]);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn per_role_limits() {
    let mut config = policy_config(None);
    config.roles.insert(
        "limited".into(),
        RoleConfig {
            read_only: true,
            statement_timeout: Some("10s".into()),
            max_statement_timeout: Some("1min".into()),
            max_max_rows: Some(5),
            max_concurrent_queries: Some(1),
            ..Default::default()
        },
    );
    config.users.push(user("lee", Some("limited")));
    let addr = start_server_with(config).await;
    let lee = connect_as(addr, "lee", "").await.unwrap();
    assert_eq!(column(&lee, "SHOW statement_timeout").await, vec!["10s"]);
    assert_eq!(column(&lee, "SHOW flinkwire.max_rows").await, vec!["5"]);
    assert_denied(lee.simple_query("SET statement_timeout = 0").await, "roles.limited.max_statement_timeout", "no timeout");
    assert_denied(lee.simple_query("SET statement_timeout = '2min'").await, "roles.limited.max_statement_timeout", "2min");
    assert_denied(lee.simple_query("SET flinkwire.max_rows = 100").await, "roles.limited.max_max_rows", "100 rows");
    assert!(lee.simple_query("SET statement_timeout = '30s'").await.is_ok());
    let rows = column(&lee, "SELECT x FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8)) AS t(x)").await;
    assert_eq!(rows.len(), 5, "{rows:?}");
    // An open cursor counts as a running query: the role's one slot is taken.
    lee.simple_query("BEGIN; DECLARE c CURSOR FOR SELECT x FROM (VALUES (1), (2)) AS t(x)").await.unwrap();
    let other = connect_as(addr, "lee", "").await.unwrap();
    let err = other.simple_query("SELECT 1").await.expect_err("the role's slot is taken");
    assert_eq!(err.code(), Some(&SqlState::from_code("53400")), "{err:?}");
    assert!(err.as_db_error().unwrap().message().contains("roles.limited.max_concurrent_queries"), "{err:?}");
    lee.simple_query("CLOSE c; COMMIT").await.unwrap();
    assert_eq!(column(&other, "SELECT 1").await, vec!["1"]);
    let err = connect_as(addr, "lee", "options='-c statement_timeout=0'").await;
    assert_denied(err.map(|_| ()), "roles.limited.max_statement_timeout", "startup timeout 0");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn audit_lines_for_allowed_and_denied_statements_without_secrets() {
    let dir = std::env::temp_dir().join(format!("flinkwire-audit-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("audit.jsonl");
    let _ = std::fs::remove_file(&path);
    let addr = start_server_with(policy_config(Some(&path))).await;
    let bi = connect_as(addr, "ann", "").await.unwrap();
    assert_eq!(column(&bi, "SELECT 41 + 1").await, vec!["42"]);
    let secret_param = "param-value-never-logged";
    bi.query_one("SELECT $1::text AS s", &[&secret_param]).await.unwrap();
    assert_denied(bi.simple_query("ADD JAR '/tmp/evil.jar'").await, "roles.bi.admin", "ADD JAR");
    let err = bi.simple_query("CREATE CATALOG c WITH ('type' = 'jdbc', 'password' = 'hunter2-never-logged')").await;
    assert_denied(err, "roles.bi.admin", "CREATE CATALOG");
    assert_denied(bi.prepare("INSERT INTO t SELECT 'extended-denied'").await.and(bi.execute("INSERT INTO t SELECT 'extended-denied'", &[]).await), "roles.bi.read_only", "extended INSERT");
    assert!(connect_as(addr, "nobody", "").await.is_err());
    drop(bi);
    let text = std::fs::read_to_string(&path).unwrap();
    for secret in [PASSWORD, secret_param, "hunter2-never-logged"] {
        assert!(!text.contains(secret), "the audit log holds a secret ({secret}):\n{text}");
    }
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect();
    let find = |pred: &dyn Fn(&serde_json::Value) -> bool| lines.iter().find(|l| pred(l)).cloned().unwrap_or_else(|| panic!("no such line in\n{text}"));
    let login = find(&|l| l["event"] == "connection" && l["user"] == "ann");
    assert_eq!((login["outcome"].as_str(), login["tls"].as_bool(), login["role"].as_str()), (Some("ok"), Some(false), Some("bi")));
    assert!(login["client_addr"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert_eq!(login["auth_method"], "scram-sha-256");
    let refused = find(&|l| l["event"] == "connection" && l["user"] == "nobody");
    assert_eq!((refused["outcome"].as_str(), refused["sqlstate"].as_str()), (Some("denied"), Some("42501")));
    let select = find(&|l| l["event"] == "statement" && l["statement"] == "SELECT 41 + 1");
    assert_eq!((select["decision"].as_str(), select["sqlstate"].as_str(), select["rows"].as_u64()), (Some("allowed"), Some("00000"), Some(1)));
    assert_eq!((select["statement_kind"].as_str(), select["cluster"].as_str()), (Some("query"), Some("default")));
    assert_eq!(select["connection_id"], login["connection_id"]);
    let param = find(&|l| l["event"] == "statement" && l["statement"] == "SELECT $1::text AS s");
    assert_eq!(param["parameters"][0]["placeholder"], "$1");
    assert_eq!(param["rows"], 1);
    let jar = find(&|l| l["event"] == "statement" && l["statement"].as_str().is_some_and(|s| s.starts_with("ADD JAR")));
    assert_eq!((jar["decision"].as_str(), jar["sqlstate"].as_str(), jar["rule"].as_str()), (Some("denied"), Some("42501"), Some("roles.bi.admin")));
    assert_eq!(jar["statement_kind"], "jar");
    let extended = find(&|l| l["event"] == "statement" && l["statement"].as_str().is_some_and(|s| s.contains("extended-denied")));
    assert_eq!((extended["decision"].as_str(), extended["sqlstate"].as_str()), (Some("denied"), Some("42501")));
    let catalog = find(&|l| l["event"] == "statement" && l["statement_kind"] == "catalog");
    assert!(catalog["statement"].as_str().unwrap().contains("'password' = '***'"), "{catalog}");
}
