//! Link rows: the column list, row → model mapping, and attaching or loading tags without a
//! query per link.

use std::collections::HashMap;

use super::super::rules::rules_from;
use crate::clicks::VisitsSummary;
use crate::links::ShortUrl;
use crate::links::rules::{DeviceLongUrls, RedirectRules};
use crate::links::{
    DestinationParts, Domain, LinkAddress, LinkError, LongUrl, PasswordHash, RedirectTarget,
    ShortCode, Split, Tag,
};
use crate::store::engine::{Engine, Transaction};
use crate::store::sql::{At, Sql};
use crate::store::{StoreError, StoreResult};

/// `SELECT` of every link column from `short_urls s`; callers append the rest.
pub(super) fn select_links() -> Sql {
    Sql::new(
        "SELECT s.id, s.domain, s.short_code, s.long_url, s.title, s.created_at, s.valid_since, \
         s.valid_until, s.max_visits, s.crawlable, s.forward_query, s.visits_total, s.visits_bots, \
         s.author_key_id, s.expired_url, s.password_hash IS NOT NULL AS password_protected, \
         s.destinations, EXISTS (SELECT 1 FROM redirect_rules r WHERE r.link_id = s.id) \
         AS has_redirect_rules FROM short_urls s",
    )
}

/// One `short_urls` row as `select_links` reads it.
#[derive(sqlx::FromRow)]
pub(super) struct LinkRow {
    id: i64,
    domain: String,
    short_code: String,
    long_url: String,
    title: Option<String>,
    created_at: At,
    valid_since: Option<At>,
    valid_until: Option<At>,
    max_visits: Option<i64>,
    crawlable: bool,
    forward_query: bool,
    visits_total: i64,
    visits_bots: i64,
    author_key_id: Option<i64>,
    expired_url: Option<String>,
    password_protected: bool,
    destinations: Option<String>,
    has_redirect_rules: bool,
}

impl LinkRow {
    /// The domain model, given the link's tag names (already sorted); a stored value that no
    /// longer passes its rules is a decoding error naming it.
    fn into_short_url(
        self,
        tags: Vec<String>,
        device_long_urls: DeviceLongUrls,
    ) -> StoreResult<ShortUrl> {
        Ok(ShortUrl {
            id: self.id,
            domain: stored("domain", &self.domain, Domain::from_key)?,
            short_code: stored("short code", &self.short_code, ShortCode::parse)?,
            long_url: stored("long URL", &self.long_url, LongUrl::parse_stored)?,
            title: self.title,
            date_created: self.created_at.into(),
            valid_since: self.valid_since.map(Into::into),
            valid_until: self.valid_until.map(Into::into),
            max_visits: self.max_visits,
            crawlable: self.crawlable,
            forward_query: self.forward_query,
            tags: tags
                .iter()
                .map(|tag| stored("tag", tag, Tag::parse))
                .collect::<StoreResult<_>>()?,
            visits: VisitsSummary {
                total: self.visits_total,
                non_bots: self.visits_total - self.visits_bots,
                bots: self.visits_bots,
            },
            author_key_id: self.author_key_id,
            expired_url: self
                .expired_url
                .as_deref()
                .map(|url| stored("expired URL", url, LongUrl::parse_stored))
                .transpose()?,
            has_redirect_rules: self.has_redirect_rules,
            device_long_urls,
            password_protected: self.password_protected,
            split: split_from(self.destinations.as_deref())?,
        })
    }
}

/// The `short_urls` columns the redirect path needs, as `find_redirect_target` reads them.
#[derive(sqlx::FromRow)]
pub(super) struct TargetRow {
    /// The link's row id (also the key of its rules).
    pub(super) id: i64,
    long_url: String,
    forward_query: bool,
    valid_since: Option<At>,
    valid_until: Option<At>,
    max_visits: Option<i64>,
    cap_used: i64,
    expired_url: Option<String>,
    password_hash: Option<String>,
    destinations: Option<String>,
}

impl TargetRow {
    /// The cached view of the link, with its redirect rules.
    pub(super) fn into_target(self, rules: RedirectRules) -> StoreResult<RedirectTarget> {
        Ok(RedirectTarget {
            link_id: self.id,
            long_url: self.long_url,
            forward_query: self.forward_query,
            valid_since: self.valid_since.map(Into::into),
            valid_until: self.valid_until.map(Into::into),
            max_visits: self.max_visits,
            non_bot_visits: self.cap_used,
            rules,
            expired_url: self.expired_url,
            password: self
                .password_hash
                .as_deref()
                .map(|hash| {
                    stored("password hash", hash, |raw| {
                        PasswordHash::parse_stored(raw).map_err(LinkError::from)
                    })
                })
                .transpose()?,
            split: split_from(self.destinations.as_deref())?,
        })
    }
}

/// The stored `destinations` JSON of a link as its split (none when `NULL`).
fn split_from(stored: Option<&str>) -> StoreResult<Split> {
    let Some(json) = stored else {
        return Ok(Split::default());
    };
    let decoding = |what: String| StoreError::Database(sqlx::Error::Decode(what.into()));
    let parts: Vec<DestinationParts> = serde_json::from_str(json)
        .map_err(|err| decoding(format!("stored destinations {json:?}: {err}")))?;
    Split::parse_stored(&parts).map_err(|err| {
        decoding(format!(
            "stored destinations {json:?} are not valid any more: {err}"
        ))
    })
}

