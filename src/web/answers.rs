//! Families' answers to an appointment notice: the page a link of the
//! notice opens, in the family's language (the State's frame around it
//! stays French). Nothing happens on GET, so a mail scanner that opens the
//! link changes nothing; the button posts. The link itself is the secret:
//! a family has no session.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::app::answers::{AnswerPage, FamilyAnswer, Stale};

use super::layout::{self, Menu, Nav};
use super::{Office, failure, message_page};

const NO_MENU: Menu = Menu {
    staff: false,
    partner: false,
};

pub async fn confirm(State(office): State<Office>, Path(token): Path<String>) -> Response {
    match office.app.answer_page(&token).await {
        Ok(Ok(page)) => {
            let (text, button) = match page.answer {
                FamilyAnswer::Coming => ("page-oui", "page-bouton-oui"),
                FamilyAnswer::CallMe => ("page-rappel", "page-bouton-rappel"),
            };
            let body = html! {
                p class="fr-text--lead" { (phrase(&office, &page, text)) }
                form method="post" action=(format!("/reponse/{token}")) {
                    button class="fr-btn" type="submit" { (phrase(&office, &page, button)) }
                }
            };
            family_page(&office, &page, StatusCode::OK, body)
        }
        Ok(Err(stale)) => stale_page(&office, &stale),
        Err(e) => failure(&e),
    }
}

pub async fn answer(State(office): State<Office>, Path(token): Path<String>) -> Response {
    match office.app.record_answer(&token).await {
        Ok(Ok(page)) => {
            let text = match page.answer {
                FamilyAnswer::Coming => "page-merci-oui",
                FamilyAnswer::CallMe => "page-merci-rappel",
            };
            let body = html! {
                div class="fr-alert fr-alert--success fr-mb-3w" {
                    p { (phrase(&office, &page, text)) }
                }
            };
            family_page(&office, &page, StatusCode::OK, body)
        }
        Ok(Err(stale)) => stale_page(&office, &stale),
        Err(e) => failure(&e),
    }
}

fn phrase(office: &Office, page: &AnswerPage, id: &str) -> String {
    office
        .app
        .options
        .templates
        .page_text(&page.lang, id, page.at)
        .unwrap_or_default()
}

/// The answer page: its text in the family's language and direction.
fn family_page(office: &Office, page: &AnswerPage, status: StatusCode, body: Markup) -> Response {
    let title = phrase(office, page, "page-titre");
    let dir = if echeancier_core::template::RTL.contains(&page.lang.as_str()) {
        "rtl"
    } else {
        "ltr"
    };
    let body = html! {
        div lang=(page.lang) dir=(dir) {
            h2 { (title) }
            (body)
        }
    };
    (
        status,
        layout::page("Réponse au rendez-vous", Nav::None, &NO_MENU, None, body),
    )
        .into_response()
}

fn stale_page(office: &Office, stale: &Stale) -> Response {
    match stale {
        Stale::Invalid => message_page(
            StatusCode::NOT_FOUND,
            "Lien invalide",
            "Ce lien n'est pas valable. Appelez le numéro donné dans le message reçu.",
        ),
        Stale::Outdated { lang } => {
            let text = |l: &str| {
                office
                    .app
                    .options
                    .templates
                    .page_text(l, "page-perime", chrono::NaiveDateTime::default())
                    .unwrap_or_default()
            };
            let dir = if echeancier_core::template::RTL.contains(&lang.as_str()) {
                "rtl"
            } else {
                "ltr"
            };
            let body = html! {
                div lang=(lang) dir=(dir) { p class="fr-text--lead" { (text(lang)) } }
                @if lang != "fr" { p lang="fr" { (text("fr")) } }
            };
            (
                StatusCode::GONE,
                layout::page("Lien périmé", Nav::None, &NO_MENU, None, body),
            )
                .into_response()
        }
    }
}
