//! The Matrix front-end (Tchap): matrix-sdk with end-to-end encryption and
//! a persistent store, so the bot keeps one device across restarts. It
//! joins rooms when an authorized staff account invites it and declines
//! other invitations; hands every command to the command core as
//! `matrix:@user:server` and answers in the thread of the command; a ✅
//! reaction on a reminder acknowledges it. Reminders are sent with the
//! outbox key as transaction id, so a retried send never shows twice.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::{RequestConfig, SyncSettings};
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::relation::Thread;
use matrix_sdk::ruma::events::room::member::{StrippedRoomMemberEvent, SyncRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedRoomId, OwnedTransactionId, RoomId};
use matrix_sdk::{Client, Room, RoomMemberships, RoomState};
use sha2::{Digest, Sha256};

mod pace;

use crate::app::App;
use crate::channel::{Channel, Delivery, SendError, Sender, Sent};
use crate::config::{MatrixLogin, MatrixSettings};
use echeancier_core::authz::Place;

#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    #[error("Matrix : {0}")]
    Sdk(#[from] matrix_sdk::Error),
    #[error("Matrix : {0}")]
    Client(#[from] matrix_sdk::ClientBuildError),
    #[error("Matrix : session : {0}")]
    Session(String),
}

pub struct MatrixBot {
    pub client: Client,
    app: App,
    /// Set once the first sync is done: the rooms it is in are known, so
    /// sends no longer fail for a room "not joined yet".
    ready: tokio::sync::watch::Sender<bool>,
    /// One send at a time per room: the crypto layer shares the room key
    /// and then encrypts, and a concurrent send can exhaust the session in
    /// between (matrix-sdk-crypto then panics on an expired session).
    room_locks: std::sync::Mutex<std::collections::HashMap<OwnedRoomId, Arc<tokio::sync::Mutex<()>>>>,
    /// The audience of each undeclared room, from its member list: read
    /// once (a burst of commands in a room must not read the store each
    /// time), forgotten when a membership changes.
    places: std::sync::Mutex<std::collections::HashMap<OwnedRoomId, Place>>,
    places_turn: tokio::sync::Mutex<()>,
    /// Bumped at every membership change: a member list read before it is
    /// not cached.
    places_epoch: std::sync::atomic::AtomicU64,
    /// Messages per second towards the homeserver, replies first.
    pace: pace::Pace,
    /// Recovery key or passphrase of the account's secret storage.
    recovery: Option<String>,
    /// The direct room of each person reminded there (found or opened once).
    direct_rooms: tokio::sync::Mutex<std::collections::HashMap<matrix_sdk::ruma::OwnedUserId, OwnedRoomId>>,
}

impl std::fmt::Debug for MatrixBot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatrixBot")
            .field("user", &self.client.user_id())
            .finish()
    }
}

fn session_path(dir: &Path) -> PathBuf {
    dir.join("session.json")
}

/// Sync with a timeline large enough that a burst of commands between two
/// syncs is never cut into a "limited" timeline (which would hide some).
pub fn sync_settings() -> SyncSettings {
    use matrix_sdk::ruma::api::client::filter::FilterDefinition;
    use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter;
    let mut filter = FilterDefinition::default();
    filter.room.timeline.limit = Some(matrix_sdk::ruma::UInt::from(1000u32));
    SyncSettings::default().filter(Filter::FilterDefinition(filter))
}

/// Long polls one after another until one fails. matrix-sdk's own
/// `Client::sync` pauses a second before the next request whenever the
/// previous one came back within a second (`Client::delay_sync` in 0.18),
/// so a command sent right after another one waited that second. Here the
/// next request leaves at once; only a poll that comes back empty before
/// [`QUIET_POLL`] (a server ignoring the timeout) is followed by
/// [`QUIET_PAUSE`], so that such a server is not hammered.
pub async fn sync_forever(client: &Client, settings: SyncSettings) -> Result<(), matrix_sdk::Error> {
    loop {
        let started = std::time::Instant::now();
        let response = client.sync_once(settings.clone()).await?;
        let empty = response.rooms.is_empty()
            && response.to_device.is_empty()
            && response.presence.is_empty()
            && response.account_data.is_empty();
        if empty && started.elapsed() < QUIET_POLL {
            tokio::time::sleep(QUIET_PAUSE).await;
        }
    }
}

/// An empty answer faster than this did not wait for events.
pub const QUIET_POLL: std::time::Duration = std::time::Duration::from_millis(100);
/// The pause after such an answer.
pub const QUIET_PAUSE: std::time::Duration = std::time::Duration::from_millis(500);

