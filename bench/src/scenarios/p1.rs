//! P1 redirect throughput with every click recorded: linkpulse (`--click-ack immediate` and
//! `commit`) against a bare axum server answering a fixed 302 (a) and the same server inserting
//! each click synchronously before answering (b), on SQLite and PostgreSQL, plus the peer.
//! Memory (P5) is read from the same processes.

use std::time::Duration;

use crate::bare::BareMode;
use crate::db::{self, Engine, FreshDb};
use crate::load::LoadResult;
use crate::procs::Server;
use crate::report::{Section, Table, count, goal, ms, ratio};
use crate::scenarios::{Ctx, P1_LINKS, peer, progress};

/// Pause between readiness and the idle memory reading.
const SETTLE: Duration = Duration::from_millis(500);

/// Memory of one server: after start-up (idle) and its peak under P1 load.
#[derive(Debug, Clone)]
pub struct Memory {
    /// Which server.
    pub server: String,
    /// `VmRSS` once ready and idle, KiB.
    pub idle_kib: u64,
    /// `VmHWM` after the load, KiB.
    pub peak_kib: u64,
    /// `RssAnon` once ready and idle, KiB: the idle memory that is the process's own.
    pub idle_private_kib: u64,
}

/// What P1 produced for the report and for later scenarios.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The P1 tables.
    pub sections: Vec<Section>,
    /// Memory readings for P5.
    pub memory: Vec<Memory>,
}

/// One server's P1 figures.
struct Measured {
    label: String,
    load: LoadResult,
    /// Clicks found in the database afterwards, when the server records them.
    recorded: Option<i64>,
    /// Webhook deliveries the harness received, when one was registered.
    delivered: Option<u64>,
}

/// Runs P1 on SQLite, then PostgreSQL when configured.
pub async fn run(ctx: &Ctx) -> Outcome {
    let mut outcome = Outcome::default();
    let reference = match measure_bare_fixed(ctx, &mut outcome).await {
        Ok(reference) => reference,
        Err(err) => {
            outcome.sections.push(Section::not_run(
                "P1 redirect throughput",
                format!("reference server (a) failed: {err:#}"),
            ));
            return outcome;
        }
    };
    outcome
        .sections
        .push(engine_section(ctx, Engine::Sqlite, &reference, &mut outcome.memory).await);
    if ctx.postgres.is_some() {
        outcome
            .sections
            .push(engine_section(ctx, Engine::Postgres, &reference, &mut outcome.memory).await);
    } else {
        outcome.sections.push(Section::not_run(
            "P1 redirect throughput (PostgreSQL)",
            "no PostgreSQL URL (--postgres-url) or --no-postgres given",
        ));
    }
    outcome
}

async fn measure_bare_fixed(ctx: &Ctx, outcome: &mut Outcome) -> anyhow::Result<Measured> {
    let server = ctx.bare(BareMode::Fixed, None)?;
    measure(
        ctx,
        server,
        "(a) bare axum, fixed 302 from a HashMap",
        &mut outcome.memory,
    )
    .await
}

/// Starts, measures and stops one server; records its memory.
async fn measure(
    ctx: &Ctx,
    mut server: Server,
    label: &str,
    memory: &mut Vec<Memory>,
) -> anyhow::Result<Measured> {
    progress(format!("P1 {label}"));
    server.wait_ready("/bench0").await?;
    tokio::time::sleep(SETTLE).await;
    let idle = server.memory_kib()?;
    let load = ctx
        .load(server.addr, None, ctx.plan.warmup, ctx.plan.measure)
        .await;
    let peak = server.memory_kib().map(|reading| reading.peak);
    server.stop().await?;
    let load = load?;
    memory.push(Memory {
        server: label.to_owned(),
        idle_kib: idle.rss,
        peak_kib: peak?,
        idle_private_kib: idle.private,
    });
    Ok(Measured {
        label: label.to_owned(),
        load,
        recorded: None,
        delivered: None,
    })
}

