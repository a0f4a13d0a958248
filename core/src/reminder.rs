//! Deciding reminders. From a step's due date and its procedure's reminder
//! policy, the reminders that should exist by a given day: N working days
//! before, the morning of the last day, each overdue working day, and the
//! escalation. Each has a stable key, so deciding twice yields the same
//! rows; and a send instant inside the site's working hours.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};

use crate::calendar::Calendar;
use crate::procedure::ReminderPolicy;

/// When staff (and parents) may receive messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Default for WorkingHours {
    fn default() -> Self {
        WorkingHours {
            start: NaiveTime::from_hms_opt(8, 30, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default(),
        }
    }
}

impl WorkingHours {
    /// The instant `time` on `day` in the calendar's zone.
    pub fn at(calendar: &Calendar, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
        calendar
            .id
            .time_zone()
            .from_local_datetime(&day.and_time(time))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The first instant at or after `now` that is inside working hours on
    /// a working day (never at night, on a Sunday or on a holiday).
    pub fn next_open(&self, calendar: &Calendar, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&calendar.id.time_zone());
        let mut day = local.date_naive();
        let time = local.time();
        if calendar.is_working_day(day) && time >= self.start && time < self.end {
            return Some(now);
        }
        if !(calendar.is_working_day(day) && time < self.start) {
            day = calendar.add_working_days(day, 1)?;
        }
        Self::at(calendar, day, self.start)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// N working days before the last day.
    Before(u32),
    /// The morning of the last day.
    OnDay,
    /// The n-th working day overdue.
    Overdue(u32),
    /// Sent to the escalation role.
    Escalation,
}

impl Kind {
    /// Sent before or on the last day: the only reminders an information
    /// date has (it is never late).
    pub fn by_the_day(&self) -> bool {
        matches!(self, Kind::Before(_) | Kind::OnDay)
    }

    pub fn code(&self) -> String {
        match self {
            Kind::Before(n) => format!("avant-{n}"),
            Kind::OnDay => "jour".into(),
            Kind::Overdue(n) => format!("retard-{n}"),
            Kind::Escalation => "escalade".into(),
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        if code == "jour" {
            return Some(Kind::OnDay);
        }
        if code == "escalade" {
            return Some(Kind::Escalation);
        }
        if let Some(n) = code.strip_prefix("avant-") {
            return n.parse().ok().map(Kind::Before);
        }
        code.strip_prefix("retard-")
            .and_then(|n| n.parse().ok())
            .map(Kind::Overdue)
    }
}

/// A step awaiting action, as the scheduler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingStep<'a> {
    pub case_ref: &'a str,
    pub step: &'a str,
    pub role: &'a str,
    pub due: NaiveDate,
    pub policy: &'a ReminderPolicy,
}

/// A reminder decided for a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub key: String,
    pub kind: Kind,
    pub role: String,
    pub day: NaiveDate,
    pub send_at: DateTime<Utc>,
}

/// The reminders of `step` whose day is on or before `until`, in order.
/// The key names the case, step, due date and kind: a rescheduled step
/// gets new reminders, a step decided twice gets the same ones.
pub fn intents(
    step: &PendingStep<'_>,
    calendar: &Calendar,
    hours: &WorkingHours,
    until: NaiveDate,
) -> Vec<Intent> {
    let mut out = Vec::new();
    let mut push = |kind: Kind, day: NaiveDate, role: &str| {
        if day > until {
            return;
        }
        if let Some(send_at) = WorkingHours::at(calendar, day, hours.start) {
            out.push(Intent {
                key: format!("{}/{}/{}/{}", step.case_ref, step.step, step.due, kind.code()),
                kind,
                role: role.to_string(),
                day,
                send_at,
            });
        }
    };
    let p = step.policy;
    for n in &p.before_working_days {
        if let Some(day) = calendar.add_working_days(step.due, -i64::from(*n)) {
            push(Kind::Before(*n), day, step.role);
        }
    }
    // The last day itself, or the working day before when it is not one.
    let on_day = if calendar.is_working_day(step.due) {
        Some(step.due)
    } else {
        calendar.add_working_days(step.due, -1)
    };
    if p.on_day
        && let Some(day) = on_day
    {
        push(Kind::OnDay, day, step.role);
    }
    if p.overdue_daily {
        let mut n = 1u32;
        while let Some(day) = calendar.add_working_days(step.due, i64::from(n)) {
            if day > until || n > 60 {
                break;
            }
            push(Kind::Overdue(n), day, step.role);
            n += 1;
        }
    }
    if let (Some(after), Some(to)) = (p.escalate_after, &p.escalate_to)
        && let Some(day) = calendar.add_working_days(step.due, i64::from(after))
    {
        push(Kind::Escalation, day, to);
    }
    out.sort_by(|a, b| a.send_at.cmp(&b.send_at).then(a.key.cmp(&b.key)));
    out
}

/// How many days ahead administrators hear that a bot account expires.
pub const EXPIRY_WARNINGS: [i64; 3] = [30, 7, 1];

