//! Scale: the scheduler's tick against the number of open cases, the
//! daemon's resident memory with a million cases, and 100,000 reminders
//! delivered to the local SMTP server by one and by three instances on
//! PostgreSQL.
//!
//! `cargo bench --bench scale` (needs `.venv` from `scripts/test`).
//! - `ECHEANCIER_BENCH_SIZES` (default `10000,100000,1000000`): open cases
//!   per tick measurement, on SQLite. Each database has 1,000 "hot" cases
//!   whose reminders fall due at the measured instant and cold ones whose
//!   reminders do not: the tick's cost must follow the hot ones only.
//! - `ECHEANCIER_BENCH_EMAILS` (default 100000, 0 to skip) and
//!   `ECHEANCIER_BENCH_POSTGRES` (default the server on 127.0.0.1:5432):
//!   the delivery runs.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use echeancier::scheduler::Scheduler;
use echeancier::store::Store;
use sqlx::Row;
use support::{SmtpServer, at};

mod support;

const HOT: i64 = 1_000;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Puts the hot cases back as they were before their reminders were decided.
async fn reset_hot(store: &Store) {
    let pool = store.pool();
    for sql in [
        "DELETE FROM deliveries",
        "DELETE FROM reminders",
        "DELETE FROM scheduler_state",
        "UPDATE steps SET next_reminder_at = (SELECT b.next_reminder_at FROM hot_backup b
            WHERE b.case_id = steps.case_id AND b.step = steps.step)
         WHERE case_id IN (SELECT case_id FROM hot_backup)",
    ] {
        sqlx::query(sql).execute(pool).await.expect("reset");
    }
}

async fn tick_bench(size: i64, dir: &std::path::Path) -> String {
    let path = dir.join(format!("tick-{size}.db"));
    let url = format!("sqlite://{}", path.display());
    let (app, store, clock) = support::bench_app(&url).await;
    let t0 = Instant::now();
    // Cold first: their ids are lower, as older cases would be.
    support::replicate(&app, &store, &clock, "2027-01-20", size - HOT - 1, "C-").await;
    support::replicate(&app, &store, &clock, "2026-12-09", HOT - 1, "H-").await;
    let pool = store.pool();
    sqlx::query(
        "CREATE TABLE hot_backup AS SELECT s.case_id, s.step, s.next_reminder_at FROM steps s
         JOIN case_events e ON e.case_id = s.case_id WHERE e.on_date = '2026-12-09'",
    )
    .execute(pool)
    .await
    .expect("backup");
    sqlx::query("ANALYZE").execute(pool).await.expect("analyze");
    let open = store.count_cases().await.expect("count");
    let setup = t0.elapsed().as_secs_f64();
    let scheduler = Scheduler::new(app.clone(), vec![]);

    // Nothing due: the tick only asks the indexes.
    clock.set(at("2026-12-01T09:00:00Z"));
    let mut idle = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let r = scheduler.tick().await.expect("tick");
        idle.push(t.elapsed().as_secs_f64());
        assert_eq!(r.decided, 0);
    }
    // The hot cases' reminders fall due: 2 per case.
    let mut busy = Vec::new();
    let mut decided = 0;
    for _ in 0..3 {
        reset_hot(&store).await;
        clock.set(at("2026-12-11T07:31:00Z"));
        let t = Instant::now();
        decided = scheduler.tick().await.expect("tick").decided;
        busy.push(t.elapsed().as_secs_f64());
    }
    let size_mb = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) / 1_000_000;
    format!(
        "tick at {open:>9} open cases ({size_mb} MB, built in {setup:.0} s): idle tick median {:.2} ms; \
         tick deciding {decided} reminders median {:.0} ms",
        median(idle) * 1000.0,
        median(busy) * 1000.0
    )
}

