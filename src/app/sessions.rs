//! One-time links to the web office (by email or chat), its sessions, and
//! the signing every link of the office rests on: tokens are stored as
//! digests, so a copy of the database opens nothing.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sha2::Digest;

use crate::channel::Channel;
use crate::store::outbox::{Destination, MessageKind, NewReminder};

use super::{App, AppError, Result, record};

/// How long a one-time link to the office lasts.
pub const LINK_MINUTES: i64 = 15;
/// Links one person may be sent in a quarter of an hour.
const LINKS_PER_QUARTER: i64 = 3;

/// The digest under which a token is stored: a copy of the database
/// opens nothing.
pub fn token_hash(token: &str) -> String {
    let d = sha2::Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `path` is a page of the office: a link or a login never sends
/// anyone elsewhere (`//host` and `/\\host` are other sites to browsers).
pub fn is_office_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= 300
        && !path
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
}

/// HMAC-SHA-256 of `parts` under the office's key, base64url.
pub fn sign(key: &[u8], parts: &[&str]) -> String {
    use base64::Engine;
    use hmac::Mac;
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key) else {
        return String::new();
    };
    for p in parts {
        mac.update(p.as_bytes());
        // A separator no part contains, so that ("ab", "c") ≠ ("a", "bc").
        mac.update(&[0]);
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Compares without an early exit.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A random token for URLs and cookies: 32 bytes, base64url.
pub fn random_token() -> Result<String> {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Runtime(format!("Source aléatoire indisponible : {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

impl App {
    /// Issues a one-time link that signs `person_id` in and opens `target`
    /// (a path of the office). Returns the link.
    pub async fn web_link(&self, person_id: i64, target: &str) -> Result<(String, DateTime<Utc>)> {
        let Some(base) = self.options.web_url.as_deref() else {
            return Err(AppError::Invalid(
                "Le bureau web n'est pas activé sur ce serveur ([web] adresse dans la configuration).".into(),
            ));
        };
        let now = self.clock.now();
        let sent = self
            .store
            .web_links_since(person_id, now - Duration::minutes(LINK_MINUTES))
            .await?;
        if sent >= LINKS_PER_QUARTER {
            return Err(AppError::Invalid(
                "Trop de liens demandés : réessayez dans un quart d'heure.".into(),
            ));
        }
        let target = if is_office_path(target) { target } else { "/" };
        let token = random_token()?;
        let expires = now + Duration::minutes(LINK_MINUTES);
        self.store
            .insert_web_link(&token_hash(&token), person_id, target, now, expires)
            .await?;
        Ok((format!("{base}/connexion/lien/{token}"), expires))
    }

    /// Sends a login link to the person with this address, if any; says
    /// the same either way, so that nobody learns who is known.
    pub async fn request_login_email(&self, email: &str, target: &str) -> Result<()> {
        let Some(person) = self.store.person_by_email(email).await? else {
            tracing::info!("login link asked for an unknown address");
            return Ok(());
        };
        let (url, expires) = match self.web_link(person, target).await {
            Ok(l) => l,
            // Over the limit: silently nothing, as for an unknown address.
            Err(AppError::Invalid(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        let Some(address) = self.store.actor_by_person(person).await?.and_then(|(_, e)| e) else {
            return Ok(());
        };
        let now = self.clock.now();
        let key = format!("lien-web:{}", &token_hash(&url)[..24]);
        self.store
            .decide_now(
                &NewReminder {
                    key,
                    case_id: None,
                    step: None,
                    due_on: None,
                    kind: MessageKind::WebLink,
                    role: None,
                    send_at: now,
                    late: false,
                    payload: json!({"lien": url, "expire": crate::store::ts(expires)}),
                },
                &[Destination::new(Channel::Email, address)],
                now,
            )
            .await?;
        Ok(())
    }

    /// Signs a person in with a one-time link: their id and the page to
    /// open, or `None` when the link expired, served already or is unknown.
    pub async fn use_web_link(&self, token: &str) -> Result<Option<(i64, String)>> {
        let now = self.clock.now();
        let Some((person, target)) = self.store.use_web_link(&token_hash(token), now).await? else {
            return Ok(None);
        };
        let mut tx = self.store.begin().await?;
        record(
            &mut tx,
            &Self::web_who(person),
            now,
            None,
            "connexion",
            json!({"methode": "lien"}),
        )
        .await?;
        tx.commit().await?;
        Ok(Some((person, target)))
    }

    pub async fn web_link_usable(&self, token: &str) -> Result<bool> {
        Ok(self
            .store
            .web_link_usable(&token_hash(token), self.clock.now())
            .await?)
    }

    /// Opens a session for a person; returns its cookie token.
    pub async fn open_session(&self, person_id: i64, method: &str, hours: u32) -> Result<String> {
        let token = random_token()?;
        let now = self.clock.now();
        self.store
            .open_session(
                &token_hash(&token),
                person_id,
                method,
                now,
                now + Duration::hours(i64::from(hours)),
            )
            .await?;
        Ok(token)
    }

    pub async fn session_person(&self, token: &str) -> Result<Option<i64>> {
        Ok(self
            .store
            .session_person(&token_hash(token), self.clock.now())
            .await?)
    }

    pub async fn close_session(&self, token: &str) -> Result<()> {
        Ok(self.store.close_session(&token_hash(token)).await?)
    }

    /// The key that signs one-click links and feed addresses.
    pub async fn signing_key(&self) -> Result<Vec<u8>> {
        use base64::Engine;
        let fresh = random_token()?;
        let stored = self.store.web_key(&fresh).await?;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(stored.as_bytes())
            .map_err(|_| AppError::Runtime("clé de signature illisible".into()))
    }
}
