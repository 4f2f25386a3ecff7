//! P4 analytics at scale: a bulk loader fills the database with clicks over 1,000 links and
//! 90 days through the real workers (so rollups are maintained as in production), then the
//! per-link page, the dashboard and the visits API are timed against a plain link read.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{SecondsFormat, Utc};

use crate::db::{self, BenchLink, Engine, FreshDb};
use crate::loader::{self, Timing};
use crate::mix::EventMix;
use crate::report::{Section, Table, count, goal, mib, ms, ratio};
use crate::scenarios::timing::{Session, Timings};
use crate::scenarios::{Ctx, progress};

/// Events enqueued and then drained in the first loading round; later rounds are sized from the
/// rate seen so far to fit the time budget (and keep the outbox small).
const FIRST_ROUND: usize = 10_000;
/// Largest loading round.
const MAX_ROUND: usize = 250_000;
/// Rows each loader worker claims at once.
const LOADER_BATCH: u32 = 8192;
/// The goal for every endpoint's p95.
const GOAL: Duration = Duration::from_millis(50);

/// How the database was filled.
struct Loaded {
    clicks: i64,
    enqueue: Duration,
    drain: Duration,
    size: u64,
    /// Each table's bytes with its indexes, largest first.
    tables: Vec<(String, u64)>,
}

impl Loaded {
    /// The clicks alone: their rows and the dictionary of their texts, with indexes.
    fn clicks_only(&self) -> Option<u64> {
        let sizes: Vec<u64> = self
            .tables
            .iter()
            .filter(|(name, _)| name == "click_rows" || name == "click_texts")
            .map(|(_, bytes)| *bytes)
            .collect();
        (!sizes.is_empty()).then(|| sizes.iter().sum())
    }

    /// Where the bytes go: the largest tables and what each costs per click.
    fn breakdown(&self) -> String {
        let per_click = |bytes: u64| bytes as f64 / self.clicks.max(1) as f64;
        let largest: Vec<String> = self
            .tables
            .iter()
            .take(6)
            .map(|(name, bytes)| {
                format!(
                    "`{name}` {} ({:.0} B per click)",
                    mib(*bytes),
                    per_click(*bytes)
                )
            })
            .collect();
        format!("Largest tables with their indexes: {}.", largest.join(", "))
    }
}

/// Runs P4 on SQLite, and on PostgreSQL too when asked.
pub async fn run(ctx: &Ctx, with_postgres: bool) -> Vec<Section> {
    let mut engines = vec![Engine::Sqlite];
    if with_postgres && ctx.postgres.is_some() {
        engines.push(Engine::Postgres);
    }
    let mut sections = Vec::new();
    for engine in engines {
        let title = format!("P4 analytics at scale ({})", engine.name());
        sections.push(match measure(ctx, engine, &title).await {
            Ok(section) => section,
            Err(err) => Section::not_run(title, format!("{err:#}")),
        });
    }
    sections
}

