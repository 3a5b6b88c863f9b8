//! The `connect_tls` check of tokio-postgres against the require-mode flinkwire of
//! `conformance/run.sh` (environment: FW_CONF_TLS_HOST, _PORT, _CA, _OTHER_CA, _USER, _PASSWORD).
//! Prints one JSON object, `{"status": "pass|fail|skip", "reason": "..."}`.
//!
//! tokio-postgres has no TLS of its own and no `sslmode=verify-full`: the connector verifies. With
//! tokio-postgres-rustls that is rustls/webpki, which checks the chain against the CA given here
//! and the host name `localhost` against the certificate (what libpq's verify-full checks).
//! `channel_binding=require` makes tokio-postgres refuse anything but SCRAM-SHA-256-PLUS bound to
//! the server's certificate (tls-server-end-point).

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio_postgres::config::{ChannelBinding, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

struct Env {
    host: String,
    port: u16,
    ca: String,
    other_ca: Option<String>,
    user: String,
    password: String,
}

fn env() -> Option<Env> {
    let var = |k: &str| std::env::var(format!("FW_CONF_TLS_{k}")).ok().filter(|v| !v.is_empty());
    Some(Env {
        host: var("HOST").unwrap_or_else(|| "localhost".into()),
        port: var("PORT")?.parse().ok()?,
        ca: var("CA")?,
        other_ca: var("OTHER_CA"),
        user: var("USER")?,
        password: var("PASSWORD")?,
    })
}

fn tls(ca: &str) -> Result<MakeRustlsConnect, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| format!("{ca}: {e}"))? {
        roots.add(cert.map_err(|e| format!("{ca}: {e}"))?).map_err(|e| format!("{ca}: {e}"))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// Connects (TLS with channel binding required, or plaintext) and returns the client.
async fn connect(env: &Env, ca: &str, password: &str, use_tls: bool) -> Result<tokio_postgres::Client, String> {
    let mut config = tokio_postgres::Config::new();
    config
        .host(&env.host)
        .port(env.port)
        .user(&env.user)
        .password(password)
        .dbname("default_catalog")
        .connect_timeout(Duration::from_secs(15));
    if use_tls {
        config.ssl_mode(SslMode::Require).channel_binding(ChannelBinding::Require);
    } else {
        config.ssl_mode(SslMode::Disable);
    }
    let (client, connection) = config.connect(tls(ca)?).await.map_err(describe)?;
    tokio::spawn(connection);
    Ok(client)
}

fn describe(e: tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} {}", db.code().code(), db.message()),
        None => format!("{e}: {}", std::error::Error::source(&e).map(ToString::to_string).unwrap_or_default()),
    }
}

async fn expect_refused(what: &str, got: Result<tokio_postgres::Client, String>, needle: &str) -> Result<(), String> {
    match got {
        Ok(_) => Err(format!("{what}: connected")),
        Err(e) if e.contains(needle) => Ok(()),
        Err(e) => Err(format!("{what}: refused, but without {needle:?}: {e}")),
    }
}

async fn check(env: &Env) -> Result<String, String> {
    let client = connect(env, &env.ca, &env.password, true).await?;
    let user: String = client.query_one("SELECT current_user", &[]).await.map_err(describe)?.get(0);
    if user != env.user {
        return Err(format!("current_user: got {user:?}, want {:?}", env.user));
    }
    let row = client
        .query_one("SELECT customer FROM orders WHERE order_id = 3", &[])
        .await
        .map_err(describe)?;
    let customer: String = row.get(0);
    if customer != "carol" {
        return Err(format!("row: got {customer:?}, want \"carol\""));
    }
    drop(client);
    expect_refused("plaintext", connect(env, &env.ca, &env.password, false).await, "28000").await?;
    expect_refused("wrong password", connect(env, &env.ca, "wrong", true).await, "28P01").await?;
    let mut other = String::new();
    if let Some(other_ca) = &env.other_ca {
        expect_refused("another CA", connect(env, other_ca, &env.password, true).await, "UnknownIssuer").await?;
        other = "; another CA refused".into();
    }
    Ok(format!(
        "tokio-postgres-rustls: rustls verifies the chain and host name {}{other} (verify-full) + SCRAM-SHA-256-PLUS \
         (channel_binding=require); plaintext refused 28000; wrong password 28P01",
        env.host
    ))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (status, reason) = match env() {
        None => ("skip", "no TLS flinkwire (FW_CONF_TLS_PORT, FW_CONF_TLS_CA, FW_CONF_TLS_USER, FW_CONF_TLS_PASSWORD)".to_owned()),
        Some(env) => match tokio::time::timeout(Duration::from_secs(90), check(&env)).await {
            Ok(Ok(reason)) => ("pass", reason),
            Ok(Err(reason)) => ("fail", reason),
            Err(_) => ("fail", "no answer within 90s".to_owned()),
        },
    };
    let reason: String = reason.chars().take(300).collect();
    println!("{}", serde_json::json!({"status": status, "reason": reason}));
}
