//! Working-day calendars: French public holidays (metropole, Alsace-Moselle,
//! overseas), weekends and per-site closed days.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Re-exported so adapters name time zones without depending on chrono-tz.
pub use chrono_tz::Tz;

/// The territories whose public holidays differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CalendarId {
    Metropole,
    AlsaceMoselle,
    Guadeloupe,
    Martinique,
    Guyane,
    Reunion,
    Mayotte,
    SaintMartin,
    SaintBarthelemy,
}

impl CalendarId {
    pub const ALL: [CalendarId; 9] = [
        CalendarId::Metropole,
        CalendarId::AlsaceMoselle,
        CalendarId::Guadeloupe,
        CalendarId::Martinique,
        CalendarId::Guyane,
        CalendarId::Reunion,
        CalendarId::Mayotte,
        CalendarId::SaintMartin,
        CalendarId::SaintBarthelemy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CalendarId::Metropole => "metropole",
            CalendarId::AlsaceMoselle => "alsace-moselle",
            CalendarId::Guadeloupe => "guadeloupe",
            CalendarId::Martinique => "martinique",
            CalendarId::Guyane => "guyane",
            CalendarId::Reunion => "reunion",
            CalendarId::Mayotte => "mayotte",
            CalendarId::SaintMartin => "saint-martin",
            CalendarId::SaintBarthelemy => "saint-barthelemy",
        }
    }

    /// The IANA zone in which a deadline of this territory expires at 24:00.
    pub fn time_zone(self) -> chrono_tz::Tz {
        use chrono_tz::{America, Europe, Indian};
        match self {
            CalendarId::Metropole | CalendarId::AlsaceMoselle => Europe::Paris,
            CalendarId::Guadeloupe => America::Guadeloupe,
            CalendarId::Martinique => America::Martinique,
            CalendarId::Guyane => America::Cayenne,
            CalendarId::Reunion => Indian::Reunion,
            CalendarId::Mayotte => Indian::Mayotte,
            CalendarId::SaintMartin => America::Marigot,
            CalendarId::SaintBarthelemy => America::St_Barthelemy,
        }
    }

    /// The territory with its preposition, for sentences: "jours fériés
    /// de métropole", "d'Alsace-Moselle", "de La Réunion".
    pub fn of_territory(self) -> &'static str {
        match self {
            CalendarId::Metropole => "de métropole",
            CalendarId::AlsaceMoselle => "d'Alsace-Moselle",
            CalendarId::Guadeloupe => "de la Guadeloupe",
            CalendarId::Martinique => "de la Martinique",
            CalendarId::Guyane => "de la Guyane",
            CalendarId::Reunion => "de La Réunion",
            CalendarId::Mayotte => "de Mayotte",
            CalendarId::SaintMartin => "de Saint-Martin",
            CalendarId::SaintBarthelemy => "de Saint-Barthélemy",
        }
    }

    /// The zone of [`Self::time_zone`] as people name it ("heure de
    /// Paris"), rather than its IANA identifier.
    pub fn time_name(self) -> &'static str {
        match self {
            CalendarId::Metropole | CalendarId::AlsaceMoselle => "heure de Paris",
            CalendarId::Guadeloupe => "heure de la Guadeloupe",
            CalendarId::Martinique => "heure de la Martinique",
            CalendarId::Guyane => "heure de la Guyane",
            CalendarId::Reunion => "heure de La Réunion",
            CalendarId::Mayotte => "heure de Mayotte",
            CalendarId::SaintMartin => "heure de Saint-Martin",
            CalendarId::SaintBarthelemy => "heure de Saint-Barthélemy",
        }
    }

    /// Day and month of the abolition-of-slavery holiday, where there is one.
    fn abolition_day(self) -> Option<(u32, u32)> {
        match self {
            CalendarId::Mayotte => Some((4, 27)),
            CalendarId::Martinique => Some((5, 22)),
            CalendarId::Guadeloupe => Some((5, 27)),
            CalendarId::SaintMartin => Some((5, 28)),
            CalendarId::Guyane => Some((6, 10)),
            CalendarId::SaintBarthelemy => Some((10, 9)),
            CalendarId::Reunion => Some((12, 20)),
            CalendarId::Metropole | CalendarId::AlsaceMoselle => None,
        }
    }
}

impl fmt::Display for CalendarId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "calendrier inconnu « {0} » : attendu metropole, alsace-moselle, guadeloupe, martinique, guyane, reunion, mayotte, saint-martin ou saint-barthelemy"
)]
pub struct UnknownCalendar(pub String);

