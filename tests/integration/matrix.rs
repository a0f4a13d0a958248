//! The Matrix front-end against a real Synapse (started by scripts/test, on
//! loopback), in end-to-end encrypted rooms: invitations, commands answered
//! in thread, refusals, reminders decrypted by a second client, ✅
//! reactions, and a restart in the middle of a batch.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use echeancier::clock::Clock;
use echeancier::config::MatrixRoom;
use echeancier::core::authz::Grant;
use echeancier::matrix::MatrixBot;
use echeancier::scheduler::Scheduler;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::Annotation;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId};
use matrix_sdk::{Client, Room, RoomMemberships};

use crate::util::{TestApp, app_at, open_par};

/// The tests share the homeserver's accounts (one bot, one head of school):
/// two of them at once would see each other's rooms, so they take turns.
pub(crate) static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub(crate) fn homeserver() -> String {
    std::env::var("ECHEANCIER_TEST_SYNAPSE")
        .expect("no Synapse: run scripts/test, which starts one on loopback and sets ECHEANCIER_TEST_SYNAPSE")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

/// A message seen by a test client: sender, body, event id, thread root.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) sender: String,
    pub(crate) body: String,
    event_id: OwnedEventId,
    thread: Option<OwnedEventId>,
}

pub(crate) struct User {
    pub(crate) client: Client,
    seen: Arc<Mutex<Vec<Seen>>>,
    _dir: tempfile::TempDir,
}

impl User {
    pub(crate) async fn login(name: &str) -> User {
        let dir = tempfile::tempdir().expect("dir");
        let client = Client::builder()
            .homeserver_url(homeserver())
            .sqlite_store(dir.path(), None)
            .build()
            .await
            .expect("client");
        client
            .matrix_auth()
            .login_username(name, "motdepasse")
            .send()
            .await
            .expect("login");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let store = seen.clone();
        client.add_event_handler(move |ev: OriginalSyncRoomMessageEvent, _room: Room| {
            let store = store.clone();
            async move {
                if let MessageType::Text(t) = &ev.content.msgtype {
                    let thread = match &ev.content.relates_to {
                        Some(Relation::Thread(th)) => Some(th.event_id.clone()),
                        _ => None,
                    };
                    store.lock().unwrap_or_else(|e| e.into_inner()).push(Seen {
                        sender: ev.sender.to_string(),
                        body: t.body.clone(),
                        event_id: ev.event_id.clone(),
                        thread,
                    });
                }
            }
        });
        client.sync_once(SyncSettings::default()).await.expect("sync");
        User {
            client,
            seen,
            _dir: dir,
        }
    }

    fn id(&self) -> OwnedUserId {
        self.client.user_id().expect("logged in").to_owned()
    }

    async fn sync(&self) {
        // The test client must not miss replies in a limited timeline either.
        let settings = echeancier::matrix::sync_settings().timeout(std::time::Duration::from_millis(500));
        self.client.sync_once(settings).await.expect("sync");
    }

    /// Syncs until `pred` holds; bounded by a number of sync rounds that
    /// bring no new message (each waits on the server, never on a timer of
    /// ours), so that a long burst arriving a few messages at a time is
    /// waited for while a silent bot fails the test.
    pub(crate) async fn until(&self, what: &str, mut pred: impl FnMut(&[Seen]) -> bool) -> Vec<Seen> {
        let mut idle = 0;
        let mut count = 0;
        while idle < 60 {
            self.sync().await;
            let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if pred(&seen) {
                return seen;
            }
            if seen.len() > count {
                count = seen.len();
                idle = 0;
            } else {
                idle += 1;
            }
        }
        panic!(
            "not seen: {what}: {:#?}",
            self.seen.lock().unwrap_or_else(|e| e.into_inner())
        );
    }

    pub(crate) async fn encrypted_room_with(&self, bot: &OwnedUserId) -> Room {
        let room = self
            .client
            .create_room(matrix_sdk::ruma::api::client::room::create_room::v3::Request::new())
            .await
            .expect("room");
        room.enable_encryption().await.expect("encryption");
        room.invite_user_by_id(bot).await.expect("invite");
        room
    }

    pub(crate) async fn wait_membership(&self, room: &OwnedRoomId, who: &OwnedUserId, joined: bool) {
        for _ in 0..60 {
            self.sync().await;
            if let Some(r) = self.client.get_room(room) {
                let members = r.members(RoomMemberships::JOIN).await.unwrap_or_default();
                if members.iter().any(|m| m.user_id() == who) == joined {
                    return;
                }
            }
        }
        panic!("membership of {who} in {room} never became joined={joined}");
    }

    /// Syncs until a message of `bot` mentions `needle`, and returns it.
    async fn message_of(&self, bot: &OwnedUserId, needle: &str) -> Seen {
        let mine = |m: &Seen| m.sender == bot.as_str() && m.body.contains(needle);
        let seen = self
            .until(&format!("a message of the bot about {needle}"), |s| {
                s.iter().any(mine)
            })
            .await;
        seen.into_iter().find(mine).expect("the message")
    }

