//! The click pipeline: everything between "a redirect happened" and "a visit row is stored"
//! (enrichment, queueing with retries, writing). Resolving the client IP and the trace header
//! from a request is the HTTP layer's job (`http/client_ip.rs`, `http/trace.rs`).

pub mod complete;
pub mod direct;
pub mod enrich;
pub mod event;
pub mod metrics;
pub mod prepare;
pub mod retry;
pub mod runtime;
pub mod threads;
pub mod visitor;
pub mod worker;
pub mod writer;
