//! One-click actions from reminder emails: Fait / Reporter / Vu links,
//! signed for that person, that reminder and that action, valid while the
//! step is open. A link opens a confirmation page whose button posts:
//! nothing happens on GET, so mail scanners that open links change nothing.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use base64::Engine;
use echeancier_core::french::long_date;
use maud::html;

use crate::app::commands::ButtonAction;
use crate::channel::ActionLinks;

use super::layout::{self, AlertKind, Menu, Nav};
use super::{Office, failure, form_date, session};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Signs the links of reminder emails.
pub struct Links {
    key: Arc<Vec<u8>>,
    base: String,
}

impl Links {
    pub fn new(key: Arc<Vec<u8>>, base: String) -> Links {
        Links { key, base }
    }

    fn token(&self, recipient: &str, reminder: i64, action: &str) -> String {
        let payload = B64.encode(format!("{reminder}|{action}|{}", recipient.to_lowercase()));
        let sig = session::sign(&self.key, &["action", &payload]);
        format!("{payload}.{sig}")
    }
}

impl ActionLinks for Links {
    fn links(&self, recipient: &str, reminder: i64) -> Vec<(&'static str, String)> {
        [("Fait", "fait"), ("Reporter", "report"), ("Vu", "vu")]
            .into_iter()
            .map(|(label, action)| {
                (
                    label,
                    format!("{}/action/{}", self.base, self.token(recipient, reminder, action)),
                )
            })
            .collect()
    }
}

/// What a link says, once its signature is checked.
struct Claim {
    reminder: i64,
    action: ButtonAction,
    email: String,
}

fn verify(key: &[u8], token: &str) -> Option<Claim> {
    let (payload, sig) = token.split_once('.')?;
    if !session::same(&session::sign(key, &["action", payload]), sig) {
        return None;
    }
    let text = String::from_utf8(B64.decode(payload).ok()?).ok()?;
    let mut parts = text.splitn(3, '|');
    let reminder = parts.next()?.parse().ok()?;
    let action = match parts.next()? {
        "fait" => ButtonAction::Done,
        "report" => ButtonAction::Reschedule,
        "vu" => ButtonAction::Seen,
        _ => return None,
    };
    Some(Claim {
        reminder,
        action,
        email: parts.next()?.to_string(),
    })
}

const NO_MENU: Menu = Menu {
    staff: false,
    partner: false,
};

fn invalid() -> Response {
    super::message_page(
        StatusCode::NOT_FOUND,
        "Lien invalide",
        "Ce lien d'action n'est pas valable (adresse incomplète ou modifiée). Ouvrez le dossier depuis le bureau, ou répondez par une commande dans la messagerie.",
    )
}

fn closed() -> Response {
    super::message_page(
        StatusCode::GONE,
        "Étape close",
        "Cette étape n'est plus ouverte (faite, reportée ou dossier clos) : ce lien ne sert plus, rien n'a été modifié.",
    )
}

/// The claim, its step's description, and the person it was signed for,
/// or the page saying why not.
async fn resolve(
    office: &Office,
    token: &str,
) -> Result<(Claim, crate::app::office::Person, String), Response> {
    let claim = verify(&office.key, token).ok_or_else(invalid)?;
    let person = match office.app.person_by_email(&claim.email).await {
        Ok(Some(p)) => p,
        Ok(None) => return Err(invalid()),
        Err(e) => return Err(failure(&e)),
    };
    let what = match office.app.open_reminder_step(claim.reminder).await {
        Ok(Some((reference, step, due))) => format!(
            "Dossier {reference}, étape « {} », échéance le {}.",
            super::pages::step_name(office, &procedure_of(office, &reference), &step),
            long_date(due)
        ),
        Ok(None) => return Err(closed()),
        Err(e) => return Err(failure(&e)),
    };
    Ok((claim, person, what))
}

fn procedure_of(office: &Office, reference: &str) -> String {
    let prefix = reference.split('-').next().unwrap_or_default();
    office
        .app
        .library()
        .by_prefix(prefix)
        .map(|p| p.id.clone())
        .unwrap_or_default()
}