    async fn say(&self, room: &Room, text: &str) -> OwnedEventId {
        room.send(RoomMessageEventContent::text_plain(text))
            .await
            .expect("send")
            .response
            .event_id
    }
}

/// Every event of `room`'s history, newest first, read back from the server
/// (`/messages`, page by page), so that no limited sync hides any.
pub(crate) async fn history(room: &Room) -> Vec<matrix_sdk::deserialized_responses::TimelineEvent> {
    use matrix_sdk::room::MessagesOptions;
    let mut events = Vec::new();
    let mut from: Option<String> = None;
    loop {
        let mut opts = MessagesOptions::backward();
        opts.from = from.clone();
        opts.limit = 1000u32.into();
        let page = room.messages(opts).await.expect("messages");
        let done = page.chunk.is_empty();
        events.extend(page.chunk);
        match page.end {
            Some(end) if !done => from = Some(end),
            _ => break,
        }
    }
    events
}

/// The events `bot` answered in their thread, read from the room's whole
/// history (relations stay in clear text in encrypted events).
async fn thread_roots_answered_by(room: &Room, bot: &str) -> std::collections::BTreeSet<String> {
    history(room)
        .await
        .iter()
        .filter_map(|ev| {
            let raw = ev.raw();
            let sender: Option<String> = raw.get_field("sender").ok().flatten();
            let content: Option<serde_json::Value> = raw.get_field("content").ok().flatten();
            let root = content.as_ref()?["m.relates_to"]["event_id"]
                .as_str()?
                .to_string();
            (sender.as_deref() == Some(bot)).then_some(root)
        })
        .collect()
}

pub(crate) struct Harness {
    pub(crate) t: TestApp,
    pub(crate) bot: Arc<MatrixBot>,
    store_dir: tempfile::TempDir,
    pub(crate) shutdown: tokio::sync::watch::Sender<bool>,
}

pub(crate) async fn harness(now: DateTime<Utc>) -> Harness {
    harness_paced(now, None).await
}

/// `harness` with the bot sending at most `pace` messages a second.
async fn harness_paced(now: DateTime<Utc>, pace: Option<f64>) -> Harness {
    let t = app_at(now).await;
    for (slug, user, grant) in [
        (
            "claire_m",
            "@claire:localhost",
            Grant {
                role: "chef_etablissement".into(),
                establishment: Some("0490001K".into()),
                departement: None,
                partner: None,
            },
        ),
        (
            "dasen_m",
            "@dasen:localhost",
            Grant {
                role: "dasen".into(),
                establishment: None,
                departement: Some("049".into()),
                partner: None,
            },
        ),
    ] {
        t.store
            .upsert_person(slug, slug, None, &[grant], &[("matrix".into(), user.into())])
            .await
            .expect("person");
    }
    let store_dir = tempfile::tempdir().expect("dir");
    let bot = start_bot_paced(&t, store_dir.path(), pace).await;
    // The access token is the bot's user's only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let session = std::fs::metadata(store_dir.path().join("session.json")).expect("session kept");
        assert_eq!(session.permissions().mode() & 0o777, 0o600);
    }
    let (shutdown, rx) = tokio::sync::watch::channel(false);
    let runner = bot.clone();
    tokio::spawn(async move {
        let _ = runner.run(rx).await;
    });
    bot.ready().await;
    Harness {
        t,
        bot,
        store_dir,
        shutdown,
    }
}

async fn start_bot(t: &TestApp, dir: &std::path::Path) -> Arc<MatrixBot> {
    start_bot_paced(t, dir, None).await
}

/// The settings of a bot logging in as `user` of the test homeserver.
fn bot_settings(user: &str, login: echeancier::config::MatrixLogin) -> echeancier::config::MatrixSettings {
    echeancier::config::MatrixSettings {
        homeserver: homeserver(),
        user: user.into(),
        login,
        passphrase: "phrase secrète du magasin de test".into(),
        rooms: vec![],
        pace: None,
        recovery: None,
        expires_on: None,
    }
}

fn password() -> echeancier::config::MatrixLogin {
    echeancier::config::MatrixLogin::Password("motdepasse".into())
}

