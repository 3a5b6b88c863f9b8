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
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let Cli { command: Command::Serve { listen, gateway, config } } = Cli::parse();
    let overrides = Overrides { listen, gateway_url: gateway };
    let config = match Config::load(config.as_deref(), &overrides) {
        Ok(c) => c,
        Err(err) => {
            tracing::error!("{err}");
            return std::process::ExitCode::from(2);
        }
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        let _ = stop.send(true);
    });
    match flinkwire::server::run(config, stopped).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Ctrl-C or SIGTERM.
async fn wait_for_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
