//! The load generator: HTTP/1.1 keep-alive over a fixed number of connections, one request in
//! flight per connection, either as fast as the server answers (closed loop) or at a fixed rate
//! (a request that could not go out on time because the previous answer was late is timed from
//! its scheduled send time, so a stalled server is not hidden).
//!
//! It runs as its own process (`bench load …`, pinned to its core) on a single-threaded runtime
//! and prints one JSON line, so every server in a run faces exactly the same client.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A browser user agent, so every server sees the same realistic request.
const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

/// A request unanswered for this long counts as an error and its connection is replaced.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Flags of `bench load`.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// Server address.
    #[arg(long)]
    pub addr: SocketAddr,
    /// Request paths, used round-robin (e.g. several short codes).
    #[arg(long = "path", required = true)]
    pub paths: Vec<String>,
    /// Open connections (keep-alive).
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Milliseconds of load before measuring starts.
    #[arg(long, default_value_t = 1000)]
    pub warmup_ms: u64,
    /// Milliseconds measured.
    #[arg(long, default_value_t = 5000)]
    pub duration_ms: u64,
    /// Requests per second over all connections; absent means as fast as possible.
    #[arg(long)]
    pub rate: Option<f64>,
}

/// What one load run measured.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct LoadResult {
    /// Requests completed with a 3xx status in the measured window.
    pub ok: u64,
    /// Requests that failed or got a non-3xx status in the measured window.
    pub errors: u64,
    /// Length of the measured window in seconds.
    pub seconds: f64,
    /// Successful requests per second.
    pub rps: f64,
    /// Median latency in microseconds.
    pub p50_us: u64,
    /// 99th percentile latency in microseconds.
    pub p99_us: u64,
    /// Slowest request in microseconds.
    pub max_us: u64,
    /// Requests answered with a 3xx over the whole run, warm-up included.
    pub redirects_total: u64,
}

/// Timing shared by every connection task.
#[derive(Clone, Copy)]
struct Window {
    measure_from: Instant,
    end: Instant,
    interval: Option<Duration>,
}

/// Per-connection tallies.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: u64,
    redirects: u64,
}

/// Runs the load described by `args` and prints its result as JSON on stdout.
pub fn main(args: &LoadArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(run(args))?;
    println!("{}", serde_json::to_string(&result)?);
    Ok(())
}

async fn run(args: &LoadArgs) -> anyhow::Result<LoadResult> {
    if args.connections == 0 {
        bail!("--connections must be at least 1");
    }
    let requests: Vec<Vec<u8>> = args
        .paths
        .iter()
        .map(|path| {
            format!(
                "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\n\r\n",
                args.addr
            )
            .into_bytes()
        })
        .collect();
    let start = Instant::now();
    let window = Window {
        measure_from: start + Duration::from_millis(args.warmup_ms),
        end: start + Duration::from_millis(args.warmup_ms + args.duration_ms),
        interval: args
            .rate
            .filter(|rate| *rate > 0.0)
            .map(|rate| Duration::from_secs_f64(args.connections as f64 / rate)),
    };
    let mut tasks = Vec::with_capacity(args.connections);
    for index in 0..args.connections {
        let requests = requests.clone();
        let addr = args.addr;
        let offset = window.interval.map_or(Duration::ZERO, |i| {
            i * index as u32 / args.connections as u32
        });
        tasks.push(tokio::spawn(async move {
            drive(addr, &requests, index, start + offset, window).await
        }));
    }
    let mut latencies = Vec::new();
    let (mut errors, mut redirects_total) = (0, 0);
    for task in tasks {
        let tally = task.await?;
        latencies.extend(tally.latencies_us);
        errors += tally.errors;
        redirects_total += tally.redirects;
    }
    latencies.sort_unstable();
    let seconds = Duration::from_millis(args.duration_ms).as_secs_f64();
    let ok = latencies.len() as u64;
    Ok(LoadResult {
        ok,
        errors,
        seconds,
        rps: ok as f64 / seconds,
        p50_us: percentile(&latencies, 0.50),
        p99_us: percentile(&latencies, 0.99),
        max_us: latencies.last().copied().map_or(0, u64::from),
        redirects_total,
    })
}

/// The nearest-rank percentile of sorted samples (0 when there are none).
pub fn percentile(sorted: &[u32], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    u64::from(sorted[rank - 1])
}

