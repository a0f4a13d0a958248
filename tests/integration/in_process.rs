//! The composition root called from a test: `daemon::Daemon` opens the
//! application, runs every part in this process (scheduler, email to
//! files, `/healthz`) and stops when its shutdown future resolves.

use std::sync::Arc;
use std::time::Duration;

use echeancier::app::{OpenCase, Who};
use echeancier::clock::FixedClock;
use echeancier::config::Settings;
use echeancier::daemon::Daemon;

use crate::daemons::wait_until;

fn emails(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_runs_in_process_and_stops_on_its_shutdown_future() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    // A free port for /healthz, taken from the system and released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let demo = echeancier::demo::CONFIG
        .replace(
            "data_dir = \"echeancier-data/demo\"",
            &format!("data_dir = \"{}\"", data.display()),
        )
        .replace("[console]\n", "[console]\nactif = false\n")
        // The web office on a port of its own, as /healthz.
        .replace("adresse = \"127.0.0.1:8080\"", "adresse = \"127.0.0.1:0\"");
    let config = format!(
        "{demo}\n[http]\nadresse = \"127.0.0.1:{port}\"\n\n[planificateur]\nintervalle_secondes = 1\n"
    );
    let lib = echeancier::library::embedded().expect("procedures");
    let mut settings = Settings::parse("t.toml", &config, Some(&lib)).expect("config");
    settings.database_url = crate::util::database_url(dir.path());
    settings.digests.clear();
    // The day after the referral, when the convocation's reminder is due.
    let clock = Arc::new(FixedClock::new(crate::util::paris_noon(2026, 12, 10)));
    let daemon = Daemon::open_with_clock(settings, lib, clock).await.expect("open");
    let reference = daemon
        .app()
        .open_case(
            OpenCase {
                procedure: "par".into(),
                establishment: Some("0490001K".into()),
                events: vec![("saisine_recue".into(), "2026-12-09".parse().expect("date"))],
                ..Default::default()
            },
            &Who {
                actor: "test".into(),
                channel: "test".into(),
            },
        )
        .await
        .expect("case")
        .case
        .reference;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(daemon.run(async move {
        let _ = stop_rx.await;
    }));
    let mail = data.join("courriels");
    wait_until("the reminder by email", Duration::from_secs(30), || {
        let found = emails(&mail).iter().any(|m| m.contains(&reference));
        async move { found }
    })
    .await;
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    // Bound before the scheduler started: serving by now.
    let health = crate::http::get(addr, "/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains("\"database\":\"ok\""), "{health}");
    stop_tx.send(()).expect("the daemon is running");
    let outcome = tokio::time::timeout(Duration::from_secs(30), running)
        .await
        .expect("the daemon stops once its future resolves")
        .expect("no panic");
    assert!(outcome.is_ok(), "{outcome:?}");
    // Stopped: the port is closed.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
