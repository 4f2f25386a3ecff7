//! Rows read straight from a test database (and statements run on it), on either engine, for
//! assertions about what was stored (`clicks.ip`, `clicks.city_name`, …) that no API shows.

use sqlx::FromRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

/// Every row of `sql`, portable SQL such as `SELECT visited_url, ip FROM clicks ORDER BY id`,
/// on the database at `database_url`.
pub async fn fetch<T>(database_url: &str, sql: &'static str) -> Vec<T>
where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    if database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(database_url)
            .await
            .expect("sqlite");
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.expect("sql");
        pool.close().await;
        rows
    } else {
        let pool = sqlx::PgPool::connect(database_url).await.expect("postgres");
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.expect("sql");
        pool.close().await;
        rows
    }
}

/// Runs statements a test built (table names and values are its own, never input) on the
/// database at `database_url`.
pub async fn execute(database_url: &str, sql: String) {
    let sql = sqlx::AssertSqlSafe(sql);
    if database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(database_url)
            .await
            .expect("sqlite");
        sqlx::raw_sql(sql).execute(&pool).await.expect("sql");
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(database_url).await.expect("postgres");
        sqlx::raw_sql(sql).execute(&pool).await.expect("sql");
        pool.close().await;
    }
}
