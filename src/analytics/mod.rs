//! Pure analytics logic behind the pages: date ranges, time zones, chart buckets, breakdown
//! shares, SVG charts, the world map and safe CSV. No I/O here; the HTTP handlers feed it store rows.

pub mod chart;
pub mod csv;
pub mod figures;
pub mod range;
pub mod timezone;
pub mod world_map;
