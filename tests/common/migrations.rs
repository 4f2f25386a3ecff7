//! Databases as an earlier release left them, for the upgrade stories: this engine's migrations
//! up to a given one, applied to a fresh database.

use super::Backend;

/// Applies to `url` the engine's migrations numbered below `first_new`: the schema of the
/// release that shipped before `first_new`.
pub async fn migrate_before(backend: Backend, url: &str, first_new: i64) {
    let mut migrator = match backend {
        Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("migrations/postgres"),
    };
    let before: Vec<_> = migrator
        .iter()
        .filter(|migration| migration.version < first_new)
        .cloned()
        .collect();
    assert!(
        before.len() < migrator.iter().count(),
        "migration {first_new} is a migration of its own"
    );
    migrator.migrations = before.into();
    match backend {
        Backend::Sqlite => {
            let options: sqlx::sqlite::SqliteConnectOptions = url.parse().expect("sqlite url");
            let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true))
                .await
                .expect("sqlite");
            migrator.run(&pool).await.expect("previous migrations");
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.expect("postgres");
            migrator.run(&pool).await.expect("previous migrations");
            pool.close().await;
        }
    }
}
