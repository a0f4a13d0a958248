//! The Telegram front-end (teloxide). Long-polls updates, hands every text
//! message to the command core as `telegram:USER_ID`, and answers in the
//! chat. Reminders carry inline buttons (Fait, Reporter, Vu) handled as
//! callback queries; the message is then edited to show who acted, when.
//! The update offset is stored, so a restart neither loses nor replays
//! updates.

use std::sync::Arc;

use echeancier_core::french::long_date;
use teloxide::payloads::{AnswerCallbackQuerySetters, GetUpdatesSetters, SendMessageSetters};
use teloxide::prelude::Requester;
use teloxide::types::{
    CallbackQuery, ChatId, ChatKind, InlineKeyboardButton, InlineKeyboardMarkup, MaybeInaccessibleMessage,
    Message, UpdateKind,
};
use teloxide::{ApiError, Bot, RequestError};

use crate::app::commands::{ButtonAction, ButtonOutcome};
use crate::app::{App, AppError};
use crate::channel::{Channel, Delivery, SendError, Sender, Sent, technical};
use echeancier_core::authz::Place;

const OFFSET_KEY: &str = "telegram.offset";

pub struct Telegram {
    bot: Bot,
    app: App,
    groups: Vec<crate::config::TelegramGroup>,
    pace: Pace,
    /// getUpdates failures in a row, for the pause before the next poll.
    poll_failures: std::sync::atomic::AtomicU32,
}

/// The Bot API's documented limits, kept ahead of time so that 429s stay
/// rare: about 30 messages a second in all (evenly spaced, so that no
/// second holds more), one a second in a chat, 20 a minute in a group.
/// A chat's spacing runs from the moment its previous message left, so a
/// wait for the overall limit never brings two messages of a chat closer.
struct Pace {
    all: governor::DefaultDirectRateLimiter,
    chats: std::sync::Mutex<
        std::collections::HashMap<i64, Arc<tokio::sync::Mutex<Option<tokio::time::Instant>>>>,
    >,
}

/// A chat's turn: held while its message is sent.
type Turn = tokio::sync::OwnedMutexGuard<Option<tokio::time::Instant>>;

impl Pace {
    fn new() -> Pace {
        let quota = governor::Quota::with_period(std::time::Duration::from_millis(34))
            .unwrap_or_else(|| governor::Quota::per_second(std::num::NonZeroU32::MIN));
        Pace {
            all: governor::RateLimiter::direct(quota),
            chats: std::sync::Mutex::default(),
        }
    }

    /// Waits until a message may go to `chat` (group ids are negative);
    /// the next one to that chat waits for the returned turn to drop.
    async fn turn(&self, chat: ChatId) -> Turn {
        let slot = {
            let mut chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
            chats.entry(chat.0).or_default().clone()
        };
        let mut last = slot.lock_owned().await;
        let spacing = if chat.0 < 0 {
            std::time::Duration::from_secs(3)
        } else {
            std::time::Duration::from_secs(1)
        };
        if let Some(t) = *last {
            tokio::time::sleep_until(t + spacing).await;
        }
        self.all.until_ready().await;
        *last = Some(tokio::time::Instant::now());
        last
    }
}

/// Maps a Bot API failure to the outbox's retry policy.
fn classify(e: RequestError) -> SendError {
    match e {
        RequestError::RetryAfter(s) => {
            SendError::RateLimited(std::time::Duration::from_secs(u64::from(s.seconds())))
        }
        RequestError::Network(e) => SendError::Transient(technical("du réseau vers Telegram", e)),
        RequestError::Api(ApiError::BotBlocked) => {
            SendError::Permanent("le destinataire a bloqué le robot Telegram".into())
        }
        RequestError::Api(ApiError::ChatNotFound) => {
            SendError::Permanent("conversation Telegram introuvable".into())
        }
        RequestError::Api(ApiError::UserDeactivated) => {
            SendError::Permanent("compte Telegram désactivé".into())
        }
        RequestError::Api(ApiError::Unknown(ref text))
            if text.contains("Bad Request") || text.contains("Forbidden") =>
        {
            SendError::Permanent(technical("de l'API Telegram", &e))
        }
        other => SendError::Transient(technical("de l'API Telegram", other)),
    }
}