/// The warning due on `today` for an account that expires on `expires`:
/// the nearest of [`EXPIRY_WARNINGS`] not yet passed (a service stopped
/// on the 30th day warns at its next start with the 7-day one, once). `None`
/// beyond the first, and once expired (detected, not foretold).
pub fn expiry_warning(expires: NaiveDate, today: NaiveDate) -> Option<i64> {
    let left = (expires - today).num_days();
    if left < 0 {
        return None;
    }
    EXPIRY_WARNINGS.iter().rev().copied().find(|t| left <= *t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::CalendarId;
    use crate::procedure::LatePolicy;
    use crate::testing::d;

    fn policy() -> ReminderPolicy {
        ReminderPolicy {
            before_working_days: vec![5, 2],
            on_day: true,
            overdue_daily: true,
            escalate_after: Some(2),
            escalate_to: Some("chef_etablissement".into()),
            late: LatePolicy::Envoyer,
        }
    }

    /// The interview of a referral, due Friday 10 April 2026.
    fn entretien(policy: &ReminderPolicy) -> PendingStep<'_> {
        PendingStep {
            case_ref: "PAR-2026-0001",
            step: "entretien",
            role: "dasen",
            due: d("2026-04-10"),
            policy,
        }
    }

    #[test]
    fn reminders_fall_on_working_days_at_opening_time() {
        let cal = Calendar::new(CalendarId::Metropole);
        let p = policy();
        let step = entretien(&p);
        let all = intents(&step, &cal, &WorkingHours::default(), d("2026-04-15"));
        let days: Vec<(String, NaiveDate)> = all.iter().map(|i| (i.kind.code(), i.day)).collect();
        assert_eq!(
            days,
            vec![
                // 5 working days before Fri 10 April: Easter Monday is skipped.
                ("avant-5".to_string(), d("2026-04-02")),
                ("avant-2".to_string(), d("2026-04-08")),
                ("jour".to_string(), d("2026-04-10")),
                ("retard-1".to_string(), d("2026-04-13")),
                ("escalade".to_string(), d("2026-04-14")),
                ("retard-2".to_string(), d("2026-04-14")),
                ("retard-3".to_string(), d("2026-04-15")),
            ]
        );
        assert_eq!(all[0].send_at.to_rfc3339(), "2026-04-02T06:30:00+00:00");
        assert_eq!(all[0].key, "PAR-2026-0001/entretien/2026-04-10/avant-5");
        assert_eq!(all[4].role, "chef_etablissement");
    }

    #[test]
    fn until_bounds_and_keys_are_stable() {
        let cal = Calendar::new(CalendarId::Metropole);
        let p = policy();
        let step = entretien(&p);
        let early = intents(&step, &cal, &WorkingHours::default(), d("2026-04-08"));
        let late = intents(&step, &cal, &WorkingHours::default(), d("2026-04-15"));
        assert_eq!(early.len(), 2);
        assert_eq!(&late[..2], &early[..]);
    }

    #[test]
    fn next_open_skips_nights_sundays_and_holidays() {
        let cal = Calendar::new(CalendarId::Metropole);
        let h = WorkingHours::default();
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("instant")
                .with_timezone(&Utc)
        };
        // Saturday 4 April 2026 at noon: Sunday, then Easter Monday → Tuesday 08:30 Paris.
        assert_eq!(
            h.next_open(&cal, at("2026-04-04T10:00:00Z"))
                .map(|t| t.to_rfc3339()),
            Some("2026-04-07T06:30:00+00:00".into())
        );
        // Tuesday 23:00 → Wednesday 08:30.
        assert_eq!(
            h.next_open(&cal, at("2026-04-07T21:00:00Z"))
                .map(|t| t.to_rfc3339()),
            Some("2026-04-08T06:30:00+00:00".into())
        );
        // Wednesday 06:00 Paris → 08:30 the same day.
        assert_eq!(
            h.next_open(&cal, at("2026-04-08T04:00:00Z"))
                .map(|t| t.to_rfc3339()),
            Some("2026-04-08T06:30:00+00:00".into())
        );
        // Inside hours: now.
        let now = at("2026-04-08T09:00:00Z");
        assert_eq!(h.next_open(&cal, now), Some(now));
    }

    #[test]
    fn kind_codes_round_trip() {
        for k in [Kind::Before(5), Kind::OnDay, Kind::Overdue(3), Kind::Escalation] {
            assert_eq!(Kind::parse(&k.code()), Some(k));
        }
        assert_eq!(Kind::parse("autre"), None);
    }

    #[test]
    fn an_expiring_account_is_told_30_7_and_1_days_ahead() {
        let expires = NaiveDate::from_ymd_opt(2027, 12, 31).expect("date");
        let on = |days: i64| expiry_warning(expires, expires - chrono::Duration::days(days));
        assert_eq!(on(31), None);
        assert_eq!(on(30), Some(30));
        assert_eq!(on(8), Some(30));
        assert_eq!(on(7), Some(7));
        assert_eq!(on(2), Some(7));
        assert_eq!(on(1), Some(1));
        assert_eq!(on(0), Some(1));
        assert_eq!(on(-1), None);
    }
}
