//! The Telegram front-end against a local fake of the Bot API: commands,
//! linking, refusals, reminder buttons, and delivery retries.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use echeancier::app::{OpenCase, Who};
use echeancier::scheduler::Scheduler;
use echeancier::telegram::Telegram;

use crate::fake_telegram::{FakeTelegram, TOKEN};
use crate::util::{TestApp, app_at, open_par};

const CPE: i64 = 5001;
const DASEN: i64 = 5002;
const STRANGER: i64 = 6666;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

fn who() -> Who {
    Who {
        actor: "test".into(),
        channel: "test".into(),
    }
}

struct Harness {
    t: TestApp,
    fake: FakeTelegram,
    bot: Arc<Telegram>,
    mail: tempfile::TempDir,
}

async fn harness(now: DateTime<Utc>) -> Harness {
    let mut t = app_at(now).await;
    let options = echeancier::app::Options {
        telegram: true,
        ..Default::default()
    };
    t.app = t.app.clone().with_options(options);
    let fake = FakeTelegram::start().await;
    // A group of the DSDEN 49 office, and a group declared without audience.
    let groups = vec![
        echeancier::config::TelegramGroup {
            id: -100_200,
            place: echeancier::core::authz::Place::Staff {
                establishment: None,
                departement: Some("049".into()),
            },
        },
        echeancier::config::TelegramGroup {
            id: -100_300,
            place: echeancier::core::authz::Place::Undeclared,
        },
    ];
    let bot = Arc::new(Telegram::new(t.app.clone(), TOKEN, Some(&fake.url), groups).expect("bot"));
    let mail = tempfile::tempdir().expect("dir");
    Harness { t, fake, bot, mail }
}

impl Harness {
    /// A scheduler sending to Telegram (and email to files, out of the way).
    fn scheduler(&self) -> Scheduler {
        let mailer = echeancier::email::Mailer::new(
            &echeancier::config::EmailMode::Files(self.mail.path().into()),
            "x@example.org",
        )
        .expect("mailer");
        Scheduler::new(self.t.app.clone(), vec![])
            .with_sender(Arc::new(mailer))
            .with_sender(self.bot.clone())
    }

    /// Links a Telegram account through the CLI's code, as a person would.
    async fn link(&self, slug: &str, user: i64) {
        let code = self
            .t
            .app
            .issue_link_code(slug, "telegram", &who())
            .await
            .expect("code");
        self.fake.message(user, user, &format!("/lier {code}"));
        self.bot.poll_once(0).await.expect("poll");
    }

    fn last_reply(&self) -> String {
        self.fake
            .sent()
            .last()
            .and_then(|m| m["text"].as_str().map(String::from))
            .unwrap_or_default()
    }

    async fn say(&self, user: i64, chat: i64, text: &str) -> String {
        self.fake.message(user, chat, text);
        assert_eq!(self.bot.poll_once(0).await.expect("poll"), 1);
        self.last_reply()
    }
}

#[tokio::test]
async fn linking_commands_and_refusals() {
    let h = harness(at("2026-12-01T09:00:00Z")).await;
    let r = open_par(&h.t).await;
    // An unknown account learns how to get linked.
    let reply = h.say(STRANGER, STRANGER, &format!("/dossier {r}")).await;
    assert!(reply.contains("!lier CODE"), "{reply}");
    let reply = h.say(STRANGER, STRANGER, "/lier ABCD2345").await;
    assert!(reply.contains("Code inconnu"), "{reply}");
    h.link("cpe", CPE).await;
    assert!(h.last_reply().contains("Karim Benali"), "{}", h.last_reply());
    // A code works once.
    let code =
        h.t.app
            .issue_link_code("dasen", "telegram", &who())
            .await
            .expect("code");
    h.say(DASEN, DASEN, &format!("/lier {code}")).await;
    let reply = h.say(STRANGER, STRANGER, &format!("/lier {code}")).await;
    assert!(reply.contains("Code inconnu"), "{reply}");
    // Every command works, with the same authorization as elsewhere.
    let reply = h.say(CPE, CPE, "/aide").await;
    assert!(reply.contains("Commandes disponibles"), "{reply}");
    let reply = h.say(CPE, CPE, &format!("/dossier {r}")).await;
    assert!(
        reply.contains("Entretien des parents") && !reply.contains("Jeanne"),
        "{reply}"
    );
    let reply = h.say(CPE, CPE, &format!("/etape {r} entretien fait")).await;
    assert!(reply.contains("autre rôle"), "{reply}");
    let reply = h
        .say(DASEN, DASEN, &format!("!etape {r} convocation fait 2026-12-01"))
        .await;
    assert!(reply.contains("faite le mardi 1er décembre 2026"), "{reply}");
    let reply = h.say(DASEN, -100_200, "/echeances@echeancier_bot mois").await;
    assert!(reply.contains(&r), "mapped group: {reply}");
    let reply = h.say(DASEN, -100_999, &format!("/dossier {r}")).await;
    assert!(reply.contains("pas déclaré"), "unmapped group: {reply}");
    // A group without an audience shows no individual case, even to staff.
    let reply = h.say(DASEN, -100_300, &format!("/dossier {r}")).await;
    assert!(
        reply.contains("message direct") && !reply.contains("Entretien"),
        "{reply}"
    );
    let reply = h.say(DASEN, -100_300, "/echeances mois").await;
    assert!(!reply.contains(&r) && reply.contains("message direct"), "{reply}");
    let reply = h.say(CPE, CPE, "/report").await;
    assert!(reply.contains("Syntaxe"), "{reply}");
    // Replies go in the thread of the command.
    let last = h.fake.sent().last().cloned().expect("sent");
    assert!(
        last["reply_parameters"]["message_id"].as_i64().is_some(),
        "{last}"
    );
    // The audit trail names the Telegram account.
    let trail = h.t.store.audit_trail(&r).await.expect("audit");
    let done = trail.iter().find(|e| e.action == "etape_faite").expect("done");
    assert_eq!(done.channel, "telegram");
    assert!(
        done.actor.contains(&format!("telegram:{DASEN}")),
        "{}",
        done.actor
    );
}