async fn start_bot_paced(t: &TestApp, dir: &std::path::Path, pace: Option<f64>) -> Arc<MatrixBot> {
    MatrixBot::connect(
        t.app.clone(),
        &echeancier::config::MatrixSettings {
            pace,
            ..bot_settings("bot", password())
        },
        dir,
    )
    .await
    .expect("bot connects")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_in_an_encrypted_room() {
    let _turn = TURN.lock().await;
    let h = harness(at("2026-12-01T09:00:00Z")).await;
    let r = open_par(&h.t).await;
    let bot_id = h.bot.client.user_id().expect("bot id").to_owned();
    let claire = User::login("claire").await;
    let room = claire.encrypted_room_with(&bot_id).await;
    let room_id = room.room_id().to_owned();
    claire.wait_membership(&room_id, &bot_id, true).await;
    assert!(
        room.latest_encryption_state()
            .await
            .expect("state")
            .is_encrypted()
    );

    let aide = claire.say(&room, "!aide").await;
    claire
        .until("help in thread", |s| {
            s.iter().any(|m| {
                m.sender == bot_id.as_str()
                    && m.thread.as_ref() == Some(&aide)
                    && m.body.contains("Commandes disponibles")
            })
        })
        .await;
    // The follow-up counts from the signature: done here, so that the
    // head of school can move it (past its legal date, confirmed). The
    // interview itself is done only once its meeting's outcome is noted.
    for step in ["signature"] {
        h.t.app
            .apply(
                &r,
                vec![echeancier::app::Change::StepDone {
                    step: step.into(),
                    on: "2026-12-01".parse().expect("date"),
                }],
                &echeancier::app::Who {
                    actor: "test".into(),
                    channel: "test".into(),
                },
            )
            .await
            .expect("done");
    }
    let report = claire
        .say(
            &room,
            &format!("!report {r} point_suivi 2027-01-20 confirme vacances"),
        )
        .await;
    let seen = claire
        .until("reschedule reply", |s| {
            s.iter().any(|m| m.thread.as_ref() == Some(&report))
        })
        .await;
    let reply = seen
        .iter()
        .find(|m| m.thread.as_ref() == Some(&report))
        .expect("reply");
    assert!(
        reply.body.contains("reportée au mercredi 20 janvier 2027"),
        "{}",
        reply.body
    );
    let trail = h.t.store.audit_trail(&r).await.expect("audit");
    let last = trail.last().expect("entry");
    assert_eq!(
        (last.action.as_str(), last.channel.as_str()),
        ("report", "matrix")
    );
    assert!(last.actor.contains("@claire:localhost"), "{}", last.actor);
    assert!(
        !seen
            .iter()
            .any(|m| m.body.contains("Jeanne") || m.body.contains("4e Z"))
    );

    // An unknown account: its invitation is declined, its commands refused.
    let intrus = User::login("intrus").await;
    let other = intrus.encrypted_room_with(&bot_id).await;
    intrus
        .wait_membership(&other.room_id().to_owned(), &bot_id, false)
        .await;
    room.invite_user_by_id(&intrus.id()).await.expect("invite");
    intrus.sync().await;
    intrus.client.join_room_by_id(&room_id).await.expect("join");
    claire.wait_membership(&room_id, &intrus.id(), true).await;
    let before = h.t.store.audit_trail(&r).await.expect("audit").len();
    let intrus_room = intrus.client.get_room(&room_id).expect("room");
    let cmd = intrus
        .say(&intrus_room, &format!("!etape {r} actions_etablissement fait"))
        .await;
    let seen = intrus
        .until("refusal", |s| s.iter().any(|m| m.thread.as_ref() == Some(&cmd)))
        .await;
    let refusal = seen
        .iter()
        .find(|m| m.thread.as_ref() == Some(&cmd))
        .expect("refusal");
    assert!(
        refusal.body.starts_with("Désolé") && refusal.body.contains("!lier"),
        "{}",
        refusal.body
    );
    assert_eq!(h.t.store.audit_trail(&r).await.expect("audit").len(), before);
    // The room has three members now and is declared nowhere: even the head
    // of school gets no individual case there.
    let cmd = claire.say(&room, &format!("!dossier {r}")).await;
    let seen = claire
        .until("refusal in a shared room", |s| {
            s.iter().any(|m| m.thread.as_ref() == Some(&cmd))
        })
        .await;
    let reply = seen
        .iter()
        .find(|m| m.thread.as_ref() == Some(&cmd))
        .expect("reply");
    assert!(
        reply.body.contains("message direct") && !reply.body.contains("Entretien"),
        "{}",
        reply.body
    );
    let _ = h.shutdown.send(true);
}

/// A partner's invitation is accepted only into a declared partners' room:
/// into any other room the bot declines it.
/// The homeserver's "intrus" account is the CAF's partner.
async fn caf_partner_is_intrus(t: &TestApp) {
    t.store
        .upsert_person(
            "caf_m",
            "caf_m",
            None,
            &[Grant {
                role: "partenaire".into(),
                establishment: None,
                departement: None,
                partner: Some("caf".into()),
            }],
            &[("matrix".into(), "@intrus:localhost".into())],
        )
        .await
        .expect("person");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_invitations_only_into_partner_rooms() {
    let _turn = TURN.lock().await;
    let h = harness(at("2026-12-01T09:00:00Z")).await;
    caf_partner_is_intrus(&h.t).await;
    let bot_id = h.bot.client.user_id().expect("bot id").to_owned();
    let partner = User::login("intrus").await;
    let room = partner.encrypted_room_with(&bot_id).await;
    let room_id = room.room_id().to_owned();
    // Declined: the bot's membership goes from invited to left.
    let mut declined = false;
    for _ in 0..60 {
        partner.sync().await;
        if let Some(r) = partner.client.get_room(&room_id) {
            let left = r.members(RoomMemberships::LEAVE).await.unwrap_or_default();
            if left.iter().any(|m| m.user_id() == bot_id) {
                declined = true;
                break;
            }
        }
    }
    assert!(declined, "the bot declined the partner's invitation");
    let _ = h.shutdown.send(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_reactions_and_a_restart() {
    let _turn = TURN.lock().await;
    let mut h = harness(at("2026-12-01T09:00:00Z")).await;
    let bot_id = h.bot.client.user_id().expect("bot id").to_owned();
    let dasen = User::login("dasen").await;
    let room = dasen.encrypted_room_with(&bot_id).await;
    let room_id = room.room_id().to_owned();
    dasen.wait_membership(&room_id, &bot_id, true).await;
    let options = echeancier::app::Options {
        matrix_rooms: vec![MatrixRoom {
            room_id: room_id.to_string(),
            establishment: None,
            departement: Some("049".into()),
            roles: vec!["dasen".into()],
            partners: false,
        }],
        ..Default::default()
    };
    h.t.app = h.t.app.clone().with_options(options);
    let mut refs = Vec::new();
    for _ in 0..4 {
        refs.push(open_par(&h.t).await);
    }
    // 10 December 08:31: one convocation reminder per case for the DASEN office.
    h.t.clock.set(at("2026-12-10T07:31:00Z"));
    let scheduler = Scheduler::new(h.t.app.clone(), vec![])
        .with_sender(echeancier::matrix::MatrixSender::of(h.bot.clone()));
    scheduler.tick().await.expect("tick");
    // The first instance claims two deliveries and dies before sending them.
    let now = h.t.clock.now();
    let claimed =
        h.t.store
            .claim_deliveries(
                now,
                now + scheduler.lease,
                2,
                &[echeancier::channel::Channel::Matrix],
            )
            .await
            .expect("claim");
    assert_eq!(claimed.len(), 2);
    let _ = h.shutdown.send(true);
    drop(scheduler);
    // Restart: same store folder, same device; leases expire.
    let (tx, rx) = tokio::sync::watch::channel(false);
    h.shutdown = tx;
    let bot = start_bot(&h.t, h.store_dir.path()).await;
    assert_eq!(
        bot.client.device_id(),
        h.bot.client.device_id(),
        "the device survives a restart"
    );
    let runner = bot.clone();
    tokio::spawn(async move {
        let _ = runner.run(rx).await;
    });
    bot.ready().await;
    // Email goes to files here, beside the Matrix room.
    let mail = tempfile::tempdir().expect("dir");
    let mailer = echeancier::email::Mailer::new(
        &echeancier::config::EmailMode::Files(mail.path().into()),
        "x@example.org",
    )
    .expect("mailer");
    let scheduler = Scheduler::new(h.t.app.clone(), vec![])
        .with_sender(Arc::new(mailer))
        .with_sender(echeancier::matrix::MatrixSender::of(bot.clone()));
    let first = scheduler.deliver().await.expect("deliver");
    h.t.clock.set(now + chrono::Duration::minutes(10));
    let second = scheduler.deliver().await.expect("deliver");
    let counts = h.t.store.outbox_counts().await.expect("counts");
    assert_eq!(
        (counts.pending, counts.sending, counts.failed),
        (0, 0, 0),
        "{counts:?}"
    );
    assert_eq!(
        first.sent + second.sent,
        counts.sent as usize,
        "{first:?} {second:?}"
    );
    assert!(
        second.sent >= 1,
        "the dead instance's claims were delivered after their lease"
    );
    let seen = dasen
        .until("four reminders", |s| {
            refs.iter().all(|r| {
                s.iter()
                    .any(|m| m.sender == bot_id.as_str() && m.body.contains(r.as_str()))
            })
        })
        .await;
    for r in &refs {
        let n = seen
            .iter()
            .filter(|m| m.sender == bot_id.as_str() && m.body.contains(r.as_str()))
            .count();
        assert_eq!(n, 1, "{r} shown once");
    }
    // ✅ on a reminder acknowledges it.
    let reminder = seen
        .iter()
        .find(|m| m.body.contains(&refs[0]))
        .expect("reminder")
        .clone();
    assert!(reminder.body.contains("Réagissez ✅"), "{}", reminder.body);
    // A reaction acts only on a reminder posted in the room it is made in.
    let event = reminder.event_id.to_string();
    assert!(
        h.t.store
            .reminder_by_external_ref(&event, room_id.as_str())
            .await
            .expect("db")
            .is_some()
    );
    assert_eq!(
        h.t.store
            .reminder_by_external_ref(&event, "!autre:localhost")
            .await
            .expect("db"),
        None
    );
    room.send(ReactionEventContent::new(Annotation::new(
        reminder.event_id.clone(),
        "✅".into(),
    )))
    .await
    .expect("react");
    dasen
        .until("acknowledgement", |s| {
            s.iter()
                .any(|m| m.thread.as_ref() == Some(&reminder.event_id) && m.body.contains("vu, merci"))
        })
        .await;
    let id: i64 = reminder
        .body
        .trim_start_matches("⏰ Rappel n° ")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("reminder id");
    let mut conn = h.t.store.pool().acquire().await.expect("conn");
    let row = echeancier::store::Store::reminder(&mut conn, id)
        .await
        .expect("db")
        .expect("reminder");
    assert!(row.acknowledged);
    let _ = h.shutdown.send(true);
}

/// A burst of commands sent back to back: every one is answered (a bot that
/// only reacts to what a limited sync delivers would miss some).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_commands_is_answered_in_full() {
    let _turn = TURN.lock().await;
    let h = harness(at("2026-12-01T09:00:00Z")).await;
    let bot_id = h.bot.client.user_id().expect("bot id").to_owned();
    let claire = User::login("claire").await;
    let room = claire.encrypted_room_with(&bot_id).await;
    claire
        .wait_membership(&room.room_id().to_owned(), &bot_id, true)
        .await;
    // One exchange first: the room key reaches the bot's device before the
    // burst (what is measured is the burst, not the first key share).
    let hello = claire.say(&room, "!aide").await;
    claire
        .until("first reply", |s| {
            s.iter().any(|m| m.thread.as_ref() == Some(&hello))
        })
        .await;
    let mut sent = Vec::new();
    for i in 0..100 {
        sent.push(claire.say(&room, &format!("!aide n{i}")).await);
    }
    // Read back from the room's history, not from the client's syncs: a
    // sync that comes back limited would hide replies that were sent.
    let mut answered = std::collections::BTreeSet::new();
    for _ in 0..120 {
        claire.sync().await;
        answered = thread_roots_answered_by(&room, bot_id.as_str()).await;
        if sent.iter().all(|id| answered.contains(id.as_str())) {
            break;
        }
    }
    let missing: Vec<_> = sent.iter().filter(|id| !answered.contains(id.as_str())).collect();
    assert!(
        missing.is_empty(),
        "{} of 100 commands unanswered: {missing:?}",
        missing.len()
    );
    let _ = h.shutdown.send(true);
}

/// Tchap's pace: reminders leave at the configured rate, and a command sent
/// in the middle of the burst is answered before the burst ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_keep_the_pace_and_commands_go_first() {
    const PACE: f64 = 5.0;
    const REMINDERS: usize = 30;
    let _turn = TURN.lock().await;
    let mut h = harness_paced(at("2026-12-01T09:00:00Z"), Some(PACE)).await;
    let bot_id = h.bot.client.user_id().expect("bot id").to_owned();
    let dasen = User::login("dasen").await;
    let room = dasen.encrypted_room_with(&bot_id).await;
    let room_id = room.room_id().to_owned();
    dasen.wait_membership(&room_id, &bot_id, true).await;
    // The room key reaches the bot before the burst.
    let hello = dasen.say(&room, "!aide").await;
    dasen
        .until("first reply", |s| {
            s.iter().any(|m| m.thread.as_ref() == Some(&hello))
        })
        .await;
    h.t.app = h.t.app.clone().with_options(echeancier::app::Options {
        matrix_rooms: vec![MatrixRoom {
            room_id: room_id.to_string(),
            establishment: None,
            departement: Some("049".into()),
            roles: vec!["dasen".into()],
            partners: false,
        }],
        ..Default::default()
    });
    for _ in 0..REMINDERS {
        open_par(&h.t).await;
    }
    // 10 December 08:31: one convocation reminder per case, all due at once.
    h.t.clock.set(at("2026-12-10T07:31:00Z"));
    let scheduler = Scheduler::new(h.t.app.clone(), vec![])
        .with_sender(echeancier::matrix::MatrixSender::of(h.bot.clone()));
    scheduler.tick().await.expect("tick");
    let burst = tokio::spawn(async move { scheduler.deliver().await });
    let command = dasen.say(&room, "!aide").await;
    let report = burst.await.expect("no panic").expect("deliver");
    assert_eq!(report.sent, REMINDERS, "{report:?}");
    dasen
        .until("the reply", |s| {
            s.iter().any(|m| m.thread.as_ref() == Some(&command))
        })
        .await;
    // In the room's own order, oldest first.
    let mut bot_events: Vec<(u64, bool, bool)> = history(&room)
        .await
        .iter()
        .filter_map(|ev| {
            let raw = ev.raw();
            let sender: String = raw.get_field("sender").ok().flatten()?;
            if sender != bot_id.as_str() {
                return None;
            }
            let ts: u64 = raw.get_field("origin_server_ts").ok().flatten()?;
            let content: serde_json::Value = raw.get_field("content").ok().flatten()?;
            let body = content["body"].as_str().unwrap_or_default().to_string();
            let reply = content["m.relates_to"]["event_id"].as_str() == Some(command.as_str());
            Some((ts, reply, body.contains("Réagissez ✅")))
        })
        .collect();
    bot_events.reverse();
    let reminders: Vec<u64> = bot_events.iter().filter(|e| e.2).map(|e| e.0).collect();
    assert_eq!(reminders.len(), REMINDERS);
    // After the limiter's burst (PACE at once), one every 1/PACE s: a lower
    // bound on the spread, whatever the machine's speed.
    let spread_ms = reminders[REMINDERS - 1] - reminders[0];
    let least_ms = ((REMINDERS as f64 - PACE - 1.0) / PACE * 1000.0) as u64;
    assert!(
        spread_ms >= least_ms,
        "{REMINDERS} reminders in {spread_ms} ms: faster than the pace"
    );
    let reply_at = bot_events.iter().position(|e| e.1).expect("reply in the room");
    let after_reply = bot_events[reply_at..].iter().filter(|e| e.2).count();
    assert!(
        after_reply >= REMINDERS / 3,
        "the reply waited for the burst: only {after_reply} reminders after it"
    );
    let _ = h.shutdown.send(true);
}

/// In the partners' room, a partner approves a communication with 👍 on
/// its reminder, and 👎 asks for the reason an objection needs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partners_approve_by_reaction() {
    let _turn = TURN.lock().await;
    let mut h = harness(at("2026-12-01T09:00:00Z")).await;
    caf_partner_is_intrus(&h.t).await;
    let bot_id = h.bot.client.user_id().expect("bot id").to_owned();
    let dasen = User::login("dasen").await;
    let partner = User::login("intrus").await;
    let room = dasen.encrypted_room_with(&bot_id).await;
    let room_id = room.room_id().to_owned();
    room.invite_user_by_id(&partner.id()).await.expect("invite");
    dasen.wait_membership(&room_id, &bot_id, true).await;
    partner.sync().await;
    partner.client.join_room_by_id(&room_id).await.expect("join");
    dasen.wait_membership(&room_id, &partner.id(), true).await;
    h.t.app = h.t.app.clone().with_options(echeancier::app::Options {
        matrix_rooms: vec![MatrixRoom {
            room_id: room_id.to_string(),
            establishment: None,
            departement: Some("049".into()),
            roles: vec!["coordination_partenariats".into()],
            partners: true,
        }],
        ..Default::default()
    });
    let who = echeancier::app::Who {
        actor: "test".into(),
        channel: "test".into(),
    };
    let com =
        h.t.app
            .open_case(
                echeancier::app::OpenCase {
                    procedure: "communication".into(),
                    departement: Some("049".into()),
                    partners: vec!["caf".into()],
                    title: Some("Affiche".into()),
                    ..Default::default()
                },
                &who,
            )
            .await
            .expect("communication")
            .case
            .reference;
    h.t.app
        .apply(
            &com,
            vec![echeancier::app::Change::Receipt {
                partner: "caf".into(),
                on: "2026-12-01".parse().expect("date"),
            }],
            &who,
        )
        .await
        .expect("receipt");
    // Due 16 December: reminded three working days before, at 08:30.
    h.t.clock.set(at("2026-12-11T07:31:00Z"));
    let scheduler = Scheduler::new(h.t.app.clone(), vec![])
        .with_sender(echeancier::matrix::MatrixSender::of(h.bot.clone()));
    scheduler.tick().await.expect("tick");
    let report = scheduler.deliver().await.expect("deliver");
    assert!(report.sent >= 1, "{report:?}");
    let reminder = partner.message_of(&bot_id, &com).await;
    let partner_room = partner.client.get_room(&room_id).expect("room");
    let react = |key: &str| ReactionEventContent::new(Annotation::new(reminder.event_id.clone(), key.into()));
    // A skin tone is the same thumb.
    partner_room.send(react("👎🏽")).await.expect("react");
    partner
        .until("the objection's instructions", |s| {
            s.iter().any(|m| {
                m.thread.as_ref() == Some(&reminder.event_id)
                    && m.body.contains(&format!("!objection {com} motif"))
            })
        })
        .await;
    partner_room.send(react("👍")).await.expect("react");
    partner
        .until("the approval", |s| {
            s.iter().any(|m| {
                m.thread.as_ref() == Some(&reminder.event_id) && m.body.contains("approbation enregistrée")
            })
        })
        .await;
    let trail = h.t.store.audit_trail(&com).await.expect("audit");
    let approval = trail
        .iter()
        .find(|e| e.action == "approbation")
        .expect("approval audited");
    assert_eq!(approval.detail["partenaire"], "caf");
    assert_eq!(approval.channel, "matrix");
    let _ = h.shutdown.send(true);
}

/// Login by access token (a device made for the bot beforehand), beside
/// the password: the bot finds its user and device from the token, keeps
/// the session, and answers in an encrypted room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_logs_in_with_an_access_token() {
    let _turn = TURN.lock().await;
    let h = harness(at("2026-12-01T09:00:00Z")).await;
    // Only one bot answers at a time.
    let _ = h.shutdown.send(true);
    let maker = Client::builder()
        .homeserver_url(homeserver())
        .build()
        .await
        .expect("client");
    maker
        .matrix_auth()
        .login_username("bot", "motdepasse")
        .initial_device_display_name("echeancier (jeton)")
        .send()
        .await
        .expect("login");
    let token = maker.access_token().expect("token");
    let device = maker.device_id().expect("device").to_owned();
    let dir = tempfile::tempdir().expect("dir");
    let bot = MatrixBot::connect(
        h.t.app.clone(),
        &bot_settings("bot", echeancier::config::MatrixLogin::AccessToken(token)),
        dir.path(),
    )
    .await
    .expect("bot connects with its token");
    assert_eq!(
        bot.client.device_id(),
        Some(device.as_ref()),
        "the token's device"
    );
    assert!(dir.path().join("session.json").exists(), "the session is kept");
    let (stop, rx) = tokio::sync::watch::channel(false);
    let runner = bot.clone();
    tokio::spawn(async move {
        let _ = runner.run(rx).await;
    });
    bot.ready().await;
    let bot_id = bot.client.user_id().expect("bot id").to_owned();
    let claire = User::login("claire").await;
    let room = claire.encrypted_room_with(&bot_id).await;
    claire
        .wait_membership(&room.room_id().to_owned(), &bot_id, true)
        .await;
    let aide = claire.say(&room, "!aide").await;
    claire
        .until("help in thread", |s| {
            s.iter().any(|m| m.thread.as_ref() == Some(&aide))
        })
        .await;
    let _ = stop.send(true);
}