async fn measure(ctx: &Ctx, engine: Engine, title: &str) -> anyhow::Result<Section> {
    let db = FreshDb::create(engine, ctx.postgres.as_deref()).await?;
    let store = db.store().await?;
    let links = db::create_links(store.as_ref(), ctx.plan.p4_links).await?;
    let workers = 2 * crate::machine::cores();
    let loaded = load(ctx, &db, &store, links.clone(), workers).await?;
    drop(store);
    let mut section = Section::new(title);
    if loaded.clicks < ctx.plan.p4_clicks as i64 {
        section.notes.push(format!(
            "The loader's time budget ({:?}) ran out at {} of the {} clicks asked for; the \
             figures below are at that scale, and the history stops short of today.",
            ctx.plan.p4_budget,
            count(loaded.clicks as f64),
            count(ctx.plan.p4_clicks as f64)
        ));
    }
    section.intro.push(format!(
        "{} clicks over {} links and {} days loaded by enqueueing realistic events into the \
         outbox in time order, oldest first as live traffic arrives (in rounds of up to {MAX_ROUND}) and draining them in-process with linkpulse's `Worker` \
         ({workers} tasks, batches of {LOADER_BATCH}), i.e. through `complete_clicks` and the \
         rollups it maintains. Then each endpoint is requested {} times in sequence (after 3 \
         untimed requests) over random links, against the server pinned to its core.",
        count(loaded.clicks as f64),
        ctx.plan.p4_links,
        ctx.plan.p4_days,
        ctx.plan.p4_samples
    ));
    section.tables.push(load_table(&loaded));
    section.notes.push(loaded.breakdown());
    let mut server = ctx.linkpulse_serve(&db.url, &[], &format!("p4-{}.log", engine.name()))?;
    let startup = server.wait_ready("/bench0").await;
    let timed = match startup {
        Ok(startup) => {
            section.notes.push(format!(
                "Start-up against this database (spawn to first redirect): {:.1} ms.",
                startup.as_secs_f64() * 1000.0
            ));
            time_endpoints(ctx, &db.url, &server, &links, &mut section).await
        }
        Err(err) => Err(err),
    };
    server.stop().await?;
    db.drop_now().await?;
    section.tables.push(timed?);
    Ok(section)
}

async fn load(
    ctx: &Ctx,
    db: &FreshDb,
    store: &std::sync::Arc<dyn linkpulse::store::Store>,
    links: Vec<BenchLink>,
    workers: usize,
) -> anyhow::Result<Loaded> {
    let enricher = loader::enricher(ctx.geoip.as_deref());
    let mut mix = EventMix::new(links, 4);
    let (mut enqueue, mut drain) = (Duration::ZERO, Duration::ZERO);
    let (target, budget) = (ctx.plan.p4_clicks, ctx.plan.p4_budget);
    let (mut loaded, mut round) = (0, FIRST_ROUND);
    let started = Instant::now();
    while loaded < target {
        let size = (target - loaded).min(round);
        let timing = Timing::OldestFirst {
            days: ctx.plan.p4_days,
            total: target,
            first: loaded,
        };
        enqueue += loader::enqueue(store.as_ref(), &mut mix, size, timing).await?;
        drain += loader::drain(store, &enricher, workers, LOADER_BATCH)
            .await?
            .1;
        loaded += size;
        let elapsed = started.elapsed();
        progress(format!(
            "P4 {}: {} of {} clicks loaded ({elapsed:.0?})",
            db.engine.name(),
            count(loaded as f64),
            count(target as f64),
        ));
        let rate = loaded as f64 / elapsed.as_secs_f64();
        let fits = (rate * budget.saturating_sub(elapsed).as_secs_f64()) as usize;
        if fits < FIRST_ROUND / 2 {
            break;
        }
        round = fits.clamp(FIRST_ROUND, MAX_ROUND);
    }
    let clicks = db::scalar(&db.url, "SELECT COUNT(*) FROM clicks").await?;
    if clicks < loaded as i64 {
        bail!("only {clicks} of {loaded} clicks were stored");
    }
    let (size, tables) = db::sizes_after_load(db).await?;
    Ok(Loaded {
        clicks,
        enqueue,
        drain,
        size,
        tables,
    })
}

fn load_table(l: &Loaded) -> Table {
    let millions = l.clicks as f64 / 1e6;
    let total = l.enqueue + l.drain;
    let mut table = Table::new(&[
        "DB size ratio to clicks table alone",
        "clicks",
        "loading time (enqueue + drain)",
        "loaded clicks/s",
        "DB size",
        "per million clicks",
        "clicks (rows, texts, indexes)",
    ]);
    table.row(vec![
        l.clicks_only()
            .map_or("–".to_owned(), |c| ratio(l.size as f64, c as f64)),
        count(l.clicks as f64),
        format!(
            "{:.0} s ({:.0} s + {:.0} s)",
            total.as_secs_f64(),
            l.enqueue.as_secs_f64(),
            l.drain.as_secs_f64()
        ),
        count(l.clicks as f64 / total.as_secs_f64()),
        mib(l.size),
        mib((l.size as f64 / millions) as u64),
        l.clicks_only().map_or("–".to_owned(), mib),
    ]);
    table
}

