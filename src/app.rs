//! Start-up and shutdown: logging, the store, the HTTP server, and the subcommands.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::auth::ApiKeyVerifier;
use crate::cli;
use crate::cli::health::AddressFile;
use crate::config::{Cli, Command, ServeArgs, redacted};
use crate::consumers::{Deliverer, broker};
use crate::http::client_ip::ClientIpResolver;
use crate::http::serve::{ServeSettings, Timeouts, serve};
use crate::http::{self, AppParts, AppState, HttpSettings};
use crate::links::service::LinkService;
use crate::links::{DomainDirectory, RedirectCache};
use crate::pipeline::metrics::PipelineMetrics;
use crate::pipeline::runtime::Workers;
use crate::pipeline::threads::{self, PipelineThreads};
use crate::pipeline::visitor::VisitorSalts;
use crate::pipeline::writer::{ClickRecorder, WriterSettings};
use crate::store;
use crate::telemetry::MetricsRegistry;

/// Runs the command the user asked for.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    init_logging();
    match cli.command {
        Command::Serve(args) => {
            let address_file = args.address_file.clone();
            let app = Application::build(&cli.database_url, *args).await?;
            // On stdout, for people and scripts (a `--listen` port of 0 picks a free one).
            println!("listening on http://{}", app.local_addr()?);
            let _address_file = address_file
                .map(|path| AddressFile::write(&path, app.local_addr()?))
                .transpose()?;
            let stop = app.shutdown_token();
            tokio::spawn(async move {
                shutdown_signal().await;
                stop.cancel();
            });
            app.run_until_stopped().await
        }
        Command::Migrate => {
            let store = store::connect(&cli.database_url).await?;
            let applied = store.migrate().await?;
            let target = redacted(&cli.database_url);
            if applied.is_empty() {
                println!("{target} is up to date: no migration was pending");
            } else {
                println!("applied {} migrations to {target}:", applied.len());
                for migration in applied {
                    println!("  {migration}");
                }
            }
            Ok(())
        }
        Command::Worker(args) => {
            if args.workers == Some(0) {
                anyhow::bail!(
                    "linkpulse worker --workers 0 would store no clicks: give 1 or more (0 is for \
                     serve, to make a redirect-only node)"
                );
            }
            let store = store::connect(&cli.database_url).await?;
            store.migrate().await?;
            let workers = Workers::spawn(
                &tokio::runtime::Handle::current(),
                &store,
                &args.settings(),
                &PipelineMetrics::unscraped(),
            );
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
        Command::Webhook(command) => {
            let store = store::connect(&cli.database_url).await?;
            store.migrate().await?;
            cli::webhook::run(store.as_ref(), command).await
        }
        Command::Import(command) => {
            let store = store::connect(&cli.database_url).await?;
            store.migrate().await?;
            cli::import::run(store.as_ref(), command).await
        }
        Command::Health(args) => cli::health::run(&args).await,
    }
}

/// A server bound to its port, ready to run; tests build it on port 0 and read `port()`.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    serving: ServeSettings,
    shutdown: CancellationToken,
    writer: JoinHandle<()>,
    workers: Workers,
    deliveries: Option<JoinHandle<()>>,
    pipeline: PipelineThreads,
}

