//! Subcommands other than `serve`: small programs over the store.

pub mod api_key;
pub mod dlq;
pub mod import;
