//! The policy over a corpus of Flink statements (Flink's own SQL Gateway test scripts) and the
//! decisions for restricted roles.

use super::*;

/// The statements of Flink's SQL Gateway `.q` test scripts: text before each `!output` /
/// `!ok` / `!error` / `!info` directive, `#` comment lines dropped, output blocks skipped.
fn corpus() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/flink-sql-gateway/test-resources");
    let mut files = Vec::new();
    for dir in ["sql", "application"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("the gateway test resources") {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "q") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let (mut current, mut in_output) = (String::new(), false);
        for line in text.lines() {
            if line.starts_with('!') {
                if line == "!output" || line == "!info" {
                    in_output = true;
                } else {
                    in_output = false;
                }
                if !current.trim().is_empty() {
                    for statement in crate::router::split_statements(&current) {
                        out.push((path.file_name().unwrap().to_string_lossy().into_owned(), statement.to_owned()));
                    }
                }
                current.clear();
                continue;
            }
            if in_output || line.starts_with('#') {
                continue;
            }
            current.push_str(line);
            current.push('\n');
        }
    }
    out
}

fn role(config: RoleConfig) -> Access {
    Access::Role(Arc::new(Role { name: "r".into(), config, running: None }))
}

fn read_only() -> Access {
    role(RoleConfig { read_only: true, set_keys: vec!["table.exec.*".into(), "pipeline.*".into()], ..Default::default() })
}

fn decide(access: &Access, sql: &str) -> Result<(), Denied> {
    let jobs = JobOwners::default();
    jobs.record("job-of-ann", "ann");
    let ctx = Context { user: "ann", current_catalog: Some("default_catalog"), emulated: false, jobs: &jobs };
    access.decide(&classify(sql), &ctx)
}

#[test]
fn every_corpus_statement_gets_a_class_and_dangerous_ones_are_denied_to_read_only() {
    let corpus = corpus();
    assert!(corpus.len() > 250, "corpus too small: {}", corpus.len());
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let ro = read_only();
    for (file, sql) in &corpus {
        let statement = classify(sql);
        if std::env::var_os("FLINKWIRE_PRINT_UNKNOWN").is_some() && statement.class == Class::Unknown {
            eprintln!("UNKNOWN {file}: {sql}");
        }
        *counts.entry(statement.class.label()).or_default() += 1;
        let decision = decide(&ro, sql);
        let harmless = matches!(statement.class, Class::Empty | Class::Read | Class::Session | Class::Reset | Class::UseCatalog(_) | Class::UseDatabase)
            || matches!(&statement.class, Class::SetKey(k) if k.starts_with("table.exec."));
        if harmless && !statement.options_hint {
            assert!(decision.is_ok(), "{file}: read-only denied a read: {sql}: {decision:?}");
        } else {
            assert!(decision.is_err(), "{file}: read-only allowed {:?}: {sql}", statement.class);
        }
        assert!(decide(&role(RoleConfig { admin: true, ..Default::default() }), sql).is_ok());
    }
    // The corpus has each of these kinds (its scripts cover DDL, DML, statement sets, SET…).
    for kind in ["query", "job", "create_table", "ddl", "set", "reset", "catalog", "call", "use", "show_create", "plan"] {
        assert!(counts.get(kind).is_some_and(|n| *n > 0), "no {kind} in the corpus: {counts:?}");
    }
    // What the scanner does not recognize is few, and denied (checked above).
    assert!(counts.get("unknown").copied().unwrap_or(0) * 20 < corpus.len(), "{counts:?}");
}

/// A carriage return ends a `--` comment for Flink: a statement after it is a statement of the set.
#[test]
fn a_statement_after_a_carriage_return_comment_is_seen() {
    let sql = "BEGIN STATEMENT SET;\nINSERT INTO t SELECT 1;-- c\rDROP TABLE t;\nEND";
    assert_ne!(classify(sql).class.label(), "job", "{sql:?}");
}

