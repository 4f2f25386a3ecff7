//! IP geolocation from a MaxMind-format (`.mmdb`) database file, hot-reloadable.
//!
//! Two record layouts are understood, picked from the file's `database_type` metadata:
//! MaxMind GeoIP2/GeoLite2 (nested: `country.iso_code`, `city.names.en`, …) and DB-IP's flat
//! layout (`country_code`, `city`, `state1`, `latitude`/`longitude` as 32-bit floats). DB-IP has
//! no country names, so they are filled in from the ISO code (see `country_names`).
//!
//! Geolocation is best-effort: no database, an unknown address or an unreadable record all give
//! `None`, never an error. Replacing the file (e.g. by `geoipupdate`) is picked up by
//! [`GeoIp::reload`], which the [`GeoIp::spawn_reloader`] task calls periodically and on SIGHUP.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use maxminddb::{LookupResult, MaxMindDbError, Reader, geoip2};
use serde::Deserialize;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::country_names::country_name;
use crate::clicks::Location;

/// Whether nothing at all was resolved.
fn is_empty(location: &Location) -> bool {
    *location == Location::default()
}

/// Why a GeoIP database file could not be (re)loaded.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    /// The file could not be read (missing, permissions, …).
    #[error("cannot read GeoIP database {path}: {source}")]
    Io {
        /// The configured database path.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid MaxMind DB (truncated, wrong format, …).
    #[error("invalid GeoIP database {path}: {source}")]
    Invalid {
        /// The configured database path.
        path: PathBuf,
        /// The reader's complaint.
        #[source]
        source: MaxMindDbError,
    },
}

/// A geolocation database that can be swapped for a newer file while lookups continue.
#[derive(Debug)]
pub struct GeoIp {
    path: Option<PathBuf>,
    current: RwLock<Option<Arc<Loaded>>>,
}

impl GeoIp {
    /// Loads the database at `path` if there is one; without a path every lookup gives `None`.
    ///
    /// A file that is missing or invalid now is logged, not fatal: the reloader loads it once
    /// it appears.
    pub fn open(path: Option<PathBuf>) -> Self {
        let geo = Self {
            path,
            current: RwLock::new(None),
        };
        if let Err(error) = geo.reload() {
            tracing::warn!(%error, "GeoIP database not loaded; visits get no location until it is");
        }
        geo
    }

    /// The location of `ip`, or `None` when there is no database or it knows nothing about `ip`.
    pub fn lookup(&self, ip: IpAddr) -> Option<Location> {
        self.loaded()?.lookup(ip.to_canonical())
    }

    /// Whether the loaded database is DB-IP's, whose licence asks for an attribution.
    pub fn is_dbip(&self) -> bool {
        self.loaded()
            .is_some_and(|loaded| loaded.schema == Schema::Flat)
    }

    /// Re-reads the file if its modification time or size changed; returns whether it did.
    ///
    /// On failure the previously loaded database stays in use.
    pub fn reload(&self) -> Result<bool, GeoError> {
        self.load(false)
    }

    /// Re-reads the file unconditionally (the SIGHUP path); returns whether a file was loaded.
    pub fn force_reload(&self) -> Result<bool, GeoError> {
        self.load(true)
    }

    /// Runs until `shutdown`: checks the file every `every` and force-reloads on SIGHUP.
    ///
    /// Failures are logged (once per distinct error) and the old database is kept. The SIGHUP
    /// handler is installed before this returns, with or without a database: SIGHUP's default
    /// action would end the process without the graceful shutdown that flushes buffered clicks.
    pub fn spawn_reloader(
        self: Arc<Self>,
        every: Duration,
        shutdown: CancellationToken,
    ) -> JoinHandle<()> {
        // Registered here rather than in the task, so that no SIGHUP can arrive between start-up
        // and the task's first poll; tokio keeps the handler for the life of the process, so
        // SIGHUP stays harmless after the task has stopped too.
        let mut hangup = signal(SignalKind::hangup())
            .inspect_err(|error| tracing::warn!(%error, "cannot listen for SIGHUP"))
            .ok();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every.max(Duration::from_millis(1)));
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticker.tick().await;
            let mut last_error: Option<String> = None;
            loop {
                let force = tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = ticker.tick() => false,
                    Some(()) = next_hangup(&mut hangup) => true,
                };
                if self.path.is_none() {
                    if force {
                        tracing::info!(
                            "SIGHUP received; no GeoIP database configured, nothing to reload"
                        );
                    }
                    continue;
                }
                let geo = Arc::clone(&self);
                match tokio::task::spawn_blocking(move || geo.load(force)).await {
                    Ok(Ok(_)) => last_error = None,
                    Ok(Err(error)) => {
                        let message = error.to_string();
                        if last_error.as_ref() != Some(&message) {
                            tracing::warn!(%error, "GeoIP reload failed; keeping the previous database");
                        }
                        last_error = Some(message);
                    }
                    Err(error) => tracing::error!(%error, "GeoIP reload task failed"),
                }
            }
        })
    }

    fn loaded(&self) -> Option<Arc<Loaded>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn load(&self, force: bool) -> Result<bool, GeoError> {
        let Some(path) = &self.path else {
            return Ok(false);
        };
        let stamp = Stamp::of(path)?;
        if !force && self.loaded().is_some_and(|loaded| loaded.stamp == stamp) {
            return Ok(false);
        }
        let bytes = std::fs::read(path).map_err(|source| GeoError::Io {
            path: path.clone(),
            source,
        })?;
        let reader = Reader::from_source(bytes).map_err(|source| GeoError::Invalid {
            path: path.clone(),
            source,
        })?;
        let database_type = reader.metadata().database_type.clone();
        let loaded = Loaded {
            schema: Schema::detect(&database_type),
            reader,
            stamp,
        };
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(loaded));
        tracing::info!(path = %path.display(), %database_type, "GeoIP database loaded");
        Ok(true)
    }
}

