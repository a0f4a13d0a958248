//! The directory: départements, schools (`[[etablissements]]`), partners
//! and people with their roles and chat identities. Synced into the
//! database at start.

use std::collections::BTreeMap;

use echeancier_core::CalendarId;
use echeancier_core::authz::Grant;
use echeancier_core::ids::Uai;
use echeancier_core::procedure::{Library, Scope};
use toml::Spanned;

use super::{
    CHANNELS, Check, DepartementSettings, EstablishmentSettings, PartnerSettings, PersonSettings,
    RawDepartement, RawEstablishment, RawPartner, RawPerson,
};

/// Département codes are written with three characters, as in UAIs: `049`.
pub fn normalize_departement(d: &str) -> String {
    let d = d.trim().to_ascii_uppercase();
    if d.len() == 2 && d.bytes().all(|b| b.is_ascii_digit()) {
        format!("0{d}")
    } else {
        d
    }
}

/// A département code as written in the file, normalized; `None` with the
/// error recorded when it is not one.
fn departement_code(code: &Spanned<String>, check: &mut Check<'_>) -> Option<String> {
    let c = code.get_ref();
    if !(2..=3).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_alphanumeric()) {
        check.err(
            code.span(),
            format!("département « {c} » invalide : attendu par exemple 049"),
        );
        return None;
    }
    Some(normalize_departement(c))
}

pub(super) fn departements(raw: &[RawDepartement], check: &mut Check<'_>) -> Vec<DepartementSettings> {
    raw.iter()
        .filter_map(|d| {
            Some(DepartementSettings {
                code: departement_code(&d.code, check)?,
                name: d.nom.clone(),
                address: d.adresse.clone(),
                phone: d.telephone.clone(),
            })
        })
        .collect()
}

pub(super) fn establishments(
    raw: Vec<RawEstablishment>,
    check: &mut Check<'_>,
) -> Vec<EstablishmentSettings> {
    let mut establishments = Vec::new();
    for e in raw {
        let uai = match e.uai.get_ref().parse::<Uai>() {
            Ok(u) => u,
            Err(x) => {
                check.err(e.uai.span(), x.to_string());
                continue;
            }
        };
        let calendar = match &e.calendrier {
            None => CalendarId::Metropole,
            Some(c) => match c.get_ref().parse::<CalendarId>() {
                Ok(c) => c,
                Err(x) => {
                    check.err(c.span(), x.to_string());
                    continue;
                }
            },
        };
        let zone = match &e.zone {
            None => None,
            // The académie of the UAI decides; a zone declared beside it
            // must agree, or one of the two is a typo.
            Some(z) if ["A", "B", "C"].contains(&z.get_ref().as_str()) => {
                let academie = echeancier_core::academie::academie_of_uai(&uai).ok();
                match academie {
                    Some(a)
                        if a.zone().metropolitan().map(|m| m.to_string()).as_ref() != Some(z.get_ref()) =>
                    {
                        check.err(
                            z.span(),
                            format!(
                                "zone « {} » déclarée, mais l'UAI {uai} relève de {} ({}) : retirez la zone, l'académie suffit",
                                z.get_ref(),
                                a.label(),
                                a.zone().label()
                            ),
                        );
                        None
                    }
                    _ => Some(z.get_ref().clone()),
                }
            }
            Some(z) => {
                check.err(
                    z.span(),
                    format!("zone « {} » inconnue : attendu A, B ou C", z.get_ref()),
                );
                None
            }
        };
        let mut closed_days = BTreeMap::new();
        for c in e.fermetures {
            match echeancier_core::french::parse_date(c.date.get_ref()) {
                Ok(d) => {
                    closed_days.insert(d, c.motif);
                }
                Err(x) => check.err(c.date.span(), x.to_string()),
            }
        }
        establishments.push(EstablishmentSettings {
            uai,
            name: e.nom,
            calendar,
            zone,
            good_friday: e.vendredi_saint,
            closed_days,
            address: e.adresse,
            phone: e.telephone,
        });
    }
    establishments
}

pub(super) fn partners(raw: Vec<RawPartner>, check: &mut Check<'_>) -> Vec<PartnerSettings> {
    let mut partners = Vec::new();
    for p in raw {
        let id = p.id.get_ref();
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            check.err(
                p.id.span(),
                format!("identifiant de partenaire « {id} » invalide : minuscules, chiffres et _"),
            );
            continue;
        }
        let Some(departement) = departement_code(&p.departement, check) else {
            continue;
        };
        partners.push(PartnerSettings {
            id: id.clone(),
            name: p.nom,
            departement,
        });
    }
    partners
}