/// The bot cross-signs its device at its first login and keeps its keys in
/// the account's secret storage: a lost data folder means a new device,
/// which takes the same identity back with the recovery secret and is
/// signed by it, so clients do not show an unverified device. An account
/// of its own ("veilleur"), so that no other test's device interferes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_cross_signs_its_device_and_keeps_its_keys_in_secret_storage() {
    use matrix_sdk::encryption::recovery::RecoveryState;
    let t = app_at(at("2026-12-01T09:00:00Z")).await;
    let settings = echeancier::config::MatrixSettings {
        recovery: Some("phrase de récupération du veilleur".into()),
        ..bot_settings("veilleur", password())
    };
    // As a user's client sees the bot: its device signed by its identity.
    let observer = User::login("intrus").await;
    let trusted = async |bot: &MatrixBot| {
        let user = bot.client.user_id().expect("user").to_owned();
        let device = bot.client.device_id().expect("device").to_owned();
        let seen = observer.client.encryption();
        seen.request_user_identity(&user)
            .await
            .expect("keys")
            .expect("an identity");
        let signed = seen
            .get_device(&user, &device)
            .await
            .expect("store")
            .is_some_and(|d| d.is_cross_signed_by_owner());
        let own = bot
            .client
            .encryption()
            .cross_signing_status()
            .await
            .expect("status");
        (
            bot.client.encryption().recovery().state(),
            signed,
            own.is_complete(),
        )
    };
    let first_dir = tempfile::tempdir().expect("dir");
    let first = MatrixBot::connect(t.app.clone(), &settings, first_dir.path())
        .await
        .expect("connects");
    first.start().await.expect("first sync");
    assert_eq!(trusted(&first).await, (RecoveryState::Enabled, true, true));
    let user = first.client.user_id().expect("user").to_owned();
    let master = |bot: Arc<MatrixBot>, user: OwnedUserId| async move {
        bot.client
            .encryption()
            .get_user_identity(&user)
            .await
            .expect("store")
            .expect("identity")
            .master_key()
            .get_first_key()
            .map(|k| k.to_base64())
    };
    let first_master = master(first.clone(), user.clone()).await;
    drop(first);
    // The data folder is lost: a new device of the same account.
    let second_dir = tempfile::tempdir().expect("dir");
    let second = MatrixBot::connect(t.app.clone(), &settings, second_dir.path())
        .await
        .expect("connects again");
    second.start().await.expect("first sync");
    assert_eq!(trusted(&second).await, (RecoveryState::Enabled, true, true));
    assert_eq!(
        master(second.clone(), user).await,
        first_master,
        "the same identity"
    );
}

