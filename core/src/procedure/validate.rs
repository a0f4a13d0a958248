//! Validates a procedure file into a `Procedure`: its id, prefix and
//! audience, unique identifiers, events with the roles that set them,
//! parameters, each step (through `step`) and, last, that no due date
//! depends on itself.

use std::collections::BTreeSet;

use toml::Spanned;

use super::raw::{self, RawProcedure};
use super::step::{Known, parse_date_ref, step};
use super::{Anchor, Audience, Condition, EventDef, ParamDef, Procedure, Roles, StepDef};
use crate::located::{FileError, Findings};

pub(super) const IDENT_HINT: &str =
    "lettres minuscules sans accent, chiffres et _ seulement, par exemple saisine_recue";

pub(super) fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.as_bytes()[0].is_ascii_lowercase()
}

/// Records an error if `r` is not a role of `roles.toml`, naming the known ones.
pub(super) fn check_role(ctx: &mut Findings<'_>, roles: &Roles, r: &Spanned<String>) {
    if roles.get(r.get_ref()).is_none() {
        let known: Vec<&str> = roles.iter().map(|r| r.id.as_str()).collect();
        ctx.err(
            r,
            format!("rôle « {} » inconnu", r.get_ref()),
            format!("utiliser un rôle de roles.toml : {}", known.join(", ")),
        );
    }
}

impl Procedure {
    /// Parses and validates one procedure file against the known roles.
    pub fn parse(file: &str, src: &str, roles: &Roles) -> Result<Procedure, Vec<FileError>> {
        let raw: RawProcedure = raw::read(file, src)?;
        let mut ctx = Findings::new(file, src);
        let mut proc = validate(raw, roles, &mut ctx);
        proc.text = src.to_string();
        ctx.finish(proc)
    }
}

/// `version = N`: an integer from 1; 1 when absent.
fn version(ctx: &mut Findings<'_>, raw: Option<&Spanned<toml::Value>>) -> u32 {
    let Some(v) = raw else {
        return 1;
    };
    match v.get_ref() {
        toml::Value::Integer(n) if (1..=i64::from(u32::MAX)).contains(n) => *n as u32,
        _ => {
            ctx.err(
                v,
                "version invalide : un nombre entier à partir de 1 est attendu",
                "écrire version = 1, puis augmenter ce nombre entier (2, 3…) à chaque changement des règles",
            );
            1
        }
    }
}

