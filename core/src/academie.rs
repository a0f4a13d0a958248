//! Académies and school-calendar zones: which calendar an establishment
//! follows, from its département (the first three characters of its UAI).
//!
//! The zone given here is today's official zoning (the one of the 2026-2027
//! calendar). The school calendar itself ([`crate::school`]) answers by
//! académie from the rows of the official dataset, which names the académie
//! and its zone on every row: a zone change in some year is followed there,
//! not guessed here.

use std::fmt;
use std::str::FromStr;

use crate::calendar::CalendarId;
use crate::school::{SchoolYear, Zone};

/// A calendar zone, as the `Zones` column of the official dataset names it:
/// the metropolitan zones A, B and C, and each territory with its own
/// calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SchoolZone {
    A,
    B,
    C,
    Corse,
    Guadeloupe,
    Martinique,
    Guyane,
    Reunion,
    Mayotte,
    SaintPierreEtMiquelon,
    Polynesie,
    NouvelleCaledonie,
    WallisEtFutuna,
}

impl SchoolZone {
    pub const ALL: [SchoolZone; 13] = [
        SchoolZone::A,
        SchoolZone::B,
        SchoolZone::C,
        SchoolZone::Corse,
        SchoolZone::Guadeloupe,
        SchoolZone::Martinique,
        SchoolZone::Guyane,
        SchoolZone::Reunion,
        SchoolZone::Mayotte,
        SchoolZone::SaintPierreEtMiquelon,
        SchoolZone::Polynesie,
        SchoolZone::NouvelleCaledonie,
        SchoolZone::WallisEtFutuna,
    ];

    /// The value of the dataset's `Zones` column.
    pub fn dataset_name(self) -> &'static str {
        match self {
            SchoolZone::A => "Zone A",
            SchoolZone::B => "Zone B",
            SchoolZone::C => "Zone C",
            SchoolZone::Corse => "Corse",
            SchoolZone::Guadeloupe => "Guadeloupe",
            SchoolZone::Martinique => "Martinique",
            SchoolZone::Guyane => "Guyane",
            SchoolZone::Reunion => "Réunion",
            SchoolZone::Mayotte => "Mayotte",
            SchoolZone::SaintPierreEtMiquelon => "Saint Pierre et Miquelon",
            SchoolZone::Polynesie => "Polynésie",
            SchoolZone::NouvelleCaledonie => "Nouvelle Calédonie",
            SchoolZone::WallisEtFutuna => "Wallis et Futuna",
        }
    }

    /// Reads the dataset's `Zones` column.
    pub fn from_dataset(name: &str) -> Option<SchoolZone> {
        let name = name.trim();
        SchoolZone::ALL.into_iter().find(|z| z.dataset_name() == name)
    }

    /// The zone in a sentence: "zone A", "La Réunion", "la Corse"...
    pub fn label(self) -> &'static str {
        match self {
            SchoolZone::A => "zone A",
            SchoolZone::B => "zone B",
            SchoolZone::C => "zone C",
            SchoolZone::Corse => "Corse",
            SchoolZone::Guadeloupe => "Guadeloupe",
            SchoolZone::Martinique => "Martinique",
            SchoolZone::Guyane => "Guyane",
            SchoolZone::Reunion => "La Réunion",
            SchoolZone::Mayotte => "Mayotte",
            SchoolZone::SaintPierreEtMiquelon => "Saint-Pierre-et-Miquelon",
            SchoolZone::Polynesie => "Polynésie française",
            SchoolZone::NouvelleCaledonie => "Nouvelle-Calédonie",
            SchoolZone::WallisEtFutuna => "Wallis-et-Futuna",
        }
    }

    /// The metropolitan zone, for A, B and C.
    pub fn metropolitan(self) -> Option<Zone> {
        match self {
            SchoolZone::A => Some(Zone::A),
            SchoolZone::B => Some(Zone::B),
            SchoolZone::C => Some(Zone::C),
            _ => None,
        }
    }

    /// Nouvelle-Calédonie and Wallis-et-Futuna run their school year within
    /// the calendar year (rentrée in February, long holidays from December).
    pub fn calendar_year_based(self) -> bool {
        matches!(self, SchoolZone::NouvelleCaledonie | SchoolZone::WallisEtFutuna)
    }

    /// How the zone names a school year: "2025-2026", or "2026" where the
    /// school year is the calendar year.
    pub fn year_label(self, year: SchoolYear) -> String {
        if self.calendar_year_based() {
            year.0.to_string()
        } else {
            year.to_string()
        }
    }
}

