//! *Un dossier*: the steps as a timeline with each date's French
//! explanation, the appointments, the family (staff allowed to see the case
//! only) and the audit trail; and the actions on it (step done, reschedule
//! with a reason, appointment, event date), which go through the same
//! `App` code as the chat commands.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use echeancier_core::french::long_date;
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::Change;
use crate::app::office::CaseView;
use crate::store::StepStatus;

use super::layout::{self, AlertKind, Nav};
use super::pages::{procedure_name, shell, short_date, step_name};
use super::session::Staff;
use super::{Office, failure, form_date};

fn state_badge(state: StepStatus) -> Markup {
    let (class, text) = match state {
        StepStatus::Waiting => ("fr-badge--info", "en attente d'une date"),
        StepStatus::Open => ("fr-badge--new", "à faire"),
        StepStatus::Overdue => ("fr-badge--error", "en retard"),
        StepStatus::Done => ("fr-badge--success", "fait"),
        StepStatus::Approved => ("fr-badge--success", "approuvé"),
        StepStatus::ApprovedTacit => ("fr-badge--success", "approuvé tacitement"),
        StepStatus::Blocked => ("fr-badge--warning", "bloqué"),
        StepStatus::Error => ("fr-badge--warning", "à vérifier"),
        StepStatus::Info => ("fr-badge--info", "pour information"),
    };
    html! { span class=(format!("fr-badge fr-badge--sm {class}")) { (text) } }
}

/// When an audit entry was made, in Paris time: "mardi 15 décembre 2026
/// à 14 h 30".
fn audit_time(at: chrono::DateTime<chrono::Utc>) -> String {
    let local = at
        .with_timezone(&echeancier_core::calendar::CalendarId::Metropole.time_zone())
        .naive_local();
    format!(
        "{} à {}",
        long_date(local.date()),
        echeancier_core::french::time(local.time())
    )
}

/// A date recorded with an audit entry, in words when it is one.
fn audit_date(d: &str) -> String {
    d.parse::<chrono::NaiveDate>()
        .map_or_else(|_| d.to_string(), long_date)
}

/// What an audit action is called on the page.
fn action_name(action: &str) -> &str {
    match action {
        "ouverture" => "Ouverture du dossier",
        "evenement" => "Date d'un événement",
        "parametre" => "Paramètre",
        "etape_faite" => "Étape faite",
        "report" => "Report",
        "reception" => "Réception",
        "approbation" => "Approbation",
        "objection" => "Objection",
        "cloture" => "Clôture",
        "rendez_vous" | "rendez-vous" => "Rendez-vous",
        "accuse_reception" => "Rappel vu",
        "famille" => "Famille modifiée",
        "jalon" => "Échéance du contrat ajoutée",
        "nouvelle_version" => "Nouvelle version du document",
        "remplacee" => "Remplacé par une nouvelle version",
        "bilan_rdv" => "Bilan du rendez-vous",
        "reponse_famille" => "Réponse de la famille",
        "appel_famille" => "Famille jointe par téléphone",
        other => other,
    }
}

/// How the audit names who acted: a channel and a person number, never a
/// chat account's address.
fn audit_actor(actor: &str, channel: &str) -> String {
    let person = actor
        .strip_prefix("personne:")
        .and_then(|r| r.split(' ').next())
        .map(|n| format!("personne n° {n}"));
    format!(
        "{} ({channel})",
        person.unwrap_or_else(|| actor.split(' ').next().unwrap_or(actor).to_string())
    )
}

