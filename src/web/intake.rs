//! *Nouveau dossier*: the intake form of every procedure (its events,
//! parameters, pupil and guardians, or a partnership item's département,
//! title and partners), and the family page of a case (pupil and
//! guardians, entered or corrected later: the page `!ouvrir` links to).
//! Every field is checked, its French message shown beside it, and nothing
//! is stored while one is wrong.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use echeancier_core::authz::Within;
use echeancier_core::procedure::{Audience, Procedure};
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::{GuardianInput, OpenCase};

use super::layout::{self, AlertKind, Nav};
use super::pages::shell;
use super::session::Staff;
use super::{Office, failure, form_date};

/// Guardian blocks on a form.
const GUARDIANS: usize = 2;

/// Posted fields by name, and the errors found, by field name.
struct Fields {
    values: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
}

impl Fields {
    fn new(posted: Vec<(String, String)>) -> Fields {
        Fields {
            values: posted.into_iter().collect(),
            errors: BTreeMap::new(),
        }
    }

    fn empty() -> Fields {
        Fields::new(Vec::new())
    }

    fn get(&self, name: &str) -> &str {
        self.values.get(name).map_or("", |v| v.trim())
    }

    fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name).to_string()).filter(|v| !v.is_empty())
    }

    fn err(&mut self, name: &str, message: impl Into<String>) {
        self.errors
            .entry(name.to_string())
            .or_insert_with(|| message.into());
    }

    /// Free text: bounded, no control characters.
    fn text(&mut self, name: &str, label: &str, max: usize) -> Option<String> {
        let v = self.opt(name)?;
        if v.chars().count() > max {
            self.err(name, format!("{label} : {max} caractères au plus."));
            return None;
        }
        if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
            self.err(name, format!("{label} : caractères non admis."));
            return None;
        }
        Some(v)
    }
}

fn input(fields: &Fields, name: &str, label: &str, hint: Option<&str>, kind: &str, required: bool) -> Markup {
    let error = fields.errors.get(name);
    let id = name.replace('.', "-");
    html! {
        div class=(if error.is_some() { "fr-input-group fr-input-group--error" } else { "fr-input-group" }) {
            label class="fr-label" for=(id) {
                (label) @if required { " (obligatoire)" }
                @if let Some(h) = hint { span class="fr-hint-text" { (h) } }
            }
            input class=(if error.is_some() { "fr-input fr-input--error" } else { "fr-input" }) type=(kind) id=(id) name=(name)
                value=(fields.get(name)) required[required] aria-describedby=[error.map(|_| format!("{id}-erreur"))];
            (super::field_error(&id, error))
        }
    }
}

fn select(fields: &Fields, name: &str, label: &str, options: &[(String, String)]) -> Markup {
    let error = fields.errors.get(name);
    let id = name.replace('.', "-");
    html! {
        div class=(if error.is_some() { "fr-select-group fr-select-group--error" } else { "fr-select-group" }) {
            label class="fr-label" for=(id) { (label) }
            select class="fr-select" id=(id) name=(name) aria-describedby=[error.map(|_| format!("{id}-erreur"))] {
                @for (value, text) in options {
                    option value=(value) selected[fields.get(name) == value] { (text) }
                }
            }
            (super::field_error(&id, error))
        }
    }
}

/// The procedure tells its priority public by age: the pupil's date of
/// birth is asked (and only then).
fn asks_birth(proc: &Procedure) -> bool {
    proc.priority.as_ref().is_some_and(|p| p.age_in_year.is_some())
}

/// `eleve.naissance`, if given: a past date.
fn birth(fields: &mut Fields, today: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
    let raw = fields.opt("eleve.naissance")?;
    match form_date(&raw, "Date de naissance") {
        Ok(d) if d < today => Some(d),
        Ok(_) => {
            fields.err("eleve.naissance", "Date de naissance : une date passée.");
            None
        }
        Err(m) => {
            fields.err("eleve.naissance", m);
            None
        }
    }
}

