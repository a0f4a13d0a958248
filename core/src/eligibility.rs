//! Who a procedure is meant for first (`[public_prioritaire]`): hints
//! shown beside a case on the web office, never a refusal. They speak of
//! the pupil's class and age: personal, never for chat.

use chrono::{Datelike, NaiveDate};

use crate::case::Env;
use crate::french::long_date;
use crate::procedure::Priority;

/// One criterion of the priority public, as it applies to a pupil.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// Met, not met, or not known (a class or a date of birth to enter).
    pub met: Option<bool>,
    pub text: String,
}

/// The hints of `priority` for a pupil in `class`, born on `birth`, in
/// the school year of a case opened on `opened`.
pub fn hints(
    priority: &Priority,
    class: Option<&str>,
    birth: Option<NaiveDate>,
    opened: NaiveDate,
    env: &Env<'_>,
) -> Vec<Hint> {
    let mut out = Vec::new();
    if !priority.classes.is_empty() {
        let listed = priority.classes.join(" ou de ");
        out.push(match class.map(str::trim).filter(|c| !c.is_empty()) {
            None => Hint {
                met: None,
                text: format!("Classe à renseigner : le public prioritaire est en {listed}."),
            },
            Some(c) if priority.classes.iter().any(|p| same_level(c, p)) => Hint {
                met: Some(true),
                text: format!("En {c} : dans le public prioritaire (élèves de {listed})."),
            },
            Some(c) => Hint {
                met: Some(false),
                text: format!("En {c} : hors du public prioritaire (élèves de {listed}), ce qui n'interdit pas le dossier."),
            },
        });
    }
    if let Some(age) = priority.age_in_year {
        out.push(age_hint(age, birth, opened, env));
    }
    out
}

fn age_hint(age: u32, birth: Option<NaiveDate>, opened: NaiveDate, env: &Env<'_>) -> Hint {
    let Some(birth) = birth else {
        return Hint {
            met: None,
            text: format!(
                "Date de naissance à renseigner : le public prioritaire atteint {age} ans au cours de l'année scolaire."
            ),
        };
    };
    let Some(birthday) = i32::try_from(age)
        .ok()
        .and_then(|a| birth.year().checked_add(a))
        .and_then(|y| birth.with_year(y).or_else(|| NaiveDate::from_ymd_opt(y, 3, 1)))
    else {
        return Hint {
            met: None,
            text: "Date de naissance hors de la plage de calcul.".into(),
        };
    };
    let span = school_year_span(opened, env);
    let Ok((label, start, end, end_known)) = span else {
        return Hint {
            met: None,
            text: format!(
                "{age} ans le {} ; l'année scolaire n'est pas connue du calendrier scolaire.",
                long_date(birthday)
            ),
        };
    };
    if birthday > end && !end_known {
        return Hint {
            met: None,
            text: format!(
                "{age} ans le {}, pendant ou après les vacances d'été : la rentrée qui clôt l'année scolaire {label} n'est pas encore publiée.",
                long_date(birthday)
            ),
        };
    }
    let (met, when) = if birthday < start {
        (false, "avant cette année scolaire")
    } else if birthday > end {
        (false, "après cette année scolaire")
    } else {
        (true, "au cours de l'année scolaire")
    };
    Hint {
        met: Some(met),
        text: format!(
            "{age} ans le {}, {when} {label} : {}.",
            long_date(birthday),
            if met {
                "dans le public prioritaire"
            } else {
                "hors du public prioritaire, ce qui n'interdit pas le dossier"
            }
        ),
    }
}

/// The case's school year: its label, its rentrée and its last day (the
/// day before the next rentrée; while that is not published, the day
/// before the summer holidays, and `false`: the year may end later).
fn school_year_span(opened: NaiveDate, env: &Env<'_>) -> Result<(String, NaiveDate, NaiveDate, bool), ()> {
    let scope = env.school_scope.ok_or(())?;
    let year = env.school.school_year_in(opened, scope).map_err(|_| ())?;
    let start = env.school.rentree_in(year, scope).map_err(|_| ())?;
    let next = crate::school::SchoolYear(year.0 + 1);
    let (end, known) = match env.school.rentree_in(next, scope) {
        Ok(r) => (r, true),
        Err(_) => (env.school.summer_start_in(year, scope).map_err(|_| ())?, false),
    };
    Ok((scope.year_label(year), start, end.pred_opt().ok_or(())?, known))
}

/// "4e B", "4ème A", "4EME" are at the level "4e": the same leading number.
fn same_level(class: &str, level: &str) -> bool {
    let digits = |s: &str| {
        s.trim()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
    };
    let (c, l) = (digits(class), digits(level));
    !l.is_empty() && c == l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_compare_by_their_number() {
        assert!(same_level("4e B", "4e"));
        assert!(same_level("4ème A", "4e"));
        assert!(same_level(" 3EME", "3e"));
        assert!(!same_level("5e C", "4e"));
        assert!(!same_level("14e", "4e"));
        assert!(!same_level("Seconde", "4e"));
    }
}
