//! The page shell of the web office: the DSFR's skip links, header (with the
//! main menu and its phone modal), main area and footer, around each page's
//! own content. It follows the markup of the vendored DSFR's examples, so the
//! design system's CSS and JavaScript apply as they are, and its
//! accessibility work with them.
//!
//! Every text passed in is escaped by maud; nothing here is pre-escaped.

use maud::{DOCTYPE, Markup, html};

use crate::web::assets::DSFR_VERSION;

/// The signed-in person shown in the header, and their CSRF token for the logout form.
pub struct UserBar<'a> {
    pub name: &'a str,
    pub csrf: &'a str,
}

/// Which entry of the main menu is the current page.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Deadlines,
    Cases,
    NewCase,
    Partners,
    Calendar,
    Indicators,
    None,
}

/// The menu entries a person sees: staff see Deadlines/Cases/NewCase/Calendar/Indicators, partners see Partners/Calendar.
pub struct Menu {
    pub staff: bool,
    pub partner: bool,
}

/// One entry of the main menu, and who sees it.
struct Entry {
    nav: Nav,
    label: &'static str,
    href: &'static str,
    staff: bool,
    partner: bool,
}

static ENTRIES: [Entry; 6] = [
    Entry {
        nav: Nav::Deadlines,
        label: "Mes échéances",
        href: "/",
        staff: true,
        partner: false,
    },
    Entry {
        nav: Nav::Cases,
        label: "Dossiers",
        href: "/dossiers",
        staff: true,
        partner: false,
    },
    Entry {
        nav: Nav::NewCase,
        label: "Nouveau dossier",
        href: "/dossiers/nouveau",
        staff: true,
        partner: false,
    },
    Entry {
        nav: Nav::Partners,
        label: "Partenariat",
        href: "/partenariat",
        staff: false,
        partner: true,
    },
    Entry {
        nav: Nav::Calendar,
        label: "Agenda",
        href: "/agenda",
        staff: true,
        partner: true,
    },
    Entry {
        nav: Nav::Indicators,
        label: "Indicateurs",
        href: "/indicateurs",
        staff: true,
        partner: false,
    },
];

/// The ministry, as the DSFR's "bloc Marianne" writes it: the line breaks
/// are part of the official logo.
fn logo() -> Markup {
    html! {
        p class="fr-logo" { "Ministère" br; "de l’Éducation" br; "nationale" }
    }
}

/// Where the vendored DSFR is served (see `assets::dsfr`).
fn asset(path: &str) -> String {
    format!("/dsfr/{DSFR_VERSION}/{path}")
}

/// A whole page: `title` names it in the browser tab and as its `<h1>`, `nav`
/// marks the current menu entry, `body` follows the `<h1>`.
pub fn page(title: &str, nav: Nav, menu: &Menu, user: Option<&UserBar<'_>>, body: Markup) -> Markup {
    let entries: Vec<&Entry> = ENTRIES
        .iter()
        .filter(|e| (menu.staff && e.staff) || (menu.partner && e.partner))
        .collect();
    html! {
        (DOCTYPE)
        // data-fr-scheme: the DSFR's script follows the system's light or
        // dark preference.
        html lang="fr" data-fr-scheme="system" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // Dates and case numbers must not turn into phone links.
                meta name="format-detection" content="telephone=no,date=no,address=no,email=no,url=no";
                meta name="theme-color" content="#000091";
                title { (title) " — échéancier" }
                link rel="stylesheet" href=(asset("dsfr.min.css"));
                // The fr-icon-* classes are not in dsfr.min.css.
                link rel="stylesheet" href=(asset("utility/icons/icons.min.css"));
                link rel="apple-touch-icon" href=(asset("favicon/apple-touch-icon.png"));
                link rel="icon" href=(asset("favicon/favicon.svg")) type="image/svg+xml";
                link rel="shortcut icon" href=(asset("favicon/favicon.ico")) type="image/x-icon";
                link rel="manifest" href=(asset("favicon/manifest.webmanifest")) crossorigin="use-credentials";
            }
            body {
                div class="fr-skiplinks" {
                    nav class="fr-container" role="navigation" aria-label="Accès rapide" {
                        ul class="fr-skiplinks__list" {
                            li { a class="fr-link" href="#contenu" { "Contenu" } }
                            @if !entries.is_empty() {
                                li { a class="fr-link" href="#menu" { "Menu" } }
                            }
                            li { a class="fr-link" href="#pied-de-page" { "Pied de page" } }
                        }
                    }
                }
                (header(nav, &entries, user))
                main id="contenu" class="fr-container fr-my-4w" role="main" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                (footer())
                // At the end: the page is readable before the script runs,
                // which only drives the phone menu and the modals.
                script type="module" src=(asset("dsfr.module.min.js")) {}
                script nomodule="" src=(asset("dsfr.nomodule.min.js")) {}
            }
        }
    }
}