/// The session an access token opens: its user and device, asked of the
/// homeserver (`whoami`) from a throwaway client, so that the bot's own
/// crypto store is set up for the right device from the start.
async fn token_session(homeserver: &str, token: &str) -> Result<MatrixSession, MatrixError> {
    use matrix_sdk::SessionMeta;
    use matrix_sdk::authentication::SessionTokens;
    use matrix_sdk::ruma::api::client::account::whoami;
    let probe = Client::builder().homeserver_url(homeserver).build().await?;
    let tokens = SessionTokens {
        access_token: token.to_string(),
        refresh_token: None,
    };
    // A placeholder device for the probe only: `whoami` answers by token.
    probe
        .restore_session(MatrixSession {
            meta: SessionMeta {
                user_id: matrix_sdk::ruma::owned_user_id!("@sonde:localhost"),
                device_id: "SONDE".into(),
            },
            tokens: tokens.clone(),
        })
        .await?;
    let me = probe
        .send(whoami::v3::Request::new())
        .await
        .map_err(|e| MatrixError::Session(format!("jeton d'accès refusé par le serveur : {e}")))?;
    let device_id = me.device_id.ok_or_else(|| {
        MatrixError::Session("le jeton d'accès ne désigne aucun appareil : créez-le par une connexion".into())
    })?;
    Ok(MatrixSession {
        meta: SessionMeta {
            user_id: me.user_id,
            device_id,
        },
        tokens,
    })
}

/// The transaction id of an outbox delivery: the same key, the same event.
pub fn transaction_id(key: &str) -> OwnedTransactionId {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    OwnedTransactionId::from(format!("ech{hex}"))
}

impl MatrixBot {
    /// Logs in once and keeps the device: the session is restored from the
    /// store folder on later starts.
    /// `store_dir` keeps the session and the crypto store.
    pub async fn connect(
        app: App,
        s: &MatrixSettings,
        store_dir: &Path,
    ) -> Result<Arc<MatrixBot>, MatrixError> {
        crate::files::create_private_dir(store_dir).map_err(|e| MatrixError::Session(e.to_string()))?;
        let client = Client::builder()
            .homeserver_url(&s.homeserver)
            // matrix-sdk's low-memory store settings: one connection per
            // core (not four) and 500 KB of page cache each (not 2 MB), for
            // each of its stores; a bot's load never needs more.
            .sqlite_store_with_config_and_cache_path(
                matrix_sdk::SqliteStoreConfig::with_low_memory_config(store_dir.join("store"))
                    .passphrase(Some(&s.passphrase)),
                None::<&Path>,
            )
            .request_config(RequestConfig::new().retry_limit(5))
            // Cross-signing at the first login (with the password, or
            // where the homeserver allows it without), so that clients
            // show the bot's device as its owner's; backups only with
            // secret storage (see `secure_keys`).
            .with_encryption_settings(matrix_sdk::encryption::EncryptionSettings {
                auto_enable_cross_signing: true,
                backup_download_strategy:
                    matrix_sdk::encryption::BackupDownloadStrategy::AfterDecryptionFailure,
                auto_enable_backups: false,
            })
            .build()
            .await?;
        let path = session_path(store_dir);
        match std::fs::read_to_string(&path) {
            Ok(json) => {
                let session: MatrixSession =
                    serde_json::from_str(&json).map_err(|e| MatrixError::Session(e.to_string()))?;
                client.restore_session(session).await?;
            }
            Err(_) => {
                match &s.login {
                    MatrixLogin::Password(password) => {
                        client
                            .matrix_auth()
                            .login_username(&s.user, password)
                            .initial_device_display_name("echeancier")
                            .send()
                            .await?;
                    }
                    MatrixLogin::AccessToken(token) => {
                        let session = token_session(&s.homeserver, token).await?;
                        client.restore_session(session).await?;
                    }
                }
                if let Some(session) = client.matrix_auth().session() {
                    let json =
                        serde_json::to_string(&session).map_err(|e| MatrixError::Session(e.to_string()))?;
                    // The access token: for this user only.
                    crate::files::write_private(&path, json.as_bytes())
                        .map_err(|e| MatrixError::Session(e.to_string()))?;
                }
            }
        }
        Ok(Arc::new(MatrixBot {
            client,
            app,
            ready: tokio::sync::watch::Sender::new(false),
            room_locks: std::sync::Mutex::default(),
            places: std::sync::Mutex::default(),
            places_turn: tokio::sync::Mutex::const_new(()),
            places_epoch: std::sync::atomic::AtomicU64::new(0),
            pace: pace::Pace::new(s.pace),
            recovery: s.recovery.clone(),
            direct_rooms: tokio::sync::Mutex::default(),
        }))
    }

