//! The web office's pages at scale: server time of *Mes échéances*, the
//! first page of *Dossiers*, a search and a case page, with 100,000 open
//! cases in the signed-in person's scope (the DASEN's office of a
//! département: the widest scope there is), on SQLite.
//!
//! `cargo bench --bench web`. `ECHEANCIER_BENCH_CASES` (default 100000)
//! sets the number of cases; `ECHEANCIER_BENCH_POSTGRES` (a server URL,
//! e.g. `postgres://postgres@127.0.0.1:5432/postgres`) runs the same on a
//! fresh PostgreSQL database as well.
//!
//! Requests go straight to the router (`tower::ServiceExt::oneshot`): the
//! time is the server's, from request to the last byte of the page, with
//! no network in between. Targets: 50 ms median for the lists, 20 ms for
//! a case page.

use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use echeancier::config::WebSettings;
use echeancier::store::Store;
use tower::ServiceExt;

mod support;

const RUNS: usize = 40;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn p90(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[(v.len() * 9) / 10]
}

/// Spreads the copies' deadlines over two months, as a real office's are,
/// gives each a pupil, and writes the list columns the plan would.
async fn spread(store: &Store, prefix: &str) {
    let pool = store.pool();
    let shift = store.backend().pick(
        "UPDATE steps SET due = date(due, '+' || (case_id % 60) || ' days')
         WHERE due IS NOT NULL AND case_id IN (SELECT id FROM cases WHERE reference LIKE $1)",
        "UPDATE steps SET due = to_char(to_date(due, 'YYYY-MM-DD') + (case_id % 60)::int, 'YYYY-MM-DD')
         WHERE due IS NOT NULL AND case_id IN (SELECT id FROM cases WHERE reference LIKE $1)",
    );
    for sql in [
        shift,
        "INSERT INTO pupils (case_id, full_name, class_name)
         SELECT id, 'Élève ' || id, '4e B' FROM cases WHERE reference LIKE $1",
        "UPDATE cases SET
            next_due = (SELECT MIN(s.due) FROM steps s WHERE s.case_id = cases.id AND s.state IN ('open', 'overdue')),
            next_step = (SELECT s.step FROM steps s WHERE s.case_id = cases.id AND s.state IN ('open', 'overdue')
                         ORDER BY s.due, s.position LIMIT 1)
         WHERE reference LIKE $1",
    ] {
        sqlx::query(sql)
            .bind(format!("{prefix}%"))
            .execute(pool)
            .await
            .expect("spread");
    }
    // Fresh statistics, as a database that has lived has.
    sqlx::query("ANALYZE").execute(pool).await.expect("analyze");
}

async fn run(url: &str, label: &str, cases: i64) {
    let (app, store, clock) = support::bench_app(url).await;
    let started = Instant::now();
    support::replicate(&app, &store, &clock, "2026-11-25", cases, "PAR-2027-").await;
    spread(&store, "PAR-2027-").await;
    eprintln!(
        "{label}: {cases} open cases seeded in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let settings = WebSettings {
        address: "127.0.0.1:8080".parse().expect("address"),
        public_url: "http://127.0.0.1:8080".into(),
        session_hours: 8,
    };
    let office = echeancier::web::Office::new(app.clone(), settings)
        .await
        .expect("office");
    let router = echeancier::web::router(office);
    let (dasen, _) = store
        .person_by_slug("dasen")
        .await
        .expect("store")
        .expect("dasen");
    let token = app.open_session(dasen, "bench", 8).await.expect("session");
    let cookie = format!("echeancier={token}");
    let middle = format!("/dossiers/PAR-2027-{}", cases / 2);
    let pages = [
        ("Mes échéances", "/".to_string(), 50.0),
        ("Dossiers, page 1", "/dossiers".to_string(), 50.0),
        ("Dossiers, page 1000", "/dossiers?page=1000".to_string(), 50.0),
        (
            "Dossiers, par référence",
            format!("/dossiers?q=PAR-2027-{}", cases / 3),
            50.0,
        ),
        (
            "Dossiers, par nom",
            format!("/dossiers?q=%C3%A9l%C3%A8ve+{}", cases / 3),
            50.0,
        ),
        ("Un dossier", middle, 20.0),
    ];
    for (name, path, target) in pages {
        let mut times = Vec::with_capacity(RUNS);
        let mut size = 0;
        for i in 0..=RUNS {
            let request = Request::get(path.as_str())
                .header("cookie", &cookie)
                .body(Body::empty())
                .expect("request");
            let t = Instant::now();
            let response = router.clone().oneshot(request).await.expect("response");
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body");
            let elapsed = t.elapsed().as_secs_f64() * 1000.0;
            assert!(status.is_success(), "{name}: {status}");
            size = body.len();
            // The first request warms the caches of the database.
            if i > 0 {
                times.push(elapsed);
            }
        }
        let m = median(times.clone());
        println!(
            "{label} {name:<26} median {m:>7.2} ms  p90 {:>7.2} ms  ({} kB)  target {target} ms: {}",
            p90(times),
            size / 1024,
            if m < target { "met" } else { "NOT met" }
        );
    }
}

fn main() {
    let cases: i64 = std::env::var("ECHEANCIER_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}", dir.path().join("web.db").display());
        run(&url, "sqlite", cases).await;
        if let Ok(admin) = std::env::var("ECHEANCIER_BENCH_POSTGRES") {
            let pool = sqlx::PgPool::connect(&admin).await.expect("postgres");
            let _ = sqlx::query("DROP DATABASE IF EXISTS echeancier_bench_web")
                .execute(&pool)
                .await;
            sqlx::query("CREATE DATABASE echeancier_bench_web")
                .execute(&pool)
                .await
                .expect("create database");
            let mut url = url::Url::parse(&admin).expect("url");
            url.set_path("echeancier_bench_web");
            run(url.as_str(), "postgres", cases).await;
        }
    });
}
