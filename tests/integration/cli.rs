//! The command-line contract that scripts depend on.

use serde_json::Value;

use crate::util::{bin, bin_at, run, stderr, stdout};

fn first_line(args: &[&str]) -> String {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o).lines().next().unwrap_or_default().to_string()
}

fn json(args: &[&str]) -> Value {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("valid JSON")
}

/// One worked example: from, unit, amount, extra flags, calendar, roll, expected end.
type Example = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    &'static str,
);

/// Worked examples of the domain brief and more.
const CASES: &[Example] = &[
    (
        "2026-03-05",
        "--days",
        "10",
        &[],
        "metropole",
        "forward",
        "2026-03-16",
    ),
    (
        "2026-06-29",
        "--days",
        "15",
        &[],
        "metropole",
        "forward",
        "2026-07-15",
    ),
    (
        "2026-03-20",
        "--days",
        "15",
        &[],
        "metropole",
        "forward",
        "2026-04-07",
    ),
    (
        "2026-03-24",
        "--days",
        "10",
        &[],
        "alsace-moselle",
        "forward",
        "2026-04-07",
    ),
    (
        "2026-01-31",
        "--months",
        "1",
        &[],
        "metropole",
        "forward",
        "2026-03-02",
    ),
    (
        "2026-01-31",
        "--months",
        "2",
        &[],
        "metropole",
        "forward",
        "2026-03-31",
    ),
    (
        "2026-12-09",
        "--days",
        "10",
        &[],
        "metropole",
        "backward",
        "2026-12-18",
    ),
    // Délai franc, CE 13 May 2015 n° 368892.
    (
        "2012-03-01",
        "--days",
        "15",
        &["--franc"],
        "metropole",
        "forward",
        "2012-03-19",
    ),
    // 26 December in Alsace-Moselle: Fri 25, Sat 26, Sun 27 → Mon 28.
    (
        "2026-12-15",
        "--days",
        "10",
        &[],
        "alsace-moselle",
        "forward",
        "2026-12-28",
    ),
    // Same in metropole: Fri 25 Dec (Noël) → Mon 28 too; 26 Dec 2025 Friday is working.
    (
        "2025-12-16",
        "--days",
        "10",
        &[],
        "metropole",
        "forward",
        "2025-12-26",
    ),
    (
        "2025-12-16",
        "--days",
        "10",
        &[],
        "alsace-moselle",
        "forward",
        "2025-12-29",
    ),
    // Ascension Thu 14 May 2026, the Friday after is a working day.
    (
        "2026-05-04",
        "--days",
        "10",
        &[],
        "metropole",
        "forward",
        "2026-05-15",
    ),
    // Whit Monday 25 May 2026: Sat 23 → Sun 24 → Mon 25 → Tue 26.
    (
        "2026-05-08",
        "--days",
        "15",
        &[],
        "metropole",
        "forward",
        "2026-05-26",
    ),
    // Weeks are days: 6 weeks = 42 days.
    (
        "2026-01-05",
        "--weeks",
        "6",
        &[],
        "metropole",
        "none",
        "2026-02-16",
    ),
    // Months then days.
    (
        "2026-01-31",
        "--months",
        "1",
        &["--and-days", "2"],
        "metropole",
        "none",
        "2026-03-02",
    ),
    // Notice: never extended even on a Sunday.
    (
        "2026-03-14",
        "--months",
        "3",
        &[],
        "metropole",
        "none",
        "2026-06-14",
    ),
    // In force from 1 Sep 2026 for 3 years.
    (
        "2026-09-01",
        "--years",
        "3",
        &["--inclusive"],
        "metropole",
        "none",
        "2029-08-31",
    ),
    // Overseas abolition days.
    (
        "2026-12-10",
        "--days",
        "10",
        &[],
        "reunion",
        "forward",
        "2026-12-21",
    ),
    (
        "2026-05-17",
        "--days",
        "10",
        &[],
        "guadeloupe",
        "forward",
        "2026-05-28",
    ),
    // Fri 22 May (abolition) → Sat → Sun → Whit Monday 25 → Tue 26.
    (
        "2026-05-12",
        "--days",
        "10",
        &[],
        "martinique",
        "forward",
        "2026-05-26",
    ),
    (
        "2026-05-31",
        "--days",
        "10",
        &[],
        "guyane",
        "forward",
        "2026-06-11",
    ),
    (
        "2027-04-17",
        "--days",
        "10",
        &[],
        "mayotte",
        "forward",
        "2027-04-28",
    ),
    (
        "2026-05-18",
        "--days",
        "10",
        &[],
        "saint-martin",
        "forward",
        "2026-05-29",
    ),
    (
        "2026-09-29",
        "--days",
        "10",
        &[],
        "saint-barthelemy",
        "forward",
        "2026-10-12",
    ),
    // Backward over a long weekend: Easter Monday 6 Apr 2026 → Fri 3 Apr.
    (
        "2026-03-27",
        "--days",
        "10",
        &[],
        "metropole",
        "backward",
        "2026-04-03",
    ),
    // Leap years: 29 Feb + 1 year → 28 Feb 2025 (a Friday).
    (
        "2024-02-29",
        "--years",
        "1",
        &[],
        "metropole",
        "forward",
        "2025-02-28",
    ),
    // Before: internship starts Mon 2 Mar 2026, agreement by Fri 27 Feb.
    (
        "2026-03-02",
        "--days",
        "1",
        &["--before"],
        "metropole",
        "backward",
        "2026-02-27",
    ),
];

