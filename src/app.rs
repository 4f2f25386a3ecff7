//! Start-up and shutdown: logging, the store, the HTTP server, and the subcommands.

use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::auth::ApiKeyVerifier;
use crate::cli;
use crate::config::{Cli, Command, ServeArgs, redacted};
use crate::http::client_ip::ClientIpResolver;
use crate::http::{self, AppParts, AppState, HttpSettings};
use crate::links::RedirectCache;
use crate::links::service::LinkService;
use crate::pipeline::metrics::PipelineMetrics;
use crate::pipeline::runtime::Workers;
use crate::pipeline::writer::{ClickRecorder, WriterSettings};
use crate::store;
use crate::telemetry::MetricsRegistry;

/// Runs the command the user asked for.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    init_logging();
    match cli.command {
        Command::Serve(args) => {
            let app = Application::build(&cli.database_url, *args).await?;
            // On stdout, for people and scripts (a `--listen` port of 0 picks a free one).
            println!("listening on http://{}", app.local_addr()?);
            let stop = app.shutdown_token();
            tokio::spawn(async move {
                shutdown_signal().await;
                stop.cancel();
            });
            app.run_until_stopped().await
        }
        Command::Migrate => {
            let store = store::connect(&cli.database_url).await?;
            store.migrate().await?;
            println!("migrations applied to {}", redacted(&cli.database_url));
            Ok(())
        }
        Command::Worker(args) => {
            let store = store::connect(&cli.database_url).await?;
            store.migrate().await?;
            let workers = Workers::spawn(&store, &args.settings(), &PipelineMetrics::unscraped());
            shutdown_signal().await;
            workers.stop().await;
            Ok(())
        }
        Command::ApiKey(command) => {
            let store = store::connect(&cli.database_url).await?;
            store.migrate().await?;
            cli::api_key::run(store.as_ref(), command).await
        }
        Command::Dlq(command) => {
            let store = store::connect(&cli.database_url).await?;
            store.migrate().await?;
            cli::dlq::run(store.as_ref(), command).await
        }
    }
}

/// A server bound to its port, ready to run; tests build it on port 0 and read `port()`.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
    writer: JoinHandle<()>,
    workers: Workers,
}

impl Application {
    /// Connects and migrates the store, then binds the listener.
    pub async fn build(database_url: &str, args: ServeArgs) -> anyhow::Result<Self> {
        let store = store::connect(database_url)
            .await
            .with_context(|| format!("opening {}", redacted(database_url)))?;
        store.migrate().await.context("applying migrations")?;
        let listener = TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        let local = listener.local_addr()?;
        let base_url = match args.base_url {
            Some(url) => url,
            None => Url::parse(&format!("http://{local}"))?,
        };
        let registry = MetricsRegistry::new();
        let metrics = PipelineMetrics::on(&registry);
        let workers = Workers::spawn(&store, &args.pipeline.settings(), &metrics);
        let writer_settings = WriterSettings {
            capacity: args.click_buffer,
            mode: args.click_ack.into(),
            ack_timeout: args.click_ack_timeout,
            full_wait: args.click_buffer_wait,
        };
        let (clicks, writer) = ClickRecorder::spawn(
            Arc::clone(&store),
            workers.direct_store(),
            writer_settings,
            metrics.clone(),
        );
        let shutdown = CancellationToken::new();
        let redirects = RedirectCache::new(Arc::clone(&store), args.link_cache_ttl);
        let state = AppState::new(AppParts {
            geo: workers.geo(),
            shutdown: shutdown.clone(),
            clicks,
            client_ip: ClientIpResolver::new(args.trusted_proxies),
            metrics,
            redirect_latency: registry.histogram(http::REDIRECT_LATENCY),
            registry,
            links: LinkService::new(Arc::clone(&store), redirects.clone()),
            redirects,
            api_keys: ApiKeyVerifier::new(Arc::clone(&store), args.api_key_cache_ttl),
            settings: HttpSettings {
                base_url,
                redirect_status: args.redirect_status,
            },
            store,
        });
        tracing::info!(
            listen = %local,
            engine = state.store.engine(),
            base_url = %state.settings.base_url,
            click_ack = ?args.click_ack,
            "linkpulse ready"
        );
        Ok(Self {
            listener,
            state,
            shutdown,
            writer,
            workers,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.local_addr().map_or(0, |addr| addr.port())
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Cancelling this token stops the server gracefully.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Serves until the shutdown token is cancelled, then stops in order: finish in-flight
    /// requests, flush every buffered click to the outbox, let workers finish their batch.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let shutdown = self.shutdown.clone();
        let router = http::router(self.state);
        let served = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await;
        if let Err(err) = self.writer.await {
            tracing::error!(error = %err, "click writer failed");
        }
        self.workers.stop().await;
        tracing::info!("linkpulse stopped");
        Ok(served?)
    }
}

/// Logs go to stderr (stdout is for command output): JSON when `LINKPULSE_LOG_FORMAT=json`,
/// human-readable otherwise; `RUST_LOG` filters.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if std::env::var("LINKPULSE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    drop(result);
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
