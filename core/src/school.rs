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
mod tests;
