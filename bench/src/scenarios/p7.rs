//! P7 sustained load: linkpulse with its default flags driven flat out for a long window on each
//! engine, pinned and unpinned, then left alone: nothing may be dropped, every answered redirect
//! must become a click, and the backlog left at the end must drain quickly.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::bare::BareMode;
use crate::db::{self, Engine, FreshDb};
use crate::load::LoadResult;
use crate::procs;
use crate::report::{Section, Table, count, goal, ms, ratio};
use crate::scenarios::{Ctx, P1_LINKS, progress};

/// Longest the backlog may take to drain before the run gives up on it.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(300);
/// How often `/metrics` is read while draining.
const DRAIN_POLL: Duration = Duration::from_millis(100);
/// The goal for draining what is left when the load stops.
const DRAIN_GOAL: Duration = Duration::from_secs(3);
/// Redirects the readiness probe adds to what the load generator counts.
const PROBE_REDIRECTS: u64 = 1;

/// 99th percentile of occurred → enriched, in milliseconds (SQLite stores milliseconds).
const SQLITE_LATENCY_P99: &str = "SELECT enriched_at - occurred_at FROM clicks ORDER BY 1 \
     LIMIT 1 OFFSET (SELECT COUNT(*) * 99 / 100 FROM clicks)";
/// 99th percentile of occurred → enriched, in milliseconds.
const POSTGRES_LATENCY_P99: &str = "SELECT CAST(EXTRACT(EPOCH FROM percentile_cont(0.99) \
     WITHIN GROUP (ORDER BY enriched_at - occurred_at)) * 1000 AS BIGINT) FROM clicks";

/// What one sustained run measured.
struct Sustained {
    load: LoadResult,
    dropped: u64,
    waited: u64,
    backlog_at_stop: u64,
    drained_in: Duration,
    stored: i64,
    latency_p99_ms: i64,
}

/// Runs P7 pinned and unpinned, on SQLite and (when configured) PostgreSQL.
pub async fn run(ctx: &Ctx) -> Section {
    let mut section = Section::new("P7 sustained load");
    section.intro.push(format!(
        "linkpulse with its default flags (`--click-ack immediate`, in-process workers) driven \
         flat out by {} connections for {:?} over {P1_LINKS} links, then left alone. \"backlog at \
         stop\" is what waited in the buffer and the outbox when the load stopped; \"drained in\" \
         the time until both were empty. \"stored / answered\" compares the clicks in the database \
         with the redirects the generator saw (plus the readiness probe). Click latency is \
         occurred → enriched over every click of the run, so it includes the drain. Reference \
         (a) is the bare axum 302 under the same load and pinning, for {:?}.",
        ctx.plan.connections, ctx.plan.p7_window, ctx.plan.measure
    ));
    let mut table = Table::new(&[
        "ratio to (a)",
        "engine / cores",
        "req/s",
        "redirect p99",
        "dropped",
        "waited",
        "stored / answered",
        "backlog at stop",
        "drained in",
        "click latency p99",
        "goal",
    ]);
    let mut engines = vec![Engine::Sqlite];
    if ctx.postgres.is_some() {
        engines.push(Engine::Postgres);
    } else {
        section
            .notes
            .push("PostgreSQL: not run (no --postgres-url, or --no-postgres).".to_owned());
    }
    for pinned in [true, false] {
        let run_ctx = if pinned { ctx.clone() } else { ctx.unpinned() };
        let cores = if pinned { "pinned" } else { "unpinned" };
        let reference = match bare_reference(&run_ctx).await {
            Ok(reference) => reference,
            Err(err) => {
                section
                    .notes
                    .push(format!("{cores}: reference (a) failed: {err:#}"));
                continue;
            }
        };
        table.row(vec![
            "1.00×".to_owned(),
            format!("(a) bare axum / {cores}"),
            count(reference.rps),
            ms(reference.p99_us),
            "–".to_owned(),
            "–".to_owned(),
            "–".to_owned(),
            "–".to_owned(),
            "–".to_owned(),
            "–".to_owned(),
            String::new(),
        ]);
        for &engine in &engines {
            match measure(&run_ctx, engine, cores).await {
                Ok(m) => table.row(cells(&m, engine, cores, reference.rps)),
                Err(err) => section
                    .notes
                    .push(format!("{} / {cores} failed: {err:#}", engine.name())),
            }
        }
    }
    section.tables.push(table);
    section
}

