//! Who may do what. An actor acts only on the cases of their establishment
//! (or département, for DSDEN offices) and role; partners act only on the
//! partnership items they are party to and never see an individual case.

use crate::procedure::{Audience, Procedure, Roles, Scope};

/// One role held by a person, with where it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: String,
    /// For establishment roles: the UAI.
    pub establishment: Option<String>,
    /// For département roles: the département code (e.g. `049`).
    pub departement: Option<String>,
    /// For partner roles: the partner id (e.g. `caf`).
    pub partner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub person_id: i64,
    pub grants: Vec<Grant>,
}

/// What the authorization needs to know about a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseScope<'a> {
    pub establishment: Option<&'a str>,
    pub departement: &'a str,
    pub partners: &'a [String],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<'a> {
    View,
    /// Mark a step done, reschedule it, acknowledge its reminder.
    Step(&'a str),
    /// Record a receipt, an approval or an objection for a partner.
    ForPartner(&'a str),
    /// Open a new item (a case, a communication, a termination).
    Open,
    /// Set the date of an event: only the roles the procedure names for it.
    Event(&'a str),
}

/// Where a reply or a reminder is read: each room has an audience, and an
/// individual case is shown only where its audience may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// Only the person acting reads it: the console, a direct message, a
    /// private chat.
    Direct,
    /// A room of staff: an establishment's (UAI), or a DSDEN office's
    /// (département).
    Staff {
        establishment: Option<String>,
        departement: Option<String>,
    },
    /// The partners' room of a département: partnership items only.
    Partners { departement: Option<String> },
    /// A shared room nobody declared: no individual case is shown there.
    Undeclared,
}

impl Place {
    /// Whether an item of `audience` and this scope may be shown here.
    pub fn shows(&self, audience: Audience, establishment: Option<&str>, departement: &str) -> bool {
        match (self, audience) {
            (Place::Partners { departement: Some(d) }, Audience::Partnership) => d == departement,
            (
                Place::Staff {
                    departement: Some(d), ..
                },
                Audience::Partnership,
            ) => d == departement,
            // A UAI starts with its département's code (0490001K: 049).
            (
                Place::Staff {
                    establishment: Some(u),
                    departement: None,
                },
                Audience::Partnership,
            ) => u.get(..3) == Some(departement),
            (_, Audience::Partnership) => true,
            (Place::Direct, Audience::Case) => true,
            (
                Place::Staff {
                    establishment: Some(u),
                    ..
                },
                Audience::Case,
            ) => establishment == Some(u.as_str()),
            (
                Place::Staff {
                    establishment: None,
                    departement: Some(d),
                },
                Audience::Case,
            ) => d == departement,
            _ => false,
        }
    }

    /// Whether any individual case may ever be shown here.
    pub fn shows_cases(&self) -> bool {
        matches!(self, Place::Direct | Place::Staff { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Désolé, ce dossier n'est pas dans votre périmètre : vous n'y avez pas accès.")]
    OutOfScope,
    #[error("Désolé, cette étape relève d'un autre rôle : {0}.")]
    WrongRole(String),
    #[error("Désolé, cette date relève d'un autre rôle : {0}.")]
    EventRole(String),
    #[error("Désolé, vous ne pouvez répondre que pour votre propre organisme.")]
    OtherPartner,
    #[error(
        "Désolé, votre compte n'est relié à aucune fiche du personnel. Demandez un code de liaison à un administrateur, puis envoyez : !lier CODE"
    )]
    Unknown,
}

fn in_scope(grant: &Grant, scope: Scope, case: &CaseScope<'_>) -> bool {
    match scope {
        Scope::Etablissement => {
            case.establishment.is_some() && grant.establishment.as_deref() == case.establishment
        }
        Scope::Departement => grant.departement.as_deref() == Some(case.departement),
        Scope::Partenaire => grant
            .partner
            .as_ref()
            .is_some_and(|p| case.partners.iter().any(|c| c == p)),
    }
}

/// Decides whether `actor` may perform `action` on a case of `proc`.
pub fn authorize(
    actor: Option<&Actor>,
    roles: &Roles,
    proc: &Procedure,
    case: &CaseScope<'_>,
    action: &Action<'_>,
) -> Result<(), Refusal> {
    let actor = actor.ok_or(Refusal::Unknown)?;
    let mut scoped = false;
    for g in &actor.grants {
        let Some(role) = roles.get(&g.role) else {
            continue;
        };
        // Partners never see individual cases, whatever else is configured.
        if role.scope == Scope::Partenaire && proc.audience == Audience::Case {
            continue;
        }
        // Establishment roles are not party to partnership items.
        if role.scope == Scope::Etablissement && proc.audience == Audience::Partnership {
            continue;
        }
        if !in_scope(g, role.scope, case) {
            continue;
        }
        let involved = role.scope == Scope::Partenaire || proc.involves(&g.role);
        if !involved {
            continue;
        }
        scoped = true;
        let allowed = match action {
            Action::View => true,
            Action::Open => role.scope != Scope::Partenaire,
            Action::Step(step) => {
                let step_role = proc.step(step).and_then(|s| roles.get(&s.role));
                role.scope != Scope::Partenaire
                    && step_role.is_some_and(|sr| {
                        // A supervisor acts for the roles of its own level: a
                        // head of school for the CPE, never for the DASEN.
                        sr.id == g.role || (role.supervises && sr.scope == role.scope)
                    })
            }
            Action::ForPartner(p) => match role.scope {
                Scope::Partenaire => g.partner.as_deref() == Some(*p),
                _ => case.partners.iter().any(|c| c == p),
            },
            // A supervisor sets the dates of the roles of its own level only:
            // a head of school never sets the DSDEN's receipt of a referral.
            Action::Event(event) => {
                role.scope != Scope::Partenaire
                    && proc.event(event).is_some_and(|e| {
                        e.roles.iter().any(|r| {
                            r == &g.role
                                || (role.supervises && roles.get(r).is_some_and(|er| er.scope == role.scope))
                        })
                    })
            }
        };
        if allowed {
            return Ok(());
        }
    }
    if !scoped {
        return Err(Refusal::OutOfScope);
    }
    Err(match action {
        Action::ForPartner(_) => Refusal::OtherPartner,
        Action::Step(step) => {
            let role = proc
                .step(step)
                .map(|s| roles.name(&s.role).to_string())
                .unwrap_or_default();
            Refusal::WrongRole(role)
        }
        Action::Event(event) => Refusal::EventRole(
            proc.event(event)
                .map(|e| {
                    e.roles
                        .iter()
                        .map(|r| roles.name(r).to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
        ),
        _ => Refusal::OutOfScope,
    })
}

/// Where a person's cases are, for listing them in one query: the cases of
/// an establishment, of a département or submitted to a partner, each for
/// the procedures that involve the role. A case matching any of them passes
/// [`authorize`] with [`Action::View`]; listing by these never reads a case
/// outside the scope to filter it afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visible {
    pub within: Within,
    /// Procedure ids, sorted and without repeats.
    pub procedures: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Within {
    Establishment(String),
    Departement(String),
    Partner(String),
}

/// The scopes in which `actor` may view cases (see [`Visible`]).
pub fn visible(actor: &Actor, roles: &Roles, library: &crate::procedure::Library) -> Vec<Visible> {
    let mut out: std::collections::BTreeMap<Within, std::collections::BTreeSet<String>> = Default::default();
    for g in &actor.grants {
        let Some(role) = roles.get(&g.role) else {
            continue;
        };
        let within = match role.scope {
            Scope::Etablissement => g.establishment.clone().map(Within::Establishment),
            Scope::Departement => g.departement.clone().map(Within::Departement),
            Scope::Partenaire => g.partner.clone().map(Within::Partner),
        };
        let Some(within) = within else {
            continue;
        };
        // The same filters as `authorize`, procedure by procedure.
        let procs = library
            .procedures
            .values()
            .filter(|p| match (role.scope, p.audience) {
                (Scope::Partenaire, Audience::Case) | (Scope::Etablissement, Audience::Partnership) => false,
                (Scope::Partenaire, Audience::Partnership) => true,
                _ => p.involves(&g.role),
            });
        out.entry(within).or_default().extend(procs.map(|p| p.id.clone()));
    }
    out.into_iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(within, procedures)| Visible {
            within,
            procedures: procedures.into_iter().collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_show_cases_only_to_their_audience() {
        let school = Place::Staff {
            establishment: Some("0490001K".into()),
            departement: None,
        };
        let office = Place::Staff {
            establishment: None,
            departement: Some("049".into()),
        };
        let partners = Place::Partners {
            departement: Some("049".into()),
        };
        let case = |p: &Place, uai: &str, dep: &str| p.shows(Audience::Case, Some(uai), dep);
        assert!(case(&Place::Direct, "0490001K", "049"));
        assert!(case(&school, "0490001K", "049"));
        assert!(!case(&school, "0490002L", "049"));
        assert!(case(&office, "0490002L", "049"));
        assert!(!case(&office, "0440001S", "044"));
        assert!(!case(&partners, "0490001K", "049"));
        assert!(!case(&Place::Undeclared, "0490001K", "049"));
        assert!(partners.shows(Audience::Partnership, None, "049"));
        assert!(!partners.shows(Audience::Partnership, None, "044"));
        assert!(Place::Undeclared.shows(Audience::Partnership, None, "049"));
        assert!(!partners.shows_cases() && !Place::Undeclared.shows_cases());
    }
    use crate::testing::{procedure, roles};

    const PROC: &str = r#"
id = "par"
nom = "PAR"
prefixe = "PAR"
public = "dossier"
acteurs = ["chef_etablissement", "cpe", "dasen"]
[[evenements]]
id = "saisine"
nom = "saisine"
roles = ["dasen"]
[[etapes]]
id = "entretien"
nom = "Entretien"
role = "dasen"
depuis = "saisine"
delai = { jours = 10, report = "backward" }
[[etapes]]
id = "suivi"
nom = "Suivi"
role = "cpe"
depuis = "saisine"
delai = { jours = 30, report = "forward" }
"#;

    fn grant(role: &str, etab: Option<&str>, dep: Option<&str>, partner: Option<&str>) -> Actor {
        Actor {
            person_id: 1,
            grants: vec![Grant {
                role: role.into(),
                establishment: etab.map(Into::into),
                departement: dep.map(Into::into),
                partner: partner.map(Into::into),
            }],
        }
    }

    #[test]
    fn scope_and_role_rules() {
        let roles = roles();
        let proc = procedure(PROC);
        let case = CaseScope {
            establishment: Some("0490001K"),
            departement: "049",
            partners: &[],
        };
        let check = |a: &Actor, act: Action<'_>| authorize(Some(a), &roles, &proc, &case, &act);
        let chef = grant("chef_etablissement", Some("0490001K"), None, None);
        let other_chef = grant("chef_etablissement", Some("0440001S"), None, None);
        let cpe = grant("cpe", Some("0490001K"), None, None);
        let dasen = grant("dasen", None, Some("049"), None);
        let dasen44 = grant("dasen", None, Some("044"), None);
        let caf = grant("partenaire", None, None, Some("caf"));

        assert_eq!(check(&chef, Action::View), Ok(()));
        assert_eq!(check(&chef, Action::Step("suivi")), Ok(()));
        assert!(matches!(
            check(&chef, Action::Step("entretien")),
            Err(Refusal::WrongRole(_))
        ));
        assert_eq!(check(&other_chef, Action::View), Err(Refusal::OutOfScope));
        assert_eq!(check(&cpe, Action::Step("suivi")), Ok(()));
        assert!(matches!(
            check(&cpe, Action::Step("entretien")),
            Err(Refusal::WrongRole(_))
        ));
        assert_eq!(check(&dasen, Action::Step("entretien")), Ok(()));
        assert!(matches!(
            check(&dasen, Action::Step("suivi")),
            Err(Refusal::WrongRole(_))
        ));
        assert_eq!(check(&dasen44, Action::View), Err(Refusal::OutOfScope));
        assert_eq!(check(&caf, Action::View), Err(Refusal::OutOfScope));
        // Events: only the roles the procedure names, and supervisors of
        // the same level.
        assert_eq!(check(&dasen, Action::Event("saisine")), Ok(()));
        assert!(matches!(
            check(&chef, Action::Event("saisine")),
            Err(Refusal::EventRole(_))
        ));
        assert!(matches!(
            check(&cpe, Action::Event("saisine")),
            Err(Refusal::EventRole(_))
        ));
        assert!(check(&caf, Action::Event("saisine")).is_err());
        assert_eq!(
            authorize(None, &roles, &proc, &case, &Action::View),
            Err(Refusal::Unknown)
        );
    }

    /// Listing by `visible` shows exactly the cases `authorize` lets one view.
    #[test]
    fn visible_scopes_agree_with_authorize() {
        let roles = roles();
        let proc = procedure(PROC);
        let mut library = crate::procedure::Library {
            roles: roles.clone(),
            ..Default::default()
        };
        library.procedures.insert(proc.id.clone(), proc.clone());
        let cases = [
            (Some("0490001K"), "049", vec![]),
            (Some("0440001S"), "044", vec![]),
            (None, "049", vec!["caf".to_string()]),
        ];
        let actors = [
            grant("chef_etablissement", Some("0490001K"), None, None),
            grant("cpe", Some("0490001K"), None, None),
            grant("dasen", None, Some("049"), None),
            grant("partenaire", None, None, Some("caf")),
        ];
        for actor in &actors {
            let scopes = visible(actor, &roles, &library);
            for (etab, dep, partners) in &cases {
                let scope = CaseScope {
                    establishment: *etab,
                    departement: dep,
                    partners,
                };
                let listed = scopes.iter().any(|v| {
                    v.procedures.contains(&proc.id)
                        && match &v.within {
                            Within::Establishment(u) => *etab == Some(u.as_str()),
                            Within::Departement(d) => d == dep,
                            Within::Partner(p) => partners.contains(p),
                        }
                });
                let allowed = authorize(Some(actor), &roles, &proc, &scope, &Action::View).is_ok();
                assert_eq!(listed, allowed, "{actor:?} on {etab:?}/{dep}");
            }
        }
        // The partner is never given an individual case's procedure.
        assert!(visible(&actors[3], &roles, &library).is_empty());
    }
}
