//! P3 drain rate: a realistic outbox backlog turned into enriched clicks by `linkpulse worker`
//! (the real binary, 1 and 2 worker tasks per core), end to end, against the raw insert rate of
//! the same rows without enrichment, queueing or rollups; then once more with a webhook and a
//! broker consumer queueing a delivery of every click, and the rate at which `serve` delivers
//! that backlog.

use std::time::{Duration, Instant};

use anyhow::bail;

use linkpulse::consumers::ConsumerKind;

use crate::db::{self, Engine, FreshDb};
use crate::loader::{self, Timing};
use crate::mix::EventMix;
use crate::procs::{self, Server};
use crate::report::{Section, Table, count, goal, ratio};
use crate::scenarios::{Ctx, progress, raw_insert};

/// Links the events spread over.
const LINKS: usize = 1_000;
/// How often the harness looks whether the outbox is empty.
const POLL: Duration = Duration::from_millis(50);
/// How long `serve` delivers the consumers' backlog before its rate is read.
const DELIVERY_WINDOW: Duration = Duration::from_secs(15);
/// Where the broker consumer publishes (the machine's Redis).
const REDIS: &str = "redis://127.0.0.1:6379";

/// One measured configuration.
struct Drained {
    label: String,
    clicks: i64,
    elapsed: Duration,
}

