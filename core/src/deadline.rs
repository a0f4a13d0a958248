//! Deadline computation under the Code de procédure civile, art. 640 to 642:
//! days, weeks, months, years, the roll of a last day that is not a working
//! day, délais francs and inclusive periods. Every result explains itself.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Days, Months, NaiveDate, TimeZone};

use crate::calendar::{Calendar, NonWorking};
use crate::french::{capitalize, count, long_date};

/// What happens when a last day is not a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Roll {
    /// Art. 642: to the next working day. For "a party must act by".
    Forward,
    /// Never moved: notice periods, durations, implicit decisions.
    None,
    /// To the previous working day: internal targets "done before X".
    Backward,
}

impl Roll {
    pub fn as_str(self) -> &'static str {
        match self {
            Roll::Forward => "forward",
            Roll::None => "none",
            Roll::Backward => "backward",
        }
    }

    /// The policy in words, without parentheses: rule descriptions are
    /// quoted inside other sentences and parentheses.
    pub fn describe(self) -> &'static str {
        match self {
            Roll::Forward => "report au jour ouvré suivant",
            Roll::None => "jamais prolongé",
            Roll::Backward => "objectif interne, avancé au jour ouvré précédent",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("règle de report inconnue « {0} » : attendu forward, none ou backward")]
pub struct UnknownRoll(pub String);

impl FromStr for Roll {
    type Err = UnknownRoll;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "forward" | "suivant" => Ok(Roll::Forward),
            "none" | "aucun" => Ok(Roll::None),
            "backward" | "precedent" | "précédent" => Ok(Roll::Backward),
            other => Err(UnknownRoll(other.to_string())),
        }
    }
}

/// The unit a period was written in; kept to explain the rule as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    Days,
    Weeks,
    Months,
    Years,
}

/// A period as written: an amount of one unit, optionally followed by days
/// ("2 mois et 5 jours": months first, then days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    pub amount: u32,
    pub unit: Unit,
    pub and_days: u32,
}

/// The largest amounts accepted, far beyond any legal period; they keep all
/// arithmetic inside chrono's range.
pub const MAX_DAYS: u32 = 36_600;
pub const MAX_MONTHS: u32 = 1_200;

impl Period {
    pub fn days(n: u32) -> Self {
        Period {
            amount: n,
            unit: Unit::Days,
            and_days: 0,
        }
    }
    pub fn weeks(n: u32) -> Self {
        Period {
            amount: n,
            unit: Unit::Weeks,
            and_days: 0,
        }
    }
    pub fn months(n: u32) -> Self {
        Period {
            amount: n,
            unit: Unit::Months,
            and_days: 0,
        }
    }
    pub fn years(n: u32) -> Self {
        Period {
            amount: n,
            unit: Unit::Years,
            and_days: 0,
        }
    }
    pub fn and_days(mut self, n: u32) -> Self {
        self.and_days = n;
        self
    }

    /// The period as (whole months, days): weeks are days, years are months.
    pub fn normalized(&self) -> Result<(u32, u32), DeadlineError> {
        let (months, days) = match self.unit {
            Unit::Days => (0, Some(self.amount)),
            Unit::Weeks => (0, self.amount.checked_mul(7)),
            Unit::Months => (self.amount, Some(0)),
            Unit::Years => (self.amount.saturating_mul(12), Some(0)),
        };
        let days = days
            .and_then(|d| d.checked_add(self.and_days))
            .filter(|d| *d <= MAX_DAYS)
            .ok_or(DeadlineError::TooLong)?;
        if months > MAX_MONTHS {
            return Err(DeadlineError::TooLong);
        }
        Ok((months, days))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |x: u32| x as usize;
        let main = match self.unit {
            Unit::Days => count(n(self.amount), "jour", "jours"),
            Unit::Weeks => count(n(self.amount), "semaine", "semaines"),
            Unit::Months => format!("{} mois", self.amount),
            Unit::Years => count(n(self.amount), "an", "ans"),
        };
        let days = count(n(self.and_days), "jour", "jours");
        // Never "0 jour": a period of nothing falls on its starting day.
        match (self.amount, self.and_days) {
            (0, 0) => f.write_str("le jour même"),
            (0, _) => f.write_str(&days),
            (_, 0) => f.write_str(&main),
            _ => write!(f, "{main} et {days}"),
        }
    }
}

impl Period {
    /// A period of no time at all: the last day is the starting day.
    pub fn is_zero(&self) -> bool {
        self.amount == 0 && self.and_days == 0
    }
}

/// Whether the period runs after its starting point or ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    After,
    /// "N days before X": the last day is N days before the anchor.
    Before,
}