fn validate(raw: RawProcedure, roles: &Roles, ctx: &mut Findings<'_>) -> Procedure {
    let version = version(ctx, raw.version.as_ref());
    if !is_ident(raw.id.get_ref()) {
        ctx.err(
            &raw.id,
            format!("identifiant « {} » invalide", raw.id.get_ref()),
            IDENT_HINT,
        );
    }
    let prefix = raw.prefixe.get_ref();
    if !(2..=8).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_uppercase()) {
        ctx.err(
            &raw.prefixe,
            format!("préfixe « {prefix} » invalide"),
            "2 à 8 lettres majuscules sans accent, par exemple PAR",
        );
    }
    let audience = match raw.public.get_ref().as_str() {
        "dossier" => Audience::Case,
        "partenariat" => Audience::Partnership,
        other => {
            ctx.err(
                &raw.public,
                format!("public « {other} » inconnu"),
                "écrire public = \"dossier\" (un élève) ou public = \"partenariat\"",
            );
            Audience::Case
        }
    };
    for a in &raw.acteurs {
        check_role(ctx, roles, a);
    }

    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut unique = |ctx: &mut Findings<'_>, id: &Spanned<String>| {
        if !is_ident(id.get_ref()) {
            ctx.err(
                id,
                format!("identifiant « {} » invalide", id.get_ref()),
                IDENT_HINT,
            );
        } else if !names.insert(id.get_ref().clone()) {
            ctx.err(
                id,
                format!("identifiant « {} » utilisé deux fois", id.get_ref()),
                "chaque événement, paramètre et étape a un identifiant unique",
            );
        }
    };
    for e in &raw.evenements {
        unique(ctx, &e.id);
    }
    for p in &raw.parametres {
        unique(ctx, &p.id);
    }
    for s in &raw.etapes {
        unique(ctx, &s.id);
    }
    if raw.etapes.is_empty() {
        ctx.push(FileError::new(
            ctx.file(),
            1,
            "aucune étape",
            "ajouter au moins une section [[etapes]]",
        ));
    }

    for e in &raw.evenements {
        match &e.roles {
            None => ctx.err(
                &e.id,
                format!(
                    "l'événement « {} » ne dit pas qui peut renseigner sa date",
                    e.id.get_ref()
                ),
                "ajouter roles = [\"...\"] avec les rôles responsables de cette date",
            ),
            Some(list) if list.get_ref().is_empty() => ctx.err(
                list,
                format!("l'événement « {} » n'a aucun rôle", e.id.get_ref()),
                "nommer au moins un rôle de roles.toml",
            ),
            Some(list) => {
                for r in list.get_ref() {
                    check_role(ctx, roles, r);
                }
            }
        }
    }
    let step_ids: BTreeSet<&str> = raw.etapes.iter().map(|s| s.id.get_ref().as_str()).collect();
    let renewing: BTreeSet<&str> = raw
        .etapes
        .iter()
        .filter(|s| s.renouvellement_tacite)
        .map(|s| s.id.get_ref().as_str())
        .collect();
    let event_ids: Vec<&str> = raw.evenements.iter().map(|e| e.id.get_ref().as_str()).collect();
    let events: Vec<EventDef> = raw
        .evenements
        .iter()
        .map(|e| EventDef {
            id: e.id.get_ref().clone(),
            name: e.nom.clone(),
            roles: e
                .roles
                .as_ref()
                .map(|l| l.get_ref().iter().map(|r| r.get_ref().clone()).collect())
                .unwrap_or_default(),
            receipt: e.reception,
            not_before: e
                .apres
                .iter()
                .filter_map(|a| {
                    let found = parse_date_ref(a.get_ref(), &event_ids, &step_ids)
                        .filter(|r| *r != Anchor::Event(e.id.get_ref().clone()));
                    if found.is_none() {
                        ctx.err(
                            a,
                            format!(
                                "« {} » ne peut pas servir dans apres de l'événement « {} »",
                                a.get_ref(),
                                e.id.get_ref()
                            ),
                            format!(
                                "apres accepte un autre événement déclaré ({}) ou ETAPE.fait",
                                event_ids.join(", ")
                            ),
                        );
                    }
                    found
                })
                .collect(),
            confidential: e.confidentiel,
            at_opening: e.a_l_ouverture,
        })
        .collect();
    let mut params = Vec::new();
    for p in &raw.parametres {
        let default = match &p.defaut {
            Some(v) if !(0..=1000).contains(v.get_ref()) => {
                ctx.err(v, "valeur par défaut hors limites", "un entier entre 0 et 1000");
                None
            }
            Some(v) => Some(*v.get_ref() as u32),
            None => None,
        };
        params.push(ParamDef {
            id: p.id.get_ref().clone(),
            name: p.nom.clone(),
            default,
        });
    }
    let known = Known {
        roles,
        events: &events,
        params: &params,
        steps: &step_ids,
        renewing: &renewing,
        audience,
    };
    let steps: Vec<StepDef> = raw.etapes.iter().filter_map(|s| step(ctx, s, &known)).collect();
    // Due-date dependencies must not loop.
    if ctx.is_empty()
        && let Some(cycle) = find_cycle(&steps)
    {
        let at = raw
            .etapes
            .iter()
            .find(|s| s.id.get_ref() == &cycle)
            .map(|s| &s.depuis);
        if let Some(at) = at {
            ctx.err(
                at,
                format!("dépendance circulaire entre étapes autour de « {cycle} »"),
                "une étape ne peut pas dépendre, même indirectement, de sa propre échéance",
            );
        }
    }
    for (e, def) in raw.evenements.iter().zip(&events) {
        let counted = steps.iter().any(|s| s.uses_event(&def.id));
        if def.confidential && counted {
            ctx.err(
                &e.id,
                format!("l'événement confidentiel « {} » sert de départ à une étape", def.id),
                "un événement confidentiel ne se voit que sur le bureau web : aucune étape, rappelée dans les salons, ne peut partir de lui",
            );
        }
    }
    let condition = raw.condition.as_ref().map(|c| condition(ctx, c, &events));
    let priority = raw.public_prioritaire.as_ref().map(|p| {
        if let Some(a) = &p.age_dans_l_annee
            && !(3..=25).contains(a.get_ref())
        {
            ctx.err(
                a,
                "public_prioritaire : âge hors limites",
                "un âge entre 3 et 25 ans, par exemple 16",
            );
        }
        super::Priority {
            text: p.texte.clone(),
            classes: p.classes.clone(),
            age_in_year: p.age_dans_l_annee.as_ref().map(|a| *a.get_ref()),
        }
    });
    let milestones = raw
        .jalons
        .as_ref()
        .map(|m| super::step::milestones(ctx, m, roles));
    // A milestone's ids are `jalon_N`: the file keeps them free.
    for id in raw
        .evenements
        .iter()
        .map(|e| &e.id)
        .chain(raw.etapes.iter().map(|s| &s.id))
    {
        if id.get_ref().starts_with(super::MILESTONE) {
            ctx.err(
                id,
                format!(
                    "l'identifiant « {} » est réservé aux jalons d'un dossier",
                    id.get_ref()
                ),
                "choisir un identifiant qui ne commence pas par jalon_",
            );
        }
    }
    Procedure {
        id: raw.id.into_inner(),
        name: raw.nom,
        version,
        text: String::new(),
        prefix: raw.prefixe.into_inner(),
        audience,
        source: raw.source,
        actors: raw.acteurs.into_iter().map(Spanned::into_inner).collect(),
        events,
        params,
        condition,
        milestones,
        priority,
        steps,
    }
}