#[tokio::test]
async fn reminder_buttons_act_and_edit_the_message() {
    let h = harness(at("2026-12-01T09:00:00Z")).await;
    let r = open_par(&h.t).await;
    h.link("dasen", DASEN).await;
    h.link("cpe", CPE).await;
    let scheduler = h.scheduler();
    h.t.clock.set(at("2026-12-10T07:31:00Z"));
    scheduler.tick().await.expect("tick");
    let report = scheduler.deliver().await.expect("deliver");
    assert_eq!(
        (report.sent, report.retried),
        (2, 0),
        "telegram and email: {report:?}"
    );
    let reminder = h
        .fake
        .sent()
        .into_iter()
        .find(|m| m["chat_id"] == DASEN && m["reply_markup"].is_object())
        .expect("reminder");
    let text = reminder["text"].as_str().expect("text");
    assert!(
        text.contains(&r) && text.contains("Convocation des parents") && !text.contains("Jeanne"),
        "{text}"
    );
    let buttons = reminder["reply_markup"]["inline_keyboard"][0]
        .as_array()
        .expect("buttons");
    let data: Vec<&str> = buttons
        .iter()
        .filter_map(|b| b["callback_data"].as_str())
        .collect();
    assert_eq!(data.len(), 3);
    assert!(data[0].starts_with("fait:") && data[1].starts_with("reporter:") && data[2].starts_with("vu:"));
    // The CPE may not act on the DASEN's step: an alert, no edit.
    h.fake.press(CPE, &reminder, data[0]);
    h.bot.poll_once(0).await.expect("poll");
    let answer = h
        .fake
        .calls("answerCallbackQuery")
        .last()
        .cloned()
        .expect("answer");
    assert!(
        answer["text"].as_str().unwrap_or_default().contains("autre rôle"),
        "{answer}"
    );
    assert!(h.fake.calls("editMessageText").is_empty());
    // Reporter: instructions, nothing changes.
    h.fake.press(DASEN, &reminder, data[1]);
    h.bot.poll_once(0).await.expect("poll");
    assert!(
        h.last_reply().contains(&format!("!report {r} convocation")),
        "{}",
        h.last_reply()
    );
    // Fait: the step is done, the message shows who and when.
    h.fake.press(DASEN, &reminder, data[0]);
    h.bot.poll_once(0).await.expect("poll");
    let edit = h.fake.calls("editMessageText").last().cloned().expect("edit");
    let edited = edit["text"].as_str().expect("text");
    assert!(
        edited.contains("✅ Fait — Bureau du DASEN 49, jeudi 10 décembre 2026 à 8 h 31"),
        "{edited}"
    );
    let snap = h.t.app.snapshot(&r).await.expect("snapshot");
    let step = snap.steps.iter().find(|s| s.step == "convocation").expect("step");
    assert_eq!(step.state, echeancier::store::StepStatus::Done);
    // Vu on the same reminder: acknowledged.
    h.fake.press(DASEN, &reminder, data[2]);
    h.bot.poll_once(0).await.expect("poll");
    let edit = h.fake.calls("editMessageText").last().cloned().expect("edit");
    assert!(
        edit["text"].as_str().unwrap_or_default().contains("👀 Vu"),
        "{edit}"
    );
    // Updates are consumed once: polling again handles nothing.
    assert_eq!(h.bot.poll_once(0).await.expect("poll"), 0);
}

