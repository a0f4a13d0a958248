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
    /// The app's database, for assertions on what it stored.
    pub store: Store,
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

/// The PostgreSQL server the suite runs against, when it runs against one:
/// `ECHEANCIER_TEST_POSTGRES` names its maintenance database
/// (`postgres://postgres@127.0.0.1:5432/postgres`); `scripts/test` sets it
/// for the second pass of the suite.
pub fn test_postgres() -> Option<String> {
    std::env::var("ECHEANCIER_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A database of its own for one test: a SQLite file in `dir`, or a new
/// PostgreSQL database named after `dir` (created once; `scripts/test`
/// drops the `echeancier_t_*` databases before and after the suite).
pub fn database_url(dir: &std::path::Path) -> String {
    let Some(admin) = test_postgres() else {
        return format!("sqlite://{}", dir.join("t.db").display());
    };
    use sha2::Digest;
    let h = sha2::Sha256::digest(dir.display().to_string().as_bytes());
    let name = format!(
        "echeancier_t_{}",
        h[..8].iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let mut url = url::Url::parse(&admin).expect("ECHEANCIER_TEST_POSTGRES is a URL");
    url.set_path(&name);
    // Each command of a CLI test asks again: create once per process.
    static CREATED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut created = CREATED.lock().unwrap_or_else(|e| e.into_inner());
    if created.contains(&name) {
        return url.to_string();
    }
    created.push(name.clone());
    let create = format!("CREATE DATABASE {name}");
    // Its own thread and runtime: callers may be inside a runtime or not.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("PostgreSQL reachable");
            match sqlx::query(sqlx::AssertSqlSafe(create)).execute(&mut conn).await {
                Ok(_) => {}
                // Already made by an earlier command of the same test.
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
                Err(e) => panic!("CREATE DATABASE: {e}"),
            }
        })
    })
    .join()
    .expect("database created");
    url.to_string()
}

/// An app on a fresh database with the demo directory and a fixed clock.
pub async fn app_at(now: DateTime<Utc>) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = database_url(dir.path());
    app_on(&url, now, dir).await
}

/// An app on the database at `url` (the demo directory, a fixed clock).
pub async fn app_on(url: &str, now: DateTime<Utc>, dir: tempfile::TempDir) -> TestApp {
    app_with(Store::open(url).await.expect("store"), now, dir).await
}

/// An app on `store` (the demo directory, a fixed clock).
pub async fn app_with(store: Store, now: DateTime<Utc>, dir: tempfile::TempDir) -> TestApp {
    crate::privacy::install();
    let lib = echeancier::library::embedded().expect("procedures");
    let settings = Settings::parse("demo.toml", echeancier::demo::CONFIG, Some(&lib)).expect("demo config");
    let clock = Arc::new(FixedClock::new(now));
    let templates = echeancier::notice::Templates::embedded().expect("templates");
    let mut options = echeancier::app::Options::from_settings(&settings, templates);
    options.console = Some("chef".into());
    let app = App::new(store.clone(), lib, clock.clone()).with_options(options);
    app.sync_directory(&settings).await.expect("directory");
    TestApp {
        app,
        store,
        clock,
        _dir: dir,
    }
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_echeancier"));
    c.env_remove("ECHEANCIER_CONFIG").env("ECHEANCIER_LOG", "error");
    c
}

/// Runs the binary; with `--config FILE`, on the test's own database (the
/// folder of FILE names it).
pub fn run(args: &[&str]) -> Output {
    let mut c = match args
        .iter()
        .position(|a| *a == "--config")
        .and_then(|i| args.get(i + 1))
    {
        Some(file) => bin_at(std::path::Path::new(file).parent().expect("config in a folder")),
        None => bin(),
    };
    c.args(args).output().expect("binary runs")
}