/// A split as its stored `destinations` JSON (`NULL` when there is none). Serializing strings
/// and integers cannot fail.
pub(super) fn split_json(split: &Split) -> Option<String> {
    if split.is_empty() {
        return None;
    }
    serde_json::to_string(&split.parts()).ok()
}

/// Parses a value read back from the store with its domain rule.
pub(in crate::store::shared) fn stored<T>(
    what: &str,
    value: &str,
    parse: impl FnOnce(&str) -> Result<T, LinkError>,
) -> StoreResult<T> {
    parse(value).map_err(|err| {
        StoreError::Database(sqlx::Error::Decode(
            format!("stored {what} {value:?} is not valid any more: {err}").into(),
        ))
    })
}

/// Turns rows into models, loading every row's tags in one query and keeping the row order.
pub(super) async fn with_tags<E: Engine>(
    tx: &mut E::Tx,
    rows: Vec<LinkRow>,
) -> StoreResult<Vec<ShortUrl>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let mut select = Sql::new(
        "SELECT st.short_url_id, t.name FROM short_url_tags st JOIN tags t ON t.id = st.tag_id \
         WHERE st.short_url_id",
    );
    E::push_any_id(&mut select, &ids);
    select.push(format!(" ORDER BY t.name{}", E::BYTE_ORDER));
    let pairs: Vec<(i64, String)> = tx.fetch_all(select).await?;
    let mut by_link: HashMap<i64, Vec<String>> = HashMap::new();
    for (link_id, name) in pairs {
        by_link.entry(link_id).or_default().push(name);
    }
    let mut devices = device_long_urls::<E>(tx, &rows).await?;
    rows.into_iter()
        .map(|row| {
            let tags = by_link.remove(&row.id).unwrap_or_default();
            let urls = devices.remove(&row.id).unwrap_or_default();
            row.into_short_url(tags, urls)
        })
        .collect()
}

/// The `deviceLongUrls` of the rows that have rules, read in one query (none when no row has).
async fn device_long_urls<E: Engine>(
    tx: &mut E::Tx,
    rows: &[LinkRow],
) -> StoreResult<HashMap<i64, DeviceLongUrls>> {
    let ids: Vec<i64> = rows
        .iter()
        .filter(|row| row.has_redirect_rules)
        .map(|row| row.id)
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut select =
        Sql::new("SELECT link_id, long_url, conditions FROM redirect_rules WHERE link_id");
    E::push_any_id(&mut select, &ids);
    select.push(" ORDER BY link_id, priority");
    let found: Vec<(i64, String, String)> = tx.fetch_all(select).await?;
    let mut by_link: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    for (link_id, long_url, conditions) in found {
        by_link
            .entry(link_id)
            .or_default()
            .push((long_url, conditions));
    }
    by_link
        .into_iter()
        .map(|(link_id, rows)| Ok((link_id, DeviceLongUrls::of(&rules_from(rows)?))))
        .collect()
}

/// Appends ` WHERE domain = … AND short_code = …` naming `link` (columns of `prefix`, e.g. `s.`).
pub(in crate::store::shared) fn where_address(
    sql: &mut Sql,
    prefix: &'static str,
    link: &LinkAddress,
) {
    sql.push(" WHERE ")
        .push(prefix)
        .push("domain = ")
        .bind(link.domain.key());
    sql.push(" AND ")
        .push(prefix)
        .push("short_code = ")
        .bind(link.code.as_str());
}

/// Reads one link with its tags by row id; `LinkNotFound(link)` if it is gone.
pub(super) async fn load_by_id<E: Engine>(
    tx: &mut E::Tx,
    id: i64,
    link: &LinkAddress,
) -> StoreResult<ShortUrl> {
    let mut select = select_links();
    select.push(" WHERE s.id = ").bind(id);
    let rows: Vec<LinkRow> = tx.fetch_all(select).await?;
    with_tags::<E>(tx, rows)
        .await?
        .pop()
        .ok_or_else(|| StoreError::LinkNotFound(link.to_string()))
}

/// Links `tags` to a link, creating missing tags; existing links to the same tag are kept.
pub(super) async fn attach_tags(
    tx: &mut impl Transaction,
    link_id: i64,
    tags: &[Tag],
) -> StoreResult<()> {
    let mut names: Vec<&str> = tags.iter().map(Tag::as_str).collect();
    // Sorted inserts make concurrent writers lock tag rows in the same order (no deadlocks).
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return Ok(());
    }
    let mut insert = Sql::new("INSERT INTO tags (name) VALUES ");
    for (index, name) in names.iter().enumerate() {
        insert
            .push(if index == 0 { "(" } else { ", (" })
            .bind(*name)
            .push(")");
    }
    insert.push(" ON CONFLICT (name) DO NOTHING");
    tx.execute(insert).await?;
    let mut link = Sql::new("INSERT INTO short_url_tags (short_url_id, tag_id) SELECT ");
    link.bind(link_id).push(", id FROM tags WHERE name IN ");
    link.bind_list(names).push(" ON CONFLICT DO NOTHING");
    tx.execute(link).await?;
    Ok(())
}