fn step_actions(office: &Office, staff: &Staff, view: &CaseView, step: &str) -> Markup {
    let reference = &view.case.reference;
    let today = office.app.today();
    let proc = office.app.library().get(&view.case.procedure);
    let def = proc.and_then(|p| p.step(step));
    let has_notice = def.is_some_and(|d| d.parent_notice.is_some());
    let reschedulable = def.is_some_and(|d| !d.per_partner() && d.effect.is_none());
    let base = format!("/dossiers/{reference}/etapes/{step}");
    html! {
        div class="fr-grid-row fr-grid-row--gutters fr-mt-1w" {
            div class="fr-col-12 fr-col-md-4" {
                form method="post" action=(format!("{base}/fait")) {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    (date_field(&format!("fait-{step}"), "Fait le", Some(&short_date(today))))
                    button class="fr-btn fr-btn--sm" type="submit" { "Marquer fait" }
                }
            }
            @if reschedulable {
                div class="fr-col-12 fr-col-md-4" {
                    form method="post" action=(format!("{base}/report")) {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        (reschedule_fields(&format!("-{step}"), "Reporter au"))
                        button class="fr-btn fr-btn--sm fr-btn--secondary" type="submit" { "Reporter" }
                    }
                }
            }
            @if has_notice && view.appointments.iter().any(|(s, a)| s == step && a.starts_at <= office.app.now_local()) {
                div class="fr-col-12 fr-col-md-4" {
                    form method="post" action=(format!("{base}/bilan")) {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        div class="fr-select-group" {
                            label class="fr-label" for=(format!("bilan-{step}")) { "Bilan du rendez-vous" }
                            select class="fr-select" id=(format!("bilan-{step}")) name="bilan" {
                                option value="venu" { "La famille est venue" }
                                option value="venu-accompagne" { "La famille est venue accompagnée" }
                                option value="absent" { "La famille n'est pas venue" }
                                option value="excuse" { "La famille s'est excusée" }
                            }
                        }
                        button class="fr-btn fr-btn--sm fr-btn--secondary" type="submit" { "Noter le bilan" }
                    }
                }
            }
            @if has_notice {
                div class="fr-col-12 fr-col-md-4" {
                    form method="post" action=(format!("{base}/rendez-vous")) {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        (date_field(&format!("rdv-date-{step}"), "Rendez-vous le", None))
                        div class="fr-input-group" {
                            label class="fr-label" for=(format!("rdv-heure-{step}")) { "À" span class="fr-hint-text" { "HH:MM" } }
                            input class="fr-input" type="time" id=(format!("rdv-heure-{step}")) name="heure" required;
                        }
                        div class="fr-input-group" {
                            label class="fr-label" for=(format!("rdv-duree-{step}")) { "Durée (minutes)" }
                            input class="fr-input" type="number" min="15" max="240" id=(format!("rdv-duree-{step}")) name="duree" value="60";
                        }
                        div class="fr-checkbox-group fr-mb-2w" {
                            input type="checkbox" id=(format!("rdv-confirme-{step}")) name="confirme" value="oui";
                            label class="fr-label" for=(format!("rdv-confirme-{step}")) { "Après la date légale ou hors des heures des familles, je confirme" }
                        }
                        button class="fr-btn fr-btn--sm fr-btn--tertiary" type="submit" { "Fixer le rendez-vous" }
                    }
                }
            }
        }
    }
}

/// A date field of a form, written JJ/MM/AAAA.
fn date_field(id: &str, label: &str, value: Option<&str>) -> Markup {
    html! {
        div class="fr-input-group" {
            label class="fr-label" for=(id) { (label) span class="fr-hint-text" { "JJ/MM/AAAA" } }
            input class="fr-input" id=(id) name="date" value=[value] required;
        }
    }
}

/// The fields of a reschedule (new date, reason, confirmation past the
/// legal date), here and on the confirmation page of an email's link; ids
/// end with `suffix`.
pub(super) fn reschedule_fields(suffix: &str, label: &str) -> Markup {
    let (motif, confirme) = (format!("motif{suffix}"), format!("confirme{suffix}"));
    html! {
        (date_field(&format!("date{suffix}"), label, None))
        div class="fr-input-group" {
            label class="fr-label" for=(motif) { "Motif" }
            input class="fr-input" id=(motif) name="motif" required maxlength="500";
        }
        div class="fr-checkbox-group fr-mb-2w" {
            input type="checkbox" id=(confirme) name="confirme" value="oui";
            label class="fr-label" for=(confirme) { "Au-delà de la date légale, je confirme" }
        }
    }
}

pub async fn show(State(office): State<Office>, staff: Staff, Path(reference): Path<String>) -> Response {
    render(&office, &staff, &reference, None).await
}

