//! The staff web office over real HTTP on loopback, driven by a client that
//! keeps cookies like a browser and does not follow redirects (so that each
//! 303 is seen): one-time login links, sessions and their cookies, CSRF on
//! every form, what partners and staff may see, the intake form's checks,
//! the one-click links of reminder emails, the calendar feed, the links the
//! chat hands out, and the security headers.

use std::net::SocketAddr;

use chrono::{DateTime, Duration, Utc};
use echeancier::channel::ActionLinks;

use echeancier::store::StepStatus;
use echeancier::web::Office;
use reqwest::Client;
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::redirect::Policy;

use crate::util::{TestApp, app_at, count, open_par, paris_noon};

/// A Monday of term: the demo's cases are dated relative to it.
fn monday() -> DateTime<Utc> {
    paris_noon(2026, 11, 23)
}

/// Serves the office of `t` (see `util::serve_office`), its console chef's.
async fn office(t: &mut TestApp, public_url: Option<&str>) -> (SocketAddr, Office) {
    crate::util::serve_office(t, public_url, Some("chef")).await
}

/// A browser: keeps its cookies, shows redirects instead of following them.
fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// What a response said, read once.
struct Page {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The `Set-Cookie` headers.
    fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    }

    /// The `Set-Cookie` of the cookie called `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

async fn read(r: reqwest::Response) -> Page {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.text().await.expect("body");
    Page {
        status,
        headers,
        body,
    }
}

async fn get(c: &Client, url: &str) -> Page {
    read(c.get(url).send().await.expect("GET")).await
}

async fn post(c: &Client, url: &str, form: &[(&str, &str)]) -> Page {
    read(c.post(url).form(form).send().await.expect("POST")).await
}

/// The hidden CSRF token of the first form of a page.
fn csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no CSRF field in {html}"))
        + marker.len();
    let end = html[start..].find('"').expect("end of the CSRF value") + start;
    html[start..end].to_string()
}

async fn person(t: &TestApp, slug: &str) -> i64 {
    t.store
        .person_by_slug(slug)
        .await
        .expect("directory")
        .unwrap_or_else(|| panic!("no person {slug}"))
        .0
}

/// A one-time login link for `slug` that opens `target`.
async fn link(t: &TestApp, slug: &str, target: &str) -> String {
    t.app
        .web_link(person(t, slug).await, target)
        .await
        .expect("link")
        .0
}

/// Opens a one-time link as a browser does (the page, then its button) and
/// returns the answer to the button.
async fn follow(c: &Client, url: &str) -> Page {
    let page = get(c, url).await;
    assert_eq!(page.status, 200, "{url}: {}", page.body);
    assert!(page.body.contains("Se connecter"), "{}", page.body);
    post(c, url, &[("csrf", &csrf(&page.body))]).await
}

/// A browser signed in as `slug`, through a one-time link.
async fn signed_in(addr: SocketAddr, t: &TestApp, slug: &str) -> Client {
    let c = client();
    let url = link(t, slug, "/").await;
    assert!(url.starts_with(&format!("http://{addr}/")), "{url}");
    let r = follow(&c, &url).await;
    assert_eq!(r.status, 303, "{slug}: {}", r.body);
    c
}

/// The demo's cases: the PAR case (a pupil and two guardians) and the
/// communication submitted to the partners.
struct Demo {
    par: String,
    com: String,
}

async fn demo(t: &TestApp) -> Demo {
    let refs = echeancier::demo::load(&t.app).await.expect("demo");
    let find = |prefix: &str| {
        refs.iter()
            .find(|r| r.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} case in {refs:?}"))
            .clone()
    };
    Demo {
        par: find("PAR-"),
        com: find("COM-"),
    }
}

async fn state(t: &TestApp, reference: &str, step: &str) -> StepStatus {
    t.app
        .snapshot(reference)
        .await
        .expect("snapshot")
        .steps
        .iter()
        .find(|s| s.step == step)
        .unwrap_or_else(|| panic!("no step {step} in {reference}"))
        .state
}

fn today(t: &TestApp) -> String {
    t.app.today().format("%d/%m/%Y").to_string()
}

/// The "connexion" entries of the audit trail: (actor, channel, case).
async fn logins(t: &TestApp) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as("SELECT actor, channel, case_ref FROM audit WHERE action = 'connexion' ORDER BY id")
        .fetch_all(t.store.pool())
        .await
        .expect("audit")
}

#[tokio::test]
async fn a_login_link_opens_a_session_once() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    let chef = person(&t, "chef").await;
    let url = link(&t, "chef", "/").await;
    assert!(
        url.starts_with(&format!("http://{addr}/connexion/lien/")),
        "{url}"
    );
    let c = client();
    // Mail scanners open links: each GET shows the button and spends nothing.
    let mut token = String::new();
    for _ in 0..2 {
        let page = get(&c, &url).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("Se connecter"), "{}", page.body);
        token = csrf(&page.body);
    }
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM web_links WHERE used_at IS NULL").await,
        1,
        "a GET used the link"
    );
    assert!(logins(&t).await.is_empty());

    let entered = post(&c, &url, &[("csrf", &token)]).await;
    assert_eq!(entered.status, 303, "{}", entered.body);
    assert_eq!(entered.location(), "/");
    let session = entered
        .cookie("echeancier")
        .unwrap_or_else(|| panic!("no session cookie in {:?}", entered.cookies()));
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Path=/"),
        "{session}"
    );
    // session_hours = 8: the cookie ends with the session.
    assert!(session.contains("Max-Age=28800"), "{session}");
    // Over http a Secure cookie would never come back.
    assert!(!session.contains("Secure"), "{session}");

    let home = get(&c, &format!("http://{addr}/")).await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("Mes échéances"), "{}", home.body);

    // Single use, even from the browser that used it.
    let again = post(&c, &url, &[("csrf", &token)]).await;
    assert_eq!(again.status, 410, "{}", again.body);
    assert!(again.body.contains("expiré ou a déjà servi"), "{}", again.body);

    // One sign-in, on the web, about no case.
    assert_eq!(
        logins(&t).await,
        vec![(format!("personne:{chef} (web)"), "web".to_string(), None)]
    );

    // Signing out ends the session on the server, not only in the browser.
    let out = post(
        &c,
        &format!("http://{addr}/deconnexion"),
        &[("csrf", &csrf(&home.body))],
    )
    .await;
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM web_sessions").await, 0);
    let home = get(&c, &format!("http://{addr}/")).await;
    assert_eq!(home.status, 303, "{}", home.body);
}

