//! Families' answers to an appointment notice. The notice carries two
//! links, "je viendrai" and "rappelez-moi", signed for that guardian and
//! that revision of the appointment. A link opens a page in the family's
//! language whose button posts (`web::answers`); the answer is recorded,
//! written to the audit trail and told to the responsible role in chat,
//! and "rappelez-moi" makes the call task.

use base64::Engine;
use chrono::NaiveDateTime;
use echeancier_core::template::AnswerLinks;
use serde_json::json;

use super::sessions::{same, sign};
use super::{App, AppError, Result, Who, record};
use crate::store::Store;
use crate::store::outbox::{MessageKind, NewReminder};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// What a family answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FamilyAnswer {
    Coming,
    CallMe,
}

impl FamilyAnswer {
    /// The stored and audited code.
    pub fn code(self) -> &'static str {
        match self {
            FamilyAnswer::Coming => "viendra",
            FamilyAnswer::CallMe => "rappel",
        }
    }

    fn parse(code: &str) -> Option<FamilyAnswer> {
        match code {
            "viendra" => Some(FamilyAnswer::Coming),
            "rappel" => Some(FamilyAnswer::CallMe),
            _ => None,
        }
    }
}

/// What a signed answer link says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Claim {
    case_id: i64,
    step: String,
    guardian_id: i64,
    sequence: i64,
    answer: FamilyAnswer,
}

/// What the answer page shows, in the family's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerPage {
    pub lang: String,
    pub at: NaiveDateTime,
    pub answer: FamilyAnswer,
}

/// Why a link no longer answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// Unreadable, or its signature does not hold.
    Invalid,
    /// The appointment moved, passed or was removed, or the case closed.
    Outdated { lang: String },
}

fn token(key: &[u8], c: &Claim) -> String {
    let payload = B64.encode(format!(
        "{}|{}|{}|{}|{}",
        c.case_id,
        c.guardian_id,
        c.sequence,
        c.answer.code(),
        c.step
    ));
    let sig = sign(key, &["reponse", &payload]);
    format!("{payload}.{sig}")
}

fn verify(key: &[u8], token: &str) -> Option<Claim> {
    let (payload, sig) = token.split_once('.')?;
    if !same(&sign(key, &["reponse", payload]), sig) {
        return None;
    }
    let text = String::from_utf8(B64.decode(payload).ok()?).ok()?;
    let mut parts = text.splitn(5, '|');
    Some(Claim {
        case_id: parts.next()?.parse().ok()?,
        guardian_id: parts.next()?.parse().ok()?,
        sequence: parts.next()?.parse().ok()?,
        answer: FamilyAnswer::parse(parts.next()?)?,
        step: parts.next()?.to_string(),
    })
}

impl App {
    /// The answer links of a notice, when the web office runs.
    pub async fn answer_links(
        &self,
        case_id: i64,
        step: &str,
        guardian_id: i64,
        sequence: i64,
    ) -> Result<Option<AnswerLinks>> {
        let Some(base) = self.options.web_url.clone() else {
            return Ok(None);
        };
        let key = self.signing_key().await?;
        let link = |answer| {
            let claim = Claim {
                case_id,
                step: step.to_string(),
                guardian_id,
                sequence,
                answer,
            };
            format!("{base}/reponse/{}", token(&key, &claim))
        };
        Ok(Some(AnswerLinks {
            coming: link(FamilyAnswer::Coming),
            call_me: link(FamilyAnswer::CallMe),
        }))
    }

    /// What a link asks, while it still stands: nothing is changed.
    pub async fn answer_page(&self, token: &str) -> Result<std::result::Result<AnswerPage, Stale>> {
        let key = self.signing_key().await?;
        let Some(claim) = verify(&key, token) else {
            return Ok(Err(Stale::Invalid));
        };
        let mut conn = self.store.pool().acquire().await?;
        self.current(&mut conn, &claim).await
    }

