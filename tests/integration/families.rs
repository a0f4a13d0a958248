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

use crate::util::{SmtpServer, TestApp, count, mail_app_at, mail_app_with, open_par_from, serve_office};

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
    /// What the DASEN office's console received (each message passed the
    /// chat-privacy scan).
    console: tokio::sync::mpsc::UnboundedReceiver<String>,
}

/// A PAR case with a guardian in each of the five languages, its
/// interview set, and the notices sent.
async fn scene() -> Scene {
    let smtp = SmtpServer::start();
    let mut t = mail_app_at(at("2026-12-10T09:00:00Z")).await;
    // The console is the DASEN office's: its messages are chat, scanned.
    serve_office(&mut t, None, Some("dasen")).await;
    let reference = open_par_from(&t, LANGUAGES.iter().map(|l| guardian(l)).collect(), "2027-01-20").await;
    let mailer = Mailer::new(&smtp.settings(), "dsden49@example.org").expect("mailer");
    let (tx, console) = tokio::sync::mpsc::unbounded_channel();
    let scheduler = Scheduler::new(t.app.clone(), vec![])
        .with_sender(Arc::new(mailer))
        .with_sender(Arc::new(echeancier::console::ConsoleSender(tx)));
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
        console,
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
    let mut s = scene().await;
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
    // The same, in chat.
    let mut chat = Vec::new();
    while let Ok(m) = s.console.try_recv() {
        chat.push(m);
    }
    let chat = chat.join("\n---\n");
    assert!(chat.contains("le responsable n° 5 ne peut pas venir"), "{chat}");
    assert!(chat.contains("Appeler la famille"), "{chat}");
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

    // Cancelled: the families are told, and the event is withdrawn from
    // their calendars (same UID, higher SEQUENCE, METHOD:CANCEL).
    let reply =
        s.t.app
            .handle(
                "console",
                "dasen",
                &format!("!rdv {} entretien annuler", s.reference),
            )
            .await
            .expect("reply");
    assert!(reply.contains("annulé ; 5 courriels partent"), "{reply}");
    cycle(&s.t, &s.scheduler, "2026-12-10T09:20:00Z").await;
    let (third, third_ics) = last_mail(&s.smtp, "parent.fr@example.org");
    assert!(
        third.starts_with("Le rendez-vous du vendredi 18 décembre 2026 à 10 h est annulé."),
        "{third}"
    );
    let event = python_event(&third_ics);
    let f: Vec<&str> = event.split('\t').collect();
    assert_eq!((f[0], f[1], f[2]), ("CANCEL", fields[1], "2"), "{event}");
    let (ar, _) = last_mail(&s.smtp, "parent.ar@example.org");
    assert!(ar.contains("تم إلغاء موعد"), "{ar}");
    assert_eq!(c.get(new).send().await.expect("get").status(), 410);
    let reply =
        s.t.app
            .handle("console", "dasen", &format!("!dossier {}", s.reference))
            .await
            .expect("reply");
    assert!(!reply.contains("📅"), "{reply}");
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

// Fiche « confiance avec les parents » (seed 002): the attendance at
// individual meetings is followed; a family that did not come is called
// back for another date, and the interview is not done without them.
#[tokio::test]
async fn an_absent_family_is_called_back_and_the_interview_stays_to_do() {
    let t = mail_app_at(at("2026-12-10T09:00:00Z")).await;
    let r = open_par_from(&t, vec![guardian("fr")], "2026-12-08").await;
    let say = |text: String| {
        let t = &t;
        async move { t.app.handle("console", "dasen", &text).await.expect("reply") }
    };
    let reply = say(format!("!rdv {r} entretien 2026-12-14 10h")).await;
    assert!(reply.contains("rendez-vous fixé"), "{reply}");
    t.clock.set(at("2026-12-14T11:00:00Z"));
    let reply = say(format!("!bilan-rdv {r} entretien absent")).await;
    assert!(
        reply.contains("la famille n'est pas venue") && reply.contains(&format!("!rdv {r} entretien")),
        "{reply}"
    );
    let calls = count(
        &t,
        "SELECT COUNT(*) FROM reminders WHERE kind = 'appel-famille' AND payload LIKE '%absent%'",
    )
    .await;
    assert_eq!(calls, 1);
    let reply = say(format!("!etape {r} entretien fait")).await;
    assert!(reply.contains("notez d'abord le bilan"), "{reply}");
    let trail = t.store.audit_trail(&r).await.expect("audit");
    assert!(
        trail
            .iter()
            .any(|e| e.action == "bilan_rdv" && e.detail["bilan"] == "absent"),
        "{trail:?}"
    );
    // A new date clears the outcome: the new meeting has its own.
    let reply = say(format!("!rdv {r} entretien 2026-12-16 10h")).await;
    assert!(reply.contains("rendez-vous fixé"), "{reply}");
    t.clock.set(at("2026-12-16T11:00:00Z"));
    let reply = say(format!("!etape {r} entretien fait")).await;
    assert!(reply.contains("notez d'abord le bilan"), "{reply}");
    say(format!("!bilan-rdv {r} entretien venu")).await;
    let reply = say(format!("!etape {r} entretien fait")).await;
    assert!(reply.contains("faite le mercredi 16 décembre 2026"), "{reply}");
    // The chat shows the appointment, without its place.
    let reply = say(format!("!dossier {r}")).await;
    assert!(
        reply.contains("📅") && reply.contains("mercredi 16 décembre 2026 à 10 h"),
        "{reply}"
    );
    assert!(!reply.contains("Dupetit-Thouars"), "{reply}");
}

// Issue 15: what an absence sets off is the procedure's (`si_absent`).
// With "noter", the absence is recorded and counted, nobody is asked to
// call, and the step may be closed without the family.
#[tokio::test]
async fn an_absence_is_only_noted_where_the_procedure_says_so() {
    let par = echeancier::library::EMBEDDED
        .iter()
        .find(|(n, _)| *n == "par.toml")
        .map(|(_, s)| s.replace("si_absent = \"reconvoquer\"", "si_absent = \"noter\""))
        .expect("par.toml");
    assert!(par.contains("si_absent = \"noter\""));
    let files = echeancier::library::EMBEDDED
        .iter()
        .map(|(n, s)| (*n, if *n == "par.toml" { par.as_str() } else { *s }));
    let lib = echeancier_core::procedure::Library::build(
        ("roles.toml", echeancier::library::EMBEDDED_ROLES),
        files,
    )
    .expect("procedures");
    let t = mail_app_with(at("2026-12-10T09:00:00Z"), lib).await;
    let r = open_par_from(&t, vec![guardian("fr")], "2026-12-08").await;
    let say = |text: String| {
        let t = &t;
        async move { t.app.handle("console", "dasen", &text).await.expect("reply") }
    };
    say(format!("!rdv {r} entretien 2026-12-14 10h")).await;
    t.clock.set(at("2026-12-14T11:00:00Z"));
    let reply = say(format!("!bilan-rdv {r} entretien absent")).await;
    assert!(
        reply.contains("Absence notée") && reply.contains(&format!("!etape {r} entretien fait")),
        "{reply}"
    );
    let calls = count(&t, "SELECT COUNT(*) FROM reminders WHERE kind = 'appel-famille'").await;
    assert_eq!(calls, 0);
    let reply = say(format!("!etape {r} entretien fait")).await;
    assert!(reply.contains("faite le lundi 14 décembre 2026"), "{reply}");
}

// Fiche « confiance avec les parents » (seed 002), its indicators: the
// attendance at individual meetings, the families reached, the answers;
// and the deadlines met. Counted from what was recorded, exactly, and
// masked under 5 where they are shown.
#[tokio::test]
async fn indicators_of_a_seeded_term_come_out_exact() {
    let t = mail_app_at(at("2026-12-10T09:00:00Z")).await;
    let mut refs = Vec::new();
    for _ in 0..4 {
        refs.push(open_par_from(&t, vec![guardian("fr")], "2026-12-08").await);
    }
    let say = |text: String| {
        let t = &t;
        async move { t.app.handle("console", "dasen", &text).await.expect("reply") }
    };
    // Five dates proposed: one case's appointment moves once.
    for (r, when) in [
        (&refs[0], "2026-12-14 10h"),
        (&refs[0], "2026-12-15 10h"),
        (&refs[1], "2026-12-14 14h"),
        (&refs[2], "2026-12-14 15h"),
        (&refs[3], "2026-12-14 16h"),
    ] {
        let reply = say(format!("!rdv {r} entretien {when}")).await;
        assert!(reply.contains("rendez-vous fixé"), "{reply}");
    }
    // The first family answers twice (the same answer counts once).
    let (case_id, guardian_id, sequence): (i64, i64, i64) = sqlx::query_as(
        "SELECT a.case_id, g.id, a.sequence FROM appointments a JOIN cases c ON c.id = a.case_id
         JOIN guardians g ON g.case_id = c.id WHERE c.reference = $1",
    )
    .bind(&refs[0])
    .fetch_one(t.store.pool())
    .await
    .expect("appointment");
    let links = t
        .app
        .answer_links(case_id, "entretien", guardian_id, sequence)
        .await
        .expect("links")
        .expect("web office on");
    let token = links.coming.rsplit('/').next().expect("token");
    for _ in 0..2 {
        assert!(t.app.record_answer(token).await.expect("answer").is_ok());
    }
    // Setting the interviews convoked the parents: each convocation is
    // done on 10 December, by its Friday 11th deadline.
    // Outcomes after the meetings; one is corrected.
    t.clock.set(at("2026-12-16T09:00:00Z"));
    for (r, outcome) in [
        (&refs[0], "venu"),
        (&refs[1], "absent"),
        (&refs[2], "venu-accompagne"),
        (&refs[3], "absent"),
        (&refs[3], "excuse"),
    ] {
        let reply = say(format!("!bilan-rdv {r} entretien {outcome}")).await;
        assert!(reply.contains("bilan du rendez-vous"), "{reply}");
    }
    // The absent family's call task is done.
    let task: i64 = sqlx::query_scalar(
        "SELECT r.id FROM reminders r JOIN cases c ON c.id = r.case_id
         WHERE c.reference = $1 AND r.kind = 'appel-famille'",
    )
    .bind(&refs[1])
    .fetch_one(t.store.pool())
    .await
    .expect("call task");
    say(format!("!ack {task}")).await;

    let i = t
        .app
        .indicators(Some("0490001K"), None, None)
        .await
        .expect("indicators");
    assert_eq!(i.period.to_string(), "année scolaire 2026-2027");
    assert_eq!(i.from.to_string(), "2026-09-01");
    let c = &i.counts;
    assert_eq!(
        (
            c.proposed,
            c.held,
            c.came,
            c.came_accompanied,
            c.missed,
            c.excused
        ),
        (5, 2, 1, 1, 1, 1),
        "{c:?}"
    );
    assert_eq!((c.reached_orally, c.answers), (1, 1), "{c:?}");
    let par = c
        .deadlines
        .iter()
        .find(|(p, _, _)| p.starts_with("Protocole"))
        .expect("PAR deadlines");
    assert_eq!((par.1, par.2), (4, 0), "{:?}", c.deadlines);
    // Shown masked: no count from 1 to 4 appears as such.
    let rows = c.rows();
    assert!(
        rows.iter().any(|(l, n)| l == "Rendez-vous proposés" && n == "5"),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|(l, n)| l == "Familles absentes" && n == "< 5"),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .all(|(_, n)| n == "0" || n == "< 5" || n.parse::<u64>().is_ok_and(|v| v >= 5)),
        "{rows:?}"
    );
    // The département's view counts the same cases; another term, none.
    let dep = t
        .app
        .indicators(None, Some("049"), None)
        .await
        .expect("département");
    assert_eq!(dep.counts.proposed, 5);
    assert_eq!(dep.area, "département 049");
    let t3 = t
        .app
        .indicators(
            Some("0490001K"),
            None,
            Some("2026-2027-T3".parse().expect("period")),
        )
        .await
        .expect("third term");
    assert_eq!((t3.counts.proposed, t3.counts.held), (0, 0));
    assert!(
        t.app
            .indicators(Some("0490001K"), None, Some("2019-2020".parse().expect("period")))
            .await
            .is_ok()
    );
}