/// Waits for the next SIGHUP, or forever when the signal could not be registered.
async fn next_hangup(hangup: &mut Option<Signal>) -> Option<()> {
    match hangup {
        Some(signal) => signal.recv().await,
        None => std::future::pending().await,
    }
}

/// What identifies one version of the file on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

impl Stamp {
    fn of(path: &Path) -> Result<Self, GeoError> {
        let meta = std::fs::metadata(path).map_err(|source| GeoError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self {
            modified: meta.modified().ok(),
            len: meta.len(),
        })
    }
}

/// Record layout of a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Schema {
    /// MaxMind GeoIP2 / GeoLite2 (and compatible): nested maps with localized names.
    Nested,
    /// DB-IP: flat keys, no names besides the city and region.
    Flat,
}

impl Schema {
    /// DB-IP files call themselves e.g. "DBIP-City-Lite", "dbip-country-lite" or "country ipvAll".
    fn detect(database_type: &str) -> Self {
        let lower = database_type.to_ascii_lowercase();
        if ["dbip", "db-ip", "ipvall"]
            .iter()
            .any(|marker| lower.contains(marker))
        {
            Self::Flat
        } else {
            Self::Nested
        }
    }

    fn other(self) -> Self {
        match self {
            Self::Nested => Self::Flat,
            Self::Flat => Self::Nested,
        }
    }
}

/// One loaded database file.
#[derive(Debug)]
struct Loaded {
    reader: Reader<Vec<u8>>,
    schema: Schema,
    stamp: Stamp,
}

impl Loaded {
    /// Decodes with the detected schema, falling back to the other one for mislabelled files.
    fn lookup(&self, ip: IpAddr) -> Option<Location> {
        let result = self.reader.lookup(ip).ok()?;
        if !result.has_data() {
            return None;
        }
        decode(&result, self.schema)
            .or_else(|| decode(&result, self.schema.other()))
            .filter(|location| !is_empty(location))
    }
}

fn decode(result: &LookupResult<'_, Vec<u8>>, schema: Schema) -> Option<Location> {
    let location = match schema {
        Schema::Nested => from_nested(result.decode::<geoip2::City>().ok()??),
        Schema::Flat => from_flat(result.decode::<FlatRecord>().ok()??),
    };
    (!is_empty(&location)).then_some(location)
}

/// DB-IP's flat record; only the keys we use.
#[derive(Debug, Deserialize)]
struct FlatRecord {
    country_code: Option<String>,
    state1: Option<String>,
    city: Option<String>,
    latitude: Option<Coordinate>,
    longitude: Option<Coordinate>,
    timezone: Option<String>,
}

/// A coordinate stored as either a 32-bit `float` (DB-IP) or a 64-bit `double`.
///
/// The MMDB decoder refuses to widen `float` into `f64` by itself, hence this type.
#[derive(Debug, Clone, Copy)]
struct Coordinate(f64);

impl<'de> Deserialize<'de> for Coordinate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CoordinateVisitor;
        impl serde::de::Visitor<'_> for CoordinateVisitor {
            type Value = Coordinate;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a float or double coordinate")
            }
            fn visit_f32<E: serde::de::Error>(self, v: f32) -> Result<Coordinate, E> {
                Ok(Coordinate(widen_f32(v)))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Coordinate, E> {
                Ok(Coordinate(v))
            }
        }
        deserializer.deserialize_any(CoordinateVisitor)
    }
}

fn from_nested(record: geoip2::City<'_>) -> Location {
    let country_code = non_empty(record.country.iso_code);
    let country_name = non_empty(record.country.names.english).or_else(|| {
        country_code
            .as_deref()
            .and_then(country_name)
            .map(str::to_owned)
    });
    Location {
        country_name,
        country_code,
        region_name: record
            .subdivisions
            .first()
            .and_then(|s| non_empty(s.names.english)),
        city_name: non_empty(record.city.names.english),
        latitude: record.location.latitude,
        longitude: record.location.longitude,
        timezone: non_empty(record.location.time_zone),
    }
}

fn from_flat(record: FlatRecord) -> Location {
    // "ZZ" is DB-IP's "unknown country" placeholder.
    let country_code = record
        .country_code
        .filter(|code| !code.is_empty() && !code.eq_ignore_ascii_case("ZZ"));
    Location {
        country_name: country_code
            .as_deref()
            .and_then(country_name)
            .map(str::to_owned),
        country_code,
        region_name: record.state1.filter(|s| !s.is_empty()),
        city_name: record.city.filter(|s| !s.is_empty()),
        latitude: record.latitude.map(|c| c.0),
        longitude: record.longitude.map(|c| c.0),
        timezone: record.timezone.filter(|s| !s.is_empty()),
    }
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Widening an `f32` exposes noise digits (52.5244 → 52.52439880371094); use the shortest
/// decimal that identifies the `f32` instead, which is what the database author wrote.
fn widen_f32(value: f32) -> f64 {
    value.to_string().parse().unwrap_or(f64::from(value))
}

#[cfg(test)]
mod tests;
