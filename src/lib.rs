//! linkpulse: a self-hosted URL shortener with click analytics and a Shlink-compatible REST API.

pub mod analytics;
pub mod app;
pub mod auth;
mod cli;
pub mod clicks;
pub mod config;
pub mod consumers;
pub mod http;
pub mod links;
pub mod listing;
pub mod pipeline;
pub mod store;
pub mod telemetry;
pub mod traces;
