//! Families in the loop, over a real SMTP server and the web office on
//! loopback: a notice names the school and who signs, carries the case
//! reference and two answer links; the links open a page in the family's
//! language that changes nothing until its button is pressed; an answer is
//! audited and told to the responsible role, "rappelez-moi" makes a call
//! task; a new date cancels and replaces the notice and updates the same
//! calendar event.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use echeancier::app::GuardianInput;
use echeancier::email::Mailer;
use echeancier::scheduler::Scheduler;
use mail_parser::{MessageParser, MimeHeaders};
use reqwest::redirect::Policy;

use crate::util::{SmtpServer, TestApp, count, mail_app_at, open_par_from, serve_office};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

const LANGUAGES: [&str; 5] = ["fr", "en", "pt", "tr", "ar"];

fn guardian(lang: &str) -> GuardianInput {
    GuardianInput {
        name: format!("Parent {lang}"),
        email: Some(format!("parent.{lang}@example.org")),
        phone: None,
        language: lang.into(),
        needs_oral: false,
        address: None,
    }
}

struct Scene {
    t: TestApp,
    smtp: SmtpServer,
    scheduler: Scheduler,
    reference: String,
}

/// A PAR case with a guardian in each of the five languages, its
/// interview set, and the notices sent.
async fn scene() -> Scene {
    let smtp = SmtpServer::start();
    let mut t = mail_app_at(at("2026-12-10T09:00:00Z")).await;
    serve_office(&mut t, None, None).await;
    let reference = open_par_from(&t, LANGUAGES.iter().map(|l| guardian(l)).collect(), "2027-01-20").await;
    let mailer = Mailer::new(&smtp.settings(), "dsden49@example.org").expect("mailer");
    let scheduler = Scheduler::new(t.app.clone(), vec![]).with_sender(Arc::new(mailer));
    let reply = t
        .app
        .handle(
            "console",
            "dasen",
            &format!("!rdv {reference} entretien 2026-12-17 14h30"),
        )
        .await
        .expect("reply");
    assert!(reply.contains("5 courriels partent"), "{reply}");
    cycle(&t, &scheduler, "2026-12-10T09:00:00Z").await;
    Scene {
        t,
        smtp,
        scheduler,
        reference,
    }
}

async fn cycle(t: &TestApp, s: &Scheduler, now: &str) {
    t.clock.set(at(now));
    s.tick().await.expect("tick");
    let report = s.deliver().await.expect("deliver");
    assert_eq!(report.failed, 0, "{report:?}");
}

/// The newest email to `to`: its text, and its calendar attachment.
fn last_mail(smtp: &SmtpServer, to: &str) -> (String, String) {
    let all = smtp.received();
    let (_, raw) = all
        .iter()
        .rev()
        .find(|(t, _)| t == to)
        .unwrap_or_else(|| panic!("no mail to {to}"));
    let msg = MessageParser::default().parse(raw).expect("parse");
    let text = msg.body_text(0).expect("text").to_string();
    let ics = msg
        .attachments()
        .find(|a| {
            a.content_type()
                .is_some_and(|c| c.c_type == "text" && c.subtype() == Some("calendar"))
        })
        .map(|a| String::from_utf8_lossy(a.contents()).to_string())
        .unwrap_or_default();
    (text, ics)
}

/// The two answer links of a notice, in order: coming, call me (a
/// translation repeats them in the French text alongside).
fn links(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for u in text
        .lines()
        .filter_map(|l| l.rsplit_once(" : ").map(|(_, u)| u.trim()))
        .filter(|u| u.starts_with("http://") && u.contains("/reponse/"))
    {
        if !out.iter().any(|o| o == u) {
            out.push(u.to_string());
        }
    }
    out
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

async fn answers(t: &TestApp, reference: &str) -> Vec<serde_json::Value> {
    t.store
        .audit_trail(reference)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "reponse_famille")
        .map(|e| e.detail)
        .collect()
}