async fn engine_section(
    ctx: &Ctx,
    engine: Engine,
    reference: &Measured,
    memory: &mut Vec<Memory>,
) -> Section {
    let mut section = Section::new(format!("P1 redirect throughput ({})", engine.name()));
    section.intro.push(format!(
        "{} keep-alive connections, {:?} warm-up then {:?} measured per server, requests cycling \
         over {P1_LINKS} links. \"recorded\" counts clicks found in the database after a graceful \
         stop against redirects answered (warm-up included; readiness probes add a few).",
        ctx.plan.connections, ctx.plan.warmup, ctx.plan.measure
    ));
    let mut rows = vec![Ok(reference_row(reference))];
    let naive = measure_bare_recording(ctx, engine, memory).await;
    let naive_rps = naive.as_ref().map(|m| m.load.rps).ok();
    rows.push(naive);
    for mode in ["immediate", "commit"] {
        for workers in [Workers::InProcess, Workers::Elsewhere] {
            rows.push(measure_linkpulse(ctx, engine, mode, workers, Rules::None, memory).await);
        }
    }
    let ruled = measure_linkpulse(
        ctx,
        engine,
        "immediate",
        Workers::InProcess,
        Rules::Five,
        memory,
    )
    .await;
    let plain_rps = rows
        .iter()
        .flatten()
        .find(|m| m.label.contains("immediate") && !m.label.contains("--workers"))
        .map(|m| m.load.rps);
    if let (Ok(ruled), Some(plain)) = (&ruled, plain_rps) {
        section.notes.push(format!(
            "Five redirect rules per link, none matching (every rule evaluated): {:.2}× the plain \
             link's req/s in `immediate` mode.",
            ruled.load.rps / plain
        ));
    }
    rows.push(ruled);
    let split = measure_linkpulse(
        ctx,
        engine,
        "immediate",
        Workers::InProcess,
        Rules::Split,
        memory,
    )
    .await;
    if let (Ok(split), Some(plain)) = (&split, plain_rps) {
        section.notes.push(format!(
            "A 50/30/20 A/B split per link (each visitor hashed with the day's salt): {:.2}× the \
             plain link's req/s in `immediate` mode.",
            split.load.rps / plain
        ));
    }
    rows.push(split);
    let hooked = measure_linkpulse(
        ctx,
        engine,
        "immediate",
        Workers::InProcess,
        Rules::Webhook,
        memory,
    )
    .await;
    if let (Ok(hooked), Some(plain)) = (&hooked, plain_rps) {
        section.notes.push(format!(
            "One webhook for every visit (its deliveries made by the server itself, on its core, \
             to a receiver in the harness answering 204): {:.2}× the plain link's req/s in \
             `immediate` mode; {} deliveries received by the time the server stopped.",
            hooked.load.rps / plain,
            count(hooked.delivered.unwrap_or_default() as f64)
        ));
    }
    rows.push(hooked);
    let published = measure_linkpulse(
        ctx,
        engine,
        "immediate",
        Workers::InProcess,
        Rules::Broker,
        memory,
    )
    .await;
    if let (Ok(published), Some(plain)) = (&published, plain_rps) {
        section.notes.push(format!(
            "One broker consumer (Redis pub/sub on 127.0.0.1:6379, every event published by the \
             server itself): {:.2}× the plain link's req/s in `immediate` mode; {} deliveries \
             published by the time the server stopped.",
            published.load.rps / plain,
            count(published.delivered.unwrap_or_default() as f64)
        ));
    }
    rows.push(published);
    if engine == Engine::Sqlite {
        match measure_peer(ctx, memory).await {
            Ok(Some(measured)) => rows.push(Ok(measured)),
            Ok(None) => {}
            Err(err) => section.notes.push(format!("peer: not run ({err:#})")),
        }
    }
    let mut table = Table::new(&[
        "ratio to (a)",
        "server",
        "req/s",
        "p50",
        "p99",
        "errors",
        "recorded / answered",
        "goal",
    ]);
    for row in rows {
        match row {
            Ok(m) => table.row(cells(&m, reference.load.rps, naive_rps)),
            Err(err) => section.notes.push(format!("A server failed: {err:#}")),
        }
    }
    section.tables.push(table);
    if ctx.peer.is_none() && engine == Engine::Sqlite {
        section.notes.push(peer::NOT_GIVEN.to_owned());
    }
    section
}

async fn measure_peer(ctx: &Ctx, memory: &mut Vec<Memory>) -> anyhow::Result<Option<Measured>> {
    let Some(peer) = peer::start(ctx).await? else {
        return Ok(None);
    };
    let mut measured = measure(ctx, peer.server, peer::LABEL, memory).await?;
    measured.recorded = Some(db::scalar(&peer.database_url, peer::RECORDED_SQL).await?);
    drop(peer.dir);
    Ok(Some(measured))
}

fn reference_row(reference: &Measured) -> Measured {
    Measured {
        label: reference.label.clone(),
        load: reference.load,
        recorded: None,
        delivered: None,
    }
}

async fn measure_bare_recording(
    ctx: &Ctx,
    engine: Engine,
    memory: &mut Vec<Memory>,
) -> anyhow::Result<Measured> {
    let db = FreshDb::create(engine, ctx.postgres.as_deref()).await?;
    let (mode, url, label) = match engine {
        Engine::Sqlite => (
            BareMode::Sqlite,
            format!("sqlite://{}/bare.db", db.dir.path().display()),
            "(b) bare axum + synchronous INSERT per click (SQLite)",
        ),
        Engine::Postgres => (
            BareMode::Postgres,
            db.url.clone(),
            "(b) bare axum + synchronous INSERT per click (PostgreSQL)",
        ),
    };
    let server = ctx.bare(mode, Some(&url))?;
    let mut measured = measure(ctx, server, label, memory).await?;
    measured.recorded = Some(db::scalar(&url, "SELECT COUNT(*) FROM bare_clicks").await?);
    db.drop_now().await?;
    Ok(measured)
}

