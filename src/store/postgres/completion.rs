//! Fenced, idempotent completion of a batch of clicks in one statement (Postgres).

use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

use crate::store::{Completion, CompletionOutcome, StoreResult};

/// For every completion: skip it if its link is gone, delete its outbox row only if the claim
/// still holds (attempt fencing; unclaimed completions have no row), and insert the click once
/// per message id. Counters are the
/// caller's job (it knows which rows were inserted).
pub(super) async fn complete_batch(
    tx: &mut Transaction<'static, Postgres>,
    done: &[Completion],
) -> StoreResult<Vec<CompletionOutcome>> {
    let conn: &mut PgConnection = tx;
    let col = |f: fn(&Completion) -> Option<String>| -> Vec<Option<String>> {
        done.iter().map(f).collect()
    };
    let rows: Vec<(i64, bool, bool, bool)> = sqlx::query_as(
        "WITH input AS (
             SELECT * FROM UNNEST($1::bigint[], $2::int[], $3::uuid[], $4::bigint[], $5::text[],
                 $6::timestamptz[], $7::timestamptz[], $8::text[], $9::text[], $10::text[],
                 $11::text[], $12::text[], $13::bool[], $14::text[], $15::text[], $16::text[],
                 $17::text[], $18::text[], $19::text[], $20::text[], $21::text[],
                 $22::float8[], $23::float8[], $24::text[], $25::text[], $26::text[],
                 $27::text[]) WITH ORDINALITY
             AS t(outbox_id, attempt, message_id, short_url_id, kind, occurred_at, enriched_at,
                  ip, user_agent, referer, visited_url, redirect_url, potential_bot, browser,
                  browser_version, os, device, country_code, country_name, region_name,
                  city_name, latitude, longitude, timezone, traceparent, visitor_hash,
                  referrer_domain, n)),
         live AS (
             SELECT i.* FROM input i
             WHERE i.short_url_id IS NULL
                OR EXISTS (SELECT 1 FROM short_urls s WHERE s.id = i.short_url_id)),
         fenced AS (
             DELETE FROM click_outbox o USING live l
             WHERE o.id = l.outbox_id AND o.attempts = l.attempt
             RETURNING o.id),
         inserted AS (
             INSERT INTO clicks (message_id, short_url_id, kind, occurred_at, enriched_at, ip,
                 user_agent, referer, visited_url, redirect_url, potential_bot, browser,
                 browser_version, os, device, country_code, country_name, region_name,
                 city_name, latitude, longitude, timezone, traceparent, visitor_hash,
                 referrer_domain)
             SELECT l.message_id, l.short_url_id, l.kind, l.occurred_at, l.enriched_at, l.ip,
                 l.user_agent, l.referer, l.visited_url, l.redirect_url, l.potential_bot,
                 l.browser, l.browser_version, l.os, l.device, l.country_code, l.country_name,
                 l.region_name, l.city_name, l.latitude, l.longitude, l.timezone, l.traceparent,
                 l.visitor_hash, l.referrer_domain
             FROM live l
             WHERE l.outbox_id IS NULL OR l.outbox_id IN (SELECT id FROM fenced)
             ON CONFLICT (message_id) DO NOTHING
             RETURNING message_id)
         SELECT i.n,
                EXISTS (SELECT 1 FROM live l WHERE l.n = i.n),
                i.outbox_id IS NULL OR EXISTS (SELECT 1 FROM fenced f WHERE f.id = i.outbox_id),
                EXISTS (SELECT 1 FROM inserted d WHERE d.message_id = i.message_id)
         FROM input i",
    )
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
            .map(|c| c.click.kind.as_str())
            .collect::<Vec<&str>>(),
    )
    .bind(done.iter().map(|c| c.click.occurred_at).collect::<Vec<_>>())
    .bind(done.iter().map(|c| c.click.enriched_at).collect::<Vec<_>>())
    .bind(col(|c| c.click.ip.clone()))
    .bind(col(|c| c.click.user_agent.clone()))
    .bind(col(|c| c.click.referer.clone()))
    .bind(col(|c| c.click.visited_url.clone()))
    .bind(col(|c| c.click.redirect_url.clone()))
    .bind(
        done.iter()
            .map(|c| c.click.potential_bot)
            .collect::<Vec<bool>>(),
    )
    .bind(col(|c| c.click.browser.clone()))
    .bind(col(|c| c.click.browser_version.clone()))
    .bind(col(|c| c.click.os.clone()))
    .bind(col(|c| Some(c.click.device.clone())))
    .bind(col(|c| c.click.location.country_code.clone()))
    .bind(col(|c| c.click.location.country_name.clone()))
    .bind(col(|c| c.click.location.region_name.clone()))
    .bind(col(|c| c.click.location.city_name.clone()))
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
    .bind(col(|c| c.click.location.timezone.clone()))
    .bind(col(|c| c.click.traceparent.clone()))
    .bind(col(|c| c.click.visitor_hash.clone()))
    .bind(col(|c| c.click.referrer_domain.clone()))
    .fetch_all(conn)
    .await?;
    let outcome_of = |position: i64| {
        rows.iter().find(|row| row.0 == position).map_or(
            CompletionOutcome::Fenced,
            |&(_, live, held, inserted)| match (live, held, inserted) {
                (false, _, _) => CompletionOutcome::LinkGone,
                (true, false, _) => CompletionOutcome::Fenced,
                (true, true, true) => CompletionOutcome::Inserted,
                (true, true, false) => CompletionOutcome::Duplicate,
            },
        )
    };
    Ok((1..=done.len() as i64).map(outcome_of).collect())
}