impl From<Zone> for SchoolZone {
    fn from(z: Zone) -> Self {
        match z {
            Zone::A => SchoolZone::A,
            Zone::B => SchoolZone::B,
            Zone::C => SchoolZone::C,
        }
    }
}

impl fmt::Display for SchoolZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// An académie, or for the Pacific and Saint-Pierre-et-Miquelon the
/// vice-rectorat or service that the dataset lists in its `Académies` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Academie {
    AixMarseille,
    Amiens,
    Besancon,
    Bordeaux,
    ClermontFerrand,
    Corse,
    Creteil,
    Dijon,
    Grenoble,
    Lille,
    Limoges,
    Lyon,
    Montpellier,
    NancyMetz,
    Nantes,
    Nice,
    Normandie,
    OrleansTours,
    Paris,
    Poitiers,
    Reims,
    Rennes,
    Strasbourg,
    Toulouse,
    Versailles,
    Guadeloupe,
    Guyane,
    Martinique,
    Mayotte,
    Reunion,
    SaintPierreEtMiquelon,
    Polynesie,
    NouvelleCaledonie,
    WallisEtFutuna,
}

impl Academie {
    pub const ALL: [Academie; 34] = [
        Academie::AixMarseille,
        Academie::Amiens,
        Academie::Besancon,
        Academie::Bordeaux,
        Academie::ClermontFerrand,
        Academie::Corse,
        Academie::Creteil,
        Academie::Dijon,
        Academie::Grenoble,
        Academie::Lille,
        Academie::Limoges,
        Academie::Lyon,
        Academie::Montpellier,
        Academie::NancyMetz,
        Academie::Nantes,
        Academie::Nice,
        Academie::Normandie,
        Academie::OrleansTours,
        Academie::Paris,
        Academie::Poitiers,
        Academie::Reims,
        Academie::Rennes,
        Academie::Strasbourg,
        Academie::Toulouse,
        Academie::Versailles,
        Academie::Guadeloupe,
        Academie::Guyane,
        Academie::Martinique,
        Academie::Mayotte,
        Academie::Reunion,
        Academie::SaintPierreEtMiquelon,
        Academie::Polynesie,
        Academie::NouvelleCaledonie,
        Academie::WallisEtFutuna,
    ];

