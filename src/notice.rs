//! Parent notices: Fluent templates in `messages/LANG/parents.ftl`, rendered
//! in the reader's language with the French text alongside, dates in words,
//! as plain text and HTML (right-to-left where the language needs it), with
//! a calendar invitation (ICS) for appointments.

use std::path::Path;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use echeancier_core::plain::Finding;
use echeancier_core::template;
pub use echeancier_core::template::{NoticeArgs, NoticeError, Rendered};

/// Languages shipped; French is the reference and is always required.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("fr", include_str!("../messages/fr/parents.ftl")),
    ("en", include_str!("../messages/en/parents.ftl")),
    ("ar", include_str!("../messages/ar/parents.ftl")),
    ("tr", include_str!("../messages/tr/parents.ftl")),
    ("pt", include_str!("../messages/pt/parents.ftl")),
];

/// The core's templates plus the ways to load them: the embedded files or a
/// folder on disk. Building, checking and rendering live in the core (pure,
/// fuzzed); only the file reading is here.
#[derive(Debug)]
pub struct Templates(template::Templates);

impl Templates {
    pub fn embedded() -> Result<Templates, NoticeError> {
        Self::build(EMBEDDED.iter().map(|(l, s)| (l.to_string(), s.to_string())))
    }

    /// Loads `DIR/LANG/parents.ftl` for every language folder of `dir`.
    pub fn from_dir(dir: &Path) -> Result<Templates, NoticeError> {
        let err = |message: String| NoticeError::Template {
            lang: dir.display().to_string(),
            message,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| err(e.to_string()))? {
            let path = entry.map_err(|e| err(e.to_string()))?.path();
            let file = path.join("parents.ftl");
            if path.is_dir() && file.is_file() {
                let lang = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                files.push((
                    lang,
                    std::fs::read_to_string(&file).map_err(|e| err(e.to_string()))?,
                ));
            }
        }
        Self::build(files)
    }

    fn build(files: impl IntoIterator<Item = (String, String)>) -> Result<Templates, NoticeError> {
        template::Templates::build(files).map(Templates)
    }

    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.0.languages()
    }

    /// The language a guardian reads: theirs if shipped, else French.
    pub fn language_for<'a>(&self, wanted: &'a str) -> &'a str {
        self.0.language_for(wanted)
    }

    /// Renders `notice` for a reader of `lang`; a translation keeps the
    /// French text alongside.
    pub fn render(&self, notice: &str, lang: &str, a: &NoticeArgs) -> Result<Rendered, NoticeError> {
        self.0.render(notice, lang, a)
    }

    /// Every message of the French file must exist in every language, and
    /// each French notice must pass the plain-language checks once rendered.
    pub fn check(&self) -> Vec<(String, Finding)> {
        self.0.check()
    }

    /// Whether a notice exists (in French, hence everywhere once checked).
    pub fn has(&self, notice: &str) -> bool {
        self.0.has(notice)
    }

    /// The notice that an appointment is cancelled.
    pub fn render_cancellation(&self, lang: &str, a: &NoticeArgs) -> Result<Rendered, NoticeError> {
        self.0.render_cancellation(lang, a)
    }

    /// A text of the families' answer page, in `lang` (French if missing).
    pub fn page_text(&self, lang: &str, id: &str, at: chrono::NaiveDateTime) -> Result<String, NoticeError> {
        self.0.page_text(lang, id, at)
    }
}

/// An appointment as a calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation<'a> {
    pub uid: &'a str,
    pub summary: &'a str,
    pub place: &'a str,
    pub start: DateTime<Utc>,
    pub minutes: i64,
    /// The appointment's revision: a new date is the same event, updated.
    pub sequence: i64,
    /// The office's mailbox, which the event names as its organiser.
    pub organiser: &'a str,
    /// The appointment is cancelled: the event is removed from calendars.
    pub cancelled: bool,
}

/// The UID of an appointment's calendar event: stable for the appointment
/// (`key` names its case and step), one `@` and the sender's domain, as
/// RFC 5545 recommends.
pub fn event_uid(key: &str, sender: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let domain = sender
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>'))
        .filter(|d| !d.is_empty() && !d.contains('@'))
        .unwrap_or("echeancier.invalid");
    format!("{hex}@{domain}")
}

