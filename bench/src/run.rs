//! `bench all`: builds linkpulse in release mode, runs the chosen scenarios in order, and prints
//! (and optionally writes) the Markdown report.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use sqlx::Connection;

use crate::machine;
use crate::procs::Pinning;
use crate::report::Report;
use crate::scenarios::{Ctx, Plan, p1, p2, p3, p4, p5, p6, p7, progress};

/// The geo-IP database used when present, relative to the repository root.
const SHARED_GEOIP: &str = "../shared/geoip/dbip-country-lite.mmdb";

/// Flags of `bench all`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Small sizes and short windows: the whole run takes under 3 minutes.
    #[arg(long)]
    pub quick: bool,
    /// Run only these scenarios (comma-separated: p1,p2,p3,p4,p5,p6,p7; p5 needs p1).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// chhoto-url's release binary, run as the P1 peer.
    #[arg(long)]
    pub peer_bin: Option<PathBuf>,
    /// PostgreSQL server for the PostgreSQL runs (a fresh database is created per run).
    #[arg(
        long,
        env = "BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    pub postgres_url: String,
    /// Skip every PostgreSQL run.
    #[arg(long)]
    pub no_postgres: bool,
    /// Geo-IP database for the workers (default: ../shared/geoip/dbip-country-lite.mmdb if present).
    #[arg(long)]
    pub geoip: Option<PathBuf>,
    /// Use this linkpulse binary instead of building target/release/linkpulse.
    #[arg(long)]
    pub linkpulse_bin: Option<PathBuf>,
    /// Also write the report to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override P3's number of outbox events per drain.
    #[arg(long)]
    pub p3_events: Option<usize>,
    /// Override P2's fixed request rate (req/s). On a virtual machine whose idle cores are slow
    /// to wake, a low rate measures the wake-ups rather than the server.
    #[arg(long)]
    pub p2_rate: Option<f64>,
    /// Override P4's number of clicks.
    #[arg(long)]
    pub p4_clicks: Option<usize>,
    /// Also run P4 on PostgreSQL (it runs on SQLite only by default).
    #[arg(long)]
    pub p4_postgres: bool,
}

/// Runs the harness end to end.
pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let load_before = machine::load_average();
    let root = repo_root()?;
    // Building replaces this very executable, so the children run the fresh one by path.
    let (linkpulse, bench) = match &args.linkpulse_bin {
        Some(bin) => (bin.clone(), std::env::current_exe()?),
        None => {
            let release = build_release(&root).await?;
            (release.join("linkpulse"), release.join("bench"))
        }
    };
    let mut plan = Plan::new(args.quick);
    if let Some(events) = args.p3_events {
        plan.p3_events = events;
    }
    if let Some(rate) = args.p2_rate {
        plan.p2_rate = rate;
    }
    if let Some(clicks) = args.p4_clicks {
        plan.p4_clicks = clicks;
    }
    let logs = root
        .join("target/bench-logs")
        .join(chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string());
    std::fs::create_dir_all(&logs)?;
    let ctx = Ctx {
        plan,
        pin: Pinning::detect(),
        linkpulse,
        bench,
        postgres: postgres(&args).await,
        geoip: args
            .geoip
            .clone()
            .or_else(|| Some(root.join(SHARED_GEOIP)).filter(|p| p.is_file())),
        peer: args.peer_bin.clone(),
        logs,
    };
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    let mut report = Report::default();
    // Written after every scenario too, so a long run that is cut short keeps what it measured.
    let save = |report: &mut Report| -> anyhow::Result<String> {
        report.preamble = preamble(&ctx, &args, started, &load_before);
        let text = report.render();
        if let Some(out) = &args.out {
            std::fs::write(out, &text).with_context(|| format!("writing {}", out.display()))?;
        }
        Ok(text)
    };
    if wanted("p1") || wanted("p5") {
        let outcome = timed("P1", p1::run(&ctx)).await;
        if wanted("p1") {
            report.sections.extend(outcome.sections);
        }
        if wanted("p5") {
            report.sections.push(p5::section(&outcome.memory));
        }
        save(&mut report)?;
    }
    if wanted("p6") {
        report.sections.push(timed("P6", p6::run(&ctx)).await);
        save(&mut report)?;
    }
    if wanted("p7") {
        report.sections.push(timed("P7", p7::run(&ctx)).await);
        save(&mut report)?;
    }
    if wanted("p3") {
        report.sections.extend(timed("P3", p3::run(&ctx)).await);
        save(&mut report)?;
    }
    if wanted("p2") {
        report.sections.push(timed("P2", p2::run(&ctx)).await);
        save(&mut report)?;
    }
    if wanted("p4") {
        report
            .sections
            .extend(timed("P4", p4::run(&ctx, args.p4_postgres)).await);
    }
    print!("{}", save(&mut report)?);
    Ok(())
}