    /// A stable identifier for configuration files: `aix-marseille`,
    /// `la-reunion`, `saint-pierre-et-miquelon`...
    pub fn as_str(self) -> &'static str {
        match self {
            Academie::AixMarseille => "aix-marseille",
            Academie::Amiens => "amiens",
            Academie::Besancon => "besancon",
            Academie::Bordeaux => "bordeaux",
            Academie::ClermontFerrand => "clermont-ferrand",
            Academie::Corse => "corse",
            Academie::Creteil => "creteil",
            Academie::Dijon => "dijon",
            Academie::Grenoble => "grenoble",
            Academie::Lille => "lille",
            Academie::Limoges => "limoges",
            Academie::Lyon => "lyon",
            Academie::Montpellier => "montpellier",
            Academie::NancyMetz => "nancy-metz",
            Academie::Nantes => "nantes",
            Academie::Nice => "nice",
            Academie::Normandie => "normandie",
            Academie::OrleansTours => "orleans-tours",
            Academie::Paris => "paris",
            Academie::Poitiers => "poitiers",
            Academie::Reims => "reims",
            Academie::Rennes => "rennes",
            Academie::Strasbourg => "strasbourg",
            Academie::Toulouse => "toulouse",
            Academie::Versailles => "versailles",
            Academie::Guadeloupe => "guadeloupe",
            Academie::Guyane => "guyane",
            Academie::Martinique => "martinique",
            Academie::Mayotte => "mayotte",
            Academie::Reunion => "la-reunion",
            Academie::SaintPierreEtMiquelon => "saint-pierre-et-miquelon",
            Academie::Polynesie => "polynesie-francaise",
            Academie::NouvelleCaledonie => "nouvelle-caledonie",
            Academie::WallisEtFutuna => "wallis-et-futuna",
        }
    }

    /// The official name: "Aix-Marseille", "La Réunion"...
    pub fn name(self) -> &'static str {
        match self {
            Academie::AixMarseille => "Aix-Marseille",
            Academie::Amiens => "Amiens",
            Academie::Besancon => "Besançon",
            Academie::Bordeaux => "Bordeaux",
            Academie::ClermontFerrand => "Clermont-Ferrand",
            Academie::Corse => "Corse",
            Academie::Creteil => "Créteil",
            Academie::Dijon => "Dijon",
            Academie::Grenoble => "Grenoble",
            Academie::Lille => "Lille",
            Academie::Limoges => "Limoges",
            Academie::Lyon => "Lyon",
            Academie::Montpellier => "Montpellier",
            Academie::NancyMetz => "Nancy-Metz",
            Academie::Nantes => "Nantes",
            Academie::Nice => "Nice",
            Academie::Normandie => "Normandie",
            Academie::OrleansTours => "Orléans-Tours",
            Academie::Paris => "Paris",
            Academie::Poitiers => "Poitiers",
            Academie::Reims => "Reims",
            Academie::Rennes => "Rennes",
            Academie::Strasbourg => "Strasbourg",
            Academie::Toulouse => "Toulouse",
            Academie::Versailles => "Versailles",
            Academie::Guadeloupe => "Guadeloupe",
            Academie::Guyane => "Guyane",
            Academie::Martinique => "Martinique",
            Academie::Mayotte => "Mayotte",
            Academie::Reunion => "La Réunion",
            Academie::SaintPierreEtMiquelon => "Saint-Pierre-et-Miquelon",
            Academie::Polynesie => "Polynésie française",
            Academie::NouvelleCaledonie => "Nouvelle-Calédonie",
            Academie::WallisEtFutuna => "Wallis-et-Futuna",
        }
    }

    /// The académie in a sentence: "l'académie d'Aix-Marseille",
    /// "l'académie de La Réunion", "le vice-rectorat de Polynésie française".
    pub fn label(self) -> String {
        match self {
            Academie::SaintPierreEtMiquelon => {
                "le service de l'Éducation de Saint-Pierre-et-Miquelon".to_string()
            }
            Academie::Polynesie => "le vice-rectorat de Polynésie française".to_string(),
            Academie::NouvelleCaledonie => "le vice-rectorat de Nouvelle-Calédonie".to_string(),
            Academie::WallisEtFutuna => "le vice-rectorat de Wallis-et-Futuna".to_string(),
            a => {
                let name = a.name();
                let elided = name.starts_with(['A', 'E', 'I', 'O', 'U', 'É']);
                if elided {
                    format!("l'académie d'{name}")
                } else {
                    format!("l'académie de {name}")
                }
            }
        }
    }

    /// The spellings of the académie in the dataset's `Académies` column.
    /// Normandie was Caen and Rouen until the merger of 1 January 2020.
    pub fn dataset_names(self) -> &'static [&'static str] {
        match self {
            Academie::Normandie => &["Normandie", "Caen", "Rouen"],
            Academie::Reunion => &["Réunion"],
            Academie::SaintPierreEtMiquelon => &["Saint Pierre et Miquelon"],
            Academie::Polynesie => &["Polynésie"],
            Academie::NouvelleCaledonie => &["Nouvelle Calédonie"],
            Academie::WallisEtFutuna => &["Wallis et Futuna"],
            Academie::AixMarseille => &["Aix-Marseille"],
            Academie::Amiens => &["Amiens"],
            Academie::Besancon => &["Besançon"],
            Academie::Bordeaux => &["Bordeaux"],
            Academie::ClermontFerrand => &["Clermont-Ferrand"],
            Academie::Corse => &["Corse"],
            Academie::Creteil => &["Créteil"],
            Academie::Dijon => &["Dijon"],
            Academie::Grenoble => &["Grenoble"],
            Academie::Lille => &["Lille"],
            Academie::Limoges => &["Limoges"],
            Academie::Lyon => &["Lyon"],
            Academie::Montpellier => &["Montpellier"],
            Academie::NancyMetz => &["Nancy-Metz"],
            Academie::Nantes => &["Nantes"],
            Academie::Nice => &["Nice"],
            Academie::OrleansTours => &["Orléans-Tours"],
            Academie::Paris => &["Paris"],
            Academie::Poitiers => &["Poitiers"],
            Academie::Reims => &["Reims"],
            Academie::Rennes => &["Rennes"],
            Academie::Strasbourg => &["Strasbourg"],
            Academie::Toulouse => &["Toulouse"],
            Academie::Versailles => &["Versailles"],
            Academie::Guadeloupe => &["Guadeloupe"],
            Academie::Guyane => &["Guyane"],
            Academie::Martinique => &["Martinique"],
            Academie::Mayotte => &["Mayotte"],
        }
    }

    /// Reads the dataset's `Académies` column.
    pub fn from_dataset(name: &str) -> Option<Academie> {
        let name = name.trim();
        Academie::ALL
            .into_iter()
            .find(|a| a.dataset_names().contains(&name))
    }

    /// The zone of today's official zoning. The school calendar prefers the
    /// zone the dataset gives the académie for the year asked.
    pub fn zone(self) -> SchoolZone {
        use Academie::*;
        match self {
            Besancon | Bordeaux | ClermontFerrand | Dijon | Grenoble | Limoges | Lyon | Poitiers => {
                SchoolZone::A
            }
            AixMarseille | Amiens | Lille | NancyMetz | Nantes | Nice | Normandie | OrleansTours | Reims
            | Rennes | Strasbourg => SchoolZone::B,
            Creteil | Montpellier | Paris | Toulouse | Versailles => SchoolZone::C,
            Corse => SchoolZone::Corse,
            Guadeloupe => SchoolZone::Guadeloupe,
            Guyane => SchoolZone::Guyane,
            Martinique => SchoolZone::Martinique,
            Mayotte => SchoolZone::Mayotte,
            Reunion => SchoolZone::Reunion,
            SaintPierreEtMiquelon => SchoolZone::SaintPierreEtMiquelon,
            Polynesie => SchoolZone::Polynesie,
            NouvelleCaledonie => SchoolZone::NouvelleCaledonie,
            WallisEtFutuna => SchoolZone::WallisEtFutuna,
        }
    }

    /// The overseas académie whose public-holiday calendar this is.
    /// Saint-Martin and Saint-Barthélemy belong to the académie de
    /// Guadeloupe. Metropolitan calendars name no académie (`None`).
    pub fn of_calendar(calendar: CalendarId) -> Option<Academie> {
        match calendar {
            CalendarId::Metropole | CalendarId::AlsaceMoselle => None,
            CalendarId::Guadeloupe | CalendarId::SaintMartin | CalendarId::SaintBarthelemy => {
                Some(Academie::Guadeloupe)
            }
            CalendarId::Martinique => Some(Academie::Martinique),
            CalendarId::Guyane => Some(Academie::Guyane),
            CalendarId::Reunion => Some(Academie::Reunion),
            CalendarId::Mayotte => Some(Academie::Mayotte),
        }
    }
}

