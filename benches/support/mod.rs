//! What the benchmarks share: the SMTP capture server of the tests.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use echeancier::app::{App, Options};
use echeancier::clock::FixedClock;
use echeancier::config::Settings;
use echeancier::store::Store;

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

/// An app on `url` with the demo directory, no console, and a fixed clock
/// on 1 December 2026.
pub async fn bench_app(url: &str) -> (App, Arc<FixedClock>) {
    let store = Store::open(url).await.expect("store");
    let lib = echeancier::library::embedded().expect("procedures");
    let settings = Settings::parse("demo.toml", echeancier::demo::CONFIG, Some(&lib)).expect("config");
    let mut options = Options::from_settings(
        &settings,
        echeancier::notice::Templates::embedded().expect("templates"),
    );
    options.console = None;
    let clock = Arc::new(FixedClock::new(at("2026-12-01T09:00:00Z")));
    let app = App::new(store, lib, clock.clone()).with_options(options);
    app.sync_directory(&settings).await.expect("directory");
    (app, clock)
}

/// A real SMTP server (aiosmtpd, from `.venv`) on loopback.
pub struct SmtpCapture {
    pub port: u16,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl SmtpCapture {
    pub fn start() -> SmtpCapture {
        let dir = tempfile::tempdir().expect("dir");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = std::env::var("ECHEANCIER_TEST_PYTHON")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| root.join(".venv/bin/python"));
        let mut child = Command::new(python)
            .arg(root.join("tests/support/smtp_capture.py"))
            .arg("--dir")
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("SMTP server (run scripts/test once to create .venv)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("port");
        let port = line.trim().trim_start_matches("PORT ").parse().expect("port");
        SmtpCapture {
            port,
            child,
            _dir: dir,
        }
    }
}

impl Drop for SmtpCapture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
