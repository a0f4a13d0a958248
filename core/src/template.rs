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
    /// The pupil's school, by name ("Collège Jean Vilar").
    pub school: String,
    /// The case reference to quote on the phone: it names nobody.
    pub reference: String,
    /// Who signs: the responsible office ("Bureau du DASEN, DSDEN de
    /// Maine-et-Loire"); its phone is `phone`.
    pub signer: String,
    /// The date and time this notice cancels and replaces.
    pub previous: Option<NaiveDateTime>,
    /// The family's answer links: "je viendrai", "rappelez-moi".
    pub answers: Option<AnswerLinks>,
}

/// Signed links a family answers with (web pages that ask before acting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerLinks {
    pub coming: String,
    pub call_me: String,
}

/// The texts of the page a family answers on.
pub const ANSWER_PAGE: &[&str] = &[
    "page-titre",
    "page-oui",
    "page-rappel",
    "page-bouton-oui",
    "page-bouton-rappel",
    "page-merci-oui",
    "page-merci-rappel",
    "page-perime",
];

/// The messages every language adds around a notice's own text.
const FRAME: &[&str] = &[
    "remplace",
    "reponse-intro",
    "reponse-oui",
    "reponse-rappel",
    "reference",
    "signature",
    "annule-titre",
    "annule",
];

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
        let (date, time) = self.when(lang, a.at)?;
        let mut args = FluentArgs::new();
        args.set("date", date);
        args.set("heure", time);
        args.set("lieu", a.place.clone());
        args.set("telephone", a.phone.clone());
        args.set("etablissement", a.school.clone());
        args.set("reference", a.reference.clone());
        args.set("signataire", a.signer.clone());
        if let Some(p) = a.previous {
            let (date, time) = self.when(lang, p)?;
            args.set("ancienne-date", date);
            args.set("ancienne-heure", time);
        }
        Ok(args)
    }

    /// A date and a time in words, in `lang`.
    fn when(&self, lang: &str, at: NaiveDateTime) -> Result<(String, String), NoticeError> {
        let d = at.date();
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
        targs.set("hour", at.hour().to_string());
        targs.set("minute", FluentValue::from(at.minute()));
        targs.set("mm", format!("{:02}", at.minute()));
        let time = self.format(lang, "heure", &targs)?;
        Ok((date, time))
    }

    /// Subject and body: the notice's own text, framed by what every notice
    /// has (what it replaces, the answer links, the reference, the
    /// signature).
    fn one(&self, lang: &str, notice: &str, a: &NoticeArgs) -> Result<(String, String), NoticeError> {
        let args = self.args(lang, a)?;
        let mut body = String::new();
        if a.previous.is_some() {
            body.push_str(&self.format(lang, "remplace", &args)?);
            body.push('\n');
        }
        body.push_str(&self.format(lang, notice, &args)?);
        if let Some(links) = &a.answers {
            let none = FluentArgs::new();
            let _ = write!(
                body,
                "\n{}\n{} : {}\n{} : {}",
                self.format(lang, "reponse-intro", &none)?,
                self.format(lang, "reponse-oui", &none)?,
                links.coming,
                self.format(lang, "reponse-rappel", &none)?,
                links.call_me,
            );
        }
        let _ = write!(
            body,
            "\n{}\n{}",
            self.format(lang, "reference", &args)?,
            self.format(lang, "signature", &args)?
        );
        Ok((self.format(lang, &format!("{notice}-objet"), &args)?, body))
    }

    /// One of the texts of a family's answer page ([`ANSWER_PAGE`]) about
    /// the appointment at `at`, in `lang`, or in French where `lang` lacks it.
    pub fn page_text(&self, lang: &str, id: &str, at: NaiveDateTime) -> Result<String, NoticeError> {
        let text = |lang: &str| -> Result<String, NoticeError> {
            let (date, time) = self.when(lang, at)?;
            let mut args = FluentArgs::new();
            args.set("date", date);
            args.set("heure", time);
            self.format(lang, id, &args)
        };
        text(self.language_for(lang)).or_else(|_| text("fr"))
    }

    /// The cancellation of an appointment: what is cancelled, the
    /// reference and who signs.
    fn cancellation(&self, lang: &str, a: &NoticeArgs) -> Result<(String, String), NoticeError> {
        let args = self.args(lang, a)?;
        let body = format!(
            "{}\n{}\n{}",
            self.format(lang, "annule", &args)?,
            self.format(lang, "reference", &args)?,
            self.format(lang, "signature", &args)?
        );
        Ok((self.format(lang, "annule-titre", &args)?, body))
    }

    /// The notice that an appointment is cancelled, in `lang` with the
    /// French alongside.
    pub fn render_cancellation(&self, lang: &str, a: &NoticeArgs) -> Result<Rendered, NoticeError> {
        self.render_with(lang, |l| self.cancellation(l, a))
    }

    /// Renders `notice` for a reader of `lang`; a translation keeps the
    /// French text alongside.
    pub fn render(&self, notice: &str, lang: &str, a: &NoticeArgs) -> Result<Rendered, NoticeError> {
        self.render_with(lang, |l| self.one(l, notice, a))
    }

    fn render_with(
        &self,
        lang: &str,
        one: impl Fn(&str) -> Result<(String, String), NoticeError>,
    ) -> Result<Rendered, NoticeError> {
        let lang = self.language_for(lang);
        let (fr_subject, fr_body) = one("fr")?;
        if lang == "fr" {
            return Ok(Rendered {
                lang: "fr".into(),
                subject: fr_subject,
                html: html_page(&[("fr", &fr_body, None)]),
                text: fr_body,
            });
        }
        let (subject, body) = one(lang)?;
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
            school: "Collège Jean Vilar".into(),
            reference: "PAR-2026-0001".into(),
            signer: "Bureau du DASEN".into(),
            previous: NaiveDate::from_ymd_opt(2026, 12, 10).and_then(|d| d.and_hms_opt(9, 0, 0)),
            answers: Some(AnswerLinks {
                coming: "https://echeancier.example/reponse/oui".into(),
                call_me: "https://echeancier.example/reponse/rappel".into(),
            }),
        };
        let mut out = Vec::new();
        for lang in self.bundles.keys() {
            for id in FRAME.iter().chain(ANSWER_PAGE) {
                if !self.bundles[lang].has_message(id) {
                    out.push((
                        format!("{lang}/{id}"),
                        missing(format!("message « {id} » manquant")),
                    ));
                }
            }
        }
        for notice in &self.notices {
            match self.one("fr", notice, &sample) {
                Ok((subject, body)) => {
                    // The reference and the signing office are data, not
                    // the template's wording: the plain-language rules
                    // judge the words around them.
                    let words = body.replace(&sample.reference, "").replace(&sample.signer, "");
                    for f in plain::check(&format!("{subject}.\n{words}")) {
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
                        ("PAR-2026-0001", "la référence du dossier"),
                        ("Collège Jean Vilar", "le nom de l'établissement"),
                        ("Bureau du DASEN", "la signature du service"),
                        ("jeudi 10 décembre 2026", "la date qu'il remplace"),
                        (
                            "https://echeancier.example/reponse/rappel",
                            "le lien « rappelez-moi »",
                        ),
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
            // An answer link ends its line: "Je viendrai : https://…".
            match line.rsplit_once(" : ") {
                Some((label, url)) if url.starts_with("https://") || url.starts_with("http://") => {
                    let _ = write!(
                        html,
                        "<p><a href=\"{}\">{}</a></p>",
                        escape_html(url),
                        escape_html(label)
                    );
                }
                _ => {
                    let _ = write!(html, "<p>{}</p>", escape_html(line));
                }
            }
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
weekday-1 = lundi
weekday-2 = mardi
weekday-4 = jeudi
month-11 = novembre
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
remplace = Ceci remplace le rendez-vous du { $ancienne-date } à { $ancienne-heure }.
reponse-intro = Dites-nous si vous venez :
reponse-oui = Je viendrai
reponse-rappel = Rappelez-moi
reference = Dossier { $reference }.
signature = { $signataire }, { $telephone }.
annule-titre = Annulé : { $date }
annule = Le rendez-vous du { $date } à { $heure } est annulé.
";

    const AR: &str = "\
weekday-2 = الثلاثاء
month-12 = ديسمبر
date-long = { $weekday } { $day } { $month } { $year }
heure = { $hour }:{ $mm }
version-francaise = النسخة الفرنسية:
rdv-objet = موعد { $date }
rdv = موعد { $date } { $heure } { $lieu }
remplace = بدل { $ancienne-date }
reponse-intro = أخبرونا
reponse-oui = سأحضر
reponse-rappel = اتصلوا بي
reference = { $reference }
signature = { $signataire } { $telephone }
annule-titre = ألغي { $date }
annule = ألغي { $date } { $heure }
";

    fn args() -> NoticeArgs {
        NoticeArgs {
            at: NaiveDateTime::parse_from_str("2026-12-01 09:00", "%Y-%m-%d %H:%M").expect("time"),
            place: "<Cité> & \"Angers\"".into(),
            phone: "02 41 74 34 84".into(),
            school: "Collège Jean Vilar".into(),
            reference: "PAR-2026-0001".into(),
            signer: "Bureau du DASEN".into(),
            previous: None,
            answers: None,
        }
    }

    #[test]
    fn a_notice_says_what_it_replaces_who_signs_and_how_to_answer() {
        let t = templates();
        let mut a = args();
        a.previous = NaiveDateTime::parse_from_str("2026-11-30 14:30", "%Y-%m-%d %H:%M").ok();
        a.answers = Some(AnswerLinks {
            coming: "https://bureau.example/reponse/a".into(),
            call_me: "https://bureau.example/reponse/b".into(),
        });
        let r = t.render("rdv", "fr", &a).expect("render");
        let lines: Vec<&str> = r.text.lines().collect();
        assert_eq!(
            lines[0],
            "Ceci remplace le rendez-vous du lundi 30 novembre 2026 à 14 h 30."
        );
        assert!(r.text.contains("Je viendrai : https://bureau.example/reponse/a\nRappelez-moi : https://bureau.example/reponse/b"), "{}", r.text);
        assert!(
            r.text
                .ends_with("Dossier PAR-2026-0001.\nBureau du DASEN, 02 41 74 34 84."),
            "{}",
            r.text
        );
        assert!(
            r.html
                .contains("<a href=\"https://bureau.example/reponse/b\">Rappelez-moi</a>"),
            "{}",
            r.html
        );
        // Without a previous date nor links, neither is mentioned.
        let plain = t.render("rdv", "fr", &args()).expect("render");
        assert!(
            !plain.text.contains("remplace") && !plain.text.contains("https://"),
            "{}",
            plain.text
        );
        assert_eq!(t.page_text("ar", "reponse-oui", a.at).expect("phrase"), "سأحضر");
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
            Err(NoticeError::Missing("fr/absent".into()))
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