/// `[condition]`: every event it names is declared; a same-school-year
/// check needs two of them.
fn condition(ctx: &mut Findings<'_>, raw: &raw::RawCondition, events: &[EventDef]) -> Condition {
    let known: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    let mut ids = |list: &[Spanned<String>]| -> Vec<String> {
        list.iter()
            .filter(|id| {
                let ok = known.contains(&id.get_ref().as_str());
                if !ok {
                    ctx.err(
                        *id,
                        format!("« {} » n'est pas un événement de la procédure", id.get_ref()),
                        format!("nommer un événement déclaré : {}", known.join(", ")),
                    );
                }
                ok
            })
            .map(|id| id.get_ref().clone())
            .collect()
    };
    let required = ids(&raw.requis);
    let same_school_year = ids(&raw.meme_annee_scolaire);
    if raw.meme_annee_scolaire.len() == 1 {
        ctx.err(
            &raw.meme_annee_scolaire[0],
            "meme_annee_scolaire compare au moins deux dates",
            "nommer deux événements ou plus, ou retirer la clé",
        );
    }
    Condition {
        name: raw.nom.clone(),
        required,
        same_school_year,
    }
}

/// A step on a due-date dependency cycle, if any.
fn find_cycle(steps: &[StepDef]) -> Option<String> {
    let deps = |id: &str| -> Option<String> {
        let s = steps.iter().find(|s| s.id == id)?;
        match &s.anchor {
            Anchor::StepDue(t) => Some(t.clone()),
            _ => None,
        }
    };
    for s in steps {
        let mut seen = BTreeSet::new();
        let mut cur = s.id.clone();
        while let Some(next) = deps(&cur) {
            if !seen.insert(next.clone()) || next == s.id {
                return Some(s.id.clone());
            }
            cur = next;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::deadline::Roll;
    use crate::procedure::Anchor;
    use crate::testing::{PAR, procedure, procedure_errors as errors};

    #[test]
    fn parses_a_valid_procedure() {
        let p = procedure(PAR);
        let step = p.step("entretien").expect("step");
        assert_eq!(step.anchor, Anchor::Event("saisine_recue".into()));
        assert_eq!(step.rule.roll, Roll::Backward);
        assert_eq!(step.also.len(), 1);
        assert_eq!(step.reminders.before_working_days, vec![5, 2]);
        assert_eq!(step.reminders.escalate_to.as_deref(), Some("chef_etablissement"));
    }

    #[test]
    fn events_name_who_sets_them() {
        let p = procedure(PAR);
        let e = p.event("saisine_recue").expect("event");
        assert_eq!(e.roles, vec!["dasen".to_string()]);
        assert!(e.receipt);
        let missing = errors(&PAR.replace("roles = [\"dasen\"]\n", ""));
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert!(missing[0].message.contains("qui peut renseigner"), "{missing:?}");
        let unknown = errors(&PAR.replace("roles = [\"dasen\"]", "roles = [\"recteur\"]"));
        assert!(unknown[0].message.contains("recteur"), "{unknown:?}");
        let empty = errors(&PAR.replace("roles = [\"dasen\"]", "roles = []"));
        assert!(empty[0].message.contains("aucun rôle"), "{empty:?}");
    }

    #[test]
    fn reports_unknown_role_with_line_and_hint() {
        let src = PAR.replace("role = \"dasen\"", "role = \"recteur\"");
        let e = errors(&src);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, 16);
        assert!(e[0].message.contains("recteur"));
        assert!(e[0].hint.contains("chef_etablissement"));
    }

    #[test]
    fn reports_syntax_and_unknown_keys() {
        let e = errors("id = \"par\"\nnom = \n");
        assert_eq!(e[0].line, 2);
        let e = errors(&PAR.replace("nom = \"PAR\"", "nom = \"PAR\"\ncouleur = \"bleu\""));
        assert!(e[0].message.contains("couleur"), "{e:?}");
        assert_eq!(e[0].line, 4);
    }

    #[test]
    fn a_version_is_an_integer_from_one_and_defaults_to_one() {
        let p = procedure(PAR);
        assert_eq!(p.version, 1);
        assert_eq!(p.text, PAR, "the text as loaded, for its digest");
        let with = |v: &str| PAR.replace("nom = \"PAR\"", &format!("nom = \"PAR\"\nversion = {v}"));
        assert_eq!(procedure(&with("3")).version, 3);
        for bad in ["0", "-2", "\"deux\"", "1.5", "99999999999"] {
            let e = errors(&with(bad));
            assert_eq!(e.len(), 1, "{bad}: {e:?}");
            assert_eq!(e[0].line, 4, "{bad}: {e:?}");
            assert!(e[0].message.contains("version invalide"), "{bad}: {e:?}");
            assert!(e[0].hint.contains("version = 1"), "{bad}: {e:?}");
        }
    }

    #[test]
    fn a_confidential_date_starts_no_step_and_a_condition_names_events() {
        let confidential = PAR.replace("reception = true\n", "reception = true\nconfidentiel = true\n");
        let e = errors(&confidential);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].message.contains("confidentiel"), "{e:?}");
        assert_eq!(e[0].line, 8, "{e:?}");
        let condition = |body: &str| {
            PAR.replace(
                "\n[[etapes]]",
                &format!("\n[condition]\nnom = \"Condition\"\n{body}\n\n[[etapes]]"),
            )
        };
        let p = procedure(&condition("requis = [\"saisine_recue\"]"));
        let c = p.condition.expect("condition");
        assert_eq!(c.required, vec!["saisine_recue".to_string()]);
        let e = errors(&condition("requis = [\"exclusion\"]"));
        assert!(
            e[0].message.contains("exclusion") && e[0].hint.contains("saisine_recue"),
            "{e:?}"
        );
        let e = errors(&condition("meme_annee_scolaire = [\"saisine_recue\"]"));
        assert!(e[0].message.contains("au moins deux"), "{e:?}");
    }

    #[test]
    fn detects_cycles() {
        let src = r#"
id = "boucle"
nom = "Boucle"
prefixe = "BCL"
public = "dossier"

[[etapes]]
id = "a"
nom = "A"
role = "dasen"
depuis = "b.echeance"
delai = { jours = 1, report = "none" }

[[etapes]]
id = "b"
nom = "B"
role = "dasen"
depuis = "a.echeance"
delai = { jours = 1, report = "none" }
"#;
        let e = errors(src);
        assert!(e.iter().any(|e| e.message.contains("circulaire")), "{e:?}");
    }

    #[test]
    fn event_order_names_another_event_or_a_step_done() {
        let with = |apres: &str| {
            PAR.replace(
                "reception = true\n",
                &format!("reception = true\napres = [{apres}]\n"),
            )
        };
        let p = procedure(&with("\"entretien.fait\""));
        let e = p.event("saisine_recue").expect("event");
        assert_eq!(e.not_before, vec![Anchor::StepDone("entretien".into())]);
        for bad in [
            "\"entretien.echeance\"",
            "\"saisine_recue\"",
            "\"inconnu\"",
            "\"@rentree\"",
        ] {
            let e = errors(&with(bad));
            assert_eq!(e.len(), 1, "{bad}: {e:?}");
            assert_eq!(e[0].line, 12, "{bad}: {e:?}");
            assert!(e[0].message.contains("ne peut pas servir dans apres"), "{e:?}");
            assert!(e[0].hint.contains("ETAPE.fait"), "{e:?}");
        }
    }
}
