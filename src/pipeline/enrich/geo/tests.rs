//! Tests for `geo`: fixture databases are built in memory with `mmdb-writer`.

use std::fs;
use std::time::{Duration, SystemTime};

use super::*;

/// The fixture databases the integration tests use too.
#[path = "../../../../tests/common/geo_fixture.rs"]
mod geo_fixture;

use geo_fixture::{LONDON, PARIS, dbip_city as dbip_db, maxmind_city};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test IP")
}

fn open_bytes(bytes: &[u8]) -> (tempfile::TempDir, PathBuf, GeoIp) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = geo_fixture::write(dir.path(), "geo.mmdb", bytes);
    let geo = GeoIp::open(Some(path.clone()));
    (dir, path, geo)
}

/// Rewrites the file and moves its mtime forward, so the change is visible even on file
/// systems with coarse timestamps.
fn rewrite(path: &Path, bytes: &[u8], bump: u64) {
    fs::write(path, bytes).expect("rewrite fixture");
    let later = SystemTime::now() + Duration::from_secs(bump);
    fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(later))
        .expect("set mtime");
}

#[test]
fn maxmind_nested_schema_gives_full_location() {
    let (_dir, _path, geo) = open_bytes(&maxmind_city(&LONDON));
    let location = geo.lookup(ip("81.2.69.142")).expect("known IP");
    assert_eq!(location.country_code.as_deref(), Some("GB"));
    assert_eq!(location.country_name.as_deref(), Some("United Kingdom"));
    assert_eq!(location.region_name.as_deref(), Some("England"));
    assert_eq!(location.city_name.as_deref(), Some("London"));
    assert_eq!(location.latitude, Some(51.5142));
    assert_eq!(location.longitude, Some(-0.0931));
    assert_eq!(location.timezone.as_deref(), Some("Europe/London"));

    let v6 = geo.lookup(ip("2001:480:10::1")).expect("known IPv6");
    assert_eq!(v6.city_name.as_deref(), Some("San Diego"));
    let mapped = geo.lookup(ip("::ffff:81.2.69.142")).expect("IPv4-mapped");
    assert_eq!(mapped.city_name.as_deref(), Some("London"));
}

#[test]
fn unknown_ips_give_none() {
    let (_dir, _path, geo) = open_bytes(&maxmind_city(&LONDON));
    assert_eq!(geo.lookup(ip("8.8.8.8")), None);
    assert_eq!(geo.lookup(ip("2a00:1450::1")), None);
}

#[test]
fn dbip_flat_schema_is_decoded_with_derived_country_name() {
    let (_dir, _path, geo) = open_bytes(&dbip_db("DBIP-City-Lite"));
    let location = geo.lookup(ip("198.51.100.7")).expect("known IP");
    assert_eq!(location.country_code.as_deref(), Some("DE"));
    assert_eq!(location.country_name.as_deref(), Some("Germany"));
    assert_eq!(location.region_name.as_deref(), Some("Land Berlin"));
    assert_eq!(location.city_name.as_deref(), Some("Berlin"));
    assert_eq!(location.latitude, Some(52.5244));
    assert_eq!(location.longitude, Some(13.4105));
    assert_eq!(location.timezone, None);
    assert_eq!(geo.lookup(ip("8.8.8.8")), None);
}

#[test]
fn dbip_country_database_and_unknown_country_placeholder() {
    let (_dir, _path, geo) = open_bytes(&dbip_db("country ipvAll"));
    let france = geo.lookup(ip("203.0.113.1")).expect("known IP");
    assert_eq!(france.country_code.as_deref(), Some("FR"));
    assert_eq!(france.country_name.as_deref(), Some("France"));
    assert_eq!(france.city_name, None);
    assert_eq!(geo.lookup(ip("192.0.2.1")), None, "ZZ means unknown");
}

