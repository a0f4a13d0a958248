//! Parent notices from Fluent templates: one bundle per language, built from
//! `(language, source)` pairs the caller has read, rendered in the reader's
//! language with the French text alongside, dates in words, as plain text
//! and HTML (right-to-left where the language needs it).
//!
//! No I/O here: reading `messages/LANG/parents.ftl` is the adapter's job.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

use crate::plain::{self, Finding, Severity};

/// Languages written right to left.
pub const RTL: &[&str] = &["ar", "he", "fa", "ur"];

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
    /// Builds one bundle per `(language, Fluent source)`; French is required.
    pub fn build(files: impl IntoIterator<Item = (String, String)>) -> Result<Templates, NoticeError> {
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
            if nesting(&src) > MAX_NESTING {
                return Err(err(format!(
                    "accolades ou parenthèses imbriquées sur plus de {MAX_NESTING} niveaux"
                )));
            }
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

    /// The notices the French file defines.
    pub fn notices(&self) -> &[String] {
        &self.notices
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
            at: NaiveDate::from_ymd_opt(2026, 12, 15)
                .and_then(|d| d.and_hms_opt(14, 30, 0))
                .unwrap_or_default(),
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

/// The deepest nesting of placeables and call arguments accepted. The
/// fluent-syntax parser recurses once per `{` and per `(` with no bound of
/// its own: a few hundred of them overflowed the stack (an abort, not an
/// error) while loading the file. Real notices nest two deep.
const MAX_NESTING: usize = 20;

/// The parser's recursion depth, near enough: open braces, plus open
/// parentheses inside them. Strings and comments are not skipped, so it
/// overcounts rather than under (a `)` in a variant's text can hide at most
/// one level in two: the bound still holds well below a stack overflow).
fn nesting(src: &str) -> usize {
    let (mut braces, mut parens, mut deepest) = (0usize, 0usize, 0usize);
    for c in src.chars() {
        match c {
            '{' => braces += 1,
            '}' => {
                braces = braces.saturating_sub(1);
                if braces == 0 {
                    parens = 0;
                }
            }
            '(' if braces > 0 => parens += 1,
            ')' => parens = parens.saturating_sub(1),
            _ => continue,
        }
        deepest = deepest.max(braces + parens);
    }
    deepest
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

/// Text made safe inside HTML elements and double-quoted attributes.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html_page(parts: &[(&str, &str, Option<&str>)]) -> String {
    let mut html = String::from("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>");
    for (lang, body, heading) in parts {
        let dir = if RTL.contains(lang) { "rtl" } else { "ltr" };
        let _ = write!(html, "<div lang=\"{lang}\" dir=\"{dir}\">");
        if let Some(h) = heading {
            let _ = write!(html, "<hr><p><strong>{}</strong></p>", escape_html(h));
        }
        for line in body.lines().filter(|l| !l.trim().is_empty()) {
            let _ = write!(html, "<p>{}</p>", escape_html(line));
        }
        html.push_str("</div>");
    }
    html.push_str("</body></html>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    const FR: &str = "\
weekday-2 = mardi
month-12 = décembre
date-long = { $weekday } { $day ->
    [1] 1er
   *[other] { $day }
} { $month } { $year }
heure = { $minute ->
    [0] { $hour } h
   *[other] { $hour } h { $mm }
}
version-francaise = Version en français :
rdv-objet = Rendez-vous le { $date }
rdv =
    Rendez-vous le { $date } à { $heure }.
    L'adresse est : { $lieu }.
";

    const AR: &str = "\
weekday-2 = الثلاثاء
month-12 = ديسمبر
date-long = { $weekday } { $day } { $month } { $year }
heure = { $hour }:{ $mm }
version-francaise = النسخة الفرنسية:
rdv-objet = موعد { $date }
rdv = موعد { $date } { $heure } { $lieu }
";

    fn args() -> NoticeArgs {
        NoticeArgs {
            at: NaiveDateTime::parse_from_str("2026-12-01 09:00", "%Y-%m-%d %H:%M").expect("time"),
            place: "<Cité> & \"Angers\"".into(),
            phone: "02 41 74 34 84".into(),
        }
    }

    fn templates() -> Templates {
        Templates::build([
            ("fr".to_string(), FR.to_string()),
            ("ar".to_string(), AR.to_string()),
        ])
        .expect("templates")
    }

    #[test]
    fn a_bad_template_is_reported() {
        let bad = Templates::build([("fr".to_string(), "x = { $".to_string())]);
        assert!(matches!(bad, Err(NoticeError::Template { .. })));
        let no_fr = Templates::build([("en".to_string(), "x = y".to_string())]);
        assert!(no_fr.is_err());
        let bad_lang = Templates::build([
            ("fr".to_string(), "x = y".to_string()),
            ("!!".into(), "x = y".into()),
        ]);
        assert!(matches!(bad_lang, Err(NoticeError::Template { lang, .. }) if lang == "!!"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        // Each of these overflowed the 2 MiB stack of a test thread.
        for src in [
            format!("x = {}", "{".repeat(5_000)),
            format!("x = {{ {}", "F(".repeat(5_000)),
            format!("x = {}z", "{ $a ->\n *[o] ".repeat(1_000)),
        ] {
            let e = Templates::build([("fr".to_string(), src)]).expect_err("too deep");
            assert!(e.to_string().contains("imbriquées"), "{e}");
        }
        assert_eq!(nesting(FR), 2);
        // Parentheses count inside placeables only; comments count too.
        assert_eq!(nesting("a = ( { F( { b } ) } )"), 3);
        assert_eq!(nesting("# { { {"), 3);
        let at_limit = format!("x = {}{}", "{".repeat(MAX_NESTING), "}".repeat(MAX_NESTING));
        assert!(!matches!(
            Templates::build([("fr".to_string(), at_limit)]),
            Err(NoticeError::Template { message, .. }) if message.contains("imbriquées")
        ));
    }

    #[test]
    fn renders_french_in_words_and_escapes_html() {
        let t = templates();
        assert_eq!(t.notices(), ["rdv"]);
        assert!(t.has("rdv") && !t.has("heure"));
        let r = t.render("rdv", "fr", &args()).expect("render");
        assert_eq!(r.lang, "fr");
        assert_eq!(r.subject, "Rendez-vous le mardi 1er décembre 2026");
        assert!(r.text.contains("à 9 h."), "{}", r.text);
        assert!(r.html.contains("lang=\"fr\" dir=\"ltr\""));
        assert!(
            r.html.contains("&lt;Cité&gt; &amp; &quot;Angers&quot;"),
            "{}",
            r.html
        );
        assert!(!r.html.contains("<Cité>"));
    }

    #[test]
    fn translations_keep_the_french_alongside() {
        let t = templates();
        let ar = t.render("rdv", "ar", &args()).expect("render");
        assert_eq!(ar.lang, "ar");
        assert!(ar.text.contains("الثلاثاء 1 ديسمبر 2026"), "{}", ar.text);
        assert!(ar.text.contains("mardi 1er décembre 2026"), "{}", ar.text);
        assert!(ar.html.contains("lang=\"ar\" dir=\"rtl\""));
        assert!(ar.html.contains("lang=\"fr\" dir=\"ltr\""));
        // An unknown language falls back to French.
        assert_eq!(t.render("rdv", "xx", &args()).expect("render").lang, "fr");
        assert_eq!(
            t.render("absent", "fr", &args()),
            Err(NoticeError::Missing("fr/absent-objet".into()))
        );
    }

    #[test]
    fn check_reports_missing_translations_and_content() {
        let t = Templates::build([
            ("fr".to_string(), FR.to_string()),
            ("en".to_string(), "heure = x".to_string()),
        ])
        .expect("templates");
        let findings = t.check();
        assert!(
            findings
                .iter()
                .any(|(w, f)| w == "en/rdv" && f.rule == "traduction")
        );
        // The sample lacks the phone number and the "personne de votre choix".
        assert!(findings.iter().any(|(w, f)| w == "fr/rdv" && f.rule == "contenu"));
    }
}