fn checkbox(fields: &Fields, name: &str, label: &str) -> Markup {
    let id = name.replace('.', "-");
    html! {
        div class="fr-checkbox-group fr-mb-2w" {
            input type="checkbox" id=(id) name=(name) value="oui" checked[fields.get(name) == "oui"];
            label class="fr-label" for=(id) { (label) }
        }
    }
}

fn language_options(office: &Office) -> Vec<(String, String)> {
    office
        .app
        .notice_languages()
        .into_iter()
        .map(|l| {
            let name = match l.as_str() {
                "fr" => "français",
                "en" => "anglais",
                "ar" => "arabe",
                "pt" => "portugais",
                "tr" => "turc",
                "es" => "espagnol",
                other => other,
            }
            .to_string();
            (l, name)
        })
        .collect()
}

/// The guardian blocks of a form; `prefix.N.field` names.
fn guardian_blocks(office: &Office, fields: &Fields, ids: &[Option<i64>]) -> Markup {
    let languages = language_options(office);
    html! {
        @for (i, id) in ids.iter().enumerate() {
            @let n = i + 1;
            fieldset class="fr-fieldset fr-mb-2w" {
                legend class="fr-fieldset__legend" { "Responsable légal " (n) @if id.is_none() && n > 1 { " (facultatif)" } }
                div class="fr-fieldset__content" {
                    @if let Some(id) = id { input type="hidden" name=(format!("responsable.{n}.id")) value=(id); }
                    (input(fields, &format!("responsable.{n}.nom"), "Nom et prénom", None, "text", false))
                    (input(fields, &format!("responsable.{n}.courriel"), "Courriel", Some("Par exemple : prenom.nom@exemple.fr"), "email", false))
                    (input(fields, &format!("responsable.{n}.telephone"), "Téléphone", Some("Par exemple : 06 12 34 56 78, ou +44 20 7946 0958"), "tel", false))
                    (select(fields, &format!("responsable.{n}.langue"), "Langue des avis", &languages))
                    (checkbox(fields, &format!("responsable.{n}.oral"), "Préfère être appelé (canal oral)"))
                    (checkbox(fields, &format!("responsable.{n}.restriction"), "Ne doit pas recevoir les avis (décision de justice, retrait d'autorité parentale)"))
                    @let addr = format!("responsable.{n}.adresse");
                    div class="fr-input-group" {
                        label class="fr-label" for=(addr.replace('.', "-")) { "Adresse postale" span class="fr-hint-text" { "Pour le courrier aux familles sans courriel ni téléphone" } }
                        textarea class="fr-input" id=(addr.replace('.', "-")) name=(addr) rows="2" { (fields.get(&addr)) }
                    }
                }
            }
        }
    }
}

/// Reads and checks the guardian blocks: (id, contact, restricted).
fn read_guardians(
    fields: &mut Fields,
    count: usize,
    languages: &[String],
) -> Vec<(Option<i64>, GuardianInput, bool)> {
    let mut out = Vec::new();
    for n in 1..=count {
        let f = |k: &str| format!("responsable.{n}.{k}");
        let name = fields.text(&f("nom"), "Nom", 120);
        let email_raw = fields.opt(&f("courriel"));
        let phone_raw = fields.opt(&f("telephone"));
        let address = fields.text(&f("adresse"), "Adresse", 300);
        let id = fields.get(&f("id")).parse::<i64>().ok();
        if name.is_none() && email_raw.is_none() && phone_raw.is_none() && address.is_none() && id.is_none() {
            continue;
        }
        let Some(name) = name else {
            fields.err(&f("nom"), "Nom : obligatoire pour un responsable.");
            continue;
        };
        let email = email_raw.and_then(|e| match crate::contact::email(&e, "Courriel") {
            Ok(e) => Some(e),
            Err(m) => {
                fields.err(&f("courriel"), m);
                None
            }
        });
        let phone = phone_raw.and_then(|p| match crate::contact::phone(&p, "Téléphone") {
            Ok(p) => Some(p),
            Err(m) => {
                fields.err(&f("telephone"), m);
                None
            }
        });
        let language = fields.get(&f("langue")).to_string();
        let language = if languages.contains(&language) {
            language
        } else {
            fields.err(&f("langue"), "Langue : choisissez une langue de la liste.");
            "fr".into()
        };
        let restricted = fields.get(&f("restriction")) == "oui";
        if email.is_none()
            && phone.is_none()
            && address.is_none()
            && !restricted
            && !fields.errors.contains_key(&f("courriel"))
            && !fields.errors.contains_key(&f("telephone"))
        {
            fields.err(
                &f("courriel"),
                "Ce responsable ne pourrait être joint d'aucune façon : donnez un courriel, un téléphone ou une adresse postale.",
            );
        }
        out.push((
            id,
            GuardianInput {
                name,
                email,
                phone,
                address,
                language,
                needs_oral: fields.get(&f("oral")) == "oui",
            },
            restricted,
        ));
    }
    out
}

