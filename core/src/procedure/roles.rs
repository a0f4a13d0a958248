//! Validates `roles.toml` into `Roles`: each role's id, human name, scope
//! and whether it supervises the steps of its scope.

use std::collections::BTreeMap;

use super::raw::{self, RawRolesFile};
use super::validate::{IDENT_HINT, is_ident};
use super::{Role, Roles};
use crate::located::{FileError, Findings};

impl Roles {
    pub fn parse(file: &str, src: &str) -> Result<Roles, Vec<FileError>> {
        let raw: RawRolesFile = raw::read(file, src)?;
        let mut ctx = Findings::new(file, src);
        let mut map = BTreeMap::new();
        for r in raw.roles {
            if !is_ident(r.id.get_ref()) {
                ctx.err(
                    &r.id,
                    format!("identifiant de rôle « {} » invalide", r.id.get_ref()),
                    IDENT_HINT,
                );
                continue;
            }
            if map.contains_key(r.id.get_ref()) {
                ctx.err(
                    &r.id,
                    format!("rôle « {} » défini deux fois", r.id.get_ref()),
                    "supprimer le doublon",
                );
                continue;
            }
            let id = r.id.into_inner();
            map.insert(
                id.clone(),
                Role {
                    id,
                    name: r.nom,
                    scope: r.portee,
                    supervises: r.supervise,
                },
            );
        }
        ctx.finish(Roles(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procedure::Scope;
    use crate::testing::roles;

    #[test]
    fn parses_scopes_and_supervision() {
        let r = roles();
        let chef = r.get("chef_etablissement").expect("chef");
        assert_eq!(chef.scope, Scope::Etablissement);
        assert!(chef.supervises);
        assert_eq!(r.name("dasen"), "bureau du DASEN");
        assert_eq!(r.name("recteur"), "recteur", "an unknown id names itself");
    }

    #[test]
    fn reports_duplicates_and_bad_ids_with_their_line() {
        let role = |id: &str| format!("[[roles]]\nid = \"{id}\"\nnom = \"x\"\nportee = \"departement\"\n");
        let e = Roles::parse("roles.toml", &(role("dasen") + &role("dasen"))).expect_err("twice");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, 6);
        assert!(e[0].message.contains("défini deux fois"), "{e:?}");
        let e = Roles::parse("roles.toml", &role("Chef")).expect_err("uppercase");
        assert_eq!((e[0].line, e[0].hint.as_str()), (2, IDENT_HINT));
    }
}
