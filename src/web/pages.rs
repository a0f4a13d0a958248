//! *Mes échéances* (late first, then the coming weeks, appointments
//! included) and *Dossiers* (every open case in scope with its next step,
//! stalled ones included, sortable, searchable by reference and, for staff,
//! by pupil name).

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use echeancier_core::french::long_date;
use maud::{Markup, html};
use serde::Deserialize;

use crate::store::web::{CaseQuery, CaseSort};
use crate::store::{CaseRow, StepRow};

use super::layout::{self, Nav, UserBar};
use super::session::Staff;
use super::{Office, failure};

/// Cases on a page of the list.
pub const PAGE: i64 = 50;

/// The shell of a signed-in page.
pub fn shell(office: &Office, staff: &Staff, title: &str, nav: Nav, body: Markup) -> Markup {
    let menu = layout::Menu {
        staff: office.app.is_staff(&staff.person.actor),
        partner: office.app.is_partner(&staff.person.actor),
    };
    let user = UserBar {
        name: &staff.person.name,
        csrf: &staff.csrf,
    };
    layout::page(title, nav, &menu, Some(&user), body)
}

/// A procedure's name, or its id if it was removed.
pub fn procedure_name(office: &Office, id: &str) -> String {
    office
        .app
        .library()
        .get(id)
        .map_or_else(|| id.to_string(), |p| p.name.clone())
}

pub fn step_name(office: &Office, procedure: &str, step: &str) -> String {
    office
        .app
        .library()
        .get(procedure)
        .map_or_else(|| step.to_string(), |p| p.step_title(step))
}