// Fiche « confiance avec les parents » (seed 002): the school keeps the
// dialogue open; a notice parents can answer from their phone, in their
// language, is that dialogue's first step.
#[tokio::test]
async fn parents_answer_from_the_notice_in_their_language() {
    let s = scene().await;
    let c = client();
    // What every page says, language by language: the question, the
    // button, and the thanks.
    let expect = [
        (
            "fr",
            "Oui, je viendrai",
            "Nous avons noté que vous viendrez le jeudi 17 décembre 2026 à 14 h 30",
        ),
        ("en", "Yes, I will come", "We have noted that you will come on"),
        ("pt", "Sim, eu vou", "Registámos que vem no dia"),
        ("tr", "Evet, geleceğim", "geleceğinizi not ettik"),
        ("ar", "نعم، سأحضر", "سجلنا أنكم ستحضرون"),
    ];
    for (n, (lang, button, thanks)) in expect.iter().enumerate() {
        let (text, _) = last_mail(&s.smtp, &format!("parent.{lang}@example.org"));
        // Named school and signing office, the reference, no name.
        assert!(text.contains("Collège Jean Vilar (fictif)"), "{lang}: {text}");
        assert!(
            text.contains("DSDEN de Maine-et-Loire (fictive). "),
            "{lang}: {text}"
        );
        assert!(text.contains(&s.reference), "{lang}: {text}");
        assert!(
            !text.contains("Jeanne") && !text.contains("Parent "),
            "{lang}: {text}"
        );
        let l = links(&text);
        assert_eq!(l.len(), 2, "{lang}: {text}");
        // Opening the link changes nothing.
        let page = c.get(&l[0]).send().await.expect("get");
        assert_eq!(page.status(), 200, "{lang}");
        let body = page.text().await.expect("body");
        assert!(
            body.contains(&format!("lang=\"{lang}\"")) && body.contains(button),
            "{lang}: {body}"
        );
        assert_eq!(
            answers(&s.t, &s.reference).await.len(),
            n,
            "{lang}: a GET answered"
        );
        // The button does, once.
        for _ in 0..2 {
            let done = c.post(&l[0]).send().await.expect("post");
            assert_eq!(done.status(), 200, "{lang}");
            let body = done.text().await.expect("body");
            assert!(body.contains(thanks), "{lang}: {body}");
        }
        let recorded = answers(&s.t, &s.reference).await;
        assert_eq!(recorded.len(), n + 1, "{lang}: {recorded:?}");
        assert_eq!(recorded[n]["reponse"], "viendra", "{recorded:?}");
        assert_eq!(recorded[n]["responsable"], n as i64 + 1, "{recorded:?}");
    }
    // "Rappelez-moi" from the Arabic-speaking parent: a call task for the
    // DASEN office, and the answer told there, without a name.
    let (text, _) = last_mail(&s.smtp, "parent.ar@example.org");
    let call_me = &links(&text)[1];
    let page = c
        .get(call_me)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(
        page.contains("اتصلوا بي") && page.contains("dir=\"rtl\""),
        "{page}"
    );
    let done = c.post(call_me).send().await.expect("post");
    assert_eq!(done.status(), 200);
    assert!(done.text().await.expect("body").contains("سنتصل بكم"));
    let recorded = answers(&s.t, &s.reference).await;
    assert_eq!(
        recorded.last().map(|d| d["reponse"].clone()),
        Some("rappel".into())
    );
    assert_eq!(
        count(
            &s.t,
            "SELECT COUNT(*) FROM reminders WHERE kind = 'appel-famille'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &s.t,
            "SELECT COUNT(*) FROM family_answers WHERE answer = 'rappel'"
        )
        .await,
        1
    );
    cycle(&s.t, &s.scheduler, "2026-12-10T09:05:00Z").await;
    let staff: Vec<String> = s
        .smtp
        .received()
        .iter()
        .filter(|(to, _)| to == "dasen49@example.org")
        .map(|(_, raw)| {
            MessageParser::default()
                .parse(raw)
                .and_then(|m| m.body_text(0).map(|t| t.to_string()))
                .unwrap_or_default()
        })
        .collect();
    let all = staff.join("\n---\n");
    assert!(
        all.contains("le responsable n° 1 viendra au rendez-vous du jeudi 17 décembre 2026 à 14 h 30"),
        "{all}"
    );
    assert!(all.contains("le responsable n° 5 ne peut pas venir"), "{all}");
    assert!(
        all.contains("demande à être rappelé pour trouver une autre date"),
        "{all}"
    );
    assert!(
        !all.contains("Parent") && !all.contains("Jeanne") && !all.contains("@example.org"),
        "{all}"
    );
    // A forged or truncated link is refused.
    let forged = format!("{}x", &links(&text)[0]);
    assert_eq!(c.post(&forged).send().await.expect("post").status(), 404);
}

