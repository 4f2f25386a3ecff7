//! Subcommands other than `serve`: small programs over the store, and the health check.

pub mod api_key;
pub mod dlq;
pub mod health;
pub mod import;
pub mod webhook;
