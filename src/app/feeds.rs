//! Calendar feeds: a person's deadlines and appointments as an RFC 5545
//! calendar behind a secret address, `/agenda/TOKEN.ics`, that phones and
//! desktop calendars subscribe to. The token signs (person, generation):
//! renewing bumps the generation, so the previous address stops working;
//! revoking disables the feed.
//!
//! Calendars end up on phones and in other companies' clouds, so a feed
//! holds opaque references only: the case reference, the step's name, the
//! role responsible, dates, and an appointment's place (an establishment's
//! address). Never a pupil's or guardian's name, class or address.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use echeancier_core::calendar::CalendarId;
use serde_json::json;

use super::sessions::{same, sign};
use crate::store::Store;

use super::{App, AppError, Result, record};

/// Characters of the HMAC kept in the address: 192 bits, and an address
/// short enough for a legible QR code.
const SIGNATURE_CHARS: usize = 32;
/// How far ahead a feed looks: half a school year.
const WEEKS: i64 = 26;
/// Where UIDs live: a domain that can never be anyone's (RFC 2606).
const UID_DOMAIN: &str = "echeancier.invalid";

fn signature(key: &[u8], person_id: i64, generation: i64) -> String {
    let mut s = sign(key, &["agenda", &person_id.to_string(), &generation.to_string()]);
    s.truncate(SIGNATURE_CHARS);
    s
}

/// `PERSON-GENERATION-SIGNATURE`.
fn format_token(key: &[u8], person_id: i64, generation: i64) -> Result<String> {
    let sig = signature(key, person_id, generation);
    if sig.len() != SIGNATURE_CHARS {
        return Err(AppError::Runtime("signature d'agenda impossible".into()));
    }
    Ok(format!("{person_id}-{generation}-{sig}"))
}

/// A number as tokens write it: digits only, no sign, no leading zero, so
/// that one token has one spelling.
fn number(s: &str) -> Option<i64> {
    if s.is_empty()
        || s.len() > 18
        || !s.bytes().all(|b| b.is_ascii_digit())
        || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// Person, generation and signature of a token, unchecked. The signature
/// is base64url, which may itself contain `-`: only the first two dashes
/// separate.
fn parse_token(token: &str) -> Option<(i64, i64, &str)> {
    let mut parts = token.splitn(3, '-');
    let person = number(parts.next()?)?;
    let generation = number(parts.next()?)?;
    let sig = parts.next()?;
    let base64url = sig
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (sig.len() == SIGNATURE_CHARS && base64url).then_some((person, generation, sig))
}

/// Person and generation of a token whose signature holds.
fn verify_token(key: &[u8], token: &str) -> Option<(i64, i64)> {
    let (person, generation, sig) = parse_token(token)?;
    same(&signature(key, person, generation), sig).then_some((person, generation))
}

/// One event of a feed, already reduced to what may leave the office.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Deadline {
        reference: String,
        step: String,
        step_name: String,
        role: String,
        due: NaiveDate,
        late: bool,
        /// A date given for information (never late).
        information: bool,
    },
    Appointment {
        reference: String,
        step: String,
        step_name: String,
        start: DateTime<Utc>,
        minutes: i64,
        place: String,
    },
}

/// Text on one line: a place typed on several lines reads as one, and no
/// stray control character reaches the calendar (the crate escapes `\n`
/// but not `\r`).
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_control())
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

fn alarm(uid_local: &str, trigger: &str, text: &str) -> icalendar::Alarm {
    use icalendar::Component;
    // The crate writes chrono's durations (`-PT3600S`); the plain form is
    // what every client shows as "1 hour before".
    let mut a = icalendar::Alarm::display(text, Duration::zero());
    a.append_property(icalendar::Property::new("TRIGGER", trigger));
    // A stable UID (RFC 9074), or the crate makes a random one each time and
    // clients see new alarms at every refresh.
    a.add_property("UID", format!("{uid_local}.rappel@{UID_DOMAIN}"));
    a.done()
}

fn case_url(web_url: Option<&str>, reference: &str) -> Option<String> {
    web_url.map(|base| format!("{}/dossiers/{reference}", base.trim_end_matches('/')))
}

