//! Matrix throughput against a real Synapse on loopback: command round
//! trip (median and 99th percentile) in an end-to-end encrypted room, and
//! reminders posted per second.
//!
//! `cargo bench --bench matrix` (needs `.venv` from `scripts/test`; starts
//! its own Synapse with `tests/support/synapse.sh`).

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use echeancier::app::{App, OpenCase, Options, Who};
use echeancier::clock::FixedClock;
use echeancier::config::{MatrixRoom, Settings};
use echeancier::core::authz::Grant;
use echeancier::matrix::MatrixBot;
use echeancier::scheduler::Scheduler;
use echeancier::store::Store;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::{Client, Room, RoomMemberships};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("dir");
    let syn = dir.path().join("synapse");
    let port = 18_600 + (std::process::id() % 1000) as u16;
    let out = Command::new(root.join("tests/support/synapse.sh"))
        .args(["start", syn.to_str().expect("utf8"), &port.to_string()])
        .output()
        .expect("synapse");
    let hs = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        hs.starts_with("http"),
        "synapse did not start: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let store = Store::open(&format!("sqlite://{}", dir.path().join("b.db").display()))
        .await
        .expect("store");
    let lib = echeancier::library::embedded().expect("procedures");
    let settings = Settings::parse("demo.toml", echeancier::demo::CONFIG, Some(&lib)).expect("config");
    let clock = Arc::new(FixedClock::new(at("2026-12-01T09:00:00Z")));
    let app = App::new(store.clone(), lib, clock.clone());
    app.sync_directory(&settings).await.expect("directory");
    store
        .upsert_person(
            "claire_m",
            "Claire",
            None,
            &[Grant {
                role: "dasen".into(),
                establishment: None,
                departement: Some("049".into()),
                partner: None,
            }],
            &[("matrix".into(), "@claire:localhost".into())],
        )
        .await
        .expect("person");
    let bot = MatrixBot::connect(
        app.clone(),
        &echeancier::config::MatrixSettings {
            homeserver: hs.clone(),
            user: "bot".into(),
            login: echeancier::config::MatrixLogin::Password("motdepasse".into()),
            passphrase: "phrase secrète du banc".into(),
            rooms: vec![],
            pace: None,
            recovery: None,
            expires_on: None,
        },
        &dir.path().join("bot"),
    )
    .await
    .expect("bot");
    let (_stop, rx) = tokio::sync::watch::channel(false);
    let runner = bot.clone();
    tokio::spawn(async move {
        let _ = runner.run(rx).await;
    });
    bot.ready().await;

    let cdir = tempfile::tempdir().expect("dir");
    let claire = Client::builder()
        .homeserver_url(&hs)
        .sqlite_store(cdir.path(), None)
        .build()
        .await
        .expect("client");
    claire
        .matrix_auth()
        .login_username("claire", "motdepasse")
        .send()
        .await
        .expect("login");
    // Replies name no input: they are matched to their command by thread.
    let (tx, mut replies) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    let bot_id = bot.client.user_id().expect("id").to_owned();
    let me = bot_id.clone();
    claire.add_event_handler(move |ev: OriginalSyncRoomMessageEvent, _r: Room| {
        let tx = tx.clone();
        let me = me.clone();
        async move {
            if let (true, MessageType::Text(_), Some(Relation::Thread(th))) =
                (ev.sender == me, &ev.content.msgtype, &ev.content.relates_to)
            {
                let _ = tx.send((th.event_id.to_string(), Instant::now()));
            }
        }
    });
    let sync = echeancier::matrix::sync_settings().timeout(Duration::from_millis(200));
    claire.sync_once(sync.clone()).await.expect("sync");
    let room = claire
        .create_room(matrix_sdk::ruma::api::client::room::create_room::v3::Request::new())
        .await
        .expect("room");
    room.enable_encryption().await.expect("encryption");
    room.invite_user_by_id(&bot_id).await.expect("invite");
    for _ in 0..100 {
        claire.sync_once(sync.clone()).await.expect("sync");
        let members = room.members(RoomMemberships::JOIN).await.unwrap_or_default();
        if members.iter().any(|m| m.user_id() == bot_id) {
            break;
        }
    }
    // The client syncs without matrix-sdk's one-second pause too, or the
    // figures would measure it instead of the bot.
    let syncing = claire.clone();
    let sync_loop = tokio::spawn(async move {
        let _ = echeancier::matrix::sync_forever(
            &syncing,
            echeancier::matrix::sync_settings().timeout(Duration::from_secs(10)),
        )
        .await;
    });
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let report = |pattern: &str, mut rtts: Vec<Duration>| {
        rtts.sort();
        let n = rtts.len();
        println!(
            "command round trip through Synapse (encrypted room), {pattern}, n={n}: median {:.1} ms, p99 {:.1} ms",
            ms(rtts[n / 2]),
            ms(rtts[(n * 99).div_ceil(100) - 1])
        );
    };
    // Waits for the answer to the command posted as event `id`.
    let mut answer = async |id: &str| -> Instant {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, replies.recv()).await {
                Ok(Some((root, when))) if root == id => return when,
                Ok(Some(_)) => continue,
                _ => panic!("no answer to command {id}"),
            }
        }
    };
    let command = RoomMessageEventContent::text_plain("!aide");
    let send = async |room: &Room| -> String {
        room.send(command.clone())
            .await
            .expect("send")
            .response
            .event_id
            .to_string()
    };

    // One at a time, spaced: each command two seconds after the last answer.
    let mut rtts = Vec::new();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let t0 = Instant::now();
        let id = send(&room).await;
        rtts.push(answer(&id).await.duration_since(t0));
    }
    report("one at a time, 2 s apart", rtts);

    // Back to back: each command as soon as the previous answer arrived.
    let mut rtts = Vec::new();
    for _ in 0..100 {
        let t0 = Instant::now();
        let id = send(&room).await;
        rtts.push(answer(&id).await.duration_since(t0));
    }
    report("back to back", rtts);

    // A burst: 100 commands sent without waiting; every one must be answered.
    let mut sent_at = std::collections::HashMap::new();
    for _ in 0..100 {
        let t0 = Instant::now();
        sent_at.insert(send(&room).await, t0);
    }
    let mut rtts = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while rtts.len() < 100 {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some((root, when))) = tokio::time::timeout(left, replies.recv()).await else {
            panic!("{} of the burst's 100 commands answered", rtts.len());
        };
        if let Some(t0) = sent_at.remove(&root) {
            rtts.push(when.duration_since(t0));
        }
    }
    report("burst of 100, all answered", rtts);

    // Reminders posted per second.
    let app = app.with_options(Options {
        matrix_rooms: vec![MatrixRoom {
            room_id: room.room_id().to_string(),
            establishment: None,
            departement: Some("049".into()),
            roles: vec!["dasen".into()],
            partners: false,
        }],
        ..Default::default()
    });
    let who = Who {
        actor: "bench".into(),
        channel: "bench".into(),
    };
    let n = 200;
    // Opened the day the referral arrives: a receipt is never in the future.
    clock.set(at("2026-12-09T11:00:00Z"));
    for _ in 0..n {
        app.open_case(
            OpenCase {
                procedure: "par".into(),
                establishment: Some("0490001K".into()),
                events: vec![("saisine_recue".into(), "2026-12-09".parse().expect("date"))],
                ..Default::default()
            },
            &who,
        )
        .await
        .expect("case");
    }
    clock.set(at("2026-12-10T07:31:00Z"));
    let mail = tempfile::tempdir().expect("dir");
    let mailer = echeancier::email::Mailer::new(
        &echeancier::config::EmailMode::Files(mail.path().into()),
        "x@example.org",
    )
    .expect("mailer");
    let scheduler = Scheduler::new(app.clone(), vec![])
        .with_sender(Arc::new(mailer))
        .with_sender(echeancier::matrix::MatrixSender::of(bot.clone()));
    scheduler.tick().await.expect("tick");
    let t0 = Instant::now();
    let report = scheduler.deliver().await.expect("deliver");
    let secs = t0.elapsed().as_secs_f64();
    let posted = report.sent - n; // the other half went to email files
    println!(
        "reminders posted to an encrypted room: {posted} in {secs:.2} s = {:.0} reminders/s (with {} emails to files in the same pass)",
        posted as f64 / secs,
        n
    );
    sync_loop.abort();
    let _ = Command::new(root.join("tests/support/synapse.sh"))
        .args(["stop", syn.to_str().expect("utf8")])
        .status();
}
