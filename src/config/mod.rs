//! Configuration in two stages: the raw TOML file as written (`raw`), then
//! validated `Settings` (`types`) with line-numbered French errors. Every
//! field has an embedded default, so echeancier runs with no file at all.
//!
//! Each section is validated by its own function, in the order below, which
//! is the order of the errors reported: `storage` (data folder, database,
//! retention), `email` (`[email]`, `[avis_parents]`), `schedule`
//! (`[horaires]`, `[[recapitulatifs]]`, `[planificateur]`, `[dossiers]`),
//! `chat` (`[telegram]`, `[matrix]` and its rooms, `[console]`), `http`
//! and `directory` (départements, schools, partners, people with their roles
//! and chat identities, synced into the database at start). Secrets are
//! read by `secret` only.

use std::ops::Range;
use std::path::{Path, PathBuf};

use echeancier_core::located::{FileError, Findings, line_of};
use echeancier_core::procedure::Library;

mod chat;
mod directory;
mod email;
mod http;
mod raw;
mod schedule;
mod secret;
mod storage;
mod types;

pub use directory::normalize_departement;
pub use raw::*;
pub use secret::secret;
pub use types::*;

/// A configuration error or warning: the core's located error, without a
/// hint (the message says what is expected).
pub type ConfigError = FileError;

/// Channels a chat identity may name.
pub const CHANNELS: &[&str] = &["console", "matrix", "telegram"];

impl Settings {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path, library: Option<&Library>) -> Result<Settings, Vec<ConfigError>> {
        let name = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|e| {
            vec![ConfigError::new(
                &name,
                0,
                format!("lecture impossible : {e}"),
                "",
            )]
        })?;
        Self::parse(&name, &src, library)
    }

    /// Parses configuration text; `library` enables role checks.
    pub fn parse(file: &str, src: &str, library: Option<&Library>) -> Result<Settings, Vec<ConfigError>> {
        let raw: RawConfig = toml::from_str(src).map_err(|e| vec![ConfigError::unreadable(file, src, &e)])?;
        Self::from_raw(raw, file, src, library)
    }

    /// Settings with every default and an empty directory. The environment
    /// still counts (`ECHEANCIER_DATABASE_URL`, `ECHEANCIER_DATA`), so this
    /// can fail like a file.
    pub fn defaults() -> Result<Settings, Vec<ConfigError>> {
        Self::from_raw(RawConfig::default(), "(défauts)", "", None)
    }

    fn from_raw(
        raw: RawConfig,
        file: &str,
        src: &str,
        library: Option<&Library>,
    ) -> Result<Settings, Vec<ConfigError>> {
        let mut check = Check::new(file, src);
        let data_dir = storage::data_dir(raw.data_dir);
        let database_url = storage::database_url(raw.database_url, &data_dir, &mut check);
        let email = email::mode(&raw.email, &data_dir, &mut check);
        let email_from = email::sender(&raw.email, &mut check);
        let hours = schedule::hours(&raw.horaires, &mut check);
        let oral = email::oral(&raw.avis_parents, &mut check);
        let family_hours = email::family_hours(&raw.avis_parents, &mut check);
        let digests = schedule::digests(&raw.recapitulatifs, &mut check);
        let telegram = chat::telegram(raw.telegram.as_ref(), &mut check);
        let matrix = chat::matrix(raw.matrix.as_ref(), &mut check);
        let (http, http_token) = http::endpoint(&raw.http, &mut check);
        let web = raw.web.as_ref().and_then(|w| http::web(w, &mut check));
        let departements = directory::departements(&raw.departements, &mut check);
        let establishments = directory::establishments(raw.etablissements, &mut check);
        let partners = directory::partners(raw.partenaires, &mut check);
        let people = directory::people(raw.personnes, library, &establishments, &partners, &mut check);
        let (tick_seconds, lease_seconds) = schedule::scheduler(&raw.planificateur);
        let (console, console_identity) = chat::console(raw.console);
        let Check { errors, warnings } = check;
        errors.finish(Settings {
            data_dir,
            database_url,
            procedures_dir: raw.procedures_dir.map(PathBuf::from),
            email,
            email_from,
            hours,
            oral,
            family_hours,
            tick_seconds,
            lease_seconds,
            reschedule_horizon_days: schedule::reschedule_horizon(&raw.dossiers),
            digests,
            departements,
            warnings,
            telegram,
            http,
            http_token,
            matrix,
            web,
            retention: storage::retention(&raw.conservation),
            console,
            console_identity,
            establishments,
            partners,
            people,
        })
    }
}

/// What the validation of one file found: errors, which stop the daemon,
/// and warnings, which do not. Validation goes on after an error, so that
/// every mistake of the file is reported at once.
struct Check<'a> {
    errors: Findings<'a>,
    warnings: Vec<ConfigError>,
}

impl<'a> Check<'a> {
    fn new(file: &'a str, src: &'a str) -> Check<'a> {
        Check {
            errors: Findings::new(file, src),
            warnings: Vec::new(),
        }
    }

    fn src(&self) -> &'a str {
        self.errors.src()
    }

    fn line(&self, at: Range<usize>) -> usize {
        line_of(self.src(), at.start)
    }

    /// An error at a byte range of the file (`0..0`: the file as a whole,
    /// reported on line 1).
    fn err(&mut self, at: Range<usize>, message: impl Into<String>) {
        self.errors.at(at, message, "");
    }

    fn warn(&mut self, at: Range<usize>, message: impl Into<String>) {
        let warning = self.errors.locate(at, message, "");
        self.warnings.push(warning);
    }

    /// The value `secret` read, or `None` with its failure recorded at `at`.
    fn or_record(&mut self, at: Range<usize>, read: Result<Option<String>, String>) -> Option<String> {
        read.unwrap_or_else(|e| {
            self.err(at, e);
            None
        })
    }
}