/// Times the reference read, the visits API, the link page and the dashboard.
async fn time_endpoints(
    ctx: &Ctx,
    url: &str,
    server: &crate::procs::Server,
    links: &[BenchLink],
    section: &mut Section,
) -> anyhow::Result<Table> {
    let api_key = generate_api_key(ctx, url).await?;
    let mut session = Session::new(&format!("http://{}", server.addr), &api_key)?;
    let signed_in = session.sign_in().await;
    if let Err(err) = &signed_in {
        section
            .notes
            .push(format!("Pages not measured: signing in failed ({err:#})."));
    }
    let samples = ctx.plan.p4_samples;
    let code = |i: usize| &links[(i * 7919) % links.len()].code;
    let reference = session
        .time(samples, |i| format!("/rest/v3/short-urls/{}", code(i)))
        .await
        .context("reference GET /rest/v3/short-urls/{code}")?;
    let mut table = Table::new(&[
        "p95 ratio to link read",
        "endpoint",
        "range",
        "p50",
        "p95",
        "body",
        "goal",
    ]);
    let mut add =
        |name: &str, range: &str, result: anyhow::Result<Timings>, goal_applies| match result {
            Ok(t) => table.row(vec![
                ratio(t.p95_us as f64, reference.p95_us as f64),
                name.to_owned(),
                range.to_owned(),
                ms(t.p50_us),
                ms(t.p95_us),
                format!("{:.1} KiB", t.bytes as f64 / 1024.0),
                if goal_applies {
                    goal(
                        t.p95_us < GOAL.as_micros() as u64,
                        format!("p95 < {} ms", GOAL.as_millis()),
                    )
                } else {
                    String::new()
                },
            ]),
            Err(err) => section
                .notes
                .push(format!("{name} ({range}) not measured: {err:#}")),
        };
    add(
        "GET /rest/v3/short-urls/{code} (reference)",
        "–",
        Ok(reference),
        false,
    );
    let now = Utc::now();
    for (range, since) in [
        ("24 h", Some(now - chrono::Duration::hours(24))),
        ("30 d", Some(now - chrono::Duration::days(30))),
        ("all", None),
    ] {
        let start = since.map_or(String::new(), |s| {
            format!(
                "&startDate={}",
                s.to_rfc3339_opts(SecondsFormat::Secs, true)
            )
        });
        let result = session
            .time(samples, |i| {
                format!(
                    "/rest/v3/short-urls/{}/visits?itemsPerPage=20{start}",
                    code(i)
                )
            })
            .await;
        add(
            "GET /rest/v3/short-urls/{code}/visits?itemsPerPage=20",
            range,
            result,
            true,
        );
    }
    if signed_in.is_ok() {
        for (range, preset) in [("today (≈ 24 h)", "today"), ("30 d", "30d"), ("all", "all")] {
            let result = session
                .time(samples, |i| {
                    format!("/app/links/{}?range={preset}", code(i))
                })
                .await;
            add("link page /app/links/{code}", range, result, true);
        }
        let result = session.time(samples, |_| "/app".to_owned()).await;
        add("dashboard /app", "30 d (fixed)", result, true);
    }
    Ok(table)
}

/// `linkpulse api-key generate --name bench`; the key is the last line printed.
async fn generate_api_key(ctx: &Ctx, url: &str) -> anyhow::Result<String> {
    let output = tokio::process::Command::new(&ctx.linkpulse)
        .arg("--database-url")
        .arg(url)
        .args(["api-key", "generate", "--name", "bench"])
        .output()
        .await?;
    if !output.status.success() {
        bail!(
            "api-key generate failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8(output.stdout)?
        .lines()
        .last()
        .map(|line| line.trim().to_owned())
        .context("api-key generate printed nothing")
}