/// A short date for tables: `05/03/2026`.
pub fn short_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// What families answered an appointment's notice, in words.
fn answers((coming, call_back): (i64, i64)) -> Markup {
    html! {
        @if coming == 0 && call_back == 0 { "Pas de réponse" }
        @if coming > 0 {
            span class="fr-badge fr-badge--success fr-badge--sm" { (coming) " viendr" @if coming > 1 { "ont" } @else { "a" } }
        }
        @if coming > 0 && call_back > 0 { " " }
        @if call_back > 0 {
            span class="fr-badge fr-badge--warning fr-badge--sm" { (call_back) " demande" @if call_back > 1 { "nt" } " à être rappelé" @if call_back > 1 { "s" } }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct DeadlineQuery {
    etablissement: Option<String>,
    semaines: Option<i64>,
}

fn establishment_filter(
    establishments: &[(String, String)],
    chosen: Option<&str>,
    action: &str,
    extra: Markup,
) -> Markup {
    html! {
        form method="get" action=(action) class="fr-mb-4w" {
            div class="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom" {
                div class="fr-col-12 fr-col-md-6" {
                    div class="fr-select-group" {
                        label class="fr-label" for="etablissement" { "Établissement" }
                        select class="fr-select" id="etablissement" name="etablissement" {
                            option value="" selected[chosen.is_none()] { "Tous les établissements de mon périmètre" }
                            @for (uai, name) in establishments {
                                option value=(uai) selected[chosen == Some(uai.as_str())] { (name) " (" (uai) ")" }
                            }
                        }
                    }
                }
                (extra)
                div class="fr-col-12 fr-col-md-3" {
                    button class="fr-btn fr-btn--secondary" type="submit" { "Filtrer" }
                }
            }
        }
    }
}

fn is_known(establishments: &[(String, String)], uai: Option<&str>) -> Option<String> {
    let uai = uai.map(str::trim).filter(|u| !u.is_empty())?;
    establishments
        .iter()
        .find(|(u, _)| u == uai)
        .map(|(u, _)| u.clone())
}

fn step_rows(office: &Office, rows: &[(CaseRow, StepRow)], late: bool) -> Markup {
    html! {
        div class="fr-table fr-table--no-caption" {
            table tabindex="0" {
                caption { @if late { "Échéances en retard" } @else { "Échéances à venir" } }
                thead { tr {
                    th scope="col" { "Échéance" }
                    th scope="col" { "Dossier" }
                    th scope="col" { "Étape" }
                    th scope="col" { "Rôle" }
                } }
                tbody {
                    @for (case, step) in rows {
                        tr {
                            td {
                                @if let Some(d) = step.due { (short_date(d)) }
                                @if late { " " span class="fr-badge fr-badge--error fr-badge--sm" { "en retard" } }
                                @else if step.state == crate::store::StepStatus::Info { " " span class="fr-badge fr-badge--info fr-badge--sm" { "pour information" } }
                            }
                            td { a href=(format!("/dossiers/{}", case.reference)) { (case.reference) } br; span class="fr-text--sm" { (procedure_name(office, &case.procedure)) } }
                            td { (step_name(office, &case.procedure, &step.step)) }
                            td { (office.app.library().roles.name(&step.role)) }
                        }
                    }
                }
            }
        }
    }
}

pub async fn deadlines(
    State(office): State<Office>,
    staff: Staff,
    Query(q): Query<DeadlineQuery>,
) -> Response {
    if !office.app.is_staff(&staff.person.actor) {
        return Redirect::to("/partenariat").into_response();
    }
    let establishments = match office.app.establishments_in_scope(&staff.person.actor).await {
        Ok(e) => e,
        Err(e) => return failure(&e),
    };
    let chosen = is_known(&establishments, q.etablissement.as_deref());
    let weeks = q.semaines.unwrap_or(4).clamp(1, 12);
    let d = match office
        .app
        .my_deadlines(&staff.person.actor, chosen.as_deref(), weeks)
        .await
    {
        Ok(d) => d,
        Err(e) => return failure(&e),
    };
    let extra = html! {
        div class="fr-col-12 fr-col-md-3" {
            div class="fr-select-group" {
                label class="fr-label" for="semaines" { "Horizon" }
                select class="fr-select" id="semaines" name="semaines" {
                    @for w in [1i64, 2, 4, 8, 12] {
                        option value=(w) selected[w == weeks] { (w) " semaine" @if w > 1 { "s" } }
                    }
                }
            }
        }
    };
    let body = html! {
        (establishment_filter(&establishments, chosen.as_deref(), "/", extra))
        h2 { "En retard" }
        @if d.late.is_empty() {
            p { "Aucune échéance en retard. " }
        } @else {
            (step_rows(&office, &d.late, true))
        }
        h2 { "Dans les " (weeks) " prochaine" @if weeks > 1 { "s" } " semaine" @if weeks > 1 { "s" } }
        @if d.coming.is_empty() {
            p { "Aucune échéance dans cette période." }
        } @else {
            (step_rows(&office, &d.coming, false))
        }
        @if d.truncated {
            p class="fr-text--sm" {
                "Seules les " (crate::app::office::DEADLINES_SHOWN) " premières échéances s'affichent : filtrez par établissement, ou voyez "
                a class="fr-link" href="/dossiers?tri=echeance" { "tous les dossiers par échéance" } "."
            }
        }
        h2 { "Rendez-vous" }
        @if d.appointments.is_empty() {
            p { "Aucun rendez-vous fixé dans cette période." }
        } @else {
            div class="fr-table fr-table--no-caption" {
                table tabindex="0" {
                    caption { "Rendez-vous" }
                    thead { tr {
                        th scope="col" { "Date" }
                        th scope="col" { "Dossier" }
                        th scope="col" { "Étape" }
                        th scope="col" { "Lieu" }
                        th scope="col" { "Réponse des familles" }
                    } }
                    tbody {
                        @for a in &d.appointments {
                            tr {
                                td { (long_date(a.appointment.starts_at.date())) " à " (echeancier_core::french::time(a.appointment.starts_at.time())) }
                                td { a href=(format!("/dossiers/{}", a.reference)) { (a.reference) } }
                                td { (step_name(&office, &a.procedure, &a.step)) }
                                td { (a.appointment.place) }
                                td { (answers(a.answers)) }
                            }
                        }
                    }
                }
            }
        }
    };
    shell(&office, &staff, "Mes échéances", Nav::Deadlines, body).into_response()
}

#[derive(Deserialize, Default)]
pub struct CasesQuery {
    q: Option<String>,
    etablissement: Option<String>,
    tri: Option<String>,
    page: Option<i64>,
}

pub async fn cases(State(office): State<Office>, staff: Staff, Query(q): Query<CasesQuery>) -> Response {
    let staff_member = office.app.is_staff(&staff.person.actor);
    let establishments = match office.app.establishments_in_scope(&staff.person.actor).await {
        Ok(e) => e,
        Err(e) => return failure(&e),
    };
    let chosen = is_known(&establishments, q.etablissement.as_deref());
    let sort = match q.tri.as_deref() {
        Some("reference") => CaseSort::Reference,
        Some("ouverture") => CaseSort::Opened,
        _ => CaseSort::NextDue,
    };
    let search =
        q.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(80).collect::<String>());
    // A reference is letters, digits and dashes with a dash: anything else
    // is a name, searched only by staff (partners see no pupil).
    let by_reference = search
        .as_deref()
        .filter(|s| s.contains('-') && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_uppercase);
    let by_name = match (&by_reference, &search) {
        (None, Some(s)) if staff_member => Some(s.to_lowercase()),
        _ => None,
    };
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let query = CaseQuery {
        scopes: &[],
        establishment: chosen.as_deref(),
        reference: by_reference.as_deref(),
        pupil: by_name.as_deref(),
        sort,
        offset: (page - 1) * PAGE,
        limit: PAGE,
    };
    let (lines, total) = if search.is_some() && by_reference.is_none() && by_name.is_none() {
        (Vec::new(), 0)
    } else {
        match office.app.case_lines(&staff.person.actor, query).await {
            Ok(found) => found,
            Err(e) => return failure(&e),
        }
    };
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    let link = |p: i64, tri: &str| {
        let mut params = vec![("page", p.to_string()), ("tri", tri.to_string())];
        if let Some(s) = &search {
            params.push(("q", s.clone()));
        }
        if let Some(u) = &chosen {
            params.push(("etablissement", u.clone()));
        }
        let qs: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        format!("/dossiers?{qs}")
    };
    let tri = match sort {
        CaseSort::NextDue => "echeance",
        CaseSort::Reference => "reference",
        CaseSort::Opened => "ouverture",
    };
    let extra = html! {
        div class="fr-col-12 fr-col-md-3" {
            div class="fr-input-group" {
                label class="fr-label" for="q" {
                    "Rechercher"
                    span class="fr-hint-text" { @if staff_member { "Référence ou nom de l'élève" } @else { "Référence" } }
                }
                input class="fr-input" type="search" id="q" name="q" value=[search.as_deref()];
                input type="hidden" name="tri" value=(tri);
            }
        }
    };
    let body = html! {
        (establishment_filter(&establishments, chosen.as_deref(), "/dossiers", extra))
        p role="status" { (total) " dossier" @if total != 1 { "s" } " ouvert" @if total != 1 { "s" } }
        @if !lines.is_empty() {
            div class="fr-table" {
                table tabindex="0" {
                    caption { "Dossiers ouverts" }
                    thead { tr {
                        th scope="col" { a href=(link(1, "reference")) aria-current=[(sort == CaseSort::Reference).then_some("true")] { "Référence" } }
                        th scope="col" { "Procédure" }
                        th scope="col" { "Établissement" }
                        @if staff_member { th scope="col" { "Élève" } }
                        th scope="col" { "Prochaine étape" }
                        th scope="col" { a href=(link(1, "echeance")) aria-current=[(sort == CaseSort::NextDue).then_some("true")] { "Échéance" } }
                        th scope="col" { a href=(link(1, "ouverture")) aria-current=[(sort == CaseSort::Opened).then_some("true")] { "Ouvert le" } }
                    } }
                    tbody {
                        @for l in &lines {
                            tr {
                                td { a href=(format!("/dossiers/{}", l.reference)) { (l.reference) } }
                                td { (procedure_name(&office, &l.procedure)) }
                                td { (l.establishment.as_deref().unwrap_or(&l.departement)) }
                                @if staff_member { td { (l.pupil.as_deref().unwrap_or("à renseigner")) } }
                                td {
                                    @if l.stalled {
                                        span class="fr-badge fr-badge--warning fr-badge--sm" { "date à renseigner" }
                                    } @else if let Some(s) = &l.next_step {
                                        (step_name(&office, &l.procedure, s))
                                    } @else {
                                        "—"
                                    }
                                }
                                td { @if let Some(d) = l.next_due { (short_date(d)) } @else { "—" } }
                                td { (short_date(l.opened_on)) }
                            }
                        }
                    }
                }
            }
        }
        @if pages > 1 {
            nav role="navigation" class="fr-pagination" aria-label="Pagination" {
                ul class="fr-pagination__list" {
                    li { @if page > 1 { a class="fr-pagination__link fr-pagination__link--prev" href=(link(page - 1, tri)) { "Page précédente" } } }
                    li { a class="fr-pagination__link" aria-current="page" title=(format!("Page {page}")) href=(link(page, tri)) { (page) " / " (pages) } }
                    li { @if page < pages { a class="fr-pagination__link fr-pagination__link--next" href=(link(page + 1, tri)) { "Page suivante" } } }
                }
            }
        }
    };
    shell(&office, &staff, "Dossiers", Nav::Cases, body).into_response()
}
