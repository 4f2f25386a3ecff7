//! Data exchanged with the store by the analytics pages: rollup-backed series and breakdowns.
//!
//! Every figure here is read from rollups that the worker maintains in the same transaction as
//! the click insert, never by counting raw clicks, so pages stay fast at tens of millions of rows.

use chrono::{DateTime, Utc};

use crate::links::LinkAddress;
use crate::links::utm::UtmTag;

/// A half-open UTC range `[from, to)`, aligned to whole hours (rollups are hourly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourRange {
    /// First hour included.
    pub from: DateTime<Utc>,
    /// First hour excluded.
    pub to: DateTime<Utc>,
}

/// The figures of one hour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HourFigures {
    /// Start of the hour (UTC).
    pub hour: DateTime<Utc>,
    /// All visits.
    pub total: i64,
    /// Visits flagged as bots.
    pub bots: i64,
    /// Visitors first seen that UTC day in this hour (so summing hours gives daily uniques).
    pub uniques: i64,
}

/// Which attribute a breakdown groups visits by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// ISO country code.
    Country,
    /// City name.
    City,
    /// Host of the referrer (`direct` when none).
    ReferrerDomain,
    /// Browser family.
    Browser,
    /// Operating system.
    Os,
    /// Device category.
    Device,
    /// The destination an A/B split chose (counted only for links with a split).
    Destination,
    /// A campaign tag of the visited or the long URL (counted only for visits tagged with it).
    Utm(UtmTag),
}

impl Dimension {
    /// Every dimension, in page order.
    pub const ALL: [Self; 10] = [
        Self::Country,
        Self::City,
        Self::ReferrerDomain,
        Self::Browser,
        Self::Os,
        Self::Device,
        Self::Destination,
        Self::Utm(UtmTag::Source),
        Self::Utm(UtmTag::Medium),
        Self::Utm(UtmTag::Campaign),
    ];

    /// The campaign dimensions, which the dashboard also shows across all links.
    pub const CAMPAIGNS: [Self; 3] = [
        Self::Utm(UtmTag::Source),
        Self::Utm(UtmTag::Medium),
        Self::Utm(UtmTag::Campaign),
    ];

    /// The code `link_hourly_dims` stores the dimension under: a small integer keeps its key
    /// short. Codes are part of the schema (migration 0063 assigned them) and never change.
    pub fn code(self) -> i16 {
        match self {
            Self::Country => 1,
            Self::City => 2,
            Self::ReferrerDomain => 3,
            Self::Browser => 4,
            Self::Os => 5,
            Self::Device => 6,
            Self::Destination => 7,
            Self::Utm(UtmTag::Source) => 8,
            Self::Utm(UtmTag::Medium) => 9,
            Self::Utm(UtmTag::Campaign) => 10,
        }
    }

    /// The name pages and queries use for the dimension.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Country => "country",
            Self::City => "city",
            Self::ReferrerDomain => "referrer",
            Self::Browser => "browser",
            Self::Os => "os",
            Self::Device => "device",
            Self::Destination => "destination",
            Self::Utm(tag) => tag.parameter(),
        }
    }
}

/// One row of a breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakdownRow {
    /// The attribute value (`unknown` when not resolved).
    pub value: String,
    /// Visits with that value in the range (bots included or not, as asked).
    pub visits: i64,
}

/// A link's total in a range, for top-link lists and sparklines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkFigures {
    /// Link row id.
    pub link_id: i64,
    /// Its domain and short code.
    pub address: LinkAddress,
    /// Its title, if any.
    pub title: Option<String>,
    /// Visits in the range (bots included or not, as asked).
    pub visits: i64,
}
