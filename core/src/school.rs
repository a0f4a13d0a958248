//! The school calendar: school years, rentrées and holidays, read from the
//! committed, dated snapshot of the official dataset. Nothing is
//! extrapolated: a question past the published data is refused.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use crate::calendar::CalendarId;
use crate::french::long_date;

/// The snapshot shipped with echeancier; see `data/calendrier-scolaire/SOURCE.md`.
pub const EMBEDDED_CSV: &str = include_str!("../../data/calendrier-scolaire/calendrier-scolaire.csv");
/// The date the snapshot reflects.
pub const EMBEDDED_AS_OF: &str = "2026-11-23";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Zone {
    A,
    B,
    C,
}

impl FromStr for Zone {
    type Err = SchoolError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "A" | "a" => Ok(Zone::A),
            "B" | "b" => Ok(Zone::B),
            "C" | "c" => Ok(Zone::C),
            other => Err(SchoolError::UnknownZone(other.chars().take(20).collect())),
        }
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Zone::A => "A",
            Zone::B => "B",
            Zone::C => "C",
        };
        f.write_str(s)
    }
}

/// A school year, named by the calendar year of its rentrée.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchoolYear(pub i32);

impl fmt::Display for SchoolYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.0, self.0 + 1)
    }
}

impl FromStr for SchoolYear {
    type Err = SchoolError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || SchoolError::BadYear(s.chars().take(20).collect());
        let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
        let (a, b): (i32, i32) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
        if b != a + 1 {
            return Err(bad());
        }
        Ok(SchoolYear(a))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchoolError {
    #[error(
        "le {date} est après les données du calendrier scolaire officiel (dernière rentrée publiée : {last}, données au {as_of}) : echeancier ne devine pas les dates à venir"
    )]
    BeyondData {
        date: String,
        last: String,
        as_of: String,
    },
    #[error("le {date} est avant le début des données du calendrier scolaire (première rentrée : {first})")]
    BeforeData { date: String, first: String },
    #[error(
        "la rentrée de l'année scolaire {year} n'est pas encore publiée dans le calendrier scolaire officiel (données au {as_of})"
    )]
    RentreeUnknown { year: SchoolYear, as_of: String },
    #[error(
        "les vacances « {what} » de l'année {year} (zone {zone}) ne sont pas dans le calendrier scolaire (données au {as_of})"
    )]
    HolidayUnknown {
        what: String,
        year: SchoolYear,
        zone: Zone,
        as_of: String,
    },
    #[error(
        "pas de calendrier scolaire pour le territoire {0} : seules les zones A, B et C de métropole sont publiées dans l'instantané"
    )]
    Territory(CalendarId),
    #[error("zone scolaire inconnue « {0} » : attendu A, B ou C")]
    UnknownZone(String),
    #[error("année scolaire invalide « {0} » : attendu par exemple 2025-2026")]
    BadYear(String),
    #[error("calendrier scolaire, ligne {line} : {why}")]
    Data { line: usize, why: String },
}

/// One row of the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub description: String,
    pub zones: Vec<Zone>,
    pub start: NaiveDate,
    pub resume: Option<NaiveDate>,
    pub year: SchoolYear,
}