#[test]
fn deadline_plain_first_line_is_the_date() {
    for (from, unit, n, extra, cal, roll, want) in CASES {
        let mut args = vec![
            "deadline",
            "--from",
            from,
            unit,
            n,
            "--calendar",
            cal,
            "--roll",
            roll,
        ];
        args.extend_from_slice(extra);
        assert_eq!(&first_line(&args), want, "{args:?}");
    }
}

#[test]
fn deadline_json_has_the_contract_fields() {
    let v = json(&["deadline", "--from", "2026-03-20", "--days", "15", "--json"]);
    assert_eq!(v["start"], "2026-03-20");
    assert_eq!(v["raw_end"], "2026-04-04");
    assert_eq!(v["end"], "2026-04-07");
    assert_eq!(v["roll"], "forward");
    let explanation = v["explanation"].as_array().expect("list");
    assert!(
        explanation
            .iter()
            .any(|l| l.as_str().is_some_and(|s| s.contains("lundi de Pâques")))
    );
    assert_eq!(v["skipped"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["expires_at"], "2026-04-08T00:00:00+02:00");
}

#[test]
fn good_friday_is_switchable() {
    let on = first_line(&[
        "deadline",
        "--from",
        "2026-03-24",
        "--days",
        "10",
        "--calendar",
        "alsace-moselle",
    ]);
    let off = first_line(&[
        "deadline",
        "--from",
        "2026-03-24",
        "--days",
        "10",
        "--calendar",
        "alsace-moselle",
        "--good-friday",
        "non",
    ]);
    assert_eq!(on, "2026-04-07");
    assert_eq!(off, "2026-04-03");
}

#[test]
fn school_year_examples() {
    assert_eq!(first_line(&["school-year", "2026-03-05"]), "2025-2026");
    assert_eq!(first_line(&["school-year", "2026-08-31"]), "2025-2026");
    assert_eq!(first_line(&["school-year", "2026-09-01"]), "2026-2027");
    assert_eq!(first_line(&["school-year", "2023-09-04"]), "2023-2024");
    assert_eq!(first_line(&["school-year", "2024-09-01"]), "2023-2024");
    // Every académie has its own: Réunion's pupils are back in mid-August,
    // Corse's a day after the mainland's in 2023.
    assert_eq!(
        first_line(&["school-year", "2025-08-20", "--calendar", "reunion"]),
        "2025-2026"
    );
    assert_eq!(
        first_line(&["school-year", "2025-08-20", "--academie", "974"]),
        "2025-2026"
    );
    assert_eq!(first_line(&["school-year", "2025-08-20"]), "2024-2025");
    assert_eq!(
        first_line(&["school-year", "2023-09-04", "--academie", "Corse"]),
        "2022-2023"
    );
    assert_eq!(
        first_line(&["school-year", "2023-09-05", "--academie", "0490001K"]),
        "2023-2024"
    );
    // The snapshot starts with 2019-2020: a request of June 2023 is answered.
    assert_eq!(first_line(&["school-year", "2023-06-12"]), "2022-2023");
}

#[test]
fn termination_both_readings() {
    let v = json(&["termination", "--received", "2025-03-10", "--json"]);
    assert_eq!(v["notice_last_day"], "2025-06-10");
    assert_eq!(v["effective"], "2025-09-01");
    assert_eq!(v["effective_at_rentree"], "2025-09-01");
    assert_eq!(v["diverge"], false);

    let v = json(&["termination", "--received", "2025-07-15", "--json"]);
    assert_eq!(v["notice_last_day"], "2025-10-15");
    assert_eq!(v["effective"], "2025-10-16");
    assert_eq!(v["effective_at_rentree"], "2026-09-01");
    assert_eq!(v["diverge"], true);

    let v = json(&[
        "termination",
        "--received",
        "2025-02-20",
        "--notice-months",
        "6",
        "--json",
    ]);
    assert_eq!(v["notice_last_day"], "2025-08-20");
    assert_eq!(v["effective"], "2025-09-01");

    // The rentrée-only reading needs the 2027 rentrée, not yet published.
    let v = json(&["termination", "--received", "2026-07-15", "--json"]);
    assert_eq!(v["effective"], "2026-10-16");
    assert_eq!(v["effective_at_rentree"], Value::Null);
    assert_eq!(v["diverge"], true);
    assert!(
        v["effective_at_rentree_error"]
            .as_str()
            .is_some_and(|s| s.contains("2027-2028"))
    );
}

/// Every bad input exits non-zero with one French line.
#[test]
fn bad_input_gives_one_french_line() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["deadline", "--from", "2026-02-31", "--days", "3"],
            "ce jour n'existe pas",
        ),
        (
            &["deadline", "--from", "2026-13-01", "--days", "3"],
            "mois doit être entre 1 et 12",
        ),
        (&["deadline", "--from", "demain", "--days", "3"], "date invalide"),
        (&["deadline", "--days", "3"], "Il manque --from AAAA-MM-JJ."),
        (&["deadline", "--from", "2026-03-01"], "Il manque la durée"),
        (
            &["deadline", "--from", "2026-03-01", "--days", "-3"],
            "ne peut pas être négative",
        ),
        (
            &["deadline", "--from", "2026-03-01", "--days", "trois"],
            "nombre entier positif",
        ),
        (
            &["deadline", "--from", "2026-03-01", "--days", "99999999"],
            "trop longue",
        ),
        (
            &["deadline", "--from", "2026-03-01", "--days", "3", "--months", "1"],
            "Une seule unité",
        ),
        (
            &[
                "deadline",
                "--from",
                "2026-03-01",
                "--days",
                "3",
                "--calendar",
                "lune",
            ],
            "Calendrier inconnu",
        ),
        (
            &[
                "deadline",
                "--from",
                "2026-03-01",
                "--days",
                "3",
                "--roll",
                "demain",
            ],
            "Règle de report inconnue",
        ),
        (
            &[
                "deadline",
                "--from",
                "2026-03-01",
                "--days",
                "3",
                "--franc",
                "--inclusive",
            ],
            "franc et inclusif",
        ),
        (
            &[
                "deadline",
                "--from",
                "2026-03-01",
                "--days",
                "3",
                "--good-friday",
                "peut-être",
            ],
            "oui ou non",
        ),
        (
            &[
                "deadline",
                "--from",
                "2026-03-01",
                "--days",
                "3",
                "--and-days",
                "-1",
            ],
            "négative",
        ),
        (
            &["deadline", "--frm", "2026-03-01"],
            "Option inconnue --frm (vouliez-vous dire --from ?) : voir echeancier deadline --help.",
        ),
        (
            &["school-year", "2027-08-01"],
            "après les données du calendrier scolaire",
        ),
        (&["school-year", "2019-01-01"], "avant le début des données"),
        (
            &["school-year", "2026-03-05", "--academie", "Atlantide"],
            "ni une académie",
        ),
        (&["school-year", "05-03-2026"], "Date invalide"),
        (&["termination", "--received", "2027-01-10"], "pas encore publiée"),
        (&["termination"], "Il manque --received"),
        (
            &["termination", "--received", "2026-03-01", "--notice-months", "0"],
            "entre 1 et 120",
        ),
        (
            &["termination", "--received", "2026-03-01", "--notice-months", "-2"],
            "négative",
        ),
        (&["inconnue"], "Commande inconnue"),
        (
            &["case", "show"],
            "Il manque un argument obligatoire, <REFERENCE> : voir echeancier case show --help.",
        ),
        (&["case", "shw"], "(vouliez-vous dire show ?)"),
        (&["help", "inconnue"], "Commande inconnue « inconnue »"),
    ];
    for (args, needle) in cases {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        // A full sentence after the program's name: capital, final period.
        let sentence = err.trim_end().strip_prefix("echeancier : ").unwrap_or_default();
        assert!(
            sentence
                .chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit()),
            "{args:?}: {err}"
        );
        assert!(sentence.ends_with('.'), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(stdout(&o).is_empty(), "{args:?}");
    }
}