fn header(current: Nav, entries: &[&Entry], user: Option<&UserBar<'_>>) -> Markup {
    html! {
        header class="fr-header" role="banner" {
            div class="fr-header__body" {
                div class="fr-container" {
                    div class="fr-header__body-row" {
                        div class="fr-header__brand fr-enlarge-link" {
                            div class="fr-header__brand-top" {
                                div class="fr-header__logo" { (logo()) }
                                // On phones the tools and the menu move into
                                // the modal this button opens.
                                div class="fr-header__navbar" {
                                    button class="fr-btn--menu fr-btn" type="button" id="menu-bouton"
                                        data-fr-opened="false" aria-controls="menu-modal" title="Menu" { "Menu" }
                                }
                            }
                            div class="fr-header__service" {
                                a href="/" title="Accueil — échéancier — Ministère de l’Éducation nationale" {
                                    p class="fr-header__service-title" { "échéancier" }
                                }
                                p class="fr-header__service-tagline" {
                                    "Suivi des échéances des procédures scolaires"
                                }
                            }
                        }
                        div class="fr-header__tools" {
                            // The DSFR's script copies this block into the
                            // phone menu, hence no id in it.
                            div class="fr-header__tools-links" {
                                ul class="fr-btns-group" { (tools(user)) }
                            }
                        }
                    }
                }
            }
            div class="fr-header__menu fr-modal" id="menu-modal" aria-labelledby="menu-bouton" {
                div class="fr-container" {
                    button class="fr-btn--close fr-btn" type="button" aria-controls="menu-modal" title="Fermer" {
                        "Fermer"
                    }
                    div class="fr-header__menu-links" {}
                    @if !entries.is_empty() {
                        nav class="fr-nav" id="menu" role="navigation" aria-label="Menu principal" {
                            ul class="fr-nav__list" {
                                @for entry in entries {
                                    li class="fr-nav__item" {
                                        a class="fr-nav__link" href=(entry.href)
                                            aria-current=[(entry.nav == current).then_some("page")] {
                                            (entry.label)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The header's tools: who is signed in and the logout button, or the way in.
fn tools(user: Option<&UserBar<'_>>) -> Markup {
    html! {
        @if let Some(user) = user {
            li {
                // Not a link: there is no account page, only the name.
                p class="fr-text--sm fr-mb-0 fr-py-1v fr-px-3v" {
                    span class="fr-icon-account-circle-line fr-icon--sm fr-mr-1v" aria-hidden="true" {}
                    span class="fr-sr-only" { "Personne connectée\u{a0}: " }
                    (user.name)
                }
            }
            li {
                // A POST with the CSRF token: a link could log people out
                // from another site.
                form method="post" action="/deconnexion" {
                    input type="hidden" name="csrf" value=(user.csrf);
                    button class="fr-btn fr-icon-logout-box-r-line" type="submit" { "Se déconnecter" }
                }
            }
        } @else {
            li { a class="fr-btn fr-icon-lock-line" href="/connexion" { "Se connecter" } }
        }
    }
}

/// The official links every State site's footer carries; `noreferrer` so
/// that the address of a case's page never leaves with the visitor.
const GOV_LINKS: [&str; 4] = [
    "info.gouv.fr",
    "service-public.gouv.fr",
    "legifrance.gouv.fr",
    "data.gouv.fr",
];

fn footer() -> Markup {
    html! {
        footer class="fr-footer" role="contentinfo" id="pied-de-page" {
            div class="fr-container" {
                div class="fr-footer__body" {
                    div class="fr-footer__brand fr-enlarge-link" {
                        a href="/" title="Retour à l’accueil — échéancier — Ministère de l’Éducation nationale" {
                            (logo())
                        }
                    }
                    div class="fr-footer__content" {
                        p class="fr-footer__content-desc" {
                            "échéancier calcule et rappelle les échéances des procédures\u{202f}; "
                            "les données personnelles des élèves ne s’affichent qu’ici, aux personnels habilités."
                        }
                        ul class="fr-footer__content-list" {
                            @for site in GOV_LINKS {
                                li class="fr-footer__content-item" {
                                    a class="fr-footer__content-link" href={ "https://" (site) }
                                        target="_blank" rel="noopener noreferrer external"
                                        title={ (site) " — nouvelle fenêtre" } { (site) }
                                }
                            }
                        }
                    }
                }
                div class="fr-footer__bottom" {
                    div class="fr-footer__bottom-copy" {
                        p { "© République française" }
                    }
                }
            }
        }
    }
}

/// The kind of a DSFR alert, which sets its colour and icon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertKind {
    Error,
    Success,
    Info,
    Warning,
}

/// A DSFR alert (error/success/info) with a title and text.
pub fn alert(kind: AlertKind, title: &str, text: &str) -> Markup {
    let (modifier, role) = match kind {
        // An error is what the person must act on: announced at once.
        AlertKind::Error => ("fr-alert--error", Some("alert")),
        AlertKind::Success => ("fr-alert--success", None),
        AlertKind::Info => ("fr-alert--info", None),
        AlertKind::Warning => ("fr-alert--warning", None),
    };
    html! {
        // fr-mb-3w: alerts stack above the page's content without touching it.
        div class={ "fr-alert " (modifier) " fr-mb-3w" } role=[role] {
            // h2: the alert sits in a page's body, under its h1.
            h2 class="fr-alert__title" { (title) }
            @if !text.is_empty() {
                p { (text) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff() -> Menu {
        Menu {
            staff: true,
            partner: false,
        }
    }

    fn render(title: &str, nav: Nav, menu: &Menu, user: Option<&UserBar<'_>>) -> String {
        page(title, nav, menu, user, html! { p { "corps" } }).into_string()
    }

    /// The values of every `attr="…"` in `html`.
    fn attrs<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
        let needle = format!(" {attr}=\"");
        html.match_indices(&needle)
            .filter_map(|(at, _)| {
                let rest = &html[at + needle.len()..];
                rest.find('"').map(|end| &rest[..end])
            })
            .collect()
    }

    #[test]
    fn the_page_is_in_french() {
        let html = render("Dossiers", Nav::Cases, &staff(), None);
        assert!(
            html.starts_with("<!DOCTYPE html><html lang=\"fr\" data-fr-scheme=\"system\">"),
            "{html}"
        );
        assert!(html.contains("<title>Dossiers — échéancier</title>"));
        assert!(html.contains(&format!("href=\"/dsfr/{DSFR_VERSION}/dsfr.min.css\"")));
        assert!(html.contains(&format!(
            "<script type=\"module\" src=\"/dsfr/{DSFR_VERSION}/dsfr.module.min.js\">"
        )));
    }

    #[test]
    fn skip_links_target_existing_unique_ids() {
        for menu in [
            staff(),
            Menu {
                staff: false,
                partner: false,
            },
        ] {
            let html = render("Accueil", Nav::None, &menu, None);
            let start = html.find("class=\"fr-skiplinks\"").expect("skip links");
            let end = start + html[start..].find("</div>").expect("end of skip links");
            let targets: Vec<&str> = attrs(&html[start..end], "href");
            assert!(targets.contains(&"#contenu"));
            let ids = attrs(&html, "id");
            for target in targets {
                let id = target.strip_prefix('#').expect("an anchor");
                assert_eq!(ids.iter().filter(|i| **i == id).count(), 1, "{id} in {html}");
            }
            // No id twice anywhere: the DSFR's script and the skip links rely on it.
            for id in &ids {
                assert_eq!(ids.iter().filter(|i| *i == id).count(), 1, "{id}");
            }
        }
        let html = render("Accueil", Nav::None, &staff(), None);
        assert!(html.contains("href=\"#menu\""));
        assert!(html.contains("<main id=\"contenu\""));
    }

    #[test]
    fn the_current_entry_carries_aria_current() {
        let html = render("Dossiers", Nav::Cases, &staff(), None);
        assert_eq!(html.matches("aria-current=").count(), 1);
        assert!(
            html.contains("<a class=\"fr-nav__link\" href=\"/dossiers\" aria-current=\"page\">Dossiers</a>")
        );
        let html = render("Connexion", Nav::None, &staff(), None);
        assert!(!html.contains("aria-current"));
    }

    #[test]
    fn the_menu_follows_roles() {
        let hrefs = |menu: &Menu| {
            let html = render("T", Nav::None, menu, None);
            let nav = &html[html.find("class=\"fr-nav\"").expect("nav")..];
            attrs(&nav[..nav.find("</nav>").expect("end of nav")], "href")
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            hrefs(&staff()),
            ["/", "/dossiers", "/dossiers/nouveau", "/agenda", "/indicateurs"]
        );
        assert_eq!(
            hrefs(&Menu {
                staff: false,
                partner: true
            }),
            ["/partenariat", "/agenda"]
        );
        assert_eq!(
            hrefs(&Menu {
                staff: true,
                partner: true
            }),
            [
                "/",
                "/dossiers",
                "/dossiers/nouveau",
                "/partenariat",
                "/agenda",
                "/indicateurs"
            ]
        );
        let html = render(
            "T",
            Nav::None,
            &Menu {
                staff: false,
                partner: false,
            },
            None,
        );
        assert!(!html.contains("fr-nav__list"));
    }

    #[test]
    fn the_title_and_user_are_escaped() {
        let user = UserBar {
            name: "<b>Zoé</b>",
            csrf: "a\"b",
        };
        let html = render("<script>alert(1)</script>", Nav::None, &staff(), Some(&user));
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"));
        assert!(html.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; — échéancier</title>"));
        assert!(html.contains("&lt;b&gt;Zoé&lt;/b&gt;"));
        assert!(html.contains("name=\"csrf\" value=\"a&quot;b\""));
    }

    #[test]
    fn the_header_offers_logout_or_login() {
        let user = UserBar {
            name: "Zoé Martin",
            csrf: "jeton",
        };
        let html = render("T", Nav::None, &staff(), Some(&user));
        assert!(html.contains("<form method=\"post\" action=\"/deconnexion\">"));
        assert!(html.contains("<input type=\"hidden\" name=\"csrf\" value=\"jeton\">"));
        assert!(html.contains("Se déconnecter"));
        assert!(html.contains("Zoé Martin"));
        assert!(!html.contains("/connexion\""));
        let html = render("T", Nav::None, &staff(), None);
        assert!(html.contains("href=\"/connexion\""));
        assert!(!html.contains("/deconnexion"));
    }

    #[test]
    fn alerts_carry_their_kind() {
        let html = alert(AlertKind::Error, "Échec", "Le <champ> manque.").into_string();
        assert_eq!(
            html,
            "<div class=\"fr-alert fr-alert--error fr-mb-3w\" role=\"alert\"><h2 class=\"fr-alert__title\">Échec</h2>\
             <p>Le &lt;champ&gt; manque.</p></div>"
        );
        let html = alert(AlertKind::Success, "Enregistré", "").into_string();
        assert_eq!(
            html,
            "<div class=\"fr-alert fr-alert--success fr-mb-3w\"><h2 class=\"fr-alert__title\">Enregistré</h2></div>"
        );
        assert!(
            alert(AlertKind::Info, "i", "t")
                .into_string()
                .contains("fr-alert--info")
        );
        assert!(
            alert(AlertKind::Warning, "w", "t")
                .into_string()
                .contains("fr-alert--warning")
        );
    }
}