/// A person who prefers it gets their reminders in a direct, encrypted
/// room the bot opens with them, and acknowledges them there with ✅.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_in_a_direct_message_for_who_prefers_them() {
    let _turn = TURN.lock().await;
    let mut h = harness(at("2026-12-01T09:00:00Z")).await;
    let bot_id = h.bot.client.user_id().expect("bot id").to_owned();
    let dasen = User::login("dasen").await;
    h.t.app = h.t.app.clone().with_options(echeancier::app::Options {
        matrix_direct: vec!["@dasen:localhost".into()],
        ..Default::default()
    });
    let r = open_par(&h.t).await;
    h.t.clock.set(at("2026-12-10T07:31:00Z"));
    let scheduler = Scheduler::new(h.t.app.clone(), vec![])
        .with_sender(echeancier::matrix::MatrixSender::of(h.bot.clone()));
    scheduler.tick().await.expect("tick");
    let report = scheduler.deliver().await.expect("deliver");
    assert_eq!(report.sent, 1, "{report:?}");
    // The bot's direct room with the person: opened now, the person
    // invited (or kept from an earlier run on this homeserver).
    let dasen_id = matrix_sdk::ruma::UserId::parse("@dasen:localhost").expect("id");
    let mut direct: Vec<OwnedRoomId> = Vec::new();
    // The bot's own sync marks the new room as direct: wait for it, one
    // server round at a time.
    for _ in 0..60 {
        direct = h
            .bot
            .client
            .get_dm_rooms(&dasen_id)
            .map(|r| r.room_id().to_owned())
            .collect();
        if !direct.is_empty() {
            break;
        }
        dasen.sync().await;
    }
    assert_eq!(direct.len(), 1, "one direct room");
    let direct = direct[0].clone();
    let mut joined = false;
    for _ in 0..60 {
        dasen.sync().await;
        if dasen
            .client
            .get_room(&direct)
            .is_some_and(|r| r.state() == matrix_sdk::RoomState::Joined)
        {
            joined = true;
            break;
        }
        if dasen
            .client
            .get_room(&direct)
            .is_some_and(|r| r.state() == matrix_sdk::RoomState::Invited)
        {
            dasen.client.join_room_by_id(&direct).await.expect("join");
        }
    }
    assert!(joined, "the person joined the direct room");
    let reminder = dasen.message_of(&bot_id, &r).await;
    let room = dasen.client.get_room(&direct).expect("room");
    assert!(
        room.latest_encryption_state()
            .await
            .expect("state")
            .is_encrypted()
    );
    let members = room.members(RoomMemberships::JOIN).await.expect("members");
    assert_eq!(members.len(), 2, "the person and the bot only");
    room.send(ReactionEventContent::new(Annotation::new(
        reminder.event_id.clone(),
        "✅".into(),
    )))
    .await
    .expect("react");
    dasen
        .until("acknowledgement", |s| {
            s.iter()
                .any(|m| m.thread.as_ref() == Some(&reminder.event_id) && m.body.contains("vu, merci"))
        })
        .await;
    // The next reminder goes to the same room.
    let again = h
        .bot
        .send("@dasen:localhost", "Rappel", "<p>Rappel</p>", "k-direct")
        .await
        .expect("sent");
    assert!(!again.is_empty());
    assert_eq!(
        h.bot.client.get_dm_rooms(&dasen_id).count(),
        1,
        "still one direct room"
    );
    let _ = h.shutdown.send(true);
}