/// Every command and subcommand, as typed after `echeancier`.
fn every_command() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: &[String], out: &mut Vec<Vec<String>>) {
        out.push(path.to_vec());
        for sub in cmd.get_subcommands() {
            let mut p = path.to_vec();
            p.push(sub.get_name().to_string());
            walk(sub, &p, out);
        }
    }
    let mut out = Vec::new();
    walk(&echeancier::cli::command(), &[], &mut out);
    out
}

/// The help of every command is French: none of clap's English words, a
/// French "Utilisation :" line, and a help text for every option.
#[test]
fn help_is_french_on_every_command() {
    let commands = every_command();
    for path in [
        &["case"][..],
        &["case", "new"],
        &["deadline"],
        &["lien"],
        &["help"],
    ] {
        assert!(
            commands.iter().any(|c| c == path),
            "{path:?} missing from {commands:?}"
        );
    }
    let english = [
        "Usage:",
        "Print help",
        "Print version",
        "Print this message",
        "Options:",
        "Arguments:",
        "Commands:",
        "[default:",
        "[env:",
        "[aliases:",
        "<COMMAND>",
    ];
    for path in &commands {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let o = run(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        let help = stdout(&o);
        for word in english {
            assert!(!help.contains(word), "{args:?} says « {word} »:\n{help}");
        }
        assert!(help.contains("\nUtilisation : echeancier"), "{args:?}:\n{help}");
        assert!(help.contains("\nOptions :\n"), "{args:?}:\n{help}");
        // Each option and argument line carries its help after the name.
        let mut section = "";
        for line in help.lines() {
            if line.ends_with(" :") && !line.starts_with(' ') {
                section = line;
                continue;
            }
            if ["Options :", "Arguments :", "Commandes :"].contains(&section) && !line.trim().is_empty() {
                let trimmed = line.trim_start();
                let text = trimmed.split_once("  ").map(|(_, t)| t.trim());
                assert!(
                    text.is_some_and(|t| !t.is_empty()),
                    "{args:?}: no help for « {trimmed} »:\n{help}"
                );
            }
        }
        // `help COMMAND…` gives the same page; `-h` too.
        let mut by_word: Vec<&str> = vec!["help"];
        by_word.extend(path.iter().map(String::as_str).filter(|w| *w != "help"));
        if path.last().map(String::as_str) != Some("help") {
            assert_eq!(stdout(&run(&by_word)), help, "{by_word:?}");
        }
        args.pop();
        args.push("-h");
        assert_eq!(stdout(&run(&args)), help, "{args:?}");
    }
    // Every argument of the command line has a help text, hidden ones aside.
    fn all_args(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
        for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if a.get_help().is_none_or(|h| h.to_string().trim().is_empty()) {
                out.push(format!("{path} {}", a.get_id()));
            }
        }
        for sub in cmd.get_subcommands() {
            all_args(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }
    let mut missing = Vec::new();
    all_args(&echeancier::cli::command(), "echeancier", &mut missing);
    assert!(missing.is_empty(), "arguments without help: {missing:?}");
    let o = run(&["--version"]);
    assert!(o.status.success());
    assert!(stdout(&o).starts_with("echeancier "), "{}", stdout(&o));
}

#[test]
fn check_reports_file_line_and_hint() {
    let dir = tempfile::tempdir().expect("dir");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("procedures");
    for entry in std::fs::read_dir(&src).expect("procedures") {
        let p = entry.expect("entry").path();
        std::fs::copy(&p, dir.path().join(p.file_name().expect("name"))).expect("copy");
    }
    let ok = run(&["check", "--procedures", dir.path().to_str().expect("utf8")]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("5 procédures valides"));

    let par = dir.path().join("par.toml");
    let text = std::fs::read_to_string(&par)
        .expect("read")
        .replace("role = \"dasen\"", "role = \"recteur\"");
    std::fs::write(&par, text).expect("write");
    let bad = run(&["check", "--procedures", dir.path().to_str().expect("utf8")]);
    assert_eq!(bad.status.code(), Some(2));
    let out = stdout(&bad);
    assert!(out.contains("par.toml:"), "{out}");
    assert!(out.contains("rôle « recteur » inconnu"), "{out}");
    assert!(out.contains("à corriger"), "{out}");
}

#[test]
fn check_validates_a_configuration_file() {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[[etablissements]]\nuai = \"0490001A\"\nnom = \"x\"\n").expect("write");
    let o = bin()
        .args(["--config", cfg.to_str().expect("utf8"), "check"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("c.toml:2"), "{}", stdout(&o));
}

/// The demo configuration with its data in `data_dir`, its web office on
/// a free port (tests run side by side).
fn demo_config(data_dir: &std::path::Path) -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/demo.toml"))
        .expect("demo config")
        .replace(
            "data_dir = \"echeancier-data/demo\"",
            &format!("data_dir = \"{}\"", data_dir.display()),
        )
        .replace(
            "adresse = \"127.0.0.1:8080\"",
            &format!("adresse = \"127.0.0.1:{port}\""),
        )
}

#[test]
fn case_administration_from_the_shell() {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, demo_config(dir.path())).expect("write");
    let c = cfg.to_str().expect("utf8");
    // The binary reads the system clock: dates are relative to today.
    use echeancier::core::calendar::{Calendar, CalendarId};
    use echeancier::core::french::long_date;
    let today = chrono::Utc::now()
        .with_timezone(&CalendarId::Metropole.time_zone())
        .date_naive();
    let received = today - chrono::Duration::days(2);
    let calendar = Calendar::new(CalendarId::Metropole);
    let rule =
        |roll| echeancier::core::deadline::Rule::new(echeancier::core::deadline::Period::days(10), roll);
    let due = echeancier::core::deadline::compute(
        received,
        &rule(echeancier::core::deadline::Roll::Backward),
        &calendar,
    )
    .expect("due")
    .end;
    let legal = echeancier::core::deadline::compute(
        received,
        &rule(echeancier::core::deadline::Roll::Forward),
        &calendar,
    )
    .expect("legal")
    .end;
    // A working day ahead, before the legal date: a reschedule needs no confirmation.
    let moved = (1..6)
        .map(|n| today + chrono::Duration::days(n))
        .find(|d| calendar.is_working_day(*d))
        .expect("a working day this week")
        .to_string();
    let received_arg = format!("saisine_recue={received}");
    let o = run(&[
        "--config",
        c,
        "case",
        "new",
        "--procedure",
        "par",
        "--uai",
        "0490001K",
        "--event",
        &received_arg,
        "--pupil",
        "Jeanne Test",
        "--class",
        "4e C",
        "--guardian",
        "Parent Test;p@example.org;;tr;oral",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let reference = stdout(&o).trim().to_string();
    assert!(
        reference.starts_with("PAR-") && reference.ends_with("-0001"),
        "{reference}"
    );

    let show = stdout(&run(&["--config", c, "case", "show", &reference]));
    assert!(show.contains(&format!("échéance {}", long_date(due))), "{show}");
    assert!(
        show.contains(&format!("Date légale : {}", long_date(legal))),
        "{show}"
    );
    assert!(!show.contains("Jeanne") && !show.contains("4e C"), "{show}");

    let o = run(&[
        "--config",
        c,
        "case",
        "step",
        &reference,
        "entretien",
        "report",
        "--date",
        &moved,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("motif"));
    let o = run(&[
        "--config",
        c,
        "case",
        "step",
        &reference,
        "entretien",
        "report",
        "--date",
        &moved,
        "--reason",
        "grève",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["--config", c, "case", "step", &reference, "inconnue", "fait"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("Étape inconnue. Étapes de ce dossier"),
        "{}",
        stderr(&o)
    );

    let list = stdout(&run(&["--config", c, "case", "list"]));
    assert!(list.contains(&reference) && list.contains("ouvert"), "{list}");
    // The indicators of the school: counts only, as a table and as CSV.
    let o = run(&["--config", c, "indicateurs", "--etablissement", "0490001K"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(
        table.contains("Collège Jean Vilar") && table.contains("Rendez-vous proposés"),
        "{table}"
    );
    assert!(!table.contains(&reference), "{table}");
    let o = run(&["--config", c, "indicateurs", "--departement", "049", "--csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("indicateur;nombre\nRendez-vous proposés;"),
        "{}",
        stdout(&o)
    );
    let o = run(&["--config", c, "indicateurs", "--periode", "2026"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("période « 2026 » invalide"), "{}", stderr(&o));
    let o = run(&["--config", c, "case", "close", &reference]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "--config",
        c,
        "case",
        "event",
        &reference,
        "saisine_recue",
        "2026-12-10",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("clos"), "{}", stderr(&o));
    let audit = stdout(&run(&["--config", c, "case", "show", &reference, "--audit"]));
    for action in ["ouverture", "report", "cloture"] {
        assert!(audit.contains(action), "{audit}");
    }
    let o = run(&["--config", c, "case", "show", "PAR-2026-9999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("introuvable"));
}

/// Runs the daemon with standard input at its end (/dev/null, as under
/// systemd) until its log says `until`, then sends SIGTERM. Returns whether
/// it exited 0 and the log lines after `until`.
fn run_until_then_terminate(
    dir: &std::path::Path,
    cfg: &std::path::Path,
    until: &str,
) -> (std::process::ExitStatus, Vec<String>) {
    use std::io::BufRead;
    let mut child = bin_at(dir)
        .env("ECHEANCIER_LOG", "info")
        .args(["--config", cfg.to_str().expect("utf8"), "--log-json", "run"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("daemon starts");
    let mut lines = std::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    // Wait for the line, not for a duration; at the end of its log the
    // daemon has exited on its own, which these tests refuse.
    let mut seen = false;
    for line in lines.by_ref() {
        if line.expect("log line").contains(until) {
            seen = true;
            break;
        }
    }
    assert!(seen, "the daemon stopped before logging « {until} »");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "the daemon was still running");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    (child.wait().expect("exit"), rest)
}

/// Under systemd standard input is /dev/null: the daemon does not take its
/// end for a request to stop. With `[console] actif = true` the console
/// closes at the end of input and the daemon goes on.
#[test]
fn the_end_of_standard_input_closes_the_console_not_the_daemon() {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "data_dir = \"{}\"\n[console]\nactif = true\n[planificateur]\nintervalle_secondes = 1\n",
            dir.path().display()
        ),
    )
    .expect("write");
    let (exit, _) = run_until_then_terminate(dir.path(), &cfg, "the console is closed, the daemon goes on");
    assert!(exit.success(), "{exit:?}");
}

/// The daemon stops cleanly on SIGTERM: the scheduler finishes its pass and
/// the process exits 0.
#[test]
fn daemon_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = dir.path().join("c.toml");
    // No [console]: with standard input not a terminal, the console is off.
    std::fs::write(
        &cfg,
        format!(
            "data_dir = \"{}\"\n[planificateur]\nintervalle_secondes = 1\n",
            dir.path().display()
        ),
    )
    .expect("write");
    let (exit, rest) = run_until_then_terminate(dir.path(), &cfg, "echeancier started");
    assert!(exit.success(), "{exit:?} {rest:?}");
    // --log-json: one JSON object per line.
    for l in &rest {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        assert!(
            v["fields"]["message"].is_string() && v["level"].is_string(),
            "{l}"
        );
    }
    assert!(rest.iter().any(|l| l.contains("scheduler stopped")), "{rest:?}");
    assert!(rest.iter().any(|l| l.contains("echeancier stopped")), "{rest:?}");
}

#[test]
fn export_gives_the_audit_trail_and_secrets_stay_out() {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = dir.path().join("c.toml");
    let demo = demo_config(dir.path()).replace(
        "mode = \"fichiers\"",
        "mode = \"fichiers\"\nmot_de_passe = \"S3cret-En-Clair\"",
    );
    std::fs::write(&cfg, demo).expect("write");
    let c = cfg.to_str().expect("utf8");
    let o = run(&[
        "--config",
        c,
        "case",
        "new",
        "--procedure",
        "par",
        "--uai",
        "0490001K",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let reference = stdout(&o).trim().to_string();
    assert!(
        stderr(&o).contains("mot de passe écrit dans le fichier"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("S3cret-En-Clair") && !stdout(&o).contains("S3cret-En-Clair"));
    let o = run(&["--config", c, "check"]);
    assert!(
        stdout(&o).contains("avertissement") && !stdout(&o).contains("S3cret-En-Clair"),
        "{}",
        stdout(&o)
    );
    let o = run(&["--config", c, "case", "export", &reference]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["reference"], reference.as_str());
    assert_eq!(v["audit"][0]["action"], "ouverture");
    assert_eq!(v["audit"][0]["channel"], "cli");
    let o = run(&["--config", c, "case", "export", "PAR-2026-9999"]);
    assert_eq!(o.status.code(), Some(2));
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

/// What echeancier creates in its data folder is its user's only: the
/// folder and its subfolders 0700, the database and the emails 0600,
/// whatever the umask (the test runs under the usual 022).
#[cfg(unix)]
#[tokio::test]
async fn data_at_rest_is_private() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("donnees");
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, demo_config(&data)).expect("write");
    let c = cfg.to_str().expect("utf8");
    let o = run(&[
        "--config",
        c,
        "case",
        "new",
        "--procedure",
        "par",
        "--uai",
        "0490001K",
        "--pupil",
        "Élève Secret",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // On PostgreSQL nothing is written locally until the daemon runs.
    if crate::util::test_postgres().is_none() {
        assert_eq!(mode(&data), 0o700);
        let db = data.join("echeancier.db");
        assert_eq!(mode(&db), 0o600);
        for side in ["echeancier.db-wal", "echeancier.db-shm"] {
            let p = data.join(side);
            if p.exists() {
                assert_eq!(mode(&p), 0o600, "{side}");
            }
        }
    }
    // The daemon creates the folder of `.eml` files at its start.
    let (exit, _) = run_until_then_terminate(dir.path(), &cfg, "echeancier started");
    assert!(exit.success(), "{exit:?}");
    assert_eq!(mode(&data), 0o700);
    let mail = data.join("courriels");
    assert_eq!(mode(&mail), 0o700);
    let mailer = echeancier::email::Mailer::new(
        &echeancier::config::EmailMode::Files(mail.clone()),
        "echeancier@example.org",
    )
    .expect("mailer");
    mailer
        .send(&echeancier::email::Outgoing {
            key: "k".into(),
            to: "parent@example.org".into(),
            subject: "Rendez-vous".into(),
            text: "Bonjour".into(),
            html: "<p>Bonjour</p>".into(),
            lang: "fr".into(),
            ics: None,
        })
        .await
        .expect("sent");
    let files: Vec<_> = std::fs::read_dir(&mail)
        .expect("folder")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].extension().is_some_and(|x| x == "eml"), "{files:?}");
    assert_eq!(mode(&files[0]), 0o600);
}

/// `check --config` warns about a data folder or a database others can
/// read, and about an HTTP address outside loopback.
#[cfg(unix)]
#[test]
fn check_warns_about_exposed_data() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("donnees");
    std::fs::create_dir(&data).expect("dir");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let db = data.join("echeancier.db");
    std::fs::write(&db, "").expect("db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "data_dir = \"{}\"\ndatabase_url = \"sqlite://{}\"\n[http]\nadresse = \"0.0.0.0:9187\"\n",
            data.display(),
            db.display()
        ),
    )
    .expect("write");
    // Not `run`: the database of this test is the file named above.
    let check = || {
        bin()
            .env_remove("ECHEANCIER_DATABASE_URL")
            .args(["--config", cfg.to_str().expect("utf8"), "check"])
            .output()
            .expect("binary runs")
    };
    let o = check();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let warnings: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("avertissement : "))
        .collect();
    assert!(
        warnings.iter().any(|l| l.contains("le dossier de données")
            && l.contains("mode 755")
            && l.contains("chmod 700")),
        "{out}"
    );
    assert!(
        warnings
            .iter()
            .any(|l| l.contains("la base de données") && l.contains("mode 644") && l.contains("chmod 600")),
        "{out}"
    );
    assert!(
        warnings
            .iter()
            .any(|l| l.contains("0.0.0.0:9187") && l.contains("pas une adresse locale")),
        "{out}"
    );
    // Restricted, and on loopback: no warning at all.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    std::fs::write(
        &cfg,
        std::fs::read_to_string(&cfg)
            .expect("read")
            .replace("0.0.0.0", "127.0.0.1"),
    )
    .expect("write");
    let o = check();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.lines().any(|l| l.starts_with("avertissement : ")), "{out}");
}

/// An unsupported database address in the environment, with no
/// configuration file, is a configuration error (exit 2), not a panic.
#[test]
fn a_bad_database_address_without_a_file_is_an_input_error() {
    let dir = tempfile::tempdir().expect("dir");
    let o = bin()
        .current_dir(dir.path())
        .env("ECHEANCIER_DATABASE_URL", "mysql://u:S3cret@x/db")
        .args(["case", "list"])
        .output()
        .expect("binary runs");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("non prise en charge") && !err.contains("S3cret"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// A procedure file changed on disk: `check --config` lists the open
/// cases whose dates would move (old date → new date, with both
/// explanations) and moves nothing; `case apply-procedure` moves them, in
/// the audit trail.
#[test]
fn check_lists_changed_procedures_and_apply_moves_the_dates() {
    let dir = tempfile::tempdir().expect("dir");
    let procs = dir.path().join("procedures");
    std::fs::create_dir(&procs).expect("mkdir");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("procedures");
    for entry in std::fs::read_dir(&src).expect("procedures") {
        let p = entry.expect("entry").path();
        std::fs::copy(&p, procs.join(p.file_name().expect("name"))).expect("copy");
    }
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "procedures_dir = \"{}\"\n{}",
            procs.display(),
            demo_config(dir.path())
        ),
    )
    .expect("write");
    let c = cfg.to_str().expect("utf8");
    let today = chrono::Utc::now()
        .with_timezone(&echeancier::core::calendar::CalendarId::Metropole.time_zone())
        .date_naive();
    let received = format!("saisine_recue={}", today - chrono::Duration::days(1));
    let o = run(&[
        "--config",
        c,
        "case",
        "new",
        "--procedure",
        "par",
        "--uai",
        "0490001K",
        "--event",
        &received,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let reference = stdout(&o).trim().to_string();
    let o = run(&["--config", c, "check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("tous les dossiers ouverts suivent la version actuelle"),
        "{}",
        stdout(&o)
    );

    // Version 2: the convocation leaves within 30 days, not 3.
    let par = procs.join("par.toml");
    let text = std::fs::read_to_string(&par).expect("read");
    let changed = text
        .replace("version = 1\n", "version = 2\n")
        .replace("defaut = 3\n", "defaut = 30\n");
    assert_ne!(changed, text);
    std::fs::write(&par, changed).expect("write");
    let show_before = stdout(&run(&["--config", c, "case", "show", &reference]));
    let o = run(&["--config", c, "check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains(&format!("{reference} — par, version 1 → version 2 :")),
        "{out}"
    );
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("• Convocation des parents : "))
        .unwrap_or_else(|| panic!("no move listed:\n{out}"));
    let (old, new) = line
        .trim_start()
        .trim_start_matches("• Convocation des parents : ")
        .split_once(" → ")
        .unwrap_or_else(|| panic!("{line}"));
    assert_ne!(old, new, "{line}");
    assert!(
        out.contains("    avant :\n") && out.contains("    après :\n"),
        "{out}"
    );
    assert!(out.contains("3 jours") && out.contains("30 jours"), "{out}");
    assert!(
        out.contains(&format!(
            "Pour appliquer : echeancier case apply-procedure {reference}"
        )),
        "{out}"
    );
    // Listing moves nothing.
    assert_eq!(
        stdout(&run(&["--config", c, "case", "show", &reference])),
        show_before
    );
    assert!(show_before.contains(old), "{show_before}");

    let o = run(&["--config", c, "case", "apply-procedure"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("il manque") || stderr(&o).contains("Il manque"),
        "{}",
        stderr(&o)
    );
    let o = run(&["--config", c, "case", "apply-procedure", &reference]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "{reference} : version 1 → version 2 de la procédure par."
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("Convocation des parents : {old} → {new}")),
        "{out}"
    );
    let show = stdout(&run(&["--config", c, "case", "show", &reference]));
    assert!(show.contains(new), "{show}");
    let o = run(&["--config", c, "case", "export", &reference]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let entry = v["audit"]
        .as_array()
        .expect("audit")
        .iter()
        .find(|e| e["action"] == "nouvelle_version_procedure")
        .cloned()
        .expect("audited");
    assert_eq!(entry["channel"], "cli");
    assert_eq!(entry["detail"]["ancienne_version"], 1);
    assert_eq!(entry["detail"]["nouvelle_version"], 2);
    assert_eq!(entry["detail"]["dates"][0]["etape"], "convocation");

    let o = run(&["--config", c, "case", "apply-procedure", &reference]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("suit déjà la version 2"), "{}", stderr(&o));
    let o = run(&["--config", c, "case", "apply-procedure", "--tous"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("suivent déjà la version actuelle"),
        "{}",
        stdout(&o)
    );
    let o = run(&["--config", c, "check"]);
    assert!(
        stdout(&o).contains("tous les dossiers ouverts suivent la version actuelle"),
        "{}",
        stdout(&o)
    );
    // A version that is not a whole number from 1: file, line and fix.
    let text = std::fs::read_to_string(&par).expect("read");
    std::fs::write(&par, text.replace("version = 2\n", "version = \"deux\"\n")).expect("write");
    let o = run(&["check", "--procedures", procs.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(
        out.contains("par.toml:4") && out.contains("version invalide"),
        "{out}"
    );
    assert!(out.contains("version = 1"), "{out}");
}