impl Application {
    /// Connects and migrates the store, then binds the listener.
    pub async fn build(database_url: &str, args: ServeArgs) -> anyhow::Result<Self> {
        let store = store::connect(database_url).await?;
        store.migrate().await?;
        let listener = bind(&args.listen).await?;
        let local = listener.local_addr()?;
        let base_url = match args.base_url {
            Some(url) => url,
            None => Url::parse(&format!("http://{local}"))?,
        };
        let expired_url = match &args.expired_url {
            Some(raw) => {
                let own = crate::links::OwnOrigin::new(&base_url, local);
                let url = crate::links::LongUrl::parse(raw, &own).map_err(|err| {
                    anyhow::anyhow!("--expired-url {raw:?}: {err}; give an http(s) URL elsewhere")
                })?;
                Some(url.to_string())
            }
            None => None,
        };
        let registry = MetricsRegistry::new();
        let traces = args.traces.traces()?;
        let metrics = PipelineMetrics::on(&registry).traced(traces.clone());
        let pipeline = PipelineThreads::start(threads::cores(), args.pipeline_nice)?;
        let workers = Workers::spawn(
            pipeline.handle(),
            &store,
            &args.pipeline.settings(),
            &metrics,
        );
        let writer_settings = WriterSettings {
            capacity: args.click_buffer,
            mode: args.click_ack.into(),
            ack_timeout: args.click_ack_timeout,
            full_wait: args.click_buffer_wait,
        };
        let (clicks, writer) = ClickRecorder::spawn(
            pipeline.handle(),
            Arc::clone(&store),
            workers.direct_store(),
            writer_settings,
            metrics.clone(),
        );
        let shutdown = CancellationToken::new();
        let redirects = RedirectCache::new(Arc::clone(&store), args.link_cache_ttl);
        let domains = DomainDirectory::default();
        let links = LinkService::new(Arc::clone(&store), redirects.clone(), domains.clone());
        links.load_domains().await?;
        if let Some(changes) = store.link_changes() {
            links.follow(changes);
        }
        let domains_refresh = args.link_cache_ttl.max(std::time::Duration::from_secs(1));
        links.refresh_domains_every(domains_refresh, shutdown.clone());
        let state = AppState::new(AppParts {
            geo: workers.geo(),
            shutdown: shutdown.clone(),
            clicks,
            client_ip: ClientIpResolver::new(args.trusted_proxies),
            metrics,
            redirect_latency: registry.histogram(http::REDIRECT_LATENCY),
            registry,
            links,
            domains,
            redirects,
            api_keys: ApiKeyVerifier::new(Arc::clone(&store), args.api_key_cache_ttl),
            settings: HttpSettings {
                base_url,
                redirect_status: args.redirect_status,
                request_timeout: args.request_timeout,
                listen: Some(local),
                cors_origins: args.cors_origins,
                metrics_token: args.metrics_token.filter(|token| !token.is_empty()),
                expired_url,
                unknown_hosts: args.unknown_hosts,
                webhooks_allow_private: args.webhooks.webhooks_allow_private,
            },
            visitor_salts: VisitorSalts::new(Arc::clone(&store)),
            store,
        });
        // Consumers are delivered to where clicks are stored: not on a redirect-only node.
        let deliveries = match args.pipeline.workers {
            Some(0) => None,
            _ => {
                broker::register(state.store.as_ref(), &args.brokers.configured()).await?;
                let payloads = http::events::payloads(state.settings.clone());
                let deliverer = Deliverer::new(
                    Arc::clone(&state.store),
                    payloads,
                    args.webhooks.settings(),
                    args.brokers.brokers()?,
                    traces.clone(),
                )?;
                Some(pipeline.handle().spawn(deliverer.run(shutdown.clone())))
            }
        };
        tracing::info!(
            listen = %local,
            engine = state.store.engine(),
            base_url = %state.settings.base_url,
            click_ack = ?args.click_ack,
            "linkpulse ready"
        );
        let serving = ServeSettings {
            timeouts: Timeouts {
                header: args.header_timeout,
                idle: args.idle_timeout,
            },
            max_connections: args.max_connections,
            shutdown_deadline: args.shutdown_timeout,
        };
        Ok(Self {
            listener,
            state,
            serving,
            shutdown,
            writer,
            workers,
            deliveries,
            pipeline,
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

    /// Serves until the shutdown token is cancelled, then stops in order: let open requests
    /// finish (up to the shutdown deadline), flush every buffered click to the outbox, let
    /// workers finish their batch, send the last spans.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let traces = self.state.metrics.traces.clone();
        let router = http::router(self.state);
        serve(self.listener, router, self.serving, self.shutdown).await;
        if let Err(err) = self.writer.await {
            tracing::error!(error = %err, "click writer failed");
        }
        self.workers.stop().await;
        if let Some(deliveries) = self.deliveries {
            // A delivery still in flight is freed by its lease and made again after a restart.
            let _ = tokio::time::timeout(self.serving.shutdown_deadline, deliveries).await;
        }
        self.pipeline.stop();
        // The exporter's thread sends the last spans through this runtime: wait beside it.
        let _ = tokio::task::spawn_blocking(move || traces.shutdown()).await;
        tracing::info!("linkpulse stopped");
        Ok(())
    }
}

/// An error and its causes in one line, each cause only when its text adds something (an error
/// that prints its source would otherwise repeat it).
pub fn one_line(err: &anyhow::Error) -> String {
    let mut line = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line.replace('\n', " ")
}

/// Binds `--listen`, resolving a host name; a failure says what to change.
async fn bind(listen: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(listen).await.map_err(|err| {
        let hint = match err.kind() {
            std::io::ErrorKind::AddrInUse => {
                "the port is taken (another linkpulse?): choose another --listen port"
            }
            std::io::ErrorKind::PermissionDenied => {
                "ports below 1024 need privileges: choose a port of 1024 or more"
            }
            std::io::ErrorKind::AddrNotAvailable => {
                "this machine has no such address: use 127.0.0.1, 0.0.0.0 or one of its own"
            }
            _ => "check the host name and port given to --listen",
        };
        anyhow::anyhow!("cannot listen on {listen}: {err}; {hint}")
    })
}

/// Logs go to stderr (stdout is for command output), one line per event: by default coloured
/// text on a terminal and JSON anywhere else (containers, systemd, CI), where a machine reads
/// them; `LINKPULSE_LOG_FORMAT=text|json` chooses. Colour only ever goes to a terminal.
/// `RUST_LOG` filters.
fn init_logging() {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let terminal = std::io::stderr().is_terminal();
    let json = match std::env::var("LINKPULSE_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => !terminal,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(terminal)
        .with_writer(std::io::stderr);
    let result = if json {
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
