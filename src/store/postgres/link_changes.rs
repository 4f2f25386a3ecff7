//! Link edits between instances: each edit's transaction sends `NOTIFY`, and every instance
//! `LISTEN`s to forget the edited link in its redirect cache, or read the not-found redirects
//! again, within moments.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::mpsc;

use super::PgStore;
use crate::store::LinkChange;
use crate::store::sql::Sql;

/// The channel link edits are announced on; the payload is the short code.
const CHANNEL: &str = "linkpulse_link_changes";

/// The channel changes of the not-found redirects are announced on.
const NOT_FOUND_CHANNEL: &str = "linkpulse_not_found_redirects";

/// Announcements held for a slow cache before the listener waits.
const BUFFER: usize = 1024;

/// Pause before listening again after the connection failed (e.g. the database is down).
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

/// `SELECT pg_notify(…)` for `change`: delivered when the surrounding transaction commits.
pub(super) fn notice(change: &LinkChange) -> Option<Sql> {
    let (channel, payload) = match change {
        LinkChange::Link(code) => (CHANNEL, code.as_str()),
        LinkChange::Domains => (NOT_FOUND_CHANNEL, ""),
        LinkChange::Missed => return None,
    };
    let mut sql = Sql::new("SELECT pg_notify(");
    sql.bind(channel).push(", ").bind(payload).push(")");
    Some(sql)
}

/// Listens in a task of its own for as long as the receiver lives. Whenever listening was
/// interrupted, `Missed` is sent once it works again, since announcements may have been lost.
pub(super) fn listen(store: &PgStore) -> mpsc::Receiver<LinkChange> {
    let (sender, receiver) = mpsc::channel(BUFFER);
    let pool = store.pool.clone();
    tokio::spawn(async move {
        let mut interrupted = false;
        while !sender.is_closed() {
            let listener = match PgListener::connect_with(&pool).await {
                Ok(mut listener) => listener
                    .listen_all([CHANNEL, NOT_FOUND_CHANNEL])
                    .await
                    .map(|()| listener),
                Err(err) => Err(err),
            };
            match listener {
                Ok(mut listener) => {
                    if interrupted && sender.send(LinkChange::Missed).await.is_err() {
                        return;
                    }
                    forward(&mut listener, &sender).await;
                }
                Err(err) => tracing::warn!(error = %err, "cannot listen for link edits"),
            }
            interrupted = true;
            tokio::time::sleep(RECONNECT_PAUSE).await;
        }
    });
    receiver
}

/// Passes announcements on until the connection drops or nobody listens any more.
async fn forward(listener: &mut PgListener, sender: &mpsc::Sender<LinkChange>) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                let change = if notification.channel() == NOT_FOUND_CHANNEL {
                    LinkChange::Domains
                } else {
                    LinkChange::Link(notification.payload().to_owned())
                };
                if sender.send(change).await.is_err() {
                    return;
                }
            }
            Ok(None) => {
                tracing::warn!("link-edit announcements interrupted; reconnecting");
                return;
            }
            Err(err) => {
                tracing::warn!(error = %err, "link-edit announcements failed; reconnecting");
                return;
            }
        }
    }
}
