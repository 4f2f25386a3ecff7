//! The store contract: one suite of store stories, each run on SQLite and on Postgres (the
//! Postgres runs are reported as ignored when `TEST_DATABASE_URL` is not set at build time).
//! The store logic under test is written once (`store/shared/`), so are its tests.

mod deliveries;
mod domains;
mod fixture;
mod link_edits;
mod link_list;
mod links;
mod tag_stats;
mod tags;

/// Runs each named `async fn name<F: Fixture>()` of the calling module once per engine.
macro_rules! store_contract {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test::<$crate::store::contract::fixture::SqliteFixture>().await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test]
                #[cfg_attr(
                    not(postgres_tests),
                    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
                )]
                async fn $test() {
                    super::$test::<$crate::store::contract::fixture::PgFixture>().await;
                }
            )+
        }
    };
}
use store_contract;
