//! Hostile input never panics: random and mutated text through every parser
//! of the core (chat commands, dates, procedure files, roles, the school
//! calendar). Each returns a value or a French error.

use echeancier_core::command;
use echeancier_core::french::parse_date;
use echeancier_core::procedure::{Procedure, Roles};
use echeancier_core::school::SchoolCalendar;
use proptest::prelude::*;

const ROLES: &str = "[[roles]]\nid = \"dasen\"\nnom = \"DASEN\"\nportee = \"departement\"\n";

const PROCEDURE: &str = r#"id = "par"
nom = "PAR"
prefixe = "PAR"
public = "dossier"
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
rappels = { avant_jours_ouvres = [5, 2], escalade_apres_jours_ouvres = 1, escalade_vers = "dasen" }
"#;

/// Text built from the pieces commands are made of, so that the parser is
/// pushed past its first checks.
fn commandish() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("!".to_string()),
        Just("/".to_string()),
        Just("PAR-2026-0001".to_string()),
        Just("2026-02-31".to_string()),
        Just("31/12/2026".to_string()),
        Just("fait".to_string()),
        Just("@caf".to_string()),
        Just("14h30".to_string()),
        prop::sample::select(
            command::VERBS
                .iter()
                .map(|v| v.name.to_string())
                .collect::<Vec<_>>()
        ),
        "\\PC{0,12}",
    ];
    prop::collection::vec(word, 0..8).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn commands_never_panic(text in commandish()) {
        let _ = command::parse(&text);
        let _ = command::parse(&format!("!{text}"));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = command::parse(&text);
        let _ = parse_date(&text);
        let _ = command::parse_time(&text);
        let _ = command::help(Some(&text));
    }

    #[test]
    fn mutated_procedure_files_never_panic(cut in 0usize..600, insert in "\\PC{0,20}") {
        let roles = Roles::parse("roles.toml", ROLES).expect("roles");
        let mut src = PROCEDURE.to_string();
        let at = src.char_indices().map(|(i, _)| i).nth(cut % src.chars().count()).unwrap_or(0);
        src.insert_str(at, &insert);
        match Procedure::parse("p.toml", &src, &roles) {
            Ok(_) => {}
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in errors {
                    prop_assert!(e.line >= 1 && e.line <= src.lines().count() + 1, "{e}");
                }
            }
        }
    }

    #[test]
    fn mutated_roles_and_calendars_never_panic(text in "\\PC{0,300}") {
        let _ = Roles::parse("roles.toml", &text);
        let _ = SchoolCalendar::parse(&format!("h\n{text}"), "x");
    }
}
