//! Webhooks, for both engines: the endpoints (`webhooks`), and the statement that fans a batch
//! of stored clicks out to them inside the completing transaction. Their queues are in
//! `deliveries.rs`.

use chrono::{DateTime, Utc};
use url::Url;
use uuid::Uuid;

use crate::clicks::Click;
use crate::consumers::{
    ConsumerKind, Event, Events, NewWebhook, Webhook, WebhookError, WebhookSecret,
};
use crate::links::LinkAddress;
use crate::store::engine::{Engine, Transaction};
use crate::store::sql::{At, Sql};
use crate::store::{StoreError, StoreResult};

/// The columns `Row` reads, from `webhooks`.
pub(super) const COLUMNS: &str = "SELECT id, name, url, events, secret, previous_secret, \
     previous_until, created_at, failing_since, disabled_at, disabled_reason, kind FROM webhooks";

/// One row of [`COLUMNS`].
type Row = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<At>,
    At,
    Option<At>,
    Option<At>,
    Option<String>,
    String,
);

/// Clicks fanned out per statement (two bound values each).
const CLICKS_PER_STATEMENT: usize = 1000;

/// The model of a row; a stored value that no longer parses is a decoding error.
pub(super) fn to_webhook(row: Row) -> StoreResult<Webhook> {
    let (
        id,
        name,
        url,
        events,
        secret,
        previous,
        previous_until,
        created,
        failing,
        disabled_at,
        reason,
        kind,
    ) = row;
    let decoding = |err: WebhookError| StoreError::Database(sqlx::Error::Decode(err.into()));
    let previous_secret = match (previous, previous_until) {
        (Some(previous), Some(until)) => Some((
            WebhookSecret::parse(&previous).map_err(decoding)?,
            until.into(),
        )),
        _ => None,
    };
    let kind = ConsumerKind::parse(&kind).ok_or_else(|| {
        StoreError::Database(sqlx::Error::Decode(
            format!("unknown consumer kind {kind:?}").into(),
        ))
    })?;
    Ok(Webhook {
        id,
        kind,
        url: Url::parse(&url).map_err(|_| decoding(WebhookError::Url))?,
        events: Events::parse(&events).map_err(decoding)?,
        secret: WebhookSecret::parse(&secret).map_err(decoding)?,
        previous_secret,
        created_at: created.into(),
        failing_since: failing.map(Into::into),
        disabled: disabled_at.map(|at| (at.into(), reason.unwrap_or_default())),
        name,
    })
}

/// Inserts `new`; `DuplicateWebhookName` when its name is taken.
pub(super) async fn insert<E: Engine>(store: &E, new: &NewWebhook) -> StoreResult<Webhook> {
    let mut insert =
        Sql::new("INSERT INTO webhooks (name, url, events, secret, created_at) VALUES (");
    insert.bind(new.name.as_str()).push(", ");
    insert.bind(new.url.as_str()).push(", ");
    insert.bind(new.events.to_string().as_str()).push(", ");
    insert.bind(new.secret.expose()).push(", ");
    insert.bind(Utc::now()).push(") RETURNING id");
    let mut tx = store.begin_write().await?;
    let (id,): (i64,) = match tx.fetch_optional(insert).await {
        Err(err) if err.is_unique_violation() => {
            return Err(StoreError::DuplicateWebhookName(new.name.clone()));
        }
        inserted => inserted?.ok_or(sqlx::Error::RowNotFound)?,
    };
    let mut select = Sql::new(COLUMNS);
    select.push(" WHERE id = ").bind(id);
    let row: Row = tx
        .fetch_optional(select)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    tx.commit().await?;
    to_webhook(row)
}

/// Every consumer (`of_kind` only those of one kind), by name.
pub(super) async fn all<E: Engine>(
    store: &E,
    of_kind: Option<ConsumerKind>,
) -> StoreResult<Vec<Webhook>> {
    let mut select = Sql::new(COLUMNS);
    if let Some(kind) = of_kind {
        select.push(" WHERE kind = ").bind(kind.as_str());
    }
    select.push(" ORDER BY name");
    let rows: Vec<Row> = store.fetch_all(select).await?;
    rows.into_iter().map(to_webhook).collect()
}

/// Makes (or re-enables) the consumer of the broker `kind` at `address`, receiving every event.
/// `DuplicateWebhookName` when a webhook holds the broker's name.
pub(super) async fn enable_broker<E: Engine>(
    store: &E,
    kind: ConsumerKind,
    address: &str,
) -> StoreResult<()> {
    let events = Events::of(Event::ALL.map(Event::as_str))
        .map_err(|err| StoreError::Database(sqlx::Error::Decode(err.into())))?;
    let mut upsert =
        Sql::new("INSERT INTO webhooks (name, kind, url, events, secret, created_at) VALUES (");
    upsert
        .bind(kind.as_str())
        .push(", ")
        .bind(kind.as_str())
        .push(", ");
    upsert.bind(address).push(", ");
    upsert.bind(events.to_string().as_str()).push(", ");
    upsert.bind(WebhookSecret::generate().expose()).push(", ");
    upsert.bind(Utc::now()).push(
        ") ON CONFLICT (name) DO UPDATE SET url = excluded.url, events = excluded.events, \
         disabled_at = NULL, disabled_reason = NULL WHERE webhooks.kind = excluded.kind",
    );
    if store.execute(upsert).await? == 0 {
        return Err(StoreError::DuplicateWebhookName(kind.as_str().to_owned()));
    }
    Ok(())
}

