//! The small HTTP server for operators: `/healthz` (database, outbox,
//! channels) and `/metrics` (Prometheus). Listens where configured, on
//! loopback by default.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::Utc;
use serde_json::json;

use crate::app::App;

#[derive(Clone)]
struct Ctx {
    app: App,
    channels: serde_json::Value,
}

pub fn router(app: App, channels: serde_json::Value) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(Ctx { app, channels })
}

async fn healthz(State(ctx): State<Ctx>) -> impl IntoResponse {
    let db = sqlx::query_scalar::<_, i64>("SELECT 1")
        .fetch_one(ctx.app.store.pool())
        .await;
    let outbox = ctx.app.store.outbox_counts().await.ok();
    let ok = db.is_ok();
    let body = json!({
        "status": if ok { "ok" } else { "degraded" },
        "database": if ok { "ok".to_string() } else { format!("erreur : {}", db.err().map(|e| e.to_string()).unwrap_or_default()) },
        "outbox": outbox.map(|c| json!({"pending": c.pending, "sending": c.sending, "sent": c.sent, "failed": c.failed})),
        "channels": ctx.channels,
    });
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body))
}

async fn metrics(State(ctx): State<Ctx>) -> impl IntoResponse {
    let m = &ctx.app.metrics;
    if let Ok(c) = ctx.app.store.outbox_counts().await {
        for (state, n) in [
            ("pending", c.pending),
            ("sending", c.sending),
            ("sent", c.sent),
            ("failed", c.failed),
            ("skipped", c.skipped),
        ] {
            m.outbox
                .get_or_create(&crate::metrics::State { state: state.into() })
                .set(n);
        }
    }
    let now = Utc::now();
    if let Ok(lag) = ctx.app.store.outbox_lag(now).await {
        m.outbox_lag_seconds.set(lag);
    }
    if let Ok((open, overdue)) = ctx.app.store.case_gauges(ctx.app.today()).await {
        m.open_cases.set(open);
        m.overdue_steps.set(overdue);
    }
    (
        [(
            "content-type",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m.encode(),
    )
}
