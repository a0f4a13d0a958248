//! The school calendar: school years, rentrées and holidays of every zone and
//! académie, read from the committed, dated snapshot of the official dataset
//! `fr-en-calendrier-scolaire` (see `data/calendrier-scolaire/SOURCE.md`).
//! Nothing is extrapolated: a question past the published data is refused.
//!
//! How the dataset is read:
//! - one row per holiday and académie (`Académies`), with its zone (`Zones`)
//!   and the population it concerns (`-` for everyone, `Élèves`,
//!   `Enseignants`, a school level, or part of an académie such as
//!   Saint-Martin);
//! - `Date de début` and `Date de fin` are instants at midnight, Paris time;
//!   read in Paris time they give the first day of holidays and the day
//!   classes resume (the end is excluded). A row whose end equals its start
//!   is one day off, except the `Début des …` rows, which only say when the
//!   long holidays begin (their end is not published yet);
//! - the dataset has no rentrée rows: the rentrée of a school year is the end
//!   of the pupils' long holidays of the year before (`Vacances d'Été`,
//!   `Vacances d'Hiver austral` at La Réunion, `Grandes Vacances` in
//!   Polynésie). Where the levels go back on different days (Polynésie), the
//!   rentrée is the first of them.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, NaiveDate};

use crate::academie::{Academie, SchoolZone};
use crate::calendar::CalendarId;
use crate::french::long_date;

/// The snapshot shipped with echeancier; see `data/calendrier-scolaire/SOURCE.md`.
pub const EMBEDDED_CSV: &str = include_str!("../../data/calendrier-scolaire/calendrier-scolaire.csv");
/// The date the snapshot reflects: the day the copy of the official export
/// was made (see `SOURCE.md`).
pub const EMBEDDED_AS_OF: &str = "2026-01-29";

/// A metropolitan zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Zone {
    A,
    B,
    C,
}

impl FromStr for Zone {
    type Err = SchoolError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let t = t
            .strip_prefix("Zone ")
            .or_else(|| t.strip_prefix("zone "))
            .unwrap_or(t);
        match t {
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

/// A school year, named by the calendar year of its rentrée. Displayed
/// `2025-2026`; Nouvelle-Calédonie and Wallis-et-Futuna name theirs by the
/// calendar year alone (see [`SchoolZone::year_label`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchoolYear(pub i32);

impl fmt::Display for SchoolYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.0, i64::from(self.0) + 1)
    }
}

impl FromStr for SchoolYear {
    type Err = SchoolError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || SchoolError::BadYear(s.chars().take(20).collect());
        let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
        let (a, b): (i32, i32) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
        if a.checked_add(1) != Some(b) {
            return Err(bad());
        }
        Ok(SchoolYear(a))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchoolError {
    #[error(
        "le {date} est après les données du calendrier scolaire officiel {place} (dernière rentrée publiée : {last}, données au {as_of}) : echeancier ne devine pas les dates à venir"
    )]
    BeyondData {
        date: String,
        last: String,
        as_of: String,
        place: String,
    },
    #[error(
        "le {date} est avant le début des données du calendrier scolaire {place} (première rentrée : {first})"
    )]
    BeforeData {
        date: String,
        first: String,
        place: String,
    },
    #[error(
        "la rentrée de l'année scolaire {label} n'est pas encore publiée dans le calendrier scolaire officiel {place} (données au {as_of})"
    )]
    RentreeUnknown {
        year: SchoolYear,
        /// The year as the territory names it ("2027-2028", or "2027").
        label: String,
        place: String,
        as_of: String,
    },
    #[error(
        "les vacances « {what} » de l'année {label} ne sont pas dans le calendrier scolaire {place} (données au {as_of})"
    )]
    HolidayUnknown {
        what: String,
        year: SchoolYear,
        label: String,
        place: String,
        as_of: String,
    },
    #[error("le calendrier scolaire officiel n'a aucune date {place} (données au {as_of})")]
    NoData { place: String, as_of: String },
    #[error(
        "pas de calendrier scolaire de métropole pour le territoire {0} : son calendrier scolaire est celui de son académie, à indiquer"
    )]
    Territory(CalendarId),
    #[error(
        "les zones A, B et C n'ont pas la même réponse ({what}) : indiquez la zone ou l'académie de l'établissement"
    )]
    ZonesDiffer { what: String },
    #[error("zone scolaire inconnue « {0} » : attendu A, B ou C")]
    UnknownZone(String),
    #[error("année scolaire invalide « {0} » : attendu par exemple 2025-2026")]
    BadYear(String),
    #[error("calendrier scolaire, ligne {line} : {why}")]
    Data { line: usize, why: String },
}

impl SchoolError {
    /// The same error about another place (metropolitan questions are
    /// answered zone by zone, then said of the whole metropole).
    fn about(mut self, new_place: &str) -> Self {
        match &mut self {
            SchoolError::BeyondData { place, .. }
            | SchoolError::BeforeData { place, .. }
            | SchoolError::RentreeUnknown { place, .. }
            | SchoolError::HolidayUnknown { place, .. }
            | SchoolError::NoData { place, .. } => *place = new_place.to_string(),
            _ => {}
        }
        self
    }
}

/// Who a row concerns, as a set of cells: school level (premier degré,
/// collège, lycée) × part of the académie (Guadeloupe itself, Saint-Martin,
/// Saint-Barthélemy). A row concerns every pupil when it covers every cell.
type Cells = u16;

const LEVEL_PRIMARY: u16 = 0b001;
const LEVEL_COLLEGE: u16 = 0b010;
const LEVEL_LYCEE: u16 = 0b100;
const LEVELS_ALL: u16 = 0b111;
const PLACE_MAIN: u16 = 0b001;
const PLACE_SAINT_MARTIN: u16 = 0b010;
const PLACE_SAINT_BARTHELEMY: u16 = 0b100;
const PLACES_ALL: u16 = 0b111;
const ALL_PUPILS: Cells = 0x1FF;

fn cells(levels: u16, places: u16) -> Cells {
    let mut c = 0;
    for l in 0..3 {
        for p in 0..3 {
            if levels & (1 << l) != 0 && places & (1 << p) != 0 {
                c |= 1 << (l * 3 + p);
            }
        }
    }
    c
}

