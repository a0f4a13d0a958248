//! Parent notices: Fluent templates in `messages/LANG/parents.ftl`, rendered
//! in the reader's language with the French text alongside, dates in words,
//! as plain text and HTML (right-to-left where the language needs it), with
//! a calendar invitation (ICS) for appointments.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, TimeZone, Timelike, Utc};
use echeancier_core::plain::{self, Finding, Severity};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// Languages shipped; French is the reference and is always required.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("fr", include_str!("../messages/fr/parents.ftl")),
    ("en", include_str!("../messages/en/parents.ftl")),
    ("ar", include_str!("../messages/ar/parents.ftl")),
    ("tr", include_str!("../messages/tr/parents.ftl")),
    ("pt", include_str!("../messages/pt/parents.ftl")),
];

const RTL: &[&str] = &["ar", "he", "fa", "ur"];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoticeError {
    #[error("modèles {lang} : {message}")]
    Template { lang: String, message: String },
    #[error("modèle d'avis « {0} » introuvable")]
    Missing(String),
}

/// The values a notice is rendered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeArgs {
    /// Local date and time of the appointment.
    pub at: NaiveDateTime,
    pub place: String,
    pub phone: String,
}

/// A notice ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub lang: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Templates {
    bundles: BTreeMap<String, FluentBundle<FluentResource>>,
    /// The notices the French file defines: the reference list.
    notices: Vec<String>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("languages", &self.bundles.keys().collect::<Vec<_>>())
            .finish()
    }
}

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
        let mut bundles = BTreeMap::new();
        let mut notices = Vec::new();
        for (lang, src) in files {
            if lang == "fr" {
                notices = notice_ids(&src);
            }
            let err = |message: String| NoticeError::Template {
                lang: lang.clone(),
                message,
            };
            let id: LanguageIdentifier = lang.parse().map_err(|_| err("code de langue invalide".into()))?;
            let res = FluentResource::try_new(src).map_err(|(_, errs)| {
                err(errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(" ; "))
            })?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Isolation marks would show as stray characters in plain text.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(res)
                .map_err(|errs| err(errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(" ; ")))?;
            bundles.insert(lang, bundle);
        }
        if !bundles.contains_key("fr") {
            return Err(NoticeError::Template {
                lang: "fr".into(),
                message: "le français est obligatoire".into(),
            });
        }
        Ok(Templates { bundles, notices })
    }

    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.bundles.keys().map(String::as_str)
    }

    /// The language a guardian reads: theirs if shipped, else French.
    pub fn language_for<'a>(&self, wanted: &'a str) -> &'a str {
        if self.bundles.contains_key(wanted) {
            wanted
        } else {
            "fr"
        }
    }

    fn format(&self, lang: &str, id: &str, args: &FluentArgs<'_>) -> Result<String, NoticeError> {
        let bundle = self
            .bundles
            .get(lang)
            .ok_or_else(|| NoticeError::Missing(format!("{lang}/{id}")))?;
        let pattern = bundle
            .get_message(id)
            .and_then(|m| m.value())
            .ok_or_else(|| NoticeError::Missing(format!("{lang}/{id}")))?;
        let mut errors = Vec::new();
        let out = bundle
            .format_pattern(pattern, Some(args), &mut errors)
            .into_owned();
        if let Some(e) = errors.first() {
            return Err(NoticeError::Template {
                lang: lang.into(),
                message: format!("{id} : {e}"),
            });
        }
        Ok(out)
    }

    fn args(&self, lang: &str, a: &NoticeArgs) -> Result<FluentArgs<'static>, NoticeError> {
        let d = a.at.date();
        let mut dargs = FluentArgs::new();
        dargs.set(
            "weekday",
            self.format(
                lang,
                &format!("weekday-{}", d.weekday().number_from_monday()),
                &FluentArgs::new(),
            )?,
        );
        dargs.set(
            "month",
            self.format(lang, &format!("month-{}", d.month()), &FluentArgs::new())?,
        );
        dargs.set("day", FluentValue::from(d.day()));
        dargs.set("year", d.year().to_string());
        let date = self.format(lang, "date-long", &dargs)?;
        let mut targs = FluentArgs::new();
        targs.set("hour", a.at.hour().to_string());
        targs.set("minute", FluentValue::from(a.at.minute()));
        targs.set("mm", format!("{:02}", a.at.minute()));
        let time = self.format(lang, "heure", &targs)?;
        let mut args = FluentArgs::new();
        args.set("date", date);
        args.set("heure", time);
        args.set("lieu", a.place.clone());
        args.set("telephone", a.phone.clone());
        Ok(args)
    }

    fn one(&self, lang: &str, notice: &str, a: &NoticeArgs) -> Result<(String, String), NoticeError> {
        let args = self.args(lang, a)?;
        Ok((
            self.format(lang, &format!("{notice}-objet"), &args)?,
            self.format(lang, notice, &args)?,
        ))
    }

    /// Renders `notice` for a reader of `lang`; a translation keeps the
    /// French text alongside.
    pub fn render(&self, notice: &str, lang: &str, a: &NoticeArgs) -> Result<Rendered, NoticeError> {
        let lang = self.language_for(lang);
        let (fr_subject, fr_body) = self.one("fr", notice, a)?;
        if lang == "fr" {
            return Ok(Rendered {
                lang: "fr".into(),
                subject: fr_subject,
                html: html_page(&[("fr", &fr_body, None)]),
                text: fr_body,
            });
        }
        let (subject, body) = self.one(lang, notice, a)?;
        let heading = self.format(lang, "version-francaise", &FluentArgs::new())?;
        Ok(Rendered {
            lang: lang.to_string(),
            subject: format!("{subject} / {fr_subject}"),
            text: format!("{body}\n\n———\n{heading}\n\n{fr_body}"),
            html: html_page(&[(lang, &body, None), ("fr", &fr_body, Some(&heading))]),
        })
    }

    /// Every message of the French file must exist in every language, and
    /// each French notice must pass the plain-language checks once rendered.
    pub fn check(&self) -> Vec<(String, Finding)> {
        let sample = NoticeArgs {
            at: NaiveDateTime::parse_from_str("2026-12-15 14:30", "%Y-%m-%d %H:%M").unwrap_or_default(),
            place: "15 rue des Écoles, 49000 Angers".into(),
            phone: "02 41 00 00 00".into(),
        };
        let mut out = Vec::new();
        for notice in &self.notices {
            match self.one("fr", notice, &sample) {
                Ok((subject, body)) => {
                    for f in plain::check(&format!("{subject}.\n{body}")) {
                        out.push((format!("fr/{notice}"), f));
                    }
                    for (needle, what) in [
                        (
                            "personne de votre choix",
                            "« vous pouvez venir avec une personne de votre choix »",
                        ),
                        ("02 41 00 00 00", "le numéro à appeler"),
                        ("mardi 15 décembre 2026", "la date en mots"),
                        ("14 h 30", "l'heure"),
                        ("15 rue des Écoles", "le lieu"),
                    ] {
                        if !body.contains(needle) {
                            out.push((
                                format!("fr/{notice}"),
                                Finding {
                                    severity: Severity::Error,
                                    rule: "contenu",
                                    excerpt: String::new(),
                                    message: format!("l'avis doit contenir {what}"),
                                },
                            ));
                        }
                    }
                }
                Err(e) => out.push((format!("fr/{notice}"), missing(e.to_string()))),
            }
            for lang in self.bundles.keys().filter(|l| *l != "fr") {
                if let Err(e) = self.render(notice, lang, &sample) {
                    out.push((format!("{lang}/{notice}"), missing(e.to_string())));
                }
            }
        }
        out
    }

    /// Whether a notice exists (in French, hence everywhere once checked).
    pub fn has(&self, notice: &str) -> bool {
        self.bundles
            .get("fr")
            .is_some_and(|b| b.has_message(notice) && b.has_message(&format!("{notice}-objet")))
    }
}

