//! One bad row never drags good rows down: when a batch's completion fails because of one
//! click, the others are stored on their first attempt and only that click is retried and,
//! after its attempts, dead-lettered with its own reason.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{app, entry, event, link_id, visits_total};
use crate::common::{Backend, TestApp, test_worker, test_worker_settings};

/// The user agent whose click the database refuses.
pub(super) const BAD_AGENT: &str = "refused-by-trigger";

/// Makes the database refuse exactly the clicks carrying [`BAD_AGENT`].
pub(super) async fn refuse_bad_agent(app: &TestApp, backend: Backend) {
    match backend {
        Backend::Sqlite => {
            app.execute_sql(
                "CREATE TRIGGER refuse_one BEFORE INSERT ON click_rows
                 WHEN NEW.user_agent_id =
                     (SELECT id FROM click_texts WHERE value = 'refused-by-trigger')
                 BEGIN SELECT RAISE(ABORT, 'injected failure for one row'); END;",
            )
            .await;
        }
        Backend::Postgres => {
            app.execute_sql(
                "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                     IF NEW.user_agent_id =
                         (SELECT id FROM click_texts WHERE value = 'refused-by-trigger') THEN
                         RAISE EXCEPTION 'injected failure for one row';
                     END IF;
                     RETURN NEW;
                 END $$;
                 CREATE TRIGGER refuse_one BEFORE INSERT ON click_rows
                 FOR EACH ROW EXECUTE FUNCTION refuse_one();",
            )
            .await;
        }
    }
}

async fn one_failing_click_is_retried_alone_and_the_rest_stored_at_once(backend: Backend) {
    let app = app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "iso"}))
        .await;
    refuse_bad_agent(&app, backend).await;
    let link = link_id(&app, "iso").await;
    let mut clicks: Vec<_> = (0..40).map(|_| event(Some(link))).collect();
    clicks[17].user_agent = Some(BAD_AGENT.into());
    let bad = clicks[17].message_id;
    let entries: Vec<_> = clicks.iter().map(entry).collect();
    app.store.enqueue_clicks(&entries).await.unwrap();

    let mut settings = test_worker_settings();
    settings.backoff.max_attempts = 3;
    let worker = test_worker(Arc::clone(&app.store), settings);
    assert_eq!(worker.try_execute_batch().await.unwrap(), 40);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clicks").await,
        39,
        "every good click is stored on the first attempt"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM click_outbox").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM dead_letters").await, 0);

    let deadline = Instant::now() + Duration::from_secs(20);
    while app.store.list_dead_letters(1, 0).await.unwrap().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the bad click was never dead-lettered"
        );
        if worker.try_execute_batch().await.unwrap() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let letters = app.store.list_dead_letters(10, 0).await.unwrap();
    assert_eq!(letters.len(), 1, "only the bad click is dead-lettered");
    assert_eq!(letters[0].message_id, bad);
    assert_eq!(letters[0].attempts, 3);
    assert_eq!(letters[0].reason, "gave up after 3 attempts");
    assert!(
        letters[0]
            .last_error
            .contains("injected failure for one row"),
        "{}",
        letters[0].last_error
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks").await, 39);
    assert_eq!(app.count("SELECT COUNT(*) FROM click_outbox").await, 0);
    assert_eq!(visits_total(&app, "iso").await, 39);
}

crate::backend_tests!(one_failing_click_is_retried_alone_and_the_rest_stored_at_once);