#[test]
fn read_only_refuses_each_dangerous_kind_naming_the_rule() {
    let ro = read_only();
    let cases = [
        ("ADD JAR '/tmp/evil.jar'", "roles.r.admin"),
        ("REMOVE JAR '/tmp/evil.jar'", "roles.r.admin"),
        ("CREATE FUNCTION f AS 'x.Y' USING JAR '/tmp/evil.jar'", "roles.r.admin"),
        ("CREATE TEMPORARY SYSTEM FUNCTION f AS 'x.Y'", "roles.r.admin"),
        ("LOAD MODULE hive", "roles.r.admin"),
        ("CALL `c`.`system`.`p`()", "roles.r.admin"),
        ("CREATE CATALOG c WITH ('type' = 'jdbc')", "roles.r.admin"),
        ("CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = 'file:///etc')", "roles.r.read_only"),
        ("INSERT INTO t SELECT 1", "roles.r.read_only"),
        ("EXECUTE INSERT INTO t SELECT 1", "roles.r.read_only"),
        ("EXECUTE STATEMENT SET BEGIN INSERT INTO t SELECT 1; END", "roles.r.read_only"),
        ("BEGIN STATEMENT SET; INSERT INTO t SELECT 1; END", "roles.r.read_only"),
        ("STOP JOB 'job-of-ann'", "roles.r.read_only"),
        ("DROP TABLE t", "roles.r.read_only"),
        ("SET 'pipeline.jars' = 'file:///tmp/evil.jar'", "policy.never_set"),
        ("SET 'python.executable' = '/bin/sh'", "policy.never_set"),
        ("SET 'rest.address' = 'elsewhere'", "policy.never_set"),
        ("SET 'parallelism.default' = '100'", "roles.r.set_keys"),
        ("SELECT * FROM t /*+ OPTIONS('path' = 'file:///etc/passwd') */", "roles.r.admin"),
        ("SHOW CREATE TABLE t", "roles.r.admin"),
        ("EXECUTE PLAN '/tmp/p.json'", "roles.r.admin"),
        ("frobnicate", "policy.unrecognized"),
        ("SELECT 1; ADD JAR 'x'", "policy.unrecognized"),
        ("DECLARE c CURSOR FOR INSERT INTO t SELECT 1", "roles.r.read_only"),
        ("COPY (INSERT INTO t SELECT 1) TO STDOUT", "roles.r.read_only"),
    ];
    for (sql, rule) in cases {
        let denied = decide(&ro, sql).expect_err(sql);
        assert_eq!(denied.rule, rule, "{sql}: {denied}");
        assert!(denied.to_string().starts_with("permission denied: "), "{denied}");
    }
    for sql in ["SELECT 1", "SHOW TABLES", "EXPLAIN INSERT INTO t SELECT 1", "SET 'table.exec.state.ttl' = '1h'", "SET statement_timeout = '1s'", "DESCRIBE t", "RESET"] {
        assert!(decide(&ro, sql).is_ok(), "{sql}");
    }
}

#[test]
fn connector_and_set_allowlists_of_an_analyst() {
    let analyst = role(RoleConfig {
        connectors: vec!["datagen".into(), "blackhole".into()],
        set_keys: vec!["table.*".into(), "execution.runtime-mode".into()],
        allow_jobs: true,
        ..Default::default()
    });
    assert!(decide(&analyst, "CREATE TEMPORARY TABLE g (a INT) WITH ('connector' = 'datagen')").is_ok());
    let denied = decide(&analyst, "CREATE TABLE f (a INT) WITH ('connector' = 'filesystem', 'path' = '/etc')").unwrap_err();
    assert_eq!(denied.rule, "roles.r.connectors");
    assert!(denied.message.contains("'filesystem'"), "{denied}");
    // No connector named (LIKE, catalog-managed): only for a role whose connectors include "*".
    assert_eq!(decide(&analyst, "CREATE TABLE l LIKE other").unwrap_err().rule, "roles.r.connectors");
    assert!(decide(&analyst, "SET 'execution.runtime-mode' = 'streaming'").is_ok());
    assert!(decide(&analyst, "SET 'table.exec.resource.default-parallelism' = '2'").is_ok());
    assert_eq!(decide(&analyst, "SET 'pipeline.jars' = 'x'").unwrap_err().rule, "policy.never_set");
    assert_eq!(decide(&analyst, "SET 'parallelism.default' = '2'").unwrap_err().rule, "roles.r.set_keys");
    assert!(decide(&analyst, "INSERT INTO g SELECT 1").is_ok());
    assert!(decide(&analyst, "STOP JOB 'job-of-ann'").is_ok());
    let other = decide(&analyst, "STOP JOB 'job-of-bob'").unwrap_err();
    assert!(other.message.contains("only the jobs it started"), "{other}");
    assert_eq!(decide(&analyst, "ALTER TABLE g SET ('path' = '/etc')").unwrap_err().rule, "roles.r.admin");
    let no_jobs = role(RoleConfig { connectors: vec!["*".into()], ..Default::default() });
    assert!(decide(&no_jobs, "CREATE TABLE l LIKE other").is_ok());
    assert_eq!(decide(&no_jobs, "INSERT INTO g SELECT 1").unwrap_err().rule, "roles.r.allow_jobs");
    assert_eq!(decide(&no_jobs, "CREATE TABLE c WITH ('connector' = 'blackhole') AS SELECT 1").unwrap_err().rule, "roles.r.allow_jobs");
}