/// Sets when `user`'s account expires, as a server administrator would
/// (Synapse's account validity admin API; Tchap renews by email).
async fn set_expiry(user: &str, expires: DateTime<Utc>) {
    let admin = Client::builder()
        .homeserver_url(homeserver())
        .build()
        .await
        .expect("client");
    admin
        .matrix_auth()
        .login_username("admin", "motdepasse")
        .send()
        .await
        .expect("admin login");
    let token = admin.access_token().expect("token");
    let r = reqwest::Client::new()
        .post(format!(
            "{}/_synapse/admin/v1/account_validity/validity",
            homeserver()
        ))
        .bearer_auth(token)
        .json(&serde_json::json!({
            "user_id": user,
            "expiration_ts": expires.timestamp_millis(),
            "enable_renewal_emails": false,
        }))
        .send()
        .await
        .expect("admin API");
    assert!(r.status().is_success(), "{}", r.text().await.unwrap_or_default());
}

/// Tchap accounts expire unless renewed (Synapse's account validity). Once
/// the homeserver refuses the bot's account (`ORG_MATRIX_EXPIRED_ACCOUNT`),
/// its health says so and the administrators are told by email; renewed,
/// it answers again. Its own account (`sentinelle`): the other tests' bot
/// keeps running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_account_is_told_to_the_administrators_and_comes_back_renewed() {
    let t = app_at(at("2026-12-01T09:00:00Z")).await;
    let dir = tempfile::tempdir().expect("dir");
    let bot = MatrixBot::connect(t.app.clone(), &bot_settings("sentinelle", password()), dir.path())
        .await
        .expect("bot connects");
    let (stop, rx) = tokio::sync::watch::channel(false);
    let runner = bot.clone();
    tokio::spawn(async move {
        let _ = runner.run(rx).await;
    });
    bot.ready().await;
    let expired = || {
        t.app
            .metrics()
            .health()
            .get("matrix")
            .is_some_and(|h| h.account_expired)
    };
    assert!(!expired());
    set_expiry("@sentinelle:localhost", Utc::now() - chrono::Duration::seconds(1)).await;
    // The homeserver answers its next request with the refusal: waited
    // for (a bounded wait on the server, not on time).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !expired() {
        assert!(std::time::Instant::now() < deadline, "the expiry was not noticed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let told: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT r.payload, d.channel, d.recipient FROM reminders r JOIN deliveries d ON d.reminder_id = r.id
         WHERE r.kind = 'compte-robot'",
    )
    .fetch_all(t.store.pool())
    .await
    .expect("outbox");
    assert!(
        told.iter().any(|(p, c, to)| p.contains("@sentinelle:localhost")
            && p.contains("\"expire\":true")
            && c == "email"
            && to == "dasen49@example.org"),
        "{told:?}"
    );
    assert!(
        told.iter().all(|(_, c, _)| c != "matrix"),
        "never on the expired account's channel: {told:?}"
    );
    set_expiry("@sentinelle:localhost", Utc::now() + chrono::Duration::days(30)).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while expired() {
        assert!(
            std::time::Instant::now() < deadline,
            "the renewal was not noticed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = stop.send(true);
}