/// People, checked against the schools and partners declared above them.
pub(super) fn people(
    raw: Vec<RawPerson>,
    library: Option<&Library>,
    establishments: &[EstablishmentSettings],
    partners: &[PartnerSettings],
    check: &mut Check<'_>,
) -> Vec<PersonSettings> {
    let mut owners = BTreeMap::new();
    raw.into_iter()
        .map(|p| {
            let grants = grants(&p, library, establishments, partners, check);
            let identities = identities(&p, &mut owners, check);
            if p.rappels_en_direct && !identities.iter().any(|(c, _)| c == "matrix") {
                check.err(
                    p.id.span(),
                    format!(
                        "{} : rappels_en_direct demande une identité matrix:@compte:serveur",
                        p.id.get_ref()
                    ),
                );
            }
            PersonSettings {
                slug: p.id.into_inner(),
                name: p.nom,
                email: p.email,
                grants,
                identities,
                direct_reminders: p.rappels_en_direct,
                admin: p.administrateur,
            }
        })
        .collect()
}

/// The roles a person holds, each with the place its scope requires (the
/// scope is known only when the procedures are: `library`).
fn grants(
    p: &RawPerson,
    library: Option<&Library>,
    establishments: &[EstablishmentSettings],
    partners: &[PartnerSettings],
    check: &mut Check<'_>,
) -> Vec<Grant> {
    let mut grants = Vec::new();
    for g in &p.roles {
        let role = g.role.get_ref();
        let scope = match library {
            None => None,
            Some(lib) => match lib.roles.get(role) {
                Some(r) => Some(r.scope),
                None => {
                    check.err(
                        g.role.span(),
                        format!("rôle « {role} » inconnu (voir procedures/roles.toml)"),
                    );
                    continue;
                }
            },
        };
        let establishment = match &g.etablissement {
            Some(raw_uai) => match raw_uai.get_ref().parse::<Uai>() {
                Ok(u) if establishments.iter().any(|e| e.uai == u) => Some(u.to_string()),
                Ok(u) => {
                    check.err(
                        raw_uai.span(),
                        format!("établissement {u} non déclaré dans [[etablissements]]"),
                    );
                    continue;
                }
                Err(x) => {
                    check.err(raw_uai.span(), x.to_string());
                    continue;
                }
            },
            None => None,
        };
        let departement = g.departement.as_ref().map(|d| normalize_departement(d.get_ref()));
        let partner = match &g.partenaire {
            Some(pid) if partners.iter().any(|p| &p.id == pid.get_ref()) => Some(pid.get_ref().clone()),
            Some(pid) => {
                check.err(
                    pid.span(),
                    format!(
                        "partenaire « {} » non déclaré dans [[partenaires]]",
                        pid.get_ref()
                    ),
                );
                continue;
            }
            None => None,
        };
        let needed = match scope {
            Some(Scope::Etablissement) => establishment.is_some(),
            Some(Scope::Departement) => departement.is_some(),
            Some(Scope::Partenaire) => partner.is_some(),
            None => true,
        };
        if !needed {
            let what = match scope {
                Some(Scope::Etablissement) => "etablissement = \"UAI\"",
                Some(Scope::Departement) => "departement = \"049\"",
                _ => "partenaire = \"ID\"",
            };
            check.err(g.role.span(), format!("le rôle « {role} » demande {what}"));
            continue;
        }
        grants.push(Grant {
            role: role.clone(),
            establishment,
            departement,
            partner,
        });
    }
    grants
}

/// A person's chat identities. Each chat account belongs to one person:
/// `owners` holds, for each account already given, its person and the line
/// where.
fn identities(
    p: &RawPerson,
    owners: &mut BTreeMap<(String, String), (String, usize)>,
    check: &mut Check<'_>,
) -> Vec<(String, String)> {
    let mut identities = Vec::new();
    for i in &p.identites {
        let identity = match i.get_ref().split_once(':') {
            Some((channel, id)) if CHANNELS.contains(&channel) => identity(channel, id.trim()),
            _ => Err(format!(
                "identité « {} » invalide : attendu console:NOM, matrix:@compte:serveur ou telegram:NUMÉRO",
                i.get_ref()
            )),
        };
        let identity = match identity {
            Ok(identity) => identity,
            Err(e) => {
                check.err(i.span(), e);
                continue;
            }
        };
        let line = check.line(i.span());
        match owners.get(&identity) {
            Some((owner, _)) if owner == p.id.get_ref() => {}
            Some((owner, at)) => check.err(
                i.span(),
                format!(
                    "identité « {}:{} » déjà attribuée à « {owner} » (ligne {at}) : un compte ne désigne qu'une personne.",
                    identity.0, identity.1
                ),
            ),
            None => {
                owners.insert(identity.clone(), (p.id.get_ref().clone(), line));
                identities.push(identity);
            }
        }
    }
    identities
}