#[tokio::test]
async fn deliveries_retry_after_429_and_500() {
    let h = harness(at("2026-12-01T09:00:00Z")).await;
    open_par(&h.t).await;
    h.link("dasen", DASEN).await;
    let scheduler = h.scheduler();
    h.fake.fail_next_send(429);
    let now = at("2026-12-10T07:31:00Z");
    h.t.clock.set(now);
    scheduler.tick().await.expect("tick");
    // The email leaves; the Telegram message meets a 429.
    let first = scheduler.deliver().await.expect("deliver");
    assert_eq!((first.sent, first.retried), (1, 1), "{first:?}");
    // retry_after is 3 s: not before.
    h.t.clock.set(now + chrono::Duration::seconds(2));
    assert_eq!(scheduler.deliver().await.expect("deliver").retried, 0);
    h.fake.fail_next_send(500);
    h.t.clock.set(now + chrono::Duration::seconds(4));
    let second = scheduler.deliver().await.expect("deliver");
    assert_eq!((second.sent, second.retried), (0, 1), "{second:?}");
    h.t.clock.set(now + chrono::Duration::minutes(5));
    let third = scheduler.deliver().await.expect("deliver");
    assert_eq!(third.sent, 1, "{third:?}");
    assert_eq!(h.fake.calls("sendMessage.failed").len(), 2);
    let delivered: Vec<_> = h
        .fake
        .sent()
        .into_iter()
        .filter(|m| m["reply_markup"].is_object())
        .collect();
    assert_eq!(delivered.len(), 1, "sent once");
}

/// A refusal the Bot API words in English reaches staff as a technical
/// error, in French: the details stay in the delivery's record and the log.
#[tokio::test]
async fn an_english_refusal_alerts_staff_in_french() {
    let h = harness(at("2026-12-01T09:00:00Z")).await;
    let r = open_par(&h.t).await;
    h.link("dasen", DASEN).await;
    let scheduler = h.scheduler();
    h.fake
        .fail_next_send_with(400, "Bad Request: the robot went out for lunch");
    h.t.clock.set(at("2026-12-10T07:31:00Z"));
    scheduler.tick().await.expect("tick");
    let first = scheduler.deliver().await.expect("deliver");
    assert_eq!(first.failed, 1, "{first:?}");
    scheduler.deliver().await.expect("deliver the alert");
    let errors: Vec<String> = sqlx::query_scalar(
        "SELECT last_error FROM deliveries WHERE channel = 'telegram' AND state = 'failed'",
    )
    .fetch_all(h.t.store.pool())
    .await
    .expect("errors");
    assert!(errors.iter().any(|e| e.contains("lunch")), "{errors:?}");
    let mut alerts = Vec::new();
    for entry in std::fs::read_dir(h.mail.path()).expect("mail dir") {
        let raw = std::fs::read(entry.expect("entry").path()).expect("read");
        let m = mail_parser::MessageParser::default().parse(&raw).expect("parse");
        let body = m.body_text(0).expect("text").to_string();
        if body.contains("Alerte") {
            alerts.push(body);
        }
    }
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert!(alert.contains(&r), "{alert}");
    assert!(
        alert.contains("Cause : erreur technique (voir le journal du serveur)."),
        "{alert}"
    );
    assert!(
        !alert.contains("lunch") && !alert.contains("Bad Request"),
        "{alert}"
    );
}

