//! The `flinkwire` command: parses flags, sets up logging, runs the server.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use flinkwire::config::{Config, Overrides};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "flinkwire", version, about = "PostgreSQL wire protocol front end for Apache Flink SQL")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve PostgreSQL clients, running their SQL on Flink through a SQL Gateway.
    Serve {
        /// Address to listen on (default 127.0.0.1:5433).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Flink SQL Gateway REST endpoint (default http://127.0.0.1:8083).
        #[arg(long)]
        gateway: Option<String>,
        /// TOML configuration file; FLINKWIRE_* environment variables override it, flags override both.
        #[arg(long)]
        config: Option<PathBuf>,
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
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let (listen, gateway, config) = match Cli::parse().command {
        Command::Serve { listen, gateway, config } => (listen, gateway, config),
        Command::Passwd { user, iterations } => return passwd(user.as_deref(), iterations),
    };
    let overrides = Overrides { listen, gateway_url: gateway };
    let config = match Config::load(config.as_deref(), &overrides) {
        Ok(c) => c,
        Err(err) => {
            tracing::error!("{err}");
            return std::process::ExitCode::from(2);
        }
    };
    match flinkwire::server::run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            std::process::ExitCode::FAILURE
        }
    }
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