/// A session lasts `session_hours` on the server too, whatever the
/// browser keeps.
#[tokio::test]
async fn a_session_ends_after_its_hours() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    let c = signed_in(addr, &t, "chef").await;
    let home = format!("http://{addr}/");
    t.clock.advance(Duration::hours(8) - Duration::minutes(1));
    assert_eq!(get(&c, &home).await.status, 200);
    t.clock.advance(Duration::minutes(2));
    let page = get(&c, &home).await;
    assert_eq!(
        (page.status, page.location()),
        (303, "/connexion?suite=%2F"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn an_expired_link_is_refused() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    let url = link(&t, "chef", "/").await;
    let c = client();
    // A CSRF cookie and token from the login page, so that the POST below
    // is refused for the link and not for the form.
    let login = get(&c, &format!("http://{addr}/connexion")).await;
    let token = csrf(&login.body);
    // Still valid a minute before the end…
    t.clock.advance(Duration::minutes(14));
    assert_eq!(get(&c, &url).await.status, 200);
    // …not after its 15 minutes.
    t.clock.advance(Duration::minutes(2));
    let page = get(&c, &url).await;
    assert_eq!(page.status, 410, "{}", page.body);
    assert!(page.body.contains("expiré"), "{}", page.body);
    let entered = post(&c, &url, &[("csrf", &token)]).await;
    assert_eq!(entered.status, 410, "{}", entered.body);
    assert!(entered.cookie("echeancier").is_none(), "{:?}", entered.cookies());
    assert!(logins(&t).await.is_empty());
    let home = get(&c, &format!("http://{addr}/")).await;
    assert_eq!(home.status, 303, "{}", home.body);
    assert_eq!(home.location(), "/connexion?suite=%2F");
}

/// The delivery of each login-link reminder: (channel, recipient).
async fn link_deliveries(t: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT d.channel, d.recipient FROM reminders r JOIN deliveries d ON d.reminder_id = r.id
         WHERE r.kind = 'lien-web' ORDER BY d.id",
    )
    .fetch_all(t.store.pool())
    .await
    .expect("deliveries")
}

#[tokio::test]
async fn the_login_page_sends_a_link_only_to_known_addresses_and_says_the_same() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    let login = format!("http://{addr}/connexion");
    let c = client();
    let page = get(&c, &login).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = csrf(&page.body);

    // Any case of the address finds the person.
    let known = post(
        &c,
        &login,
        &[("csrf", &token), ("courriel", "Principale.0490001K@example.org")],
    )
    .await;
    assert_eq!(known.status, 200, "{}", known.body);
    assert!(known.body.contains("Demande enregistrée"), "{}", known.body);
    let sent = vec![("email".to_string(), "principale.0490001k@example.org".to_string())];
    assert_eq!(link_deliveries(&t).await, sent);
    let reminders = "SELECT COUNT(*) FROM reminders WHERE kind = 'lien-web'";
    assert_eq!(count(&t, reminders).await, 1);

    // The mail's link signs its reader in.
    let payload: String = sqlx::query_scalar("SELECT payload FROM reminders WHERE kind = 'lien-web'")
        .fetch_one(t.store.pool())
        .await
        .expect("payload");
    let payload: serde_json::Value = serde_json::from_str(&payload).expect("json");
    let mailed = payload["lien"].as_str().expect("link in the payload");
    let reader = client();
    assert_eq!(follow(&reader, mailed).await.status, 303);

    // Nobody learns whether an address is known: the same page, no mail.
    let unknown = post(
        &c,
        &login,
        &[("csrf", &token), ("courriel", "inconnu@example.org")],
    )
    .await;
    assert_eq!(unknown.status, 200, "{}", unknown.body);
    assert_eq!(unknown.body, known.body);
    assert_eq!(count(&t, reminders).await, 1);

    // A form without the CSRF token sends nothing.
    let forged = post(&c, &login, &[("courriel", "principale.0490001k@example.org")]).await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(count(&t, reminders).await, 1);
    let forged = post(
        &c,
        &login,
        &[
            ("csrf", "x".repeat(43).as_str()),
            ("courriel", "principale.0490001k@example.org"),
        ],
    )
    .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(count(&t, reminders).await, 1);

    // An invalid address: said beside the field, in French.
    let invalid = post(&c, &login, &[("csrf", &token), ("courriel", "pas une adresse")]).await;
    assert_eq!(invalid.status, 400, "{}", invalid.body);
    assert!(
        invalid.body.contains("adresse électronique invalide")
            && invalid.body.contains("id=\"courriel-erreur\"")
            && invalid.body.contains("aria-describedby=\"courriel-erreur\""),
        "{}",
        invalid.body
    );
    assert_eq!(link_deliveries(&t).await, sent);
}

/// The PAR steps are the DSDEN's (role `dasen`): a head of school acts
/// only for the roles of an establishment, so the DASEN's office is the
/// one marking the convocation done here.
#[tokio::test]
async fn forms_without_the_session_csrf_are_refused_and_change_nothing() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    let d = demo(&t).await;
    let dasen = person(&t, "dasen").await;
    let c = signed_in(addr, &t, "dasen").await;
    let case = get(&c, &format!("http://{addr}/dossiers/{}", d.par)).await;
    assert_eq!(case.status, 200, "{}", case.body);
    let done = format!("/dossiers/{}/etapes/convocation/fait", d.par);
    assert!(case.body.contains(&done), "{}", case.body);
    let token = csrf(&case.body);
    let url = format!("http://{addr}{done}");
    let day = today(&t);

    // Another session of the same person has another token.
    let other = signed_in(addr, &t, "dasen").await;
    let other_token = csrf(&get(&other, &format!("http://{addr}/")).await.body);
    assert_ne!(token, other_token);
    for form in [
        vec![("date", day.as_str())],
        vec![("csrf", ""), ("date", day.as_str())],
        vec![("csrf", "faux"), ("date", day.as_str())],
        vec![("csrf", other_token.as_str()), ("date", day.as_str())],
    ] {
        let r = post(&c, &url, &form).await;
        assert_eq!(r.status, 403, "{form:?}: {}", r.body);
        assert!(r.body.contains("rien n'a été modifié"), "{}", r.body);
        assert_ne!(state(&t, &d.par, "convocation").await, StepStatus::Done);
    }
    let before = t.store.audit_trail(&d.par).await.expect("audit").len();

    let r = post(&c, &url, &[("csrf", &token), ("date", &day)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("faite"), "{}", r.body);
    assert_eq!(state(&t, &d.par, "convocation").await, StepStatus::Done);
    let trail = t.store.audit_trail(&d.par).await.expect("audit");
    assert_eq!(trail.len(), before + 1, "{trail:?}");
    let last = trail.last().expect("entry");
    assert_eq!(
        (last.action.as_str(), last.channel.as_str(), last.actor.clone()),
        ("etape_faite", "web", format!("personne:{dasen} (web)"))
    );
    assert_eq!(last.detail["etape"], "convocation");
    // The trail on the page says when in words, as the rest of the page.
    let local = last
        .at
        .with_timezone(&echeancier::core::calendar::CalendarId::Metropole.time_zone())
        .naive_local();
    let when = format!(
        "{} à {}",
        echeancier::core::french::long_date(local.date()),
        echeancier::core::french::time(local.time())
    );
    let page = get(&c, &format!("http://{addr}/dossiers/{}", d.par)).await;
    assert!(
        page.body.contains(&format!("<td>{when}</td>")),
        "{when}: {}",
        page.body
    );
    let trail = page.body.split("Journal du dossier").nth(1).unwrap_or_default();
    assert!(!trail.contains(&local.format("%d/%m/%Y").to_string()), "{trail}");
}

