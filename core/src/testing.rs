//! Fixtures shared by the core's unit tests: a roles file with every scope,
//! a referral procedure, and helpers that parse procedure texts against those
//! roles. Compiled for tests only.

use chrono::NaiveDate;

use crate::procedure::{FileError, Procedure, Roles};

/// A date written `YYYY-MM-DD`; short, because tests write many.
pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid test date")
}

/// One role of each scope; the chef d'établissement and the DASEN supervise.
pub const ROLES: &str = r#"
[[roles]]
id = "chef_etablissement"
nom = "chef d'établissement"
portee = "etablissement"
supervise = true
[[roles]]
id = "cpe"
nom = "CPE"
portee = "etablissement"
[[roles]]
id = "dasen"
nom = "bureau du DASEN"
portee = "departement"
supervise = true
[[roles]]
id = "partenaire"
nom = "partenaire"
portee = "partenaire"
"#;

pub fn roles() -> Roles {
    Roles::parse("roles.toml", ROLES).expect("roles")
}

/// A procedure text that must be valid against `ROLES`.
pub fn procedure(src: &str) -> Procedure {
    Procedure::parse("p.toml", src, &roles()).expect("valid procedure")
}

/// The errors of a procedure text that must be invalid against `ROLES`.
pub fn procedure_errors(src: &str) -> Vec<FileError> {
    Procedure::parse("x.toml", src, &roles()).expect_err("invalid")
}

/// A referral: a receipt event and one step with an additional date and
/// reminders. Tests replace pieces of it and check the line of the error:
/// keep its lines where they are.
pub const PAR: &str = r#"
id = "par"
nom = "PAR"
prefixe = "PAR"
public = "dossier"

[[evenements]]
id = "saisine_recue"
nom = "Réception de la saisine"
roles = ["dasen"]
reception = true

[[etapes]]
id = "entretien"
nom = "Entretien"
role = "dasen"
depuis = "saisine_recue"
delai = { jours = 10, report = "backward" }
aussi = [{ nom = "date légale", jours = 10, report = "forward" }]
rappels = { avant_jours_ouvres = [2, 5], escalade_apres_jours_ouvres = 1, escalade_vers = "chef_etablissement" }
"#;