#[derive(Deserialize, Default)]
pub struct Chosen {
    procedure: Option<String>,
}

/// Where a procedure may be opened, as (value, label) options.
fn places(establishments: &[(String, String)], within: &[Within], proc: &Procedure) -> Vec<(String, String)> {
    match proc.audience {
        Audience::Case => establishments
            .iter()
            .filter(|(uai, _)| {
                within.iter().any(|w| match w {
                    Within::Establishment(u) => u == uai,
                    Within::Departement(d) => uai.get(..3) == Some(d.as_str()),
                    Within::Partner(_) => false,
                })
            })
            .map(|(uai, name)| (uai.clone(), format!("{name} ({uai})")))
            .collect(),
        Audience::Partnership => within
            .iter()
            .filter_map(|w| match w {
                Within::Departement(d) => Some((d.clone(), format!("Département {d}"))),
                _ => None,
            })
            .collect(),
    }
}

fn parent_options(choices: &Partnership) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), "Aucun".to_string())];
    out.extend(
        choices
            .parents
            .iter()
            .map(|(r, t)| (r.clone(), format!("{r} — {t}"))),
    );
    out
}

/// Partners and parent items offered by a partnership item's form.
#[derive(Default)]
struct Partnership {
    partners: Vec<(String, String)>,
    parents: Vec<(String, String)>,
}

async fn partnership(
    office: &Office,
    staff: &Staff,
    proc: &Procedure,
    places: &[(String, String)],
) -> Result<Partnership, Response> {
    let mut out = Partnership::default();
    if proc.audience != Audience::Partnership {
        return Ok(out);
    }
    for (departement, _) in places {
        let (partners, parents) = office
            .app
            .partnership_choices(&staff.person.actor, departement)
            .await
            .map_err(|e| failure(&e))?;
        out.partners.extend(partners);
        out.parents.extend(parents);
    }
    Ok(out)
}

