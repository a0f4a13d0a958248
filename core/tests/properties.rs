//! Property tests of the deadline engine.

use chrono::{Datelike, Days, Months, NaiveDate};
use echeancier_core::calendar::{Calendar, CalendarId};
use echeancier_core::deadline::{Period, Roll, Rule, compute};
use echeancier_core::french::long_date;
use proptest::prelude::*;

fn any_date() -> impl Strategy<Value = NaiveDate> {
    // 1990-01-01 plus up to ~60 years.
    (0u64..22_000).prop_map(|n| NaiveDate::from_ymd_opt(1990, 1, 1).expect("date") + Days::new(n))
}

fn any_calendar() -> impl Strategy<Value = Calendar> {
    (0usize..CalendarId::ALL.len(), any::<bool>()).prop_map(|(i, gf)| {
        let id = CalendarId::ALL[i];
        let cal = Calendar::new(id);
        if id == CalendarId::AlsaceMoselle {
            cal.with_good_friday(gf)
        } else {
            cal
        }
    })
}

fn any_period() -> impl Strategy<Value = Period> {
    prop_oneof![
        (0u32..400).prop_map(Period::days),
        (0u32..60).prop_map(Period::weeks),
        (0u32..60).prop_map(Period::months),
        (0u32..10).prop_map(Period::years),
        (0u32..24, 0u32..40).prop_map(|(m, d)| Period::months(m).and_days(d)),
    ]
}

proptest! {
    #[test]
    fn forward_lands_on_a_working_day_never_before_raw_end(
        start in any_date(), period in any_period(), cal in any_calendar(), franc in any::<bool>()
    ) {
        let mut rule = Rule::new(period, Roll::Forward);
        rule.franc = franc;
        let dl = compute(start, &rule, &cal).expect("computable");
        prop_assert!(cal.is_working_day(dl.end));
        prop_assert!(dl.end >= dl.raw_end);
        // Every day between raw end and end was skipped for a reason.
        prop_assert_eq!(dl.skipped.len() as i64, (dl.end - dl.raw_end).num_days());
        prop_assert!(dl.skipped.iter().all(|s| !cal.is_working_day(s.day)));
    }

    #[test]
    fn backward_never_moves_after_raw_end(start in any_date(), period in any_period(), cal in any_calendar()) {
        let dl = compute(start, &Rule::new(period, Roll::Backward), &cal).expect("computable");
        prop_assert!(cal.is_working_day(dl.end));
        prop_assert!(dl.end <= dl.raw_end);
    }

    #[test]
    fn none_never_moves(start in any_date(), period in any_period(), cal in any_calendar()) {
        let dl = compute(start, &Rule::new(period, Roll::None), &cal).expect("computable");
        prop_assert_eq!(dl.end, dl.raw_end);
        prop_assert!(dl.skipped.is_empty());
    }

    #[test]
    fn months_are_added_from_the_origin(start in any_date(), m in 1u32..48) {
        let cal = Calendar::new(CalendarId::Metropole);
        let dl = compute(start, &Rule::new(Period::months(m), Roll::None), &cal).expect("computable");
        // Same day of month, or the last day of a shorter month; never
        // the result of adding one month m times.
        let expected = start.checked_add_months(Months::new(m)).expect("in range");
        prop_assert_eq!(dl.raw_end, expected);
        let last_of_month = expected.succ_opt().expect("next").month() != expected.month();
        prop_assert!(expected.day() == start.day() || (last_of_month && expected.day() < start.day()));
    }

    #[test]
    fn inclusive_is_one_day_shorter(start in any_date(), period in any_period()) {
        let cal = Calendar::new(CalendarId::Metropole);
        let plain = compute(start, &Rule::new(period, Roll::None), &cal).expect("computable");
        let incl = compute(start, &Rule::new(period, Roll::None).inclusive(), &cal).expect("computable");
        prop_assert_eq!(incl.raw_end + Days::new(1), plain.raw_end);
    }

    #[test]
    fn explanation_names_start_raw_end_and_end(start in any_date(), period in any_period(), cal in any_calendar()) {
        let dl = compute(start, &Rule::new(period, Roll::Forward), &cal).expect("computable");
        let text = dl.explanation().join("\n");
        prop_assert!(text.contains("Point de départ"));
        let last_day = format!("Le délai se termine le {}", long_date(dl.raw_end));
        let expiry = format!("Échéance : {} à 24 h", long_date(dl.end));
        prop_assert!(text.contains(&last_day));
        prop_assert!(text.contains(&expiry));
        // Plain words: no IANA zone, no "0 jour".
        prop_assert!(!text.contains("brut") && !text.contains('/') && !text.contains(" 0 jour"));
        prop_assert_eq!(dl.explanation().len(), 4 + dl.skipped.len());
    }
}
