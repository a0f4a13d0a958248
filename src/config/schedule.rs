//! When things happen: `[horaires]` (working hours of reminders),
//! `[[recapitulatifs]]` (digests by cron), `[planificateur]` (tick and
//! lease) and `[dossiers]` (how far ahead a step may be rescheduled).

use chrono::NaiveTime;
use echeancier_core::reminder::WorkingHours;
use toml::Spanned;

use super::{Check, DigestSettings, RawCases, RawDigest, RawHours, RawScheduler, span_of};

pub(super) fn hours(raw: &RawHours, check: &mut Check<'_>) -> WorkingHours {
    let hours = WorkingHours {
        start: time(raw.debut.as_ref(), "08:30", check),
        end: time(raw.fin.as_ref(), "18:00", check),
    };
    if hours.start >= hours.end {
        check.err(0..0, "horaires : le début doit précéder la fin");
    }
    hours
}

pub(super) fn time(v: Option<&Spanned<String>>, default: &str, check: &mut Check<'_>) -> NaiveTime {
    let s = v.map(|s| s.get_ref().as_str()).unwrap_or(default);
    match NaiveTime::parse_from_str(s, "%H:%M") {
        Ok(t) => t,
        Err(_) => {
            check.err(span_of(v), format!("heure « {s} » invalide : attendu HH:MM"));
            NaiveTime::MIN
        }
    }
}

pub(super) fn digests(raw: &[RawDigest], check: &mut Check<'_>) -> Vec<DigestSettings> {
    let mut digests = Vec::new();
    for d in raw {
        match d.cron.get_ref().parse::<cron::Schedule>() {
            Ok(schedule) => digests.push(DigestSettings {
                schedule,
                expression: d.cron.get_ref().clone(),
                month: d.periode.get_ref() == "mois",
            }),
            Err(e) => check.err(
                d.cron.span(),
                format!(
                    "expression cron « {} » invalide ({e}) : attendu par exemple \"0 0 8 * * Mon\"",
                    d.cron.get_ref()
                ),
            ),
        }
        if !["semaine", "mois"].contains(&d.periode.get_ref().as_str()) {
            check.err(d.periode.span(), "periode : semaine ou mois");
        }
    }
    digests
}

/// Seconds between ticks, and how long a claimed delivery stays with its
/// instance; out-of-range values are brought back into range.
pub(super) fn scheduler(raw: &RawScheduler) -> (u64, u64) {
    (
        raw.intervalle_secondes.unwrap_or(30).clamp(1, 3600),
        raw.bail_secondes.unwrap_or(300).clamp(5, 86_400),
    )
}

/// In days from today.
pub(super) fn reschedule_horizon(raw: &RawCases) -> i64 {
    i64::from(raw.horizon_report_jours.unwrap_or(365).clamp(1, 3650))
}
