//! GeoIP fixture databases built in memory with `mmdb-writer`, in the two layouts linkpulse
//! reads: MaxMind's nested GeoIP2/GeoLite2 records and DB-IP's flat ones.
//!
//! Shared by the integration tests (through `common`) and the geo unit tests (which include this
//! file with `#[path]`), so both exercise the same records. Each user picks a subset.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ipnet::IpNet;
use mmdb_writer::{Value, Writer};

/// A place as the fixtures record it.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    /// ISO 3166-1 alpha-2 code.
    pub code: &'static str,
    /// English country name (MaxMind only; DB-IP has none).
    pub country: &'static str,
    /// First-level subdivision (MaxMind `subdivisions[0]`, DB-IP `state1`).
    pub region: &'static str,
    /// City name.
    pub city: &'static str,
    /// Latitude in degrees.
    pub latitude: f64,
    /// Longitude in degrees.
    pub longitude: f64,
    /// IANA time zone (MaxMind only).
    pub timezone: &'static str,
}

/// London, as MaxMind's own test data places 81.2.69.0/24.
pub const LONDON: Place = Place {
    code: "GB",
    country: "United Kingdom",
    region: "England",
    city: "London",
    latitude: 51.5142,
    longitude: -0.0931,
    timezone: "Europe/London",
};

/// Paris: what a rewritten MaxMind file says about the same network.
pub const PARIS: Place = Place {
    code: "FR",
    country: "France",
    region: "Île-de-France",
    city: "Paris",
    latitude: 48.8534,
    longitude: 2.3488,
    timezone: "Europe/Paris",
};

/// San Diego, the MaxMind fixture's IPv6 entry.
pub const SAN_DIEGO: Place = Place {
    code: "US",
    country: "United States",
    region: "California",
    city: "San Diego",
    latitude: 32.7157,
    longitude: -117.1647,
    timezone: "America/Los_Angeles",
};

/// Berlin, the DB-IP fixture's city entry.
pub const BERLIN: Place = Place {
    code: "DE",
    country: "Germany",
    region: "Land Berlin",
    city: "Berlin",
    latitude: 52.5244,
    longitude: 13.4105,
    timezone: "Europe/Berlin",
};

/// The MaxMind fixture's IPv4 network (mapped to the place given to [`maxmind_city`]).
pub const MAXMIND_V4_NET: &str = "81.2.69.0/24";
/// The MaxMind fixture's IPv6 network (always [`SAN_DIEGO`]).
pub const MAXMIND_V6_NET: &str = "2001:480::/32";
/// The DB-IP fixture's network for [`BERLIN`].
pub const DBIP_CITY_NET: &str = "198.51.100.0/24";
/// The DB-IP fixture's country-only network (France, no city).
pub const DBIP_COUNTRY_ONLY_NET: &str = "203.0.113.0/24";
/// The DB-IP fixture's network with the unknown-country placeholder `ZZ`.
pub const DBIP_UNKNOWN_NET: &str = "192.0.2.0/24";

/// `{"names": {"en": …, "de": …}}`; the German name proves the English one is picked.
fn names(en: &str) -> Value {
    Value::map([("names", Value::map([("en", en), ("de", "x")]))])
}

/// A GeoLite2-City-shaped record: nested maps, localized names, `double` coordinates.
pub fn nested_record(place: &Place) -> Value {
    Value::map([
        (
            "country",
            Value::map([
                ("iso_code", Value::from(place.code)),
                ("names", Value::map([("en", place.country)])),
            ]),
        ),
        ("subdivisions", Value::array([names(place.region)])),
        ("city", names(place.city)),
        (
            "location",
            Value::map([
                ("latitude", Value::Double(place.latitude)),
                ("longitude", Value::Double(place.longitude)),
                ("time_zone", Value::from(place.timezone)),
            ]),
        ),
    ])
}

/// A DB-IP-City-shaped record: flat keys, coordinates as 32-bit floats, no names or time zone.
pub fn flat_record(place: &Place) -> Value {
    Value::map([
        ("country_code", Value::from(place.code)),
        ("state1", Value::from(place.region)),
        ("city", Value::from(place.city)),
        ("latitude", Value::Float(place.latitude as f32)),
        ("longitude", Value::Float(place.longitude as f32)),
    ])
}

/// Serializes a database calling itself `database_type` with these `(network, record)` entries.
pub fn database(database_type: &str, entries: Vec<(&str, Value)>) -> Vec<u8> {
    let mut writer = Writer::new(database_type);
    for (network, record) in entries {
        let network: IpNet = network.parse().expect("fixture network");
        writer
            .insert_value(network, record)
            .expect("insert fixture record");
    }
    writer.to_bytes().expect("serialize fixture database")
}

/// A "GeoLite2-City" database: [`MAXMIND_V4_NET`] is `v4`, [`MAXMIND_V6_NET`] is San Diego.
pub fn maxmind_city(v4: &Place) -> Vec<u8> {
    database(
        "GeoLite2-City",
        vec![
            (MAXMIND_V4_NET, nested_record(v4)),
            (MAXMIND_V6_NET, nested_record(&SAN_DIEGO)),
        ],
    )
}

/// A DB-IP-shaped database: Berlin, a country-only French network and a `ZZ` network.
pub fn dbip_city(database_type: &str) -> Vec<u8> {
    database(
        database_type,
        vec![
            (DBIP_CITY_NET, flat_record(&BERLIN)),
            (DBIP_COUNTRY_ONLY_NET, Value::map([("country_code", "FR")])),
            (DBIP_UNKNOWN_NET, Value::map([("country_code", "ZZ")])),
        ],
    )
}

/// The network [`dbip_countries`] puts the `index`th country in (public space, so no
/// enrichment rule treats it as private): `11.{index}.0.0/16`.
pub fn country_network(index: usize) -> String {
    format!("11.{index}.0.0/16")
}

/// A DB-IP-shaped country database: the `index`th code on [`country_network`]`(index)`.
pub fn dbip_countries(codes: &[&str]) -> Vec<u8> {
    let networks: Vec<String> = (0..codes.len()).map(country_network).collect();
    database(
        "DBIP-Country-Lite",
        networks
            .iter()
            .zip(codes)
            .map(|(network, code)| (network.as_str(), Value::map([("country_code", *code)])))
            .collect(),
    )
}

/// Writes `bytes` as `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write fixture database");
    path
}
