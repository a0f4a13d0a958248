//! A notice to post, ready to print: the family's address block, the date,
//! then the notice in the family's language with the French text
//! alongside, as the email has it. For staff allowed to see the case.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use echeancier_core::french::long_date;
use maud::html;

use super::layout::Nav;
use super::pages::shell;
use super::session::Staff;
use super::{Office, failure};

pub async fn page(
    State(office): State<Office>,
    staff: Staff,
    Path((reference, guardian)): Path<(String, i64)>,
) -> Response {
    let letter = match office.app.letter(&staff.person.actor, &reference, guardian).await {
        Ok(l) => l,
        Err(e) => return failure(&e),
    };
    let lang = letter.notice.lang.clone();
    let dir = if echeancier_core::template::RTL.contains(&lang.as_str()) {
        "rtl"
    } else {
        "ltr"
    };
    let (own, french) = match letter.notice.text.split_once("\n\n———\n") {
        Some((own, french)) => (own.to_string(), Some(french.to_string())),
        None => (letter.notice.text.clone(), None),
    };
    let body = html! {
        p class="fr-hint-text" { "Imprimez cette page (menu du navigateur, Imprimer) et postez-la. Puis marquez la tâche comme faite." }
        div class="fr-card fr-p-4w" {
            address class="fr-mb-4w" {
                strong { (letter.name) } br;
                @if let Some(a) = &letter.address { @for line in a.lines() { (line) br; } }
            }
            p { "Le " (long_date(office.app.today())) ", dossier " (letter.reference) }
            p { strong { (letter.notice.subject) } }
            div lang=(lang) dir=(dir) {
                @for line in own.lines().filter(|l| !l.trim().is_empty()) { p class="fr-mb-1w" { (line) } }
            }
            @if let Some(fr) = french {
                hr;
                div lang="fr" {
                    @for line in fr.lines().filter(|l| !l.trim().is_empty()) { p class="fr-mb-1w" { (line) } }
                }
            }
        }
    };
    shell(&office, &staff, "Avis à poster", Nav::Cases, body).into_response()
}
