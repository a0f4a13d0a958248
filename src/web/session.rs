//! Sessions of the web office. The cookie holds a random token (its digest
//! is stored, in the database so that every instance knows it); it is
//! `HttpOnly`, `SameSite=Strict`, `Secure` behind HTTPS, and expires.
//! Every form posts a CSRF token: for a signed-in person, an HMAC of the
//! session token; before signing in, a random cookie the form repeats.
//! How a person proved who they are does not matter here: every login
//! method ends in [`start`].

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

use crate::app::office::Person;

use super::Office;

fn session_cookie(office: &Office) -> &'static str {
    // The __Host- prefix makes browsers refuse it without Secure and Path=/.
    if office.settings.secure() {
        "__Host-echeancier"
    } else {
        "echeancier"
    }
}

fn csrf_cookie(office: &Office) -> &'static str {
    if office.settings.secure() {
        "__Host-echeancier-csrf"
    } else {
        "echeancier-csrf"
    }
}

pub use crate::app::sessions::{same, sign};

fn cookie<'a>(office: &Office, name: &'static str, value: String) -> Cookie<'a> {
    let mut c = Cookie::new(name, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_secure(office.settings.secure());
    c.set_path("/");
    c
}

/// Opens a session for `person` and sets its cookie.
pub async fn start(
    office: &Office,
    jar: CookieJar,
    person: i64,
    method: &str,
) -> Result<CookieJar, Response> {
    let token = office
        .app
        .open_session(person, method, office.settings.session_hours)
        .await
        .map_err(|e| super::failure(&e))?;
    let mut c = cookie(office, session_cookie(office), token);
    c.set_max_age(time::Duration::hours(i64::from(office.settings.session_hours)));
    Ok(jar.add(c))
}

/// Ends the session of this browser.
pub async fn end(office: &Office, jar: CookieJar) -> CookieJar {
    if let Some(c) = jar.get(session_cookie(office)) {
        let _ = office.app.close_session(c.value()).await;
    }
    jar.remove(cookie(office, session_cookie(office), String::new()))
}

/// The pre-session CSRF token of this browser, made if missing.
pub fn anonymous_csrf(office: &Office, jar: CookieJar) -> (CookieJar, String) {
    if let Some(c) = jar.get(csrf_cookie(office))
        && c.value().len() >= 32
    {
        let v = c.value().to_string();
        return (jar, v);
    }
    let token = crate::app::sessions::random_token().unwrap_or_default();
    let jar = jar.add(cookie(office, csrf_cookie(office), token.clone()));
    (jar, token)
}

/// Whether a form posted before signing in repeats the browser's cookie.
pub fn anonymous_csrf_ok(office: &Office, jar: &CookieJar, posted: &str) -> bool {
    jar.get(csrf_cookie(office))
        .is_some_and(|c| c.value().len() >= 32 && same(c.value(), posted))
}

/// A signed-in person, for every page but login. Without a live session
/// the request is sent to the login page, which brings it back after.
pub struct Staff {
    pub person: Person,
    pub csrf: String,
}

impl Staff {
    /// Refuses a form whose CSRF token is not this session's.
    pub fn check(&self, posted: &str) -> Result<(), Response> {
        if same(&self.csrf, posted) {
            Ok(())
        } else {
            Err(super::message_page(
                StatusCode::FORBIDDEN,
                "Formulaire expiré",
                "Ce formulaire n'est plus valable (jeton de sécurité absent ou ancien) : rien n'a été modifié. Rechargez la page et recommencez.",
            ))
        }
    }

    pub fn who(&self) -> crate::app::Who {
        crate::app::App::web_who(self.person.actor.person_id)
    }
}

impl FromRequestParts<Office> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, office: &Office) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let back = || {
            let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
            Redirect::to(&format!("/connexion?suite={next}")).into_response()
        };
        let Some(token) = jar.get(session_cookie(office)).map(|c| c.value().to_string()) else {
            return Err(back());
        };
        let person = match office.app.session_person(&token).await {
            Ok(Some(p)) => p,
            Ok(None) => return Err(back()),
            Err(e) => return Err(super::failure(&e)),
        };
        let person = match office.app.person(person).await {
            Ok(Some(p)) => p,
            Ok(None) => return Err(back()),
            Err(e) => return Err(super::failure(&e)),
        };
        Ok(Staff {
            csrf: sign(&office.key, &["csrf", &token]),
            person,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_depend_on_every_part_and_its_bounds() {
        let k = b"0123456789abcdef0123456789abcdef";
        assert_eq!(sign(k, &["a", "b"]), sign(k, &["a", "b"]));
        assert_ne!(sign(k, &["ab", "c"]), sign(k, &["a", "bc"]));
        assert_ne!(sign(k, &["a"]), sign(b"another key, another signature", &["a"]));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