#[test]
fn a_flat_record_keeps_its_time_zone_and_drops_empty_fields() {
    let bytes = geo_fixture::database(
        "DBIP-City-Lite",
        vec![
            (
                "198.51.100.0/24",
                mmdb_writer::Value::map([
                    ("country_code", mmdb_writer::Value::from("DE")),
                    ("city", mmdb_writer::Value::from("")),
                    ("timezone", mmdb_writer::Value::from("Europe/Berlin")),
                ]),
            ),
            (
                "203.0.113.0/24",
                mmdb_writer::Value::map([
                    ("country_code", mmdb_writer::Value::from("FR")),
                    ("timezone", mmdb_writer::Value::from("")),
                ]),
            ),
        ],
    );
    let (_dir, _path, geo) = open_bytes(&bytes);
    let berlin = geo.lookup(ip("198.51.100.7")).expect("known IP");
    assert_eq!(berlin.timezone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(berlin.city_name, None);
    let france = geo.lookup(ip("203.0.113.7")).expect("known IP");
    assert_eq!(france.timezone, None);
}

#[test]
fn a_coordinate_of_the_wrong_type_is_refused_by_name() {
    let err = serde_json::from_str::<Coordinate>("\"north\"").expect_err("not a number");
    assert!(
        err.to_string().contains("a float or double coordinate"),
        "{err}"
    );
}

#[test]
fn only_a_loaded_db_ip_database_asks_for_the_attribution() {
    let (_dir, _path, dbip) = open_bytes(&dbip_db("DBIP-City-Lite"));
    assert!(dbip.is_dbip());
    let (_dir, _path, maxmind) = open_bytes(&maxmind_city(&LONDON));
    assert!(!maxmind.is_dbip());
    assert!(!GeoIp::open(None).is_dbip());
}

#[test]
fn forcing_a_reload_without_a_database_loads_nothing() {
    let geo = GeoIp::open(None);
    assert!(!geo.force_reload().expect("nothing to load"));
    assert_eq!(geo.lookup(ip("81.2.69.142")), None);
}

#[test]
fn mislabelled_database_falls_back_to_the_other_schema() {
    let (_dir, _path, geo) = open_bytes(&dbip_db("Custom-Geo-DB"));
    let location = geo
        .lookup(ip("198.51.100.7"))
        .expect("flat record under a nested label");
    assert_eq!(location.city_name.as_deref(), Some("Berlin"));
}

#[test]
fn schema_detection_follows_database_type() {
    for flat in [
        "DBIP-City-Lite",
        "dbip-country-lite",
        "country ipvAll",
        "city ipvAll",
        "DB-IP Location",
    ] {
        assert_eq!(Schema::detect(flat), Schema::Flat, "{flat}");
    }
    for nested in ["GeoIP2-City", "GeoLite2-Country", "GeoIP2-Enterprise"] {
        assert_eq!(Schema::detect(nested), Schema::Nested, "{nested}");
    }
}

#[test]
fn no_path_means_no_lookups_and_nothing_to_reload() {
    let geo = GeoIp::open(None);
    assert_eq!(geo.lookup(ip("81.2.69.142")), None);
    assert!(!geo.reload().expect("nothing to do"));
}

#[test]
fn missing_file_is_loaded_once_it_appears() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("later.mmdb");
    let geo = GeoIp::open(Some(path.clone()));
    assert_eq!(geo.lookup(ip("81.2.69.142")), None);
    assert!(matches!(geo.reload(), Err(GeoError::Io { .. })));
    geo_fixture::write(dir.path(), "later.mmdb", &maxmind_city(&LONDON));
    assert!(geo.reload().expect("loads"));
    assert!(geo.lookup(ip("81.2.69.142")).is_some());
}

#[test]
fn reload_picks_up_a_rewritten_file_only_when_it_changed() {
    let (_dir, path, geo) = open_bytes(&maxmind_city(&LONDON));
    assert!(!geo.reload().expect("unchanged"));
    rewrite(&path, &maxmind_city(&PARIS), 10);
    assert!(geo.reload().expect("changed"));
    let location = geo.lookup(ip("81.2.69.142")).expect("known IP");
    assert_eq!(location.country_code.as_deref(), Some("FR"));
    assert_eq!(location.city_name.as_deref(), Some("Paris"));
    assert!(!geo.reload().expect("unchanged again"));
    assert!(geo.force_reload().expect("forced"));
}

#[test]
fn failed_reload_keeps_the_previous_database() {
    let (_dir, path, geo) = open_bytes(&maxmind_city(&LONDON));
    rewrite(&path, b"definitely not an mmdb file", 10);
    assert!(matches!(geo.reload(), Err(GeoError::Invalid { .. })));
    fs::remove_file(&path).expect("remove");
    assert!(matches!(geo.reload(), Err(GeoError::Io { .. })));
    let location = geo
        .lookup(ip("81.2.69.142"))
        .expect("old database still serves");
    assert_eq!(location.city_name.as_deref(), Some("London"));
}

#[tokio::test]
async fn reloader_task_swaps_in_a_new_file_and_stops_on_shutdown() {
    let (_dir, path, geo) = open_bytes(&maxmind_city(&LONDON));
    let geo = Arc::new(geo);
    let shutdown = CancellationToken::new();
    let task = Arc::clone(&geo).spawn_reloader(Duration::from_millis(10), shutdown.clone());
    rewrite(&path, &maxmind_city(&PARIS), 10);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while geo
        .lookup(ip("81.2.69.142"))
        .and_then(|l| l.city_name)
        .as_deref()
        != Some("Paris")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "reloader never picked up the file"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("reloader stops on shutdown")
        .expect("reloader did not panic");
}

#[test]
fn f32_coordinates_widen_to_their_shortest_decimal() {
    assert_ne!(f64::from(52.5244_f32), 52.5244);
    assert_eq!(widen_f32(52.5244), 52.5244);
    assert_eq!(widen_f32(-0.0931), -0.0931);
    assert_eq!(widen_f32(13.0), 13.0);
}
