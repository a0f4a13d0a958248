//! The small HTTP server for operators: `/healthz` (database, outbox,
//! channels) and `/metrics` (Prometheus). Listens where configured, on
//! loopback by default.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;
use sha2::Digest;

use crate::app::App;
use crate::channel::Channel;
use crate::store::leader::Leader;

/// A channel as configured in this instance.
#[derive(Clone, Debug)]
pub struct ChannelInfo {
    pub channel: Channel,
    /// How it is set up: "smtp", "fichiers", "configuré"...
    pub mode: String,
    /// The lock under which it runs, for chat accounts synced by one instance.
    pub leader: Option<Arc<Leader>>,
}

impl ChannelInfo {
    pub fn new(channel: Channel, mode: &str) -> ChannelInfo {
        ChannelInfo {
            channel,
            mode: mode.into(),
            leader: None,
        }
    }
}

#[derive(Clone)]
struct Ctx {
    app: App,
    channels: Vec<ChannelInfo>,
    tick: Option<Arc<Leader>>,
}

/// `tick`: the scheduler's leadership, reported as "decides here" or not.
/// `token`: when given, every request needs `Authorization: Bearer TOKEN`.
pub fn router(
    app: App,
    channels: Vec<ChannelInfo>,
    tick: Option<Arc<Leader>>,
    token: Option<String>,
) -> Router {
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(Ctx { app, channels, tick });
    match token {
        Some(token) => router.layer(axum::middleware::from_fn_with_state(
            Arc::new(token_digest(&token)),
            bearer,
        )),
        None => router,
    }
}

fn token_digest(token: &str) -> [u8; 32] {
    sha2::Sha256::digest(token.as_bytes()).into()
}

/// 401 unless the request carries the token. Digests are compared without
/// an early exit, so the time taken says nothing of the token.
async fn bearer(
    State(expected): State<Arc<[u8; 32]>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let given = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| token_digest(t.trim()));
    let ok = given.is_some_and(|g| {
        g.iter()
            .zip(expected.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    });
    if ok {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(axum::http::header::WWW_AUTHENTICATE, "Bearer")],
            "Jeton manquant ou invalide : envoyez l'en-tête Authorization: Bearer JETON.\n",
        )
            .into_response()
    }
}

/// 200 while the database answers (channels failing make it "degraded"
/// without taking the instance out of a load balancer); 503 otherwise.
async fn healthz(State(ctx): State<Ctx>) -> impl IntoResponse {
    let db_ok = ctx.app.database_answers().await;
    let outbox = ctx.app.outbox_counts().await.ok();
    let now = ctx.app.now();
    let due: BTreeMap<Channel, (i64, i64)> = ctx
        .app
        .due_by_channel()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(c, n, oldest)| (c, (n, (now - oldest).num_seconds().max(0))))
        .collect();
    let health = ctx.app.metrics().health();
    let mut any_failing = false;
    let mut channels = serde_json::Map::new();
    for c in &ctx.channels {
        let h = health.get(c.channel.as_str()).cloned().unwrap_or_default();
        let failing = h.failing();
        any_failing |= failing;
        let state = match (&c.leader, failing) {
            (Some(l), _) if !l.holding() => "suivi par une autre instance",
            _ if h.account_expired => "compte expiré",
            (_, true) => "en échec",
            (_, false) => "ok",
        };
        let (due_now, lag) = due.get(&c.channel).copied().unwrap_or((0, 0));
        channels.insert(
            c.channel.as_str().to_string(),
            json!({
                "mode": c.mode,
                "etat": state,
                "dernier_envoi": h.last_ok.map(|t| t.to_rfc3339()),
                "derniere_erreur": h.last_error.map(|(t, e)| json!({"a": t.to_rfc3339(), "erreur": e})),
                "a_envoyer": due_now,
                "retard_secondes": lag,
                "compte": json!({
                    "etat": if h.account_expired { "expiré" } else { "valide" },
                    "expire_le": h.account_expires_on.map(|d| d.to_string()),
                }),
            }),
        );
    }
    let body = json!({
        "status": if !db_ok { "down" } else if any_failing { "degraded" } else { "ok" },
        // Generic: the driver's text may name hosts or users; the logs have it.
        "database": if db_ok { "ok" } else { "erreur : base de données injoignable" },
        "backend": match ctx.app.backend() { crate::store::Backend::Sqlite => "sqlite", crate::store::Backend::Postgres => "postgres" },
        "decide_ici": ctx.tick.as_ref().is_none_or(|l| l.holding()),
        "outbox": outbox.map(|c| json!({"pending": c.pending, "sending": c.sending, "sent": c.sent, "failed": c.failed})),
        "channels": channels,
    });
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body))
}

async fn metrics(State(ctx): State<Ctx>) -> impl IntoResponse {
    let m = ctx.app.metrics();
    if let Ok(c) = ctx.app.outbox_counts().await {
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
    if let Ok(lag) = ctx.app.outbox_lag().await {
        m.outbox_lag_seconds.set(lag);
    }
    if let Ok(due) = ctx.app.due_by_channel().await {
        for c in &ctx.channels {
            let n = due
                .iter()
                .find(|(name, _, _)| *name == c.channel)
                .map_or(0, |d| d.1);
            m.due
                .get_or_create(&crate::metrics::Metrics::channel(c.channel.as_str()))
                .set(n);
        }
    }
    if let Ok((open, overdue)) = ctx.app.case_gauges().await {
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