fn form_page(
    office: &Office,
    staff: &Staff,
    proc: &Procedure,
    places: &[(String, String)],
    choices: &Partnership,
    fields: &Fields,
) -> Markup {
    let place_label = match proc.audience {
        Audience::Case => "Établissement",
        Audience::Partnership => "Département",
    };
    html! {
        @if !fields.errors.is_empty() {
            (layout::alert(AlertKind::Error, "Le dossier n'est pas ouvert", "Corrigez les champs signalés ci-dessous : rien n'a été enregistré."))
        }
        @if let Some(e) = fields.errors.get("") {
            (layout::alert(AlertKind::Error, "Ouverture refusée", e))
        }
        form method="post" action="/dossiers/nouveau" novalidate {
            input type="hidden" name="csrf" value=(staff.csrf);
            input type="hidden" name="procedure" value=(proc.id);
            h2 { (proc.name) }
            (select(fields, "lieu", place_label, places))
            @if let Some(condition) = &proc.condition {
                fieldset class="fr-fieldset fr-mb-2w" {
                    legend class="fr-fieldset__legend" { "Condition d'ouverture" span class="fr-hint-text" { (condition.name) ". Dates confidentielles (JJ/MM/AAAA) : affichées sur ce bureau seulement, jamais dans les salons." } }
                    div class="fr-fieldset__content" {
                        @for e in proc.events.iter().filter(|e| e.confidential) {
                            (input(fields, &format!("evenement.{}", e.id), &e.name, None, "text", false))
                        }
                    }
                }
            }
            @if proc.events.iter().any(|e| !e.confidential) {
                fieldset class="fr-fieldset fr-mb-2w" {
                    legend class="fr-fieldset__legend" { "Dates connues" span class="fr-hint-text" { "JJ/MM/AAAA ; laissez vide une date encore inconnue" } }
                    div class="fr-fieldset__content" {
                        @for e in proc.events.iter().filter(|e| !e.confidential) {
                            (input(fields, &format!("evenement.{}", e.id), &e.name, None, "text", false))
                        }
                    }
                }
            }
            @if !proc.params.is_empty() {
                fieldset class="fr-fieldset fr-mb-2w" {
                    legend class="fr-fieldset__legend" { "Paramètres" }
                    div class="fr-fieldset__content" {
                        @for p in &proc.params {
                            (input(fields, &format!("parametre.{}", p.id), &p.name, Some("un nombre entier"), "text", false))
                        }
                    }
                }
            }
            @match proc.audience {
                Audience::Case => {
                    fieldset class="fr-fieldset fr-mb-2w" {
                        legend class="fr-fieldset__legend" { "Élève" span class="fr-hint-text" { "Données personnelles : affichées sur ce bureau seulement, jamais dans les salons" } }
                        div class="fr-fieldset__content" {
                            (input(fields, "eleve.nom", "Nom et prénom de l'élève", None, "text", false))
                            (input(fields, "eleve.classe", "Classe", Some("Par exemple : 4e B"), "text", false))
                            @if asks_birth(proc) {
                                (input(fields, "eleve.naissance", "Date de naissance (facultative)", Some("JJ/MM/AAAA ; indique seulement si l'élève est dans le public prioritaire"), "text", false))
                            }
                        }
                    }
                    (guardian_blocks(office, fields, &[None; GUARDIANS]))
                }
                Audience::Partnership => {
                    (input(fields, "titre", "Titre", Some("Sans aucune donnée individuelle"), "text", true))
                    @if !choices.parents.is_empty() {
                        (select(fields, "parent", "Rattaché à (ses partenaires sont repris)", &parent_options(choices)))
                    }
                    @let error = fields.errors.get("partenaires");
                    fieldset class=(if error.is_some() { "fr-fieldset fr-fieldset--error" } else { "fr-fieldset" }) id="partenaires" aria-labelledby="partenaires-legende" {
                        legend class="fr-fieldset__legend" id="partenaires-legende" { "Partenaires" span class="fr-hint-text" { "Inutile s'il est rattaché à une convention" } }
                        @for (id, name) in &choices.partners {
                            div class="fr-fieldset__element" { (checkbox(fields, &format!("partenaire.{id}"), name)) }
                        }
                        (super::field_error("partenaires", error))
                    }
                }
            }
            @if proc.condition.is_some() || proc.events.iter().any(|e| !e.not_before.is_empty()) {
                (checkbox(fields, "confirme", "Je confirme l'ouverture même si une date contredit l'ordre prévu ou la condition d'ouverture (le dossier restera signalé)"))
            }
            button class="fr-btn" type="submit" { "Ouvrir le dossier" }
        }
    }
}

