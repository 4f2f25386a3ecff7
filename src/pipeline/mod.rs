//! The click pipeline: everything between "a redirect happened" and "a visit row is stored".
//!
//! These modules are pure building blocks (no database): retry policy, client-IP resolution
//! behind proxies, and visit enrichment (geo, user agent, bot detection, IP anonymization).

pub mod client_ip;
pub mod enrich;
pub mod event;
pub mod metrics;
pub mod retry;
pub mod runtime;
pub mod trace;
pub mod worker;
pub mod writer;
