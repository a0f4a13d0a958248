//! /healthz and /metrics over real HTTP on loopback.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::util::{app_at, paris_noon};

pub async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    get_with(addr, path, None).await
}

#[tokio::test]
async fn health_and_metrics() {
    let t = app_at(paris_noon(2026, 11, 23)).await;
    echeancier::demo::load(&t.app).await.expect("demo");
    t.app
        .handle("console", "chef", "!echeances")
        .await
        .expect("reply");
    let router = echeancier::http::router(
        t.app.clone(),
        vec![echeancier::http::ChannelInfo::new(
            echeancier::channel::Channel::Email,
            "fichiers",
        )],
        None,
        None,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let health = get(addr, "/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(
        health.contains("\"database\":\"ok\"") && health.contains("\"mode\":\"fichiers\""),
        "{health}"
    );
    let metrics = get(addr, "/metrics").await;
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(
        metrics.contains("echeancier_commands_total{channel=\"console\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("echeancier_open_cases 5"), "{metrics}");
    assert!(
        metrics.contains("echeancier_command_seconds_count{channel=\"console\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("echeancier_overdue_steps"), "{metrics}");
    assert!(
        metrics.contains("echeancier_deliveries_due{channel=\"email\"}"),
        "{metrics}"
    );
    // A channel whose last attempt failed makes the instance "degraded",
    // still 200 (the database answers); a success afterwards clears it.
    let now = paris_noon(2026, 11, 23);
    t.app.metrics().record_error("email", now, "550 boîte inconnue");
    let health = get(addr, "/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(
        health.contains("\"status\":\"degraded\"")
            && health.contains("\"etat\":\"en échec\"")
            && health.contains("550 boîte inconnue"),
        "{health}"
    );
    t.app
        .metrics()
        .record_ok("email", now + chrono::Duration::minutes(1));
    let health = get(addr, "/healthz").await;
    assert!(health.contains("\"status\":\"ok\""), "{health}");
}

async fn get_with(addr: std::net::SocketAddr, path: &str, authorization: Option<&str>) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let header = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{header}Connection: close\r\n\r\n").as_bytes(),
    )
    .await
    .expect("request");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("response");
    out
}

/// With `[http] jeton_env`/`jeton_fichier`, both endpoints need the token.
#[tokio::test]
async fn a_token_guards_both_endpoints() {
    let t = app_at(paris_noon(2026, 11, 23)).await;
    let router = echeancier::http::router(
        t.app.clone(),
        vec![echeancier::http::ChannelInfo::new(
            echeancier::channel::Channel::Email,
            "fichiers",
        )],
        None,
        Some("jeton-de-test".into()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    for path in ["/healthz", "/metrics"] {
        for wrong in [
            None,
            Some("Bearer autre-jeton"),
            Some("Bearer jeton-de-tes"),
            Some("Basic amV0b24tZGUtdGVzdA=="),
            Some("jeton-de-test"),
        ] {
            let r = get_with(addr, path, wrong).await;
            assert!(r.starts_with("HTTP/1.1 401"), "{path} {wrong:?}: {r}");
            assert!(r.contains("Jeton manquant ou invalide"), "{r}");
            assert!(!r.contains("echeancier_") && !r.contains("database"), "{r}");
        }
        let r = get_with(addr, path, Some("Bearer jeton-de-test")).await;
        assert!(r.starts_with("HTTP/1.1 200"), "{path}: {r}");
    }
    let r = get_with(addr, "/metrics", Some("Bearer jeton-de-test")).await;
    assert!(r.contains("echeancier_open_cases"), "{r}");
}