impl FromStr for CalendarId {
    type Err = UnknownCalendar;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CalendarId::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| UnknownCalendar(s.to_string()))
    }
}

/// Why a day is not a working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NonWorking {
    Saturday,
    Sunday,
    Holiday(&'static str),
    Closed(String),
}

impl fmt::Display for NonWorking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NonWorking::Saturday => f.write_str("samedi"),
            NonWorking::Sunday => f.write_str("dimanche"),
            NonWorking::Holiday(name) => write!(f, "jour férié ({name})"),
            NonWorking::Closed(label) => write!(f, "fermeture du service ({label})"),
        }
    }
}

/// A working-day calendar: a territory's holidays plus a site's own closures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub id: CalendarId,
    /// Good Friday is a holiday in Alsace-Moselle communes with a Protestant
    /// temple or mixed church; on by default for that calendar.
    pub good_friday: bool,
    /// Days a site is closed (bridge days...), with a label for explanations.
    pub closed_days: BTreeMap<NaiveDate, String>,
}

impl Calendar {
    pub fn new(id: CalendarId) -> Self {
        Calendar {
            id,
            good_friday: id == CalendarId::AlsaceMoselle,
            closed_days: BTreeMap::new(),
        }
    }

    pub fn with_good_friday(mut self, on: bool) -> Self {
        self.good_friday = on;
        self
    }

    pub fn with_closed_day(mut self, day: NaiveDate, label: impl Into<String>) -> Self {
        self.closed_days.insert(day, label.into());
        self
    }

    /// The public holiday on `date`, if any, by its French name.
    pub fn holiday(&self, date: NaiveDate) -> Option<&'static str> {
        let (m, d) = (date.month(), date.day());
        let fixed = match (m, d) {
            (1, 1) => Some("jour de l'an"),
            (5, 1) => Some("fête du Travail"),
            (5, 8) => Some("victoire de 1945"),
            (7, 14) => Some("fête nationale"),
            (8, 15) => Some("Assomption"),
            (11, 1) => Some("Toussaint"),
            (11, 11) => Some("armistice de 1918"),
            (12, 25) => Some("Noël"),
            (12, 26) if self.id == CalendarId::AlsaceMoselle => Some("Saint-Étienne"),
            _ => None,
        };
        if fixed.is_some() {
            return fixed;
        }
        if self.id.abolition_day() == Some((m, d)) {
            return Some("abolition de l'esclavage");
        }
        let easter = easter_sunday(date.year())?;
        let offset = date.signed_duration_since(easter).num_days();
        match offset {
            -2 if self.good_friday => Some("Vendredi saint"),
            1 => Some("lundi de Pâques"),
            39 => Some("Ascension"),
            50 => Some("lundi de Pentecôte"),
            _ => None,
        }
    }

    /// Why `date` is not a working day, or `None` if it is one.
    pub fn non_working(&self, date: NaiveDate) -> Option<NonWorking> {
        match date.weekday() {
            Weekday::Sat => return Some(NonWorking::Saturday),
            Weekday::Sun => return Some(NonWorking::Sunday),
            _ => {}
        }
        if let Some(name) = self.holiday(date) {
            return Some(NonWorking::Holiday(name));
        }
        self.closed_days
            .get(&date)
            .map(|label| NonWorking::Closed(label.clone()))
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.non_working(date).is_none()
    }

    /// The `n`-th working day strictly after (`n > 0`) or before (`n < 0`)
    /// `date`; `date` itself for 0. `None` past the supported date range.
    pub fn add_working_days(&self, date: NaiveDate, n: i64) -> Option<NaiveDate> {
        let mut d = date;
        let mut left = n.unsigned_abs();
        while left > 0 {
            d = if n > 0 { d.succ_opt()? } else { d.pred_opt()? };
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        Some(d)
    }

    /// Working days from `from` (excluded) to `to` (included); negative if
    /// `to` is before `from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (lo, hi, sign) = if from <= to { (from, to, 1) } else { (to, from, -1) };
        let mut count = 0;
        let mut d = lo;
        while d < hi {
            match d.checked_add_days(Days::new(1)) {
                Some(next) => d = next,
                None => break,
            }
            if self.is_working_day(d) {
                count += 1;
            }
        }
        sign * count
    }
}