/// One connection's request loop; reconnects after an error.
async fn drive(
    addr: SocketAddr,
    requests: &[Vec<u8>],
    first: usize,
    first_send: Instant,
    window: Window,
) -> Tally {
    let mut tally = Tally::default();
    let mut stream: Option<TcpStream> = None;
    let mut buf = Vec::with_capacity(4096);
    let mut next_send = first_send;
    let mut index = first;
    loop {
        let sent_at = match window.interval {
            Some(interval) => {
                let scheduled = next_send;
                next_send += interval;
                if Instant::now() < scheduled {
                    // The connection is free: time from the actual send, so the timer's own
                    // lateness (up to a millisecond) is not charged to the server.
                    tokio::time::sleep_until(scheduled.into()).await;
                    Instant::now()
                } else {
                    // Still busy with a slow answer: count from the scheduled time.
                    scheduled
                }
            }
            None => Instant::now(),
        };
        if sent_at >= window.end {
            break;
        }
        let request = &requests[index % requests.len()];
        index += 1;
        let attempt = async {
            match stream.as_mut() {
                Some(open) => exchange(open, request, &mut buf).await,
                None => exchange(stream.insert(connect(addr).await?), request, &mut buf).await,
            }
        };
        let outcome = tokio::time::timeout(REQUEST_TIMEOUT, attempt)
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer within {REQUEST_TIMEOUT:?}")));
        let measured = sent_at >= window.measure_from;
        match outcome {
            Ok((status, keep_alive)) => {
                let redirect = (300..400).contains(&status);
                tally.redirects += u64::from(redirect);
                if measured {
                    if redirect {
                        let micros = sent_at.elapsed().as_micros();
                        tally
                            .latencies_us
                            .push(u32::try_from(micros).unwrap_or(u32::MAX));
                    } else {
                        tally.errors += 1;
                    }
                }
                if !keep_alive {
                    stream = None;
                }
            }
            Err(_) => {
                if measured {
                    tally.errors += 1;
                }
                stream = None;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
    tally
}

async fn connect(addr: SocketAddr) -> anyhow::Result<TcpStream> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Sends one request and reads its whole response; the status and whether the connection stays open.
async fn exchange(
    stream: &mut TcpStream,
    request: &[u8],
    buf: &mut Vec<u8>,
) -> anyhow::Result<(u16, bool)> {
    stream.write_all(request).await?;
    buf.clear();
    let head_end = loop {
        if let Some(end) = find_head_end(buf) {
            break end;
        }
        read_more(stream, buf).await?;
    };
    let head = parse_head(&buf[..head_end])?;
    if head.chunked {
        bail!("chunked responses are not supported by the load generator");
    }
    while buf.len() < head_end + head.content_length {
        read_more(stream, buf).await?;
    }
    Ok((head.status, head.keep_alive))
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<()> {
    let mut chunk = [0u8; 4096];
    let read = stream.read(&mut chunk).await?;
    if read == 0 {
        bail!("connection closed mid-response");
    }
    buf.extend_from_slice(&chunk[..read]);
    Ok(())
}

/// Index just past the blank line that ends the response head.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// The parts of a response head the generator needs.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    status: u16,
    content_length: usize,
    keep_alive: bool,
    chunked: bool,
}

fn parse_head(head: &[u8]) -> anyhow::Result<Head> {
    let text = std::str::from_utf8(head).context("response head is not UTF-8")?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let mut parsed = Head {
        status,
        content_length: 0,
        keep_alive: !status_line.starts_with("HTTP/1.0"),
        chunked: false,
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            parsed.content_length = value.parse().context("bad content-length")?;
        } else if name.eq_ignore_ascii_case("connection") {
            parsed.keep_alive = !value.eq_ignore_ascii_case("close");
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            parsed.chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_parsing_reads_status_length_and_connection() {
        let raw = b"HTTP/1.1 302 Found\r\nlocation: https://e.com/\r\nContent-Length: 12\r\nConnection: close\r\n\r\n";
        let end = find_head_end(raw).unwrap();
        assert_eq!(end, raw.len());
        let head = parse_head(&raw[..end]).unwrap();
        assert_eq!(
            head,
            Head {
                status: 302,
                content_length: 12,
                keep_alive: false,
                chunked: false
            }
        );
        assert!(parse_head(b"garbage\r\n\r\n").is_err());
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let samples: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&samples, 0.50), 50);
        assert_eq!(percentile(&samples, 0.99), 99);
        assert_eq!(percentile(&samples, 1.0), 100);
        assert_eq!(percentile(&[], 0.5), 0);
    }
}
