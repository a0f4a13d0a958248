//! Link codes: tying a chat account to a person in the directory.

use chrono::Duration;
use serde_json::json;

use crate::store::{AuditEntry, Store};

use super::{App, AppError, Result, Who, record};

impl App {
    /// Issues a one-time code that links a `channel` account to a person.
    pub async fn issue_link_code(&self, slug: &str, channel: &str, who: &Who) -> Result<String> {
        if !crate::config::CHANNELS.contains(&channel) {
            return Err(AppError::Invalid(format!(
                "Canal « {channel} » inconnu : console, matrix ou telegram."
            )));
        }
        let (person, _) = self
            .store
            .person_by_slug(slug)
            .await?
            .ok_or_else(|| AppError::Invalid(format!("Personne « {slug} » inconnue dans l'annuaire.")))?;
        let now = self.clock.now();
        // 8 characters from an unambiguous alphabet (32 symbols: 40 bits),
        // drawn from the operating system's random source.
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes)
            .map_err(|e| AppError::Runtime(format!("Source aléatoire indisponible : {e}")))?;
        let code: String = bytes
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        self.store
            .insert_link_code(&code, person, channel, now + Duration::hours(24))
            .await?;
        let mut tx = self.store.begin().await?;
        record(
            &mut tx,
            who,
            now,
            None,
            "code_liaison",
            json!({"personne": slug, "canal": channel}),
        )
        .await?;
        tx.commit().await?;
        Ok(code)
    }

    pub(super) async fn link(&self, channel: &str, external_id: &str, code: &str) -> Result<String> {
        // Keys are chat accounts anyone can make: sweep those whose quota is
        // whole again before the map grows.
        if self.link_attempts.len() > 10_000 {
            self.link_attempts.retain_recent();
        }
        if self
            .link_attempts
            .check_key(&format!("{channel}:{external_id}"))
            .is_err()
        {
            return Err(AppError::TooManyAttempts);
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let Some(person) = Store::use_link_code(&mut tx, code, channel, external_id, now).await? else {
            return Err(AppError::Invalid(
                "Code inconnu, déjà utilisé ou expiré. Demandez un nouveau code à un administrateur.".into(),
            ));
        };
        Store::audit(
            &mut tx,
            &AuditEntry {
                at: now,
                actor: format!("personne:{person} ({channel}:{external_id})"),
                channel: channel.to_string(),
                case_ref: None,
                action: "liaison".into(),
                detail: json!({"canal": channel}),
            },
        )
        .await?;
        tx.commit().await?;
        let name = self.store.person_name(person).await?.unwrap_or_default();
        Ok(format!(
            "✅ Compte relié à la fiche de {name}. Tapez !aide pour la liste des commandes."
        ))
    }
}
