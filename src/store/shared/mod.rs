//! Store logic written once for both engines: each file implements a store trait, or the part
//! of one that does not differ, for every `Engine`. What truly differs stays in `sqlite/` and
//! `postgres/`.

mod analytics;
mod api_keys;
mod dead_letters;
mod links;
pub(super) mod outbox;
mod sessions;
mod tags;
mod visits;
