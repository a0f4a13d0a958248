//! Shared helpers: a fresh database in a temporary folder, a fixed clock,
//! the demo directory, and running the binary.

use std::process::{Command, Output};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use echeancier::app::App;
use echeancier::clock::FixedClock;
use echeancier::config::Settings;
use echeancier::store::Store;

pub struct TestApp {
    pub app: App,
    pub clock: Arc<FixedClock>,
    pub _dir: tempfile::TempDir,
}

/// Noon in Paris on the given day.
pub fn paris_noon(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    chrono_tz_paris(y, m, d)
}

fn chrono_tz_paris(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    // Noon UTC is 13:00 or 14:00 in Paris: the same calendar day.
    Utc.with_ymd_and_hms(y, m, d, 11, 0, 0)
        .single()
        .expect("valid instant")
}

/// An app on a fresh SQLite file with the demo directory and a fixed clock.
pub async fn app_at(now: DateTime<Utc>) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::open(&url).await.expect("store");
    let lib = echeancier::library::embedded().expect("procedures");
    let settings = Settings::parse("demo.toml", echeancier::demo::CONFIG, Some(&lib)).expect("demo config");
    let clock = Arc::new(FixedClock::new(now));
    let app = App::new(store, lib, clock.clone());
    app.sync_directory(&settings).await.expect("directory");
    TestApp {
        app,
        clock,
        _dir: dir,
    }
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_echeancier"));
    c.env_remove("ECHEANCIER_CONFIG").env("ECHEANCIER_LOG", "error");
    c
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