impl Drained {
    fn rate(&self) -> f64 {
        self.clicks as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs P3 on SQLite and, when configured, PostgreSQL.
pub async fn run(ctx: &Ctx) -> Vec<Section> {
    let mut sections = vec![engine_section(ctx, Engine::Sqlite).await];
    if ctx.postgres.is_some() {
        sections.push(engine_section(ctx, Engine::Postgres).await);
    } else {
        sections.push(Section::not_run(
            "P3 drain rate (PostgreSQL)",
            "no PostgreSQL URL configured",
        ));
    }
    sections
}

async fn engine_section(ctx: &Ctx, engine: Engine) -> Section {
    let events = ctx.plan.p3_events;
    let cores = crate::machine::cores();
    let mut section = Section::new(format!("P3 drain rate ({})", engine.name()));
    section.intro.push(format!(
        "{} outbox events over {LINKS} links, 30 user agents (9 automated), public IPv4/IPv6 \
         addresses looked up in {}; `linkpulse worker --workers N` (unpinned, all {cores} cores) \
         drains them and the time to an empty outbox is measured. The reference inserts the same \
         rows, enriched beforehand, straight into `click_rows`, their texts already in the dictionary (multi-row INSERTs of 512, {} \
         concurrent writers).",
        count(events as f64),
        ctx.geoip
            .as_ref()
            .map_or("no geo-IP database".to_owned(), |p| format!(
                "`{}`",
                p.display()
            )),
        raw_insert::WRITERS,
    ));
    let reference = match raw_insert::measure(ctx, engine, events, LINKS).await {
        Ok((clicks, elapsed)) => Drained {
            label: "raw INSERT of pre-enriched rows (reference)".to_owned(),
            clicks,
            elapsed,
        },
        Err(err) => {
            section
                .notes
                .push(format!("Not run: raw insert reference failed: {err:#}"));
            return section;
        }
    };
    let target = match engine {
        Engine::Sqlite => 50_000.0,
        Engine::Postgres => 20_000.0,
    };
    let mut table = Table::new(&[
        "ratio to raw insert",
        "configuration",
        "clicks/s",
        "time",
        "goal",
    ]);
    table.row(row(&reference, reference.rate(), None));
    for (per_core, consumers) in [(1, false), (2, false), (2, true)] {
        let workers = per_core * cores;
        match drain_with_binary(ctx, engine, events, workers, consumers).await {
            Ok((drained, deliveries)) => {
                table.row(row(&drained, reference.rate(), Some(target)));
                if let Some(deliveries) = deliveries {
                    section.notes.push(deliveries);
                }
            }
            Err(err) => section.notes.push(format!(
                "{per_core} worker(s) per core (consumers: {consumers}) failed: {err:#}"
            )),
        }
    }
    section.tables.push(table);
    section
}

fn row(d: &Drained, reference: f64, target: Option<f64>) -> Vec<String> {
    vec![
        ratio(d.rate(), reference),
        d.label.clone(),
        count(d.rate()),
        format!("{:.1} s", d.elapsed.as_secs_f64()),
        target.map_or(String::new(), |t| {
            goal(
                d.rate() >= t,
                format!("≥ {}/s: {:.2}×", count(t), d.rate() / t),
            )
        }),
    ]
}

/// Fills a fresh database's outbox, then times `linkpulse worker` until it is empty. With
/// `consumers`, a webhook and the Redis broker's consumer want every click, so each completion
/// also queues two deliveries; then `serve` delivers that backlog for [`DELIVERY_WINDOW`] and
/// the note on its rates is returned too.
async fn drain_with_binary(
    ctx: &Ctx,
    engine: Engine,
    events: usize,
    workers: usize,
    consumers: bool,
) -> anyhow::Result<(Drained, Option<String>)> {
    let db = FreshDb::create(engine, ctx.postgres.as_deref()).await?;
    let store = db.store().await?;
    let links = db::create_links(store.as_ref(), LINKS).await?;
    let receiver = if consumers {
        store.enable_broker(ConsumerKind::Redis, REDIS).await?;
        Some(db::add_webhook(store.as_ref()).await?)
    } else {
        None
    };
    let mut mix = EventMix::new(links, 3);
    let enqueue = loader::enqueue(store.as_ref(), &mut mix, events, Timing::Now).await?;
    drop(store);
    progress(format!(
        "P3 {}: {} events enqueued in {enqueue:.1?}; draining with {workers} workers",
        engine.name(),
        count(events as f64)
    ));
    let mut cmd = procs::command(None, &ctx.linkpulse);
    cmd.arg("--database-url")
        .arg(&db.url)
        .arg("worker")
        .arg("--workers")
        .arg(workers.to_string());
    if let Some(geoip) = &ctx.geoip {
        cmd.arg("--geoip-db").arg(geoip);
    }
    let log = ctx.logs.join(format!("p3-{}-{workers}.log", engine.name()));
    let addr = super::loopback()?;
    let mut server = Server::spawn(cmd, addr, log)?;
    let elapsed = wait_empty(&db.url, &mut server, events).await;
    server.stop().await?;
    let elapsed = elapsed?;
    let clicks = db::scalar(&db.url, "SELECT COUNT(*) FROM clicks").await?;
    if clicks < events as i64 {
        bail!("only {clicks} of {events} events became clicks");
    }
    let mut label = format!("linkpulse worker --workers {workers}");
    let mut note = None;
    if let Some(receiver) = receiver {
        let queued = db::scalar(&db.url, "SELECT COUNT(*) FROM webhook_deliveries").await?;
        if queued != 2 * clicks {
            bail!("{queued} deliveries queued for {clicks} clicks and two consumers");
        }
        label.push_str(", a webhook and a broker (Redis) queueing every click");
        note = Some(deliver(ctx, engine, &db.url, &receiver).await?);
    }
    db.drop_now().await?;
    Ok((
        Drained {
            label,
            clicks,
            elapsed,
        },
        note,
    ))
}

/// Lets `serve` deliver the queued backlog for [`DELIVERY_WINDOW`]; what each consumer got
/// per second, as a note.
async fn deliver(
    ctx: &Ctx,
    engine: Engine,
    url: &str,
    receiver: &db::Receiver,
) -> anyhow::Result<String> {
    let flags = ["--webhooks-allow-private", "--redis-url", REDIS];
    let log = format!("p3-deliveries-{}.log", engine.name());
    let mut server = ctx.linkpulse_serve(url, &flags, &log)?;
    server.wait_listening("/rest/health").await?;
    let started = Instant::now();
    tokio::time::sleep(DELIVERY_WINDOW).await;
    let seconds = started.elapsed().as_secs_f64();
    let posted = receiver.received();
    let published = "SELECT delivered_total FROM webhooks WHERE name = 'redis'";
    let published = db::scalar(url, published).await?;
    server.stop().await?;
    Ok(format!(
        "Delivering that backlog, `linkpulse serve` (pinned to the server core, its click \
         workers idle) made {}/s signed webhook POSTs to a receiver in the harness and {}/s \
         Redis publishes over {seconds:.0} s, both consumers at once.",
        count(posted as f64 / seconds),
        count(published as f64 / seconds),
    ))
}

/// Time from the worker's spawn until the outbox holds nothing.
async fn wait_empty(url: &str, server: &mut Server, events: usize) -> anyhow::Result<Duration> {
    let limit = Duration::from_secs(120) + Duration::from_millis(events as u64 / 2);
    let started = Instant::now();
    loop {
        tokio::time::sleep(POLL).await;
        let left = db::scalar(
            url,
            "SELECT COUNT(*) FROM (SELECT 1 FROM click_outbox LIMIT 1) t",
        )
        .await?;
        if left == 0 {
            return Ok(server.spawned.elapsed());
        }
        if let Some(exit) = server.child.try_wait()? {
            bail!(
                "worker exited early with {exit}; see {}",
                server.log.display()
            );
        }
        if started.elapsed() > limit {
            bail!("outbox not empty after {limit:?}");
        }
    }
}
