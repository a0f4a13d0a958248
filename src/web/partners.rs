//! The partners' page: the communications submitted to their organisation,
//! with Approuver / Objection buttons. Partners never see an individual
//! case: their scope holds partnership items only (`authz::visible`), and
//! a case page asked for by reference answers "introuvable".

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use echeancier_core::case::PartnerAnswer;
use echeancier_core::french::long_date;
use maud::html;
use serde::Deserialize;

use crate::app::office::PartnerState;
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
    let own = office.app.partner_orgs(&staff.person.actor);
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
            // Only items whose steps wait on each partner's answer (a
            // communication, not the convention it belongs to) take one.
            @let answerable = office.app.library().get(&v.case.procedure)
                .is_some_and(|p| p.steps.iter().any(|s| s.per_partner()));
            @let waiting: Vec<&PartnerState> = v.partner_states.iter()
                .filter(|p| answerable && v.case.open && p.answer.is_none() && own.contains(&p.id.as_str()))
                .collect();
            div class="fr-card fr-card--no-arrow fr-mb-3w" {
                div class="fr-card__body" {
                    div class="fr-card__content" {
                        h2 class="fr-card__title" { (v.case.reference) " — " (v.case.title.as_deref().unwrap_or("communication")) }
                        p class="fr-card__desc" { (procedure_name(office, &v.case.procedure)) }
                        // DSFR orders a card's content: anything but the title
                        // and description goes in its end, or it shows first.
                        div class="fr-card__end" {
                            @if answerable {
                                ul {
                                    @for p in &v.partner_states { li { (p.name) " : " (partner_state(p)) } }
                                }
                            } @else if !v.partner_states.is_empty() {
                                p { "Partenaires : " (partner_names(&v.partner_states)) }
                            }
                            @let pending: Vec<_> = v.steps.iter().filter(|s| s.state.is_pending()).collect();
                            @if !pending.is_empty() {
                                ul {
                                    @for s in pending {
                                        li { (step_name(office, &v.case.procedure, &s.step)) @if let Some(d) = s.due { " : au plus tard le " (long_date(d)) } }
                                    }
                                }
                            }
                        }
                    }
                    @if !waiting.is_empty() {
                        div class="fr-card__footer" {
                            @for p in &waiting {
                                @let id = format!("{}-{}", v.case.reference, p.id);
                                @if waiting.len() > 1 { p class="fr-text--bold fr-mb-1w" { "Pour " (p.name) } }
                                div class="fr-grid-row fr-grid-row--gutters" {
                                    div class="fr-col-12 fr-col-md-4" {
                                        form method="post" action=(format!("/partenariat/{}", v.case.reference)) {
                                            input type="hidden" name="csrf" value=(staff.csrf);
                                            input type="hidden" name="partenaire" value=(p.id);
                                            input type="hidden" name="reponse" value="approuve";
                                            button class="fr-btn" type="submit" { "Approuver" }
                                        }
                                    }
                                    div class="fr-col-12 fr-col-md-8" {
                                        form method="post" action=(format!("/partenariat/{}", v.case.reference)) {
                                            input type="hidden" name="csrf" value=(staff.csrf);
                                            input type="hidden" name="partenaire" value=(p.id);
                                            input type="hidden" name="reponse" value="objection";
                                            div class="fr-input-group" {
                                                label class="fr-label" for=(format!("motif-{id}")) { "Motif de l'objection" }
                                                input class="fr-input" id=(format!("motif-{id}")) name="motif" required maxlength="500";
                                            }
                                            button class="fr-btn fr-btn--secondary" type="submit" { "Objection" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    shell(office, staff, "Partenariat", Nav::Partners, body).into_response()
}

/// The partners of an item that takes no answers (a convention's signatories).
pub(super) fn partner_names(states: &[PartnerState]) -> String {
    states
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A partner's position on an item, in words.
pub(super) fn partner_state(p: &PartnerState) -> String {
    match (&p.answer, p.received) {
        (Some(PartnerAnswer::Approved(on)), _) => format!("approuvé le {}", long_date(*on)),
        (Some(PartnerAnswer::Objection { on, .. }), _) => format!("objection le {}", long_date(*on)),
        (None, Some(on)) => format!("reçu le {}, réponse attendue", long_date(on)),
        (None, None) => "réception à enregistrer".into(),
    }
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    partenaire: String,
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
        .web_answer(
            &staff.person.actor,
            &reference,
            Some(f.partenaire.clone()).filter(|p| !p.is_empty()),
            objection,
            &staff.who(),
        )
        .await
    {
        Ok(()) => render(&office, &staff, Some((AlertKind::Success, label.into()))).await,
        Err(e @ (crate::app::AppError::Store(_) | crate::app::AppError::Runtime(_))) => failure(&e),
        Err(e) => render(&office, &staff, Some((AlertKind::Error, e.to_string()))).await,
    }
}