async fn render(
    office: &Office,
    staff: &Staff,
    reference: &str,
    notice: Option<(AlertKind, String)>,
) -> Response {
    let view = match office.app.case_view(&staff.person.actor, reference).await {
        Ok(v) => v,
        Err(e) => return failure(&e),
    };
    let library = office.app.library();
    let proc = library.get(&view.case.procedure);
    let status = if notice
        .as_ref()
        .is_some_and(|(k, _)| matches!(k, AlertKind::Error))
    {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = html! {
        @if let Some((kind, text)) = &notice {
            (layout::alert(*kind, match kind { AlertKind::Error => "Rien n'a été modifié", _ => "C'est fait" }, text))
        }
        p class="fr-text--lead" {
            (procedure_name(office, &view.case.procedure))
            " — " (view.case.establishment.as_deref().unwrap_or(&view.case.departement))
            " — ouvert le " (long_date(view.case.opened_on))
            @if !view.case.open { " — " span class="fr-badge fr-badge--sm" { "clos" } }
        }
        @if let Some(check) = view.condition.as_ref().filter(|c| !c.is_met()) {
            @let sentences: Vec<String> = check.findings.iter().map(|f| f.sentence()).collect();
            (layout::alert(
                AlertKind::Warning,
                "Condition d'ouverture non remplie ou à compléter",
                &format!("{}. {} Renseignez ou corrigez ces dates dans « Dates des événements ».", check.name, sentences.join(" ")),
            ))
        }
        @if let Some(priority) = proc.and_then(|p| p.priority.as_ref()).filter(|_| !view.priority.is_empty()) {
            div class="fr-callout fr-mb-3w" {
                h2 class="fr-callout__title" { "Public prioritaire" }
                p class="fr-callout__text" { (priority.text) }
                ul {
                    @for h in &view.priority {
                        li {
                            @match h.met {
                                Some(true) => { span class="fr-badge fr-badge--sm fr-badge--success fr-mr-1w" { "oui" } }
                                Some(false) => { span class="fr-badge fr-badge--sm fr-badge--warning fr-mr-1w" { "non" } }
                                None => { span class="fr-badge fr-badge--sm fr-badge--info fr-mr-1w" { "à renseigner" } }
                            }
                            (h.text)
                        }
                    }
                }
                p class="fr-text--sm" { "Une indication, pas une condition : le dossier reste ouvert quoi qu'il en soit." }
            }
        }
        @if let Some(rules) = view.rules {
            p class="fr-text--sm" {
                "Dates calculées avec la version " (rules.version) " des règles de la procédure."
                @if rules.newer_waiting { " " strong { "Une nouvelle version des règles attend d'être appliquée à ce dossier (echeancier check)." } }
            }
        }
        h2 { "Étapes" }
        div {
            @for s in &view.steps {
                div class="fr-card fr-card--no-arrow fr-mb-2w" {
                    div class="fr-card__body" {
                        div class="fr-card__content" {
                            @let milestone = echeancier_core::procedure::milestone_number(&s.step)
                                .and_then(|n| view.milestones.iter().find(|(m, _)| *m == n))
                                .map(|(_, t)| t.as_str());
                            h3 class="fr-card__title" {
                                (step_name(office, &view.case.procedure, &s.step))
                                @if let Some(t) = milestone { " : " (t) }
                                " " (state_badge(s.state))
                            }
                            p class="fr-card__desc" {
                                (library.roles.name(&s.role))
                                @if let Some(d) = s.due { " — échéance le " strong { (long_date(d)) } }
                                @if let Some(detail) = &s.state_detail { @if s.state == StepStatus::Waiting { " — " (detail) } }
                            }
                            // DSFR orders a card's content: anything but the
                            // title and description goes in its end, or it
                            // shows above the title.
                            @if !s.explanation.is_empty() || !s.also.is_empty() {
                                div class="fr-card__end" {
                                    @for (label, d) in &s.also { p class="fr-text--sm fr-mb-1w" { (echeancier_core::french::capitalize(label)) " : " (long_date(*d)) } }
                                    @if !s.explanation.is_empty() {
                                        details {
                                            summary { "Comment cette date est calculée" }
                                            ul { @for line in &s.explanation { li { (line) } } }
                                        }
                                    }
                                }
                            }
                        }
                        @if view.case.open && s.state.is_pending() && view.actionable.contains(&s.step) {
                            div class="fr-card__footer" { (step_actions(office, staff, &view, &s.step)) }
                        }
                    }
                }
            }
        }
        @if view.case.open && view.may_add_milestone {
            h2 { "Échéances du contrat" }
            p class="fr-text--sm" { "Chaque objectif daté du contrat devient une étape, rappelée au référent. Son intitulé n'est affiché que sur ce bureau ; les salons lisent « Échéance du contrat n° … »." }
            form method="post" action=(format!("/dossiers/{}/jalons", view.case.reference)) {
                input type="hidden" name="csrf" value=(staff.csrf);
                div class="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom" {
                    div class="fr-col-12 fr-col-md-6" {
                        div class="fr-input-group" {
                            label class="fr-label" for="jalon-intitule" { "Objectif" span class="fr-hint-text" { "Par exemple : assiduité en atelier" } }
                            input class="fr-input" id="jalon-intitule" name="intitule" maxlength="500" required;
                        }
                    }
                    div class="fr-col-12 fr-col-md-3" {
                        div class="fr-input-group" {
                            label class="fr-label" for="jalon-date" { "Échéance" span class="fr-hint-text" { "JJ/MM/AAAA" } }
                            input class="fr-input" id="jalon-date" name="date" required;
                        }
                    }
                    div class="fr-col-12 fr-col-md-3" {
                        button class="fr-btn fr-btn--secondary" type="submit" { "Ajouter l'échéance" }
                    }
                }
            }
        }
        @if view.case.open && !view.datable.is_empty() {
            h2 { "Dates des événements" }
            form method="post" action=(format!("/dossiers/{}/evenements", view.case.reference)) {
                input type="hidden" name="csrf" value=(staff.csrf);
                div class="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom" {
                    div class="fr-col-12 fr-col-md-5" {
                        div class="fr-select-group" {
                            label class="fr-label" for="evenement" { "Événement" }
                            select class="fr-select" id="evenement" name="evenement" {
                                @for id in &view.datable {
                                    @let name = proc.and_then(|p| p.event(id)).map_or(id.as_str(), |e| e.name.as_str());
                                    @let set = view.events.iter().find(|(e, _)| e == id).map(|(_, d)| *d);
                                    option value=(id) { (name) @if let Some(d) = set { " (actuellement le " (short_date(d)) ")" } @else { " (à renseigner)" } }
                                }
                            }
                        }
                    }
                    div class="fr-col-12 fr-col-md-4" {
                        div class="fr-input-group" {
                            label class="fr-label" for="evenement-date" { "Date" span class="fr-hint-text" { "JJ/MM/AAAA" } }
                            input class="fr-input" id="evenement-date" name="date" required;
                        }
                    }
                    div class="fr-col-12 fr-col-md-3" {
                        button class="fr-btn fr-btn--secondary" type="submit" { "Enregistrer la date" }
                    }
                    div class="fr-col-12" {
                        div class="fr-checkbox-group" {
                            input type="checkbox" id="evenement-confirme" name="confirme" value="oui";
                            label class="fr-label" for="evenement-confirme" { "Date hors de l'ordre prévu par la procédure, je confirme" }
                        }
                    }
                }
            }
        }
        @if !view.partner_states.is_empty() {
            h2 { "Partenaires" }
            @if proc.is_some_and(|p| p.steps.iter().any(|s| s.per_partner())) {
                ul {
                    @for p in &view.partner_states { li { (p.name) " : " (super::partners::partner_state(p)) } }
                }
            } @else {
                p { (super::partners::partner_names(&view.partner_states)) }
            }
        }
        h2 { "Rendez-vous" }
        @if view.appointments.is_empty() {
            p { "Aucun rendez-vous fixé." }
        } @else {
            ul {
                @for (step, a) in &view.appointments {
                    li { (step_name(office, &view.case.procedure, step)) " : le " (long_date(a.starts_at.date())) " à " (echeancier_core::french::time(a.starts_at.time())) ", " (a.minutes) " minutes, " (a.place) " (" (a.phone) ")" }
                }
            }
        }
        @if let Some((name, class)) = &view.pupil {
            h2 { "Élève et famille" }
            p { strong { (name) } @if let Some(c) = class { ", " (c) } }
        } @else if !view.guardians.is_empty() || (office.app.is_staff(&staff.person.actor) && proc.is_some_and(|p| p.audience == echeancier_core::procedure::Audience::Case)) {
            h2 { "Élève et famille" }
            p { "Élève à renseigner." }
        }
        @if !view.guardians.is_empty() {
            div class="fr-table" {
                table tabindex="0" {
                    caption { "Responsables légaux" }
                    thead { tr {
                        th scope="col" { "Nom" } th scope="col" { "Courriel" } th scope="col" { "Téléphone" }
                        th scope="col" { "Langue" } th scope="col" { "Oral" } th scope="col" { "Adresse" } th scope="col" { "Restriction" }
                    } }
                    tbody {
                        @for g in &view.guardians {
                            tr {
                                td { (g.name) }
                                td { (g.email.as_deref().unwrap_or("—")) }
                                td { (g.phone.as_deref().unwrap_or("—")) }
                                td { (g.language) }
                                td { @if g.needs_oral { "à appeler" } @else { "non" } }
                                td { (g.address.as_deref().unwrap_or("—")) }
                                td { @if g.restricted { "ne reçoit pas les avis" } @else { "non" } }
                            }
                        }
                    }
                }
            }
        }
        @if view.case.open && !view.guardians.is_empty() && !view.actionable.is_empty() {
            form method="post" action=(format!("/dossiers/{}/appel", view.case.reference)) class="fr-mb-4w" {
                input type="hidden" name="csrf" value=(staff.csrf);
                fieldset class="fr-fieldset" {
                    legend class="fr-fieldset__legend" { "Noter un appel" }
                    p class="fr-fieldset__element fr-text--sm" { "Un appel à la famille compte parmi les familles jointes par téléphone ; il ferme les tâches d'appel ouvertes du dossier." }
                    div class="fr-fieldset__element" {
                        div class="fr-select-group" {
                            label class="fr-label" for="appel-responsable" { "Responsable joint" }
                            select class="fr-select" id="appel-responsable" name="responsable" {
                                option value="" { "La famille" }
                                @for g in &view.guardians {
                                    option value=(g.number) { (g.name) }
                                }
                            }
                        }
                    }
                    div class="fr-fieldset__element" {
                        div class="fr-input-group" {
                            label class="fr-label" for="appel-date" { "Date de l'appel" span class="fr-hint-text" { "Aujourd'hui si vide" } }
                            input class="fr-input" type="date" id="appel-date" name="date" max=(office.app.today());
                        }
                    }
                    div class="fr-fieldset__element" {
                        button class="fr-btn fr-btn--sm fr-btn--secondary" type="submit" { "Noter l'appel" }
                    }
                }
            }
        }
        // Families with neither email nor phone get the notice by post.
        @if !view.appointments.is_empty() {
            @for g in view.guardians.iter().filter(|g| g.email.is_none() && g.phone.is_none() && !g.restricted) {
                p { a class="fr-link fr-icon-printer-line fr-link--icon-left" href=(format!("/dossiers/{}/courrier/{}", view.case.reference, g.id)) { "Avis à poster pour " (g.name) } }
            }
        }
        @if office.app.is_staff(&staff.person.actor) && proc.is_some_and(|p| p.audience == echeancier_core::procedure::Audience::Case) && view.case.open {
            p { a class="fr-btn fr-btn--secondary fr-btn--sm" href=(format!("/dossiers/{}/famille", view.case.reference)) { "Saisir ou modifier l'élève et sa famille" } }
        }
        h2 { "Historique" }
        div class="fr-table" {
            table tabindex="0" {
                caption { "Journal du dossier" }
                thead { tr { th scope="col" { "Quand" } th scope="col" { "Quoi" } th scope="col" { "Qui" } } }
                tbody {
                    @for e in &view.audit {
                        tr {
                            td { (audit_time(e.at)) }
                            td { (action_name(&e.action)) @if let Some(step) = e.detail["etape"].as_str() { " — " (step_name(office, &view.case.procedure, step)) } @if let Some(d) = e.detail["date"].as_str() { " — " (audit_date(d)) } }
                            td { (audit_actor(&e.actor, &e.channel)) }
                        }
                    }
                }
            }
        }
    };
    (
        status,
        shell(office, staff, &view.case.reference, Nav::Cases, body),
    )
        .into_response()
}

/// The fields of every action form (each uses some); also the email
/// links' confirmation page.
#[derive(Deserialize)]
pub struct DateForm {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) date: String,
    #[serde(default)]
    pub(super) motif: String,
    #[serde(default)]
    pub(super) confirme: Option<String>,
    #[serde(default)]
    heure: String,
    #[serde(default)]
    duree: Option<String>,
    #[serde(default)]
    evenement: String,
    #[serde(default)]
    bilan: String,
    #[serde(default)]
    responsable: String,
}

