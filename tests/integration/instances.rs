//! Several instances on one PostgreSQL database: deliveries are shared by
//! row locks and leases, one instance decides and one polls each chat
//! account, and killing an instance mid-batch loses nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use echeancier::scheduler::Scheduler;
use mail_parser::MessageParser;

use crate::daemons::{Daemon, daemon_config, wait_until};
use crate::fake_telegram::{FakeTelegram, TOKEN};
use crate::util::{SmtpServer, TestApp, app_on, database_url, open_par, test_postgres};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("instant")
}

/// `cases` PAR cases whose two DASEN reminders each are decided (by a
/// fixed clock in December 2026) and made due now, on the channels in
/// `keep` only; returns the delivery keys.
pub async fn seed_due_reminders(t: &TestApp, cases: usize, keep: [&str; 2]) -> Vec<String> {
    for _ in 0..cases {
        open_par(t).await;
    }
    t.clock.set(at("2026-12-11T07:31:00Z"));
    Scheduler::new(t.app.clone(), vec![]).tick().await.expect("tick");
    // The test app also writes to its console: not a daemon's channel.
    sqlx::query("DELETE FROM deliveries WHERE channel NOT IN ($1, $2)")
        .bind(keep[0])
        .bind(keep[1])
        .execute(t.store.pool())
        .await
        .expect("email only");
    // Due for the daemons, which run on the real clock.
    sqlx::query(
        "UPDATE deliveries SET next_attempt_at = '2000-01-01T00:00:00.000000Z' WHERE state = 'pending'",
    )
    .execute(t.store.pool())
    .await
    .expect("make due");
    sqlx::query_scalar("SELECT idempotency_key FROM deliveries WHERE state = 'pending' ORDER BY id")
        .fetch_all(t.store.pool())
        .await
        .expect("keys")
}

