//! Serving connections: HTTP/1.1 over hyper with the limits a public server needs — a cap on
//! open connections, header and idle timeouts ([`watchdog`]), and a shutdown that waits for
//! open requests only up to a deadline.

mod watchdog;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

pub use watchdog::Timeouts;
use watchdog::{Activity, Watched};

/// Pause after `accept` fails (e.g. out of file descriptors) before trying again.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// How the server treats connections.
#[derive(Debug, Clone, Copy)]
pub struct ServeSettings {
    /// Header and idle timeouts.
    pub timeouts: Timeouts,
    /// Connections open at once; further clients wait in the listen queue.
    pub max_connections: usize,
    /// How long shutdown waits for open requests before closing their connections.
    pub shutdown_deadline: Duration,
}

/// Serves `router` on `listener` until `stop` is cancelled, then lets open requests finish for
/// at most the shutdown deadline and closes whatever is still open.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: ServeSettings,
    stop: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut last_accept_error: Option<Instant> = None;
    loop {
        let slot = tokio::select! {
            () = stop.cancelled() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        let accepted = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let connection = Connection {
                    peer,
                    timeouts: settings.timeouts,
                    slot,
                };
                connections.spawn(connection.serve(stream, &router, &graceful));
            }
            Err(err) => {
                if last_accept_error.is_none_or(|at| at.elapsed() > Duration::from_secs(10)) {
                    tracing::error!(error = %err, "cannot accept connections (too many open files? raise `ulimit -n` or lower --max-connections)");
                    last_accept_error = Some(Instant::now());
                }
                tokio::time::sleep(ACCEPT_PAUSE).await;
            }
        }
    }
    drop(listener);
    let open = graceful.count();
    if tokio::time::timeout(settings.shutdown_deadline, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            open,
            deadline = ?settings.shutdown_deadline,
            "closing connections still open at the shutdown deadline"
        );
    }
    connections.shutdown().await;
}

/// One client's connection, holding its slot until it ends.
struct Connection {
    peer: SocketAddr,
    timeouts: Timeouts,
    slot: OwnedSemaphorePermit,
}

impl Connection {
    /// Serves `stream`'s requests (each carrying the peer address) under the watchdog's
    /// timeouts, as one of the connections `graceful` shuts down.
    fn serve(
        self,
        stream: TcpStream,
        router: &Router,
        graceful: &GracefulShutdown,
    ) -> impl Future<Output = ()> + Send + 'static {
        let Self {
            peer,
            timeouts,
            slot,
        } = self;
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::default());
        let io = TokioIo::new(Watched::new(stream, Arc::clone(&activity), timeouts));
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let serving = activity.begin();
            let router = router.clone();
            async move {
                let response = router.oneshot(request).await;
                drop(serving);
                response
            }
        });
        let served = http1::Builder::new()
            .header_read_timeout(None)
            .serve_connection(io, service);
        let served = graceful.watch(served);
        async move {
            if let Err(err) = served.await {
                tracing::debug!(error = %err, %peer, "connection ended with an error");
            }
            drop(slot);
        }
    }
}
