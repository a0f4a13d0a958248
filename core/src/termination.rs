//! Termination of the partnership convention (art. 9): three months' notice,
//! effective only from the school year after the one in which it was
//! requested. The text allows two readings; both are computed and their
//! divergence is flagged for a human decision.

use chrono::NaiveDate;

use crate::calendar::{Calendar, CalendarId};
use crate::deadline::{self, Deadline, DeadlineError, Period, Roll, Rule};
use crate::french::long_date;
use crate::school::{SchoolCalendar, SchoolError, SchoolYear, Scope};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TerminationError {
    #[error(transparent)]
    Deadline(#[from] DeadlineError),
    #[error(transparent)]
    School(#[from] SchoolError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Termination {
    pub notice: Deadline,
    pub request_year: SchoolYear,
    pub next_rentree: NaiveDate,
    /// Default reading: the later of the day after the notice and the next
    /// rentrée after the request's school year.
    pub effective: NaiveDate,
    /// Rentrée-only reading: the next rentrée if the notice has ended by
    /// then, else the one after. `Err` when that rentrée is not published.
    pub effective_at_rentree: Result<NaiveDate, SchoolError>,
    pub diverge: bool,
}

impl Termination {
    pub fn explanation(&self) -> Vec<String> {
        let mut lines = self.notice.explanation();
        let after_notice = self.notice.end.succ_opt().unwrap_or(self.notice.end);
        lines.push(format!(
            "Demande faite pendant l'année scolaire {} ; rentrée suivante : {}.",
            self.request_year,
            long_date(self.next_rentree)
        ));
        lines.push(format!(
            "Lecture retenue : la plus tardive du lendemain du préavis ({}) et de cette rentrée, soit {}.",
            long_date(after_notice),
            long_date(self.effective)
        ));
        match &self.effective_at_rentree {
            Ok(d) => lines.push(format!(
                "Autre lecture (effet à une rentrée seulement) : {}.",
                long_date(*d)
            )),
            Err(e) => lines.push(format!(
                "Autre lecture (effet à une rentrée seulement) : non calculable, {e}."
            )),
        }
        if self.diverge {
            lines.push("Les deux lectures divergent : décision humaine requise.".to_string());
        }
        lines
    }
}

/// Computes both readings of art. 9 for a letter received on `received`
/// (the latest partner's receipt) and a request made on `requested`.
pub fn compute(
    received: NaiveDate,
    requested: NaiveDate,
    notice_months: u32,
    calendar: &Calendar,
    school: &SchoolCalendar,
    scope: Option<Scope>,
) -> Result<Termination, TerminationError> {
    let rule = Rule::new(Period::months(notice_months), Roll::None);
    let notice = deadline::compute(received, &rule, calendar)?;
    let territory: CalendarId = calendar.id;
    // Without an académie, only the metropolitan dates common to every
    // zone are known.
    let rentree = |y: SchoolYear| match scope {
        Some(s) => school.rentree_in(y, s),
        None => school.rentree(y),
    };
    let request_year = match scope {
        Some(s) => school.school_year_in(requested, s)?,
        None => school.school_year(requested, territory)?,
    };
    let next_rentree = rentree(SchoolYear(request_year.0 + 1))?;
    let after_notice = notice.end.succ_opt().ok_or(DeadlineError::OutOfRange)?;
    let effective = after_notice.max(next_rentree);
    let diverge = after_notice > next_rentree;
    let effective_at_rentree = if diverge {
        rentree(SchoolYear(request_year.0 + 2))
    } else {
        Ok(next_rentree)
    };
    Ok(Termination {
        notice,
        request_year,
        next_rentree,
        effective,
        effective_at_rentree,
        diverge,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::d;

    fn run(received: &str) -> Termination {
        compute(
            d(received),
            d(received),
            3,
            &Calendar::new(CalendarId::Metropole),
            &SchoolCalendar::embedded(),
            None,
        )
        .expect("computable")
    }

    #[test]
    fn early_request_both_readings_agree() {
        let t = run("2025-03-10");
        assert_eq!(t.notice.end, d("2025-06-10"));
        assert_eq!(t.effective, d("2025-09-01"));
        assert_eq!(t.effective_at_rentree, Ok(d("2025-09-01")));
        assert!(!t.diverge);
    }

    #[test]
    fn late_request_diverges() {
        // Received 15 July 2025 (year 2024-2025): notice ends 15 Oct 2025.
        let t = run("2025-07-15");
        assert_eq!(t.request_year, SchoolYear(2024));
        assert_eq!(t.effective, d("2025-10-16"));
        assert_eq!(t.effective_at_rentree, Ok(d("2026-09-01")));
        assert!(t.diverge);
        assert!(t.explanation().join(" ").contains("décision humaine"));
    }

    #[test]
    fn notice_ending_the_day_before_rentree_agrees() {
        // Notice ends 31 Aug 2026; the day after is the rentrée 1 Sep 2026.
        let t = run("2026-05-31");
        assert_eq!(t.notice.end, d("2026-08-31"));
        assert_eq!(t.effective, d("2026-09-01"));
        assert!(!t.diverge);
    }

    #[test]
    fn unpublished_rentree_is_refused_or_reported() {
        let t = run("2026-07-15");
        assert!(t.diverge);
        assert_eq!(t.effective, d("2026-10-16"));
        assert!(matches!(
            t.effective_at_rentree,
            Err(SchoolError::RentreeUnknown { .. })
        ));
        let err = compute(
            d("2026-11-20"),
            d("2026-11-20"),
            3,
            &Calendar::new(CalendarId::Metropole),
            &SchoolCalendar::embedded(),
            None,
        );
        assert!(matches!(
            err,
            Err(TerminationError::School(SchoolError::RentreeUnknown { .. }))
        ));
    }

    // Convention, art. 9: « la résiliation ne prend effet qu'à compter de
    // l'année scolaire suivante ». The school year is the académie's own.
    #[test]
    fn the_next_school_year_is_the_academie_s_own() {
        let school = SchoolCalendar::embedded();
        let at = |calendar: CalendarId, academie: crate::academie::Academie| {
            compute(
                d("2025-03-10"),
                d("2025-03-10"),
                3,
                &Calendar::new(calendar),
                &school,
                Some(academie.into()),
            )
            .expect("computable")
        };
        // Notice ends 10 June 2025; Réunion's pupils are back on 19 August.
        let reunion = at(CalendarId::Reunion, crate::academie::Academie::Reunion);
        assert_eq!(reunion.next_rentree, d("2025-08-19"));
        assert_eq!(reunion.effective, d("2025-08-19"));
        let lyon = at(CalendarId::Metropole, crate::academie::Academie::Lyon);
        assert_eq!(lyon.effective, d("2025-09-01"));
    }

    // A request of June 2023 was refused while the calendar began with the
    // rentrée 2023; the snapshot now starts in 2019.
    #[test]
    fn a_request_of_june_2023_is_answered() {
        let t = run("2023-06-12");
        assert_eq!(t.request_year, SchoolYear(2022));
        assert_eq!(t.notice.end, d("2023-09-12"));
        assert_eq!(t.next_rentree, d("2023-09-04"));
        assert_eq!(t.effective, d("2023-09-13"));
        assert!(t.diverge);
        assert_eq!(t.effective_at_rentree, Ok(d("2024-09-02")));
    }
}