// Fiche « confiance avec les parents » (seed 002): every family is reached,
// also one with neither email nor phone: by post.
#[tokio::test]
async fn a_family_without_email_or_phone_gets_a_letter_to_post() {
    let t = mail_app_at(at("2026-12-10T09:00:00Z")).await;
    // Nobody is unreachable: refused at intake.
    let nowhere = GuardianInput {
        name: "Parent Secret".into(),
        email: None,
        phone: None,
        language: "fr".into(),
        needs_oral: false,
        address: None,
    };
    let refused = t
        .app
        .open_case(
            echeancier::app::OpenCase {
                procedure: "par".into(),
                establishment: Some("0490001K".into()),
                guardians: vec![nowhere.clone()],
                ..Default::default()
            },
            &echeancier::app::Who::cli(),
        )
        .await
        .map(|_| ())
        .expect_err("unreachable");
    assert!(
        refused
            .to_string()
            .contains("ne pourrait être joint d'aucune façon"),
        "{refused}"
    );
    assert_eq!(count(&t, "SELECT COUNT(*) FROM cases").await, 0);
    let by_post = GuardianInput {
        address: Some("12 rue des Lilas\n49000 Angers".into()),
        language: "tr".into(),
        ..nowhere
    };
    let r = open_par_from(&t, vec![by_post], "2027-01-20").await;
    let reply = t
        .app
        .handle("console", "dasen", &format!("!rdv {r} entretien 2027-01-25 10h"))
        .await
        .expect("reply");
    assert!(
        reply.contains("aucun courriel ne part, 1 courrier à poster"),
        "{reply}"
    );
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM reminders WHERE kind = 'courrier'").await,
        1
    );
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM reminders WHERE kind = 'appel-famille'").await,
        0
    );
    // The letter: the address block and the notice in Turkish, the French
    // alongside, the reference and the phone; no link to click on paper.
    let dasen = t
        .store
        .person_by_slug("dasen")
        .await
        .expect("directory")
        .expect("dasen")
        .0;
    let actor = t.app.person(dasen).await.expect("person").expect("dasen").actor;
    let guardian: i64 = sqlx::query_scalar("SELECT id FROM guardians")
        .fetch_one(t.store.pool())
        .await
        .expect("guardian");
    let letter = t.app.letter(&actor, &r, guardian).await.expect("letter");
    assert_eq!(letter.address.as_deref(), Some("12 rue des Lilas\n49000 Angers"));
    assert_eq!(letter.notice.lang, "tr");
    assert!(
        letter.notice.text.contains("Merhaba") && letter.notice.text.contains("Bonjour"),
        "{}",
        letter.notice.text
    );
    assert!(
        letter.notice.text.contains(&r) && letter.notice.text.contains("02 41 00 00 49"),
        "{}",
        letter.notice.text
    );
    assert!(!letter.notice.text.contains("http"), "{}", letter.notice.text);
    // A partner never gets it.
    let caf = t
        .store
        .person_by_slug("caf")
        .await
        .expect("directory")
        .expect("caf")
        .0;
    let caf = t.app.person(caf).await.expect("person").expect("caf").actor;
    assert!(t.app.letter(&caf, &r, guardian).await.is_err());
}