/// Parses the event of a calendar with Python's `icalendar`: METHOD, UID,
/// SEQUENCE and DTSTART, tab-separated.
fn python_event(ics: &str) -> String {
    use std::io::Write;
    let python = std::env::var("ECHEANCIER_TEST_PYTHON")
        .unwrap_or_else(|_| format!("{}/.venv/bin/python", env!("CARGO_MANIFEST_DIR")));
    let script = r#"
import sys
from icalendar import Calendar
cal = Calendar.from_ical(sys.stdin.buffer.read())
(e,) = list(cal.walk("VEVENT"))
assert not any(c.errors for c in cal.walk()), [c.errors for c in cal.walk()]
print("\t".join([str(cal.get("METHOD")), str(e.get("UID")), str(e.get("SEQUENCE")), e.decoded("DTSTART").isoformat(), str("ATTENDEE" in e)]))
"#;
    let mut child = std::process::Command::new(&python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(ics.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python");
    assert!(
        out.status.success(),
        "icalendar refused the event: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8").trim().to_string()
}

#[tokio::test]
async fn a_new_date_cancels_and_replaces_and_updates_the_same_event() {
    let s = scene().await;
    let (first, first_ics) = last_mail(&s.smtp, "parent.fr@example.org");
    let first_event = python_event(&first_ics);
    let fields: Vec<&str> = first_event.split('\t').collect();
    assert_eq!(fields[0], "PUBLISH", "{first_event}");
    assert!(
        fields[1].ends_with(".example.org") && fields[1].matches('@').count() == 1,
        "{first_event}"
    );
    assert_eq!(fields[2], "0", "{first_event}");
    assert_eq!(fields[4], "False", "no attendee to answer a robot: {first_event}");
    assert!(!first.contains("annule et remplace"), "{first}");

    let reply =
        s.t.app
            .handle(
                "console",
                "dasen",
                &format!("!rdv {} entretien 2026-12-18 10h", s.reference),
            )
            .await
            .expect("reply");
    assert!(reply.contains("5 courriels partent"), "{reply}");
    cycle(&s.t, &s.scheduler, "2026-12-10T09:10:00Z").await;
    let (second, second_ics) = last_mail(&s.smtp, "parent.fr@example.org");
    assert!(
        second.starts_with("Ce message annule et remplace le précédent. Le rendez-vous du jeudi 17 décembre 2026 à 14 h 30 n'a plus lieu."),
        "{second}"
    );
    assert!(second.contains("le vendredi 18 décembre 2026 à 10 h"), "{second}");
    let event = python_event(&second_ics);
    let f: Vec<&str> = event.split('\t').collect();
    assert_eq!((f[0], f[1], f[2]), ("PUBLISH", fields[1], "1"), "{event}");
    assert_eq!(f[3], "2026-12-18T09:00:00+00:00", "{event}");
    // Every language says it replaces the previous notice.
    for (lang, needle) in [
        ("en", "cancels and replaces"),
        ("pt", "anula e substitui"),
        ("tr", "yerine geçer"),
        ("ar", "تلغي الرسالة السابقة"),
    ] {
        let (text, _) = last_mail(&s.smtp, &format!("parent.{lang}@example.org"));
        assert!(text.contains(needle), "{lang}: {text}");
    }
    // The first notice's links no longer answer: the page says so in the
    // family's language, and nothing is recorded.
    let c = client();
    let old = &links(&first)[0];
    let page = c.get(old).send().await.expect("get");
    assert_eq!(page.status(), 410);
    assert!(
        page.text()
            .await
            .expect("body")
            .contains("Ce lien ne marche plus")
    );
    assert_eq!(c.post(old).send().await.expect("post").status(), 410);
    assert!(answers(&s.t, &s.reference).await.is_empty());
    // The new ones do.
    let new = &links(&second)[0];
    assert_eq!(c.post(new).send().await.expect("post").status(), 200);
    assert_eq!(answers(&s.t, &s.reference).await.len(), 1);
}

// Fiche « confiance avec les parents » (seed 002): respect the parents'
// working hours. And the PAR's interview has a legal date.
#[tokio::test]
async fn appointments_keep_to_families_hours_and_the_legal_date_unless_confirmed() {
    let t = mail_app_at(at("2026-12-10T09:00:00Z")).await;
    let r = open_par_from(&t, vec![guardian("fr")], "2027-01-20").await;
    let say = |text: String| {
        let t = &t;
        async move { t.app.handle("console", "dasen", &text).await.expect("reply") }
    };
    let stored = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM appointments")
            .fetch_one(t.store.pool())
            .await
            .expect("count")
    };
    for (when, needle) in [
        (
            "2027-01-25 7h30",
            "sort des heures raisonnables pour les familles (de 8 h à 19 h)",
        ),
        ("2027-01-25 18h30 60", "de 18 h 30 à 19 h 30"),
        (
            "2027-02-03 10h",
            "dépasse la date légale de cette étape, le lundi 1er février 2027",
        ),
    ] {
        let reply = say(format!("!rdv {r} entretien {when}")).await;
        assert!(
            reply.contains(needle) && reply.contains("confirme"),
            "{when}: {reply}"
        );
        assert_eq!(stored().await, 0, "{when}: stored on refusal");
    }
    let reply = say(format!("!rdv {r} entretien 2027-02-03 10h confirme")).await;
    assert!(
        reply.contains("rendez-vous fixé le mercredi 3 février 2027 à 10 h"),
        "{reply}"
    );
    assert_eq!(stored().await, 1);
    let trail = t.store.audit_trail(&r).await.expect("audit");
    let set = trail.iter().find(|e| e.action == "rendez_vous").expect("audited");
    assert_eq!(set.detail["confirme"], true, "{:?}", set.detail);
    assert_eq!(set.detail["au_dela_date_legale"], true, "{:?}", set.detail);
    // Inside the hours and the legal date, no confirmation is asked.
    let reply = say(format!("!rdv {r} entretien 2027-01-25 8h 60")).await;
    assert!(
        reply.contains("rendez-vous fixé le lundi 25 janvier 2027 à 8 h"),
        "{reply}"
    );
}
