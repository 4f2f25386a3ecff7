//! Live figures over Server-Sent Events: `GET /app/links/{code}/events` and `GET /app/events`.
//!
//! Each stream polls the database once a second (the link's visit counters, or the global
//! totals) and sends a `totals` event whenever they changed, starting with the current ones.
//! Polling the database, rather than listening inside this process, makes it work with several
//! instances behind a load balancer. Streams end when the client leaves, when the server stops,
//! or after [`MAX_STREAM`], when the browser reconnects and its session is checked again.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::PageError;
use super::link::find_link;
use super::session::SignedIn;
use crate::clicks::VisitsSummary;
use crate::http::AppState;
use crate::links::LinkAddress;
use crate::store::StoreResult;

/// How often the database is polled.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// Longest a stream stays open before the browser must reconnect (and show its session again).
const MAX_STREAM: Duration = Duration::from_secs(600);

/// Name of the events carrying new totals.
const TOTALS_EVENT: &str = "totals";

/// The figures an event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
struct LiveTotals {
    total: i64,
    humans: i64,
    bots: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    orphan: Option<i64>,
}

impl LiveTotals {
    fn of(visits: VisitsSummary, orphan: Option<i64>) -> Self {
        Self {
            total: visits.total,
            humans: visits.total - visits.bots,
            bots: visits.bots,
            orphan,
        }
    }
}

/// What is polled.
#[derive(Clone)]
enum Source {
    /// One link's counters.
    Link(LinkAddress),
    /// Every link's, plus orphan visits.
    Global,
}

impl Source {
    /// The current totals; `None` when the link is gone.
    async fn read(&self, state: &AppState) -> StoreResult<Option<LiveTotals>> {
        match self {
            Self::Link(code) => Ok(state
                .store
                .find_short_url(code)
                .await?
                .map(|link| LiveTotals::of(link.visits, None))),
            Self::Global => {
                let overview = state.store.visits_overview(None).await?;
                Ok(Some(LiveTotals::of(
                    overview.non_orphan,
                    Some(overview.orphan.total),
                )))
            }
        }
    }
}

/// Polling state carried from one event to the next.
struct Poll {
    state: AppState,
    source: Source,
    last: Option<LiveTotals>,
    ticker: Interval,
    until: Instant,
}

impl Poll {
    /// Waits for the next change; `None` ends the stream (link deleted, server stopping, or
    /// the stream's time is up).
    async fn next_change(&mut self) -> Option<LiveTotals> {
        loop {
            tokio::select! {
                () = self.state.shutdown.cancelled() => return None,
                () = tokio::time::sleep_until(self.until) => return None,
                _ = self.ticker.tick() => {}
            }
            match self.source.read(&self.state).await {
                Ok(Some(totals)) if self.last != Some(totals) => {
                    self.last = Some(totals);
                    return Some(totals);
                }
                Ok(Some(_)) => {}
                Ok(None) => return None,
                Err(err) => tracing::warn!(error = %err, "live totals poll failed"),
            }
        }
    }
}

fn totals_stream(
    state: AppState,
    source: Source,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut ticker = tokio::time::interval(POLL_EVERY);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let poll = Poll {
        state,
        source,
        last: None,
        ticker,
        until: Instant::now() + MAX_STREAM,
    };
    let events = stream::unfold(poll, |mut poll| async move {
        let totals = poll.next_change().await?;
        let event = Event::default()
            .event(TOTALS_EVENT)
            .json_data(totals)
            .unwrap_or_else(|_| Event::default().comment("unserialisable totals"));
        Some((event, poll))
    })
    .map(Ok);
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// `GET /app/links/{code}/events`: the link's all-time totals whenever they change.
pub async fn link_events(
    State(state): State<AppState>,
    _signed_in: SignedIn,
    Path(code): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PageError> {
    let (code, _) = find_link(&state, &code).await?;
    Ok(totals_stream(state, Source::Link(code)))
}

/// `GET /app/events`: the totals of every link (and orphan visits) whenever they change.
pub async fn global_events(
    State(state): State<AppState>,
    _signed_in: SignedIn,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    totals_stream(state, Source::Global)
}