/// A chat identity checked for its channel, as the front-end will name the
/// account: Matrix user ids, Telegram user ids (decimal), console names.
fn identity(channel: &str, id: &str) -> Result<(String, String), String> {
    let id = match channel {
        "matrix" => match matrix_sdk::ruma::UserId::parse(id) {
            Ok(user) => user.to_string(),
            Err(_) => {
                return Err(format!(
                    "identité « matrix:{id} » invalide : attendu un compte Matrix @nom:serveur, par exemple matrix:@claire.martin:tchap.gouv.fr"
                ));
            }
        },
        // Telegram names a user by a positive integer; a leading zero or
        // sign would never match the id it sends.
        "telegram" => match id.parse::<u64>() {
            Ok(n) if id.bytes().all(|b| b.is_ascii_digit()) && n.to_string() == id => id.to_string(),
            _ => {
                return Err(format!(
                    "identité « telegram:{id} » invalide : attendu le numéro de l'utilisateur Telegram, par exemple telegram:123456789"
                ));
            }
        },
        _ => {
            if id.is_empty() || id.chars().any(char::is_whitespace) {
                return Err(format!(
                    "identité « {channel}:{id} » invalide : attendu un nom sans espace, par exemple {channel}:cpe"
                ));
            }
            id.to_string()
        }
    };
    Ok((channel.to_string(), id))
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    #[test]
    fn an_identity_belongs_to_one_person() {
        let src = "[[personnes]]\nid = \"a\"\nnom = \"A\"\nidentites = [\"console:x\", \"console:x\"]\n\n\
                   [[personnes]]\nid = \"b\"\nnom = \"B\"\nidentites = [\"console:y\",\n  \"console:x\"]\n";
        let e = Settings::parse("c.toml", src, None).expect_err("x is a's and b's");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, 10);
        assert!(
            e[0].message.contains("console:x") && e[0].message.contains("« a » (ligne 4)"),
            "{e:?}"
        );
        // Twice for the same person is harmless, and kept once.
        let ok = src.replace("\n  \"console:x\"]", "]");
        let s = Settings::parse("c.toml", &ok, None).expect("valid");
        assert_eq!(
            s.people[0].identities,
            vec![("console".to_string(), "x".to_string())]
        );
    }

    #[test]
    fn direct_reminders_need_a_matrix_account() {
        let person = |identity: &str| {
            format!(
                "[[personnes]]\nid = \"x\"\nnom = \"X\"\nrappels_en_direct = true\nidentites = [\"{identity}\"]\n"
            )
        };
        let s = Settings::parse("c.toml", &person("matrix:@x:tchap.gouv.fr"), None).expect("valid");
        assert!(s.people[0].direct_reminders);
        let e = Settings::parse("c.toml", &person("telegram:42"), None).expect_err("no matrix account");
        assert!(
            e[0].message.contains("rappels_en_direct") && e[0].line == 2,
            "{e:?}"
        );
    }

    #[test]
    fn identities_are_checked_by_channel() {
        for (bad, hint) in [
            ("matrix:claire", "@nom:serveur"),
            ("matrix:@claire", "@nom:serveur"),
            ("matrix:claire:tchap.gouv.fr", "@nom:serveur"),
            ("telegram:@claire", "numéro"),
            ("telegram:-100123", "numéro"),
            ("telegram:12a", "numéro"),
            ("telegram:", "numéro"),
            ("console:", "sans espace"),
            ("console:chef adjoint", "sans espace"),
            ("irc:x", "attendu console:NOM"),
            ("chef", "attendu console:NOM"),
        ] {
            let src = format!("[[personnes]]\nid = \"a\"\nnom = \"A\"\nidentites = [\n  \"{bad}\"]\n");
            let e = Settings::parse("c.toml", &src, None).expect_err(bad);
            assert_eq!(e.len(), 1, "{bad}: {e:?}");
            assert_eq!(e[0].line, 5, "{bad}: {e:?}");
            assert!(
                e[0].message.contains(hint) && e[0].message.contains(bad),
                "{bad}: {e:?}"
            );
        }
        let src = "[[personnes]]\nid = \"a\"\nnom = \"A\"\n\
                   identites = [\"matrix:@claire.martin:tchap.gouv.fr\", \"telegram:123456789\", \"console: chef \"]\n";
        let s = Settings::parse("c.toml", src, None).expect("valid");
        assert_eq!(
            s.people[0].identities,
            vec![
                ("matrix".to_string(), "@claire.martin:tchap.gouv.fr".to_string()),
                ("telegram".to_string(), "123456789".to_string()),
                ("console".to_string(), "chef".to_string()),
            ]
        );
    }

    #[test]
    fn role_scope_needs_its_place() {
        let lib = crate::library::embedded().expect("procedures");
        let src = "[[personnes]]\nid = \"x\"\nnom = \"X\"\nroles = [{ role = \"cpe\" }]\n";
        let e = Settings::parse("c.toml", src, Some(&lib)).expect_err("cpe needs a school");
        assert!(e[0].message.contains("etablissement"), "{e:?}");
    }
}
