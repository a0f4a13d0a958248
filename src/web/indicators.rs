//! *Indicateurs*: the trust-with-parents sheet's counts for a school or a
//! département and a period, as a table and a bar chart drawn in inline
//! SVG (no script). A DSDEN office sees its département's aggregates (the
//! CDEN's view) and each of its schools; a school's staff see their own.
//! Counts under 5 read "< 5" everywhere, the chart included.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use echeancier_core::authz::Within;
use echeancier_core::french::long_date;
use echeancier_core::indicators::{MASK_BELOW, Period};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, AlertKind, Nav};
use super::pages::shell;
use super::session::Staff;
use super::{Office, failure};

#[derive(Deserialize, Default)]
pub struct IndicatorQuery {
    #[serde(default)]
    etablissement: String,
    #[serde(default)]
    periode: String,
}

pub async fn page(State(office): State<Office>, staff: Staff, Query(q): Query<IndicatorQuery>) -> Response {
    let scopes = office.app.scopes(&staff.person.actor);
    let departements: Vec<String> = scopes
        .iter()
        .filter_map(|v| match &v.within {
            Within::Departement(d) => Some(d.clone()),
            _ => None,
        })
        .collect();
    let schools = match office.app.establishments_in_scope(&staff.person.actor).await {
        Ok(s) => s,
        Err(e) => return failure(&e),
    };
    if departements.is_empty() && schools.is_empty() {
        return super::message_page(
            StatusCode::FORBIDDEN,
            "Accès refusé",
            "Les indicateurs sont ceux des établissements et des départements de votre périmètre.",
        );
    }
    let uai = q.etablissement.trim();
    let chosen = if uai.is_empty() {
        None
    } else if schools.iter().any(|(u, _)| u == uai) {
        Some(uai.to_string())
    } else {
        return super::message_page(
            StatusCode::FORBIDDEN,
            "Accès refusé",
            "Cet établissement n'est pas dans votre périmètre.",
        );
    };
    let period = match q.periode.trim() {
        "" => None,
        p => match p.parse::<Period>() {
            Ok(p) => Some(p),
            Err(e) => {
                let body = html! { (layout::alert(AlertKind::Error, "Période invalide", &e.to_string())) };
                return (
                    StatusCode::BAD_REQUEST,
                    shell(&office, &staff, "Indicateurs", Nav::Indicators, body),
                )
                    .into_response();
            }
        },
    };
    // A school's staff see their school; a DSDEN office its département.
    let (school, dep) = match (&chosen, departements.first(), schools.first()) {
        (Some(u), _, _) => (Some(u.clone()), None),
        (None, Some(d), _) => (None, Some(d.clone())),
        (None, None, Some((u, _))) => (Some(u.clone()), None),
        (None, None, None) => (None, None),
    };
    let found = match office
        .app
        .indicators(school.as_deref(), dep.as_deref(), period)
        .await
    {
        Ok(f) => f,
        Err(e @ (crate::app::AppError::Store(_) | crate::app::AppError::Runtime(_))) => return failure(&e),
        Err(e) => {
            let body =
                html! { (layout::alert(AlertKind::Error, "Indicateurs indisponibles", &e.to_string())) };
            return (
                StatusCode::BAD_REQUEST,
                shell(&office, &staff, "Indicateurs", Nav::Indicators, body),
            )
                .into_response();
        }
    };
    let rows = found.counts.rows();
    let body = html! {
        p class="fr-text--lead" {
            (found.area) " — " (found.period) " (du " (long_date(found.from)) " au " (long_date(found.until)) ")"
        }
        form method="get" action="/indicateurs" class="fr-mb-4w" {
            div class="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom" {
                div class="fr-col-12 fr-col-md-5" {
                    div class="fr-select-group" {
                        label class="fr-label" for="etablissement" { "Établissement" }
                        select class="fr-select" id="etablissement" name="etablissement" {
                            @if !departements.is_empty() { option value="" selected[school.is_none()] { "Tout le département" } }
                            @for (u, name) in &schools {
                                option value=(u) selected[school.as_deref() == Some(u.as_str())] { (name) }
                            }
                        }
                    }
                }
                div class="fr-col-12 fr-col-md-4" {
                    div class="fr-input-group" {
                        label class="fr-label" for="periode" { "Période" span class="fr-hint-text" { "2026-2027, ou un trimestre : 2026-2027-T1" } }
                        input class="fr-input" id="periode" name="periode" value=(q.periode.trim());
                    }
                }
                div class="fr-col-12 fr-col-md-3" {
                    button class="fr-btn fr-btn--secondary" type="submit" { "Afficher" }
                }
            }
        }
        (chart(&rows[..9]))
        div class="fr-table" {
            table tabindex="0" {
                caption { "Indicateurs de la relation avec les familles" }
                thead { tr { th scope="col" { "Indicateur" } th scope="col" { "Nombre" } } }
                tbody {
                    @for (label, n) in &rows { tr { td { (label) } td { (n) } } }
                }
            }
        }
        p class="fr-text--sm" {
            "Comptes tirés du journal des dossiers, sans aucune référence ni aucun nom. Un nombre de 1 à "
            (MASK_BELOW - 1) " s'affiche « < " (MASK_BELOW) " » : aucune famille ne peut être reconnue."
        }
    };
    shell(&office, &staff, "Indicateurs", Nav::Indicators, body).into_response()
}

/// Horizontal bars, one per meeting indicator; a masked count is drawn as
/// an outlined bar the width of the mask, labelled "< 5".
fn chart(rows: &[(String, String)]) -> Markup {
    let value = |n: &str| n.parse::<u64>().unwrap_or(MASK_BELOW);
    // A scale of at least ten: a masked count must not look like a crowd.
    let max = rows.iter().map(|(_, n)| value(n)).max().unwrap_or(1).max(10);
    let bar = 22;
    let height = rows.len() * (bar + 10) + 10;
    html! {
        figure class="fr-mb-4w" role="group" aria-label="Rendez-vous avec les familles, en barres" {
            svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 640 {height}")) width="640" height=(height) class="fr-responsive-img" role="img" aria-labelledby="graphe-titre" {
                title id="graphe-titre" { "Rendez-vous avec les familles : " (rows.iter().map(|(l, n)| format!("{l} {n}")).collect::<Vec<_>>().join(", ")) }
                @for (i, (label, n)) in rows.iter().enumerate() {
                    @let y = 10 + i * (bar + 10);
                    @let w = (value(n) * 300 / max).max(2);
                    @let masked = n.starts_with('<');
                    text x="0" y=(y + 16) font-size="13" fill="currentColor" { (label) }
                    rect x="290" y=(y) width=(w) height=(bar)
                        fill=(if masked { "none" } else { "#000091" }) stroke="#000091" stroke-dasharray=[masked.then_some("4 3")] {}
                    text x=(298 + w) y=(y + 16) font-size="13" fill="currentColor" { (n) }
                }
            }
        }
    }
}