fn missing(message: String) -> Finding {
    Finding {
        severity: Severity::Error,
        rule: "traduction",
        excerpt: String::new(),
        message,
    }
}

/// Notices are the messages with a `-objet` companion in the French file.
fn notice_ids(fr_source: &str) -> Vec<String> {
    fr_source
        .lines()
        .filter_map(|line| line.split_once(" = "))
        .filter_map(|(id, _)| id.trim().strip_suffix("-objet"))
        .map(str::to_string)
        .collect()
}

fn html_page(parts: &[(&str, &str, Option<&str>)]) -> String {
    let mut html = String::from("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>");
    for (lang, body, heading) in parts {
        let dir = if RTL.contains(lang) { "rtl" } else { "ltr" };
        let _ = write!(html, "<div lang=\"{lang}\" dir=\"{dir}\">");
        if let Some(h) = heading {
            let _ = write!(
                html,
                "<hr><p><strong>{}</strong></p>",
                crate::view::escape_html(h)
            );
        }
        for line in body.lines().filter(|l| !l.trim().is_empty()) {
            let _ = write!(html, "<p>{}</p>", crate::view::escape_html(line));
        }
        html.push_str("</div>");
    }
    html.push_str("</body></html>");
    html
}

/// An appointment as a calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation<'a> {
    pub uid: &'a str,
    pub summary: &'a str,
    pub place: &'a str,
    pub start: DateTime<Utc>,
    pub minutes: i64,
    pub organiser: &'a str,
    pub attendee: &'a str,
}

