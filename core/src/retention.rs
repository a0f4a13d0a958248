//! How long case data is kept (RGPD, minors): while the case is open, then
//! until the end of the school year following its closing, unless the
//! configuration sets a number of months. The audit trail outlives it.

use chrono::{Months, NaiveDate};

use crate::calendar::CalendarId;
use crate::school::{SchoolCalendar, SchoolError, SchoolYear};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// Until the end of the school year after the one the case closed in.
    FollowingSchoolYear,
    /// A fixed number of months after closing.
    Months(u32),
}

/// The first day the data of a case closed on `closed` may be purged.
/// `Err` when the school calendar does not reach that far yet: keep it.
pub fn purge_from(
    closed: NaiveDate,
    calendar: CalendarId,
    school: &SchoolCalendar,
    rule: Retention,
) -> Result<NaiveDate, SchoolError> {
    match rule {
        Retention::Months(n) => Ok(closed
            .checked_add_months(Months::new(n))
            .unwrap_or(NaiveDate::MAX)),
        Retention::FollowingSchoolYear => {
            let year = school.school_year(closed, calendar)?;
            // The year after ends the day before the rentrée two years on.
            school.rentree(SchoolYear(year.0 + 2))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::d;

    #[test]
    fn kept_until_the_end_of_the_following_school_year() {
        let school = SchoolCalendar::embedded();
        let m = CalendarId::Metropole;
        // Closed in 2023-2024: kept through 2024-2025, purged from the 2025 rentrée.
        assert_eq!(
            purge_from(d("2024-03-01"), m, &school, Retention::FollowingSchoolYear),
            Ok(d("2025-09-01"))
        );
        // Closed in July 2024 still belongs to 2023-2024.
        assert_eq!(
            purge_from(d("2024-07-20"), m, &school, Retention::FollowingSchoolYear),
            Ok(d("2025-09-01"))
        );
        assert_eq!(
            purge_from(d("2024-09-03"), m, &school, Retention::FollowingSchoolYear),
            Ok(d("2026-09-01"))
        );
        // Closed in 2025-2026: the 2027 rentrée is not published, so keep.
        assert!(purge_from(d("2025-10-01"), m, &school, Retention::FollowingSchoolYear).is_err());
        assert_eq!(
            purge_from(d("2025-10-31"), m, &school, Retention::Months(6)),
            Ok(d("2026-04-30"))
        );
    }
}