impl fmt::Display for Academie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcademieError {
    #[error(
        "département « {0} » inconnu : attendu un code comme 75, 2A, 971 ou les trois premiers caractères d'une UAI (075, 620, 971)"
    )]
    UnknownDepartement(String),
    #[error("académie « {0} » inconnue : attendu par exemple paris, aix-marseille, corse ou la-reunion")]
    UnknownAcademie(String),
}

/// Lower case, accents and separators folded, for lenient name matching.
fn fold(s: &str) -> String {
    s.trim()
        .chars()
        .filter_map(|c| {
            let c = match c {
                'à' | 'â' | 'ä' | 'À' | 'Â' => 'a',
                'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => 'e',
                'î' | 'ï' | 'Î' => 'i',
                'ô' | 'ö' | 'Ô' => 'o',
                'ù' | 'û' | 'ü' => 'u',
                'ç' | 'Ç' => 'c',
                ' ' | '\'' | '’' | '_' => '-',
                c => c.to_ascii_lowercase(),
            };
            c.is_ascii().then_some(c)
        })
        .collect()
}

impl FromStr for Academie {
    type Err = AcademieError;
    /// Accepts the identifier (`la-reunion`), the official name ("La
    /// Réunion") or the dataset's spelling ("Réunion"), in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let folded = fold(s);
        let folded = folded.strip_prefix("academie-de-").unwrap_or(&folded);
        let folded = folded.strip_prefix("academie-d-").unwrap_or(folded);
        Academie::ALL
            .into_iter()
            .find(|a| {
                a.as_str() == folded
                    || fold(a.name()) == folded
                    || a.dataset_names().iter().any(|n| fold(n) == folded)
            })
            .ok_or_else(|| AcademieError::UnknownAcademie(s.chars().take(40).collect()))
    }
}

