//! `linkpulse health`, a container's health check: it asks the running server's `/rest/health`,
//! finding the server through the address file `serve --address-file` writes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::config::HealthArgs;

/// Asks the server and prints its verdict; an error when nothing answers or the check fails.
pub async fn run(args: &HealthArgs) -> anyhow::Result<()> {
    let url = format!("http://{}/rest/health", target(args)?);
    // Plain HTTP to the server itself: never through a proxy from the environment, and with no
    // CA store to load (a slim image may have none, and the check must not fail for that).
    let client = reqwest::Client::builder()
        .timeout(args.timeout)
        .no_proxy()
        .tls_certs_only([])
        .build()?;
    let response = client.get(&url).send().await.with_context(|| {
        format!(
            "unhealthy: nothing answered at {url}; is `linkpulse serve` running? Give this \
             command the server's --address-file or --listen"
        )
    })?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    if status.is_success() {
        println!("healthy: {url} answered {status}");
        Ok(())
    } else {
        let reason = body["output"].as_str().unwrap_or("no reason given");
        bail!("unhealthy: {url} answered {status}: {reason}")
    }
}

/// The address to ask: the address file's when it exists, else `--listen`'s.
fn target(args: &HealthArgs) -> anyhow::Result<String> {
    let listen = match &args.address_file {
        Some(path) if path.exists() => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the address file {}", path.display()))?
            .trim()
            .to_owned(),
        _ => args.listen.clone(),
    };
    Ok(reachable(&listen))
}

/// Where a client reaches a server listening on `listen`: a wildcard host (`0.0.0.0`, `[::]`)
/// on the loopback address of its family, any other host as given.
fn reachable(listen: &str) -> String {
    match listen.parse::<SocketAddr>() {
        Ok(addr) if addr.ip().is_unspecified() => {
            let loopback = match addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            };
            SocketAddr::new(loopback, addr.port()).to_string()
        }
        _ => listen.to_owned(),
    }
}

/// A running server's address file: written once it listens, removed when dropped (on a clean
/// stop; after a kill the stale address simply answers nothing).
#[derive(Debug)]
pub struct AddressFile {
    path: PathBuf,
}

impl AddressFile {
    /// Writes `addr` into `path` through a rename, so a reader never sees half an address.
    pub fn write(path: &Path, addr: SocketAddr) -> anyhow::Result<Self> {
        let partial = PathBuf::from(format!("{}.partial", path.display()));
        std::fs::write(&partial, format!("{addr}\n"))
            .and_then(|()| std::fs::rename(&partial, path))
            .with_context(|| {
                format!(
                    "cannot write the address file {}: choose a writable --address-file",
                    path.display()
                )
            })?;
        Ok(Self {
            path: path.to_owned(),
        })
    }
}

impl Drop for AddressFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_hosts_are_reached_on_loopback() {
        assert_eq!(reachable("0.0.0.0:8080"), "127.0.0.1:8080");
        assert_eq!(reachable("[::]:9000"), "[::1]:9000");
    }

    #[test]
    fn other_hosts_are_kept() {
        assert_eq!(reachable("10.0.0.5:8080"), "10.0.0.5:8080");
        assert_eq!(reachable("[::1]:8080"), "[::1]:8080");
        assert_eq!(reachable("localhost:8080"), "localhost:8080");
    }

    #[test]
    fn address_file_round_trips_and_goes_away_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("linkpulse.address");
        let file = AddressFile::write(&path, "0.0.0.0:8181".parse().unwrap()).unwrap();
        let args = HealthArgs {
            address_file: Some(path.clone()),
            listen: "127.0.0.1:1".into(),
            timeout: std::time::Duration::from_secs(1),
        };
        assert_eq!(target(&args).unwrap(), "127.0.0.1:8181");
        drop(file);
        assert!(!path.exists());
        assert_eq!(target(&args).unwrap(), "127.0.0.1:1");
    }
}
