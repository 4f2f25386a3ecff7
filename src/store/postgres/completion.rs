//! Fenced, idempotent completion of a batch of clicks in one statement (Postgres).

use std::sync::LazyLock;

use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

use crate::clicks::{Completion, CompletionOutcome};
use crate::store::click_texts::{BatchTexts, TEXT_COLUMNS, TEXT_ID_COLUMNS, visitor_hash_bytes};
use crate::store::{StoreResult, TextIds};

/// The completion statement: the batch as arrays, one per column, then the fence, the insert
/// and each event's outcome. Built once: its text id columns come from [`TEXT_ID_COLUMNS`].
static COMPLETE: LazyLock<String> = LazyLock::new(|| {
    let text_columns = TEXT_ID_COLUMNS.join(", ");
    let text_params: String = (15..15 + TEXT_COLUMNS)
        .map(|n| format!(", ${n}::bigint[]"))
        .collect();
    let text_values: String = TEXT_ID_COLUMNS.map(|c| format!(", l.{c}")).concat();
    format!(
        "WITH input AS (
             SELECT * FROM UNNEST($1::bigint[], $2::int[], $3::uuid[], $4::bigint[],
                 $5::smallint[], $6::timestamptz[], $7::timestamptz[], $8::text[], $9::bool[],
                 $10::text[], $11::float8[], $12::float8[], $13::text[], $14::bytea[]{text_params})
                 WITH ORDINALITY
             AS t(outbox_id, attempt, message_id, short_url_id, kind_code, occurred_at, enriched_at,
                  ip, potential_bot, country_code, latitude, longitude, traceparent,
                  visitor_hash, {text_columns}, n)),
         live AS (
             SELECT i.* FROM input i
             WHERE i.short_url_id IS NULL
                OR EXISTS (SELECT 1 FROM short_urls s WHERE s.id = i.short_url_id)),
         fenced AS (
             DELETE FROM click_outbox o USING live l
             WHERE o.id = l.outbox_id AND o.attempts = l.attempt
             RETURNING o.id),
         inserted AS (
             INSERT INTO click_rows (message_id, short_url_id, kind_code, occurred_at, enriched_at,
                 ip, potential_bot, country_code, latitude, longitude, traceparent,
                 visitor_hash, {text_columns})
             SELECT l.message_id, l.short_url_id, l.kind_code, l.occurred_at, l.enriched_at, l.ip,
                 l.potential_bot, l.country_code, l.latitude, l.longitude, l.traceparent,
                 l.visitor_hash{text_values}
             FROM live l
             WHERE l.outbox_id IS NULL OR l.outbox_id IN (SELECT id FROM fenced)
             ON CONFLICT (message_id) DO NOTHING
             RETURNING message_id)
         SELECT i.n,
                EXISTS (SELECT 1 FROM live l WHERE l.n = i.n),
                i.outbox_id IS NULL OR EXISTS (SELECT 1 FROM fenced f WHERE f.id = i.outbox_id),
                EXISTS (SELECT 1 FROM inserted d WHERE d.message_id = i.message_id)
         FROM input i"
    )
});

/// For every completion: skip it if its link is gone, delete its outbox row only if the claim
/// still holds (attempt fencing; unclaimed completions have no row), and insert the click once
/// per message id, its texts through the dictionary. Counters are the caller's job (it knows
/// which rows were inserted), and so is remembering the texts' ids once it commits.
pub(super) async fn complete_batch<'a>(
    tx: &mut Transaction<'static, Postgres>,
    cache: &TextIds,
    done: &'a [Completion],
) -> StoreResult<(Vec<CompletionOutcome>, BatchTexts<'a>)> {
    let conn: &mut PgConnection = tx;
    let mut texts = cache.for_batch(done.iter().map(|c| &c.click));
    resolve_texts(conn, &mut texts).await?;
    let ids = done
        .iter()
        .map(|c| texts.ids_of(&c.click))
        .collect::<StoreResult<Vec<_>>>()?;
    let text_ids: Vec<Vec<Option<i64>>> = (0..TEXT_COLUMNS)
        .map(|column| ids.iter().map(|row| row[column]).collect())
        .collect();
    let col = |f: fn(&Completion) -> Option<String>| -> Vec<Option<String>> {
        done.iter().map(f).collect()
    };
    let mut query = sqlx::query_as::<_, (i64, bool, bool, bool)>(COMPLETE.as_str())
        .bind(
            done.iter()
                .map(|c| c.claim.map(|claim| claim.id))
                .collect::<Vec<Option<i64>>>(),
        )
        .bind(
            done.iter()
                .map(|c| c.claim.map(|claim| claim.attempt))
                .collect::<Vec<Option<i32>>>(),
        )
        .bind(
            done.iter()
                .map(|c| c.click.message_id)
                .collect::<Vec<Uuid>>(),
        )
        .bind(
            done.iter()
                .map(|c| c.click.short_url_id)
                .collect::<Vec<Option<i64>>>(),
        )
        .bind(
            done.iter()
                .map(|c| c.click.kind.code())
                .collect::<Vec<i16>>(),
        )
        .bind(done.iter().map(|c| c.click.occurred_at).collect::<Vec<_>>())
        .bind(done.iter().map(|c| c.click.enriched_at).collect::<Vec<_>>())
        .bind(col(|c| c.click.ip.clone()))
        .bind(
            done.iter()
                .map(|c| c.click.potential_bot)
                .collect::<Vec<bool>>(),
        )
        .bind(col(|c| c.click.location.country_code.clone()))
        .bind(
            done.iter()
                .map(|c| c.click.location.latitude)
                .collect::<Vec<Option<f64>>>(),
        )
        .bind(
            done.iter()
                .map(|c| c.click.location.longitude)
                .collect::<Vec<Option<f64>>>(),
        )
        .bind(col(|c| c.click.traceparent.clone()))
        .bind(
            done.iter()
                .map(|c| visitor_hash_bytes(&c.click))
                .collect::<Vec<Option<Vec<u8>>>>(),
        );
    for column in text_ids {
        query = query.bind(column);
    }
    let rows = query.fetch_all(conn).await?;
    let mut by_position = vec![None; done.len()];
    for row in rows {
        if let Some(slot) = usize::try_from(row.0 - 1)
            .ok()
            .and_then(|i| by_position.get_mut(i))
        {
            *slot = Some(row);
        }
    }
    let outcome_of = |row: Option<(i64, bool, bool, bool)>| {
        row.map_or(
            CompletionOutcome::Fenced,
            |(_, live, held, inserted)| match (live, held, inserted) {
                (false, _, _) => CompletionOutcome::LinkGone,
                (true, false, _) => CompletionOutcome::Fenced,
                (true, true, true) => CompletionOutcome::Inserted,
                (true, true, false) => CompletionOutcome::Duplicate,
            },
        )
    };
    Ok((by_position.into_iter().map(outcome_of).collect(), texts))
}

/// Inserts the batch's texts the cache does not know (or finds them, if another transaction
/// wrote them) and learns their ids. Texts are unique by digest, and a digest shared by two
/// texts leaves the second without an id, which the batch reports.
async fn resolve_texts(conn: &mut PgConnection, texts: &mut BatchTexts<'_>) -> StoreResult<()> {
    let unknown = texts.unknown();
    if unknown.is_empty() {
        return Ok(());
    }
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "INSERT INTO click_texts (value) SELECT * FROM UNNEST($1::text[])
         ON CONFLICT (md5(value)) DO UPDATE SET value = click_texts.value
         RETURNING id, value",
    )
    .bind(unknown)
    .fetch_all(conn)
    .await?;
    texts.learn(rows);
    Ok(())
}
