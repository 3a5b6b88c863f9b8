//! Security end to end: real PostgreSQL clients (psql / libpq, tokio-postgres) against flinkwire
//! with TLS from a throw-away CA made in the test (`security/pki.rs`), and the authentication
//! methods of `docs/security.md`. Needs the test gateway (`scripts/test.sh`): logging in opens
//! the user's metadata snapshot.

mod common;
#[path = "security/pki.rs"]
mod pki;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::test_config;
use flinkwire::auth::AuthMethod;
use flinkwire::config::{Config, UserConfig};
use flinkwire::server::{serve, ServerContext};
use flinkwire::tls::{TlsConfig, TlsMode};
use pki::Pki;
use tokio_postgres::NoTls;

/// Starts a server with `config`; returns its address and context (for `reload`).
async fn start(config: Config) -> (SocketAddr, Arc<ServerContext>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let ctx = Arc::new(ServerContext::new(config).unwrap());
    let served = ctx.clone();
    tokio::spawn(async move {
        let (_keep, mut stop) = tokio::sync::watch::channel(false);
        serve(listener, served, &mut stop).await.unwrap();
    });
    (addr, ctx)
}

fn user(name: &str, password: Option<&str>, auth: Option<AuthMethod>) -> UserConfig {
    UserConfig { name: name.into(), password: password.map(Into::into), auth, ..Default::default() }
}

fn tls(cert: &Path, key: &Path, client_ca: Option<&Path>, mode: Option<TlsMode>) -> TlsConfig {
    TlsConfig { cert: Some(cert.into()), key: Some(key.into()), client_ca: client_ca.map(Into::into), mode }
}

