//! The indicators of the trust-with-parents sheet (seed 002): meetings
//! proposed, held, attended (alone or with a companion) and missed,
//! families reached orally, answers received, and deadlines met or late per
//! procedure, per establishment and period. Small counts are masked so
//! that no family can be recognised.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::school::{SchoolCalendar, SchoolError, SchoolYear, Scope};

/// Counts below this are shown as "< 5".
pub const MASK_BELOW: u64 = 5;

/// A count as published: itself, or "< 5" when a family could be
/// recognised from it (zero is no one, and says so).
pub fn masked(n: u64) -> String {
    if n > 0 && n < MASK_BELOW {
        format!("< {MASK_BELOW}")
    } else {
        n.to_string()
    }
}

/// A period of a school year: the whole year, or one of its trimesters
/// (the first from the rentrée to 31 December, the second from January to
/// March, the third from April to the next rentrée).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub year: SchoolYear,
    pub trimester: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error(
        "période « {0} » invalide : attendu une année scolaire (2025-2026) ou un trimestre (2025-2026-T1, T2 ou T3)"
    )]
    Bad(String),
    #[error("{0}")]
    School(#[from] SchoolError),
}

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || PeriodError::Bad(s.chars().take(30).collect());
        let t = s.trim();
        let (year, trimester) = match t.rsplit_once(['-', ' ']) {
            Some((y, q)) if q.len() == 2 && q.to_ascii_uppercase().starts_with('T') => {
                let n: u8 = q[1..].parse().map_err(|_| bad())?;
                if !(1..=3).contains(&n) {
                    return Err(bad());
                }
                (y, Some(n))
            }
            _ => (t, None),
        };
        let year: SchoolYear = year.parse().map_err(|_| bad())?;
        Ok(Period { year, trimester })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.trimester {
            Some(t) => write!(f, "{}, trimestre {t}", self.year),
            None => write!(f, "année scolaire {}", self.year),
        }
    }
}

impl Period {
    /// The school year of `date` in `scope`.
    pub fn of(date: NaiveDate, school: &SchoolCalendar, scope: Scope) -> Result<Period, PeriodError> {
        Ok(Period {
            year: school.school_year_in(date, scope)?,
            trimester: None,
        })
    }

    /// The first day and the day after the last, in `scope`. A year whose
    /// next rentrée is not published yet ends on 31 August.
    pub fn bounds(
        &self,
        school: &SchoolCalendar,
        scope: Scope,
    ) -> Result<(NaiveDate, NaiveDate), PeriodError> {
        let start = school.rentree_in(self.year, scope)?;
        let end = school
            .rentree_in(SchoolYear(self.year.0 + 1), scope)
            .ok()
            .or_else(|| NaiveDate::from_ymd_opt(self.year.0 + 1, 9, 1))
            .ok_or_else(|| PeriodError::Bad(self.year.to_string()))?;
        let jan = NaiveDate::from_ymd_opt(self.year.0 + 1, 1, 1).unwrap_or(end);
        let apr = NaiveDate::from_ymd_opt(self.year.0 + 1, 4, 1).unwrap_or(end);
        Ok(match self.trimester {
            None => (start, end),
            Some(1) => (start, jan),
            Some(2) => (jan, apr),
            _ => (apr, end),
        })
    }
}

/// What happened in a period, for one establishment or a département.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Dates proposed to families (each new date counts).
    pub proposed: u64,
    /// Meetings held: the family came, alone or accompanied.
    pub held: u64,
    pub came: u64,
    pub came_accompanied: u64,
    pub missed: u64,
    pub excused: u64,
    /// Families called by staff (call tasks marked done).
    pub reached_orally: u64,
    /// Answers to a notice ("je viendrai", "rappelez-moi").
    pub answers: u64,
    /// Regular follow-up meetings held (steps that come back).
    pub follow_ups: u64,
    /// Per procedure (its name): steps done by their date, and late.
    pub deadlines: Vec<(String, u64, u64)>,
}

impl Counts {
    /// The lines of the indicators, masked, in French.
    pub fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            ("Rendez-vous proposés".to_string(), masked(self.proposed)),
            ("Rendez-vous tenus".to_string(), masked(self.held)),
            ("Familles venues seules".to_string(), masked(self.came)),
            (
                "Familles venues accompagnées".to_string(),
                masked(self.came_accompanied),
            ),
            ("Familles absentes".to_string(), masked(self.missed)),
            ("Familles excusées".to_string(), masked(self.excused)),
            (
                "Familles jointes par téléphone".to_string(),
                masked(self.reached_orally),
            ),
            ("Réponses reçues aux avis".to_string(), masked(self.answers)),
            (
                "Points de suivi réguliers tenus".to_string(),
                masked(self.follow_ups),
            ),
        ];
        for (procedure, met, late) in &self.deadlines {
            rows.push((format!("{procedure} : échéances tenues"), masked(*met)));
            rows.push((format!("{procedure} : échéances en retard"), masked(*late)));
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::academie::Academie;
    use crate::testing::d;

    #[test]
    fn small_counts_are_masked_and_zero_is_zero() {
        assert_eq!(masked(0), "0");
        for n in 1..5 {
            assert_eq!(masked(n), "< 5");
        }
        assert_eq!(masked(5), "5");
        assert_eq!(masked(120), "120");
    }

    #[test]
    fn periods_follow_the_school_year() {
        let school = SchoolCalendar::embedded();
        let nantes = Scope::Academie(Academie::Nantes);
        let year: Period = "2025-2026".parse().expect("year");
        assert_eq!(
            year.bounds(&school, nantes),
            Ok((d("2025-09-01"), d("2026-09-01")))
        );
        let t1: Period = "2025-2026-T1".parse().expect("t1");
        assert_eq!(t1.bounds(&school, nantes), Ok((d("2025-09-01"), d("2026-01-01"))));
        let t3: Period = "2025-2026-t3".parse().expect("t3");
        assert_eq!(t3.bounds(&school, nantes), Ok((d("2026-04-01"), d("2026-09-01"))));
        assert_eq!(t3.to_string(), "2025-2026, trimestre 3");
        // Réunion's year starts in August.
        let reunion = Scope::Academie(Academie::Reunion);
        assert_eq!(year.bounds(&school, reunion).map(|b| b.0), Ok(d("2025-08-19")));
        for bad in ["2025", "2025-2027", "2025-2026-T4", "T1", ""] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }
}