/// The pupils a `Population` value concerns; `Some(0)` for teachers only,
/// `None` for a value this reader does not know.
fn pupils_of(population: &str) -> Option<Cells> {
    let p = population.trim();
    if p.starts_with("Enseignants") {
        return Some(0);
    }
    let c = match p {
        "-" | "" | "Élèves" => ALL_PUPILS,
        "Élèves du premier degré" | "Premier degré" => cells(LEVEL_PRIMARY, PLACES_ALL),
        "Élèves du second degré" | "Second degré" => cells(LEVEL_COLLEGE | LEVEL_LYCEE, PLACES_ALL),
        "Élèves des collèges" => cells(LEVEL_COLLEGE, PLACES_ALL),
        "Élèves des lycées" => cells(LEVEL_LYCEE, PLACES_ALL),
        "Premier degré et collèges" => cells(LEVEL_PRIMARY | LEVEL_COLLEGE, PLACES_ALL),
        "Guadeloupe & Saint-Martin" => cells(LEVELS_ALL, PLACE_MAIN | PLACE_SAINT_MARTIN),
        "Guadeloupe sauf Saint-Martin" | "Guadeloupe & Saint-Barthélémy" => {
            cells(LEVELS_ALL, PLACE_MAIN | PLACE_SAINT_BARTHELEMY)
        }
        "Saint-Martin" | "Saint Martin" => cells(LEVELS_ALL, PLACE_SAINT_MARTIN),
        "Saint-Barthélémy" | "Saint-Barthélemy" => cells(LEVELS_ALL, PLACE_SAINT_BARTHELEMY),
        "Guadeloupe, Saint-Martin & Saint-Barthélémy" => ALL_PUPILS,
        _ => return None,
    };
    Some(c)
}

/// Lower case with one kind of apostrophe, for matching descriptions.
fn fold(s: &str) -> String {
    s.to_lowercase().replace('’', "'")
}

/// One row of the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// `Description`, verbatim ("Vacances d'Hiver", "Pont de l'Ascension"...).
    pub description: String,
    /// `Population`, verbatim ("-", "Élèves", "Enseignants", "Saint-Martin"...).
    pub population: String,
    /// The metropolitan zone of the row (empty outside zones A, B and C).
    pub zones: Vec<Zone>,
    /// `Zones`: the calendar zone of the row.
    pub zone: SchoolZone,
    /// `Académies`: the académie of the row.
    pub academie: Academie,
    /// The first day without classes (Paris date of `Date de début`).
    pub start: NaiveDate,
    /// The Paris date of `Date de fin`: the day classes resume, or the day
    /// itself for a one-day row.
    pub end: NaiveDate,
    /// The day classes resume; `None` while it is not published (`Début
    /// des Vacances d'Été`).
    pub resume: Option<NaiveDate>,
    /// `annee_scolaire`: the school year, by the year of its rentrée.
    pub year: SchoolYear,
    /// The line of the row in the snapshot.
    pub line: usize,
    pupils: Cells,
}

impl Period {
    /// The dataset has no rentrée rows (see [`SchoolCalendar::rentree_in`]);
    /// kept for rows of hand-made snapshots.
    pub fn is_rentree(&self) -> bool {
        self.description.starts_with("Rentrée")
    }

    /// The long holidays that end the school year: summer in the northern
    /// hemisphere, austral winter at La Réunion, the December–February
    /// holidays in Nouvelle-Calédonie and Wallis-et-Futuna.
    pub fn is_summer(&self) -> bool {
        let d = fold(&self.description);
        (d.contains("vacances d'été") && !d.contains("austral"))
            || d.contains("hiver austral")
            || d.contains("grandes vacances")
    }

    /// Only says when holidays begin (`Début des Vacances d'Été`).
    pub fn is_start_only(&self) -> bool {
        self.description.starts_with("Début des")
    }

    /// Teachers only (the pupils are not on holiday).
    pub fn is_teachers_only(&self) -> bool {
        self.pupils == 0
    }

    /// Every pupil of the académie is concerned, not only a school level or
    /// a part of the académie (Saint-Martin, Saint-Barthélemy).
    pub fn concerns_all_pupils(&self) -> bool {
        self.pupils == ALL_PUPILS
    }

    /// Whether pupils concerned by the row have no class on `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        if self.end > self.start {
            self.start <= date && date < self.end
        } else {
            date == self.start
        }
    }
}

/// Which calendar a question is about: an académie (preferred: the dataset
/// is per académie), or a calendar zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Academie(Academie),
    Zone(SchoolZone),
}

impl From<Academie> for Scope {
    fn from(a: Academie) -> Self {
        Scope::Academie(a)
    }
}

impl From<SchoolZone> for Scope {
    fn from(z: SchoolZone) -> Self {
        Scope::Zone(z)
    }
}

impl From<Zone> for Scope {
    fn from(z: Zone) -> Self {
        Scope::Zone(z.into())
    }
}

impl Scope {
    fn contains(self, p: &Period) -> bool {
        match self {
            Scope::Academie(a) => p.academie == a,
            Scope::Zone(z) => p.zone == z,
        }
    }

    /// "pour l'académie de Corse", "pour la zone A", "pour La Réunion".
    fn place(self) -> String {
        match self {
            Scope::Academie(a) => format!("pour {}", a.label()),
            Scope::Zone(
                z @ (SchoolZone::Reunion
                | SchoolZone::Mayotte
                | SchoolZone::SaintPierreEtMiquelon
                | SchoolZone::WallisEtFutuna),
            ) => format!("pour {}", z.label()),
            Scope::Zone(z) => format!("pour la {}", z.label()),
        }
    }

    /// The scope in a sentence: "pour l'académie de Nantes", "pour la zone A".
    pub fn place_phrase(self) -> String {
        self.place()
    }

    /// The school year as the scope names it ("2025-2026", or "2026" where
    /// the school year is the calendar year).
    pub fn year_label(self, year: SchoolYear) -> String {
        match self {
            Scope::Academie(a) => a.zone().year_label(year),
            Scope::Zone(z) => z.year_label(year),
        }
    }
}

const METROPOLE: &str = "pour la métropole";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolCalendar {
    periods: Vec<Period>,
    as_of: String,
}

/// The columns the reader needs, by the names of the two exports (labels,
/// or field names of the API).
const COLUMNS: [(&str, &str); 7] = [
    ("description", "description"),
    ("population", "population"),
    ("date de début", "start_date"),
    ("date de fin", "end_date"),
    ("académies", "location"),
    ("zones", "zones"),
    ("annee_scolaire", "annee_scolaire"),
];

