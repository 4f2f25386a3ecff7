//! SQL written once for both engines: a statement builder whose arguments each engine binds
//! with its own placeholders, the instant type both engines store their way, and fragments.

mod fragments;
mod instant;

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use sqlx::{Database, Encode, QueryBuilder, Type};
use uuid::Uuid;

pub(super) use fragments::{direction_sql, like_pattern, limit_offset};
pub use instant::At;

/// A statement and its arguments in order, independent of the engine: `?`/`$n` placeholders
/// are produced when an engine turns it into its own `QueryBuilder`.
#[derive(Debug, Default)]
pub struct Sql {
    pieces: Vec<Piece>,
}

/// Text or a bound argument.
#[derive(Debug)]
enum Piece {
    Text(Cow<'static, str>),
    Arg(Arg),
}

/// A value bound into a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// Ids, counts, limits.
    Int(i64),
    /// Names, hashes, codes.
    Text(String),
    /// Flags (an integer in SQLite, a boolean in Postgres).
    Bool(bool),
    /// Message ids.
    Uuid(Uuid),
    /// Instants (milliseconds in SQLite, `timestamptz` in Postgres).
    At(DateTime<Utc>),
    /// Optional text (a typed NULL when absent).
    OptText(Option<String>),
    /// Optional integer.
    OptInt(Option<i64>),
    /// Optional instant.
    OptAt(Option<DateTime<Utc>>),
}

impl From<i64> for Arg {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<&String> for Arg {
    fn from(value: &String) -> Self {
        Self::Text(value.clone())
    }
}

impl From<bool> for Arg {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<Uuid> for Arg {
    fn from(value: Uuid) -> Self {
        Self::Uuid(value)
    }
}

impl From<DateTime<Utc>> for Arg {
    fn from(value: DateTime<Utc>) -> Self {
        Self::At(value)
    }
}

impl From<Option<&str>> for Arg {
    fn from(value: Option<&str>) -> Self {
        Self::OptText(value.map(str::to_owned))
    }
}

impl From<Option<i64>> for Arg {
    fn from(value: Option<i64>) -> Self {
        Self::OptInt(value)
    }
}

impl From<Option<DateTime<Utc>>> for Arg {
    fn from(value: Option<DateTime<Utc>>) -> Self {
        Self::OptAt(value)
    }
}

impl Sql {
    /// A statement starting with `text`.
    pub fn new(text: impl Into<Cow<'static, str>>) -> Self {
        let mut sql = Self::default();
        sql.push(text);
        sql
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: impl Into<Cow<'static, str>>) -> &mut Self {
        self.pieces.push(Piece::Text(text.into()));
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.pieces.push(Piece::Arg(value.into()));
        self
    }

    /// Appends `(a, b, …)` with one placeholder per value.
    pub fn bind_list<V: Into<Arg>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        self.push("(");
        for (index, value) in values.into_iter().enumerate() {
            if index > 0 {
                self.push(", ");
            }
            self.bind(value);
        }
        self.push(")")
    }

    /// Appends `LIMIT … OFFSET …` for a 1-based page; no page size means no limit.
    pub fn page(&mut self, page: u32, items_per_page: Option<u32>) -> &mut Self {
        if let Some((limit, offset)) = limit_offset(page, items_per_page) {
            self.push(" LIMIT ")
                .bind(limit)
                .push(" OFFSET ")
                .bind(offset);
        }
        self
    }

    /// The engine's own builder, with its placeholders and the arguments bound.
    pub fn into_builder<DB>(self) -> QueryBuilder<DB>
    where
        DB: Database,
        DB::Arguments: Default,
        for<'q> i64: Encode<'q, DB> + Type<DB>,
        for<'q> String: Encode<'q, DB> + Type<DB>,
        for<'q> bool: Encode<'q, DB> + Type<DB>,
        for<'q> Uuid: Encode<'q, DB> + Type<DB>,
        for<'q> At: Encode<'q, DB> + Type<DB>,
        for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
        for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
        for<'q> Option<At>: Encode<'q, DB> + Type<DB>,
    {
        let mut builder = QueryBuilder::new("");
        for piece in self.pieces {
            match piece {
                Piece::Text(text) => builder.push(text),
                Piece::Arg(Arg::Int(value)) => builder.push_bind(value),
                Piece::Arg(Arg::Text(value)) => builder.push_bind(value),
                Piece::Arg(Arg::Bool(value)) => builder.push_bind(value),
                Piece::Arg(Arg::Uuid(value)) => builder.push_bind(value),
                Piece::Arg(Arg::At(value)) => builder.push_bind(At(value)),
                Piece::Arg(Arg::OptText(value)) => builder.push_bind(value),
                Piece::Arg(Arg::OptInt(value)) => builder.push_bind(value),
                Piece::Arg(Arg::OptAt(value)) => builder.push_bind(value.map(At)),
            };
        }
        builder
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_engine_numbers_its_own_placeholders() {
        let mut sql = Sql::new("SELECT 1 FROM t WHERE a = ");
        sql.bind(1_i64).push(" AND b IN ").bind_list(["x", "y"]);
        sql.page(3, Some(5));
        assert_eq!(
            sql.into_builder::<sqlx::Postgres>().sql(),
            "SELECT 1 FROM t WHERE a = $1 AND b IN ($2, $3) LIMIT $4 OFFSET $5"
        );
        let mut sql = Sql::new("DELETE FROM t WHERE id IN ");
        sql.bind_list([1_i64, 2]);
        assert_eq!(
            sql.into_builder::<sqlx::Sqlite>().sql(),
            "DELETE FROM t WHERE id IN (?, ?)"
        );
    }
}