async fn timed<T>(name: &str, work: impl Future<Output = T>) -> T {
    let started = Instant::now();
    progress(format!("{name} starting"));
    let result = work.await;
    progress(format!("{name} done in {:.0?}", started.elapsed()));
    result
}

/// The workspace root (the bench crate's parent folder).
fn repo_root() -> anyhow::Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .context("bench crate has no parent folder")
}

/// `cargo build --release -p linkpulse -p bench` (one feature resolution for both, so the
/// harness's own build is reused), returning the release folder.
async fn build_release(root: &Path) -> anyhow::Result<PathBuf> {
    progress("building target/release/{linkpulse,bench}");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = tokio::process::Command::new(cargo)
        .current_dir(root)
        .args(["build", "--release", "-p", "linkpulse", "-p", "bench"])
        .status()
        .await?;
    if !status.success() {
        bail!("building linkpulse failed ({status})");
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(target.join("release"))
}

/// The PostgreSQL URL when wanted and reachable; otherwise the scenarios say why they skipped it.
async fn postgres(args: &RunArgs) -> Option<String> {
    if args.no_postgres {
        return None;
    }
    match sqlx::PgConnection::connect(&args.postgres_url).await {
        Ok(conn) => {
            let _ = conn.close().await;
            Some(args.postgres_url.clone())
        }
        Err(err) => {
            progress(format!("PostgreSQL unreachable, skipping its runs: {err}"));
            None
        }
    }
}

fn preamble(ctx: &Ctx, args: &RunArgs, started: Instant, load_before: &str) -> Vec<String> {
    let command: Vec<String> = std::env::args().skip(1).collect();
    let memory = machine::memory_gib().map_or("?".to_owned(), |g| format!("{g:.0} GiB"));
    vec![
        format!(
            "- Machine: {} cores, {} (from /proc/cpuinfo), {memory} RAM, Linux {}",
            machine::cores(),
            machine::cpu_model(),
            machine::kernel()
        ),
        format!(
            "- Toolchain: {}",
            machine::version_of("rustc").unwrap_or_else(|| "rustc ?".to_owned())
        ),
        format!(
            "- Command: `cargo run --release -p bench -- {}`",
            command.join(" ")
        ),
        format!(
            "- Date: {} (whole run {:.0?}{})",
            chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
            started.elapsed(),
            if args.quick { ", --quick sizes" } else { "" }
        ),
        format!(
            "- Load average (1/5/15 min) before the run: {load_before}; after: {}",
            machine::load_average()
        ),
        format!("- Pinning: {}", ctx.pin.describe()),
        format!(
            "- Load: the harness's own HTTP/1.1 client (`bench load`): {} keep-alive connections, \
             one request in flight each, on a single-threaded runtime; identical for every server.",
            ctx.plan.connections
        ),
        format!(
            "- Geo-IP: {}; PostgreSQL: {}",
            ctx.geoip
                .as_ref()
                .map_or("none".to_owned(), |p| format!("`{}`", p.display())),
            ctx.postgres
                .as_ref()
                .map_or("not used".to_owned(), |_| format!(
                    "`{}` (fresh database per run)",
                    args.postgres_url
                ))
        ),
        format!("- Server logs: `{}`", ctx.logs.display()),
        "- Every figure is given as a ratio to a reference measured in the same run (first \
         column); absolute numbers are context."
            .to_owned(),
    ]
}