fn event(entry: &Entry, web_url: Option<&str>, now: DateTime<Utc>) -> icalendar::Event {
    use icalendar::{Class, Component, EventLike, Property};
    let mut e = icalendar::Event::new();
    e.timestamp(now).class(Class::Private);
    let (reference, uid_local, summary, what) = match entry {
        Entry::Deadline {
            reference,
            step,
            step_name,
            role,
            due,
            late,
            information,
        } => {
            let uid_local = format!("{reference}.{step}.{due}");
            let summary = if *information {
                format!("{reference} : {step_name} ({role}), pour information")
            } else {
                format!("{reference} : {step_name} ({role})")
            };
            let what = if *information {
                format!(
                    "Date donnée pour information, jamais en retard : étape « {step_name} » du dossier {reference}"
                )
            } else if *late {
                format!("Échéance dépassée de l'étape « {step_name} » du dossier {reference}")
            } else {
                format!("Échéance de l'étape « {step_name} » du dossier {reference}")
            };
            // All day: DTEND is the next day (exclusive). Transparent: a
            // deadline does not make the person busy.
            e.starts(*due)
                .ends(due.succ_opt().unwrap_or(*due))
                .append_property(Property::new("TRANSP", "TRANSPARENT"))
                .alarm(alarm(&uid_local, "-P1D", &format!("Échéance demain : {summary}")));
            (reference, uid_local, summary, what)
        }
        Entry::Appointment {
            reference,
            step,
            step_name,
            start,
            minutes,
            place,
        } => {
            // One appointment per case and step: its UID stays when it moves.
            let uid_local = format!("{reference}.{step}.rendez-vous");
            let summary = format!("{reference} : rendez-vous ({step_name})");
            let what = format!("Rendez-vous de l'étape « {step_name} » du dossier {reference}");
            let end = start
                .checked_add_signed(Duration::minutes((*minutes).clamp(0, 24 * 60)))
                .unwrap_or(*start);
            e.starts(*start).ends(end).location(place).alarm(alarm(
                &uid_local,
                "-PT1H",
                &format!("Dans une heure : {summary}"),
            ));
            (reference, uid_local, summary, what)
        }
    };
    let description = match case_url(web_url, reference) {
        Some(url) => {
            e.url(&url);
            format!("{what} ; détail sur le bureau : {url}")
        }
        None => format!("{what}."),
    };
    e.uid(&format!("{uid_local}@{UID_DOMAIN}"))
        .summary(&summary)
        .description(&description);
    e.done()
}

/// The crate stamps every component with DTSTAMP, alarms included; RFC 5545
/// allows it in events, not in alarms, and strict parsers refuse it there.
/// Text values are escaped (no raw line breaks) and folded lines start with
/// a space, so a line reading `BEGIN:VALARM` is always the component's.
fn without_alarm_stamps(ics: &str) -> String {
    let mut out = String::with_capacity(ics.len());
    let mut in_alarm = false;
    for line in ics.split_inclusive("\r\n") {
        let bare = line.trim_end_matches("\r\n");
        match bare {
            "BEGIN:VALARM" => in_alarm = true,
            "END:VALARM" => in_alarm = false,
            _ if in_alarm && bare.starts_with("DTSTAMP:") => continue,
            _ => {}
        }
        out.push_str(line);
    }
    out
}

/// The feed's text: a published calendar that clients refresh hourly.
fn render(entries: &[Entry], web_url: Option<&str>, now: DateTime<Utc>) -> String {
    use icalendar::{Calendar, Property};
    let mut cal = Calendar::empty();
    cal.append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", "-//echeancier//Agenda des échéances//FR"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        // No person's name: the calendar's name shows on lock screens.
        .name("échéancier")
        .description("Échéances et rendez-vous de vos dossiers : références seulement")
        .append_property(
            Property::new("REFRESH-INTERVAL", "PT1H")
                .add_parameter("VALUE", "DURATION")
                .done(),
        )
        .append_property(Property::new("X-PUBLISHED-TTL", "PT1H"));
    for entry in entries {
        cal.push(event(entry, web_url, now));
    }
    without_alarm_stamps(&cal.done().to_string())
}

impl App {
    /// The address token of a person's active feed, if any.
    pub async fn feed_token(&self, person_id: i64, key: &[u8]) -> Result<Option<String>> {
        let Some(generation) = self.store.feed_generation(person_id).await? else {
            return Ok(None);
        };
        format_token(key, person_id, generation).map(Some)
    }

    /// A new feed address; the previous one, if any, stops working.
    pub async fn renew_feed(&self, person_id: i64, key: &[u8]) -> Result<String> {
        let generation = self.store.renew_feed(person_id).await?;
        self.audit_feed(person_id, "agenda_renouvele").await?;
        format_token(key, person_id, generation)
    }

    /// Disables the person's feed address (a later renewal makes a new one).
    pub async fn revoke_feed(&self, person_id: i64) -> Result<()> {
        self.store.revoke_feed(person_id).await?;
        self.audit_feed(person_id, "agenda_revoque").await
    }

