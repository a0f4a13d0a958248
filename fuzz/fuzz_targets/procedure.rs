//! Any text as a procedure file and as `roles.toml`, alone and beside a
//! shipped file: a validated value or located French errors, never a
//! panic. Valid steps' rules are also computed, as the daemon would.

#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use echeancier_core::calendar::{Calendar, CalendarId};
use echeancier_core::deadline;
use echeancier_core::french::parse_date;
use echeancier_core::procedure::{FileError, Library, Procedure, Roles};
use libfuzzer_sys::fuzz_target;

const ROLES: &str = include_str!("../../procedures/roles.toml");

/// One shipped procedure beside the fuzzed file: enough to exercise the
/// library's duplicate id and prefix checks without re-parsing every
/// shipped file on each run (which would divide the execution rate).
const PAR: (&str, &str) = ("par.toml", include_str!("../../procedures/par.toml"));

/// Every error names the fuzzed file, a line inside it, and a message.
fn check_errors(errors: &[FileError], file: &str, src: &str) {
    assert!(!errors.is_empty(), "Err without any error");
    let lines = src.matches('\n').count() + 1;
    for e in errors.iter().filter(|e| e.file == file) {
        assert!(e.line >= 1 && e.line <= lines, "line {} of {lines}: {e}", e.line);
        assert!(!e.message.is_empty());
        let _ = e.to_string();
    }
}

fn check_procedure(p: &Procedure) {
    let start = parse_date("2026-03-02").expect("date");
    let calendar = Calendar::new(CalendarId::Metropole);
    for step in &p.steps {
        let rules = std::iter::once(&step.rule).chain(step.also.iter().map(|a| &a.rule));
        for spec in rules {
            if let Some(rule) = spec.resolve(&BTreeMap::new(), &p.params) {
                let _ = rule.describe();
                if let Ok(d) = deadline::compute(start, &rule, &calendar) {
                    let _ = d.explanation();
                    let _ = d.expires_at();
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let src = src.as_ref();
    static SHIPPED_ROLES: OnceLock<Roles> = OnceLock::new();
    let roles = SHIPPED_ROLES.get_or_init(|| Roles::parse("roles.toml", ROLES).expect("shipped roles"));

    match Procedure::parse("fuzz.toml", src, roles) {
        Ok(p) => check_procedure(&p),
        Err(errors) => check_errors(&errors, "fuzz.toml", src),
    }
    match Roles::parse("fuzz-roles.toml", src) {
        Ok(r) => {
            for role in r.iter() {
                assert_eq!(r.name(&role.id), role.name);
            }
        }
        Err(errors) => check_errors(&errors, "fuzz-roles.toml", src),
    }
    // The fuzzed file beside a shipped one (duplicate ids and prefixes),
    // then the fuzzed roles under the shipped procedure.
    match Library::build(("roles.toml", ROLES), [PAR, ("fuzz.toml", src)]) {
        Ok(lib) => {
            for p in lib.procedures.values() {
                assert!(lib.by_prefix(&p.prefix).is_some());
            }
        }
        Err(errors) => check_errors(&errors, "fuzz.toml", src),
    }
    if let Err(errors) = Library::build(("fuzz-roles.toml", src), [PAR]) {
        check_errors(&errors, "fuzz-roles.toml", src);
    }
});
