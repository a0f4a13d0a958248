//! Crashes: the daemon is killed with SIGKILL at pseudo-random moments while
//! it delivers 4,000 reminders (email to the local SMTP server, Matrix to
//! the local Synapse in an end-to-end encrypted room), and restarted each
//! time. Nothing may be lost; nothing may reach the room twice (Matrix
//! transaction ids); email duplicates, possible only in the instant between
//! the server's acceptance and our bookkeeping, are counted and printed.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use echeancier::config::Settings;

use crate::daemons::{Daemon, daemon_config, wait_until};
use crate::instances::{received_by_id, seed_due_reminders, sent_count};
use crate::matrix::{TURN, User, homeserver};
use crate::util::{SmtpServer, app_on, database_url};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("instant")
}

/// A small deterministic generator (xorshift): the kill moments differ from
/// one another but a failing run can be replayed from its printed seed.
struct Moments(u64);

impl Moments {
    /// A number in `lo..hi`.
    fn next_in(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + self.0 % (hi - lo)
    }
}

/// Events the bot posted in `room`, by event id, read back from the server.
async fn bot_events(room: &matrix_sdk::Room, bot: &str) -> BTreeSet<String> {
    crate::matrix::history(room)
        .await
        .iter()
        .filter_map(|ev| {
            let raw = ev.raw();
            let sender: Option<String> = raw.get_field("sender").ok().flatten();
            let kind: Option<String> = raw.get_field("type").ok().flatten();
            let id: Option<String> = raw.get_field("event_id").ok().flatten();
            let posted = sender.as_deref() == Some(bot)
                && matches!(kind.as_deref(), Some("m.room.encrypted" | "m.room.message"));
            id.filter(|_| posted)
        })
        .collect()
}

/// Due reminders for the DASEN office by email and in an end-to-end
/// encrypted room whose daemon configuration is written in `data`.
struct Scenario {
    smtp: SmtpServer,
    dasen: User,
    room: matrix_sdk::Room,
    room_id: matrix_sdk::ruma::OwnedRoomId,
    bot_id: matrix_sdk::ruma::OwnedUserId,
    url: String,
    cfg: std::path::PathBuf,
    t: crate::util::TestApp,
    keys: Vec<String>,
    _dir: tempfile::TempDir,
}

async fn scenario(cases: usize) -> Scenario {
    let smtp = SmtpServer::start();
    let dasen = User::login("dasen").await;
    let bot_id: matrix_sdk::ruma::OwnedUserId =
        format!("@bot:{}", dasen.client.user_id().expect("id").server_name())
            .try_into()
            .expect("bot id");
    let room = dasen.encrypted_room_with(&bot_id).await;
    let room_id = room.room_id().to_owned();

    let dir = tempfile::tempdir().expect("dir");
    let url = database_url(dir.path());
    let data = dir.path().join("daemon");
    std::fs::create_dir_all(&data).expect("dir");
    let password = dir.path().join("matrix-password");
    std::fs::write(&password, "motdepasse").expect("password");
    let passphrase = dir.path().join("matrix-passphrase");
    std::fs::write(&passphrase, "phrase secrète du magasin\n").expect("passphrase");
    let extra = format!(
        "[matrix]\nserveur = \"{}\"\ncompte = \"bot\"\nmot_de_passe_fichier = \"{}\"\nphrase_secrete_fichier = \"{}\"\n\n\
         [[matrix.salons]]\nid = \"{room_id}\"\ndepartement = \"049\"\nroles = [\"dasen\"]\n\n\
         [[personnes]]\nid = \"dasen_m\"\nnom = \"DASEN (Matrix)\"\nroles = [{{ role = \"dasen\", departement = \"049\" }}]\n\
         identites = [\"matrix:@dasen:localhost\"]\n",
        homeserver(),
        password.display(),
        passphrase.display()
    );
    let text = daemon_config(&data, smtp.port, "dsden49@example.org", &extra);
    let cfg = data.join("c.toml");
    std::fs::write(&cfg, &text).expect("config");

    // The same configuration in this process decides the reminders (by a
    // fixed clock): DASEN reminders go by email and to the room.
    let lib = echeancier::library::embedded().expect("procedures");
    let settings = Settings::parse("c.toml", &text, Some(&lib)).expect("config");
    let t = app_on(
        &url,
        at("2026-12-01T09:00:00Z"),
        tempfile::tempdir().expect("dir"),
    )
    .await;
    let options = echeancier::app::Options::from_settings(
        &settings,
        echeancier::notice::Templates::embedded().expect("templates"),
    );
    let t = crate::util::TestApp {
        app: t.app.clone().with_options(options),
        store: t.store,
        clock: t.clock,
        _dir: t._dir,
    };
    t.app.sync_directory(&settings).await.expect("directory");
    let keys = seed_due_reminders(&t, cases, ["email", "matrix"]).await;
    assert_eq!(
        keys.len(),
        cases * 4,
        "two reminders per case, by email and in the room"
    );
    Scenario {
        smtp,
        dasen,
        room,
        room_id,
        bot_id,
        url,
        cfg,
        t,
        keys,
        _dir: dir,
    }
}

