//! `tpc-codec-server`: serves the Temporal codec server protocol from a TOML config.

#![forbid(unsafe_code)]

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tpc_codec_server::config::{Config, ProcessEnv};
use tpc_codec_server::reload::{self, Live};
use tpc_codec_server::{metrics, routes, server};

#[derive(Parser)]
#[command(
    name = "tpc-codec-server",
    version,
    about = "Temporal codec server on temporal-payload-codec"
)]
struct Args {
    /// The TOML configuration file.
    #[arg(short, long, env = "TPC_CODEC_SERVER_CONFIG")]
    config: PathBuf,
    /// Validate the configuration (keys, tokens, JWKS) and exit: 0 when valid.
    #[arg(long)]
    check_config: bool,
    /// Overrides server.listen (host:port).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
}

/// Loads every JWKS once. At startup (`strict` false) a failure is only a warning, never an
/// error (the identity provider may come back; verification retries); for --check-config
/// (`strict`) it is an error.
async fn load_jwks(config: &Config, strict: bool) -> Result<(), String> {
    for ns in config.namespaces.values() {
        let Some(jwt) = ns.auth.as_ref().and_then(|a| a.jwt()) else {
            continue;
        };
        match jwt.load().await {
            Ok(n) => tracing::info!(target: "server", namespace = %ns.name, keys = n, "JWKS loaded"),
            Err(e) if strict => return Err(format!("namespace {:?}: {e}", ns.name)),
            Err(e) => {
                tracing::warn!(target: "server", namespace = %ns.name, error = %e, "JWKS not loaded yet")
            }
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!(target: "server", "signal received");
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    // One JSON object a line on stdout; RUST_LOG narrows or widens it (default info).
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let config_path = std::path::absolute(&args.config).unwrap_or_else(|_| args.config.clone());
    let mut config = match Config::load(&config_path, &ProcessEnv) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tpc-codec-server: config error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(listen) = args.listen {
        config.server.listen = listen;
    }
    if let Err(e) = load_jwks(&config, args.check_config).await {
        eprintln!("tpc-codec-server: config error: {e}");
        return ExitCode::from(2);
    }
    if args.check_config {
        let names: Vec<&str> = config.namespaces.keys().map(String::as_str).collect();
        println!("config OK: namespaces {names:?}, listen {}", config.server.listen);
        return ExitCode::SUCCESS;
    }
    let listener = match server::listen(config.server.listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("tpc-codec-server: cannot listen on {}: {e}", config.server.listen);
            return ExitCode::from(1);
        }
    };
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    // Metrics and the per-client limiter outlive reloads: every router is built around them.
    let shared = routes::Shared::default();
    if let Some(metrics_addr) = config.metrics.listen {
        let metrics_listener = match server::listen(metrics_addr) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("tpc-codec-server: cannot listen on {metrics_addr} (metrics.listen): {e}");
                return ExitCode::from(1);
            }
        };
        let addr = metrics_listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        tracing::info!(target: "server", listen = %addr, "metrics listening");
        tokio::spawn(metrics::serve(metrics_listener, Arc::clone(&shared.metrics)));
    }
    let limits = server::Limits {
        header_read_timeout: config.server.header_read_timeout(),
        max_connections: config.server.max_connections,
        shutdown_grace: config.server.shutdown_grace(),
        max_connections_per_address: config.server.max_connections_per_address,
        idle_timeout: config.server.idle_timeout(),
        metrics: Some(Arc::clone(&shared.metrics)),
    };
    let namespaces: Vec<&str> = config.namespaces.keys().map(String::as_str).collect();
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    tracing::info!(target: "server", listen = %addr, scheme, namespaces = ?namespaces, "listening");
    let live = Live::new(Arc::new(config), move |c| routes::app_with(c, &shared));
    tokio::spawn(reload::on_sighup(
        Arc::clone(&live),
        config_path,
        Arc::new(ProcessEnv),
        args.listen,
    ));
    let drained = server::serve(listener, live, limits, shutdown_signal()).await;
    if drained {
        tracing::info!(target: "server", "stopped");
    } else {
        tracing::warn!(target: "server", "stopped with requests still running after the grace period");
    }
    ExitCode::SUCCESS
}