/// What an action did: its French account, or an input error to show on
/// the case (`Err(Ok)`), or a page of its own (`Err(Err)`).
type Outcome = Result<String, Result<String, Response>>;

async fn finish(office: &Office, staff: &Staff, reference: &str, result: Outcome) -> Response {
    match result {
        Ok(t) => after(office, staff, reference, Ok(t)).await,
        Err(Ok(t)) => after(office, staff, reference, Err(t)).await,
        Err(Err(r)) => r,
    }
}

/// Shows the case again with what happened.
async fn after(office: &Office, staff: &Staff, reference: &str, done: Result<String, String>) -> Response {
    match done {
        // Post/redirect/get would lose the message; the page is rendered
        // with it, and reloading it re-posts nothing harmful (the step is
        // done already).
        Ok(text) => render(office, staff, reference, Some((AlertKind::Success, text))).await,
        Err(text) => render(office, staff, reference, Some((AlertKind::Error, text))).await,
    }
}

/// The French text of a failure of `App`, or the error page for one of
/// the machine.
fn app_text(e: crate::app::AppError) -> Result<String, Response> {
    match e {
        crate::app::AppError::Store(_) | crate::app::AppError::Runtime(_) => Err(failure(&e)),
        other => Ok(other.to_string()),
    }
}

