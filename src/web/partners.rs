//! The partners' page: the communications submitted to their organisation,
//! with Approuver / Objection buttons. Partners never see an individual
//! case: their scope holds partnership items only (`authz::visible`), and
//! a case page asked for by reference answers "introuvable".

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use echeancier_core::french::long_date;
use maud::html;
use serde::Deserialize;

use crate::store::web::{CaseQuery, CaseSort};

use super::layout::{self, AlertKind, Nav};
use super::pages::{procedure_name, shell, step_name};
use super::session::Staff;
use super::{Office, failure};

pub async fn list(State(office): State<Office>, staff: Staff) -> Response {
    render(&office, &staff, None).await
}

async fn render(office: &Office, staff: &Staff, notice: Option<(AlertKind, String)>) -> Response {
    let query = CaseQuery {
        sort: CaseSort::NextDue,
        limit: 200,
        ..Default::default()
    };
    let (lines, _) = match office.app.case_lines(&staff.person.actor, query).await {
        Ok(found) => found,
        Err(e) => return failure(&e),
    };
    let partner = office.app.is_partner(&staff.person.actor);
    let mut items = Vec::new();
    for l in lines {
        let is_item = office
            .app
            .library()
            .get(&l.procedure)
            .is_some_and(|p| p.audience == echeancier_core::procedure::Audience::Partnership);
        if !is_item {
            continue;
        }
        match office.app.case_view(&staff.person.actor, &l.reference).await {
            Ok(v) => items.push(v),
            Err(e) => return failure(&e),
        }
    }
    let body = html! {
        @if let Some((kind, text)) = &notice {
            (layout::alert(*kind, match kind { AlertKind::Error => "Rien n'a été enregistré", _ => "Réponse enregistrée" }, text))
        }
        p { "Les communications soumises à votre organisme au titre de la convention. Sans réponse de votre part dans le délai, la communication est réputée approuvée." }
        @if items.is_empty() {
            p { "Aucune communication en cours." }
        }
        @for v in &items {
            div class="fr-card fr-card--no-arrow fr-mb-3w" {
                div class="fr-card__body" { div class="fr-card__content" {
                    h2 class="fr-card__title" { (v.case.reference) " — " (v.case.title.as_deref().unwrap_or("communication")) }
                    p class="fr-card__desc" { (procedure_name(office, &v.case.procedure)) }
                    ul {
                        @for s in v.steps.iter().filter(|s| s.state.is_pending()) {
                            li { (step_name(office, &v.case.procedure, &s.step)) @if let Some(d) = s.due { " : au plus tard le " (long_date(d)) } }
                        }
                    }
                    @if partner && v.case.open && v.steps.iter().any(|s| s.state.is_pending()) {
                        div class="fr-grid-row fr-grid-row--gutters" {
                            div class="fr-col-12 fr-col-md-4" {
                                form method="post" action=(format!("/partenariat/{}", v.case.reference)) {
                                    input type="hidden" name="csrf" value=(staff.csrf);
                                    input type="hidden" name="reponse" value="approuve";
                                    button class="fr-btn" type="submit" { "Approuver" }
                                }
                            }
                            div class="fr-col-12 fr-col-md-8" {
                                form method="post" action=(format!("/partenariat/{}", v.case.reference)) {
                                    input type="hidden" name="csrf" value=(staff.csrf);
                                    input type="hidden" name="reponse" value="objection";
                                    div class="fr-input-group" {
                                        label class="fr-label" for=(format!("motif-{}", v.case.reference)) { "Motif de l'objection" }
                                        input class="fr-input" id=(format!("motif-{}", v.case.reference)) name="motif" required maxlength="500";
                                    }
                                    button class="fr-btn fr-btn--secondary" type="submit" { "Objection" }
                                }
                            }
                        }
                    }
                } }
            }
        }
    };
    shell(office, staff, "Partenariat", Nav::Partners, body).into_response()
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reponse: String,
    #[serde(default)]
    motif: String,
}

pub async fn answer(
    State(office): State<Office>,
    staff: Staff,
    Path(reference): Path<String>,
    Form(f): Form<AnswerForm>,
) -> Response {
    if let Err(r) = staff.check(&f.csrf) {
        return r;
    }
    let objection = match f.reponse.as_str() {
        "approuve" => None,
        "objection" => Some(f.motif.clone()),
        _ => {
            return render(
                &office,
                &staff,
                Some((AlertKind::Error, "Réponse inconnue.".into())),
            )
            .await;
        }
    };
    let label = if objection.is_some() {
        "Objection enregistrée : le document ne peut pas être diffusé."
    } else {
        "Approbation enregistrée."
    };
    match office
        .app
        .web_answer(&staff.person.actor, &reference, objection, &staff.who())
        .await
    {
        Ok(()) => render(&office, &staff, Some((AlertKind::Success, label.into()))).await,
        Err(e @ (crate::app::AppError::Store(_) | crate::app::AppError::Runtime(_))) => failure(&e),
        Err(e) => render(&office, &staff, Some((AlertKind::Error, e.to_string()))).await,
    }
}