pub async fn new_case(State(office): State<Office>, staff: Staff, Query(chosen): Query<Chosen>) -> Response {
    if !office.app.is_staff(&staff.person.actor) {
        return Redirect::to("/partenariat").into_response();
    }
    let openable = office.app.openable(&staff.person.actor);
    let establishments = match office.app.establishments().await {
        Ok(e) => e,
        Err(e) => return failure(&e),
    };
    let body = match chosen
        .procedure
        .as_deref()
        .and_then(|id| openable.iter().find(|(p, _)| p.id == id))
    {
        Some((proc, within)) => {
            let places = places(&establishments, within, proc);
            let choices = match partnership(&office, &staff, proc, &places).await {
                Ok(c) => c,
                Err(r) => return r,
            };
            let mut fields = Fields::empty();
            for n in 1..=GUARDIANS {
                fields
                    .values
                    .insert(format!("responsable.{n}.langue"), "fr".into());
            }
            form_page(&office, &staff, proc, &places, &choices, &fields)
        }
        None => html! {
            p { "Choisissez la procédure du dossier à ouvrir." }
            @if openable.is_empty() {
                p { "Aucune procédure ne vous permet d'ouvrir un dossier." }
            }
            ul {
                @for (p, _) in &openable {
                    li { a class="fr-link" href=(format!("/dossiers/nouveau?procedure={}", p.id)) { (p.name) } }
                }
            }
        },
    };
    shell(&office, &staff, "Nouveau dossier", Nav::NewCase, body).into_response()
}

pub async fn create_case(
    State(office): State<Office>,
    staff: Staff,
    Form(posted): Form<Vec<(String, String)>>,
) -> Response {
    let mut fields = Fields::new(posted);
    if let Err(r) = staff.check(fields.get("csrf")) {
        return r;
    }
    let openable = office.app.openable(&staff.person.actor);
    let Some((proc, within)) = openable.iter().find(|(p, _)| p.id == fields.get("procedure")) else {
        return super::message_page(
            StatusCode::BAD_REQUEST,
            "Procédure inconnue",
            "Cette procédure n'existe pas ou ne vous permet pas d'ouvrir un dossier.",
        );
    };
    let establishments = match office.app.establishments().await {
        Ok(e) => e,
        Err(e) => return failure(&e),
    };
    let places = places(&establishments, within, proc);
    let choices = match partnership(&office, &staff, proc, &places).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let place = fields.get("lieu").to_string();
    if !places.iter().any(|(v, _)| *v == place) {
        fields.err("lieu", "Choisissez un lieu de la liste.");
    }
    if proc.audience == Audience::Case
        && let Err(e) = place.parse::<echeancier_core::ids::Uai>()
    {
        fields.err("lieu", e.to_string());
    }
    let mut events = Vec::new();
    for e in &proc.events {
        let name = format!("evenement.{}", e.id);
        if let Some(raw) = fields.opt(&name) {
            match form_date(&raw, &e.name) {
                Ok(d) => events.push((e.id.clone(), d)),
                Err(m) => fields.err(&name, m),
            }
        }
    }
    let mut params = Vec::new();
    for p in &proc.params {
        let name = format!("parametre.{}", p.id);
        if let Some(raw) = fields.opt(&name) {
            match raw.parse::<u32>() {
                Ok(v) if v <= 10_000 => params.push((p.id.clone(), v)),
                _ => fields.err(&name, format!("{} : un nombre entier positif.", p.name)),
            }
        }
    }
    let mut spec = OpenCase {
        procedure: proc.id.clone(),
        events,
        params,
        confirmed: fields.get("confirme") == "oui",
        condition_required: true,
        ..Default::default()
    };
    match proc.audience {
        Audience::Case => {
            spec.establishment = Some(place);
            let name = fields.text("eleve.nom", "Nom de l'élève", 120);
            let class = fields.text("eleve.classe", "Classe", 20);
            if class.is_some() && name.is_none() {
                fields.err("eleve.nom", "Nom de l'élève : obligatoire avec la classe.");
            }
            spec.pupil_birth = birth(&mut fields, office.app.today());
            if spec.pupil_birth.is_some() && name.is_none() {
                fields.err(
                    "eleve.nom",
                    "Nom de l'élève : obligatoire avec la date de naissance.",
                );
            }
            spec.pupil = name.map(|n| (n, class));
            let languages = office.app.notice_languages();
            let guardians = read_guardians(&mut fields, GUARDIANS, &languages);
            spec.guardians = guardians.into_iter().map(|(_, g, _)| g).collect();
        }
        Audience::Partnership => {
            spec.departement = Some(place);
            spec.title = fields.text("titre", "Titre", 200);
            if spec.title.is_none() {
                fields.err("titre", "Titre : obligatoire.");
            }
            spec.partners = choices
                .partners
                .iter()
                .filter(|(id, _)| fields.get(&format!("partenaire.{id}")) == "oui")
                .map(|(id, _)| id.clone())
                .collect();
            let parent = fields.get("parent").to_string();
            if !parent.is_empty() {
                if choices.parents.iter().any(|(r, _)| *r == parent) {
                    spec.parent = Some(parent);
                } else {
                    fields.err("parent", "Choisissez un élément de la liste.");
                }
            }
            let needs_partners = proc.steps.iter().any(|s| s.per_partner());
            if needs_partners && spec.partners.is_empty() && spec.parent.is_none() {
                fields.err(
                    "partenaires",
                    "Choisissez les partenaires, ou l'élément de partenariat auquel celui-ci se rattache.",
                );
            }
        }
    }
    if fields.errors.is_empty() {
        match office
            .app
            .web_open_case(&staff.person.actor, spec, &staff.who())
            .await
        {
            Ok(snap) => return Redirect::to(&format!("/dossiers/{}", snap.case.reference)).into_response(),
            Err(e @ (crate::app::AppError::Store(_) | crate::app::AppError::Runtime(_))) => {
                return failure(&e);
            }
            Err(e) => fields.err("", e.to_string()),
        }
    }
    let body = form_page(&office, &staff, proc, &places, &choices, &fields);
    (
        StatusCode::BAD_REQUEST,
        shell(&office, &staff, "Nouveau dossier", Nav::NewCase, body),
    )
        .into_response()
}