#[tokio::test]
async fn partners_never_see_individual_cases() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    let d = demo(&t).await;
    let c = signed_in(addr, &t, "caf").await;
    for path in [
        format!("/dossiers/{}", d.par),
        format!("/dossiers/{}/famille", d.par),
    ] {
        let page = get(&c, &format!("http://{addr}{path}")).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(page.body.contains("introuvable"), "{}", page.body);
        assert!(!page.body.contains("Fictif"), "{}", page.body);
    }
    let list = get(&c, &format!("http://{addr}/dossiers")).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains(&d.com), "{}", list.body);
    assert!(!list.body.contains("PAR-"), "{}", list.body);
    // Searching by reference or by name finds no individual case either
    // (the search box repeats the query: the rows are what counts).
    for q in [d.par.as_str(), "Fictif"] {
        let found = get(&c, &format!("http://{addr}/dossiers?q={q}")).await;
        assert_eq!(found.status, 200, "{}", found.body);
        assert!(
            found.body.contains("0 dossiers ouverts") && !found.body.contains("href=\"/dossiers/PAR-"),
            "{}",
            found.body
        );
    }
    // Nor act on one: a form posted by hand with the session's token.
    let token = csrf(&list.body);
    let before = state(&t, &d.par, "convocation").await;
    let acted = post(
        &c,
        &format!("http://{addr}/dossiers/{}/etapes/convocation/fait", d.par),
        &[("csrf", &token), ("date", &today(&t))],
    )
    .await;
    assert!(
        matches!(acted.status, 403 | 404),
        "{}: {}",
        acted.status,
        acted.body
    );
    assert!(!acted.body.contains("Fictif"), "{}", acted.body);
    assert_eq!(state(&t, &d.par, "convocation").await, before);
    let family = post(
        &c,
        &format!("http://{addr}/dossiers/{}/famille", d.par),
        &[
            ("csrf", &token),
            ("nombre", "1"),
            ("responsable.1.nom", "Intrus"),
            ("responsable.1.courriel", "intrus@example.net"),
            ("responsable.1.langue", "fr"),
        ],
    )
    .await;
    assert!(
        matches!(family.status, 403 | 404),
        "{}: {}",
        family.status,
        family.body
    );
    let intruders: i64 = count(&t, "SELECT COUNT(*) FROM guardians WHERE full_name = 'Intrus'").await;
    assert_eq!(intruders, 0);
    // The home page is the deadlines of staff: partners go to theirs.
    let home = get(&c, &format!("http://{addr}/")).await;
    assert_eq!((home.status, home.location()), (303, "/partenariat"));

    let items = get(&c, &format!("http://{addr}/partenariat")).await;
    assert_eq!(items.status, 200, "{}", items.body);
    assert!(
        items.body.contains(&d.com) && items.body.contains("Approuver"),
        "{}",
        items.body
    );
    // Partners by name, with where each stands; buttons only on the item
    // that waits for this partner's answer, never on the convention.
    assert!(
        items
            .body
            .contains("Caisse d'allocations familiales : réception à enregistrer")
            && items.body.contains("Conseil départemental : reçu le"),
        "{}",
        items.body
    );
    let conv = items
        .body
        .split("fr-card ")
        .find(|card| card.contains("CONV-"))
        .unwrap_or_else(|| panic!("no convention card: {}", items.body));
    assert!(!conv.contains("Approuver"), "{conv}");
    assert_eq!(items.body.matches(">Approuver<").count(), 1, "{}", items.body);
    let reference: String = conv[conv.find("CONV-").unwrap_or_default()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let refused = post(
        &c,
        &format!("http://{addr}/partenariat/{reference}"),
        &[("csrf", &csrf(&items.body)), ("reponse", "approuve")],
    )
    .await;
    assert!(
        refused.body.contains("n'attend pas de réponse des partenaires"),
        "{reference}: {}",
        refused.body
    );
    let answered = post(
        &c,
        &format!("http://{addr}/partenariat/{}", d.com),
        &[("csrf", &csrf(&items.body)), ("reponse", "approuve")],
    )
    .await;
    assert_eq!(answered.status, 200, "{}", answered.body);
    assert!(
        answered.body.contains("Approbation enregistrée"),
        "{}",
        answered.body
    );
    let trail = t.store.audit_trail(&d.com).await.expect("audit");
    assert!(
        trail
            .iter()
            .any(|e| e.action == "approbation" && e.channel == "web" && e.detail["partenaire"] == "caf"),
        "{trail:?}"
    );
}

#[tokio::test]
async fn staff_see_the_family_and_chat_never_does() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    let d = demo(&t).await;
    let c = signed_in(addr, &t, "chef").await;
    let page = get(&c, &format!("http://{addr}/dossiers/{}", d.par)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let family = ["Élève Fictif", "Parent Fictif Un", "parent1@example.org"];
    for f in family {
        assert!(page.body.contains(f), "{f}: {}", page.body);
    }
    let reply = t
        .app
        .handle("console", "chef", &format!("!dossier {}", d.par))
        .await
        .expect("reply");
    assert!(reply.contains(&d.par), "{reply}");
    for f in family {
        assert!(!reply.contains(f), "{f}: {reply}");
    }
    assert_eq!(crate::privacy::personal_data_in(&reply), None, "{reply}");
}