    fn room_lock(&self, room: &RoomId) -> Arc<tokio::sync::Mutex<()>> {
        self.room_locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(room.to_owned())
            .or_default()
            .clone()
    }

    /// Whether the first sync is done (the outbox waits for it).
    pub fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    /// Returns once the first sync is done.
    pub async fn ready(&self) {
        let _ = self.ready.subscribe().wait_for(|r| *r).await;
    }

    /// Registers the handlers, skips the history with a first sync, then
    /// syncs until `shutdown` flips.
    pub async fn run(
        self: Arc<Self>,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), MatrixError> {
        // An account expired at start waits for its renewal, told once a day.
        loop {
            match self.start().await {
                Ok(()) => break,
                Err(MatrixError::Sdk(e)) if is_expired(&e) => {
                    self.tell_expired().await;
                    tokio::select! {
                        _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
                        _ = shutdown.changed() => return Ok(()),
                    }
                }
                Err(e) => return Err(e),
            }
        }
        self.app.account_valid(Channel::Matrix);
        // The loop returns on the first error (network, homeserver restart):
        // reconnect with a growing pause, up to a minute.
        let mut pause = std::time::Duration::from_secs(1);
        loop {
            let settings = sync_settings().timeout(std::time::Duration::from_secs(10));
            let began = std::time::Instant::now();
            tokio::select! {
                r = sync_forever(&self.client, settings) => {
                    // A sync that held a while was a good connection: the
                    // next outage starts again from a short pause.
                    if began.elapsed() > std::time::Duration::from_secs(60) {
                        pause = std::time::Duration::from_secs(1);
                    }
                    match r {
                        Err(e) if is_expired(&e) => self.tell_expired().await,
                        Err(e) => tracing::warn!(error = %e, ?pause, "matrix sync interrupted, reconnecting"),
                        Ok(()) => {}
                    }
                }
                _ = shutdown.changed() => return Ok(()),
            }
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => return Ok(()),
            }
            // Renewed: the account answers again.
            if self.client.whoami().await.is_ok() {
                self.app.account_valid(Channel::Matrix);
            }
            pause = (pause * 2).min(std::time::Duration::from_secs(60));
        }
    }

    /// The homeserver refuses the account as expired: `/healthz` says so and
    /// the administrators are told (once a day).
    async fn tell_expired(&self) {
        tracing::error!(
            "matrix: the homeserver refuses the bot's account as expired (ORG_MATRIX_EXPIRED_ACCOUNT)"
        );
        let me = self.client.user_id().map(|u| u.to_string()).unwrap_or_default();
        if let Err(e) = self.app.account_expired(Channel::Matrix, &me).await {
            tracing::error!(error = %e, "matrix: the administrators could not be told of the expired account");
        }
    }

    /// With a recovery secret, the account's cross-signing keys live in its
    /// secret storage: set up the first time, taken back by a new device
    /// (a lost data folder), so the bot keeps the identity its users
    /// verified once. Without one, it says what is at stake.
    async fn secure_keys(&self) {
        use matrix_sdk::encryption::recovery::RecoveryState;
        let encryption = self.client.encryption();
        encryption.wait_for_e2ee_initialization_tasks().await;
        let recovery = encryption.recovery();
        let Some(secret) = &self.recovery else {
            if recovery.state() != RecoveryState::Enabled {
                tracing::warn!(
                    "matrix: no recovery key (cle_recuperation_env or cle_recuperation_fichier): the bot's keys are on this machine only"
                );
            }
            return;
        };
        let result = match recovery.state() {
            RecoveryState::Enabled => Ok(()),
            RecoveryState::Incomplete => recovery.recover(secret).await,
            RecoveryState::Disabled | RecoveryState::Unknown => {
                recovery.enable().with_passphrase(secret).await.map(|_| ())
            }
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "matrix: secret storage could not be set up or opened");
        }
    }

    /// Handlers and the first sync (old messages are not answered again).
    pub async fn start(self: &Arc<Self>) -> Result<(), MatrixError> {
        self.client.sync_once(SyncSettings::default()).await?;
        self.secure_keys().await;
        // Invitations that came while no instance was syncing are answered
        // now; the first sync's events went to no handler.
        for room in self.client.invited_rooms() {
            let inviter = match room.invite_details().await {
                Ok(d) => d.inviter.map(|m| m.user_id().to_owned()),
                Err(_) => None,
            };
            if let Some(inviter) = inviter {
                self.answer_invite(&room, inviter.as_str()).await;
            }
        }
        let bot = self.clone();
        self.client
            .add_event_handler(move |ev: StrippedRoomMemberEvent, room: Room| {
                let bot = bot.clone();
                async move { bot.on_invite(ev, room).await }
            });
        let bot = self.clone();
        self.client
            .add_event_handler(move |_: SyncRoomMemberEvent, room: Room| {
                let bot = bot.clone();
                async move { bot.forget_place(room.room_id()) }
            });
        let bot = self.clone();
        self.client
            .add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
                let bot = bot.clone();
                async move { bot.on_message(ev, room).await }
            });
        let bot = self.clone();
        self.client
            .add_event_handler(move |ev: OriginalSyncReactionEvent, room: Room| {
                let bot = bot.clone();
                async move { bot.on_reaction(ev, room).await }
            });
        self.ready.send_replace(true);
        Ok(())
    }

    async fn on_invite(&self, ev: StrippedRoomMemberEvent, room: Room) {
        let Some(me) = self.client.user_id() else { return };
        if ev.state_key != me || room.state() != RoomState::Invited {
            return;
        }
        self.answer_invite(&room, ev.sender.as_str()).await;
    }

    /// Joins when a known staff account invites; a partner's invitation is
    /// accepted only into a declared partners' room; declines otherwise.
    async fn answer_invite(&self, room: &Room, inviter: &str) {
        let actor = self.app.actor("matrix", inviter).await.ok().flatten();
        let accept = match actor {
            None => false,
            Some(actor) if self.app.is_staff(&actor) => true,
            Some(_) => matches!(self.place_of(room).await, Place::Partners { .. }),
        };
        let result = if accept {
            room.join().await
        } else {
            room.leave().await
        };
        if let Err(e) = result {
            tracing::warn!(room = %room.room_id(), error = %e, "invitation handling failed");
        }
    }

    async fn on_message(&self, ev: OriginalSyncRoomMessageEvent, room: Room) {
        if Some(ev.sender.as_ref()) == self.client.user_id() || room.state() != RoomState::Joined {
            return;
        }
        let MessageType::Text(text) = &ev.content.msgtype else {
            return;
        };
        let place = self.place_of(&room).await;
        let Some(reply) = self
            .app
            .handle_in(&place, "matrix", ev.sender.as_str(), &text.body)
            .await
        else {
            return;
        };
        // In the thread of the command (or of its thread, if it is in one).
        let root = match &ev.content.relates_to {
            Some(Relation::Thread(t)) => t.event_id.clone(),
            _ => ev.event_id.clone(),
        };
        let mut content = RoomMessageEventContent::text_plain(reply);
        content.relates_to = Some(Relation::Thread(Thread::plain(root, ev.event_id.clone())));
        self.pace.reply().await;
        let lock = self.room_lock(room.room_id());
        let _turn = lock.lock().await;
        if let Err(e) = room.send(content).await {
            tracing::warn!(room = %room.room_id(), error = %e, "matrix reply failed");
        }
    }

    /// ✅ on a reminder acknowledges it; in a partners' room, 👍 on the
    /// reminder of a communication approves it and 👎 asks for the reason
    /// of the objection (the convention wants one).
    async fn on_reaction(&self, ev: OriginalSyncReactionEvent, room: Room) {
        if Some(ev.sender.as_ref()) == self.client.user_id() {
            return;
        }
        // Without the emoji variation selector or a skin tone.
        let key: String = ev
            .content
            .relates_to
            .key
            .chars()
            .filter(|c| *c != '\u{fe0f}' && !('\u{1f3fb}'..='\u{1f3ff}').contains(c))
            .collect();
        if !matches!(key.as_str(), "✅" | "👍" | "👎") {
            return;
        }
        let target = ev.content.relates_to.event_id.to_string();
        // Only a reminder posted in this very room: a reaction elsewhere to
        // a forwarded or guessed event id acts on nothing.
        let place = self.place_of(&room).await;
        let direct_with = matches!(place, Place::Direct).then_some(ev.sender.as_str());
        let Ok(Some(reminder)) = self
            .app
            .reminder_posted(&target, room.room_id().as_str(), direct_with)
            .await
        else {
            return;
        };
        let sender = ev.sender.as_str();
        let reply = match key.as_str() {
            "✅" => {
                self.app
                    .handle_in(&place, "matrix", sender, &format!("!ack {reminder}"))
                    .await
            }
            thumb => {
                let Ok(Some(reference)) = self.app.reminder_case(reminder).await else {
                    return;
                };
                if thumb == "👍" {
                    self.app
                        .handle_in(&place, "matrix", sender, &format!("!approuve {reference}"))
                        .await
                } else {
                    // The reference is that of the reminder shown here; who
                    // may object is checked when the reason comes.
                    let text = format!(
                        "Pour vous opposer à {reference}, envoyez le motif : !objection {reference} motif"
                    );
                    crate::view::chat_out("matrix", &text);
                    Some(text)
                }
            }
        };
        let Some(reply) = reply else {
            return;
        };
        let mut content = RoomMessageEventContent::text_plain(reply);
        content.relates_to = Some(Relation::Thread(Thread::plain(
            ev.content.relates_to.event_id.clone(),
            ev.content.relates_to.event_id.clone(),
        )));
        self.pace.reply().await;
        let lock = self.room_lock(room.room_id());
        let _turn = lock.lock().await;
        let _ = room.send(content).await;
    }

    /// The audience of a room: the one declared in the configuration; a room
    /// of two (the sender and the bot) is a direct conversation; any other
    /// room is undeclared and shows no individual case.
    async fn place_of(&self, room: &Room) -> Place {
        if let Some(r) = self
            .app
            .options
            .matrix_rooms
            .iter()
            .find(|r| r.room_id == room.room_id().as_str())
        {
            return crate::app::room_place(r);
        }
        // From the member list, not the room summary: homeservers send the
        // summary's counts only to clients that lazy-load members. Any
        // failure to read it counts as a shared room.
        let cached = |bot: &Self| {
            bot.places
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(room.room_id())
                .cloned()
        };
        if let Some(p) = cached(self) {
            return p;
        }
        let _turn = self.places_turn.lock().await;
        if let Some(p) = cached(self) {
            return p;
        }
        let epoch = self.places_epoch.load(std::sync::atomic::Ordering::SeqCst);
        // The bot syncs without lazy loading, so its store holds the whole
        // member list; asked of the server only if it looks incomplete.
        let active = matrix_sdk::RoomMemberships::ACTIVE;
        let members = match room.members_no_sync(active).await {
            Ok(m) if m.len() >= 2 => Ok(m),
            _ => room.members(active).await,
        };
        let place = match members {
            Ok(m) if m.len() == 2 => Place::Direct,
            _ => Place::Undeclared,
        };
        let mut places = self.places.lock().unwrap_or_else(|e| e.into_inner());
        if self.places_epoch.load(std::sync::atomic::Ordering::SeqCst) == epoch {
            places.insert(room.room_id().to_owned(), place.clone());
        }
        place
    }

    fn forget_place(&self, room: &RoomId) {
        let mut places = self.places.lock().unwrap_or_else(|e| e.into_inner());
        self.places_epoch
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        places.remove(room);
    }

    /// Sends an outbox message to a room, or to a person (`@user:server`)
    /// in the direct room with them; the transaction id comes from its key.
    /// Returns the event id, kept so that reactions find the reminder.
    pub async fn send(
        &self,
        recipient: &str,
        text: &str,
        html: &str,
        key: &str,
    ) -> Result<String, SendError> {
        let room = if recipient.starts_with('@') {
            self.direct_room(recipient).await?
        } else {
            let room_id: OwnedRoomId = RoomId::parse(recipient)
                .map_err(|_| SendError::Permanent(format!("salon « {recipient} » invalide")))?;
            self.client
                .get_room(&room_id)
                .ok_or_else(|| SendError::Transient(format!("salon {room_id} pas encore rejoint")))?
        };
        let room_id = room.room_id().to_owned();
        let content = RoomMessageEventContent::text_html(text, html);
        self.pace.bulk().await;
        let lock = self.room_lock(&room_id);
        let _turn = lock.lock().await;
        match room.send(content).with_transaction_id(transaction_id(key)).await {
            Ok(r) => Ok(r.response.event_id.to_string()),
            Err(e) => Err(send_failure(&e)),
        }
    }
}