pub async fn step_done(
    State(office): State<Office>,
    staff: Staff,
    Path((reference, step)): Path<(String, String)>,
    Form(f): Form<DateForm>,
) -> Response {
    if let Err(r) = staff.check(&f.csrf) {
        return r;
    }
    let result = async {
        let on = form_date(&f.date, "Date").map_err(Ok)?;
        office
            .app
            .web_change(
                &staff.person.actor,
                &reference,
                &step,
                Change::StepDone {
                    step: step.clone(),
                    on,
                },
                &staff.who(),
            )
            .await
            .map_err(app_text)?;
        Ok::<_, Result<String, Response>>(format!(
            "Étape « {} » faite le {}.",
            step_label(&office, &reference, &step),
            long_date(on)
        ))
    }
    .await;
    finish(&office, &staff, &reference, result).await
}

fn step_label(office: &Office, reference: &str, step: &str) -> String {
    let prefix = reference.split('-').next().unwrap_or_default();
    office
        .app
        .library()
        .by_prefix(prefix)
        .and_then(|p| p.step(step))
        .map_or_else(|| step.to_string(), |s| s.name.clone())
}

pub async fn reschedule(
    State(office): State<Office>,
    staff: Staff,
    Path((reference, step)): Path<(String, String)>,
    Form(f): Form<DateForm>,
) -> Response {
    if let Err(r) = staff.check(&f.csrf) {
        return r;
    }
    let result = async {
        let to = form_date(&f.date, "Nouvelle date").map_err(Ok)?;
        let change = Change::Reschedule {
            step: step.clone(),
            to,
            reason: f.motif.clone(),
            confirmed: f.confirme.as_deref() == Some("oui"),
        };
        office
            .app
            .web_change(&staff.person.actor, &reference, &step, change, &staff.who())
            .await
            .map_err(app_text)?;
        Ok::<_, Result<String, Response>>(format!(
            "Étape « {} » reportée au {} ; le motif est enregistré au dossier.",
            step_label(&office, &reference, &step),
            long_date(to)
        ))
    }
    .await;
    finish(&office, &staff, &reference, result).await
}

