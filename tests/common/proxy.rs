//! A TCP proxy in front of a real service, so a test can take "the broker" down and bring it
//! back without touching the shared server: `cut` drops every connection and refuses new ones
//! until `restore`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// A running proxy.
pub struct Proxy {
    /// Where clients connect (`127.0.0.1:PORT`).
    pub address: SocketAddr,
    up: Arc<AtomicBool>,
    connections: Arc<Mutex<CancellationToken>>,
}

impl Proxy {
    /// Forwards every connection to `target` (`host:port`) until the test ends.
    pub async fn start(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(Mutex::new(CancellationToken::new()));
        let (accepting, live, target) =
            (Arc::clone(&up), Arc::clone(&connections), target.to_owned());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accepting.load(Ordering::SeqCst) {
                    continue;
                }
                let cut = live.lock().unwrap().clone();
                let target = target.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        () = cut.cancelled() => {}
                    }
                });
            }
        });
        Self {
            address,
            up,
            connections,
        }
    }

    /// Drops every open connection and refuses new ones: the service looks down.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        let mut live = self.connections.lock().unwrap();
        live.cancel();
        *live = CancellationToken::new();
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}