impl Period {
    pub fn is_rentree(&self) -> bool {
        self.description.starts_with("Rentrée")
    }
    pub fn is_summer(&self) -> bool {
        self.description.contains("été")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolCalendar {
    periods: Vec<Period>,
    /// Rentrée dates in ascending order, one per school year.
    rentrees: Vec<NaiveDate>,
    as_of: String,
}

impl SchoolCalendar {
    /// The snapshot compiled into echeancier.
    pub fn embedded() -> Self {
        match Self::parse(EMBEDDED_CSV, EMBEDDED_AS_OF) {
            Ok(cal) => cal,
            // The embedded file is checked by the tests of this module.
            Err(e) => panic!("embedded school calendar is invalid: {e}"),
        }
    }

    /// Parses the snapshot format (`;`-separated, header on the first line).
    pub fn parse(csv: &str, as_of: &str) -> Result<Self, SchoolError> {
        let mut periods = Vec::new();
        for (i, line) in csv.lines().enumerate().skip(1) {
            let lineno = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let data = |why: String| SchoolError::Data { line: lineno, why };
            let cols: Vec<&str> = line.split(';').collect();
            let [description, zones, start, resume, year] = cols.as_slice() else {
                return Err(data(format!("5 colonnes attendues, {} trouvées", cols.len())));
            };
            let zones = zones
                .split(',')
                .map(Zone::from_str)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| data(e.to_string()))?;
            let date = |s: &str| {
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .map_err(|_| data(format!("date invalide « {s} »")))
            };
            let start = date(start)?;
            let resume = if resume.trim().is_empty() {
                None
            } else {
                Some(date(resume)?)
            };
            let year: SchoolYear = year.parse().map_err(|e: SchoolError| data(e.to_string()))?;
            periods.push(Period {
                description: description.trim().to_string(),
                zones,
                start,
                resume,
                year,
            });
        }
        let mut rentrees: Vec<NaiveDate> = periods
            .iter()
            .filter(|p| p.is_rentree())
            .map(|p| p.start)
            .collect();
        rentrees.sort();
        rentrees.dedup();
        if rentrees.is_empty() {
            return Err(SchoolError::Data {
                line: 1,
                why: "aucune rentrée dans les données".into(),
            });
        }
        for p in periods.iter().filter(|p| p.is_rentree()) {
            if p.start.year() != p.year.0 {
                return Err(SchoolError::Data {
                    line: 0,
                    why: format!("rentrée {} hors de l'année {}", p.start, p.year),
                });
            }
        }
        Ok(SchoolCalendar {
            periods,
            rentrees,
            as_of: as_of.to_string(),
        })
    }

    pub fn as_of(&self) -> &str {
        &self.as_of
    }

    pub fn periods(&self) -> &[Period] {
        &self.periods
    }

    fn check_territory(calendar: CalendarId) -> Result<(), SchoolError> {
        match calendar {
            CalendarId::Metropole | CalendarId::AlsaceMoselle => Ok(()),
            other => Err(SchoolError::Territory(other)),
        }
    }

    /// The first day of summer holidays of `year`, if published.
    fn summer_start(&self, year: SchoolYear) -> Option<NaiveDate> {
        self.periods
            .iter()
            .filter(|p| p.year == year && p.is_summer())
            .map(|p| p.start)
            .min()
    }

    /// The school year `date` belongs to: from a rentrée to the day before
    /// the next one (July and August belong to the year that is ending).
    pub fn school_year(&self, date: NaiveDate, calendar: CalendarId) -> Result<SchoolYear, SchoolError> {
        Self::check_territory(calendar)?;
        let first = self.rentrees[0];
        if date < first {
            return Err(SchoolError::BeforeData {
                date: long_date(date),
                first: long_date(first),
            });
        }
        let idx = self.rentrees.partition_point(|r| *r <= date) - 1;
        let year = SchoolYear(self.rentrees[idx].year());
        if idx + 1 < self.rentrees.len() {
            return Ok(year);
        }
        // After the last published rentrée: certain only until the summer
        // holidays of that year begin (the next rentrée is unknown).
        match self.summer_start(year) {
            Some(summer) if date < summer => Ok(year),
            _ => Err(SchoolError::BeyondData {
                date: long_date(date),
                last: long_date(self.rentrees[idx]),
                as_of: self.as_of.clone(),
            }),
        }
    }

    /// The rentrée that opens `year`.
    pub fn rentree(&self, year: SchoolYear) -> Result<NaiveDate, SchoolError> {
        self.rentrees
            .iter()
            .copied()
            .find(|r| r.year() == year.0)
            .ok_or_else(|| SchoolError::RentreeUnknown {
                year,
                as_of: self.as_of.clone(),
            })
    }

    /// The first rentrée after the school year `date` belongs to.
    pub fn next_rentree(&self, date: NaiveDate, calendar: CalendarId) -> Result<NaiveDate, SchoolError> {
        let year = self.school_year(date, calendar)?;
        self.rentree(SchoolYear(year.0 + 1))
    }

    /// The first day of the holiday named `what` ("été", "hiver"...) in
    /// `year` for `zone`.
    pub fn holiday_start(&self, what: &str, year: SchoolYear, zone: Zone) -> Result<NaiveDate, SchoolError> {
        self.periods
            .iter()
            .find(|p| {
                p.year == year && p.zones.contains(&zone) && !p.is_rentree() && p.description.contains(what)
            })
            .map(|p| p.start)
            .ok_or_else(|| SchoolError::HolidayUnknown {
                what: what.to_string(),
                year,
                zone,
                as_of: self.as_of.clone(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::d;

    #[test]
    fn embedded_snapshot_is_consistent() {
        let cal = SchoolCalendar::embedded();
        // One rentrée per school year, and each summer ends on the next rentrée.
        for p in cal.periods().iter().filter(|p| p.is_summer()) {
            if let Some(resume) = p.resume {
                assert_eq!(cal.rentree(SchoolYear(p.year.0 + 1)), Ok(resume), "{p:?}");
            }
        }
        for p in cal.periods() {
            if let Some(resume) = p.resume {
                assert!(resume > p.start, "{p:?}");
            }
        }
        assert_eq!(
            cal.rentrees,
            vec![d("2023-09-04"), d("2024-09-02"), d("2025-09-01"), d("2026-09-01")]
        );
    }

    #[test]
    fn school_year_membership() {
        let cal = SchoolCalendar::embedded();
        let m = CalendarId::Metropole;
        assert_eq!(cal.school_year(d("2026-03-05"), m), Ok(SchoolYear(2025)));
        assert_eq!(cal.school_year(d("2025-08-31"), m), Ok(SchoolYear(2024)));
        assert_eq!(cal.school_year(d("2025-09-01"), m), Ok(SchoolYear(2025)));
        // July and August belong to the year that is ending.
        assert_eq!(cal.school_year(d("2026-08-31"), m), Ok(SchoolYear(2025)));
        assert_eq!(cal.school_year(d("2026-09-01"), m), Ok(SchoolYear(2026)));
        assert_eq!(cal.school_year(d("2027-07-02"), m), Ok(SchoolYear(2026)));
        assert_eq!(SchoolYear(2025).to_string(), "2025-2026");
    }

    #[test]
    fn refuses_to_extrapolate() {
        let cal = SchoolCalendar::embedded();
        let m = CalendarId::Metropole;
        assert!(matches!(
            cal.school_year(d("2027-07-03"), m),
            Err(SchoolError::BeyondData { .. })
        ));
        assert!(matches!(
            cal.school_year(d("2020-01-01"), m),
            Err(SchoolError::BeforeData { .. })
        ));
        assert!(matches!(
            cal.next_rentree(d("2027-01-10"), m),
            Err(SchoolError::RentreeUnknown { .. })
        ));
        assert!(matches!(
            cal.school_year(d("2026-03-05"), CalendarId::Reunion),
            Err(SchoolError::Territory(_))
        ));
        let msg = cal
            .next_rentree(d("2027-01-10"), m)
            .expect_err("unknown")
            .to_string();
        assert!(msg.contains("2027-2028"), "{msg}");
    }

    #[test]
    fn holidays_by_zone() {
        let cal = SchoolCalendar::embedded();
        assert_eq!(
            cal.holiday_start("hiver", SchoolYear(2025), Zone::C),
            Ok(d("2026-02-21"))
        );
        assert_eq!(
            cal.holiday_start("été", SchoolYear(2025), Zone::A),
            Ok(d("2026-07-04"))
        );
        assert!(cal.holiday_start("hiver", SchoolYear(2026), Zone::A).is_err());
    }

    #[test]
    fn rejects_bad_data_with_line_numbers() {
        let bad =
            "h\nRentrée scolaire des élèves;A;2026-09-01;;2026-2027\nVacances;D;2026-10-01;;2026-2027\n";
        match SchoolCalendar::parse(bad, "x") {
            Err(SchoolError::Data { line, .. }) => assert_eq!(line, 3),
            other => panic!("unexpected {other:?}"),
        }
    }
}