pub async fn outcome(
    State(office): State<Office>,
    staff: Staff,
    Path((reference, step)): Path<(String, String)>,
    Form(f): Form<DateForm>,
) -> Response {
    if let Err(r) = staff.check(&f.csrf) {
        return r;
    }
    let result = async {
        let outcome = f
            .bilan
            .parse::<echeancier_core::command::MeetingOutcome>()
            .map_err(Ok)?;
        office
            .app
            .web_outcome(&staff.person.actor, &reference, &step, outcome, &staff.who())
            .await
            .map_err(app_text)
            // The chat's hint names a command; the web has the form.
            .map(|text| {
                text.lines()
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("📝 ")
                    .to_string()
            })
    }
    .await;
    finish(&office, &staff, &reference, result).await
}

/// A family reached by phone.
pub async fn call(
    State(office): State<Office>,
    staff: Staff,
    Path(reference): Path<String>,
    Form(f): Form<DateForm>,
) -> Response {
    if let Err(r) = staff.check(&f.csrf) {
        return r;
    }
    let result = async {
        let guardian = match f.responsable.trim() {
            "" => None,
            n => Some(
                n.parse::<u32>()
                    .map_err(|_| Ok("Responsable joint : choisissez-le dans la liste.".to_string()))?,
            ),
        };
        let on = match f.date.trim() {
            "" => None,
            d => Some(form_date(d, "Date de l'appel").map_err(Ok)?),
        };
        office
            .app
            .web_call(&staff.person.actor, &reference, guardian, on, &staff.who())
            .await
            .map_err(app_text)
            .map(|text| text.trim_start_matches("📞 ").to_string())
    }
    .await;
    finish(&office, &staff, &reference, result).await
}

