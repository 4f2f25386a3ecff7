//! Redirect rules, for both engines: `redirect_rules` rows, one per rule, conditions as
//! Shlink's JSON. Replacing a link's rules is one transaction that also announces the edit
//! (to other instances and to the consumers of `short-url-edited`).

use async_trait::async_trait;

use super::links::announce;
use super::webhooks::{LinkSubject, queue_link_event};
use crate::consumers::Event;
use crate::links::LinkAddress;
use crate::links::rules::{ConditionParts, RedirectRule, RedirectRules};
use crate::store::engine::{Engine, Transaction};
use crate::store::sql::Sql;
use crate::store::{LinkChange, RuleStore, StoreError, StoreResult};

#[async_trait]
impl<E: Engine> RuleStore for E {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn redirect_rules(&self, link_id: i64) -> StoreResult<RedirectRules> {
        let rows: Vec<(String, String)> = self.fetch_all(select(link_id)).await?;
        rules_from(rows)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn set_redirect_rules(
        &self,
        link: &LinkAddress,
        rules: &RedirectRules,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let mut find = Sql::new("SELECT id FROM short_urls");
        super::links::where_address(&mut find, "", link);
        find.push(E::FOR_UPDATE);
        let Some((link_id,)): Option<(i64,)> = tx.fetch_optional(find).await? else {
            return Ok(false);
        };
        write_rules(&mut tx, link_id, rules).await?;
        queue_link_event(&mut tx, Event::ShortUrlEdited, LinkSubject::Stored(link_id)).await?;
        announce::<E>(&mut tx, LinkChange::Link(link.cache_key().into_owned())).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// Replaces the rules of `link_id` inside `tx`, priorities from 1 in the order given.
pub(in crate::store::shared) async fn write_rules(
    tx: &mut impl Transaction,
    link_id: i64,
    rules: &RedirectRules,
) -> StoreResult<()> {
    let mut clear = Sql::new("DELETE FROM redirect_rules WHERE link_id = ");
    clear.bind(link_id);
    tx.execute(clear).await?;
    for (index, rule) in rules.rules().iter().enumerate() {
        let conditions = serde_json::to_string(&rule.condition_parts())
            .map_err(|err| StoreError::Database(sqlx::Error::Encode(err.into())))?;
        let mut insert = Sql::new(
            "INSERT INTO redirect_rules (link_id, priority, long_url, conditions) VALUES (",
        );
        insert.bind(link_id);
        insert
            .push(", ")
            .bind(i64::try_from(index + 1).unwrap_or(i64::MAX));
        insert.push(", ").bind(rule.long_url.as_str());
        insert.push(", ").bind(conditions.as_str()).push(")");
        tx.execute(insert).await?;
    }
    Ok(())
}

/// The rules of `link_id` in priority order, as (long URL, conditions JSON).
pub(in crate::store::shared) fn select(link_id: i64) -> Sql {
    let mut sql = Sql::new("SELECT long_url, conditions FROM redirect_rules WHERE link_id = ");
    sql.bind(link_id).push(" ORDER BY priority");
    sql
}

/// Rows of [`select`] as rules; a stored rule that no longer passes its checks is a decoding
/// error naming it.
pub(in crate::store::shared) fn rules_from(
    rows: Vec<(String, String)>,
) -> StoreResult<RedirectRules> {
    let decoding = |what: String| StoreError::Database(sqlx::Error::Decode(what.into()));
    let rules = rows
        .into_iter()
        .map(|(long_url, conditions)| {
            let parts: Vec<ConditionParts> = serde_json::from_str(&conditions)
                .map_err(|err| decoding(format!("stored rule conditions {conditions:?}: {err}")))?;
            RedirectRule::parse_stored(&long_url, &parts).map_err(|err| {
                decoding(format!(
                    "stored rule to {long_url:?} is not valid any more: {err}"
                ))
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    RedirectRules::new(rules).map_err(|err| decoding(err.to_string()))
}