impl Telegram {
    pub fn new(
        app: App,
        token: &str,
        api: Option<&str>,
        groups: Vec<crate::config::TelegramGroup>,
    ) -> Result<Telegram, String> {
        let mut bot = Bot::new(token);
        if let Some(api) = api {
            let url = reqwest_url(api)?;
            bot = bot.set_api_url(url);
        }
        Ok(Telegram {
            bot,
            app,
            groups,
            pace: Pace::new(),
            poll_failures: std::sync::atomic::AtomicU32::new(0),
        })
    }

    /// One long poll: fetches and handles pending updates. Returns how many.
    pub async fn poll_once(&self, timeout_secs: u32) -> Result<usize, AppError> {
        let offset: i32 = self
            .app
            .chat_state(OFFSET_KEY)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let updates = match self.bot.get_updates().offset(offset).timeout(timeout_secs).await {
            Ok(u) => {
                self.poll_failures.store(0, std::sync::atomic::Ordering::Relaxed);
                u
            }
            Err(e) => {
                // An unreachable Bot API answers at once: without a pause
                // this would be a loop as fast as the machine.
                let n = self
                    .poll_failures
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let pause = std::time::Duration::from_secs(1u64 << n.min(6));
                tracing::warn!(error = %e, ?pause, "telegram getUpdates failed");
                tokio::time::sleep(pause).await;
                return Ok(0);
            }
        };
        let mut handled = 0;
        for update in updates {
            match &update.kind {
                UpdateKind::Message(m) => self.on_message(m).await,
                UpdateKind::CallbackQuery(q) => self.on_callback(q).await,
                _ => {}
            }
            // Stored after handling: a crash replays at most this update,
            // and every action is idempotent or refused the second time.
            let next = i32::try_from(update.id.0).unwrap_or(i32::MAX).saturating_add(1);
            self.app.set_chat_state(OFFSET_KEY, &next.to_string()).await?;
            handled += 1;
        }
        Ok(handled)
    }