fn family_form(
    office: &Office,
    staff: &Staff,
    reference: &str,
    fields: &Fields,
    ids: &[Option<i64>],
    asks_birth: bool,
) -> Markup {
    html! {
        @if !fields.errors.is_empty() {
            (layout::alert(AlertKind::Error, "Rien n'a été enregistré", "Corrigez les champs signalés ci-dessous."))
        }
        @if let Some(e) = fields.errors.get("") {
            (layout::alert(AlertKind::Error, "Enregistrement refusé", e))
        }
        p { "Ces données personnelles ne s'affichent que sur ce bureau, aux personnels habilités ; les salons et les rappels ne montrent que la référence " strong { (reference) } "." }
        form method="post" action=(format!("/dossiers/{reference}/famille")) novalidate {
            input type="hidden" name="csrf" value=(staff.csrf);
            input type="hidden" name="nombre" value=(ids.len());
            fieldset class="fr-fieldset fr-mb-2w" {
                legend class="fr-fieldset__legend" { "Élève" }
                div class="fr-fieldset__content" {
                    (input(fields, "eleve.nom", "Nom et prénom de l'élève", None, "text", false))
                    (input(fields, "eleve.classe", "Classe", Some("Par exemple : 4e B"), "text", false))
                    @if asks_birth {
                        (input(fields, "eleve.naissance", "Date de naissance (facultative)", Some("JJ/MM/AAAA ; indique seulement si l'élève est dans le public prioritaire"), "text", false))
                    }
                }
            }
            (guardian_blocks(office, fields, ids))
            button class="fr-btn" type="submit" { "Enregistrer" }
            " "
            a class="fr-btn fr-btn--tertiary" href=(format!("/dossiers/{reference}")) { "Retour au dossier" }
        }
    }
}