fn cells(m: &Sustained, engine: Engine, cores: &str, reference_rps: f64) -> Vec<String> {
    let answered = m.load.redirects_total + PROBE_REDIRECTS;
    let all_stored = u64::try_from(m.stored).is_ok_and(|stored| stored == answered);
    let met = m.dropped == 0 && all_stored && m.drained_in <= DRAIN_GOAL;
    let detail = format!(
        "0 dropped, stored = answered, drain ≤ {}s: {}",
        DRAIN_GOAL.as_secs(),
        if met { "yes" } else { "no" }
    );
    vec![
        ratio(m.load.rps, reference_rps),
        format!("(c) linkpulse {} / {cores}", engine.name()),
        count(m.load.rps),
        ms(m.load.p99_us),
        count(m.dropped as f64),
        count(m.waited as f64),
        format!("{} / {}", count(m.stored as f64), count(answered as f64)),
        count(m.backlog_at_stop as f64),
        format!("{:.1} s", m.drained_in.as_secs_f64()),
        format!("{} ms", count(m.latency_p99_ms as f64)),
        goal(met, detail),
    ]
}

/// The bare 302 server under the same load and pinning, for the ratio column.
async fn bare_reference(ctx: &Ctx) -> anyhow::Result<LoadResult> {
    let mut server = ctx.bare(BareMode::Fixed, None)?;
    server.wait_ready("/bench0").await?;
    let result = ctx
        .load(server.addr, None, ctx.plan.warmup, ctx.plan.measure)
        .await;
    server.stop().await?;
    result
}

/// One sustained run: load, drain, stop, count.
async fn measure(ctx: &Ctx, engine: Engine, cores: &str) -> anyhow::Result<Sustained> {
    progress(format!("P7 {} / {cores}", engine.name()));
    let db = FreshDb::create(engine, ctx.postgres.as_deref()).await?;
    db::create_links(db.store().await?.as_ref(), P1_LINKS).await?;
    let mut server =
        ctx.linkpulse_serve(&db.url, &[], &format!("p7-{}-{cores}.log", engine.name()))?;
    server.wait_ready("/bench0").await?;
    let load = ctx
        .load(server.addr, None, Duration::ZERO, ctx.plan.p7_window)
        .await?;
    let stopped = Instant::now();
    let first = Metrics::scrape(server.addr).await?;
    let mut last = first;
    while last.backlog() > 0 {
        if stopped.elapsed() > DRAIN_TIMEOUT {
            bail!(
                "backlog of {} not drained after {DRAIN_TIMEOUT:?}",
                last.backlog()
            );
        }
        tokio::time::sleep(DRAIN_POLL).await;
        last = Metrics::scrape(server.addr).await?;
    }
    let drained_in = stopped.elapsed();
    server.stop().await?;
    let latency_sql = match engine {
        Engine::Sqlite => SQLITE_LATENCY_P99,
        Engine::Postgres => POSTGRES_LATENCY_P99,
    };
    let measured = Sustained {
        load,
        dropped: last.dropped,
        waited: last.waited,
        backlog_at_stop: first.backlog(),
        drained_in,
        stored: db::scalar(&db.url, "SELECT COUNT(*) FROM clicks").await?,
        latency_p99_ms: db::scalar(&db.url, latency_sql).await?,
    };
    db.drop_now().await?;
    Ok(measured)
}

/// The pipeline figures P7 reads from `/metrics`.
#[derive(Debug, Clone, Copy)]
struct Metrics {
    buffered: u64,
    outbox: u64,
    dropped: u64,
    waited: u64,
}

impl Metrics {
    async fn scrape(addr: std::net::SocketAddr) -> anyhow::Result<Self> {
        let text = procs::get_text(addr, "/metrics").await?;
        let value = |name: &str| -> anyhow::Result<u64> {
            let line = text
                .lines()
                .find(|line| line.split_whitespace().next() == Some(name))
                .with_context(|| format!("{name} missing from /metrics"))?;
            let number: f64 = line
                .split_whitespace()
                .nth(1)
                .with_context(|| format!("{name} has no value"))?
                .parse()?;
            Ok(number as u64)
        };
        Ok(Self {
            buffered: value("linkpulse_events_buffered")?,
            outbox: value("linkpulse_outbox_backlog")?,
            dropped: value("linkpulse_events_dropped_total")?,
            waited: value("linkpulse_events_waited_total")?,
        })
    }

    fn backlog(self) -> u64 {
        self.buffered + self.outbox
    }
}