/// Easter Sunday of `year` in the Gregorian calendar (Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    #[test]
    fn zones_are_named_plainly() {
        for id in CalendarId::ALL {
            assert!(id.time_name().starts_with("heure de "), "{id}");
            assert!(!id.time_name().contains('/'), "{id}");
        }
        assert_eq!(CalendarId::AlsaceMoselle.time_name(), "heure de Paris");
        assert_eq!(CalendarId::Reunion.time_name(), "heure de La Réunion");
    }

    #[test]
    fn easter_matches_known_dates() {
        for (y, m, day) in [
            (2008, 3, 23),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
            (2285, 3, 22),
        ] {
            assert_eq!(easter_sunday(y), Some(d(y, m, day)), "{y}");
        }
    }

    #[test]
    fn metropole_holidays_2026() {
        let cal = Calendar::new(CalendarId::Metropole);
        let holidays: Vec<_> = (1..=365)
            .filter_map(|n| d(2026, 1, 1).checked_add_days(Days::new(n - 1)))
            .filter(|day| cal.holiday(*day).is_some())
            .collect();
        assert_eq!(
            holidays,
            vec![
                d(2026, 1, 1),
                d(2026, 4, 6),
                d(2026, 5, 1),
                d(2026, 5, 8),
                d(2026, 5, 14),
                d(2026, 5, 25),
                d(2026, 7, 14),
                d(2026, 8, 15),
                d(2026, 11, 1),
                d(2026, 11, 11),
                d(2026, 12, 25),
            ]
        );
    }

    #[test]
    fn alsace_moselle_adds_good_friday_and_saint_stephen() {
        let cal = Calendar::new(CalendarId::AlsaceMoselle);
        assert_eq!(cal.holiday(d(2026, 4, 3)), Some("Vendredi saint"));
        assert_eq!(cal.holiday(d(2026, 12, 26)), Some("Saint-Étienne"));
        let without = cal.clone().with_good_friday(false);
        assert_eq!(without.holiday(d(2026, 4, 3)), None);
        assert_eq!(without.holiday(d(2026, 12, 26)), Some("Saint-Étienne"));
        let metro = Calendar::new(CalendarId::Metropole);
        assert_eq!(metro.holiday(d(2026, 4, 3)), None);
        assert_eq!(metro.holiday(d(2026, 12, 26)), None);
    }

    #[test]
    fn overseas_abolition_days() {
        for (id, m, day) in [
            (CalendarId::Mayotte, 4, 27),
            (CalendarId::Martinique, 5, 22),
            (CalendarId::Guadeloupe, 5, 27),
            (CalendarId::SaintMartin, 5, 28),
            (CalendarId::Guyane, 6, 10),
            (CalendarId::SaintBarthelemy, 10, 9),
            (CalendarId::Reunion, 12, 20),
        ] {
            let cal = Calendar::new(id);
            assert_eq!(cal.holiday(d(2027, m, day)), Some("abolition de l'esclavage"));
            let metro = Calendar::new(CalendarId::Metropole);
            assert_eq!(metro.holiday(d(2027, m, day)), None);
        }
    }

    #[test]
    fn closed_days_and_ascension_bridge() {
        let cal = Calendar::new(CalendarId::Metropole);
        // The Friday after Ascension is a working day unless configured.
        assert!(cal.is_working_day(d(2026, 5, 15)));
        let cal = cal.with_closed_day(d(2026, 5, 15), "pont de l'Ascension");
        assert_eq!(
            cal.non_working(d(2026, 5, 15)),
            Some(NonWorking::Closed("pont de l'Ascension".into()))
        );
    }

    #[test]
    fn working_day_arithmetic() {
        let cal = Calendar::new(CalendarId::Metropole);
        // Thu 2 Apr 2026 + 2 working days: Fri 3, (Sat, Sun, Easter Monday) Tue 7.
        assert_eq!(cal.add_working_days(d(2026, 4, 2), 2), Some(d(2026, 4, 7)));
        assert_eq!(cal.add_working_days(d(2026, 4, 7), -2), Some(d(2026, 4, 2)));
        assert_eq!(cal.working_days_between(d(2026, 4, 2), d(2026, 4, 7)), 2);
        assert_eq!(cal.working_days_between(d(2026, 4, 7), d(2026, 4, 2)), -2);
        assert_eq!(cal.add_working_days(d(2026, 4, 2), 0), Some(d(2026, 4, 2)));
    }

    #[test]
    fn parse_calendar_names() {
        assert_eq!("saint-barthelemy".parse(), Ok(CalendarId::SaintBarthelemy));
        assert!("lune".parse::<CalendarId>().is_err());
    }
}