async fn query_plans(url: &str) {
    let (_app, store, _) = support::bench_app(url).await;
    for (what, sql) in [
        (
            "reminders due",
            "EXPLAIN QUERY PLAN SELECT s.case_id, s.step FROM steps s WHERE s.next_reminder_at IS NOT NULL AND s.next_reminder_at <= '2026-12-11' ORDER BY s.next_reminder_at LIMIT 200",
        ),
        (
            "states to refresh",
            "EXPLAIN QUERY PLAN SELECT DISTINCT c.reference FROM steps s INDEXED BY steps_due JOIN cases c ON c.id = s.case_id WHERE s.state IN ('open', 'overdue') AND s.state = 'open' AND s.due < '2026-12-11' AND c.status = 'open' LIMIT 200",
        ),
        (
            "deliveries to claim",
            "EXPLAIN QUERY PLAN SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= '2026-12-11' AND channel IN ('email', 'email', 'email', 'email') ORDER BY next_attempt_at, id LIMIT 200",
        ),
    ] {
        let rows = sqlx::query(sql).fetch_all(store.pool()).await.expect("plan");
        let plan: Vec<String> = rows.iter().map(|r| r.get::<String, _>("detail")).collect();
        println!("plan, {what}: {}", plan.join(" / "));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn daemon(config: &std::path::Path, url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_echeancier"))
        .env("ECHEANCIER_DATABASE_URL", url)
        .env("ECHEANCIER_LOG", "error")
        .args(["--config", config.to_str().expect("utf8"), "run"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("daemon")
}

fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn http_get(port: u16, path: &str) -> usize {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let _ = s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes());
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.len()
}

/// The real binary on the million-case database: its resident memory after
/// ticks, health checks and metric scrapes (which count over all cases).
fn memory_bench(db: &std::path::Path, dir: &std::path::Path) {
    let port = free_port();
    let cfg = dir.join("rss.toml");
    std::fs::write(
        &cfg,
        format!(
            "data_dir = \"{}\"\n[console]\nactif = false\n[planificateur]\nintervalle_secondes = 1\n[http]\nadresse = \"127.0.0.1:{port}\"\n",
            dir.join("rss-data").display()
        ),
    )
    .expect("config");
    let mut child = daemon(&cfg, &format!("sqlite://{}", db.display()));
    let pid = child.id();
    let start = Instant::now();
    let mut scrapes = 0;
    while start.elapsed() < Duration::from_secs(20) {
        if http_get(port, "/metrics") > 0 && http_get(port, "/healthz") > 0 {
            scrapes += 1;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let (rss, hwm) = (status_kb(pid, "VmRSS:"), status_kb(pid, "VmHWM:"));
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let _ = child.wait();
    println!(
        "memory: daemon on 1,000,000 cases, 20 s of 1-second ticks and {scrapes} health+metrics scrapes: \
         resident {:.1} MB, peak {:.1} MB",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
}

/// `emails` reminders decided and delivered by `instances` daemons sharing
/// one PostgreSQL database.
async fn delivery_bench(admin: &str, emails: i64, dir: &std::path::Path) {
    use sqlx::Connection;
    let name = format!("echeancier_bench_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(admin).await.expect("PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create");
    let mut url = url::Url::parse(admin).expect("url");
    url.set_path(&name);
    let url = url.to_string();
    let (app, store, clock) = support::bench_app(&url).await;
    support::replicate(&app, &store, &clock, "2026-12-09", emails / 2 - 1, "H-").await;
    clock.set(at("2026-12-11T07:31:00Z"));
    let t0 = Instant::now();
    let decided = Scheduler::new(app.clone(), vec![])
        .tick()
        .await
        .expect("tick")
        .decided;
    let decide = t0.elapsed().as_secs_f64();
    println!(
        "decide on PostgreSQL: {decided} reminders for {} cases in {decide:.1} s = {:.0} reminders/s",
        emails / 2,
        decided as f64 / decide
    );
    for instances in [1usize, 3] {
        sqlx::query(
            "UPDATE deliveries SET state = 'pending', attempts = 0, sent_at = NULL, lease_until = NULL,
                    next_attempt_at = '2000-01-01T00:00:00.000000Z'",
        )
        .execute(store.pool())
        .await
        .expect("reset");
        let smtp = SmtpServer::start();
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries")
            .fetch_one(store.pool())
            .await
            .expect("count");
        let t0 = Instant::now();
        let mut children: Vec<Child> = (0..instances)
            .map(|i| {
                let cfg = dir.join(format!("deliver-{instances}-{i}.toml"));
                std::fs::write(
                    &cfg,
                    format!(
                        "data_dir = \"{}\"\n[console]\nactif = false\n[planificateur]\nintervalle_secondes = 1\n\
                         [email]\nmode = \"smtp\"\nhote = \"127.0.0.1\"\nport = {}\nsecurite = \"aucune\"\n",
                        dir.join(format!("d{i}")).display(),
                        smtp.port
                    ),
                )
                .expect("config");
                daemon(&cfg, &url)
            })
            .collect();
        loop {
            let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE state = 'sent'")
                .fetch_one(store.pool())
                .await
                .expect("sent");
            if sent >= total {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let secs = t0.elapsed().as_secs_f64();
        for c in &mut children {
            let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
            let _ = c.wait();
        }
        println!(
            "deliver on PostgreSQL: {total} emails to the local SMTP server by {instances} instance(s) in {secs:.1} s = {:.0} emails/s",
            total as f64 / secs
        );
    }
    store.pool().close().await;
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
        .execute(&mut conn)
        .await;
}

#[tokio::main]
async fn main() {
    let sizes: Vec<i64> = std::env::var("ECHEANCIER_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let emails: i64 = std::env::var("ECHEANCIER_BENCH_EMAILS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
    let mut lines = Vec::new();
    for &size in &sizes {
        let line = tick_bench(size.max(HOT * 2), dir.path()).await;
        println!("{line}");
        lines.push(line);
    }
    if let Some(&largest) = sizes.iter().max() {
        let db = dir.path().join(format!("tick-{}.db", largest.max(HOT * 2)));
        query_plans(&format!("sqlite://{}", db.display())).await;
        memory_bench(&db, dir.path());
    }
    if emails > 0 {
        let admin = std::env::var("ECHEANCIER_BENCH_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        delivery_bench(&admin, emails, dir.path()).await;
    }
}