    // After the change rather than around it: the store writes feeds
    // through the pool, and an open write transaction would lock SQLite
    // against it.
    async fn audit_feed(&self, person_id: i64, action: &str) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        record(&mut tx, &App::web_who(person_id), now, None, action, json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The person a feed token opens: `None` for a malformed, forged,
    /// renewed or revoked one (never an error: anyone may try an address).
    pub async fn feed_person(&self, token: &str, key: &[u8]) -> Result<Option<i64>> {
        // The signature first: a forged token costs no database query.
        let Some((person, generation)) = verify_token(key, token) else {
            return Ok(None);
        };
        let active = self.store.feed_generation(person).await?;
        Ok((active == Some(generation)).then_some(person))
    }

    /// The person's feed: their pending steps (late ones included) and
    /// appointments of the coming 26 weeks, with alarms.
    pub async fn feed_ics(&self, person_id: i64) -> Result<String> {
        let Some(person) = self.person(person_id).await? else {
            return Err(AppError::NotFound("agenda".into()));
        };
        let d = self.my_deadlines(&person.actor, None, WEEKS).await?;
        if d.truncated {
            tracing::info!(person_id, "calendar feed truncated");
        }
        let step_name = |procedure: &str, step: &str| {
            self.library
                .get(procedure)
                .and_then(|p| p.step(step))
                .map_or_else(|| step.to_string(), |s| s.name.clone())
        };
        let mut entries = Vec::new();
        // Appointments are at local times of their case's calendar (La
        // Réunion is not Paris): the cases listed already say which.
        let mut calendars: HashMap<String, CalendarId> = HashMap::new();
        for (late, rows) in [(true, &d.late), (false, &d.coming)] {
            for (case, step) in rows {
                if let Ok(id) = case.calendar.parse::<CalendarId>() {
                    calendars.insert(case.reference.clone(), id);
                }
                let Some(due) = step.due else {
                    continue;
                };
                entries.push(Entry::Deadline {
                    reference: case.reference.clone(),
                    step: step.step.clone(),
                    step_name: one_line(&step_name(&case.procedure, &step.step)),
                    role: one_line(self.library.roles.name(&step.role)),
                    due,
                    late,
                    information: step.state == crate::store::StepStatus::Info,
                });
            }
        }
        let mut conn = None;
        for a in &d.appointments {
            let id = match calendars.get(&a.reference) {
                Some(id) => *id,
                None => {
                    if conn.is_none() {
                        conn = Some(self.store.pool().acquire().await?);
                    }
                    let case = match conn.as_mut() {
                        Some(c) => Store::case_by_ref(c, &a.reference).await?,
                        None => None,
                    };
                    let id = case
                        .and_then(|c| c.calendar.parse::<CalendarId>().ok())
                        .unwrap_or(CalendarId::Metropole);
                    calendars.insert(a.reference.clone(), id);
                    id
                }
            };
            let Some(start) = crate::notice::local_to_utc(a.appointment.starts_at, id.time_zone()) else {
                // A time skipped by a change of clocks: refused when set, so
                // only an old row can have it.
                tracing::warn!(reference = %a.reference, "appointment at a nonexistent local time left out of the feed");
                continue;
            };
            entries.push(Entry::Appointment {
                reference: a.reference.clone(),
                step: a.step.clone(),
                step_name: one_line(&step_name(&a.procedure, &a.step)),
                start,
                minutes: a.appointment.minutes,
                place: one_line(&a.appointment.place),
            });
        }
        drop(conn);
        Ok(render(
            &entries,
            self.options.web_url.as_deref(),
            self.clock.now(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn tokens_round_trip() {
        let t = format_token(KEY, 42, 3).expect("token");
        assert!(t.starts_with("42-3-"), "{t}");
        let (person, generation, sig) = parse_token(&t).expect("parse");
        assert_eq!((person, generation, sig.len()), (42, 3, SIGNATURE_CHARS));
        assert_eq!(verify_token(KEY, &t), Some((42, 3)));
    }

    #[test]
    fn tampered_tokens_are_refused() {
        let t = format_token(KEY, 42, 3).expect("token");
        let sig = &t["42-3-".len()..];
        // Another person or generation under the same signature.
        assert_eq!(verify_token(KEY, &format!("43-3-{sig}")), None);
        assert_eq!(verify_token(KEY, &format!("42-2-{sig}")), None);
        // One character of the signature changed.
        let mut bytes = t.clone().into_bytes();
        if let Some(last) = bytes.last_mut() {
            *last = if *last == b'A' { b'B' } else { b'A' };
        }
        let changed = String::from_utf8(bytes).expect("ascii");
        assert_eq!(verify_token(KEY, &changed), None);
        // Another key.
        assert_eq!(verify_token(b"another key, another signature!!", &t), None);
        // Other spellings and shapes.
        assert_eq!(verify_token(KEY, &format!("042-3-{sig}")), None);
        assert_eq!(verify_token(KEY, &format!("+42-3-{sig}")), None);
        assert_eq!(verify_token(KEY, &t[..t.len() - 1]), None);
        assert_eq!(verify_token(KEY, &format!("{t}x")), None);
        assert_eq!(parse_token(""), None);
        assert_eq!(parse_token("42-3"), None);
        assert_eq!(parse_token("42-3-../../../../../../../../etc/passwd"), None);
    }

    #[test]
    fn signatures_may_contain_dashes() {
        // Find a generation whose signature has a dash: parsing must keep it whole.
        let found = (1..500)
            .map(|g| format_token(KEY, 7, g).expect("token"))
            .find(|t| t.splitn(3, '-').nth(2).is_some_and(|s| s.contains('-')));
        let t = found.expect("some signature with a dash");
        assert!(verify_token(KEY, &t).is_some(), "{t}");
    }

    fn entries() -> Vec<Entry> {
        vec![
            Entry::Deadline {
                reference: "PAR-2026-0003".into(),
                step: "convocation".into(),
                step_name: "Convocation des parents".into(),
                role: "Chef d'établissement".into(),
                due: NaiveDate::from_ymd_opt(2026, 3, 5).expect("date"),
                late: false,
                information: false,
            },
            Entry::Appointment {
                reference: "PAR-2026-0003".into(),
                step: "entretien".into(),
                step_name: "Entretien".into(),
                start: Utc.with_ymd_and_hms(2026, 3, 10, 8, 30, 0).single().expect("t"),
                minutes: 45,
                place: "Collège Jean Moulin, 1 rue de la Paix, Angers".into(),
            },
        ]
    }

    #[test]
    fn feed_is_a_published_calendar_with_alarms() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().expect("t");
        let ics = render(&entries(), Some("https://bureau.example.org/"), now);
        let unfolded = ics.replace("\r\n ", "");
        for line in [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:échéancier",
            "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
            "X-PUBLISHED-TTL:PT1H",
            "DTSTART;VALUE=DATE:20260305",
            "DTEND;VALUE=DATE:20260306",
            "UID:PAR-2026-0003.convocation.2026-03-05@echeancier.invalid",
            "SUMMARY:PAR-2026-0003 : Convocation des parents (Chef d'établissement)",
            "TRIGGER:-P1D",
            "ACTION:DISPLAY",
            "DTSTART:20260310T083000Z",
            "DTEND:20260310T091500Z",
            "SUMMARY:PAR-2026-0003 : rendez-vous (Entretien)",
            "LOCATION:Collège Jean Moulin\\, 1 rue de la Paix\\, Angers",
            "TRIGGER:-PT1H",
            "URL:https://bureau.example.org/dossiers/PAR-2026-0003",
            "DTSTAMP:20260301T120000Z",
        ] {
            assert!(unfolded.lines().any(|l| l == line), "{line} missing in\n{ics}");
        }
        assert!(
            unfolded.contains("DESCRIPTION:Échéance de l'étape « Convocation des parents » du dossier PAR-2026-0003 \\; détail sur le bureau : https://bureau.example.org/dossiers/PAR-2026-0003"),
            "{ics}"
        );
        assert_eq!(unfolded.matches("BEGIN:VEVENT").count(), 2);
        assert_eq!(unfolded.matches("BEGIN:VALARM").count(), 2);
        // Every line ends in CRLF, with no other line break.
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains(['\r', '\n']), "{ics}");
    }

    #[test]
    fn places_on_several_lines_read_as_one() {
        assert_eq!(
            one_line("Collège Jean Moulin\r\n1 rue de la Paix \n\nAngers\t"),
            "Collège Jean Moulin, 1 rue de la Paix, Angers"
        );
        assert_eq!(one_line("Entretien"), "Entretien");
    }

    #[test]
    fn alarms_have_no_stamp_and_a_stable_uid() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().expect("t");
        let a = render(&entries(), None, now);
        let b = render(&entries(), None, now);
        assert_eq!(a, b, "the same feed twice must be the same text");
        let mut in_alarm = false;
        for line in a.split("\r\n") {
            match line {
                "BEGIN:VALARM" => in_alarm = true,
                "END:VALARM" => in_alarm = false,
                l if in_alarm => assert!(!l.starts_with("DTSTAMP"), "{a}"),
                _ => {}
            }
        }
        assert!(
            a.contains("UID:PAR-2026-0003.entretien.rendez-vous.rappel@echeancier.invalid"),
            "{a}"
        );
        // Without a public address, no link.
        assert!(!a.contains("URL:") && !a.contains("bureau :"), "{a}");
    }
}