/// The span of an optional value, `0..0` (line 1) when it is absent.
fn span_of<T>(v: Option<&toml::Spanned<T>>) -> Range<usize> {
    v.map(|v| v.span()).unwrap_or(0..0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_checked_and_passwords_warned() {
        let s = Settings::parse(
            "c.toml",
            "database_url = \"postgres://app:S3cret@db.local/echeancier\"\n",
            None,
        )
        .expect("postgres accepted");
        assert!(s.database_url.starts_with("postgres://"));
        assert!(
            s.warnings
                .iter()
                .any(|w| w.line == 1 && w.message.contains("ECHEANCIER_DATABASE_URL")),
            "{:?}",
            s.warnings
        );
        let e = Settings::parse("c.toml", "database_url = \"mysql://app:S3cret@db/x\"\n", None)
            .expect_err("mysql refused");
        let text = format!("{e:?}");
        assert!(
            text.contains("non prise en charge") && !text.contains("S3cret"),
            "{text}"
        );
    }

    #[test]
    fn defaults_need_no_file() {
        let s = Settings::defaults().expect("valid defaults");
        assert!(s.database_url.starts_with("sqlite://"));
        assert_eq!(s.console, None, "automatic unless the file says");
    }

    #[test]
    fn errors_carry_lines() {
        let lib = crate::library::embedded().expect("procedures");
        let src = "[[etablissements]]\nuai = \"0490001A\"\nnom = \"Collège\"\n\n[[personnes]]\nid = \"x\"\nnom = \"X\"\nroles = [{ role = \"pape\" }]\nidentites = [\"irc:x\"]\n";
        let errors = Settings::parse("c.toml", src, Some(&lib)).expect_err("invalid");
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 8, 9], "{errors:?}");
        assert!(errors[0].message.contains("lettre de contrôle"));
        assert!(errors[1].message.contains("pape"));
        assert!(errors[2].message.contains("irc:x"));
    }

    #[test]
    fn a_certificate_authority_is_read_and_checked_at_load() {
        let dir = tempfile::tempdir().expect("dir");
        let pem = dir.path().join("ac.pem");
        std::fs::write(
            &pem,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .expect("pem");
        let smtp = |security: &str, path: &std::path::Path| {
            format!(
                "[email]\nmode = \"smtp\"\nhote = \"127.0.0.1\"\nsecurite = \"{security}\"\ncertificat_ac = \"{}\"\n",
                path.display()
            )
        };
        let s = Settings::parse("c.toml", &smtp("starttls", &pem), None).expect("valid");
        let EmailMode::Smtp(smtp_settings) = &s.email else {
            panic!("smtp")
        };
        assert!(
            smtp_settings
                .ca
                .as_ref()
                .is_some_and(|c| c.starts_with(b"-----BEGIN"))
        );
        let e = Settings::parse("c.toml", &smtp("starttls", &dir.path().join("absent.pem")), None)
            .expect_err("unreadable");
        assert_eq!(e[0].line, 5);
        assert!(
            e[0].message.contains("certificat_ac") && e[0].message.contains("illisible"),
            "{e:?}"
        );
        let e = Settings::parse("c.toml", &smtp("aucune", &pem), None).expect_err("useless");
        assert!(e[0].message.contains("starttls"), "{e:?}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = Settings::parse("c.toml", "data_dir = \"x\"\nmot_de_passe = \"y\"\n", None)
            .expect_err("unknown key");
        assert_eq!(e[0].line, 2);
    }

    #[test]
    fn settings_never_print_the_database_password() {
        let s = Settings::parse(
            "c.toml",
            "database_url = \"postgres://u:secret@h/db?password=secret2\"\n",
            None,
        )
        .expect("valid");
        // The environment may name another database: the test sets its own.
        let s = Settings {
            database_url: "postgres://u:secret@h/db?password=secret2".into(),
            http_token: Some("secret3".into()),
            ..s
        };
        let printed = format!("{s:?}");
        assert!(!printed.contains("secret"), "{printed}");
        assert!(
            printed.contains("postgres://u:***@h/db?password=***"),
            "{printed}"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        /// A damaged configuration file gives errors with lines, never a panic.
        #[test]
        fn mutated_configuration_never_panics(cut in 0usize..4000, insert in "\\PC{0,20}") {
            let lib = crate::library::embedded().expect("procedures");
            let mut src = crate::demo::CONFIG.to_string();
            let at = src.char_indices().map(|(i, _)| i).nth(cut % src.chars().count()).unwrap_or(0);
            src.insert_str(at, &insert);
            if let Err(errors) = Settings::parse("c.toml", &src, Some(&lib)) {
                proptest::prop_assert!(!errors.is_empty());
                for e in errors {
                    proptest::prop_assert!(e.line <= src.lines().count() + 1, "{e}");
                }
            }
        }
    }
}