/// The binary on the database of the test whose folder is `dir`.
pub fn bin_at(dir: &std::path::Path) -> Command {
    let mut c = bin();
    if test_postgres().is_some() {
        c.env("ECHEANCIER_DATABASE_URL", database_url(dir));
    }
    c
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub use crate::smtp::SmtpServer;

/// An app whose reminders go to email only (no console), with SMTP at `smtp`.
pub async fn mail_app_at(now: DateTime<Utc>) -> TestApp {
    mail_app_with(now, echeancier::library::embedded().expect("procedures")).await
}

/// `mail_app_at` with these procedures.
pub async fn mail_app_with(now: DateTime<Utc>, library: echeancier_core::procedure::Library) -> TestApp {
    let t = app_at(now).await;
    let settings =
        Settings::parse("demo.toml", echeancier::demo::CONFIG, Some(&library)).expect("demo config");
    let mut options = echeancier::app::Options::from_settings(
        &settings,
        echeancier::notice::Templates::embedded().expect("templates"),
    );
    options.console = None;
    let app = App::new(t.store.clone(), library, t.clock.clone()).with_options(options);
    TestApp {
        app,
        store: t.store,
        clock: t.clock,
        _dir: t._dir,
    }
}

/// A PAR case at the demo collège, referral received on 9 December 2026,
/// with a pupil whose name and class must never reach a chat message.
pub async fn open_par(t: &TestApp) -> String {
    open_par_with(t, vec![]).await
}

/// `open_par` with the family's contacts.
pub async fn open_par_with(t: &TestApp, guardians: Vec<echeancier::app::GuardianInput>) -> String {
    open_par_from(t, guardians, "2026-12-09").await
}

/// `open_par_with` for a referral received on `received`.
pub async fn open_par_from(
    t: &TestApp,
    guardians: Vec<echeancier::app::GuardianInput>,
    received: &str,
) -> String {
    intake(
        t,
        echeancier::app::OpenCase {
            procedure: "par".into(),
            establishment: Some("0490001K".into()),
            events: vec![("saisine_recue".into(), received.parse().expect("date"))],
            pupil: Some(("Jeanne Secret".into(), Some("4e Z".into()))),
            guardians,
            ..Default::default()
        },
    )
    .await
    .expect("open")
    .case
    .reference
}

/// Opens a case on the day its latest receipt arrived (a receipt is never
/// in the future), then puts the clock back: tests plan around future
/// referrals while their clock stands earlier.
pub async fn intake(
    t: &TestApp,
    spec: echeancier::app::OpenCase,
) -> Result<echeancier::app::Snapshot, echeancier::app::AppError> {
    use echeancier::clock::Clock;
    let before = t.clock.now();
    let procedure = t.app.library().get(&spec.procedure).expect("procedure");
    let latest = spec
        .events
        .iter()
        .filter(|(e, _)| procedure.event(e).is_some_and(|e| e.receipt))
        .map(|(_, d)| *d)
        .max();
    if let Some(day) = latest
        && day > t.app.today()
    {
        t.clock.set(paris_noon_of(day));
    }
    let opened = t
        .app
        .open_case(
            spec,
            &echeancier::app::Who {
                actor: "test".into(),
                channel: "test".into(),
            },
        )
        .await;
    t.clock.set(before);
    opened
}

fn paris_noon_of(day: chrono::NaiveDate) -> DateTime<Utc> {
    use chrono::Datelike;
    paris_noon(day.year(), day.month(), day.day())
}

/// Serves the office of `t` on a free loopback port, with `console` as the
/// console's identity (`None`: no console). The app's own links
/// (`web_link`, `!connexion`, `!ouvrir`, the feed) use `options.web_url`,
/// and the demo configuration says `http://127.0.0.1:8080`: the app is
/// rebuilt (same store and clock) with the office's public address, which
/// is the bound address unless `public_url` names another (a proxy's).
pub async fn serve_office(
    t: &mut TestApp,
    public_url: Option<&str>,
    console: Option<&str>,
) -> (std::net::SocketAddr, echeancier::web::Office) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let public_url = public_url.map_or_else(|| format!("http://{addr}"), str::to_string);
    let lib = echeancier::library::embedded().expect("procedures");
    let settings = echeancier::config::Settings::parse("demo.toml", echeancier::demo::CONFIG, Some(&lib))
        .expect("demo config");
    let mut options = echeancier::app::Options::from_settings(
        &settings,
        echeancier::notice::Templates::embedded().expect("templates"),
    );
    options.console = console.map(str::to_string);
    options.web_url = Some(public_url.clone());
    t.app = t.app.clone().with_options(options);
    let office = echeancier::web::Office::new(
        t.app.clone(),
        echeancier::config::WebSettings {
            address: addr,
            public_url,
            session_hours: 8,
        },
    )
    .await
    .expect("office");
    let router = echeancier::web::router(office.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (addr, office)
}

/// A single number the database answers (`SELECT COUNT(*) ...`).
pub async fn count(t: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(t.store.pool())
        .await
        .expect("count")
}