/// A département code in its usual form ("75", "2A", "971"), from any of
/// the forms accepted by [`academie_of_departement`].
fn normalise_departement(code: &str) -> Option<String> {
    let c = code.trim().to_ascii_uppercase();
    let c = match c.as_str() {
        // The first three characters of a Corsican UAI.
        "620" => "2A".to_string(),
        "720" => "2B".to_string(),
        _ if c.len() == 3 && c.starts_with('0') => c[1..].to_string(),
        _ => c,
    };
    let ok = match c.len() {
        2 => c == "2A" || c == "2B" || c.bytes().all(|b| b.is_ascii_digit()),
        3 => c.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    };
    ok.then_some(c)
}

/// The académie of a département. Accepts the département code ("75", "2A",
/// "971"), with a leading zero ("075"), or the first three characters of an
/// UAI ("075", "620" and "720" for Corse-du-Sud and Haute-Corse, "971").
pub fn academie_of_departement(code: &str) -> Result<Academie, AcademieError> {
    use Academie::*;
    let unknown = || AcademieError::UnknownDepartement(code.chars().take(20).collect());
    let c = normalise_departement(code).ok_or_else(unknown)?;
    let a = match c.as_str() {
        "04" | "05" | "13" | "84" => AixMarseille,
        "02" | "60" | "80" => Amiens,
        "25" | "39" | "70" | "90" => Besancon,
        "24" | "33" | "40" | "47" | "64" => Bordeaux,
        "03" | "15" | "43" | "63" => ClermontFerrand,
        "2A" | "2B" | "20" => Corse,
        "77" | "93" | "94" => Creteil,
        "21" | "58" | "71" | "89" => Dijon,
        "07" | "26" | "38" | "73" | "74" => Grenoble,
        "59" | "62" => Lille,
        "19" | "23" | "87" => Limoges,
        "01" | "42" | "69" => Lyon,
        "11" | "30" | "34" | "48" | "66" => Montpellier,
        "54" | "55" | "57" | "88" => NancyMetz,
        "44" | "49" | "53" | "72" | "85" => Nantes,
        "06" | "83" => Nice,
        "14" | "27" | "50" | "61" | "76" => Normandie,
        "18" | "28" | "36" | "37" | "41" | "45" => OrleansTours,
        "75" => Paris,
        "16" | "17" | "79" | "86" => Poitiers,
        "08" | "10" | "51" | "52" => Reims,
        "22" | "29" | "35" | "56" => Rennes,
        "67" | "68" => Strasbourg,
        "09" | "12" | "31" | "32" | "46" | "65" | "81" | "82" => Toulouse,
        "78" | "91" | "92" | "95" => Versailles,
        // Saint-Barthélemy (977) and Saint-Martin (978) belong to the
        // académie de Guadeloupe.
        "971" | "977" | "978" => Guadeloupe,
        "972" => Martinique,
        "973" => Guyane,
        "974" => Reunion,
        "975" => SaintPierreEtMiquelon,
        "976" => Mayotte,
        "986" => WallisEtFutuna,
        "987" => Polynesie,
        "988" => NouvelleCaledonie,
        _ => return Err(unknown()),
    };
    Ok(a)
}

/// The académie of an establishment, from the département part of its UAI.
pub fn academie_of_uai(uai: &crate::ids::Uai) -> Result<Academie, AcademieError> {
    academie_of_departement(uai.departement())
}

