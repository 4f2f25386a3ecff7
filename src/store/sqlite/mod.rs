//! SQLite: the embedded default. WAL mode, one writer connection, a pool of readers.
//!
//! SQLite allows one writer at a time; funnelling every write through a single connection turns
//! lock contention (SQLITE_BUSY) into orderly queueing, while readers proceed in parallel.

mod completion;
mod engine;
mod outbox;
mod rollups;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{StoreError, StoreResult, TextIds};

/// How long a statement waits for a lock before failing with SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Page size of a new database file in bytes (SQLite's default is 4,096). The drain writes about
/// seventeen B-tree rows per click spread over many pages; with larger pages a batch touches
/// fewer of them and each WAL frame carries more (P3 on SQLite: 2,048 → 16,384 bytes took the
/// drain from 24k to 31k clicks/s, BENCHMARKS.md). A file created with another size keeps it.
const PAGE_SIZE: u32 = 16_384;

/// Reader connections; SQLite readers never block each other in WAL mode.
const READERS: u32 = 8;

/// Page cache of the writer connection in KiB (SQLite's default is 2 MiB): enough to keep the
/// hot ends of the outbox, clicks and rollup indexes in memory while the workers drain.
const WRITER_CACHE_KIB: i64 = 32 * 1024;

/// Rows sqlx buffers between a connection's thread and the task reading them (its default is
/// 50). With a small buffer a large result, like a worker's claim, ping-pongs between the two
/// threads row by row; on a busy core every row then costs two context switches.
const ROW_BUFFER: usize = 8192;

/// WAL pages before the writer checkpoints (SQLite's default is 1,000): one worker batch dirties
/// more than that, and a page rewritten by several batches is then copied back only once.
const WAL_CHECKPOINT_PAGES: u32 = 10_000;

/// The SQLite implementation of `Store`.
#[derive(Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    texts: TextIds,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file named by a `sqlite://PATH` URL.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .page_size(PAGE_SIZE)
            .row_buffer_size(ROW_BUFFER)
            .foreign_keys(true);
        let path = Path::new(options.get_filename()).to_owned();
        prepare_path(url, &path)?;
        let failed = |err: sqlx::Error| StoreError::SqliteOpen {
            path: path.display().to_string(),
            reason: explain(&err),
        };
        let writer = kept_for_good(SqlitePoolOptions::new().max_connections(1))
            .connect_with(
                options
                    .clone()
                    .pragma("cache_size", (-WRITER_CACHE_KIB).to_string())
                    .pragma("wal_autocheckpoint", WAL_CHECKPOINT_PAGES.to_string()),
            )
            .await
            .map_err(failed)?;
        let reader = kept_for_good(SqlitePoolOptions::new().max_connections(READERS))
            .min_connections(READERS)
            .connect_with(options.read_only(true))
            .await
            .map_err(failed)?;
        Ok(Self {
            writer,
            reader,
            texts: TextIds::default(),
        })
    }
}

/// Connections opened once, here, and kept (sqlx would otherwise close them when idle or old and
/// open new ones later, on whichever thread asks). Each SQLite connection runs on a thread of its
/// own that takes the CPU priority of the thread that opened it: opened by the caller of
/// `connect`, they keep the redirects' priority, never the click pipeline's lower one
/// (`pipeline/threads.rs`).
fn kept_for_good(options: SqlitePoolOptions) -> SqlitePoolOptions {
    options.idle_timeout(None).max_lifetime(None)
}

/// Refuses a URL without a file or naming a folder, and creates the file's folder.
fn prepare_path(url: &str, path: &Path) -> StoreResult<()> {
    let refused = |reason: String| StoreError::SqliteOpen {
        path: path.display().to_string(),
        reason,
    };
    if path.as_os_str().is_empty() || url.contains(":memory:") || url.contains("mode=memory") {
        return Err(StoreError::SqliteOpen {
            path: url.to_owned(),
            reason: "the URL names no file (an in-memory database would lose every click on \
                     restart): give a path, e.g. sqlite://data/linkpulse.db"
                .into(),
        });
    }
    if path.is_dir() {
        return Err(refused(format!(
            "it is a folder: name a file inside it, e.g. sqlite://{}/linkpulse.db",
            path.display()
        )));
    }
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|err| {
            let why = if err.kind() == std::io::ErrorKind::AlreadyExists {
                "a file of that name is in the way".to_owned()
            } else {
                err.to_string()
            };
            refused(format!(
                "cannot create its folder {}: {why}",
                parent.display()
            ))
        })?;
    }
    Ok(())
}

/// What an open failure means for the person who named the file.
fn explain(err: &sqlx::Error) -> String {
    let Some(db) = err.as_database_error() else {
        return err.to_string();
    };
    let hint = match db.code().as_deref() {
        Some("14") => "check that the folder exists and this user may write to it",
        Some("8") => "the file or its folder is read-only for this user",
        Some("26") => "the file is not a SQLite database: name another file",
        Some("23") => "permission denied: check the file's owner and mode",
        _ => "check the path in DATABASE_URL",
    };
    format!("{}: {hint}", db.message())
}

/// Write transactions take the write lock up front, so `busy_timeout` applies when another
/// process holds it (a deferred transaction that upgrades later fails at once instead).
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

impl SqliteStore {
    /// Starts a write transaction on the writer connection.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.writer.begin_with(BEGIN_WRITE).await
    }
}

/// SQLite's limit on bound variables in one statement (`SQLITE_MAX_VARIABLE_NUMBER`).
const MAX_VARIABLES: usize = 32_766;

/// Rows one multi-row statement can carry with `params` bound variables each: the fewer
/// statements a batch needs, the fewer round trips to the connection's thread it makes.
/// Such statements differ in size from batch to batch, so they run with `persistent(false)`:
/// kept in sqlx's statement cache, each would hold megabytes and rarely be reused.
const fn rows_per_statement(params: usize) -> usize {
    MAX_VARIABLES / params
}

/// Instants are stored as Unix epoch milliseconds.
fn to_millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The inverse of `to_millis`; out-of-range values (never written by us) clamp to the epoch.
fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn page_size(store: &SqliteStore) -> i64 {
        sqlx::query_scalar("PRAGMA page_size")
            .fetch_one(&store.writer)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_new_file_gets_large_pages_and_an_old_one_keeps_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = SqliteStore::connect(&format!("sqlite://{}/new.db", dir.path().display()))
            .await
            .unwrap();
        assert_eq!(page_size(&fresh).await, i64::from(PAGE_SIZE));

        let old_url = format!("sqlite://{}/old.db", dir.path().display());
        let options = SqliteConnectOptions::from_str(&old_url)
            .unwrap()
            .create_if_missing(true)
            .page_size(4096)
            .journal_mode(SqliteJournalMode::Wal);
        let old = SqlitePoolOptions::new()
            .connect_with(options)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE kept (x)")
            .execute(&old)
            .await
            .unwrap();
        old.close().await;
        let reopened = SqliteStore::connect(&old_url).await.unwrap();
        assert_eq!(page_size(&reopened).await, 4096);
        let tables: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM kept")
            .fetch_one(&reopened.reader)
            .await
            .unwrap();
        assert_eq!(tables, 0);
    }
}
