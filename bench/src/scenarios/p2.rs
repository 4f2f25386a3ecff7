//! P2 redirect latency while the workers drain a large outbox backlog, against the same server
//! idle: a fixed request rate, so latency reflects interference rather than saturation.

use crate::db::{self, Engine, FreshDb};
use crate::load::LoadResult;
use crate::loader::{self, Timing};
use crate::mix::EventMix;
use crate::report::{Section, Table, count, goal, ms, ratio};
use crate::scenarios::{Ctx, P1_LINKS, progress};

/// Counts the backlog.
const BACKLOG_SQL: &str = "SELECT COUNT(*) FROM click_outbox";

/// Runs P2 on SQLite and, when configured, PostgreSQL.
pub async fn run(ctx: &Ctx) -> Section {
    let mut section = Section::new("P2 redirect latency while draining a backlog");
    section.intro.push(format!(
        "linkpulse (`--click-ack immediate`, pinned, so 1 click worker) under a fixed {} req/s \
         over {} connections (a request held up by a late answer on its connection is timed from its scheduled send time). \
         \"idle\": empty outbox. \"draining\": the server is started on a database whose outbox \
         already holds {} realistic events and measured at once, while its worker drains them.",
        count(ctx.plan.p2_rate),
        ctx.plan.connections,
        count(ctx.plan.p2_backlog as f64)
    ));
    let mut table = Table::new(&[
        "p99 ratio to idle",
        "engine / state",
        "p50",
        "p99",
        "max",
        "req/s",
        "errors",
        "backlog start → end",
        "goal",
    ]);
    let mut engines = vec![Engine::Sqlite];
    if ctx.postgres.is_some() {
        engines.push(Engine::Postgres);
    }
    for engine in engines {
        match measure(ctx, engine).await {
            Ok((idle, busy, backlog_end)) => {
                let start = ctx.plan.p2_backlog as f64;
                table.row(cells(
                    engine,
                    "idle",
                    &idle,
                    &idle,
                    "0 → 0".to_owned(),
                    None,
                ));
                let backlog = format!("{} → {}", count(start), count(backlog_end as f64));
                let r = busy.p99_us as f64 / idle.p99_us.max(1) as f64;
                let goal_text = goal(r <= 1.5, format!("p99 ≤ 1.5× idle: {r:.2}×"));
                table.row(cells(
                    engine,
                    "draining",
                    &busy,
                    &idle,
                    backlog,
                    Some(goal_text),
                ));
                if backlog_end == 0 {
                    section.notes.push(format!(
                        "{}: the backlog was fully drained before the window ended, so part of \
                         the \"draining\" window was idle.",
                        engine.name()
                    ));
                }
            }
            Err(err) => section
                .notes
                .push(format!("{} failed: {err:#}", engine.name())),
        }
    }
    section.tables.push(table);
    section
}

fn cells(
    engine: Engine,
    state: &str,
    r: &LoadResult,
    idle: &LoadResult,
    backlog: String,
    goal_text: Option<String>,
) -> Vec<String> {
    vec![
        ratio(r.p99_us as f64, idle.p99_us as f64),
        format!("{} / {state}", engine.name()),
        ms(r.p50_us),
        ms(r.p99_us),
        ms(r.max_us),
        count(r.rps),
        count(r.errors as f64),
        backlog,
        goal_text.unwrap_or_default(),
    ]
}

/// Idle run, then the draining run; returns both and the backlog left at the end.
async fn measure(ctx: &Ctx, engine: Engine) -> anyhow::Result<(LoadResult, LoadResult, i64)> {
    let db = FreshDb::create(engine, ctx.postgres.as_deref()).await?;
    let store = db.store().await?;
    let links = db::create_links(store.as_ref(), P1_LINKS).await?;
    let log = format!("p2-{}.log", engine.name());
    let idle = fixed_rate_run(ctx, &db.url, &log).await?;
    let mut mix = EventMix::new(links, 2);
    let took = loader::enqueue(store.as_ref(), &mut mix, ctx.plan.p2_backlog, Timing::Now).await?;
    drop(store);
    progress(format!(
        "P2 {}: {} events enqueued in {took:.1?}",
        engine.name(),
        count(ctx.plan.p2_backlog as f64)
    ));
    let busy = fixed_rate_run(ctx, &db.url, &log).await?;
    let left = db::scalar(&db.url, BACKLOG_SQL).await?;
    db.drop_now().await?;
    Ok((idle, busy, left))
}

async fn fixed_rate_run(ctx: &Ctx, url: &str, log: &str) -> anyhow::Result<LoadResult> {
    let mut server = ctx.linkpulse_serve(url, &["--click-ack", "immediate"], log)?;
    server.wait_ready("/bench0").await?;
    let result = ctx
        .load(
            server.addr,
            Some(ctx.plan.p2_rate),
            ctx.plan.warmup.min(std::time::Duration::from_secs(1)),
            ctx.plan.p2_window,
        )
        .await;
    server.stop().await?;
    result
}