    /// Records the answer of a link (again: the last answer counts), in the
    /// audit trail, and tells the responsible role.
    pub async fn record_answer(&self, token: &str) -> Result<std::result::Result<AnswerPage, Stale>> {
        let key = self.signing_key().await?;
        let Some(claim) = verify(&key, token) else {
            return Ok(Err(Stale::Invalid));
        };
        let mut tx = self.store.begin().await?;
        let page = match self.current(&mut tx, &claim).await? {
            Ok(p) => p,
            Err(stale) => return Ok(Err(stale)),
        };
        let Some(case) = Store::case_by_id(&mut tx, claim.case_id).await? else {
            return Ok(Err(Stale::Invalid));
        };
        let proc = self.procedure(&case.procedure)?.clone();
        let role = proc
            .step(&claim.step)
            .map(|s| s.role.clone())
            .ok_or_else(|| AppError::Invalid(format!("étape « {} » inconnue", claim.step)))?;
        let number = Store::guardians(&mut tx, case.id)
            .await?
            .iter()
            .find(|g| g.id == claim.guardian_id)
            .map_or(0, |g| g.number);
        let now = self.clock.now();
        let changed = Store::set_family_answer(
            &mut tx,
            case.id,
            &claim.step,
            claim.guardian_id,
            claim.sequence,
            claim.answer.code(),
            now,
        )
        .await?;
        if changed {
            let who = Who {
                actor: format!("famille:responsable-{number}"),
                channel: "web".into(),
            };
            record(
                &mut tx,
                &who,
                now,
                Some(case.reference.clone()),
                "reponse_famille",
                json!({"etape": claim.step, "responsable": number, "reponse": claim.answer.code(), "revision": claim.sequence}),
            )
            .await?;
            let to = self.destinations(&mut tx, &case, &role).await?;
            let base = format!(
                "{}/{}/rdv-{}/reponse-{}-{}",
                case.reference,
                claim.step,
                claim.sequence,
                claim.guardian_id,
                claim.answer.code()
            );
            let told = NewReminder {
                key: base.clone(),
                case_id: Some(case.id),
                step: Some(claim.step.clone()),
                due_on: Some(page.at.date()),
                kind: MessageKind::FamilyAnswer,
                role: Some(role.clone()),
                send_at: now,
                late: false,
                payload: json!({"responsable": number, "reponse": claim.answer.code()}),
            };
            Store::decide(&mut tx, &told, &to, now, None, now).await?;
            if claim.answer == FamilyAnswer::CallMe {
                let call = NewReminder {
                    key: format!("{base}/appel"),
                    kind: MessageKind::FamilyCall,
                    payload: json!({"responsable": claim.guardian_id, "motif": "rappel"}),
                    ..told
                };
                Store::decide(&mut tx, &call, &to, now, None, now).await?;
            }
        }
        tx.commit().await?;
        Ok(Ok(page))
    }

    /// The claim's appointment, if it is still the one the link was made
    /// for, still to come, and its guardian still reachable.
    async fn current(
        &self,
        conn: &mut sqlx::AnyConnection,
        claim: &Claim,
    ) -> Result<std::result::Result<AnswerPage, Stale>> {
        let Some(guardian) = Store::guardian(conn, claim.guardian_id).await? else {
            return Ok(Err(Stale::Invalid));
        };
        let lang = self
            .options
            .templates
            .language_for(&guardian.language)
            .to_string();
        let outdated = Stale::Outdated { lang: lang.clone() };
        let Some(case) = Store::case_by_id(conn, claim.case_id).await? else {
            return Ok(Err(Stale::Invalid));
        };
        let belongs = Store::guardians(conn, case.id)
            .await?
            .iter()
            .any(|g| g.id == guardian.id && !g.restricted);
        if !belongs {
            return Ok(Err(Stale::Invalid));
        }
        if !case.open {
            return Ok(Err(outdated));
        }
        let Some(a) = Store::appointment(conn, case.id, &claim.step).await? else {
            return Ok(Err(outdated));
        };
        let calendar = Self::calendar(conn, &case).await?;
        let start = crate::notice::local_to_utc(a.starts_at, calendar.id.time_zone());
        if a.sequence != claim.sequence || start.is_none_or(|s| s <= self.clock.now()) {
            return Ok(Err(outdated));
        }
        Ok(Ok(AnswerPage {
            lang,
            at: a.starts_at,
            answer: claim.answer,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_says_only_what_it_was_signed_for() {
        let key = b"0123456789abcdef0123456789abcdef";
        let claim = Claim {
            case_id: 7,
            step: "entretien".into(),
            guardian_id: 12,
            sequence: 1,
            answer: FamilyAnswer::CallMe,
        };
        let t = token(key, &claim);
        assert_eq!(verify(key, &t), Some(claim.clone()));
        assert_eq!(verify(b"another key, another signature!!", &t), None);
        // Another answer, another guardian: the signature no longer holds.
        let (payload, sig) = t.split_once('.').expect("token");
        let forged = B64.encode(
            String::from_utf8(B64.decode(payload).expect("b64"))
                .expect("utf8")
                .replace("|rappel|", "|viendra|"),
        );
        assert_eq!(verify(key, &format!("{forged}.{sig}")), None);
        assert_eq!(verify(key, "nimporte.quoi"), None);
        assert_eq!(verify(key, ""), None);
    }
}