/// (Matrix deliveries lost, Matrix events doubled) once all is sent.
async fn matrix_outcome(sc: &Scenario) -> (usize, usize, usize) {
    let matrix_keys = sc.keys.iter().filter(|k| k.contains("#matrix:")).count();
    sc.dasen.client.sync_once(Default::default()).await.expect("sync");
    let events = bot_events(&sc.room, sc.bot_id.as_str()).await;
    let refs: BTreeSet<String> = sqlx::query_scalar(
        "SELECT external_ref FROM deliveries WHERE channel = 'matrix' AND external_ref IS NOT NULL",
    )
    .fetch_all(sc.t.store.pool())
    .await
    .expect("refs")
    .into_iter()
    .collect();
    let lost = refs.len().abs_diff(matrix_keys) + refs.difference(&events).count();
    let doubled = events.len().saturating_sub(refs.len());
    (lost, doubled, events.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_thousands_of_deliveries_loses_and_doubles_nothing() {
    let _turn = TURN.lock().await;
    // 4,000 deliveries (4 per case), half of them Matrix sends the
    // homeserver takes at a few dozen a second: what is covered is five
    // kills spread over 10 %..90 % of the run, which a longer run would
    // not add to. `ECHEANCIER_CRASH_CASES` runs a bigger one.
    let cases: usize = std::env::var("ECHEANCIER_CRASH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let sc = scenario(cases).await;
    let Scenario {
        smtp,
        dasen,
        room_id,
        bot_id,
        url,
        cfg,
        t,
        keys,
        ..
    } = &sc;
    let matrix_keys: Vec<&String> = keys.iter().filter(|k| k.contains("#matrix:")).collect();
    let email_keys: Vec<&String> = keys.iter().filter(|k| k.contains("#email:")).collect();

    let mut daemon = Daemon::new(
        "crash",
        cfg.clone(),
        vec![("ECHEANCIER_DATABASE_URL".into(), url.clone())],
    );
    daemon.start();
    // The bot joins the room once it runs (the inviter is known staff).
    dasen.wait_membership(room_id, bot_id, true).await;

    let seed = std::env::var("ECHEANCIER_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_2026_u64);
    let mut moments = Moments(seed);
    let mut kills = Vec::new();
    // Kill points by deliveries sent, one in each fifth of 10 %..90 % of the
    // run: a delay after each start would put them all near its beginning.
    let total = keys.len() as u64;
    for band in 0..5u64 {
        let percent = moments.next_in(10 + 16 * band, 10 + 16 * (band + 1));
        let target = (total * percent / 100).max(1) as i64;
        wait_until(
            "deliveries to reach the kill point",
            Duration::from_secs(600),
            || async { sent_count(t).await >= target },
        )
        .await;
        let sent = sent_count(t).await;
        if sent as usize >= keys.len() {
            break;
        }
        daemon.kill();
        kills.push((target, sent));
        daemon.start();
    }
    wait_until("every reminder delivered", Duration::from_secs(600), || async {
        sent_count(t).await as usize == keys.len()
    })
    .await;
    daemon.stop();

    // Email: every Message-ID arrived; duplicates counted.
    let got = received_by_id(smtp);
    let email_lost = email_keys
        .iter()
        .filter(|k| !got.contains_key(&echeancier::email::message_id(k)))
        .count();
    let email_dups: usize = got.values().map(|(n, _)| n - 1).sum();
    // Matrix: one event per delivery, and nothing else from the bot.
    let (matrix_lost, matrix_dups, events) = matrix_outcome(&sc).await;
    crate::daemons::report(&format!(
        "crash on {:?}: {} reminders ({} email, {} Matrix), seed {seed:#x}, {} SIGKILLs at (target, sent so far) {kills:?}: \
         email {email_lost} lost, {email_dups} duplicate(s); Matrix {matrix_lost} lost, {matrix_dups} duplicate(s)",
        t.store.backend(),
        keys.len(),
        email_keys.len(),
        matrix_keys.len(),
        kills.len()
    ));
    assert!(kills.len() >= 3, "the daemon was killed several times: {kills:?}");
    assert_eq!(email_lost, 0);
    assert_eq!(got.len(), email_keys.len(), "no other email");
    assert_eq!((matrix_lost, matrix_dups), (0, 0), "Matrix: exactly once");
    assert_eq!(events, matrix_keys.len());
    // Each kill can double at most the sends then in flight (8 at a time).
    assert!(email_dups <= 8 * kills.len(), "{email_dups} email duplicates");
    let counts = t.store.outbox_counts().await.expect("counts");
    assert_eq!(
        (counts.pending, counts.sending, counts.failed),
        (0, 0, 0),
        "{counts:?}"
    );
}

/// Two instances on one PostgreSQL database share the bot's device
/// (`DATA_DIR/matrix`): one syncs and sends; when it is killed, the other
/// takes the account over with the same device, and the messages the dead
/// one had in flight go again under the same transaction ids: nothing
/// reaches the room twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_matrix_account_moves_to_another_instance_with_its_device() {
    // Never a silent pass: scripts/test skips it by name on SQLite.
    assert!(
        crate::util::test_postgres().is_some(),
        "several instances need PostgreSQL: set ECHEANCIER_TEST_POSTGRES (scripts/test runs it there)"
    );
    let _turn = TURN.lock().await;
    let sc = scenario(60).await;
    let matrix_sent = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM deliveries WHERE channel = 'matrix' AND state = 'sent'",
        )
        .fetch_one(sc.t.store.pool())
        .await
        .expect("count")
    };
    let mut daemons: Vec<Daemon> = (1..=2)
        .map(|i| {
            Daemon::new(
                &format!("matrix{i}"),
                sc.cfg.clone(),
                vec![("ECHEANCIER_DATABASE_URL".into(), sc.url.clone())],
            )
        })
        .collect();
    for d in &mut daemons {
        d.start();
    }
    sc.dasen.wait_membership(&sc.room_id, &sc.bot_id, true).await;
    wait_until("the first Matrix sends", Duration::from_secs(120), || async {
        matrix_sent().await >= 20
    })
    .await;
    let leaders: Vec<usize> = (0..2)
        .filter(|&i| daemons[i].logged("matrix front-end started") > 0)
        .collect();
    assert_eq!(leaders.len(), 1, "one instance syncs the account: {leaders:?}");
    let (dead, heir) = (leaders[0], 1 - leaders[0]);
    let at_kill = matrix_sent().await;
    daemons[dead].kill();
    wait_until(
        "the other instance to take the account",
        Duration::from_secs(60),
        || async { daemons[heir].logged("matrix front-end started") > 0 },
    )
    .await;
    wait_until("every reminder delivered", Duration::from_secs(300), || async {
        sent_count(&sc.t).await as usize == sc.keys.len()
    })
    .await;
    for d in &mut daemons {
        d.stop();
    }
    let (lost, doubled, events) = matrix_outcome(&sc).await;
    crate::daemons::report(&format!(
        "matrix failover on PostgreSQL: {events} messages in the room for {} Matrix reminders, leader killed after {at_kill}: \
         {lost} lost, {doubled} duplicate(s)",
        sc.keys.len() / 2
    ));
    assert_eq!((lost, doubled), (0, 0), "exactly once across the failover");
    assert_eq!(events, sc.keys.len() / 2);
}
