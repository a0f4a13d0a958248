//! The staff web office: server-rendered pages (maud) in the Système de
//! Design de l'État, served by the daemon. Chat is where staff are
//! reminded and act in one line; the web is where personal data is
//! entered and read and where a week is planned.
//!
//! Layout: `session` (cookies, CSRF, the signed-in extractor), `login`
//! (one-time links by email or chat; an OpenID Connect provider would be
//! another module that ends in [`session::start`]), `pages` (deadlines and
//! the list of cases), `case` (one case and its actions), `intake` (new
//! case, family), `partners` (communications to approve), `answers`
//! (families' answers to a notice, in their language), `actions`
//! (signed one-click links from reminder emails), `feed` (calendar feeds),
//! `assets` (the vendored DSFR) and `layout` (the page shell). Every change
//! goes through [`App`], as chat commands do.

// Handlers fail with the page to show; a `Response` is large, and boxing
// it in every early return would only add noise.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};

use crate::app::{App, AppError};
use crate::config::WebSettings;

pub mod actions;
pub mod answers;
pub mod assets;
pub mod case;
pub mod feed;
pub mod indicators;
pub mod intake;
pub mod layout;
pub mod letter;
pub mod login;
pub mod pages;
pub mod partners;
pub mod session;

/// Login-link requests per address: three, then one every five minutes
/// (the database also bounds links per person across instances).
type Limiter = governor::DefaultKeyedRateLimiter<String>;

/// What every handler gets.
#[derive(Clone)]
pub struct Office {
    pub(crate) app: App,
    pub(crate) settings: Arc<WebSettings>,
    /// Signs CSRF tokens, one-click links and feed addresses.
    pub(crate) key: Arc<Vec<u8>>,
    pub(crate) limiter: Arc<Limiter>,
}

impl Office {
    /// Reads (or makes, once for all instances) the signing key.
    pub async fn new(app: App, settings: WebSettings) -> Result<Office, AppError> {
        let key = app.signing_key().await?;
        let quota = governor::Quota::with_period(std::time::Duration::from_secs(300))
            .unwrap_or_else(|| governor::Quota::per_hour(std::num::NonZeroU32::MIN))
            .allow_burst(std::num::NonZeroU32::new(3).unwrap_or(std::num::NonZeroU32::MIN));
        Ok(Office {
            app,
            settings: Arc::new(settings),
            key: Arc::new(key),
            limiter: Arc::new(governor::RateLimiter::dashmap(quota)),
        })
    }

    /// The signer of one-click links in reminder emails.
    pub fn links(&self) -> actions::Links {
        actions::Links::new(self.key.clone(), self.settings.public_url.clone())
    }
}

pub fn router(office: Office) -> Router {
    Router::new()
        .route("/", get(pages::deadlines))
        .route("/dossiers", get(pages::cases))
        .route(
            "/dossiers/nouveau",
            get(intake::new_case).post(intake::create_case),
        )
        .route("/dossiers/{reference}", get(case::show))
        .route(
            "/dossiers/{reference}/famille",
            get(intake::family).post(intake::save_family),
        )
        .route("/dossiers/{reference}/etapes/{step}/fait", post(case::step_done))
        .route(
            "/dossiers/{reference}/etapes/{step}/report",
            post(case::reschedule),
        )
        .route(
            "/dossiers/{reference}/etapes/{step}/rendez-vous",
            post(case::appointment),
        )
        .route("/dossiers/{reference}/etapes/{step}/bilan", post(case::outcome))
        .route("/dossiers/{reference}/courrier/{guardian}", get(letter::page))
        .route("/dossiers/{reference}/evenements", post(case::event))
        .route("/dossiers/{reference}/jalons", post(case::milestone))
        .route("/dossiers/{reference}/appel", post(case::call))
        .route("/partenariat", get(partners::list))
        .route("/partenariat/{reference}", post(partners::answer))
        .route("/indicateurs", get(indicators::page))
        .route("/agenda", get(feed::page))
        .route("/agenda/renouveler", post(feed::renew))
        .route("/agenda/revoquer", post(feed::revoke))
        .route("/agenda/{file}", get(feed::ics))
        .route("/action/{token}", get(actions::confirm).post(actions::act))
        .route("/reponse/{token}", get(answers::confirm).post(answers::answer))
        .route("/connexion", get(login::page).post(login::request))
        .route("/connexion/lien/{token}", get(login::confirm).post(login::enter))
        .route("/deconnexion", post(login::logout))
        .route("/dsfr/{version}/{*path}", get(assets::dsfr))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(office)
}

/// Headers of every page: no framing, no sniffing, no referrer leaking a
/// one-time link, scripts and styles from the office only, and no copy of
/// a page (names, contacts) kept by the browser or a proxy unless the
/// handler says otherwise (the DSFR's files, the calendar feed).
async fn security_headers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    for (name, value) in [
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        (
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    ] {
        if let Ok(v) = axum::http::HeaderValue::from_str(value) {
            h.entry(name).or_insert(v);
        }
    }
    response
}

async fn not_found() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "Page introuvable",
        "Cette adresse ne mène à aucune page du bureau. Revenez à l'accueil.",
    )
}

/// A page that only says something (an error, an expired link), without
/// the signed-in menu.
pub fn message_page(status: StatusCode, title: &str, text: &str) -> Response {
    let menu = layout::Menu {
        staff: false,
        partner: false,
    };
    let body = html! {
        p { (text) }
        p { a class="fr-link" href="/" { "Retour à l'accueil" } }
    };
    (status, layout::page(title, layout::Nav::None, &menu, None, body)).into_response()
}

/// A failure as a page: input and refusals say what, the machine's own
/// failures say only that nothing changed (the log has the detail).
pub fn failure(e: &AppError) -> Response {
    match e {
        AppError::NotFound(_) => message_page(StatusCode::NOT_FOUND, "Dossier introuvable", &e.to_string()),
        AppError::Refused(_) | AppError::Place => {
            message_page(StatusCode::FORBIDDEN, "Accès refusé", &e.to_string())
        }
        AppError::Store(_) | AppError::Runtime(_) => {
            tracing::error!(error = %e, "web request failed");
            message_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erreur interne",
                "Erreur interne : rien n'a été modifié. L'équipe technique est prévenue.",
            )
        }
        other => message_page(StatusCode::BAD_REQUEST, "Demande refusée", &other.to_string()),
    }
}

/// A French date (`JJ/MM/AAAA` or ISO) from a form field.
pub fn form_date(raw: &str, field: &str) -> Result<chrono::NaiveDate, String> {
    echeancier_core::french::parse_date(raw).map_err(|e| format!("{field} : {}", e.why))
}

/// A field's error under its input, as the DSFR writes it.
pub fn field_error(id: &str, error: Option<&String>) -> Markup {
    html! {
        @if let Some(e) = error {
            p id=(format!("{id}-erreur")) class="fr-error-text" { (e) }
        }
    }
}
