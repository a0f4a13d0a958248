//! Where the data lives and how long it stays: the data folder, the
//! database URL (`ECHEANCIER_DATA` and `ECHEANCIER_DATABASE_URL` count) and
//! `[conservation]`.

use std::path::{Path, PathBuf};

use echeancier_core::retention::Retention;

use super::{Check, RawRetention};

pub(super) fn data_dir(in_file: Option<String>) -> PathBuf {
    PathBuf::from(
        in_file
            .or_else(|| std::env::var("ECHEANCIER_DATA").ok())
            .unwrap_or_else(|| "echeancier-data".into()),
    )
}

pub(super) fn database_url(in_file: Option<String>, data_dir: &Path, check: &mut Check<'_>) -> String {
    // The environment wins, so that a password in the URL need not be
    // written in the file.
    let url_in_file = in_file.clone();
    let database_url = std::env::var("ECHEANCIER_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .or(in_file)
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("echeancier.db").display()));
    if crate::store::Backend::of_url(&database_url).is_none() {
        check.err(
            0..0,
            format!(
                "database_url « {} » non prise en charge : attendu sqlite://CHEMIN ou postgres://HÔTE/BASE",
                crate::store::redact_url(&database_url)
            ),
        );
    }
    if let Some(u) = &url_in_file
        && url::Url::parse(u).is_ok_and(|u| u.password().is_some())
    {
        // The raw value has no span: the key's first mention is its line.
        let at = check.src().find("database_url").unwrap_or(0);
        check.warn(
            at..at,
            "mot de passe écrit dans database_url : passez l'adresse par la variable ECHEANCIER_DATABASE_URL",
        );
    }
    database_url
}

pub(super) fn retention(raw: &RawRetention) -> Retention {
    match raw.mois_apres_cloture {
        Some(n) => Retention::Months(n.clamp(1, 1200)),
        None => Retention::FollowingSchoolYear,
    }
}