// Seed 000: the interview is held « en présence du chef d'établissement »,
// who is told its date; setting it is convoking the parents. Seed 002:
// « des rencontres régulières », not only when things go wrong: the
// follow-up comes back every four weeks until the summer, each counted.
#[tokio::test]
async fn the_interview_convokes_tells_the_head_and_follow_ups_come_back() {
    let t = mail_app_at(at("2026-12-10T09:00:00Z")).await;
    let r = open_par_from(&t, vec![guardian("fr")], "2026-12-08").await;
    let say = |who: &'static str, text: String| {
        let t = &t;
        async move { t.app.handle("console", who, &text).await.expect("reply") }
    };
    let state = |step: &'static str| {
        let t = &t;
        let r = r.clone();
        async move {
            let snap = t.app.snapshot(&r).await.expect("snapshot");
            let s = snap.steps.into_iter().find(|s| s.step == step).expect("step");
            (s.state, s.due)
        }
    };
    say("dasen", format!("!rdv {r} entretien 2026-12-14 10h")).await;
    assert_eq!(state("convocation").await.0, echeancier::store::StepStatus::Done);
    let told: Vec<(String, String)> =
        sqlx::query_as("SELECT role, payload FROM reminders WHERE kind = 'rendez-vous-fixe'")
            .fetch_all(t.store.pool())
            .await
            .expect("told");
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].0, "chef_etablissement");
    assert!(told[0].1.contains("\"present\":true"), "{told:?}");
    let trail = t.store.audit_trail(&r).await.expect("audit");
    assert!(
        trail.iter().any(|e| e.action == "etape_faite"
            && e.detail["etape"] == "convocation"
            && e.detail["par"] == "rendez_vous"),
        "{trail:?}"
    );

    t.clock.set(at("2026-12-14T11:00:00Z"));
    say("dasen", format!("!bilan-rdv {r} entretien venu")).await;
    say("dasen", format!("!etape {r} entretien fait")).await;
    say("dasen", format!("!etape {r} signature fait")).await;
    assert_eq!(
        state("point_suivi").await.1,
        Some("2027-01-14".parse().expect("date"))
    );
    t.clock.set(at("2027-01-14T15:00:00Z"));
    let reply = say("cpe", format!("!etape {r} point_suivi fait")).await;
    assert!(reply.contains("faite le jeudi 14 janvier 2027"), "{reply}");
    // Due again four weeks later, and open: a new date, new reminders.
    assert_eq!(
        state("point_suivi").await,
        (
            echeancier::store::StepStatus::Open,
            Some("2027-02-11".parse().expect("date"))
        )
    );
    let reply = say("cpe", format!("!dossier {r}")).await;
    assert!(
        reply.contains("revient toutes les 4 semaines jusqu'au samedi 3 juillet 2027"),
        "{reply}"
    );
    // Counted among the indicators.
    let i = t
        .app
        .indicators(Some("0490001K"), None, None)
        .await
        .expect("indicators");
    assert_eq!(i.counts.follow_ups, 1, "{:?}", i.counts);
}