/// Runs `sql` with psql (libpq) using `conninfo` (host and port added); stdout or stderr.
async fn psql(addr: SocketAddr, conninfo: &str, sql: &str) -> Result<String, String> {
    let conninfo = format!("host=localhost port={} dbname=default_catalog connect_timeout=20 {conninfo}", addr.port());
    let sql = sql.to_owned();
    tokio::task::spawn_blocking(move || {
        let out = Command::new("psql")
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", &conninfo, "-c", &sql])
            .env_remove("PGPASSWORD")
            .env_remove("PGSSLMODE")
            .stdin(Stdio::null())
            .output()
            .expect("psql (postgresql-client)");
        let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        if out.status.success() { Ok(stdout) } else { Err(stderr) }
    })
    .await
    .unwrap()
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn verify_full_with_scram_plus_md5_and_cleartext() {
    let pki = Pki::new("a");
    let (cert, key) = pki.server_ec("server");
    let mut config = test_config();
    config.tls = tls(&cert, &key, None, None);
    config.users = vec![
        user("alice", Some("alice-pw"), None),
        user("old", Some("old-pw"), Some(AuthMethod::Md5)),
        user("clear", Some("clear-pw"), Some(AuthMethod::Password)),
    ];
    let (addr, _) = start(config).await;
    let root = pki.root();
    let verify = format!("sslmode=verify-full sslrootcert={}", root.display());

    // SCRAM-SHA-256-PLUS: channel binding to the certificate the client verified (leaf sent with
    // its intermediate: the client trusts only the root).
    let who = psql(addr, &format!("{verify} user=alice password=alice-pw channel_binding=require"), "SELECT current_user").await;
    assert_eq!(who.as_deref(), Ok("alice"));
    // Plain SCRAM over plaintext: channel binding is not offered there.
    let err = psql(addr, "sslmode=disable user=alice password=alice-pw channel_binding=require", "SELECT 1").await.unwrap_err();
    assert!(err.contains("channel binding"), "{err}");
    assert_eq!(psql(addr, "sslmode=disable user=alice password=alice-pw", "SELECT current_user").await.as_deref(), Ok("alice"));

    // Wrong password and unknown user: the same answer.
    let wrong = psql(addr, &format!("{verify} user=alice password=nope"), "SELECT 1").await.unwrap_err();
    assert!(wrong.contains("password authentication failed for user \"alice\""), "{wrong}");
    let unknown = psql(addr, &format!("{verify} user=mallory password=nope"), "SELECT 1").await.unwrap_err();
    assert!(unknown.contains("password authentication failed for user \"mallory\""), "{unknown}");
    assert_eq!(wrong.replace("alice", "X"), unknown.replace("mallory", "X"));

    // md5 for old drivers.
    assert_eq!(psql(addr, &format!("{verify} user=old password=old-pw"), "SELECT current_user").await.as_deref(), Ok("old"));
    let err = psql(addr, "sslmode=disable user=old password=bad", "SELECT 1").await.unwrap_err();
    assert!(err.contains("password authentication failed for user \"old\""), "{err}");

    // Cleartext: over TLS only.
    assert_eq!(psql(addr, &format!("{verify} user=clear password=clear-pw"), "SELECT current_user").await.as_deref(), Ok("clear"));
    let err = psql(addr, "sslmode=disable user=clear password=clear-pw", "SELECT 1").await.unwrap_err();
    assert!(err.contains("only allowed over TLS"), "{err}");

    // A client that trusts another CA refuses the server.
    let other = Pki::new("other");
    let err = psql(addr, &format!("sslmode=verify-full sslrootcert={} user=alice password=alice-pw", other.root().display()), "SELECT 1")
        .await
        .unwrap_err();
    assert!(err.contains("certificate verify failed"), "{err}");
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn require_mode_refuses_plaintext_and_rsa_pkcs1_keys_work() {
    let pki = Pki::new("b");
    let (cert, key) = pki.server_rsa("server");
    let mut config = test_config();
    config.tls = tls(&cert, &key, None, Some(TlsMode::Require));
    config.users = vec![user("alice", Some("pw"), None)];
    let (addr, _) = start(config).await;
    let err = psql(addr, "sslmode=disable user=alice password=pw", "SELECT 1").await.unwrap_err();
    assert!(err.contains("FATAL") && err.contains("requires TLS"), "{err}");
    // tokio-postgres without TLS: the SQLSTATE.
    let err = tokio_postgres::connect(&format!("host=127.0.0.1 port={} user=alice password=pw", addr.port()), NoTls)
        .await
        .err()
        .expect("plaintext refused");
    assert_eq!(err.code().map(|c| c.code()), Some("28000"), "{err:?}");
    let verify = format!("sslmode=verify-full sslrootcert={}", pki.root().display());
    assert_eq!(psql(addr, &format!("{verify} user=alice password=pw"), "SELECT current_user").await.as_deref(), Ok("alice"));
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn certificate_authentication() {
    let pki = Pki::new("c");
    let (cert, key) = pki.server_ec("server");
    let mut config = test_config();
    config.tls = tls(&cert, &key, Some(&pki.root()), None);
    config.users = vec![user("carol", None, Some(AuthMethod::Cert)), user("alice", Some("pw"), None)];
    let (addr, _) = start(config).await;
    let verify = format!("sslmode=verify-full sslrootcert={}", pki.root().display());
    let (carol_crt, carol_key) = pki.client("carol");
    let with = |crt: &Path, key: &Path| format!("{verify} sslcert={} sslkey={}", crt.display(), key.display());

    assert_eq!(psql(addr, &format!("{} user=carol", with(&carol_crt, &carol_key)), "SELECT current_user").await.as_deref(), Ok("carol"));
    // Without a certificate.
    let err = psql(addr, &format!("{verify} user=carol sslcert=/nonexistent sslkey=/nonexistent"), "SELECT 1").await.unwrap_err();
    assert!(err.contains("connection requires a valid client certificate"), "{err}");
    // Someone else's certificate.
    let (alice_crt, alice_key) = pki.client("alice");
    let err = psql(addr, &format!("{} user=carol", with(&alice_crt, &alice_key)), "SELECT 1").await.unwrap_err();
    assert!(err.contains("certificate authentication failed for user \"carol\""), "{err}");
    // A certificate from a CA the server does not trust: the handshake fails.
    let other = Pki::new("c-other");
    let (crt, key) = other.client("carol");
    let err = psql(addr, &format!("{} user=carol", with(&crt, &key)), "SELECT 1").await.unwrap_err();
    assert!(err.contains("SSL") || err.contains("certificate"), "{err}");
    // Password users still log in on the same listener, with or without a certificate.
    assert_eq!(psql(addr, &format!("{verify} user=alice password=pw sslcert=/nonexistent"), "SELECT current_user").await.as_deref(), Ok("alice"));
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn reload_swaps_the_certificate_without_dropping_connections() {
    let first = Pki::new("d1");
    let second = Pki::new("d2");
    let files = pki::TempDir::new("reload");
    let (cert, key) = (files.0.join("server.crt"), files.0.join("server.key"));
    let (c1, k1) = first.server_ec("server");
    std::fs::copy(&c1, &cert).unwrap();
    std::fs::copy(&k1, &key).unwrap();
    let mut config = test_config();
    config.tls = tls(&cert, &key, None, Some(TlsMode::Require));
    config.users = vec![user("alice", Some("pw"), None)];
    let (addr, ctx) = start(config).await;
    let trusting = |pki: &Pki| format!("sslmode=verify-full sslrootcert={} user=alice password=pw", pki.root().display());
    assert!(psql(addr, &trusting(&first), "SELECT 1").await.is_ok());

    // An open connection (libpq over TLS, kept open by an interactive psql) across the reload.
    let mut open = Command::new("psql")
        .args(["-X", "-A", "-t", &format!("host=localhost port={} dbname=default_catalog {}", addr.port(), trusting(&first))])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = open.stdin.take().unwrap();
    use std::io::Write;
    writeln!(stdin, "SELECT current_user;").unwrap();

    // A broken file: the reload keeps the certificate in use.
    std::fs::write(&cert, "not a certificate").unwrap();
    ctx.reload();
    assert!(psql(addr, &trusting(&first), "SELECT 1").await.is_ok(), "a failed reload keeps the old certificate");

    let (c2, k2) = second.server_ec("server");
    std::fs::copy(&c2, &cert).unwrap();
    std::fs::copy(&k2, &key).unwrap();
    ctx.reload();
    assert!(psql(addr, &trusting(&second), "SELECT 1").await.is_ok(), "new connections get the new certificate");
    let err = psql(addr, &trusting(&first), "SELECT 1").await.unwrap_err();
    assert!(err.contains("certificate verify failed"), "{err}");

    writeln!(stdin, "SELECT 'still here';").unwrap();
    drop(stdin);
    let out = tokio::task::spawn_blocking(move || open.wait_with_output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("alice") && stdout.contains("still here"), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn connection_limits_per_server_and_user() {
    let mut config = test_config();
    config.users = vec![user("alice", Some("pw"), None), user("bob", Some("pw"), None)];
    config.limits.max_connections = 3;
    config.limits.max_connections_per_user = 2;
    let (addr, ctx) = start(config).await;
    let connect = |who: &str| {
        let dsn = format!("host=127.0.0.1 port={} user={who} password=pw dbname=default_catalog", addr.port());
        async move {
            let (client, connection) = tokio_postgres::connect(&dsn, NoTls).await?;
            tokio::spawn(connection);
            Ok::<_, tokio_postgres::Error>(client)
        }
    };
    let a1 = connect("alice").await.unwrap();
    let _a2 = connect("alice").await.unwrap();
    let err = connect("alice").await.err().expect("a third alice");
    assert_eq!(err.code().map(|c| c.code()), Some("53300"));
    assert_eq!(err.as_db_error().map(|e| e.message()), Some("too many connections for role \"alice\""));
    let _b1 = connect("bob").await.unwrap();
    let err = connect("bob").await.err().expect("a fourth connection");
    assert_eq!(err.code().map(|c| c.code()), Some("53300"));
    assert_eq!(err.as_db_error().map(|e| e.message()), Some("sorry, too many clients already"));
    // Closing gives the places back.
    drop(a1);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match connect("alice").await {
            Ok(_) => break,
            Err(e) if Instant::now() < deadline => {
                assert_eq!(e.code().map(|c| c.code()), Some("53300"));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the place never came back: {e}"),
        }
    }
    assert!(ctx.admission.open() <= 3);
}

#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn repeated_failures_are_slowed_down_and_passwd_verifiers_log_in() {
    let out = Command::new(env!("CARGO_BIN_EXE_flinkwire"))
        .args(["passwd"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"s3cret pass\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    let verifier = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(verifier.starts_with("SCRAM-SHA-256$4096:"), "{verifier}");
    let mut config = test_config();
    config.users = vec![user("alice", Some(&verifier), None)];
    let (addr, _) = start(config).await;
    let dsn = |password: &str| format!("host=127.0.0.1 port={} user=alice password='{password}' dbname=default_catalog", addr.port());
    let (client, connection) = tokio_postgres::connect(&dsn("s3cret pass"), NoTls).await.unwrap();
    tokio::spawn(connection);
    drop(client);

    let mut waits = Vec::new();
    for _ in 0..4 {
        let started = Instant::now();
        let err = tokio_postgres::connect(&dsn("wrong"), NoTls).await.err().expect("wrong password");
        assert_eq!(err.code().map(|c| c.code()), Some("28P01"));
        waits.push(started.elapsed());
    }
    // 100, 200, 400, 800 ms before each answer, on top of the SCRAM exchange itself (4096
    // iterations: a few hundred ms in a debug build on a loaded machine), so compare differences.
    assert!(waits[3] >= Duration::from_millis(750), "{waits:?}");
    assert!(waits[3].saturating_sub(waits[0]) >= Duration::from_millis(500), "{waits:?}");
    // A success clears the address: the next failure waits 100 ms again, not 1.6 s.
    let _cleared = tokio_postgres::connect(&dsn("s3cret pass"), NoTls).await.unwrap();
    let started = Instant::now();
    tokio_postgres::connect(&dsn("wrong"), NoTls).await.err().expect("wrong password");
    let after_clear = started.elapsed();
    assert!(after_clear + Duration::from_millis(300) < waits[3], "{after_clear:?} after clearing, {waits:?} before");
}

#[test]
fn broken_tls_configuration_stops_startup() {
    let pki = Pki::new("e");
    let (cert, key) = pki.server_ec("server");
    let (_, other_key) = pki.server_rsa("other");
    let overrides = flinkwire::config::Overrides {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        gateway_url: Some("http://127.0.0.1:9".into()),
    };
    let mut config = Config::load(None, &overrides).unwrap();
    let err = |config: &Config| ServerContext::new(config.clone()).err().expect("refused").to_string();
    config.tls = tls(&cert, &other_key, None, None);
    assert!(err(&config).contains("do not go together"), "{}", err(&config));
    config.tls = tls(Path::new("/nonexistent/cert.pem"), &key, None, None);
    assert!(err(&config).contains("/nonexistent/cert.pem"), "{}", err(&config));
    config.tls = tls(&key, &key, None, None);
    assert!(err(&config).contains("no certificate"), "{}", err(&config));
    config.tls = tls(&cert, &key, Some(&key), None);
    assert!(err(&config).contains("client_ca"), "{}", err(&config));
    config.tls = TlsConfig { mode: Some(TlsMode::Require), ..Default::default() };
    assert!(err(&config).contains("needs tls.cert"), "{}", err(&config));
    // A user who can never log in is a configuration error too.
    config.tls = TlsConfig::default();
    config.users = vec![user("carol", None, Some(AuthMethod::Cert))];
    assert!(err(&config).contains("tls.client_ca"), "{}", err(&config));
    config.tls = tls(&cert, &key, None, None);
    config.users = vec![];
    assert!(ServerContext::new(config).is_ok());
}

/// The `flinkwire serve` process: SIGHUP reloads the certificate files, the process keeps serving.
#[tokio::test]
#[ignore = "needs Flink: scripts/test.sh"]
async fn sighup_reloads_the_certificate_of_the_running_binary() {
    let first = Pki::new("f1");
    let second = Pki::new("f2");
    let files = pki::TempDir::new("sighup");
    let (cert, key) = (files.0.join("server.crt"), files.0.join("server.key"));
    let (c1, k1) = first.server_ec("server");
    std::fs::copy(&c1, &cert).unwrap();
    std::fs::copy(&k1, &key).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let gateway = std::env::var("FLINKWIRE_TEST_GATEWAY").expect("FLINKWIRE_TEST_GATEWAY");
    let config = files.0.join("flinkwire.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\n[gateway]\nurl = \"{gateway}\"\n[tls]\ncert = \"{}\"\nkey = \"{}\"\nmode = \"require\"\n",
            cert.display(),
            key.display()
        ),
    )
    .unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_flinkwire"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(Instant::now() < deadline, "flinkwire did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let trusting = |pki: &Pki| format!("sslmode=verify-full sslrootcert={}", pki.root().display());
    let before = psql(addr, &trusting(&first), "SELECT current_user").await;
    let (c2, k2) = second.server_ec("server");
    std::fs::copy(&c2, &cert).unwrap();
    std::fs::copy(&k2, &key).unwrap();
    let hup = Command::new("kill").args(["-HUP", &server.id().to_string()]).status().unwrap();
    assert!(hup.success());
    let mut after = Err(String::new());
    for _ in 0..50 {
        after = psql(addr, &trusting(&second), "SELECT current_user").await;
        if after.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let alive = server.try_wait().unwrap().is_none();
    let _ = server.kill();
    let _ = server.wait();
    assert!(before.is_ok(), "{before:?}");
    assert!(after.is_ok(), "after SIGHUP the new certificate: {after:?}");
    assert!(alive, "SIGHUP must not stop the server");
}