pub async fn confirm(State(office): State<Office>, jar: CookieJar, Path(token): Path<String>) -> Response {
    let (claim, _, what) = match resolve(&office, &token).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let (jar, csrf) = session::anonymous_csrf(&office, jar);
    let (title, button) = match claim.action {
        ButtonAction::Done => ("Marquer l'étape faite", "Confirmer : étape faite aujourd'hui"),
        ButtonAction::Reschedule => ("Reporter l'étape", "Reporter"),
        ButtonAction::Seen => ("Rappel vu", "Confirmer : j'ai vu ce rappel"),
    };
    let body = html! {
        p { (what) }
        form method="post" action=(format!("/action/{token}")) {
            input type="hidden" name="csrf" value=(csrf);
            @if claim.action == ButtonAction::Reschedule {
                (super::case::reschedule_fields("", "Nouvelle date"))
            }
            button class="fr-btn" type="submit" { (button) }
        }
    };
    (jar, layout::page(title, Nav::None, &NO_MENU, None, body)).into_response()
}

pub async fn act(
    State(office): State<Office>,
    jar: CookieJar,
    Path(token): Path<String>,
    Form(f): Form<super::case::DateForm>,
) -> Response {
    if !session::anonymous_csrf_ok(&office, &jar, &f.csrf) {
        return super::message_page(
            StatusCode::FORBIDDEN,
            "Formulaire expiré",
            "Ce formulaire n'est plus valable (jeton de sécurité absent ou ancien) : rien n'a été modifié. Rouvrez le lien de votre courriel.",
        );
    }
    let (claim, person, what) = match resolve(&office, &token).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let who = crate::app::Who {
        actor: format!("personne:{} (courriel)", person.actor.person_id),
        channel: "web".into(),
    };
    let result = match claim.action {
        ButtonAction::Reschedule => {
            let to = match form_date(&f.date, "Nouvelle date") {
                Ok(d) => d,
                Err(m) => {
                    return page(
                        AlertKind::Error,
                        "Rien n'a été modifié",
                        &m,
                        StatusCode::BAD_REQUEST,
                    );
                }
            };
            office
                .app
                .reschedule_reminder(
                    &person.actor,
                    &who,
                    claim.reminder,
                    to,
                    &f.motif,
                    f.confirme.as_deref() == Some("oui"),
                )
                .await
                .map(|()| format!("Étape reportée au {}.", long_date(to)))
        }
        action => office
            .app
            .press_as(&person.actor, &who, claim.reminder, action)
            .await
            .map(|_| match action {
                ButtonAction::Done => "Étape marquée faite aujourd'hui.".to_string(),
                _ => "Rappel vu : les relances de cette étape s'arrêtent.".to_string(),
            }),
    };
    match result {
        Ok(text) => page(
            AlertKind::Success,
            "C'est fait",
            &format!("{what} {text}"),
            StatusCode::OK,
        ),
        Err(e @ (crate::app::AppError::Store(_) | crate::app::AppError::Runtime(_))) => failure(&e),
        Err(e) => page(
            AlertKind::Error,
            "Rien n'a été modifié",
            &e.to_string(),
            StatusCode::BAD_REQUEST,
        ),
    }
}

fn page(kind: AlertKind, title: &str, text: &str, status: StatusCode) -> Response {
    let body = html! {
        (layout::alert(kind, title, text))
        p { a class="fr-link" href="/" { "Ouvrir le bureau" } }
    };
    (status, layout::page(title, Nav::None, &NO_MENU, None, body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_verify_only_unchanged() {
        let links = Links::new(
            Arc::new(b"0123456789abcdef0123456789abcdef".to_vec()),
            "http://x".into(),
        );
        let token = links.token("CPE@Example.fr", 42, "fait");
        let claim = verify(&links.key, &token).expect("valid");
        assert_eq!(
            (claim.reminder, claim.action, claim.email.as_str()),
            (42, ButtonAction::Done, "cpe@example.fr")
        );
        // Another reminder, another action or another key: refused.
        let other = links.token("cpe@example.fr", 43, "fait");
        let (payload, _) = other.split_once('.').expect("dot");
        let (_, sig) = token.split_once('.').expect("dot");
        assert!(verify(&links.key, &format!("{payload}.{sig}")).is_none());
        assert!(verify(b"another key", &token).is_none());
        assert!(verify(&links.key, "garbage").is_none());
        assert_eq!(links.links("a@b.fr", 1).len(), 3);
    }
}
