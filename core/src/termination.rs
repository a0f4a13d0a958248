//! Termination of the partnership convention (art. 9): three months' notice,
//! effective only from the school year after the one in which it was
//! requested. The text allows two readings; both are computed and their
//! divergence is flagged for a human decision.

use chrono::{Months, NaiveDate};

use crate::calendar::{Calendar, CalendarId};
use crate::deadline::{self, Deadline, DeadlineError, Period, Roll, Rule};
use crate::french::long_date;
use crate::school::{SchoolCalendar, SchoolError, SchoolYear, Scope};

/// What an explanation says when the two readings of art. 9 differ.
pub const DIVERGE: &str = "Les deux lectures donnent des dates différentes : c'est à vous de trancher.";

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
            "Lecture retenue : la résiliation prend effet à la plus tardive de deux dates, le lendemain de la fin du préavis ({}) ou cette rentrée : {}.",
            long_date(after_notice),
            long_date(self.effective)
        ));
        match &self.effective_at_rentree {
            Ok(d) => lines.push(format!(
                "Autre lecture, où la résiliation ne prend effet qu'à une rentrée : {}.",
                long_date(*d)
            )),
            Err(e) => lines.push(format!(
                "Autre lecture, où la résiliation ne prend effet qu'à une rentrée : date impossible à calculer, {e}."
            )),
        }
        if self.diverge {
            lines.push(DIVERGE.to_string());
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

/// The latest day `r` with `r + months ≤ end` (art. 641: months from the
/// origin in one step, the last day of the month when the day does not
/// exist). Not simply `end − months`: 31 August + 3 months is 30 November,
/// so for an end on 30 November the latest start is 31 August, not 30.
pub fn latest_start(end: NaiveDate, months: u32) -> Result<NaiveDate, DeadlineError> {
    let add = |d: NaiveDate| {
        d.checked_add_months(Months::new(months))
            .ok_or(DeadlineError::OutOfRange)
    };
    let mut r = end
        .checked_sub_months(Months::new(months))
        .ok_or(DeadlineError::OutOfRange)?;
    while add(r)? > end {
        r = r.pred_opt().ok_or(DeadlineError::OutOfRange)?;
    }
    while let Some(next) = r.succ_opt()
        && add(next)? <= end
    {
        r = next;
    }
    Ok(r)
}

/// Art. 7 and 9 at the term: the last day for a termination to take effect
/// by the end of the current period, under both readings of art. 9.
///
/// Let T be the last day in force (the term of the current period). The
/// termination must take effect by T + 1. That day belongs to the school
/// year Y, opened by the rentrée R (the latest rentrée on or before T + 1).
/// Under both readings the request must be made in a school year before Y:
/// by R − 1. With n months of notice:
/// - default reading (effect: the later of the day after the notice and the
///   next rentrée): the letter is received by the latest day D with
///   D + n months ≤ T;
/// - rentrée-only reading (effect: the next rentrée if the notice has ended
///   by then, else the one after): the notice must end before R, so D + n
///   months ≤ R − 1; a letter received before the rentrée that opened the
///   year before Y also takes effect by R.
///
/// The last day under each reading is the earlier of the request's and the
/// receipt's limits. Past the published school calendar, refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermDeadline {
    /// T: the last day in force of the current period.
    pub term: NaiveDate,
    pub notice_months: u32,
    /// Y: the school year of T + 1.
    pub term_year: SchoolYear,
    /// R: the rentrée that opens Y.
    pub target_rentree: NaiveDate,
    /// R − 1: the last day of the school year before Y.
    pub last_request: NaiveDate,
    /// Default reading: the latest receipt whose notice ends by T.
    pub last_receipt: NaiveDate,
    /// Rentrée-only reading: the latest receipt whose notice ends before R.
    pub last_receipt_at_rentree: NaiveDate,
    pub send_by: NaiveDate,
    pub send_by_at_rentree: NaiveDate,
    /// The two readings give different last days.
    pub diverge: bool,
}

impl TermDeadline {
    /// One French sentence per step of the reasoning.
    pub fn explanation(&self) -> Vec<String> {
        let after_term = self.term.succ_opt().unwrap_or(self.term);
        let mut lines = vec![
            format!(
                "Fin de la période en cours : {}. Pour que la convention ne soit pas reconduite, la résiliation doit prendre effet au plus tard le {}.",
                long_date(self.term),
                long_date(after_term)
            ),
            format!(
                "Ce jour fait partie de l'année scolaire {}, qui commence à la rentrée du {}. La résiliation ne prend effet que l'année scolaire qui suit sa demande : il faut donc la demander au plus tard le {}.",
                self.term_year,
                long_date(self.target_rentree),
                long_date(self.last_request)
            ),
            format!(
                "Lecture retenue : le préavis de {} mois doit se terminer au plus tard à la fin de la période. La lettre doit donc être reçue par le dernier partenaire au plus tard le {}. Dernier jour : {}.",
                self.notice_months,
                long_date(self.last_receipt),
                long_date(self.send_by)
            ),
            format!(
                "Autre lecture, où la résiliation ne prend effet qu'à une rentrée : le préavis doit se terminer avant la rentrée du {}. La lettre doit donc être reçue au plus tard le {}. Dernier jour : {}.",
                long_date(self.target_rentree),
                long_date(self.last_receipt_at_rentree),
                long_date(self.send_by_at_rentree)
            ),
        ];
        if self.diverge {
            lines.push(DIVERGE.to_string());
        }
        lines
    }
}

