//! Per-connection timeouts hyper does not draw apart: how long a client may take to send a
//! request's headers, and how long a kept-alive connection may sit idle between requests.
//!
//! [`Watched`] wraps the socket. The service tells it through [`Activity`] when a request starts
//! and ends; from that and the bytes moving it knows which of three states a connection is in:
//! serving a request (no deadline: the API's request timeout bounds it), idle (closed once
//! nothing moved for the idle timeout) or receiving a request's head (closed unless the head is
//! complete within the header timeout of its first byte, however slowly the bytes trickle).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The two connection timeouts.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From a request's first byte to its last header.
    pub header: Duration,
    /// Between requests on a kept-alive connection (and before the first).
    pub idle: Duration,
}

/// Requests started and finished on one connection, as the service sees them.
#[derive(Debug, Default)]
pub struct Activity {
    started: AtomicU64,
    finished: AtomicU64,
    /// The connection's task, woken when a request ends so the idle deadline gets armed (hyper
    /// may not read again on its own before the next byte arrives).
    reader: AtomicWaker,
}

impl Activity {
    /// Counts a request as being served until the returned guard is dropped.
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.started.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(self))
    }

    fn started(&self) -> u64 {
        self.started.load(Ordering::Acquire)
    }

    fn finished(&self) -> u64 {
        self.finished.load(Ordering::Acquire)
    }

    fn serving(&self) -> bool {
        self.finished() < self.started()
    }
}

/// A request being served; dropping it (response ready, or the request abandoned) ends it.
#[derive(Debug)]
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.finished.fetch_add(1, Ordering::AcqRel);
        self.0.reader.wake();
    }
}

/// A socket whose reads fail with `TimedOut` when the client breaks a timeout.
pub struct Watched<IO> {
    io: IO,
    activity: Arc<Activity>,
    timeouts: Timeouts,
    /// Requests started and finished when this wrapper last looked.
    seen: (u64, u64),
    /// When the head of a request not yet handed to the service began to arrive.
    head_since: Option<Instant>,
    /// When bytes last moved, or a request last started.
    last_active: Instant,
    timer: Pin<Box<Sleep>>,
    armed_for: Instant,
}

impl<IO> Watched<IO> {
    /// Watches `io`, whose requests `activity` reports.
    pub fn new(io: IO, activity: Arc<Activity>, timeouts: Timeouts) -> Self {
        let now = Instant::now();
        Self {
            io,
            activity,
            timeouts,
            seen: (0, 0),
            head_since: None,
            last_active: now,
            timer: Box::pin(tokio::time::sleep_until(now)),
            armed_for: now,
        }
    }

    /// Catches up with requests started since the last look (their heads are complete) and
    /// finished since (the idle time starts now).
    fn sync(&mut self, now: Instant) {
        let seen = (self.activity.started(), self.activity.finished());
        if seen.0 != self.seen.0 {
            self.head_since = None;
        }
        if seen != self.seen {
            self.seen = seen;
            self.last_active = now;
        }
    }

    fn on_bytes_read(&mut self) {
        let now = Instant::now();
        self.sync(now);
        self.last_active = now;
        if !self.activity.serving() && self.head_since.is_none() {
            self.head_since = Some(now);
        }
    }

    /// Bytes written count as activity: a response streaming slowly is not idle.
    fn note_written(&mut self, written: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if let Poll::Ready(Ok(n)) = written
            && n > 0
        {
            self.last_active = Instant::now();
        }
        written
    }

    /// With no bytes to read: `Ready(Err)` once the deadline of the current state has passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let now = Instant::now();
        self.sync(now);
        if self.activity.serving() {
            self.activity.reader.register(cx.waker());
            return Poll::Pending;
        }
        let (deadline, what) = match self.head_since {
            Some(since) => (since + self.timeouts.header, "request headers"),
            None => (self.last_active + self.timeouts.idle, "an idle connection"),
        };
        if self.armed_for != deadline {
            self.timer.as_mut().reset(deadline);
            self.armed_for = deadline;
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("timeout waiting for {what}"),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Watched<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.on_bytes_read();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => this.poll_deadline(cx),
            failed => failed,
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Watched<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.io).poll_write(cx, buf);
        this.note_written(written)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.note_written(written)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;