impl MatrixBot {
    /// The direct room with `user`: one the bot shares with that person
    /// only, or a new one (encrypted, the person invited). Never a room a
    /// third person joined since: what is personal stays between two.
    async fn direct_room(&self, user: &str) -> Result<Room, SendError> {
        let user_id = matrix_sdk::ruma::UserId::parse(user)
            .map_err(|_| SendError::Permanent("compte Matrix invalide".into()))?;
        let mut known = self.direct_rooms.lock().await;
        let me = self.client.user_id().map(ToOwned::to_owned);
        let only_us = async |room: &Room| {
            let members = room.members(RoomMemberships::ACTIVE).await.unwrap_or_default();
            members
                .iter()
                .all(|m| m.user_id() == user_id || Some(m.user_id()) == me.as_deref())
        };
        if let Some(room) = known.get(&user_id).and_then(|id| self.client.get_room(id))
            && only_us(&room).await
        {
            return Ok(room);
        }
        for room in self.client.get_dm_rooms(&user_id) {
            if only_us(&room).await {
                known.insert(user_id.clone(), room.room_id().to_owned());
                return Ok(room);
            }
        }
        let room = self
            .client
            .create_dm(&user_id)
            .await
            .map_err(|e| send_failure(&e))?;
        known.insert(user_id, room.room_id().to_owned());
        Ok(room)
    }
}