/// The last day to send a termination that takes effect at the term `term`
/// (the last day in force), with `notice_months` of notice; see
/// [`TermDeadline`].
pub fn last_day_for_term(
    term: NaiveDate,
    notice_months: u32,
    calendar: &Calendar,
    school: &SchoolCalendar,
    scope: Option<Scope>,
) -> Result<TermDeadline, TerminationError> {
    let rentree = |y: SchoolYear| match scope {
        Some(s) => school.rentree_in(y, s),
        None => school.rentree(y),
    };
    let after_term = term.succ_opt().ok_or(DeadlineError::OutOfRange)?;
    let term_year = match scope {
        Some(s) => school.school_year_in(after_term, s)?,
        None => school.school_year(after_term, calendar.id)?,
    };
    let target_rentree = rentree(term_year)?;
    let last_request = target_rentree.pred_opt().ok_or(DeadlineError::OutOfRange)?;
    let last_receipt = latest_start(term, notice_months)?;
    let mut last_receipt_at_rentree = latest_start(last_request, notice_months)?;
    // A request made two school years before still takes effect by R, at
    // the latest (only a notice longer than a school year makes it later).
    if let Ok(previous) = rentree(SchoolYear(term_year.0 - 1))
        && let Some(day_before) = previous.pred_opt()
    {
        last_receipt_at_rentree = last_receipt_at_rentree.max(day_before);
    }
    let send_by = last_request.min(last_receipt);
    let send_by_at_rentree = last_request.min(last_receipt_at_rentree);
    Ok(TermDeadline {
        term,
        notice_months,
        term_year,
        target_rentree,
        last_request,
        last_receipt,
        last_receipt_at_rentree,
        send_by,
        send_by_at_rentree,
        diverge: send_by != send_by_at_rentree,
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
        assert!(t.explanation().contains(&DIVERGE.to_string()));
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

    #[test]
    fn latest_start_follows_the_end_of_month_rule() {
        // 31 August + 3 months = 30 November (no 31 November).
        assert_eq!(latest_start(d("2026-11-30"), 3), Ok(d("2026-08-31")));
        assert_eq!(latest_start(d("2027-01-14"), 3), Ok(d("2026-10-14")));
        assert_eq!(latest_start(d("2026-08-31"), 3), Ok(d("2026-05-31")));
        // 28 February 2027 is reached from 28, 29 and 30 November 2026.
        assert_eq!(latest_start(d("2027-02-28"), 3), Ok(d("2026-11-30")));
    }

    // Convention, art. 7: « renouvelable par tacite reconduction » ; art. 9:
    // « sous réserve d’un préavis de trois mois » and « La résiliation ne
    // prend effet qu’à compter de l’année scolaire qui suit celle au cours
    // de laquelle la résiliation a été demandée. »
    #[test]
    fn last_day_for_a_termination_at_the_term() {
        let cal = Calendar::new(CalendarId::Metropole);
        let school = SchoolCalendar::embedded();
        let at = |term: &str| last_day_for_term(d(term), 3, &cal, &school, None);
        // (term, rentrée of the year of term + 1, last receipt, last receipt
        // at a rentrée only, last day, last day at a rentrée only)
        for (term, rentree, receipt, at_rentree, send_by, send_by_at_rentree) in [
            (
                "2027-01-14",
                "2026-09-01",
                "2026-10-14",
                "2026-05-31",
                "2026-08-31",
                "2026-05-31",
            ),
            (
                "2026-09-03",
                "2026-09-01",
                "2026-06-03",
                "2026-05-31",
                "2026-06-03",
                "2026-05-31",
            ),
            (
                "2026-08-31",
                "2026-09-01",
                "2026-05-31",
                "2026-05-31",
                "2026-05-31",
                "2026-05-31",
            ),
            (
                "2026-11-30",
                "2026-09-01",
                "2026-08-31",
                "2026-05-31",
                "2026-08-31",
                "2026-05-31",
            ),
        ] {
            let t = at(term).expect(term);
            assert_eq!(t.target_rentree, d(rentree), "{term}");
            assert_eq!(t.last_request, d("2026-08-31"), "{term}");
            assert_eq!(t.last_receipt, d(receipt), "{term}");
            assert_eq!(t.last_receipt_at_rentree, d(at_rentree), "{term}");
            assert_eq!(t.send_by, d(send_by), "{term}");
            assert_eq!(t.send_by_at_rentree, d(send_by_at_rentree), "{term}");
            assert_eq!(t.diverge, send_by != send_by_at_rentree, "{term}");

            // The oracle: a letter on the last day takes effect by the day
            // after the term; one a day later does not (or its rentrée is
            // not published yet, which is later still).
            let term = d(term);
            let after_term = term.succ_opt().expect("date");
            let effect = |on: NaiveDate| compute(on, on, 3, &cal, &school, None);
            assert!(effect(t.send_by).expect("computable").effective <= after_term);
            let late = t.send_by.succ_opt().expect("date");
            match effect(late) {
                Ok(e) => assert!(e.effective > after_term, "{term}"),
                Err(TerminationError::School(SchoolError::RentreeUnknown { .. })) => {}
                Err(e) => panic!("{term}: {e}"),
            }
            let other = effect(t.send_by_at_rentree).expect("computable");
            assert!(other.effective_at_rentree.is_ok_and(|e| e <= after_term));
            let late = t.send_by_at_rentree.succ_opt().expect("date");
            let later = effect(late).expect("computable").effective_at_rentree;
            assert!(
                matches!(later, Err(SchoolError::RentreeUnknown { .. }))
                    || later.is_ok_and(|r| r > after_term),
                "{term}"
            );
        }
        // A term in force until 1 September 2027: the rentrée of the school
        // year of 2 September 2027 is not published.
        assert!(matches!(
            at("2027-09-01"),
            Err(TerminationError::School(SchoolError::BeyondData { .. }))
        ));
    }
}
