//! The `flinkwire` command: parses flags, sets up logging, runs the server.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use flinkwire::config::{Config, LogFormat, Overrides};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "flinkwire", version, about = "PostgreSQL wire protocol front end for Apache Flink SQL")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the configuration comes from: the file, then `FLINKWIRE_*` variables, then flags.
#[derive(clap::Args)]
struct ConfigSource {
    /// Address to listen on (default 127.0.0.1:5433).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Flink SQL Gateway REST endpoint (default http://127.0.0.1:8083).
    #[arg(long)]
    gateway: Option<String>,
    /// TOML configuration file; FLINKWIRE_* environment variables override it, flags override both.
    #[arg(long)]
    config: Option<PathBuf>,
}

impl ConfigSource {
    fn load(&self) -> Result<Config, flinkwire::config::ConfigError> {
        let overrides = Overrides { listen: self.listen, gateway_url: self.gateway.clone() };
        Config::load(self.config.as_deref(), &overrides)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve PostgreSQL clients, running their SQL on Flink through a SQL Gateway.
    Serve {
        #[command(flatten)]
        source: ConfigSource,
    },
    /// Check a configuration as `serve` would (keys, TLS files, users, environments' SQL files)
    /// and print the effective configuration with every secret redacted; exit 2 on a problem.
    CheckConfig {
        #[command(flatten)]
        source: ConfigSource,
        /// Also contact every cluster's SQL Gateway (`GET /info`); exit 1 if one does not answer.
        #[arg(long)]
        probe: bool,
    },
    /// Read a password and print its SCRAM-SHA-256 verifier for `[[users]] password`.
    ///
    /// The password is read from the terminal without echo (twice), or as one line from standard
    /// input when that is not a terminal: `printf '%s\n' "$PW" | flinkwire passwd alice`.
    Passwd {
        /// The user the verifier is for (printed as a ready `[[users]]` entry).
        user: Option<String>,
        /// PBKDF2 iterations (PostgreSQL's default is 4096).
        #[arg(long, default_value_t = flinkwire::auth::verifier::DEFAULT_ITERATIONS)]
        iterations: u32,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let (source, check) = match Cli::parse().command {
        Command::Serve { source } => (source, None),
        Command::CheckConfig { source, probe } => (source, Some(probe)),
        Command::Passwd { user, iterations } => return passwd(user.as_deref(), iterations),
    };
    let config = match source.load() {
        Ok(c) => c,
        Err(err) => {
            eprintln!("flinkwire: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    if let Some(probe) = check {
        return check_config(config, probe).await;
    }
    init_logging(config.log_format);
    match flinkwire::server::run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs to stderr as text or one JSON object per line; `RUST_LOG` filters (default `info`).
fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        // Every line carries its spans (`conn` with the connection id and peer), so one
        // connection's lines can be selected with a JSON query.
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(true).init(),
    }
}

/// `flinkwire check-config`: everything `serve` checks before listening, then (with `--probe`)
/// each gateway. The effective configuration goes to stdout, findings to stderr.
#[allow(clippy::print_stdout)]
async fn check_config(config: Config, probe: bool) -> std::process::ExitCode {
    if let Err(err) = flinkwire::server::ServerContext::new(config.clone()) {
        eprintln!("flinkwire: {err}");
        return std::process::ExitCode::from(2);
    }
    print!("{}", config.to_redacted_toml());
    eprintln!("flinkwire: configuration ok");
    if !probe {
        return std::process::ExitCode::SUCCESS;
    }
    let forced = config.gateway.forced_api_version().ok().flatten();
    let mut failed = false;
    for (name, cluster) in config.effective_clusters() {
        let url = cluster.gateway.unwrap_or_else(|| config.gateway.url.clone());
        let answer = match flinkwire::backend::GatewayClient::new(&url, config.gateway.request_timeout(), forced) {
            Ok(client) => client.info().await.map(|info| info.version).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match answer {
            Ok(version) => eprintln!("flinkwire: cluster {name}: {url} answers (Flink {version})"),
            Err(e) => {
                failed = true;
                eprintln!("flinkwire: cluster {name}: {url} does not answer: {e}");
            }
        }
    }
    if failed { std::process::ExitCode::FAILURE } else { std::process::ExitCode::SUCCESS }
}

/// `flinkwire passwd`: prints a verifier (nothing else on standard output, so scripts can use it).
#[allow(clippy::print_stdout)]
fn passwd(user: Option<&str>, iterations: u32) -> std::process::ExitCode {
    use std::io::IsTerminal;
    if iterations < 4096 {
        eprintln!("flinkwire passwd: --iterations must be at least 4096 (RFC 7677)");
        return std::process::ExitCode::from(2);
    }
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ");
        let again = rpassword::prompt_password("Again: ");
        match (first, again) {
            (Ok(a), Ok(b)) if a == b => a,
            (Ok(_), Ok(_)) => {
                eprintln!("flinkwire passwd: the passwords differ");
                return std::process::ExitCode::from(1);
            }
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("flinkwire passwd: cannot read the password: {e}");
                return std::process::ExitCode::from(1);
            }
        }
    } else {
        let mut line = String::new();
        if let Err(e) = std::io::stdin().read_line(&mut line) {
            eprintln!("flinkwire passwd: cannot read the password: {e}");
            return std::process::ExitCode::from(1);
        }
        line.trim_end_matches(['\n', '\r']).to_owned()
    };
    if password.is_empty() {
        eprintln!("flinkwire passwd: empty password");
        return std::process::ExitCode::from(1);
    }
    let verifier = flinkwire::auth::verifier::ScramVerifier::from_password(&password, iterations);
    match user {
        Some(user) => println!("[[users]]\nname = {}\npassword = \"{verifier}\"", toml_string(user)),
        None => println!("{verifier}"),
    }
    std::process::ExitCode::SUCCESS
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}
