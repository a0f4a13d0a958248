//! Login without passwords: a one-time link (single use, 15 minutes) sent
//! by email from this page, or by direct message with `!connexion` in chat.
//! Opening the link shows a button; only posting it signs in, so a mail
//! scanner that opens links signs nobody in and spends nothing.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use maud::html;
use serde::Deserialize;

use super::layout::{self, AlertKind, Menu, Nav};
use super::{Office, session};

#[derive(Deserialize, Default)]
pub struct Next {
    suite: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    courriel: String,
    #[serde(default)]
    suite: Option<String>,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

const NO_MENU: Menu = Menu {
    staff: false,
    partner: false,
};

fn form(csrf: &str, next: &str, error: Option<&str>) -> maud::Markup {
    html! {
        p { "Saisissez votre adresse électronique professionnelle : vous recevrez un lien de connexion, valable 15 minutes et une seule fois. Depuis Tchap ou Telegram, vous pouvez aussi écrire " code { "!connexion" } " au robot en message direct." }
        form method="post" action="/connexion" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="suite" value=(next);
            div class=(if error.is_some() { "fr-input-group fr-input-group--error" } else { "fr-input-group" }) {
                label class="fr-label" for="courriel" {
                    "Adresse électronique"
                    span class="fr-hint-text" { "Par exemple : prenom.nom@ac-nantes.fr" }
                }
                input class="fr-input" type="email" id="courriel" name="courriel" autocomplete="email" required
                    aria-describedby=[error.map(|_| "courriel-erreur")];
                @if let Some(e) = error {
                    p id="courriel-erreur" class="fr-error-text" { (e) }
                }
            }
            button class="fr-btn" type="submit" { "Recevoir un lien de connexion" }
        }
    }
}

pub async fn page(State(office): State<Office>, jar: CookieJar, Query(next): Query<Next>) -> Response {
    let (jar, csrf) = session::anonymous_csrf(&office, jar);
    let body = form(&csrf, next_path(&next), None);
    (jar, layout::page("Connexion", Nav::None, &NO_MENU, None, body)).into_response()
}

/// Rate-limiter keys kept before the stale ones are swept.
const SWEEP_ABOVE: usize = 10_000;

pub async fn request(State(office): State<Office>, jar: CookieJar, Form(f): Form<LoginForm>) -> Response {
    if !session::anonymous_csrf_ok(&office, &jar, &f.csrf) {
        return expired_form();
    }
    let (jar, csrf) = session::anonymous_csrf(&office, jar);
    let next = Next {
        suite: f.suite.clone(),
    };
    let target = next_path(&next);
    let email = match crate::contact::email(&f.courriel, "Adresse électronique") {
        Ok(e) => e.to_lowercase(),
        Err(e) => {
            let body = form(&csrf, target, Some(&e));
            return (
                StatusCode::BAD_REQUEST,
                jar,
                layout::page("Connexion", Nav::None, &NO_MENU, None, body),
            )
                .into_response();
        }
    };
    // Anyone may ask for a link: forget addresses whose quota is whole
    // again before the map grows with made-up ones.
    if office.limiter.len() > SWEEP_ABOVE {
        office.limiter.retain_recent();
    }
    if office.limiter.check_key(&email).is_err() {
        let body = html! {
            (layout::alert(AlertKind::Warning, "Trop de demandes", "Plusieurs liens ont déjà été demandés pour cette adresse : attendez quelques minutes avant de recommencer."))
        };
        return (
            StatusCode::TOO_MANY_REQUESTS,
            jar,
            layout::page("Connexion", Nav::None, &NO_MENU, None, body),
        )
            .into_response();
    }
    if let Err(e) = office.app.request_login_email(&email, target).await {
        return super::failure(&e);
    }
    // The same answer whether the address is known or not.
    let body = html! {
        (layout::alert(AlertKind::Success, "Demande enregistrée", "Si cette adresse est celle d'un personnel inscrit, un lien de connexion vient de lui être envoyé. Il est valable 15 minutes."))
        p { a class="fr-link" href="/connexion" { "Demander un autre lien" } }
    };
    (jar, layout::page("Connexion", Nav::None, &NO_MENU, None, body)).into_response()
}

/// GET of a link: a button, nothing spent.
pub async fn confirm(State(office): State<Office>, jar: CookieJar, Path(token): Path<String>) -> Response {
    match office.app.web_link_usable(&token).await {
        Ok(true) => {}
        Ok(false) => return expired_link(),
        Err(e) => return super::failure(&e),
    }
    let (jar, csrf) = session::anonymous_csrf(&office, jar);
    let body = html! {
        p { "Ce lien ouvre une session du bureau échéancier à votre nom, sur cet appareil." }
        form method="post" action=(format!("/connexion/lien/{token}")) {
            input type="hidden" name="csrf" value=(csrf);
            button class="fr-btn" type="submit" { "Se connecter" }
        }
    };
    (jar, layout::page("Se connecter", Nav::None, &NO_MENU, None, body)).into_response()
}

/// POST of a link: spends it and opens the session.
pub async fn enter(
    State(office): State<Office>,
    jar: CookieJar,
    Path(token): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !session::anonymous_csrf_ok(&office, &jar, &f.csrf) {
        return expired_form();
    }
    let (person, target) = match office.app.use_web_link(&token).await {
        Ok(Some(found)) => found,
        Ok(None) => return expired_link(),
        Err(e) => return super::failure(&e),
    };
    match session::start(&office, jar, person, "lien").await {
        Ok(jar) => (jar, Redirect::to(&target)).into_response(),
        Err(r) => r,
    }
}

pub async fn logout(
    State(office): State<Office>,
    staff: Result<session::Staff, Response>,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Ok(staff) = &staff
        && let Err(r) = staff.check(&f.csrf)
    {
        return r;
    }
    let jar = session::end(&office, jar).await;
    (jar, Redirect::to("/connexion")).into_response()
}

/// Where to go after signing in, when the login page was reached from a
/// page of the office.
pub fn next_path(next: &Next) -> &str {
    match next.suite.as_deref() {
        Some(p) if crate::app::sessions::is_office_path(p) => p,
        _ => "/",
    }
}

fn expired_link() -> Response {
    super::message_page(
        StatusCode::GONE,
        "Lien expiré",
        "Ce lien de connexion a expiré ou a déjà servi : demandez-en un nouveau depuis la page de connexion, ou écrivez !connexion au robot.",
    )
}

fn expired_form() -> Response {
    super::message_page(
        StatusCode::FORBIDDEN,
        "Formulaire expiré",
        "Ce formulaire n'est plus valable (jeton de sécurité absent ou ancien) : rien n'a été envoyé. Rechargez la page et recommencez.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pages_of_the_office_come_next() {
        let next = |s: &str| {
            next_path(&Next {
                suite: Some(s.to_string()),
            })
            .to_string()
        };
        assert_eq!(next("/dossiers?page=2"), "/dossiers?page=2");
        for other in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/a\nb",
            "",
        ] {
            assert_eq!(next(other), "/", "{other:?}");
        }
    }
}
