//! A local fake of the Telegram Bot API (axum on 127.0.0.1), for the tests:
//! teloxide is pointed at it. It records sendMessage, editMessageText and
//! answerCallbackQuery calls (with when they arrived), feeds updates to
//! getUpdates, and can answer the next sends with 429 (retry_after) or 500.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};

#[derive(Default)]
struct Inner {
    calls: Vec<(String, Value)>,
    /// When each sendMessage arrived, and its chat.
    send_times: Vec<(std::time::Instant, i64)>,
    updates: Vec<Value>,
    next_update: i64,
    next_message: i64,
    failures: VecDeque<(u16, Value)>,
}

#[derive(Clone)]
pub struct FakeTelegram {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

pub const TOKEN: &str = "123456:TEST-TOKEN";

fn chat(id: i64) -> Value {
    if id < 0 {
        json!({"id": id, "type": "group", "title": "Groupe"})
    } else {
        json!({"id": id, "type": "private", "first_name": "Agent"})
    }
}

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        let inner = Arc::new(Mutex::new(Inner {
            next_update: 1,
            next_message: 1000,
            ..Default::default()
        }));
        let app = Router::new()
            .route("/{bot}/{method}", post(handle))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeTelegram { url, inner }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A user writes `text` in `chat` (their private chat when equal to `user`).
    pub fn message(&self, user: i64, chat_id: i64, text: &str) {
        let mut s = self.lock();
        let (uid, mid) = (s.next_update, s.next_message);
        s.next_update += 1;
        s.next_message += 1;
        s.updates.push(json!({
            "update_id": uid,
            "message": {
                "message_id": mid, "date": 1_765_000_000, "chat": chat(chat_id),
                "from": {"id": user, "is_bot": false, "first_name": "Agent"}, "text": text
            }
        }));
    }

    /// A user presses a button of a message the bot sent.
    pub fn press(&self, user: i64, sent: &Value, data: &str) {
        let mut s = self.lock();
        let uid = s.next_update;
        s.next_update += 1;
        let cq = format!("cq{uid}");
        s.updates.push(json!({
            "update_id": uid,
            "callback_query": {
                "id": cq, "chat_instance": "ci", "data": data,
                "from": {"id": user, "is_bot": false, "first_name": "Agent"},
                "message": {
                    "message_id": sent["message_id"], "date": 1_765_000_000,
                    "chat": sent["chat"], "text": sent["text"]
                }
            }
        }));
    }

    /// The next sendMessage answers with this HTTP status (429 carries retry_after).
    pub fn fail_next_send(&self, status: u16) {
        let body = if status == 429 {
            json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 3", "parameters": {"retry_after": 3}})
        } else {
            json!({"ok": false, "error_code": status, "description": "Internal Server Error"})
        };
        self.lock().failures.push_back((status, body));
    }

    /// The next sendMessage answers with this HTTP status and description.
    pub fn fail_next_send_with(&self, status: u16, description: &str) {
        let body = json!({"ok": false, "error_code": status, "description": description});
        self.lock().failures.push_back((status, body));
    }

    pub fn calls(&self, method: &str) -> Vec<Value> {
        self.lock()
            .calls
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, b)| b.clone())
            .collect()
    }

    /// When each sendMessage arrived, in order, with its chat.
    pub fn send_times(&self) -> Vec<(std::time::Instant, i64)> {
        self.lock().send_times.clone()
    }

    /// The messages sent, as the Bot API returned them (for pressing buttons).
    pub fn sent(&self) -> Vec<Value> {
        self.calls("sendMessage")
    }
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path((bot, method)): Path<(String, String)>,
    body: Bytes,
) -> impl IntoResponse {
    if bot != format!("bot{TOKEN}") {
        return (
            StatusCode::UNAUTHORIZED,
            json!({"ok": false, "error_code": 401, "description": "Unauthorized"}).to_string(),
        );
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut s = inner.lock().unwrap_or_else(|e| e.into_inner());
    let ok = |result: Value| (StatusCode::OK, json!({"ok": true, "result": result}).to_string());
    // The Bot API is case-insensitive; teloxide writes `SendMessage`.
    match method.to_ascii_lowercase().as_str() {
        "getupdates" => {
            let offset = body["offset"].as_i64().unwrap_or(0);
            let updates: Vec<Value> = s
                .updates
                .iter()
                .filter(|u| u["update_id"].as_i64().unwrap_or(0) >= offset)
                .cloned()
                .collect();
            ok(Value::Array(updates))
        }
        "sendmessage" => {
            let chat_id = body["chat_id"].as_i64().unwrap_or(0);
            s.send_times.push((std::time::Instant::now(), chat_id));
            if let Some((status, err)) = s.failures.pop_front() {
                s.calls.push(("sendMessage.failed".into(), body));
                return (
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    err.to_string(),
                );
            }
            let mid = s.next_message;
            s.next_message += 1;
            let message = json!({
                "message_id": mid, "date": 1_765_000_000, "chat": chat(chat_id),
                "from": {"id": 42, "is_bot": true, "first_name": "echeancier"},
                "text": body["text"], "reply_markup": body["reply_markup"]
            });
            let mut recorded = body.clone();
            recorded["message_id"] = json!(mid);
            recorded["chat"] = chat(chat_id);
            s.calls.push(("sendMessage".into(), recorded));
            ok(message)
        }
        "editmessagetext" => {
            s.calls.push(("editMessageText".into(), body.clone()));
            let chat_id = body["chat_id"].as_i64().unwrap_or(0);
            ok(
                json!({"message_id": body["message_id"], "date": 1_765_000_000, "chat": chat(chat_id), "text": body["text"]}),
            )
        }
        "answercallbackquery" => {
            s.calls.push(("answerCallbackQuery".into(), body));
            ok(json!(true))
        }
        "getme" => {
            ok(json!({"id": 42, "is_bot": true, "first_name": "echeancier", "username": "echeancier_bot"}))
        }
        other => {
            s.calls.push((other.to_string(), body));
            ok(json!(true))
        }
    }
}