#[test]
fn catalogs_outside_the_list_are_refused() {
    let limited = role(RoleConfig { read_only: true, catalogs: vec!["default_catalog".into()], ..Default::default() });
    assert!(decide(&limited, "SELECT * FROM t").is_ok());
    assert!(decide(&limited, "SELECT * FROM default_catalog.default_database.t").is_ok());
    assert_eq!(decide(&limited, "SELECT * FROM hive.db.t").unwrap_err().rule, "roles.r.catalogs");
    assert_eq!(decide(&limited, "SELECT * FROM `hive`.`db`.`t`").unwrap_err().rule, "roles.r.catalogs");
    assert_eq!(decide(&limited, "USE CATALOG hive").unwrap_err().rule, "roles.r.catalogs");
    assert_eq!(decide(&limited, "SHOW TABLES FROM hive.db").unwrap_err().rule, "roles.r.catalogs");
    assert!(decide(&limited, "USE CATALOG default_catalog").is_ok());
    let jobs = JobOwners::default();
    let elsewhere = Context { user: "ann", current_catalog: Some("hive"), emulated: false, jobs: &jobs };
    assert_eq!(limited.decide(&classify("SELECT * FROM t"), &elsewhere).unwrap_err().rule, "roles.r.catalogs");
    assert!(limited.decide(&classify("USE CATALOG default_catalog"), &elsewhere).is_ok());
}

#[test]
fn roles_for_users() {
    let mut config = crate::config::Config::load(None, &crate::config::Overrides::default()).unwrap();
    assert!(matches!(Policy::new(&config).access("anyone").unwrap(), Access::Unrestricted));
    config.roles.insert("bi".into(), RoleConfig { read_only: true, ..Default::default() });
    config.users.push(crate::config::UserConfig { name: "ann".into(), role: Some("bi".into()), ..Default::default() });
    let policy = Policy::new(&config);
    assert_eq!(policy.access("ann").unwrap().role().unwrap().name, "bi");
    // Roles configured, no role for the user and no `default` role: refused (fail closed).
    assert_eq!(policy.access("bob").unwrap_err().rule, "users.role");
    config.roles.insert(DEFAULT_ROLE.into(), RoleConfig { read_only: true, ..Default::default() });
    assert_eq!(Policy::new(&config).access("bob").unwrap().role().unwrap().name, DEFAULT_ROLE);
}

#[test]
fn startup_options_and_concurrency() {
    let ro = read_only();
    assert!(ro.check_startup_option("application_name").is_ok());
    assert!(ro.check_startup_option("statement_timeout").is_ok());
    assert!(ro.check_startup_option("flinkwire.cluster").is_ok());
    assert!(ro.check_startup_option("execution.runtime-mode").is_err());
    assert!(ro.check_startup_option("pipeline.jars").is_err());
    assert!(Access::Unrestricted.check_startup_option("pipeline.jars").is_ok());
    let limited = Access::Role(Arc::new(Role {
        name: "r".into(),
        config: RoleConfig { max_concurrent_queries: Some(1), ..Default::default() },
        running: Some(Arc::new(tokio::sync::Semaphore::new(1))),
    }));
    let first = limited.begin_query().unwrap();
    assert!(first.is_some());
    let err = limited.begin_query().unwrap_err();
    assert!(err.to_string().contains("roles.r.max_concurrent_queries"), "{err}");
    drop(first);
    assert!(limited.begin_query().is_ok());
}