/// A failed send as the outbox sees it. matrix-sdk already retries a 429
/// after its `retry_after_ms` (the client's `retry_limit`); one that still
/// comes back says when to try again, and the outbox waits that long
/// without using up an attempt.
/// The homeserver refuses the account as expired (Synapse's account
/// validity, which Tchap uses).
fn is_expired(e: &matrix_sdk::Error) -> bool {
    e.client_api_error_kind()
        .is_some_and(|k| k.errcode().as_str() == "ORG_MATRIX_EXPIRED_ACCOUNT")
}

fn send_failure(e: &matrix_sdk::Error) -> SendError {
    use matrix_sdk::ruma::api::error::{ErrorKind, LimitExceededErrorData, RetryAfter};
    // An expired account waits for its renewal without using up attempts.
    if is_expired(e) {
        return SendError::Misconfigured("le compte Matrix du robot a expiré : faites-le renouveler".into());
    }
    match e.client_api_error_kind() {
        Some(ErrorKind::LimitExceeded(LimitExceededErrorData { retry_after, .. })) => {
            SendError::RateLimited(match retry_after {
                Some(RetryAfter::Delay(d)) => *d,
                Some(RetryAfter::DateTime(t)) => {
                    t.duration_since(std::time::SystemTime::now()).unwrap_or_default()
                }
                None => std::time::Duration::from_secs(5),
            })
        }
        _ => SendError::Transient(crate::channel::technical("du serveur Matrix", e)),
    }
}