/// A complete deadline rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rule {
    pub period: Period,
    pub roll: Roll,
    /// Délai franc: neither the first nor the last day counts (last day + 1).
    pub franc: bool,
    /// The starting day counts ("in force from D for N years": D + N years − 1 day).
    pub inclusive: bool,
    pub direction: Direction,
}

impl Rule {
    pub fn new(period: Period, roll: Roll) -> Self {
        Rule {
            period,
            roll,
            franc: false,
            inclusive: false,
            direction: Direction::After,
        }
    }
    pub fn franc(mut self) -> Self {
        self.franc = true;
        self
    }
    pub fn inclusive(mut self) -> Self {
        self.inclusive = true;
        self
    }
    pub fn before(mut self) -> Self {
        self.direction = Direction::Before;
        self
    }

    pub fn validate(&self) -> Result<(), DeadlineError> {
        self.period.normalized()?;
        if self.franc && self.inclusive {
            return Err(DeadlineError::Contradiction(
                "un délai ne peut pas être à la fois franc et inclusif",
            ));
        }
        if self.direction == Direction::Before && (self.franc || self.inclusive) {
            return Err(DeadlineError::Contradiction(
                "un délai « avant » ne peut pas être franc ni inclusif",
            ));
        }
        Ok(())
    }

    /// The rule in words, in French.
    pub fn describe(&self) -> String {
        let mut s = self.describe_period();
        s.push_str(", ");
        s.push_str(self.roll.describe());
        s
    }

    /// The rule in words without its roll policy ("15 jours", "3 mois,
    /// délai franc"): [`Roll::describe`] says that.
    pub fn describe_period(&self) -> String {
        let mut s = match self.direction {
            Direction::After => self.period.to_string(),
            Direction::Before if self.period.is_zero() => self.period.to_string(),
            Direction::Before => format!("{} avant", self.period),
        };
        if self.franc {
            s.push_str(", délai franc");
        }
        if self.inclusive {
            s.push_str(", jour de départ compris");
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    #[error("durée trop longue : au plus {MAX_DAYS} jours ou {MAX_MONTHS} mois")]
    TooLong,
    #[error("date hors de la plage de calcul")]
    OutOfRange,
    #[error("{0}")]
    Contradiction(&'static str),
}

/// One day skipped while rolling, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub day: NaiveDate,
    pub reason: NonWorking,
}

/// A computed deadline with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub start: NaiveDate,
    pub rule: Rule,
    /// The last day before any roll (after the franc day if any).
    pub raw_end: NaiveDate,
    /// Days skipped by the roll, in the order they were passed.
    pub skipped: Vec<Skip>,
    pub end: NaiveDate,
    pub calendar: crate::calendar::CalendarId,
    /// A last day that is not a working day and stays the last day (roll
    /// `none`), and why: the explanation says so.
    pub kept: Option<NonWorking>,
}

impl Deadline {
    /// The instant the deadline expires: 24:00 local time on its last day.
    pub fn expires_at(&self) -> Option<DateTime<chrono_tz::Tz>> {
        let next = self.end.succ_opt()?;
        self.calendar
            .time_zone()
            .from_local_datetime(&next.and_hms_opt(0, 0, 0)?)
            .earliest()
    }

