//! The click pipeline: everything between "a redirect happened" and "a visit row is stored"
//! (client-IP resolution, enrichment, queueing with retries, writing).

pub mod client_ip;
pub mod complete;
pub mod direct;
pub mod enrich;
pub mod event;
pub mod metrics;
pub mod prepare;
pub mod retry;
pub mod runtime;
pub mod trace;
pub mod visitor;
pub mod worker;
pub mod writer;