/// The Matrix bot of this instance, when it leads the account.
pub type MatrixSlot = Arc<std::sync::RwLock<Option<Arc<MatrixBot>>>>;

/// The outbox's Matrix channel: sends through the bot while this instance
/// leads the account and its first sync is done (its crypto state being its
/// own, only the instance that syncs may send).
#[derive(Default)]
pub struct MatrixSender {
    slot: MatrixSlot,
}

impl MatrixSender {
    /// A sender for the bot that fills `slot` while it leads the account.
    pub fn new(slot: MatrixSlot) -> Arc<MatrixSender> {
        Arc::new(MatrixSender { slot })
    }

    /// A sender for one bot (tests, benchmarks).
    pub fn of(bot: Arc<MatrixBot>) -> Arc<MatrixSender> {
        MatrixSender::new(Arc::new(std::sync::RwLock::new(Some(bot))))
    }

    fn bot(&self) -> Option<Arc<MatrixBot>> {
        self.slot.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Sender for MatrixSender {
    fn channel(&self) -> Channel {
        Channel::Matrix
    }

    fn ready(&self) -> bool {
        self.bot().is_some_and(|b| b.is_ready())
    }

    fn send<'a>(&'a self, d: Delivery<'a>) -> futures_util::future::BoxFuture<'a, Sent> {
        Box::pin(async move {
            let Some(bot) = self.bot() else {
                return Err(SendError::Transient("Matrix non configuré".into()));
            };
            let m = d.message;
            // A reminder says how to acknowledge it from the room.
            let text = match m.buttons {
                Some(id) => format!("{}\nRéagissez ✅ pour dire « vu » (comme !ack {id}).", m.text),
                None => m.text.clone(),
            };
            crate::view::chat_out("matrix", &text);
            crate::view::chat_out("matrix", &m.html);
            bot.send(d.recipient, &text, &m.html, d.key).await.map(Some)
        })
    }
}