    /// The explanation, one French sentence per step, in words a head of
    /// school reads without the Code de procédure civile at hand.
    pub fn explanation(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let zero = self.rule.period.is_zero();
        let before = self.rule.direction == Direction::Before;
        let start_note = match (before, self.rule.inclusive) {
            _ if zero => "le délai se termine ce jour-là",
            (true, _) => "le délai se compte en remontant à partir de ce jour",
            (_, true) => "ce jour compte",
            (_, false) => "ce jour ne compte pas",
        };
        let start_label = if before && !zero {
            "Date de référence"
        } else {
            "Point de départ"
        };
        lines.push(format!(
            "{start_label} : {} ({start_note}).",
            long_date(self.start)
        ));
        lines.push(format!(
            "Règle : {} ; jours fériés {}.",
            self.rule.describe(),
            self.calendar.of_territory()
        ));
        if self.rule.franc {
            lines.push(
                "Délai franc : ni le jour de départ ni le dernier jour ne comptent, le délai dure donc un jour de plus."
                    .to_string(),
            );
        }
        let last_day = if before && !zero {
            format!(
                "{} avant cette date, c'est le {}",
                capitalize(&self.rule.period.to_string()),
                long_date(self.raw_end)
            )
        } else {
            format!("Le délai se termine le {}", long_date(self.raw_end))
        };
        if self.skipped.is_empty() {
            lines.push(format!("{last_day}."));
        } else {
            let moved = match self.rule.roll {
                Roll::Backward => "l'échéance est avancée au jour ouvré précédent",
                _ => "l'échéance passe au jour ouvré suivant",
            };
            lines.push(format!("{last_day} ; ce jour n'étant pas ouvré, {moved}."));
        }
        let verb = match self.rule.roll {
            Roll::Backward => "on recule d'un jour",
            _ => "on passe au jour suivant",
        };
        for skip in &self.skipped {
            lines.push(format!(
                "{} : {}, {verb}.",
                capitalize(&long_date(skip.day)),
                not_working(&skip.reason)
            ));
        }
        if let Some(reason) = &self.kept {
            let when = match reason {
                NonWorking::Saturday | NonWorking::Sunday => "Ce jour tombe un week-end".to_string(),
                NonWorking::Holiday(name) => format!("Ce jour est férié ({name})"),
                NonWorking::Closed(label) => format!("Le service est fermé ce jour-là ({label})"),
            };
            lines.push(format!("{when}, mais ce délai n'est jamais prolongé."));
        }
        lines.push(format!(
            "Échéance : {} à 24 h ({}).",
            long_date(self.end),
            self.calendar.time_name()
        ));
        lines
    }
}

/// Why a day is not worked, as an explanation names it: "week-end" rather
/// than "samedi" after "Samedi 4 avril 2026", a holiday by its name.
fn not_working(reason: &NonWorking) -> String {
    match reason {
        NonWorking::Saturday | NonWorking::Sunday => "week-end".to_string(),
        NonWorking::Holiday(name) => format!("jour férié ({name})"),
        NonWorking::Closed(label) => format!("service fermé ({label})"),
    }
}

/// Computes the last day of `rule` from `start` on `calendar`.
pub fn compute(start: NaiveDate, rule: &Rule, calendar: &Calendar) -> Result<Deadline, DeadlineError> {
    rule.validate()?;
    let (months, days) = rule.period.normalized()?;
    // Months from the origin in one step, then days (art. 641).
    let raw = match rule.direction {
        Direction::After => start
            .checked_add_months(Months::new(months))
            .and_then(|d| d.checked_add_days(Days::new(days.into()))),
        Direction::Before => start
            .checked_sub_months(Months::new(months))
            .and_then(|d| d.checked_sub_days(Days::new(days.into()))),
    }
    .ok_or(DeadlineError::OutOfRange)?;
    let raw = if rule.inclusive {
        raw.pred_opt().ok_or(DeadlineError::OutOfRange)?
    } else if rule.franc {
        raw.succ_opt().ok_or(DeadlineError::OutOfRange)?
    } else {
        raw
    };
    let (end, skipped) = roll(raw, rule.roll, calendar)?;
    let kept = match rule.roll {
        Roll::None => calendar.non_working(raw),
        _ => None,
    };
    Ok(Deadline {
        start,
        rule: *rule,
        raw_end: raw,
        skipped,
        end,
        calendar: calendar.id,
        kept,
    })
}

/// Moves `day` to a working day according to `policy`, recording each skip.
pub fn roll(
    day: NaiveDate,
    policy: Roll,
    calendar: &Calendar,
) -> Result<(NaiveDate, Vec<Skip>), DeadlineError> {
    let mut skipped = Vec::new();
    let mut d = day;
    if policy == Roll::None {
        return Ok((d, skipped));
    }
    while let Some(reason) = calendar.non_working(d) {
        skipped.push(Skip { day: d, reason });
        d = match policy {
            Roll::Forward => d.succ_opt(),
            Roll::Backward => d.pred_opt(),
            Roll::None => Some(d),
        }
        .ok_or(DeadlineError::OutOfRange)?;
    }
    Ok((d, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::CalendarId;
    use crate::testing::d;

    fn end(start: &str, rule: Rule, cal: CalendarId) -> NaiveDate {
        compute(d(start), &rule, &Calendar::new(cal))
            .expect("computable")
            .end
    }

    use CalendarId::*;

    /// The worked examples of the domain brief, §2.
    #[test]
    fn domain_worked_examples() {
        let fwd = |p| Rule::new(p, Roll::Forward);
        assert_eq!(
            end("2026-03-05", fwd(Period::days(10)), Metropole),
            d("2026-03-16")
        );
        assert_eq!(
            end("2026-06-29", fwd(Period::days(15)), Metropole),
            d("2026-07-15")
        );
        assert_eq!(
            end("2026-03-20", fwd(Period::days(15)), Metropole),
            d("2026-04-07")
        );
        assert_eq!(
            end("2026-03-24", fwd(Period::days(10)), AlsaceMoselle),
            d("2026-04-07")
        );
        assert_eq!(
            end("2026-01-31", fwd(Period::months(1)), Metropole),
            d("2026-03-02")
        );
        assert_eq!(
            end("2026-01-31", fwd(Period::months(2)), Metropole),
            d("2026-03-31")
        );
        assert_eq!(
            end(
                "2026-12-09",
                Rule::new(Period::days(10), Roll::Backward),
                Metropole
            ),
            d("2026-12-18")
        );
    }

    #[test]
    fn conseil_d_etat_delai_franc() {
        // CE 13 May 2015 n° 368892: notified Thu 1 Mar 2012, 15 days franc.
        let rule = Rule::new(Period::days(15), Roll::Forward).franc();
        let dl = compute(d("2012-03-01"), &rule, &Calendar::new(Metropole)).expect("ok");
        assert_eq!(dl.raw_end, d("2012-03-17"));
        assert_eq!(dl.end, d("2012-03-19"));
    }

    #[test]
    fn rolls_chain_and_are_explained() {
        let rule = Rule::new(Period::days(15), Roll::Forward);
        let dl = compute(d("2026-03-20"), &rule, &Calendar::new(Metropole)).expect("ok");
        assert_eq!(dl.raw_end, d("2026-04-04"));
        let skipped: Vec<_> = dl.skipped.iter().map(|s| s.day).collect();
        assert_eq!(skipped, vec![d("2026-04-04"), d("2026-04-05"), d("2026-04-06")]);
        let text = dl.explanation().join("\n");
        assert!(text.contains("samedi 4 avril 2026"), "{text}");
        assert!(text.contains("lundi de Pâques"), "{text}");
        assert!(
            text.contains("Échéance : mardi 7 avril 2026 à 24 h (heure de Paris)"),
            "{text}"
        );
        assert!(
            text.contains("Le délai se termine le samedi 4 avril 2026 ; ce jour n'étant pas ouvré"),
            "{text}"
        );
        assert!(!text.contains("brut") && !text.contains("Europe/"), "{text}");
    }

    #[test]
    fn a_rule_of_no_days_says_the_same_day() {
        let rule = Rule::new(Period::days(0), Roll::Forward);
        let dl = compute(d("2026-12-08"), &rule, &Calendar::new(Metropole)).expect("ok");
        assert_eq!(dl.end, d("2026-12-08"));
        let text = dl.explanation().join("\n");
        assert!(text.contains("Règle : le jour même, report"), "{text}");
        assert!(text.contains("le délai se termine ce jour-là"), "{text}");
        assert!(!text.contains("0 jour"), "{text}");
        assert_eq!(Period::months(0).and_days(5).to_string(), "5 jours");
        assert_eq!(Period::days(1).to_string(), "1 jour");
        assert_eq!(Period::months(2).and_days(1).to_string(), "2 mois et 1 jour");
        assert_eq!(
            Rule::new(Period::days(0), Roll::Backward).before().describe(),
            "le jour même, objectif interne, avancé au jour ouvré précédent"
        );
    }

    #[test]
    fn holiday_inside_period_changes_nothing() {
        // 1 May inside the period; last day is a working day.
        assert_eq!(
            end(
                "2026-04-27",
                Rule::new(Period::days(10), Roll::Forward),
                Metropole
            ),
            d("2026-05-07")
        );
    }

    #[test]
    fn none_never_moves() {
        let rule = Rule::new(Period::months(3), Roll::None);
        let dl = compute(d("2026-03-14"), &rule, &Calendar::new(Metropole)).expect("ok");
        assert_eq!(dl.end, d("2026-06-14")); // a Sunday
        assert!(dl.skipped.is_empty());
        let text = dl.explanation().join("\n");
        assert!(
            text.contains("Ce jour tombe un week-end, mais ce délai n'est jamais prolongé."),
            "{text}"
        );
        // A holiday kept as the last day is named; a site's closure too.
        let mut cal = Calendar::new(Metropole);
        cal.closed_days
            .insert(d("2026-05-15"), "pont de l'Ascension".into());
        let rule = Rule::new(Period::months(2), Roll::None);
        let text = compute(d("2026-03-15"), &rule, &cal)
            .expect("ok")
            .explanation()
            .join("\n");
        assert!(
            text.contains(
                "Le service est fermé ce jour-là (pont de l'Ascension), mais ce délai n'est jamais prolongé."
            ),
            "{text}"
        );
        let text = compute(d("2026-10-25"), &rule, &cal)
            .expect("ok")
            .explanation()
            .join("\n");
        assert!(text.contains("Ce jour est férié (Noël)"), "{text}");
    }

    /// The words a head of school reads: no article of a code, no
    /// parentheses inside parentheses when a rule is quoted, no "brut".
    #[test]
    fn explanations_in_plain_words() {
        for roll in [Roll::Forward, Roll::None, Roll::Backward] {
            let described = Rule::new(Period::days(10), roll).describe();
            assert!(
                !described.contains('(') && !described.contains("CPC"),
                "{described}"
            );
        }
        let franc = Rule::new(Period::days(15), Roll::Forward).franc();
        let text = compute(d("2012-03-01"), &franc, &Calendar::new(Metropole))
            .expect("ok")
            .explanation()
            .join("\n");
        assert!(
            text.contains("Délai franc : ni le jour de départ ni le dernier jour ne comptent"),
            "{text}"
        );
        assert!(
            text.contains("Le délai se termine le samedi 17 mars 2012 ; ce jour n'étant pas ouvré"),
            "{text}"
        );
        let before = Rule::new(Period::days(1), Roll::Backward).before();
        let text = compute(d("2026-03-02"), &before, &Calendar::new(Metropole))
            .expect("ok")
            .explanation()
            .join("\n");
        assert!(
            text.contains(
                "Date de référence : lundi 2 mars 2026 (le délai se compte en remontant à partir de ce jour)."
            ),
            "{text}"
        );
        assert!(
            text.contains("1 jour avant cette date, c'est le dimanche 1er mars 2026 ; ce jour n'étant pas ouvré, l'échéance est avancée au jour ouvré précédent."),
            "{text}"
        );
        assert!(
            text.contains("Échéance : vendredi 27 février 2026 à 24 h (heure de Paris)."),
            "{text}"
        );
        for line in text.lines() {
            assert!(line.ends_with('.'), "{line}");
            assert!(
                line.chars()
                    .next()
                    .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit()),
                "{line}"
            );
        }
    }

    #[test]
    fn weeks_are_days_and_months_then_days() {
        assert_eq!(
            end("2026-01-05", Rule::new(Period::weeks(6), Roll::None), Metropole),
            d("2026-02-16")
        );
        assert_eq!(
            end(
                "2026-01-31",
                Rule::new(Period::months(1).and_days(2), Roll::None),
                Metropole
            ),
            d("2026-03-02")
        );
    }

    #[test]
    fn inclusive_years_and_leap_day() {
        let rule = Rule::new(Period::years(3), Roll::None).inclusive();
        assert_eq!(end("2026-09-01", rule, Metropole), d("2029-08-31"));
        // 29 Feb + 1 year: no 29 Feb 2025, last day of February.
        assert_eq!(
            end("2024-02-29", Rule::new(Period::years(1), Roll::None), Metropole),
            d("2025-02-28")
        );
    }

    #[test]
    fn before_direction() {
        let rule = Rule::new(Period::days(1), Roll::Backward).before();
        // Internship starts Mon 2 Mar 2026: agreement signed by Fri 27 Feb.
        assert_eq!(end("2026-03-02", rule, Metropole), d("2026-02-27"));
    }

    #[test]
    fn overseas_zone_and_holiday() {
        let rule = Rule::new(Period::days(10), Roll::Forward);
        let dl = compute(d("2026-12-10"), &rule, &Calendar::new(Reunion)).expect("ok");
        // Sun 20 Dec is a Sunday and the abolition day; Mon 21 is working.
        assert_eq!(dl.end, d("2026-12-21"));
        let expiry = dl.expires_at().expect("expiry");
        assert_eq!(expiry.to_rfc3339(), "2026-12-22T00:00:00+04:00");
        let text = dl.explanation().join("\n");
        assert!(text.contains("Dimanche 20 décembre 2026 : week-end"), "{text}");
        assert!(text.contains("jours fériés de La Réunion"), "{text}");
        assert!(text.contains("à 24 h (heure de La Réunion)"), "{text}");
    }

    #[test]
    fn refuses_contradictions_and_huge_amounts() {
        let cal = Calendar::new(Metropole);
        let both = Rule::new(Period::days(1), Roll::None).franc().inclusive();
        assert!(compute(d("2026-01-01"), &both, &cal).is_err());
        let huge = Rule::new(Period::days(u32::MAX), Roll::None);
        assert_eq!(compute(d("2026-01-01"), &huge, &cal), Err(DeadlineError::TooLong));
        let huge = Rule::new(Period::years(u32::MAX), Roll::None);
        assert_eq!(compute(d("2026-01-01"), &huge, &cal), Err(DeadlineError::TooLong));
    }
}