/// The public-holiday calendar of a département: Alsace-Moselle for 57, 67
/// and 68, the overseas calendars, metropole elsewhere. `Ok(None)` where
/// echeancier has no public-holiday calendar for the territory yet
/// (Saint-Pierre-et-Miquelon, the Pacific).
pub fn calendar_of_departement(code: &str) -> Result<Option<CalendarId>, AcademieError> {
    // Validates the code: every département with an académie has a calendar answer.
    academie_of_departement(code)?;
    let c = normalise_departement(code).unwrap_or_default();
    let id = match c.as_str() {
        "57" | "67" | "68" => Some(CalendarId::AlsaceMoselle),
        "971" => Some(CalendarId::Guadeloupe),
        "977" => Some(CalendarId::SaintBarthelemy),
        "978" => Some(CalendarId::SaintMartin),
        "972" => Some(CalendarId::Martinique),
        "973" => Some(CalendarId::Guyane),
        "974" => Some(CalendarId::Reunion),
        "976" => Some(CalendarId::Mayotte),
        "975" | "986" | "987" | "988" => None,
        // Metropolitan départements and Corse.
        _ => Some(CalendarId::Metropole),
    };
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metropolitan_departement_has_an_academie() {
        let mut codes: Vec<String> = (1..=95).filter(|n| *n != 20).map(|n| format!("{n:02}")).collect();
        codes.extend(["2A".to_string(), "2B".to_string()]);
        for c in &codes {
            let a = academie_of_departement(c).expect(c);
            assert!(
                a.zone().metropolitan().is_some() || a == Academie::Corse,
                "{c} → {a:?}"
            );
            assert!(calendar_of_departement(c).expect(c).is_some(), "{c}");
        }
        assert_eq!(codes.len(), 96);
    }

    #[test]
    fn uai_prefixes_and_examples() {
        let cases = [
            ("075", Academie::Paris),
            ("75", Academie::Paris),
            ("049", Academie::Nantes),
            ("620", Academie::Corse),
            ("720", Academie::Corse),
            ("2a", Academie::Corse),
            ("971", Academie::Guadeloupe),
            ("972", Academie::Martinique),
            ("973", Academie::Guyane),
            ("974", Academie::Reunion),
            ("975", Academie::SaintPierreEtMiquelon),
            ("976", Academie::Mayotte),
            ("978", Academie::Guadeloupe),
            ("987", Academie::Polynesie),
            ("988", Academie::NouvelleCaledonie),
            ("986", Academie::WallisEtFutuna),
            ("067", Academie::Strasbourg),
            ("057", Academie::NancyMetz),
            ("076", Academie::Normandie),
            ("093", Academie::Creteil),
        ];
        for (code, want) in cases {
            assert_eq!(academie_of_departement(code), Ok(want), "{code}");
        }
        let uai: crate::ids::Uai = "0490001K".parse().expect("valid UAI");
        assert_eq!(academie_of_uai(&uai), Ok(Academie::Nantes));
    }

    #[test]
    fn zones_of_the_official_zoning() {
        assert_eq!(Academie::Paris.zone(), SchoolZone::C);
        assert_eq!(Academie::Lyon.zone(), SchoolZone::A);
        assert_eq!(Academie::Normandie.zone(), SchoolZone::B);
        assert_eq!(Academie::Reunion.zone(), SchoolZone::Reunion);
        let count = |z| Academie::ALL.iter().filter(|a| a.zone() == z).count();
        assert_eq!(
            (count(SchoolZone::A), count(SchoolZone::B), count(SchoolZone::C)),
            (8, 11, 5)
        );
    }

    #[test]
    fn calendars_of_departements() {
        assert_eq!(
            calendar_of_departement("057"),
            Ok(Some(CalendarId::AlsaceMoselle))
        );
        assert_eq!(calendar_of_departement("54"), Ok(Some(CalendarId::Metropole)));
        assert_eq!(calendar_of_departement("978"), Ok(Some(CalendarId::SaintMartin)));
        assert_eq!(calendar_of_departement("974"), Ok(Some(CalendarId::Reunion)));
        assert_eq!(calendar_of_departement("975"), Ok(None));
        assert_eq!(
            Academie::of_calendar(CalendarId::Reunion),
            Some(Academie::Reunion)
        );
        assert_eq!(
            Academie::of_calendar(CalendarId::SaintBarthelemy),
            Some(Academie::Guadeloupe)
        );
        assert_eq!(Academie::of_calendar(CalendarId::AlsaceMoselle), None);
    }

    #[test]
    fn bad_codes_are_refused_in_french() {
        for bad in ["", "20A", "96", "00", "979", "984", "9", "0755", "zz", "é7", "0A"] {
            let e = academie_of_departement(bad).expect_err(bad);
            assert!(e.to_string().starts_with("département"), "{e}");
        }
    }

    #[test]
    fn names_parse_back() {
        for a in Academie::ALL {
            assert_eq!(a.as_str().parse::<Academie>(), Ok(a));
            assert_eq!(a.name().parse::<Academie>(), Ok(a));
            for n in a.dataset_names() {
                assert_eq!(Academie::from_dataset(n), Some(a));
                assert_eq!(n.parse::<Academie>(), Ok(a));
            }
        }
        assert_eq!(
            "Académie d'Orléans-Tours".parse::<Academie>(),
            Ok(Academie::OrleansTours)
        );
        assert_eq!(" la réunion ".parse::<Academie>(), Ok(Academie::Reunion));
        assert!("Atlantide".parse::<Academie>().is_err());
        assert_eq!(Academie::AixMarseille.label(), "l'académie d'Aix-Marseille");
        assert_eq!(Academie::Reunion.label(), "l'académie de La Réunion");
        for z in SchoolZone::ALL {
            assert_eq!(SchoolZone::from_dataset(z.dataset_name()), Some(z));
        }
    }
}
