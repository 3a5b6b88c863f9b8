//! `flinkwire check-config` on good, bad and secret-bearing files (issue 13 item 4), through the
//! built binary as an operator runs it. No Flink is needed: only `--probe` contacts a gateway, and
//! it is pointed at a port nothing listens on.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A directory of its own per test, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("flinkwire-check-config-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write scratch file");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `flinkwire check-config --config FILE [extra…]` with no `FLINKWIRE_*` variables but `env`.
fn check(file: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flinkwire"));
    command.arg("check-config").arg("--config").arg(file).args(extra);
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("FLINKWIRE_")) {
        command.env_remove(key);
    }
    command.envs(env.iter().copied());
    command.output().expect("run flinkwire check-config")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The problem is reported with exit code 2, on stderr, naming `needles`; nothing on stdout.
fn assert_refused(out: &Output, needles: &[&str]) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "exit code; stderr:\n{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "stderr should name {needle:?}:\n{stderr}");
    }
    assert!(out.stdout.is_empty(), "no configuration is printed for a bad file:\n{}", text(&out.stdout));
}

const SECRETS: [&str; 4] = ["hunter2-user-password", "s3-secret-value", "jdbc-password-value", "token-value-xyz"];

#[test]
fn a_good_file_prints_the_effective_configuration_with_every_secret_redacted() {
    let dir = Scratch::new("good");
    let init = dir.write("init.sql", "CREATE TEMPORARY VIEW v AS SELECT 1 AS x;\n");
    let file = dir.write(
        "flinkwire.toml",
        &format!(
            r#"
listen = "127.0.0.1:5433"
shutdown_timeout_secs = 12

[gateway]
url = "http://127.0.0.1:8083"

[[users]]
name = "alice"
password = "{}"

[clusters.main]
gateway = "http://127.0.0.1:8083"
default = true
properties = {{ "s3.secret-key" = "{}", "parallelism.default" = "2" }}

[environments.demo]
clusters = ["main"]
files = ["{}"]
init_sql = ["SET 'table.local-time-zone' = 'UTC'"]

[[environments.demo.catalogs]]
name = "pg"
type = "jdbc"
options = {{ "base-url" = "jdbc:postgresql://db:5432", password = "{}", "auth.token" = "{}" }}
"#,
            SECRETS[0],
            SECRETS[1],
            init.display(),
            SECRETS[2],
            SECRETS[3],
        ),
    );
    // The environment overrides the file, as `serve` reads it.
    let out = check(&file, &[], &[("FLINKWIRE_SHUTDOWN_TIMEOUT_SECS", "45")]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(stderr.contains("configuration ok"), "{stderr}");
    for secret in SECRETS {
        assert!(!stdout.contains(secret) && !stderr.contains(secret), "{secret} printed:\n{stdout}\n{stderr}");
    }
    assert!(stdout.matches("<redacted>").count() >= SECRETS.len(), "redaction markers:\n{stdout}");
    // Not a secret, so shown: the effective values after file + environment.
    assert!(stdout.contains("shutdown_timeout_secs = 45"), "environment override:\n{stdout}");
    assert!(stdout.contains("parallelism.default"), "{stdout}");
    assert!(stdout.contains("jdbc:postgresql://db:5432"), "{stdout}");
    let printed: toml::Value = toml::from_str(&stdout).expect("the printed configuration is TOML");
    assert_eq!(printed["users"][0]["name"].as_str(), Some("alice"));
}

#[test]
fn an_unknown_key_is_named_with_its_section() {
    let dir = Scratch::new("unknown-key");
    let file = dir.write("flinkwire.toml", "[pool]\nsize = 2\nmax_sesions = 9\n");
    assert_refused(&check(&file, &[], &[]), &["max_sesions", "pool"]);
    let top = dir.write("top.toml", "listen_address = \"127.0.0.1:5433\"\n");
    assert_refused(&check(&top, &[], &[]), &["listen_address"]);
}

#[test]
fn an_unreadable_tls_file_is_refused_naming_the_file() {
    let dir = Scratch::new("tls");
    let missing = dir.0.join("no-such-cert.pem");
    let key = dir.write("key.pem", "not a key\n");
    let file = dir.write(
        "flinkwire.toml",
        &format!("[tls]\ncert = \"{}\"\nkey = \"{}\"\n", missing.display(), key.display()),
    );
    assert_refused(&check(&file, &[], &[]), &["no-such-cert.pem"]);
    // A file that is there but is not PEM.
    let cert = dir.write("cert.pem", "garbage\n");
    let file = dir.write("garbage.toml", &format!("[tls]\ncert = \"{}\"\nkey = \"{}\"\n", cert.display(), key.display()));
    let out = check(&file, &[], &[]);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{}", text(&out.stderr));
}

#[test]
fn an_unparsable_gateway_url_is_refused() {
    let dir = Scratch::new("url");
    let file = dir.write("flinkwire.toml", "[gateway]\nurl = \"not a url\"\n");
    assert_refused(&check(&file, &[], &[]), &["not a url"]);
    let cluster = dir.write("cluster.toml", "[clusters.a]\ngateway = \"http//missing-colon\"\n");
    assert_refused(&check(&cluster, &[], &[]), &["http//missing-colon"]);
}

#[test]
fn a_missing_environment_sql_file_is_refused_naming_it() {
    let dir = Scratch::new("env-file");
    let missing = dir.0.join("no-such-init.sql");
    let file = dir.write("flinkwire.toml", &format!("[environments.demo]\nfiles = [\"{}\"]\n", missing.display()));
    assert_refused(&check(&file, &[], &[]), &["no-such-init.sql"]);
}

#[test]
fn a_secret_in_a_bad_file_is_not_echoed() {
    let dir = Scratch::new("bad-secret");
    // Invalid (unknown role) but carrying a password: the error must not print it.
    let file = dir.write(
        "flinkwire.toml",
        &format!("[[users]]\nname = \"bob\"\npassword = \"{}\"\nrole = \"nope\"\n", SECRETS[0]),
    );
    let out = check(&file, &[], &[]);
    assert_refused(&out, &["nope"]);
    assert!(!text(&out.stderr).contains(SECRETS[0]), "{}", text(&out.stderr));
}

#[test]
fn probe_reports_a_gateway_that_does_not_answer() {
    let dir = Scratch::new("probe");
    // Bind then drop: a loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let file = dir.write(
        "flinkwire.toml",
        &format!("[gateway]\nurl = \"http://127.0.0.1:{port}\"\nrequest_timeout_secs = 3\n"),
    );
    let out = check(&file, &["--probe"], &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(stderr.contains("configuration ok"), "{stderr}");
    assert!(stderr.contains("does not answer") && stderr.contains(&port.to_string()), "{stderr}");
}