pub async fn family(State(office): State<Office>, staff: Staff, Path(reference): Path<String>) -> Response {
    let view = match office.app.case_view(&staff.person.actor, &reference).await {
        Ok(v) => v,
        Err(e) => return failure(&e),
    };
    if !office.app.is_staff(&staff.person.actor) {
        return failure(&crate::app::AppError::NotFound(view.case.reference));
    }
    let mut fields = Fields::empty();
    if let Some((name, class)) = &view.pupil {
        fields.values.insert("eleve.nom".into(), name.clone());
        fields
            .values
            .insert("eleve.classe".into(), class.clone().unwrap_or_default());
    }
    if let Some(b) = view.pupil_birth {
        fields
            .values
            .insert("eleve.naissance".into(), b.format("%d/%m/%Y").to_string());
    }
    let mut ids: Vec<Option<i64>> = Vec::new();
    for (i, g) in view.guardians.iter().enumerate() {
        let n = i + 1;
        let mut set = |k: &str, v: String| {
            fields.values.insert(format!("responsable.{n}.{k}"), v);
        };
        set("nom", g.name.clone());
        set("courriel", g.email.clone().unwrap_or_default());
        set("telephone", g.phone.clone().unwrap_or_default());
        set("adresse", g.address.clone().unwrap_or_default());
        set("langue", g.language.clone());
        if g.needs_oral {
            set("oral", "oui".into());
        }
        if g.restricted {
            set("restriction", "oui".into());
        }
        ids.push(Some(g.id));
    }
    // Room for one more guardian, or two on a new case.
    while ids.len() < GUARDIANS || ids.last().is_some_and(Option::is_some) {
        ids.push(None);
        fields
            .values
            .insert(format!("responsable.{}.langue", ids.len()), "fr".into());
    }
    let title = format!("{} : élève et famille", view.case.reference);
    let asks = office
        .app
        .library()
        .get(&view.case.procedure)
        .is_some_and(asks_birth);
    let body = family_form(&office, &staff, &view.case.reference, &fields, &ids, asks);
    shell(&office, &staff, &title, Nav::Cases, body).into_response()
}

pub async fn save_family(
    State(office): State<Office>,
    staff: Staff,
    Path(reference): Path<String>,
    Form(posted): Form<Vec<(String, String)>>,
) -> Response {
    let mut fields = Fields::new(posted);
    if let Err(r) = staff.check(fields.get("csrf")) {
        return r;
    }
    let count = fields
        .get("nombre")
        .parse::<usize>()
        .unwrap_or(GUARDIANS)
        .clamp(1, 10);
    let ids: Vec<Option<i64>> = (1..=count)
        .map(|n| fields.get(&format!("responsable.{n}.id")).parse().ok())
        .collect();
    let name = fields.text("eleve.nom", "Nom de l'élève", 120);
    let class = fields.text("eleve.classe", "Classe", 20);
    if class.is_some() && name.is_none() {
        fields.err("eleve.nom", "Nom de l'élève : obligatoire avec la classe.");
    }
    let born = birth(&mut fields, office.app.today());
    let languages = office.app.notice_languages();
    let guardians = read_guardians(&mut fields, count, &languages);
    if fields.errors.is_empty() {
        match office
            .app
            .web_save_family(
                &staff.person.actor,
                &reference,
                (name.map(|n| (n, class)), born),
                guardians,
                &staff.who(),
            )
            .await
        {
            Ok(()) => return super::case::to_case(&reference.trim().to_uppercase()),
            Err(
                e @ (crate::app::AppError::Store(_)
                | crate::app::AppError::Runtime(_)
                | crate::app::AppError::NotFound(_)),
            ) => {
                return failure(&e);
            }
            Err(e) => fields.err("", e.to_string()),
        }
    }
    let title = format!("{} : élève et famille", reference.trim().to_uppercase());
    // The field was on the form that was posted.
    let asks = fields.values.contains_key("eleve.naissance");
    let body = family_form(
        &office,
        &staff,
        &reference.trim().to_uppercase(),
        &fields,
        &ids,
        asks,
    );
    (
        StatusCode::BAD_REQUEST,
        shell(&office, &staff, &title, Nav::Cases, body),
    )
        .into_response()
}