    /// Polls until `shutdown` flips.
    pub async fn run(&self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            tokio::select! {
                r = self.poll_once(25) => {
                    if let Err(e) = r {
                        tracing::error!(error = %e, "telegram polling failed");
                        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                    }
                }
                _ = shutdown.changed() => break,
            }
        }
    }

    async fn on_message(&self, m: &Message) {
        let (Some(text), Some(from)) = (m.text(), m.from.as_ref()) else {
            return;
        };
        // A private chat is read by its one member; a group by its audience.
        let place = match m.chat.kind {
            ChatKind::Private(_) => Some(Place::Direct),
            _ => self
                .groups
                .iter()
                .find(|g| g.id == m.chat.id.0)
                .map(|g| g.place.clone()),
        };
        let Some(place) = place else {
            // Unmapped group: no case data leaves, even by mistake.
            if echeancier_core::command::parse(text).is_some() {
                let _turn = self.pace.turn(m.chat.id).await;
                let _ = self
                    .bot
                    .send_message(
                        m.chat.id,
                        "Ce groupe n'est pas déclaré dans la configuration : écrivez-moi en privé.",
                    )
                    .await;
            }
            return;
        };
        let Some(reply) = self
            .app
            .handle_in(&place, "telegram", &from.id.0.to_string(), text)
            .await
        else {
            return;
        };
        let turn = self.pace.turn(m.chat.id).await;
        let sent = self
            .bot
            .send_message(m.chat.id, reply)
            .reply_parameters(teloxide::types::ReplyParameters::new(m.id))
            .await;
        drop(turn);
        if let Err(e) = sent {
            tracing::warn!(error = %e, "telegram reply failed");
        }
    }

    async fn on_callback(&self, q: &CallbackQuery) {
        let user = q.from.id.0.to_string();
        let data = q.data.clone().unwrap_or_default();
        let (answer, edit) = match self.button(&user, &data).await {
            Ok(r) => r,
            Err(e) => (crate::app::commands::reply_to(&e, "telegram"), None),
        };
        let short: String = answer.chars().take(190).collect();
        crate::view::chat_out("telegram", &short);
        let _ = self
            .bot
            .answer_callback_query(q.id.clone())
            .text(short)
            .show_alert(edit.is_none())
            .await;
        if let (Some(line), Some(MaybeInaccessibleMessage::Regular(m))) = (edit, q.message.as_ref()) {
            let text = format!("{}\n\n{line}", m.text().unwrap_or_default());
            crate::view::chat_out("telegram", &text);
            let _ = self.bot.edit_message_text(m.chat.id, m.id, text).await;
        }
    }

    /// Acts on a button: returns the answer and, on success, the line to
    /// append to the reminder.
    async fn button(&self, user: &str, data: &str) -> Result<(String, Option<String>), AppError> {
        let (verb, id) = data
            .split_once(':')
            .and_then(|(v, id)| id.parse::<i64>().ok().map(|id| (v, id)))
            .ok_or_else(|| AppError::Invalid("Bouton inconnu.".into()))?;
        let action = match verb {
            "fait" => ButtonAction::Done,
            "vu" => ButtonAction::Seen,
            "reporter" => ButtonAction::Reschedule,
            _ => return Err(AppError::Invalid("Bouton inconnu.".into())),
        };
        let (outcome, name) = self.app.press("telegram", user, id, action).await?;
        let stamp = |what: &str| {
            let local = self
                .app
                .now()
                .with_timezone(&echeancier_core::CalendarId::Metropole.time_zone());
            format!(
                "{what} — {name}, {} à {}",
                long_date(local.date_naive()),
                echeancier_core::french::time(local.time())
            )
        };
        Ok(match outcome {
            ButtonOutcome::Done => ("Étape marquée faite.".into(), Some(stamp("✅ Fait"))),
            ButtonOutcome::Seen => ("Vu, merci.".into(), Some(stamp("👀 Vu"))),
            ButtonOutcome::Reschedule { case, step } => {
                let chat = ChatId(user.parse().unwrap_or_default());
                let text = format!("Pour reporter, envoyez : !report {case} {step} AAAA-MM-JJ motif");
                crate::view::chat_out("telegram", &text);
                let _turn = self.pace.turn(chat).await;
                let _ = self.bot.send_message(chat, text).await;
                ("Envoyez la nouvelle date avec son motif.".into(), None)
            }
        })
    }

    /// Sends an outbox message; step reminders get their buttons.
    async fn send_message(&self, chat: &str, text: &str, reminder: Option<i64>) -> Result<(), SendError> {
        let chat: i64 = chat
            .parse()
            .map_err(|_| SendError::Permanent(format!("identifiant Telegram « {chat} » invalide")))?;
        let _turn = self.pace.turn(ChatId(chat)).await;
        let mut request = self.bot.send_message(ChatId(chat), text);
        if let Some(id) = reminder {
            request = request.reply_markup(InlineKeyboardMarkup::new(vec![vec![
                InlineKeyboardButton::callback("✅ Fait", format!("fait:{id}")),
                InlineKeyboardButton::callback("📅 Reporter", format!("reporter:{id}")),
                InlineKeyboardButton::callback("👀 Vu", format!("vu:{id}")),
            ]]));
        }
        request.await.map(|_| ()).map_err(classify)
    }
}

impl Sender for Telegram {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    fn send<'a>(&'a self, d: Delivery<'a>) -> futures_util::future::BoxFuture<'a, Sent> {
        Box::pin(async move {
            crate::view::chat_out("telegram", &d.message.text);
            self.send_message(d.recipient, &d.message.text, d.message.buttons)
                .await
                .map(|()| None)
        })
    }
}

fn reqwest_url(s: &str) -> Result<url::Url, String> {
    s.parse()
        .map_err(|e| format!("adresse d'API Telegram « {s} » : {e}"))
}