/// A calendar invitation for an appointment (RFC 5545), times in UTC.
pub fn invitation(i: &Invitation<'_>, now: DateTime<Utc>) -> String {
    use icalendar::{Calendar, Component, EventLike};
    let event = icalendar::Event::new()
        .uid(i.uid)
        .summary(i.summary)
        .location(i.place)
        .starts(i.start)
        .ends(i.start + Duration::minutes(i.minutes))
        .timestamp(now)
        .append_property(icalendar::Property::new(
            "ORGANIZER",
            format!("mailto:{}", i.organiser),
        ))
        .append_property(
            icalendar::Property::new("ATTENDEE", format!("mailto:{}", i.attendee))
                .add_parameter("ROLE", "REQ-PARTICIPANT")
                .done(),
        )
        .done();
    let mut cal = Calendar::new();
    cal.append_property(icalendar::Property::new("METHOD", "REQUEST"));
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
    use super::*;

    fn args() -> NoticeArgs {
        NoticeArgs {
            at: NaiveDateTime::parse_from_str("2026-12-01 09:00", "%Y-%m-%d %H:%M").expect("time"),
            place: "Cité administrative, Angers".into(),
            phone: "02 41 74 34 84".into(),
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
    fn a_bad_template_is_reported() {
        let bad = Templates::build([("fr".to_string(), "x = { $".to_string())]);
        assert!(matches!(bad, Err(NoticeError::Template { .. })));
        let no_fr = Templates::build([("en".to_string(), "x = y".to_string())]);
        assert!(no_fr.is_err());
    }

    #[test]
    fn invitation_is_rfc5545() {
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).single().expect("t");
        let ics = invitation(
            &Invitation {
                uid: "k@echeancier",
                summary: "Rendez-vous",
                place: "Angers",
                start,
                minutes: 60,
                organiser: "dsden@example.org",
                attendee: "p@example.org",
            },
            start,
        );
        assert!(
            ics.contains("BEGIN:VCALENDAR") && ics.contains("METHOD:REQUEST"),
            "{ics}"
        );
        assert!(ics.contains("DTSTART:20261201T080000Z"), "{ics}");
        assert!(ics.contains("ORGANIZER:mailto:dsden@example.org"), "{ics}");
        assert!(ics.contains("LOCATION:Angers"), "{ics}");
    }
}