/// Replaces the secret of the endpoint `name`, keeping the old one until `until`.
pub(super) async fn rotate<E: Engine>(
    store: &E,
    name: &str,
    secret: &WebhookSecret,
    until: DateTime<Utc>,
) -> StoreResult<Option<Webhook>> {
    let mut update = Sql::new("UPDATE webhooks SET previous_secret = secret, previous_until = ");
    update.bind(until).push(", secret = ").bind(secret.expose());
    update
        .push(" WHERE kind = 'webhook' AND name = ")
        .bind(name);
    if store.execute(update).await? == 0 {
        return Ok(None);
    }
    let mut select = Sql::new(COLUMNS);
    select.push(" WHERE name = ").bind(name);
    let row: Option<Row> = store.fetch_optional(select).await?;
    row.map(to_webhook).transpose()
}

/// Queues a delivery of each of `clicks` for every enabled endpoint that wants its event, inside
/// `tx`, the transaction that stores them (each engine calls it from its completion); a click
/// already queued for an endpoint is skipped, so a redelivered click is never queued twice. A
/// batch costs one cheap query when no endpoint is enabled.
pub(in crate::store) async fn queue_deliveries(
    tx: &mut impl Transaction,
    clicks: &[&Click],
) -> StoreResult<()> {
    if clicks.is_empty() {
        return Ok(());
    }
    let enabled: Option<(i64,)> = tx
        .fetch_optional(Sql::new(
            "SELECT id FROM webhooks WHERE disabled_at IS NULL LIMIT 1",
        ))
        .await?;
    if enabled.is_none() {
        return Ok(());
    }
    for statement in fan_out(clicks, Utc::now()) {
        tx.execute(statement).await?;
    }
    Ok(())
}

/// Queues a delivery of `event` about a link for every enabled endpoint that wants it, inside
/// `tx`, the transaction that creates, edits or deletes the link (one message id per change):
/// by `link_id` while the link exists (the delivery goes with it if it is deleted first), by its
/// address once it is deleted.
pub(in crate::store) async fn queue_link_event(
    tx: &mut impl Transaction,
    event: Event,
    link: LinkSubject<'_>,
) -> StoreResult<()> {
    let now = Utc::now();
    let mut insert = Sql::new(
        "INSERT INTO webhook_deliveries (webhook_id, message_id, event, link_id, link_address, \
         created_at, available_at) SELECT id, ",
    );
    insert.bind(Uuid::now_v7()).push(", ");
    insert.bind(event.as_str()).push(", ");
    match link {
        LinkSubject::Stored(id) => insert.bind(id).push(", NULL, "),
        LinkSubject::Deleted(address) => insert
            .push("NULL, ")
            .bind(address.segment().as_ref())
            .push(", "),
    };
    insert.bind(now).push(", ").bind(now);
    insert.push(" FROM webhooks WHERE disabled_at IS NULL AND (',' || events || ',') LIKE ");
    insert.bind(format!("%,{},%", event.as_str()).as_str());
    tx.execute(insert).await?;
    Ok(())
}

/// Which link a link event is about.
#[derive(Debug, Clone, Copy)]
pub(in crate::store) enum LinkSubject<'a> {
    /// A stored link, by row id.
    Stored(i64),
    /// A link deleted in this transaction, by its address.
    Deleted(&'a LinkAddress),
}

/// The statements of [`queue_deliveries`], one per chunk of clicks.
fn fan_out(clicks: &[&Click], now: DateTime<Utc>) -> Vec<Sql> {
    clicks
        .chunks(CLICKS_PER_STATEMENT)
        .map(|chunk| {
            let mut insert = Sql::new(
                "INSERT INTO webhook_deliveries (webhook_id, message_id, event, created_at, \
                 available_at) SELECT w.id, c.column1, c.column2, ",
            );
            insert.bind(now).push(", ").bind(now);
            insert.push(" FROM webhooks w JOIN (VALUES ");
            for (index, click) in chunk.iter().enumerate() {
                insert.push(if index == 0 { "(" } else { ", (" });
                insert.bind(click.message_id).push(", ");
                insert.bind(event_of(click).as_str()).push(")");
            }
            // `WHERE` before `ON CONFLICT`: SQLite's parser needs it after a join.
            insert.push(
                ") AS c ON (',' || w.events || ',') LIKE ('%,' || c.column2 || ',%') \
                 WHERE w.disabled_at IS NULL \
                 ON CONFLICT (webhook_id, message_id) DO NOTHING",
            );
            insert
        })
        .collect()
}

/// The event a stored click is.
fn event_of(click: &Click) -> Event {
    if click.short_url_id.is_some() {
        Event::NewVisit
    } else {
        Event::NewOrphanVisit
    }
}