#[tokio::test]
async fn intake_checks_every_field_and_stores_nothing_on_error() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    demo(&t).await;
    let c = signed_in(addr, &t, "chef").await;
    let new = format!("http://{addr}/dossiers/nouveau");
    let form = get(&c, &format!("{new}?procedure=par")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let token = csrf(&form.body);
    let cases = t.store.count_cases().await.expect("count");

    // A head of school dates the referral it sends (the DSDEN dates its
    // receipt): the event is saisine_envoyee.
    let wrong = post(
        &c,
        &new,
        &[
            ("csrf", &token),
            ("procedure", "par"),
            ("lieu", "0490001K"),
            ("evenement.saisine_envoyee", "31/02/2026"),
            ("responsable.1.nom", "X"),
            ("responsable.1.courriel", "pas-une-adresse"),
            ("responsable.1.telephone", "12"),
            ("responsable.1.langue", "fr"),
        ],
    )
    .await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    for (id, message) in [
        ("evenement-saisine_envoyee", "ce jour n'existe pas dans ce mois"),
        ("responsable-1-courriel", "adresse électronique invalide"),
        ("responsable-1-telephone", "numéro de téléphone invalide"),
    ] {
        assert!(wrong.body.contains(message), "{message}: {}", wrong.body);
        // Beside its field, and announced by it.
        assert!(
            wrong.body.contains(&format!("id=\"{id}-erreur\""))
                && wrong.body.contains(&format!("aria-describedby=\"{id}-erreur\"")),
            "{id}: {}",
            wrong.body
        );
    }
    // What was typed is kept, to be corrected rather than retyped.
    assert!(wrong.body.contains("value=\"pas-une-adresse\""), "{}", wrong.body);
    assert_eq!(t.store.count_cases().await.expect("count"), cases);

    let day = today(&t);
    let valid = |lieu: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("procedure", "par".into()),
            ("lieu", lieu.into()),
            ("evenement.saisine_envoyee", day.clone()),
            // The PAR's condition: two exclusions in 2026-2027, then the
            // arrival in the receiving collège.
            ("evenement.exclusion_1", "21/09/2026".into()),
            ("evenement.exclusion_2", "02/11/2026".into()),
            ("evenement.accueil", "09/11/2026".into()),
            ("eleve.nom", "Jeanne Secret".into()),
            ("eleve.classe", "4e Z".into()),
            ("responsable.1.nom", "Parent Secret Un".into()),
            ("responsable.1.courriel", "parent@example.org".into()),
            ("responsable.1.telephone", "06 12 34 56 78".into()),
            ("responsable.1.langue", "fr".into()),
            ("responsable.2.nom", "Parent Secret Deux".into()),
            ("responsable.2.adresse", "12 rue des Lilas, 49000 Angers".into()),
            ("responsable.2.langue", "fr".into()),
        ]
    };
    // Out of the head of school's establishment: refused, nothing stored.
    let elsewhere = valid("0671234C");
    let r = read(c.post(&new).form(&elsewhere).send().await.expect("POST")).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("Choisissez un lieu de la liste"), "{}", r.body);
    assert_eq!(t.store.count_cases().await.expect("count"), cases);

    let here = valid("0490001K");
    let r = read(c.post(&new).form(&here).send().await.expect("POST")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let reference = r
        .location()
        .strip_prefix("/dossiers/")
        .unwrap_or_else(|| panic!("redirected to {}", r.location()))
        .to_string();
    assert!(reference.starts_with("PAR-"), "{reference}");
    assert_eq!(t.store.count_cases().await.expect("count"), cases + 1);
    let page = get(&c, &format!("http://{addr}/dossiers/{reference}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for f in [
        "Jeanne Secret",
        "4e Z",
        "Parent Secret Un",
        "parent@example.org",
        "06 12 34 56 78",
        "Parent Secret Deux",
        "12 rue des Lilas, 49000 Angers",
    ] {
        assert!(page.body.contains(f), "{f}: {}", page.body);
    }
}

/// Seed 000: « Le chef d'établissement accueillant un élève ayant fait
/// l'objet de deux exclusions définitives au cours de la même année
/// scolaire peut saisir le directeur académique ». The intake form asks
/// for the dates; a case that does not meet the condition is refused, or
/// opened on confirmation and flagged. The dates stay on the web.
#[tokio::test]
async fn the_par_condition_is_checked_at_intake_and_flagged_when_confirmed() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    let c = signed_in(addr, &t, "chef").await;
    let new = format!("http://{addr}/dossiers/nouveau");
    let form = get(&c, &format!("{new}?procedure=par")).await;
    assert!(form.body.contains("Condition d'ouverture"), "{}", form.body);
    let token = csrf(&form.body);
    let cases = t.store.count_cases().await.expect("count");
    let post_with = |dates: &[(&'static str, &'static str)], confirm: bool| {
        let mut f: Vec<(&str, String)> = vec![
            ("csrf", token.clone()),
            ("procedure", "par".into()),
            ("lieu", "0490001K".into()),
            ("evenement.saisine_envoyee", "23/11/2026".into()),
            ("responsable.1.nom", "Parent Secret".into()),
            ("responsable.1.courriel", "parent@example.org".into()),
            ("responsable.1.langue", "fr".into()),
        ];
        f.extend(dates.iter().map(|(k, v)| (*k, v.to_string())));
        if confirm {
            f.push(("confirme", "oui".into()));
        }
        let c = c.clone();
        let new = new.clone();
        async move { read(c.post(&new).form(&f).send().await.expect("POST")).await }
    };
    // Nothing said of the condition: refused, naming what to enter.
    let r = post_with(&[], false).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("Condition d'ouverture non vérifiée"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("date de la seconde exclusion définitive"),
        "{}",
        r.body
    );
    // June and October of 2026 are two school years (rentrée 1 September).
    let split = [
        ("evenement.exclusion_1", "08/06/2026"),
        ("evenement.exclusion_2", "05/10/2026"),
        ("evenement.accueil", "09/11/2026"),
    ];
    let r = post_with(&split, false).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("2025-2026")
            && r.body.contains("2026-2027")
            && r.body.contains("la condition n'est pas remplie"),
        "{}",
        r.body
    );
    assert_eq!(t.store.count_cases().await.expect("count"), cases);
    // Confirmed by the head: opened, and flagged on its page.
    let r = post_with(&split, true).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let reference = r.location().strip_prefix("/dossiers/").expect("case").to_string();
    let page = get(&c, &format!("http://{addr}/dossiers/{reference}")).await;
    assert!(
        page.body
            .contains("Condition d'ouverture non remplie ou à compléter"),
        "{}",
        page.body
    );
    assert!(page.body.contains("lundi 8 juin 2026"), "{}", page.body);
    let audit: Vec<(String,)> =
        sqlx::query_as("SELECT detail FROM audit WHERE action = 'ouverture' AND case_ref = $1")
            .bind(&reference)
            .fetch_all(t.store.pool())
            .await
            .expect("audit");
    assert!(
        audit[0].0.contains("non remplie, ouverture confirmée"),
        "{audit:?}"
    );
    // Chat says the condition is to check, and never the dates.
    let reply = t
        .app
        .handle("console", "chef", &format!("!dossier {reference}"))
        .await
        .expect("reply");
    assert!(
        reply.contains("Condition d'ouverture de la procédure non remplie"),
        "{reply}"
    );
    assert!(!reply.contains("juin") && !reply.contains("exclusion"), "{reply}");
    let reply = t
        .app
        .handle(
            "console",
            "chef",
            &format!("!date {reference} exclusion_1 2026-09-21"),
        )
        .await
        .expect("reply");
    assert!(reply.contains("date confidentielle"), "{reply}");
    // Dates of one school year meet it: no flag.
    let met = [
        ("evenement.exclusion_1", "21/09/2026"),
        ("evenement.exclusion_2", "02/11/2026"),
        ("evenement.accueil", "09/11/2026"),
    ];
    let r = post_with(&met, false).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = get(&c, &format!("http://{addr}{}", r.location())).await;
    assert!(
        !page.body.contains("Condition d'ouverture non remplie"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn an_email_link_does_nothing_on_get_and_acts_on_post() {
    // The scheduler's own reminder: convocation due Friday 11 December,
    // reminded one working day before, at 08:30 in Paris.
    let mut t = app_at(paris_noon(2026, 12, 1)).await;
    let par = open_par(&t).await;
    let (addr, office) = office(&mut t, None).await;
    let scheduler = echeancier::scheduler::Scheduler::new(t.app.clone(), vec![]);
    scheduler.tick().await.expect("tick");
    t.clock.set(
        DateTime::parse_from_rfc3339("2026-12-10T07:31:00Z")
            .expect("instant")
            .with_timezone(&Utc),
    );
    scheduler.tick().await.expect("tick");
    let reminder: i64 = sqlx::query_scalar(
        "SELECT r.id FROM reminders r JOIN cases c ON c.id = r.case_id
         WHERE c.reference = $1 AND r.step = 'convocation' ORDER BY r.id LIMIT 1",
    )
    .bind(&par)
    .fetch_one(t.store.pool())
    .await
    .expect("a convocation reminder");
    let dasen = person(&t, "dasen").await;
    let links = office.links().links("dasen49@example.org", reminder);
    let done = links
        .iter()
        .find(|(label, _)| *label == "Fait")
        .map(|(_, url)| url.clone())
        .expect("Fait link");
    assert!(done.starts_with(&format!("http://{addr}/action/")), "{done}");

    // No session: the email is the proof.
    let c = client();
    for _ in 0..2 {
        let page = get(&c, &done).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains(&par) && page.body.contains("Convocation des parents"),
            "{}",
            page.body
        );
        assert_eq!(state(&t, &par, "convocation").await, StepStatus::Open);
    }
    let page = get(&c, &done).await;
    // Without the page's token, a forged form changes nothing.
    let forged = post(&c, &done, &[]).await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(state(&t, &par, "convocation").await, StepStatus::Open);

    let acted = post(&c, &done, &[("csrf", &csrf(&page.body))]).await;
    assert_eq!(acted.status, 200, "{}", acted.body);
    assert!(acted.body.contains("C'est fait"), "{}", acted.body);
    assert_eq!(state(&t, &par, "convocation").await, StepStatus::Done);
    let trail = t.store.audit_trail(&par).await.expect("audit");
    let last = trail.last().expect("entry");
    assert_eq!(
        (last.action.as_str(), last.channel.as_str(), last.actor.clone()),
        ("etape_faite", "web", format!("personne:{dasen} (courriel)"))
    );

    // The step is closed: the link serves no more.
    let again = get(&c, &done).await;
    assert_eq!(again.status, 410, "{}", again.body);

    // One character of the signature changed: not a link of ours.
    let (payload, sig) = done.rsplit_once('.').expect("signed token");
    let mut chars: Vec<char> = sig.chars().collect();
    chars[0] = if chars[0] == 'A' { 'B' } else { 'A' };
    let tampered = format!("{payload}.{}", chars.into_iter().collect::<String>());
    let page = get(&client(), &tampered).await;
    assert_eq!(page.status, 404, "{}", page.body);
    // Nor a link for another reminder under this one's signature.
    let other = office.links().links("dasen49@example.org", reminder + 1000);
    let (other_payload, _) = other[0].1.rsplit_once('.').expect("signed token");
    let page = get(&client(), &format!("{other_payload}.{sig}")).await;
    assert_eq!(page.status, 404, "{}", page.body);
}

/// Parses a calendar with Python's `icalendar`: the count of events,
/// parse errors and alarms stamped with DTSTAMP, then each event's UID and
/// SUMMARY, one a line.
fn python_calendar(ics: &[u8]) -> String {
    use std::io::Write;
    let python = std::env::var("ECHEANCIER_TEST_PYTHON")
        .unwrap_or_else(|_| format!("{}/.venv/bin/python", env!("CARGO_MANIFEST_DIR")));
    let script = r#"
import sys
from icalendar import Calendar
cal = Calendar.from_ical(sys.stdin.buffer.read())
events = list(cal.walk("VEVENT"))
errors = sum(len(c.errors) for c in cal.walk())
stamped = sum(1 for a in cal.walk("VALARM") if "DTSTAMP" in a)
print(len(events), errors, stamped)
for e in events:
    print(str(e.get("UID")) + "\t" + str(e.get("SUMMARY")))
"#;
    let mut child = std::process::Command::new(&python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python}: {e}"));
    child.stdin.take().expect("stdin").write_all(ics).expect("write");
    let out = child.wait_with_output().expect("python");
    assert!(
        out.status.success(),
        "icalendar refused the feed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[tokio::test]
async fn the_calendar_feed_is_valid_rfc5545_without_names() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    demo(&t).await;
    let c = signed_in(addr, &t, "chef").await;
    let agenda = format!("http://{addr}/agenda");
    let page = get(&c, &agenda).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let renewed = post(
        &c,
        &format!("{agenda}/renouveler"),
        &[("csrf", &csrf(&page.body))],
    )
    .await;
    assert_eq!(
        (renewed.status, renewed.location()),
        (303, "/agenda"),
        "{}",
        renewed.body
    );
    let page = get(&c, &agenda).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<svg"), "{}", page.body);
    let start = page
        .body
        .find(&format!("http://{addr}/agenda/"))
        .unwrap_or_else(|| panic!("no feed address in {}", page.body));
    let end = page.body[start..].find(".ics").expect(".ics") + start + ".ics".len();
    let feed = page.body[start..end].to_string();

    // Calendar applications have no session: the address is the secret.
    let r = client().get(&feed).send().await.expect("GET feed");
    assert_eq!(r.status().as_u16(), 200);
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(kind.starts_with("text/calendar"), "{kind}");
    let ics = r.bytes().await.expect("body");
    let text = String::from_utf8_lossy(&ics).into_owned();
    for name in ["Élève Fictif", "Parent Fictif", "@example.org", "4e B", "3e A"] {
        assert!(!text.contains(name), "{name} in the feed: {text}");
    }
    assert_eq!(crate::privacy::personal_data_in(&text), None, "{text}");

    let parsed = python_calendar(&ics);
    let mut lines = parsed.lines();
    let counts: Vec<usize> = lines
        .next()
        .expect("counts")
        .split(' ')
        .map(|n| n.parse().expect("number"))
        .collect();
    assert!(counts[0] >= 1, "no event: {text}");
    assert_eq!(counts[1], 0, "parse errors: {text}");
    assert_eq!(counts[2], 0, "DTSTAMP in an alarm: {text}");
    let events: Vec<(&str, &str)> = lines
        .map(|l| l.split_once('\t').expect("UID and SUMMARY"))
        .collect();
    assert_eq!(events.len(), counts[0]);
    for (uid, summary) in &events {
        assert!(uid.contains('@'), "{uid}");
        let reference = summary.split(" : ").next().unwrap_or_default();
        assert!(
            reference.parse::<echeancier::core::ids::CaseRef>().is_ok(),
            "{summary} does not start with a case reference"
        );
    }

    let revoked = post(&c, &format!("{agenda}/revoquer"), &[("csrf", &csrf(&page.body))]).await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    let gone = get(&client(), &feed).await;
    assert_eq!(gone.status, 404, "{}", gone.body);
}

/// The first address in a chat reply.
fn url_in(reply: &str) -> Option<String> {
    let start = reply.find("http://").or_else(|| reply.find("https://"))?;
    Some(
        reply[start..]
            .split(char::is_whitespace)
            .next()
            .unwrap_or_default()
            .to_string(),
    )
}

/// `!ouvrir` by a head of school: the referral it sent is its date to
/// give (the DSDEN dates the receipt).
#[tokio::test]
async fn chat_opens_a_case_without_personal_data_and_links_to_the_family_page() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    let reply = t
        .app
        .handle(
            "console",
            "chef",
            &format!("!ouvrir par 0490001K saisine_envoyee={}", today(&t)),
        )
        .await
        .expect("reply");
    assert!(reply.contains("ouvert"), "{reply}");
    let url = url_in(&reply).unwrap_or_else(|| panic!("no link in {reply}"));
    assert!(
        url.starts_with(&format!("http://{addr}/connexion/lien/")),
        "{reply}"
    );
    let c = client();
    let entered = follow(&c, &url).await;
    assert_eq!(entered.status, 303, "{}", entered.body);
    let family = entered.location().to_string();
    assert!(
        family.starts_with("/dossiers/PAR-") && family.ends_with("/famille"),
        "{family}"
    );
    let reference = family
        .trim_start_matches("/dossiers/")
        .trim_end_matches("/famille");
    assert!(reply.contains(reference), "{reply}");
    let page = get(&c, &format!("http://{addr}{family}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("élève et famille"), "{}", page.body);

    // A link is personal: never written in a room.
    let room = echeancier::core::authz::Place::Staff {
        establishment: Some("0490001K".into()),
        departement: None,
    };
    let reply = t
        .app
        .handle_in(&room, "console", "chef", "!connexion")
        .await
        .expect("reply");
    assert!(reply.contains("message direct"), "{reply}");
    assert!(
        url_in(&reply).is_none() && !reply.contains("/connexion/lien/"),
        "{reply}"
    );

    let reply = t
        .app
        .handle("console", "chef", "!connexion")
        .await
        .expect("reply");
    let url = url_in(&reply).unwrap_or_else(|| panic!("no link in {reply}"));
    let c = client();
    let entered = follow(&c, &url).await;
    assert_eq!(
        (entered.status, entered.location()),
        (303, "/"),
        "{}",
        entered.body
    );
    let home = get(&c, &format!("http://{addr}/")).await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("Mes échéances"), "{}", home.body);
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let public = "https://echeancier.example.fr";
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, Some(public)).await;
    let url = link(&t, "chef", "/").await;
    let path = url
        .strip_prefix(public)
        .unwrap_or_else(|| panic!("link not on the public address: {url}"));
    assert!(path.starts_with("/connexion/lien/"), "{url}");
    // The TLS proxy's side of the office, on loopback. A cookie jar (as a
    // browser) never sends a Secure cookie over http: this client carries
    // the CSRF cookie itself.
    let local = format!("http://{addr}{path}");
    let c = Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    let page = get(&c, &local).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf_cookie = page
        .cookie("__Host-echeancier-csrf")
        .unwrap_or_else(|| panic!("no CSRF cookie in {:?}", page.cookies()));
    assert!(
        csrf_cookie.contains("Secure") && csrf_cookie.contains("Path=/") && !csrf_cookie.contains("Domain="),
        "{csrf_cookie}"
    );
    let pair = csrf_cookie.split(';').next().expect("name=value").to_string();
    let entered = read(
        c.post(&local)
            .header("cookie", pair)
            .form(&[("csrf", csrf(&page.body))])
            .send()
            .await
            .expect("POST"),
    )
    .await;
    assert_eq!(entered.status, 303, "{}", entered.body);
    let session = entered
        .cookie("__Host-echeancier")
        .unwrap_or_else(|| panic!("no __Host- session cookie in {:?}", entered.cookies()));
    // What __Host- requires of it, and what the http office's has.
    assert!(
        session.contains("Secure")
            && session.contains("Path=/")
            && !session.contains("Domain=")
            && session.contains("HttpOnly")
            && session.contains("SameSite=Strict"),
        "{session}"
    );
    assert!(entered.cookie("echeancier").is_none(), "{:?}", entered.cookies());
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    let c = client();
    for path in ["/connexion", "/nulle-part", "/"] {
        let page = get(&c, &format!("http://{addr}{path}")).await;
        let csp = page.header("content-security-policy");
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(page.header("x-frame-options"), "DENY", "{path}");
        assert_eq!(page.header("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(page.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(page.header("cache-control"), "no-store", "{path}");
    }
}

/// Whether a `Location` stays on the office whatever the browser makes of
/// it: browsers read `\` as `/` and drop tabs and line breaks in URLs, so
/// `/\evil.example` and `/<TAB>/evil.example` both mean `//evil.example`.
fn stays_on_the_office(location: &str) -> bool {
    let cleaned: String = location
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    cleaned.starts_with('/') && !cleaned.starts_with("//") && !location.chars().any(|c| c.is_control())
}

// The target of a link is checked where links are made
// (`app::sessions::is_office_path`): `/\host` and `/<TAB>/host` start with
// one slash but lead browsers elsewhere, right after a genuine login.
#[tokio::test]
async fn signing_in_never_redirects_off_the_office() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    // From the login page, reached with a crafted `suite`: the mailed link.
    let c = client();
    let login = format!("http://{addr}/connexion");
    let page = get(&c, &format!("{login}?suite=%2F%5Cevil.example")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let sent = post(
        &c,
        &login,
        &[
            ("csrf", &csrf(&page.body)),
            ("courriel", "principale.0490001k@example.org"),
            ("suite", "/\\evil.example"),
        ],
    )
    .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let payload: String = sqlx::query_scalar("SELECT payload FROM reminders WHERE kind = 'lien-web'")
        .fetch_one(t.store.pool())
        .await
        .expect("payload");
    let payload: serde_json::Value = serde_json::from_str(&payload).expect("json");
    let entered = follow(&client(), payload["lien"].as_str().expect("link")).await;
    assert_eq!(entered.status, 303, "{}", entered.body);
    assert!(
        stays_on_the_office(entered.location()),
        "signed in, then sent to {:?}",
        entered.location()
    );

    // Links issued by the app itself (chat, intake) check the same way.
    // Three links a quarter of an hour per person: a new quarter first.
    t.clock.advance(Duration::minutes(16));
    for target in ["/\t/evil.example", "//evil.example", "https://evil.example"] {
        let entered = follow(&client(), &link(&t, "chef", target).await).await;
        assert_eq!(entered.status, 303, "{target:?}: {}", entered.body);
        assert!(
            stays_on_the_office(entered.location()),
            "{target:?}: signed in, then sent to {:?}",
            entered.location()
        );
    }
}

#[tokio::test]
async fn indicators_show_counts_of_the_person_s_scope_only() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    demo(&t).await;
    let dasen = signed_in(addr, &t, "dasen").await;
    let page = get(&dasen, &format!("http://{addr}/indicateurs")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("département 049")
            && page.body.contains("Rendez-vous proposés")
            && page.body.contains("<svg"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("PAR-") && !page.body.contains("Fictif"),
        "{}",
        page.body
    );
    let school = get(
        &dasen,
        &format!("http://{addr}/indicateurs?etablissement=0490001K&periode=2026-2027-T1"),
    )
    .await;
    assert_eq!(school.status, 200, "{}", school.body);
    assert!(school.body.contains("2026-2027, trimestre 1"), "{}", school.body);
    let bad = get(&dasen, &format!("http://{addr}/indicateurs?periode=2026")).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("période « 2026 » invalide"), "{}", bad.body);
    // A school's head sees that school, and no other.
    let chef = signed_in(addr, &t, "chef").await;
    let own = get(&chef, &format!("http://{addr}/indicateurs")).await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(own.body.contains("Collège Jean Vilar"), "{}", own.body);
    let other = get(
        &chef,
        &format!("http://{addr}/indicateurs?etablissement=0671234C"),
    )
    .await;
    assert_eq!(other.status, 403, "{}", other.body);
    // Partners have no indicators of families.
    let caf = signed_in(addr, &t, "caf").await;
    let refused = get(&caf, &format!("http://{addr}/indicateurs")).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
}

/// Seed 003: a contract « fixant des objectifs et des échéances ». Each
/// deadline is added as a milestone, from the web or by `!jalon` in a
/// direct message; its title stays on the web, chat reads its number.
#[tokio::test]
async fn contract_milestones_are_added_on_the_web_and_in_a_direct_message() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    let reference = t
        .app
        .open_case(
            echeancier::app::OpenCase {
                procedure: "parcours".into(),
                establishment: Some("0490001K".into()),
                events: vec![(
                    "ouverture".into(),
                    chrono::NaiveDate::from_ymd_opt(2026, 11, 16).expect("date"),
                )],
                ..Default::default()
            },
            &echeancier::app::Who::cli(),
        )
        .await
        .expect("open")
        .case
        .reference;
    let c = signed_in(addr, &t, "chef").await;
    let url = format!("http://{addr}/dossiers/{reference}");
    let page = get(&c, &url).await;
    assert!(page.body.contains("Échéances du contrat"), "{}", page.body);
    let token = csrf(&page.body);
    let post_milestone = |title: &'static str, date: &'static str| {
        let (c, token) = (c.clone(), token.clone());
        let to = format!("{url}/jalons");
        async move {
            read(
                c.post(&to)
                    .form(&[("csrf", token.as_str()), ("intitule", title), ("date", date)])
                    .send()
                    .await
                    .expect("POST"),
            )
            .await
        }
    };
    let r = post_milestone("Jeanne Secret assidue en atelier", "15/01/2027").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Échéance du contrat n° 1 ajoutée"), "{}", r.body);
    let bad = post_milestone("Sans date", "31/02/2027").await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("ce jour n'existe pas"), "{}", bad.body);
    let page = get(&c, &url).await;
    assert!(
        page.body.contains("Échéance du contrat n° 1")
            && page.body.contains("Jeanne Secret assidue en atelier"),
        "{}",
        page.body
    );
    // In a room: refused, the title may speak of the pupil.
    let room = echeancier::core::authz::Place::Staff {
        establishment: Some("0490001K".into()),
        departement: None,
    };
    let reply = t
        .app
        .handle_in(
            &room,
            "console",
            "chef",
            &format!("!jalon {reference} « Stage trouvé » 01/02/2027"),
        )
        .await
        .expect("reply");
    assert!(reply.contains("message direct"), "{reply}");
    // In a direct message: milestone n° 2, its title not repeated.
    let reply = t
        .app
        .handle(
            "console",
            "chef",
            &format!("!jalon {reference} « Stage trouvé » 01/02/2027"),
        )
        .await
        .expect("reply");
    assert!(
        reply.contains("Échéance du contrat n° 2 le lundi 1er février 2027"),
        "{reply}"
    );
    assert!(!reply.contains("Stage trouvé"), "{reply}");
    let reply = t
        .app
        .handle_in(&room, "console", "chef", &format!("!dossier {reference}"))
        .await
        .expect("reply");
    assert!(
        reply.contains("Échéance du contrat n° 1") && reply.contains("Échéance du contrat n° 2"),
        "{reply}"
    );
    assert!(
        !reply.contains("Jeanne") && !reply.contains("Stage trouvé"),
        "{reply}"
    );
    // The référent holds it and marks it done like any step; the date
    // moves like any event's.
    let reply = t
        .app
        .handle("console", "cpe", &format!("!date {reference} jalon_2 2027-02-08"))
        .await
        .expect("reply");
    assert!(reply.contains("date enregistrée"), "{reply}");
    let reply = t
        .app
        .handle(
            "console",
            "cpe",
            &format!("!etape {reference} jalon_1 fait 2026-11-23"),
        )
        .await
        .expect("reply");
    assert!(reply.contains("faite"), "{reply}");
    let snap = t.app.snapshot(&reference).await.expect("snapshot");
    let two = snap
        .steps
        .iter()
        .find(|s| s.step == "jalon_2")
        .expect("milestone 2");
    assert_eq!(two.due, chrono::NaiveDate::from_ymd_opt(2027, 2, 8));
    assert_eq!(two.role, "referent");
    // A PAR has no milestones.
    let par = crate::util::open_par_from(&t, vec![], "2026-11-20").await;
    let reply = t
        .app
        .handle("console", "chef", &format!("!jalon {par} « x » 01/02/2027"))
        .await
        .expect("reply");
    assert!(reply.contains("pas d'échéances de contrat"), "{reply}");
}

