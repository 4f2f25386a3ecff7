//! P6 start-up: from process spawn to the first successful redirect, against an existing
//! database (migrated, with links and clicks), compared with the bare reference server (a).

use std::time::Duration;

use crate::bare::BareMode;
use crate::db::{self, Engine, FreshDb};
use crate::loader::{self, Timing};
use crate::mix::EventMix;
use crate::procs::Server;
use crate::report::{Section, Table, goal, ratio};
use crate::scenarios::{Ctx, P1_LINKS, progress};

/// The goal.
const GOAL: Duration = Duration::from_millis(100);

/// Runs P6 on SQLite and, when configured, PostgreSQL.
pub async fn run(ctx: &Ctx) -> Section {
    let mut section = Section::new("P6 start-up time");
    section.intro.push(format!(
        "Time from spawning the (pinned) process to its first 3xx answer on `GET /bench0`, polled \
         every 0.5 ms over fresh connections; {} start-ups each, median shown with min–max. The \
         linkpulse databases already exist (migrated, {P1_LINKS} links, {} clicks drained \
         through the real workers).",
        ctx.plan.p6_starts, ctx.plan.p6_history
    ));
    let reference = match startups(ctx, || ctx.bare(BareMode::Fixed, None)).await {
        Ok(times) => times,
        Err(err) => {
            section
                .notes
                .push(format!("Not run: reference server failed: {err:#}"));
            return section;
        }
    };
    let mut table = Table::new(&["ratio to (a)", "server", "median", "min – max", "goal"]);
    let reference_median = median(&reference);
    table.row(cells(
        "(a) bare axum, fixed 302",
        &reference,
        reference_median,
        false,
    ));
    let mut engines = vec![Engine::Sqlite];
    if ctx.postgres.is_some() {
        engines.push(Engine::Postgres);
    }
    for engine in engines {
        match linkpulse_startups(ctx, engine).await {
            Ok(times) => table.row(cells(
                &format!("linkpulse serve ({})", engine.name()),
                &times,
                reference_median,
                true,
            )),
            Err(err) => section
                .notes
                .push(format!("linkpulse on {} failed: {err:#}", engine.name())),
        }
    }
    section.tables.push(table);
    section
}

async fn linkpulse_startups(ctx: &Ctx, engine: Engine) -> anyhow::Result<Vec<Duration>> {
    let db = FreshDb::create(engine, ctx.postgres.as_deref()).await?;
    let store = db.store().await?;
    let links = db::create_links(store.as_ref(), P1_LINKS).await?;
    let mut mix = EventMix::new(links, 6);
    loader::enqueue(
        store.as_ref(),
        &mut mix,
        ctx.plan.p6_history,
        Timing::SpreadOverDays(30),
    )
    .await?;
    let enricher = loader::enricher(ctx.geoip.as_deref());
    loader::drain(&store, &enricher, 2, 512).await?;
    drop(store);
    progress(format!("P6 {}: database ready", engine.name()));
    let times = startups(ctx, || {
        ctx.linkpulse_serve(&db.url, &[], &format!("p6-{}.log", engine.name()))
    })
    .await;
    db.drop_now().await?;
    times
}

/// Starts and stops a server `p6_starts` times, returning each time to first redirect.
async fn startups(
    ctx: &Ctx,
    start: impl Fn() -> anyhow::Result<Server>,
) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(ctx.plan.p6_starts);
    for _ in 0..ctx.plan.p6_starts {
        let mut server = start()?;
        let ready = server.wait_ready("/bench0").await;
        server.stop().await?;
        times.push(ready?);
    }
    times.sort_unstable();
    Ok(times)
}

fn median(sorted: &[Duration]) -> Duration {
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn cells(label: &str, sorted: &[Duration], reference: Duration, with_goal: bool) -> Vec<String> {
    let m = median(sorted);
    let show = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    vec![
        ratio(m.as_secs_f64(), reference.as_secs_f64()),
        label.to_owned(),
        show(m),
        format!(
            "{} – {}",
            show(sorted.first().copied().unwrap_or_default()),
            show(sorted.last().copied().unwrap_or_default())
        ),
        if with_goal {
            goal(m < GOAL, format!("< {} ms", GOAL.as_millis()))
        } else {
            String::new()
        },
    ]
}