pub async fn appointment(
    State(office): State<Office>,
    staff: Staff,
    Path((reference, step)): Path<(String, String)>,
    Form(f): Form<DateForm>,
) -> Response {
    if let Err(r) = staff.check(&f.csrf) {
        return r;
    }
    let result = async {
        let day = form_date(&f.date, "Date du rendez-vous").map_err(Ok)?;
        let time = chrono::NaiveTime::parse_from_str(f.heure.trim(), "%H:%M")
            .map_err(|_| Ok("Heure du rendez-vous : attendu HH:MM, par exemple 14:30.".to_string()))?;
        let minutes = match f.duree.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => 60,
            Some(d) => d
                .parse::<u32>()
                .ok()
                .filter(|m| (15..=240).contains(m))
                .ok_or_else(|| Ok("Durée : un nombre de minutes entre 15 et 240.".to_string()))?,
        };
        let decided = office
            .app
            .web_appointment(
                &staff.person.actor,
                &reference,
                &step,
                crate::app::Slot {
                    at: day.and_time(time),
                    minutes,
                    confirmed: f.confirme.is_some(),
                },
                &staff.who(),
            )
            .await
            .map_err(app_text)?;
        Ok::<_, Result<String, Response>>(format!(
            "Rendez-vous fixé le {} à {} ; avis aux parents : {}.",
            long_date(day),
            echeancier_core::french::time(time),
            decided.french()
        ))
    }
    .await;
    finish(&office, &staff, &reference, result).await
}

pub async fn event(
    State(office): State<Office>,
    staff: Staff,
    Path(reference): Path<String>,
    Form(f): Form<DateForm>,
) -> Response {
    if let Err(r) = staff.check(&f.csrf) {
        return r;
    }
    let result = async {
        let on = form_date(&f.date, "Date").map_err(Ok)?;
        office
            .app
            .web_event(
                &staff.person.actor,
                &reference,
                (&f.evenement, on, f.confirme.is_some()),
                &staff.who(),
            )
            .await
            .map_err(app_text)?;
        Ok::<_, Result<String, Response>>(format!("Date enregistrée : le {}.", long_date(on)))
    }
    .await;
    finish(&office, &staff, &reference, result).await
}

#[derive(Deserialize)]
pub struct MilestoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    intitule: String,
    #[serde(default)]
    date: String,
}

pub async fn milestone(
    State(office): State<Office>,
    staff: Staff,
    Path(reference): Path<String>,
    Form(f): Form<MilestoneForm>,
) -> Response {
    if let Err(r) = staff.check(&f.csrf) {
        return r;
    }
    let result = async {
        let on = form_date(&f.date, "Échéance").map_err(Ok)?;
        let n = office
            .app
            .web_milestone(&staff.person.actor, &reference, (f.intitule, on), &staff.who())
            .await
            .map_err(app_text)?;
        Ok::<_, Result<String, Response>>(format!(
            "Échéance du contrat n° {n} ajoutée : le {}.",
            long_date(on)
        ))
    }
    .await;
    finish(&office, &staff, &reference, result).await
}

/// Back to the case after a form that has its own page.
pub fn to_case(reference: &str) -> Response {
    Redirect::to(&format!("/dossiers/{reference}")).into_response()
}