/// The calendar event of an appointment (RFC 5545), times in UTC. It is
/// published, not a meeting request: calendars add it without offering
/// Accept/Decline, which would answer a robot; the notice's own links and
/// phone number are how families answer.
pub fn invitation(i: &Invitation<'_>, now: DateTime<Utc>) -> String {
    use icalendar::{Calendar, Component, EventLike};
    let event = icalendar::Event::new()
        .uid(i.uid)
        .summary(i.summary)
        .location(i.place)
        .starts(i.start)
        .ends(i.start + Duration::minutes(i.minutes))
        .timestamp(now)
        .sequence(u32::try_from(i.sequence).unwrap_or_default())
        .status(if i.cancelled {
            icalendar::EventStatus::Cancelled
        } else {
            icalendar::EventStatus::Confirmed
        })
        .append_property(icalendar::Property::new(
            "ORGANIZER",
            format!("mailto:{}", i.organiser),
        ))
        .done();
    let mut cal = Calendar::new();
    // A cancelled event is withdrawn with CANCEL, same UID, higher SEQUENCE.
    cal.append_property(icalendar::Property::new(
        "METHOD",
        if i.cancelled { "CANCEL" } else { "PUBLISH" },
    ));
    cal.push(event);
    cal.done().to_string()
}

/// The UTC instant of a local appointment time in `tz`.
pub fn local_to_utc(at: NaiveDateTime, tz: echeancier_core::calendar::Tz) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&at)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use echeancier_core::plain::Severity;

    use super::*;

    fn args() -> NoticeArgs {
        NoticeArgs {
            at: NaiveDateTime::parse_from_str("2026-12-01 09:00", "%Y-%m-%d %H:%M").expect("time"),
            place: "Cité administrative, Angers".into(),
            phone: "02 41 74 34 84".into(),
            school: "Collège Jean Vilar".into(),
            reference: "PAR-2026-0001".into(),
            signer: "Bureau du DASEN".into(),
            previous: None,
            answers: None,
        }
    }

    #[test]
    fn embedded_templates_pass_every_check() {
        let t = Templates::embedded().expect("templates");
        let errors: Vec<_> = t
            .check()
            .into_iter()
            .filter(|(_, f)| f.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert_eq!(
            t.languages().collect::<Vec<_>>(),
            vec!["ar", "en", "fr", "pt", "tr"]
        );
    }

    #[test]
    fn french_dates_and_times_in_words() {
        let t = Templates::embedded().expect("templates");
        let r = t.render("par-convocation", "fr", &args()).expect("render");
        assert!(r.text.contains("le mardi 1er décembre 2026 à 9 h."), "{}", r.text);
        assert!(r.subject.contains("mardi 1er décembre 2026"));
        assert!(r.html.contains("lang=\"fr\" dir=\"ltr\""));
    }

    #[test]
    fn translations_keep_the_french_alongside() {
        let t = Templates::embedded().expect("templates");
        let ar = t.render("par-convocation", "ar", &args()).expect("render");
        assert_eq!(ar.lang, "ar");
        assert!(ar.text.contains("الثلاثاء 1 ديسمبر 2026"), "{}", ar.text);
        assert!(ar.text.contains("mardi 1er décembre 2026"), "{}", ar.text);
        assert!(ar.html.contains("lang=\"ar\" dir=\"rtl\""));
        assert!(ar.html.contains("lang=\"fr\" dir=\"ltr\""));
        let tr = t.render("par-convocation", "tr", &args()).expect("render");
        assert!(tr.text.contains("1 Aralık 2026 Salı"), "{}", tr.text);
        let pt = t.render("par-convocation", "pt", &args()).expect("render");
        assert!(
            pt.text.contains("terça-feira, 1 de dezembro de 2026"),
            "{}",
            pt.text
        );
        // An unknown language falls back to French.
        assert_eq!(
            t.render("par-convocation", "xx", &args()).expect("render").lang,
            "fr"
        );
    }

    #[test]
    fn invitation_is_rfc5545() {
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).single().expect("t");
        let uid = event_uid("PAR-2026-0001/entretien", "Échéancier <dsden@example.org>");
        assert!(
            uid.ends_with("@example.org") && uid.matches('@').count() == 1,
            "{uid}"
        );
        assert_eq!(uid, event_uid("PAR-2026-0001/entretien", "dsden@example.org"));
        assert!(event_uid("x", "robot").ends_with("@echeancier.invalid"));
        let ics = invitation(
            &Invitation {
                uid: &uid,
                summary: "Rendez-vous",
                place: "Angers",
                start,
                minutes: 60,
                sequence: 2,
                organiser: "dsden@example.org",
                cancelled: false,
            },
            start,
        );
        assert!(
            ics.contains("BEGIN:VCALENDAR") && ics.contains("METHOD:PUBLISH"),
            "{ics}"
        );
        assert!(ics.contains("DTSTART:20261201T080000Z"), "{ics}");
        assert!(ics.contains("SEQUENCE:2"), "{ics}");
        assert!(ics.contains("ORGANIZER:mailto:dsden@example.org"), "{ics}");
        assert!(!ics.contains("ATTENDEE"), "{ics}");
        assert!(ics.contains("LOCATION:Angers"), "{ics}");
    }
}