/// Seed 003: « s'adresse en priorité aux élèves scolarisés en classe de
/// 4ème ou 3ème et doit concerner plus particulièrement ceux qui
/// atteindront l'âge de 16 ans [...] au cours de l'année scolaire ». The
/// case page says whether the pupil is in that public; it never refuses.
#[tokio::test]
async fn the_parcours_priority_public_is_shown_never_enforced() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    let c = signed_in(addr, &t, "chef").await;
    let new = format!("http://{addr}/dossiers/nouveau");
    let form = get(&c, &format!("{new}?procedure=parcours")).await;
    assert!(
        form.body.contains("Date de naissance (facultative)"),
        "{}",
        form.body
    );
    let token = csrf(&form.body);
    let fields = |born: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("procedure", "parcours".to_string()),
            ("lieu", "0490001K".to_string()),
            ("eleve.nom", "Jeanne Secret".to_string()),
            ("eleve.classe", "5e A".to_string()),
            ("eleve.naissance", born.to_string()),
            ("responsable.1.nom", "Parent Secret".to_string()),
            ("responsable.1.courriel", "parent@example.org".to_string()),
            ("responsable.1.langue", "fr".to_string()),
        ]
    };
    let future = read(
        c.post(&new)
            .form(&fields("01/01/2030"))
            .send()
            .await
            .expect("POST"),
    )
    .await;
    assert_eq!(future.status, 400, "{}", future.body);
    assert!(future.body.contains("une date passée"), "{}", future.body);
    let r = read(
        c.post(&new)
            .form(&fields("14/03/2011"))
            .send()
            .await
            .expect("POST"),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let reference = r.location().strip_prefix("/dossiers/").expect("case").to_string();
    let page = get(&c, &format!("http://{addr}/dossiers/{reference}")).await;
    for shown in [
        "Public prioritaire",
        "En 5e A : hors du public prioritaire",
        "16 ans le dimanche 14 mars 2027, au cours de l'année scolaire 2026-2027",
        "pas une condition",
    ] {
        assert!(page.body.contains(shown), "{shown}: {}", page.body);
    }
    let family = get(&c, &format!("http://{addr}/dossiers/{reference}/famille")).await;
    assert!(family.body.contains("value=\"14/03/2011\""), "{}", family.body);
    let reply = t
        .app
        .handle("console", "chef", &format!("!dossier {reference}"))
        .await
        .expect("reply");
    assert!(
        !reply.contains("2011") && !reply.contains("5e A") && !reply.contains("prioritaire"),
        "{reply}"
    );
}

