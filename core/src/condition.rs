//! A procedure's opening condition (`[condition]`), checked against a
//! case's event dates and its school calendar. The sentences name the
//! dates of confidential events (a sanction's): they are for the web
//! office only; chat is told whether the condition is met, nothing more.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::case::Env;
use crate::french::long_date;
use crate::procedure::Procedure;
use crate::school::SchoolYear;

/// What keeps a case from meeting its procedure's condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A required date is not entered: the event's name.
    Missing(String),
    /// The dates contradict the condition: why, in one sentence.
    Unmet(String),
    /// The school calendar cannot tell (a year beyond its data): why.
    Unknown(String),
}

impl Finding {
    pub fn sentence(&self) -> String {
        match self {
            Finding::Missing(name) => format!("Date à renseigner : {name}."),
            Finding::Unmet(why) | Finding::Unknown(why) => why.clone(),
        }
    }
}

/// The condition's name and what keeps the case from meeting it (nothing:
/// it is met).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub findings: Vec<Finding>,
}

impl Check {
    pub fn is_met(&self) -> bool {
        self.findings.is_empty()
    }

    /// Some date contradicts it, as opposed to dates not entered yet.
    pub fn is_contradicted(&self) -> bool {
        self.findings.iter().any(|f| matches!(f, Finding::Unmet(_)))
    }
}

/// The procedure's condition checked on `events`; `None` when it has none.
pub fn check(proc: &Procedure, events: &BTreeMap<String, NaiveDate>, env: &Env<'_>) -> Option<Check> {
    let cond = proc.condition.as_ref()?;
    let name_of = |id: &str| proc.event(id).map_or(id.to_string(), |e| e.name.clone());
    let mut findings: Vec<Finding> = cond
        .required
        .iter()
        .chain(&cond.same_school_year)
        .filter(|id| !events.contains_key(id.as_str()))
        .map(|id| name_of(id))
        .fold(Vec::new(), |mut seen, name| {
            if !seen.contains(&name) {
                seen.push(name);
            }
            seen
        })
        .into_iter()
        .map(Finding::Missing)
        .collect();
    let mut years: Vec<(String, NaiveDate, SchoolYear)> = Vec::new();
    for id in &cond.same_school_year {
        let Some(on) = events.get(id) else { continue };
        let year = match env.school_scope {
            Some(scope) => env.school.school_year_in(*on, scope),
            None => env.school.school_year(*on, env.calendar.id),
        };
        match year {
            Ok(y) => years.push((name_of(id), *on, y)),
            Err(e) => findings.push(Finding::Unknown(format!(
                "L'année scolaire de la date « {} » n'est pas connue : {e}.",
                name_of(id)
            ))),
        }
    }
    if let Some((first_name, first_on, first_year)) = years.first()
        && let Some((name, on, year)) = years.iter().find(|(_, _, y)| y != first_year)
    {
        let label = |y: SchoolYear| env.school_scope.map_or(y.to_string(), |s| s.year_label(y));
        findings.push(Finding::Unmet(format!(
            "{} ({}) est de l'année scolaire {}, {} ({}) de l'année scolaire {} : {}.",
            crate::french::capitalize(first_name),
            long_date(*first_on),
            label(*first_year),
            name,
            long_date(*on),
            label(*year),
            lower_first(&cond.name)
        )));
    }
    Some(Check {
        name: cond.name.clone(),
        findings,
    })
}

/// "Deux exclusions…" → "la condition n'est pas remplie : deux exclusions…".
fn lower_first(name: &str) -> String {
    let mut c = name.chars();
    let head = c
        .next()
        .map(|h| h.to_lowercase().collect::<String>())
        .unwrap_or_default();
    format!("la condition n'est pas remplie ({head}{})", c.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;
    use crate::school::{SchoolCalendar, Zone};

    const PROC: &str = r#"
id = "p"
nom = "P"
prefixe = "PP"
public = "dossier"
acteurs = ["chef_etablissement"]

[[evenements]]
id = "un"
nom = "date de la première exclusion"
roles = ["chef_etablissement"]
confidentiel = true

[[evenements]]
id = "deux"
nom = "date de la seconde exclusion"
roles = ["chef_etablissement"]
confidentiel = true

[[evenements]]
id = "accueil"
nom = "arrivée dans l'établissement"
roles = ["chef_etablissement"]

[condition]
nom = "Deux exclusions dans la même année scolaire"
requis = ["accueil"]
meme_annee_scolaire = ["un", "deux"]

[[etapes]]
id = "e"
nom = "E"
role = "chef_etablissement"
action = "A"
depuis = "accueil"
delai = { jours = 1, report = "forward" }
"#;

    fn run(dates: &[(&str, NaiveDate)]) -> Check {
        let proc = crate::testing::procedure(PROC);
        let calendar = Calendar::new(crate::calendar::CalendarId::Metropole);
        let school = SchoolCalendar::embedded();
        let env = Env {
            calendar: &calendar,
            school: &school,
            school_scope: Some(Zone::B.into()),
            today: d(2026, 3, 1),
        };
        let events = dates.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        check(&proc, &events, &env).expect("the procedure has a condition")
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a valid date")
    }

    #[test]
    fn two_dates_of_one_school_year_meet_it_and_a_missing_one_is_named() {
        let met = run(&[
            ("un", d(2025, 10, 6)),
            ("deux", d(2026, 2, 2)),
            ("accueil", d(2026, 2, 16)),
        ]);
        assert!(met.is_met(), "{met:?}");
        let missing = run(&[("un", d(2025, 10, 6))]);
        assert_eq!(
            missing.findings,
            vec![
                Finding::Missing("arrivée dans l'établissement".into()),
                Finding::Missing("date de la seconde exclusion".into()),
            ]
        );
        assert!(!missing.is_contradicted());
    }

    #[test]
    fn dates_on_both_sides_of_a_rentree_do_not() {
        // Zone B: rentrée on 1 September 2025. June and October fall in two
        // school years although they are four months apart.
        let c = run(&[
            ("un", d(2025, 6, 2)),
            ("deux", d(2025, 10, 6)),
            ("accueil", d(2025, 11, 3)),
        ]);
        assert!(c.is_contradicted());
        let s = c.findings[0].sentence();
        assert!(s.contains("2024-2025") && s.contains("2025-2026"), "{s}");
        assert!(s.contains("la condition n'est pas remplie"), "{s}");
    }

    #[test]
    fn a_year_beyond_the_calendar_is_unknown_not_unmet() {
        let c = run(&[
            ("un", d(2031, 10, 6)),
            ("deux", d(2031, 11, 6)),
            ("accueil", d(2031, 12, 1)),
        ]);
        assert!(!c.is_met() && !c.is_contradicted(), "{c:?}");
    }
}