/// Every verb of the command language answers through Telegram, with the
/// result it has everywhere else.
#[tokio::test]
async fn every_command_works_through_telegram() {
    let h = harness(at("2026-12-01T09:00:00Z")).await;
    let r = open_par(&h.t).await;
    let conv =
        h.t.app
            .open_case(
                OpenCase {
                    procedure: "convention".into(),
                    departement: Some("049".into()),
                    partners: vec!["prefet".into(), "caf".into()],
                    events: vec![("entree_en_vigueur".into(), "2024-09-02".parse().expect("date"))],
                    ..Default::default()
                },
                &who(),
            )
            .await
            .expect("convention")
            .case
            .reference;
    h.link("dasen", DASEN).await;
    let cases: Vec<(String, &str)> = vec![
        ("/aide".into(), "Commandes disponibles"),
        ("/echeances mois".into(), "Convocation des parents"),
        (format!("/dossier {r}"), "Entretien des parents"),
        (
            format!("/simuler {r} saisine_recue 2026-12-14"),
            "rien n'est enregistré",
        ),
        (
            format!("/date {r} saisine_envoyee 2026-11-30"),
            "date enregistrée",
        ),
        (format!("/etape {r} convocation fait 2026-12-01"), "faite le"),
        (
            format!("/report {r} entretien 2026-12-21 absence"),
            "reportée au lundi 21 décembre 2026",
        ),
        (format!("/rdv {r} entretien 2026-12-18 10h"), "rendez-vous fixé"),
        (format!("/bilan-rdv {r} entretien venu"), "n'a pas encore eu lieu"),
        (format!("/communication {conv} Affiche"), "COM-2026-0001"),
        (
            "/recu COM-2026-0001 caf 2026-12-01".into(),
            "réception enregistrée",
        ),
        ("/approuve COM-2026-0001 caf".into(), "approbation enregistrée"),
        (
            "/objection COM-2026-0001 @prefet logo absent".into(),
            "objection enregistrée",
        ),
        ("/version COM-2026-0001".into(), "COM-2026-0002 : version 2"),
        (
            format!("/jalon {r} « Objectif » 2027-01-15"),
            "pas d'échéances de contrat",
        ),
        ("/lien cpe telegram".into(), "Code de liaison de « cpe »"),
        (format!("/resiliation {conv} 2026-03-10"), "Prise d'effet"),
        ("/ack 999".into(), "introuvable"),
        (format!("/appel {r}"), "appel à la famille noté"),
        ("/lier ZZZZ2222".into(), "Code inconnu"),
        // This app runs no web office: both verbs answer so.
        ("/connexion".into(), "bureau web n'est pas activé"),
        ("/ouvrir par 0490001K".into(), "bureau web n'est pas activé"),
    ];
    assert_eq!(
        cases.len(),
        echeancier::core::command::VERBS.len(),
        "one case per verb"
    );
    for (text, expected) in cases {
        let reply = h.say(DASEN, DASEN, &text).await;
        assert!(reply.contains(expected), "{text}: {reply}");
    }
}

/// The Bot API's limits, kept ahead of time: one message a second in a
/// chat, one every three seconds in a group (20 a minute), about 30 a
/// second in all, whatever the outbox asks at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_keep_the_bot_api_pace() {
    use echeancier::channel::{Delivery, Rendered, Sender};
    use std::time::Duration;
    let h = harness(at("2026-12-01T09:00:00Z")).await;
    let message = Rendered {
        subject: String::new(),
        text: "Rappel".into(),
        html: String::new(),
        lang: "fr".into(),
        ics: None,
        buttons: None,
    };
    let mut chats: Vec<i64> = Vec::new();
    for chat in [7001, 7002, 7003] {
        chats.extend([chat; 3]);
    }
    chats.extend([-100_200; 2]);
    chats.extend(8000..8040);
    let keys: Vec<String> = (0..chats.len()).map(|i| format!("k{i}")).collect();
    let recipients: Vec<String> = chats.iter().map(i64::to_string).collect();
    let sends = keys.iter().zip(&recipients).map(|(key, recipient)| {
        h.bot.send(Delivery {
            key,
            recipient,
            message: &message,
        })
    });
    for r in futures_util::future::join_all(sends).await {
        r.expect("sent");
    }
    let times = h.fake.send_times();
    assert_eq!(times.len(), chats.len());
    let gaps = |chat: i64| -> Vec<Duration> {
        let at: Vec<_> = times
            .iter()
            .filter(|(_, c)| *c == chat)
            .map(|(t, _)| *t)
            .collect();
        at.windows(2).map(|w| w[1] - w[0]).collect()
    };
    // Arrival times: a little network jitter is allowed for.
    for chat in [7001, 7002, 7003] {
        let g = gaps(chat);
        assert_eq!(g.len(), 2);
        assert!(
            g.iter().all(|d| *d >= Duration::from_millis(900)),
            "chat {chat}: {g:?}"
        );
    }
    let g = gaps(-100_200);
    assert!(
        g.iter().all(|d| *d >= Duration::from_millis(2900)),
        "group: {g:?}"
    );
    for (i, (start, _)) in times.iter().enumerate() {
        let in_second = times[i..]
            .iter()
            .take_while(|(t, _)| *t - *start < Duration::from_secs(1))
            .count();
        assert!(in_second <= 31, "{in_second} messages within one second");
    }
}