/// Whether the links carry redirect rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rules {
    /// Plain links.
    None,
    /// Five rules each that no request matches ([`db::add_five_rules`]).
    Five,
    /// A 50/30/20 A/B split each ([`db::add_split`]): every redirect hashes its visitor.
    Split,
    /// Plain links and one webhook for every visit, delivered to a receiver in the harness
    /// ([`db::add_webhook`]) by the server itself.
    Webhook,
    /// Plain links and Redis as a broker consumer, published to by the server itself.
    Broker,
}

/// Where the click workers run while the server is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workers {
    /// In the server process, on its core (the default set-up).
    InProcess,
    /// Not in the server (`--workers 0`): enrichment is left to a `linkpulse worker` process
    /// elsewhere or to a quieter moment, and the outbox keeps every click meanwhile.
    Elsewhere,
}

async fn measure_linkpulse(
    ctx: &Ctx,
    engine: Engine,
    mode: &str,
    workers: Workers,
    rules: Rules,
    memory: &mut Vec<Memory>,
) -> anyhow::Result<Measured> {
    let db = FreshDb::create(engine, ctx.postgres.as_deref()).await?;
    let store = db.store().await?;
    let links = db::create_links(store.as_ref(), P1_LINKS).await?;
    let mut receiver = None;
    let (mut flags, mut suffix) = match workers {
        Workers::InProcess => (vec!["--click-ack", mode], String::new()),
        Workers::Elsewhere => (
            vec!["--click-ack", mode, "--workers", "0"],
            " --workers 0".to_owned(),
        ),
    };
    match rules {
        Rules::None => {}
        Rules::Five => {
            db::add_five_rules(store.as_ref(), &links).await?;
            suffix.push_str(", five rules per link");
        }
        Rules::Split => {
            db::add_split(store.as_ref(), &links).await?;
            suffix.push_str(", an A/B split per link");
        }
        Rules::Webhook => {
            receiver = Some(db::add_webhook(store.as_ref()).await?);
            flags.push("--webhooks-allow-private");
            suffix.push_str(", one webhook");
        }
        Rules::Broker => {
            flags.extend(["--redis-url", "redis://127.0.0.1:6379"]);
            suffix.push_str(", one broker (Redis)");
        }
    }
    drop(store);
    let label = format!(
        "(c) linkpulse --click-ack {mode}{suffix} ({})",
        engine.name()
    );
    let server = ctx.linkpulse_serve(
        &db.url,
        &flags,
        &format!(
            "p1-{mode}{}-{}.log",
            suffix.replace([' ', ',', '/'], "_"),
            engine.name()
        ),
    )?;
    let mut measured = measure(ctx, server, &label, memory).await?;
    measured.recorded = Some(
        db::scalar(
            &db.url,
            "SELECT (SELECT COUNT(*) FROM clicks) + (SELECT COUNT(*) FROM click_outbox)",
        )
        .await?,
    );
    if let Some(receiver) = receiver {
        measured.delivered = Some(receiver.received());
    }
    if rules == Rules::Broker {
        let published = "SELECT delivered_total FROM webhooks WHERE name = 'redis'";
        measured.delivered = u64::try_from(db::scalar(&db.url, published).await?).ok();
    }
    db.drop_now().await?;
    Ok(measured)
}

/// One table row; the goal column applies to linkpulse's two modes.
fn cells(m: &Measured, reference_rps: f64, naive_rps: Option<f64>) -> Vec<String> {
    let recorded = m.recorded.map_or("–".to_owned(), |n| {
        format!(
            "{} / {}",
            count(n as f64),
            count(m.load.redirects_total as f64)
        )
    });
    let goal_text = if m.label.contains("immediate") {
        let r = m.load.rps / reference_rps;
        goal(r >= 0.8, format!("≥ 0.80× (a): {r:.2}×"))
    } else if m.label.contains("commit") {
        naive_rps.map_or("– ((b) failed)".to_owned(), |naive| {
            let r = m.load.rps / naive;
            goal(r >= 5.0, format!("≥ 5× (b): {r:.2}×"))
        })
    } else {
        String::new()
    };
    vec![
        ratio(m.load.rps, reference_rps),
        m.label.clone(),
        count(m.load.rps),
        ms(m.load.p50_us),
        ms(m.load.p99_us),
        count(m.load.errors as f64),
        recorded,
        goal_text,
    ]
}