// Fiche « confiance avec les parents » (seed 002): an oral channel, and
// the families reached counted. A call is noted from the case page, with
// or without a task asking for it; what families answered a notice shows
// on *Mes échéances*.
#[tokio::test]
async fn a_call_is_noted_on_the_case_page_and_answers_show_on_my_deadlines() {
    let mut t = app_at(monday()).await;
    let (addr, _office) = office(&mut t, None).await;
    let d = demo(&t).await;
    let reply = t
        .app
        .handle(
            "console",
            "dasen",
            &format!("!rdv {} entretien 2026-11-26 10h confirme", d.par),
        )
        .await
        .expect("reply");
    assert!(reply.contains("rendez-vous fixé"), "{reply}");
    // The first guardian will come, the second asks to be called back.
    let guardians: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT a.case_id, g.id, a.sequence FROM appointments a JOIN cases c ON c.id = a.case_id
         JOIN guardians g ON g.case_id = c.id WHERE c.reference = $1 ORDER BY g.id",
    )
    .bind(&d.par)
    .fetch_all(t.store.pool())
    .await
    .expect("guardians");
    assert_eq!(guardians.len(), 2, "{guardians:?}");
    for (n, (case_id, guardian_id, sequence)) in guardians.iter().enumerate() {
        let links = t
            .app
            .answer_links(*case_id, "entretien", *guardian_id, *sequence)
            .await
            .expect("links")
            .expect("web office on");
        let link = if n == 0 { links.coming } else { links.call_me };
        let token = link.rsplit('/').next().expect("token");
        assert!(t.app.record_answer(token).await.expect("answer").is_ok());
    }
    let c = signed_in(addr, &t, "dasen").await;
    let home = get(&c, &format!("http://{addr}/")).await;
    assert!(home.body.contains("Réponse des familles"), "{}", home.body);
    assert!(
        home.body.contains("1 viendra") && home.body.contains("1 demande à être rappelé"),
        "{}",
        home.body
    );
    let url = format!("http://{addr}/dossiers/{}", d.par);
    let page = get(&c, &url).await;
    assert!(page.body.contains("Noter un appel"), "{}", page.body);
    let token = csrf(&page.body);
    let call = |guardian: &'static str, date: String| {
        let (c, token, to) = (c.clone(), token.clone(), format!("{url}/appel"));
        async move {
            read(
                c.post(&to)
                    .form(&[
                        ("csrf", token.as_str()),
                        ("responsable", guardian),
                        ("date", &date),
                    ])
                    .send()
                    .await
                    .expect("POST"),
            )
            .await
        }
    };
    // Refused, and nothing recorded: a call to come, a guardian the case
    // does not have.
    let tomorrow = (t.app.today() + chrono::Duration::days(1)).to_string();
    let r = call("2", tomorrow).await;
    assert!(r.body.contains("Un appel se note une fois passé"), "{}", r.body);
    let r = call("9", String::new()).await;
    assert!(r.body.contains("pas de responsable n° 9"), "{}", r.body);
    let calls = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit WHERE action = 'appel_famille'")
            .fetch_one(t.store.pool())
            .await
            .expect("audit")
    };
    assert_eq!(calls().await, 0);
    // The second guardian called back: the tasks of their answer and of
    // their oral channel close, and the call counts once.
    let r = call("2", String::new()).await;
    assert!(
        r.body.contains("appel au responsable n° 2 noté") && r.body.contains("2 tâches d"),
        "{}",
        r.body
    );
    let open_tasks: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM reminders WHERE kind = 'appel-famille' AND acknowledged_at IS NULL",
    )
    .fetch_one(t.store.pool())
    .await
    .expect("tasks");
    assert_eq!(open_tasks, 0);
    let reached = || async {
        t.app
            .indicators(Some("0490001K"), None, None)
            .await
            .expect("indicators")
            .counts
            .reached_orally
    };
    assert_eq!(reached().await, 1);
    // Another call, without a task: counted too, once.
    let r = call("", String::new()).await;
    assert!(r.body.contains("appel à la famille noté"), "{}", r.body);
    assert_eq!(calls().await, 2);
    assert_eq!(reached().await, 2);
    let page = get(&c, &url).await;
    assert!(
        page.body.contains("Famille jointe par téléphone"),
        "{}",
        page.body
    );
    // The same from chat, which names no one.
    let reply = t
        .app
        .handle("console", "dasen", &format!("!appel {} 1", d.par))
        .await
        .expect("reply");
    assert!(reply.contains("appel au responsable n° 1 noté"), "{reply}");
    assert_eq!(crate::privacy::personal_data_in(&reply), None, "{reply}");
    assert_eq!(reached().await, 3);
}
