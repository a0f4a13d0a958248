//! *Agenda*: the person's secret calendar address, as text and as a QR
//! code, how to subscribe to it from a phone or a desktop calendar, and the
//! buttons that renew or revoke it; and the feed itself,
//! `GET /agenda/TOKEN.ics`, which needs no session: calendar applications
//! have none, the address is the secret.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use crate::app::AppError;

use super::layout::Nav;
use super::pages::shell;
use super::session::Staff;
use super::{Office, failure};

/// The full address of a feed.
fn address(office: &Office, token: &str) -> String {
    format!(
        "{}/agenda/{token}.ics",
        office.settings.public_url.trim_end_matches('/')
    )
}

/// The address as an inline SVG QR code, without its XML prolog (which
/// has no place in HTML). Inline markup, not an image: the CSP allows it.
fn qr_svg(data: &str) -> Option<String> {
    use qrcode::render::svg::Color;
    let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<Color>()
        .min_dimensions(220, 220)
        .dark_color(Color("#000000"))
        .light_color(Color("#ffffff"))
        .build();
    let start = svg.find("<svg")?;
    // The figure around it names it; the drawing itself is not read out.
    Some(svg[start..].replacen("<svg ", "<svg aria-hidden=\"true\" focusable=\"false\" ", 1))
}

/// What the feed holds, said on both versions of the page.
fn contents() -> Markup {
    html! {
        div class="fr-callout fr-mb-4w" {
            h2 class="fr-callout__title" { "Ce que contient l'agenda" }
            p class="fr-callout__text" {
                "Vos échéances (y compris celles en retard) et vos rendez-vous des six prochains mois, \
                 avec un rappel la veille de chaque échéance et une heure avant chaque rendez-vous. \
                 Seulement la référence du dossier (par exemple PAR-2026-0003), le nom de l'étape, \
                 le rôle responsable, la date et le lieu du rendez-vous : aucun nom d'élève ni de famille. \
                 Le détail reste sur le bureau."
            }
        }
    }
}

fn csrf_form(staff: &Staff, action: &str, class: &str, label: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(staff.csrf);
            button class=(class) type="submit" { (label) }
        }
    }
}

fn with_feed(staff: &Staff, url: &str) -> Markup {
    let svg = qr_svg(url);
    // Apple's calendars subscribe at once from a webcal: link.
    let webcal = url
        .strip_prefix("https://")
        .map(|rest| format!("webcal://{rest}"));
    html! {
        p class="fr-text--lead" {
            "Abonnez l'agenda de votre téléphone ou de votre ordinateur à cette adresse : \
             vos échéances et rendez-vous y apparaissent et se mettent à jour tout seuls, \
             environ toutes les heures selon l'application."
        }
        (contents())
        h2 { "Votre adresse d'agenda" }
        div class="fr-input-group" {
            label class="fr-label" for="adresse-agenda" {
                "Adresse d'abonnement"
                span class="fr-hint-text" {
                    "Elle est personnelle et secrète : quiconque la connaît voit vos échéances. \
                     Ne la communiquez pas ; renouvelez-la si elle a circulé."
                }
            }
            input class="fr-input" type="url" id="adresse-agenda" name="adresse" value=(url)
                readonly spellcheck="false" autocomplete="off";
        }
        @if let Some(svg) = svg {
            figure class="fr-my-4w" role="img"
                aria-label="Code QR de votre adresse d'agenda, à scanner avec l'appareil photo du téléphone" {
                // Safe unescaped: the crate draws it from the address's bits,
                // with fixed colours; no text of anyone's goes in.
                (PreEscaped(svg))
            }
        }
        @if let Some(webcal) = &webcal {
            p { a class="fr-link" href=(webcal) { "S'abonner sur cet appareil (iPhone, iPad ou Mac)" } }
        }
        h2 { "S'abonner" }
        h3 { "iPhone ou iPad" }
        ol {
            li { "Scannez le code QR avec l'appareil photo et acceptez l'abonnement, ou copiez l'adresse." }
            li {
                "Sinon, ouvrez Réglages > Calendrier > Comptes > Ajouter un compte > Autre > \
                 Ajouter un calendrier avec abonnement."
            }
            li { "Collez l'adresse, touchez Suivant, puis Enregistrer." }
        }
        h3 { "Android (Google Agenda)" }
        p { "L'application Google Agenda du téléphone ne sait pas s'abonner : passez une fois par un ordinateur." }
        ol {
            li { "Sur un ordinateur, ouvrez Google Agenda (calendar.google.com) avec le compte Google du téléphone." }
            li { "Paramètres > Ajouter un agenda > À partir de l'URL." }
            li { "Collez l'adresse, puis Ajouter l'agenda." }
            li {
                "Sur le téléphone, dans Google Agenda, vérifiez que l'agenda est coché et synchronisé \
                 (Paramètres, puis le nom de l'agenda)."
            }
        }
        p class="fr-text--sm" { "Google actualise les agendas abonnés à son rythme, parfois après plusieurs heures." }
        h3 { "Thunderbird" }
        ol {
            li { "Agenda > Nouvel agenda > Sur le réseau." }
            li { "Collez l'adresse, puis Rechercher des agendas et S'abonner." }
        }
        h3 { "Outlook" }
        ul {
            li { "Outlook sur le web et le nouvel Outlook : Calendrier > Ajouter un calendrier > S'abonner à partir du web." }
            li {
                "Outlook classique : Fichier > Paramètres du compte > Paramètres du compte > \
                 Calendriers Internet > Nouveau."
            }
        }
        h2 { "Renouveler ou révoquer l'adresse" }
        p {
            "Renouveler l'adresse en crée une nouvelle : l'ancienne cesse aussitôt de fonctionner \
             et il faut se réabonner avec la nouvelle (par exemple après la perte d'un téléphone). \
             Révoquer l'adresse la désactive sans la remplacer ; vous pourrez en créer une autre ici."
        }
        ul class="fr-btns-group fr-btns-group--inline-md" {
            li { (csrf_form(staff, "/agenda/renouveler", "fr-btn", "Renouveler l'adresse")) }
            li { (csrf_form(staff, "/agenda/revoquer", "fr-btn fr-btn--secondary", "Révoquer l'adresse")) }
        }
    }
}