fn paris_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&chrono_tz::Europe::Paris).date_naive());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
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

    /// Parses an export of the official dataset (`;`-separated, header on
    /// the first line, the labels or the API field names as column names).
    pub fn parse(csv: &str, as_of: &str) -> Result<Self, SchoolError> {
        let mut lines = csv.lines().enumerate();
        let header = lines
            .next()
            .map(|(_, h)| h.trim_start_matches('\u{feff}'))
            .unwrap_or_default();
        let names: Vec<String> = header.split(';').map(|c| c.trim().to_lowercase()).collect();
        let mut index = [0usize; 7];
        for (slot, (label, field)) in index.iter_mut().zip(COLUMNS) {
            *slot = names
                .iter()
                .position(|n| n == label || n == field)
                .ok_or_else(|| SchoolError::Data {
                    line: 1,
                    why: format!("colonne « {label} » absente de l'en-tête"),
                })?;
        }
        let mut periods = Vec::new();
        for (i, line) in lines {
            let lineno = i + 1;
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let data = |why: String| SchoolError::Data { line: lineno, why };
            let cols: Vec<&str> = line.split(';').map(str::trim).collect();
            if cols.len() != names.len() {
                return Err(data(format!(
                    "{} colonnes attendues, {} trouvées",
                    names.len(),
                    cols.len()
                )));
            }
            let [description, population, start, end, location, zone, year] = index.map(|i| cols[i]);
            let zone = SchoolZone::from_dataset(zone)
                .ok_or_else(|| data(format!("zone inconnue « {} »", short(zone))))?;
            let academie = Academie::from_dataset(location)
                .ok_or_else(|| data(format!("académie inconnue « {} »", short(location))))?;
            let pupils = pupils_of(population)
                .ok_or_else(|| data(format!("population inconnue « {} »", short(population))))?;
            let date = |s: &str| paris_date(s).ok_or_else(|| data(format!("date invalide « {} »", short(s))));
            let (start, end) = (date(start)?, date(end)?);
            if end < start {
                return Err(data(format!("fin {end} avant le début {start}")));
            }
            let parsed = if zone.calendar_year_based() {
                year.parse::<i32>().ok().map(SchoolYear)
            } else {
                year.parse::<SchoolYear>().ok()
            };
            // Bounded, so that year arithmetic never overflows.
            let parsed = parsed.filter(|y| (1900..3000).contains(&y.0));
            let year = parsed.ok_or_else(|| data(format!("année scolaire invalide « {} »", short(year))))?;
            let mut p = Period {
                description: description.to_string(),
                population: population.to_string(),
                zones: zone.metropolitan().into_iter().collect(),
                zone,
                academie,
                start,
                end,
                resume: None,
                year,
                line: lineno,
                pupils,
            };
            p.resume = if end > start {
                Some(end)
            } else if p.is_start_only() {
                None
            } else {
                start.checked_add_days(Days::new(1))
            };
            periods.push(p);
        }
        let cal = SchoolCalendar {
            periods,
            as_of: as_of.to_string(),
        };
        cal.check()?;
        Ok(cal)
    }

    /// What the questions rely on: one zone per académie and year, one
    /// rentrée per académie and year, in the calendar year after the one
    /// its school year is named by.
    fn check(&self) -> Result<(), SchoolError> {
        let mut zone_of: BTreeMap<(Academie, SchoolYear), &Period> = BTreeMap::new();
        let mut rentree: BTreeMap<(Academie, SchoolYear), &Period> = BTreeMap::new();
        for p in &self.periods {
            let data = |why: String| SchoolError::Data { line: p.line, why };
            if let Some(q) = zone_of.insert((p.academie, p.year), p)
                && q.zone != p.zone
            {
                return Err(data(format!(
                    "{} est en {} ici et en {} ligne {}",
                    p.academie,
                    p.zone.label(),
                    q.zone.label(),
                    q.line
                )));
            }
            if p.is_summer() && !p.is_start_only() && p.concerns_all_pupils() {
                if p.end.year() != p.year.0 + 1 {
                    return Err(data(format!(
                        "fin des vacances le {} : la rentrée devrait être en {}",
                        p.end,
                        p.year.0 + 1
                    )));
                }
                if let Some(q) = rentree.insert((p.academie, p.year), p)
                    && q.end != p.end
                {
                    return Err(data(format!(
                        "deux rentrées pour {} après l'année {} : {} et {} (ligne {})",
                        p.academie, p.year, p.end, q.end, q.line
                    )));
                }
            }
        }
        if !self.periods.iter().any(|p| p.is_summer() && p.resume.is_some()) {
            return Err(SchoolError::Data {
                line: 1,
                why: "aucune rentrée dans les données (aucune fin de vacances d'été)".into(),
            });
        }
        Ok(())
    }

    pub fn as_of(&self) -> &str {
        &self.as_of
    }

    /// The day of the snapshot as a sentence says it ("jeudi 29 janvier
    /// 2026"); as given when it is not a date.
    fn as_of_words(&self) -> String {
        crate::french::parse_date(&self.as_of).map_or_else(|_| self.as_of.clone(), long_date)
    }

    pub fn periods(&self) -> &[Period] {
        &self.periods
    }

    // ----- by académie or zone ---------------------------------------------

    /// The rows of `scope` that concern pupils, each holiday once (a zone
    /// has one row per académie).
    fn pupil_rows(&self, scope: Scope) -> Vec<&Period> {
        let mut seen = std::collections::BTreeSet::new();
        self.periods
            .iter()
            .filter(|p| scope.contains(p) && !p.is_teachers_only())
            .filter(|p| {
                seen.insert((
                    p.description.as_str(),
                    p.population.as_str(),
                    p.start,
                    p.end,
                    p.year,
                ))
            })
            .collect()
    }

    /// Every published rentrée of `scope`, by school year.
    fn rentree_map(&self, scope: Scope) -> BTreeMap<SchoolYear, NaiveDate> {
        let mut out: BTreeMap<SchoolYear, NaiveDate> = BTreeMap::new();
        for p in self.pupil_rows(scope) {
            if let (true, Some(resume)) = (p.is_summer(), p.resume) {
                let year = SchoolYear(p.year.0 + 1);
                let r = out.entry(year).or_insert(resume);
                *r = (*r).min(resume);
            }
        }
        out
    }

    /// Every published rentrée of an académie or zone, in order.
    pub fn rentrees_in(&self, scope: impl Into<Scope>) -> Vec<(SchoolYear, NaiveDate)> {
        self.rentree_map(scope.into()).into_iter().collect()
    }

    /// The first day of the long holidays that end `year`, if published.
    pub fn summer_start_in(
        &self,
        year: SchoolYear,
        scope: impl Into<Scope>,
    ) -> Result<NaiveDate, SchoolError> {
        let scope = scope.into();
        self.pupil_rows(scope)
            .into_iter()
            .filter(|p| p.year == year && p.is_summer())
            .map(|p| p.start)
            .min()
            .ok_or_else(|| self.holiday_unknown("été", year, scope))
    }

    fn holiday_unknown(&self, what: &str, year: SchoolYear, scope: Scope) -> SchoolError {
        SchoolError::HolidayUnknown {
            what: what.to_string(),
            year,
            label: scope.year_label(year),
            place: scope.place(),
            as_of: self.as_of_words(),
        }
    }

    /// The school year `date` belongs to in an académie or zone: from a
    /// rentrée to the day before the next one (the long holidays belong to
    /// the year they end).
    pub fn school_year_in(
        &self,
        date: NaiveDate,
        scope: impl Into<Scope>,
    ) -> Result<SchoolYear, SchoolError> {
        let scope = scope.into();
        let rentrees = self.rentree_map(scope);
        let Some((_, first)) = rentrees.first_key_value() else {
            return Err(SchoolError::NoData {
                place: scope.place(),
                as_of: self.as_of_words(),
            });
        };
        if date < *first {
            return Err(SchoolError::BeforeData {
                date: long_date(date),
                first: long_date(*first),
                place: scope.place(),
            });
        }
        let Some((year, rentree)) = rentrees.iter().rev().find(|(_, r)| **r <= date) else {
            return Err(SchoolError::NoData {
                place: scope.place(),
                as_of: self.as_of_words(),
            });
        };
        match rentrees.get(&SchoolYear(year.0 + 1)) {
            Some(next) if date < *next => return Ok(*year),
            _ => {}
        }
        // The next rentrée is not published: the year is certain only until
        // its long holidays begin.
        match self.summer_start_in(*year, scope) {
            Ok(summer) if date < summer => Ok(*year),
            _ => Err(SchoolError::BeyondData {
                date: long_date(date),
                last: long_date(*rentree),
                as_of: self.as_of_words(),
                place: scope.place(),
            }),
        }
    }

    /// The rentrée that opens `year` in an académie or zone.
    pub fn rentree_in(&self, year: SchoolYear, scope: impl Into<Scope>) -> Result<NaiveDate, SchoolError> {
        let scope = scope.into();
        self.rentree_map(scope)
            .get(&year)
            .copied()
            .ok_or_else(|| SchoolError::RentreeUnknown {
                year,
                label: scope.year_label(year),
                place: scope.place(),
                as_of: self.as_of_words(),
            })
    }

    /// The first rentrée after the school year `date` belongs to.
    pub fn next_rentree_in(
        &self,
        date: NaiveDate,
        scope: impl Into<Scope>,
    ) -> Result<NaiveDate, SchoolError> {
        let scope = scope.into();
        let year = self.school_year_in(date, scope)?;
        self.rentree_in(SchoolYear(year.0 + 1), scope)
    }

    /// The first day of the holiday whose description contains `what`
    /// ("hiver", "printemps", "Toussaint"..., any case) in `year`.
    pub fn holiday_start_in(
        &self,
        what: &str,
        year: SchoolYear,
        scope: impl Into<Scope>,
    ) -> Result<NaiveDate, SchoolError> {
        let scope = scope.into();
        let needle = fold(what.trim());
        self.pupil_rows(scope)
            .into_iter()
            .filter(|p| p.year == year && !needle.is_empty() && fold(&p.description).contains(&needle))
            .map(|p| p.start)
            .min()
            .ok_or_else(|| self.holiday_unknown(what, year, scope))
    }

    /// The holidays of `year` in an académie or zone, in order (rows for
    /// pupils, each once).
    pub fn holidays_in(&self, year: SchoolYear, scope: impl Into<Scope>) -> Vec<&Period> {
        let mut rows: Vec<&Period> = self
            .pupil_rows(scope.into())
            .into_iter()
            .filter(|p| p.year == year)
            .collect();
        rows.sort_by_key(|p| (p.start, p.end, p.line));
        rows
    }

    /// The rows for pupils that cover `date`: whole holidays, and days off
    /// for a level or part of the académie only. `Err` outside the
    /// published data.
    pub fn holidays_on(&self, date: NaiveDate, scope: impl Into<Scope>) -> Result<Vec<&Period>, SchoolError> {
        let scope = scope.into();
        self.check_covered(date, scope)?;
        Ok(self
            .pupil_rows(scope)
            .into_iter()
            .filter(|p| p.covers(date))
            .collect())
    }

    /// Whether every pupil of the académie or zone is on school holidays on
    /// `date` (weekends aside). A day off for part of the pupils only (one
    /// school level, Saint-Martin...) answers `false`; see
    /// [`Self::holidays_on`]. `Err` outside the published data.
    pub fn in_holidays(&self, date: NaiveDate, scope: impl Into<Scope>) -> Result<bool, SchoolError> {
        let rows = self.holidays_on(date, scope)?;
        let covered = rows.iter().fold(0, |acc, p| acc | p.pupils);
        Ok(covered == ALL_PUPILS)
    }

    /// Dates the data answers for: within a published school year, or the
    /// first day of long holidays whose end is not published yet.
    fn check_covered(&self, date: NaiveDate, scope: Scope) -> Result<(), SchoolError> {
        match self.school_year_in(date, scope) {
            Ok(_) => Ok(()),
            Err(e @ SchoolError::BeyondData { .. }) => {
                let opening = self
                    .pupil_rows(scope)
                    .iter()
                    .any(|p| p.is_summer() && p.is_start_only() && p.start == date);
                if opening { Ok(()) } else { Err(e) }
            }
            Err(e) => Err(e),
        }
    }

    /// The zone the dataset gives an académie for `year`; today's zoning
    /// when the year has no row for it.
    pub fn zone_of(&self, academie: Academie, year: SchoolYear) -> SchoolZone {
        self.periods
            .iter()
            .find(|p| p.academie == academie && p.year == year)
            .map_or_else(|| academie.zone(), |p| p.zone)
    }

    // ----- metropolitan questions (zones A, B and C together) ---------------

    /// Asks each metropolitan zone; they must agree.
    fn metropole<T: PartialEq>(
        &self,
        what: impl Fn() -> String,
        ask: impl Fn(Scope) -> Result<T, SchoolError>,
    ) -> Result<T, SchoolError> {
        let mut answer: Option<T> = None;
        for zone in [Zone::A, Zone::B, Zone::C] {
            let a = ask(zone.into()).map_err(|e| e.about(METROPOLE))?;
            match &answer {
                Some(prev) if *prev != a => return Err(SchoolError::ZonesDiffer { what: what() }),
                Some(_) => {}
                None => answer = Some(a),
            }
        }
        answer.ok_or_else(|| SchoolError::NoData {
            place: METROPOLE.into(),
            as_of: self.as_of_words(),
        })
    }

    fn check_territory(calendar: CalendarId) -> Result<(), SchoolError> {
        match calendar {
            CalendarId::Metropole | CalendarId::AlsaceMoselle => Ok(()),
            other => Err(SchoolError::Territory(other)),
        }
    }

    /// The school year `date` belongs to in metropolitan France: from a
    /// rentrée to the day before the next one (July and August belong to the
    /// year that is ending). Overseas calendars are refused: ask
    /// [`Self::school_year_in`] with the académie.
    pub fn school_year(&self, date: NaiveDate, calendar: CalendarId) -> Result<SchoolYear, SchoolError> {
        Self::check_territory(calendar)?;
        self.metropole(
            || format!("année scolaire du {}", long_date(date)),
            |z| self.school_year_in(date, z),
        )
    }

    /// The metropolitan rentrée that opens `year`.
    pub fn rentree(&self, year: SchoolYear) -> Result<NaiveDate, SchoolError> {
        self.metropole(|| format!("rentrée {year}"), |z| self.rentree_in(year, z))
    }

    /// The first metropolitan rentrée after the school year `date` belongs to.
    pub fn next_rentree(&self, date: NaiveDate, calendar: CalendarId) -> Result<NaiveDate, SchoolError> {
        let year = self.school_year(date, calendar)?;
        self.rentree(SchoolYear(year.0 + 1))
    }

    /// The first day of the holiday named `what` ("été", "hiver"..., any
    /// case) in `year` for a metropolitan `zone`.
    pub fn holiday_start(&self, what: &str, year: SchoolYear, zone: Zone) -> Result<NaiveDate, SchoolError> {
        self.holiday_start_in(what, year, zone)
    }
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::d;
    use Academie as Ac;

    fn cal() -> &'static SchoolCalendar {
        static CAL: std::sync::LazyLock<SchoolCalendar> = std::sync::LazyLock::new(SchoolCalendar::embedded);
        &CAL
    }

    /// Every zone and académie the dataset has.
    #[test]
    fn snapshot_covers_every_zone_and_academie() {
        let cal = cal();
        for z in SchoolZone::ALL {
            assert!(cal.periods().iter().any(|p| p.zone == z), "{z:?}");
        }
        for a in Ac::ALL {
            assert!(cal.periods().iter().any(|p| p.academie == a), "{a:?}");
        }
        // 2019-2020 is there for every territory, winter and spring included.
        for a in Ac::ALL {
            let y = if a.zone().calendar_year_based() {
                2020
            } else {
                2019
            };
            assert!(cal.rentree_in(SchoolYear(y), a).is_ok(), "{a:?}");
        }
        for z in [SchoolZone::A, SchoolZone::B, SchoolZone::C, SchoolZone::Corse] {
            for y in 2019..=2025 {
                assert!(
                    cal.holiday_start_in("hiver", SchoolYear(y), z).is_ok(),
                    "{z:?} {y}"
                );
                assert!(
                    cal.holiday_start_in("printemps", SchoolYear(y), z).is_ok(),
                    "{z:?} {y}"
                );
            }
        }
    }

    /// One rentrée per school year and territory; each long holiday ends on
    /// the next rentrée; the rentrées follow one another.
    #[test]
    fn embedded_snapshot_is_consistent() {
        let cal = cal();
        for a in Ac::ALL {
            let rentrees = cal.rentrees_in(a);
            assert!(!rentrees.is_empty(), "{a:?}");
            for w in rentrees.windows(2) {
                assert_eq!(w[1].0.0, w[0].0.0 + 1, "{a:?}: a year is missing");
                assert!(w[1].1 > w[0].1, "{a:?}");
            }
            for p in cal.periods().iter().filter(|p| p.academie == a) {
                if let Some(resume) = p.resume {
                    assert!(resume > p.start, "{p:?}");
                }
                if p.is_summer() && p.concerns_all_pupils() && !p.is_start_only() {
                    assert_eq!(cal.rentree_in(SchoolYear(p.year.0 + 1), a), Ok(p.end), "{p:?}");
                }
                // Every holiday lies between its year's rentrée and the next.
                if let Ok(r) = cal.rentree_in(p.year, a) {
                    assert!(p.start >= r, "{p:?} starts before the rentrée {r}");
                }
                if let Ok(next) = cal.rentree_in(SchoolYear(p.year.0 + 1), a) {
                    assert!(p.start < next, "{p:?} starts after the next rentrée {next}");
                }
            }
        }
        // Each académie of a zone has the zone's dates.
        for a in Ac::ALL {
            for (year, r) in cal.rentrees_in(a) {
                let zone = cal.zone_of(a, SchoolYear(year.0 - 1));
                assert_eq!(cal.rentree_in(year, zone), Ok(r), "{a:?} {year}");
            }
        }
    }

    #[test]
    fn metropolitan_rentrees_of_the_brief() {
        let cal = cal();
        let years: Vec<_> = (2019..=2026).map(|y| cal.rentree(SchoolYear(y))).collect();
        assert_eq!(
            years,
            [
                "2019-09-02",
                "2020-09-01",
                "2021-09-02",
                "2022-09-01",
                "2023-09-04",
                "2024-09-02",
                "2025-09-01",
                "2026-09-01"
            ]
            .map(|s| Ok::<_, SchoolError>(d(s)))
        );
        assert!(matches!(
            cal.rentree(SchoolYear(2027)),
            Err(SchoolError::RentreeUnknown { .. })
        ));
        for z in [Zone::A, Zone::B, Zone::C] {
            assert_eq!(cal.rentree_in(SchoolYear(2026), z), Ok(d("2026-09-01")));
        }
        assert_eq!(cal.rentree_in(SchoolYear(2026), Ac::Paris), Ok(d("2026-09-01")));
    }

    #[test]
    fn school_year_membership() {
        let cal = cal();
        let m = CalendarId::Metropole;
        assert_eq!(cal.school_year(d("2026-03-05"), m), Ok(SchoolYear(2025)));
        assert_eq!(cal.school_year(d("2025-08-31"), m), Ok(SchoolYear(2024)));
        assert_eq!(cal.school_year(d("2025-09-01"), m), Ok(SchoolYear(2025)));
        // July and August belong to the year that is ending.
        assert_eq!(cal.school_year(d("2026-08-31"), m), Ok(SchoolYear(2025)));
        assert_eq!(cal.school_year(d("2026-09-01"), m), Ok(SchoolYear(2026)));
        assert_eq!(cal.school_year(d("2027-07-02"), m), Ok(SchoolYear(2026)));
        assert_eq!(
            cal.school_year(d("2019-09-02"), CalendarId::AlsaceMoselle),
            Ok(SchoolYear(2019))
        );
        assert_eq!(SchoolYear(2025).to_string(), "2025-2026");
    }

    #[test]
    fn termination_question_of_june_2023_is_answered() {
        let cal = cal();
        let m = CalendarId::Metropole;
        assert_eq!(cal.school_year(d("2023-06-15"), m), Ok(SchoolYear(2022)));
        assert_eq!(cal.next_rentree(d("2023-06-15"), m), Ok(d("2023-09-04")));
        assert_eq!(
            cal.next_rentree_in(d("2023-06-15"), Ac::Lyon),
            Ok(d("2023-09-04"))
        );
        // In Corse, the rentrée of 2023 was a day later.
        assert_eq!(
            cal.next_rentree_in(d("2023-06-15"), Ac::Corse),
            Ok(d("2023-09-05"))
        );
    }

    #[test]
    fn refuses_to_extrapolate() {
        let cal = cal();
        let m = CalendarId::Metropole;
        assert!(matches!(
            cal.school_year(d("2027-07-03"), m),
            Err(SchoolError::BeyondData { .. })
        ));
        assert!(matches!(
            cal.school_year(d("2019-01-01"), m),
            Err(SchoolError::BeforeData { .. })
        ));
        assert!(matches!(
            cal.next_rentree(d("2027-01-10"), m),
            Err(SchoolError::RentreeUnknown { .. })
        ));
        // The metropolitan functions do not answer for overseas territories.
        let e = cal
            .school_year(d("2026-03-05"), CalendarId::Reunion)
            .expect_err("overseas");
        assert!(matches!(e, SchoolError::Territory(_)));
        assert!(e.to_string().contains("pas de calendrier scolaire"), "{e}");
        let msg = cal
            .next_rentree(d("2027-01-10"), m)
            .expect_err("unknown")
            .to_string();
        assert!(msg.contains("2027-2028") && msg.contains("métropole"), "{msg}");
        // By académie: Corse has no rentrée 2026 yet, La Réunion neither.
        assert!(matches!(
            cal.school_year_in(d("2026-07-04"), Ac::Corse),
            Err(SchoolError::BeyondData { .. })
        ));
        assert_eq!(
            cal.school_year_in(d("2026-07-03"), Ac::Corse),
            Ok(SchoolYear(2025))
        );
        let e = cal
            .rentree_in(SchoolYear(2026), Ac::Reunion)
            .expect_err("unpublished");
        assert!(e.to_string().contains("La Réunion"), "{e}");
        let e = cal
            .rentree_in(SchoolYear(2026), SchoolZone::Corse)
            .expect_err("unpublished");
        assert!(e.to_string().contains("pour la Corse"), "{e}");
        // Mayotte's rentrée 2026 is published, not its 2026-2027 holidays.
        assert_eq!(cal.rentree_in(SchoolYear(2026), Ac::Mayotte), Ok(d("2026-08-24")));
        assert!(matches!(
            cal.in_holidays(d("2026-10-20"), Ac::Mayotte),
            Err(SchoolError::BeyondData { .. })
        ));
        assert!(matches!(
            cal.in_holidays(d("2019-06-01"), Ac::Paris),
            Err(SchoolError::BeforeData { .. })
        ));
        let e = cal
            .school_year_in(d("2030-01-01"), Ac::NouvelleCaledonie)
            .expect_err("beyond");
        assert!(e.to_string().contains("Nouvelle-Calédonie"), "{e}");
    }

    #[test]
    fn holidays_by_zone() {
        let cal = cal();
        assert_eq!(
            cal.holiday_start("hiver", SchoolYear(2025), Zone::C),
            Ok(d("2026-02-21"))
        );
        assert_eq!(
            cal.holiday_start("été", SchoolYear(2025), Zone::A),
            Ok(d("2026-07-04"))
        );
        // 2026-2027 winter and spring are published.
        assert_eq!(
            cal.holiday_start("hiver", SchoolYear(2026), Zone::A),
            Ok(d("2027-02-13"))
        );
        assert_eq!(
            cal.holiday_start("hiver", SchoolYear(2026), Zone::B),
            Ok(d("2027-02-20"))
        );
        assert_eq!(
            cal.holiday_start("hiver", SchoolYear(2026), Zone::C),
            Ok(d("2027-02-06"))
        );
        assert_eq!(
            cal.holiday_start("printemps", SchoolYear(2026), Zone::A),
            Ok(d("2027-04-10"))
        );
        assert_eq!(
            cal.holiday_start("printemps", SchoolYear(2026), Zone::B),
            Ok(d("2027-04-17"))
        );
        assert_eq!(
            cal.holiday_start("printemps", SchoolYear(2026), Zone::C),
            Ok(d("2027-04-03"))
        );
        assert_eq!(
            cal.holiday_start("été", SchoolYear(2026), Zone::B),
            Ok(d("2027-07-03"))
        );
        assert!(cal.holiday_start("hiver", SchoolYear(2027), Zone::A).is_err());
        assert!(cal.holiday_start("", SchoolYear(2025), Zone::A).is_err());
        // 2019-2020.
        assert_eq!(
            cal.holiday_start("hiver", SchoolYear(2019), Zone::A),
            Ok(d("2020-02-22"))
        );
        assert_eq!(
            cal.holiday_start("hiver", SchoolYear(2019), Zone::B),
            Ok(d("2020-02-15"))
        );
        assert_eq!(
            cal.holiday_start("hiver", SchoolYear(2019), Zone::C),
            Ok(d("2020-02-08"))
        );
        // Paris is in zone C, Lyon in zone A.
        assert_eq!(
            cal.holiday_start_in("hiver", SchoolYear(2025), Ac::Paris),
            Ok(d("2026-02-21"))
        );
        assert_eq!(
            cal.holiday_start_in("Hiver", SchoolYear(2025), Ac::Lyon),
            Ok(d("2026-02-07"))
        );
    }

    #[test]
    fn in_holidays_metropole() {
        let cal = cal();
        let paris = Ac::Paris;
        // Toussaint 2025: from Saturday 18 October, classes resume Monday 3 November.
        assert_eq!(cal.in_holidays(d("2025-10-17"), paris), Ok(false));
        assert_eq!(cal.in_holidays(d("2025-10-18"), paris), Ok(true));
        assert_eq!(cal.in_holidays(d("2025-11-02"), paris), Ok(true));
        assert_eq!(cal.in_holidays(d("2025-11-03"), paris), Ok(false));
        // Winter 2026 differs by zone.
        assert_eq!(cal.in_holidays(d("2026-02-10"), Ac::Lyon), Ok(true));
        assert_eq!(cal.in_holidays(d("2026-02-10"), paris), Ok(false));
        assert_eq!(cal.in_holidays(d("2026-02-10"), Zone::A), Ok(true));
        // Ascension bridge 2026: Thursday 14 to Sunday 17 May.
        assert_eq!(cal.in_holidays(d("2026-05-15"), paris), Ok(true));
        assert_eq!(cal.in_holidays(d("2026-05-18"), paris), Ok(false));
        // Ascension bridge 2027 is one day, Friday 7 May.
        assert_eq!(cal.in_holidays(d("2027-05-07"), paris), Ok(true));
        assert_eq!(cal.in_holidays(d("2027-05-10"), paris), Ok(false));
        // Summer 2026 until the rentrée of Tuesday 1 September.
        assert_eq!(cal.in_holidays(d("2026-08-31"), paris), Ok(true));
        assert_eq!(cal.in_holidays(d("2026-09-01"), paris), Ok(false));
        // The first day of summer 2027 is published, not its end.
        assert_eq!(cal.in_holidays(d("2027-07-03"), paris), Ok(true));
        assert!(matches!(
            cal.in_holidays(d("2027-07-04"), paris),
            Err(SchoolError::BeyondData { .. })
        ));
    }

    #[test]
    fn corse() {
        let cal = cal();
        let c = Ac::Corse;
        assert_eq!(cal.rentree_in(SchoolYear(2019), c), Ok(d("2019-09-03")));
        assert_eq!(cal.rentree_in(SchoolYear(2024), c), Ok(d("2024-09-05")));
        assert_eq!(cal.rentree_in(SchoolYear(2025), c), Ok(d("2025-09-02")));
        assert_eq!(
            cal.holiday_start_in("hiver", SchoolYear(2025), c),
            Ok(d("2026-02-14"))
        );
        assert_eq!(
            cal.holiday_start_in("printemps", SchoolYear(2025), c),
            Ok(d("2026-04-11"))
        );
        // Pentecost Monday 2024 was off in Corse, not in metropole.
        assert_eq!(cal.in_holidays(d("2024-05-20"), c), Ok(true));
        assert_eq!(cal.in_holidays(d("2024-05-20"), Ac::Paris), Ok(false));
        assert_eq!(cal.school_year_in(d("2025-09-01"), c), Ok(SchoolYear(2024)));
        assert_eq!(cal.school_year_in(d("2025-09-02"), c), Ok(SchoolYear(2025)));
        assert_eq!(cal.zone_of(c, SchoolYear(2025)), SchoolZone::Corse);
    }

    #[test]
    fn la_reunion_southern_calendar() {
        let cal = cal();
        let r = Ac::Reunion;
        // Rentrée mid-August, long holidays in the austral winter.
        assert_eq!(cal.rentree_in(SchoolYear(2019), r), Ok(d("2019-08-16")));
        assert_eq!(cal.rentree_in(SchoolYear(2024), r), Ok(d("2024-08-19")));
        assert_eq!(cal.rentree_in(SchoolYear(2025), r), Ok(d("2025-08-19")));
        assert_eq!(cal.school_year_in(d("2025-08-18"), r), Ok(SchoolYear(2024)));
        assert_eq!(cal.school_year_in(d("2025-08-19"), r), Ok(SchoolYear(2025)));
        assert_eq!(cal.summer_start_in(SchoolYear(2024), r), Ok(d("2025-07-05")));
        // Austral summer holidays: 19 December 2025 to 20 January 2026.
        assert_eq!(cal.in_holidays(d("2026-01-20"), r), Ok(true));
        assert_eq!(cal.in_holidays(d("2026-01-21"), r), Ok(false));
        // Metropolitan pupils are back on 5 January, Réunion's are not.
        assert_eq!(cal.in_holidays(d("2026-01-06"), Ac::Paris), Ok(false));
        assert_eq!(cal.in_holidays(d("2026-01-06"), r), Ok(true));
        assert_eq!(cal.school_year_in(d("2026-07-03"), r), Ok(SchoolYear(2025)));
        assert!(cal.school_year_in(d("2026-08-20"), r).is_err());
    }

    #[test]
    fn mayotte() {
        let cal = cal();
        let m = Ac::Mayotte;
        assert_eq!(cal.rentree_in(SchoolYear(2019), m), Ok(d("2019-08-23")));
        assert_eq!(cal.rentree_in(SchoolYear(2025), m), Ok(d("2025-08-25")));
        assert_eq!(
            cal.holiday_start_in("Carnaval", SchoolYear(2025), m),
            Ok(d("2026-02-28"))
        );
        // Christmas holidays from 13 December 2025 to 11 January 2026.
        assert_eq!(cal.in_holidays(d("2025-12-12"), m), Ok(false));
        assert_eq!(cal.in_holidays(d("2025-12-13"), m), Ok(true));
        assert_eq!(cal.in_holidays(d("2026-01-11"), m), Ok(true));
        assert_eq!(cal.in_holidays(d("2026-01-12"), m), Ok(false));
        assert_eq!(cal.school_year_in(d("2026-08-23"), m), Ok(SchoolYear(2025)));
    }

    #[test]
    fn guadeloupe_and_its_parts() {
        let cal = cal();
        let g = Ac::Guadeloupe;
        assert_eq!(cal.rentree_in(SchoolYear(2021), g), Ok(d("2021-09-13")));
        assert_eq!(cal.rentree_in(SchoolYear(2025), g), Ok(d("2025-09-01")));
        assert_eq!(
            cal.holiday_start_in("Carnaval", SchoolYear(2025), g),
            Ok(d("2026-02-07"))
        );
        assert_eq!(
            cal.holiday_start_in("Pâques", SchoolYear(2025), g),
            Ok(d("2026-04-02"))
        );
        // Mi-carême 2026 is off in Guadeloupe and Saint-Martin, not in
        // Saint-Barthélemy: not a holiday of the whole académie.
        assert_eq!(cal.in_holidays(d("2026-03-12"), g), Ok(false));
        let rows = cal.holidays_on(d("2026-03-12"), g).expect("covered");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].description, "Mi-carême");
        assert!(!rows[0].concerns_all_pupils());
        assert_eq!(cal.in_holidays(d("2026-02-10"), g), Ok(true));
        assert_eq!(
            Academie::of_calendar(CalendarId::SaintMartin).map(|a| cal.rentree_in(SchoolYear(2025), a)),
            Some(Ok(d("2025-09-01")))
        );
    }

    #[test]
    fn pacific_and_saint_pierre() {
        let cal = cal();
        // Nouvelle-Calédonie: the school year is the calendar year.
        let nc = Ac::NouvelleCaledonie;
        assert_eq!(cal.rentree_in(SchoolYear(2025), nc), Ok(d("2025-02-17")));
        assert_eq!(cal.school_year_in(d("2025-06-01"), nc), Ok(SchoolYear(2025)));
        assert_eq!(cal.school_year_in(d("2025-02-16"), nc), Ok(SchoolYear(2024)));
        let e = cal.rentree_in(SchoolYear(2026), nc).expect_err("unpublished");
        assert!(e.to_string().contains("année scolaire 2026 "), "{e}");
        // Polynésie: levels go back on different days; the rentrée is the first.
        assert_eq!(
            cal.rentree_in(SchoolYear(2025), Ac::Polynesie),
            Ok(d("2025-08-12"))
        );
        assert_eq!(cal.in_holidays(d("2025-08-12"), Ac::Polynesie), Ok(false));
        assert_eq!(cal.in_holidays(d("2025-08-11"), Ac::Polynesie), Ok(true));
        // Saint-Pierre-et-Miquelon.
        let spm = Ac::SaintPierreEtMiquelon;
        assert_eq!(cal.rentree_in(SchoolYear(2025), spm), Ok(d("2025-09-02")));
        assert_eq!(
            cal.holiday_start_in("hiver", SchoolYear(2025), spm),
            Ok(d("2026-02-13"))
        );
    }

    #[test]
    fn normandie_follows_caen_and_rouen_before_the_merger() {
        let cal = cal();
        assert_eq!(
            cal.rentree_in(SchoolYear(2019), Ac::Normandie),
            Ok(d("2019-09-02"))
        );
        assert_eq!(cal.in_holidays(d("2019-10-25"), Ac::Normandie), Ok(true));
        assert_eq!(cal.zone_of(Ac::Normandie, SchoolYear(2019)), SchoolZone::B);
    }

    #[test]
    fn reads_both_export_headers_and_rejects_bad_data_with_line_numbers() {
        let ok = "description;start_date;end_date;location;zones;annee_scolaire;population\n\
                  Vacances d'Été;2025-07-04T22:00:00+00:00;2025-08-31T22:00:00+00:00;Lyon;Zone A;2024-2025;Élèves\n";
        let cal = SchoolCalendar::parse(ok, "x").expect("valid");
        assert_eq!(cal.rentree_in(SchoolYear(2025), Ac::Lyon), Ok(d("2025-09-01")));
        assert_eq!(
            cal.rentree_in(SchoolYear(2025), Ac::Paris).map_err(|_| ()),
            Err(())
        );
        assert!(matches!(
            cal.school_year_in(d("2025-10-01"), Ac::Paris),
            Err(SchoolError::NoData { .. })
        ));
        let head = "Description;Population;Date de début;Date de fin;Académies;Zones;annee_scolaire\n";
        let summer = "Vacances d'Été;Élèves;2025-07-05T00:00:00+02:00;2025-09-01T00:00:00+02:00;Lyon;Zone A;2024-2025\n";
        let cases = [
            (
                "Vacances;-;2025-10-18;2025-11-03;Lyon;Zone D;2025-2026\n",
                "zone inconnue",
            ),
            (
                "Vacances;-;2025-10-18;2025-11-03;Atlantide;Zone A;2025-2026\n",
                "académie inconnue",
            ),
            (
                "Vacances;Parents;2025-10-18;2025-11-03;Lyon;Zone A;2025-2026\n",
                "population inconnue",
            ),
            (
                "Vacances;-;18/10/2025;2025-11-03;Lyon;Zone A;2025-2026\n",
                "date invalide",
            ),
            (
                "Vacances;-;2025-11-03;2025-10-18;Lyon;Zone A;2025-2026\n",
                "avant le début",
            ),
            (
                "Vacances;-;2025-10-18;2025-11-03;Lyon;Zone A;2025\n",
                "année scolaire invalide",
            ),
            ("Vacances;-;2025-10-18;2025-11-03;Lyon;Zone A\n", "colonnes"),
            (
                "Vacances;-;2025-10-18;2025-11-03;Lyon;Zone B;2024-2025\n",
                "est en",
            ),
            (
                "Vacances d'Été;Élèves;2025-07-05;2025-09-02;Lyon;Zone A;2024-2025\n",
                "deux rentrées",
            ),
            (
                "Vacances d'Été;Élèves;2024-07-05;2024-09-02;Dijon;Zone A;2024-2025\n",
                "la rentrée devrait",
            ),
        ];
        for (row, why) in cases {
            let csv = format!("{head}{summer}{row}");
            match SchoolCalendar::parse(&csv, "x") {
                Err(SchoolError::Data { line, why: w }) => {
                    assert_eq!(line, 3, "{row}");
                    assert!(w.contains(why), "{w} / {why}");
                }
                other => panic!("unexpected {other:?} for {row}"),
            }
        }
        assert!(SchoolCalendar::parse("", "x").is_err());
        assert!(SchoolCalendar::parse(head, "x").is_err());
        assert!(SchoolCalendar::parse("a;b\n1;2\n", "x").is_err());
    }

    #[test]
    fn dates_are_read_in_paris_time() {
        // The API serves UTC instants of Paris midnights; the label export,
        // local instants. Both give the same days.
        assert_eq!(paris_date("2025-10-17T22:00:00+00:00"), Some(d("2025-10-18")));
        assert_eq!(paris_date("2025-11-02T23:00:00+00:00"), Some(d("2025-11-03")));
        assert_eq!(paris_date("2025-10-18T00:00:00+02:00"), Some(d("2025-10-18")));
        assert_eq!(paris_date("2025-10-18"), Some(d("2025-10-18")));
        assert_eq!(paris_date("demain"), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn any_row_never_panics(row in "\\PC{0,200}") {
            let head = "Description;Population;Date de début;Date de fin;Académies;Zones;annee_scolaire\n";
            let _ = SchoolCalendar::parse(&format!("{head}{row}"), "x");
        }

        #[test]
        fn mutated_snapshot_rows_never_panic(n in 1usize..1900, cut in 0usize..200, insert in "\\PC{0,12}") {
            let mut lines: Vec<String> = EMBEDDED_CSV.lines().map(String::from).collect();
            let count = lines.len();
            let line = &mut lines[n % count];
            let at = line.char_indices().map(|(i, _)| i).nth(cut % line.chars().count().max(1)).unwrap_or(0);
            line.insert_str(at, &insert);
            if let Ok(cal) = SchoolCalendar::parse(&lines.join("\n"), "x") {
                let _ = cal.school_year_in(d("2024-03-01"), Ac::Paris);
            }
        }

        #[test]
        fn any_question_never_panics(days in -3_000_000i64..3_000_000, a in 0usize..34, y: i32) {
            let cal = cal();
            let date = d("2020-01-01")
                .checked_add_signed(chrono::TimeDelta::days(days))
                .unwrap_or(NaiveDate::MAX);
            let academie = Ac::ALL[a % Ac::ALL.len()];
            let year = SchoolYear(y);
            let _ = cal.school_year_in(date, academie);
            let _ = cal.next_rentree_in(date, academie);
            let _ = cal.in_holidays(date, academie).map_err(|e| e.to_string());
            let _ = cal.rentree_in(year, academie).map_err(|e| e.to_string());
            let _ = cal.holiday_start_in("hiver", year, academie).map_err(|e| e.to_string());
            let _ = cal.summer_start_in(year, academie.zone());
            let _ = cal.holidays_in(year, academie);
            let _ = cal.school_year(date, CalendarId::Metropole).map_err(|e| e.to_string());
            let _ = cal.next_rentree(date, CalendarId::AlsaceMoselle);
            let _ = cal.rentree(year).map_err(|e| e.to_string());
            let _ = year.to_string();
        }
    }

    #[test]
    fn zone_parsing() {
        assert_eq!("a".parse::<Zone>(), Ok(Zone::A));
        assert_eq!("Zone B".parse::<Zone>(), Ok(Zone::B));
        assert!("D".parse::<Zone>().is_err());
    }
}