/// Message-ID → (times received, senders).
pub fn received_by_id(smtp: &SmtpServer) -> BTreeMap<String, (usize, Vec<String>)> {
    let mut out: BTreeMap<String, (usize, Vec<String>)> = BTreeMap::new();
    for (_, raw) in smtp.received() {
        let m = MessageParser::default().parse(&raw).expect("parse");
        let id = format!("<{}>", m.message_id().expect("Message-ID"));
        let from = m
            .from()
            .and_then(|f| f.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string();
        let e = out.entry(id).or_default();
        e.0 += 1;
        e.1.push(from);
    }
    out
}

pub async fn sent_count(t: &TestApp) -> i64 {
    t.store.outbox_counts().await.expect("counts").sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_share_the_work_and_one_killed_loses_nothing() {
    // Never a silent pass: scripts/test skips it by name on SQLite.
    assert!(
        test_postgres().is_some(),
        "several instances need PostgreSQL: set ECHEANCIER_TEST_POSTGRES (scripts/test runs it there)"
    );
    let smtp = SmtpServer::start();
    let telegram = FakeTelegram::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let url = database_url(dir.path());
    let t = app_on(
        &url,
        at("2026-12-01T09:00:00Z"),
        tempfile::tempdir().expect("dir"),
    )
    .await;
    let keys = seed_due_reminders(&t, 300, ["email", "email"]).await;
    assert_eq!(keys.len(), 600);

    let mut daemons: Vec<Daemon> = (1..=3)
        .map(|i| {
            let data = dir.path().join(format!("instance{i}"));
            std::fs::create_dir_all(&data).expect("dir");
            let cfg = data.join("c.toml");
            let extra = format!(
                "[telegram]\njeton_env = \"TEST_TG_TOKEN\"\napi = \"{}\"\n",
                telegram.url
            );
            std::fs::write(
                &cfg,
                daemon_config(&data, smtp.port, &format!("instance{i}@example.org"), &extra),
            )
            .expect("config");
            Daemon::new(
                &format!("instance{i}"),
                cfg,
                vec![
                    ("ECHEANCIER_DATABASE_URL".into(), url.clone()),
                    ("TEST_TG_TOKEN".into(), TOKEN.into()),
                ],
            )
        })
        .collect();
    for d in &mut daemons {
        d.start();
    }
    // Mid-batch: a part is out, the rest is claimed or waiting.
    wait_until("the first 100 emails", Duration::from_secs(60), || async {
        smtp.received().len() >= 100
    })
    .await;
    let pollers: Vec<usize> = (0..3)
        .filter(|&i| daemons[i].logged("telegram polling started") > 0)
        .collect();
    let deciders = (0..3)
        .filter(|&i| daemons[i].logged("leadership taken: planificateur") > 0)
        .count();
    assert_eq!(pollers.len(), 1, "one Telegram poller: {pollers:?}");
    assert_eq!(deciders, 1, "one instance decides");
    // Kill the instance that polls Telegram.
    let victim = pollers[0];
    daemons[victim].kill();
    let at_kill = smtp.received().len();

    // Another instance takes the Telegram account over: a message written
    // now is answered once.
    wait_until("a new Telegram poller", Duration::from_secs(30), || async {
        (0..3).any(|i| i != victim && daemons[i].logged("telegram polling started") > 0)
    })
    .await;
    telegram.message(777, 777, "!aide");
    wait_until("the answer to !aide", Duration::from_secs(30), || async {
        telegram.sent().iter().any(|m| m["chat_id"] == 777)
    })
    .await;

    wait_until("every reminder sent", Duration::from_secs(120), || async {
        sent_count(&t).await == 600
    })
    .await;
    for d in &mut daemons {
        d.stop();
    }
    let got = received_by_id(&smtp);
    let expected: Vec<String> = keys.iter().map(|k| echeancier::email::message_id(k)).collect();
    let lost = expected.iter().filter(|id| !got.contains_key(*id)).count();
    let duplicates: usize = got.values().map(|(n, _)| n - 1).sum();
    let mut per_sender: BTreeMap<String, usize> = BTreeMap::new();
    for (_, senders) in got.values() {
        for s in senders {
            *per_sender.entry(s.clone()).or_default() += 1;
        }
    }
    let answers = telegram.sent().iter().filter(|m| m["chat_id"] == 777).count();
    crate::daemons::report(&format!(
        "instances: 600 reminders, 3 instances on PostgreSQL, instance{} killed after {at_kill} emails: \
         {lost} lost, {duplicates} duplicate(s), sent per instance {per_sender:?}, {answers} answer(s) to a command after failover",
        victim + 1
    ));
    assert_eq!(lost, 0, "nothing lost");
    assert_eq!(got.len(), 600, "nothing else sent");
    // Only a message accepted by the server in the instant before the kill,
    // not yet marked sent, can go twice: at most the killed one's in-flight sends.
    assert!(duplicates <= 8, "{duplicates} duplicates");
    assert!(per_sender.len() >= 2, "the work was shared: {per_sender:?}");
    assert_eq!(answers, 1, "one poller answered the command");
    let counts = t.store.outbox_counts().await.expect("counts");
    assert_eq!(
        (counts.pending, counts.sending, counts.failed),
        (0, 0, 0),
        "{counts:?}"
    );
}

/// Two instances of the web office on one database share sessions: a
/// person signed in through one is signed in at the other, whose CSRF
/// tokens are the same (the signing key is in the database), and signing
/// out at one signs out at both.
#[tokio::test]
async fn web_sessions_are_shared_between_instances() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    let dir = tempfile::tempdir().expect("dir");
    let url = database_url(dir.path());
    let now = crate::util::paris_noon(2026, 12, 2);
    let one = app_on(&url, now, dir).await;
    let two = crate::util::app_with(
        echeancier::store::Store::open(&url).await.expect("second store"),
        now,
        tempfile::tempdir().expect("dir"),
    )
    .await;
    let settings = || echeancier::config::WebSettings {
        address: "127.0.0.1:8080".parse().expect("address"),
        public_url: "http://127.0.0.1:8080".into(),
        session_hours: 8,
    };
    let office = |t: &TestApp| {
        let app = t.app.clone();
        async move {
            echeancier::web::router(
                echeancier::web::Office::new(app, settings())
                    .await
                    .expect("office"),
            )
        }
    };
    let (first, second) = (office(&one).await, office(&two).await);
    let send = |router: axum::Router, request: Request<Body>| async move {
        let response = router.oneshot(request).await.expect("response");
        let status = response.status();
        let cookies: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().to_string())
            .collect();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, cookies, String::from_utf8_lossy(&body).into_owned())
    };
    let csrf_of = |html: &str| {
        let at = html
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token")
            + 19;
        html[at..].split('"').next().unwrap_or_default().to_string()
    };
    let (chef, _) = one
        .store
        .person_by_slug("chef")
        .await
        .expect("store")
        .expect("chef");
    let (link, _) = one.app.web_link(chef, "/").await.expect("link");
    let path = link.trim_start_matches("http://127.0.0.1:8080").to_string();
    let (status, cookies, page) = send(
        first.clone(),
        Request::get(&path).body(Body::empty()).expect("get"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let pre = cookies.join("; ");
    let login = Request::post(&path)
        .header("cookie", &pre)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={}", csrf_of(&page))))
        .expect("post");
    let (status, cookies, _) = send(first.clone(), login).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("echeancier="))
        .expect("session cookie")
        .clone();
    let get = |path: &str| {
        Request::get(path)
            .header("cookie", &session)
            .body(Body::empty())
            .expect("get")
    };
    let (status, _, page) = send(second.clone(), get("/")).await;
    assert!(
        status == StatusCode::OK && page.contains("Mes échéances"),
        "{status} {page}"
    );
    // A token made by the first instance is good at the second: sign out there.
    let (_, _, page) = send(first.clone(), get("/dossiers")).await;
    let logout = Request::post("/deconnexion")
        .header("cookie", &session)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={}", csrf_of(&page))))
        .expect("post");
    let (status, _, _) = send(second.clone(), logout).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = send(first, get("/")).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "signed out at the first instance too"
    );
}