fn without_feed(staff: &Staff) -> Markup {
    html! {
        p class="fr-text--lead" {
            "Retrouvez vos échéances et rendez-vous dans l'agenda de votre téléphone ou de votre \
             ordinateur (iPhone, Android, Thunderbird, Outlook)."
        }
        (contents())
        p {
            "Le bureau vous donne pour cela une adresse secrète, à laquelle votre agenda s'abonne. \
             Vous pourrez la renouveler ou la révoquer à tout moment."
        }
        (csrf_form(staff, "/agenda/renouveler", "fr-btn", "Créer mon adresse d'agenda"))
    }
}

pub async fn page(State(office): State<Office>, staff: Staff) -> Response {
    let token = match office
        .app
        .feed_token(staff.person.actor.person_id, &office.key)
        .await
    {
        Ok(t) => t,
        Err(e) => return failure(&e),
    };
    let body = match token {
        Some(t) => with_feed(&staff, &address(&office, &t)),
        None => without_feed(&staff),
    };
    shell(&office, &staff, "Agenda", Nav::Calendar, body).into_response()
}

#[derive(Deserialize)]
pub struct FeedForm {
    #[serde(default)]
    csrf: String,
}

pub async fn renew(State(office): State<Office>, staff: Staff, Form(f): Form<FeedForm>) -> Response {
    if let Err(r) = staff.check(&f.csrf) {
        return r;
    }
    match office
        .app
        .renew_feed(staff.person.actor.person_id, &office.key)
        .await
    {
        Ok(_) => Redirect::to("/agenda").into_response(),
        Err(e) => failure(&e),
    }
}

pub async fn revoke(State(office): State<Office>, staff: Staff, Form(f): Form<FeedForm>) -> Response {
    if let Err(r) = staff.check(&f.csrf) {
        return r;
    }
    match office.app.revoke_feed(staff.person.actor.person_id).await {
        Ok(()) => Redirect::to("/agenda").into_response(),
        Err(e) => failure(&e),
    }
}

/// What a calendar application gets for an address that opens nothing:
/// plain text, since no person reads it in a browser as a rule.
fn unknown_feed() -> Response {
    (
        StatusCode::NOT_FOUND,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        "Agenda introuvable : cette adresse a été renouvelée ou révoquée, ou n'a jamais existé. \
         Une nouvelle adresse se crée sur le bureau, page Agenda.\n",
    )
        .into_response()
}

pub async fn ics(State(office): State<Office>, Path(file): Path<String>) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return unknown_feed();
    };
    let person = match office.app.feed_person(token, &office.key).await {
        Ok(Some(p)) => p,
        Ok(None) => return unknown_feed(),
        Err(e) => return failure(&e),
    };
    match office.app.feed_ics(person).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                // Private: the address is a secret, no shared cache keeps it.
                (header::CACHE_CONTROL, "private, max-age=300"),
            ],
            body,
        )
            .into_response(),
        // The person was removed since: their address opens nothing.
        Err(AppError::NotFound(_)) => unknown_feed(),
        Err(e) => failure(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_code_is_bare_inline_svg() {
        let svg = qr_svg("https://bureau.example.org/agenda/42-3-abcdefghijklmnopqrstuvwxyz012345.ics")
            .expect("svg");
        assert!(
            svg.starts_with("<svg aria-hidden=\"true\" focusable=\"false\" xmlns="),
            "{svg}"
        );
        assert!(svg.ends_with("</svg>") && !svg.contains("<?xml"), "{svg}");
    }
}
